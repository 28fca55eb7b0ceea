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

//! The Whisk reconciler: level-triggered and step-wise.
//!
//! Each reconcile: keep the credentials (generated once, stored in a Secret owned by the Whisk),
//! learn the cluster facts (kube flavour from nodes, ingress load-balancer address), render every
//! enabled component, and apply the components whose prerequisites are met:
//! CouchDB first, then `couchdb-init` once CouchDB is Ready, then the controller and its endpoint
//! once `couchdb-init` has completed (a component already deployed stays deployed). Readiness is
//! read, never waited for: a Whisk that is not Ready yet is requeued. Disabled components are
//! pruned by the runtime's inventory; deletion removes everything (the runtime deletes the
//! inventory, owned or not; [`WhiskReconciler::cleanup`] removes the `apihost` annotation, Ingresses
//! left by an upstream operator, and action pods).

use crate::components::{endpoint, init_job, preloader, Component};
use crate::render::{of_component, render, DEFAULT_RUNTIMES_JSON};
use crate::resolve::{RenderInput, Settings};
use crate::secrets::{self, generated_secret_name, WhiskSecrets};
use crate::settings::{ClusterFacts, LbAddress, OperatorConfig};
use crate::status::{self, State};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod, Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::api::rbac::v1::PolicyRule;
use k8s_openapi::ByteString;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams, PropagationPolicy};
use kube::{Api, Resource, ResourceExt};
use nuvolaris_api::whisk::Whisk;
use nuvolaris_runtime::applier::contains;
use nuvolaris_runtime::conditions::now;
use nuvolaris_runtime::{kinds, ChildKind, Ctx, Error, Owner, Prune, ReconcileOutcome, Reconciler};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// How soon a Whisk that is not Ready yet is looked at again.
pub const NOT_READY_REQUEUE: Duration = Duration::from_secs(2);
/// Annotation on `cm/config` holding the api host URL (upstream contract).
pub const APIHOST_ANNOTATION: &str = "apihost";

/// The Whisk reconciler.
#[derive(Clone, Debug)]
pub struct WhiskReconciler {
    /// Images configured on the operator.
    pub operator: OperatorConfig,
}

impl Default for WhiskReconciler {
    fn default() -> Self {
        Self {
            operator: OperatorConfig::from_env(),
        }
    }
}

fn kube_err(action: impl Into<String>) -> impl FnOnce(kube::Error) -> Error {
    let action = action.into();
    move |e| Error::kube(action, e)
}

fn to_runtime(e: crate::Error) -> Error {
    match e {
        crate::Error::Kustomize(k) => Error::Kustomize {
            what: "whisk overlay".into(),
            message: k.to_string(),
        },
        other => Error::Reconciler(other.to_string()),
    }
}

/// Progress of a Job from its status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobState {
    /// No such Job.
    Absent,
    /// Running or pending.
    Running,
    /// Completed successfully.
    Complete,
    /// Failed for good (message).
    Failed(String),
}

/// The state of a live Job.
pub fn job_state(job: Option<&Job>) -> JobState {
    let Some(job) = job else {
        return JobState::Absent;
    };
    let st = job.status.clone().unwrap_or_default();
    for c in st.conditions.unwrap_or_default() {
        if c.status == "True" && c.type_ == "Complete" {
            return JobState::Complete;
        }
        if c.status == "True" && c.type_ == "Failed" {
            return JobState::Failed(c.message.unwrap_or_else(|| c.reason.unwrap_or_default()));
        }
    }
    if st.succeeded.unwrap_or(0) > 0 {
        JobState::Complete
    } else {
        JobState::Running
    }
}

/// Whether a live StatefulSet has at least one ready replica of its current generation.
pub fn sts_ready(sts: Option<&StatefulSet>) -> bool {
    let Some(s) = sts else { return false };
    let st = s.status.clone().unwrap_or_default();
    let want = s.spec.as_ref().and_then(|sp| sp.replicas).unwrap_or(1);
    st.ready_replicas.unwrap_or(0) >= want.max(1)
}

async fn get_opt<K>(api: &Api<K>, name: &str, what: &str) -> Result<Option<K>, Error>
where
    K: Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    api.get_opt(name)
        .await
        .map_err(kube_err(format!("get {what} {name}")))
}

impl WhiskReconciler {
    /// Credentials from the spec, else from the generated-secrets Secret, else generated now and stored.
    async fn ensure_secrets(&self, w: &Whisk, ctx: &Ctx, ns: &str) -> Result<WhiskSecrets, Error> {
        let api: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
        let name = generated_secret_name(&w.name_any());
        let live = get_opt(&api, &name, "secret").await?;
        let stored: BTreeMap<String, String> = live
            .as_ref()
            .and_then(|s| s.data.clone())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| String::from_utf8(v.0).ok().map(|s| (k, s)))
            .collect();
        let (sec, store) = secrets::resolve(&w.spec, &stored);
        if store != stored {
            let mut s = Secret {
                metadata: kube::api::ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(ns.to_string()),
                    owner_references: Owner::of(w).owner_reference().map(|o| vec![o]),
                    labels: Some([("nuvolaris.org/whisk".to_string(), w.name_any())].into()),
                    ..Default::default()
                },
                data: Some(
                    store
                        .into_iter()
                        .map(|(k, v)| (k, ByteString(v.into_bytes())))
                        .collect(),
                ),
                ..Default::default()
            };
            match live {
                Some(_) => {
                    // only keys are added (a value, once stored, is never replaced): merge patch
                    let patch = json!({ "data": s.data.take() });
                    api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                        .await
                        .map_err(kube_err(format!("patch secret {name}")))?;
                }
                None => {
                    api.create(&PostParams::default(), &s)
                        .await
                        .map_err(kube_err(format!("create secret {name}")))?;
                }
            }
            tracing::info!(whisk = %w.name_any(), secret = %name, "stored generated credentials");
        }
        Ok(sec)
    }

    /// Kube flavour (when `auto`) and the ingress load-balancer address; best effort.
    async fn facts(&self, w: &Whisk, ctx: &Ctx) -> ClusterFacts {
        let n = w.spec.nuvolaris_or_default();
        let auto = |v: &Option<String>| v.as_deref().is_none_or(|s| s.is_empty() || s == "auto");
        let mut facts = ClusterFacts::default();
        if auto(&n.kube) {
            let nodes: Api<Node> = Api::all(ctx.client.clone());
            if let Ok(list) = nodes.list(&ListParams::default().limit(20)).await {
                facts.kube = detect_kube(&list.items);
            }
        }
        let kube = if auto(&n.kube) {
            facts.kube.clone()
        } else {
            n.kube.clone()
        };
        if auto(&n.apihost) && kube.as_deref() != Some("kind") {
            let (ns, svc) = match n
                .ingresslb
                .as_deref()
                .filter(|s| *s != "auto")
                .and_then(|s| s.split_once('/'))
            {
                Some((a, b)) => (a.to_string(), b.to_string()),
                None if kube.as_deref() == Some("microk8s") => {
                    ("ingress".into(), "ingress-nginx-controller".into())
                }
                None => ("ingress-nginx".into(), "ingress-nginx-controller".into()),
            };
            let api: Api<Service> = Api::namespaced(ctx.client.clone(), &ns);
            if let Ok(Some(s)) = api.get_opt(&svc).await {
                let first = s
                    .status
                    .and_then(|st| st.load_balancer)
                    .and_then(|lb| lb.ingress)
                    .and_then(|i| i.into_iter().next());
                facts.ingress_lb = first.and_then(|i| match (i.hostname, i.ip) {
                    (Some(h), _) if !h.is_empty() => Some(LbAddress::Hostname(h)),
                    (_, Some(ip)) if !ip.is_empty() => Some(LbAddress::Ip(ip)),
                    _ => None,
                });
            }
        }
        facts
    }

    async fn runtimes_json(&self, ctx: &Ctx, ns: &str) -> String {
        let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), ns);
        match api.get_opt("openwhisk-runtimes").await {
            Ok(Some(cm)) => cm
                .data
                .and_then(|d| d.get("runtimes.json").cloned())
                .unwrap_or_else(|| DEFAULT_RUNTIMES_JSON.to_string()),
            _ => DEFAULT_RUNTIMES_JSON.to_string(),
        }
    }

    /// Writes the `apihost` annotation on `cm/config` when it differs; `Err(reason)` when it cannot.
    async fn annotate_apihost(
        &self,
        ctx: &Ctx,
        ns: &str,
        url: Option<&str>,
    ) -> Result<Result<(), String>, Error> {
        let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), ns);
        let Some(cm) = get_opt(&api, "config", "configmap").await? else {
            return Ok(Err(format!(
                "ConfigMap {ns}/config (a prerequisite) does not exist"
            )));
        };
        let cur = cm.annotations().get(APIHOST_ANNOTATION).map(String::as_str);
        if cur != url {
            let patch = json!({ "metadata": { "annotations": { APIHOST_ANNOTATION: url } } });
            api.patch("config", &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map_err(kube_err(format!("annotate configmap {ns}/config")))?;
        }
        Ok(Ok(()))
    }
}

/// Kube flavour from node labels (`nuvolaris.io/kube` wins) and provider ids.
pub fn detect_kube(nodes: &[Node]) -> Option<String> {
    for n in nodes {
        if let Some(k) = n.labels().get("nuvolaris.io/kube") {
            return Some(k.clone());
        }
    }
    for n in nodes {
        let pid = n
            .spec
            .as_ref()
            .and_then(|s| s.provider_id.clone())
            .unwrap_or_default();
        let labels = n.labels();
        if pid.starts_with("kind://") {
            return Some("kind".into());
        }
        if labels
            .get("node.kubernetes.io/instance-type")
            .map(String::as_str)
            == Some("k3s")
        {
            return Some("k3s".into());
        }
        if labels.contains_key("microk8s.io/cluster") {
            return Some("microk8s".into());
        }
        if labels.contains_key("node.openshift.io/os_id") {
            return Some("openshift".into());
        }
        if pid.starts_with("aws://") {
            return Some("eks".into());
        }
        if pid.starts_with("azure://") {
            return Some("aks".into());
        }
        if pid.starts_with("gce://") {
            return Some("gke".into());
        }
        if pid.starts_with("linode://") {
            return Some("lks".into());
        }
    }
    None
}

fn validate_whisk(w: &Whisk) -> Result<(), String> {
    let ns = w.spec.openwhisk.clone().unwrap_or_default().namespaces;
    for (k, v) in [
        ("whisk-system", &ns.whisk_system),
        ("nuvolaris", &ns.nuvolaris),
    ] {
        if let Some(a) = v {
            match a.split_once(':') {
                Some((u, key)) if !u.is_empty() && !key.is_empty() => {}
                _ => return Err(format!("spec.openwhisk.namespaces.{k} must be `uuid:key`")),
            }
        }
    }
    if let Some(size) = w.spec.couchdb.as_ref().and_then(|c| c.volume_size) {
        if size < 0 {
            return Err(format!(
                "spec.couchdb.volume-size must not be negative (got {size})"
            ));
        }
    }
    Ok(())
}

impl Reconciler for WhiskReconciler {
    type Resource = Whisk;

    fn name(&self) -> &'static str {
        "whisk"
    }

    fn child_kinds(&self) -> Vec<ChildKind> {
        vec![
            kinds::SECRET,
            kinds::SERVICE,
            kinds::STATEFULSET,
            kinds::JOB,
            kinds::INGRESS,
        ]
    }

    fn extra_rules(&self) -> Vec<PolicyRule> {
        let rule = |group: &str, res: &[&str], verbs: &[&str]| PolicyRule {
            api_groups: Some(vec![group.to_string()]),
            resources: Some(res.iter().map(|s| s.to_string()).collect()),
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        vec![
            // cm/config (apihost annotation) and cm/openwhisk-runtimes (runtimes manifest)
            rule("", &["configmaps"], &["get", "patch"]),
            // kube flavour detection
            rule("", &["nodes"], &["list"]),
            // action pods the controller created, removed on delete
            rule("", &["pods"], &["list", "delete"]),
        ]
    }

    fn validate(&self, obj: &Whisk) -> Result<(), String> {
        validate_whisk(obj)
    }

    fn render(&self, obj: &Whisk) -> Result<Vec<Value>, Error> {
        // offline: credentials missing from the spec are generated fresh for this printout
        let (sec, _) = secrets::resolve(&obj.spec, &BTreeMap::new());
        let facts = ClusterFacts::default();
        let input = RenderInput {
            whisk: obj,
            secrets: &sec,
            facts: &facts,
            operator: &self.operator,
            runtimes_json: DEFAULT_RUNTIMES_JSON,
        };
        render(&input).map_err(to_runtime)
    }

    async fn reconcile(&self, obj: Arc<Whisk>, ctx: &Ctx) -> Result<ReconcileOutcome, Error> {
        let w = &*obj;
        let ns = w.namespace().unwrap_or_else(|| "default".into());
        let owner = Owner::of(w);
        let sec = self.ensure_secrets(w, ctx, &ns).await?;
        let facts = self.facts(w, ctx).await;
        let runtimes = self.runtimes_json(ctx, &ns).await;
        let input = RenderInput {
            whisk: w,
            secrets: &sec,
            facts: &facts,
            operator: &self.operator,
            runtimes_json: &runtimes,
        };
        let settings = Settings::compute(&input);
        let objs = render(&input).map_err(to_runtime)?;

        // children come from the controller's watch caches, not fresh GETs
        let job_api: Api<Job> = Api::namespaced(ctx.client.clone(), &ns);
        let sts =
            |name: &'static str| ctx.cached_as::<StatefulSet>(&kinds::STATEFULSET, Some(&ns), name);
        let job = |name: &'static str| ctx.cached_as::<Job>(&kinds::JOB, Some(&ns), name);
        let couchdb = sts("couchdb").await;
        let controller = sts("controller").await;
        let init = job(init_job::JOB_NAME).await;
        let preload = job(preloader::JOB_NAME).await;
        let init_state = job_state(init.as_ref());

        let on = |c: Component| c.enabled(&input);
        let couchdb_ready = sts_ready(couchdb.as_ref());
        let include = |c: Component| -> bool {
            if !on(c) {
                return false;
            }
            match c {
                Component::CouchdbInit => couchdb_ready || init.is_some(),
                Component::Openwhisk | Component::Endpoint => {
                    !on(Component::CouchdbInit)
                        || init_state == JobState::Complete
                        || controller.is_some()
                }
                _ => true,
            }
        };
        let mut desired = Vec::new();
        let mut recreating = Vec::new();
        for c in Component::ALL {
            if !include(c) {
                continue;
            }
            for o in of_component(&objs, c) {
                // a Job's pod template is immutable: a changed one is deleted and recreated
                if o["kind"] == "Job" {
                    let live = match o["metadata"]["name"].as_str() {
                        Some(init_job::JOB_NAME) => init.as_ref(),
                        Some(preloader::JOB_NAME) => preload.as_ref(),
                        _ => None,
                    };
                    if let Some(live) = live {
                        let live_t = serde_json::to_value(&live.spec).map_err(Error::Serialize)?;
                        if !contains(&live_t["template"], &o["spec"]["template"]) {
                            let name = live.name_any();
                            let dp = DeleteParams {
                                propagation_policy: Some(PropagationPolicy::Background),
                                ..Default::default()
                            };
                            if live.metadata.deletion_timestamp.is_none() {
                                job_api
                                    .delete(&name, &dp)
                                    .await
                                    .map_err(kube_err(format!("delete job {ns}/{name}")))?;
                                tracing::info!(whisk = %owner.key(), job = %name, "job template changed: recreating");
                            }
                            recreating.push(c);
                            continue;
                        }
                    }
                }
                desired.push(o);
            }
        }
        let report = ctx.apply(&owner, desired, &Prune::All).await?;

        // readiness, read from what the apply returned
        let live_sts = |name: &str| -> Option<StatefulSet> {
            report
                .live("StatefulSet", name)
                .and_then(|v| serde_json::from_value(v.clone()).ok())
        };
        let live_job = |name: &str| -> Option<Job> {
            report
                .live("Job", name)
                .and_then(|v| serde_json::from_value(v.clone()).ok())
        };
        let mut states = BTreeMap::new();
        states.insert(
            Component::Couchdb,
            if !on(Component::Couchdb) {
                State::Disabled
            } else if sts_ready(live_sts("couchdb").as_ref()) {
                State::Ready
            } else {
                State::Progressing(
                    "StatefulSetNotReady",
                    "waiting for statefulset couchdb to be ready".into(),
                )
            },
        );
        let job_status = |c: Component, name: &str, waiting: &str| -> State {
            if !on(c) {
                return State::Disabled;
            }
            if recreating.contains(&c) {
                return State::Progressing(
                    "Recreating",
                    format!("job {name} changed and is being recreated"),
                );
            }
            if !include(c) {
                return State::Progressing("Waiting", waiting.to_string());
            }
            match job_state(live_job(name).as_ref()) {
                JobState::Complete => State::Ready,
                JobState::Failed(m) => {
                    State::Failed("JobFailed", format!("job {name} failed: {m}"))
                }
                _ => State::Progressing("JobRunning", format!("job {name} is running")),
            }
        };
        states.insert(
            Component::CouchdbInit,
            job_status(
                Component::CouchdbInit,
                init_job::JOB_NAME,
                "waiting for CouchDB to be ready",
            ),
        );
        states.insert(
            Component::Preloader,
            job_status(Component::Preloader, preloader::JOB_NAME, ""),
        );
        states.insert(
            Component::Openwhisk,
            if !on(Component::Openwhisk) {
                State::Disabled
            } else if !include(Component::Openwhisk) {
                State::Progressing("Waiting", "waiting for couchdb-init to complete".into())
            } else if sts_ready(live_sts("controller").as_ref()) {
                State::Ready
            } else {
                State::Progressing(
                    "StatefulSetNotReady",
                    "waiting for statefulset controller to be ready".into(),
                )
            },
        );
        let endpoint_state = if !on(Component::Endpoint) {
            State::Disabled
        } else if !include(Component::Endpoint) {
            State::Progressing("Waiting", "waiting for the controller".into())
        } else {
            match &settings.apihost {
                None => State::Progressing(
                    "WaitingForLoadBalancer",
                    "the ingress load balancer has no address yet; set spec.nuvolaris.apihost"
                        .into(),
                ),
                Some(api) => match self.annotate_apihost(ctx, &ns, Some(&api.url())).await? {
                    Ok(()) => State::Ready,
                    Err(m) => State::Failed("MissingPrerequisite", m),
                },
            }
        };
        if !on(Component::Endpoint) {
            // the controller is gone: the annotation would point nowhere
            let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &ns);
            if let Ok(Some(cm)) = api.get_opt("config").await {
                if cm.annotations().contains_key(APIHOST_ANNOTATION) {
                    self.annotate_apihost(ctx, &ns, None).await?.ok();
                }
            }
        }
        states.insert(Component::Endpoint, endpoint_state);

        let (st, ready) =
            status::compute(w, &states, settings.tls && on(Component::Endpoint), now());
        let out = ReconcileOutcome::with_status(&st)?;
        Ok(if ready {
            out
        } else {
            out.requeue(NOT_READY_REQUEUE)
        })
    }

    async fn cleanup(&self, obj: Option<Arc<Whisk>>, ctx: &Ctx) -> Result<(), Error> {
        let Some(w) = obj else { return Ok(()) };
        let ns = w.namespace().unwrap_or_else(|| "default".into());
        // the api host annotation on the (unowned) cm/config
        let cms: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &ns);
        if let Some(cm) = get_opt(&cms, "config", "configmap").await? {
            if cm.annotations().contains_key(APIHOST_ANNOTATION) {
                self.annotate_apihost(ctx, &ns, None).await?.ok();
            }
        }
        // Ingresses by name (e.g. left by the upstream operator), unless another controller owns them
        let ings: Api<Ingress> = Api::namespaced(ctx.client.clone(), &ns);
        for name in endpoint::INGRESSES {
            if let Some(i) = get_opt(&ings, name, "ingress").await? {
                let foreign = i
                    .owner_references()
                    .iter()
                    .any(|o| o.controller == Some(true) && Some(&o.uid) != w.metadata.uid.as_ref());
                if !foreign {
                    match ings.delete(name, &DeleteParams::default()).await {
                        Ok(_) => {
                            tracing::info!(whisk = %w.name_any(), ingress = name, "deleted ingress")
                        }
                        Err(kube::Error::Api(s)) if s.is_not_found() => {}
                        Err(e) => {
                            return Err(Error::kube(format!("delete ingress {ns}/{name}"), e))
                        }
                    }
                }
            }
        }
        // action pods created by the controller (not owned by anything we apply)
        let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), &ns);
        let list = pods
            .list(&ListParams::default().labels("user-action-pod=true"))
            .await
            .map_err(kube_err(format!("list action pods in {ns}")))?;
        for p in list.items {
            let name = p.name_any();
            match pods.delete(&name, &DeleteParams::default()).await {
                Ok(_) | Err(kube::Error::Api(_)) => {}
                Err(e) => return Err(Error::kube(format!("delete pod {ns}/{name}"), e)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn job(v: Value) -> Job {
        serde_json::from_value(json!({"metadata": {"name": "j"}, "status": v})).unwrap()
    }

    #[rstest]
    #[case(json!({}), JobState::Running)]
    #[case(json!({"succeeded": 1}), JobState::Complete)]
    #[case(json!({"conditions": [{"type": "Complete", "status": "True"}]}), JobState::Complete)]
    #[case(json!({"conditions": [{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]}), JobState::Failed("BackoffLimitExceeded".into()))]
    fn job_states(#[case] status: Value, #[case] want: JobState) {
        assert_eq!(job_state(Some(&job(status))), want);
    }

    #[rstest]
    #[case(json!({"providerID": "kind://docker/kind/kind-control-plane"}), json!({}), Some("kind"))]
    #[case(json!({}), json!({"nuvolaris.io/kube": "k3s"}), Some("k3s"))]
    #[case(json!({"providerID": "aws:///eu-west-1a/i-1"}), json!({}), Some("eks"))]
    #[case(json!({}), json!({}), None)]
    fn detects_kube(#[case] spec: Value, #[case] labels: Value, #[case] want: Option<&str>) {
        let n: Node = serde_json::from_value(
            json!({"metadata": {"name": "n", "labels": labels}, "spec": spec}),
        )
        .unwrap();
        assert_eq!(detect_kube(&[n]).as_deref(), want);
    }

    #[test]
    fn invalid_auth_is_rejected() {
        let w = Whisk::new(
            "w",
            serde_json::from_value(json!({"components": {"openwhisk": true, "couchdb": true},
                "openwhisk": {"namespaces": {"nuvolaris": "no-colon"}}}))
            .unwrap(),
        );
        assert!(validate_whisk(&w)
            .unwrap_err()
            .contains("spec.openwhisk.namespaces.nuvolaris"));
    }
}
