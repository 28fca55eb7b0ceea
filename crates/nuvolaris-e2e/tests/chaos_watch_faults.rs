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

//! Harsher faults (issue 11): the chaos test's request faults (20% of requests answered
//! 500/429/503, 10% of writes 409) with every watch of the operator cut after 3 s and a forced
//! 410 Expired on one every 4 s, while 200 Samples are created, 100 of them updated and 50
//! deleted, and for 20 s more. Then the faults stop, and within 60 s every Sample has converged
//! (Ready for its generation, Deployment with its count of ready replicas), every deleted Sample
//! is gone with its Deployment, no finalizer is stuck, no Deployment is orphaned. The bound holds
//! only if the watcher's and the reconciler's backoffs are capped (and jittered): with the
//! runtime's former 30 s watcher and 300 s reconcile backoffs, Samples stayed unconverged for
//! minutes. The real operator binary runs against the embedded API server (shared
//! `testkit` setup).

use futures::StreamExt;
use nuvolaris_apiserver::faults::FaultHandle;
use nuvolaris_apiserver::ServerConfig;
use nuvolaris_e2e::kube_util as ku;
use nuvolaris_e2e::operator::OperatorOpts;
use nuvolaris_e2e::testkit::{sample_problems, TestEnv};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const N: usize = 200;
const NS: &str = "chaos-watch";
/// How long the faults stay on after the last change.
const FAULTS_AFTER: Duration = Duration::from_secs(20);
/// The bound on convergence once the faults stop.
const CONVERGE: Duration = Duration::from_secs(60);

/// Desired count of Sample `i`; `None` when it is deleted.
fn want(i: usize) -> Option<i64> {
    if i.is_multiple_of(4) {
        None
    } else if i % 2 == 1 {
        Some((i % 5 + 2) as i64)
    } else {
        Some((i % 5 + 1) as i64)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samples_converge_within_60s_after_watch_cuts_and_410s_stop() {
    let faults = FaultHandle::with_seed(11);
    let env = TestEnv::start(ServerConfig {
        simulate_workloads: true,
        simulate_delay: Duration::from_millis(150),
        faults: faults.clone(),
        ..Default::default()
    })
    .await;
    let c = env.client.clone();
    ku::install_crds(&c, &nuvolaris_e2e::workspace_root().join("crds"))
        .await
        .unwrap();
    ku::ensure_namespace(&c, NS).await.unwrap();
    // watch faults act when a watch starts: on from the beginning
    faults.drop_watches_every(Some(Duration::from_secs(3)));
    let f2 = faults.clone();
    let gone = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(4));
        every.tick().await;
        loop {
            every.tick().await;
            f2.force_watch_gone_once();
        }
    });
    let t0 = Instant::now();
    let mut op = env.spawn_operator(&OperatorOpts {
        name: "chaos-watch".into(),
        extra_args: vec!["--reconcilers".into(), "sample".into()],
        ..Default::default()
    });
    op.wait_ready(Duration::from_secs(120)).await.unwrap();
    // request faults once the operator is ready (its startup checks are not under test here)
    faults.set_error_rate(0.2);
    faults.set_conflict_rate(0.1);

    let ready = t0.elapsed();
    let results: Vec<_> = futures::stream::iter(0..N)
        .map(|i| {
            let c = c.clone();
            async move { ku::create_sample(&c, NS, &format!("w-{i}"), (i % 5 + 1) as i64).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for r in results {
        r.unwrap();
    }
    let samples = ku::samples(&c, NS);
    for i in 0..N {
        match want(i) {
            None => ku::delete(&samples, &format!("w-{i}")).await.unwrap(),
            Some(n) if i % 2 == 1 => ku::set_count(&c, NS, &format!("w-{i}"), n).await.unwrap(),
            Some(_) => {}
        }
    }
    let changed = t0.elapsed();
    let wanted: BTreeMap<String, Option<i64>> =
        (0..N).map(|i| (format!("w-{i}"), want(i))).collect();

    // the faults go on for a fixed while (part of the scenario, not a wait for a condition), so
    // every backoff has grown; then they stop
    tokio::time::sleep(FAULTS_AFTER).await;
    let during = sample_problems(&c, NS, &wanted).await;
    gone.abort();
    faults.reset();
    let counters = faults.counters();
    let stopped = Instant::now();

    let mut problems;
    loop {
        problems = sample_problems(&c, NS, &wanted).await;
        if problems.is_empty() || stopped.elapsed() > CONVERGE {
            break;
        }
        if let Some(st) = op.exited() {
            panic!(
                "the operator exited with {st}; log tail:\n{}",
                op.log_tail(40)
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let converged = stopped.elapsed();
    println!(
        "chaos-watch: operator ready after {:.1}s, {N} Samples created, updated and deleted after {:.1}s; {} unconverged when the faults stopped; converged {:.1}s after; faults {}",
        ready.as_secs_f64(),
        changed.as_secs_f64(),
        during.len(),
        converged.as_secs_f64(),
        counters.to_json()
    );
    assert!(
        problems.is_empty(),
        "{} of {N} Samples not converged {}s after the faults stopped, e.g. {:?}",
        problems.len(),
        CONVERGE.as_secs(),
        &problems[..problems.len().min(8)]
    );
    // the faults really happened
    assert!(
        counters.watches_cut > 0 && counters.watches_gone > 0 && counters.internal_errors > 0,
        "{counters:?}"
    );
    assert!(op.exited().is_none(), "{}", op.log_tail(40));
    let panics = nuvolaris_e2e::operator::panics(&op.logs());
    assert!(panics.is_empty(), "the operator panicked: {panics:?}");
    let st = op.terminate(Duration::from_secs(12)).await.unwrap();
    assert!(st.success(), "operator exit after SIGTERM: {st}");
    env.shutdown().await;
}
