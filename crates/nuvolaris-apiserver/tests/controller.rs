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

//! A kube-runtime `Controller` against the embedded server, the way the operator uses it:
//! a custom resource with a finalizer, an owned ConfigMap applied with server-side apply,
//! status through `/status`, drift repair through the `owns` watch, and deletion with
//! garbage collection of the child.

mod common;

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::core::{DynamicObject, GroupVersionKind};
use kube::discovery::ApiResource;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::{conditions, wait::await_condition, watcher};
use kube::{Resource, ResourceExt};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const FINALIZER: &str = "test.nuvolaris.org/cleanup";

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct ReconcileError(#[from] kube::Error);

struct Ctx {
    ar: ApiResource,
    client: kube::Client,
}

async fn reconcile(w: Arc<DynamicObject>, ctx: Arc<Ctx>) -> Result<Action, ReconcileError> {
    let name = w.name_any();
    let ns = w.namespace().unwrap_or_default();
    let widgets: Api<DynamicObject> = Api::namespaced_with(ctx.client.clone(), &ns, &ctx.ar);
    if w.meta().deletion_timestamp.is_some() {
        widgets
            .patch(
                &name,
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"finalizers": null}})),
            )
            .await?;
        return Ok(Action::await_change());
    }
    if !w.finalizers().iter().any(|f| f == FINALIZER) {
        widgets
            .patch(
                &name,
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"finalizers": [FINALIZER]}})),
            )
            .await?;
    }
    let count = w.data["spec"]["count"].clone();
    let cms: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &ns);
    let owner = json!({"apiVersion": "example.org/v1", "kind": "Widget", "name": name, "uid": w.uid().unwrap_or_default(),
        "controller": true, "blockOwnerDeletion": true});
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": format!("{name}-cfg"), "ownerReferences": [owner]}, "data": {"count": count.to_string()}});
    cms.patch(
        &format!("{name}-cfg"),
        &PatchParams::apply("test-operator").force(),
        &Patch::Apply(cm),
    )
    .await?;
    widgets
        .patch_status(
            &name,
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"ready": true}})),
        )
        .await?;
    Ok(Action::requeue(Duration::from_secs(300)))
}

#[tokio::test]
async fn controller_finalizer_ssa_status_gc() {
    let t = common::target().await;
    if !t.embedded() {
        return; // installs a cluster-wide CRD: only on the embedded server
    }
    let crds: Api<CustomResourceDefinition> = Api::all(t.client.clone());
    let crd: CustomResourceDefinition =
        serde_json::from_value(common::trace("crd-typed.json")).unwrap();
    crds.create(&PostParams::default(), &crd).await.unwrap();
    tokio::time::timeout(
        Duration::from_secs(10),
        await_condition(
            crds,
            "widgets.example.org",
            conditions::is_crd_established(),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    let ns = t.namespace("ctl").await;
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("example.org", "v1", "Widget"),
        "widgets",
    );
    let widgets: Api<DynamicObject> = Api::namespaced_with(t.client.clone(), &ns, &ar);
    let cms: Api<ConfigMap> = Api::namespaced(t.client.clone(), &ns);
    let ctx = Arc::new(Ctx {
        ar: ar.clone(),
        client: t.client.clone(),
    });
    let controller = Controller::new_with(widgets.clone(), watcher::Config::default(), ar.clone())
        .owns(cms.clone(), watcher::Config::default())
        .run(
            reconcile,
            |_, _: &ReconcileError, _| Action::requeue(Duration::from_millis(200)),
            ctx,
        )
        .for_each(|_| async {});
    let handle = tokio::spawn(controller);
    let n = 20;
    for i in 0..n {
        let w: DynamicObject =
            serde_json::from_value(json!({"apiVersion": "example.org/v1", "kind": "Widget",
            "metadata": {"name": format!("w{i}")}, "spec": {"count": i}}))
            .unwrap();
        widgets.create(&PostParams::default(), &w).await.unwrap();
    }
    let all_ready = t
        .eventually(20, || async {
            let list = widgets.list(&Default::default()).await.unwrap();
            list.items.len() == n
                && list
                    .items
                    .iter()
                    .all(|w| w.data["status"]["ready"] == json!(true))
        })
        .await;
    assert!(all_ready, "every widget reconciled");
    assert_eq!(cms.get("w3-cfg").await.unwrap().data.unwrap()["count"], "3");
    // drift repair: the deleted child comes back through the owns() watch
    cms.delete("w3-cfg", &DeleteParams::default())
        .await
        .unwrap();
    assert!(
        t.eventually(10, || async {
            cms.get_opt("w3-cfg").await.unwrap().is_some()
        })
        .await,
        "child recreated"
    );
    // spec change re-applies the child
    widgets
        .patch(
            "w4",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"count": 40}})),
        )
        .await
        .unwrap();
    assert!(
        t.eventually(10, || async {
            cms.get("w4-cfg").await.unwrap().data.unwrap()["count"] == "40"
        })
        .await
    );
    // deletion: finalizer released by the controller, child collected
    widgets
        .delete("w5", &DeleteParams::default())
        .await
        .unwrap();
    assert!(
        t.eventually(10, || async {
            widgets.get_opt("w5").await.unwrap().is_none()
        })
        .await,
        "widget gone"
    );
    assert!(
        t.eventually(10, || async {
            cms.get_opt("w5-cfg").await.unwrap().is_none()
        })
        .await,
        "child collected"
    );
    handle.abort();
}
