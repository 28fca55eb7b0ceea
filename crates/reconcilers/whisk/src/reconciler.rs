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

//! The Whisk reconciler: observe, plan, act.
//!
//! Each reconcile reads what exists ([`crate::observe::observe`]: cluster facts and live
//! children), decides in a pure function ([`crate::plan::plan`]: per component the objects to
//! apply, the owner-checked deletes, the `cm/config` annotations, the side effects and the
//! state), and writes in one place ([`crate::act::act`], through the runtime). The status
//! follows from the plan and what the writes met (conflicts). One Whisk per namespace: a second
//! one reports `Ready=False` with reason `Conflict` and writes nothing. Requeues back off while
//! something progresses and stop on terminal failures ([`crate::requeue`]).
//!
//! Deletion: the runtime deletes the inventory (owned children); [`WhiskReconciler::cleanup`]
//! removes the `apihost` annotation, the Middlewares/Routes and the action pods, and keeps or
//! deletes the generated credentials per [`crate::retention`].

use crate::act::{act, prune_optional};
use crate::components::Component;
use crate::lb_watch::LbWatch;
use crate::observe::{namespace_holder, observe};
use crate::plan::{fingerprint, plan};
use crate::render::{render, DEFAULT_RUNTIMES_JSON};
use crate::requeue::{Backoff, Policy, Wake};
use crate::resolve::{RenderInput, Settings};
use crate::retention::{claim_templates, claims_of, pvc_policy, PvcPolicy};
use crate::secrets::{self, generated_secret_name, Generate};
use crate::settings::{ClusterFacts, OperatorConfig};
use crate::status::{self, State};
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Pod};
use k8s_openapi::api::rbac::v1::PolicyRule;
use kube::api::{DeleteParams, ListParams};
use kube::runtime::events::EventType;
use kube::{Api, ResourceExt};
use nuvolaris_api::whisk::Whisk;
use nuvolaris_runtime::conditions;
use nuvolaris_runtime::optional::DEFAULT_REFRESH;
use nuvolaris_runtime::{
    kinds, ChildKind, Ctx, DeleteOutcome, Error, OptionalKinds, Owner, ReconcileOutcome, Reconciler,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

pub use crate::components::{job_state, sts_ready, JobState};
pub use crate::observe::detect_kube;
pub use crate::plan::APIHOST_ANNOTATION;

pub use crate::act::FIELD_MANAGER;
pub use crate::components::OPTIONAL_KINDS;

/// The Whisk reconciler.
#[derive(Clone, Debug)]
pub struct WhiskReconciler {
    /// Images configured on the operator.
    pub operator: OperatorConfig,
    /// Seed of the credentials `render` prints (`render --seed`); placeholders without one.
    pub render_seed: Option<String>,
    /// Which optional kinds the cluster serves (discovery, cached).
    pub optional: Arc<OptionalKinds>,
    /// Per-Whisk requeue backoff while progressing.
    pub backoff: Arc<Backoff>,
    /// Watches on the ingress load-balancer Services.
    pub lb: Arc<LbWatch>,
}

impl Default for WhiskReconciler {
    fn default() -> Self {
        Self {
            operator: OperatorConfig::from_env(),
            render_seed: None,
            optional: Arc::new(OptionalKinds::new(OPTIONAL_KINDS.to_vec(), DEFAULT_REFRESH)),
            backoff: Arc::new(Backoff::default()),
            lb: Arc::new(LbWatch::default()),
        }
    }
}

impl WhiskReconciler {
    /// Generated credentials in `render` come from `seed` (the same bytes on every run).
    pub fn with_render_seed(mut self, seed: impl Into<String>) -> Self {
        self.render_seed = Some(seed.into());
        self
    }

    /// A different requeue backoff (tests scale time down with it).
    pub fn with_backoff(mut self, policy: Policy) -> Self {
        self.backoff = Arc::new(Backoff::new(policy));
        self
    }
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

fn key(w: &Whisk) -> String {
    format!("{}/{}", w.namespace().unwrap_or_default(), w.name_any())
}

fn rule(group: &str, res: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![group.to_string()]),
        resources: Some(res.iter().map(|s| s.to_string()).collect()),
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// Every object `render` prints for `w` with credentials from `generate`: the kustomize build
/// plus the objects of optional kinds (as if the cluster served them).
pub fn render_offline(
    w: &Whisk,
    operator: &OperatorConfig,
    generate: &Generate,
) -> crate::Result<Vec<Value>> {
    let (sec, _) = secrets::resolve_with(&w.spec, &BTreeMap::new(), generate);
    let facts = ClusterFacts::default();
    let input = RenderInput {
        whisk: w,
        secrets: &sec,
        facts: &facts,
        operator,
        runtimes_json: DEFAULT_RUNTIMES_JSON,
    };
    let mut objs = render(&input)?;
    let s = Settings::compute(&input);
    for spec in crate::components::TABLE.iter() {
        if (spec.enabled)(&input) {
            objs.extend((spec.optional_objects)(&s));
        }
    }
    Ok(objs)
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
        let mut rules = vec![
            // cm/config (apihost annotation) and cm/openwhisk-runtimes (runtimes manifest)
            rule("", &["configmaps"], &["get", "patch"]),
            // kube flavour detection
            rule("", &["nodes"], &["list"]),
            // action pods the controller created, removed on delete
            rule("", &["pods"], &["list", "delete"]),
            // volumes of the StatefulSets: the generated credentials stay while they do
            rule("", &["persistentvolumeclaims"], &["list"]),
        ];
        // optional kinds (Traefik Middlewares, OpenShift Routes): applied, listed, pruned
        for k in OPTIONAL_KINDS {
            rules.push(rule(
                k.group,
                &[k.plural],
                &["create", "delete", "get", "list", "patch"],
            ));
        }
        rules
    }

    fn wakeup(&self) -> Option<nuvolaris_runtime::Wakeup> {
        Some(self.lb.wakeup())
    }

    fn validate(&self, obj: &Whisk) -> Result<(), String> {
        validate_whisk(obj)
    }

    fn render(&self, obj: &Whisk) -> Result<Vec<Value>, Error> {
        // offline: credentials missing from the spec come from the seed, or are placeholders
        let generate = match &self.render_seed {
            Some(seed) => Generate::Seeded {
                seed: seed.clone(),
                whisk: key(obj),
            },
            None => Generate::Placeholder,
        };
        render_offline(obj, &self.operator, &generate).map_err(to_runtime)
    }

    async fn reconcile(&self, obj: Arc<Whisk>, ctx: &Ctx) -> Result<ReconcileOutcome, Error> {
        let w = &*obj;
        let ns = w.namespace().unwrap_or_else(|| "default".into());
        let owner = Owner::of(w);
        let obs = observe(w, ctx, &self.optional, &self.lb).await?;
        let plan = plan(w, &owner, &self.operator, &Generate::Random, &obs).map_err(to_runtime)?;
        if let Some(msg) = &plan.conflict {
            let was = w
                .status
                .as_ref()
                .and_then(|s| conditions::find(&s.conditions, conditions::READY))
                .is_some_and(|c| c.reason == "Conflict");
            if !was {
                ctx.event(&owner, EventType::Warning, "Conflict", msg.clone())
                    .await;
            }
            self.backoff.forget(&key(w));
            return ReconcileOutcome::with_status(&status::namespace_conflict(w, msg, now()));
        }
        let report = act(&plan, ctx, &owner, &ns, &self.optional).await?;
        // conflicts the plan found (the runtime reports its own): a Warning Event on transition
        let degraded = w
            .status
            .as_ref()
            .and_then(|s| conditions::find(&s.conditions, conditions::DEGRADED))
            .map(|c| (c.reason.clone(), c.message.clone()));
        for m in &plan.conflicts {
            let known = degraded
                .as_ref()
                .is_some_and(|(r, msg)| r == "Conflict" && msg.contains(m.as_str()));
            if !known {
                ctx.event(&owner, EventType::Warning, "Conflict", m.clone())
                    .await;
            }
        }
        let mut states = plan.states.clone();
        if let Some(m) = report.missing_crd.first() {
            states.insert(Component::Endpoint, State::Failed("MissingCRD", m.clone()));
        }
        let mut conflicts = plan.conflicts.clone();
        conflicts.extend(report.conflicts.iter().cloned());
        let (st, _) = status::compute_with(w, &states, plan.tls_on, &conflicts, now());
        let wake = if conflicts.is_empty() {
            plan.wake
        } else {
            Wake::OnChange
        };
        let mut out = ReconcileOutcome::with_status(&st)?;
        out.requeue_after = self.backoff.next(&key(w), fingerprint(&states), wake);
        Ok(out)
    }

    async fn cleanup(&self, obj: Option<Arc<Whisk>>, ctx: &Ctx) -> Result<(), Error> {
        let Some(w) = obj else { return Ok(()) };
        self.backoff.forget(&key(w.as_ref()));
        // a Whisk that never held the namespace wrote nothing: it removes nothing
        if namespace_holder(&w, ctx).await?.is_some() {
            return Ok(());
        }
        let ns = w.namespace().unwrap_or_else(|| "default".into());
        let owner = Owner::of(w.as_ref());
        // the api host annotation on the (unowned) cm/config
        let cms: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &ns);
        if let Some(cm) = cms
            .get_opt("config")
            .await
            .map_err(|e| Error::kube(format!("get configmap {ns}/config"), e))?
        {
            if cm.annotations().contains_key(APIHOST_ANNOTATION) {
                let remove = [(APIHOST_ANNOTATION.to_string(), None)].into();
                ctx.patch_annotations(
                    &kinds::CONFIGMAP,
                    Some(&ns),
                    "config",
                    FIELD_MANAGER,
                    &remove,
                )
                .await?;
            }
        }
        // Middlewares and Routes (optional kinds: not in the runtime's inventory)
        let served = self.optional.served(&ctx.client).await;
        let kinds_served: Vec<ChildKind> = OPTIONAL_KINDS
            .iter()
            .filter(|k| served.has(k))
            .cloned()
            .collect();
        prune_optional(ctx, &owner, &ns, &kinds_served, &[]).await?;
        // action pods created by the controller (not owned by anything we apply)
        let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), &ns);
        let list = pods
            .list(&ListParams::default().labels("user-action-pod=true"))
            .await
            .map_err(|e| Error::kube(format!("list action pods in {ns}"), e))?;
        for p in list.items {
            let name = p.name_any();
            match pods.delete(&name, &DeleteParams::default()).await {
                Ok(_) | Err(kube::Error::Api(_)) => {}
                Err(e) => return Err(Error::kube(format!("delete pod {ns}/{name}"), e)),
            }
        }
        self.release_credentials(&w, ctx, &owner, &ns).await
    }
}

impl WhiskReconciler {
    /// Deletes the generated credentials unless volumes written with them remain (see
    /// [`crate::retention`]).
    async fn release_credentials(
        &self,
        w: &Whisk,
        ctx: &Ctx,
        owner: &Owner,
        ns: &str,
    ) -> Result<(), Error> {
        let secret = generated_secret_name(&w.name_any());
        // the claim templates of every StatefulSet the Whisk may have had
        let mut all_on = w.clone();
        all_on.spec.components.couchdb = true;
        all_on.spec.components.openwhisk = true;
        let objs =
            render_offline(&all_on, &self.operator, &Generate::Placeholder).map_err(to_runtime)?;
        let templates = claim_templates(&objs);
        let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(ctx.client.clone(), ns);
        let live = pvcs
            .list(&ListParams::default())
            .await
            .map_err(|e| Error::kube(format!("list persistentvolumeclaims in {ns}"), e))?;
        let names: Vec<String> = live.items.iter().map(|p| p.name_any()).collect();
        let claims = claims_of(&templates, &names);
        if !claims.is_empty() {
            let going = |n: &String| {
                live.items.iter().any(|p| {
                    p.name_any() == *n
                        && (p.metadata.deletion_timestamp.is_some()
                            || p.owner_references().iter().any(|o| o.kind == "StatefulSet"))
                })
            };
            if pvc_policy(w) == PvcPolicy::Delete && claims.iter().all(going) {
                // Kubernetes deletes them with their StatefulSets: wait for that
                return Err(Error::CleanupPending {
                    owner: owner.key(),
                    remaining: claims.len(),
                });
            }
            ctx.event(
                owner,
                EventType::Normal,
                "Retained",
                format!(
                    "kept secret {secret}: volume claim(s) {} hold data written with its credentials",
                    claims.join(", ")
                ),
            )
            .await;
            return Ok(());
        }
        if let DeleteOutcome::Conflict(m) = ctx
            .delete_owned(owner, &kinds::SECRET, Some(ns), &secret)
            .await?
        {
            tracing::warn!(whisk = %owner.key(), message = %m, "generated secret left alone");
        }
        Ok(())
    }
}

fn now() -> k8s_openapi::jiff::Timestamp {
    let t = k8s_openapi::jiff::Timestamp::now();
    k8s_openapi::jiff::Timestamp::from_second(t.as_second()).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
