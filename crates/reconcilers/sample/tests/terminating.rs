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

//! Issue 11: a namespace being deleted refuses new objects with 403 `NamespaceTerminating`;
//! the runtime recognises that answer (so the controller stops applying there and waits for
//! the owners' deletion instead of retrying it as an error); deleting a namespace full of
//! Samples completes without a single reconcile error or retry.

mod common;

use common::*;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, PostParams};
use kube::runtime::events::{Recorder, Reporter};
use nuvolaris_reconciler_sample::SampleReconciler;
use nuvolaris_runtime::{kinds, Applier, Metrics, Owner, Prune, Reconciler};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_into_a_terminating_namespace_is_recognised() {
    let env = start(false).await;
    install_sample_crd(&env).await;
    // a namespace held in Terminating by a finalizer of its own
    let nss: Api<Namespace> = Api::all(env.client.clone());
    let ns: Namespace = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "doomed", "finalizers": ["test.nuvolaris.org/hold"]}}))
    .unwrap();
    nss.create(&PostParams::default(), &ns).await.unwrap();
    nss.delete("doomed", &DeleteParams::default())
        .await
        .unwrap();
    wait_for("doomed Terminating", || async {
        let n = nss.get("doomed").await.unwrap();
        (n.status?.phase.as_deref() == Some("Terminating")).then_some(())
    })
    .await;

    let metrics = Arc::new(Metrics::new());
    let recorder = Recorder::new(
        env.client.clone(),
        Reporter {
            controller: "nuvolaris-operator".into(),
            instance: Some("test".into()),
        },
    );
    let applier = Applier::new(
        env.client.clone(),
        "sample",
        vec![kinds::DEPLOYMENT],
        metrics.clone(),
        recorder,
    );
    let mut s = sample("late", 1);
    s.metadata.namespace = Some("doomed".into());
    s.metadata.uid = Some("0000-late".into());
    let docs = SampleReconciler.render(&s).unwrap();
    let err = applier
        .apply(&Owner::of(&s), docs, &Prune::All)
        .await
        .expect_err("a terminating namespace takes no new Deployment");
    assert!(err.is_namespace_terminating(), "{err}");
    assert_eq!(metrics.applied_count("sample", "Deployment", "error"), 1);
    env.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_namespace_of_samples_counts_no_error() {
    let env = start(true).await;
    install_sample_crd(&env).await;
    let nss: Api<Namespace> = Api::all(env.client.clone());
    let ns: Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "burst"}})).unwrap();
    nss.create(&PostParams::default(), &ns).await.unwrap();
    let op = run_operator(&env);
    let sams: Api<nuvolaris_api::sample::Sample> = Api::namespaced(env.client.clone(), "burst");
    let n = 20;
    for i in 0..n {
        let mut s = sample(&format!("b-{i}"), 1);
        s.metadata.namespace = Some("burst".into());
        sams.create(&PostParams::default(), &s).await.unwrap();
    }
    wait_for("every Sample Ready", || async {
        let l = sams.list(&Default::default()).await.unwrap();
        (l.items
            .iter()
            .filter(|s| condition(s, "Ready").map(|c| c.0) == Some("True".into()))
            .count()
            == n)
            .then_some(())
    })
    .await;
    nss.delete("burst", &DeleteParams::default()).await.unwrap();
    wait_for("namespace gone", || async {
        nss.get_opt("burst").await.unwrap().is_none().then_some(())
    })
    .await;
    let deps: Api<k8s_openapi::api::apps::v1::Deployment> =
        Api::namespaced(env.client.clone(), "burst");
    assert!(deps
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(op.metrics.reconciles("sample", "error"), 0);
    assert!(op.metrics.reconciles("sample", "success") >= n as u64);
    op.stop().await;
    env.server.shutdown().await;
}
