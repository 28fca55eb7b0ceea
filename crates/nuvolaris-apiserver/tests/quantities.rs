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

//! Resource quantities read back in the real server's canonical form (`1000m` -> `"1"`),
//! whatever way they are written (create, update, server-side apply), and re-applying the same
//! non-canonical configuration is a no-op (same resourceVersion), as on a real cluster.
//! Runs against a real cluster too (`NUVOLARIS_CONFORMANCE_KUBECONFIG`).

mod common;

use serde_json::{json, Value};

const APPLY: Option<&str> = Some("application/apply-patch+yaml");

fn deployment(name: &str, cpu: Value, memory: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{
                     "name": "c", "image": "nginx",
                     "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": 0.5, "memory": "2048Mi"}}}]}}}})
}

fn resources(obj: &Value) -> &Value {
    &obj["spec"]["template"]["spec"]["containers"][0]["resources"]
}

/// Creates a Deployment in `ns`: the Deployments path and the answer.
async fn create(t: &common::Target, ns: &str, d: Value) -> (String, common::Resp) {
    let path = format!("/apis/apps/v1/namespaces/{ns}/deployments");
    let r = t.call("POST", &path, None, Some(&d)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    (path, r)
}

#[tokio::test]
async fn created_quantities_read_back_canonical() {
    let t = common::target().await;
    let ns = t.namespace("qty").await;
    let (path, r) = create(&t, &ns, deployment("d", json!("1000m"), "1024Mi")).await;
    assert_eq!(
        resources(&r.json),
        &json!({"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "500m", "memory": "2Gi"}})
    );
    let got = t.call("GET", &format!("{path}/d"), None, None).await;
    assert_eq!(resources(&got.json), resources(&r.json));

    let pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1024Mi"}}}});
    let r = t
        .call(
            "POST",
            &format!("/api/v1/namespaces/{ns}/persistentvolumeclaims"),
            None,
            Some(&pvc),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.json["spec"]["resources"]["requests"]["storage"], "1Gi");
}

#[tokio::test]
async fn reapplying_a_non_canonical_quantity_changes_nothing() {
    let t = common::target().await;
    let ns = t.namespace("qty-apply").await;
    let path = format!("/apis/apps/v1/namespaces/{ns}/deployments/a?fieldManager=op");
    let cfg = deployment("a", json!("1000m"), "512Mi");
    let first = t.call("PATCH", &path, APPLY, Some(&cfg)).await;
    assert_eq!(first.code, 201, "{}", first.text);
    assert_eq!(resources(&first.json)["requests"]["cpu"], "1");
    let second = t.call("PATCH", &path, APPLY, Some(&cfg)).await;
    assert_eq!(second.code, 200, "{}", second.text);
    assert_eq!(
        second.json["metadata"]["resourceVersion"], first.json["metadata"]["resourceVersion"],
        "the same configuration applied again is a no-op"
    );
    assert_eq!(
        second.json["metadata"]["managedFields"],
        first.json["metadata"]["managedFields"]
    );

    // a real change in another notation is stored canonically
    let third = t
        .call(
            "PATCH",
            &path,
            APPLY,
            Some(&deployment("a", json!("2000m"), "512Mi")),
        )
        .await;
    assert_eq!(third.code, 200, "{}", third.text);
    assert_eq!(resources(&third.json)["requests"]["cpu"], "2");
    assert_ne!(
        third.json["metadata"]["resourceVersion"],
        first.json["metadata"]["resourceVersion"]
    );
}

#[tokio::test]
async fn updates_and_custom_resources() {
    let t = common::target().await;
    let ns = t.namespace("qty-put").await;
    let (path, r) = create(&t, &ns, deployment("u", json!("1"), "1Gi")).await;
    let mut obj = r.json.clone();
    obj["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] =
        json!("1500m");
    obj["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"] =
        json!("1048576Ki");
    let r = t.call("PUT", &format!("{path}/u"), None, Some(&obj)).await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(
        resources(&r.json)["requests"],
        json!({"cpu": "1500m", "memory": "1Gi"})
    );
    // a ConfigMap's data is not a quantity
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"cpu": "1000m"}});
    let r = t
        .call(
            "POST",
            &format!("/api/v1/namespaces/{ns}/configmaps"),
            None,
            Some(&cm),
        )
        .await;
    assert_eq!(r.json["data"]["cpu"], "1000m");
}
