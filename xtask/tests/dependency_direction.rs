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

//! Dependencies point one way (issue 13): the embedded API server does not depend on the
//! kustomize engine, and the generic runtime does not depend on our kinds, not even through a
//! dev-dependency (`cargo tree`'s default edges include those of the package itself).

use std::path::Path;
use std::process::Command;

/// The package names in `cargo tree -p <package>` (normal, build and dev edges).
fn tree(package: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(env!("CARGO"))
        .current_dir(&root)
        .args([
            "tree",
            "--offline",
            "--prefix",
            "none",
            "--format",
            "{p}",
            "-p",
            package,
        ])
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_api_server_does_not_depend_on_the_kustomize_engine() {
    let deps = tree("nuvolaris-apiserver");
    assert!(deps.iter().any(|d| d == "nuvolaris-merge"), "{deps:?}");
    assert!(!deps.iter().any(|d| d == "nuvolaris-kustomize"), "{deps:?}");
}

#[test]
fn the_runtime_does_not_depend_on_our_kinds() {
    let deps = tree("nuvolaris-runtime");
    assert!(deps.iter().any(|d| d == "kube"), "{deps:?}");
    assert!(!deps.iter().any(|d| d == "nuvolaris-api"), "{deps:?}");
}
