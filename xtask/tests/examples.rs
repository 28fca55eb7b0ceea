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

//! The custom resources in `examples/` are valid: every document parses, each Sample and Whisk
//! deserializes into its Rust type (what the operator reads), and the Sample example is the
//! training's (`demo/obj`, `count: 2`).

use nuvolaris_api::sample::{Sample, MAX_COUNT, MIN_COUNT};
use nuvolaris_api::whisk::Whisk;
use serde_json::Value;
use std::path::PathBuf;
use xtask::paths::workspace_root;

/// Every `examples/*.yaml` file with its parsed documents.
fn examples() -> Vec<(PathBuf, Vec<Value>)> {
    let dir = workspace_root().join("examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let docs = serde_saphyr::from_multiple::<Value>(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, docs)
        })
        .collect()
}

#[test]
fn every_example_document_is_a_kubernetes_object_the_operator_can_read() {
    let all = examples();
    assert!(!all.is_empty(), "examples/ has no YAML file");
    for (path, docs) in all {
        assert!(!docs.is_empty(), "{}: no documents", path.display());
        for doc in docs {
            let kind = doc["kind"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: a document without kind", path.display()));
            assert!(
                doc["apiVersion"].is_string(),
                "{}: {kind} without apiVersion",
                path.display()
            );
            assert!(
                doc["metadata"]["name"].is_string(),
                "{}: {kind} without a name",
                path.display()
            );
            match kind {
                "Sample" => {
                    let sample: Sample = serde_json::from_value(doc.clone())
                        .unwrap_or_else(|e| panic!("{}: Sample: {e}", path.display()));
                    assert!((MIN_COUNT..=MAX_COUNT).contains(&sample.spec.count));
                }
                "Whisk" => {
                    serde_json::from_value::<Whisk>(doc.clone())
                        .unwrap_or_else(|e| panic!("{}: Whisk: {e}", path.display()));
                }
                _ => {}
            }
        }
    }
}

#[test]
fn the_sample_example_is_the_trainings_obj_with_count_two_and_its_namespace_comes_first() {
    let docs = examples()
        .into_iter()
        .find(|(p, _)| p.file_name().is_some_and(|n| n == "sample.yaml"))
        .expect("examples/sample.yaml")
        .1;
    let sample_at = docs
        .iter()
        .position(|d| d["kind"] == "Sample")
        .expect("a Sample");
    let sample: Sample = serde_json::from_value(docs[sample_at].clone()).unwrap();
    assert_eq!(sample.metadata.name.as_deref(), Some("obj"));
    assert_eq!(sample.metadata.namespace.as_deref(), Some("demo"));
    assert_eq!(sample.spec.count, 2);
    let namespace_at = docs
        .iter()
        .position(|d| d["kind"] == "Namespace" && d["metadata"]["name"] == "demo")
        .expect("the demo Namespace");
    assert!(
        namespace_at < sample_at,
        "the Namespace must come before the Sample"
    );
}

/// `nuvolaris-operator render -f -` accepts every example custom resource (the Sample and the
/// Whisk reconcilers are registered and render them offline without error). Only the custom
/// resources are passed: the operator renders those, not the Namespace next to them.
#[rstest::rstest]
#[case::sample("examples/sample.yaml", "obj-demo-deploy")]
#[case::whisk("examples/whisk.yaml", "couchdb")]
fn the_operator_renders_every_example(#[case] file: &str, #[case] expected_object: &str) {
    use std::io::Write;
    let text = std::fs::read_to_string(workspace_root().join(file)).unwrap();
    let custom_resources: Vec<String> = serde_saphyr::from_multiple::<Value>(&text)
        .unwrap()
        .into_iter()
        .filter(|d| {
            d["apiVersion"]
                .as_str()
                .is_some_and(|v| v.starts_with("nuvolaris.org/"))
        })
        .map(|d| serde_saphyr::to_string(&d).unwrap())
        .collect();
    assert!(
        !custom_resources.is_empty(),
        "{file} holds no custom resource"
    );
    let bin = xtask::toolchain::operator_bin().expect("the operator binary builds");
    let mut child = std::process::Command::new(bin)
        .args(["render", "-f", "-"])
        .current_dir(workspace_root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(custom_resources.join("---\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "render of {file} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs = serde_saphyr::from_multiple::<Value>(&stdout).expect("render prints YAML");
    assert!(
        docs.iter()
            .any(|d| d["metadata"]["name"] == expected_object),
        "render of {file} has no object named {expected_object}:\n{stdout}"
    );
}
