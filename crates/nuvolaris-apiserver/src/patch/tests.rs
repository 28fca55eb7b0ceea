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

//! Tests of the PATCH semantics, including replays of the real API server traces in
//! `testdata/` (copied from `k8s-api-traces`).

use super::*;
use rstest::rstest;
use serde_json::json;

const T0: &str = "2026-11-25T13:18:03Z";
const T1: &str = "2026-11-25T13:18:15Z";

fn trace(name: &str) -> Value {
    let path = format!("{}/src/patch/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("trace file")).expect("trace JSON")
}

fn req<'a>(
    patch_type: PatchType,
    body: &'a [u8],
    manager: &'a str,
    force: bool,
    now: &'a str,
) -> PatchRequest<'a> {
    PatchRequest {
        patch_type,
        body,
        field_manager: Some(manager),
        force,
        subresource: None,
        is_custom_resource: false,
        now,
    }
}

fn entry<'a>(obj: &'a Value, manager: &str) -> Option<&'a Value> {
    obj.pointer("/metadata/managedFields")?
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager)
}

fn deployment(replicas: i64, env: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "trace", "labels": {"app": "web"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "nginx", "image": "nginx", "env": env}]}}}})
}

fn apply_json(
    live: Option<&Value>,
    cfg: &Value,
    manager: &str,
    force: bool,
    now: &str,
) -> Result<Value, PatchError> {
    let body = serde_json::to_vec(cfg).unwrap();
    apply_patch(live, &req(PatchType::Apply, &body, manager, force, now))
}

#[rstest]
#[case("application/json-patch+json", Some(PatchType::Json))]
#[case("application/merge-patch+json", Some(PatchType::Merge))]
#[case(
    "application/strategic-merge-patch+json; charset=utf-8",
    Some(PatchType::Strategic)
)]
#[case("application/apply-patch+yaml", Some(PatchType::Apply))]
#[case("application/json", None)]
#[case("", None)]
fn content_types(#[case] ct: &str, #[case] want: Option<PatchType>) {
    assert_eq!(PatchType::from_content_type(ct), want);
}

// ---- replays of the real API server -------------------------------------------------------

#[test]
fn trace_ssa_create_records_the_same_managed_fields() {
    let cfg = trace("ssa-create-deployment.request.json");
    let want = trace("ssa-create-deployment.response.json");
    let got = apply_json(None, &cfg, "nuvolaris-operator", true, T0).unwrap();
    assert_eq!(
        got["metadata"]["managedFields"],
        want["metadata"]["managedFields"]
    );
    assert_eq!(
        got["spec"]["template"]["spec"]["containers"][0]["env"],
        cfg["spec"]["template"]["spec"]["containers"][0]["env"]
    );
}

#[test]
fn trace_ssa_update_removes_fields_no_longer_applied() {
    let live = trace("ssa-create-deployment.response.json");
    let cfg = trace("ssa-update-deployment.request.json");
    let want = trace("ssa-update-deployment.response.json");
    let got = apply_json(Some(&live), &cfg, "nuvolaris-operator", true, T0).unwrap();
    // defaults the server added (resources, dnsPolicy, ...) stay; env B and replicas follow the config
    assert_eq!(got["spec"], want["spec"]);
    assert_eq!(
        entry(&got, "nuvolaris-operator"),
        entry(&want, "nuvolaris-operator")
    );
}

#[test]
fn trace_ssa_same_apply_is_a_no_op() {
    let live = trace("ssa-noop.response.json");
    let cfg = trace("ssa-update-deployment.request.json");
    let got = apply_json(
        Some(&live),
        &cfg,
        "nuvolaris-operator",
        true,
        "2030-01-01T00:00:00Z",
    )
    .unwrap();
    assert_eq!(
        got, live,
        "identical apply must not change the object nor the managedFields time"
    );
}

#[test]
fn trace_ssa_conflict_without_force() {
    let live = trace("ssa-noop.response.json");
    let want = trace("ssa-conflict.response.json");
    let cfg = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "trace"}, "spec": {"replicas": 5}});
    let err = apply_json(Some(&live), &cfg, "someone-else", false, T1).unwrap_err();
    let PatchError::Conflict { causes, message } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(message, want["message"].as_str().unwrap());
    assert_eq!(
        serde_json::to_value(causes).unwrap(),
        want["details"]["causes"]
    );
    assert_eq!((err.code(), err.reason()), (409, "Conflict"));
}

#[test]
fn trace_update_patches_take_ownership() {
    // ssa-noop -> merge patch of a label by "test" -> JSON patch of replicas by "curl"
    let live = trace("ssa-noop.response.json");
    let body = br#"{"metadata":{"labels":{"x":"y"}}}"#;
    let mut labelled =
        apply_patch(Some(&live), &req(PatchType::Merge, body, "test", false, T1)).unwrap();
    record_update(Some(&live), &mut labelled, "test", None, T1);
    let body = br#"[{"op":"replace","path":"/spec/replicas","value":1}]"#;
    let mut scaled = apply_patch(
        Some(&labelled),
        &req(PatchType::Json, body, "curl", false, T1),
    )
    .unwrap();
    record_update(Some(&labelled), &mut scaled, "curl", None, T1);
    let want = trace("jsonpatch.response.json");
    assert_eq!(scaled["spec"], want["spec"]);
    assert_eq!(
        scaled["metadata"]["managedFields"],
        want["metadata"]["managedFields"]
    );

    // then a strategic merge patch adding env C, by curl again
    let body = br#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","env":[{"name":"C","value":"3"}]}]}}}}"#;
    let mut smp = apply_patch(
        Some(&want),
        &req(PatchType::Strategic, body, "curl", false, T1),
    )
    .unwrap();
    record_update(Some(&want), &mut smp, "curl", None, T1);
    let want = trace("smp.response.json");
    assert_eq!(smp["spec"], want["spec"]);
    assert_eq!(
        smp["metadata"]["managedFields"],
        want["metadata"]["managedFields"]
    );
}

// ---- server-side apply rules --------------------------------------------------------------

#[test]
fn apply_shares_ownership_when_values_agree() {
    let live = apply_json(
        None,
        &deployment(2, json!([{"name": "A", "value": "1"}])),
        "op",
        false,
        T0,
    )
    .unwrap();
    let other = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "trace"}, "spec": {"replicas": 2}});
    let got = apply_json(Some(&live), &other, "other", false, T1).unwrap();
    assert_eq!(
        entry(&got, "op").unwrap()["fieldsV1"]["f:spec"]["f:replicas"],
        json!({})
    );
    assert_eq!(
        entry(&got, "other").unwrap()["fieldsV1"],
        json!({"f:spec": {"f:replicas": {}}})
    );
    // when "op" stops applying replicas, "other" still owns it: the field stays
    let mut cfg = deployment(2, json!([{"name": "A", "value": "1"}]));
    cfg["spec"].as_object_mut().unwrap().remove("replicas");
    let got = apply_json(Some(&got), &cfg, "op", false, T1).unwrap();
    assert_eq!(got["spec"]["replicas"], 2);
}

#[test]
fn apply_force_takes_ownership() {
    let live = apply_json(None, &deployment(2, json!([])), "op", false, T0).unwrap();
    let other = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 7}});
    let got = apply_json(Some(&live), &other, "other", true, T1).unwrap();
    assert_eq!(got["spec"]["replicas"], 7);
    assert!(entry(&got, "op").unwrap()["fieldsV1"]["f:spec"]
        .get("f:replicas")
        .is_none());
    assert_eq!(entry(&got, "other").unwrap()["time"], T1);
    assert_eq!(
        entry(&got, "op").unwrap()["time"],
        T0,
        "op's entry time only changes when op changes the object"
    );
}

#[test]
fn update_then_apply_conflicts_with_update_manager() {
    // kubectl scale steals replicas from the applier; re-applying without force conflicts
    let live = apply_json(None, &deployment(2, json!([])), "op", false, T0).unwrap();
    let body = br#"{"spec":{"replicas":4}}"#;
    let mut scaled = apply_patch(
        Some(&live),
        &req(
            PatchType::Merge,
            body,
            "kubectl-client-side-apply",
            false,
            T1,
        ),
    )
    .unwrap();
    record_update(
        Some(&live),
        &mut scaled,
        "kubectl-client-side-apply",
        None,
        T1,
    );
    assert!(entry(&scaled, "op").unwrap()["fieldsV1"]["f:spec"]
        .get("f:replicas")
        .is_none());
    let err = apply_json(Some(&scaled), &deployment(2, json!([])), "op", false, T1).unwrap_err();
    let PatchError::Conflict { causes, message } = err else {
        panic!()
    };
    assert_eq!(
        message,
        r#"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas"#
    );
    assert_eq!(
        causes[0].message,
        r#"conflict with "kubectl-client-side-apply" using apps/v1"#
    );
    assert_eq!(causes[0].field, ".spec.replicas");
}

#[test]
fn several_conflicts_are_listed_by_manager() {
    let live = apply_json(
        None,
        &deployment(2, json!([{"name": "A", "value": "1"}])),
        "op",
        false,
        T0,
    )
    .unwrap();
    let other = deployment(3, json!([{"name": "A", "value": "2"}]));
    let PatchError::Conflict { causes, message } =
        apply_json(Some(&live), &other, "other", false, T1).unwrap_err()
    else {
        panic!()
    };
    assert_eq!(causes.len(), 2);
    assert_eq!(
        message,
        "Apply failed with 2 conflicts: conflicts with \"op\":\n- .spec.replicas\n- .spec.template.spec.containers[name=\"nginx\"].env[name=\"A\"].value"
    );
}

#[rstest]
// SMD list merge: shared items take the applied order, live-only items keep their place
#[case::append(json!(["a", "b"]), json!(["a", "b", "c"]), json!(["a", "b", "c"]))]
#[case::insert_in_place(json!(["a", "c"]), json!(["a", "b", "c"]), json!(["a", "b", "c"]))]
#[case::live_only_kept(json!(["a", "x", "b"]), json!(["a", "b"]), json!(["a", "x", "b"]))]
#[case::reordered(json!(["a", "b", "c"]), json!(["c", "a"]), json!(["b", "c", "a"]))]
fn apply_merges_list_maps_in_smd_order(
    #[case] live: Value,
    #[case] cfg: Value,
    #[case] want: Value,
) {
    let env = |names: &Value| {
        Value::Array(
            names
                .as_array()
                .unwrap()
                .iter()
                .map(|n| json!({"name": n}))
                .collect(),
        )
    };
    // live-only items belong to another manager so that they are not pruned
    let base = apply_json(None, &deployment(1, env(&live)), "other", false, T0).unwrap();
    let got = apply_json(Some(&base), &deployment(1, env(&cfg)), "op", true, T1).unwrap();
    assert_eq!(
        got["spec"]["template"]["spec"]["containers"][0]["env"],
        env(&want)
    );
}

#[test]
fn apply_prunes_only_its_own_previous_fields() {
    let cfg1 = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1", "b": "2"}}, "data": {"k1": "v", "k2": "v"}});
    let live = apply_json(None, &cfg1, "op", false, T0).unwrap();
    // another writer adds data.k3
    let body = br#"{"data":{"k3":"v"}}"#;
    let mut live2 = apply_patch(
        Some(&live),
        &req(PatchType::Merge, body, "editor", false, T1),
    )
    .unwrap();
    record_update(Some(&live), &mut live2, "editor", None, T1);
    let cfg2 = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1"}}, "data": {"k1": "v"}});
    let got = apply_json(Some(&live2), &cfg2, "op", false, T1).unwrap();
    assert_eq!(got["data"], json!({"k1": "v", "k3": "v"}));
    assert_eq!(got["metadata"]["labels"], json!({"a": "1"}));
}

#[test]
fn apply_sets_and_atomic_lists() {
    let cfg = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "finalizers": ["a", "b"]},
        "spec": {"template": {"spec": {"containers": [{"name": "c", "args": ["x", "y"], "ports": [{"containerPort": 80}]}]}}}});
    let got = apply_json(None, &cfg, "op", false, T0).unwrap();
    let f = &entry(&got, "op").unwrap()["fieldsV1"];
    assert_eq!(
        f["f:metadata"]["f:finalizers"],
        json!({"v:\"a\"": {}, "v:\"b\"": {}})
    );
    let c = &f["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"c\"}"];
    assert_eq!(c["f:args"], json!({}), "args is atomic");
    assert_eq!(
        c["f:ports"]["k:{\"containerPort\":80,\"protocol\":\"TCP\"}"],
        json!({".": {}, "f:containerPort": {}})
    );
}

#[test]
fn custom_resources_merge_maps_and_replace_lists() {
    let cr = json!({"apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": "s"}, "spec": {"count": 1, "tags": ["a"], "nested": {"x": 1}}});
    let live = apply_json(None, &cr, "op", false, T0).unwrap();
    let other = json!({"apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": "s"}, "spec": {"nested": {"y": 2}}});
    let got = apply_json(Some(&live), &other, "other", false, T1).unwrap();
    assert_eq!(got["spec"]["nested"], json!({"x": 1, "y": 2}));
    let f = &entry(&got, "op").unwrap()["fieldsV1"];
    assert_eq!(f["f:spec"]["f:tags"], json!({}));
    let mut created = cr.clone();
    record_update(None, &mut created, "kubectl-create", None, T0);
    let f = &entry(&created, "kubectl-create").unwrap()["fieldsV1"];
    assert_eq!(
        f["f:spec"]["."],
        json!({}),
        "custom resources record added maps with '.'"
    );
}

// ---- Update operations --------------------------------------------------------------------

#[test]
fn create_records_fields_like_the_api_server() {
    let mut obj = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "n", "uid": "u", "labels": {"app": "x"}},
        "spec": {"replicas": 1, "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
            "template": {"spec": {"containers": [{"name": "c", "image": "i", "env": [{"name": "A", "value": "1"}], "resources": {}}]}}}});
    record_update(None, &mut obj, "kubectl-create", None, T0);
    let e = entry(&obj, "kubectl-create").unwrap();
    assert_eq!(e["operation"], "Update");
    assert_eq!(e["time"], T0);
    assert_eq!(
        e["fieldsV1"],
        json!({"f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {"f:replicas": {}, "f:strategy": {"f:rollingUpdate": {".": {}, "f:maxSurge": {}}, "f:type": {}},
                "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"c\"}": {".": {},
                    "f:env": {".": {}, "k:{\"name\":\"A\"}": {".": {}, "f:name": {}, "f:value": {}}},
                    "f:image": {}, "f:name": {}, "f:resources": {}}}}}}})
    );
}

#[test]
fn update_without_change_keeps_entries_and_time() {
    let mut obj = deployment(1, json!([]));
    record_update(None, &mut obj, "m", None, T0);
    let mut same = obj.clone();
    record_update(Some(&obj), &mut same, "m", None, T1);
    assert_eq!(same, obj);
    let mut same2 = obj.clone();
    record_update(Some(&obj), &mut same2, "n", None, T1);
    assert!(
        entry(&same2, "n").is_none(),
        "a manager that changes nothing gets no entry"
    );
}

#[test]
fn status_subresource_updates_are_recorded_separately() {
    let mut obj = deployment(1, json!([]));
    record_update(None, &mut obj, "m", None, T0);
    let mut st = obj.clone();
    st["status"] = json!({"replicas": 1});
    record_update(Some(&obj), &mut st, "m", Some("status"), T1);
    let entries = st["metadata"]["managedFields"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["subresource"], "status");
    // status is always present in typed objects: only its content is recorded
    assert_eq!(
        entries[1]["fieldsV1"],
        json!({"f:status": {"f:replicas": {}}})
    );
}

// ---- other patch types and errors ---------------------------------------------------------

#[rstest]
#[case::json_patch_test_fails(
    PatchType::Json,
    r#"[{"op":"test","path":"/spec/replicas","value":9}]"#,
    422
)]
#[case::json_patch_missing_path(PatchType::Json, r#"[{"op":"remove","path":"/spec/nope"}]"#, 422)]
#[case::json_patch_not_a_patch(PatchType::Json, r#"{"op":"add"}"#, 400)]
#[case::merge_not_json(PatchType::Merge, "{nope", 400)]
#[case::smp_bad_directive(PatchType::Strategic, r#"{"spec":{"$patch":"frobnicate"}}"#, 400)]
#[case::apply_without_kind(
    PatchType::Apply,
    r#"{"apiVersion":"apps/v1","metadata":{"name":"web"}}"#,
    400
)]
#[case::apply_with_managed_fields(PatchType::Apply, r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","managedFields":[{}]}}"#, 400)]
#[case::apply_other_kind(
    PatchType::Apply,
    r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"web"}}"#,
    400
)]
#[case::apply_not_yaml(PatchType::Apply, "a: [", 400)]
fn patch_errors(#[case] t: PatchType, #[case] body: &str, #[case] code: u16) {
    let live = trace("ssa-noop.response.json");
    let err = apply_patch(Some(&live), &req(t, body.as_bytes(), "m", false, T1)).unwrap_err();
    assert_eq!(err.code(), code, "{err}");
}

#[test]
fn strategic_merge_on_custom_resources_is_unsupported() {
    let cr = json!({"apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": "s"}});
    let mut r = req(PatchType::Strategic, b"{}", "m", false, T1);
    r.is_custom_resource = true;
    let err = apply_patch(Some(&cr), &r).unwrap_err();
    assert_eq!(err, PatchError::Unsupported(SMP_UNSUPPORTED.into()));
    assert_eq!(err.code(), 415);
}

#[rstest]
#[case::no_field_manager(None, false, PatchType::Apply)]
#[case::force_on_merge(Some("m"), true, PatchType::Merge)]
fn request_errors(#[case] manager: Option<&str>, #[case] force: bool, #[case] t: PatchType) {
    let live = trace("ssa-noop.response.json");
    let mut r = req(t, b"{}", "m", force, T1);
    r.field_manager = manager;
    assert_eq!(apply_patch(Some(&live), &r).unwrap_err().code(), 400);
}

#[test]
fn only_apply_creates() {
    assert_eq!(
        apply_patch(None, &req(PatchType::Merge, b"{}", "m", false, T1))
            .unwrap_err()
            .code(),
        400
    );
    let yaml = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n";
    let got = apply_patch(None, &req(PatchType::Apply, yaml, "m", false, T1)).unwrap();
    assert_eq!(got["data"], json!({"k": "v"}));
    assert_eq!(
        entry(&got, "m").unwrap()["fieldsV1"],
        json!({"f:data": {"f:k": {}}})
    );
}

#[test]
fn merge_patch_null_deletes() {
    let live = trace("ssa-noop.response.json");
    let body = br#"{"metadata":{"labels":{"app":null}},"spec":{"replicas":9}}"#;
    let got = apply_patch(Some(&live), &req(PatchType::Merge, body, "m", false, T1)).unwrap();
    assert!(got["metadata"]
        .get("labels")
        .is_some_and(|l| l.get("app").is_none()));
    assert_eq!(got["spec"]["replicas"], 9);
}

#[test]
fn reset_fields_are_neither_applied_nor_owned() {
    let live = json!({"apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": "s"}, "spec": {"count": 1}, "status": {"ready": false}});
    let cfg = br#"{"apiVersion":"nuvolaris.org/v1","kind":"Sample","metadata":{"name":"s"},"spec":{"count":2},"status":{"ready":true}}"#;
    // the live object has no managedFields: its fields belong to "before-first-apply", so force
    let r = PatchRequest {
        is_custom_resource: true,
        ..req(PatchType::Apply, cfg, "op", true, T1)
    };
    let got = apply_patch_with_reset(Some(&live), &r, &[&["status"]]).unwrap();
    assert_eq!(got["spec"]["count"], 2);
    assert_eq!(got["status"], json!({"ready": false}));
    assert_eq!(
        entry(&got, "op").unwrap()["fieldsV1"],
        json!({"f:spec": {"f:count": {}}})
    );
    let bfa = entry(&got, "before-first-apply").unwrap();
    assert_eq!(bfa["fieldsV1"]["f:status"], json!({".": {}, "f:ready": {}}));
    // without the reset, status is applied and owned
    let got = apply_patch(Some(&live), &r).unwrap();
    assert_eq!(got["status"], json!({"ready": true}));
}

#[test]
fn status_bodies_match_the_real_server() {
    let live = trace("ssa-noop.response.json");
    let cfg = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "trace"}, "spec": {"replicas": 5}});
    let err = apply_json(Some(&live), &cfg, "someone-else", false, T1).unwrap_err();
    assert_eq!(err.to_status(), trace("ssa-conflict.response.json"));
    let body = br#"[{"op":"test","path":"/spec/replicas","value":9}]"#;
    let err = apply_patch(Some(&live), &req(PatchType::Json, body, "m", false, T1)).unwrap_err();
    assert_eq!(
        err.to_status(),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "the server rejected our request due to an error in our request", "reason": "Invalid",
            "details": {"causes": [{"reason": "UnexpectedServerResponse", "message": "testing value /spec/replicas failed: test failed"}]},
            "code": 422})
    );
    let err = PatchError::Unsupported(SMP_UNSUPPORTED.into()).to_status();
    assert_eq!(
        (err["code"].clone(), err["reason"].clone()),
        (json!(415), json!("UnsupportedMediaType"))
    );
}

// ---- robustness: arbitrary inputs never panic ---------------------------------------------

fn random_value(rng: &mut rand::rngs::StdRng, depth: u32) -> Value {
    use rand::Rng;
    const KEYS: &[&str] = &[
        "apiVersion",
        "kind",
        "metadata",
        "spec",
        "status",
        "name",
        "containers",
        "env",
        "ports",
        "containerPort",
        "protocol",
        "finalizers",
        "labels",
        "managedFields",
        "template",
        "$patch",
        "$retainKeys",
        "$setElementOrder/containers",
        "$deleteFromPrimitiveList/finalizers",
        "value",
    ];
    let pick = if depth == 0 {
        rng.random_range(0..4)
    } else {
        rng.random_range(0..7)
    };
    match pick {
        0 => Value::Null,
        1 => json!(rng.random_range(-3..100)),
        2 => json!(
            [
                "replace",
                "delete",
                "merge",
                "TCP",
                "apps/v1",
                "Deployment",
                "x"
            ][rng.random_range(0..7)]
        ),
        3 => json!(rng.random_bool(0.5)),
        4 | 5 => {
            let mut m = serde_json::Map::new();
            for _ in 0..rng.random_range(0..5) {
                m.insert(
                    KEYS[rng.random_range(0..KEYS.len())].to_string(),
                    random_value(rng, depth - 1),
                );
            }
            Value::Object(m)
        }
        _ => Value::Array(
            (0..rng.random_range(0..4))
                .map(|_| random_value(rng, depth - 1))
                .collect(),
        ),
    }
}

#[test]
fn arbitrary_patches_never_panic() {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let live = trace("ssa-noop.response.json");
    let types = [
        PatchType::Json,
        PatchType::Merge,
        PatchType::Strategic,
        PatchType::Apply,
    ];
    let mut outcomes = [0usize; 2];
    for i in 0..3000 {
        let mut body = random_value(&mut rng, 5);
        if i % 3 == 0 {
            // mostly-valid shapes reach deeper code paths
            if let Value::Object(m) = &mut body {
                m.insert("apiVersion".into(), json!("apps/v1"));
                m.insert("kind".into(), json!("Deployment"));
            }
        }
        let bytes = serde_json::to_vec(&body).unwrap();
        let t = types[i % types.len()];
        let target = if i % 5 == 0 { None } else { Some(&live) };
        let res = apply_patch(
            target,
            &req(t, &bytes, "fuzz", i % 2 == 0 && t == PatchType::Apply, T1),
        );
        outcomes[usize::from(res.is_ok())] += 1;
        if let Ok(mut v) = res {
            record_update(target, &mut v, "fuzz2", None, T1);
        }
    }
    // both outcomes are exercised
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}
