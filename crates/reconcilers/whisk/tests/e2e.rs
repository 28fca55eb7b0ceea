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

//! End to end on the embedded API server with its workload simulator, driving the Whisk
//! reconciler through the runtime's controller: a minimal Whisk gets CouchDB, then the init Job,
//! then the controller only after the Job completed; status reaches Ready with the upstream
//! `whisk_create` keys; a component toggled off is pruned and comes back when toggled on;
//! deleting the Whisk leaves nothing behind, Ingresses included.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Api, Client, CustomResourceExt, ResourceExt};
use nuvolaris_api::whisk::Whisk;
use nuvolaris_apiserver::{ApiServer, ServerConfig};
use nuvolaris_e2e::testkit::{self, InProcessOperator, TestEnv};
use nuvolaris_kustomize::yaml::parse_documents;
use nuvolaris_reconciler_whisk::secrets::generated_secret_name;
use nuvolaris_reconciler_whisk::WhiskReconciler;
use nuvolaris_runtime::{register, ControllerConfig, Metrics};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const NS: &str = "nuvolaris";

async fn config(server: &ApiServer) -> kube::Config {
    testkit::config_for(server, NS).await
}

async fn client(server: &ApiServer) -> Client {
    Client::try_from(config(server).await).unwrap()
}

type Recorded = Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A client that records every request (method, path and query) it sends.
async fn recording_client(server: &ApiServer) -> (Client, Recorded) {
    let rec: Recorded = Default::default();
    let r = rec.clone();
    let layer = tower::util::MapRequestLayer::new(move |req: http::Request<kube::client::Body>| {
        let pq = req
            .uri()
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default();
        r.lock().unwrap().push((req.method().to_string(), pq));
        req
    });
    let c = kube::client::ClientBuilder::try_from(config(server).await)
        .unwrap()
        .with_layer(&layer)
        .build();
    (c, rec)
}

/// (verb, apiGroup, resource[/subresource]) of a request; `None` for non-resource URLs (discovery).
fn rbac_attributes(method: &str, path_query: &str) -> Option<(String, String, String)> {
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    let seg: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match seg.as_slice() {
        ["api", _v, rest @ ..] => ("", rest),
        ["apis", g, _v, rest @ ..] => (*g, rest),
        _ => return None,
    };
    let (resource, name, sub) = match rest {
        ["namespaces", _ns, r, tail @ ..] => (*r, tail.first().copied(), tail.get(1).copied()),
        [r, tail @ ..] => (*r, tail.first().copied(), tail.get(1).copied()),
        [] => return None,
    };
    let watch = query
        .split('&')
        .any(|kv| kv == "watch=true" || kv == "watch=1");
    let verb = match (method, name.is_some()) {
        ("GET", true) => "get",
        ("GET", false) if watch => "watch",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => return None,
    };
    let resource = match sub {
        Some(s) => format!("{resource}/{s}"),
        None => resource.to_string(),
    };
    Some((verb.into(), group.into(), resource))
}

/// The rules of the operator's installed ClusterRole.
fn cluster_role_rules() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../charts-free-kustomize/operator/cluster-role.yaml");
    let docs = parse_documents(
        &std::fs::read_to_string(&path).unwrap(),
        "cluster-role.yaml",
    )
    .unwrap();
    docs[0]["rules"].as_array().unwrap().clone()
}

fn allowed(rules: &[Value], verb: &str, group: &str, resource: &str) -> bool {
    let has = |v: &Value, x: &str| {
        v.as_array()
            .is_some_and(|a| a.iter().any(|e| e == x || e == "*"))
    };
    rules.iter().any(|r| {
        has(&r["apiGroups"], group) && has(&r["resources"], resource) && has(&r["verbs"], verb)
    })
}

/// Creates every object of a folder built with our kustomize engine.
async fn apply_folder(client: &Client, dir: &Path) {
    let loader = nuvolaris_kustomize::FsLoader {
        root: dir.to_path_buf(),
    };
    for doc in nuvolaris_kustomize::build(&loader, dir).unwrap() {
        let (group, version) = match doc["apiVersion"].as_str().unwrap().split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (
                String::new(),
                doc["apiVersion"].as_str().unwrap().to_string(),
            ),
        };
        let kind = doc["kind"].as_str().unwrap();
        let plural = format!("{}s", kind.to_lowercase());
        let ar = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(&group, &version, kind),
            &plural,
        );
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), NS, &ar);
        let obj: DynamicObject = serde_json::from_value(doc.clone()).unwrap();
        api.create(&PostParams::default(), &obj)
            .await
            .unwrap_or_else(|e| panic!("create {kind}: {e}"));
    }
}

async fn wait_for<F, Fut, T>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn minimal_whisk() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/whisk-minimal.yaml");
    let mut doc = parse_documents(
        &std::fs::read_to_string(&path).unwrap(),
        "whisk-minimal.yaml",
    )
    .unwrap()
    .remove(0);
    // let the operator generate the controller's CouchDB password
    doc["spec"]["couchdb"]["controller"]
        .as_object_mut()
        .unwrap()
        .remove("password");
    doc
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minimal_whisk_lifecycle_on_the_embedded_server() {
    let env = TestEnv::simulated(Duration::from_millis(300)).await;
    let server = &env.server;
    let client = client(server).await;

    // CRD, namespace, prerequisites
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &Whisk::crd())
        .await
        .unwrap();
    let nss: Api<Namespace> = Api::all(client.clone());
    nss.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": NS}})).unwrap(),
    )
    .await
    .unwrap();
    let prereq = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../charts-free-kustomize/whisk-prerequisites");
    apply_folder(&client, &prereq.canonicalize().unwrap()).await;

    // the controller of the runtime, with our reconciler, on a client that records its requests
    let (op_client, recorded) = recording_client(server).await;
    let reconciler = WhiskReconciler::default();
    nuvolaris_runtime::controller::startup_checks(&reconciler, &op_client, Some(NS))
        .await
        .expect("startup checks");
    let cfg = ControllerConfig {
        namespace: Some(NS.into()),
        ..Default::default()
    };
    let op = InProcessOperator::start(op_client, vec![register(reconciler)], cfg);

    let whisks: Api<Whisk> = Api::namespaced(client.clone(), NS);
    let sts: Api<StatefulSet> = Api::namespaced(client.clone(), NS);
    let jobs: Api<Job> = Api::namespaced(client.clone(), NS);
    let ings: Api<Ingress> = Api::namespaced(client.clone(), NS);
    let svcs: Api<Service> = Api::namespaced(client.clone(), NS);
    let secrets: Api<Secret> = Api::namespaced(client.clone(), NS);
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
    let w: Whisk = serde_json::from_value(minimal_whisk()).unwrap();
    whisks.create(&PostParams::default(), &w).await.unwrap();

    // ordering: couchdb first; the init job after it; the controller only after the job completed
    #[derive(Default, Debug)]
    struct Seen {
        couchdb: Option<Instant>,
        init: Option<Instant>,
        init_complete: Option<Instant>,
        controller: Option<Instant>,
    }
    let mut seen = Seen::default();
    let start = Instant::now();
    while seen.controller.is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let w = whisks.get("controller").await.unwrap();
            panic!(
                "controller never created: {seen:?}; whisk status: {:?}",
                w.status
            );
        }
        let now = Instant::now();
        if seen.couchdb.is_none() && sts.get_opt("couchdb").await.unwrap().is_some() {
            seen.couchdb = Some(now);
        }
        if let Some(j) = jobs.get_opt("couchdb-init").await.unwrap() {
            seen.init.get_or_insert(now);
            if j.status.and_then(|s| s.succeeded).unwrap_or(0) > 0 {
                seen.init_complete.get_or_insert(now);
            }
        }
        if sts.get_opt("controller").await.unwrap().is_some() {
            seen.controller = Some(now);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (c, i, ic, ctl_t) = (
        seen.couchdb.unwrap(),
        seen.init.unwrap(),
        seen.init_complete.expect("job completed before controller"),
        seen.controller.unwrap(),
    );
    assert!(
        c <= i && i <= ic && ic <= ctl_t,
        "order couchdb <= init <= init complete <= controller: {seen:?}"
    );

    // Ready, with the upstream whisk_create keys
    let ready = wait_for("Whisk Ready", Duration::from_secs(60), || async {
        let w = whisks.get("controller").await.ok()?;
        let st = w.status.clone()?;
        nuvolaris_runtime::conditions::is_true(&st.conditions, "Ready").then_some(w)
    })
    .await;
    let st = ready.status.clone().unwrap();
    assert_eq!(st.observed_generation, ready.metadata.generation);
    for (k, v) in [
        ("openwhisk", "on"),
        ("couchdb", "on"),
        ("preloader", "on"),
        ("endpoint", "on"),
        ("redis", "off"),
        ("minio", "off"),
        ("tls", "off"),
        ("invoker", "?"),
    ] {
        assert_eq!(
            st.whisk_create.get(k).map(String::as_str),
            Some(v),
            "whisk_create.{k}"
        );
    }
    for t in [
        "CouchDBReady",
        "CouchDBInitialized",
        "RuntimesPreloaded",
        "OpenWhiskReady",
        "EndpointReady",
    ] {
        assert!(
            nuvolaris_runtime::conditions::is_true(&st.conditions, t),
            "condition {t}: {:?}",
            st.conditions
        );
    }
    // objects, ownership, credentials kept in the generated Secret, apihost annotation
    for s in [
        "couchdb",
        "couchdb-np",
        "controller",
        "controller-ip",
        "debugger",
    ] {
        assert!(svcs.get_opt(s).await.unwrap().is_some(), "service {s}");
    }
    for i in ["apihost", "apihost-my", "apihost-info"] {
        let ing = ings.get(i).await.unwrap();
        assert_eq!(
            ing.spec.unwrap().rules.unwrap()[0].host.as_deref(),
            Some("localhost")
        );
    }
    let cs = sts.get("controller").await.unwrap();
    assert_eq!(
        cs.owner_references()[0].uid,
        ready.metadata.uid.clone().unwrap()
    );
    let gen_name = generated_secret_name("controller");
    let generated = secrets.get(&gen_name).await.unwrap();
    let stored_pw = generated.data.clone().unwrap()["couchdb_controller_password"].clone();
    assert_eq!(stored_pw.0.len(), 32);
    let cfgmap = cms.get("config").await.unwrap();
    assert_eq!(
        cfgmap.annotations().get("apihost").map(String::as_str),
        Some("http://localhost:3233")
    );

    // a steady state writes nothing: after a reconcile triggered by a metadata-only change has
    // finished, the resourceVersion of the Whisk is still the one of that change
    let reconciles = || {
        let text = op.metrics.encode();
        let c = [("controller", "whisk")];
        (
            testkit::metric(&text, "controller_runtime_reconcile_total", &c),
            testkit::metric(&text, "controller_runtime_active_workers", &c),
        )
    };
    let (before, _) = reconciles();
    let touch = json!({"metadata": {"annotations": {"touch": "1"}}});
    let rv = whisks
        .patch("controller", &PatchParams::default(), &Patch::Merge(&touch))
        .await
        .unwrap()
        .resource_version();
    wait_for("a finished reconcile", Duration::from_secs(30), || async {
        let (done, active) = reconciles();
        (done > before && active == 0.0).then_some(())
    })
    .await;
    assert_eq!(
        whisks.get("controller").await.unwrap().resource_version(),
        rv,
        "steady state wrote the Whisk"
    );

    // toggle openwhisk off: controller, preloader and ingresses are pruned, couchdb stays
    let off = json!({"spec": {"components": {"openwhisk": false}}});
    whisks
        .patch("controller", &PatchParams::default(), &Patch::Merge(&off))
        .await
        .unwrap();
    wait_for("controller pruned", Duration::from_secs(30), || async {
        let gone = sts.get_opt("controller").await.ok()?.is_none()
            && ings.get_opt("apihost").await.ok()?.is_none()
            && jobs.get_opt("preload-runtimes").await.ok()?.is_none()
            && svcs.get_opt("controller").await.ok()?.is_none();
        gone.then_some(())
    })
    .await;
    assert!(sts.get_opt("couchdb").await.unwrap().is_some());
    let w = wait_for(
        "status after toggle off",
        Duration::from_secs(30),
        || async {
            let w = whisks.get("controller").await.ok()?;
            (w.status
                .as_ref()?
                .whisk_create
                .get("openwhisk")
                .map(String::as_str)
                == Some("off"))
            .then_some(w)
        },
    )
    .await;
    assert!(nuvolaris_runtime::conditions::is_true(
        &w.status.unwrap().conditions,
        "Ready"
    ));
    assert_eq!(
        cms.get("config")
            .await
            .unwrap()
            .annotations()
            .get("apihost"),
        None
    );

    // and on again
    let on = json!({"spec": {"components": {"openwhisk": true}}});
    whisks
        .patch("controller", &PatchParams::default(), &Patch::Merge(&on))
        .await
        .unwrap();
    wait_for("controller back", Duration::from_secs(30), || async {
        let w = whisks.get("controller").await.ok()?;
        let back = sts.get_opt("controller").await.ok()?.is_some()
            && ings.get_opt("apihost").await.ok()?.is_some();
        (back && w.status?.whisk_create.get("openwhisk").map(String::as_str) == Some("on"))
            .then_some(())
    })
    .await;
    // the generated credential was kept
    assert_eq!(
        secrets.get(&gen_name).await.unwrap().data.unwrap()["couchdb_controller_password"],
        stored_pw
    );

    // a changed credential: new couchdb-auth hash, so the immutable init Job is recreated with it
    let old_secret = sts
        .get("couchdb")
        .await
        .unwrap()
        .spec
        .unwrap()
        .template
        .spec
        .unwrap()
        .containers[0]
        .env
        .clone()
        .unwrap()[0]
        .value_from
        .clone()
        .unwrap()
        .secret_key_ref
        .unwrap()
        .name;
    let pw = json!({"spec": {"couchdb": {"admin": {"password": "an0ther-passw0rd"}}}});
    whisks
        .patch("controller", &PatchParams::default(), &Patch::Merge(&pw))
        .await
        .unwrap();
    let new_secret = wait_for(
        "init job recreated with the new secret",
        Duration::from_secs(30),
        || {
            let old_secret = old_secret.clone();
            let jobs = jobs.clone();
            async move {
                let j = jobs.get_opt("couchdb-init").await.ok()??;
                let name = j.spec?.template.spec?.containers[0].env.clone()?[2]
                    .value_from
                    .clone()?
                    .secret_key_ref?
                    .name;
                let done = j.status.and_then(|s| s.succeeded).unwrap_or(0) > 0;
                (name != old_secret && done).then_some(name)
            }
        },
    )
    .await;
    assert!(
        secrets.get_opt(&old_secret).await.unwrap().is_none(),
        "the old couchdb-auth secret is pruned"
    );
    wait_for(
        "Ready after the credential change",
        Duration::from_secs(30),
        || async {
            let w = whisks.get("controller").await.ok()?;
            let st = w.status?;
            (st.observed_generation == w.metadata.generation
                && nuvolaris_runtime::conditions::is_true(&st.conditions, "Ready"))
            .then_some(())
        },
    )
    .await;
    let ctl_env = sts
        .get("controller")
        .await
        .unwrap()
        .spec
        .unwrap()
        .template
        .spec
        .unwrap()
        .containers[0]
        .env
        .clone()
        .unwrap();
    let ref_names: Vec<String> = ctl_env
        .iter()
        .filter_map(|e| e.value_from.clone()?.secret_key_ref.map(|r| r.name))
        .collect();
    assert!(
        !ref_names.is_empty() && ref_names.iter().all(|n| *n == new_secret),
        "controller follows the new secret: {ref_names:?}"
    );

    // delete: nothing left, Ingresses included; no volume claims, so (policy `retain`) the
    // generated credentials go too
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), NS);
    whisks
        .delete("controller", &DeleteParams::default())
        .await
        .unwrap();
    wait_for("whisk gone", Duration::from_secs(30), || async {
        whisks
            .get_opt("controller")
            .await
            .ok()?
            .is_none()
            .then_some(())
    })
    .await;
    wait_for("children gone", Duration::from_secs(30), || async {
        let lp = ListParams::default();
        let left = sts.list(&lp).await.ok()?.items.len()
            + jobs.list(&lp).await.ok()?.items.len()
            + ings.list(&lp).await.ok()?.items.len()
            + svcs.list(&lp).await.ok()?.items.len()
            + secrets.list(&lp).await.ok()?.items.len()
            + pvcs.list(&lp).await.ok()?.items.len();
        (left == 0).then_some(())
    })
    .await;
    assert_eq!(
        cms.get("config")
            .await
            .unwrap()
            .annotations()
            .get("apihost"),
        None
    );

    // every request the operator made is allowed by its installed ClusterRole
    let rules = cluster_role_rules();
    let mut used = std::collections::BTreeSet::new();
    for (method, pq) in recorded.lock().unwrap().iter() {
        if let Some((verb, group, resource)) = rbac_attributes(method, pq) {
            assert!(
                allowed(&rules, &verb, &group, &resource),
                "ClusterRole does not allow {verb} {group}/{resource} ({method} {pq})"
            );
            used.insert(format!("{verb} {group}/{resource}"));
        }
    }
    eprintln!("requests made by the operator, by RBAC attributes: {used:?}");
    assert!(
        used.contains("patch apps/statefulsets")
            && used.contains("patch /configmaps")
            && used.contains("delete apps/statefulsets")
    );

    op.stop().await;
    env.shutdown().await;
}

/// Server, prerequisites and a running Whisk controller on a recording client.
struct Env {
    env: TestEnv,
    client: Client,
    recorded: Recorded,
    op: InProcessOperator,
}

async fn setup() -> Env {
    setup_with(true, Some(NS), WhiskReconciler::default()).await
}

/// [`setup`] with or without the workload simulator, watching `namespace` (all when `None`).
async fn setup_with(simulate: bool, namespace: Option<&str>, reconciler: WhiskReconciler) -> Env {
    let env = TestEnv::start(ServerConfig {
        simulate_workloads: simulate,
        simulate_delay: Duration::from_millis(100),
        ..Default::default()
    })
    .await;
    let client = client(&env.server).await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &Whisk::crd())
        .await
        .unwrap();
    let nss: Api<Namespace> = Api::all(client.clone());
    for ns in [NS, "ingress-nginx"] {
        nss.create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": ns}})).unwrap(),
        )
        .await
        .unwrap();
    }
    let prereq = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../charts-free-kustomize/whisk-prerequisites");
    apply_folder(&client, &prereq.canonicalize().unwrap()).await;
    let (op_client, recorded) = recording_client(&env.server).await;
    let cfg = ControllerConfig {
        namespace: namespace.map(str::to_string),
        ..Default::default()
    };
    let op = InProcessOperator::start(op_client, vec![register(reconciler)], cfg);
    Env {
        env,
        client,
        recorded,
        op,
    }
}

async fn apihost_annotation(client: &Client) -> Option<String> {
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
    cms.get("config")
        .await
        .ok()?
        .annotations()
        .get("apihost")
        .cloned()
}

/// The api host from the cluster facts: with `kube: auto` the reconciler lists the nodes (the
/// embedded server has none, so the cluster counts as generic) and takes the ingress load
/// balancer's IP, with the `www` Ingress as off kind; an explicit `kube: kind` switches to
/// localhost and prunes the `www` Ingress.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_follows_the_cluster_facts() {
    let env = setup().await;
    let c = &env.client;
    let svcs: Api<Service> = Api::namespaced(c.clone(), "ingress-nginx");
    svcs.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "ingress-nginx-controller"},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}}))
        .unwrap(),
    )
    .await
    .unwrap();
    let lb = json!({"status": {"loadBalancer": {"ingress": [{"ip": "10.1.2.3"}]}}});
    svcs.patch_status(
        "ingress-nginx-controller",
        &PatchParams::default(),
        &Patch::Merge(&lb),
    )
    .await
    .unwrap();

    let mut doc = minimal_whisk();
    doc["spec"]["nuvolaris"]
        .as_object_mut()
        .unwrap()
        .remove("kube");
    let whisks: Api<Whisk> = Api::namespaced(c.clone(), NS);
    whisks
        .create(
            &PostParams::default(),
            &serde_json::from_value(doc).unwrap(),
        )
        .await
        .unwrap();
    wait_for(
        "apihost from the load balancer",
        Duration::from_secs(30),
        || async {
            (apihost_annotation(c).await.as_deref() == Some("http://10.1.2.3.nip.io")).then_some(())
        },
    )
    .await;
    let ings: Api<Ingress> = Api::namespaced(c.clone(), NS);
    let www = wait_for("www ingress", Duration::from_secs(30), || async {
        ings.get_opt("apihost-www-my").await.ok()?
    })
    .await;
    assert_eq!(
        www.spec.unwrap().rules.unwrap()[0].host.as_deref(),
        Some("www.10.1.2.3.nip.io")
    );
    let api = ings.get("apihost").await.unwrap();
    assert_eq!(
        api.spec.unwrap().rules.unwrap()[0].host.as_deref(),
        Some("10.1.2.3.nip.io")
    );

    // on kind: localhost, and the www Ingress is pruned
    let kind = json!({"spec": {"nuvolaris": {"kube": "kind"}}});
    whisks
        .patch("controller", &PatchParams::default(), &Patch::Merge(&kind))
        .await
        .unwrap();
    wait_for("apihost on kind", Duration::from_secs(30), || async {
        let www_gone = ings.get_opt("apihost-www-my").await.ok()?.is_none();
        (www_gone && apihost_annotation(c).await.as_deref() == Some("http://localhost:3233"))
            .then_some(())
    })
    .await;

    // the requests for these facts (nodes, the other namespace's Service) are in the ClusterRole
    let rules = cluster_role_rules();
    let mut saw_nodes = false;
    for (method, pq) in env.recorded.lock().unwrap().iter() {
        if let Some((verb, group, resource)) = rbac_attributes(method, pq) {
            assert!(
                allowed(&rules, &verb, &group, &resource),
                "ClusterRole does not allow {verb} {group}/{resource}"
            );
            saw_nodes |= resource == "nodes";
        }
    }
    assert!(saw_nodes, "kube detection listed the nodes");
    env.op.stop().await;
    env.env.shutdown().await;
}

/// `controller_runtime_reconcile_total{controller="whisk",result}`.
fn reconciles(m: &Metrics, result: &str) -> u64 {
    m.registry
        .gather()
        .iter()
        .filter(|f| f.name() == "controller_runtime_reconcile_total")
        .flat_map(|f| f.get_metric().iter())
        .filter(|mm| {
            let l = mm.get_label();
            l.iter()
                .any(|p| p.name() == "controller" && p.value() == "whisk")
                && l.iter()
                    .any(|p| p.name() == "result" && p.value() == result)
        })
        .map(|mm| mm.get_counter().get_value() as u64)
        .sum()
}

async fn stop(env: Env) {
    env.op.stop().await;
    env.env.shutdown().await;
}

fn condition(w: &Whisk, t: &str) -> Option<(String, String, String)> {
    let c = nuvolaris_runtime::conditions::find(&w.status.as_ref()?.conditions, t)?;
    Some((c.status.clone(), c.reason.clone(), c.message.clone()))
}

/// One Whisk per namespace: a second one reports `Ready=False`/`Conflict`, publishes a Warning
/// Event and writes nothing; the first keeps its Jobs and its `cm/config`, also when the second
/// is deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_whisk_in_the_namespace_is_a_conflict_and_changes_nothing() {
    let env = setup().await;
    let c = &env.client;
    let whisks: Api<Whisk> = Api::namespaced(c.clone(), NS);
    let jobs: Api<Job> = Api::namespaced(c.clone(), NS);
    let cms: Api<ConfigMap> = Api::namespaced(c.clone(), NS);
    let secrets: Api<Secret> = Api::namespaced(c.clone(), NS);
    whisks
        .create(
            &PostParams::default(),
            &serde_json::from_value(minimal_whisk()).unwrap(),
        )
        .await
        .unwrap();
    wait_for("first Whisk Ready", Duration::from_secs(60), || async {
        let w = whisks.get("controller").await.ok()?;
        (condition(&w, "Ready")?.0 == "True").then_some(())
    })
    .await;
    let uids = || async {
        let mut v = Vec::new();
        for j in ["couchdb-init", "preload-runtimes"] {
            v.push(jobs.get(j).await.unwrap().metadata.uid.unwrap());
        }
        v
    };
    let jobs_before = uids().await;
    let cm_before = cms.get("config").await.unwrap();

    // the second one would recreate the init Job (other credentials) and own cm/config
    let mut second = minimal_whisk();
    second["metadata"]["name"] = json!("second");
    second["spec"]["couchdb"]["admin"]["password"] = json!("s3cond-passw0rd");
    whisks
        .create(
            &PostParams::default(),
            &serde_json::from_value(second).unwrap(),
        )
        .await
        .unwrap();
    let (status, _, message) =
        wait_for("second Whisk Conflict", Duration::from_secs(30), || async {
            let w = whisks.get("second").await.ok()?;
            condition(&w, "Ready").filter(|c| c.1 == "Conflict")
        })
        .await;
    assert_eq!(status, "False");
    assert!(message.contains("Whisk controller"), "{message}");
    let second_w = whisks.get("second").await.unwrap();
    assert_eq!(condition(&second_w, "Degraded").unwrap().1, "Conflict");
    let events: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(c.clone(), NS);
    wait_for("Conflict event", Duration::from_secs(10), || async {
        let l = events.list(&ListParams::default()).await.ok()?;
        l.items
            .iter()
            .any(|e| {
                e.reason.as_deref() == Some("Conflict")
                    && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("second")
                    && e.type_.as_deref() == Some("Warning")
            })
            .then_some(())
    })
    .await;
    // nothing of the first touched, nothing of the second written
    assert_eq!(uids().await, jobs_before, "no Job of the first deleted");
    let cm = cms.get("config").await.unwrap();
    assert_eq!(
        cm.resource_version(),
        cm_before.resource_version(),
        "cm/config unchanged"
    );
    assert!(secrets
        .get_opt(&generated_secret_name("second"))
        .await
        .unwrap()
        .is_none());

    // deleting the second leaves the first as it was
    whisks
        .delete("second", &DeleteParams::default())
        .await
        .unwrap();
    wait_for("second gone", Duration::from_secs(30), || async {
        whisks.get_opt("second").await.ok()?.is_none().then_some(())
    })
    .await;
    assert_eq!(uids().await, jobs_before);
    assert_eq!(
        cms.get("config").await.unwrap().resource_version(),
        cm_before.resource_version()
    );
    let first = whisks.get("controller").await.unwrap();
    assert_eq!(condition(&first, "Ready").unwrap().0, "True");
    stop(env).await;
}

/// A Job that failed for good is terminal: the Whisk reports why and is not requeued; it is
/// woken only by watch events. Shown with the runtime's reconcile counter: a terminal Whisk
/// finishes its reconciles as `success` (no early requeue) while a progressing Whisk in another
/// namespace finishes as `requeue_after`. Time is scaled down by the backoff policy (50 ms
/// doubling to 400 ms instead of 2 s to 60 s, i.e. 150x): waiting for 12 requeues of the
/// progressing Whisk covers more than 5 minutes of unscaled backoff, during which the failed one
/// is not reconciled at all (the brief allows 10). Its own reconciles are counted exactly from
/// the requests only they make (listing the Whisks of its namespace).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_failed_for_good_is_not_polled() {
    let policy = nuvolaris_reconciler_whisk::requeue::Policy {
        min: Duration::from_millis(50),
        max: Duration::from_millis(400),
    };
    let env = setup_with(false, None, WhiskReconciler::default().with_backoff(policy)).await;
    let c = &env.client;
    let whisks: Api<Whisk> = Api::namespaced(c.clone(), NS);
    let sts: Api<StatefulSet> = Api::namespaced(c.clone(), NS);
    let jobs: Api<Job> = Api::namespaced(c.clone(), NS);
    whisks
        .create(
            &PostParams::default(),
            &serde_json::from_value(minimal_whisk()).unwrap(),
        )
        .await
        .unwrap();
    // play the StatefulSet and Job controllers: couchdb ready, the preloader done, init failed
    wait_for("couchdb", Duration::from_secs(30), || async {
        sts.get_opt("couchdb").await.ok()?
    })
    .await;
    let ready = json!({"status": {"replicas": 1, "readyReplicas": 1}});
    sts.patch_status("couchdb", &PatchParams::default(), &Patch::Merge(&ready))
        .await
        .unwrap();
    for (job, status) in [
        (
            "preload-runtimes",
            json!({"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}),
        ),
        (
            "couchdb-init",
            json!({"failed": 7, "conditions": [{"type": "Failed", "status": "True",
            "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}),
        ),
    ] {
        wait_for(job, Duration::from_secs(30), || async {
            jobs.get_opt(job).await.ok()?
        })
        .await;
        jobs.patch_status(
            job,
            &PatchParams::default(),
            &Patch::Merge(&json!({"status": status})),
        )
        .await
        .unwrap();
    }
    let w = wait_for("status says why", Duration::from_secs(30), || async {
        let w = whisks.get("controller").await.ok()?;
        (w.status
            .as_ref()?
            .whisk_create
            .get("couchdb")
            .map(String::as_str)
            == Some("error"))
        .then_some(w)
    })
    .await;
    let (s, reason, message) = condition(&w, "CouchDBInitialized").unwrap();
    assert_eq!((s.as_str(), reason.as_str()), ("False", "JobFailed"));
    assert!(message.contains("backoff limit"), "{message}");
    assert_eq!(condition(&w, "Ready").unwrap().1, "Failed");

    // a Whisk that keeps progressing elsewhere: couchdb never gets ready without a simulator
    let nss: Api<Namespace> = Api::all(c.clone());
    nss.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "elsewhere"}})).unwrap(),
    )
    .await
    .unwrap();
    let mut other = minimal_whisk();
    other["metadata"]["namespace"] = json!("elsewhere");
    Api::<Whisk>::namespaced(c.clone(), "elsewhere")
        .create(
            &PostParams::default(),
            &serde_json::from_value(other).unwrap(),
        )
        .await
        .unwrap();
    let polled = |n: u64| {
        let m = env.op.metrics.clone();
        async move {
            let base = reconciles(&m, "requeue_after");
            wait_for(
                "requeues of the progressing Whisk",
                Duration::from_secs(60),
                || {
                    let m = m.clone();
                    async move { (reconciles(&m, "requeue_after") >= base + n).then_some(()) }
                },
            )
            .await;
        }
    };
    // reconciles of the failed Whisk, one by one: each one lists the Whisks of its namespace
    // (one Whisk per namespace); the controller's own watch is cluster-wide
    let reconciles_of_failed = || {
        let path = format!("/apis/nuvolaris.org/v1/namespaces/{NS}/whisks");
        env.recorded
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, pq)| m == "GET" && pq.split('?').next() == Some(path.as_str()))
            .count()
    };
    // let the trailing reconciles of the failed Whisk (its own status write) finish
    polled(3).await;
    let settled = reconciles(&env.op.metrics, "success");
    let settled_failed = reconciles_of_failed();
    polled(12).await;
    assert_eq!(
        reconciles_of_failed(),
        settled_failed,
        "the Whisk with the failed Job was reconciled again without any change"
    );
    assert_eq!(reconciles(&env.op.metrics, "success"), settled);
    // and a change still wakes it
    let touch = json!({"metadata": {"labels": {"touched": "yes"}}});
    whisks
        .patch("controller", &PatchParams::default(), &Patch::Merge(&touch))
        .await
        .unwrap();
    wait_for("a change wakes it", Duration::from_secs(30), || async {
        (reconciles(&env.op.metrics, "success") > settled).then_some(())
    })
    .await;
    stop(env).await;
}

/// Volumes and the credentials they were written with outlive a deleted Whisk (policy `retain`,
/// the default): the Whisk created again reuses the stored passwords. With the policy `delete`
/// the StatefulSet deletes its claims and the generated Secret goes after them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volumes_keep_their_credentials_after_the_whisk_is_deleted() {
    let env = setup().await;
    let c = &env.client;
    let whisks: Api<Whisk> = Api::namespaced(c.clone(), NS);
    let sts: Api<StatefulSet> = Api::namespaced(c.clone(), NS);
    let secrets: Api<Secret> = Api::namespaced(c.clone(), NS);
    let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(c.clone(), NS);
    let gen_name = generated_secret_name("controller");
    let ready = || async {
        wait_for("Whisk Ready", Duration::from_secs(60), || async {
            let w = whisks.get("controller").await.ok()?;
            (condition(&w, "Ready")?.0 == "True").then_some(())
        })
        .await
    };
    let gone = || async {
        wait_for("Whisk gone", Duration::from_secs(30), || async {
            whisks
                .get_opt("controller")
                .await
                .ok()?
                .is_none()
                .then_some(())
        })
        .await
    };
    whisks
        .create(
            &PostParams::default(),
            &serde_json::from_value(minimal_whisk()).unwrap(),
        )
        .await
        .unwrap();
    ready().await;
    let stored = secrets.get(&gen_name).await.unwrap().data.unwrap();
    // the claim the StatefulSet controller creates (policy Retain: no ownerReference)
    let pvc = json!({"metadata": {"name": "couchdb-pvc-couchdb-0", "labels": {"name": "couchdb"}},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}});
    pvcs.create(
        &PostParams::default(),
        &serde_json::from_value(pvc).unwrap(),
    )
    .await
    .unwrap();
    whisks
        .delete("controller", &DeleteParams::default())
        .await
        .unwrap();
    gone().await;
    assert!(
        sts.get_opt("couchdb").await.unwrap().is_none(),
        "the workloads go"
    );
    assert!(
        pvcs.get_opt("couchdb-pvc-couchdb-0")
            .await
            .unwrap()
            .is_some(),
        "the claim stays"
    );
    let kept = secrets
        .get(&gen_name)
        .await
        .expect("the credentials stay with the data");
    assert_eq!(kept.data.clone().unwrap(), stored);
    assert!(kept.owner_references().is_empty());

    // created again: the old passwords, not new ones, and the claim deleted with its StatefulSet
    let mut again = minimal_whisk();
    again["metadata"]["annotations"] = json!({"nuvolaris.org/pvc-policy": "delete"});
    whisks
        .create(
            &PostParams::default(),
            &serde_json::from_value(again).unwrap(),
        )
        .await
        .unwrap();
    ready().await;
    assert_eq!(secrets.get(&gen_name).await.unwrap().data.unwrap(), stored);
    let couchdb = sts.get("couchdb").await.unwrap();
    let policy = couchdb
        .spec
        .as_ref()
        .unwrap()
        .persistent_volume_claim_retention_policy
        .clone()
        .expect("retention policy set");
    assert_eq!(policy.when_deleted.as_deref(), Some("Delete"));
    // the StatefulSet controller now owns the claim (what `whenDeleted: Delete` does)
    let owner = json!({"metadata": {"ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet",
        "name": "couchdb", "uid": couchdb.metadata.uid.clone().unwrap(), "controller": true}]}});
    pvcs.patch(
        "couchdb-pvc-couchdb-0",
        &PatchParams::default(),
        &Patch::Merge(&owner),
    )
    .await
    .unwrap();
    whisks
        .delete("controller", &DeleteParams::default())
        .await
        .unwrap();
    gone().await;
    assert!(pvcs
        .get_opt("couchdb-pvc-couchdb-0")
        .await
        .unwrap()
        .is_none());
    assert!(
        secrets.get_opt(&gen_name).await.unwrap().is_none(),
        "no data left to protect"
    );
    stop(env).await;
}

/// The ingress load balancer is watched, not polled: with polling pushed beyond the test's
/// timeouts (backoff 60 s), the address arriving on the Service still reaches the Whisk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_balancer_address_arrives_by_watch() {
    let policy = nuvolaris_reconciler_whisk::requeue::Policy {
        min: Duration::from_secs(60),
        max: Duration::from_secs(60),
    };
    let env = setup_with(
        true,
        Some(NS),
        WhiskReconciler::default().with_backoff(policy),
    )
    .await;
    let c = &env.client;
    let lbs: Api<Service> = Api::namespaced(c.clone(), "ingress-nginx");
    lbs.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "ingress-nginx-controller"},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}}))
        .unwrap(),
    )
    .await
    .unwrap();
    let mut doc = minimal_whisk();
    doc["spec"]["nuvolaris"]["kube"] = json!("generic");
    let whisks: Api<Whisk> = Api::namespaced(c.clone(), NS);
    whisks
        .create(
            &PostParams::default(),
            &serde_json::from_value(doc).unwrap(),
        )
        .await
        .unwrap();
    let w = wait_for(
        "waiting for the load balancer",
        Duration::from_secs(30),
        || async {
            let w = whisks.get("controller").await.ok()?;
            let ow = condition(&w, "OpenWhiskReady")?;
            let ep = condition(&w, "EndpointReady")?;
            (ow.0 == "True" && ep.1 == "WaitingForLoadBalancer").then_some(w)
        },
    )
    .await;
    assert_eq!(condition(&w, "Ready").unwrap().0, "False");
    assert_eq!(apihost_annotation(c).await, None);
    let lb = json!({"status": {"loadBalancer": {"ingress": [{"ip": "10.9.8.7"}]}}});
    lbs.patch_status(
        "ingress-nginx-controller",
        &PatchParams::default(),
        &Patch::Merge(&lb),
    )
    .await
    .unwrap();
    wait_for(
        "apihost from the watched Service",
        Duration::from_secs(20),
        || async {
            (apihost_annotation(c).await.as_deref() == Some("http://10.9.8.7.nip.io")).then_some(())
        },
    )
    .await;
    wait_for("Ready", Duration::from_secs(20), || async {
        let w = whisks.get("controller").await.ok()?;
        (condition(&w, "Ready")?.0 == "True").then_some(())
    })
    .await;
    stop(env).await;
}

/// The watch behind the test above, on its own: the Service getting an address wakes the
/// controller's resources (the signal the runtime feeds to `reconcile_all_on`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_balancer_address_wakes_the_whisks() {
    use futures::StreamExt;
    let server = ApiServer::start(ServerConfig::default()).await.unwrap();
    let c = client(&server).await;
    let nss: Api<Namespace> = Api::all(c.clone());
    nss.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "ingress-nginx"}})).unwrap(),
    )
    .await
    .unwrap();
    let lbs: Api<Service> = Api::namespaced(c.clone(), "ingress-nginx");
    lbs.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "ingress-nginx-controller"},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}}))
        .unwrap(),
    )
    .await
    .unwrap();
    let watch = nuvolaris_reconciler_whisk::lb_watch::LbWatch::default();
    let mut woken = Box::pin(watch.wakeup().stream());
    watch.ensure(&c, "ingress-nginx", "ingress-nginx-controller");
    let lb = json!({"status": {"loadBalancer": {"ingress": [{"ip": "10.9.8.7"}]}}});
    lbs.patch_status(
        "ingress-nginx-controller",
        &PatchParams::default(),
        &Patch::Merge(&lb),
    )
    .await
    .unwrap();
    let got = tokio::time::timeout(Duration::from_secs(20), woken.next()).await;
    assert_eq!(got.expect("woken by the address"), Some(()));
    server.shutdown().await;
}

/// k3s: a Traefik Middleware per endpoint Ingress, applied because the CRD is served, pruned when
/// the endpoint goes; openshift without the Route CRD: the endpoint is `error`/`MissingCRD`, no
/// Ingresses, and the operator stays ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn middlewares_follow_their_crd_and_a_missing_route_crd_is_reported() {
    let env = setup().await;
    let c = &env.client;
    let crds: Api<CustomResourceDefinition> = Api::all(c.clone());
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "middlewares.traefik.containo.us"},
        "spec": {"group": "traefik.containo.us", "scope": "Namespaced",
            "names": {"kind": "Middleware", "plural": "middlewares", "singular": "middleware", "listKind": "MiddlewareList"},
            "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}});
    crds.create(
        &PostParams::default(),
        &serde_json::from_value(crd).unwrap(),
    )
    .await
    .unwrap();
    let mw_ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("traefik.containo.us", "v1alpha1", "Middleware"),
        "middlewares",
    );
    let mws: Api<DynamicObject> = Api::namespaced_with(c.clone(), NS, &mw_ar);
    let count = || async {
        mws.list(&ListParams::default())
            .await
            .ok()
            .map(|l| l.items.len())
    };
    let whisks: Api<Whisk> = Api::namespaced(c.clone(), NS);
    let ings: Api<Ingress> = Api::namespaced(c.clone(), NS);
    let mut doc = minimal_whisk();
    doc["spec"]["nuvolaris"]["kube"] = json!("k3s");
    doc["spec"]["nuvolaris"]["apihost"] = json!("api.example.org");
    whisks
        .create(
            &PostParams::default(),
            &serde_json::from_value(doc).unwrap(),
        )
        .await
        .unwrap();
    wait_for(
        "Ready with Middlewares",
        Duration::from_secs(60),
        || async {
            let w = whisks.get("controller").await.ok()?;
            (condition(&w, "Ready")?.0 == "True" && count().await? == 4).then_some(())
        },
    )
    .await;
    let ing = ings.get("apihost").await.unwrap();
    assert_eq!(
        ing.annotations()
            .get("traefik.ingress.kubernetes.io/router.middlewares")
            .map(String::as_str),
        Some("nuvolaris-nuvolaris-apihost-api-ingress-add-prefix@kubernetescrd")
    );

    // the endpoint off: its Middlewares go with its Ingresses
    let off = json!({"spec": {"components": {"openwhisk": false}}});
    whisks
        .patch("controller", &PatchParams::default(), &Patch::Merge(&off))
        .await
        .unwrap();
    wait_for("Middlewares pruned", Duration::from_secs(30), || async {
        (count().await? == 0).then_some(())
    })
    .await;
    let on = json!({"spec": {"components": {"openwhisk": true}}});
    whisks
        .patch("controller", &PatchParams::default(), &Patch::Merge(&on))
        .await
        .unwrap();
    wait_for("Middlewares back", Duration::from_secs(30), || async {
        (count().await? == 4).then_some(())
    })
    .await;

    // openshift, whose Route CRD this cluster lacks
    let os = json!({"spec": {"nuvolaris": {"kube": "openshift"}}});
    whisks
        .patch("controller", &PatchParams::default(), &Patch::Merge(&os))
        .await
        .unwrap();
    let w = wait_for("MissingCRD", Duration::from_secs(30), || async {
        let w = whisks.get("controller").await.ok()?;
        (condition(&w, "EndpointReady")?.1 == "MissingCRD").then_some(w)
    })
    .await;
    assert_eq!(
        w.status
            .unwrap()
            .whisk_create
            .get("endpoint")
            .map(String::as_str),
        Some("error")
    );
    wait_for(
        "no Ingresses, no Middlewares on openshift",
        Duration::from_secs(30),
        || async {
            let none = ings
                .list(&ListParams::default())
                .await
                .ok()?
                .items
                .is_empty()
                && count().await? == 0;
            none.then_some(())
        },
    )
    .await;
    assert!(env.op.health.ready().is_ok(), "{:?}", env.op.health.ready());

    // deleting the Whisk removes what it applied of the optional kinds too
    let k3s = json!({"spec": {"nuvolaris": {"kube": "k3s"}}});
    whisks
        .patch("controller", &PatchParams::default(), &Patch::Merge(&k3s))
        .await
        .unwrap();
    wait_for("Middlewares again", Duration::from_secs(30), || async {
        (count().await? == 4).then_some(())
    })
    .await;
    whisks
        .delete("controller", &DeleteParams::default())
        .await
        .unwrap();
    wait_for(
        "Middlewares deleted with the Whisk",
        Duration::from_secs(30),
        || async {
            let gone = whisks.get_opt("controller").await.ok()?.is_none() && count().await? == 0;
            gone.then_some(())
        },
    )
    .await;
    stop(env).await;
}

/// A Job of the same name that is not the Whisk's is never deleted, even when the Whisk would
/// recreate it: the Whisk reports `Degraded=Conflict` and publishes a Warning Event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_job_is_never_deleted() {
    let env = setup().await;
    let c = &env.client;
    let jobs: Api<Job> = Api::namespaced(c.clone(), NS);
    let foreign = json!({"metadata": {"name": "couchdb-init"},
        "spec": {"template": {"spec": {"restartPolicy": "Never",
            "containers": [{"name": "other", "image": "busybox"}]}}}});
    let created = jobs
        .create(
            &PostParams::default(),
            &serde_json::from_value(foreign).unwrap(),
        )
        .await
        .unwrap();
    let whisks: Api<Whisk> = Api::namespaced(c.clone(), NS);
    whisks
        .create(
            &PostParams::default(),
            &serde_json::from_value(minimal_whisk()).unwrap(),
        )
        .await
        .unwrap();
    let (_, _, message) = wait_for("Degraded=Conflict", Duration::from_secs(60), || async {
        let w = whisks.get("controller").await.ok()?;
        condition(&w, "Degraded").filter(|d| d.0 == "True" && d.1 == "Conflict")
    })
    .await;
    assert!(message.contains("couchdb-init"), "{message}");
    let events: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(c.clone(), NS);
    wait_for("Conflict event", Duration::from_secs(10), || async {
        let l = events.list(&ListParams::default()).await.ok()?;
        l.items
            .iter()
            .any(|e| {
                e.reason.as_deref() == Some("Conflict")
                    && e.type_.as_deref() == Some("Warning")
                    && e.note
                        .as_deref()
                        .is_some_and(|n| n.contains("couchdb-init"))
            })
            .then_some(())
    })
    .await;
    let live = jobs.get("couchdb-init").await.unwrap();
    assert_eq!(
        live.metadata.uid, created.metadata.uid,
        "the foreign Job was not deleted"
    );
    let w = whisks.get("controller").await.unwrap();
    assert_eq!(condition(&w, "Ready").unwrap().1, "Conflict");
    stop(env).await;
}
