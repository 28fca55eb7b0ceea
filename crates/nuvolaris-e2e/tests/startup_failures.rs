// Licensed to the Apache Software Foundation (ASF) under one
// or more contributor license agreements.  See the NOTICE file
// distributed with this work for additional information
// regarding copyright ownership.  The ASF licenses this file
// to you under the Apache License, Version 2.0 (the
// "License"); you may not use this file except in compliance
// with the License.  You may obtain a copy of the License at
//
//   http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing,
// software distributed under the License is distributed on an
// "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY
// KIND, either express or implied.  See the License for the
// specific language governing permissions and limitations
// under the License.

//! A server or operator that fails to start is reported with the tail of its log (the last 40
//! lines), not only the log's path, and as soon as it exits (not after the readiness timeout).
//! Fake binaries (shell scripts) stand in for `kube-apiserver`, `etcd` and the operator.

use nuvolaris_e2e::backend::{Backend, BackendKind, BackendOpts};
use nuvolaris_e2e::operator::{OperatorOpts, OperatorProcess};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Writes an executable shell script.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// A body that logs `line 1` .. `line 60` on stderr, then `last`, and exits 1.
fn failing(last: &str) -> String {
    format!("i=1; while [ $i -le 60 ]; do echo \"line $i\" >&2; i=$((i+1)); done\necho '{last}' >&2\nexit 1")
}

fn assert_tail(err: &str, last: &str) {
    assert!(err.contains(last), "the error line is shown: {err}");
    assert!(err.contains("last 40 lines"), "{err}");
    assert!(err.contains("line 60\n"), "{err}");
    assert!(err.contains("line 22\n"), "39 lines before the last: {err}");
    assert!(!err.contains("line 21\n"), "only the tail: {err}");
}

#[tokio::test]
async fn envtest_startup_failure_shows_the_server_log_tail() {
    let dir = tempfile::tempdir().unwrap();
    let last = "error reading public key file sa.key: data does not contain any valid RSA or ECDSA public keys";
    script(dir.path(), "kube-apiserver", &failing(last));
    script(dir.path(), "etcd", "exec sleep 120");
    let operator = script(dir.path(), "nuvolaris-operator", "exit 0");
    let started = tokio::time::timeout(
        // far below the 60 s readiness timeout: the exit is noticed
        Duration::from_secs(30),
        Backend::start(
            BackendKind::Envtest,
            BackendOpts {
                operator_bin: Some(operator),
                envtest_assets: Some(dir.path().to_path_buf()),
                ..Default::default()
            },
        ),
    )
    .await
    .expect("the failed start is reported once the server exits");
    let err = started
        .err()
        .expect("a server that exits fails the start")
        .to_string();
    assert!(err.contains("kube-apiserver"), "{err}");
    assert!(err.contains("exited with exit status: 1"), "{err}");
    assert!(err.contains("kube-apiserver.log"), "names the log: {err}");
    assert_tail(&err, last);
}

#[tokio::test]
async fn operator_startup_failure_shows_its_log_tail() {
    let dir = tempfile::tempdir().unwrap();
    let last = "error: cannot reach the API server";
    let bin = script(dir.path(), "nuvolaris-operator", &failing(last));
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, "").unwrap();
    let mut op =
        OperatorProcess::spawn(&bin, &kubeconfig, dir.path(), &OperatorOpts::default()).unwrap();
    let err = op
        .wait_ready(Duration::from_secs(30))
        .await
        .expect_err("an operator that exits is not ready")
        .to_string();
    assert!(err.contains("exited with exit status: 1"), "{err}");
    assert!(err.contains(".log"), "names the log: {err}");
    assert_tail(&err, last);
}
