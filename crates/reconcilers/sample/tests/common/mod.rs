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

//! Test harness: the shared embedded-server setup of `nuvolaris_e2e::testkit`, the Sample CRD,
//! and the Sample controller in-process.

#![allow(dead_code)]

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::Api;
use kube::CustomResourceExt;
use nuvolaris_api::sample::Sample;
use nuvolaris_apiserver::ServerConfig;
use nuvolaris_e2e::testkit::{self, InProcessOperator, TestEnv};
use nuvolaris_reconciler_sample::SampleReconciler;
use nuvolaris_runtime::{register, ControllerConfig};
use std::future::Future;
use std::time::Duration;

/// How long any wait in these tests may take before failing.
pub const WAIT: Duration = Duration::from_secs(20);

/// A running embedded API server with a client.
pub type Env = TestEnv;

/// A running in-process operator.
pub type Operator = InProcessOperator;

/// Starts a server (workload simulator on when `simulate`) and creates namespace `demo`.
pub async fn start(simulate: bool) -> Env {
    let env = TestEnv::start(ServerConfig {
        simulate_workloads: simulate,
        ..Default::default()
    })
    .await;
    env.namespace("demo").await;
    env
}

/// Installs a CRD and waits until its resource is served.
pub async fn install_crd(env: &Env, crd: CustomResourceDefinition) {
    env.install_crds([crd]).await;
}

/// Installs the generated Sample CRD.
pub async fn install_sample_crd(env: &Env) {
    install_crd(env, Sample::crd()).await;
}

/// Starts the Sample controller in-process.
pub fn run_operator(env: &Env) -> Operator {
    let cfg = ControllerConfig {
        concurrency: 4,
        resync: Duration::from_secs(300),
        ..Default::default()
    };
    InProcessOperator::start(env.client.clone(), vec![register(SampleReconciler)], cfg)
}

/// Polls `f` every 50 ms until it returns `Some`, failing after [`WAIT`].
pub async fn wait_for<T, F, Fut>(what: &str, f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    testkit::wait_for(what, WAIT, f).await
}

/// `(finished reconciles, reconciles in flight)` of the Sample controller, from its metrics.
pub fn reconciles(op: &Operator) -> (f64, f64) {
    let text = op.metrics.encode();
    let c = [("controller", "sample")];
    (
        testkit::metric(&text, "controller_runtime_reconcile_total", &c),
        testkit::metric(&text, "controller_runtime_active_workers", &c),
    )
}

/// Waits until more than `after` reconciles finished and none is in flight: whatever those
/// reconciles wrote has landed.
pub async fn wait_reconciled_after(op: &Operator, after: f64) {
    wait_for("a finished reconcile and an idle controller", || async {
        let (done, active) = reconciles(op);
        (done > after && active == 0.0).then_some(())
    })
    .await
}

/// The Deployments API in `demo`.
pub fn deployments(env: &Env) -> Api<Deployment> {
    Api::namespaced(env.client.clone(), "demo")
}

/// The Samples API in `demo`.
pub fn samples(env: &Env) -> Api<Sample> {
    Api::namespaced(env.client.clone(), "demo")
}

/// A Sample document.
pub fn sample(name: &str, count: i32) -> Sample {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "nuvolaris.org/v1", "kind": "Sample",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {"count": count}
    }))
    .unwrap()
}

/// Reasons of the events.k8s.io Events about object `name` in `demo`.
pub async fn event_reasons(env: &Env, name: &str) -> Vec<(String, String)> {
    let api: Api<k8s_openapi::api::events::v1::Event> = Api::namespaced(env.client.clone(), "demo");
    api.list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
        .map(|e| (e.type_.unwrap_or_default(), e.reason.unwrap_or_default()))
        .collect()
}

/// The condition `type_` of a Sample as (status, reason).
pub fn condition(s: &Sample, type_: &str) -> Option<(String, String)> {
    s.status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| (c.status.clone(), c.reason.clone()))
}

/// Waits until an Event of `type_` (empty: any) and `reason` about object `name` exists.
pub async fn wait_event(env: &Env, name: &str, type_: &str, reason: &str) {
    wait_for(&format!("{type_} {reason} event about {name}"), || async {
        event_reasons(env, name)
            .await
            .iter()
            .any(|(t, r)| (type_.is_empty() || t == type_) && r == reason)
            .then_some(())
    })
    .await
}
