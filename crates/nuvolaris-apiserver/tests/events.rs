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

//! Events are one store served through core/v1 and events.k8s.io/v1, like the real server:
//! an Event written through either group is read, listed, selected, watched, patched and
//! deleted through the other, with the fields renamed (`regarding` <-> `involvedObject`,
//! `note` <-> `message`, `deprecatedCount` <-> `count`, ...).
//! Runs against a real cluster too (`NUVOLARIS_CONFORMANCE_KUBECONFIG`).

mod common;

use serde_json::{json, Value};

fn core(ns: &str) -> String {
    format!("/api/v1/namespaces/{ns}/events")
}

fn view(ns: &str) -> String {
    format!("/apis/events.k8s.io/v1/namespaces/{ns}/events")
}

fn new_event(ns: &str, name: &str) -> Value {
    json!({"apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": name, "namespace": ns},
        "eventTime": "2026-01-01T00:00:00.000000Z", "action": "Reconcile", "reason": "Created",
        "type": "Normal", "note": "created deployment.apps/obj-sample",
        "reportingController": "nuvolaris-operator", "reportingInstance": "op-1",
        "regarding": {"apiVersion": "nuvolaris.org/v1", "kind": "Sample", "name": "obj", "namespace": ns}})
}

#[tokio::test]
async fn an_events_k8s_io_event_is_a_core_event() {
    let t = common::target().await;
    let ns = t.namespace("events").await;
    let r = t
        .call("POST", &view(&ns), None, Some(&new_event(&ns, "obj.1")))
        .await;
    assert_eq!(r.code, 201, "{}", r.text);
    assert_eq!(r.json["apiVersion"], "events.k8s.io/v1");
    assert_eq!(r.json["note"], "created deployment.apps/obj-sample");

    let c = t
        .call("GET", &format!("{}/obj.1", core(&ns)), None, None)
        .await;
    assert_eq!(c.code, 200, "{}", c.text);
    assert_eq!(c.json["apiVersion"], "v1");
    assert_eq!(c.json["kind"], "Event");
    assert_eq!(c.json["message"], "created deployment.apps/obj-sample");
    assert_eq!(c.json["involvedObject"]["kind"], "Sample");
    assert_eq!(c.json["involvedObject"]["name"], "obj");
    assert_eq!(c.json["reportingComponent"], "nuvolaris-operator");
    assert_eq!(c.json["reason"], "Created");
    assert_eq!(c.json.get("note"), None);
    assert_eq!(c.json.get("regarding"), None);
    assert_eq!(c.json["metadata"]["uid"], r.json["metadata"]["uid"]);
    assert_eq!(
        c.json["metadata"]["resourceVersion"],
        r.json["metadata"]["resourceVersion"]
    );

    // what kubectl describe / kubectl events ask for
    let sel = "involvedObject.kind=Sample,involvedObject.name=obj";
    let l = t
        .call(
            "GET",
            &format!("{}?fieldSelector={sel}", core(&ns)),
            None,
            None,
        )
        .await;
    assert_eq!(l.code, 200, "{}", l.text);
    assert_eq!(l.json["kind"], "EventList");
    assert_eq!(l.json["items"].as_array().map(Vec::len), Some(1));
    let l = t
        .call(
            "GET",
            &format!("{}?fieldSelector=regarding.name=obj", view(&ns)),
            None,
            None,
        )
        .await;
    assert_eq!(l.code, 200, "{}", l.text);
    assert_eq!(l.json["apiVersion"], "events.k8s.io/v1");
    assert_eq!(l.json["items"][0]["regarding"]["name"], "obj");
    let none = t
        .call(
            "GET",
            &format!("{}?fieldSelector=regarding.name=other", view(&ns)),
            None,
            None,
        )
        .await;
    assert_eq!(none.json["items"], json!([]));
}

#[tokio::test]
async fn a_core_event_is_seen_and_patched_through_events_k8s_io() {
    let t = common::target().await;
    let ns = t.namespace("events-core").await;
    let ev = json!({"apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "old.1", "namespace": ns},
        "involvedObject": {"kind": "ConfigMap", "name": "cfg", "namespace": ns},
        "reason": "Changed", "message": "old style", "type": "Warning", "count": 3,
        "source": {"component": "legacy"},
        "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:05Z"});
    let r = t.call("POST", &core(&ns), None, Some(&ev)).await;
    assert_eq!(r.code, 201, "{}", r.text);
    let v = t
        .call("GET", &format!("{}/old.1", view(&ns)), None, None)
        .await;
    assert_eq!(v.code, 200, "{}", v.text);
    assert_eq!(v.json["apiVersion"], "events.k8s.io/v1");
    assert_eq!(v.json["note"], "old style");
    assert_eq!(v.json["regarding"]["kind"], "ConfigMap");
    assert_eq!(v.json["deprecatedCount"], 3);
    assert_eq!(v.json["deprecatedSource"]["component"], "legacy");
    assert_eq!(v.json["deprecatedFirstTimestamp"], "2026-01-01T00:00:00Z");
    assert_eq!(v.json["deprecatedLastTimestamp"], "2026-01-01T00:00:05Z");

    // a series update through events.k8s.io (what an event recorder does for a repeat)
    let p = t
        .call(
            "PATCH",
            &format!("{}/old.1", view(&ns)),
            Some("application/merge-patch+json"),
            Some(&json!({"note": "new style", "series": {"count": 2, "lastObservedTime": "2026-01-01T00:00:09.000000Z"}})),
        )
        .await;
    assert_eq!(p.code, 200, "{}", p.text);
    assert_eq!(p.json["note"], "new style");
    let c = t
        .call("GET", &format!("{}/old.1", core(&ns)), None, None)
        .await;
    assert_eq!(c.json["message"], "new style");
    assert_eq!(c.json["series"]["count"], 2);
    assert_eq!(c.json.get("note"), None);

    let d = t
        .call("DELETE", &format!("{}/old.1", view(&ns)), None, None)
        .await;
    assert_eq!(d.code, 200, "{}", d.text);
    let gone = t
        .call("GET", &format!("{}/old.1", core(&ns)), None, None)
        .await;
    assert_eq!(gone.code, 404, "{}", gone.text);
}

#[tokio::test]
async fn a_core_watch_sees_events_k8s_io_writes() {
    let t = common::target().await;
    let ns = t.namespace("events-watch").await;
    let list = t.call("GET", &core(&ns), None, None).await;
    let rv = list.json["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let watch_path = format!("{}?watch=true&resourceVersion={rv}", core(&ns));
    let (lines, created) = tokio::join!(
        t.watch_lines(&watch_path, 1, std::time::Duration::from_secs(30)),
        async {
            // the watch starts from `rv`: written before or after it opens, the event is delivered
            t.call("POST", &view(&ns), None, Some(&new_event(&ns, "w.1")))
                .await
        }
    );
    assert_eq!(created.code, 201, "{}", created.text);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["type"], "ADDED");
    assert_eq!(lines[0]["object"]["apiVersion"], "v1");
    assert_eq!(
        lines[0]["object"]["message"],
        "created deployment.apps/obj-sample"
    );

    let vw = format!("{}?watch=true&resourceVersion={rv}", view(&ns));
    let lines = t
        .watch_lines(&vw, 1, std::time::Duration::from_secs(30))
        .await;
    assert_eq!(lines[0]["object"]["apiVersion"], "events.k8s.io/v1");
    assert_eq!(
        lines[0]["object"]["note"],
        "created deployment.apps/obj-sample"
    );
}
