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

use crate::backend::{Backend, BackendKind, BackendOpts};
use crate::kube_util as ku;
use crate::operator::{OperatorOpts, OperatorProcess, Profile};
use crate::{Error, Result};
use futures::StreamExt;
use kube::api::ListParams;
use kube::runtime::watcher;
use kube::runtime::WatchStreamExt;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Flags of the benchmark.
#[derive(Clone, Debug, clap::Args)]
pub struct BenchArgs {
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

/// The numbers of one burst.
#[derive(Clone, Debug, Default)]
pub struct BenchResult {
    /// Burst size.
    pub samples: usize,
    /// Backend name.
    pub backend: String,
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
    let mut s = String::from("| backend | Samples | Ready p50 | p90 | p99 | max | total | not Ready | peak RSS | CPU | requests/Sample | idle writes (reconciles, requests, window) |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for r in results {
        s.push_str(&format!(
            "| {} | {} | {:.3}s | {:.3}s | {:.3}s | {:.3}s | {:.3}s | {} | {} | {} | {} | {} ({} reconciles, {} requests, {:.0}s) |\n",
            r.backend, r.samples, r.ready_p50, r.ready_p90, r.ready_p99, r.ready_max, r.total, r.not_ready,
            r.peak_rss_kib.map(|k| format!("{:.1} MiB", k as f64 / 1024.0)).unwrap_or_else(|| "n/a".into()),
            r.cpu_secs.map(|c| format!("{c:.2}s")).unwrap_or_else(|| "n/a".into()),
            r.requests_per_sample.map(|q| format!("{q:.1}")).unwrap_or_else(|| "n/a".into()),
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

/// One burst of `n` Samples on a fresh backend.
pub async fn run_one(args: &BenchArgs, n: usize, profile: Profile) -> Result<BenchResult> {
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
    let res = burst(&b, args, n).await;
    b.shutdown().await;
    res
}

async fn burst(b: &Backend, args: &BenchArgs, n: usize) -> Result<BenchResult> {
    let c = b.client.clone();
    let ns = format!("bench-{n}-{}", rand::random::<u16>());
    ku::install_crds(&c, &crate::workspace_root().join("crds")).await?;
    ku::ensure_namespace(&c, &ns).await?;
    let mut op = OperatorProcess::spawn(
        &b.operator_bin,
        &b.kubeconfig,
        b.workdir.path(),
        &OperatorOpts {
            name: format!("bench-{n}"),
            resync_secs: Some(args.resync_secs),
            extra_args: vec!["--namespace".into(), ns.clone()],
            env: vec![("RUST_LOG".into(), "warn".into())],
            ..Default::default()
        },
    )?;
    op.wait_ready(Duration::from_secs(60)).await?;

    // record when each Sample is first seen Ready (a watch: 2 requests of ours)
    let ready_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let r2 = ready_at.clone();
    let wapi = ku::samples(&c, &ns);
    let watch = tokio::spawn(async move {
        let mut s = watcher::watcher(wapi, watcher::Config::default())
            .default_backoff()
            .applied_objects()
            .boxed();
        while let Some(o) = s.next().await {
            let Ok(o) = o else { continue };
            let v: Value = ku::to_json(&o);
            if ku::ready_current(&v) {
                if let (Ok(mut m), Some(name)) = (r2.lock(), o.metadata.name.clone()) {
                    m.entry(name).or_insert_with(Instant::now);
                }
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let req0 = b.request_count();
    let start = Instant::now();
    let created: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let results: Vec<Result<()>> = futures::stream::iter(0..n)
        .map(|i| {
            let c = c.clone();
            let ns = ns.clone();
            let created = created.clone();
            async move {
                let name = format!("s-{i}");
                let t = Instant::now();
                ku::create_sample(&c, &ns, &name, (i % 3 + 1) as i64).await?;
                if let Ok(mut m) = created.lock() {
                    m.insert(name, t);
                }
                Ok(())
            }
        })
        .buffer_unordered(args.create_concurrency.max(1))
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
    let req1 = b.request_count();
    let cpu = op.cpu_seconds();
    let (mut lat, mut last) = (Vec::new(), start);
    {
        let created = created.lock().map_err(|_| Error::Check("lock".into()))?;
        let ready = ready_at.lock().map_err(|_| Error::Check("lock".into()))?;
        for (name, t) in created.iter() {
            if let Some(r) = ready.get(name) {
                lat.push(r.saturating_duration_since(*t).as_secs_f64());
                last = last.max(*r);
            }
        }
    }
    lat.sort_by(f64::total_cmp);
    let not_ready = n - lat.len();
    // requests of ours during the burst: n creates + the watch (list + watch)
    let requests_per_sample = match (req0, req1) {
        (Some(a), Some(z)) => {
            Some((z.saturating_sub(a).saturating_sub(n as u64 + 2)) as f64 / n as f64)
        }
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
    let q0 = b.request_count();
    let window = Duration::from_secs(args.resync_secs + 3);
    tokio::time::sleep(window).await;
    let q1 = b.request_count();
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
    let rec = |t: &str| {
        metric_sum(
            t,
            "controller_runtime_reconcile_total",
            "controller=\"sample\"",
        )
    };
    let idle_requests = match (q0, q1) {
        // minus our own 3 snapshot lists at the end... the snapshot is taken after q1
        (Some(a), Some(z)) => Some(z.saturating_sub(a)),
        _ => None,
    };
    let res = BenchResult {
        samples: n,
        backend: b.kind.to_string(),
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

    #[rstest]
    #[case("a_total{controller=\"sample\",result=\"success\"} 3\na_total{controller=\"whisk\",result=\"success\"} 4\n", "controller=\"sample\"", 3.0)]
    #[case("a_total{controller=\"sample\",result=\"success\"} 3\na_total{controller=\"sample\",result=\"error\"} 2\n", "controller=\"sample\"", 5.0)]
    #[case("a_total_other{controller=\"sample\"} 3\n", "", 0.0)]
    fn metric_sums(#[case] text: &str, #[case] filter: &str, #[case] want: f64) {
        assert_eq!(metric_sum(text, "a_total", filter), want);
    }
}
