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

//! Managed fields and error bodies as the real server records them: shared apply ownership,
//! `/scale` and `/status` writes, reset fields, JSON patch failure bodies.

mod common;

use common::Target;
use serde_json::{json, Value};

const APPLY: Option<&str> = Some("application/apply-patch+yaml");
const MERGE: Option<&str> = Some("application/merge-patch+json");

fn deps(ns: &str) -> String {
    format!("/apis/apps/v1/namespaces/{ns}/deployments")
}

fn deployment(name: &str, replicas: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
}

fn cm_apply(name: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data})
}

/// The managedFields entry of `manager` (and `subresource`), if any.
fn entry<'a>(obj: &'a Value, manager: &str, sub: Option<&str>) -> Option<&'a Value> {
    obj["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager && e["subresource"].as_str() == sub)
}

async fn get(t: &Target, path: &str) -> Value {
    let r = t.call("GET", path, None, None).await;
    assert_eq!(r.code, 200, "{}", r.text);
    r.json
}

#[tokio::test]
async fn shared_apply_ownership_survives_one_manager_leaving() {
    let t = common::target().await;
    let ns = t.namespace("shared").await;
    let url = |m: &str| format!("/api/v1/namespaces/{ns}/configmaps/c?fieldManager={m}");
    let r = t
        .call(
            "PATCH",
            &url("a"),
            APPLY,
            Some(&cm_apply("c", json!({"k": "v", "only-a": "x"}))),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    // b applies a value identical to a's: it becomes a co-owner
    let r = t
        .call(
            "PATCH",
            &url("b"),
            APPLY,
            Some(&cm_apply("c", json!({"k": "v"}))),
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    let b = entry(&r.json, "b", None).unwrap_or_else(|| panic!("no entry for b: {}", r.json));
    assert_eq!(b["operation"], "Apply");
    assert_eq!(b["fieldsV1"], json!({"f:data": {"f:k": {}}}));
    let stored = get(&t, &format!("/api/v1/namespaces/{ns}/configmaps/c")).await;
    assert!(entry(&stored, "b", None).is_some(), "stored: {stored}");
    // a stops applying k: b still owns it, so it stays
    let r = t
        .call(
            "PATCH",
            &url("a"),
            APPLY,
            Some(&cm_apply("c", json!({"only-a": "x"}))),
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(
        r.json["data"],
        json!({"k": "v", "only-a": "x"}),
        "{}",
        r.json
    );
}

#[tokio::test]
async fn scale_writes_record_the_scale_subresource() {
    let t = common::target().await;
    let ns = t.namespace("scalemf").await;
    let r = t
        .call(
            "PATCH",
            &format!("{}/web?fieldManager=op", deps(&ns)),
            APPLY,
            Some(&deployment("web", 2)),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let r = t
        .call(
            "PATCH",
            &format!("{}/web/scale?fieldManager=kubectl", deps(&ns)),
            MERGE,
            Some(&json!({"spec": {"replicas": 5}})),
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    let d = get(&t, &format!("{}/web", deps(&ns))).await;
    let e = entry(&d, "kubectl", Some("scale")).unwrap_or_else(|| panic!("no scale entry: {d}"));
    assert_eq!(e["operation"], "Update");
    assert_eq!(e["fieldsV1"], json!({"f:spec": {"f:replicas": {}}}));
    // op re-applying its replicas now conflicts with the scale writer
    let r = t
        .call(
            "PATCH",
            &format!("{}/web?fieldManager=op", deps(&ns)),
            APPLY,
            Some(&deployment("web", 2)),
        )
        .await;
    assert_eq!(r.code, 409, "{}", r.text);
    assert_eq!(
        r.json["message"],
        "Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas"
    );
}

#[tokio::test]
async fn apply_to_scale_is_an_apply_on_the_scale_subresource() {
    let t = common::target().await;
    let ns = t.namespace("scaleapply").await;
    let r = t
        .call("POST", &deps(&ns), None, Some(&deployment("web", 1)))
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let scale = json!({"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "web"}, "spec": {"replicas": 3}});
    let r = t
        .call(
            "PATCH",
            &format!("{}/web/scale?fieldManager=hpa&force=true", deps(&ns)),
            APPLY,
            Some(&scale),
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.json["spec"]["replicas"], 3);
    let d = get(&t, &format!("{}/web", deps(&ns))).await;
    assert_eq!(d["spec"]["replicas"], 3);
    let e = entry(&d, "hpa", Some("scale")).unwrap_or_else(|| panic!("no scale entry: {d}"));
    assert_eq!(e["operation"], "Apply");
    assert_eq!(e["fieldsV1"], json!({"f:spec": {"f:replicas": {}}}));
}

#[tokio::test]
async fn apply_on_main_resource_does_not_own_status() {
    let t = common::target().await;
    let ns = t.namespace("resetmain").await;
    let mut d = deployment("web", 1);
    d["status"] = json!({"replicas": 7});
    let r = t
        .call(
            "PATCH",
            &format!("{}/web?fieldManager=op", deps(&ns)),
            APPLY,
            Some(&d),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let e = entry(&r.json, "op", None).unwrap_or_else(|| panic!("{}", r.json));
    assert!(e["fieldsV1"].get("f:status").is_none(), "{e}");
    assert_ne!(r.json["status"]["replicas"], 7);
    // and again on an existing object
    let r = t
        .call(
            "PATCH",
            &format!("{}/web?fieldManager=op", deps(&ns)),
            APPLY,
            Some(&d),
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    let e = entry(&r.json, "op", None).unwrap_or_else(|| panic!("{}", r.json));
    assert!(e["fieldsV1"].get("f:status").is_none(), "{e}");
}

#[tokio::test]
async fn apply_on_status_owns_only_status() {
    let t = common::target().await;
    let ns = t.namespace("resetstatus").await;
    let r = t
        .call("POST", &deps(&ns), None, Some(&deployment("web", 1)))
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let mut d = deployment("web", 9);
    d["status"] = json!({"replicas": 4});
    let r = t
        .call(
            "PATCH",
            &format!("{}/web/status?fieldManager=ctl&force=true", deps(&ns)),
            APPLY,
            Some(&d),
        )
        .await;
    assert_eq!(r.code, 200, "{}", r.text);
    assert_eq!(r.json["spec"]["replicas"], 1, "spec ignored on /status");
    assert_eq!(r.json["status"]["replicas"], 4);
    let e = entry(&r.json, "ctl", Some("status")).unwrap_or_else(|| panic!("{}", r.json));
    assert_eq!(e["operation"], "Apply");
    assert!(e["fieldsV1"].get("f:spec").is_none(), "{e}");
    assert_eq!(e["fieldsV1"]["f:status"], json!({"f:replicas": {}}));
}

#[tokio::test]
async fn failed_json_patch_gets_the_real_body() {
    let t = common::target().await;
    let ns = t.namespace("jp").await;
    let url = format!("/api/v1/namespaces/{ns}/configmaps");
    let r = t
        .call("POST", &url, None, Some(&cm_apply("c", json!({"a": "1"}))))
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let r = t
        .call(
            "PATCH",
            &format!("{url}/c"),
            Some("application/json-patch+json"),
            Some(&json!([{"op": "test", "path": "/data/a", "value": "2"}])),
        )
        .await;
    assert_eq!(r.code, 422, "{}", r.text);
    assert_eq!(
        r.json,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "the server rejected our request due to an error in our request",
            "reason": "Invalid",
            "details": {"causes": [{"reason": "UnexpectedServerResponse", "message": "testing value /data/a failed: test failed"}]},
            "code": 422})
    );
}

#[tokio::test]
async fn create_records_defaulted_fields() {
    let t = common::target().await;
    let ns = t.namespace("dflt").await;
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
        "spec": {"ports": [{"port": 80}]}});
    let r = t
        .call(
            "POST",
            &format!("/api/v1/namespaces/{ns}/services?fieldManager=kubectl-create"),
            None,
            Some(&svc),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let e = entry(&r.json, "kubectl-create", None).unwrap_or_else(|| panic!("{}", r.json));
    let spec = &e["fieldsV1"]["f:spec"];
    assert!(spec.get("f:type").is_some(), "defaulted type owned: {e}");
    assert!(spec.get("f:sessionAffinity").is_some(), "{e}");
}

#[tokio::test]
async fn create_does_not_record_fields_the_server_sets_after_defaulting() {
    let t = common::target().await;
    let ns = t.namespace("prep").await;
    let r = t
        .call(
            "POST",
            &format!("{}?fieldManager=kubectl-create", deps(&ns)),
            None,
            Some(&deployment("web", 1)),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let e = entry(&r.json, "kubectl-create", None).unwrap_or_else(|| panic!("{}", r.json));
    assert!(
        e["fieldsV1"].get("f:status").is_none(),
        "status is set after field tracking: {e}"
    );
    let r = t
        .call("POST", "/api/v1/namespaces?fieldManager=kubectl-create", None,
            Some(&json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("{ns}-x")}})))
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let e = entry(&r.json, "kubectl-create", None).unwrap_or_else(|| panic!("{}", r.json));
    assert_eq!(
        e["fieldsV1"],
        json!({"f:metadata": {"f:labels": {".": {}, "f:kubernetes.io/metadata.name": {}}}}),
        "the defaulted label is owned, spec.finalizers and status are not"
    );
}

#[tokio::test]
async fn apply_to_scale_conflicts_with_the_parent_replicas_owner() {
    let t = common::target().await;
    let ns = t.namespace("scaleconf").await;
    let r = t
        .call(
            "PATCH",
            &format!("{}/web?fieldManager=op", deps(&ns)),
            APPLY,
            Some(&deployment("web", 2)),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let scale = json!({"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "web"}, "spec": {"replicas": 3}});
    let r = t
        .call(
            "PATCH",
            &format!("{}/web/scale?fieldManager=hpa", deps(&ns)),
            APPLY,
            Some(&scale),
        )
        .await;
    assert_eq!(r.code, 409, "{}", r.text);
    assert_eq!(
        r.json["message"],
        "Apply failed with 1 conflict: conflict with \"op\": .spec.replicas"
    );
    let d = get(&t, &format!("{}/web", deps(&ns))).await;
    assert_eq!(d["spec"]["replicas"], 2);
}
