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

//! The CouchDB-only calls of couchdb-init (`/_cluster_setup`, `/_node/_local/_config`), which
//! pouchdb-server lacks: a tiny in-test HTTP server (axum) keeps documents in memory, records every
//! request, and the test checks what was asked, and that a second run only reads.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use nuvolaris_reconciler_whisk::couchdb_init::{run, InitConfig, StepOutcome};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug)]
struct Req {
    method: String,
    path: String,
    user: Option<String>,
    body: Value,
}

#[derive(Default)]
struct Fake {
    docs: HashMap<String, Value>,
    requests: Vec<Req>,
    cluster_state: String,
}

type Shared = Arc<Mutex<Fake>>;

fn basic_user(h: &HeaderMap) -> Option<String> {
    let v = h
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let dec = base64::engine::general_purpose::STANDARD.decode(v).ok()?;
    let s = String::from_utf8(dec).ok()?;
    Some(s.split_once(':')?.0.to_string())
}

async fn handle(
    State(st): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut f = st.lock().unwrap();
    f.requests.push(Req {
        method: method.to_string(),
        path: path.clone(),
        user: basic_user(&headers),
        body: body.clone(),
    });
    let reply =
        |code: u16, v: Value| (StatusCode::from_u16(code).unwrap(), axum::Json(v)).into_response();
    match (method.as_str(), path.as_str()) {
        ("GET", "/") => reply(200, json!({"couchdb": "Welcome", "version": "3.3.3"})),
        ("GET", "/_cluster_setup") => reply(200, json!({"state": f.cluster_state})),
        ("POST", "/_cluster_setup") => {
            f.cluster_state = "single_node_enabled".into();
            reply(201, json!({"ok": true}))
        }
        ("POST", "/_session") => {
            let name = body["name"].as_str().unwrap_or_default();
            let doc = f.docs.get(&format!("/_users/org.couchdb.user:{name}"));
            if doc.is_some_and(|d| d["password"] == body["password"]) {
                reply(200, json!({"ok": true, "name": name, "roles": []}))
            } else {
                reply(401, json!({"error": "unauthorized"}))
            }
        }
        ("GET", p) => match f.docs.get(p) {
            Some(v) => reply(200, v.clone()),
            None if p.ends_with("/_security") => reply(200, json!({})),
            None => reply(404, json!({"error": "not_found"})),
        },
        ("PUT", p) => {
            let p = p.replace("%3A", ":");
            let existed = f.docs.contains_key(&p);
            let mut doc = if body.is_null() { json!({}) } else { body };
            if doc.is_object() && !p.ends_with("/_security") && p.matches('/').count() >= 2 {
                doc.as_object_mut().unwrap().remove("_rev");
                doc["_rev"] = json!(format!("{}-x", if existed { 2 } else { 1 }));
            }
            f.docs.insert(p, doc);
            reply(if existed { 200 } else { 201 }, json!({"ok": true}))
        }
        _ => reply(405, json!({"error": "method_not_allowed"})),
    }
}

#[tokio::test]
async fn couchdb_only_calls_are_made_once_with_the_expected_bodies() {
    let state: Shared = Arc::new(Mutex::new(Fake {
        cluster_state: "cluster_disabled".into(),
        ..Default::default()
    }));
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let cfg = InitConfig {
        base_url: format!("http://{addr}"),
        admin_user: "whisk_admin".into(),
        admin_password: "SECRET-admin".into(),
        controller: ("controller_admin".into(), "SECRET-ctl".into()),
        invoker: ("invoker_admin".into(), "SECRET-inv".into()),
        subjects: vec![("whisk-system".into(), "u1:k1".into())],
        wait: Duration::from_secs(5),
    };
    let first = run(&cfg).await.expect("first run");
    assert!(first
        .steps
        .contains(&("cluster_setup".to_string(), StepOutcome::Created)));
    assert!(first
        .steps
        .contains(&("reduce_limit".to_string(), StepOutcome::Updated)));
    {
        let f = state.lock().unwrap();
        let setup: Vec<&Req> = f
            .requests
            .iter()
            .filter(|r| r.method == "POST" && r.path == "/_cluster_setup")
            .collect();
        assert_eq!(setup.len(), 1);
        let b = &setup[0].body;
        assert_eq!(b["action"], "enable_single_node");
        assert_eq!(b["singlenode"], true);
        assert_eq!(b["bind_address"], "0.0.0.0");
        assert_eq!(b["port"], 5984);
        assert_eq!(b["username"], "whisk_admin");
        assert_eq!(setup[0].user.as_deref(), Some("whisk_admin"));
        let rl: Vec<&Req> = f
            .requests
            .iter()
            .filter(|r| {
                r.method == "PUT"
                    && r.path == "/_node/_local/_config/query_server_config/reduce_limit"
            })
            .collect();
        assert_eq!(rl.len(), 1);
        assert_eq!(rl[0].body, json!("false"));
        assert_eq!(rl[0].user.as_deref(), Some("whisk_admin"));
        // no secret ever travels in a URL
        assert!(f.requests.iter().all(|r| !r.path.contains("SECRET")));
        // users documents are written with the admin credentials
        let users: Vec<&Req> = f
            .requests
            .iter()
            .filter(|r| r.method == "PUT" && r.path.starts_with("/_users/"))
            .collect();
        assert_eq!(users.len(), 2);
        assert!(users
            .iter()
            .all(|r| r.user.as_deref() == Some("whisk_admin") && r.body["type"] == "user"));
    }
    let n = state.lock().unwrap().requests.len();
    let second = run(&cfg).await.expect("second run");
    assert!(!second.changed(), "{:?}", second.steps);
    let f = state.lock().unwrap();
    let writes: Vec<&Req> = f.requests[n..]
        .iter()
        .filter(|r| r.method != "GET" && r.path != "/_session")
        .collect();
    assert!(writes.is_empty(), "second run wrote: {writes:?}");
    drop(f);
    server.abort();
}
