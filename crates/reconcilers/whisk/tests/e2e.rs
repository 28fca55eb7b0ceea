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
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Api, Client, CustomResourceExt, ResourceExt};
use nuvolaris_api::whisk::Whisk;
use nuvolaris_apiserver::{ApiServer, ServerConfig};
use nuvolaris_kustomize::yaml::parse_documents;
use nuvolaris_reconciler_whisk::secrets::generated_secret_name;
use nuvolaris_reconciler_whisk::WhiskReconciler;
use nuvolaris_runtime::{ControllerConfig, Health, Metrics, Shared};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const NS: &str = "nuvolaris";

async fn config(server: &ApiServer) -> kube::Config {
    let kc = kube::config::Kubeconfig::from_yaml(&server.kubeconfig_yaml(NS)).unwrap();
    kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
        .await
        .unwrap()
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
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info,kube=warn".into()))
        .with_test_writer()
        .try_init();
    let server = ApiServer::start(ServerConfig {
        simulate_workloads: true,
        simulate_delay: Duration::from_millis(300),
        ..Default::default()
    })
    .await
    .unwrap();
    let client = client(&server).await;

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
    let (op_client, recorded) = recording_client(&server).await;
    let reconciler = Arc::new(WhiskReconciler::default());
    nuvolaris_runtime::controller::startup_checks(&*reconciler, &op_client, Some(NS))
        .await
        .expect("startup checks");
    let shared = Shared {
        client: op_client.clone(),
        metrics: Arc::new(Metrics::new()),
        health: Health::new(),
        recorder: kube::runtime::events::Recorder::new(
            op_client.clone(),
            "nuvolaris-operator".into(),
        ),
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let cfg = ControllerConfig {
        namespace: Some(NS.into()),
        ..Default::default()
    };
    let ctl = tokio::spawn(nuvolaris_runtime::controller::run(
        reconciler, shared, cfg, stop_rx,
    ));

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

    // a steady state writes nothing: the resourceVersion of the Whisk stays
    let rv = whisks.get("controller").await.unwrap().resource_version();
    tokio::time::sleep(Duration::from_millis(1500)).await;
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

    // delete: nothing left, Ingresses included
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
            + secrets.list(&lp).await.ok()?.items.len();
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

    stop_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), ctl)
        .await
        .expect("controller stops")
        .unwrap();
    server.shutdown().await;
}

/// Server, prerequisites and a running Whisk controller on a recording client.
struct Env {
    server: ApiServer,
    client: Client,
    recorded: Recorded,
    stop: tokio::sync::watch::Sender<bool>,
    ctl: tokio::task::JoinHandle<()>,
}

async fn setup() -> Env {
    let server = ApiServer::start(ServerConfig {
        simulate_workloads: true,
        simulate_delay: Duration::from_millis(100),
        ..Default::default()
    })
    .await
    .unwrap();
    let client = client(&server).await;
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
    let (op_client, recorded) = recording_client(&server).await;
    let shared = Shared {
        client: op_client.clone(),
        metrics: Arc::new(Metrics::new()),
        health: Health::new(),
        recorder: kube::runtime::events::Recorder::new(
            op_client.clone(),
            "nuvolaris-operator".into(),
        ),
    };
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let cfg = ControllerConfig {
        namespace: Some(NS.into()),
        ..Default::default()
    };
    let ctl = tokio::spawn(nuvolaris_runtime::controller::run(
        Arc::new(WhiskReconciler::default()),
        shared,
        cfg,
        stop_rx,
    ));
    Env {
        server,
        client,
        recorded,
        stop,
        ctl,
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
    env.stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), env.ctl)
        .await
        .expect("controller stops")
        .unwrap();
    env.server.shutdown().await;
}
