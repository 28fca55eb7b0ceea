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

//! The setup integration tests share, across crates: an embedded API server with an admin client
//! and a kubeconfig file ([`TestEnv`]), the operator either in-process ([`InProcessOperator`],
//! the runtime's supervisor with the reconcilers under test) or as the real binary
//! ([`TestEnv::spawn_operator`]), polling waits that panic with what they waited for, counters of
//! the operator's `/metrics`, and the `NUVOLARIS_REQUIRE_*` rule for tests that need a tool.
//!
//! Use it as a dev-dependency (`nuvolaris-e2e = { workspace = true }`); the helpers panic on
//! failure, as test code does.

use crate::kube_util as ku;
use crate::operator::{OperatorOpts, OperatorProcess};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Client, Config};
use nuvolaris_apiserver::{ApiServer, ServerConfig};
use nuvolaris_runtime::{ControllerConfig, Health, Metrics, Registration, Shared};
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Installs a test `tracing` subscriber (`RUST_LOG`, default `warn`) once per process.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_test_writer()
        .try_init();
}

/// An embedded API server, an admin client, and its kubeconfig written to a scratch directory.
pub struct TestEnv {
    /// The server.
    pub server: ApiServer,
    /// Admin client (default namespace `default`).
    pub client: Client,
    /// The admin kubeconfig file.
    pub kubeconfig: PathBuf,
    /// Scratch directory (kubeconfig, operator logs); removed on drop.
    pub dir: tempfile::TempDir,
}

impl TestEnv {
    /// Starts a server with `cfg` and connects to it.
    pub async fn start(cfg: ServerConfig) -> TestEnv {
        init_tracing();
        Self::try_start(cfg)
            .await
            .unwrap_or_else(|e| panic!("the embedded API server: {e}"))
    }

    /// Like [`TestEnv::start`], returning failures (what the e2e backend uses).
    pub async fn try_start(cfg: ServerConfig) -> crate::Result<TestEnv> {
        let server = ApiServer::start(cfg).await?;
        let dir = tempfile::Builder::new()
            .prefix("nuvolaris-e2e-")
            .tempdir()
            .map_err(|e| crate::Error::io("create a temporary directory", e))?;
        let kubeconfig = dir.path().join("kubeconfig");
        server.write_kubeconfig(&kubeconfig)?;
        let client = ku::client_for(&kubeconfig).await?;
        Ok(TestEnv {
            server,
            client,
            kubeconfig,
            dir,
        })
    }

    /// Starts a server with the workload simulator on (Deployments, StatefulSets and Jobs get
    /// the status their controllers would write) after `delay`.
    pub async fn simulated(delay: Duration) -> TestEnv {
        Self::start(ServerConfig {
            simulate_workloads: true,
            simulate_delay: delay,
            ..Default::default()
        })
        .await
    }

    /// A client configuration with `namespace` as its default namespace.
    pub async fn config(&self, namespace: &str) -> Config {
        config_for(&self.server, namespace).await
    }

    /// Creates namespace `name` (it must not exist).
    pub async fn namespace(&self, name: &str) {
        let ns: Namespace =
            serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).unwrap();
        Api::<Namespace>::all(self.client.clone())
            .create(&PostParams::default(), &ns)
            .await
            .unwrap_or_else(|e| panic!("create namespace {name}: {e}"));
    }

    /// Creates CRDs and waits until each one's resource is served.
    pub async fn install_crds(&self, crds: impl IntoIterator<Item = CustomResourceDefinition>) {
        let api: Api<CustomResourceDefinition> = Api::all(self.client.clone());
        for crd in crds {
            let name = crd.metadata.name.clone().unwrap_or_default();
            api.create(&PostParams::default(), &crd)
                .await
                .unwrap_or_else(|e| panic!("create CRD {name}: {e}"));
            let version = crd
                .spec
                .versions
                .iter()
                .find(|v| v.served)
                .map(|v| v.name.clone())
                .unwrap_or_default();
            let ar = ApiResource::from_gvk_with_plural(
                &GroupVersionKind::gvk(&crd.spec.group, &version, &crd.spec.names.kind),
                &crd.spec.names.plural,
            );
            let served: Api<DynamicObject> = Api::all_with(self.client.clone(), &ar);
            wait_for(&format!("CRD {name} served"), WAIT, || async {
                served.list(&Default::default()).await.ok().map(|_| ())
            })
            .await;
        }
    }

    /// Starts the real operator binary ([`operator_bin`]) against this server.
    pub fn spawn_operator(&self, opts: &OperatorOpts) -> OperatorProcess {
        OperatorProcess::spawn(&operator_bin(), &self.kubeconfig, self.dir.path(), opts)
            .expect("the operator process starts")
    }

    /// Stops the server.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// The client configuration of `server` with `namespace` as default namespace.
pub async fn config_for(server: &ApiServer, namespace: &str) -> Config {
    let kc = Kubeconfig::from_yaml(&server.kubeconfig_yaml(namespace)).expect("kubeconfig parses");
    Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("kubeconfig valid")
}

/// The operator binary: `$NUVOLARIS_OPERATOR_BIN` (what `cargo xtask test` sets), else built
/// now with cargo. Tests inside the operator crate pass `env!("CARGO_BIN_EXE_nuvolaris-operator")`
/// to [`OperatorProcess::spawn`] instead.
pub fn operator_bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        crate::operator::locate(crate::operator::Profile::Debug)
            .unwrap_or_else(|e| panic!("the nuvolaris-operator binary: {e}"))
    })
    .clone()
}

/// The operator's controllers running in this process: the runtime's supervisor with the given
/// reconcilers (startup checks included, no leader election).
pub struct InProcessOperator {
    /// Its metrics registry.
    pub metrics: Arc<Metrics>,
    /// Its health state.
    pub health: Health,
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<(), nuvolaris_runtime::Error>>,
}

impl InProcessOperator {
    /// Starts the supervisor with `regs` on `client`.
    pub fn start(client: Client, regs: Vec<Arc<dyn Registration>>, cfg: ControllerConfig) -> Self {
        let shared = shared(client);
        let (metrics, health) = (shared.metrics.clone(), shared.health.clone());
        let (stop, rx) = watch::channel(false);
        let task = tokio::spawn(nuvolaris_runtime::supervisor::run(
            regs, shared, cfg, None, rx,
        ));
        InProcessOperator {
            metrics,
            health,
            stop,
            task,
        }
    }

    /// Stops it and waits (up to 10 s) for in-flight reconciles; panics when it does not stop
    /// in time or its task panicked. An error the supervisor returned is printed; use
    /// [`InProcessOperator::stop_result`] to assert on it.
    pub async fn stop(self) {
        if let Err(e) = self.stop_result().await {
            eprintln!("the operator's supervisor ended with an error: {e}");
        }
    }

    /// Like [`InProcessOperator::stop`], returning what the supervisor returned.
    pub async fn stop_result(self) -> Result<(), nuvolaris_runtime::Error> {
        let _ = self.stop.send(true);
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the operator stops within 10s")
            .expect("the operator task did not panic")
    }
}

/// The runtime context of an operator on `client`: fresh metrics and health, an Event recorder
/// reporting as `nuvolaris-operator`.
pub fn shared(client: Client) -> Shared {
    Shared {
        client: client.clone(),
        metrics: Arc::new(Metrics::new()),
        health: Health::new(),
        recorder: kube::runtime::events::Recorder::new(
            client,
            kube::runtime::events::Reporter {
                controller: "nuvolaris-operator".into(),
                instance: Some("test".into()),
            },
        ),
    }
}

/// How long a wait in a test may take by default before it fails.
pub const WAIT: Duration = Duration::from_secs(30);

/// Polls `f` every 50 ms until it returns `Some`; panics naming `what` after `timeout`.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    crate::kube_util::wait_for(what, timeout, f)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The value of a counter or gauge in a Prometheus text exposition: the sum over the series of
/// `name` whose labels contain every `label="value"` of `labels` (0 when there is none).
pub fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (n, rest) = series.split_once('{').unwrap_or((series, ""));
            (n == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
            .then(|| value.parse::<f64>().ok())
            .flatten()
        })
        .sum()
}

/// A program a test needs, or `None` after saying loudly that the test did not run. Panics
/// instead when `require_env` is `1` (as `cargo xtask test` and CI set it), so a missing tool
/// never passes silently there.
pub fn tool_or_skip(what: &str, found: Option<PathBuf>, require_env: &str) -> Option<PathBuf> {
    if found.is_some() {
        return found;
    }
    if std::env::var(require_env).as_deref() == Ok("1") {
        panic!("{what} not found and {require_env}=1");
    }
    eprintln!("SKIPPED: {what} not found (set {require_env}=1 to make this a failure)");
    None
}

/// What still differs from `want` in namespace `ns` (empty when converged): `want` maps each
/// Sample name to its desired `spec.count`, or to `None` when it was deleted. A wanted Sample must
/// be Ready for its generation with a Deployment of that many ready replicas; a deleted one must be
/// gone with its Deployment; no Sample may be left deleting (a stuck finalizer), none may exist that
/// is not in `want`, and no Deployment may be left without its Sample (an orphan).
pub async fn sample_problems(
    client: &Client,
    ns: &str,
    want: &BTreeMap<String, Option<i64>>,
) -> Vec<String> {
    let by_name = |v: Vec<Value>| -> BTreeMap<String, Value> {
        v.into_iter()
            .map(|o| (o["metadata"]["name"].as_str().unwrap_or("").to_string(), o))
            .collect()
    };
    let lp = ListParams::default();
    let (s, d) = match (
        ku::list_json(&ku::samples(client, ns), &lp).await,
        ku::list_json(&ku::deployments(client, ns), &lp).await,
    ) {
        (Ok(s), Ok(d)) => (by_name(s), by_name(d)),
        (Err(e), _) | (_, Err(e)) => return vec![format!("list failed: {e}")],
    };
    let mut problems = Vec::new();
    for (name, want) in want {
        let dep = d.get(&format!("{name}-demo-deploy"));
        match (want, s.get(name)) {
            (None, Some(o)) => problems.push(format!(
                "{name} not deleted (finalizers {})",
                o["metadata"]["finalizers"]
            )),
            (None, None) if dep.is_some() => {
                problems.push(format!("{name} deleted but its Deployment is left"))
            }
            (None, None) => {}
            (Some(_), None) => problems.push(format!("{name} vanished")),
            (Some(n), Some(o)) => {
                let dep_ok = dep.is_some_and(|d| {
                    d["spec"]["replicas"] == *n
                        && d.pointer("/status/readyReplicas").and_then(Value::as_i64) == Some(*n)
                });
                if !(ku::ready_current(o) && o["spec"]["count"] == *n && dep_ok) {
                    problems.push(format!(
                        "{name} not converged: Ready {:?}, Deployment {}",
                        ku::condition(o, "Ready").map(|c| c["reason"].clone()),
                        if dep.is_some() { "present" } else { "missing" }
                    ));
                }
            }
        }
    }
    for (name, o) in &s {
        if !want.contains_key(name) {
            problems.push(format!("unexpected Sample {name}"));
        } else if !o["metadata"]["deletionTimestamp"].is_null() && want[name].is_some() {
            problems.push(format!("{name} is deleting"));
        }
    }
    for (name, o) in &d {
        let owner = o["metadata"]["ownerReferences"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["kind"] == "Sample"))
            .and_then(|r| r["name"].as_str());
        if !owner.is_some_and(|n| s.contains_key(n)) {
            problems.push(format!("orphan Deployment {name} (owner {owner:?})"));
        }
    }
    problems
}

/// Lines of a JSON log (`--log-format json`) at level WARN or ERROR.
pub fn warnings(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| {
            serde_json::from_str::<Value>(l)
                .is_ok_and(|v| v["level"] == "WARN" || v["level"] == "ERROR")
        })
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const TEXT: &str = "# HELP x\n# TYPE reconcile_errors_total counter\nreconcile_errors_total{controller=\"sample\",error=\"a\"} 2\nreconcile_errors_total{controller=\"sample\",error=\"b\"} 3\nreconcile_errors_total{controller=\"whisk\",error=\"a\"} 7\nup 1\n";

    #[rstest]
    #[case("reconcile_errors_total", &[], 12.0)]
    #[case("reconcile_errors_total", &[("controller", "sample")], 5.0)]
    #[case("reconcile_errors_total", &[("controller", "whisk"), ("error", "a")], 7.0)]
    #[case("up", &[], 1.0)]
    #[case("missing_total", &[], 0.0)]
    fn metric_sums_matching_series(
        #[case] name: &str,
        #[case] labels: &[(&str, &str)],
        #[case] want: f64,
    ) {
        assert_eq!(metric(TEXT, name, labels), want);
    }

    #[test]
    fn warnings_are_the_warn_and_error_lines_of_a_json_log() {
        let log = r#"{"level":"INFO","fields":{"message":"ok"}}
{"level":"WARN","fields":{"message":"retrying"}}
not json WARN
{"level":"ERROR","fields":{"message":"failed"}}"#;
        assert_eq!(warnings(log).len(), 2);
        assert!(warnings(r#"{"level":"INFO"}"#).is_empty());
    }

    #[test]
    fn a_found_tool_is_used() {
        let p = PathBuf::from("/bin/sh");
        assert_eq!(
            tool_or_skip("sh", Some(p.clone()), "NUVOLARIS_REQUIRE_NOTHING"),
            Some(p)
        );
    }
}
