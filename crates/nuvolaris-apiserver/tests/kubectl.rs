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

//! kubectl (the reference client) against the embedded server: get, create, apply
//! --server-side, patch (merge, json, strategic), scale, delete. kubectl is found through
//! `NUVOLARIS_KUBECTL` or `PATH`; when it is missing the test says so and passes, unless
//! `NUVOLARIS_REQUIRE_KUBECTL=1`, which makes a missing kubectl a failure.

use nuvolaris_apiserver::{ApiServer, ServerConfig};
use std::path::{Path, PathBuf};

fn find_kubectl() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("NUVOLARIS_KUBECTL") {
        return Some(PathBuf::from(p)).filter(|p| p.exists());
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("kubectl"))
            .find(|p| p.is_file())
    })
}

async fn kubectl(bin: &Path, kc: &Path, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    use tokio::io::AsyncWriteExt;
    let mut cmd = tokio::process::Command::new(bin);
    cmd.arg("--kubeconfig")
        .arg(kc)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("kubectl starts");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).await.expect("stdin written");
    }
    drop(input);
    let out = child.wait_with_output().await.expect("kubectl runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

const MANIFEST: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: nginx, env: [{name: A, value: "1"}]}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a: b}
"#;

#[tokio::test]
async fn kubectl_smoke() {
    let Some(bin) = find_kubectl() else {
        if std::env::var("NUVOLARIS_REQUIRE_KUBECTL").as_deref() == Ok("1") {
            panic!("kubectl not found (NUVOLARIS_KUBECTL or PATH) and NUVOLARIS_REQUIRE_KUBECTL=1");
        }
        eprintln!("kubectl not found (NUVOLARIS_KUBECTL or PATH): kubectl smoke test not run");
        return;
    };
    let server = ApiServer::start(ServerConfig {
        simulate_workloads: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    server.write_kubeconfig(&kc).unwrap();
    let k = |args: &'static [&'static str]| {
        let (bin, kc) = (bin.clone(), kc.clone());
        async move { kubectl(&bin, &kc, args, None).await }
    };
    let (ok, out) = k(&["get", "namespaces"]).await;
    assert!(
        ok && out.contains("default") && out.contains("kube-system"),
        "{out}"
    );
    let (ok, out) = kubectl(&bin, &kc, &["create", "-f", "-"], Some(MANIFEST)).await;
    assert!(
        ok && out.contains("deployment.apps/web created") && out.contains("configmap/cfg created"),
        "{out}"
    );
    let (ok, out) = k(&["get", "deployment", "web", "-o", "yaml"]).await;
    assert!(
        ok && out.contains("kind: Deployment") && out.contains("replicas: 2"),
        "{out}"
    );
    let (ok, out) = kubectl(
        &bin,
        &kc,
        &["apply", "--server-side", "-f", "-"],
        Some(MANIFEST),
    )
    .await;
    assert!(ok && out.contains("serverside-applied"), "{out}");
    let (ok, out) = k(&["patch", "configmap", "cfg", "-p", r#"{"data":{"x":"y"}}"#]).await;
    assert!(ok && out.contains("patched"), "{out}");
    let (ok, out) = k(&[
        "patch",
        "configmap",
        "cfg",
        "--type=json",
        "-p",
        r#"[{"op":"add","path":"/data/z","value":"w"}]"#,
    ])
    .await;
    assert!(ok && out.contains("patched"), "{out}");
    let (ok, out) = k(&["patch", "deployment", "web", "--type=strategic", "-p", r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"C","value":"3"}]}]}}}}"#]).await;
    assert!(ok && out.contains("patched"), "{out}");
    let (ok, out) = k(&["get", "configmap", "cfg", "-o", "jsonpath={.data}"]).await;
    assert!(
        ok && out.contains(r#""x":"y""#) && out.contains(r#""z":"w""#),
        "{out}"
    );
    let (ok, out) = k(&[
        "get",
        "deployment",
        "web",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].env[*].name}",
    ])
    .await;
    assert!(
        ok && out.contains('A') && out.contains('C'),
        "env merged by name: {out}"
    );
    let (ok, out) = k(&["get", "deployment", "web"]).await;
    assert!(
        ok && out.contains("READY") && out.contains("UP-TO-DATE"),
        "table columns: {out}"
    );
    let (ok, out) = k(&["scale", "deployment", "web", "--replicas=4"]).await;
    assert!(ok && out.contains("scaled"), "{out}");
    let (ok, out) = k(&[
        "wait",
        "deployment/web",
        "--for=jsonpath={.status.readyReplicas}=4",
        "--timeout=10s",
    ])
    .await;
    assert!(ok, "{out}");
    let (ok, out) = k(&["delete", "configmap", "cfg"]).await;
    assert!(ok && out.contains("deleted"), "{out}");
    let (ok, out) = k(&["get", "configmap", "cfg"]).await;
    assert!(!ok && out.contains("NotFound"), "{out}");
    server.shutdown().await;
}

#[tokio::test]
async fn kubectl_events_and_describe_show_events_k8s_io_events() {
    let Some(bin) = find_kubectl() else {
        if std::env::var("NUVOLARIS_REQUIRE_KUBECTL").as_deref() == Ok("1") {
            panic!("kubectl not found (NUVOLARIS_KUBECTL or PATH) and NUVOLARIS_REQUIRE_KUBECTL=1");
        }
        eprintln!("kubectl not found (NUVOLARIS_KUBECTL or PATH): kubectl events test not run");
        return;
    };
    let server = ApiServer::start(ServerConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    server.write_kubeconfig(&kc).unwrap();
    let (ok, out) = kubectl(&bin, &kc, &["create", "-f", "-"], Some(MANIFEST)).await;
    assert!(ok, "{out}");
    let (ok, uid) = kubectl(
        &bin,
        &kc,
        &["get", "deployment", "web", "-o", "jsonpath={.metadata.uid}"],
        None,
    )
    .await;
    assert!(ok, "{uid}");
    // what an operator's event recorder (kube-runtime's Recorder) writes
    let event = serde_json::json!({
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": "web.181f0a1b2c3d4e5f", "namespace": "default"},
        "eventTime": "2026-01-01T00:00:00.000000Z", "action": "Reconcile", "reason": "Configured",
        "type": "Normal", "note": "configured deployment.apps/web from the operator",
        "reportingController": "nuvolaris-operator", "reportingInstance": "nuvolaris-operator-1",
        "regarding": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                      "namespace": "default", "uid": uid.trim()}});
    let r = reqwest::Client::new()
        .post(format!(
            "{}/apis/events.k8s.io/v1/namespaces/default/events",
            server.url()
        ))
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);

    let (ok, out) = kubectl(
        &bin,
        &kc,
        &["events", "-n", "default", "--for", "deployment/web"],
        None,
    )
    .await;
    assert!(
        ok && out.contains("Configured")
            && out.contains("configured deployment.apps/web from the operator"),
        "kubectl events: {out}"
    );
    let (ok, out) = kubectl(&bin, &kc, &["describe", "deployment", "web"], None).await;
    assert!(
        ok && out.contains("Events:")
            && out.contains("configured deployment.apps/web from the operator"),
        "kubectl describe: {out}"
    );
    server.shutdown().await;
}
