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

//! Rendering a Sample equals the expected objects.
//!
//! The golden files in `testdata/` are `kubectl kustomize` (v1.37.1, kustomize v5.8.1) output of
//! the very overlay `overlay()` builds, written to disk. Regenerate them with
//! `NUVOLARIS_BLESS=1 cargo test -p nuvolaris-reconciler-sample --test render` (needs kubectl:
//! `NUVOLARIS_KUBECTL` or `kubectl` on PATH).

use nuvolaris_api::sample::{Sample, SampleSpec};
use nuvolaris_reconciler_sample::{overlay, SampleReconciler};
use nuvolaris_runtime::{register, Reconciler};
use pretty_assertions::assert_eq;
use rstest::rstest;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn sample(name: &str, ns: &str, count: i32, image: &str) -> Sample {
    let mut s = Sample::new(
        name,
        SampleSpec {
            count,
            image: image.into(),
        },
    );
    s.metadata.namespace = Some(ns.into());
    s
}

fn golden(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(file)
}

fn kubectl_kustomize(obj: &Sample) -> String {
    let (loader, dir) = overlay(obj);
    let tmp = tempfile::tempdir().unwrap();
    for (p, bytes) in &loader.files {
        let rel = p.strip_prefix("/").unwrap_or(p);
        let to = tmp.path().join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, bytes).unwrap();
    }
    let kubectl = std::env::var("NUVOLARIS_KUBECTL").unwrap_or_else(|_| "kubectl".into());
    let out = std::process::Command::new(kubectl)
        .arg("kustomize")
        .arg(tmp.path().join(dir.strip_prefix("/").unwrap()))
        .output()
        .expect("run kubectl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[rstest]
#[case("obj", "demo", 2, "nginx", "obj-demo-count2.yaml")]
#[case("web", "team-a", 5, "nginx:1.27", "web-team-a-count5-tag.yaml")]
#[case(
    "zero",
    "demo",
    0,
    "registry.local:5000/nginx@sha256:0123",
    "zero-demo-digest.yaml"
)]
fn render_equals_kubectl_kustomize_golden(
    #[case] name: &str,
    #[case] ns: &str,
    #[case] count: i32,
    #[case] image: &str,
    #[case] file: &str,
) {
    let obj = sample(name, ns, count, image);
    if std::env::var_os("NUVOLARIS_BLESS").is_some() {
        std::fs::create_dir_all(golden("")).unwrap();
        std::fs::write(golden(file), kubectl_kustomize(&obj)).unwrap();
    }
    let want_text = std::fs::read_to_string(golden(file)).unwrap();
    let want: Vec<Value> = vec![serde_saphyr::from_str(&want_text).unwrap()];
    let got = SampleReconciler.render(&obj).expect("render");
    assert_eq!(got, want);
    // the kubectl-identical printer prints the same bytes
    let (loader, dir) = overlay(&obj);
    assert_eq!(
        nuvolaris_kustomize::build_yaml(&loader, &dir).unwrap(),
        want_text
    );
}

#[test]
fn render_has_the_issue_shape() {
    let got = SampleReconciler
        .render(&sample("obj", "demo", 2, "nginx"))
        .expect("render");
    assert_eq!(got.len(), 1);
    let d = &got[0];
    assert_eq!(d["kind"], "Deployment");
    assert_eq!(d["metadata"]["name"], "obj-demo-deploy");
    assert_eq!(d["metadata"]["namespace"], "demo");
    assert_eq!(d["spec"]["replicas"], 2);
    let want_labels = json!({"app": "nginx", "app.kubernetes.io/instance": "obj", "app.kubernetes.io/managed-by": "nuvolaris-operator"});
    assert_eq!(d["spec"]["selector"]["matchLabels"], want_labels);
    assert_eq!(d["spec"]["template"]["metadata"]["labels"], want_labels);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx"
    );
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"],
        80
    );
}

#[test]
fn offline_render_is_stamped_for_apply_without_owner_reference() {
    let reg = register(SampleReconciler);
    let cr = serde_json::to_value(sample("obj", "demo", 3, "nginx")).unwrap();
    let docs = reg.render(&cr).expect("render");
    assert_eq!(docs.len(), 1);
    let m = &docs[0]["metadata"];
    assert!(m["labels"]["applyset.kubernetes.io/part-of"]
        .as_str()
        .unwrap()
        .starts_with("applyset-"));
    assert_eq!(
        m["annotations"]["nuvolaris.org/owner"],
        "Sample.nuvolaris.org/demo/obj"
    );
    assert!(m.get("ownerReferences").is_none());
    assert_eq!(docs[0]["spec"]["replicas"], 3);
}

#[rstest]
#[case(json!({"apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": "obj", "namespace": "demo"}, "spec": {"count": "two"}}))]
#[case(json!({"apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": "obj", "namespace": "demo"}, "spec": {"count": 5000}}))]
#[case(json!({"apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": "obj", "namespace": "demo"}}))]
fn offline_render_rejects_invalid_specs(#[case] cr: Value) {
    let err = register(SampleReconciler).render(&cr).unwrap_err();
    assert!(
        matches!(err, nuvolaris_runtime::Error::InvalidSpec { .. }),
        "{err}"
    );
}
