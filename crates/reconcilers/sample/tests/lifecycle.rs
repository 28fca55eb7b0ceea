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

//! Issue 2, acceptance 2: the Sample lifecycle over HTTP against the embedded API server,
//! with the Sample controller running in-process (the same code the binary runs).

mod common;

use common::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::{CustomResourceExt, ResourceExt};
use nuvolaris_api::sample::Sample;
use serde_json::json;

const PART_OF: &str = "applyset.kubernetes.io/part-of";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_scale_drift_delete() {
    let env = start(true).await;
    install_sample_crd(&env).await;
    let op = run_operator(&env);
    let sams = samples(&env);
    let deps = deployments(&env);

    // create obj with count 2 -> obj-demo-deploy with 2 replicas, ownerReference and labels
    let created = sams
        .create(&PostParams::default(), &sample("obj", 2))
        .await
        .unwrap();
    let d = wait_for("obj-demo-deploy", || async {
        deps.get_opt("obj-demo-deploy").await.unwrap()
    })
    .await;
    assert_eq!(d.spec.as_ref().unwrap().replicas, Some(2));
    let oref = &d.owner_references()[0];
    assert_eq!(
        (oref.kind.as_str(), oref.name.as_str(), oref.controller),
        ("Sample", "obj", Some(true))
    );
    assert_eq!(Some(&oref.uid), created.metadata.uid.as_ref());
    let labels = d.labels();
    assert_eq!(labels["app.kubernetes.io/instance"], "obj");
    assert_eq!(labels["app.kubernetes.io/managed-by"], "nuvolaris-operator");
    assert!(labels[PART_OF].starts_with("applyset-"));
    let sel = d
        .spec
        .as_ref()
        .unwrap()
        .selector
        .match_labels
        .clone()
        .unwrap();
    assert_eq!(sel["app.kubernetes.io/instance"], "obj");
    let managers: Vec<String> = d
        .managed_fields()
        .iter()
        .filter_map(|m| m.manager.clone())
        .collect();
    assert!(
        managers.contains(&"nuvolaris-operator".to_string()),
        "{managers:?}"
    );

    // status: message, observedGeneration, replicas from the Deployment, Ready once the simulator reports
    let s = wait_for("obj Ready", || async {
        let s = sams.get("obj").await.unwrap();
        (condition(&s, "Ready") == Some(("True".into(), "Available".into()))).then_some(s)
    })
    .await;
    let st = s.status.clone().unwrap();
    assert_eq!(st.observed_generation, s.metadata.generation);
    assert_eq!(
        st.sample_create.unwrap().message,
        "deployment.apps/obj-demo-deploy created"
    );
    assert_eq!((st.replicas, st.ready_replicas), (Some(2), Some(2)));
    assert_eq!(
        condition(&s, "Degraded"),
        Some(("False".into(), "AsExpected".into()))
    );
    assert!(s
        .finalizers()
        .contains(&"nuvolaris.org/finalizer".to_string()));

    // count 2 -> 5 follows
    sams.patch(
        "obj",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"count": 5}})),
    )
    .await
    .unwrap();
    wait_for("replicas 5", || async {
        (deps
            .get("obj-demo-deploy")
            .await
            .unwrap()
            .spec
            .unwrap()
            .replicas
            == Some(5))
        .then_some(())
    })
    .await;
    let s = wait_for("status follows count 5", || async {
        let s = sams.get("obj").await.unwrap();
        let st = s.status.clone()?;
        (st.ready_replicas == Some(5) && st.observed_generation == s.metadata.generation)
            .then_some(s)
    })
    .await;
    assert_eq!(
        s.status.unwrap().sample_create.unwrap().message,
        "deployment.apps/obj-demo-deploy configured"
    );

    // a manual scale to 7 (another field manager) is reverted
    deps.patch(
        "obj-demo-deploy",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"replicas": 7}})),
    )
    .await
    .unwrap();
    wait_for("drift repaired to 5", || async {
        (deps
            .get("obj-demo-deploy")
            .await
            .unwrap()
            .spec
            .unwrap()
            .replicas
            == Some(5))
        .then_some(())
    })
    .await;
    // a manual image change is reverted too
    deps.patch(
        "obj-demo-deploy",
        &PatchParams::default(),
        &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "evil"}]}}}})),
    )
    .await
    .unwrap();
    wait_for("image repaired", || async {
        let d = deps.get("obj-demo-deploy").await.unwrap();
        (d.spec.unwrap().template.spec.unwrap().containers[0]
            .image
            .as_deref()
            == Some("nginx"))
        .then_some(())
    })
    .await;

    // delete removes the Deployment, then the Sample
    sams.delete("obj", &DeleteParams::default()).await.unwrap();
    wait_for("Sample gone", || async {
        sams.get_opt("obj").await.unwrap().is_none().then_some(())
    })
    .await;
    assert!(
        deps.get_opt("obj-demo-deploy").await.unwrap().is_none(),
        "Deployment must be gone before the Sample"
    );
    wait_event(&env, "obj", "Normal", "Applied").await;
    wait_event(&env, "obj", "Normal", "Deleted").await;
    assert!(op.health.ready().is_ok(), "{:?}", op.health.ready());
    op.stop().await;
    env.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unchanged_sample_makes_no_write() {
    let env = start(true).await;
    install_sample_crd(&env).await;
    let op = run_operator(&env);
    let sams = samples(&env);
    let deps = deployments(&env);
    sams.create(&PostParams::default(), &sample("still", 1))
        .await
        .unwrap();
    wait_for("still Ready", || async {
        let s = sams.get("still").await.unwrap();
        (condition(&s, "Ready").map(|c| c.0) == Some("True".into())).then_some(())
    })
    .await;
    // the baseline once the Deployment is Ready and no reconcile is in flight
    wait_for("still-demo-deploy ready", || async {
        let d = deps.get("still-demo-deploy").await.ok()?;
        (d.status?.ready_replicas == Some(1)).then_some(())
    })
    .await;
    wait_reconciled_after(&op, 0.0).await;
    let dep_rv = deps
        .get("still-demo-deploy")
        .await
        .unwrap()
        .resource_version();
    let writes = op.metrics.status_writes("sample");
    let unchanged = op
        .metrics
        .applied_count("sample", "Deployment", "unchanged");
    let (reconciled, _) = reconciles(&op);
    // trigger a reconcile without changing the spec: a metadata-only change of the Sample
    let touched = sams
        .patch(
            "still",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"annotations": {"touch": "1"}}})),
        )
        .await
        .unwrap();
    wait_for("the reconcile ran", || async {
        (op.metrics
            .applied_count("sample", "Deployment", "unchanged")
            > unchanged)
            .then_some(())
    })
    .await;
    // that reconcile has finished: whatever it wrote has landed
    wait_reconciled_after(&op, reconciled).await;
    assert_eq!(
        deps.get("still-demo-deploy")
            .await
            .unwrap()
            .resource_version(),
        dep_rv,
        "Deployment was written"
    );
    assert_eq!(
        sams.get("still").await.unwrap().resource_version(),
        touched.resource_version(),
        "Sample was written"
    );
    assert_eq!(
        op.metrics.status_writes("sample"),
        writes,
        "status was written"
    );
    op.stop().await;
    env.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_after_operator_was_down() {
    let env = start(false).await;
    install_sample_crd(&env).await;
    let op = run_operator(&env);
    let sams = samples(&env);
    let deps = deployments(&env);
    sams.create(&PostParams::default(), &sample("gone", 3))
        .await
        .unwrap();
    wait_for("gone-demo-deploy", || async {
        deps.get_opt("gone-demo-deploy").await.unwrap()
    })
    .await;
    wait_for("finalizer", || async {
        sams.get("gone")
            .await
            .unwrap()
            .finalizers()
            .iter()
            .any(|f| f == "nuvolaris.org/finalizer")
            .then_some(())
    })
    .await;
    op.stop().await;
    sams.delete("gone", &DeleteParams::default()).await.unwrap();
    // the operator is stopped: nothing can remove the finalizer until it runs again
    let held = sams.get("gone").await.unwrap();
    assert!(
        held.metadata.deletion_timestamp.is_some(),
        "the finalizer holds the Sample while the operator is down"
    );
    let op = run_operator(&env);
    wait_for("Sample gone after restart", || async {
        sams.get_opt("gone").await.unwrap().is_none().then_some(())
    })
    .await;
    assert!(deps.get_opt("gone-demo-deploy").await.unwrap().is_none());
    op.stop().await;
    env.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflict_with_a_foreign_deployment() {
    let env = start(false).await;
    install_sample_crd(&env).await;
    let deps = deployments(&env);
    // a Deployment of the same name controlled by something else (a ConfigMap, so GC keeps it)
    let cms: kube::Api<ConfigMap> = kube::Api::namespaced(env.client.clone(), "demo");
    let owner = cms
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "other"}})).unwrap(),
        )
        .await
        .unwrap();
    let foreign: Deployment = serde_json::from_value(json!({
        "metadata": {"name": "c-demo-deploy", "namespace": "demo",
            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "other", "uid": owner.uid().unwrap(), "controller": true}]},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"x": "y"}},
                 "template": {"metadata": {"labels": {"x": "y"}}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}
    }))
    .unwrap();
    let before = deps.create(&PostParams::default(), &foreign).await.unwrap();
    let op = run_operator(&env);
    let sams = samples(&env);
    sams.create(&PostParams::default(), &sample("c", 4))
        .await
        .unwrap();
    let s = wait_for("Conflict condition", || async {
        let s = sams.get("c").await.unwrap();
        (condition(&s, "Ready") == Some(("False".into(), "Conflict".into()))).then_some(s)
    })
    .await;
    assert!(s
        .status
        .unwrap()
        .sample_create
        .unwrap()
        .message
        .contains("controlled by ConfigMap/other"));
    wait_event(&env, "c", "Warning", "Conflict").await;
    let after = deps.get("c-demo-deploy").await.unwrap();
    assert_eq!(
        after.resource_version(),
        before.resource_version(),
        "no write to the foreign Deployment"
    );
    assert_eq!(after.spec.unwrap().replicas, Some(1));
    op.stop().await;
    env.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_spec_through_a_schemaless_crd() {
    let env = start(false).await;
    // the training's CRD: no schema for spec, so the server accepts anything
    let mut crd = Sample::crd();
    let v = &mut crd.spec.versions[0];
    v.schema = Some(
        serde_json::from_value(json!({"openAPIV3Schema": {"type": "object", "properties": {
            "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}))
        .unwrap(),
    );
    install_crd(&env, crd).await;
    let op = run_operator(&env);
    let dynapi: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
        env.client.clone(),
        "demo",
        &kube::core::ApiResource::erase::<Sample>(&()),
    );
    for (name, spec) in [
        ("bad-type", json!({"count": "two"})),
        ("bad-range", json!({"count": 5000})),
        ("no-count", json!({})),
    ] {
        let obj: kube::api::DynamicObject = serde_json::from_value(json!({
            "apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": name, "namespace": "demo"}, "spec": spec}))
        .unwrap();
        dynapi.create(&PostParams::default(), &obj).await.unwrap();
    }
    // a valid one next to them still works: nothing else is disturbed
    let sams = samples(&env);
    sams.create(&PostParams::default(), &sample("good", 1))
        .await
        .unwrap();
    for name in ["bad-type", "bad-range", "no-count"] {
        let st = wait_for("InvalidSpec condition", || async {
            let o = dynapi.get(name).await.unwrap();
            let conds = o.data.pointer("/status/conditions")?.as_array()?.clone();
            conds
                .into_iter()
                .find(|c| c["type"] == "Ready" && c["reason"] == "InvalidSpec")
        })
        .await;
        assert_eq!(st["status"], "False");
        assert!(
            st["message"].as_str().unwrap().starts_with("invalid spec:"),
            "{st}"
        );
        wait_event(&env, name, "Warning", "InvalidSpec").await;
        assert!(
            deployments(&env)
                .get_opt(&format!("{name}-demo-deploy"))
                .await
                .unwrap()
                .is_none(),
            "no child for {name}"
        );
    }
    wait_for("good-demo-deploy", || async {
        deployments(&env).get_opt("good-demo-deploy").await.unwrap()
    })
    .await;
    // deleting an invalid Sample still releases it
    dynapi
        .delete("bad-type", &DeleteParams::default())
        .await
        .unwrap();
    wait_for("bad-type gone", || async {
        dynapi
            .get_opt("bad-type")
            .await
            .unwrap()
            .is_none()
            .then_some(())
    })
    .await;
    op.stop().await;
    env.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prunes_only_its_own_inventory() {
    let env = start(false).await;
    install_sample_crd(&env).await;
    let op = run_operator(&env);
    let sams = samples(&env);
    let deps = deployments(&env);
    let s = sams
        .create(&PostParams::default(), &sample("inv", 1))
        .await
        .unwrap();
    let d = wait_for("inv-demo-deploy", || async {
        deps.get_opt("inv-demo-deploy").await.unwrap()
    })
    .await;
    let part_of = d.labels()[PART_OF].clone();
    op.stop().await;
    let cms: kube::Api<ConfigMap> = kube::Api::namespaced(env.client.clone(), "demo");
    let other = cms
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "other"}})).unwrap(),
        )
        .await
        .unwrap();
    let mk = |name: &str, kind: &str, owner: &str, uid: &str| -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "demo",
                "labels": {PART_OF: part_of, "app.kubernetes.io/managed-by": "nuvolaris-operator"},
                "ownerReferences": [{"apiVersion": if kind == "Sample" { "nuvolaris.org/v1" } else { "v1" }, "kind": kind, "name": owner, "uid": uid}]},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"x": "y"}},
                     "template": {"metadata": {"labels": {"x": "y"}}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}
        }))
        .unwrap()
    };
    // while the operator is down: a leftover of an earlier render of this Sample (pruned) and an
    // object carrying the same inventory label but owned by someone else (kept)
    deps.create(
        &PostParams::default(),
        &mk("inv-old", "Sample", "inv", &s.uid().unwrap()),
    )
    .await
    .unwrap();
    deps.create(
        &PostParams::default(),
        &mk("inv-foreign", "ConfigMap", "other", &other.uid().unwrap()),
    )
    .await
    .unwrap();
    let op = run_operator(&env);
    wait_for("inv-old pruned", || async {
        deps.get_opt("inv-old")
            .await
            .unwrap()
            .is_none()
            .then_some(())
    })
    .await;
    wait_event(&env, "inv", "Normal", "Pruned").await;
    assert!(deps.get_opt("inv-demo-deploy").await.unwrap().is_some());
    assert!(
        deps.get_opt("inv-foreign").await.unwrap().is_some(),
        "an object of another owner was pruned"
    );
    op.stop().await;
    env.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_crd_is_reported_by_name() {
    let env = start(false).await;
    let op = run_operator(&env);
    let why = wait_for("startup check result", || async {
        match op.health.ready() {
            Err(e) if e.contains("samples.nuvolaris.org") => Some(e),
            _ => None,
        }
    })
    .await;
    assert!(why.contains("not installed"), "{why}");
    // installing the CRD later recovers without a restart
    install_sample_crd(&env).await;
    wait_for("ready after CRD install", || async {
        op.health.ready().ok()
    })
    .await;
    op.stop().await;
    env.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn render_output_is_what_the_reconciler_applies() {
    let env = start(false).await;
    install_sample_crd(&env).await;
    let op = run_operator(&env);
    let sams = samples(&env);
    let deps = deployments(&env);
    let mut s = sample("rend", 4);
    s.spec.image = "nginx:1.27".into();
    let created = sams.create(&PostParams::default(), &s).await.unwrap();
    let live = wait_for("rend-demo-deploy", || async {
        deps.get_opt("rend-demo-deploy").await.unwrap()
    })
    .await;
    let live = serde_json::to_value(&live).unwrap();
    // offline render of the same resource (as `nuvolaris-operator render -f` prints it)
    let rendered = nuvolaris_runtime::register(nuvolaris_reconciler_sample::SampleReconciler)
        .render(&serde_json::to_value(&s).unwrap())
        .unwrap();
    assert_eq!(rendered.len(), 1);
    let mut want = rendered[0].clone();
    // the API server stores quantities in canonical form (the base's `cpu: 1000m` reads back
    // as "1"), as a real kube-apiserver does
    nuvolaris_apiserver::quantity::canonicalize_object("apps", "deployments", &mut want);
    assert_ne!(
        want, rendered[0],
        "the render carries a non-canonical quantity"
    );
    assert!(
        nuvolaris_runtime::applier::contains(&live, &want),
        "live lacks rendered fields:\nlive {live:#}\nrendered {want:#}"
    );
    // the only addition the live apply makes is the controller ownerReference
    want["metadata"]["ownerReferences"] = json!([{"apiVersion": "nuvolaris.org/v1", "kind": "Sample", "name": "rend",
        "uid": created.uid().unwrap(), "controller": true}]);
    assert!(nuvolaris_runtime::applier::contains(&live, &want));
    assert_eq!(
        live["metadata"]["ownerReferences"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    op.stop().await;
    env.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_crd_rejects_invalid_samples_at_admission() {
    let env = start(false).await;
    install_sample_crd(&env).await;
    let dynapi: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
        env.client.clone(),
        "demo",
        &kube::core::ApiResource::erase::<Sample>(&()),
    );
    for (name, spec) in [
        ("neg", json!({"count": -1})),
        ("huge", json!({"count": 1001})),
        ("text", json!({"count": "two"})),
        ("none", json!({"image": "nginx"})),
    ] {
        let obj: kube::api::DynamicObject = serde_json::from_value(json!({
            "apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": name, "namespace": "demo"}, "spec": spec}))
        .unwrap();
        match dynapi.create(&PostParams::default(), &obj).await {
            Err(kube::Error::Api(s)) => assert_eq!(s.code, 422, "{name}: {s:?}"),
            other => panic!("{name}: expected 422, got {other:?}"),
        }
    }
    // the default image is filled in by the schema default
    let ok: kube::api::DynamicObject = serde_json::from_value(json!({
        "apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": "ok", "namespace": "demo"}, "spec": {"count": 0}}))
    .unwrap();
    dynapi.create(&PostParams::default(), &ok).await.unwrap();
    env.server.shutdown().await;
}
