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

//! `cargo xtask bench`: bursts of N Samples created at once; per-Sample time to Ready (p50, p90,
//! p99, max), total time to converge, operator peak RSS and CPU time, API requests per Sample
//! (counted by the embedded server) and writes made during an idle resync (target 0).
//! Numbers are printed, never asserted.
//!
//! `--profile loaded` runs the embedded server with the cost of a loaded 2-core
//! kube-apiserver ([`LoadedProfile`]): every request pays a latency, requests past the
//! in-flight seats get 429, and the simulated deployment controller writes each Deployment's
//! status in three steps (so the operator sees the child status events a real cluster sends).
//! Samples are created at a paced rate (`--rate`, default 20/s, the pace of the measurements
//! on a real cluster in issue 11) instead of all at once, and the table adds the time from
//! create to the Sample's first status for its generation, reconciles per Sample and the
//! operator's own API requests per Sample (counted by its ServiceAccount's identity).

use crate::backend::{Backend, BackendKind, BackendOpts};
use crate::kube_util as ku;
use crate::operator::{OperatorOpts, OperatorProcess, Profile};
use crate::{Error, Result};
use futures::StreamExt;
use k8s_openapi::api::rbac::v1::ClusterRoleBinding;
use kube::api::ListParams;
use kube::runtime::watcher;
use kube::runtime::WatchStreamExt;
use nuvolaris_apiserver::{ApiServer, ServerConfig};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The load the benchmark puts on the operator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchProfile {
    /// The embedded server as fast as it is (requests take microseconds), Samples created at
    /// once.
    #[default]
    Default,
    /// The embedded server with the cost of a loaded kube-apiserver ([`LoadedProfile`]),
    /// Samples created at `--rate`.
    Loaded,
}

/// The costs of `--profile loaded`, chosen to resemble a kube-apiserver with etcd and
/// kube-controller-manager sharing 2 cores with the operator (issue 11's measurements: about
/// 100 ms for GET + apply + status of one reconcile). Calibrated against that table: with
/// these values the operator of issue 11 measures p50 0.49 s / p99 3.4 s to Ready and 5.6
/// reconciles per Sample for 100 Samples, and p90 15 s / p99 35 s for 1,000 (real cluster:
/// 0.45-0.67 s / 3.2-4.1 s, 4.3-5.2 reconciles; p90 27 s / p99 55 s); with 30 ms writes the
/// operator keeps up and the queueing tail does not show.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LoadedProfile {
    /// Per read (a GET or list served from the watch cache under load): 5 ms.
    pub latency_read: Duration,
    /// Per write (admission, etcd round trip with fsync, watch fan-out, all competing for
    /// 2 cores): 60 ms.
    pub latency_write: Duration,
    /// Requests served at once: 40 seats (a small API Priority and Fairness level); past
    /// them 429 with `Retry-After: 1`. Watches take none.
    pub max_inflight: usize,
    /// Before the deployment controller's first status write on a change: 50 ms (informer
    /// and work-queue delay of kube-controller-manager).
    pub controller_delay: Duration,
    /// Between its status writes (observed -> ready -> available): 200 ms, a compressed pod
    /// start.
    pub deployment_step: Duration,
    /// Samples created per second: 20.
    pub rate: f64,
}

impl Default for LoadedProfile {
    fn default() -> Self {
        LoadedProfile {
            latency_read: Duration::from_millis(5),
            latency_write: Duration::from_millis(60),
            max_inflight: 40,
            controller_delay: Duration::from_millis(50),
            deployment_step: Duration::from_millis(200),
            rate: 20.0,
        }
    }
}

/// Flags of the benchmark.
#[derive(Clone, Debug, clap::Args)]
pub struct BenchArgs {
    /// `default` (embedded server at full speed, Samples created at once) or `loaded`
    /// (the cost of a loaded kube-apiserver, Samples created at `--rate`).
    #[arg(long, value_enum, default_value_t = BenchProfile::Default)]
    pub profile: BenchProfile,
    /// Samples created per second (default: all at once; `--profile loaded`: 20).
    #[arg(long)]
    pub rate: Option<f64>,
    /// `--profile loaded`: latency of each read, in milliseconds (default 5).
    #[arg(long)]
    pub latency_read_ms: Option<u64>,
    /// `--profile loaded`: latency of each write, in milliseconds (default 60).
    #[arg(long)]
    pub latency_write_ms: Option<u64>,
    /// `--profile loaded`: requests served at once before 429 (default 40).
    #[arg(long)]
    pub max_inflight: Option<usize>,
    /// `--profile loaded`: delay between the deployment controller's status writes, in
    /// milliseconds (default 200).
    #[arg(long)]
    pub deployment_step_ms: Option<u64>,
    /// Extra arguments for the operator (e.g. `--operator-arg=--concurrency=32`).
    #[arg(long = "operator-arg", allow_hyphen_values = true)]
    pub operator_args: Vec<String>,
    /// Burst sizes, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    pub samples: Vec<usize>,
    /// Run against this cluster instead of the embedded server (requests are then not counted).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// The operator binary (default: $NUVOLARIS_OPERATOR_BIN, else a release build).
    #[arg(long)]
    pub operator_bin: Option<PathBuf>,
    /// Resync period given to the operator; the idle window lasts one period plus 3 s.
    #[arg(long, default_value_t = 10)]
    pub resync_secs: u64,
    /// Delay of the embedded server's workload simulator, in milliseconds.
    #[arg(long, default_value_t = 150)]
    pub simulate_delay_ms: u64,
    /// Concurrent create requests of the burst.
    #[arg(long, default_value_t = 32)]
    pub create_concurrency: usize,
}

impl BenchArgs {
    /// The loaded profile with this command line's overrides.
    pub fn loaded_profile(&self) -> LoadedProfile {
        let d = LoadedProfile::default();
        LoadedProfile {
            latency_read: self
                .latency_read_ms
                .map_or(d.latency_read, Duration::from_millis),
            latency_write: self
                .latency_write_ms
                .map_or(d.latency_write, Duration::from_millis),
            max_inflight: self.max_inflight.unwrap_or(d.max_inflight),
            controller_delay: d.controller_delay,
            deployment_step: self
                .deployment_step_ms
                .map_or(d.deployment_step, Duration::from_millis),
            rate: self.rate.unwrap_or(d.rate),
        }
    }

    /// Samples created per second (None: all at once, `create_concurrency` at a time).
    pub fn pace(&self) -> Option<f64> {
        match self.profile {
            BenchProfile::Loaded => Some(self.loaded_profile().rate),
            BenchProfile::Default => self.rate,
        }
        .filter(|r| *r > 0.0)
    }
}

/// The numbers of one burst.
#[derive(Clone, Debug, Default)]
pub struct BenchResult {
    /// Burst size.
    pub samples: usize,
    /// Backend name (with the profile).
    pub backend: String,
    /// Time from each Sample's create request to its first status for its generation
    /// (`status.observedGeneration == metadata.generation`): p50, p90, p99 (s).
    pub status_p50: f64,
    /// p90 (s).
    pub status_p90: f64,
    /// p99 (s).
    pub status_p99: f64,
    /// Reconciles of the sample controller per Sample until every Sample is Ready.
    pub reconciles_per_sample: Option<f64>,
    /// Requests answered 429 by the server's in-flight bound (loaded profile).
    pub throttled: Option<u64>,
    /// Time from each Sample's create request to its Ready condition: p50, p90, p99, max (s).
    pub ready_p50: f64,
    /// p90 (s).
    pub ready_p90: f64,
    /// p99 (s).
    pub ready_p99: f64,
    /// max (s).
    pub ready_max: f64,
    /// From the first create request to the last Sample Ready (s).
    pub total: f64,
    /// Samples that did not become Ready before the timeout.
    pub not_ready: usize,
    /// Operator peak RSS (KiB, VmHWM).
    pub peak_rss_kib: Option<u64>,
    /// Operator CPU time (user + system, s) at convergence.
    pub cpu_secs: Option<f64>,
    /// API requests per Sample made by the operator during the burst (embedded server only).
    pub requests_per_sample: Option<f64>,
    /// Objects written (Samples, Deployments, Events in the namespace) during the idle window.
    pub idle_writes: usize,
    /// Reconciles counted by the operator during the idle window.
    pub idle_reconciles: f64,
    /// API requests during the idle window (embedded server only).
    pub idle_requests: Option<u64>,
    /// Length of the idle window (s).
    pub idle_window: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Sum of a counter family's samples matching `filter` in Prometheus text.
pub fn metric_sum(text: &str, name: &str, filter: &str) -> f64 {
    text.lines()
        .filter(|l| {
            l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']) && l.contains(filter)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Runs every burst size and prints the table.
pub async fn run(args: BenchArgs, profile: Profile) -> Result<()> {
    let mut results = Vec::new();
    for &n in &args.samples {
        eprintln!("==> burst of {n} Samples");
        let r = run_one(&args, n, profile).await?;
        print_result(&r);
        results.push(r);
    }
    println!();
    println!("{}", table(&results));
    Ok(())
}

fn print_result(r: &BenchResult) {
    eprintln!("    {r:?}");
}

fn fmt_opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "n/a".into())
}

/// The results as a Markdown table.
pub fn table(results: &[BenchResult]) -> String {
    let mut s = String::from("| backend | Samples | status p50 | p90 | p99 | Ready p50 | p90 | p99 | max | total | not Ready | peak RSS | CPU | reconciles/Sample | requests/Sample | 429s | idle writes (reconciles, requests, window) |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for r in results {
        s.push_str(&format!(
            "| {} | {} | {:.3}s | {:.3}s | {:.3}s | {:.3}s | {:.3}s | {:.3}s | {:.3}s | {:.3}s | {} | {} | {} | {} | {} | {} | {} ({} reconciles, {} requests, {:.0}s) |\n",
            r.backend, r.samples, r.status_p50, r.status_p90, r.status_p99,
            r.ready_p50, r.ready_p90, r.ready_p99, r.ready_max, r.total, r.not_ready,
            r.peak_rss_kib.map(|k| format!("{:.1} MiB", k as f64 / 1024.0)).unwrap_or_else(|| "n/a".into()),
            r.cpu_secs.map(|c| format!("{c:.2}s")).unwrap_or_else(|| "n/a".into()),
            r.reconciles_per_sample.map(|q| format!("{q:.2}")).unwrap_or_else(|| "n/a".into()),
            r.requests_per_sample.map(|q| format!("{q:.1}")).unwrap_or_else(|| "n/a".into()),
            fmt_opt(r.throttled),
            r.idle_writes, r.idle_reconciles, fmt_opt(r.idle_requests), r.idle_window,
        ));
    }
    s
}

async fn snapshot(c: &kube::Client, ns: &str) -> Result<HashMap<String, String>> {
    let mut m = HashMap::new();
    let lp = ListParams::default();
    for (k, api) in [
        ("Sample", ku::samples(c, ns)),
        ("Deployment", ku::deployments(c, ns)),
    ] {
        for o in ku::list_json(&api, &lp).await? {
            m.insert(
                format!("{k}/{}", o["metadata"]["name"].as_str().unwrap_or("")),
                o["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            );
        }
    }
    for e in ku::events(c, ns, None).await? {
        m.insert(
            format!("Event/{}", e["metadata"]["name"].as_str().unwrap_or("")),
            e["metadata"]["resourceVersion"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        );
    }
    Ok(m)
}

/// Where the operator's requests are counted.
enum RequestCount {
    /// The embedded server's count of every request (the bench's own included).
    All,
    /// The requests of the operator's ServiceAccount on the loaded embedded server.
    Operator(Arc<ApiServer>),
    /// Not counted (a real cluster).
    None,
}

/// What one burst runs against.
struct Target {
    /// Kubeconfig the operator runs with.
    operator_kubeconfig: PathBuf,
    /// How its requests are counted.
    requests: RequestCount,
    /// Backend label in the table.
    label: String,
}

impl Target {
    fn requests(&self, b: &Backend) -> Option<u64> {
        match &self.requests {
            RequestCount::All => b.request_count(),
            RequestCount::Operator(s) => {
                Some(s.service_account_requests(OPERATOR_NS, OPERATOR_SA) as u64)
            }
            RequestCount::None => None,
        }
    }

    fn throttled(&self) -> Option<u64> {
        match &self.requests {
            RequestCount::Operator(s) => Some(s.throttled_count()),
            _ => None,
        }
    }

    /// Requests of ours counted with the operator's during a burst of `n`: the creates and
    /// the watch (list + watch).
    fn ours(&self, n: usize) -> u64 {
        match self.requests {
            RequestCount::All => n as u64 + 2,
            _ => 0,
        }
    }
}

/// The ServiceAccount the operator runs as on the loaded server.
const OPERATOR_NS: &str = "nuvolaris";
/// See [`OPERATOR_NS`].
const OPERATOR_SA: &str = "nuvolaris-operator";

/// One burst of `n` Samples on a fresh backend.
pub async fn run_one(args: &BenchArgs, n: usize, profile: Profile) -> Result<BenchResult> {
    if args.profile == BenchProfile::Loaded && args.kubeconfig.is_none() {
        return run_loaded(args, n, profile).await;
    }
    let kind = if args.kubeconfig.is_some() {
        BackendKind::Cluster
    } else {
        BackendKind::Embedded
    };
    let b = Backend::start(
        kind,
        BackendOpts {
            operator_bin: args.operator_bin.clone(),
            profile,
            kubeconfig: args.kubeconfig.clone(),
            simulate_delay: Duration::from_millis(args.simulate_delay_ms),
            ..Default::default()
        },
    )
    .await?;
    let target = Target {
        operator_kubeconfig: b.kubeconfig.clone(),
        requests: if kind == BackendKind::Embedded {
            RequestCount::All
        } else {
            RequestCount::None
        },
        label: b.kind.to_string(),
    };
    let res = burst(&b, args, n, &target).await;
    b.shutdown().await;
    res
}

/// One burst on the embedded server with the [`LoadedProfile`] costs; the operator runs as a
/// ServiceAccount bound to cluster-admin, so its own requests are counted apart from ours.
async fn run_loaded(args: &BenchArgs, n: usize, profile: Profile) -> Result<BenchResult> {
    let lp = args.loaded_profile();
    let server = Arc::new(
        ApiServer::start(ServerConfig {
            simulate_workloads: true,
            simulate_delay: lp.controller_delay,
            deployment_status_step: Some(lp.deployment_step),
            latency_read: lp.latency_read,
            latency_write: lp.latency_write,
            max_inflight: Some(lp.max_inflight),
            rbac: true,
            ..Default::default()
        })
        .await?,
    );
    let dir = tempfile::Builder::new()
        .prefix("nuvolaris-bench-")
        .tempdir()
        .map_err(|e| Error::io("create a temporary directory", e))?;
    let admin = dir.path().join("admin.kubeconfig");
    server.write_kubeconfig(&admin)?;
    let operator_kubeconfig = dir.path().join("operator.kubeconfig");
    server.write_kubeconfig_for_service_account(&operator_kubeconfig, OPERATOR_NS, OPERATOR_SA)?;
    let b = Backend::start(
        BackendKind::Cluster,
        BackendOpts {
            operator_bin: args.operator_bin.clone(),
            profile,
            kubeconfig: Some(admin),
            ..Default::default()
        },
    )
    .await?;
    let binding: ClusterRoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "bench-operator-admin"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": OPERATOR_SA, "namespace": OPERATOR_NS}]
    }))
    .map_err(|e| Error::Check(e.to_string()))?;
    let crbs: kube::Api<ClusterRoleBinding> = kube::Api::all(b.client.clone());
    ku::retry(|| async { crbs.create(&Default::default(), &binding).await })
        .await
        .map_err(|e| Error::kube("bind the operator to cluster-admin", e))?;
    let target = Target {
        operator_kubeconfig,
        requests: RequestCount::Operator(server.clone()),
        label: format!(
            "embedded, loaded (read {}ms, write {}ms, {} seats, status steps {}ms, {}/s)",
            lp.latency_read.as_millis(),
            lp.latency_write.as_millis(),
            lp.max_inflight,
            lp.deployment_step.as_millis(),
            lp.rate
        ),
    };
    let res = burst(&b, args, n, &target).await;
    drop(target);
    b.shutdown().await;
    if let Ok(s) = Arc::try_unwrap(server) {
        s.shutdown().await;
    }
    res
}

async fn burst(b: &Backend, args: &BenchArgs, n: usize, target: &Target) -> Result<BenchResult> {
    let c = b.client.clone();
    let ns = format!("bench-{n}-{}", rand::random::<u16>());
    ku::install_crds(&c, &crate::workspace_root().join("crds")).await?;
    ku::ensure_namespace(&c, &ns).await?;
    let mut extra_args = vec!["--namespace".to_string(), ns.clone()];
    extra_args.extend(args.operator_args.iter().cloned());
    let mut op = OperatorProcess::spawn(
        &b.operator_bin,
        &target.operator_kubeconfig,
        b.workdir.path(),
        &OperatorOpts {
            name: format!("bench-{n}"),
            resync_secs: Some(args.resync_secs),
            extra_args,
            env: vec![("RUST_LOG".into(), "warn".into())],
            ..Default::default()
        },
    )?;
    op.wait_ready(Duration::from_secs(60)).await?;

    // record when each Sample first has a status for its generation, and when it is first
    // seen Ready (a watch: 2 requests of ours)
    let ready_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let status_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let (r2, s2) = (ready_at.clone(), status_at.clone());
    let wapi = ku::samples(&c, &ns);
    let watch = tokio::spawn(async move {
        let mut s = watcher::watcher(wapi, watcher::Config::default())
            .default_backoff()
            .applied_objects()
            .boxed();
        while let Some(o) = s.next().await {
            let Ok(o) = o else { continue };
            let v: Value = ku::to_json(&o);
            let Some(name) = o.metadata.name.clone() else {
                continue;
            };
            let gen = v.pointer("/metadata/generation").and_then(Value::as_i64);
            let observed = v
                .pointer("/status/observedGeneration")
                .and_then(Value::as_i64);
            if gen.is_some() && gen == observed {
                if let Ok(mut m) = s2.lock() {
                    m.entry(name.clone()).or_insert_with(Instant::now);
                }
            }
            if ku::ready_current(&v) {
                if let Ok(mut m) = r2.lock() {
                    m.entry(name).or_insert_with(Instant::now);
                }
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rec = |t: &str| {
        metric_sum(
            t,
            "controller_runtime_reconcile_total",
            "controller=\"sample\"",
        )
    };
    let metrics_before = op.http_get("/metrics").await.map(|(_, t)| t).ok();
    let req0 = target.requests(b);
    let start = Instant::now();
    let t0 = tokio::time::Instant::now();
    let pace = args.pace();
    let created: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let results: Vec<Result<()>> = futures::stream::iter(0..n)
        .map(|i| {
            let c = c.clone();
            let ns = ns.clone();
            let created = created.clone();
            async move {
                if let Some(rate) = pace {
                    tokio::time::sleep_until(t0 + Duration::from_secs_f64(i as f64 / rate)).await;
                }
                let name = format!("s-{i}");
                let t = Instant::now();
                ku::create_sample(&c, &ns, &name, (i % 3 + 1) as i64).await?;
                if let Ok(mut m) = created.lock() {
                    m.insert(name, t);
                }
                Ok(())
            }
        })
        .buffer_unordered(if pace.is_some() {
            n.max(1)
        } else {
            args.create_concurrency.max(1)
        })
        .collect()
        .await;
    for r in results {
        r?;
    }
    let timeout = Duration::from_secs(60 + n as u64 / 10);
    let _ = ku::wait_for("every Sample Ready", timeout, || async {
        (ready_at.lock().ok()?.len() >= n).then_some(())
    })
    .await;
    let req1 = target.requests(b);
    let cpu = op.cpu_seconds();
    let metrics_after = op.http_get("/metrics").await.map(|(_, t)| t).ok();
    let (mut lat, mut status_lat, mut last) = (Vec::new(), Vec::new(), start);
    {
        let created = created.lock().map_err(|_| Error::Check("lock".into()))?;
        let ready = ready_at.lock().map_err(|_| Error::Check("lock".into()))?;
        let status = status_at.lock().map_err(|_| Error::Check("lock".into()))?;
        for (name, t) in created.iter() {
            if let Some(r) = ready.get(name) {
                lat.push(r.saturating_duration_since(*t).as_secs_f64());
                last = last.max(*r);
            }
            if let Some(s) = status.get(name) {
                status_lat.push(s.saturating_duration_since(*t).as_secs_f64());
            }
        }
    }
    lat.sort_by(f64::total_cmp);
    status_lat.sort_by(f64::total_cmp);
    let not_ready = n - lat.len();
    let requests_per_sample = match (req0, req1) {
        (Some(a), Some(z)) => {
            Some((z.saturating_sub(a).saturating_sub(target.ours(n))) as f64 / n as f64)
        }
        _ => None,
    };
    let reconciles_per_sample = match (&metrics_before, &metrics_after) {
        (Some(a), Some(z)) => Some((rec(z) - rec(a)) / n as f64),
        _ => None,
    };

    // idle: nothing changes for one resync period; count what the operator writes
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = snapshot(&c, &ns).await?;
    let m0 = op
        .http_get("/metrics")
        .await
        .map(|(_, t)| t)
        .unwrap_or_default();
    let q0 = target.requests(b);
    let window = Duration::from_secs(args.resync_secs + 3);
    tokio::time::sleep(window).await;
    let q1 = target.requests(b);
    let m1 = op
        .http_get("/metrics")
        .await
        .map(|(_, t)| t)
        .unwrap_or_default();
    let after = snapshot(&c, &ns).await?;
    let idle_writes = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .count()
        + before.keys().filter(|k| !after.contains_key(*k)).count();
    let idle_requests = match (q0, q1) {
        // minus our own 3 snapshot lists at the end... the snapshot is taken after q1
        (Some(a), Some(z)) => Some(z.saturating_sub(a)),
        _ => None,
    };
    let res = BenchResult {
        samples: n,
        backend: target.label.clone(),
        status_p50: percentile(&status_lat, 50.0),
        status_p90: percentile(&status_lat, 90.0),
        status_p99: percentile(&status_lat, 99.0),
        reconciles_per_sample,
        throttled: target.throttled(),
        ready_p50: percentile(&lat, 50.0),
        ready_p90: percentile(&lat, 90.0),
        ready_p99: percentile(&lat, 99.0),
        ready_max: lat.last().copied().unwrap_or(f64::NAN),
        total: last.saturating_duration_since(start).as_secs_f64(),
        not_ready,
        peak_rss_kib: op.peak_rss_kib(),
        cpu_secs: cpu,
        requests_per_sample,
        idle_writes,
        idle_reconciles: rec(&m1) - rec(&m0),
        idle_requests,
        idle_window: window.as_secs_f64(),
    };
    watch.abort();
    if let Some(st) = op.exited() {
        return Err(Error::Check(format!(
            "the operator exited with {st} during the benchmark"
        )));
    }
    let _ = op.terminate(Duration::from_secs(12)).await;
    if kind_is_cluster(b) {
        let nsapi: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(c.clone());
        let _ = nsapi.delete(&ns, &Default::default()).await;
    }
    Ok(res)
}

fn kind_is_cluster(b: &Backend) -> bool {
    b.kind == BackendKind::Cluster
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(&[1.0, 2.0, 3.0, 4.0], 50.0, 2.0)]
    #[case(&[1.0, 2.0, 3.0, 4.0], 99.0, 4.0)]
    #[case(&[5.0], 90.0, 5.0)]
    fn percentiles(#[case] v: &[f64], #[case] p: f64, #[case] want: f64) {
        assert_eq!(percentile(v, p), want);
    }

    fn args(cli: &[&str]) -> BenchArgs {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            bench: BenchArgs,
        }
        <Cli as clap::Parser>::parse_from(std::iter::once("bench").chain(cli.iter().copied())).bench
    }

    #[rstest]
    #[case(&[], None)]
    #[case(&["--rate", "5"], Some(5.0))]
    #[case(&["--profile", "loaded"], Some(20.0))]
    #[case(&["--profile", "loaded", "--rate", "25"], Some(25.0))]
    #[case(&["--profile", "loaded", "--rate", "0"], None)]
    fn pacing(#[case] cli: &[&str], #[case] want: Option<f64>) {
        assert_eq!(args(cli).pace(), want);
    }

    #[test]
    fn loaded_profile_overrides() {
        let d = args(&["--profile", "loaded"]).loaded_profile();
        assert_eq!(d, LoadedProfile::default());
        let o = args(&[
            "--profile",
            "loaded",
            "--latency-read-ms",
            "1",
            "--latency-write-ms",
            "2",
            "--max-inflight",
            "3",
            "--deployment-step-ms",
            "4",
            "--operator-arg=--concurrency=32",
        ]);
        let p = o.loaded_profile();
        assert_eq!(
            (
                p.latency_read,
                p.latency_write,
                p.max_inflight,
                p.deployment_step
            ),
            (
                Duration::from_millis(1),
                Duration::from_millis(2),
                3,
                Duration::from_millis(4)
            )
        );
        assert_eq!(o.operator_args, ["--concurrency=32"]);
    }

    #[rstest]
    #[case("a_total{controller=\"sample\",result=\"success\"} 3\na_total{controller=\"whisk\",result=\"success\"} 4\n", "controller=\"sample\"", 3.0)]
    #[case("a_total{controller=\"sample\",result=\"success\"} 3\na_total{controller=\"sample\",result=\"error\"} 2\n", "controller=\"sample\"", 5.0)]
    #[case("a_total_other{controller=\"sample\"} 3\n", "", 0.0)]
    fn metric_sums(#[case] text: &str, #[case] filter: &str, #[case] want: f64) {
        assert_eq!(metric_sum(text, "a_total", filter), want);
    }
}
