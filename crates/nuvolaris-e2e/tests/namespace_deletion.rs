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

//! Deleting a namespace full of Samples (issue 11): 1,000 Samples are created in one namespace
//! and the namespace is deleted while the operator is still working through the burst. Every
//! Sample and Deployment goes, the operator logs zero WARN (or ERROR) lines and counts zero
//! reconcile errors on `/metrics`: a 403 `NamespaceTerminating` is not an error to retry, the
//! reconciler stops applying into the namespace and waits for the Samples' own deletion, and the
//! Events it cannot write there are dropped at debug level. The real operator binary runs against
//! the embedded API server (shared `testkit` setup).

use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use nuvolaris_apiserver::ServerConfig;
use nuvolaris_e2e::kube_util as ku;
use nuvolaris_e2e::operator::OperatorOpts;
use nuvolaris_e2e::testkit::{metric, wait_for, warnings, TestEnv};
use std::time::{Duration, Instant};

/// Samples in the namespace.
const N: usize = 1000;
const NS: &str = "doomed";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_namespace_of_samples_leaves_nothing_and_warns_nothing() {
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
    let mut op = env.spawn_operator(&OperatorOpts {
        name: "ns-delete".into(),
        extra_args: ["--reconcilers", "sample", "--log-format", "json"]
            .map(String::from)
            .to_vec(),
        ..Default::default()
    });
    op.wait_ready(Duration::from_secs(120)).await.unwrap();

    let t0 = Instant::now();
    let results: Vec<_> = futures::stream::iter(0..N)
        .map(|i| {
            let c = c.clone();
            async move { ku::create_sample(&c, NS, &format!("s-{i}"), (i % 3 + 1) as i64).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for r in results {
        r.unwrap();
    }
    let created = t0.elapsed();
    // delete the namespace mid-burst: once half the Samples have their Deployment
    let deps = ku::deployments(&c, NS);
    wait_for(
        "half the Samples with a Deployment",
        Duration::from_secs(180),
        || async {
            let d = ku::list_json(&deps, &Default::default()).await.ok()?;
            (d.len() >= N / 2).then_some(())
        },
    )
    .await;
    let t1 = Instant::now();
    let nss: Api<Namespace> = Api::all(c.clone());
    nss.delete(NS, &Default::default()).await.unwrap();
    wait_for("the namespace gone", Duration::from_secs(180), || async {
        nss.get_opt(NS).await.ok()?.is_none().then_some(())
    })
    .await;
    let deleted = t1.elapsed();
    let samples = ku::samples(&c, NS);
    assert!(ku::list_json(&samples, &Default::default())
        .await
        .unwrap()
        .is_empty());
    assert!(ku::list_json(&deps, &Default::default())
        .await
        .unwrap()
        .is_empty());

    // the operator has finished with the namespace: no reconcile in flight
    let metrics = wait_for("the operator idle", Duration::from_secs(60), || async {
        let (code, text) = op.http_get("/metrics").await.ok()?;
        let active = metric(
            &text,
            "controller_runtime_active_workers",
            &[("controller", "sample")],
        );
        (code == 200 && active == 0.0).then_some(text)
    })
    .await;
    let errors = metric(&metrics, "controller_runtime_reconcile_errors_total", &[]);
    let log = op.logs();
    let warns = warnings(&log);
    println!(
        "namespace deletion: {N} Samples created in {:.1}s; namespace gone {:.1}s after its deletion; {} reconcile errors; {} WARN/ERROR lines",
        created.as_secs_f64(),
        deleted.as_secs_f64(),
        errors,
        warns.len()
    );
    let mut by_message = std::collections::BTreeMap::<String, usize>::new();
    for w in &warns {
        let v: serde_json::Value = serde_json::from_str(w).unwrap_or_default();
        *by_message
            .entry(format!(
                "{} {}",
                v["level"].as_str().unwrap_or_default(),
                v["fields"]["message"].as_str().unwrap_or_default()
            ))
            .or_default() += 1;
    }
    assert!(
        warns.is_empty(),
        "{} WARN/ERROR lines in the operator's log ({by_message:?}), e.g.:\n{}",
        warns.len(),
        warns[..warns.len().min(5)].join("\n")
    );
    assert_eq!(errors, 0.0, "reconcile errors counted on /metrics");
    assert!(op.exited().is_none(), "{}", op.log_tail(40));
    let st = op.terminate(Duration::from_secs(12)).await.unwrap();
    assert!(st.success(), "operator exit after SIGTERM: {st}");
    env.shutdown().await;
}
