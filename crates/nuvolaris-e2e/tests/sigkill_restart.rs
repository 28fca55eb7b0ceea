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

//! The operator SIGKILLed in the middle of a burst (issue 11): 120 Samples are created, the
//! operator is killed once it is busy with them (some Deployments exist, the work queue is not
//! empty), more Samples are created, updated and deleted while it is down, and a new operator
//! process starts. Everything converges: no orphan Deployment, no Sample stuck with its
//! finalizer; then every Sample is deleted and nothing is left. The real operator binary runs
//! against the embedded API server (shared `testkit` setup).

use futures::StreamExt;
use nuvolaris_apiserver::ServerConfig;
use nuvolaris_e2e::kube_util as ku;
use nuvolaris_e2e::operator::OperatorOpts;
use nuvolaris_e2e::testkit::{sample_problems, wait_for, TestEnv};
use std::collections::BTreeMap;
use std::time::Duration;

const N: usize = 120;
const NS: &str = "sigkill";

async fn create(c: &kube::Client, range: std::ops::Range<usize>) {
    let results: Vec<_> = futures::stream::iter(range)
        .map(|i| {
            let c = c.clone();
            async move { ku::create_sample(&c, NS, &format!("k-{i}"), (i % 4 + 1) as i64).await }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for r in results {
        r.unwrap();
    }
}

fn opts(name: &str) -> OperatorOpts {
    OperatorOpts {
        name: name.into(),
        extra_args: vec!["--reconcilers".into(), "sample".into()],
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_then_restart_converges_without_orphans() {
    let env = TestEnv::start(ServerConfig {
        simulate_workloads: true,
        simulate_delay: Duration::from_millis(150),
        ..Default::default()
    })
    .await;
    let c = env.client.clone();
    ku::install_crds(&c, &nuvolaris_e2e::workspace_root().join("crds"))
        .await
        .unwrap();
    ku::ensure_namespace(&c, NS).await.unwrap();
    let mut op = env.spawn_operator(&opts("sigkill-1"));
    op.wait_ready(Duration::from_secs(120)).await.unwrap();

    // the first half of the burst; the kill lands once the operator is busy with it
    let burst = tokio::spawn({
        let c = c.clone();
        async move { create(&c, 0..N / 2).await }
    });
    let deps = ku::deployments(&c, NS);
    wait_for(
        "the operator busy with the burst (10 Deployments)",
        Duration::from_secs(60),
        || async {
            let d = ku::list_json(&deps, &Default::default()).await.ok()?;
            (d.len() >= 10).then_some(())
        },
    )
    .await;
    op.kill().await.unwrap();
    burst.await.unwrap();
    let samples = ku::samples(&c, NS);
    let ready_at_kill = ku::list_json(&samples, &Default::default())
        .await
        .unwrap()
        .iter()
        .filter(|s| ku::ready_current(s))
        .count();

    // while it is down: the rest of the burst, updates and deletions
    create(&c, N / 2..N).await;
    let mut wanted = BTreeMap::new();
    for i in 0..N {
        let name = format!("k-{i}");
        let want = match i % 6 {
            0 => {
                ku::delete(&samples, &name).await.unwrap();
                None
            }
            1 => {
                ku::set_count(&c, NS, &name, 5).await.unwrap();
                Some(5)
            }
            _ => Some((i % 4 + 1) as i64),
        };
        wanted.insert(name, want);
    }

    let mut op2 = env.spawn_operator(&opts("sigkill-2"));
    op2.wait_ready(Duration::from_secs(120)).await.unwrap();
    let converged = ku::wait_for(
        "every Sample converged after the restart",
        Duration::from_secs(120),
        || async {
            sample_problems(&c, NS, &wanted)
                .await
                .is_empty()
                .then_some(())
        },
    )
    .await;
    if converged.is_err() {
        panic!(
            "not converged after the restart: {:?}",
            sample_problems(&c, NS, &wanted).await
        );
    }
    println!(
        "sigkill: killed with {ready_at_kill} of {} Samples Ready",
        N / 2
    );

    // and everything deletes: no Sample held by its finalizer, no Deployment left
    for (name, want) in &wanted {
        if want.is_some() {
            ku::delete(&samples, name).await.unwrap();
        }
    }
    let none: BTreeMap<String, Option<i64>> = wanted.keys().map(|n| (n.clone(), None)).collect();
    let left = ku::wait_for(
        "every Sample and Deployment gone",
        Duration::from_secs(90),
        || async {
            sample_problems(&c, NS, &none)
                .await
                .is_empty()
                .then_some(())
        },
    )
    .await;
    if left.is_err() {
        panic!(
            "left after deletion: {:?}",
            sample_problems(&c, NS, &none).await
        );
    }
    assert!(op2.exited().is_none(), "{}", op2.log_tail(40));
    let panics = nuvolaris_e2e::operator::panics(&op2.logs());
    assert!(panics.is_empty(), "the operator panicked: {panics:?}");
    let st = op2.terminate(Duration::from_secs(12)).await.unwrap();
    assert!(st.success(), "operator exit after SIGTERM: {st}");
    env.shutdown().await;
}
