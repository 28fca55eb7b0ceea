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

//! Pruning of unknown fields, and the `unknown field` warnings and strict-decoding errors about them.

use super::go::go_quote;
use super::schema::{embedded, field_schema, items, preserves_unknown};
use serde_json::{Map, Value};

/// The fields of `ObjectMeta`: what survives of a custom resource's `metadata` (the server
/// decodes it into the typed ObjectMeta, dropping anything else).
pub const OBJECT_META_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

/// Drops every field the schema does not specify, as the server's structural pruning does.
/// `obj` is a whole custom resource (root level: `apiVersion`, `kind`, `metadata` are kept).
pub fn prune(schema: &Value, obj: &mut Value) {
    prune_with_report(schema, obj);
}

/// [`prune`], returning the paths of the fields it dropped (sorted, e.g. `spec.colour`,
/// `spec.ports[0].junk`, `metadata.bogus`): what the server reports as `unknown field "..."`
/// (see [`unknown_field_warning`] and [`strict_decoding_message`]).
pub fn prune_with_report(schema: &Value, obj: &mut Value) -> Vec<String> {
    let mut pruned = Vec::new();
    prune_node(obj, Some(schema), true, "", &mut pruned);
    pruned.sort();
    pruned
}

/// The `Warning` header value the server sends for an unknown field when the request's
/// `fieldValidation` is `Warn` (the default): `299 - "unknown field \"spec.colour\""`.
pub fn unknown_field_warning(path: &str) -> String {
    format!(
        "299 - {}",
        go_quote(&format!("unknown field {}", go_quote(path)))
    )
}

/// The message of the 400 BadRequest the server answers for unknown fields when the request
/// says `fieldValidation=Strict` (as kubectl does): `Sample in version "v1" cannot be handled as
/// a Sample: strict decoding error: unknown field "spec.colour"`.
pub fn strict_decoding_message(kind: &str, version: &str, unknown: &[String]) -> String {
    let errs: Vec<String> = unknown
        .iter()
        .map(|p| format!("unknown field {}", go_quote(p)))
        .collect();
    format!(
        "{kind} in version {} cannot be handled as a {kind}: strict decoding error: {}",
        go_quote(version),
        errs.join(", ")
    )
}

/// Drops the fields of a `metadata` object that ObjectMeta does not have.
pub fn prune_object_meta(meta: &mut Value) {
    if let Value::Object(m) = meta {
        m.retain(|key, _| OBJECT_META_FIELDS.contains(&key.as_str()));
    }
}

pub(super) fn join_key(path: &str, k: &str) -> String {
    if path.is_empty() {
        k.to_string()
    } else {
        format!("{path}.{k}")
    }
}

pub(super) fn prune_node(
    x: &mut Value,
    s: Option<&Value>,
    root: bool,
    path: &str,
    pruned: &mut Vec<String>,
) {
    if let Some(s) = s {
        if preserves_unknown(s) {
            skip_prune(x, s, root, path, pruned);
            return;
        }
    }
    match x {
        Value::Object(m) => {
            let Some(s) = s else {
                pruned.extend(m.keys().map(|k| join_key(path, k)));
                m.clear();
                return;
            };
            let is_embedded = root || embedded(s);
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                if is_embedded && keep_meta_field(m, &k, path, pruned) {
                    continue;
                }
                match field_schema(s, &k) {
                    Some(sub) => {
                        if let Some(v) = m.get_mut(&k) {
                            prune_node(v, Some(sub), false, &join_key(path, &k), pruned);
                        }
                    }
                    None => {
                        pruned.push(join_key(path, &k));
                        m.remove(&k);
                    }
                }
            }
        }
        Value::Array(a) => {
            let it = s.and_then(items);
            for (i, v) in a.iter_mut().enumerate() {
                prune_node(v, it, false, &format!("{path}[{i}]"), pruned);
            }
        }
        _ => {}
    }
}

/// At the root or an embedded-resource level: `apiVersion`/`kind` strings and a `metadata`
/// object are kept (`metadata` cut to ObjectMeta fields). Returns whether `k` was handled.
pub(super) fn keep_meta_field(
    m: &mut Map<String, Value>,
    k: &str,
    path: &str,
    pruned: &mut Vec<String>,
) -> bool {
    match (k, m.get_mut(k)) {
        ("apiVersion" | "kind", Some(Value::String(_))) => true,
        ("metadata", Some(Value::Object(meta))) => {
            let meta_path = join_key(path, "metadata");
            meta.retain(|key, _| {
                let keep = OBJECT_META_FIELDS.contains(&key.as_str());
                if !keep {
                    pruned.push(join_key(&meta_path, key));
                }
                keep
            });
            true
        }
        _ => false,
    }
}

pub(super) fn skip_prune(
    x: &mut Value,
    s: &Value,
    root: bool,
    path: &str,
    pruned: &mut Vec<String>,
) {
    match x {
        Value::Object(m) => {
            let is_embedded = root || embedded(s);
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                if is_embedded && matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                    if k == "metadata" {
                        keep_meta_field(m, &k, path, pruned);
                    }
                    continue;
                }
                if let Some(sub) = field_schema(s, &k) {
                    if let Some(v) = m.get_mut(&k) {
                        prune_node(v, Some(sub), false, &join_key(path, &k), pruned);
                    }
                }
            }
        }
        Value::Array(a) => {
            if let Some(it) = items(s) {
                for (i, v) in a.iter_mut().enumerate() {
                    skip_prune(v, it, false, &format!("{path}[{i}]"), pruned);
                }
            }
        }
        _ => {}
    }
}
