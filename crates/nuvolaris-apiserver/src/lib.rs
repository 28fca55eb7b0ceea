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

//! Embedded in-memory Kubernetes API server for tests, e2e and the demo.
//!
//! Start it in-process with [`ApiServer::start`], point a client at [`ApiServer::url`] or
//! [`ApiServer::kubeconfig_yaml`], and stop it with [`ApiServer::shutdown`].

mod clock;
pub mod cost;
pub mod discovery;
mod events;
pub mod faults;
mod gc;
mod http;
mod openapi;
mod ops;
pub mod patch;
mod patch_hook;
pub mod quantity;
pub mod rbac;
mod request;
pub mod resources;
mod schema_hook;
pub mod selectors;
mod simulator;
pub mod status;
mod store;
mod table;
pub mod validation;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Errors of starting and driving the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address asked for.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Listen address (loopback; port 0 picks a free one).
    pub addr: SocketAddr,
    /// Whether Deployments, StatefulSets and Jobs get simulated controller status.
    pub simulate_workloads: bool,
    /// Delay before the simulator writes a status.
    pub simulate_delay: Duration,
    /// Events retained per resource for watch resume; older resourceVersions get 410 Expired.
    pub watch_history: usize,
    /// Live events buffered per resource for a slow watcher; a watcher further behind is
    /// closed (its client re-watches or re-lists, as after a real server's watch cache overflow).
    pub watch_buffer: usize,
    /// Interval of BOOKMARK events on watches that allow them.
    pub bookmark_interval: Duration,
    /// Bearer token written to the kubeconfig: the admin. Without `rbac` any token is accepted.
    pub token: String,
    /// Enforce authentication and RBAC authorization: `token` is allowed everything, tokens
    /// from [`ApiServer::service_account_token`] / [`ApiServer::user_token`] get what the
    /// RBAC objects in the store grant them, other tokens get 401, and requests without
    /// credentials are allowed everything like the old insecure port (kubectl sends no token
    /// to an `http://` server). Off by default.
    pub rbac: bool,
    /// Fault injection switchboard (off until a setter is called).
    pub faults: faults::FaultHandle,
    /// Added to every read request (GET of objects, lists, discovery; not watches), without
    /// blocking a thread. Zero by default. See [`cost`].
    pub latency_read: Duration,
    /// Added to every write request (POST, PUT, PATCH, DELETE). Zero by default.
    pub latency_write: Duration,
    /// Requests served at once, like API Priority and Fairness seats (watches and health
    /// probes take none); past it a request gets the real server's 429 with `Retry-After: 1`.
    /// None (unbounded) by default.
    pub max_inflight: Option<usize>,
    /// With `simulate_workloads`: `Some(step)` makes the simulated deployment controller write
    /// a Deployment's status in the real one's steps, each its own write `step` apart
    /// (observedGeneration + replicas/updatedReplicas, then readyReplicas, then
    /// availableReplicas + Available/Progressing), the first `simulate_delay` after the change.
    /// None (default): one status write after `simulate_delay`.
    pub deployment_status_step: Option<Duration>,
}

impl ServerConfig {
    /// The cost model of these settings.
    pub fn cost_model(&self) -> cost::CostModel {
        cost::CostModel {
            latency_read: self.latency_read,
            latency_write: self.latency_write,
            max_inflight: self.max_inflight,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            simulate_workloads: false,
            simulate_delay: Duration::from_millis(150),
            watch_history: 10_000,
            watch_buffer: store::BROADCAST_CAP,
            bookmark_interval: Duration::from_secs(10),
            token: "embedded-token".to_string(),
            rbac: false,
            faults: faults::FaultHandle::new(),
            latency_read: Duration::ZERO,
            latency_write: Duration::ZERO,
            max_inflight: None,
            deployment_status_step: None,
        }
    }
}

/// A running server.
pub struct ApiServer {
    addr: SocketAddr,
    token: String,
    authz: Arc<rbac::Authz>,
    faults: faults::FaultHandle,
    cost: Arc<cost::CostCounters>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: JoinHandle<Result<(), std::io::Error>>,
    tasks: Vec<JoinHandle<()>>,
}

const DEFAULT_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public", "kube-node-lease"];

impl ApiServer {
    /// Binds the address, creates the default namespaces and serves in the background.
    pub async fn start(cfg: ServerConfig) -> Result<ApiServer, Error> {
        let listener = tokio::net::TcpListener::bind(cfg.addr)
            .await
            .map_err(|source| Error::Bind {
                addr: cfg.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: cfg.addr,
            source,
        })?;
        let store =
            store::Store::new_with(resources::builtins(), cfg.watch_history, cfg.watch_buffer);
        {
            let mut st = store.lock();
            let ns_type = st.resolve("", "v1", "namespaces");
            if let Some(ns_type) = ns_type {
                for n in DEFAULT_NAMESPACES {
                    let _ = ops::create(
                        &mut st,
                        &ns_type,
                        "",
                        serde_json::json!({"metadata": {"name": n}}),
                        &ops::WriteOpts::default(),
                        "kube-apiserver",
                    );
                }
            }
        }
        let authz = Arc::new(rbac::Authz::new(cfg.rbac, &cfg.token));
        if cfg.rbac {
            let mut st = store.lock();
            if let Some(cr_type) = st.resolve("rbac.authorization.k8s.io", "v1", "clusterroles") {
                let _ = ops::create(
                    &mut st,
                    &cr_type,
                    "",
                    serde_json::json!({"metadata": {"name": "cluster-admin",
                        "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"}},
                        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                                  {"nonResourceURLs": ["*"], "verbs": ["*"]}]}),
                    &ops::WriteOpts::default(),
                    "kube-apiserver",
                );
            }
        }
        let app = Arc::new(http::App {
            store: store.clone(),
            host: addr.to_string(),
            bookmark_interval: cfg.bookmark_interval,
            faults: cfg.faults.clone(),
            authz: authz.clone(),
        });
        let cost = cost::CostState::new(cfg.cost_model());
        let cost_counters = cost.counters();
        let router = axum::Router::new()
            .fallback(http::handle)
            .with_state(app)
            .layer(axum::middleware::from_fn_with_state(cost, cost::middleware))
            .layer(faults::FaultLayer::new(cfg.faults.clone()));
        let mut tasks = vec![tokio::spawn(gc::run(store.clone()))];
        if cfg.simulate_workloads {
            for t in simulator::TABLES {
                tasks.push(tokio::spawn(simulator::run(
                    store.clone(),
                    t,
                    simulator::Timing {
                        delay: cfg.simulate_delay,
                        deployment_step: cfg.deployment_status_step,
                    },
                )));
            }
        }
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
        });
        tracing::info!(%addr, "embedded API server listening");
        Ok(ApiServer {
            addr,
            token: cfg.token,
            authz,
            faults: cfg.faults,
            cost: cost_counters,
            shutdown: Some(tx),
            server,
            tasks,
        })
    }

    /// The base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The fault injection switchboard of this server (clone it, set faults while it runs).
    pub fn faults(&self) -> faults::FaultHandle {
        self.faults.clone()
    }

    /// Requests rejected with 429 because every in-flight seat was taken
    /// ([`ServerConfig::max_inflight`]).
    pub fn throttled_count(&self) -> u64 {
        self.cost
            .rejected
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Requests that took an in-flight seat and paid the configured latency (watches and
    /// health probes are not counted).
    pub fn costed_count(&self) -> u64 {
        self.cost.served.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A kubeconfig with cluster, user and context all named `embedded` (the admin token).
    pub fn kubeconfig_yaml(&self, namespace: &str) -> String {
        self.kubeconfig_with_token(&self.token, namespace)
    }

    fn kubeconfig_with_token(&self, token: &str, namespace: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: embedded\n  cluster:\n    server: {url}\nusers:\n- name: embedded\n  user:\n    token: {token}\ncontexts:\n- name: embedded\n  context:\n    cluster: embedded\n    user: embedded\n    namespace: {namespace}\ncurrent-context: embedded\npreferences: {{}}\n",
            url = self.url(),
        )
    }

    /// Whether RBAC is enforced ([`ServerConfig::rbac`]).
    pub fn rbac_enabled(&self) -> bool {
        self.authz.enabled
    }

    /// A bearer token that authenticates as the ServiceAccount `namespace/name`
    /// (user `system:serviceaccount:<ns>:<name>`, groups `system:serviceaccounts`,
    /// `system:serviceaccounts:<ns>`, `system:authenticated`); the same token on every call.
    /// The ServiceAccount object need not exist.
    pub fn service_account_token(&self, namespace: &str, name: &str) -> String {
        self.authz
            .token_for(rbac::User::service_account(namespace, name))
    }

    /// A bearer token that authenticates as user `name` in `groups` (plus `system:authenticated`).
    pub fn user_token(&self, name: &str, groups: &[&str]) -> String {
        self.authz.token_for(rbac::User::named(name, groups))
    }

    /// A kubeconfig like [`Self::kubeconfig_yaml`] whose user is the ServiceAccount
    /// `namespace/name` (context namespace = `namespace`).
    pub fn kubeconfig_yaml_for_service_account(&self, namespace: &str, name: &str) -> String {
        self.kubeconfig_with_token(&self.service_account_token(namespace, name), namespace)
    }

    /// Writes [`Self::kubeconfig_yaml_for_service_account`] to a file.
    pub fn write_kubeconfig_for_service_account(
        &self,
        path: &Path,
        namespace: &str,
        name: &str,
    ) -> Result<(), Error> {
        std::fs::write(
            path,
            self.kubeconfig_yaml_for_service_account(namespace, name),
        )
        .map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Number of requests refused with 403 Forbidden by RBAC so far.
    pub fn forbidden_count(&self) -> usize {
        self.authz.denied().len()
    }

    /// The messages of the 403 Forbidden answers so far (who could not do what), in order.
    pub fn forbidden_requests(&self) -> Vec<String> {
        self.authz.denied()
    }

    /// Requests allowed so far, by user name: `system:admin` (the admin token),
    /// `system:unsecured` (no credentials, e.g. kubectl over plain HTTP),
    /// `system:serviceaccount:<ns>:<name>`, ... (empty unless RBAC is on).
    pub fn allowed_requests(&self) -> std::collections::BTreeMap<String, usize> {
        self.authz.allowed()
    }

    /// Requests of the ServiceAccount `namespace/name` allowed so far (RBAC on): proof that a
    /// process really ran with its token.
    pub fn service_account_requests(&self, namespace: &str, name: &str) -> usize {
        self.authz
            .allowed()
            .get(&format!("system:serviceaccount:{namespace}:{name}"))
            .copied()
            .unwrap_or(0)
    }

    /// Number of requests refused with 401 Unauthorized (unknown token) so far.
    pub fn unauthorized_count(&self) -> usize {
        self.authz.unauthorized()
    }

    /// Writes [`Self::kubeconfig_yaml`] (namespace `default`) to a file.
    pub fn write_kubeconfig(&self, path: &Path) -> Result<(), Error> {
        std::fs::write(path, self.kubeconfig_yaml("default")).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Stops serving: open watches are cut after a short grace period.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let abort = self.server.abort_handle();
        if tokio::time::timeout(Duration::from_millis(500), &mut self.server)
            .await
            .is_err()
        {
            abort.abort();
        }
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.server.abort();
        for t in &self.tasks {
            t.abort();
        }
    }
}
