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

//! Conformance suite of the embedded API server, over HTTP. It runs against the embedded
//! server, or against a real cluster when `NUVOLARIS_CONFORMANCE_KUBECONFIG` names a kubeconfig
//! (then it checks that our expectations match reality). Shapes come from testdata/k8s-api-traces (a copy of the recorded traces).

mod common;

use common::{keys, trace, Target};
use nuvolaris_apiserver::ServerConfig;
use serde_json::{json, Value};
use std::time::Duration;

const MERGE: Option<&str> = Some("application/merge-patch+json");

fn cm(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1"}})
}

fn deployment(name: &str, replicas: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
}

fn cms(ns: &str) -> String {
    format!("/api/v1/namespaces/{ns}/configmaps")
}

fn deps(ns: &str) -> String {
    format!("/apis/apps/v1/namespaces/{ns}/deployments")
}

/// A Status body with the trace's shape: same keys, kind/apiVersion/status/reason/code.
fn assert_status_like(got: &Value, want: &Value) {
    assert_eq!(keys(got), keys(want), "{got}");
    for k in ["kind", "apiVersion", "status", "reason", "code"] {
        assert_eq!(got[k], want[k], "{k} in {got}");
    }
    assert_eq!(keys(&got["details"]), keys(&want["details"]), "{got}");
}

#[tokio::test]
async fn version_and_discovery_shapes() {
    let t = common::target().await;
    let v = t.call("GET", "/version", None, None).await;
    assert_eq!(v.code, 200);
    assert_eq!(keys(&v.json), keys(&trace("version.json")));
    let api = t.call("GET", "/api", None, None).await;
    assert_eq!(keys(&api.json), keys(&trace("discovery-api.json")));
    assert_eq!(api.json["versions"], json!(["v1"]));
    // core resources: the entries we serve equal the real ones (singularName and hash aside)
    let strip = |mut e: Value| {
        e.as_object_mut().unwrap().remove("singularName");
        e.as_object_mut().unwrap().remove("storageVersionHash");
        e
    };
    for (path, file) in [
        ("/api/v1", "discovery-api-v1.json"),
        ("/apis/apps/v1", "discovery-apis-apps-v1.json"),
    ] {
        let got = t.call("GET", path, None, None).await.json;
        let want = trace(file);
        assert_eq!(keys(&got), keys(&want), "{path}");
        let served: Vec<Value> = got["resources"].as_array().unwrap().clone();
        for e in &served {
            if let Some(w) = want["resources"]
                .as_array()
                .unwrap()
                .iter()
                .find(|w| w["name"] == e["name"])
            {
                assert_eq!(strip(e.clone()), strip(w.clone()), "{path} {}", e["name"]);
            }
        }
        for needed in [
            "configmaps",
            "secrets",
            "namespaces",
            "deployments",
            "statefulsets",
            "deployments/scale",
            "deployments/status",
        ] {
            let want_has = want["resources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w["name"] == needed);
            let got_has = served.iter().any(|w| w["name"] == needed);
            assert_eq!(want_has, got_has, "{path} {needed}");
        }
    }
    let apis = t.call("GET", "/apis", None, None).await.json;
    assert_eq!(apis["kind"], "APIGroupList");
    let names: Vec<&str> = apis["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    for g in [
        "apps",
        "batch",
        "networking.k8s.io",
        "coordination.k8s.io",
        "rbac.authorization.k8s.io",
        "apiextensions.k8s.io",
        "events.k8s.io",
    ] {
        assert!(names.contains(&g), "{g} in {names:?}");
    }
    let apps = t.call("GET", "/apis/apps", None, None).await.json;
    assert_eq!(apps["kind"], "APIGroup");
    assert_eq!(apps["preferredVersion"]["groupVersion"], "apps/v1");
    let unknown = t
        .call(
            "GET",
            "/apis/apps/v1/namespaces/default/nothings/x",
            None,
            None,
        )
        .await;
    assert_eq!(unknown.code, 404);
    assert_eq!(unknown.text.trim(), "404 page not found");
}

#[tokio::test]
async fn aggregated_discovery() {
    let t = common::target().await;
    let accept =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
    let r = t
        .call_h("GET", "/apis", None, None, &[("accept", accept)])
        .await;
    assert_eq!(r.code, 200);
    assert!(
        r.content_type.contains("as=APIGroupDiscoveryList"),
        "{}",
        r.content_type
    );
    assert_eq!(r.json["kind"], "APIGroupDiscoveryList");
    let apps = r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["metadata"]["name"] == "apps")
        .expect("apps group");
    let dep = apps["versions"][0]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource"] == "deployments")
        .expect("deployments");
    assert_eq!(dep["scope"], "Namespaced");
    assert_eq!(dep["responseKind"]["kind"], "Deployment");
    let core = t
        .call_h("GET", "/api", None, None, &[("accept", accept)])
        .await;
    assert_eq!(core.json["items"][0]["versions"][0]["version"], "v1");
}

#[tokio::test]
async fn errors_match_traces() {
    let t = common::target().await;
    let ns = t.namespace("err").await;
    let nf = t
        .call("GET", &format!("{}/nope", deps(&ns)), None, None)
        .await;
    assert_eq!(nf.code, 404);
    assert_status_like(&nf.json, &trace("error-404-notfound.json"));
    assert_eq!(nf.json["message"], "deployments.apps \"nope\" not found");
    let c = t
        .call("POST", &deps(&ns), None, Some(&deployment("web", 1)))
        .await;
    assert_eq!(c.code, 201, "{}", c.text);
    let dup = t
        .call("POST", &deps(&ns), None, Some(&deployment("web", 1)))
        .await;
    assert_eq!(dup.code, 409);
    assert_eq!(dup.json, {
        let mut w = trace("error-409-alreadyexists.json");
        w["message"] = json!("deployments.apps \"web\" already exists");
        w
    });
    let mut stale = c.json.clone();
    let p = t
        .call(
            "PATCH",
            &format!("{}/web", deps(&ns)),
            MERGE,
            Some(&json!({"metadata": {"labels": {"x": "y"}}})),
        )
        .await;
    assert_eq!(p.code, 200);
    stale["spec"]["replicas"] = json!(3);
    let conflict = t
        .call("PUT", &format!("{}/web", deps(&ns)), None, Some(&stale))
        .await;
    assert_eq!(conflict.code, 409);
    assert_eq!(conflict.json, trace("error-409-conflict-stale-rv.json"));
    let del = t
        .call("DELETE", &format!("{}/nope", deps(&ns)), None, None)
        .await;
    assert_eq!(del.code, 404);
    let bad = t.call("POST", &cms(&ns), None, Some(&cm("Bad_Name"))).await;
    assert_eq!(bad.code, 422);
    assert_eq!(bad.json["reason"], "Invalid");
    assert_eq!(bad.json["details"]["causes"][0]["field"], "metadata.name");
    let no_ns = t
        .call("POST", &cms("does-not-exist-ns"), None, Some(&cm("a")))
        .await;
    assert_eq!(no_ns.code, 404);
    assert_eq!(
        no_ns.json["message"],
        "namespaces \"does-not-exist-ns\" not found"
    );
    let wrong_ns = t.call("POST", &cms(&ns), None, Some(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "w", "namespace": "other"}}))).await;
    assert_eq!(wrong_ns.code, 400);
    assert_eq!(
        wrong_ns.json["message"],
        "the namespace of the provided object does not match the namespace sent on the request"
    );
    let c2 = t.call("POST", &cms(&ns), None, Some(&cm("n1"))).await;
    let mut renamed = c2.json.clone();
    renamed["metadata"]["name"] = json!("n2");
    let wrong_name = t
        .call("PUT", &format!("{}/n1", cms(&ns)), None, Some(&renamed))
        .await;
    assert_eq!(wrong_name.code, 400);
    assert_eq!(
        wrong_name.json["message"],
        "the name of the object (n2) does not match the name on the URL (n1)"
    );
    let wrong_kind = t
        .call(
            "POST",
            &cms(&ns),
            None,
            Some(&json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "k"}})),
        )
        .await;
    assert_eq!(wrong_kind.code, 400, "{}", wrong_kind.text);
}

#[tokio::test]
async fn create_update_semantics() {
    let t = common::target().await;
    let ns = t.namespace("crud").await;
    let r = t.call("POST", &cms(&ns), None, Some(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "gen-"}}))).await;
    assert_eq!(r.code, 201);
    let name = r.json["metadata"]["name"].as_str().unwrap();
    assert!(name.starts_with("gen-") && name.len() == 9, "{name}");
    assert!(
        r.json["metadata"].get("generation").is_none(),
        "configmaps have no generation"
    );
    assert_eq!(r.json["metadata"]["uid"].as_str().unwrap().len(), 36);
    assert!(r.json["metadata"]["creationTimestamp"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    let dry = t
        .call(
            "POST",
            &format!("{}?dryRun=All", cms(&ns)),
            None,
            Some(&cm("dry")),
        )
        .await;
    assert_eq!(dry.code, 201);
    assert_eq!(
        t.call("GET", &format!("{}/dry", cms(&ns)), None, None)
            .await
            .code,
        404
    );
    // no-op update keeps the resourceVersion
    let c = t
        .call("POST", &cms(&ns), None, Some(&cm("same")))
        .await
        .json;
    let put = t
        .call("PUT", &format!("{}/same", cms(&ns)), None, Some(&c))
        .await;
    assert_eq!(put.code, 200);
    assert_eq!(
        put.json["metadata"]["resourceVersion"],
        c["metadata"]["resourceVersion"]
    );
    let noop = t
        .call(
            "PATCH",
            &format!("{}/same", cms(&ns)),
            MERGE,
            Some(&json!({"data": {"a": "1"}})),
        )
        .await;
    assert_eq!(
        noop.json["metadata"]["resourceVersion"],
        c["metadata"]["resourceVersion"]
    );
    let changed = t
        .call(
            "PATCH",
            &format!("{}/same", cms(&ns)),
            MERGE,
            Some(&json!({"data": {"a": "2"}})),
        )
        .await;
    let (a, b): (u64, u64) = (
        c["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
        changed.json["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
    );
    assert!(b > a, "resourceVersion grows: {a} -> {b}");
    // generation of a Deployment: spec bumps, metadata does not
    let d = t
        .call("POST", &deps(&ns), None, Some(&deployment("g", 1)))
        .await
        .json;
    assert_eq!(d["metadata"]["generation"], 1);
    let m = t
        .call(
            "PATCH",
            &format!("{}/g", deps(&ns)),
            MERGE,
            Some(&json!({"metadata": {"labels": {"l": "v"}}})),
        )
        .await
        .json;
    assert_eq!(m["metadata"]["generation"], 1);
    let s = t
        .call(
            "PATCH",
            &format!("{}/g", deps(&ns)),
            MERGE,
            Some(&json!({"spec": {"replicas": 2}})),
        )
        .await
        .json;
    assert_eq!(s["metadata"]["generation"], 2);
    // JSON patch and strategic merge patch
    let jp = t
        .call(
            "PATCH",
            &format!("{}/g", deps(&ns)),
            Some("application/json-patch+json"),
            Some(&json!([{"op": "replace", "path": "/spec/replicas", "value": 4}])),
        )
        .await;
    assert_eq!(jp.json["spec"]["replicas"], 4, "{}", jp.text);
    let smp = t.call("PATCH", &format!("{}/g", deps(&ns)), Some("application/strategic-merge-patch+json"),
        Some(&json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "env": [{"name": "E", "value": "1"}]}]}}}}))).await;
    assert_eq!(smp.code, 200, "{}", smp.text);
    assert_eq!(
        smp.json["spec"]["template"]["spec"]["containers"][0]["image"], "nginx",
        "merged by name"
    );
    assert_eq!(
        smp.json["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn server_side_apply() {
    let t = common::target().await;
    let ns = t.namespace("ssa").await;
    let apply = Some("application/apply-patch+yaml");
    let url = format!(
        "{}/web?fieldManager=nuvolaris-operator&force=true",
        deps(&ns)
    );
    let r = t
        .call("PATCH", &url, apply, Some(&deployment("web", 1)))
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(
        r.json["metadata"]["managedFields"][0]["manager"],
        "nuvolaris-operator"
    );
    assert_eq!(r.json["metadata"]["managedFields"][0]["operation"], "Apply");
    let again = t
        .call("PATCH", &url, apply, Some(&deployment("web", 1)))
        .await;
    assert_eq!(again.code, 200);
    let other = t.call("PATCH", &format!("{}/web?fieldManager=someone-else", deps(&ns)), apply,
        Some(&json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 5}}))).await;
    assert_eq!(other.code, 409);
    assert_eq!(other.json, trace("ssa-conflict.response.json"));
}

#[tokio::test]
async fn list_selectors_and_pages() {
    let t = common::target().await;
    let ns = t.namespace("list").await;
    for (n, labels) in [
        ("a", json!({"app": "web", "tier": "fe"})),
        ("b", json!({"app": "web", "tier": "be"})),
        ("c", json!({"app": "db"})),
    ] {
        let mut o = cm(n);
        o["metadata"]["labels"] = labels;
        assert_eq!(t.call("POST", &cms(&ns), None, Some(&o)).await.code, 201);
    }
    let list = t.call("GET", &cms(&ns), None, None).await.json;
    assert_eq!(list["kind"], "ConfigMapList");
    assert_eq!(list["apiVersion"], "v1");
    assert!(list["metadata"]["resourceVersion"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    for (sel, want) in [
        ("labelSelector=app%3Dweb", vec!["a", "b"]),
        ("labelSelector=app%3D%3Dweb", vec!["a", "b"]),
        ("labelSelector=app%21%3Dweb", vec!["c"]),
        ("labelSelector=tier%20in%20(fe,x)", vec!["a"]),
        ("labelSelector=tier%20notin%20(fe)", vec!["b", "c"]),
        ("labelSelector=tier", vec!["a", "b"]),
        ("labelSelector=%21tier", vec!["c"]),
        ("fieldSelector=metadata.name%3Db", vec!["b"]),
        ("fieldSelector=metadata.name%21%3Db", vec!["a", "c"]),
        (
            &format!("fieldSelector=metadata.namespace%3D{ns}"),
            vec!["a", "b", "c"],
        ),
    ] {
        let r = t
            .call("GET", &format!("{}?{sel}", cms(&ns)), None, None)
            .await;
        assert_eq!(names(&r.json), want, "{sel}");
    }
    let p1 = t
        .call("GET", &format!("{}?limit=2", cms(&ns)), None, None)
        .await
        .json;
    assert_eq!(names(&p1), vec!["a", "b"]);
    let cont = p1["metadata"]["continue"].as_str().expect("continue");
    let p2 = t
        .call(
            "GET",
            &format!("{}?limit=2&continue={cont}", cms(&ns)),
            None,
            None,
        )
        .await
        .json;
    assert_eq!(names(&p2), vec!["c"]);
    assert!(p2["metadata"].get("continue").is_none_or(|c| c == ""));
    let all = t.call("GET", "/api/v1/configmaps", None, None).await.json;
    assert!(names(&all).len() >= 3);
}

#[tokio::test]
async fn watch_events_bookmarks_and_timeout() {
    let t = common::target_with(ServerConfig {
        bookmark_interval: Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    let ns = t.namespace("watch").await;
    let list = t.call("GET", &cms(&ns), None, None).await.json;
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!(
        "{}?watch=true&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=3",
        cms(&ns)
    );
    let t2 = common::Target {
        client: t.client.clone(),
        server: None,
    };
    let ns2 = ns.clone();
    // the watch starts at `rv`, so it gets these events whether it opens before or after them
    let writer = tokio::spawn(async move {
        t2.call("POST", &cms(&ns2), None, Some(&cm("w"))).await;
        t2.call(
            "PATCH",
            &format!("{}/w", cms(&ns2)),
            MERGE,
            Some(&json!({"data": {"a": "2"}})),
        )
        .await;
        t2.call("DELETE", &format!("{}/w", cms(&ns2)), None, None)
            .await;
    });
    let lines = t.watch_lines(&path, 100, Duration::from_secs(6)).await;
    writer.await.unwrap();
    let types: Vec<&str> = lines
        .iter()
        .map(|l| l["type"].as_str().unwrap())
        .filter(|t| *t != "BOOKMARK")
        .collect();
    assert_eq!(types, vec!["ADDED", "MODIFIED", "DELETED"], "{lines:?}");
    assert_eq!(
        lines.iter().find(|l| l["type"] == "DELETED").unwrap()["object"]["data"]["a"],
        "2",
        "DELETED carries the last state"
    );
    if t.embedded() {
        let bm = lines
            .iter()
            .find(|l| l["type"] == "BOOKMARK")
            .expect("a bookmark");
        assert_eq!(
            keys(&bm["object"]["metadata"]),
            vec!["creationTimestamp", "resourceVersion"]
        );
    }
    // resume from the first event's rv replays what came after it
    let first_rv = lines.iter().find(|l| l["type"] == "ADDED").unwrap()["object"]["metadata"]
        ["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let replay = t
        .watch_lines(
            &format!(
                "{}?watch=1&resourceVersion={first_rv}&timeoutSeconds=1",
                cms(&ns)
            ),
            2,
            Duration::from_secs(3),
        )
        .await;
    let types: Vec<&str> = replay.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(types, vec!["MODIFIED", "DELETED"]);
}

#[tokio::test]
async fn watch_initial_events_and_selectors() {
    let t = common::target().await;
    let ns = t.namespace("wi").await;
    let mut o = cm("sel");
    o["metadata"]["labels"] = json!({"k": "v"});
    t.call("POST", &cms(&ns), None, Some(&o)).await;
    t.call("POST", &cms(&ns), None, Some(&cm("other"))).await;
    let path = format!("{}?watch=true&labelSelector=k%3Dv&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=2", cms(&ns));
    let lines = t.watch_lines(&path, 2, Duration::from_secs(4)).await;
    assert_eq!(lines[0]["type"], "ADDED");
    assert_eq!(lines[0]["object"]["metadata"]["name"], "sel");
    assert_eq!(lines[1]["type"], "BOOKMARK");
    assert_eq!(
        lines[1]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    // rv=0: synthetic ADDED for the current state
    let lines = t
        .watch_lines(
            &format!("{}?watch=true&resourceVersion=0&timeoutSeconds=1", cms(&ns)),
            2,
            Duration::from_secs(3),
        )
        .await;
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["type"] == "ADDED"));
    // a label change out of the selector is a DELETED for that watcher
    let list = t
        .call(
            "GET",
            &format!("{}?labelSelector=k%3Dv", cms(&ns)),
            None,
            None,
        )
        .await
        .json;
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    t.call(
        "PATCH",
        &format!("{}/sel", cms(&ns)),
        MERGE,
        Some(&json!({"metadata": {"labels": {"k": "w"}}})),
    )
    .await;
    let lines = t
        .watch_lines(
            &format!(
                "{}?watch=true&labelSelector=k%3Dv&resourceVersion={rv}&timeoutSeconds=1",
                cms(&ns)
            ),
            1,
            Duration::from_secs(3),
        )
        .await;
    assert_eq!(lines[0]["type"], "DELETED");
}

#[tokio::test]
async fn watch_too_old_gets_410() {
    let t = common::target_with(ServerConfig {
        watch_history: 2,
        ..Default::default()
    })
    .await;
    if !t.embedded() {
        return; // a real server's compaction window is not ours to set
    }
    let ns = t.namespace("old").await;
    let first = t.call("POST", &cms(&ns), None, Some(&cm("x0"))).await.json;
    let rv = first["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    for i in 1..5 {
        t.call("POST", &cms(&ns), None, Some(&cm(&format!("x{i}"))))
            .await;
    }
    let lines = t
        .watch_lines(
            &format!("{}?watch=true&resourceVersion={rv}", cms(&ns)),
            1,
            Duration::from_secs(3),
        )
        .await;
    assert_eq!(lines[0]["type"], "ERROR");
    assert_eq!(lines[0]["object"]["code"], 410);
    assert_eq!(lines[0]["object"]["reason"], "Expired");
    assert!(lines[0]["object"]["message"]
        .as_str()
        .unwrap()
        .starts_with(&format!("too old resource version: {rv} (")));
}

#[tokio::test]
async fn finalizers_and_deletion() {
    let t = common::target().await;
    let ns = t.namespace("fin").await;
    let mut d = deployment("web", 1);
    d["metadata"]["finalizers"] = json!(["nuvolaris.org/cleanup"]);
    let created = t.call("POST", &deps(&ns), None, Some(&d)).await.json;
    let del = t
        .call("DELETE", &format!("{}/web", deps(&ns)), None, None)
        .await;
    assert_eq!(del.code, 200);
    let want = trace("delete-with-finalizer.response.json");
    assert_eq!(del.json["kind"], want["kind"]);
    assert!(del.json["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(del.json["metadata"]["deletionGracePeriodSeconds"], 0);
    assert_eq!(
        del.json["metadata"]["generation"],
        created["metadata"]["generation"].as_i64().unwrap() + 1
    );
    let add = t
        .call(
            "PATCH",
            &format!("{}/web", deps(&ns)),
            MERGE,
            Some(&json!({"metadata": {"finalizers": ["nuvolaris.org/cleanup", "x.io/new"]}})),
        )
        .await;
    assert_eq!(
        add.code, 422,
        "no new finalizers while deleting: {}",
        add.text
    );
    let rv = del.json["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let rm = t
        .call(
            "PATCH",
            &format!("{}/web", deps(&ns)),
            MERGE,
            Some(&json!({"metadata": {"finalizers": null}})),
        )
        .await;
    assert_eq!(rm.code, 200);
    assert_eq!(
        t.call("GET", &format!("{}/web", deps(&ns)), None, None)
            .await
            .code,
        404
    );
    let lines = t
        .watch_lines(
            &format!(
                "{}?watch=true&resourceVersion={rv}&timeoutSeconds=1",
                deps(&ns)
            ),
            1,
            Duration::from_secs(3),
        )
        .await;
    assert_eq!(lines.last().unwrap()["type"], "DELETED");
    // plain delete: Status Success
    t.call("POST", &cms(&ns), None, Some(&cm("plain"))).await;
    let ok = t
        .call("DELETE", &format!("{}/plain", cms(&ns)), None, None)
        .await;
    assert_eq!(ok.code, 200);
    assert_eq!(ok.json["kind"], "Status");
    assert_eq!(ok.json["status"], "Success");
    assert_eq!(ok.json["details"]["name"], "plain");
}

fn owned_cm(name: &str, owner: &Value, block: bool) -> Value {
    let mut o = cm(name);
    o["metadata"]["ownerReferences"] = json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"], "blockOwnerDeletion": block}]);
    o
}

/// Returns once the garbage collector has worked after this call: the dependent of a witness
/// owner deleted in the background is collected. What it would have collected before is gone by
/// then too.
async fn gc_ran(t: &Target, ns: &str, tag: &str) {
    let owner = t
        .call("POST", &cms(ns), None, Some(&cm(&format!("witness-{tag}"))))
        .await
        .json;
    let dep = format!("witness-{tag}-dep");
    t.call("POST", &cms(ns), None, Some(&owned_cm(&dep, &owner, false)))
        .await;
    t.call("DELETE", &format!("{}/witness-{tag}", cms(ns)), None, None)
        .await;
    assert!(
        t.eventually(10, || async {
            t.call("GET", &format!("{}/{dep}", cms(ns)), None, None)
                .await
                .code
                == 404
        })
        .await,
        "the garbage collector collected the witness {dep}"
    );
}

#[tokio::test]
async fn garbage_collection() {
    let t = common::target().await;
    let ns = t.namespace("gc").await;
    let get = |n: &str| format!("{}/{n}", cms(&ns));
    // background
    let owner = t
        .call("POST", &cms(&ns), None, Some(&cm("owner")))
        .await
        .json;
    t.call(
        "POST",
        &cms(&ns),
        None,
        Some(&owned_cm("child", &owner, false)),
    )
    .await;
    t.call("DELETE", &get("owner"), None, None).await;
    assert!(
        t.eventually(10, || async {
            t.call("GET", &get("child"), None, None).await.code == 404
        })
        .await,
        "child collected"
    );
    // orphan
    let owner = t
        .call("POST", &cms(&ns), None, Some(&cm("owner2")))
        .await
        .json;
    t.call(
        "POST",
        &cms(&ns),
        None,
        Some(&owned_cm("kept", &owner, false)),
    )
    .await;
    t.call(
        "DELETE",
        &format!("{}?propagationPolicy=Orphan", get("owner2")),
        None,
        None,
    )
    .await;
    assert!(
        t.eventually(10, || async {
            t.call("GET", &get("owner2"), None, None).await.code == 404
        })
        .await
    );
    gc_ran(&t, &ns, "w1").await;
    let kept = t.call("GET", &get("kept"), None, None).await;
    assert_eq!(kept.code, 200);
    assert!(kept.json["metadata"]
        .get("ownerReferences")
        .is_none_or(|r| r.as_array().unwrap().is_empty()));
    // foreground: the owner waits for its blocking dependents
    let owner = t
        .call("POST", &cms(&ns), None, Some(&cm("owner3")))
        .await
        .json;
    let mut child = owned_cm("blocker", &owner, true);
    child["metadata"]["finalizers"] = json!(["test.io/hold"]);
    t.call("POST", &cms(&ns), None, Some(&child)).await;
    let del = t.call("DELETE", &get("owner3"), None, Some(&json!({"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Foreground"}))).await;
    assert_eq!(del.code, 200);
    assert!(del.json["metadata"]["finalizers"]
        .as_array()
        .unwrap()
        .contains(&json!("foregroundDeletion")));
    assert!(
        t.eventually(10, || async {
            t.call("GET", &get("blocker"), None, None).await.json["metadata"]["deletionTimestamp"]
                .is_string()
        })
        .await
    );
    gc_ran(&t, &ns, "w2").await;
    assert_eq!(
        t.call("GET", &get("owner3"), None, None).await.code,
        200,
        "owner held by the blocking dependent"
    );
    t.call(
        "PATCH",
        &get("blocker"),
        MERGE,
        Some(&json!({"metadata": {"finalizers": null}})),
    )
    .await;
    assert!(
        t.eventually(10, || async {
            t.call("GET", &get("owner3"), None, None).await.code == 404
        })
        .await,
        "owner goes once the dependent is gone"
    );
}

#[tokio::test]
async fn namespace_deletion() {
    let t = common::target().await;
    let forbidden = t
        .call("DELETE", "/api/v1/namespaces/default", None, None)
        .await;
    assert_eq!(forbidden.code, 403);
    assert_eq!(
        forbidden.json["message"],
        "namespaces \"default\" is forbidden: this namespace may not be deleted"
    );
    let ns = t.namespace("nsdel").await;
    t.call("POST", &cms(&ns), None, Some(&cm("inside"))).await;
    let del = t
        .call("DELETE", &format!("/api/v1/namespaces/{ns}"), None, None)
        .await;
    assert_eq!(del.code, 200);
    assert_eq!(del.json["kind"], "Namespace");
    assert_eq!(del.json["status"]["phase"], "Terminating");
    assert_eq!(del.json["spec"]["finalizers"], json!(["kubernetes"]));
    assert!(
        t.eventually(60, || async {
            t.call("GET", &format!("/api/v1/namespaces/{ns}"), None, None)
                .await
                .code
                == 404
        })
        .await
    );
    assert_eq!(
        t.call("GET", &format!("{}/inside", cms(&ns)), None, None)
            .await
            .code,
        404
    );
}

async fn install_widgets(t: &Target, group: &str) -> Value {
    let mut crd = trace("crd-typed.json");
    crd["metadata"] = json!({"name": format!("widgets.{group}")});
    crd["spec"]["group"] = json!(group);
    let r = t
        .call(
            "POST",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            None,
            Some(&crd),
        )
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    let path = format!("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.{group}");
    let mut last = Value::Null;
    for _ in 0..100 {
        last = t.call("GET", &path, None, None).await.json;
        let est = last["status"]["conditions"].as_array().is_some_and(|c| {
            c.iter()
                .any(|c| c["type"] == "Established" && c["status"] == "True")
        });
        if est {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    last
}

#[tokio::test]
async fn crd_lifecycle_and_status_subresource() {
    let t = common::target().await;
    let group = "conf1.example.org";
    let crd = install_widgets(&t, group).await;
    let want = trace("crd-established.json");
    assert_eq!(keys(&crd["status"]), keys(&want["status"]));
    let conds: Vec<(&str, &str, &str)> = crd["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["type"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
                c["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        conds.contains(&("Established", "True", "InitialNamesAccepted")),
        "{conds:?}"
    );
    assert!(conds.contains(&("NamesAccepted", "True", "NoConflicts")));
    assert_eq!(
        crd["status"]["acceptedNames"],
        want["status"]["acceptedNames"]
    );
    let disc = t
        .call("GET", &format!("/apis/{group}/v1"), None, None)
        .await
        .json;
    let names: Vec<&str> = disc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["widgets", "widgets/status"]);
    assert_eq!(disc["resources"][0]["singularName"], "widget");
    assert_eq!(disc["resources"][0]["shortNames"], json!(["wdg"]));
    let ns = t.namespace("cr").await;
    let base = format!("/apis/{group}/v1/namespaces/{ns}/widgets");
    let w = json!({"apiVersion": format!("{group}/v1"), "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"count": 2, "unknown": "x"}, "status": {"ready": true}});
    let c = t.call("POST", &base, None, Some(&w)).await;
    assert_eq!(c.code, 201, "{}", c.text);
    let want = trace("cr-create-prunes-unknown-and-status.response.json");
    assert_eq!(keys(&c.json), keys(&want));
    assert_eq!(c.json["spec"], want["spec"], "unknown field pruned");
    assert_eq!(keys(&c.json["metadata"]), keys(&want["metadata"]));
    let st = t
        .call(
            "PATCH",
            &format!("{base}/w1/status"),
            MERGE,
            Some(&json!({"spec": {"count": 7}, "status": {"ready": true}})),
        )
        .await
        .json;
    assert_eq!(st["spec"]["count"], 2);
    assert_eq!(st["status"]["ready"], true);
    assert_eq!(st["metadata"]["generation"], 1);
    let main = t
        .call(
            "PATCH",
            &format!("{base}/w1"),
            MERGE,
            Some(&json!({"spec": {"count": 3}, "status": {"ready": false}})),
        )
        .await
        .json;
    assert_eq!(
        main["status"]["ready"], true,
        "status ignored on the main resource"
    );
    assert_eq!(main["metadata"]["generation"], 2);
    let bad = t.call("POST", &base, None, Some(&json!({"apiVersion": format!("{group}/v1"), "kind": "Widget", "metadata": {"name": "bad"}, "spec": {"count": "two"}}))).await;
    assert_eq!(bad.code, 422);
    let want = trace("cr-error-422-schema.json");
    assert_eq!(bad.json["details"]["causes"], want["details"]["causes"]);
    assert_eq!(
        bad.json["message"],
        json!(want["message"]
            .as_str()
            .unwrap()
            .replace("example.org", group))
    );
    let neg = t.call("POST", &base, None, Some(&json!({"apiVersion": format!("{group}/v1"), "kind": "Widget", "metadata": {"name": "bad"}, "spec": {"count": -5}}))).await;
    assert_eq!(
        neg.json["details"]["causes"],
        trace("cr-error-422-minimum.json")["details"]["causes"]
    );
    let smp = t
        .call(
            "PATCH",
            &format!("{base}/w1"),
            Some("application/strategic-merge-patch+json"),
            Some(&json!({"spec": {"count": 1}})),
        )
        .await;
    assert_eq!(smp.code, 415);
    // deleting the CRD removes its objects and its API
    let d = t
        .call(
            "DELETE",
            &format!("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.{group}"),
            None,
            None,
        )
        .await;
    assert_eq!(d.code, 200);
    assert!(
        t.eventually(30, || async {
            t.call("GET", &format!("{base}/w1"), None, None).await.code == 404
        })
        .await
    );
    assert!(
        t.eventually(30, || async {
            t.call("GET", &format!("/apis/{group}/v1"), None, None)
                .await
                .code
                == 404
        })
        .await
    );
}

#[tokio::test]
async fn scale_subresource() {
    let t = common::target().await;
    let ns = t.namespace("scale").await;
    t.call("POST", &deps(&ns), None, Some(&deployment("s", 1)))
        .await;
    let sc = t
        .call("GET", &format!("{}/s/scale", deps(&ns)), None, None)
        .await;
    assert_eq!(sc.code, 200);
    assert_eq!(sc.json["kind"], "Scale");
    assert_eq!(sc.json["apiVersion"], "autoscaling/v1");
    assert_eq!(sc.json["spec"]["replicas"], 1);
    assert_eq!(sc.json["status"]["selector"], "app=s");
    let p = t
        .call(
            "PATCH",
            &format!("{}/s/scale", deps(&ns)),
            MERGE,
            Some(&json!({"spec": {"replicas": 4}})),
        )
        .await;
    assert_eq!(p.code, 200, "{}", p.text);
    assert_eq!(
        t.call("GET", &format!("{}/s", deps(&ns)), None, None)
            .await
            .json["spec"]["replicas"],
        4
    );
}

#[tokio::test]
async fn workload_simulator() {
    let t = common::target_with(ServerConfig {
        simulate_workloads: true,
        ..Default::default()
    })
    .await;
    if !t.embedded() {
        return;
    }
    let ns = t.namespace("sim").await;
    t.call("POST", &deps(&ns), None, Some(&deployment("d", 3)))
        .await;
    let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}});
    assert_eq!(
        t.call(
            "POST",
            &format!("/apis/batch/v1/namespaces/{ns}/jobs"),
            None,
            Some(&job)
        )
        .await
        .code,
        201
    );
    assert!(
        t.eventually(5, || async {
            let d = t
                .call("GET", &format!("{}/d", deps(&ns)), None, None)
                .await
                .json;
            d["status"]["readyReplicas"] == 3 && d["status"]["observedGeneration"] == 1
        })
        .await
    );
    t.call(
        "PATCH",
        &format!("{}/d/scale", deps(&ns)),
        MERGE,
        Some(&json!({"spec": {"replicas": 1}})),
    )
    .await;
    assert!(
        t.eventually(5, || async {
            let d = t
                .call("GET", &format!("{}/d", deps(&ns)), None, None)
                .await
                .json;
            d["status"]["availableReplicas"] == 1 && d["status"]["observedGeneration"] == 2
        })
        .await
    );
    assert!(
        t.eventually(5, || async {
            let j = t
                .call(
                    "GET",
                    &format!("/apis/batch/v1/namespaces/{ns}/jobs/j"),
                    None,
                    None,
                )
                .await
                .json;
            j["status"]["succeeded"] == 1 && j["status"]["conditions"][0]["type"] == "Complete"
        })
        .await
    );
}

#[tokio::test]
async fn fault_injection() {
    let t = common::target().await;
    let Some(server) = &t.server else { return };
    let faults = server.faults();
    let ns = t.namespace("fault").await;
    faults.set_error_rate(1.0);
    let r = t.call("GET", &cms(&ns), None, None).await;
    assert!([500, 429, 503].contains(&r.code), "{}", r.code);
    assert_eq!(r.json["kind"], "Status");
    faults.set_error_rate(0.0);
    faults.force_watch_gone_once();
    let lines = t
        .watch_lines(
            &format!("{}?watch=true&resourceVersion=1", cms(&ns)),
            1,
            Duration::from_secs(3),
        )
        .await;
    assert_eq!(lines[0]["object"]["code"], 410);
    assert_eq!(t.call("GET", &cms(&ns), None, None).await.code, 200);
}

#[tokio::test]
async fn openapi_v3_for_kubectl() {
    let t = common::target().await;
    let idx = t.call("GET", "/openapi/v3", None, None).await;
    assert_eq!(idx.code, 200);
    let url = idx.json["paths"]["apis/apps/v1"]["serverRelativeURL"]
        .as_str()
        .expect("apps/v1 listed")
        .to_string();
    let doc = t.call("GET", &url, None, None).await.json;
    let patch = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
    assert!(patch["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "fieldValidation"));
}

#[tokio::test]
async fn hostile_inputs() {
    let t = common::target().await;
    let ns = t.namespace("hostile").await;
    let raw = |body: &'static str| {
        let req = http::Request::builder()
            .method("POST")
            .uri(cms(&ns))
            .header("content-type", "application/json")
            .body(kube::client::Body::from(body.as_bytes().to_vec()))
            .unwrap();
        let client = t.client.clone();
        async move {
            let resp = client.send(req).await.unwrap();
            resp.status().as_u16()
        }
    };
    assert_eq!(
        raw("{\"apiVersion\": \"v1\", \"kind\": ").await,
        400,
        "malformed JSON"
    );
    assert_eq!(
        raw("kind: ConfigMap\napiVersion: v1\n").await,
        400,
        "YAML sent as JSON"
    );
    assert_eq!(raw("[1, 2]").await, 400, "not an object");
    let mut o = cm("lbl");
    o["metadata"]["labels"] = json!({"app": 5});
    assert_eq!(
        t.call("POST", &cms(&ns), None, Some(&o)).await.code,
        400,
        "non-string label"
    );
    o["metadata"]["labels"] = json!({"app": "has space"});
    let r = t.call("POST", &cms(&ns), None, Some(&o)).await;
    assert_eq!(r.code, 422);
    assert_eq!(r.json["details"]["causes"][0]["field"], "metadata.labels");
    let long = cm(&"x".repeat(300));
    assert_eq!(
        t.call("POST", &cms(&ns), None, Some(&long)).await.code,
        422,
        "name too long"
    );
    let mut big = cm("big");
    big["data"]["a"] = json!("x".repeat(4 * 1024 * 1024));
    assert_eq!(
        t.call("POST", &cms(&ns), None, Some(&big)).await.code,
        413,
        "body over 3 MiB"
    );
    // nothing of the above was stored, and the server still serves
    let list = t.call("GET", &cms(&ns), None, None).await.json;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn crd_deletion_waits_for_object_finalizers() {
    let t = common::target().await;
    let group = "conf2.example.org";
    install_widgets(&t, group).await;
    let ns = t.namespace("crdfin").await;
    let base = format!("/apis/{group}/v1/namespaces/{ns}/widgets");
    let w = json!({"apiVersion": format!("{group}/v1"), "kind": "Widget",
        "metadata": {"name": "held", "finalizers": ["test.io/hold"]}, "spec": {"count": 1}});
    assert_eq!(t.call("POST", &base, None, Some(&w)).await.code, 201);
    let crd_path =
        format!("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.{group}");
    let d = t.call("DELETE", &crd_path, None, None).await;
    assert_eq!(d.code, 200);
    assert!(
        t.eventually(10, || async {
            t.call("GET", &format!("{base}/held"), None, None)
                .await
                .json["metadata"]["deletionTimestamp"]
                .is_string()
        })
        .await
    );
    let crd = t.call("GET", &crd_path, None, None).await;
    assert_eq!(crd.code, 200, "the CRD waits for its objects");
    assert!(crd.json["metadata"]["deletionTimestamp"].is_string());
    t.call(
        "PATCH",
        &format!("{base}/held"),
        MERGE,
        Some(&json!({"metadata": {"finalizers": null}})),
    )
    .await;
    assert!(
        t.eventually(30, || async {
            t.call("GET", &crd_path, None, None).await.code == 404
        })
        .await
    );
}

#[tokio::test]
async fn lagging_watch_is_closed_not_stalled() {
    let t = common::target_with(ServerConfig {
        watch_buffer: 64,
        ..Default::default()
    })
    .await;
    if !t.embedded() {
        return;
    }
    let ns = t.namespace("lag").await;
    // open a watch and do not read it while far more events than the buffers hold are written
    let req = http::Request::builder()
        .method("GET")
        .uri(format!("{}?watch=true&resourceVersion=0", cms(&ns)))
        .body(kube::client::Body::from(Vec::new()))
        .unwrap();
    let resp = t.client.send(req).await.unwrap();
    let n = 2_000;
    let payload = "x".repeat(16 * 1024);
    for chunk in (0..n).collect::<Vec<_>>().chunks(100) {
        let futs = chunk.iter().map(|i| {
            let mut o = cm(&format!("c{i}"));
            o["data"]["p"] = json!(payload);
            let path = cms(&ns);
            let t = &t;
            async move { t.call("POST", &path, None, Some(&o)).await.code }
        });
        for code in futures::future::join_all(futs).await {
            assert_eq!(code, 201);
        }
    }
    // now drain: the stream must end by itself, having lost events (the client then re-lists)
    use http_body_util::BodyExt;
    let mut body = resp.into_body();
    let mut lines = 0usize;
    let drained = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(d) = frame.into_data() {
                lines += d.iter().filter(|b| **b == b'\n').count();
            }
        }
    })
    .await;
    assert!(drained.is_ok(), "a lagging watch ends instead of stalling");
    assert!(lines < n, "events were dropped: {lines} of {n}");
    // the server still serves watches
    let fresh = t
        .watch_lines(
            &format!("{}?watch=true&resourceVersion=0&timeoutSeconds=2", cms(&ns)),
            1,
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(fresh.len(), 1);
}

#[tokio::test]
async fn table_for_kubectl_get() {
    let t = common::target().await;
    let ns = t.namespace("table").await;
    t.call("POST", &deps(&ns), None, Some(&deployment("tbl", 2)))
        .await;
    let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
    let r = t
        .call_h("GET", &deps(&ns), None, None, &[("accept", accept)])
        .await;
    assert_eq!(r.code, 200);
    assert_eq!(r.json["kind"], "Table");
    assert_eq!(r.json["apiVersion"], "meta.k8s.io/v1");
    let cols: Vec<&str> = r.json["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        &cols[..5],
        &["Name", "Ready", "Up-to-date", "Available", "Age"]
    );
    assert_eq!(r.json["rows"][0]["cells"][0], "tbl");
    assert_eq!(r.json["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    let one = t
        .call_h(
            "GET",
            &format!("{}/tbl", deps(&ns)),
            None,
            None,
            &[("accept", accept)],
        )
        .await;
    assert_eq!(one.json["rows"].as_array().unwrap().len(), 1);
}

/// A write whose Content-Type no serializer accepts is 415 UnsupportedMediaType with the real
/// server's Status (POST/PUT list the body media types, PATCH the patch types of the resource).
#[tokio::test]
async fn unsupported_media_type_is_415() {
    let t = common::target().await;
    let ns = t.namespace("media").await;
    let status = |msg: &str| {
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": format!("the body of the request was in an unknown format - accepted media types include: {msg}"),
            "reason": "UnsupportedMediaType", "code": 415})
    };
    let bodies = "application/json, application/yaml, application/vnd.kubernetes.protobuf";
    let post = t
        .call("POST", &cms(&ns), Some("text/plain"), Some(&cm("plain")))
        .await;
    assert_eq!(post.code, 415, "{}", post.text);
    assert_eq!(post.json, status(bodies));
    // JSON with parameters, YAML and no Content-Type at all are accepted
    let ok = t
        .call(
            "POST",
            &cms(&ns),
            Some("application/json; charset=utf-8"),
            Some(&cm("plain")),
        )
        .await;
    assert_eq!(ok.code, 201, "{}", ok.text);
    let put = t
        .call(
            "PUT",
            &format!("{}/plain", cms(&ns)),
            Some("text/plain"),
            Some(&ok.json),
        )
        .await;
    assert_eq!(put.code, 415, "{}", put.text);
    assert_eq!(put.json, status(bodies));
    let patch = t
        .call(
            "PATCH",
            &format!("{}/plain", cms(&ns)),
            Some("text/plain"),
            Some(&json!({"data": {"a": "b"}})),
        )
        .await;
    assert_eq!(patch.code, 415, "{}", patch.text);
    assert_eq!(patch.json, status("application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"));
    let group = "conf3.example.org";
    install_widgets(&t, group).await;
    let base = format!("/apis/{group}/v1/namespaces/{ns}/widgets");
    let w = json!({"apiVersion": format!("{group}/v1"), "kind": "Widget", "metadata": {"name": "w"}, "spec": {"count": 1}});
    let cr = t.call("POST", &base, Some("text/plain"), Some(&w)).await;
    assert_eq!(cr.code, 415, "{}", cr.text);
    assert_eq!(cr.json, status(bodies));
    assert_eq!(
        t.call("POST", &base, Some("application/yaml"), Some(&w))
            .await
            .code,
        201
    );
    let crp = t
        .call(
            "PATCH",
            &format!("{base}/w"),
            Some("text/plain"),
            Some(&json!({"spec": {"count": 2}})),
        )
        .await;
    assert_eq!(crp.code, 415, "{}", crp.text);
    assert_eq!(crp.json, status("application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"));
}

/// Unknown fields of a custom resource are pruned with one `Warning` header each by default
/// (`fieldValidation=Warn`), silently with `Ignore`, and refused (400) with `Strict`.
#[tokio::test]
async fn pruned_unknown_fields_warn_or_fail() {
    let t = common::target().await;
    let ns = t.namespace("warn").await;
    let group = "conf4.example.org";
    install_widgets(&t, group).await;
    let base = format!("/apis/{group}/v1/namespaces/{ns}/widgets");
    let w = |name: &str| {
        json!({"apiVersion": format!("{group}/v1"), "kind": "Widget", "metadata": {"name": name},
            "spec": {"count": 1, "foo": "x", "bar": {"deep": 1}}})
    };
    let c = t.call("POST", &base, None, Some(&w("a"))).await;
    assert_eq!(c.code, 201, "{}", c.text);
    assert_eq!(c.json["spec"], json!({"count": 1}));
    assert_eq!(
        c.warnings,
        vec![
            r#"299 - "unknown field \"spec.bar\"""#,
            r#"299 - "unknown field \"spec.foo\"""#
        ]
    );
    // PUT and PATCH report the unknown fields they bring; known fields alone warn nothing
    let mut put_body = c.json.clone();
    put_body["spec"]["colour"] = json!("red");
    let put = t
        .call("PUT", &format!("{base}/a"), None, Some(&put_body))
        .await;
    assert_eq!(put.code, 200, "{}", put.text);
    assert_eq!(
        put.warnings,
        vec![r#"299 - "unknown field \"spec.colour\"""#]
    );
    let patch = t
        .call(
            "PATCH",
            &format!("{base}/a"),
            MERGE,
            Some(&json!({"spec": {"count": 2, "size": 3}})),
        )
        .await;
    assert_eq!(patch.code, 200, "{}", patch.text);
    assert_eq!(patch.json["spec"], json!({"count": 2}));
    assert_eq!(
        patch.warnings,
        vec![r#"299 - "unknown field \"spec.size\"""#]
    );
    let clean = t
        .call(
            "PATCH",
            &format!("{base}/a"),
            MERGE,
            Some(&json!({"spec": {"count": 3}})),
        )
        .await;
    assert_eq!(clean.code, 200, "{}", clean.text);
    assert!(clean.warnings.is_empty(), "{:?}", clean.warnings);
    let ignore = t
        .call(
            "POST",
            &format!("{base}?fieldValidation=Ignore"),
            None,
            Some(&w("b")),
        )
        .await;
    assert_eq!(ignore.code, 201, "{}", ignore.text);
    assert!(ignore.warnings.is_empty(), "{:?}", ignore.warnings);
    assert_eq!(ignore.json["spec"], json!({"count": 1}));
    let strict = t
        .call(
            "POST",
            &format!("{base}?fieldValidation=Strict"),
            None,
            Some(&w("c")),
        )
        .await;
    assert_eq!(strict.code, 400, "{}", strict.text);
    assert_eq!(strict.json["reason"], "BadRequest");
    assert_eq!(
        strict.json["message"],
        r#"Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.bar", unknown field "spec.foo""#
    );
    assert_eq!(
        t.call("GET", &format!("{base}/c"), None, None).await.code,
        404,
        "nothing stored on a strict failure"
    );
    let strict_patch = t
        .call(
            "PATCH",
            &format!("{base}/a?fieldValidation=Strict"),
            MERGE,
            Some(&json!({"spec": {"size": 3}})),
        )
        .await;
    assert_eq!(strict_patch.code, 400, "{}", strict_patch.text);
}
