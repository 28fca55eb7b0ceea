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

//! Controller wiring for one [`Reconciler`]: watches, finalizer, status, backoff, health.
//!
//! The custom resource is watched as [`DynamicObject`] and parsed per reconcile, so a resource
//! that does not match the Rust type (e.g. the CRD was installed without its schema) becomes an
//! `InvalidSpec` condition and a Warning Event instead of breaking the watch for every object.

use crate::applier::{Applier, Owner, MANAGED_BY, MANAGED_BY_LABEL, OWNER_ANNOTATION};
use crate::context::Ctx;
use crate::health::Health;
use crate::metrics::Metrics;
use crate::reconciler::{Outcome, Reconciler};
use crate::Error;
use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::ApiResource;
use kube::runtime::controller::{self, Action, Controller};
use kube::runtime::events::{EventType, Recorder};
use kube::runtime::finalizer::{finalizer, Event as FinalizerEvent};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Client, Resource, ResourceExt};
use nuvolaris_api::conditions::{self, Desired};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The finalizer every reconciled resource carries.
pub const FINALIZER: &str = "nuvolaris.org/finalizer";

/// How a controller runs.
#[derive(Clone, Debug)]
pub struct ControllerConfig {
    /// Watch only this namespace (`None`: all namespaces).
    pub namespace: Option<String>,
    /// Maximum concurrent reconciles per controller.
    pub concurrency: u16,
    /// Periodic resync: every resource is reconciled at least this often.
    pub resync: Duration,
    /// Smallest retry delay after a failed reconcile (doubles per failure).
    pub backoff_min: Duration,
    /// Largest retry delay after a failed reconcile.
    pub backoff_max: Duration,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        Self {
            namespace: None,
            concurrency: 8,
            resync: Duration::from_secs(300),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(300),
        }
    }
}

/// What every controller of the process shares.
#[derive(Clone)]
pub struct Shared {
    /// Kubernetes client.
    pub client: Client,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// Health state.
    pub health: Health,
    /// Event recorder (one per process; it caches event series).
    pub recorder: Recorder,
}

struct State<R: Reconciler> {
    reconciler: Arc<R>,
    ctx: Ctx,
    ar: ApiResource,
    cfg: ControllerConfig,
    failures: Mutex<HashMap<String, u32>>,
}

fn key(obj: &DynamicObject) -> String {
    format!("{}/{}", obj.namespace().unwrap_or_default(), obj.name_any())
}

/// Backoff delay after `failures` consecutive failures: `min * 2^(failures-1)`, capped at `max`.
pub fn backoff_delay(failures: u32, min: Duration, max: Duration) -> Duration {
    let exp = failures.saturating_sub(1).min(20);
    min.saturating_mul(1u32 << exp).min(max)
}

/// Parses an untyped resource into the reconciler's type and validates it.
pub fn parse<R: Reconciler>(reconciler: &R, obj: &DynamicObject) -> Result<R::Resource, String> {
    let v = serde_json::to_value(obj).map_err(|e| e.to_string())?;
    let typed: R::Resource = serde_json::from_value(v).map_err(|e| e.to_string())?;
    reconciler.validate(&typed)?;
    Ok(typed)
}

/// The merge patch that turns `old` status into `new` (top-level keys removed become null).
pub fn status_patch(old: Option<&Value>, new: &Value) -> Option<Value> {
    if old == Some(new) {
        return None;
    }
    let mut patch = new.clone();
    if let (Some(Value::Object(o)), Value::Object(p)) = (old, &mut patch) {
        for k in o.keys() {
            if !p.contains_key(k) {
                p.insert(k.clone(), Value::Null);
            }
        }
    }
    Some(serde_json::json!({ "status": patch }))
}

impl<R: Reconciler> State<R> {
    fn api_for(&self, obj: &DynamicObject) -> Api<DynamicObject> {
        match obj.namespace() {
            Some(ns) => Api::namespaced_with(self.ctx.client.clone(), &ns, &self.ar),
            None => Api::all_with(self.ctx.client.clone(), &self.ar),
        }
    }

    async fn write_status(&self, obj: &DynamicObject, new: &Value) -> Result<(), Error> {
        let Some(patch) = status_patch(obj.data.get("status"), new) else {
            return Ok(());
        };
        self.api_for(obj)
            .patch_status(
                &obj.name_any(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
            .map_err(|e| {
                Error::kube(format!("patch status of {} {}", self.ar.kind, key(obj)), e)
            })?;
        self.ctx.metrics.status_written(self.ctx.controller);
        Ok(())
    }

    /// Sets conditions (Ready=False etc.) on an object whose typed status we cannot compute.
    async fn set_conditions(
        &self,
        obj: &DynamicObject,
        wanted: &[Desired<'_>],
    ) -> Result<bool, Error> {
        let old_status = obj
            .data
            .get("status")
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        let old: Vec<Condition> = old_status
            .get("conditions")
            .and_then(|c| serde_json::from_value(c.clone()).ok())
            .unwrap_or_default();
        let merged = conditions::merge(&old, wanted, obj.metadata.generation, now());
        let mut new_status = match old_status {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let mut all = old.clone();
        for c in merged {
            match all.iter_mut().find(|o| o.type_ == c.type_) {
                Some(o) => *o = c,
                None => all.push(c),
            }
        }
        new_status.insert(
            "conditions".into(),
            serde_json::to_value(&all).map_err(Error::Serialize)?,
        );
        if let Some(g) = obj.metadata.generation {
            new_status.insert("observedGeneration".into(), Value::from(g));
        }
        let new_status = Value::Object(new_status);
        let changed = obj.data.get("status") != Some(&new_status);
        self.write_status(obj, &new_status).await?;
        Ok(changed)
    }

    async fn apply(&self, obj: Arc<DynamicObject>) -> Result<Action, Error> {
        let owner = Owner::of_dynamic(&obj, &self.ar);
        let typed = match parse(&*self.reconciler, &obj) {
            Ok(t) => t,
            Err(message) => {
                self.ctx.metrics.invalid_spec(self.ctx.controller);
                tracing::warn!(controller = self.ctx.controller, object = %key(&obj), %message, "invalid spec");
                let msg = format!("invalid spec: {message}");
                let changed = self
                    .set_conditions(
                        &obj,
                        &[
                            Desired {
                                type_: conditions::READY,
                                status: conditions::FALSE,
                                reason: "InvalidSpec",
                                message: &msg,
                            },
                            Desired {
                                type_: conditions::PROGRESSING,
                                status: conditions::FALSE,
                                reason: "InvalidSpec",
                                message: &msg,
                            },
                            Desired {
                                type_: conditions::DEGRADED,
                                status: conditions::TRUE,
                                reason: "InvalidSpec",
                                message: &msg,
                            },
                        ],
                    )
                    .await?;
                if changed {
                    self.ctx
                        .event(&owner, EventType::Warning, "InvalidSpec", msg)
                        .await;
                }
                return Ok(Action::requeue(self.cfg.resync));
            }
        };
        match self.reconciler.reconcile(Arc::new(typed), &self.ctx).await {
            Ok(Outcome {
                status,
                requeue_after,
            }) => {
                if let Some(st) = status {
                    self.write_status(&obj, &st).await?;
                }
                Ok(Action::requeue(requeue_after.unwrap_or(self.cfg.resync)))
            }
            Err(e) => {
                let msg = e.to_string();
                self.ctx
                    .event(&owner, EventType::Warning, "Failed", msg.clone())
                    .await;
                let wanted = [
                    Desired {
                        type_: conditions::READY,
                        status: conditions::FALSE,
                        reason: "ReconcileFailed",
                        message: &msg,
                    },
                    Desired {
                        type_: conditions::DEGRADED,
                        status: conditions::TRUE,
                        reason: "ReconcileFailed",
                        message: &msg,
                    },
                ];
                if let Err(se) = self.set_conditions(&obj, &wanted).await {
                    tracing::debug!(error = %se, "could not record the failure in status");
                }
                Err(e)
            }
        }
    }

    async fn cleanup(&self, obj: Arc<DynamicObject>) -> Result<Action, Error> {
        let owner = Owner::of_dynamic(&obj, &self.ar);
        let remaining = self.ctx.applier.delete_all(&owner).await?;
        if !remaining.is_empty() {
            return Err(Error::CleanupPending {
                owner: owner.key(),
                remaining: remaining.len(),
            });
        }
        let typed = parse(&*self.reconciler, &obj).ok().map(Arc::new);
        self.reconciler.cleanup(typed, &self.ctx).await?;
        tracing::info!(controller = self.ctx.controller, object = %key(&obj), "cleaned up, removing finalizer");
        Ok(Action::await_change())
    }
}

fn now() -> k8s_openapi::jiff::Timestamp {
    let t = k8s_openapi::jiff::Timestamp::now();
    k8s_openapi::jiff::Timestamp::from_second(t.as_second()).unwrap_or(t)
}

async fn reconcile_one<R: Reconciler>(
    obj: Arc<DynamicObject>,
    st: Arc<State<R>>,
) -> Result<Action, Error> {
    let name = st.ctx.controller;
    let _guard = st.ctx.metrics.reconcile_started(name);
    let k = key(&obj);
    let api = st.api_for(&obj);
    let has_finalizer = obj.finalizers().iter().any(|f| f == FINALIZER);
    if !has_finalizer && obj.metadata.deletion_timestamp.is_none() {
        // Add the finalizer ourselves with a resourceVersion-guarded merge patch. kube's helper
        // would send a JSON patch `test /metadata/finalizers == null`, which the real API server
        // accepts on an absent list but strict RFC 6902 implementations reject; this works on both.
        let res = add_finalizer(&api, &obj).await;
        match &res {
            Ok(_) => st.ctx.metrics.reconcile_finished(name, "success"),
            Err(_) => st.ctx.metrics.reconcile_finished(name, "error"),
        }
        return res;
    }
    let res = finalizer(&api, FINALIZER, obj, |ev| async {
        match ev {
            FinalizerEvent::Apply(o) => st.apply(o).await,
            FinalizerEvent::Cleanup(o) => st.cleanup(o).await,
        }
    })
    .await
    .map_err(|e| Error::Finalizer(Box::new(e)));
    match &res {
        Ok(action) => {
            if let Ok(mut f) = st.failures.lock() {
                f.remove(&k);
            }
            // an explicit early requeue (e.g. workloads not ready yet) is `requeue_after`;
            // waiting for the periodic resync or a change is `success`
            let plain =
                *action == Action::requeue(st.cfg.resync) || *action == Action::await_change();
            st.ctx
                .metrics
                .reconcile_finished(name, if plain { "success" } else { "requeue_after" });
        }
        Err(_) => st.ctx.metrics.reconcile_finished(name, "error"),
    }
    res
}

async fn add_finalizer(api: &Api<DynamicObject>, obj: &DynamicObject) -> Result<Action, Error> {
    let mut finalizers = obj.finalizers().to_vec();
    finalizers.push(FINALIZER.to_string());
    let patch = serde_json::json!({
        "metadata": { "finalizers": finalizers, "resourceVersion": obj.resource_version() }
    });
    api.patch(
        &obj.name_any(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await
    .map_err(|e| Error::kube(format!("add finalizer {FINALIZER} to {}", key(obj)), e))?;
    // the patch triggers the next reconcile
    Ok(Action::await_change())
}

fn error_policy<R: Reconciler>(obj: Arc<DynamicObject>, err: &Error, st: Arc<State<R>>) -> Action {
    let k = key(&obj);
    let n = match st.failures.lock() {
        Ok(mut f) => {
            let n = f.entry(k.clone()).or_insert(0);
            *n += 1;
            *n
        }
        Err(_) => 1,
    };
    st.ctx.metrics.retry(st.ctx.controller);
    let delay = backoff_delay(n, st.cfg.backoff_min, st.cfg.backoff_max);
    tracing::warn!(controller = st.ctx.controller, object = %k, error = %err, failures = n, retry_in_ms = delay.as_millis() as u64, "reconcile failed");
    Action::requeue(delay)
}

/// Lists one object of the custom resource and of every child kind, so a missing CRD or
/// missing RBAC is reported by name instead of as a silent watch backoff.
pub async fn startup_checks<R: Reconciler>(
    reconciler: &R,
    client: &Client,
    namespace: Option<&str>,
) -> Result<(), String> {
    let ar = ApiResource::erase::<R::Resource>(&());
    let crd = format!("{}.{}", ar.plural, ar.group);
    let lp = ListParams::default().limit(1);
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    };
    match api.list_metadata(&lp).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => {
            return Err(format!("CRD {crd} is not installed (apply crds/ or `nuvolaris-operator crd | kubectl apply -f -`)"))
        }
        Err(kube::Error::Api(s)) if s.code == 403 => {
            return Err(format!("RBAC: the operator may not list {crd}: {}", s.message))
        }
        Err(e) => return Err(format!("cannot list {crd}: {e}")),
    }
    for k in reconciler.child_kinds() {
        let car = k.api_resource();
        let api: Api<DynamicObject> = match (k.namespaced, namespace) {
            (true, Some(ns)) => Api::namespaced_with(client.clone(), ns, &car),
            _ => Api::all_with(client.clone(), &car),
        };
        match api.list_metadata(&lp).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 403 => {
                return Err(format!(
                    "RBAC: the operator may not list {} ({}): {}",
                    k.plural,
                    k.api_version(),
                    s.message
                ))
            }
            Err(kube::Error::Api(s)) if s.code == 404 => {
                return Err(format!(
                    "kind {} ({}) is not served by the API server",
                    k.kind,
                    k.api_version()
                ))
            }
            Err(e) => {
                return Err(format!(
                    "cannot list {} ({}): {e}",
                    k.plural,
                    k.api_version()
                ))
            }
        }
    }
    Ok(())
}

/// Runs the controller of `reconciler` until `shutdown` resolves, then finishes in-flight
/// reconciles and returns. Startup checks must have passed (see [`startup_checks`]).
pub async fn run<R: Reconciler>(
    reconciler: Arc<R>,
    shared: Shared,
    cfg: ControllerConfig,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let name = reconciler.name();
    let client = shared.client.clone();
    let ar = ApiResource::erase::<R::Resource>(&());
    let kinds = reconciler.child_kinds();
    shared.metrics.register_controller(name, cfg.concurrency);
    let applier = Applier::new(
        client.clone(),
        name,
        kinds.clone(),
        shared.metrics.clone(),
        shared.recorder.clone(),
    );
    let ctx = Ctx {
        client: client.clone(),
        controller: name,
        applier,
        recorder: shared.recorder.clone(),
        metrics: shared.metrics.clone(),
    };
    let st = Arc::new(State {
        reconciler,
        ctx,
        ar: ar.clone(),
        cfg: cfg.clone(),
        failures: Mutex::new(HashMap::new()),
    });

    let main_api: Api<DynamicObject> = match &cfg.namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    };
    let child_wc = watcher::Config::default().labels(&format!("{MANAGED_BY_LABEL}={MANAGED_BY}"));
    let mut controller = Controller::new_with(main_api, watcher::Config::default(), ar.clone());
    for k in &kinds {
        let car = k.api_resource();
        let api: Api<DynamicObject> = match (&cfg.namespace, k.namespaced) {
            (Some(ns), true) => Api::namespaced_with(client.clone(), ns, &car),
            _ => Api::all_with(client.clone(), &car),
        };
        if k.namespaced {
            controller = controller.owns_with(api, car, child_wc.clone());
        } else {
            let owner_prefix = format!("{}.{}/", ar.kind, ar.group);
            controller =
                controller.watches_with(api, car, child_wc.clone(), move |o: DynamicObject| {
                    let v = o
                        .annotations()
                        .get(OWNER_ANNOTATION)?
                        .strip_prefix(&owner_prefix)?
                        .to_string();
                    let (ns, n) = v.split_once('/')?;
                    Some(
                        ObjectRef::<DynamicObject>::new_with(
                            n,
                            ApiResource::erase::<R::Resource>(&()),
                        )
                        .within(ns),
                    )
                });
        }
    }
    if let Some(w) = st.reconciler.wakeup() {
        controller = controller.reconcile_all_on(w.stream());
    }
    let store = controller.store();
    let health = shared.health.clone();
    health.running(name, true);
    let h2 = health.clone();
    tokio::spawn(async move {
        // kube-runtime's readiness signal keeps a single waker and the controller waits on it
        // too, so a second waiter may never be woken: poll it with a short timeout instead.
        loop {
            match tokio::time::timeout(Duration::from_millis(100), store.wait_until_ready()).await {
                Ok(Ok(())) => {
                    tracing::info!(controller = name, "initial list done");
                    h2.synced(name);
                    break;
                }
                Ok(Err(e)) => {
                    tracing::warn!(controller = name, error = %e, "store never became ready");
                    break;
                }
                Err(_) => continue,
            }
        }
    });
    let cc = controller::Config::default()
        .concurrency(cfg.concurrency)
        .debounce(Duration::from_millis(50));
    controller
        .with_config(cc)
        .graceful_shutdown_on(async move {
            let mut rx = shutdown;
            while !*rx.borrow_and_update() {
                if rx.changed().await.is_err() {
                    break;
                }
            }
        })
        .run(reconcile_one::<R>, error_policy::<R>, st)
        .for_each(|res| {
            let health = health.clone();
            async move {
                match res {
                    Ok((o, _)) => tracing::debug!(controller = name, object = %o, "reconciled"),
                    Err(controller::Error::ObjectNotFound(o)) => tracing::debug!(controller = name, object = %o, "gone"),
                    Err(controller::Error::ReconcilerFailed(e, o)) => {
                        tracing::debug!(controller = name, object = %o, error = %e, "reconcile failed")
                    }
                    Err(controller::Error::QueueError(e)) => {
                        health.watch_error(name);
                        tracing::warn!(controller = name, error = %e, "watch failed");
                    }
                    Err(e) => tracing::warn!(controller = name, error = %e, "controller error"),
                }
            }
        })
        .await;
    health.running(name, false);
}

/// Ensures `K`'s type is usable as an owner in the ObjectRef mapping above.
#[allow(dead_code)]
fn _assert_resource<K: Resource<DynamicType = ()>>() {}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case(1, 500)]
    #[case(2, 1000)]
    #[case(4, 4000)]
    #[case(30, 300_000)]
    fn backoff_doubles_and_caps(#[case] n: u32, #[case] ms: u64) {
        assert_eq!(
            backoff_delay(n, Duration::from_millis(500), Duration::from_secs(300)),
            Duration::from_millis(ms)
        );
    }

    #[rstest]
    #[case(Some(json!({"a": 1})), json!({"a": 1}), None)]
    #[case(None, json!({"a": 1}), Some(json!({"status": {"a": 1}})))]
    #[case(Some(json!({"a": 1, "b": 2})), json!({"a": 2}), Some(json!({"status": {"a": 2, "b": null}})))]
    fn status_patch_skips_identical(
        #[case] old: Option<Value>,
        #[case] new: Value,
        #[case] want: Option<Value>,
    ) {
        assert_eq!(status_patch(old.as_ref(), &new), want);
    }
}
