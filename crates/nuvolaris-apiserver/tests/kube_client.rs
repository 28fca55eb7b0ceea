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

//! The real `kube` client and runtime against the embedded server: discovery, typed CRUD,
//! watchers (list-watch, streaming lists, metadata), CRDs and dynamic objects.

mod common;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::core::{DynamicObject, GroupVersionKind};
use kube::discovery::{ApiResource, Discovery};
use kube::runtime::{conditions, wait::await_condition, watcher, WatchStreamExt};
use nuvolaris_apiserver::ServerConfig;
use serde_json::json;
use std::time::Duration;

fn cm(name: &str, labels: serde_json::Value) -> ConfigMap {
    serde_json::from_value(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}})).unwrap()
}

#[tokio::test]
async fn discovery_aggregated_and_legacy() {
    let t = common::target().await;
    let d = Discovery::new(t.client.clone())
        .run_aggregated()
        .await
        .expect("aggregated discovery");
    let (ar, caps) = d
        .resolve_gvk(&GroupVersionKind::gvk("apps", "v1", "Deployment"))
        .expect("deployments discovered");
    assert_eq!(ar.plural, "deployments");
    assert_eq!(caps.scope, kube::discovery::Scope::Namespaced);
    assert!(d
        .resolve_gvk(&GroupVersionKind::gvk("", "v1", "ConfigMap"))
        .is_some());
    let d = Discovery::new(t.client.clone())
        .run()
        .await
        .expect("legacy discovery");
    assert!(d
        .resolve_gvk(&GroupVersionKind::gvk(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRole"
        ))
        .is_some());
}

#[tokio::test]
async fn typed_crud_and_errors() {
    let t = common::target().await;
    let ns = t.namespace("kc").await;
    let api: Api<ConfigMap> = Api::namespaced(t.client.clone(), &ns);
    let created = api
        .create(&PostParams::default(), &cm("a", json!({"app": "x"})))
        .await
        .unwrap();
    assert!(created.metadata.uid.is_some());
    let err = api
        .create(&PostParams::default(), &cm("a", json!({})))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, kube::Error::Api(s) if s.is_already_exists()),
        "{err:?}"
    );
    let mut stale = created.clone();
    api.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"k": "w"}})),
    )
    .await
    .unwrap();
    stale.data = Some([("k".to_string(), "z".to_string())].into());
    let err = api
        .replace("a", &PostParams::default(), &stale)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, kube::Error::Api(s) if s.is_conflict()),
        "{err:?}"
    );
    api.create(&PostParams::default(), &cm("b", json!({"app": "y"})))
        .await
        .unwrap();
    let l = api
        .list(&ListParams::default().labels("app=x"))
        .await
        .unwrap();
    assert_eq!(l.items.len(), 1);
    assert_eq!(l.items[0].metadata.name.as_deref(), Some("a"));
    let page = api.list(&ListParams::default().limit(1)).await.unwrap();
    assert_eq!(page.items.len(), 1);
    let cont = page.metadata.continue_.clone().expect("continue token");
    let page2 = api
        .list(&ListParams::default().limit(1).continue_token(&cont))
        .await
        .unwrap();
    assert_eq!(page2.items[0].metadata.name.as_deref(), Some("b"));
    api.delete("a", &DeleteParams::default()).await.unwrap();
    let err = api.get("a").await.unwrap_err();
    assert!(
        matches!(&err, kube::Error::Api(s) if s.is_not_found()),
        "{err:?}"
    );
    // server-side apply creates, then a no-op apply keeps the resourceVersion
    let pp = PatchParams::apply("test-manager").force();
    let applied = api.patch("c", &pp, &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "1"}}))).await.unwrap();
    let again = api.patch("c", &pp, &Patch::Apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "1"}}))).await.unwrap();
    assert_eq!(
        applied.metadata.resource_version,
        again.metadata.resource_version
    );
}

#[tokio::test]
async fn watcher_list_watch_and_streaming() {
    let t = common::target().await;
    let ns = t.namespace("kw").await;
    let api: Api<ConfigMap> = Api::namespaced(t.client.clone(), &ns);
    api.create(&PostParams::default(), &cm("pre", json!({"w": "1"})))
        .await
        .unwrap();
    for cfg in [
        watcher::Config::default().labels("w=1"),
        watcher::Config::default().labels("w=1").streaming_lists(),
    ] {
        let mut stream = watcher(api.clone(), cfg).applied_objects().boxed();
        let mut initial = Vec::new();
        let want = api
            .list(&ListParams::default().labels("w=1"))
            .await
            .unwrap()
            .items
            .len();
        while initial.len() < want {
            let o = tokio::time::timeout(Duration::from_secs(5), stream.try_next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            initial.push(o.metadata.name.unwrap());
        }
        assert!(initial.contains(&"pre".to_string()), "{initial:?}");
        let name = format!("live-{}", rand_name());
        api.create(&PostParams::default(), &cm(&name, json!({"w": "1"})))
            .await
            .unwrap();
        api.create(
            &PostParams::default(),
            &cm(&format!("other-{name}"), json!({"w": "2"})),
        )
        .await
        .unwrap();
        let next = tokio::time::timeout(Duration::from_secs(5), stream.try_next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(next.metadata.name.as_deref(), Some(name.as_str()));
    }
    // metadata-only watcher (what Controller::owns uses)
    let meta_api: Api<kube::core::PartialObjectMeta<ConfigMap>> =
        Api::namespaced(t.client.clone(), &ns);
    let mut stream = watcher(meta_api, watcher::Config::default())
        .applied_objects()
        .boxed();
    let m = tokio::time::timeout(Duration::from_secs(5), stream.try_next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(m.metadata.name.is_some());
}

fn rand_name() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}

#[tokio::test]
async fn crd_established_then_dynamic_objects_with_status() {
    let t = common::target().await;
    let crds: Api<CustomResourceDefinition> = Api::all(t.client.clone());
    let crd: CustomResourceDefinition =
        serde_json::from_value(common::trace("crd-typed.json")).unwrap();
    let _ = crds
        .delete("widgets.example.org", &DeleteParams::default())
        .await;
    crds.create(&PostParams::default(), &crd).await.unwrap();
    let est = await_condition(
        crds.clone(),
        "widgets.example.org",
        conditions::is_crd_established(),
    );
    tokio::time::timeout(Duration::from_secs(10), est)
        .await
        .expect("established in time")
        .unwrap();
    let ns = t.namespace("crd").await;
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("example.org", "v1", "Widget"),
        "widgets",
    );
    let api: Api<DynamicObject> = Api::namespaced_with(t.client.clone(), &ns, &ar);
    let w: DynamicObject =
        serde_json::from_value(json!({"apiVersion": "example.org/v1", "kind": "Widget",
        "metadata": {"name": "w1"}, "spec": {"count": 2}, "status": {"ready": true}}))
        .unwrap();
    let created = api.create(&PostParams::default(), &w).await.unwrap();
    assert!(
        created.data.get("status").is_none(),
        "status dropped on create: {:?}",
        created.data
    );
    assert_eq!(created.metadata.generation, Some(1));
    let st = api
        .patch_status(
            "w1",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"count": 9}, "status": {"ready": true}})),
        )
        .await
        .unwrap();
    assert_eq!(st.data["status"]["ready"], json!(true));
    assert_eq!(st.data["spec"]["count"], json!(2));
    assert_eq!(st.metadata.generation, Some(1));
    let sp = api
        .patch(
            "w1",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"count": 3}})),
        )
        .await
        .unwrap();
    assert_eq!(sp.metadata.generation, Some(2));
    let mp = api
        .patch(
            "w1",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"a": "b"}}})),
        )
        .await
        .unwrap();
    assert_eq!(mp.metadata.generation, Some(2));
    crds.delete("widgets.example.org", &DeleteParams::default())
        .await
        .unwrap();
    assert!(
        t.eventually(10, || async { api.get("w1").await.is_err() })
            .await,
        "CR removed with its CRD"
    );
}

#[tokio::test]
async fn simulator_makes_deployments_ready() {
    let t = common::target_with(ServerConfig {
        simulate_workloads: true,
        ..Default::default()
    })
    .await;
    if !t.embedded() {
        return;
    }
    let ns = t.namespace("sim").await;
    let api: Api<Deployment> = Api::namespaced(t.client.clone(), &ns);
    let d: Deployment = serde_json::from_value(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})).unwrap();
    api.create(&PostParams::default(), &d).await.unwrap();
    let ready = await_condition(api.clone(), "web", |d: Option<&Deployment>| {
        d.and_then(|d| d.status.as_ref())
            .and_then(|s| s.ready_replicas)
            == Some(2)
    });
    tokio::time::timeout(Duration::from_secs(5), ready)
        .await
        .expect("ready in time")
        .unwrap();
}
