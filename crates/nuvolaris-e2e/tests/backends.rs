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

//! Backends whose prerequisites are missing fail with a message naming what is missing and where
//! it was looked for (never a silent skip). One test function: it changes PATH for the process.

use nuvolaris_e2e::backend::{envtest_binaries, Backend, BackendKind, BackendOpts};

#[tokio::test]
async fn missing_prerequisites_are_clear_errors() {
    let empty = tempfile::tempdir().unwrap();
    let dir = empty.path().to_str().unwrap().to_string();
    let old_path = std::env::var_os("PATH");
    let old_assets = std::env::var_os("KUBEBUILDER_ASSETS");
    std::env::set_var("PATH", &dir);
    std::env::set_var("KUBEBUILDER_ASSETS", &dir);
    for v in ["KIND", "DOCKER", "NUVOLARIS_KUBECTL"] {
        std::env::remove_var(v);
    }

    let envtest = envtest_binaries().unwrap_err().to_string();
    let opts = BackendOpts {
        operator_bin: Some(empty.path().join("nuvolaris-operator")),
        ..Default::default()
    };
    let envtest_start = Backend::start(BackendKind::Envtest, opts.clone())
        .await
        .err()
        .map(|e| e.to_string());
    let kind = Backend::start(BackendKind::Kind, opts.clone())
        .await
        .err()
        .map(|e| e.to_string());
    let cluster = {
        std::env::set_var("KUBECONFIG", empty.path().join("nope"));
        Backend::start(BackendKind::Cluster, opts)
            .await
            .err()
            .map(|e| e.to_string())
    };

    match old_path {
        Some(p) => std::env::set_var("PATH", p),
        None => std::env::remove_var("PATH"),
    }
    match old_assets {
        Some(p) => std::env::set_var("KUBEBUILDER_ASSETS", p),
        None => std::env::remove_var("KUBEBUILDER_ASSETS"),
    }

    assert!(
        envtest.contains("`etcd`") && envtest.contains("`kube-apiserver`"),
        "{envtest}"
    );
    assert!(
        envtest.contains(&format!("KUBEBUILDER_ASSETS={dir}")),
        "names where it looked: {envtest}"
    );
    assert_eq!(envtest_start.as_deref(), Some(envtest.as_str()));
    let kind = kind.expect("kind backend without kind must fail");
    assert!(
        kind.contains("the kind backend needs the `kind` program"),
        "{kind}"
    );
    let cluster = cluster.expect("cluster backend without a kubeconfig must fail");
    assert!(
        cluster.contains("the cluster backend needs a kubeconfig") && cluster.contains("nope"),
        "{cluster}"
    );
}
