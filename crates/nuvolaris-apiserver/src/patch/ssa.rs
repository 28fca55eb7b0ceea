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

//! Server-side apply and managed-fields tracking, after structured-merge-diff (the library
//! behind kube-apiserver's field manager): merge of an applied configuration by the SSA list
//! types of [`nuvolaris_merge::schema`], field sets, ownership conflicts, pruning of fields
//! a manager stopped applying, and `metadata.managedFields` entries.

use super::fieldset::{self, FieldSet, PathElement};
use nuvolaris_merge::schema::{self, Node, SsaList};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// `operation` of an apply entry.
pub const APPLY: &str = "Apply";
/// `operation` of an update entry.
pub const UPDATE: &str = "Update";

/// Fields never tracked (the API server's `stripMeta`).
const STRIPPED_META: &[&str] = &[
    "name",
    "namespace",
    "creationTimestamp",
    "selfLink",
    "uid",
    "clusterName",
    "generation",
    "managedFields",
    "resourceVersion",
];

/// Fields of built-in kinds that always exist in the API server's typed objects (non-pointer
/// structs, non-omitempty lists): when added, they are not themselves recorded as owned
/// (no `".": {}`), only their content.
const ALWAYS_PRESENT: &[&str] = &[
    "metadata",
    "spec",
    "status",
    "template",
    "strategy",
    "updateStrategy",
    "jobTemplate",
    "resources",
    "containers",
];

/// One `metadata.managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Field manager name.
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// apiVersion the fields were recorded with.
    pub api_version: String,
    /// When the manager last changed the object (RFC 3339).
    pub time: Option<String>,
    /// Subresource the operation went through (`status`, `scale`), if any.
    pub subresource: Option<String>,
    /// Fields owned.
    pub set: FieldSet,
}

impl Entry {
    fn is(
        &self,
        manager: &str,
        operation: &str,
        subresource: Option<&str>,
        api_version: &str,
    ) -> bool {
        self.manager == manager
            && self.operation == operation
            && self.subresource.as_deref() == subresource
            && (operation == APPLY || self.api_version == api_version)
    }

    /// How the API server names this manager in conflict messages.
    pub fn display(&self) -> String {
        let mut s = format!("{:?}", self.manager);
        if let Some(sub) = &self.subresource {
            s.push_str(&format!(" with subresource {sub:?}"));
        }
        if self.operation == UPDATE {
            s.push_str(&format!(" using {}", self.api_version));
        }
        s
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("manager".into(), Value::String(self.manager.clone()));
        m.insert("operation".into(), Value::String(self.operation.clone()));
        m.insert("apiVersion".into(), Value::String(self.api_version.clone()));
        if let Some(t) = &self.time {
            m.insert("time".into(), Value::String(t.clone()));
        }
        m.insert("fieldsType".into(), Value::String("FieldsV1".into()));
        m.insert("fieldsV1".into(), self.set.to_fields_v1());
        if let Some(s) = &self.subresource {
            m.insert("subresource".into(), Value::String(s.clone()));
        }
        Value::Object(m)
    }

    fn from_json(v: &Value) -> Option<Entry> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        Some(Entry {
            manager: s("manager").unwrap_or_default(),
            operation: s("operation").unwrap_or_else(|| UPDATE.into()),
            api_version: s("apiVersion").unwrap_or_default(),
            time: s("time"),
            subresource: s("subresource").filter(|x| !x.is_empty()),
            set: match v.get("fieldsV1") {
                Some(f) => FieldSet::from_fields_v1(f)?,
                None => FieldSet::new(),
            },
        })
    }
}

/// The managedFields entries of an object (malformed entries are skipped).
pub fn decode(obj: &Value) -> Vec<Entry> {
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Entry::from_json).collect())
        .unwrap_or_default()
}

/// Writes `entries` to `obj.metadata.managedFields`, in the API server's order (Apply first,
/// then by time, manager, apiVersion, subresource); removes the field when there is none.
pub fn encode(obj: &mut Value, entries: &[Entry]) {
    let mut sorted: Vec<&Entry> = entries.iter().filter(|e| !e.set.is_empty()).collect();
    sorted.sort_by(|a, b| {
        a.operation
            .cmp(&b.operation)
            .then_with(|| {
                a.time
                    .as_deref()
                    .unwrap_or("")
                    .cmp(b.time.as_deref().unwrap_or(""))
            })
            .then_with(|| a.manager.cmp(&b.manager))
            .then_with(|| a.api_version.cmp(&b.api_version))
            .then_with(|| a.subresource.cmp(&b.subresource))
    });
    let Some(root) = obj.as_object_mut() else {
        return;
    };
    let meta = root
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(meta) = meta.as_object_mut() else {
        return;
    };
    if sorted.is_empty() {
        meta.shift_remove("managedFields");
    } else {
        meta.insert(
            "managedFields".into(),
            Value::Array(sorted.iter().map(|e| e.to_json()).collect()),
        );
    }
}

/// The schema of an object (Any for custom resources) and whether it is a custom resource.
pub fn schema_of(obj: &Value) -> (&'static Node, bool) {
    match schema::for_object(obj) {
        Some(n) => (n, false),
        None => (&schema::ANY, true),
    }
}

/// A copy of `obj` without `metadata.managedFields`.
pub fn without_managed_fields(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        m.shift_remove("managedFields");
    }
    o
}

/// Removes the fields the API server never tracks.
pub fn strip(set: &mut FieldSet) {
    set.member = false;
    set.children.remove("f:apiVersion");
    set.children.remove("f:kind");
    if let Some(meta) = set.children.get_mut("f:metadata") {
        meta.member = false;
        for f in STRIPPED_META {
            meta.children.remove(&fieldset::field(f));
        }
    }
}

/// The path element of a list item: `k:` for list-maps, `v:` for sets; `None` when the item
/// cannot be identified (then the list is handled as atomic).
fn item_pe(item: &Value, ssa: SsaList) -> Option<PathElement> {
    match ssa {
        SsaList::Map(keys) => {
            let m = item.as_object()?;
            let tcp = Value::String("TCP".into());
            let mut fields: Vec<(&str, &Value)> = Vec::new();
            for k in keys {
                match m.get(*k) {
                    Some(v) if !v.is_null() => fields.push((k, v)),
                    // the API server defaults `protocol` before merging
                    _ if *k == "protocol" => fields.push((k, &tcp)),
                    _ => {}
                }
            }
            if fields.is_empty() {
                return None;
            }
            Some(fieldset::key(&fields))
        }
        SsaList::Set => match item {
            Value::Object(_) | Value::Array(_) => None,
            v => Some(fieldset::value(v)),
        },
        SsaList::Atomic => None,
    }
}

/// The path elements of all items, when the list is granular (list-map or set) and every item
/// can be identified.
fn list_pes(list: &[Value], node: &Node) -> Option<(Vec<PathElement>, SsaList)> {
    let ssa = node.list()?.ssa;
    if ssa == SsaList::Atomic {
        return None;
    }
    let pes: Option<Vec<PathElement>> = list.iter().map(|i| item_pe(i, ssa)).collect();
    pes.map(|p| (p, ssa))
}

fn granular_map<'a>(v: &'a Value, node: &Node) -> Option<&'a Map<String, Value>> {
    match v {
        Value::Object(m) if !node.is_atomic() && !m.is_empty() => Some(m),
        _ => None,
    }
}

/// The fields an applied configuration sets (structured-merge-diff `ToFieldSet`).
pub fn config_set(cfg: &Value, node: &Node) -> FieldSet {
    let mut out = FieldSet::new();
    let mut path = Vec::new();
    walk_config(cfg, node, &mut path, &mut out);
    strip(&mut out);
    out
}

fn walk_config(v: &Value, node: &Node, path: &mut Vec<PathElement>, out: &mut FieldSet) {
    if let Some(m) = granular_map(v, node) {
        for (k, c) in m {
            if c.is_null() {
                continue;
            }
            path.push(fieldset::field(k));
            walk_config(c, node.field(k), path, out);
            path.pop();
        }
        return;
    }
    if let Value::Array(a) = v {
        if let Some((pes, _)) = list_pes(a, node) {
            if a.is_empty() {
                out.insert(path);
            }
            for (item, pe) in a.iter().zip(pes) {
                path.push(pe);
                out.insert(path);
                if let Some(m) = item.as_object() {
                    for (k, c) in m {
                        if c.is_null() {
                            continue;
                        }
                        path.push(fieldset::field(k));
                        walk_config(c, node.items().field(k), path, out);
                        path.pop();
                    }
                }
                path.pop();
            }
            return;
        }
    }
    out.insert(path);
}

/// Differences between two versions of an object, as field sets.
#[derive(Debug, Default)]
pub struct Comparison {
    /// Fields present only in the new object (with `.` for added maps and lists).
    pub added: FieldSet,
    /// Leaf fields whose value changed.
    pub modified: FieldSet,
    /// Fields present only in the old object.
    pub removed: FieldSet,
}

/// Compares two objects (without their managedFields); `custom` selects the custom-resource
/// rule for recording added maps.
pub fn compare(old: Option<&Value>, new: Option<&Value>, node: &Node, custom: bool) -> Comparison {
    let mut c = Comparison::default();
    let mut path = Vec::new();
    let cmp = Cmp { custom };
    cmp.walk(old, new, node, &mut path, &mut c);
    strip(&mut c.added);
    strip(&mut c.modified);
    strip(&mut c.removed);
    c
}

/// Whether field `k` under `path` is `metadata.managedFields` (never compared).
fn is_managed_fields(path: &[PathElement], k: &str) -> bool {
    k == "managedFields" && path.len() == 1 && path[0] == "f:metadata"
}

struct Cmp {
    custom: bool,
}

impl Cmp {
    fn dot(&self, field: Option<&str>) -> bool {
        self.custom || field.is_none_or(|f| !ALWAYS_PRESENT.contains(&f))
    }

    fn walk(
        &self,
        old: Option<&Value>,
        new: Option<&Value>,
        node: &Node,
        path: &mut Vec<PathElement>,
        c: &mut Comparison,
    ) {
        let dot = self.dot(path.last().and_then(|p| p.strip_prefix("f:")));
        let old = old.filter(|v| !v.is_null());
        let new = new.filter(|v| !v.is_null());
        match (old, new) {
            (None, None) => {}
            (None, Some(n)) => self.all(n, node, path, &mut c.added, dot),
            (Some(o), None) => self.all(o, node, path, &mut c.removed, true),
            (Some(o), Some(n)) => {
                if let (Some(om), Some(nm)) = (granular_map(o, node), granular_map(n, node)) {
                    let mut keys: Vec<&String> = om.keys().collect();
                    keys.extend(nm.keys().filter(|k| !om.contains_key(*k)));
                    for k in keys {
                        if is_managed_fields(path, k) {
                            continue;
                        }
                        path.push(fieldset::field(k));
                        self.walk(om.get(k), nm.get(k), node.field(k), path, c);
                        path.pop();
                    }
                    return;
                }
                if let (Value::Array(oa), Value::Array(na)) = (o, n) {
                    if let (Some((ope, ssa)), Some((npe, _))) =
                        (list_pes(oa, node), list_pes(na, node))
                    {
                        let oi: HashMap<&PathElement, &Value> =
                            ope.iter().zip(oa.iter()).rev().collect();
                        let ni: HashMap<&PathElement, &Value> =
                            npe.iter().zip(na.iter()).rev().collect();
                        let mut seen: HashSet<&PathElement> = HashSet::new();
                        for pe in ope.iter().chain(npe.iter()) {
                            if !seen.insert(pe) {
                                continue;
                            }
                            path.push(pe.clone());
                            match (oi.get(pe), ni.get(pe)) {
                                (None, Some(n)) => self.item(n, node, path, &mut c.added),
                                (Some(o), None) => self.item(o, node, path, &mut c.removed),
                                (Some(o), Some(n)) => {
                                    if matches!(ssa, SsaList::Map(_)) {
                                        let (om, nm) = (o.as_object(), n.as_object());
                                        let mut keys: Vec<&String> =
                                            om.map(|m| m.keys().collect()).unwrap_or_default();
                                        if let Some(nm) = nm {
                                            keys.extend(nm.keys().filter(|k| {
                                                om.is_none_or(|om| !om.contains_key(*k))
                                            }));
                                        }
                                        for k in keys {
                                            path.push(fieldset::field(k));
                                            self.walk(
                                                om.and_then(|m| m.get(k)),
                                                nm.and_then(|m| m.get(k)),
                                                node.items().field(k),
                                                path,
                                                c,
                                            );
                                            path.pop();
                                        }
                                    }
                                }
                                (None, None) => {}
                            }
                            path.pop();
                        }
                        return;
                    }
                }
                if o != n {
                    c.modified.insert(path);
                }
            }
        }
    }

    /// Records a list item and everything in it.
    fn item(
        &self,
        item: &Value,
        list_node: &Node,
        path: &mut Vec<PathElement>,
        out: &mut FieldSet,
    ) {
        out.insert(path);
        if let Some(m) = item.as_object() {
            for (k, c) in m {
                if c.is_null() {
                    continue;
                }
                path.push(fieldset::field(k));
                self.all(c, list_node.items().field(k), path, out, self.dot(Some(k)));
                path.pop();
            }
        }
    }

    /// Records `v` and everything in it; `dot` tells whether a map/list itself is recorded.
    fn all(
        &self,
        v: &Value,
        node: &Node,
        path: &mut Vec<PathElement>,
        out: &mut FieldSet,
        dot: bool,
    ) {
        if let Some(m) = granular_map(v, node) {
            if dot {
                out.insert(path);
            }
            for (k, c) in m {
                if c.is_null() || is_managed_fields(path, k) {
                    continue;
                }
                path.push(fieldset::field(k));
                self.all(c, node.field(k), path, out, self.dot(Some(k)));
                path.pop();
            }
            return;
        }
        if let Value::Array(a) = v {
            if !a.is_empty() {
                if let Some((pes, _)) = list_pes(a, node) {
                    if dot {
                        out.insert(path);
                    }
                    for (item, pe) in a.iter().zip(pes) {
                        path.push(pe);
                        self.item(item, node, path, out);
                        path.pop();
                    }
                    return;
                }
            }
        }
        out.insert(path);
    }
}

/// Merges an applied configuration into the live object (structured-merge-diff `Merge`):
/// maps recursively, list-maps and sets by item identity, everything else replaced.
pub fn merge(live: Option<&Value>, cfg: &Value, node: &Node) -> Value {
    match cfg {
        Value::Object(cm) if !node.is_atomic() => {
            let mut out = match live {
                Some(Value::Object(lm)) => lm.clone(),
                _ => Map::new(),
            };
            for (k, cv) in cm {
                if cv.is_null() {
                    out.shift_remove(k);
                    continue;
                }
                let merged = merge(out.get(k), cv, node.field(k));
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        Value::Array(ca) => match (live, list_pes(ca, node)) {
            (Some(Value::Array(la)), Some((rpe, _))) => match list_pes(la, node) {
                Some((lpe, _)) => Value::Array(merge_lists(la, &lpe, ca, &rpe, node.items())),
                None => cfg.clone(),
            },
            _ => cfg.clone(),
        },
        other => other.clone(),
    }
}

/// structured-merge-diff's list merge: shared items take the configuration's order, items
/// only in the live list keep their place, new items are inserted where the configuration
/// puts them.
fn merge_lists(
    lhs: &[Value],
    lpe: &[PathElement],
    rhs: &[Value],
    rpe: &[PathElement],
    items: &Node,
) -> Vec<Value> {
    let mut obs_l: HashMap<&PathElement, usize> = HashMap::new();
    for (i, pe) in lpe.iter().enumerate() {
        obs_l.entry(pe).or_insert(i);
    }
    let mut obs_r: HashMap<&PathElement, usize> = HashMap::new();
    for (i, pe) in rpe.iter().enumerate() {
        obs_r.entry(pe).or_insert(i);
    }
    let mut shared: std::collections::VecDeque<&PathElement> =
        rpe.iter().filter(|pe| obs_l.contains_key(pe)).collect();
    let mut next_shared = shared.pop_front();
    let mut merged_r: HashSet<&PathElement> = HashSet::new();
    let mut out = Vec::with_capacity(lhs.len().max(rhs.len()));
    let (ll, rl) = (lpe.len(), rpe.len());
    let (mut li, mut ri) = (0, 0);
    let mut guard = 0usize;
    while li < ll || ri < rl {
        guard += 1;
        if guard > 4 * (ll + rl) + 8 {
            break;
        }
        if li < ll && ri < rl {
            let pe = &lpe[li];
            if *pe == rpe[ri] {
                if merged_r.insert(pe) {
                    out.push(merge(Some(&lhs[obs_l[pe]]), &rhs[obs_r[pe]], items));
                }
                li += 1;
                ri += 1;
                next_shared = shared.pop_front();
                continue;
            }
            if obs_r.contains_key(pe) && next_shared.is_some_and(|n| n != pe) {
                li += 1;
                continue;
            }
        }
        if li < ll {
            let pe = &lpe[li];
            if !obs_r.contains_key(pe) {
                out.push(lhs[li].clone());
                li += 1;
                continue;
            } else if merged_r.contains(pe) {
                li += 1;
                continue;
            }
        }
        if ri < rl {
            let pe = &rpe[ri];
            if merged_r.insert(pe) {
                let l = obs_l.get(pe).map(|i| &lhs[*i]);
                out.push(merge(l, &rhs[obs_r[pe]], items));
            }
            ri += 1;
            if next_shared == Some(pe) {
                next_shared = shared.pop_front();
            }
        }
    }
    out
}

/// Removes from `v` the fields in `rm` unless `owned` still has something under them.
pub fn prune(v: &mut Value, rm: &FieldSet, owned: Option<&FieldSet>, node: &Node) {
    for (pe, crm) in &rm.children {
        let cown = owned.and_then(|o| o.child(pe));
        let remove = crm.member && cown.is_none_or(FieldSet::is_empty);
        if let Some(name) = pe.strip_prefix("f:") {
            let Some(m) = v.as_object_mut() else { continue };
            if remove {
                m.shift_remove(name);
            } else if let Some(c) = m.get_mut(name) {
                prune(c, crm, cown, node.field(name));
            }
        } else if let Value::Array(a) = v {
            let Some(ssa) = node.list().map(|l| l.ssa) else {
                continue;
            };
            let Some(i) = a
                .iter()
                .position(|item| item_pe(item, ssa).as_deref() == Some(pe.as_str()))
            else {
                continue;
            };
            if remove {
                a.remove(i);
            } else {
                prune(&mut a[i], crm, cown, node.items());
            }
        }
    }
}

/// A field another manager owns that an operation wants to change.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The other manager, as the API server prints it (`"kubectl" using apps/v1`).
    pub manager: String,
    /// The field path (`.spec.replicas`).
    pub path: String,
}

/// structured-merge-diff `update`: ownership changes of the other managers (all but `skip`)
/// for the change from `live` to `new`. Without `force`, fields they own that change are
/// conflicts.
pub fn update(
    live: Option<&Value>,
    new: &Value,
    entries: &mut [Entry],
    skip: Option<usize>,
    force: bool,
    node: &Node,
    custom: bool,
) -> Result<Comparison, Vec<Conflict>> {
    let c = compare(live, Some(new), node, custom);
    let changed = c.modified.union(&c.added);
    let mut conflicts: Vec<(usize, FieldSet)> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if Some(i) == skip {
            continue;
        }
        let x = e.set.intersection(&changed);
        if !x.is_empty() {
            conflicts.push((i, x));
        }
    }
    if !force && !conflicts.is_empty() {
        let mut out: Vec<Conflict> = Vec::new();
        conflicts.sort_by_key(|(i, _)| entries[*i].display());
        for (i, set) in conflicts {
            for p in set.paths() {
                out.push(Conflict {
                    manager: entries[i].display(),
                    path: fieldset::path_string(&p),
                });
            }
        }
        return Err(out);
    }
    for (i, set) in conflicts {
        entries[i].set = entries[i].set.difference(&set);
    }
    for (i, e) in entries.iter_mut().enumerate() {
        if Some(i) != skip {
            e.set = e.set.difference(&c.removed);
        }
    }
    Ok(c)
}

/// Server-side apply of `cfg` by `manager` to `live` (`None`: create).
pub fn apply(
    live: Option<&Value>,
    cfg: &Value,
    manager: &str,
    force: bool,
    subresource: Option<&str>,
    now: &str,
) -> Result<Value, Vec<Conflict>> {
    let (node, custom) = schema_of(cfg);
    let api_version = cfg
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let live_plain = live.map(without_managed_fields);
    let mut entries = live.map(decode).unwrap_or_default();
    if let (Some(l), true) = (live_plain.as_ref(), entries.is_empty()) {
        // an object written without field tracking: its fields belong to a pseudo-manager
        let c = compare(None, Some(l), node, custom);
        entries.push(Entry {
            manager: "before-first-apply".into(),
            operation: UPDATE.into(),
            api_version: l
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or(&api_version)
                .to_string(),
            time: Some(now.to_string()),
            subresource: None,
            set: c.added,
        });
    }
    let mut merged = merge(live_plain.as_ref(), cfg, node);
    let set = config_set(cfg, node);
    let idx = match entries
        .iter()
        .position(|e| e.is(manager, APPLY, subresource, &api_version))
    {
        Some(i) => i,
        None => {
            entries.push(Entry {
                manager: manager.to_string(),
                operation: APPLY.into(),
                api_version: api_version.clone(),
                time: None,
                subresource: subresource.map(str::to_string),
                set: FieldSet::new(),
            });
            entries.len() - 1
        }
    };
    let last = std::mem::replace(&mut entries[idx].set, set);
    entries[idx].api_version = api_version;
    let mut owned = FieldSet::new();
    for e in &entries {
        owned.union_with(&e.set);
    }
    let to_remove = last.difference(&owned);
    prune(&mut merged, &to_remove, Some(&owned), node);
    update(
        live_plain.as_ref(),
        &merged,
        &mut entries,
        Some(idx),
        force,
        node,
        custom,
    )?;
    if live_plain.as_ref() != Some(&merged) {
        entries[idx].time = Some(now.to_string());
    }
    encode(&mut merged, &entries);
    Ok(merged)
}

/// Records an Update operation by `manager` (create, update, non-apply patch) in
/// `new.metadata.managedFields`: the manager takes ownership of every field it changed, from
/// whoever owned it.
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    subresource: Option<&str>,
    now: &str,
) {
    let (node, custom) = schema_of(new);
    let api_version = new
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let new_mf = new.pointer("/metadata/managedFields");
    let old_mf = old.and_then(|o| o.pointer("/metadata/managedFields"));
    // a client that rewrites managedFields gets them (an empty list resets tracking)
    let mut entries = match (new_mf, old_mf) {
        (Some(n), o) if Some(n) != o => decode(new),
        _ => old.map(decode).unwrap_or_default(),
    };
    // compare() skips metadata.managedFields itself
    let c = compare(old, Some(&*new), node, custom);
    let changed = c.modified.union(&c.added);
    for e in entries.iter_mut() {
        e.set.subtract(&changed);
        e.set.subtract(&c.removed);
    }
    if !changed.is_empty() {
        match entries
            .iter()
            .position(|e| e.is(manager, UPDATE, subresource, &api_version))
        {
            Some(i) => {
                entries[i].set.union_with(&changed);
                entries[i].time = Some(now.to_string());
            }
            None => entries.push(Entry {
                manager: manager.to_string(),
                operation: UPDATE.into(),
                api_version,
                time: Some(now.to_string()),
                subresource: subresource.map(str::to_string),
                set: changed,
            }),
        }
    }
    encode(new, &entries);
}
