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

//! Applying rendered objects: stamping, server-side apply, inventory pruning, cleanup.
//!
//! Every applied object gets ApplySet-style inventory metadata (the label names of KEP-3659,
//! without the parent-side protocol, which would need a write on the custom resource):
//! - label `applyset.kubernetes.io/part-of: <id>` where `<id>` is
//!   `applyset-<base64url(sha256("<name>.<namespace>.<Kind>.<group>"))>-v1` of the owner;
//! - label `app.kubernetes.io/managed-by: nuvolaris-operator`;
//! - annotation `nuvolaris.org/owner: <Kind>.<group>/<namespace>/<name>`;
//! - annotation `nuvolaris.org/applied-hash`: a hash of the stamped object, so an object whose
//!   live state already holds every applied field *and* whose hash matches is skipped (no write);
//! - a controller ownerReference when the child may carry one (same namespace), otherwise
//!   annotation `nuvolaris.org/owner-uid`.
//!
//! Reads come from the controller's watch caches (see [`crate::cache`]), never from fresh GETs:
//! an object whose cached state already holds every applied field, or that is unchanged since
//! this process last applied the same render to it, is not written at all. Anything else is
//! one server-side apply, whose result is classified from the returned object compared with
//! the cached one ([`classify`]): the same content is [`ApplyChange::Unchanged`] even when the
//! server canonicalised what was sent (`cpu: 1000m` reads back as `"1"`), defaulted fields or
//! shares list items with another manager, so such objects never loop as "configured". An
//! object the cache does not hold is applied without `force`: if it exists already under
//! fields another manager owns, the apply fails with a conflict, and only then is it read once
//! to tell a foreign controller (left alone) from drift (applied again with `force`).
//!
//! Pruning takes the owner's inventory (`part-of` label) from the caches and deletes what the
//! render no longer has, but only objects whose owner uid (ownerReference or annotation) is the
//! owner's.

use crate::cache::{content_fingerprint, ChildCache};
use crate::child_kind::ChildKind;
use crate::error::Error;
use crate::events;
use crate::metrics::Metrics;
use base64::Engine as _;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::{self, Scope};
use kube::runtime::events::{EventType, Recorder};
use kube::{Client, Resource, ResourceExt};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Field manager of every server-side apply the operator makes.
pub const FIELD_MANAGER: &str = "nuvolaris-operator";
/// Inventory label: the owner's ApplySet id.
pub const PART_OF_LABEL: &str = "applyset.kubernetes.io/part-of";
/// Standard managed-by label.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// Value of [`MANAGED_BY_LABEL`].
pub const MANAGED_BY: &str = "nuvolaris-operator";
/// Annotation naming the owner as `<Kind>.<group>/<namespace>/<name>`.
pub const OWNER_ANNOTATION: &str = "nuvolaris.org/owner";
/// Annotation with the owner uid, for children that cannot carry an ownerReference.
pub const OWNER_UID_ANNOTATION: &str = "nuvolaris.org/owner-uid";
/// Annotation with a hash of the applied object.
pub const HASH_ANNOTATION: &str = "nuvolaris.org/applied-hash";

/// The custom resource that owns a set of applied objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    /// apiVersion, e.g. `nuvolaris.org/v1`.
    pub api_version: String,
    /// API group, e.g. `nuvolaris.org`.
    pub group: String,
    /// Kind, e.g. `Sample`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace (`None` for a cluster-scoped owner).
    pub namespace: Option<String>,
    /// uid (`None` offline, e.g. for `render`).
    pub uid: Option<String>,
}

impl Owner {
    /// The owner described by a typed resource.
    pub fn of<K: Resource<DynamicType = ()>>(obj: &K) -> Self {
        Self {
            api_version: K::api_version(&()).into_owned(),
            group: K::group(&()).into_owned(),
            kind: K::kind(&()).into_owned(),
            name: obj.meta().name.clone().unwrap_or_default(),
            namespace: obj.meta().namespace.clone(),
            uid: obj.meta().uid.clone(),
        }
    }

    /// The owner described by an untyped object of resource `ar`.
    pub fn of_dynamic(obj: &DynamicObject, ar: &ApiResource) -> Self {
        Self {
            api_version: ar.api_version.clone(),
            group: ar.group.clone(),
            kind: ar.kind.clone(),
            name: obj.name_any(),
            namespace: obj.namespace(),
            uid: obj.uid(),
        }
    }

    /// `namespace/name` (or `name`), for messages.
    pub fn key(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}/{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The KEP-3659 ApplySet id of this owner.
    pub fn applyset_id(&self) -> String {
        let raw = format!(
            "{}.{}.{}.{}",
            self.name,
            self.namespace.as_deref().unwrap_or(""),
            self.kind,
            self.group
        );
        let digest = Sha256::digest(raw.as_bytes());
        format!(
            "applyset-{}-v1",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
        )
    }

    /// Value of [`OWNER_ANNOTATION`].
    pub fn annotation(&self) -> String {
        format!("{}.{}/{}", self.kind, self.group, self.key())
    }

    /// A controller ownerReference (`None` without a uid).
    pub fn owner_reference(&self) -> Option<OwnerReference> {
        Some(OwnerReference {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            name: self.name.clone(),
            uid: self.uid.clone()?,
            controller: Some(true),
            block_owner_deletion: None,
        })
    }

    /// An ObjectReference for Events about the owner.
    pub fn object_ref(&self) -> ObjectReference {
        ObjectReference {
            api_version: Some(self.api_version.clone()),
            kind: Some(self.kind.clone()),
            name: Some(self.name.clone()),
            namespace: self.namespace.clone(),
            uid: self.uid.clone(),
            ..Default::default()
        }
    }
}

/// What happened to one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyChange {
    /// It did not exist and was created.
    Created,
    /// It existed and was updated.
    Configured,
    /// It already matched: no write.
    Unchanged,
    /// It exists under another controller: left alone.
    Conflict {
        /// `Kind/name` of the other controller.
        controller: String,
    },
    /// It was no longer rendered and was deleted.
    Pruned,
}

impl ApplyChange {
    /// kubectl-style word, also the metric `result` label.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Configured => "configured",
            Self::Unchanged => "unchanged",
            Self::Conflict { .. } => "conflict",
            Self::Pruned => "pruned",
        }
    }
}

/// The result for one object.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectResult {
    /// `deployment.apps` style kind.
    pub kind_group: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// Namespace, if namespaced.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// What happened.
    pub action: ApplyChange,
    /// The live object after the step (`None` when pruned, conflicting or unknown).
    pub live: Option<Value>,
}

impl ObjectResult {
    /// kubectl apply's line, e.g. `deployment.apps/obj-demo-deploy configured`.
    pub fn message(&self) -> String {
        match &self.action {
            ApplyChange::Conflict { controller } => {
                format!(
                    "{}/{} is controlled by {controller}",
                    self.kind_group, self.name
                )
            }
            a => format!("{}/{} {}", self.kind_group, self.name, a.as_str()),
        }
    }
}

/// What an apply did, object by object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApplyReport {
    /// Applied objects in apply order, then pruned ones.
    pub results: Vec<ObjectResult>,
}

impl ApplyReport {
    /// Objects left alone because another controller owns them.
    pub fn conflicts(&self) -> impl Iterator<Item = &ObjectResult> {
        self.results
            .iter()
            .filter(|r| matches!(r.action, ApplyChange::Conflict { .. }))
    }

    /// Whether anything was written.
    pub fn changed(&self) -> bool {
        self.results.iter().any(|r| {
            !matches!(
                r.action,
                ApplyChange::Unchanged | ApplyChange::Conflict { .. }
            )
        })
    }

    /// The live object of `kind`/`name` after apply.
    pub fn live(&self, kind: &str, name: &str) -> Option<&Value> {
        self.results
            .iter()
            .find(|r| r.kind == kind && r.name == name)
            .and_then(|r| r.live.as_ref())
    }
}

/// (group, kind, namespace, name) of an applied object.
type ObjKey = (String, String, Option<String>, String);

/// (owner uid, prune selector, desired set) of a prune already done.
type PruneMemo = (String, String, Vec<ObjKey>);

/// Which inventory objects an apply may prune.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Prune {
    /// Prune nothing (a partial, step-wise apply).
    None,
    /// Prune every inventory object not in this render.
    #[default]
    All,
    /// Prune only inventory objects also matching this label selector (e.g. one component).
    Selector(String),
}

fn kind_priority(kind: &str) -> u8 {
    match kind {
        "Namespace" => 0,
        "CustomResourceDefinition" => 1,
        _ => 2,
    }
}

fn obj_id(doc: &Value) -> String {
    format!(
        "{}/{}",
        doc.get("kind").and_then(Value::as_str).unwrap_or("?"),
        doc.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?")
    )
}

fn str_map<'a>(doc: &'a mut Value, field: &str) -> Result<&'a mut Map<String, Value>, Error> {
    let id = obj_id(doc);
    let meta = doc
        .as_object_mut()
        .and_then(|o| {
            o.entry("metadata")
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
        })
        .ok_or_else(|| Error::InvalidObject {
            object: id.clone(),
            reason: "metadata is not a map".into(),
        })?;
    let v = meta
        .entry(field)
        .or_insert_with(|| Value::Object(Map::new()));
    if v.is_null() {
        *v = Value::Object(Map::new());
    }
    v.as_object_mut().ok_or_else(|| Error::InvalidObject {
        object: id,
        reason: format!("metadata.{field} is not a map"),
    })
}

/// Hash of a stamped object (without the hash annotation and ownerReferences).
fn applied_hash(doc: &Value) -> String {
    let mut d = doc.clone();
    if let Some(m) = d.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("ownerReferences");
        if let Some(a) = m.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove(HASH_ANNOTATION);
        }
    }
    let bytes = serde_json::to_vec(&d).unwrap_or_default();
    hex::encode(&Sha256::digest(&bytes)[..8])
}

/// Stamps inventory metadata and (when the owner has a uid) ownerReferences onto rendered
/// objects, fills the owner's namespace into namespaced objects lacking one, and orders
/// Namespaces and CRDs first.
///
/// `kinds` tells which kinds are cluster-scoped; kinds not listed are taken as namespaced
/// unless they are Namespaces, CRDs, ClusterRoles or ClusterRoleBindings. This is the offline
/// half of [`Applier::apply`]: `render` prints exactly this with `owner.uid = None`.
pub fn stamp(owner: &Owner, kinds: &[ChildKind], docs: Vec<Value>) -> Result<Vec<Value>, Error> {
    let id = owner.applyset_id();
    let mut out = Vec::with_capacity(docs.len());
    for mut doc in docs {
        let oid = obj_id(&doc);
        let api_version = doc
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let kind = doc
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let name_ok = doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .is_some_and(|n| !n.is_empty());
        if api_version.is_empty() || kind.is_empty() || !name_ok {
            return Err(Error::InvalidObject {
                object: oid,
                reason: "apiVersion, kind and metadata.name are required".into(),
            });
        }
        let namespaced = namespaced_kind(kinds, &api_version, &kind);
        let ns = if namespaced {
            let ns = doc
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .map(str::to_string);
            let ns = ns.or_else(|| owner.namespace.clone());
            if let Some(n) = &ns {
                str_map_parent(&mut doc)?.insert("namespace".into(), Value::String(n.clone()));
            }
            ns
        } else {
            None
        };
        str_map(&mut doc, "labels")?.insert(PART_OF_LABEL.into(), Value::String(id.clone()));
        str_map(&mut doc, "labels")?
            .insert(MANAGED_BY_LABEL.into(), Value::String(MANAGED_BY.into()));
        str_map(&mut doc, "annotations")?
            .insert(OWNER_ANNOTATION.into(), Value::String(owner.annotation()));
        let can_own = match (&owner.namespace, &ns) {
            (None, _) => true,
            (Some(o), Some(c)) => o == c,
            (Some(_), None) => false,
        };
        if !can_own {
            if let Some(uid) = &owner.uid {
                str_map(&mut doc, "annotations")?
                    .insert(OWNER_UID_ANNOTATION.into(), Value::String(uid.clone()));
            }
        }
        let hash = applied_hash(&doc);
        str_map(&mut doc, "annotations")?.insert(HASH_ANNOTATION.into(), Value::String(hash));
        if can_own {
            if let Some(oref) = owner.owner_reference() {
                let oref = serde_json::to_value(oref).map_err(Error::Serialize)?;
                str_map_parent(&mut doc)?
                    .insert("ownerReferences".into(), Value::Array(vec![oref]));
            }
        }
        out.push(doc);
    }
    out.sort_by_key(|d| kind_priority(d.get("kind").and_then(Value::as_str).unwrap_or("")));
    Ok(out)
}

fn str_map_parent(doc: &mut Value) -> Result<&mut Map<String, Value>, Error> {
    let id = obj_id(doc);
    doc.as_object_mut()
        .and_then(|o| {
            o.entry("metadata")
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
        })
        .ok_or_else(|| Error::InvalidObject {
            object: id,
            reason: "metadata is not a map".into(),
        })
}

fn namespaced_kind(kinds: &[ChildKind], api_version: &str, kind: &str) -> bool {
    if let Some(k) = kinds
        .iter()
        .find(|k| k.kind == kind && k.api_version() == api_version)
    {
        return k.namespaced;
    }
    !matches!(
        kind,
        "Namespace"
            | "CustomResourceDefinition"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "PersistentVolume"
            | "StorageClass"
    )
}

/// Whether `live` already holds every field of `desired` with the same value.
///
/// Maps: every desired key present and contained; arrays: same length, element-wise contained;
/// numbers compared by value. Fields the server adds (defaults, status) are ignored.
pub fn contains(live: &Value, desired: &Value) -> bool {
    match (live, desired) {
        (Value::Object(l), Value::Object(d)) => d.iter().all(|(k, dv)| match l.get(k) {
            Some(lv) => contains(lv, dv),
            None => dv.is_null(),
        }),
        (Value::Array(l), Value::Array(d)) => {
            l.len() == d.len() && l.iter().zip(d).all(|(a, b)| contains(a, b))
        }
        (Value::Number(a), Value::Number(b)) => a == b || a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

/// Whether `live` belongs to the owner with uid `uid` (ownerReference or uid annotation).
pub fn owned_by(live: &DynamicObject, uid: &str) -> bool {
    live.owner_references().iter().any(|o| o.uid == uid)
        || live
            .annotations()
            .get(OWNER_UID_ANNOTATION)
            .is_some_and(|u| u == uid)
}

/// What this process last applied to one object: its uid, the content fingerprint of the
/// apply's response and the render's hash annotation.
#[derive(Clone, Debug, PartialEq, Eq)]
struct AppliedMemo {
    uid: Option<String>,
    content: u64,
    desired: Option<String>,
}

/// The controller that controls `live`, when it is not `owner` (`Kind/name`).
fn foreign_controller(live: &DynamicObject, owner: &Owner) -> Option<String> {
    owner.uid.as_ref()?;
    live.owner_references()
        .iter()
        .find(|o| o.controller == Some(true))
        .filter(|o| Some(&o.uid) != owner.uid.as_ref())
        .map(|o| format!("{}/{}", o.kind, o.name))
}

/// Whether `applied` (an apply response for an object not known before) was just created by
/// that apply: no other manager has fields on it, and it was not created before the
/// operator's own entry was last written (both times have whole seconds).
fn created_now(applied: &DynamicObject) -> bool {
    let mf = applied.metadata.managed_fields.as_deref().unwrap_or(&[]);
    if mf
        .iter()
        .any(|m| m.manager.as_deref() != Some(FIELD_MANAGER))
    {
        return false;
    }
    let ours = mf.iter().filter_map(|m| m.time.as_ref()).map(|t| t.0).max();
    match (applied.metadata.creation_timestamp.as_ref(), ours) {
        (Some(c), Some(t)) => c.0 >= t,
        _ => true,
    }
}

/// Classifies a server-side apply from the object it returned, compared with the object as
/// known before the apply (`before`: its uid and [`content_fingerprint`]; `None` when the
/// caches did not hold it).
pub fn classify(before: Option<(Option<&str>, u64)>, applied: &DynamicObject) -> ApplyChange {
    match before {
        Some((uid, fp)) if uid == applied.metadata.uid.as_deref() => {
            if content_fingerprint(applied) == fp {
                ApplyChange::Unchanged
            } else {
                ApplyChange::Configured
            }
        }
        // the same name under a new uid: it was deleted and created again
        Some(_) => ApplyChange::Created,
        None if created_now(applied) => ApplyChange::Created,
        None => ApplyChange::Configured,
    }
}

/// Server-side applies rendered objects for one reconciler and prunes its inventory.
#[derive(Clone)]
pub struct Applier {
    client: Client,
    controller: &'static str,
    kinds: Arc<Vec<ChildKind>>,
    discovered: Arc<Mutex<HashMap<GroupVersionKind, (ApiResource, bool)>>>,
    /// Prunes already done in this process: (owner uid, selector, desired set) -> done.
    pruned: Arc<Mutex<HashSet<PruneMemo>>>,
    /// What this process last applied, per object.
    applied: Arc<Mutex<HashMap<ObjKey, AppliedMemo>>>,
    /// The watch caches of the child kinds, keyed by (group, kind).
    caches: Arc<HashMap<(String, String), ChildCache>>,
    /// Where to ask for another reconcile of an owner.
    retrigger: Option<tokio::sync::mpsc::UnboundedSender<(Option<String>, String)>>,
    metrics: Arc<Metrics>,
    recorder: Recorder,
}

impl Applier {
    /// An applier for reconciler `controller` whose declared child kinds are `kinds`.
    ///
    /// Without caches (see [`Applier::with_caches`]) every object is applied and pruning lists
    /// the inventory from the API server.
    pub fn new(
        client: Client,
        controller: &'static str,
        kinds: Vec<ChildKind>,
        metrics: Arc<Metrics>,
        recorder: Recorder,
    ) -> Self {
        Self {
            client,
            controller,
            kinds: Arc::new(kinds),
            discovered: Default::default(),
            pruned: Default::default(),
            applied: Default::default(),
            caches: Default::default(),
            retrigger: None,
            metrics,
            recorder,
        }
    }

    /// Reads children from these watch caches (the controller's, one per child kind).
    pub fn with_caches(mut self, caches: Vec<ChildCache>) -> Self {
        self.caches = Arc::new(
            caches
                .into_iter()
                .map(|c| ((c.kind.group.to_string(), c.kind.kind.to_string()), c))
                .collect(),
        );
        self
    }

    /// The declared child kinds.
    pub fn kinds(&self) -> &[ChildKind] {
        &self.kinds
    }

    /// The cache of (`group`, `kind`), if that kind is watched.
    pub fn cache(&self, group: &str, kind: &str) -> Option<&ChildCache> {
        self.caches.get(&(group.to_string(), kind.to_string()))
    }

    /// The cached object `kind` `namespace/name` (waiting for the cache's first list), or
    /// `None` when it is not cached or the kind is not watched.
    pub async fn cached(
        &self,
        kind: &ChildKind,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Arc<DynamicObject>> {
        let c = self.cache(kind.group, kind.kind)?;
        c.cache.wait_ready().await;
        c.cache.get(namespace.filter(|_| kind.namespaced), name)
    }

    async fn resolve(&self, api_version: &str, kind: &str) -> Result<(ApiResource, bool), Error> {
        if let Some(k) = self
            .kinds
            .iter()
            .find(|k| k.kind == kind && k.api_version() == api_version)
        {
            return Ok((k.api_resource(), k.namespaced));
        }
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        let gvk = GroupVersionKind::gvk(&group, &version, kind);
        if let Some(hit) = self
            .discovered
            .lock()
            .ok()
            .and_then(|m| m.get(&gvk).cloned())
        {
            return Ok(hit);
        }
        let (ar, caps) = discovery::pinned_kind(&self.client, &gvk)
            .await
            .map_err(|source| Error::UnknownKind {
                api_version: api_version.into(),
                kind: kind.into(),
                source,
            })?;
        let hit = (ar, matches!(caps.scope, Scope::Namespaced));
        if let Ok(mut m) = self.discovered.lock() {
            m.insert(gvk, hit.clone());
        }
        tracing::warn!(
            controller = self.controller,
            api_version,
            kind,
            "kind not declared in child_kinds: it is neither watched nor pruned"
        );
        Ok(hit)
    }

    fn api(&self, ar: &ApiResource, namespaced: bool, ns: Option<&str>) -> Api<DynamicObject> {
        match (namespaced, ns) {
            (true, Some(ns)) => Api::namespaced_with(self.client.clone(), ns, ar),
            (true, None) => Api::default_namespaced_with(self.client.clone(), ar),
            (false, _) => Api::all_with(self.client.clone(), ar),
        }
    }

    async fn event(&self, owner: &Owner, type_: EventType, reason: &str, note: String) {
        events::publish(
            &self.recorder,
            self.controller,
            &owner.object_ref(),
            type_,
            reason,
            note,
        )
        .await;
    }

    fn memo(&self, key: &ObjKey) -> Option<AppliedMemo> {
        self.applied.lock().ok().and_then(|m| m.get(key).cloned())
    }

    /// Forgets the prunes done for `owner` (it is being deleted).
    fn forget(&self, owner: &Owner) {
        if let (Some(uid), Ok(mut p)) = (&owner.uid, self.pruned.lock()) {
            p.retain(|(u, _, _)| u != uid);
        }
    }

    /// Stamps and applies `docs` for `owner`, then prunes per `prune`.
    ///
    /// Objects controlled by another owner are reported as [`ApplyChange::Conflict`] and not
    /// written; objects whose cached state already matches are [`ApplyChange::Unchanged`] and
    /// not written.
    pub async fn apply(
        &self,
        owner: &Owner,
        docs: Vec<Value>,
        prune: &Prune,
    ) -> Result<ApplyReport, Error> {
        let docs = stamp(owner, &self.kinds, docs)?;
        let mut report = ApplyReport::default();
        let mut desired: BTreeSet<ObjKey> = BTreeSet::new();
        for doc in docs {
            let api_version = doc["apiVersion"].as_str().unwrap_or_default().to_string();
            let kind = doc["kind"].as_str().unwrap_or_default().to_string();
            let name = doc
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let ns = doc
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .map(str::to_string);
            let (ar, namespaced) = self.resolve(&api_version, &kind).await?;
            let ns = if namespaced { ns } else { None };
            let key: ObjKey = (ar.group.clone(), kind.clone(), ns.clone(), name.clone());
            desired.insert(key.clone());
            let kind_group = if ar.group.is_empty() {
                kind.to_lowercase()
            } else {
                format!("{}.{}", kind.to_lowercase(), ar.group)
            };
            let what = format!(
                "{kind_group} {}",
                ns.as_deref()
                    .map(|n| format!("{n}/{name}"))
                    .unwrap_or(name.clone())
            );
            let mut result = ObjectResult {
                kind_group: kind_group.clone(),
                kind: kind.clone(),
                namespace: ns.clone(),
                name: name.clone(),
                action: ApplyChange::Unchanged,
                live: None,
            };
            let cache = self.cache(&ar.group, &kind).cloned();
            let cached = match &cache {
                Some(c) => {
                    c.cache.wait_ready().await;
                    c.cache.get(ns.as_deref(), &name)
                }
                None => None,
            };
            let desired_hash = doc
                .pointer(&format!(
                    "/metadata/annotations/{}",
                    HASH_ANNOTATION.replace('/', "~1")
                ))
                .and_then(Value::as_str)
                .map(str::to_string);
            let memo = self.memo(&key);
            if let Some(live) = &cached {
                if let Some(controller) = foreign_controller(live, owner) {
                    self.conflict(owner, &mut result, controller).await;
                    report.results.push(result);
                    continue;
                }
                let live_v = crate::cache::to_value_unmarked(live).map_err(Error::Serialize)?;
                let unchanged_since_our_apply = memo.as_ref().is_some_and(|m| {
                    m.uid == live.metadata.uid
                        && m.content == content_fingerprint(live)
                        && m.desired == desired_hash
                });
                if unchanged_since_our_apply || contains(&live_v, &doc) {
                    result.live = Some(live_v);
                    self.metrics
                        .object_applied(self.controller, &kind, "unchanged");
                    report.results.push(result);
                    continue;
                }
            }
            // known to exist (cached, or applied by this process): force our fields back;
            // unknown: apply without force, so a foreign object is never silently taken over
            let known = cached.is_some() || memo.is_some();
            let before: Option<(Option<String>, u64)> = match (&cached, &memo) {
                (Some(c), _) => Some((c.metadata.uid.clone(), content_fingerprint(c))),
                (None, Some(m)) => Some((m.uid.clone(), m.content)),
                (None, None) => None,
            };
            let api = self.api(&ar, namespaced, ns.as_deref());
            let obj: DynamicObject = serde_json::from_value(doc).map_err(Error::Serialize)?;
            if let Some(c) = &cache {
                c.cache.seen.begin(ns.as_deref(), &name);
            }
            let applied = self
                .ssa_or_conflict(owner, &api, &obj, known, &what, &kind, &mut result)
                .await;
            let applied = match applied {
                Ok(Some(a)) => a,
                other => {
                    if let Some(c) = &cache {
                        if c.cache.seen.finish(ns.as_deref(), &name, None) {
                            self.retrigger(owner);
                        }
                    }
                    match other {
                        Ok(_) => {
                            report.results.push(result);
                            continue;
                        }
                        Err(e) => return Err(e),
                    }
                }
            };
            result.action = classify(before.as_ref().map(|(u, f)| (u.as_deref(), *f)), &applied);
            if let Ok(mut m) = self.applied.lock() {
                m.insert(
                    key,
                    AppliedMemo {
                        uid: applied.metadata.uid.clone(),
                        content: content_fingerprint(&applied),
                        desired: desired_hash,
                    },
                );
            }
            let mut stripped = applied;
            crate::cache::strip(&mut stripped);
            if let Some(c) = &cache {
                // the watch event echoing this write carries nothing new: do not reconcile on it
                let fp = c.fingerprint(&stripped);
                if c.cache
                    .seen
                    .finish(ns.as_deref(), &name, Some((&stripped, fp)))
                {
                    self.retrigger(owner);
                }
            }
            result.live = Some(serde_json::to_value(&stripped).map_err(Error::Serialize)?);
            self.metrics
                .object_applied(self.controller, &kind, result.action.as_str());
            if result.action != ApplyChange::Unchanged {
                tracing::info!(controller = self.controller, owner = %owner.key(), object = %result.message(), "applied");
                self.event(owner, EventType::Normal, "Applied", result.message())
                    .await;
            }
            report.results.push(result);
        }
        if *prune != Prune::None {
            let extra = match prune {
                Prune::Selector(s) => Some(s.as_str()),
                _ => None,
            };
            if extra.is_none() && owner.uid.is_some() && self.caches_ready() {
                for r in self.prune_cached(owner, &desired).await? {
                    report.results.push(r);
                }
            } else {
                self.prune_listed(owner, extra, &desired, &mut report)
                    .await?;
            }
        }
        Ok(report)
    }

    /// Applies `obj` (with `force` when it is `known` to exist); when unknown and refused for
    /// fields another manager owns, reads it once: a foreign controller makes it a conflict
    /// (`Ok(None)`, recorded in `result`), anything else is applied with force.
    #[allow(clippy::too_many_arguments)]
    async fn ssa_or_conflict(
        &self,
        owner: &Owner,
        api: &Api<DynamicObject>,
        obj: &DynamicObject,
        known: bool,
        what: &str,
        kind: &str,
        result: &mut ObjectResult,
    ) -> Result<Option<DynamicObject>, Error> {
        let name = obj.name_any();
        match self.ssa(api, &name, obj, known).await {
            Ok(a) => Ok(Some(a)),
            Err(kube::Error::Api(s)) if !known && (s.is_conflict() || s.code == 422) => {
                // it exists with fields someone else owns: look at it once
                let live = api
                    .get_opt(&name)
                    .await
                    .map_err(|e| Error::kube(format!("get {what}"), e))?;
                if let Some(controller) = live.as_ref().and_then(|l| foreign_controller(l, owner)) {
                    self.conflict(owner, result, controller).await;
                    return Ok(None);
                }
                match self.ssa(api, &name, obj, true).await {
                    Ok(a) => Ok(Some(a)),
                    Err(e) => Err(self.apply_failed(owner, kind, what, e).await),
                }
            }
            Err(e) => Err(self.apply_failed(owner, kind, what, e).await),
        }
    }

    /// Asks the controller to reconcile `owner` again (a child changed during a write).
    fn retrigger(&self, owner: &Owner) {
        if let Some(tx) = &self.retrigger {
            let _ = tx.send((owner.namespace.clone(), owner.name.clone()));
        }
    }

    /// Sends `(namespace, name)` of owners that must be reconciled again to `tx` (the
    /// controller's extra trigger).
    pub fn with_retrigger(
        mut self,
        tx: tokio::sync::mpsc::UnboundedSender<(Option<String>, String)>,
    ) -> Self {
        self.retrigger = Some(tx);
        self
    }

    async fn ssa(
        &self,
        api: &Api<DynamicObject>,
        name: &str,
        obj: &DynamicObject,
        force: bool,
    ) -> Result<DynamicObject, kube::Error> {
        let mut pp = PatchParams::apply(FIELD_MANAGER);
        pp.force = force;
        api.patch(name, &pp, &Patch::Apply(obj)).await
    }

    async fn conflict(&self, owner: &Owner, result: &mut ObjectResult, controller: String) {
        result.action = ApplyChange::Conflict { controller };
        self.metrics
            .object_applied(self.controller, &result.kind, "conflict");
        self.event(owner, EventType::Warning, "Conflict", result.message())
            .await;
    }

    async fn apply_failed(&self, owner: &Owner, kind: &str, what: &str, e: kube::Error) -> Error {
        self.metrics.object_applied(self.controller, kind, "error");
        if !events::is_namespace_terminating(&e) {
            self.event(
                owner,
                EventType::Warning,
                "Failed",
                format!("apply {what}: {e}"),
            )
            .await;
        }
        Error::kube(format!("apply {what}"), e)
    }

    fn caches_ready(&self) -> bool {
        self.kinds.iter().all(|k| {
            self.cache(k.group, k.kind)
                .is_some_and(|c| c.cache.is_ready())
        })
    }

    /// Prunes from the caches: every cached inventory object of `owner` not in `keep`.
    async fn prune_cached(
        &self,
        owner: &Owner,
        keep: &BTreeSet<ObjKey>,
    ) -> Result<Vec<ObjectResult>, Error> {
        let id = owner.applyset_id();
        let uid = owner.uid.clone().unwrap_or_default();
        let mut out = Vec::new();
        for k in self.kinds.iter() {
            let Some(c) = self.cache(k.group, k.kind) else {
                continue;
            };
            let in_scope = |o: &DynamicObject| match (&owner.namespace, k.namespaced) {
                (Some(ns), true) => o.metadata.namespace.as_ref() == Some(ns),
                _ => true,
            };
            let stale: Vec<Arc<DynamicObject>> = c.cache.store.state_filter(|o| {
                o.labels().get(PART_OF_LABEL) == Some(&id)
                    && in_scope(o)
                    && owned_by(o, &uid)
                    && !keep.contains(&(
                        k.group.to_string(),
                        k.kind.to_string(),
                        o.metadata.namespace.clone().filter(|_| k.namespaced),
                        o.name_any(),
                    ))
            });
            for o in stale {
                let ns = o.metadata.namespace.clone().filter(|_| k.namespaced);
                if let Some(r) = self
                    .delete_one(
                        owner,
                        k,
                        ns,
                        o.name_any(),
                        o.metadata.deletion_timestamp.is_some(),
                        "Pruned",
                    )
                    .await?
                {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    /// Prunes by listing the inventory from the API server (no caches, or a label selector),
    /// at most once per owner, selector and desired set in this process.
    async fn prune_listed(
        &self,
        owner: &Owner,
        extra: Option<&str>,
        desired: &BTreeSet<ObjKey>,
        report: &mut ApplyReport,
    ) -> Result<(), Error> {
        // Objects enter the inventory only through our applies, so once a desired set has
        // been pruned for this owner, pruning it again finds nothing: skip the list calls
        // until the render changes (or the process restarts).
        let memo = owner.uid.clone().map(|uid| {
            (
                uid,
                extra.unwrap_or("").to_string(),
                desired.iter().cloned().collect::<Vec<_>>(),
            )
        });
        let done = memo
            .as_ref()
            .is_some_and(|m| self.pruned.lock().is_ok_and(|p| p.contains(m)));
        if !done {
            for r in self.delete_inventory(owner, extra, Some(desired)).await? {
                report.results.push(r);
            }
            if let (Some(m), Ok(mut p)) = (memo, self.pruned.lock()) {
                p.retain(|(uid, sel, _)| !(Some(uid) == owner.uid.as_ref() && sel == &m.1));
                p.insert(m);
            }
        }
        Ok(())
    }

    /// Deletes every inventory object of `owner` (all declared kinds): the finalizer's cleanup.
    ///
    /// Returns the objects still present afterwards (e.g. held by their own finalizers).
    pub async fn delete_all(&self, owner: &Owner) -> Result<Vec<ObjectResult>, Error> {
        self.forget(owner);
        let deleted = self.delete_inventory(owner, None, None).await?;
        let mut remaining = Vec::new();
        for r in deleted {
            let Some(k) = self.kinds.iter().find(|k| k.kind == r.kind) else {
                continue;
            };
            let api = self.api(&k.api_resource(), k.namespaced, r.namespace.as_deref());
            if api
                .get_metadata_opt(&r.name)
                .await
                .map_err(|e| Error::kube(format!("get {}", r.message()), e))?
                .is_some()
            {
                remaining.push(r);
            }
        }
        Ok(remaining)
    }

    async fn delete_inventory(
        &self,
        owner: &Owner,
        extra_selector: Option<&str>,
        keep: Option<&BTreeSet<ObjKey>>,
    ) -> Result<Vec<ObjectResult>, Error> {
        let mut sel = format!("{PART_OF_LABEL}={}", owner.applyset_id());
        if let Some(x) = extra_selector {
            sel.push(',');
            sel.push_str(x);
        }
        let lp = ListParams::default().labels(&sel);
        let mut out = Vec::new();
        for k in self.kinds.iter() {
            let ar = k.api_resource();
            let list_api = if k.namespaced {
                match &owner.namespace {
                    Some(ns) => Api::<DynamicObject>::namespaced_with(self.client.clone(), ns, &ar),
                    None => Api::all_with(self.client.clone(), &ar),
                }
            } else {
                Api::all_with(self.client.clone(), &ar)
            };
            let list = match list_api.list_metadata(&lp).await {
                Ok(l) => l,
                Err(kube::Error::Api(s)) if s.is_forbidden() => {
                    tracing::warn!(
                        controller = self.controller,
                        kind = k.kind,
                        "prune skipped: listing is forbidden"
                    );
                    continue;
                }
                Err(e) => {
                    return Err(Error::kube(
                        format!("list {} with {sel}", k.kind_group()),
                        e,
                    ))
                }
            };
            for m in list.items {
                let name = m.metadata.name.clone().unwrap_or_default();
                let ns = if k.namespaced {
                    m.metadata.namespace.clone()
                } else {
                    None
                };
                if keep.is_some_and(|keep| {
                    keep.contains(&(
                        k.group.to_string(),
                        k.kind.to_string(),
                        ns.clone(),
                        name.clone(),
                    ))
                }) {
                    continue;
                }
                let dynobj = DynamicObject {
                    types: None,
                    metadata: m.metadata.clone(),
                    data: Value::Null,
                };
                if let Some(uid) = &owner.uid {
                    if !owned_by(&dynobj, uid) {
                        continue;
                    }
                }
                let reason = if keep.is_some() { "Pruned" } else { "Deleted" };
                let terminating = m.metadata.deletion_timestamp.is_some();
                if let Some(r) = self
                    .delete_one(owner, k, ns, name, terminating, reason)
                    .await?
                {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    /// Deletes one inventory object (unless it is already `terminating`), with a metric, a log
    /// line and an Event with `reason`. `None` when it was gone already.
    async fn delete_one(
        &self,
        owner: &Owner,
        k: &ChildKind,
        ns: Option<String>,
        name: String,
        terminating: bool,
        reason: &str,
    ) -> Result<Option<ObjectResult>, Error> {
        if let Ok(mut m) = self.applied.lock() {
            m.remove(&(
                k.group.to_string(),
                k.kind.to_string(),
                ns.clone(),
                name.clone(),
            ));
        }
        if terminating {
            return Ok(Some(self.pruned(k, ns, name)));
        }
        let api = self.api(&k.api_resource(), k.namespaced, ns.as_deref());
        match api.delete(&name, &DeleteParams::background()).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.is_not_found() => return Ok(None),
            Err(e) => {
                self.metrics.object_pruned(self.controller, k.kind, "error");
                return Err(Error::kube(format!("delete {} {name}", k.kind_group()), e));
            }
        }
        let r = self.pruned(k, ns, name);
        self.metrics
            .object_pruned(self.controller, k.kind, "deleted");
        tracing::info!(controller = self.controller, owner = %owner.key(), object = %format!("{}/{}", r.kind_group, r.name), reason, "deleted");
        self.event(
            owner,
            EventType::Normal,
            reason,
            format!("{}/{} deleted", r.kind_group, r.name),
        )
        .await;
        Ok(Some(r))
    }

    fn pruned(&self, k: &ChildKind, ns: Option<String>, name: String) -> ObjectResult {
        ObjectResult {
            kind_group: k.kind_group(),
            kind: k.kind.to_string(),
            namespace: ns,
            name,
            action: ApplyChange::Pruned,
            live: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::child_kind::kinds;
    use rstest::rstest;
    use serde_json::json;

    fn owner(uid: Option<&str>) -> Owner {
        Owner {
            api_version: "nuvolaris.org/v1".into(),
            group: "nuvolaris.org".into(),
            kind: "Sample".into(),
            name: "obj".into(),
            namespace: Some("demo".into()),
            uid: uid.map(str::to_string),
        }
    }

    fn deploy() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "obj-demo-deploy"}, "spec": {"replicas": 2}})
    }

    #[test]
    fn applyset_id_has_kep_format() {
        let id = owner(None).applyset_id();
        assert!(id.starts_with("applyset-") && id.ends_with("-v1"), "{id}");
        assert_eq!(id.len(), "applyset-".len() + 43 + 3);
        assert!(id.len() <= 63);
        let mut other = owner(None);
        other.name = "obj2".into();
        assert_ne!(other.applyset_id(), id);
    }

    #[test]
    fn stamp_adds_inventory_namespace_and_owner_ref() {
        let out = stamp(&owner(Some("u-1")), &[kinds::DEPLOYMENT], vec![deploy()]).unwrap();
        let d = &out[0];
        assert_eq!(d["metadata"]["namespace"], "demo");
        assert_eq!(
            d["metadata"]["labels"][PART_OF_LABEL],
            owner(None).applyset_id()
        );
        assert_eq!(
            d["metadata"]["labels"][MANAGED_BY_LABEL],
            "nuvolaris-operator"
        );
        assert_eq!(
            d["metadata"]["annotations"][OWNER_ANNOTATION],
            "Sample.nuvolaris.org/demo/obj"
        );
        assert_eq!(
            d["metadata"]["ownerReferences"],
            json!([{"apiVersion": "nuvolaris.org/v1", "controller": true, "kind": "Sample", "name": "obj", "uid": "u-1"}])
        );
        assert!(d["metadata"]["annotations"]
            .get(OWNER_UID_ANNOTATION)
            .is_none());
    }

    #[test]
    fn offline_stamp_differs_only_by_owner_reference() {
        let online = stamp(&owner(Some("u-1")), &[kinds::DEPLOYMENT], vec![deploy()]).unwrap();
        let mut offline = stamp(&owner(None), &[kinds::DEPLOYMENT], vec![deploy()]).unwrap();
        assert!(offline[0]["metadata"].get("ownerReferences").is_none());
        offline[0]["metadata"]["ownerReferences"] =
            online[0]["metadata"]["ownerReferences"].clone();
        assert_eq!(offline, online);
    }

    #[test]
    fn cluster_scoped_children_get_uid_annotation_and_go_first() {
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}});
        let out = stamp(
            &owner(Some("u-1")),
            &[kinds::DEPLOYMENT, kinds::NAMESPACE],
            vec![deploy(), ns],
        )
        .unwrap();
        assert_eq!(out[0]["kind"], "Namespace");
        assert!(out[0]["metadata"].get("namespace").is_none());
        assert!(out[0]["metadata"].get("ownerReferences").is_none());
        assert_eq!(
            out[0]["metadata"]["annotations"][OWNER_UID_ANNOTATION],
            "u-1"
        );
    }

    #[rstest]
    #[case(json!({"kind": "Deployment", "metadata": {"name": "a"}}))]
    #[case(json!({"apiVersion": "v1", "metadata": {"name": "a"}}))]
    #[case(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}))]
    #[case(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": 3}))]
    fn stamp_rejects_incomplete_objects(#[case] doc: Value) {
        assert!(matches!(
            stamp(&owner(None), &[], vec![doc]),
            Err(Error::InvalidObject { .. })
        ));
    }

    #[test]
    fn hash_changes_with_content_not_with_owner_uid() {
        let a = stamp(&owner(Some("u-1")), &[kinds::DEPLOYMENT], vec![deploy()]).unwrap();
        let b = stamp(&owner(Some("u-2")), &[kinds::DEPLOYMENT], vec![deploy()]).unwrap();
        let mut d = deploy();
        d["spec"]["replicas"] = json!(5);
        let c = stamp(&owner(Some("u-1")), &[kinds::DEPLOYMENT], vec![d]).unwrap();
        let h = |v: &Value| v["metadata"]["annotations"][HASH_ANNOTATION].clone();
        assert_eq!(h(&a[0]), h(&b[0]));
        assert_ne!(h(&a[0]), h(&c[0]));
    }

    #[rstest]
    #[case(json!({"a": 1, "b": {"c": [1, {"d": 2, "e": 3}]}}), json!({"b": {"c": [1, {"d": 2}]}}), true)]
    #[case(json!({"a": 1}), json!({"a": 1.0}), true)]
    #[case(json!({"a": 1}), json!({"a": 2}), false)]
    #[case(json!({"a": [1, 2]}), json!({"a": [1]}), false)]
    #[case(json!({"a": 1}), json!({"b": null}), true)]
    #[case(json!({"a": 1}), json!({"b": 1}), false)]
    #[case(json!({"spec": {"replicas": 7}}), json!({"spec": {"replicas": 2}}), false)]
    fn contains_cases(#[case] live: Value, #[case] desired: Value, #[case] want: bool) {
        assert_eq!(contains(&live, &desired), want);
    }

    #[test]
    fn report_messages_are_kubectl_like() {
        let r = ObjectResult {
            kind_group: "deployment.apps".into(),
            kind: "Deployment".into(),
            namespace: Some("demo".into()),
            name: "obj-demo-deploy".into(),
            action: ApplyChange::Configured,
            live: None,
        };
        assert_eq!(r.message(), "deployment.apps/obj-demo-deploy configured");
    }
}
