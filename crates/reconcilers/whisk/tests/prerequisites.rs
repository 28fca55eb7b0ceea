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

//! The prerequisites folder `charts-free-kustomize/whisk-prerequisites`: what it holds, that its
//! runtimes manifest is the one the render embeds, and that our engine builds it as kubectl does.

use nuvolaris_kustomize::yaml::to_yaml_stream;
use std::path::PathBuf;

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../charts-free-kustomize/whisk-prerequisites")
        .canonicalize()
        .unwrap()
}

fn build() -> Vec<serde_json::Value> {
    let dir = folder();
    nuvolaris_kustomize::build(&nuvolaris_kustomize::FsLoader { root: dir.clone() }, &dir).unwrap()
}

#[test]
fn prerequisites_hold_what_a_whisk_needs_and_no_namespace() {
    let objs = build();
    let ids: Vec<String> = objs
        .iter()
        .map(|o| {
            format!(
                "{}/{}/{}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["namespace"].as_str().unwrap_or("-"),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    for want in [
        "ConfigMap/nuvolaris/config",
        "ConfigMap/nuvolaris/openwhisk-runtimes",
        "ServiceAccount/nuvolaris/nuvolaris-openwhisk-core",
        "Role/nuvolaris/openwhisk-core-role",
        "RoleBinding/nuvolaris/openwhisk-controller-role-rb",
    ] {
        assert!(
            ids.contains(&want.to_string()),
            "{want} missing from {ids:?}"
        );
    }
    assert!(
        !ids.iter().any(|i| i.starts_with("Namespace/")),
        "the Namespace belongs to the operator kustomization"
    );
    let rt = objs
        .iter()
        .find(|o| o["metadata"]["name"] == "openwhisk-runtimes")
        .unwrap();
    let in_cm: serde_json::Value =
        serde_json::from_str(rt["data"]["runtimes.json"].as_str().unwrap()).unwrap();
    let embedded: serde_json::Value =
        serde_json::from_str(nuvolaris_reconciler_whisk::render::DEFAULT_RUNTIMES_JSON).unwrap();
    assert_eq!(
        in_cm, embedded,
        "prerequisites runtimes.json differs from manifests/runtimes.json"
    );
}

#[test]
fn prerequisites_build_as_kubectl_kustomize() {
    let kubectl = std::env::var_os("NUVOLARIS_KUBECTL")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("PATH").and_then(|p| {
                std::env::split_paths(&p)
                    .map(|d| d.join("kubectl"))
                    .find(|p| p.is_file())
            })
        });
    let Some(kubectl) = kubectl else {
        eprintln!("kubectl comparison DID NOT RUN: set NUVOLARIS_KUBECTL or put kubectl on PATH");
        return;
    };
    let out = std::process::Command::new(kubectl)
        .arg("kustomize")
        .arg(folder())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    pretty_assertions::assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        to_yaml_stream(&build())
    );
}
