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

//! couchdb-init against a real CouchDB-compatible server: `pouchdb-server` in memory on a loopback
//! port. Found through `NUVOLARIS_POUCHDB_SERVER` or `pouchdb-server` on PATH; when absent the test
//! says it did not run, and fails if `NUVOLARIS_REQUIRE_POUCHDB=1`.

use nuvolaris_reconciler_whisk::couchdb_init::{
    run, InitConfig, StepOutcome, DATABASES, DB_PREFIX,
};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

fn pouchdb_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NUVOLARIS_POUCHDB_SERVER").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("pouchdb-server"))
            .find(|p| p.is_file())
    })
}

struct Server {
    child: tokio::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

async fn start(bin: &PathBuf) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let child = tokio::process::Command::new(bin)
        .args([
            "--in-memory",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start pouchdb-server");
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = http.get(&url).send().await {
            if r.status().is_success() {
                return Server {
                    child,
                    url,
                    _dir: dir,
                };
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("pouchdb-server did not answer on {url}");
}

async fn get(http: &reqwest::Client, url: &str) -> (u16, Value) {
    let r = http
        .get(url)
        .basic_auth("admin", Some("adminpw"))
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// Every `_rev` and `_security` the init touches, to compare two runs.
async fn snapshot(http: &reqwest::Client, base: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for db in DATABASES {
        let (_, all) = get(http, &format!("{base}/{DB_PREFIX}{db}/_all_docs")).await;
        for row in all["rows"].as_array().cloned().unwrap_or_default() {
            out.push((format!("{db}/{}", row["id"]), row["value"]["rev"].clone()));
        }
        let (_, sec) = get(http, &format!("{base}/{DB_PREFIX}{db}/_security")).await;
        out.push((format!("{db}/_security"), sec));
    }
    for u in ["ctl", "inv"] {
        let (_, d) = get(http, &format!("{base}/_users/org.couchdb.user:{u}")).await;
        out.push((format!("user {u}"), d["_rev"].clone()));
    }
    out
}

#[tokio::test]
async fn couchdb_init_prepares_pouchdb_and_is_idempotent() {
    let Some(bin) = pouchdb_binary() else {
        eprintln!("couchdb-init pouchdb test DID NOT RUN: set NUVOLARIS_POUCHDB_SERVER or put pouchdb-server on PATH");
        assert_ne!(
            std::env::var("NUVOLARIS_REQUIRE_POUCHDB").as_deref(),
            Ok("1"),
            "NUVOLARIS_REQUIRE_POUCHDB=1 but pouchdb-server was not found"
        );
        return;
    };
    let mut server = start(&bin).await;
    let http = reqwest::Client::new();
    // an admin, as the CouchDB image creates from COUCHDB_USER/COUCHDB_PASSWORD
    let r = http
        .put(format!("{}/_config/admins/admin", server.url))
        .body("\"adminpw\"")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "create admin: {}", r.status());

    let cfg = InitConfig {
        base_url: server.url.clone(),
        admin_user: "admin".into(),
        admin_password: "adminpw".into(),
        controller: ("ctl".into(), "ctlpw".into()),
        invoker: ("inv".into(), "invpw".into()),
        subjects: vec![
            (
                "whisk-system".into(),
                "789c46b1-71f6-4ed5-8c54-816aa4f8c502:abcKEY".into(),
            ),
            (
                "nuvolaris".into(),
                "cbd68075-dac2-475e-8c07-d62a30c7e683:123KEY".into(),
            ),
        ],
        wait: Duration::from_secs(10),
    };
    let first = run(&cfg).await.expect("first run");
    assert!(first.changed());
    assert!(first
        .steps
        .iter()
        .any(|(s, o)| s == "cluster_setup" && matches!(o, StepOutcome::Skipped(_))));

    let base = &server.url;
    for db in DATABASES {
        assert_eq!(
            get(&http, &format!("{base}/{DB_PREFIX}{db}")).await.0,
            200,
            "database {db}"
        );
    }
    for db in ["subjects", "activations", "whisks"] {
        let (_, sec) = get(&http, &format!("{base}/{DB_PREFIX}{db}/_security")).await;
        assert_eq!(
            sec["members"]["names"],
            json!(["ctl", "inv"]),
            "security of {db}"
        );
    }
    let (_, auth) = get(
        &http,
        &format!("{base}/nuvolaris_subjects/_design/subjects.v2.0.0"),
    )
    .await;
    assert!(auth["views"]["identities"]["map"]
        .as_str()
        .unwrap()
        .contains("emit([ns.uuid, ns.key], v)"));
    let (_, ents) = get(
        &http,
        &format!("{base}/nuvolaris_whisks/_design/whisks.v2.1.0"),
    )
    .await;
    assert!(ents["views"]["actions"].is_object());
    let (st, subj) = get(&http, &format!("{base}/nuvolaris_subjects/whisk-system")).await;
    assert_eq!(st, 200);
    assert_eq!(
        subj["namespaces"][0]["uuid"],
        "789c46b1-71f6-4ed5-8c54-816aa4f8c502"
    );
    assert_eq!(subj["namespaces"][0]["key"], "abcKEY");
    // the identities view answers the lookup OpenWhisk does by uuid and key
    let (st, view) = get(
        &http,
        &format!(
            "{base}/nuvolaris_subjects/_design/subjects.v2.0.0/_view/identities?key=%5B%22cbd68075-dac2-475e-8c07-d62a30c7e683%22%2C%22123KEY%22%5D"
        ),
    )
    .await;
    assert_eq!(st, 200, "{view}");
    assert_eq!(view["rows"][0]["value"]["namespace"], "nuvolaris");
    // the users can log in with their passwords
    for (u, p) in [("ctl", "ctlpw"), ("inv", "invpw")] {
        let r = http
            .post(format!("{base}/_session"))
            .json(&json!({"name": u, "password": p}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "login {u}");
    }

    let before = snapshot(&http, base).await;
    assert!(before.len() > 12);
    let second = run(&cfg).await.expect("second run");
    assert!(
        !second.changed(),
        "second run wrote something: {:?}",
        second.steps
    );
    assert_eq!(
        before,
        snapshot(&http, base).await,
        "a second run changed revisions"
    );

    // a changed password is detected and rewritten, and only that
    let mut cfg2 = cfg.clone();
    cfg2.invoker.1 = "newpw".into();
    let third = run(&cfg2).await.expect("third run");
    let changed: Vec<_> = third
        .steps
        .iter()
        .filter(|(_, o)| *o != StepOutcome::Unchanged && !matches!(o, StepOutcome::Skipped(_)))
        .collect();
    assert_eq!(
        changed,
        vec![&("user invoker".to_string(), StepOutcome::Updated)]
    );
    server.child.kill().await.ok();
}
