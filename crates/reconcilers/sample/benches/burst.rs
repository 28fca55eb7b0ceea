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

//! Burst benchmark (numbers, not assertions): N Samples created at once against the embedded
//! API server with the workload simulator; prints time until each is Ready (p50/p90/p99/max)
//! and the Deployment writes made by an idle resync.
//!
//! `cargo bench -p nuvolaris-reconciler-sample --bench burst -- 100`

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use kube::api::{ListParams, PostParams};
use std::time::{Duration, Instant};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100);
    let env = start(true).await;
    install_sample_crd(&env).await;
    let op = run_operator(&env);
    wait_for("ready", || async { op.health.ready().ok() }).await;
    let sams = samples(&env);
    let t0 = Instant::now();
    let mut created = Vec::new();
    for i in 0..n {
        let s = sams
            .create(&PostParams::default(), &sample(&format!("s{i}"), 1))
            .await
            .unwrap();
        created.push(s);
    }
    let create_time = t0.elapsed();
    let mut ready_at: Vec<Option<Duration>> = vec![None; n];
    let deadline = Instant::now() + Duration::from_secs(120);
    while ready_at.iter().any(Option::is_none) && Instant::now() < deadline {
        for s in sams.list(&ListParams::default()).await.unwrap() {
            let i: usize = s.metadata.name.as_deref().unwrap()[1..].parse().unwrap();
            if ready_at[i].is_none() && condition(&s, "Ready").map(|c| c.0) == Some("True".into()) {
                ready_at[i] = Some(t0.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut t: Vec<Duration> = ready_at.iter().flatten().copied().collect();
    t.sort();
    let pct = |p: f64| t[((t.len() as f64 * p).ceil() as usize).clamp(1, t.len()) - 1];
    println!(
        "N={n} created in {create_time:?}; ready {}/{n}; p50 {:?} p90 {:?} p99 {:?} max {:?}",
        t.len(),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        t.last().unwrap()
    );
    let writes_before = op.metrics.status_writes("sample");
    let deps = deployments(&env);
    let rv_before: Vec<_> = deps
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(|d| d.metadata.resource_version.clone())
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rv_after: Vec<_> = deps
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(|d| d.metadata.resource_version.clone())
        .collect();
    println!(
        "idle 2s after convergence: status writes {}, Deployments changed {}",
        op.metrics.status_writes("sample") - writes_before,
        rv_before
            .iter()
            .zip(&rv_after)
            .filter(|(a, b)| a != b)
            .count()
    );
    println!(
        "{}",
        op.metrics
            .encode()
            .lines()
            .filter(|l| l.starts_with("nuvolaris_objects_applied_total")
                || l.starts_with("controller_runtime_reconcile_total"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    op.stop().await;
    env.server.shutdown().await;
}
