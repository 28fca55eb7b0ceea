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

//! Issue 11, acceptance 2: a converged Sample whose Deployment carries a non-canonical quantity
//! (`cpu: 1000m`, which a real API server stores and returns as `"1"`) makes no writes: the
//! resourceVersions stay, `nuvolaris_status_writes_total` stays flat and no apply is counted as
//! configured. Shown twice: by the operator that converged it (which remembers its own
//! applies) and by a freshly started one (whose first reconcile sends the apply and must
//! classify the server's answer as unchanged).

mod common;

use common::*;
use kube::api::{Patch, PatchParams, PostParams};
use kube::ResourceExt;
use nuvolaris_runtime::Reconciler;
use serde_json::json;

/// Waits until the operator has finished more `success` reconciles than `before`.
async fn wait_reconciled(op: &Operator, before: u64) {
    wait_for("a reconcile", || async {
        (op.metrics.reconciles("sample", "success") > before).then_some(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steady_sample_with_non_canonical_quantity_makes_no_writes() {
    let env = start(true).await;
    install_sample_crd(&env).await;
    let sams = samples(&env);
    let deps = deployments(&env);
    let s = sample("steady", 2);
    // the render carries the non-canonical quantity this test is about
    let rendered = nuvolaris_reconciler_sample::SampleReconciler
        .render(&s)
        .unwrap();
    assert_eq!(
        rendered[0]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"],
        "1000m"
    );

    let op = run_operator(&env);
    sams.create(&PostParams::default(), &s).await.unwrap();
    wait_for("steady Ready with 2 replicas", || async {
        let s = sams.get("steady").await.unwrap();
        let st = s.status.clone()?;
        (condition(&s, "Ready").map(|c| c.0) == Some("True".into())
            && st.ready_replicas == Some(2)
            && st.observed_generation == s.metadata.generation)
            .then_some(())
    })
    .await;
    let dep_rv = deps
        .get("steady-demo-deploy")
        .await
        .unwrap()
        .resource_version();
    let writes = op.metrics.status_writes("sample");
    let configured = op
        .metrics
        .applied_count("sample", "Deployment", "configured");

    // 1. the operator that converged it: a metadata-only change of the Sample reconciles it
    let before = op.metrics.reconciles("sample", "success");
    let touched = sams
        .patch(
            "steady",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"annotations": {"touch": "1"}}})),
        )
        .await
        .unwrap();
    wait_reconciled(&op, before).await;
    assert_eq!(
        deps.get("steady-demo-deploy")
            .await
            .unwrap()
            .resource_version(),
        dep_rv,
        "the Deployment was written"
    );
    assert_eq!(
        sams.get("steady").await.unwrap().resource_version(),
        touched.resource_version(),
        "the Sample was written"
    );
    assert_eq!(op.metrics.status_writes("sample"), writes, "status written");
    assert_eq!(
        op.metrics
            .applied_count("sample", "Deployment", "configured"),
        configured,
        "an apply was counted as configured"
    );
    op.stop().await;

    // 2. a fresh operator knows nothing of its earlier applies: its first reconcile (from the
    // initial list) applies and must find nothing changed
    let op = run_operator(&env);
    wait_reconciled(&op, 0).await;
    assert_eq!(
        deps.get("steady-demo-deploy")
            .await
            .unwrap()
            .resource_version(),
        dep_rv,
        "the Deployment was written after a restart"
    );
    assert_eq!(
        sams.get("steady").await.unwrap().resource_version(),
        touched.resource_version(),
        "the Sample was written after a restart"
    );
    assert_eq!(op.metrics.status_writes("sample"), 0, "status written");
    assert_eq!(
        op.metrics
            .applied_count("sample", "Deployment", "configured"),
        0,
        "an apply was counted as configured after a restart"
    );
    assert_eq!(
        op.metrics
            .applied_count("sample", "Deployment", "unchanged"),
        1
    );
    op.stop().await;
    env.server.shutdown().await;
}
