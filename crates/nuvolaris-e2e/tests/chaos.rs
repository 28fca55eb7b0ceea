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

//! Chaos: the real operator process against the embedded API server with fault injection (20%
//! of requests answered 500/429/503, 10% of writes answered 409, every watch cut after 5 s, a
//! forced 410 Expired on a watch every 10 s) while 200 Samples are created, 100 of them updated
//! and 50 deleted. Every remaining Sample converges (Deployment replicas = count, Ready for its
//! generation), every deleted Sample and its Deployment are gone, no Sample is left holding the
//! finalizer, and the operator never exits or panics. Watch faults are on from the start; request
//! faults are switched on once the operator is ready; all stay on until the end, the harness's
//! own requests retrying through them.

use futures::StreamExt;
use kube::api::ListParams;
use nuvolaris_apiserver::faults::FaultHandle;
use nuvolaris_e2e::backend::{Backend, BackendKind, BackendOpts};
use nuvolaris_e2e::kube_util as ku;
use nuvolaris_e2e::operator::{OperatorOpts, OperatorProcess};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const N: usize = 200;
const NS: &str = "chaos";

fn want(i: usize) -> Option<i64> {
    if i.is_multiple_of(4) {
        None // deleted
    } else if i % 2 == 1 {
        Some((i % 5 + 2) as i64) // updated
    } else {
        Some((i % 5 + 1) as i64)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_converges_under_faults() {
    let faults = FaultHandle::with_seed(7);
    let b = Backend::start(
        BackendKind::Embedded,
        BackendOpts {
            faults: Some(faults.clone()),
            ..Default::default()
        },
    )
    .await
    .expect("embedded backend");
    let c = b.client.clone();
    ku::install_crds(&c, &nuvolaris_e2e::workspace_root().join("crds"))
        .await
        .unwrap();
    ku::ensure_namespace(&c, NS).await.unwrap();
    // watch faults act when a watch starts: on from the beginning, so every watch of the
    // operator is cut after 3 s and a forced 410 hits one every 4 s
    faults.drop_watches_every(Some(Duration::from_secs(5)));
    let f2 = faults.clone();
    let gone = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(10)).await;
            f2.force_watch_gone_once();
        }
    });
    let mut op = OperatorProcess::spawn(
        &b.operator_bin,
        &b.kubeconfig,
        b.workdir.path(),
        &OperatorOpts {
            name: "chaos".into(),
            resync_secs: Some(30),
            ..Default::default()
        },
    )
    .unwrap();
    op.wait_ready(Duration::from_secs(60)).await.unwrap();

    // request faults once the operator is ready (its startup checks are not under test here)
    faults.set_error_rate(0.2);
    faults.set_conflict_rate(0.1);

    let start = Instant::now();
    let results: Vec<_> = futures::stream::iter(0..N)
        .map(|i| {
            let c = c.clone();
            async move { ku::create_sample(&c, NS, &format!("c-{i}"), (i % 5 + 1) as i64).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for r in results {
        r.unwrap();
    }
    for i in 0..N {
        if i.is_multiple_of(4) {
            ku::delete(&ku::samples(&c, NS), &format!("c-{i}"))
                .await
                .unwrap();
        } else if i % 2 == 1 {
            ku::set_count(&c, NS, &format!("c-{i}"), (i % 5 + 2) as i64)
                .await
                .unwrap();
        }
    }

    let samples = ku::samples(&c, NS);
    let deps = ku::deployments(&c, NS);
    let mut last_problems = Vec::new();
    let deadline = Duration::from_secs(170);
    loop {
        let s = ku::list_json(&samples, &ListParams::default())
            .await
            .unwrap();
        let d = ku::list_json(&deps, &ListParams::default()).await.unwrap();
        let s: HashMap<String, Value> = s
            .into_iter()
            .map(|o| (o["metadata"]["name"].as_str().unwrap().to_string(), o))
            .collect();
        let d: HashMap<String, Value> = d
            .into_iter()
            .map(|o| (o["metadata"]["name"].as_str().unwrap().to_string(), o))
            .collect();
        let mut problems = Vec::new();
        for i in 0..N {
            let name = format!("c-{i}");
            let dep = d.get(&format!("{name}-demo-deploy"));
            match (want(i), s.get(&name)) {
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
                        d["spec"]["replicas"] == n
                            && d.pointer("/status/readyReplicas").and_then(Value::as_i64) == Some(n)
                    });
                    if !(ku::ready_current(o) && o["spec"]["count"] == n && dep_ok) {
                        problems.push(format!(
                            "{name} not converged: Ready {:?}",
                            ku::condition(o, "Ready").map(|c| c["reason"].clone())
                        ));
                    }
                }
            }
        }
        if problems.is_empty() {
            break;
        }
        if let Some(st) = op.exited() {
            panic!(
                "the operator exited with {st}; log tail:\n{}",
                op.log_tail(30)
            );
        }
        assert!(
            start.elapsed() < deadline,
            "{} Samples not converged after {}s, e.g. {:?}; faults {:?}",
            problems.len(),
            deadline.as_secs(),
            &problems[..problems.len().min(5)],
            faults.counters()
        );
        last_problems = problems;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let converged = start.elapsed();
    gone.abort();
    let counters = faults.counters();
    faults.reset();
    // nothing holds the finalizer without being wanted
    let left = ku::list_json(&samples, &ListParams::default())
        .await
        .unwrap();
    assert_eq!(left.len(), (0..N).filter(|i| want(*i).is_some()).count());
    assert!(
        left.iter()
            .all(|o| o["metadata"]["deletionTimestamp"].is_null()),
        "a Sample is stuck deleting"
    );
    assert!(
        op.exited().is_none(),
        "the operator exited; log tail:\n{}",
        op.log_tail(30)
    );
    let panics = nuvolaris_e2e::operator::panics(&op.logs());
    assert!(panics.is_empty(), "the operator panicked: {panics:?}");
    println!(
        "chaos: {N} Samples created, {} updated, {} deleted; converged in {:.1}s; last unconverged round had {} problems; faults {}",
        (0..N).filter(|i| !i.is_multiple_of(4) && i % 2 == 1).count(),
        (0..N).filter(|i| i.is_multiple_of(4)).count(),
        converged.as_secs_f64(),
        last_problems.len(),
        counters.to_json()
    );
    // the faults really happened
    assert!(
        counters.internal_errors > 0
            && counters.too_many_requests > 0
            && counters.service_unavailable > 0,
        "{counters:?}"
    );
    assert!(
        counters.conflicts > 0 && counters.watches_cut > 0 && counters.watches_gone > 0,
        "{counters:?}"
    );
    let st = op.terminate(Duration::from_secs(12)).await.unwrap();
    assert!(st.success(), "operator exit after SIGTERM: {st}");
    b.shutdown().await;
}
