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

//! The opt-in cost model over HTTP: per-request latency (async), the in-flight bound with the
//! real server's 429, watches exempt, the staged deployment-controller status writes, and the
//! binary's flags. Quantity canonicalisation is in `quantities.rs`.

use nuvolaris_apiserver::{ApiServer, ServerConfig};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn deployment(name: &str, replicas: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
}

#[tokio::test]
async fn past_the_inflight_bound_requests_get_the_real_429_and_watches_are_exempt() {
    let server = ApiServer::start(ServerConfig {
        max_inflight: Some(2),
        // long enough that the two seats stay taken until the test releases them
        latency_read: Duration::from_secs(600),
        ..Default::default()
    })
    .await
    .unwrap();
    let url = server.url();
    let http = reqwest::Client::new();
    let holders: Vec<_> = (0..2)
        .map(|_| {
            let (http, url) = (http.clone(), url.clone());
            tokio::spawn(async move { http.get(format!("{url}/api/v1/namespaces")).send().await })
        })
        .collect();
    wait_until("both seats taken", || server.costed_count() == 2).await;

    let r = http
        .delete(format!("{url}/api/v1/namespaces/default/configmaps/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(
        r.text().await.unwrap(),
        "Too many requests, please try again later.\n"
    );
    assert_eq!(server.throttled_count(), 1);

    // a watch takes no seat: it is answered while every seat is taken
    let mut w = http
        .get(format!(
            "{url}/api/v1/namespaces/default/configmaps?watch=true"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(w.status().as_u16(), 200);
    // and so are health probes
    let h = http.get(format!("{url}/readyz")).send().await.unwrap();
    assert_eq!(h.status().as_u16(), 200);
    assert_eq!(server.throttled_count(), 1);
    assert_eq!(server.costed_count(), 2);

    for h in &holders {
        h.abort();
    }
    // freed seats serve again (the aborted requests' connections close)
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = http
            .post(format!("{url}/api/v1/namespaces/default/configmaps"))
            .json(&json!({"metadata": {"name": "after"}}))
            .send()
            .await
            .unwrap();
        if r.status().as_u16() == 201 {
            break;
        }
        assert_eq!(r.status().as_u16(), 429);
        assert!(Instant::now() < deadline, "seats never freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let chunk = tokio::time::timeout(Duration::from_secs(60), w.chunk())
        .await
        .expect("watch event")
        .unwrap()
        .unwrap();
    let ev: Value = serde_json::from_slice(&chunk).unwrap();
    assert_eq!(ev["type"], "ADDED");
    assert_eq!(ev["object"]["metadata"]["name"], "after");
    server.shutdown().await;
}

#[tokio::test]
async fn reads_and_writes_pay_their_latency_without_blocking_the_runtime() {
    // the default test runtime has one thread: a blocking delay would stall every request
    let server = ApiServer::start(ServerConfig {
        latency_read: Duration::from_millis(120),
        latency_write: Duration::from_secs(600),
        ..Default::default()
    })
    .await
    .unwrap();
    let url = server.url();
    let http = reqwest::Client::new();
    let slow = {
        let (http, url) = (http.clone(), url.clone());
        tokio::spawn(async move {
            http.post(format!("{url}/api/v1/namespaces/default/configmaps"))
                .json(&json!({"metadata": {"name": "slow"}}))
                .send()
                .await
        })
    };
    wait_until("the write is being served", || server.costed_count() == 1).await;
    let t = Instant::now();
    let r = http
        .get(format!("{url}/api/v1/namespaces/default"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        t.elapsed() >= Duration::from_millis(120),
        "a read waits its latency"
    );
    assert!(
        !slow.is_finished(),
        "the write is still waiting its latency"
    );
    // a watch is not delayed nor counted
    let w = http
        .get(format!("{url}/api/v1/namespaces?watch=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(w.status().as_u16(), 200);
    assert_eq!(server.costed_count(), 2);
    slow.abort();
    server.shutdown().await;
}

/// Reads a watch response's events until `done` says so.
async fn watch_until(mut w: reqwest::Response, mut done: impl FnMut(&Value) -> bool) -> Vec<Value> {
    let mut buf = Vec::new();
    let mut out = Vec::new();
    loop {
        let chunk = tokio::time::timeout(Duration::from_secs(60), w.chunk())
            .await
            .expect("watch event in time")
            .unwrap()
            .expect("watch open");
        buf.extend_from_slice(&chunk);
        while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            let ev: Value = serde_json::from_slice(&line).unwrap();
            let stop = done(&ev);
            out.push(ev);
            if stop {
                return out;
            }
        }
    }
}

/// A server simulating workloads (`step`: staged Deployment status), and the watch events of
/// one new Deployment of `replicas` until it is available. Returns the server, the Deployments
/// URL and the events.
async fn rollout(step: Option<Duration>, replicas: i64) -> (ApiServer, String, Vec<Value>) {
    let server = ApiServer::start(ServerConfig {
        simulate_workloads: true,
        simulate_delay: Duration::from_millis(10),
        deployment_status_step: step,
        ..Default::default()
    })
    .await
    .unwrap();
    let deps = format!(
        "{}/apis/apps/v1/namespaces/default/deployments",
        server.url()
    );
    let http = reqwest::Client::new();
    let w = http.get(format!("{deps}?watch=true")).send().await.unwrap();
    let r = http
        .post(&deps)
        .json(&deployment("web", replicas))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let events = watch_until(w, |ev| {
        ev["object"]["status"]["availableReplicas"] == replicas
    })
    .await;
    (server, deps, events)
}

#[tokio::test]
async fn deployment_status_is_written_in_the_controller_steps() {
    let (server, deps, events) = rollout(Some(Duration::from_millis(30)), 2).await;
    let http = reqwest::Client::new();
    let statuses: Vec<&Value> = events.iter().map(|e| &e["object"]["status"]).collect();
    assert_eq!(events[0]["type"], "ADDED");
    assert_eq!(
        statuses.len(),
        4,
        "created + three status writes: {statuses:#?}"
    );
    let [_, observed, ready, available] = statuses[..] else {
        unreachable!()
    };
    assert_eq!(observed["observedGeneration"], 1);
    assert_eq!(observed["replicas"], 2);
    assert_eq!(observed["updatedReplicas"], 2);
    assert_eq!(observed.get("readyReplicas"), None);
    assert_eq!(observed["conditions"][0]["type"], "Available");
    assert_eq!(observed["conditions"][0]["status"], "False");
    assert_eq!(ready["readyReplicas"], 2);
    assert_eq!(ready.get("availableReplicas"), None);
    assert_eq!(available["availableReplicas"], 2);
    let conds: Vec<(String, String, String)> = available["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["type"].as_str().unwrap().into(),
                c["status"].as_str().unwrap().into(),
                c["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        conds,
        [
            (
                "Available".into(),
                "True".into(),
                "MinimumReplicasAvailable".into()
            ),
            (
                "Progressing".into(),
                "True".into(),
                "NewReplicaSetAvailable".into()
            )
        ]
    );

    // a scale-up goes through the steps again, from the new generation
    let w = http
        .get(format!(
            "{deps}?watch=true&resourceVersion={}",
            events.last().unwrap()["object"]["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
        ))
        .send()
        .await
        .unwrap();
    let r = http
        .patch(format!("{deps}/web"))
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"spec":{"replicas":3}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let events = watch_until(w, |ev| ev["object"]["status"]["availableReplicas"] == 3).await;
    let statuses: Vec<&Value> = events.iter().map(|e| &e["object"]["status"]).collect();
    assert_eq!(
        statuses.len(),
        4,
        "spec write + three status writes: {statuses:#?}"
    );
    assert_eq!(statuses[1]["observedGeneration"], 2);
    assert_eq!(statuses[1]["updatedReplicas"], 3);
    assert_eq!(statuses[1]["readyReplicas"], 2);
    assert_eq!(statuses[2]["readyReplicas"], 3);
    assert_eq!(statuses[2]["availableReplicas"], 2);
    server.shutdown().await;
}

#[tokio::test]
async fn without_steps_a_deployment_gets_its_status_in_one_write() {
    let (server, _, events) = rollout(None, 1).await;
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_eq!(events[1]["object"]["status"]["readyReplicas"], 1);
    server.shutdown().await;
}

#[test]
fn the_binary_takes_the_cost_flags() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_nuvolaris-apiserver"))
        .args([
            "--latency-read",
            "2ms",
            "--latency-write",
            "0.01s",
            "--max-inflight",
            "4",
            "--simulate-workloads",
            "--deployment-status-step",
            "20",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("http://127.0.0.1:"), "{line}");
    child.kill().unwrap();
    child.wait().unwrap();

    for bad in [["--latency-read", "soon"], ["--max-inflight", "0"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_nuvolaris-apiserver"))
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?} is refused");
    }
}
