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
//!
//! The least work per change (see [`crate::cache`]): every watch feeds a store the reconciler
//! and the applier read from, and a change filter, so only changes the reconciler reads cause a
//! reconcile; a Sample costs one reconcile when it is created (finalizer, apply, status, Event)
//! and one when its Deployment becomes ready (status). The finalizer is added in the same
//! reconcile that applies.
//!
//! Bounded recovery: a failed watch is retried after [`crate::cache::WATCH_BACKOFF_MIN`]
//! doubling to [`crate::cache::WATCH_BACKOFF_MAX`] (5 s), a failed reconcile after
//! [`ControllerConfig::backoff_min`] doubling to [`ControllerConfig::backoff_max`] (1 s to
//! 30 s), both jittered; so once faults stop, every object is reconciled again within about
//! 35 s plus the time of the reconcile itself.
//!
//! A namespace being deleted refuses new objects (403 `NamespaceTerminating`): the reconciler
//! then stops applying for owners there and waits for their deletion, without counting an
//! error or logging a warning.

use crate::applier::{Applier, Owner, MANAGED_BY, MANAGED_BY_LABEL, OWNER_ANNOTATION};
use crate::cache::{self, jitter, owner_fingerprint, ChildCache, Seen, WatchBackoff};
use crate::conditions::{self, now, Desired};
use crate::context::Ctx;
use crate::error::Error;
use crate::health::Health;
use crate::metrics::Metrics;
use crate::reconciler::{ReconcileOutcome, Reconciler};
use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::ApiResource;
use kube::runtime::controller::{self, Action, Controller};
use kube::runtime::events::{EventType, Recorder};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The finalizer every reconciled resource carries.
pub const FINALIZER: &str = "nuvolaris.org/finalizer";

/// Default of [`ControllerConfig::concurrency`] (and of the binary's `--concurrency`).
///
/// A reconcile is I/O-bound: a few API round trips (apply, status, Event) of 10-100 ms each on
/// a loaded API server against well under a millisecond of CPU. With 8 workers a burst of
/// 1,000 Samples queued behind ~100 ms reconciles (p99 55 s); 32 in flight keep up with a
/// burst of tens of creations a second while staying well inside the share of API server
/// seats (APF) a single client gets, and cost only memory for idle tasks.
pub const DEFAULT_CONCURRENCY: u16 = 32;

/// How long a namespace found terminating stops applies there before one is tried again
/// (a namespace of the same name may be created afterwards).
pub const TERMINATING_HOLD: Duration = Duration::from_secs(60);

/// How soon cleanup looks again while deleted children are still present (e.g. held by their
/// own finalizers).
pub const CLEANUP_RECHECK: Duration = Duration::from_secs(1);

/// How a controller runs.
#[derive(Clone, Debug)]
pub struct ControllerConfig {
    /// Watch only this namespace (`None`: all namespaces).
    pub namespace: Option<String>,
    /// Maximum concurrent reconciles per controller (see [`DEFAULT_CONCURRENCY`]).
    pub concurrency: u16,
    /// Periodic resync: every resource is reconciled at least this often.
    pub resync: Duration,
    /// Smallest retry delay after a failed reconcile (doubles per failure, jittered).
    pub backoff_min: Duration,
    /// Largest retry delay after a failed reconcile: after faults stop, a failed object is
    /// retried within this long.
    pub backoff_max: Duration,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        Self {
            namespace: None,
            concurrency: DEFAULT_CONCURRENCY,
            resync: Duration::from_secs(300),
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
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

/// The last status this process wrote for an object: (uid, status, resourceVersion after it).
type StatusMemo = (Option<String>, Value, Option<String>);

struct State<R: Reconciler> {
    reconciler: Arc<R>,
    ctx: Ctx,
    ar: ApiResource,
    cfg: ControllerConfig,
    failures: Mutex<HashMap<String, u32>>,
    /// The main watch's change filter (to record the finalizer patch).
    seen: Seen,
    /// Namespaces found terminating, and when.
    terminating: Mutex<HashMap<String, Instant>>,
    /// Statuses written, newer than the cache may be yet.
    statuses: Mutex<HashMap<String, StatusMemo>>,
}

fn key(obj: &DynamicObject) -> String {
    format!("{}/{}", obj.namespace().unwrap_or_default(), obj.name_any())
}

/// Backoff delay after `failures` consecutive failures: `min * 2^(failures-1)`, capped at `max`
/// (the error policy jitters it into `[delay/2, delay]`).
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

/// Whether resourceVersion `a` is newer than `b` (both numeric, as every API server we know
/// writes them; anything else counts as not newer, so the cache is trusted).
fn rv_newer(a: Option<&str>, b: Option<&str>) -> bool {
    match (
        a.and_then(|a| a.parse::<u64>().ok()),
        b.and_then(|b| b.parse::<u64>().ok()),
    ) {
        (Some(a), Some(b)) => a > b,
        _ => false,
    }
}

fn has_finalizer(obj: &DynamicObject) -> bool {
    obj.finalizers().iter().any(|f| f == FINALIZER)
}

impl<R: Reconciler> State<R> {
    fn api_for(&self, obj: &DynamicObject) -> Api<DynamicObject> {
        match obj.namespace() {
            Some(ns) => Api::namespaced_with(self.ctx.client.clone(), &ns, &self.ar),
            None => Api::all_with(self.ctx.client.clone(), &self.ar),
        }
    }

    /// `obj` with the last status this process wrote, when the cache has not seen it yet.
    fn with_fresh_status(&self, obj: Arc<DynamicObject>) -> Arc<DynamicObject> {
        let memo = self.statuses.lock().ok().and_then(|mut m| {
            let k = key(&obj);
            let fresher = m.get(&k).is_some_and(|(uid, _, rv)| {
                *uid == obj.metadata.uid
                    && rv_newer(rv.as_deref(), obj.metadata.resource_version.as_deref())
            });
            // once the cache has caught up, the memo is not needed any more
            if fresher {
                m.get(&k).cloned()
            } else {
                m.remove(&k)
            }
        });
        match memo {
            Some((uid, status, rv))
                if uid == obj.metadata.uid
                    && rv_newer(rv.as_deref(), obj.metadata.resource_version.as_deref()) =>
            {
                let mut o = (*obj).clone();
                if let Value::Object(m) = &mut o.data {
                    m.insert("status".into(), status);
                }
                Arc::new(o)
            }
            _ => obj,
        }
    }

    async fn write_status(&self, obj: &DynamicObject, new: &Value) -> Result<(), Error> {
        let Some(patch) = status_patch(obj.data.get("status"), new) else {
            return Ok(());
        };
        let written = self
            .api_for(obj)
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
        if let Ok(mut m) = self.statuses.lock() {
            m.insert(
                key(obj),
                (
                    obj.metadata.uid.clone(),
                    new.clone(),
                    written.metadata.resource_version,
                ),
            );
        }
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
        let obj = self.with_fresh_status(obj);
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
            Ok(ReconcileOutcome {
                status,
                requeue_after,
            }) => {
                if let Some(st) = status {
                    self.write_status(&obj, &st).await?;
                }
                Ok(Action::requeue(requeue_after.unwrap_or(self.cfg.resync)))
            }
            Err(e) if e.is_namespace_terminating() => Err(e),
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

    /// Deletion: delete the inventory, run the reconciler's cleanup, remove the finalizer.
    async fn cleanup(&self, obj: Arc<DynamicObject>) -> Result<Action, Error> {
        let owner = Owner::of_dynamic(&obj, &self.ar);
        let remaining = self.ctx.applier.delete_all(&owner).await?;
        if !remaining.is_empty() {
            tracing::debug!(controller = self.ctx.controller, object = %key(&obj), remaining = remaining.len(), "cleanup waits for deleted children to disappear");
            return Ok(Action::requeue(CLEANUP_RECHECK));
        }
        let typed = parse(&*self.reconciler, &obj).ok().map(Arc::new);
        match self.reconciler.cleanup(typed, &self.ctx).await {
            Err(Error::CleanupPending { remaining, .. }) => {
                tracing::debug!(controller = self.ctx.controller, object = %key(&obj), remaining, "the reconciler's cleanup waits for objects to disappear");
                return Ok(Action::requeue(CLEANUP_RECHECK));
            }
            other => other?,
        }
        self.patch_finalizers(&obj, false).await?;
        if let Ok(mut m) = self.statuses.lock() {
            m.remove(&key(&obj));
        }
        tracing::info!(controller = self.ctx.controller, object = %key(&obj), "cleaned up, finalizer removed");
        Ok(Action::await_change())
    }

    /// Adds (`add`) or removes the runtime's finalizer with a resourceVersion-guarded merge
    /// patch, reading the object again once if it changed meanwhile. kube's helper would send a
    /// JSON patch `test /metadata/finalizers == null`, which the real API server accepts on an
    /// absent list but strict RFC 6902 implementations reject; this works on both. Returns the
    /// patched object (`None` when it is gone).
    async fn patch_finalizers(
        &self,
        obj: &DynamicObject,
        add: bool,
    ) -> Result<Option<DynamicObject>, Error> {
        let api = self.api_for(obj);
        let what = if add { "add" } else { "remove" };
        let mut current = obj.clone();
        for attempt in 0..2 {
            let mut finalizers: Vec<String> = current
                .finalizers()
                .iter()
                .filter(|f| *f != FINALIZER)
                .cloned()
                .collect();
            if add {
                finalizers.push(FINALIZER.to_string());
            }
            let patch = serde_json::json!({
                "metadata": { "finalizers": finalizers, "resourceVersion": current.resource_version() }
            });
            match api
                .patch(
                    &current.name_any(),
                    &PatchParams::default(),
                    &Patch::Merge(&patch),
                )
                .await
            {
                Ok(o) => return Ok(Some(o)),
                Err(kube::Error::Api(s)) if s.is_not_found() => return Ok(None),
                Err(kube::Error::Api(s)) if s.is_conflict() && attempt == 0 => {
                    match api.get_opt(&current.name_any()).await {
                        Ok(Some(fresh)) => current = fresh,
                        Ok(None) => return Ok(None),
                        Err(e) => {
                            return Err(Error::kube(
                                format!("{what} finalizer {FINALIZER} on {}", key(obj)),
                                e,
                            ))
                        }
                    }
                    if add == has_finalizer(&current) {
                        return Ok(Some(current));
                    }
                }
                Err(e) => {
                    return Err(Error::kube(
                        format!("{what} finalizer {FINALIZER} on {}", key(obj)),
                        e,
                    ))
                }
            }
        }
        Err(Error::Reconciler(format!(
            "{what} finalizer {FINALIZER} on {}: the object keeps changing",
            key(obj)
        )))
    }

    fn namespace_terminating(&self, obj: &DynamicObject) -> bool {
        let Some(ns) = obj.namespace() else {
            return false;
        };
        let Ok(mut m) = self.terminating.lock() else {
            return false;
        };
        match m.get(&ns) {
            Some(t) if t.elapsed() < TERMINATING_HOLD => true,
            Some(_) => {
                m.remove(&ns);
                false
            }
            None => false,
        }
    }

    fn mark_terminating(&self, obj: &DynamicObject) {
        if let (Some(ns), Ok(mut m)) = (obj.namespace(), self.terminating.lock()) {
            m.insert(ns, Instant::now());
        }
    }

    /// One reconcile: cleanup when deleting, else finalizer (same pass) and apply.
    async fn reconcile(&self, obj: Arc<DynamicObject>) -> Result<Action, Error> {
        if obj.metadata.deletion_timestamp.is_some() {
            if !has_finalizer(&obj) {
                return Ok(Action::await_change());
            }
            return self.cleanup(obj).await;
        }
        if self.namespace_terminating(&obj) {
            tracing::debug!(controller = self.ctx.controller, object = %key(&obj), "namespace is terminating: waiting for deletion");
            return Ok(Action::await_change());
        }
        let obj = if has_finalizer(&obj) {
            obj
        } else {
            // record the patch's outcome before sending it, so its watch event (which may
            // arrive before the response) does not wake this object again
            let mut expected = (*obj).clone();
            expected.finalizers_mut().push(FINALIZER.to_string());
            self.seen
                .observe(&expected, owner_fingerprint(&expected, FINALIZER));
            match self.patch_finalizers(&obj, true).await? {
                Some(patched) => {
                    let mut stripped = patched;
                    cache::strip(&mut stripped);
                    // the watch event of this patch carries nothing new
                    self.seen
                        .observe(&stripped, owner_fingerprint(&stripped, FINALIZER));
                    Arc::new(stripped)
                }
                None => return Ok(Action::await_change()),
            }
        };
        match self.apply(obj.clone()).await {
            Err(e) if e.is_namespace_terminating() => {
                self.mark_terminating(&obj);
                tracing::debug!(controller = self.ctx.controller, object = %key(&obj), "namespace is terminating: stopped applying, waiting for deletion");
                Ok(Action::await_change())
            }
            res => res,
        }
    }
}

async fn reconcile_one<R: Reconciler>(
    obj: Arc<DynamicObject>,
    st: Arc<State<R>>,
) -> Result<Action, Error> {
    let name = st.ctx.controller;
    let _guard = st.ctx.metrics.reconcile_started(name);
    let k = key(&obj);
    let res = st.reconcile(obj).await;
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
    let delay = jitter(backoff_delay(n, st.cfg.backoff_min, st.cfg.backoff_max));
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

/// The owners of a child: its ownerReferences of the owner's kind (same namespace) or, for a
/// child that cannot carry one, the owner annotation.
fn owners_of(child: &DynamicObject, ar: &ApiResource) -> Vec<ObjectRef<DynamicObject>> {
    let mut out: Vec<ObjectRef<DynamicObject>> = child
        .owner_references()
        .iter()
        .filter(|o| o.api_version == ar.api_version && o.kind == ar.kind)
        .map(|o| {
            let r = ObjectRef::new_with(&o.name, ar.clone());
            match child.namespace() {
                Some(ns) => r.within(&ns),
                None => r,
            }
        })
        .collect();
    if out.is_empty() {
        let prefix = format!("{}.{}/", ar.kind, ar.group);
        if let Some((ns, n)) = child
            .annotations()
            .get(OWNER_ANNOTATION)
            .and_then(|v| v.strip_prefix(&prefix))
            .and_then(|v| v.split_once('/'))
        {
            let r = ObjectRef::new_with(n, ar.clone());
            out.push(if ns.is_empty() { r } else { r.within(ns) });
        }
    }
    out
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

    let main_api: Api<DynamicObject> = match &cfg.namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    };
    let (main, main_changes) = cache::watch(
        main_api,
        watcher::Config::default(),
        ar.clone(),
        cache::strip,
        |o: &DynamicObject| owner_fingerprint(o, FINALIZER),
    );
    let mut controller = Controller::for_stream_with(main_changes, main.store.clone(), ar.clone())
        .trigger_backoff(WatchBackoff::default());
    let child_wc = watcher::Config::default().labels(&format!("{MANAGED_BY_LABEL}={MANAGED_BY}"));
    let mut caches = Vec::new();
    for k in &kinds {
        let car = k.api_resource();
        let api: Api<DynamicObject> = match (&cfg.namespace, k.namespaced) {
            (Some(ns), true) => Api::namespaced_with(client.clone(), ns, &car),
            _ => Api::all_with(client.clone(), &car),
        };
        let r = reconciler.clone();
        let kind = k.clone();
        let summary: Arc<dyn Fn(&DynamicObject) -> Value + Send + Sync> =
            Arc::new(move |o: &DynamicObject| r.child_summary(&kind, o));
        let s2 = summary.clone();
        let (c, changes) =
            cache::watch(api, child_wc.clone(), car.clone(), cache::lean, move |o| {
                cache::child_fingerprint(o, &s2(o))
            });
        caches.push(ChildCache {
            kind: k.clone(),
            cache: c,
            summary,
        });
        let owner_ar = ar.clone();
        controller =
            controller.watches_stream_with(changes, move |o| owners_of(&o, &owner_ar), car);
    }
    let (retrigger_tx, retrigger_rx) = tokio::sync::mpsc::unbounded_channel();
    let owner_ar = ar.clone();
    controller = controller.reconcile_on(
        tokio_stream::wrappers::UnboundedReceiverStream::new(retrigger_rx).map(
            move |(ns, n): (Option<String>, String)| {
                let r = ObjectRef::new_with(&n, owner_ar.clone());
                match ns {
                    Some(ns) => r.within(&ns),
                    None => r,
                }
            },
        ),
    );
    let applier = Applier::new(
        client.clone(),
        name,
        kinds.clone(),
        shared.metrics.clone(),
        shared.recorder.clone(),
    )
    .with_caches(caches)
    .with_retrigger(retrigger_tx);
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
        seen: main.seen.clone(),
        terminating: Mutex::new(HashMap::new()),
        statuses: Mutex::new(HashMap::new()),
    });

    if let Some(w) = st.reconciler.wakeup() {
        controller = controller.reconcile_all_on(w.stream());
    }
    let health = shared.health.clone();
    health.running(name, true);
    let h2 = health.clone();
    tokio::spawn(async move {
        if main.wait_ready_forever().await {
            tracing::info!(controller = name, "initial list done");
            h2.synced(name);
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
    #[case(Some("12"), Some("9"), true)]
    #[case(Some("9"), Some("12"), false)]
    #[case(Some("9"), Some("9"), false)]
    #[case(Some("abc"), Some("9"), false)]
    #[case(None, Some("9"), false)]
    fn rv_newer_compares_numbers(
        #[case] a: Option<&str>,
        #[case] b: Option<&str>,
        #[case] want: bool,
    ) {
        assert_eq!(rv_newer(a, b), want);
    }

    #[test]
    fn children_map_to_their_owner() {
        let ar = ApiResource::erase::<k8s_openapi::api::core::v1::ConfigMap>(&());
        let by_ref: DynamicObject = serde_json::from_value(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "namespace": "n", "ownerReferences": [
                {"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": "u", "controller": true},
                {"apiVersion": "v1", "kind": "Secret", "name": "x", "uid": "v"}]}}))
        .unwrap();
        let owners = owners_of(&by_ref, &ar);
        assert_eq!(owners.len(), 1);
        assert_eq!(
            (owners[0].name.as_str(), owners[0].namespace.as_deref()),
            ("o", Some("n"))
        );
        let by_annotation: DynamicObject =
            serde_json::from_value(json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "x", "annotations": {OWNER_ANNOTATION: "ConfigMap./team/o"}}}))
            .unwrap();
        let owners = owners_of(&by_annotation, &ar);
        assert_eq!(
            (owners[0].name.as_str(), owners[0].namespace.as_deref()),
            ("o", Some("team"))
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
