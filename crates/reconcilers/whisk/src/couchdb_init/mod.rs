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

//! `couchdb-init`: prepares CouchDB for OpenWhisk over HTTP, idempotently.
//!
//! Steps (each one reads first and writes only when something differs, so a second run changes
//! nothing): wait until the server answers; single-node setup (`/_cluster_setup`) and
//! `reduce_limit=false` (only on a real CouchDB: other servers lack these endpoints); the `_users`
//! documents of the controller and invoker users; databases `nuvolaris_subjects`,
//! `nuvolaris_activations`, `nuvolaris_whisks`, `nuvolaris_users_metadata`; the `_security` members
//! of the first three; the design documents OpenWhisk queries; the subject documents of the initial
//! namespaces (`whisk-system`, `nuvolaris`). Configuration comes from environment variables set by
//! the Job; no secret value is ever logged or returned.

pub mod design;

use crate::error::{Error, Result};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Prefix of every OpenWhisk database.
pub const DB_PREFIX: &str = "nuvolaris_";
/// Databases created (without prefix).
pub const DATABASES: [&str; 4] = ["subjects", "activations", "whisks", "users_metadata"];

/// Settings of one run.
#[derive(Clone)]
pub struct InitConfig {
    /// Base URL, e.g. `http://couchdb:5984`.
    pub base_url: String,
    /// Admin user.
    pub admin_user: String,
    /// Admin password.
    pub admin_password: String,
    /// Controller user and password.
    pub controller: (String, String),
    /// Invoker user and password.
    pub invoker: (String, String),
    /// Initial namespaces: (name, `uuid:key`).
    pub subjects: Vec<(String, String)>,
    /// How long to wait for the server to answer.
    pub wait: Duration,
}

impl std::fmt::Debug for InitConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitConfig")
            .field("base_url", &self.base_url)
            .field("admin_user", &self.admin_user)
            .field("controller_user", &self.controller.0)
            .field("invoker_user", &self.invoker.0)
            .field(
                "subjects",
                &self.subjects.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl InitConfig {
    /// Reads the Job's environment: `COUCHDB_HOST` (default `couchdb`), `COUCHDB_PORT` (5984),
    /// `COUCHDB_PROTOCOL` (http), `COUCHDB_ADMIN_USER/PASSWORD`, `COUCHDB_CONTROLLER_USER/PASSWORD`,
    /// `COUCHDB_INVOKER_USER/PASSWORD`, `OPENWHISK_AUTH_WHISK_SYSTEM`, `OPENWHISK_AUTH_NUVOLARIS`,
    /// `COUCHDB_WAIT_SECONDS` (300).
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Same as [`InitConfig::from_env`] with any lookup function.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let opt = |k: &str| get(k).filter(|v| !v.is_empty());
        let req = |k: &str| opt(k).ok_or_else(|| Error::MissingSetting(k.to_string()));
        let host = opt("COUCHDB_HOST").unwrap_or_else(|| "couchdb".into());
        let port = opt("COUCHDB_PORT").unwrap_or_else(|| "5984".into());
        let proto = opt("COUCHDB_PROTOCOL").unwrap_or_else(|| "http".into());
        let wait = opt("COUCHDB_WAIT_SECONDS")
            .map(|s| {
                s.parse::<u64>().map_err(|_| {
                    Error::MissingSetting(format!("COUCHDB_WAIT_SECONDS (not a number: {s})"))
                })
            })
            .transpose()?
            .unwrap_or(300);
        let mut subjects = Vec::new();
        for (name, key) in [
            ("whisk-system", "OPENWHISK_AUTH_WHISK_SYSTEM"),
            ("nuvolaris", "OPENWHISK_AUTH_NUVOLARIS"),
        ] {
            if let Some(a) = opt(key) {
                subjects.push((name.to_string(), a));
            }
        }
        Ok(Self {
            base_url: format!("{proto}://{host}:{port}"),
            admin_user: req("COUCHDB_ADMIN_USER")?,
            admin_password: req("COUCHDB_ADMIN_PASSWORD")?,
            controller: (
                req("COUCHDB_CONTROLLER_USER")?,
                req("COUCHDB_CONTROLLER_PASSWORD")?,
            ),
            invoker: (
                req("COUCHDB_INVOKER_USER")?,
                req("COUCHDB_INVOKER_PASSWORD")?,
            ),
            subjects,
            wait: Duration::from_secs(wait),
        })
    }
}

/// What a step did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// The thing did not exist and was created.
    Created,
    /// The thing existed with different content and was rewritten.
    Updated,
    /// Already as wanted: nothing written.
    Unchanged,
    /// Not applicable on this server (reason).
    Skipped(String),
}

/// The outcome of every step of a run, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// (step, outcome).
    pub steps: Vec<(String, StepOutcome)>,
}

impl Report {
    /// Whether the run wrote anything.
    pub fn changed(&self) -> bool {
        self.steps
            .iter()
            .any(|(_, o)| matches!(o, StepOutcome::Created | StepOutcome::Updated))
    }
    fn push(&mut self, step: impl Into<String>, o: StepOutcome) {
        let step = step.into();
        tracing::info!(step = %step, outcome = ?o, "couchdb-init step");
        self.steps.push((step, o));
    }
}

struct Client<'a> {
    http: reqwest::Client,
    cfg: &'a InitConfig,
}

impl Client<'_> {
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        auth: Option<(&str, &str)>,
    ) -> Result<(StatusCode, Value)> {
        let err = |message: String| Error::Couchdb {
            method: method.to_string(),
            path: path.to_string(),
            message,
        };
        let mut rq = self
            .http
            .request(method.clone(), format!("{}{}", self.cfg.base_url, path));
        if let Some((u, p)) = auth {
            rq = rq.basic_auth(u, Some(p));
        }
        if let Some(b) = body {
            rq = rq.json(b);
        }
        let resp = rq
            .send()
            .await
            .map_err(|e| err(e.without_url().to_string()))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| err(e.without_url().to_string()))?;
        let v = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok((status, v))
    }

    async fn admin(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value)> {
        self.call(
            method,
            path,
            body,
            Some((&self.cfg.admin_user, &self.cfg.admin_password)),
        )
        .await
    }

    fn fail(method: &str, path: &str, status: StatusCode, body: &Value) -> Error {
        let mut b = body.to_string();
        b.truncate(200);
        Error::Couchdb {
            method: method.into(),
            path: path.into(),
            message: format!("HTTP {status}: {b}"),
        }
    }

    /// Creates or rewrites document `doc` (with `_id`) in `db` unless it already has that content.
    async fn upsert(&self, db: &str, doc: &Value) -> Result<StepOutcome> {
        let id = doc["_id"].as_str().unwrap_or_default();
        let path = format!("/{db}/{}", encode(id));
        let (st, cur) = self.admin(Method::GET, &path, None).await?;
        let mut desired = doc.clone();
        let outcome = if st == StatusCode::OK {
            let mut existing = cur.clone();
            if let Some(m) = existing.as_object_mut() {
                m.remove("_rev");
            }
            if existing == *doc {
                return Ok(StepOutcome::Unchanged);
            }
            desired["_rev"] = cur["_rev"].clone();
            StepOutcome::Updated
        } else if st == StatusCode::NOT_FOUND {
            StepOutcome::Created
        } else {
            return Err(Self::fail("GET", &path, st, &cur));
        };
        let (st, body) = self.admin(Method::PUT, &path, Some(&desired)).await?;
        if st == StatusCode::CREATED || st == StatusCode::OK || st == StatusCode::ACCEPTED {
            Ok(outcome)
        } else {
            Err(Self::fail("PUT", &path, st, &body))
        }
    }
}

/// Percent-encodes a document id for a URL path (`/` in design ids stays as CouchDB expects).
fn encode(id: &str) -> String {
    let mut out = String::new();
    for (i, part) in id.splitn(2, '/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        for b in part.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    if !id.starts_with("_design/") {
        return out.replace('/', "%2F");
    }
    out
}

/// A subject document for namespace `name` with auth `uuid:key`.
pub fn subject_doc(name: &str, auth: &str) -> Result<Value> {
    let (uuid, key) = auth.split_once(':').ok_or_else(|| Error::InvalidSpec {
        field: format!("spec.openwhisk.namespaces.{name}"),
        message: "expected `uuid:key`".into(),
    })?;
    Ok(json!({
        "_id": name,
        "subject": name,
        "namespaces": [ { "name": name, "uuid": uuid, "key": key } ]
    }))
}

/// The `_security` object giving the controller and invoker users member access.
pub fn security_doc(cfg: &InitConfig) -> Value {
    json!({
        "admins": { "names": [], "roles": [] },
        "members": { "names": [cfg.controller.0, cfg.invoker.0], "roles": [] }
    })
}

/// Runs every step once; see the module documentation.
pub async fn run(cfg: &InitConfig) -> Result<Report> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| Error::Couchdb {
            method: "-".into(),
            path: "-".into(),
            message: e.to_string(),
        })?;
    let c = Client { http, cfg };
    let mut report = Report::default();

    // wait until the server answers its welcome document
    let start = Instant::now();
    let welcome = loop {
        match c.call(Method::GET, "/", None, None).await {
            Ok((st, v)) if st.is_success() => break v,
            _ if start.elapsed() >= cfg.wait => {
                return Err(Error::CouchdbUnreachable {
                    url: cfg.base_url.clone(),
                    seconds: cfg.wait.as_secs(),
                })
            }
            _ => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    };
    let is_couchdb = welcome.get("couchdb").is_some();

    // single node setup and reduce_limit: CouchDB only
    if is_couchdb {
        let (st, v) = c.admin(Method::GET, "/_cluster_setup", None).await?;
        let state = v["state"].as_str().unwrap_or_default();
        if st.is_success() && (state == "single_node_enabled" || state == "cluster_finished") {
            report.push("cluster_setup", StepOutcome::Unchanged);
        } else {
            let body = json!({
                "action": "enable_single_node", "singlenode": true, "bind_address": "0.0.0.0",
                "port": 5984, "username": cfg.admin_user, "password": cfg.admin_password
            });
            let (st, v) = c
                .admin(Method::POST, "/_cluster_setup", Some(&body))
                .await?;
            if !st.is_success() {
                return Err(Client::fail("POST", "/_cluster_setup", st, &v));
            }
            report.push("cluster_setup", StepOutcome::Created);
        }
        let path = "/_node/_local/_config/query_server_config/reduce_limit";
        let (st, v) = c.admin(Method::GET, path, None).await?;
        if st.is_success() && v == json!("false") {
            report.push("reduce_limit", StepOutcome::Unchanged);
        } else {
            let (st, v) = c.admin(Method::PUT, path, Some(&json!("false"))).await?;
            if !st.is_success() {
                return Err(Client::fail("PUT", path, st, &v));
            }
            report.push("reduce_limit", StepOutcome::Updated);
        }
    } else {
        report.push(
            "cluster_setup",
            StepOutcome::Skipped("server is not CouchDB".into()),
        );
        report.push(
            "reduce_limit",
            StepOutcome::Skipped("server is not CouchDB".into()),
        );
    }

    // users: a session with the wanted password proves the user is already as wanted
    for (role, (user, password)) in [("controller", &cfg.controller), ("invoker", &cfg.invoker)] {
        let step = format!("user {role}");
        let login = json!({ "name": user, "password": password });
        let (st, v) = c
            .call(Method::POST, "/_session", Some(&login), None)
            .await?;
        if st.is_success() && v["name"].as_str() == Some(user.as_str()) {
            report.push(step, StepOutcome::Unchanged);
            continue;
        }
        let path = format!("/_users/{}", encode(&format!("org.couchdb.user:{user}")));
        let (st, cur) = c.admin(Method::GET, &path, None).await?;
        let mut doc = json!({ "_id": format!("org.couchdb.user:{user}"), "name": user, "password": password, "roles": [], "type": "user" });
        let outcome = if st == StatusCode::OK {
            doc["_rev"] = cur["_rev"].clone();
            StepOutcome::Updated
        } else {
            StepOutcome::Created
        };
        let (st, v) = c.admin(Method::PUT, &path, Some(&doc)).await?;
        if !st.is_success() {
            return Err(Client::fail("PUT", &path, st, &v));
        }
        report.push(step, outcome);
    }

    // databases
    for db in DATABASES {
        let path = format!("/{DB_PREFIX}{db}");
        let (st, v) = c.admin(Method::GET, &path, None).await?;
        if st == StatusCode::OK {
            report.push(format!("database {DB_PREFIX}{db}"), StepOutcome::Unchanged);
            continue;
        }
        if st != StatusCode::NOT_FOUND {
            return Err(Client::fail("GET", &path, st, &v));
        }
        let (st, v) = c.admin(Method::PUT, &path, None).await?;
        match st {
            StatusCode::CREATED | StatusCode::ACCEPTED => {
                report.push(format!("database {DB_PREFIX}{db}"), StepOutcome::Created)
            }
            StatusCode::PRECONDITION_FAILED => {
                report.push(format!("database {DB_PREFIX}{db}"), StepOutcome::Unchanged)
            }
            _ => return Err(Client::fail("PUT", &path, st, &v)),
        }
    }

    // security of the OpenWhisk databases
    let security = security_doc(cfg);
    for db in ["subjects", "activations", "whisks"] {
        let path = format!("/{DB_PREFIX}{db}/_security");
        let (st, cur) = c.admin(Method::GET, &path, None).await?;
        if st.is_success() && cur == security {
            report.push(format!("security {DB_PREFIX}{db}"), StepOutcome::Unchanged);
            continue;
        }
        let (st, v) = c.admin(Method::PUT, &path, Some(&security)).await?;
        if !st.is_success() {
            return Err(Client::fail("PUT", &path, st, &v));
        }
        report.push(format!("security {DB_PREFIX}{db}"), StepOutcome::Updated);
    }

    // design documents
    for (db, docs) in [
        ("subjects", design::subjects()),
        ("activations", design::activations()),
        ("whisks", design::whisks()),
    ] {
        for doc in docs {
            let o = c.upsert(&format!("{DB_PREFIX}{db}"), &doc).await?;
            report.push(
                format!(
                    "design {DB_PREFIX}{db}/{}",
                    doc["_id"].as_str().unwrap_or_default()
                ),
                o,
            );
        }
    }

    // subjects of the initial namespaces
    for (name, auth) in &cfg.subjects {
        let doc = subject_doc(name, auth)?;
        let o = c.upsert(&format!("{DB_PREFIX}subjects"), &doc).await?;
        report.push(format!("subject {name}"), o);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("_design/whisks.v2.1.0", "_design/whisks.v2.1.0")]
    #[case("org.couchdb.user:a b", "org.couchdb.user%3Aa%20b")]
    #[case("whisk-system", "whisk-system")]
    #[case("a/b", "a%2Fb")]
    fn encodes_ids(#[case] id: &str, #[case] want: &str) {
        assert_eq!(encode(id), want);
    }

    #[test]
    fn subject_doc_splits_auth_and_rejects_bad_ones() {
        let d = subject_doc("nuvolaris", "u-u-i-d:k3y").unwrap();
        assert_eq!(d["namespaces"][0]["uuid"], "u-u-i-d");
        assert_eq!(d["namespaces"][0]["key"], "k3y");
        assert_eq!(d["_id"], "nuvolaris");
        assert!(matches!(
            subject_doc("x", "nokey"),
            Err(Error::InvalidSpec { .. })
        ));
    }

    #[test]
    fn config_from_env_requires_credentials_and_hides_them() {
        let env = |k: &str| -> Option<String> {
            match k {
                "COUCHDB_ADMIN_USER" => Some("adm".into()),
                "COUCHDB_ADMIN_PASSWORD" => Some("SECRET1".into()),
                "COUCHDB_CONTROLLER_USER" => Some("ctl".into()),
                "COUCHDB_CONTROLLER_PASSWORD" => Some("SECRET2".into()),
                "COUCHDB_INVOKER_USER" => Some("inv".into()),
                "COUCHDB_INVOKER_PASSWORD" => Some("SECRET3".into()),
                "OPENWHISK_AUTH_NUVOLARIS" => Some("u:SECRET4".into()),
                _ => None,
            }
        };
        let c = InitConfig::from_lookup(env).unwrap();
        assert_eq!(c.base_url, "http://couchdb:5984");
        assert_eq!(
            c.subjects,
            vec![("nuvolaris".to_string(), "u:SECRET4".to_string())]
        );
        assert!(!format!("{c:?}").contains("SECRET"));
        let missing = InitConfig::from_lookup(|k| {
            if k == "COUCHDB_ADMIN_PASSWORD" {
                None
            } else {
                env(k)
            }
        });
        assert!(matches!(missing, Err(Error::MissingSetting(k)) if k == "COUCHDB_ADMIN_PASSWORD"));
    }
}
