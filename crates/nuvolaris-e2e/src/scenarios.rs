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

//! The scenario suite. Each scenario runs against a started [`Backend`], starts its own operator
//! process(es) when it needs them, uses its own namespace, is bounded in time, and ends as passed,
//! failed (with the reason) or not applicable to the backend (with the reason).

use crate::backend::Backend;
use crate::kube_util::{self as ku, retry, wait_for};
use crate::operator::{OperatorOpts, OperatorProcess};
use crate::report::{Outcome, Report, ScenarioResult};
use crate::{ensure, Error, Result};
use futures::future::BoxFuture;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::Client;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// How a scenario that did not fail ended.
#[derive(Debug)]
pub enum Done {
    /// Passed, with measurements worth reporting.
    Passed(Vec<String>),
    /// Not applicable to the backend, with the reason.
    NotApplicable(String),
}

type ScenarioFn = for<'a> fn(&'a Backend) -> BoxFuture<'a, Result<Done>>;

/// One scenario of the suite.
pub struct Scenario {
    /// Name (`--scenario NAME`).
    pub name: &'static str,
    /// What it shows.
    pub about: &'static str,
    /// Upper bound of its run time.
    pub timeout: Duration,
    run: ScenarioFn,
}

/// Every scenario, in run order.
pub static SCENARIOS: &[Scenario] = &[
    Scenario { name: "crds", about: "install the CRDs from crds/; samples and whisks are served", timeout: Duration::from_secs(60), run: crds },
    Scenario { name: "sample-lifecycle", about: "create count 2 -> Deployment with 2 replicas, ownerRef, labels; 2 -> 5; manual scale to 7 reverted; steady state writes nothing; delete removes the Deployment then the Sample", timeout: Duration::from_secs(150), run: sample_lifecycle },
    Scenario { name: "cleanup-after-downtime", about: "Sample deleted while the operator was down is cleaned up when it starts", timeout: Duration::from_secs(120), run: cleanup_after_downtime },
    Scenario { name: "conflict", about: "a Deployment owned by someone else is not taken over: Ready=False Conflict, Warning Event, no write, survives the Sample's deletion", timeout: Duration::from_secs(90), run: conflict },
    Scenario { name: "invalid-spec", about: "Samples reaching the operator past a schema-less CRD get InvalidSpec, a Warning Event and no children; a valid neighbour stays Ready", timeout: Duration::from_secs(120), run: invalid_spec },
    Scenario { name: "admission", about: "invalid Samples are rejected at admission with 422", timeout: Duration::from_secs(60), run: admission },
    Scenario { name: "rbac", about: "the operator under its own ServiceAccount and the shipped ClusterRole: full lifecycle, zero Forbidden in its logs", timeout: Duration::from_secs(150), run: rbac },
    Scenario { name: "health", about: "/healthz, /readyz and /metrics with the controller-runtime series", timeout: Duration::from_secs(90), run: health },
    Scenario { name: "leader-election", about: "two operators with --leader-elect; the leader is SIGKILLed; the other takes over within the lease duration and reconciles", timeout: Duration::from_secs(120), run: leader_election },
    Scenario { name: "sigkill-burst", about: "SIGKILL in the middle of a burst of Samples, restart, everything converges and deletes cleanly", timeout: Duration::from_secs(240), run: sigkill_burst },
    Scenario { name: "whisk", about: "minimal Whisk: CouchDB, then couchdb-init, controller only after the Job completed, Ready, toggle off/on, delete leaves nothing", timeout: Duration::from_secs(240), run: whisk },
];

/// Runs the scenarios whose name is in `filter` (all when `None`); unknown names fail.
pub async fn run_all(backend: &Backend, filter: Option<&[String]>) -> Report {
    let mut report = Report {
        backend: backend.kind.to_string(),
        results: Vec::new(),
    };
    if let Some(names) = filter {
        for n in names {
            if !SCENARIOS.iter().any(|s| s.name == n) {
                report.results.push(ScenarioResult {
                    name: n.clone(),
                    outcome: Outcome::Failed(format!(
                        "no such scenario (known: {})",
                        SCENARIOS
                            .iter()
                            .map(|s| s.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    duration: Duration::ZERO,
                    notes: Vec::new(),
                });
            }
        }
    }
    for s in SCENARIOS {
        if filter.is_some_and(|f| !f.iter().any(|n| n == s.name)) {
            continue;
        }
        eprintln!("==> scenario {}: {}", s.name, s.about);
        let start = Instant::now();
        let res = tokio::time::timeout(s.timeout, (s.run)(backend)).await;
        let (outcome, notes) = match res {
            Ok(Ok(Done::Passed(n))) => (Outcome::Passed, n),
            Ok(Ok(Done::NotApplicable(why))) => (Outcome::NotApplicable(why), Vec::new()),
            Ok(Err(e)) => (Outcome::Failed(e.to_string()), Vec::new()),
            Err(_) => (
                Outcome::Failed(format!("did not finish within {}s", s.timeout.as_secs())),
                Vec::new(),
            ),
        };
        eprintln!("    {:?} in {:.1}s", outcome, start.elapsed().as_secs_f64());
        report.results.push(ScenarioResult {
            name: s.name.to_string(),
            outcome,
            duration: start.elapsed(),
            notes,
        });
    }
    report
}

const T_READY: Duration = Duration::from_secs(60);

/// Starts an operator process and waits for `/readyz` (None when the operator runs in-cluster).
async fn start_operator(b: &Backend, opts: OperatorOpts) -> Result<Option<OperatorProcess>> {
    if b.operator_in_cluster {
        return Ok(None);
    }
    let mut p = OperatorProcess::spawn(&b.operator_bin, &b.kubeconfig, b.workdir.path(), &opts)?;
    p.wait_ready(T_READY).await?;
    Ok(Some(p))
}

fn opts(name: &str) -> OperatorOpts {
    OperatorOpts {
        name: name.into(),
        ..Default::default()
    }
}

async fn setup(b: &Backend, ns: &str) -> Result<Client> {
    ku::install_crds(&b.client, &crate::workspace_root().join("crds")).await?;
    ku::ensure_namespace(&b.client, ns).await?;
    Ok(b.client.clone())
}

/// Fails when the operator exited or logged a panic.
fn check_alive(p: &mut Option<OperatorProcess>) -> Result<()> {
    if let Some(p) = p {
        if let Some(st) = p.exited() {
            return Err(Error::Check(format!(
                "operator {} exited with {st}; log tail:\n{}",
                p.name,
                p.log_tail(20)
            )));
        }
        let panics = crate::operator::panics(&p.logs());
        ensure!(
            panics.is_empty(),
            "operator {} panicked: {}",
            p.name,
            panics.join("\n")
        );
    }
    Ok(())
}

fn process_scenario_na(b: &Backend) -> Option<Done> {
    b.operator_in_cluster.then(|| {
        Done::NotApplicable("the operator runs in-cluster on this backend; process-control scenarios run on embedded, envtest and cluster".into())
    })
}

fn crds(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        let names = ku::install_crds(&b.client, &crate::workspace_root().join("crds")).await?;
        ensure!(
            names.iter().any(|n| n == "samples.nuvolaris.org"),
            "crds/ has no samples.nuvolaris.org: {names:?}"
        );
        ensure!(
            names.iter().any(|n| n == "whisks.nuvolaris.org"),
            "crds/ has no whisks.nuvolaris.org: {names:?}"
        );
        ku::ensure_namespace(&b.client, "e2e-crds").await?;
        for ar in [ku::sample_resource(), ku::whisk_resource()] {
            let api: Api<DynamicObject> = Api::namespaced_with(b.client.clone(), "e2e-crds", &ar);
            retry(|| async { api.list(&ListParams::default()).await })
                .await
                .map_err(|e| Error::kube(format!("list {} (is the CRD served?)", ar.plural), e))?;
        }
        Ok(Done::Passed(vec![format!(
            "{} CRDs established",
            names.len()
        )]))
    })
}

fn sample_lifecycle(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        let ns = "e2e-lifecycle";
        let c = setup(b, ns).await?;
        let mut op = start_operator(b, opts("lifecycle")).await?;
        let samples = ku::samples(&c, ns);
        let deps = ku::deployments(&c, ns);
        let mut notes = Vec::new();
        let t0 = Instant::now();
        ku::create_sample(&c, ns, "obj", 2).await?;
        let s = ku::wait_sample_ready(&c, ns, "obj", 2, T_READY).await?;
        notes.push(format!("Ready after {:.2}s", t0.elapsed().as_secs_f64()));
        let d = ku::get_json(&deps, "obj-demo-deploy")
            .await?
            .ok_or_else(|| Error::Check("obj-demo-deploy missing".into()))?;
        let owner = &d["metadata"]["ownerReferences"][0];
        ensure!(
            owner["kind"] == "Sample"
                && owner["name"] == "obj"
                && owner["controller"] == true
                && owner["uid"] == s["metadata"]["uid"],
            "ownerReference of obj-demo-deploy is not the Sample as controller: {owner}"
        );
        for (k, v) in [
            ("app.kubernetes.io/instance", "obj"),
            ("app.kubernetes.io/managed-by", "nuvolaris-operator"),
        ] {
            ensure!(
                d["metadata"]["labels"][k] == v,
                "label {k}={v} missing on the Deployment: {}",
                d["metadata"]["labels"]
            );
        }
        for (k, v) in [
            ("app.kubernetes.io/instance", "obj"),
            ("app.kubernetes.io/managed-by", "nuvolaris-operator"),
            ("app", "nginx"),
        ] {
            ensure!(
                d["spec"]["template"]["metadata"]["labels"][k] == v,
                "label {k}={v} missing on the pod template: {}",
                d["spec"]["template"]["metadata"]["labels"]
            );
        }
        ensure!(
            d["spec"]["selector"]["matchLabels"]["app"] == "nginx",
            "selector lacks app=nginx: {}",
            d["spec"]["selector"]
        );
        ensure!(
            d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"] == "obj",
            "selector lacks the instance label: {}",
            d["spec"]["selector"]
        );
        let msg = s
            .pointer("/status/sample_create/message")
            .and_then(Value::as_str)
            .unwrap_or_default();
        ensure!(
            msg.contains("deployment.apps/obj-demo-deploy"),
            "status.sample_create.message is {msg:?}"
        );

        // steady state: no writes to the Sample or its Deployment
        let (srv, drv) = (
            s["metadata"]["resourceVersion"].clone(),
            d["metadata"]["resourceVersion"].clone(),
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
        let s2 = ku::get_json(&samples, "obj").await?.unwrap_or_default();
        let d2 = ku::get_json(&deps, "obj-demo-deploy")
            .await?
            .unwrap_or_default();
        ensure!(
            s2["metadata"]["resourceVersion"] == srv && d2["metadata"]["resourceVersion"] == drv,
            "steady state wrote: Sample rv {srv} -> {}, Deployment rv {drv} -> {}",
            s2["metadata"]["resourceVersion"],
            d2["metadata"]["resourceVersion"]
        );

        // 2 -> 5
        let t1 = Instant::now();
        ku::set_count(&c, ns, "obj", 5).await?;
        ku::wait_sample_ready(&c, ns, "obj", 5, T_READY).await?;
        notes.push(format!(
            "2->5 Ready after {:.2}s",
            t1.elapsed().as_secs_f64()
        ));

        // drift: someone scales to 7, the operator puts 5 back
        let scale = json!({"spec": {"replicas": 7}});
        let pp = PatchParams {
            field_manager: Some("kubectl-scale".into()),
            ..Default::default()
        };
        let patched = retry(|| async {
            deps.patch("obj-demo-deploy", &pp, &Patch::Merge(&scale))
                .await
        })
        .await
        .map_err(|e| Error::kube("scale obj-demo-deploy to 7", e))?;
        ensure!(
            ku::to_json(&patched)["spec"]["replicas"] == 7,
            "the manual scale did not apply"
        );
        let t2 = Instant::now();
        wait_for(
            "obj-demo-deploy reverted to 5 replicas",
            T_READY,
            || async {
                let d = ku::get_json(&deps, "obj-demo-deploy").await.ok()??;
                (d["spec"]["replicas"] == 5).then_some(())
            },
        )
        .await?;
        notes.push(format!(
            "drift 7->5 reverted after {:.2}s",
            t2.elapsed().as_secs_f64()
        ));

        // delete: the Deployment goes before the Sample
        ku::delete(&samples, "obj").await?;
        let t3 = Instant::now();
        let mut dep_gone_first = false;
        loop {
            let s_left = ku::get_json(&samples, "obj").await?.is_some();
            let d_left = ku::get_json(&deps, "obj-demo-deploy").await?.is_some();
            if !d_left {
                dep_gone_first = dep_gone_first || s_left;
            }
            if !s_left {
                ensure!(
                    !d_left,
                    "the Sample was gone while its Deployment was still there"
                );
                break;
            }
            ensure!(
                t3.elapsed() < T_READY,
                "Sample obj not deleted within {}s",
                T_READY.as_secs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        notes.push(format!(
            "deleted after {:.2}s (Deployment seen gone before the Sample: {dep_gone_first})",
            t3.elapsed().as_secs_f64()
        ));
        check_alive(&mut op)?;
        Ok(Done::Passed(notes))
    })
}

fn cleanup_after_downtime(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        if let Some(na) = process_scenario_na(b) {
            return Ok(na);
        }
        let ns = "e2e-downtime";
        let c = setup(b, ns).await?;
        let samples = ku::samples(&c, ns);
        let deps = ku::deployments(&c, ns);
        let mut op = start_operator(b, opts("downtime-1")).await?;
        ku::create_sample(&c, ns, "down", 1).await?;
        ku::wait_sample_ready(&c, ns, "down", 1, T_READY).await?;
        let mut notes = Vec::new();
        if let Some(p) = op.as_mut() {
            let t = Instant::now();
            let st = p.terminate(Duration::from_secs(12)).await?;
            ensure!(
                st.success(),
                "operator exited with {st} after SIGTERM; log tail:\n{}",
                p.log_tail(10)
            );
            notes.push(format!("SIGTERM exit in {:.2}s", t.elapsed().as_secs_f64()));
        }
        ku::delete(&samples, "down").await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let s = ku::get_json(&samples, "down").await?;
        ensure!(
            s.as_ref()
                .is_some_and(|s| s["metadata"]["deletionTimestamp"].is_string()),
            "with the operator down the Sample should wait on its finalizer, got {s:?}"
        );
        ensure!(
            ku::get_json(&deps, "down-demo-deploy").await?.is_some(),
            "the Deployment went away without the operator"
        );
        let t = Instant::now();
        let mut op2 = start_operator(b, opts("downtime-2")).await?;
        ku::wait_gone(&samples, "down", T_READY).await?;
        ku::wait_gone(&deps, "down-demo-deploy", T_READY).await?;
        notes.push(format!(
            "cleaned up {:.2}s after the restart",
            t.elapsed().as_secs_f64()
        ));
        check_alive(&mut op2)?;
        Ok(Done::Passed(notes))
    })
}

fn conflict(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        let ns = "e2e-conflict";
        let c = setup(b, ns).await?;
        let deps = ku::deployments(&c, ns);
        let samples = ku::samples(&c, ns);
        // the foreign controller: a ConfigMap that exists (so garbage collection keeps its dependent)
        let cms: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(c.clone(), ns);
        let cm: k8s_openapi::api::core::v1::ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": "someone-else"}}))
                .map_err(|e| Error::Check(e.to_string()))?;
        let cm = match retry(|| async { cms.create(&PostParams::default(), &cm).await }).await {
            Ok(cm) => cm,
            Err(kube::Error::Api(s)) if s.code == 409 => {
                retry(|| async { cms.get("someone-else").await })
                    .await
                    .map_err(|e| Error::kube("get cm/someone-else", e))?
            }
            Err(e) => return Err(Error::kube("create cm/someone-else", e)),
        };
        let foreign: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "taken-demo-deploy", "namespace": ns, "labels": {"app": "someone-else"},
                "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "someone-else", "uid": cm.metadata.uid, "controller": true}]},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "someone-else"}},
                "template": {"metadata": {"labels": {"app": "someone-else"}}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}
        })).map_err(|e| Error::Check(e.to_string()))?;
        let dapi: Api<Deployment> = Api::namespaced(c.clone(), ns);
        let pp = PostParams {
            field_manager: Some("someone-else".into()),
            ..Default::default()
        };
        match retry(|| async { dapi.create(&pp, &foreign).await }).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 409 => {}
            Err(e) => return Err(Error::kube("create the foreign Deployment", e)),
        }
        let mut op = start_operator(b, opts("conflict")).await?;
        ku::create_sample(&c, ns, "taken", 3).await?;
        let s = wait_for(
            "Sample taken Ready=False reason Conflict",
            T_READY,
            || async {
                let s = ku::get_json(&samples, "taken").await.ok()??;
                (ku::ready_reason(&s).as_deref() == Some("Conflict")
                    && ku::condition(&s, "Ready").is_some_and(|c| c["status"] == "False"))
                .then_some(s)
            },
        )
        .await?;
        let d = ku::get_json(&deps, "taken-demo-deploy")
            .await?
            .unwrap_or_default();
        ensure!(
            d["spec"]["replicas"] == 1,
            "the foreign Deployment was scaled: {}",
            d["spec"]["replicas"]
        );
        let owners = d["metadata"]["ownerReferences"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        ensure!(
            owners.len() == 1 && owners[0]["kind"] == "ConfigMap",
            "the foreign Deployment's ownerReferences changed: {owners:?}"
        );
        let managers: Vec<String> = d["metadata"]["managedFields"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|e| e["manager"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        ensure!(
            !managers.iter().any(|m| m == "nuvolaris-operator"),
            "the operator wrote the foreign Deployment: managers {managers:?}"
        );
        let evs = wait_for(
            "a Warning Event about the conflict",
            Duration::from_secs(20),
            || async {
                let evs = ku::events(&c, ns, Some("taken")).await.ok()?;
                let w: Vec<Value> = evs.into_iter().filter(|e| e["type"] == "Warning").collect();
                (!w.is_empty()).then_some(w)
            },
        )
        .await?;
        let reasons: Vec<&str> = evs.iter().filter_map(|e| e["reason"].as_str()).collect();
        ku::delete(&samples, "taken").await?;
        ku::wait_gone(&samples, "taken", T_READY).await?;
        ensure!(
            ku::get_json(&deps, "taken-demo-deploy").await?.is_some(),
            "deleting the Sample deleted the foreign Deployment"
        );
        check_alive(&mut op)?;
        let msg = ku::condition(&s, "Ready")
            .map(|c| c["message"].to_string())
            .unwrap_or_default();
        Ok(Done::Passed(vec![
            format!("Warning reasons {reasons:?}"),
            format!("message {msg}"),
        ]))
    })
}

const PERMISSIVE: &str = r#"{"type": "object", "x-kubernetes-preserve-unknown-fields": true}"#;

fn invalid_spec(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        let ns = "e2e-invalid-spec";
        let c = setup(b, ns).await?;
        let crds: Api<CustomResourceDefinition> = Api::all(c.clone());
        let original = retry(|| async { crds.get("samples.nuvolaris.org").await })
            .await
            .map_err(|e| Error::kube("get CRD samples", e))?;
        let mut loose = original.clone();
        let permissive: Value =
            serde_json::from_str(PERMISSIVE).map_err(|e| Error::Check(e.to_string()))?;
        for v in &mut loose.spec.versions {
            if let Some(s) = v.schema.as_mut() {
                s.open_api_v3_schema = serde_json::from_value(permissive.clone()).ok();
            }
        }
        loose.metadata.managed_fields = None;
        retry(|| async {
            crds.replace("samples.nuvolaris.org", &PostParams::default(), &loose)
                .await
        })
        .await
        .map_err(|e| Error::kube("install the Sample CRD without its schema", e))?;
        let res = invalid_spec_inner(b, &c, ns).await;
        // restore the schema whatever happened
        let restore = ku::install_crds(&c, &crate::workspace_root().join("crds")).await;
        let notes = res?;
        restore?;
        Ok(Done::Passed(notes))
    })
}

async fn invalid_spec_inner(b: &Backend, c: &Client, ns: &str) -> Result<Vec<String>> {
    let samples = ku::samples(c, ns);
    let deps = ku::deployments(c, ns);
    let mut op = start_operator(b, opts("invalid-spec")).await?;
    let bad = [
        ("count-string", json!({"count": "many"})),
        ("count-negative", json!({"count": -5})),
        ("count-huge", json!({"count": 99999})),
        ("no-count", json!({"image": "nginx"})),
        ("image-blank", json!({"count": 1, "image": " "})),
    ];
    for (name, spec) in &bad {
        let obj: DynamicObject = serde_json::from_value(json!({"apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": name}, "spec": spec}))
            .map_err(|e| Error::Check(e.to_string()))?;
        retry(|| async { samples.create(&PostParams::default(), &obj).await })
            .await
            .map_err(|e| {
                Error::kube(
                    format!("create invalid Sample {name} past the schema-less CRD"),
                    e,
                )
            })?;
    }
    ku::create_sample(c, ns, "good", 1).await?;
    let mut notes = Vec::new();
    for (name, _) in &bad {
        let s = wait_for(
            &format!("Sample {name} Ready=False InvalidSpec"),
            T_READY,
            || async {
                let s = ku::get_json(&samples, name).await.ok()??;
                (ku::ready_reason(&s).as_deref() == Some("InvalidSpec")).then_some(s)
            },
        )
        .await?;
        ensure!(
            ku::get_json(&deps, &format!("{name}-demo-deploy"))
                .await?
                .is_none(),
            "the invalid Sample {name} got a Deployment"
        );
        ku::wait_event(
            c,
            ns,
            name,
            "Warning",
            "InvalidSpec",
            Duration::from_secs(20),
        )
        .await?;
        if notes.is_empty() {
            notes.push(format!(
                "e.g. {}",
                ku::condition(&s, "Ready")
                    .map(|c| c["message"].to_string())
                    .unwrap_or_default()
            ));
        }
    }
    ku::wait_sample_ready(c, ns, "good", 1, T_READY).await?;
    for (name, _) in &bad {
        ku::delete(&samples, name).await?;
    }
    ku::delete(&samples, "good").await?;
    for (name, _) in &bad {
        ku::wait_gone(&samples, name, T_READY).await?;
    }
    ku::wait_gone(&samples, "good", T_READY).await?;
    check_alive(&mut op)?;
    notes.push(format!(
        "{} invalid Samples: InvalidSpec + Warning Event, no children; neighbour Ready",
        bad.len()
    ));
    Ok(notes)
}

fn admission(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        let ns = "e2e-admission";
        let c = setup(b, ns).await?;
        let samples = ku::samples(&c, ns);
        let cases = [
            ("negative", json!({"count": -1}), "spec.count"),
            ("too-many", json!({"count": 1001}), "spec.count"),
            ("string", json!({"count": "two"}), "spec.count"),
            ("float", json!({"count": 2.5}), "spec.count"),
            ("missing-count", json!({"image": "nginx"}), "spec.count"),
            (
                "image-number",
                json!({"count": 1, "image": 5}),
                "spec.image",
            ),
        ];
        for (name, spec, field) in &cases {
            let obj: DynamicObject = serde_json::from_value(json!({"apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": name}, "spec": spec}))
                .map_err(|e| Error::Check(e.to_string()))?;
            match retry(|| async { samples.create(&PostParams::default(), &obj).await }).await {
                Err(kube::Error::Api(s)) => {
                    ensure!(
                        s.code == 422 && s.reason == "Invalid",
                        "Sample {name} ({spec}): expected 422 Invalid, got {} {}: {}",
                        s.code,
                        s.reason,
                        s.message
                    );
                    ensure!(
                        s.message.contains(field),
                        "Sample {name}: the message does not name {field}: {}",
                        s.message
                    );
                }
                Ok(_) => {
                    return Err(Error::Check(format!(
                        "Sample {name} with spec {spec} was accepted"
                    )))
                }
                Err(e) => return Err(Error::kube(format!("create Sample {name}"), e)),
            }
        }
        let obj: DynamicObject = serde_json::from_value(json!({"apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": "no-spec"}}))
            .map_err(|e| Error::Check(e.to_string()))?;
        match retry(|| async { samples.create(&PostParams::default(), &obj).await }).await {
            Err(kube::Error::Api(s)) if s.code == 422 && s.message.contains("spec") => {}
            other => {
                return Err(Error::Check(format!(
                    "a Sample without spec: expected 422 naming spec, got {:?}",
                    other.map(|_| "created")
                )))
            }
        }
        let left = ku::list_json(&samples, &ListParams::default()).await?;
        ensure!(left.is_empty(), "rejected Samples exist: {}", left.len());
        Ok(Done::Passed(vec![format!(
            "{} invalid Samples rejected with 422",
            cases.len() + 1
        )]))
    })
}

/// A kubeconfig like `admin` but authenticating with `token`.
fn kubeconfig_with_token(admin: &Path, token: &str, out: &Path) -> Result<()> {
    let mut kc = kube::config::Kubeconfig::read_from(admin).map_err(|e| Error::Parse {
        what: admin.display().to_string(),
        message: e.to_string(),
    })?;
    let current = kc.current_context.clone().unwrap_or_default();
    let user = kc
        .contexts
        .iter()
        .find(|c| c.name == current)
        .and_then(|c| c.context.as_ref())
        .map(|c| c.user.clone())
        .unwrap_or_default();
    for a in &mut kc.auth_infos {
        if Some(&a.name) == user.as_ref() || user.is_none() {
            a.auth_info = Some(kube::config::AuthInfo {
                token: Some(token.to_string().into()),
                ..Default::default()
            });
        }
    }
    let yaml = serde_saphyr::to_string(&kc).map_err(|e| Error::Parse {
        what: "kubeconfig".into(),
        message: e.to_string(),
    })?;
    std::fs::write(out, yaml).map_err(|e| Error::io(format!("write {}", out.display()), e))
}

fn rbac(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        if !b.rbac {
            return Ok(Done::NotApplicable(format!(
                "the {} backend has no RBAC (every request is allowed)",
                b.kind
            )));
        }
        let ns = "e2e-rbac";
        let c = setup(b, ns).await?;
        let mut notes = Vec::new();
        let (mut op, kubectl_logs) = if b.operator_in_cluster {
            (None, true)
        } else {
            let kc = operator_sa_kubeconfig(b).await?;
            let mut p =
                OperatorProcess::spawn(&b.operator_bin, &kc, b.workdir.path(), &opts("rbac"))?;
            p.wait_ready(T_READY).await?;
            notes.push("operator authenticated as system:serviceaccount:e2e-rbac-operator:nuvolaris-operator-e2e".into());
            (Some(p), false)
        };
        let samples = ku::samples(&c, ns);
        ku::create_sample(&c, ns, "rbac", 1).await?;
        ku::wait_sample_ready(&c, ns, "rbac", 1, T_READY).await?;
        ku::set_count(&c, ns, "rbac", 2).await?;
        ku::wait_sample_ready(&c, ns, "rbac", 2, T_READY).await?;
        ku::delete(&samples, "rbac").await?;
        ku::wait_gone(&samples, "rbac", T_READY).await?;
        ku::wait_gone(&ku::deployments(&c, ns), "rbac-demo-deploy", T_READY).await?;
        let logs = match &op {
            Some(p) => p.logs(),
            None if kubectl_logs => {
                let kubectl = crate::backend::find_program("kubectl", "NUVOLARIS_KUBECTL")
                    .unwrap_or_else(|| "kubectl".into());
                let out = std::process::Command::new(kubectl)
                    .arg("--kubeconfig")
                    .arg(&b.kubeconfig)
                    .args([
                        "-n",
                        "nuvolaris",
                        "logs",
                        "deployment/nuvolaris-operator",
                        "--all-containers",
                    ])
                    .output()
                    .map_err(|e| Error::io("kubectl logs", e))?;
                String::from_utf8_lossy(&out.stdout).into_owned()
            }
            None => String::new(),
        };
        let forbidden: Vec<&str> = logs
            .lines()
            .filter(|l| l.to_lowercase().contains("forbidden"))
            .collect();
        ensure!(
            forbidden.is_empty(),
            "{} Forbidden log lines, e.g. {}",
            forbidden.len(),
            forbidden[0]
        );
        check_alive(&mut op)?;
        notes.push(format!("0 Forbidden in {} log lines", logs.lines().count()));
        if let (false, Some((denied, allowed))) = (
            kubectl_logs,
            b.rbac_audit("e2e-rbac-operator", "nuvolaris-operator-e2e"),
        ) {
            ensure!(
                denied.is_empty(),
                "the server answered {} requests with 403, e.g. {}",
                denied.len(),
                denied[0]
            );
            ensure!(
                allowed > 0,
                "the server saw no request of the operator's ServiceAccount"
            );
            notes.push(format!(
                "server: 0 requests refused, {allowed} allowed for the ServiceAccount"
            ));
        }
        Ok(Done::Passed(notes))
    })
}

/// Namespace and name of the ServiceAccount the operator runs as in the RBAC checks.
pub const OPERATOR_SA: (&str, &str) = ("e2e-rbac-operator", "nuvolaris-operator-e2e");

/// Creates (idempotently) the operator's ServiceAccount bound to the shipped ClusterRole
/// (`charts-free-kustomize/operator/cluster-role.yaml`) and writes a kubeconfig with its token.
async fn operator_sa_kubeconfig(b: &Backend) -> Result<std::path::PathBuf> {
    let c = b.client.clone();
    let sa_ns = "e2e-rbac-operator";
    ku::ensure_namespace(&c, sa_ns).await?;
    let role_file =
        crate::workspace_root().join("charts-free-kustomize/operator/cluster-role.yaml");
    let text = std::fs::read_to_string(&role_file)
        .map_err(|e| Error::io(format!("read {}", role_file.display()), e))?;
    let mut role = ku::parse_yaml_stream(&text, &role_file.display().to_string())?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Check("empty cluster-role.yaml".into()))?;
    role["metadata"] = json!({"name": "nuvolaris-operator-e2e"});
    let docs = vec![
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "nuvolaris-operator-e2e", "namespace": sa_ns}}),
        role,
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "nuvolaris-operator-e2e"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "nuvolaris-operator-e2e"},
            "subjects": [{"kind": "ServiceAccount", "name": "nuvolaris-operator-e2e", "namespace": sa_ns}]}),
    ];
    ku::apply_docs(&c, &docs, sa_ns).await?;
    let sas: Api<ServiceAccount> = Api::namespaced(c.clone(), sa_ns);
    let tr = TokenRequest {
        spec: TokenRequestSpec {
            audiences: vec![],
            expiration_seconds: Some(3600),
            ..Default::default()
        },
        ..Default::default()
    };
    let tok = retry(|| async {
        sas.create_token_request("nuvolaris-operator-e2e", &PostParams::default(), &tr)
            .await
    })
    .await
    .map_err(|e| Error::kube("TokenRequest for nuvolaris-operator-e2e", e))?;
    let token = tok.status.map(|s| s.token).unwrap_or_default();
    let kc = b.workdir.path().join("operator-sa.kubeconfig");
    kubeconfig_with_token(&b.kubeconfig, &token, &kc)?;
    Ok(kc)
}

fn health(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        if let Some(na) = process_scenario_na(b) {
            return Ok(na);
        }
        let ns = "e2e-health";
        let c = setup(b, ns).await?;
        let mut op = start_operator(b, opts("health")).await?;
        let Some(p) = op.as_mut() else {
            return Ok(Done::NotApplicable("no local operator".into()));
        };
        for path in ["/healthz", "/readyz"] {
            let (code, body) = p.http_get(path).await?;
            ensure!(code == 200, "{path} answered {code}: {body}");
        }
        ku::create_sample(&c, ns, "metrics", 1).await?;
        ku::wait_sample_ready(&c, ns, "metrics", 1, T_READY).await?;
        let (code, body) = p.http_get("/metrics").await?;
        ensure!(code == 200, "/metrics answered {code}");
        for series in [
            "controller_runtime_reconcile_total",
            "controller_runtime_reconcile_errors_total",
            "controller_runtime_reconcile_time_seconds_bucket",
            "controller_runtime_active_workers",
            "controller_runtime_max_concurrent_reconciles",
        ] {
            ensure!(
                body.lines().any(|l| l.starts_with(series)),
                "/metrics lacks {series}"
            );
        }
        let ok = body
            .lines()
            .filter(|l| {
                l.starts_with("controller_runtime_reconcile_total")
                    && l.contains("controller=\"sample\"")
                    && l.contains("result=\"success\"")
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>();
        let counted = ok >= 1.0;
        ensure!(
            counted,
            "no successful sample reconcile counted in /metrics"
        );
        ku::delete(&ku::samples(&c, ns), "metrics").await?;
        ku::wait_gone(&ku::samples(&c, ns), "metrics", T_READY).await?;
        check_alive(&mut op)?;
        Ok(Done::Passed(vec![format!(
            "{ok} successful sample reconciles counted"
        )]))
    })
}

fn leader_election(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        if let Some(na) = process_scenario_na(b) {
            return Ok(na);
        }
        let ns = "e2e-leader";
        let c = setup(b, ns).await?;
        let lease_secs = 6u64;
        let lease_name = "nuvolaris-operator-e2e";
        let lease_ns = "default";
        let mk = |id: &str| OperatorOpts {
            name: format!("leader-{id}"),
            leader_elect: Some(lease_secs),
            identity: Some(format!("e2e-{id}")),
            extra_args: vec![
                "--lease-name".into(),
                lease_name.into(),
                "--lease-namespace".into(),
                lease_ns.into(),
            ],
            ..Default::default()
        };
        let leases: Api<Lease> = Api::namespaced(c.clone(), lease_ns);
        let _ = leases.delete(lease_name, &Default::default()).await;
        let mut a = start_operator(b, mk("a"))
            .await?
            .ok_or_else(|| Error::Check("no local operator".into()))?;
        let holder = wait_for("a Lease holder", Duration::from_secs(30), || async {
            leases
                .get_opt(lease_name)
                .await
                .ok()??
                .spec?
                .holder_identity
        })
        .await?;
        ensure!(
            holder == "e2e-a",
            "first operator did not take the lease: holder {holder}"
        );
        let bb = start_operator(b, mk("b"))
            .await?
            .ok_or_else(|| Error::Check("no local operator".into()))?;
        ku::create_sample(&c, ns, "le", 1).await?;
        ku::wait_sample_ready(&c, ns, "le", 1, T_READY).await?;
        let held = leases
            .get(lease_name)
            .await
            .ok()
            .and_then(|l| l.spec?.holder_identity);
        ensure!(
            held.as_deref() == Some("e2e-a"),
            "the lease moved while both ran: {held:?}"
        );
        let t0 = Instant::now();
        a.kill().await?;
        ku::set_count(&c, ns, "le", 3).await?;
        wait_for(
            "e2e-b holds the lease",
            Duration::from_secs(lease_secs * 3),
            || async {
                (leases
                    .get_opt(lease_name)
                    .await
                    .ok()??
                    .spec?
                    .holder_identity?
                    == "e2e-b")
                    .then_some(())
            },
        )
        .await?;
        let takeover = t0.elapsed();
        ku::wait_sample_ready(&c, ns, "le", 3, T_READY).await?;
        let converged = t0.elapsed();
        // lease duration plus one retry period (a third of it) of the standby
        let bound = Duration::from_secs(lease_secs + lease_secs / 3 + 1);
        ensure!(takeover <= bound, "takeover took {:.1}s, more than the lease duration {lease_secs}s plus one retry period", takeover.as_secs_f64());
        ku::delete(&ku::samples(&c, ns), "le").await?;
        ku::wait_gone(&ku::samples(&c, ns), "le", T_READY).await?;
        let mut bo = Some(bb);
        check_alive(&mut bo)?;
        if let Some(mut p) = bo {
            let _ = p.terminate(Duration::from_secs(12)).await;
        }
        Ok(Done::Passed(vec![
            format!(
                "takeover {:.2}s after SIGKILL of the leader (lease {lease_secs}s)",
                takeover.as_secs_f64()
            ),
            format!(
                "change made during the failover Ready after {:.2}s",
                converged.as_secs_f64()
            ),
        ]))
    })
}

fn sigkill_burst(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        if let Some(na) = process_scenario_na(b) {
            return Ok(na);
        }
        let ns = "e2e-burst";
        let c = setup(b, ns).await?;
        let n = 40usize;
        let mut op = start_operator(b, opts("burst-1")).await?;
        let t0 = Instant::now();
        let create = |i: usize| {
            let c = c.clone();
            async move { ku::create_sample(&c, ns, &format!("burst-{i}"), (i % 4 + 1) as i64).await }
        };
        for r in futures::future::join_all((0..n / 2).map(create)).await {
            r?;
        }
        if let Some(p) = op.as_mut() {
            p.kill().await?;
        }
        for r in futures::future::join_all((n / 2..n).map(create)).await {
            r?;
        }
        for i in 0..10 {
            ku::set_count(&c, ns, &format!("burst-{i}"), 5).await?;
        }
        let mut op2 = start_operator(b, opts("burst-2")).await?;
        for i in 0..n {
            let want = if i < 10 { 5 } else { (i % 4 + 1) as i64 };
            ku::wait_sample_ready(&c, ns, &format!("burst-{i}"), want, Duration::from_secs(90))
                .await?;
        }
        let converged = t0.elapsed();
        let samples = ku::samples(&c, ns);
        for i in 0..n {
            ku::delete(&samples, &format!("burst-{i}")).await?;
        }
        wait_for(
            "every burst Sample and Deployment gone",
            Duration::from_secs(90),
            || async {
                let s = ku::list_json(&samples, &ListParams::default()).await.ok()?;
                let d = ku::list_json(&ku::deployments(&c, ns), &ListParams::default())
                    .await
                    .ok()?;
                (s.is_empty() && d.is_empty()).then_some(())
            },
        )
        .await?;
        check_alive(&mut op2)?;
        Ok(Done::Passed(vec![format!(
            "{n} Samples converged {:.2}s after the burst started (SIGKILL halfway)",
            converged.as_secs_f64()
        )]))
    })
}

fn ar(group: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, "v1", kind), plural)
}

fn whisk(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        let ns = "nuvolaris";
        let c = setup(b, ns).await?;
        let root = crate::workspace_root();
        // prerequisites, built by the operator's own kustomize engine
        if !b.operator_bin.as_os_str().is_empty() {
            let out = std::process::Command::new(&b.operator_bin)
                .arg("kustomize")
                .arg(root.join("charts-free-kustomize/whisk-prerequisites"))
                .output()
                .map_err(|e| Error::io("nuvolaris-operator kustomize whisk-prerequisites", e))?;
            ensure!(
                out.status.success(),
                "nuvolaris-operator kustomize failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let docs = ku::parse_yaml_stream(
                &String::from_utf8_lossy(&out.stdout),
                "whisk-prerequisites",
            )?;
            ku::apply_docs(&c, &docs, ns).await?;
        }
        let mut notes = Vec::new();
        if ku::ensure_kind_node(&c).await? {
            notes.push("no nodes: created one labelled nuvolaris.io/kube=kind".to_string());
        }
        let mut op = if b.rbac && !b.operator_in_cluster {
            let kc = operator_sa_kubeconfig(b).await?;
            let mut p =
                OperatorProcess::spawn(&b.operator_bin, &kc, b.workdir.path(), &opts("whisk"))?;
            p.wait_ready(T_READY).await?;
            notes.push("operator under its ServiceAccount and the shipped ClusterRole".to_string());
            Some(p)
        } else {
            start_operator(b, opts("whisk")).await?
        };
        let text = std::fs::read_to_string(root.join("examples/whisk.yaml"))
            .map_err(|e| Error::io("read examples/whisk.yaml", e))?;
        let w = ku::parse_yaml_stream(&text, "examples/whisk.yaml")?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Check("examples/whisk.yaml is empty".into()))?;
        let name = w["metadata"]["name"]
            .as_str()
            .unwrap_or("controller")
            .to_string();
        let whisks: Api<DynamicObject> = Api::namespaced_with(c.clone(), ns, &ku::whisk_resource());
        let sts: Api<DynamicObject> =
            Api::namespaced_with(c.clone(), ns, &ar("apps", "StatefulSet", "statefulsets"));
        let jobs: Api<DynamicObject> =
            Api::namespaced_with(c.clone(), ns, &ar("batch", "Job", "jobs"));
        let ings: Api<DynamicObject> = Api::namespaced_with(
            c.clone(),
            ns,
            &ar("networking.k8s.io", "Ingress", "ingresses"),
        );
        let obj: DynamicObject =
            serde_json::from_value(w.clone()).map_err(|e| Error::Check(e.to_string()))?;
        let t0 = Instant::now();
        retry(|| async { whisks.create(&PostParams::default(), &obj).await })
            .await
            .map_err(|e| Error::kube("create Whisk", e))?;
        let (mut couchdb, mut init, mut init_done, mut controller) = (None, None, None, None);
        while controller.is_none() {
            ensure!(
                t0.elapsed() < Duration::from_secs(120),
                "controller never created: couchdb {couchdb:?} init {init:?} done {init_done:?}"
            );
            let now = t0.elapsed();
            if couchdb.is_none() && ku::get_json(&sts, "couchdb").await?.is_some() {
                couchdb = Some(now);
            }
            if let Some(j) = ku::get_json(&jobs, "couchdb-init").await? {
                init.get_or_insert(now);
                if j.pointer("/status/succeeded")
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
                    > 0
                {
                    init_done.get_or_insert(now);
                }
            }
            if ku::get_json(&sts, "controller").await?.is_some() {
                controller = Some(now);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        ensure!(couchdb.is_some() && init.is_some() && init_done.is_some() && couchdb <= init && init <= init_done && init_done <= controller,
            "order must be couchdb <= init <= init complete <= controller: {couchdb:?} {init:?} {init_done:?} {controller:?}");
        let ready = match wait_for("Whisk Ready", Duration::from_secs(90), || async {
            let w = ku::get_json(&whisks, &name).await.ok()??;
            ku::ready_current(&w).then_some(w)
        })
        .await
        {
            Ok(w) => w,
            Err(e) => {
                let w = ku::get_json(&whisks, &name).await?.unwrap_or_default();
                return Err(Error::Check(format!("{e}; status {}", w["status"])));
            }
        };
        let ready_after = t0.elapsed();
        for (k, v) in [("openwhisk", "on"), ("couchdb", "on")] {
            ensure!(
                ready["status"]["whisk_create"][k] == v,
                "whisk_create.{k} is {} (want {v})",
                ready["status"]["whisk_create"][k]
            );
        }
        // toggle openwhisk off, then on
        let toggle = |on: bool| json!({"spec": {"components": {"openwhisk": on}}});
        let off = toggle(false);
        retry(|| async {
            whisks
                .patch(&name, &PatchParams::default(), &Patch::Merge(&off))
                .await
        })
        .await
        .map_err(|e| Error::kube("toggle openwhisk off", e))?;
        wait_for("controller and Ingresses pruned", T_READY, || async {
            (ku::get_json(&sts, "controller").await.ok()?.is_none()
                && ku::get_json(&ings, "apihost").await.ok()?.is_none()
                && ku::get_json(&whisks, &name).await.ok()??["status"]["whisk_create"]["openwhisk"]
                    == "off")
                .then_some(())
        })
        .await?;
        ensure!(
            ku::get_json(&sts, "couchdb").await?.is_some(),
            "couchdb went away with openwhisk off"
        );
        let on = toggle(true);
        retry(|| async {
            whisks
                .patch(&name, &PatchParams::default(), &Patch::Merge(&on))
                .await
        })
        .await
        .map_err(|e| Error::kube("toggle openwhisk on", e))?;
        wait_for("controller and Ingresses back", T_READY, || async {
            (ku::get_json(&sts, "controller").await.ok()?.is_some()
                && ku::get_json(&ings, "apihost").await.ok()?.is_some()
                && ku::get_json(&whisks, &name).await.ok()??["status"]["whisk_create"]["openwhisk"]
                    == "on")
                .then_some(())
        })
        .await?;
        // delete: nothing the operator applied is left, Ingresses included
        ku::delete(&whisks, &name).await?;
        ku::wait_gone(&whisks, &name, T_READY).await?;
        let inventory = ListParams::default().labels("applyset.kubernetes.io/part-of");
        let kinds = [
            ar("apps", "StatefulSet", "statefulsets"),
            ar("batch", "Job", "jobs"),
            ar("networking.k8s.io", "Ingress", "ingresses"),
            ar("", "Service", "services"),
            ar("", "Secret", "secrets"),
            ar("", "ConfigMap", "configmaps"),
            ar("apps", "Deployment", "deployments"),
        ];
        // volume policy `retain` (the default): the StatefulSet's claims stay, and with them the
        // generated credentials written on their data; nothing else may be left
        let pvcs: Api<DynamicObject> = Api::namespaced_with(
            c.clone(),
            ns,
            &ar("", "PersistentVolumeClaim", "persistentvolumeclaims"),
        );
        let generated = format!("Secret/{name}-whisk-generated");
        let left = wait_for("every object of the Whisk gone", T_READY, || async {
            let claims = ku::list_json(&pvcs, &ListParams::default())
                .await
                .ok()?
                .iter()
                .filter(|p| {
                    p["metadata"]["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with("couchdb-pvc-couchdb-"))
                })
                .count();
            let mut left = Vec::new();
            for k in &kinds {
                let api: Api<DynamicObject> = Api::namespaced_with(c.clone(), ns, k);
                for o in ku::list_json(&api, &inventory).await.ok()? {
                    let id = format!(
                        "{}/{}",
                        k.kind,
                        o["metadata"]["name"].as_str().unwrap_or("")
                    );
                    if !(claims > 0 && id == generated) {
                        left.push(id);
                    }
                }
            }
            left.is_empty().then_some(left)
        })
        .await;
        if left.is_err() {
            let mut names = Vec::new();
            for k in &kinds {
                let api: Api<DynamicObject> = Api::namespaced_with(c.clone(), ns, k);
                for o in ku::list_json(&api, &inventory).await? {
                    names.push(format!(
                        "{}/{}",
                        k.kind,
                        o["metadata"]["name"].as_str().unwrap_or("")
                    ));
                }
            }
            return Err(Error::Check(format!(
                "left after deleting the Whisk: {names:?}"
            )));
        }
        let cms: Api<DynamicObject> =
            Api::namespaced_with(c.clone(), ns, &ar("", "ConfigMap", "configmaps"));
        if let Some(cm) = ku::get_json(&cms, "config").await? {
            ensure!(
                cm["metadata"]["annotations"]["apihost"].is_null(),
                "cm/config keeps the apihost annotation after the delete"
            );
        }
        check_alive(&mut op)?;
        if let Some(p) = &op {
            let logs = p.logs();
            let forbidden: Vec<&str> = logs
                .lines()
                .filter(|l| l.to_lowercase().contains("forbidden"))
                .collect();
            ensure!(
                forbidden.is_empty(),
                "{} Forbidden log lines, e.g. {}",
                forbidden.len(),
                forbidden[0]
            );
        }
        if let Some((denied, _)) = b.rbac_audit(OPERATOR_SA.0, OPERATOR_SA.1) {
            ensure!(
                denied.is_empty(),
                "the server answered {} requests with 403, e.g. {}",
                denied.len(),
                denied[0]
            );
        }
        notes.extend([
            format!(
                "order couchdb {:.2}s <= init {:.2}s <= init done {:.2}s <= controller {:.2}s",
                secs(couchdb),
                secs(init),
                secs(init_done),
                secs(controller)
            ),
            format!("Ready after {:.2}s", ready_after.as_secs_f64()),
        ]);
        Ok(Done::Passed(notes))
    })
}

fn secs(d: Option<Duration>) -> f64 {
    d.map(|d| d.as_secs_f64()).unwrap_or(f64::NAN)
}
