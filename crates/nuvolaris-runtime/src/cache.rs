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

//! Watch caches and change filters: what the runtime reads instead of fresh GETs, and which
//! watch events are worth a reconcile.
//!
//! Every watched object (the custom resources and their children) goes through a reflector
//! store with `managedFields` and the `last-applied-configuration` annotation stripped (nothing
//! here reads them; they are most of an object's size). After the store, a change filter keeps,
//! per object, a fingerprint of what the reconciler reads and drops events that leave it equal:
//! - a custom resource: `generation`, labels, annotations, deletion, and whether it carries the
//!   runtime's finalizer ([`owner_fingerprint`]); its status (which the runtime writes) is not in it;
//! - a child: `generation`, labels, annotations, ownerReferences and the reconciler's summary of
//!   it ([`crate::Reconciler::child_summary`], e.g. a Deployment's readiness), see
//!   [`child_fingerprint`]; status noise and resourceVersion bumps are not in it.
//!
//! The applier records the fingerprint of every object its writes return ([`Seen::observe`]),
//! so the watch event echoing the runtime's own write does not trigger another reconcile.
//! After a re-list (watch expired or reconnected), objects that vanished while the watch was
//! down are passed on as if deleted, so their owners still look again.

use crate::child_kind::ChildKind;
use futures::{stream, Stream, StreamExt};
use kube::api::DynamicObject;
use kube::runtime::reflector::{store::Writer, ObjectRef, Store};
use kube::runtime::utils::Backoff;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::{Api, ResourceExt};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// The annotation `kubectl apply` (client side) stores; dropped from cached objects.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Smallest delay before a failed watch is retried.
pub const WATCH_BACKOFF_MIN: Duration = Duration::from_millis(500);
/// Largest delay before a failed watch is retried: once faults stop, every watch is back
/// within this long (plus one list), so convergence after faults is bounded by it plus the
/// reconcile error backoff cap ([`crate::ControllerConfig::backoff_max`]).
pub const WATCH_BACKOFF_MAX: Duration = Duration::from_secs(5);
/// A watch that has run this long without an error starts again from [`WATCH_BACKOFF_MIN`].
pub const WATCH_BACKOFF_RESET: Duration = Duration::from_secs(30);

/// `delay` with equal jitter: uniformly in `[delay/2, delay]`, so retries of many objects
/// (or many watches) after one fault spread out instead of arriving together.
pub fn jitter(delay: Duration) -> Duration {
    let half = delay / 2;
    let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(if nanos == 0 {
        0
    } else {
        rand::random_range(0..=nanos)
    })
}

/// The watch backoff: [`WATCH_BACKOFF_MIN`] doubling to [`WATCH_BACKOFF_MAX`], jittered, reset
/// after [`WATCH_BACKOFF_RESET`] without errors (kube-runtime's default grows to 30 s).
#[derive(Clone, Debug)]
pub struct WatchBackoff {
    next: Duration,
    last: Option<tokio::time::Instant>,
}

impl Default for WatchBackoff {
    fn default() -> Self {
        Self {
            next: WATCH_BACKOFF_MIN,
            last: None,
        }
    }
}

impl Iterator for WatchBackoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let now = tokio::time::Instant::now();
        if self
            .last
            .is_some_and(|l| now.duration_since(l) > WATCH_BACKOFF_RESET)
        {
            self.next = WATCH_BACKOFF_MIN;
        }
        self.last = Some(now);
        let d = self.next;
        self.next = (self.next * 2).min(WATCH_BACKOFF_MAX);
        Some(jitter(d))
    }
}

impl Backoff for WatchBackoff {
    fn reset(&mut self) {
        self.next = WATCH_BACKOFF_MIN;
        self.last = None;
    }
}

/// Drops what the runtime never reads from a watched object (`managedFields`, the
/// `last-applied-configuration` annotation), to keep the caches small.
pub fn strip(obj: &mut DynamicObject) {
    obj.metadata.managed_fields = None;
    if let Some(a) = obj.metadata.annotations.as_mut() {
        a.remove(LAST_APPLIED_ANNOTATION);
    }
}

/// The synthetic annotation a child cache keeps its [`content_fingerprint`] in (computed from
/// the full object when it is stored, see [`lean`]); never sent to the API server.
pub const CONTENT_ANNOTATION: &str = "nuvolaris.org/cached-content-fingerprint";

/// What a child cache keeps of a watched child: its metadata (stripped, see [`strip`]), its
/// `status` and `spec.replicas` (what readiness reads), plus the [`content_fingerprint`] of the
/// full object in [`CONTENT_ANNOTATION`]. The rest of the spec (a pod template is most of a
/// Deployment) is dropped: drift shows as a different content fingerprint, and the applier
/// writes whenever it has no proof (memo or identical fingerprint) that the child is unchanged.
pub fn lean(obj: &mut DynamicObject) {
    strip(obj);
    let fp = content_fingerprint(obj);
    let mut data = serde_json::Map::new();
    if let Some(r) = obj.data.pointer("/spec/replicas") {
        data.insert("spec".into(), serde_json::json!({ "replicas": r }));
    }
    if let Some(st) = obj.data.get_mut("status") {
        data.insert("status".into(), st.take());
    }
    obj.data = Value::Object(data);
    obj.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(CONTENT_ANNOTATION.into(), fp.to_string());
}

/// `obj` as JSON without the runtime's synthetic [`CONTENT_ANNOTATION`].
pub fn to_value_unmarked(obj: &DynamicObject) -> serde_json::Result<Value> {
    let mut v = serde_json::to_value(obj)?;
    if let Some(a) = v
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        a.remove(CONTENT_ANNOTATION);
        if a.is_empty() {
            if let Some(m) = v["metadata"].as_object_mut() {
                m.remove("annotations");
            }
        }
    }
    Ok(v)
}

/// Hashes a JSON value with object keys in sorted order, so two serializations of the same
/// object (watch event, apply response) hash alike.
fn hash_json(v: &Value, h: &mut DefaultHasher) {
    match v {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Number(n) => (2u8, n.to_string()).hash(h),
        Value::String(s) => (3u8, s).hash(h),
        Value::Array(a) => {
            (4u8, a.len()).hash(h);
            for x in a {
                hash_json(x, h);
            }
        }
        Value::Object(m) => {
            (5u8, m.len()).hash(h);
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                k.hash(h);
                hash_json(&m[k], h);
            }
        }
    }
}

fn hash_serialized<T: serde::Serialize>(v: &T, h: &mut DefaultHasher) {
    hash_json(&serde_json::to_value(v).unwrap_or(Value::Null), h);
}

fn hash_meta(obj: &DynamicObject, h: &mut DefaultHasher) {
    obj.metadata.uid.hash(h);
    obj.metadata.generation.hash(h);
    obj.metadata.labels.hash(h);
    let mut ann = obj.metadata.annotations.clone().unwrap_or_default();
    ann.remove(LAST_APPLIED_ANNOTATION);
    ann.remove(CONTENT_ANNOTATION);
    ann.hash(h);
    hash_serialized(&obj.metadata.owner_references, h);
}

/// Fingerprint of a custom resource for the change filter: generation, labels, annotations,
/// deletion and whether it carries `finalizer`. Status writes and resourceVersion bumps leave
/// it equal.
pub fn owner_fingerprint(obj: &DynamicObject, finalizer: &str) -> u64 {
    let mut h = DefaultHasher::new();
    hash_meta(obj, &mut h);
    obj.metadata.deletion_timestamp.is_some().hash(&mut h);
    obj.finalizers().iter().any(|f| f == finalizer).hash(&mut h);
    h.finish()
}

/// Fingerprint of a child for the change filter: generation, labels, annotations,
/// ownerReferences and `summary` (what the reconciler reads of the child's status).
pub fn child_fingerprint(obj: &DynamicObject, summary: &Value) -> u64 {
    let mut h = DefaultHasher::new();
    hash_meta(obj, &mut h);
    hash_json(summary, &mut h);
    h.finish()
}

/// Fingerprint of an object's content for classifying an apply: uid, generation, labels,
/// annotations, ownerReferences and every top-level field except `status` (so a cached object
/// and an apply response compare equal unless the apply changed the object, whatever the
/// server canonicalised or defaulted). A cached child ([`lean`]) answers the fingerprint its
/// full object had.
pub fn content_fingerprint(obj: &DynamicObject) -> u64 {
    if let Some(fp) = obj
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(CONTENT_ANNOTATION))
        .and_then(|f| f.parse().ok())
    {
        return fp;
    }
    let mut h = DefaultHasher::new();
    hash_meta(obj, &mut h);
    if let Value::Object(m) = &obj.data {
        let mut keys: Vec<&String> = m.keys().filter(|k| *k != "status").collect();
        keys.sort();
        for k in keys {
            k.hash(&mut h);
            hash_json(&m[k], &mut h);
        }
    }
    h.finish()
}

/// `(namespace, name)` of a watched object.
pub type ObjKey = (Option<String>, String);

fn obj_key(obj: &DynamicObject) -> ObjKey {
    (obj.metadata.namespace.clone(), obj.name_any())
}

/// Just what maps a child back to its owner (for a deletion noticed at re-list).
fn skeleton(obj: &DynamicObject) -> DynamicObject {
    let meta = kube::core::ObjectMeta {
        name: obj.metadata.name.clone(),
        namespace: obj.metadata.namespace.clone(),
        owner_references: obj.metadata.owner_references.clone(),
        annotations: obj.metadata.annotations.clone(),
        ..Default::default()
    };
    DynamicObject {
        types: obj.types.clone(),
        metadata: meta,
        data: Value::Null,
    }
}

/// Events held while a write of ours to that object is in flight: (resourceVersion, fingerprint).
type Held = HashMap<ObjKey, Vec<(Option<String>, u64)>>;

/// The last fingerprint seen per object of one watch, shared by its change filter and the
/// applier (which records the objects its writes return).
///
/// While the applier writes an object ([`Seen::begin`] .. [`Seen::finish`]), watch events of
/// that object are held back instead of passed on: the echo of the write can arrive before
/// its response. When the response arrives, held events it covers (not newer) are dropped;
/// a newer held event that changes the fingerprint makes `finish` return true, and the
/// caller has the owner reconciled again.
#[derive(Clone, Default)]
pub struct Seen {
    last: Arc<Mutex<HashMap<ObjKey, (u64, DynamicObject)>>>,
    held: Arc<Mutex<Held>>,
}

fn rv_num(rv: Option<&str>) -> Option<u64> {
    rv.and_then(|r| r.parse().ok())
}

impl Seen {
    /// Records `fp` for `obj`; returns whether it differs from the last one recorded.
    pub fn observe(&self, obj: &DynamicObject, fp: u64) -> bool {
        let Ok(mut m) = self.last.lock() else {
            return true;
        };
        match m.get_mut(&obj_key(obj)) {
            Some((old, _)) if *old == fp => false,
            Some(e) => {
                e.0 = fp;
                e.1 = skeleton(obj);
                true
            }
            None => {
                m.insert(obj_key(obj), (fp, skeleton(obj)));
                true
            }
        }
    }

    /// A write to `namespace/name` starts: hold its watch events until [`Seen::finish`].
    pub fn begin(&self, namespace: Option<&str>, name: &str) {
        if let Ok(mut h) = self.held.lock() {
            h.entry((namespace.map(str::to_string), name.to_string()))
                .or_default();
        }
    }

    /// The write started by [`Seen::begin`] returned `obj` (fingerprint `fp`), or failed
    /// (`None`, for object `namespace/name`). Returns whether an event held meanwhile is newer
    /// than the response and changes the fingerprint (the owner must look again).
    pub fn finish(
        &self,
        namespace: Option<&str>,
        name: &str,
        obj: Option<(&DynamicObject, u64)>,
    ) -> bool {
        let key = (namespace.map(str::to_string), name.to_string());
        let held = self
            .held
            .lock()
            .ok()
            .and_then(|mut h| h.remove(&key))
            .unwrap_or_default();
        let Some((obj, fp)) = obj else {
            // nothing written: whatever was held may matter
            return !held.is_empty();
        };
        self.observe(obj, fp);
        let rv = rv_num(obj.metadata.resource_version.as_deref());
        held.iter().any(|(erv, efp)| {
            *efp != fp && (rv.is_none() || rv_num(erv.as_deref()).is_none_or(|e| Some(e) > rv))
        })
    }

    /// Holds `obj`'s event if a write to it is in flight; returns whether it was held.
    fn hold(&self, obj: &DynamicObject, fp: u64) -> bool {
        let Ok(mut h) = self.held.lock() else {
            return false;
        };
        match h.get_mut(&obj_key(obj)) {
            Some(v) => {
                v.push((obj.metadata.resource_version.clone(), fp));
                true
            }
            None => false,
        }
    }

    fn forget(&self, obj: &DynamicObject) {
        if let Ok(mut m) = self.last.lock() {
            m.remove(&obj_key(obj));
        }
    }

    /// Forgets every object not in `present`, returning their skeletons.
    fn retain(&self, present: &HashSet<ObjKey>) -> Vec<DynamicObject> {
        let Ok(mut m) = self.last.lock() else {
            return Vec::new();
        };
        let gone: Vec<ObjKey> = m
            .keys()
            .filter(|k| !present.contains(*k))
            .cloned()
            .collect();
        gone.into_iter()
            .filter_map(|k| m.remove(&k).map(|(_, o)| o))
            .collect()
    }

    /// Number of objects tracked.
    pub fn len(&self) -> usize {
        self.last.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Filters a reflected watch stream down to the objects whose fingerprint changed (plus
/// deletions, and objects that vanished during a re-list), recording fingerprints in `seen`.
pub fn changes<S, F>(
    events: S,
    seen: Seen,
    fingerprint: F,
) -> impl Stream<Item = Result<DynamicObject, watcher::Error>> + Send
where
    S: Stream<Item = Result<Event<DynamicObject>, watcher::Error>> + Send,
    F: Fn(&DynamicObject) -> u64 + Send + 'static,
{
    let mut listing: Option<HashSet<ObjKey>> = None;
    events.flat_map(move |ev| {
        let out: Vec<Result<DynamicObject, watcher::Error>> = match ev {
            Err(e) => vec![Err(e)],
            Ok(Event::Init) => {
                listing = Some(HashSet::new());
                Vec::new()
            }
            Ok(Event::InitApply(o) | Event::Apply(o)) => {
                if let Some(l) = listing.as_mut() {
                    l.insert(obj_key(&o));
                }
                let fp = fingerprint(&o);
                if seen.hold(&o, fp) {
                    Vec::new()
                } else if seen.observe(&o, fp) {
                    vec![Ok(o)]
                } else {
                    Vec::new()
                }
            }
            Ok(Event::Delete(o)) => {
                seen.forget(&o);
                vec![Ok(o)]
            }
            Ok(Event::InitDone) => match listing.take() {
                Some(present) => seen.retain(&present).into_iter().map(Ok).collect(),
                None => Vec::new(),
            },
        };
        stream::iter(out)
    })
}

/// What [`watch`] returns: the store, the change filter's memory and a readiness signal.
#[derive(Clone)]
pub struct Cache {
    /// The reflector store (objects stripped, see [`strip`]).
    pub store: Store<DynamicObject>,
    /// Fingerprints seen by the change filter.
    pub seen: Seen,
    ready: watch::Receiver<bool>,
    ar: kube::core::ApiResource,
}

/// How long an apply waits for a child cache's first list before going on without it.
pub const CACHE_WAIT: Duration = Duration::from_secs(10);

impl Cache {
    /// Whether the first list has been stored.
    pub fn is_ready(&self) -> bool {
        *self.ready.borrow()
    }

    /// Waits (at most [`CACHE_WAIT`]) for the first list; returns whether the cache is ready.
    pub async fn wait_ready(&self) -> bool {
        let mut rx = self.ready.clone();
        let ready = tokio::time::timeout(CACHE_WAIT, rx.wait_for(|r| *r))
            .await
            .is_ok_and(|r| r.is_ok());
        ready
    }

    /// Waits for the first list without a limit; false only if the watch is gone.
    pub async fn wait_ready_forever(&self) -> bool {
        let mut rx = self.ready.clone();
        let ready = rx.wait_for(|r| *r).await.is_ok();
        ready
    }

    /// The cached object `namespace/name`.
    pub fn get(&self, namespace: Option<&str>, name: &str) -> Option<Arc<DynamicObject>> {
        let mut r = ObjectRef::new_with(name, self.ar.clone());
        if let Some(ns) = namespace {
            r = r.within(ns);
        }
        self.store.get(&r)
    }
}

/// Starts watching `api` (through `backoff`, reduced by `keep`: [`strip`] or [`lean`],
/// reflected into a store) and returns the cache and the stream of changed objects
/// (fingerprinted by `fingerprint`). The stream must be polled (the controller does) for the
/// store to fill.
pub fn watch<F>(
    api: Api<DynamicObject>,
    wc: watcher::Config,
    ar: kube::core::ApiResource,
    keep: fn(&mut DynamicObject),
    fingerprint: F,
) -> (
    Cache,
    impl Stream<Item = Result<DynamicObject, watcher::Error>> + Send + 'static,
)
where
    F: Fn(&DynamicObject) -> u64 + Send + 'static,
{
    let writer = Writer::new(ar.clone());
    let store = writer.as_reader();
    let seen = Seen::default();
    let (tx, rx) = watch::channel(false);
    let events = watcher::watcher(api, wc)
        .backoff(WatchBackoff::default())
        .modify(keep)
        .reflect(writer)
        .inspect(move |ev| {
            if matches!(ev, Ok(Event::InitDone)) {
                tx.send_replace(true);
            }
        });
    let stream = changes(events, seen.clone(), fingerprint);
    (
        Cache {
            store,
            seen,
            ready: rx,
            ar,
        },
        stream,
    )
}

/// The cache of one child kind plus how its fingerprint is computed.
#[derive(Clone)]
pub struct ChildCache {
    /// The kind.
    pub kind: ChildKind,
    /// Its cache.
    pub cache: Cache,
    /// The reconciler's summary of a child (see [`crate::Reconciler::child_summary`]).
    pub summary: Arc<dyn Fn(&DynamicObject) -> Value + Send + Sync>,
}

impl ChildCache {
    /// The change-filter fingerprint of `obj`.
    pub fn fingerprint(&self, obj: &DynamicObject) -> u64 {
        child_fingerprint(obj, &(self.summary)(obj))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use rstest::rstest;
    use serde_json::json;

    fn obj(v: Value) -> DynamicObject {
        serde_json::from_value(v).unwrap()
    }

    fn deploy(rv: &str, gen: i64, status: Value) -> DynamicObject {
        obj(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "namespace": "ns", "uid": "u", "resourceVersion": rv, "generation": gen,
                "labels": {"a": "b"},
                "managedFields": [{"manager": "x", "operation": "Apply"}],
                "annotations": {LAST_APPLIED_ANNOTATION: "{}", "keep": "1"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": "1"}}}]}}},
            "status": status}))
    }

    fn ready(o: &DynamicObject) -> Value {
        json!(o.data.pointer("/status/readyReplicas") == Some(&json!(2)))
    }

    #[test]
    fn strip_drops_managed_fields_and_last_applied() {
        let mut d = deploy("1", 1, json!({}));
        strip(&mut d);
        assert!(d.metadata.managed_fields.is_none());
        assert_eq!(
            d.metadata.annotations.unwrap().keys().collect::<Vec<_>>(),
            vec!["keep"]
        );
    }

    #[test]
    fn lean_keeps_readiness_and_the_full_content_fingerprint() {
        let full = deploy("1", 1, json!({"readyReplicas": 2}));
        let mut stripped = full.clone();
        strip(&mut stripped);
        let mut l = full.clone();
        lean(&mut l);
        // what the applier and the reconcilers read is still there
        assert_eq!(
            l.data,
            json!({"spec": {"replicas": 2}, "status": {"readyReplicas": 2}})
        );
        assert_eq!(l.metadata.labels, stripped.metadata.labels);
        assert!(l.metadata.managed_fields.is_none());
        // the content fingerprint is the full object's, the change filter's is unchanged
        assert_eq!(content_fingerprint(&l), content_fingerprint(&full));
        assert_eq!(
            child_fingerprint(&l, &ready(&l)),
            child_fingerprint(&stripped, &ready(&stripped))
        );
        // a spec change (e.g. a new image) shows in the cached fingerprint
        let mut changed = full.clone();
        changed.data["spec"]["template"]["spec"]["containers"][0]["image"] = json!("x");
        lean(&mut changed);
        assert_ne!(content_fingerprint(&changed), content_fingerprint(&l));
        // the synthetic annotation is never handed out
        assert_eq!(
            to_value_unmarked(&l).unwrap()["metadata"]["annotations"],
            json!({"keep": "1"})
        );
    }

    #[rstest]
    // status noise and a resourceVersion bump: same fingerprint
    #[case(deploy("2", 1, json!({"replicas": 1, "readyReplicas": 1})), false)]
    // readiness flips: different
    #[case(deploy("3", 1, json!({"replicas": 2, "readyReplicas": 2})), true)]
    // a spec change bumps the generation: different
    #[case(deploy("4", 2, json!({"replicas": 1, "readyReplicas": 1})), true)]
    fn child_fingerprint_follows_generation_and_summary(
        #[case] next: DynamicObject,
        #[case] differs: bool,
    ) {
        let a = deploy("1", 1, json!({"replicas": 0}));
        assert_eq!(
            child_fingerprint(&a, &ready(&a)) != child_fingerprint(&next, &ready(&next)),
            differs
        );
    }

    #[test]
    fn content_fingerprint_ignores_status_and_bookkeeping() {
        let a = deploy("1", 1, json!({"replicas": 0}));
        let mut b = deploy("9", 1, json!({"replicas": 2}));
        b.metadata.managed_fields = None;
        assert_eq!(content_fingerprint(&a), content_fingerprint(&b));
        let mut c = b.clone();
        c.data["spec"]["replicas"] = json!(7);
        assert_ne!(content_fingerprint(&a), content_fingerprint(&c));
        // key order of the serialization does not matter
        let d = obj(serde_json::from_str(
            &serde_json::to_string(&a)
                .unwrap()
                .replace("\"replicas\":2,\"template\"", "\"template\""),
        )
        .map(|mut v: Value| {
            v["spec"]["replicas"] = json!(2);
            v
        })
        .unwrap());
        assert_eq!(content_fingerprint(&a), content_fingerprint(&d));
    }

    #[test]
    fn owner_fingerprint_ignores_status_but_not_finalizer_or_deletion() {
        let base = obj(
            json!({"apiVersion": "x/v1", "kind": "S", "metadata": {"name": "s", "namespace": "n", "generation": 1}, "status": {"a": 1}}),
        );
        let mut status = base.clone();
        status.data["status"] = json!({"a": 2});
        status.metadata.resource_version = Some("7".into());
        assert_eq!(
            owner_fingerprint(&base, "f"),
            owner_fingerprint(&status, "f")
        );
        let mut fin = base.clone();
        fin.metadata.finalizers = Some(vec!["f".into()]);
        assert_ne!(owner_fingerprint(&base, "f"), owner_fingerprint(&fin, "f"));
        let mut del = base.clone();
        del.metadata.deletion_timestamp =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
            ));
        assert_ne!(owner_fingerprint(&base, "f"), owner_fingerprint(&del, "f"));
    }

    fn names(out: Vec<Result<DynamicObject, watcher::Error>>) -> Vec<String> {
        out.into_iter().map(|o| o.unwrap().name_any()).collect()
    }

    fn named(name: &str, gen: i64) -> DynamicObject {
        obj(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "n", "generation": gen}}),
        )
    }

    #[test]
    fn filter_passes_changes_deletions_and_vanished_objects() {
        let seen = Seen::default();
        let events = vec![
            Ok(Event::Init),
            Ok(Event::InitApply(named("a", 1))),
            Ok(Event::InitApply(named("b", 1))),
            Ok(Event::InitDone),
            // an echo of what we already saw: dropped
            Ok(Event::Apply(named("a", 1))),
            Ok(Event::Apply(named("a", 2))),
            Ok(Event::Delete(named("a", 2))),
            // a re-list without b: b is passed on as gone, c is new
            Ok(Event::Init),
            Ok(Event::InitApply(named("c", 1))),
            Ok(Event::InitDone),
        ];
        let fp = |o: &DynamicObject| content_fingerprint(o);
        let out: Vec<_> = block_on(changes(stream::iter(events), seen.clone(), fp).collect());
        assert_eq!(names(out), vec!["a", "b", "a", "a", "c", "b"]);
        assert_eq!(seen.len(), 1);
    }

    #[test]
    fn recorded_writes_are_not_passed_again() {
        let seen = Seen::default();
        let a = named("a", 3);
        assert!(seen.observe(&a, content_fingerprint(&a)));
        let fp = |o: &DynamicObject| content_fingerprint(o);
        let out: Vec<_> =
            block_on(changes(stream::iter(vec![Ok(Event::Apply(a))]), seen, fp).collect());
        assert!(out.is_empty());
    }

    #[rstest]
    // the echo of our write (same rv, same fingerprint): covered
    #[case("5", 1, false)]
    // older than the response: covered whatever it says
    #[case("4", 2, false)]
    // newer than the response and different: the owner must look again
    #[case("6", 2, true)]
    // newer but the same fingerprint: nothing new
    #[case("6", 1, false)]
    fn events_held_during_a_write(#[case] rv: &str, #[case] fp: u64, #[case] again: bool) {
        let seen = Seen::default();
        seen.begin(Some("n"), "a");
        let mut ev = named("a", 1);
        ev.metadata.resource_version = Some(rv.into());
        let fpf = move |_: &DynamicObject| fp;
        let out: Vec<_> = block_on(
            changes(stream::iter(vec![Ok(Event::Apply(ev))]), seen.clone(), fpf).collect(),
        );
        assert!(out.is_empty(), "held while the write is in flight");
        let mut resp = named("a", 1);
        resp.metadata.resource_version = Some("5".into());
        assert_eq!(seen.finish(Some("n"), "a", Some((&resp, 1))), again);
        // after the write, events flow again
        let out: Vec<_> = block_on(
            changes(
                stream::iter(vec![Ok(Event::Apply(named("a", 9)))]),
                seen.clone(),
                |o: &DynamicObject| content_fingerprint(o),
            )
            .collect(),
        );
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn watch_backoff_is_capped_and_jittered() {
        let mut b = WatchBackoff::default();
        let delays: Vec<Duration> = (0..10).map(|_| b.next().unwrap()).collect();
        for (i, d) in delays.iter().enumerate() {
            let nominal = (WATCH_BACKOFF_MIN * 2u32.pow(i as u32)).min(WATCH_BACKOFF_MAX);
            assert!(
                *d >= nominal / 2 && *d <= nominal,
                "{i}: {d:?} vs {nominal:?}"
            );
        }
        b.reset();
        assert!(b.next().unwrap() <= WATCH_BACKOFF_MIN);
    }
}
