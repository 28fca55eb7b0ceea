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

//! Rendering: every upstream example Whisk parses, passes our CRD schema and renders; the minimal
//! Whisk's render is pinned by a golden file and equals `kubectl kustomize` of the same overlay.

use kube::CustomResourceExt;
use nuvolaris_api::whisk::Whisk;
use nuvolaris_kustomize::yaml::{parse_documents, to_yaml_stream};
use nuvolaris_reconciler_whisk::components::Component;
use nuvolaris_reconciler_whisk::render::{overlay, render, DEFAULT_RUNTIMES_JSON};
use nuvolaris_reconciler_whisk::resolve::RenderInput;
use nuvolaris_reconciler_whisk::secrets::{keys, resolve, WhiskSecrets};
use nuvolaris_reconciler_whisk::settings::{ClusterFacts, OperatorConfig};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

fn whisks_in(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    parse_documents(&text, &path.display().to_string())
        .unwrap()
        .into_iter()
        .filter(|d| d["kind"] == "Whisk")
        .collect()
}

fn fixed_store() -> BTreeMap<String, String> {
    [
        (keys::ADMIN_PASSWORD, "gen-admin"),
        (keys::CONTROLLER_PASSWORD, "gen-controller"),
        (keys::INVOKER_PASSWORD, "gen-invoker"),
        (
            keys::AUTH_WHISK_SYSTEM,
            "00000000-0000-4000-8000-000000000001:genkey1",
        ),
        (
            keys::AUTH_NUVOLARIS,
            "00000000-0000-4000-8000-000000000002:genkey2",
        ),
        (keys::NUVOLARIS_PASSWORD, "gen-nuvolaris"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn secrets(w: &Whisk) -> WhiskSecrets {
    resolve(&w.spec, &fixed_store()).0
}

fn render_with(w: &Whisk, facts: &ClusterFacts) -> Vec<Value> {
    let sec = secrets(w);
    let op = OperatorConfig::default();
    render(&RenderInput {
        whisk: w,
        secrets: &sec,
        facts,
        operator: &op,
        runtimes_json: DEFAULT_RUNTIMES_JSON,
    })
    .expect("render")
}

fn minimal() -> Whisk {
    let doc = whisks_in(&testdata("whisk-minimal.yaml")).remove(0);
    serde_json::from_value(doc).unwrap()
}

fn with_spec(patch: Value) -> Whisk {
    let mut doc = serde_json::to_value(minimal()).unwrap();
    json_patch::merge(&mut doc, &json!({ "spec": patch }));
    serde_json::from_value(doc).unwrap()
}

fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind}/{name} not rendered"))
}

fn names(objs: &[Value]) -> Vec<String> {
    objs.iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn every_upstream_example_whisk_parses_validates_and_renders() {
    let crd = serde_json::to_value(Whisk::crd()).unwrap();
    let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    nuvolaris_apiserver::validation::check_structural(schema)
        .expect("our CRD schema is structural");
    let mut count = 0;
    for entry in std::fs::read_dir(testdata("upstream-examples")).unwrap() {
        let path = entry.unwrap().path();
        for doc in whisks_in(&path) {
            count += 1;
            let mut pruned = doc.clone();
            if let Err(causes) =
                nuvolaris_apiserver::validation::validate_and_prune(schema, &mut pruned)
            {
                panic!(
                    "{}: rejected by our CRD: {:?}",
                    path.display(),
                    causes.iter().map(|c| c.error_string()).collect::<Vec<_>>()
                );
            }
            let w: Whisk = serde_json::from_value(doc.clone())
                .unwrap_or_else(|e| panic!("{}: does not parse: {e}", path.display()));
            // nothing the operator reads is pruned away
            let wp: Whisk = serde_json::from_value(pruned).unwrap();
            assert_eq!(w.spec.components, wp.spec.components, "{}", path.display());
            assert_eq!(w.spec.couchdb, wp.spec.couchdb, "{}", path.display());
            let objs = render_with(&w, &ClusterFacts::default());
            assert!(!objs.is_empty(), "{}: renders nothing", path.display());
        }
    }
    assert_eq!(count, 15, "Whisk documents among the upstream examples");
}

fn kubectl() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NUVOLARIS_KUBECTL").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("kubectl"))
            .find(|p| p.is_file())
    })
}

/// `kubectl kustomize` of the overlay a render of `w` builds (the reference oracle).
fn kubectl_kustomize(kubectl: &Path, w: &Whisk) -> String {
    let sec = secrets(w);
    let op = OperatorConfig::default();
    let facts = ClusterFacts::default();
    let input = RenderInput {
        whisk: w,
        secrets: &sec,
        facts: &facts,
        operator: &op,
        runtimes_json: DEFAULT_RUNTIMES_JSON,
    };
    let dir = tempfile::tempdir().unwrap();
    let loader = overlay(&input).unwrap().loader().unwrap();
    nuvolaris_reconciler_whisk::overlay::write_tree(&loader, dir.path()).unwrap();
    let out = std::process::Command::new(kubectl)
        .arg("kustomize")
        .arg(dir.path().join("whisk/overlay"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl kustomize: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The golden file is `kubectl kustomize`'s output for the minimal Whisk (`UPDATE_GOLDEN=1`
/// rewrites it from kubectl); our render must print exactly that.
#[test]
fn minimal_whisk_render_matches_golden_file() {
    let golden = testdata("golden/whisk-minimal.yaml");
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        let kubectl = kubectl().expect("UPDATE_GOLDEN=1 needs kubectl (NUVOLARIS_KUBECTL)");
        std::fs::write(&golden, kubectl_kustomize(&kubectl, &minimal())).unwrap();
    }
    let want = std::fs::read_to_string(&golden).expect("golden file (UPDATE_GOLDEN=1 writes it)");
    let got = to_yaml_stream(&render_with(&minimal(), &ClusterFacts::default()));
    pretty_assertions::assert_eq!(want, got);
}

/// Our render equals `kubectl kustomize` byte for byte, for several specs.
#[test]
fn rendered_overlays_equal_kubectl_kustomize() {
    let Some(kubectl) = kubectl() else {
        eprintln!(
            "kubectl oracle comparison DID NOT RUN: set NUVOLARIS_KUBECTL or put kubectl on PATH"
        );
        return;
    };
    let cases = [
        minimal(),
        with_spec(
            json!({"components": {"tls": true}, "nuvolaris": {"kube": "eks", "apihost": "api.example.org"},
                         "controller": {"image": "registry:5000/ow/controller:7"},
                         "configs": {"controller": {"resources": {"cpu-req": "1"}}, "couchdb": {"resources": {"cpu-req": "2"}}}}),
        ),
        with_spec(json!({"components": {"openwhisk": false}})),
    ];
    for w in cases {
        let theirs = kubectl_kustomize(&kubectl, &w);
        let ours = to_yaml_stream(&render_with(&w, &ClusterFacts::default()));
        pretty_assertions::assert_eq!(theirs, ours);
    }
}

#[test]
fn minimal_whisk_renders_the_upstream_objects() {
    let objs = render_with(&minimal(), &ClusterFacts::default());
    let n = names(&objs);
    for want in [
        "Service/couchdb",
        "Service/couchdb-np",
        "StatefulSet/couchdb",
        "Job/couchdb-init",
        "Job/preload-runtimes",
        "StatefulSet/controller",
        "Service/controller",
        "Service/controller-ip",
        "Service/debugger",
        "Ingress/apihost",
        "Ingress/apihost-my",
        "Ingress/apihost-info",
    ] {
        assert!(n.contains(&want.to_string()), "{want} missing from {n:?}");
    }
    assert!(
        !n.iter().any(|x| x == "Ingress/apihost-www-my"),
        "no www ingress on kind"
    );
    // every object is in the Whisk's namespace and labelled with its component
    for o in &objs {
        assert_eq!(o["metadata"]["namespace"], "nuvolaris");
        assert!(
            Component::of(o).is_some(),
            "{} has no component label",
            o["metadata"]["name"]
        );
    }
    // the secret carries a content-hash suffix and every reference follows it
    let secret = objs.iter().find(|o| o["kind"] == "Secret").unwrap();
    let sname = secret["metadata"]["name"].as_str().unwrap();
    assert!(
        sname.starts_with("couchdb-auth-") && sname.len() == "couchdb-auth-".len() + 10,
        "{sname}"
    );
    let text = serde_json::to_string(&objs).unwrap();
    assert_eq!(
        text.matches("\"name\":\"couchdb-auth\"").count(),
        0,
        "an unrewritten reference remains"
    );
    let sts = find(&objs, "StatefulSet", "couchdb");
    assert_eq!(
        sts["spec"]["template"]["spec"]["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]
            ["name"],
        sname
    );
    assert_eq!(
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
        "10Gi"
    );
    assert!(sts["spec"]["volumeClaimTemplates"][0]["spec"]
        .get("storageClassName")
        .is_none());
    // controller: image default, limits from configs, couchdb creds from the secret
    let ctl = find(&objs, "StatefulSet", "controller");
    let c = &ctl["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        c["image"],
        "ghcr.io/nuvolaris/openwhisk-controller:3.1.0-mastrogpt.2402101445"
    );
    assert_eq!(
        ctl["spec"]["template"]["spec"]["serviceAccountName"],
        "nuvolaris-openwhisk-core"
    );
    let env: BTreeMap<String, Value> = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e.get("value")
                    .cloned()
                    .unwrap_or_else(|| e["valueFrom"].clone()),
            )
        })
        .collect();
    assert_eq!(env["LIMITS_ACTIONS_INVOKES_PERMINUTE"], "999");
    assert_eq!(env["LIMITS_ACTIONS_INVOKES_CONCURRENT"], "250");
    assert_eq!(env["LIMITS_TRIGGERS_FIRES_PERMINUTE"], "999");
    assert_eq!(env["JAVA_OPTS"], "-Xmx2048M");
    assert_eq!(
        env["CONFIG_whisk_couchdb_controller_password"]["secretKeyRef"]["name"],
        sname
    );
    // preloader: one container per family default
    let job = find(&objs, "Job", "preload-runtimes");
    let containers = job["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    assert_eq!(containers.len(), 8);
    assert!(containers.iter().any(|c| c["name"] == "nodejs"
        && c["image"] == "ghcr.io/nuvolaris/action-nodejs-v18:3.0.0-beta.2311231822"));
    // ingresses: localhost, no tls on kind
    let ing = find(&objs, "Ingress", "apihost");
    assert_eq!(ing["spec"]["rules"][0]["host"], "localhost");
    assert!(ing["spec"].get("tls").is_none());
}

#[test]
fn spec_settings_reach_the_objects() {
    let w = with_spec(json!({
        "components": {"tls": true},
        "nuvolaris": {"kube": "eks", "apihost": "api.example.org", "storageclass": "gp3"},
        "couchdb": {"volume-size": 42},
        "controller": {"image": "registry:5000/ow/controller", "tag": "7"},
        "configs": {"limits": {"time": {"limit-max": "10min"}}}
    }));
    let objs = render_with(&w, &ClusterFacts::default());
    let sts = find(&objs, "StatefulSet", "couchdb");
    assert_eq!(
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
        "42Gi"
    );
    assert_eq!(
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"],
        "gp3"
    );
    let ctl = find(&objs, "StatefulSet", "controller");
    assert_eq!(
        ctl["spec"]["template"]["spec"]["containers"][0]["image"],
        "registry:5000/ow/controller:7"
    );
    let www = find(&objs, "Ingress", "apihost-www-my");
    assert_eq!(www["spec"]["rules"][0]["host"], "www.api.example.org");
    assert_eq!(www["spec"]["tls"][0]["secretName"], "nuvolaris-crt-www");
    let ing = find(&objs, "Ingress", "apihost");
    assert_eq!(ing["spec"]["tls"][0]["hosts"][0], "api.example.org");
    assert_eq!(
        ing["metadata"]["annotations"]["cert-manager.io/cluster-issuer"],
        "letsencrypt-issuer"
    );
    assert_eq!(
        ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"],
        "600"
    );
}

#[test]
fn components_switch_their_objects() {
    let no_ow = render_with(
        &with_spec(json!({"components": {"openwhisk": false}})),
        &ClusterFacts::default(),
    );
    let n = names(&no_ow);
    assert!(n.contains(&"StatefulSet/couchdb".to_string()));
    assert!(
        !n.iter().any(|x| x.contains("controller")
            || x.starts_with("Ingress/")
            || x == "Job/preload-runtimes"),
        "{n:?}"
    );
    let no_db = render_with(
        &with_spec(json!({"components": {"couchdb": false}})),
        &ClusterFacts::default(),
    );
    let n = names(&no_db);
    assert!(
        !n.iter()
            .any(|x| x.contains("couchdb") && !x.starts_with("Secret/")),
        "{n:?}"
    );
    assert!(n.contains(&"StatefulSet/controller".to_string()));
    let none = render_with(
        &with_spec(json!({"components": {"couchdb": false, "openwhisk": false}})),
        &ClusterFacts::default(),
    );
    assert!(none.is_empty());
    // no api host yet (no load balancer address): no ingresses
    let pending = render_with(
        &with_spec(json!({"nuvolaris": {"kube": "generic"}})),
        &ClusterFacts::default(),
    );
    assert!(!names(&pending).iter().any(|x| x.starts_with("Ingress/")));
}

#[test]
fn whisk_namespace_is_used_for_every_object() {
    let mut w = minimal();
    w.metadata.namespace = Some("other".into());
    let objs = render_with(&w, &ClusterFacts::default());
    assert!(objs.iter().all(|o| o["metadata"]["namespace"] == "other"));
    let ctl = find(&objs, "StatefulSet", "controller");
    let env = ctl["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    assert!(env.iter().any(|e| e["name"] == "WHISK_API_HOST_NAME"
        && e["value"] == "controller.other.svc.cluster.local"));
}

#[test]
fn a_runtimes_change_restarts_the_controller_and_changes_the_preloader() {
    let w = minimal();
    let sec = secrets(&w);
    let op = OperatorConfig::default();
    let facts = ClusterFacts::default();
    let other = r#"{"runtimes": {"nodejs": [{"kind": "nodejs:20", "default": true,
        "image": {"prefix": "ghcr.io/x", "name": "node20", "tag": "1"}}]}}"#;
    let a = render(&RenderInput {
        whisk: &w,
        secrets: &sec,
        facts: &facts,
        operator: &op,
        runtimes_json: DEFAULT_RUNTIMES_JSON,
    })
    .unwrap();
    let b = render(&RenderInput {
        whisk: &w,
        secrets: &sec,
        facts: &facts,
        operator: &op,
        runtimes_json: other,
    })
    .unwrap();
    let ann = |objs: &[Value]| {
        find(objs, "StatefulSet", "controller")["spec"]["template"]["metadata"]["annotations"]
            ["nuvolaris.org/runtimes-hash"]
            .clone()
    };
    assert_ne!(ann(&a), ann(&b));
    let containers =
        find(&b, "Job", "preload-runtimes")["spec"]["template"]["spec"]["containers"].clone();
    assert_eq!(
        containers,
        json!([{"name": "nodejs", "image": "ghcr.io/x/node20:1", "command": ["/bin/true"]}])
    );
}

#[test]
fn documented_settings_upstream_ignored_are_honoured() {
    let w = with_spec(json!({
        "components": {"invoker": true},
        "configs": {"limits": {"loadbalancer": {"blackbox-fraction": "25%", "timeout-factor": 3}},
                    "controller": {"loggingLevel": "DEBUG"}}
    }));
    let objs = render_with(&w, &ClusterFacts::default());
    // upstream deployed nothing with components.invoker set; the standalone controller stays
    let ctl = find(&objs, "StatefulSet", "controller");
    let env = ctl["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .clone();
    let get = |n: &str| {
        env.iter()
            .find(|e| e["name"] == n)
            .map(|e| e["value"].clone())
            .unwrap()
    };
    assert_eq!(get("CONFIG_whisk_loadbalancer_blackboxFraction"), "25%");
    assert_eq!(get("CONFIG_whisk_loadbalancer_timeoutFactor"), "3");
    assert_eq!(get("CONFIG_logback_log_level"), "DEBUG");
}

/// `render` through the reconciler (what `nuvolaris-operator render -f` prints).
fn reconciler_render(r: &nuvolaris_reconciler_whisk::WhiskReconciler, w: &Whisk) -> String {
    use nuvolaris_runtime::Reconciler;
    to_yaml_stream(&r.render(w).expect("render"))
}

/// Credentials the spec lacks come from the seed (`render --seed`) or are placeholders: two runs
/// print the same bytes; another seed prints other credentials.
#[test]
fn render_is_deterministic_with_a_seed_or_placeholders() {
    let r = nuvolaris_reconciler_whisk::WhiskReconciler::default();
    // the minimal Whisk with no credentials at all in its spec
    let mut w = minimal();
    w.spec.couchdb = None;
    w.spec.openwhisk = None;
    w.spec.nuvolaris.as_mut().unwrap().password = None;
    let a = reconciler_render(&r, &w);
    assert_eq!(a, reconciler_render(&r, &w), "placeholders: same bytes");
    use nuvolaris_runtime::Reconciler;
    let db_password = |objs: Vec<Value>| -> String {
        use base64::Engine as _;
        let s = objs.into_iter().find(|o| o["kind"] == "Secret").unwrap();
        let b = base64::engine::general_purpose::STANDARD
            .decode(s["data"]["db_password"].as_str().unwrap())
            .unwrap();
        String::from_utf8(b).unwrap()
    };
    assert_eq!(
        db_password(r.render(&w).unwrap()),
        "<generated:couchdb_admin_password>"
    );
    let seeded = r.clone().with_render_seed("s3cr3t");
    let b = reconciler_render(&seeded, &w);
    assert_eq!(b, reconciler_render(&seeded, &w), "seed: same bytes");
    let pw = db_password(seeded.render(&w).unwrap());
    assert_eq!(pw.len(), 32, "a real password: {pw}");
    let c = reconciler_render(&r.clone().with_render_seed("other"), &w);
    assert_ne!(b, c, "another seed, other credentials");
}

#[test]
fn affinity_and_tolerations_reach_every_workload() {
    let w = with_spec(json!({"nuvolaris": {"affinity": true, "tolerations": true}}));
    let objs = render_with(&w, &ClusterFacts::default());
    for (name, anti) in [("couchdb", "couchdb"), ("controller", "controller")] {
        let spec = &find(&objs, "StatefulSet", name)["spec"]["template"]["spec"];
        assert_eq!(
            spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
                [0]["labelSelector"]["matchExpressions"][0]["values"],
            json!([anti]),
            "{name}"
        );
        assert_eq!(
            spec["tolerations"],
            json!([{"key": "nuvolaris-role", "operator": "Equal", "value": "core", "effect": "NoSchedule"}]),
            "{name}"
        );
    }
    // off by default: nothing added
    let objs = render_with(&minimal(), &ClusterFacts::default());
    assert!(
        find(&objs, "StatefulSet", "couchdb")["spec"]["template"]["spec"]
            .get("affinity")
            .is_none()
    );
}

/// k3s (traefik): Prefix paths and a Middleware per Ingress; openshift: Routes, no Ingresses.
#[test]
fn endpoint_uses_middlewares_on_traefik_and_routes_on_openshift() {
    let r = nuvolaris_reconciler_whisk::WhiskReconciler::default();
    use nuvolaris_runtime::Reconciler;
    let k3s = with_spec(json!({"nuvolaris": {"kube": "k3s", "apihost": "api.example.org"}}));
    let objs = r.render(&k3s).unwrap();
    let ing = find(&objs, "Ingress", "apihost-my");
    assert_eq!(
        ing["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"],
        "nuvolaris-nuvolaris-apihost-my-api-ingress-add-prefix@kubernetescrd"
    );
    assert!(ing["metadata"]["annotations"]
        .get("nginx.ingress.kubernetes.io/rewrite-target")
        .is_none());
    assert_eq!(
        ing["spec"]["rules"][0]["http"]["paths"][0]["path"],
        "/api/my"
    );
    assert_eq!(
        ing["spec"]["rules"][0]["http"]["paths"][0]["pathType"],
        "Prefix"
    );
    let mw = find(
        &objs,
        "Middleware",
        "nuvolaris-apihost-my-api-ingress-add-prefix",
    );
    assert_eq!(
        mw["spec"]["replacePathRegex"],
        json!({"regex": "/api/my(/|$)(.*)", "replacement": "/api/v1/web/nuvolaris/$2"})
    );
    assert_eq!(
        names(&objs)
            .iter()
            .filter(|n| n.starts_with("Middleware/"))
            .count(),
        4,
        "apihost-info, apihost, apihost-my, apihost-www-my"
    );

    let os = with_spec(json!({"components": {"tls": true},
        "nuvolaris": {"kube": "openshift", "apihost": "api.example.org"}}));
    let objs = r.render(&os).unwrap();
    assert!(!names(&objs).iter().any(|n| n.starts_with("Ingress/")));
    let route = find(&objs, "Route", "apihost-info");
    assert_eq!(route["spec"]["path"], "/api/info");
    assert_eq!(
        route["spec"]["to"],
        json!({"kind": "Service", "name": "controller-ip"})
    );
    assert_eq!(route["spec"]["tls"], json!({"termination": "edge"}));
    assert_eq!(
        route["metadata"]["annotations"]["haproxy.router.openshift.io/rewrite-target"],
        "/"
    );
    assert_eq!(
        route["metadata"]["annotations"]["kubernetes.io/tls-acme"],
        "true"
    );
    assert_eq!(
        find(&objs, "Route", "apihost-www-my")["spec"]["host"],
        "www.api.example.org"
    );
}
