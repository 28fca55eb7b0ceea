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

//! Test harness: an embedded API server, the Sample CRD, and the Sample controller in-process.

#![allow(dead_code)]

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::events::{Recorder, Reporter};
use kube::{Client, Config, CustomResourceExt};
use nuvolaris_api::sample::Sample;
use nuvolaris_apiserver::{ApiServer, ServerConfig};
use nuvolaris_reconciler_sample::SampleReconciler;
use nuvolaris_runtime::{register, supervisor, ControllerConfig, Health, Metrics, Shared};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long any wait in these tests may take before failing.
pub const WAIT: Duration = Duration::from_secs(20);

/// A running embedded API server with a client.
pub struct Env {
    pub server: ApiServer,
    pub client: Client,
}

/// A running in-process operator.
pub struct Operator {
    pub metrics: Arc<Metrics>,
    pub health: Health,
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<(), nuvolaris_runtime::Error>>,
}

impl Operator {
    /// Stops it and waits for in-flight reconciles.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("operator stops in 10s");
    }
}

/// Client for a server.
pub async fn client_for(server: &ApiServer) -> Client {
    let kc = Kubeconfig::from_yaml(&server.kubeconfig_yaml("default")).unwrap();
    let cfg = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(cfg).unwrap()
}

/// Starts a server (workload simulator on) and creates namespace `demo`.
pub async fn start(simulate: bool) -> Env {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_test_writer()
        .try_init();
    let server = ApiServer::start(ServerConfig {
        simulate_workloads: simulate,
        ..Default::default()
    })
    .await
    .unwrap();
    let client = client_for(&server).await;
    let ns: Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "demo"}})).unwrap();
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();
    Env { server, client }
}

/// Installs a CRD and waits until the Sample resource is served.
pub async fn install_crd(env: &Env, crd: CustomResourceDefinition) {
    Api::<CustomResourceDefinition>::all(env.client.clone())
        .create(&PostParams::default(), &crd)
        .await
        .unwrap();
    let api: Api<Sample> = Api::namespaced(env.client.clone(), "demo");
    wait_for("Sample resource served", || async {
        api.list(&Default::default()).await.is_ok().then_some(())
    })
    .await;
}

/// Installs the generated Sample CRD.
pub async fn install_sample_crd(env: &Env) {
    install_crd(env, Sample::crd()).await;
}

/// Starts the Sample controller in-process.
pub fn run_operator(env: &Env) -> Operator {
    let metrics = Arc::new(Metrics::new());
    let health = Health::new();
    let shared = Shared {
        client: env.client.clone(),
        metrics: metrics.clone(),
        health: health.clone(),
        recorder: Recorder::new(
            env.client.clone(),
            Reporter {
                controller: "nuvolaris-operator".into(),
                instance: Some("test".into()),
            },
        ),
    };
    let cfg = ControllerConfig {
        concurrency: 4,
        resync: Duration::from_secs(300),
        ..Default::default()
    };
    let (tx, rx) = watch::channel(false);
    let task = tokio::spawn(supervisor::run(
        vec![register(SampleReconciler)],
        shared,
        cfg,
        None,
        rx,
    ));
    Operator {
        metrics,
        health,
        stop: tx,
        task,
    }
}

/// Polls `f` every 50 ms until it returns `Some`, failing after [`WAIT`].
pub async fn wait_for<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
