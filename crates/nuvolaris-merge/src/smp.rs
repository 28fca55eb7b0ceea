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

//! Strategic merge patch on `serde_json` values.
//!
//! Two flavours share one engine:
//! - [`Flavor::Kustomize`] follows what `kustomize build` (kyaml `merge2`, v5) does with a
//!   strategic merge patch: lists merged by key put the patch's items first (in patch order)
//!   and then the original's remaining items; the SMP directives `$retainKeys`,
//!   `$setElementOrder/…` and `$deleteFromPrimitiveList/…` are not interpreted (kustomize
//!   copies them into the output as plain fields); lists whose merge key has several parts
//!   (`containerPort`+`protocol`) match items on all parts.
//! - [`Flavor::ApiServer`] follows apimachinery's `strategicpatch` as the API server applies
//!   `application/strategic-merge-patch+json`: new list items are ordered by
//!   `mergeSortedSlice` (patch items before the server-only items that follow them), and all
//!   directives are honoured.
//!
//! Both: maps are merged recursively; `null` deletes a key; lists without a merge strategy
//! (and every list of a kind without schema, i.e. custom resources) are replaced;
//! `$patch: replace | delete` work on maps and list items.

use crate::error::MergeError;
use crate::schema::{self, Node, SmpList};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// Whose strategic-merge behaviour to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `kustomize build` v5 (kyaml merge2).
    Kustomize,
    /// The kube-apiserver (apimachinery `strategicpatch`).
    ApiServer,
}

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ORDER: &str = "$setElementOrder/";
const DELETE_PRIMITIVE: &str = "$deleteFromPrimitiveList/";

/// Applies a strategic merge patch to `original` as kustomize does, with the merge keys of
/// `original`'s kind (no merge keys for custom resources).
///
/// Returns `Value::Null` when the patch deletes the whole object (`$patch: delete` at the top).
pub fn strategic_merge(original: &Value, patch: &Value) -> Result<Value, MergeError> {
    strategic_merge_with(
        original,
        patch,
        schema::for_object(original),
        Flavor::Kustomize,
    )
}

/// Applies a strategic merge patch with an explicit schema (`None`: no merge keys) and flavour.
///
/// Returns `Value::Null` when the patch deletes the whole object with `$patch: delete`
/// ([`Flavor::Kustomize`]); the API server flavour returns an empty object instead, as
/// apimachinery does.
pub fn strategic_merge_with(
    original: &Value,
    patch: &Value,
    schema: Option<&Node>,
    flavor: Flavor,
) -> Result<Value, MergeError> {
    let node = schema.unwrap_or(&crate::schema::ANY);
    let Value::Object(pm) = patch else {
        return Err(err("", "the patch is not a map"));
    };
    let om = match original {
        Value::Object(om) => Some(om.clone()),
        Value::Null => None,
        _ => return Err(err("", "the original object is not a map")),
    };
    let m = Merger { flavor };
    Ok(m.map(om, pm, node, "")?.unwrap_or(Value::Null))
}

/// Like [`strategic_merge`], consuming `original` (saves a copy of it).
pub fn strategic_merge_owned(original: Value, patch: &Value) -> Result<Value, MergeError> {
    let node = schema::for_object(&original).unwrap_or(&crate::schema::ANY);
    let Value::Object(pm) = patch else {
        return Err(err("", "the patch is not a map"));
    };
    let om = match original {
        Value::Object(om) => Some(om),
        Value::Null => None,
        _ => return Err(err("", "the original object is not a map")),
    };
    let m = Merger {
        flavor: Flavor::Kustomize,
    };
    Ok(m.map(om, pm, node, "")?.unwrap_or(Value::Null))
}

fn into_object(v: Value) -> Option<Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

fn err(path: &str, message: impl Into<String>) -> MergeError {
    MergeError {
        path: if path.is_empty() {
            ".".into()
        } else {
            path.to_string()
        },
        message: message.into(),
    }
}

fn join(path: &str, k: &str) -> String {
    format!("{path}.{k}")
}

/// The value of a merge key as kyaml compares it: scalars as text, missing/null as `None`.
fn key_text(item: &Value, key: &str) -> Option<String> {
    match item.get(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// apimachinery's treatment of a value with nothing to merge with (`discardNullValuesFromPatch`
/// then `removeDirectives`): null map values dropped, maps carrying `$patch` dropped.
fn api_new_value(v: &Value) -> Option<Value> {
    match v {
        Value::Object(m) => {
            if m.contains_key(DIRECTIVE) {
                return None;
            }
            let mut out = Map::new();
            for (k, c) in m {
                if c.is_null() {
                    continue;
                }
                if let Some(c) = api_new_value(c) {
                    out.insert(k.clone(), c);
                }
            }
            Some(Value::Object(out))
        }
        Value::Array(a) => Some(Value::Array(a.iter().filter_map(api_new_value).collect())),
        other => Some(other.clone()),
    }
}

/// Looks list items up by merge-key value (first occurrence): a linear scan for short lists,
/// a hash of the values' text for long ones (so that huge inputs stay linear).
enum KeyIndex {
    Small(Vec<(Value, usize)>),
    Big(HashMap<String, usize>),
}

impl KeyIndex {
    fn new<'a>(items: impl Iterator<Item = (usize, &'a Value)>, big: bool) -> Self {
        let items = items.filter(|(_, k)| !k.is_null());
        if big {
            let mut m = HashMap::new();
            for (i, k) in items {
                if let Some(t) = key_text_of(k) {
                    m.entry(t).or_insert(i);
                }
            }
            KeyIndex::Big(m)
        } else {
            let mut v: Vec<(Value, usize)> = Vec::new();
            for (i, k) in items {
                if !v.iter().any(|(x, _)| key_eq(x, k)) {
                    v.push((k.clone(), i));
                }
            }
            KeyIndex::Small(v)
        }
    }

    fn get(&self, k: &Value) -> Option<usize> {
        match self {
            KeyIndex::Small(v) => v.iter().find(|(x, _)| key_eq(x, k)).map(|(_, i)| *i),
            KeyIndex::Big(m) => m.get(&key_text_of(k)?).copied(),
        }
    }
}

/// Whether two merge-key values are equal as kyaml compares them (as text).
fn key_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Number(x), Value::Number(y)) if x == y => true,
        (Value::String(x), other) | (other, Value::String(x)) => {
            key_text_of(other).is_some_and(|t| t == *x)
        }
        _ => key_text_of(a) == key_text_of(b),
    }
}

fn key_text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

fn directive(v: &Value) -> Option<&str> {
    v.get(DIRECTIVE).and_then(Value::as_str)
}

struct Merger {
    flavor: Flavor,
}

impl Merger {
    fn api(&self) -> bool {
        self.flavor == Flavor::ApiServer
    }

    /// Merges `patch` into `orig` (absent when the original has no such field); `None` = delete.
    /// `fresh` tells that the enclosing map is new (absent from the original).
    fn value(
        &self,
        orig: Option<Value>,
        patch: &Value,
        node: &Node,
        path: &str,
        fresh: bool,
    ) -> Result<Option<Value>, MergeError> {
        if self.api() && !patch.is_null() {
            let same_type = matches!(
                (&orig, patch),
                (Some(Value::Object(_)), Value::Object(_))
                    | (Some(Value::Array(_)), Value::Array(_))
            );
            if !same_type {
                // apimachinery takes a new value as is, without nulls and directives
                return Ok(api_new_value(patch));
            }
        }
        match patch {
            Value::Null => Ok(None),
            Value::Object(pm) => self.map(orig.and_then(into_object), pm, node, path),
            Value::Array(pa) => {
                let orig = match orig {
                    Some(Value::Array(a)) => Some(a),
                    _ => None,
                };
                self.list(orig, pa, node, path, fresh)
            }
            scalar => Ok(Some(scalar.clone())),
        }
    }

    fn map(
        &self,
        orig: Option<Map<String, Value>>,
        pm: &Map<String, Value>,
        node: &Node,
        path: &str,
    ) -> Result<Option<Value>, MergeError> {
        if let Some(d) = pm.get(DIRECTIVE) {
            match d.as_str() {
                Some("delete") => {
                    return Ok(if self.api() {
                        Some(Value::Object(Map::new()))
                    } else {
                        None
                    });
                }
                Some("replace") => {
                    let mut out = pm.clone();
                    out.shift_remove(DIRECTIVE);
                    return Ok(Some(Value::Object(out)));
                }
                Some("merge") if !self.api() => {}
                _ => return Err(err(path, format!("unknown patch type: {d} in map"))),
            }
        }
        let fresh = orig.is_none();
        // original lists that `$setElementOrder` directives order against
        let mut servers: Vec<(&str, Vec<Value>)> = Vec::new();
        if self.api() {
            for k in pm.keys() {
                if let Some(field) = k.strip_prefix(SET_ORDER) {
                    let server = orig
                        .as_ref()
                        .and_then(|o| o.get(field))
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    servers.push((field, server));
                }
            }
        }
        let mut out = orig.unwrap_or_default();
        let mut orders: Vec<(&str, &Value)> = Vec::new();
        if self.api() {
            if let Some(rk) = pm.get(RETAIN_KEYS) {
                let Some(list) = rk.as_array() else {
                    return Err(err(path, "$retainKeys must be a list of field names"));
                };
                let keep: HashSet<&str> = list.iter().filter_map(Value::as_str).collect();
                for k in pm.keys() {
                    if !k.starts_with('$') && !keep.contains(k.as_str()) {
                        return Err(err(
                            path,
                            format!("$retainKeys does not contain the patched field {k}"),
                        ));
                    }
                }
                out.retain(|k, _| keep.contains(k.as_str()));
            }
        }
        for (k, pv) in pm {
            if k == DIRECTIVE {
                continue;
            }
            if self.api() {
                if k == RETAIN_KEYS {
                    continue;
                }
                if let Some(field) = k.strip_prefix(SET_ORDER) {
                    orders.push((field, pv));
                    continue;
                }
                if let Some(field) = k.strip_prefix(DELETE_PRIMITIVE) {
                    let Some(del) = pv.as_array() else {
                        return Err(err(&join(path, k), "must be a list"));
                    };
                    if let Some(Value::Array(cur)) = out.get_mut(field) {
                        cur.retain(|v| !del.contains(v));
                    }
                    continue;
                }
            }
            let sub = node.field(k);
            let p = join(path, k);
            let cur = out.get_mut(k).map(std::mem::take);
            match self.value(cur, pv, sub, &p, fresh)? {
                Some(v) => match out.get_mut(k) {
                    Some(slot) => *slot = v,
                    None => {
                        out.insert(k.clone(), v);
                    }
                },
                None => {
                    out.shift_remove(k);
                }
            }
        }
        for (field, order) in orders {
            let Some(order) = order.as_array() else {
                return Err(err(&join(path, field), "$setElementOrder must be a list"));
            };
            let key = match node.field(field).list().map(|l| l.smp) {
                Some(SmpList::MergeByKey { key, .. }) => Some(key),
                _ => None,
            };
            let server = servers
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, s)| s.as_slice())
                .unwrap_or_default();
            if let Some(Value::Array(cur)) = out.get_mut(field) {
                let merged = std::mem::take(cur);
                *cur = api_order(merged, order, server, key);
            }
        }
        Ok(Some(Value::Object(out)))
    }

    fn list(
        &self,
        orig: Option<Vec<Value>>,
        pa: &[Value],
        node: &Node,
        path: &str,
        fresh: bool,
    ) -> Result<Option<Value>, MergeError> {
        let ls = node.list();
        let smp = ls.map(|l| l.smp).unwrap_or(SmpList::Replace);
        if smp == SmpList::Replace {
            return Ok(Some(Value::Array(pa.to_vec())));
        }
        let items = node.items();
        // kustomize, a list absent from an existing map, a patch item without the merge key:
        // only the items without the key are kept, as they are (`{$patch: replace}` included).
        if !self.api() && orig.is_none() && !fresh {
            if let Some(SmpList::MergeByKey { key, .. }) = ls.map(|l| l.smp) {
                if pa.iter().any(|v| key_text(v, key).is_none()) {
                    let out: Vec<Value> = pa
                        .iter()
                        .filter(|v| key_text(v, key).is_none())
                        .cloned()
                        .collect();
                    return Ok(Some(Value::Array(out)));
                }
            }
        }
        // `$patch: replace` anywhere in the list: the rest of the patch list replaces it.
        if pa.iter().any(|v| directive(v) == Some("replace")) {
            let mut out = Vec::new();
            for (i, v) in pa.iter().enumerate() {
                if directive(v).is_some() {
                    continue;
                }
                if let Some(m) = self.value(None, v, items, &format!("{path}[{i}]"), true)? {
                    out.push(m);
                }
            }
            return Ok(Some(Value::Array(out)));
        }
        let orig = orig.unwrap_or_default();
        match smp {
            SmpList::Replace => Ok(Some(Value::Array(pa.to_vec()))),
            SmpList::MergePrimitive => {
                if self.api() {
                    let mut merged: Vec<Value> = Vec::new();
                    for v in orig.iter().chain(pa.iter()) {
                        if !merged.contains(v) {
                            merged.push(v.clone());
                        }
                    }
                    Ok(Some(Value::Array(api_order(merged, pa, &orig, None))))
                } else {
                    let mut out: Vec<Value> = Vec::new();
                    for v in pa.iter().chain(orig.iter()) {
                        if !out.contains(v) {
                            out.push(v.clone());
                        }
                    }
                    Ok(Some(Value::Array(out)))
                }
            }
            SmpList::MergeByKey { key, .. } => {
                let all_scalars = orig.iter().chain(pa.iter()).all(|v| !v.is_object());
                if all_scalars && !pa.is_empty() {
                    return Ok(Some(Value::Array(pa.to_vec())));
                }
                if self.api() {
                    self.api_keyed(&orig, pa, key, items, path).map(Some)
                } else {
                    let keys = ls.map(|l| l.kyaml_keys()).unwrap_or_else(|| vec![key]);
                    self.kyaml_keyed(orig, pa, &keys, items, path).map(Some)
                }
            }
        }
    }

    /// kustomize's merge of a list of maps by key(s).
    fn kyaml_keyed(
        &self,
        orig: Vec<Value>,
        pa: &[Value],
        keys: &[&str],
        items: &Node,
        path: &str,
    ) -> Result<Value, MergeError> {
        let primary = keys[0];
        // A patch list starting with an item without the key is not merged: kustomize keeps
        // the patch items that have the key, as they are.
        if let Some(first) = pa.first() {
            if key_text(first, primary).is_none() {
                let out: Vec<Value> = pa
                    .iter()
                    .filter(|v| key_text(v, primary).is_some())
                    .cloned()
                    .collect();
                return Ok(Value::Array(out));
            }
        }
        let patch_items: Vec<(usize, &Map<String, Value>)> = pa
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_object().map(|m| (i, m)))
            .filter(|(_, m)| m.get(primary).is_some_and(|v| !v.is_null()))
            .collect();
        let tuple = |v: &Value| -> Vec<String> {
            keys.iter()
                .map(|k| key_text(v, k).unwrap_or_default())
                .collect()
        };
        let multi = keys.len() > 1
            && orig
                .iter()
                .chain(pa.iter())
                .any(|v| keys[1..].iter().any(|k| key_text(v, k).is_some()));
        if !multi {
            let big = orig.len() + patch_items.len() > 32;
            let patch_idx = KeyIndex::new(
                patch_items
                    .iter()
                    .enumerate()
                    .filter_map(|(n, (_, p))| p.get(primary).map(|k| (n, k))),
                big,
            );
            let orig_idx = KeyIndex::new(
                orig.iter()
                    .enumerate()
                    .filter_map(|(j, o)| o.get(primary).map(|k| (j, k))),
                big,
            );
            let mut orig: Vec<Option<Value>> = orig.into_iter().map(Some).collect();
            let mut out = Vec::new();
            for (n, (i, p)) in patch_items.iter().enumerate() {
                let Some(kv) = p.get(primary) else { continue };
                // duplicates: the first patch item with a key wins
                if patch_idx.get(kv) != Some(n) {
                    continue;
                }
                if p.get(DIRECTIVE).and_then(Value::as_str) == Some("delete") {
                    continue;
                }
                let cur = orig_idx
                    .get(kv)
                    .and_then(|j| orig[j].take())
                    .and_then(into_object);
                if let Some(v) = self.map(cur, p, items, &format!("{path}[{i}]"))? {
                    out.push(v);
                }
            }
            for o in orig.into_iter().flatten() {
                match o.get(primary) {
                    Some(kv) if patch_idx.get(kv).is_some() => {}
                    _ => out.push(o),
                }
            }
            return Ok(Value::Array(out));
        }
        let orig_tuples: Vec<Vec<String>> = orig.iter().map(tuple).collect();
        let mut by_primary: HashMap<&str, Vec<usize>> = HashMap::new();
        for (j, t) in orig_tuples.iter().enumerate() {
            by_primary.entry(t[0].as_str()).or_default().push(j);
        }
        let no_items: Vec<usize> = Vec::new();
        let mut merged: Vec<Option<Value>> = orig.into_iter().map(Some).collect();
        let mut new_items = Vec::new();
        let mut seen: HashSet<Vec<String>> = HashSet::new();
        for (i, p) in &patch_items {
            let t = tuple(&pa[*i]);
            if !seen.insert(t.clone()) {
                continue;
            }
            let mut delete = p.get(DIRECTIVE).and_then(Value::as_str) == Some("delete");
            let stripped;
            let mut p: &Map<String, Value> = p;
            if delete && t[1..].iter().all(String::is_empty) {
                // kustomize ignores `$patch: delete` on an item that has only the first key
                // of a multi-key list: the item is merged (or added) without the directive
                let mut m = p.clone();
                m.shift_remove(DIRECTIVE);
                stripped = m;
                p = &stripped;
                delete = false;
            }
            let ipath = format!("{path}[{i}]");
            let candidates = by_primary.get(t[0].as_str()).unwrap_or(&no_items);
            if let Some(&j) = candidates.iter().find(|&&j| orig_tuples[j] == t) {
                merged[j] = if delete {
                    None
                } else {
                    let cur = merged[j].take().and_then(into_object);
                    self.map(cur, p, items, &ipath)?
                };
            } else if candidates
                .iter()
                .any(|&j| partial_match(&orig_tuples[j], &t))
            {
                // kustomize drops a patch item whose keys only partly match an item
                // (e.g. a port with a protocol against the same port without one).
            } else if !delete {
                if let Some(v) = self.map(None, p, items, &ipath)? {
                    new_items.push(v);
                }
            }
        }
        new_items.extend(merged.into_iter().flatten());
        Ok(Value::Array(new_items))
    }

    /// apimachinery's merge of a list of maps by `key`.
    fn api_keyed(
        &self,
        orig: &[Value],
        pa: &[Value],
        key: &str,
        items: &Node,
        path: &str,
    ) -> Result<Value, MergeError> {
        let mut merged: Vec<Value> = orig.to_vec();
        let mut plain: Vec<Value> = Vec::new();
        for (i, p) in pa.iter().enumerate() {
            match directive(p) {
                Some("delete") => {
                    let Some(kv) = p.get(key) else {
                        return Err(err(
                            &format!("{path}[{i}]"),
                            format!("delete directive does not contain the merge key {key}"),
                        ));
                    };
                    merged.retain(|o| o.get(key) != Some(kv));
                }
                Some("merge") => {
                    return Err(err(
                        &format!("{path}[{i}]"),
                        "merging lists cannot yet be specified in the patch",
                    ))
                }
                Some(other) => {
                    return Err(err(
                        &format!("{path}[{i}]"),
                        format!("unknown patch type: {other} in list"),
                    ))
                }
                None => plain.push(p.clone()),
            }
        }
        for (i, p) in plain.iter().enumerate() {
            let ipath = format!("{path}[{i}]");
            let Some(pm) = p.as_object() else {
                return Err(err(&ipath, format!("list item {p} is not a map")));
            };
            let Some(kv) = pm.get(key) else {
                return Err(err(
                    &ipath,
                    format!("map: {p} does not contain declared merge key: {key}"),
                ));
            };
            match merged.iter().position(|o| o.get(key) == Some(kv)) {
                Some(j) => {
                    let cur = into_object(std::mem::take(&mut merged[j]));
                    let m = self.map(cur, pm, items, &ipath)?;
                    merged[j] = m.unwrap_or_else(|| Value::Object(Map::new()));
                }
                None => {
                    if let Some(m) = api_new_value(p) {
                        merged.push(m);
                    }
                }
            }
        }
        Ok(Value::Array(api_order(merged, &plain, orig, Some(key))))
    }
}

/// Whether two key tuples match on the primary key and on every other key both have, without
/// being equal.
fn partial_match(a: &[String], b: &[String]) -> bool {
    a != b
        && a.first() == b.first()
        && a.iter()
            .zip(b.iter())
            .skip(1)
            .all(|(x, y)| x == y || x.is_empty() || y.is_empty())
}

/// apimachinery's `normalizeElementOrder`: items present in `patch_order` sorted by it, the
/// others by `server_order`, then interleaved by `mergeSortedSlice`.
fn api_order(
    merged: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: Option<&str>,
) -> Vec<Value> {
    // identities as JSON text, positions by identity (first occurrence)
    let id = |v: &Value| -> Option<String> {
        match key {
            Some(k) => v.get(k).map(Value::to_string),
            None => Some(v.to_string()),
        }
    };
    let positions = |list: &[Value]| -> HashMap<String, usize> {
        let mut m = HashMap::new();
        for (i, v) in list.iter().enumerate() {
            if let Some(k) = id(v) {
                m.entry(k).or_insert(i);
            }
        }
        m
    };
    let in_patch = positions(patch_order);
    let in_server = positions(server_order);
    let mut patch_items: Vec<(Option<usize>, Option<usize>, Value)> = Vec::new();
    let mut server_only: Vec<(Option<usize>, Value)> = Vec::new();
    for v in merged {
        let k = id(&v);
        let s = k.as_ref().and_then(|k| in_server.get(k).copied());
        match k.as_ref().and_then(|k| in_patch.get(k).copied()) {
            Some(p) => patch_items.push((Some(p), s, v)),
            None => server_only.push((s, v)),
        }
    }
    patch_items.sort_by_key(|(p, _, _)| p.unwrap_or(usize::MAX));
    server_only.sort_by_key(|(s, _)| s.unwrap_or(usize::MAX));
    let mut out = Vec::with_capacity(patch_items.len() + server_only.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = patch_items.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some((l, _)), Some((_, r, _))) => matches!((l, r), (Some(l), Some(r)) if l < r),
        };
        if take_left {
            if let Some((_, v)) = left.next() {
                out.push(v);
            }
        } else if let Some((_, _, v)) = right.next() {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use std::path::PathBuf;
    use std::process::Command;

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n";
    const SVC: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n";
    const CR: &str = "apiVersion: ex.org/v1\nkind: Foo\nmetadata:\n  name: x\n";

    fn y(s: &str) -> Value {
        serde_saphyr::from_str::<Value>(s).expect("test YAML parses")
    }

    /// A Deployment whose first container is `containers` (flow YAML list).
    fn containers(list: &str) -> String {
        format!("{DEPLOY}spec:\n  template:\n    spec:\n      containers: {list}\n")
    }

    fn kubectl() -> Option<PathBuf> {
        if let Ok(p) = std::env::var("NUVOLARIS_KUBECTL") {
            return Some(PathBuf::from(p));
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|d| d.join("kubectl"))
            .find(|p| p.is_file())
    }

    /// Runs real `kubectl kustomize` on base + patch; `None` when kubectl is not installed.
    fn oracle(base: &str, patch: &str, case: &str) -> Option<Value> {
        let kubectl = kubectl()?;
        let dir = std::env::temp_dir().join(format!("nuvolaris-smp-{}-{case}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("base.yaml"), base).unwrap();
        std::fs::write(dir.join("patch.yaml"), patch).unwrap();
        std::fs::write(
            dir.join("kustomization.yaml"),
            "resources:\n- base.yaml\npatches:\n- path: patch.yaml\n",
        )
        .unwrap();
        let out = Command::new(kubectl)
            .arg("kustomize")
            .arg(&dir)
            .output()
            .unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert!(
            out.status.success(),
            "kubectl kustomize failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(y(&String::from_utf8(out.stdout).unwrap()))
    }

    /// kustomize flavour: expected results recorded from kubectl v1.37.1 (kustomize v5.8.1);
    /// re-checked against the live oracle whenever kubectl is installed.
    #[rstest]
    #[case::env_patch_items_first(
        containers("[{name: c, env: [{name: A}, {name: B}, {name: C}]}]"),
        containers("[{name: c, env: [{name: C, value: c}, {name: A, value: a}]}]"),
        containers("[{name: c, env: [{name: C, value: c}, {name: A, value: a}, {name: B}]}]")
    )]
    #[case::env_new_and_existing_mixed(
        containers("[{name: c, env: [{name: A}, {name: B}, {name: C}, {name: D}]}]"),
        containers("[{name: c, env: [{name: D, value: d}, {name: NEW}, {name: B, value: b}]}]"),
        containers("[{name: c, env: [{name: D, value: d}, {name: NEW}, {name: B, value: b}, {name: A}, {name: C}]}]"))]
    #[case::containers_by_name(
        containers("[{name: nginx, image: nginx, args: [x, y]}, {name: side, image: side}]"),
        containers("[{name: new, image: new}, {name: nginx, args: [z]}]"),
        containers("[{name: new, image: new}, {name: nginx, image: nginx, args: [z]}, {name: side, image: side}]"))]
    #[case::finalizers_union_patch_first(
        format!("{DEPLOY}  finalizers: [a, b]\n"),
        format!("{DEPLOY}  finalizers: [c, a]\n"),
        format!("{DEPLOY}  finalizers: [c, a, b]\n"))]
    #[case::custom_resource_lists_replaced(
        format!("{CR}  finalizers: [a]\nspec: {{items: [{{name: a, v: 1}}, {{name: b, v: 2}}], tags: [x, y]}}\n"),
        format!("{CR}  finalizers: [b]\nspec: {{items: [{{name: b, v: 3}}], tags: [z]}}\n"),
        format!("{CR}  finalizers: [b]\nspec: {{items: [{{name: b, v: 3}}], tags: [z]}}\n"))]
    #[case::custom_resource_map_replace_and_null(
        format!("{CR}spec: {{a: {{b: 1, c: 2}}, l: [1, 2]}}\n"),
        format!("{CR}spec: {{a: {{$patch: replace, d: 1}}, l: null}}\n"),
        format!("{CR}spec: {{a: {{d: 1}}}}\n"))]
    #[case::delete_list_item(
        containers("[{name: a}, {name: b, image: b}]"),
        containers("[{name: a, $patch: delete}]"),
        containers("[{name: b, image: b}]")
    )]
    #[case::replace_list(
        containers("[{name: a, image: a, env: [{name: X}]}]"),
        containers("[{name: a, env: [{$patch: replace}, {name: YY}]}]"),
        containers("[{name: a, image: a, env: [{name: YY}]}]")
    )]
    #[case::replace_map(
        containers("[{name: a, image: a, resources: {limits: {cpu: 1}, requests: {cpu: 1}}}]"),
        containers("[{name: a, resources: {$patch: replace, limits: {memory: 1}}}]"),
        containers("[{name: a, image: a, resources: {limits: {memory: 1}}}]")
    )]
    #[case::delete_map(
        containers("[{name: a, image: a, resources: {limits: {cpu: 1}}}]"),
        containers("[{name: a, resources: {$patch: delete}}]"),
        containers("[{name: a, image: a}]")
    )]
    #[case::null_deletes_field(
        containers("[{name: a, image: a, args: [x]}]"),
        containers("[{name: a, image: null, command: null}]"),
        containers("[{name: a, args: [x]}]")
    )]
    #[case::delete_from_primitive_list_is_a_plain_field(
        format!("{DEPLOY}  finalizers: [a, b, c]\n"),
        format!("{DEPLOY}  finalizers: [d]\n  $deleteFromPrimitiveList/finalizers: [b]\n"),
        format!("{DEPLOY}  finalizers: [d, a, b, c]\n  $deleteFromPrimitiveList/finalizers: [b]\n"))]
    #[case::set_element_order_is_a_plain_field(
        containers("[{name: a}, {name: b}, {name: c}]"),
        format!("{DEPLOY}spec:\n  template:\n    spec:\n      containers: [{{name: b, image: b}}]\n      $setElementOrder/containers: [{{name: c}}, {{name: b}}, {{name: a}}]\n"),
        format!("{DEPLOY}spec:\n  template:\n    spec:\n      containers: [{{name: b, image: b}}, {{name: a}}, {{name: c}}]\n      $setElementOrder/containers: [{{name: c}}, {{name: b}}, {{name: a}}]\n"))]
    #[case::retain_keys_is_a_plain_field(
        containers("[{name: a, image: a, args: [x]}]"),
        containers("[{name: a, command: [yy], $retainKeys: [name, command]}]"),
        containers(
            "[{name: a, image: a, args: [x], command: [yy], $retainKeys: [name, command]}]"
        )
    )]
    #[case::volumes_merged_not_retained(
        format!("{DEPLOY}spec: {{template: {{spec: {{volumes: [{{name: v, configMap: {{name: c}}}}]}}}}}}\n"),
        format!("{DEPLOY}spec: {{template: {{spec: {{volumes: [{{name: v, secret: {{secretName: s}}}}]}}}}}}\n"),
        format!("{DEPLOY}spec: {{template: {{spec: {{volumes: [{{name: v, configMap: {{name: c}}, secret: {{secretName: s}}}}]}}}}}}\n"))]
    #[case::ports_same_port_one_without_protocol_dropped(
        containers("[{name: web, ports: [{containerPort: 80, name: http}]}]"),
        containers(
            "[{name: web, ports: [{containerPort: 80, protocol: UDP}, {containerPort: 81}]}]"
        ),
        containers("[{name: web, ports: [{containerPort: 81}, {containerPort: 80, name: http}]}]")
    )]
    #[case::ports_without_protocol_merge_by_port(
        containers("[{name: web, ports: [{containerPort: 80, name: http}]}]"),
        containers("[{name: web, ports: [{containerPort: 80, hostPort: 1}]}]"),
        containers("[{name: web, ports: [{containerPort: 80, hostPort: 1, name: http}]}]")
    )]
    #[case::ports_with_protocols(
        containers("[{name: web, ports: [{containerPort: 80, name: h, protocol: TCP}, {containerPort: 90, protocol: UDP}]}]"),
        containers("[{name: web, ports: [{containerPort: 80, protocol: TCP, hostPort: 5}, {containerPort: 90, hostPort: 6}, {containerPort: 91}]}]"),
        containers("[{name: web, ports: [{containerPort: 91}, {containerPort: 80, hostPort: 5, name: h, protocol: TCP}, {containerPort: 90, protocol: UDP}]}]"))]
    #[case::ports_delete_item(
        containers("[{name: web, ports: [{containerPort: 80, name: h}]}]"),
        containers("[{name: web, ports: [{containerPort: 80, $patch: delete}]}]"),
        containers("[{name: web, ports: []}]")
    )]
    #[case::service_ports_port_and_protocol(
        format!("{SVC}spec: {{ports: [{{port: 80, protocol: TCP, name: t}}, {{port: 80, protocol: UDP, name: u}}]}}\n"),
        format!("{SVC}spec: {{ports: [{{port: 80, protocol: UDP, targetPort: 9}}]}}\n"),
        format!("{SVC}spec: {{ports: [{{port: 80, protocol: TCP, name: t}}, {{port: 80, protocol: UDP, name: u, targetPort: 9}}]}}\n"))]
    #[case::service_ports_by_port_only(
        format!("{SVC}spec: {{ports: [{{port: 80, name: t}}, {{port: 81, name: u}}]}}\n"),
        format!("{SVC}spec: {{ports: [{{port: 81, targetPort: 9}}]}}\n"),
        format!("{SVC}spec: {{ports: [{{port: 81, name: u, targetPort: 9}}, {{port: 80, name: t}}]}}\n"))]
    #[case::service_ports_new_first_then_original_order(
        format!("{SVC}spec: {{ports: [{{port: 80, protocol: TCP, name: a}}, {{port: 81, protocol: TCP}}]}}\n"),
        format!("{SVC}spec: {{ports: [{{port: 83}}, {{port: 81, protocol: TCP, name: x}}, {{port: 82, protocol: UDP}}]}}\n"),
        format!("{SVC}spec: {{ports: [{{port: 83}}, {{port: 82, protocol: UDP}}, {{port: 80, protocol: TCP, name: a}}, {{port: 81, protocol: TCP, name: x}}]}}\n"))]
    #[case::service_ports_mixed(
        format!("{SVC}spec: {{ports: [{{port: 80, protocol: TCP, name: a}}, {{port: 81, name: b}}]}}\n"),
        format!("{SVC}spec: {{ports: [{{port: 81, name: x}}, {{port: 82, protocol: TCP}}]}}\n"),
        format!("{SVC}spec: {{ports: [{{port: 82, protocol: TCP}}, {{port: 80, protocol: TCP, name: a}}, {{port: 81, name: x}}]}}\n"))]
    #[case::keyless_first_patch_item(
        containers("[{name: a, image: a}, {name: b, image: b}, {name: c, image: c}]"),
        containers("[{image: z}, {name: c, image: cc}, {name: a}]"),
        containers("[{name: c, image: cc}, {name: a}]")
    )]
    #[case::keyless_later_patch_item_ignored(
        containers("[{name: a, image: a}]"),
        containers("[{name: a}, {image: b, args: [x]}]"),
        containers("[{name: a, image: a}]")
    )]
    #[case::empty_values_added(
        containers("[{name: a, image: a, env: [{name: A}]}]"),
        containers("[{name: a, securityContext: {}, env: [], args: [], resources: {limits: {}}}]"),
        containers("[{name: a, image: a, env: [{name: A}], securityContext: {}, args: [], resources: {limits: {}}}]"))]
    #[case::null_list_removed(
        containers("[{name: a, image: a}]"),
        format!("{DEPLOY}spec: {{template: {{spec: {{containers: null}}}}}}\n"),
        format!("{DEPLOY}spec: {{template: {{spec: {{}}}}}}\n"))]
    #[case::empty_keyed_list_keeps_original(
        containers("[{name: a, image: a}]"),
        containers("[]"),
        containers("[{name: a, image: a}]")
    )]
    #[case::duplicate_patch_items_first_wins(
        containers("[{name: a, image: a}]"),
        containers("[{name: a, image: b}, {name: a, args: [x]}]"),
        containers("[{name: a, image: b}]")
    )]
    #[case::lone_replace_without_original(
        containers("[{name: a, image: a}]"),
        containers("[{name: a, env: [{$patch: replace}]}]"),
        containers("[{name: a, image: a, env: [{$patch: replace}]}]")
    )]
    #[case::lone_replace_with_original(
        containers("[{name: a, image: a, env: [{name: a1}]}]"),
        containers("[{name: a, env: [{$patch: replace}]}]"),
        containers("[{name: a, image: a, env: []}]")
    )]
    #[case::multi_key_delete_without_original(
        containers("[{name: a}]"),
        containers("[{name: a, ports: [{containerPort: 82, $patch: delete}, {containerPort: 81, protocol: UDP}]}]"),
        containers("[{name: a, ports: [{containerPort: 82}, {containerPort: 81, protocol: UDP}]}]"))]
    #[case::multi_key_delete_with_first_key_only_is_ignored(
        containers("[{name: a, ports: [{containerPort: 82, protocol: TCP}, {containerPort: 81, name: http}]}]"),
        containers("[{name: a, ports: [{containerPort: 81, name: http, $patch: delete}]}]"),
        containers("[{name: a, ports: [{containerPort: 82, protocol: TCP}, {containerPort: 81, name: http}]}]"))]
    #[case::multi_key_full_delete_without_original(
        containers("[{name: a}]"),
        containers("[{name: a, ports: [{containerPort: 82, protocol: TCP, $patch: delete}, {containerPort: 81}]}]"),
        containers("[{name: a, ports: [{containerPort: 81}]}]"))]
    #[case::replace_in_a_new_container(
        containers("[{name: a, image: a}]"),
        containers("[{name: b, env: [{$patch: replace}, {name: c3}]}]"),
        containers("[{name: b, env: [{name: c3}]}, {name: a, image: a}]")
    )]
    #[case::keyless_without_original(
        containers("[{name: a, image: a}]"),
        containers("[{name: a, env: [{name: b2}, {$patch: replace}, {name: c3}]}]"),
        containers("[{name: a, image: a, env: [{$patch: replace}]}]")
    )]
    #[case::single_key_delete_without_original(
        containers("[{name: a}]"),
        containers("[{name: a, env: [{name: a1, $patch: delete}, {name: b2}]}]"),
        containers("[{name: a, env: [{name: b2}]}]")
    )]
    fn kustomize_flavour(#[case] base: String, #[case] patch: String, #[case] want: String) {
        let got = strategic_merge(&y(&base), &y(&patch)).unwrap();
        let want = y(&want);
        assert_eq!(got, want);
        // serde_json maps compare regardless of key order; lists compare in order.
        if let Some(live) = oracle(&base, &patch, &format!("{:x}", fxhash(&base, &patch))) {
            assert_eq!(
                live, want,
                "recorded expectation differs from live kubectl kustomize"
            );
        }
    }

    fn fxhash(a: &str, b: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (a, b).hash(&mut h);
        h.finish()
    }

    #[test]
    fn long_lists_merge_by_key() {
        let n = 20_000;
        let env = |from: usize, to: usize| -> Value {
            Value::Array(
                (from..to)
                    .map(|i| serde_json::json!({"name": format!("e{i}"), "value": "o"}))
                    .collect(),
            )
        };
        let base = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"template": {"spec": {"containers": [{"name": "c", "env": env(0, n)}]}}}});
        let mut patch = base.clone();
        patch["spec"]["template"]["spec"]["containers"][0]["env"] = env(n / 2, n + n / 2);
        let got = strategic_merge(&base, &patch).unwrap();
        let merged = got["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array()
            .unwrap();
        assert_eq!(merged.len(), n + n / 2);
        assert_eq!(
            merged[0]["name"],
            format!("e{}", n / 2),
            "patch items come first"
        );
    }

    /// A small deterministic generator of arbitrary documents (xorshift).
    struct Gen(u64);
    impl Gen {
        fn next(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
        fn value(&mut self, depth: u32) -> Value {
            const KEYS: &[&str] = &[
                "spec",
                "template",
                "containers",
                "env",
                "ports",
                "name",
                "containerPort",
                "protocol",
                "finalizers",
                "metadata",
                "$patch",
                "$retainKeys",
                "$setElementOrder/containers",
                "$deleteFromPrimitiveList/finalizers",
                "value",
                "volumes",
                "items",
            ];
            match if depth == 0 {
                self.next(4)
            } else {
                self.next(7)
            } {
                0 => Value::Null,
                1 => serde_json::json!(self.next(90)),
                2 => serde_json::json!(
                    ["replace", "delete", "merge", "TCP", "UDP", "a"][self.next(6) as usize]
                ),
                3 => Value::Bool(self.next(2) == 0),
                4 | 5 => {
                    let mut m = Map::new();
                    for _ in 0..self.next(5) {
                        m.insert(
                            KEYS[self.next(KEYS.len() as u64) as usize].to_string(),
                            self.value(depth - 1),
                        );
                    }
                    Value::Object(m)
                }
                _ => Value::Array((0..self.next(4)).map(|_| self.value(depth - 1)).collect()),
            }
        }
    }

    #[test]
    fn arbitrary_documents_never_panic() {
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        let mut ok = 0;
        for i in 0..5000 {
            let mut base = g.value(5);
            let mut patch = g.value(5);
            for v in [&mut base, &mut patch] {
                if let Value::Object(m) = v {
                    m.insert("apiVersion".into(), Value::from("apps/v1"));
                    m.insert(
                        "kind".into(),
                        Value::from(if i % 2 == 0 { "Deployment" } else { "Service" }),
                    );
                }
            }
            let node = schema::for_object(&base);
            for flavor in [Flavor::Kustomize, Flavor::ApiServer] {
                ok += usize::from(strategic_merge_with(&base, &patch, node, flavor).is_ok());
            }
        }
        assert!(ok > 0, "some merges succeed");
    }

    #[test]
    fn top_level_delete_removes_the_object() {
        let got = strategic_merge(
            &y(&containers("[]")),
            &y(&format!("{DEPLOY}$patch: delete\n")),
        )
        .unwrap();
        assert_eq!(got, Value::Null);
    }

    #[rstest]
    #[case::patch_not_a_map("[1]")]
    #[case::unknown_directive("{metadata: {$patch: frobnicate}}")]
    fn kustomize_errors(#[case] patch: &str) {
        let e = strategic_merge(&y(&containers("[]")), &y(patch)).unwrap_err();
        assert!(!e.message.is_empty() && e.path.starts_with('.'), "{e}");
    }

    fn api(original: &Value, patch: &Value) -> Result<Value, MergeError> {
        strategic_merge_with(
            original,
            patch,
            schema::for_object(original),
            Flavor::ApiServer,
        )
    }

    /// API server flavour (apimachinery strategicpatch).
    #[rstest]
    // the recorded trace smp.response.json: env C added before A
    #[case::trace_new_env_first(
        containers("[{name: nginx, image: nginx, env: [{name: A, value: '1'}]}]"),
        containers("[{name: nginx, env: [{name: C, value: '3'}]}]"),
        containers(
            "[{name: nginx, image: nginx, env: [{name: C, value: '3'}, {name: A, value: '1'}]}]"
        )
    )]
    // mergeSortedSlice: server-only B stays before the patch's C, A
    #[case::merge_sorted_slice(
        containers("[{name: c, env: [{name: A}, {name: B}, {name: C}]}]"),
        containers("[{name: c, env: [{name: C, value: c}, {name: A, value: a}]}]"),
        containers("[{name: c, env: [{name: B}, {name: C, value: c}, {name: A, value: a}]}]")
    )]
    #[case::finalizers(
        format!("{DEPLOY}  finalizers: [a, b]\n"),
        format!("{DEPLOY}  finalizers: [c, a]\n"),
        format!("{DEPLOY}  finalizers: [c, a, b]\n"))]
    #[case::delete_from_primitive_list(
        format!("{DEPLOY}  finalizers: [a, b, c]\n"),
        format!("{DEPLOY}  $deleteFromPrimitiveList/finalizers: [b]\n"),
        format!("{DEPLOY}  finalizers: [a, c]\n"))]
    #[case::set_element_order(
        containers("[{name: a}, {name: b}, {name: c}]"),
        format!("{DEPLOY}spec:\n  template:\n    spec:\n      containers: [{{name: b, image: b}}]\n      $setElementOrder/containers: [{{name: c}}, {{name: b}}, {{name: a}}]\n"),
        containers("[{name: c}, {name: b, image: b}, {name: a}]"))]
    #[case::retain_keys(
        format!("{DEPLOY}spec: {{template: {{spec: {{volumes: [{{name: v, configMap: {{name: c}}}}]}}}}}}\n"),
        format!("{DEPLOY}spec: {{template: {{spec: {{volumes: [{{name: v, secret: {{secretName: s}}, $retainKeys: [name, secret]}}]}}}}}}\n"),
        format!("{DEPLOY}spec: {{template: {{spec: {{volumes: [{{name: v, secret: {{secretName: s}}}}]}}}}}}\n"))]
    #[case::delete_item(
        containers("[{name: a}, {name: b}]"),
        containers("[{name: a, $patch: delete}]"),
        containers("[{name: b}]")
    )]
    #[case::replace_list(
        containers("[{name: a}, {name: b}]"),
        containers("[{name: c}, {$patch: replace}]"),
        containers("[{name: c}]")
    )]
    #[case::map_delete_gives_empty_map(
        containers("[{name: a, resources: {limits: {cpu: 1}}}]"),
        containers("[{name: a, resources: {$patch: delete}}]"),
        containers("[{name: a, resources: {}}]")
    )]
    #[case::null_deletes(
        format!("{DEPLOY}  labels: {{a: b, c: d}}\n"),
        format!("{DEPLOY}  labels: {{a: null, e: null}}\n"),
        format!("{DEPLOY}  labels: {{c: d}}\n"))]
    #[case::new_values_lose_nulls_and_directives(
        containers("[{name: a}]"),
        containers("[{name: a, resources: {limits: {cpu: 1, memory: null}}, securityContext: {$patch: replace, x: 1}}, {name: b, image: null, env: [{name: E, $patch: delete}, {name: F}]}]"),
        containers("[{name: a, resources: {limits: {cpu: 1}}}, {name: b, env: [{name: F}]}]"))]
    #[case::ports_by_container_port(
        containers("[{name: web, ports: [{containerPort: 80, name: http}]}]"),
        containers("[{name: web, ports: [{containerPort: 80, protocol: UDP}]}]"),
        containers("[{name: web, ports: [{containerPort: 80, name: http, protocol: UDP}]}]")
    )]
    fn api_flavour(#[case] base: String, #[case] patch: String, #[case] want: String) {
        assert_eq!(api(&y(&base), &y(&patch)).unwrap(), y(&want));
    }

    #[rstest]
    #[case::missing_merge_key(containers("[{image: x}]"))]
    #[case::merge_directive_in_list(containers("[{name: a, $patch: merge}]"))]
    #[case::merge_directive_in_map(format!("{DEPLOY}spec: {{$patch: merge}}\n"))]
    #[case::retain_keys_not_covering_patch(containers(
        "[{name: a, image: b, $retainKeys: [name]}]"
    ))]
    fn api_errors(#[case] patch: String) {
        let e = api(&y(&containers("[{name: a}]")), &y(&patch)).unwrap_err();
        assert!(!e.message.is_empty() && e.path.starts_with('.'), "{e}");
    }
}
