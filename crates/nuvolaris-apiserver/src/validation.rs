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

//! Structural-schema handling of custom resources, as kube-apiserver does it.
//!
//! What the real server does to a custom resource on create / update (and, for defaults, on read),
//! and what this module reproduces:
//!
//! 1. **Pruning** ([`prune`]): every field not specified by the version's `openAPIV3Schema` is
//!    dropped, at every level, except under `x-kubernetes-preserve-unknown-fields: true`. At the
//!    root (and in `x-kubernetes-embedded-resource` objects) `apiVersion`, `kind` and `metadata` are
//!    kept, and `metadata` is cut down to the ObjectMeta fields (the server round-trips it through
//!    the typed ObjectMeta); [`prune_object_meta`] does that last part alone.
//! 2. **Null pruning and defaulting** ([`apply_defaults`]): a `null` for a field that is not
//!    `nullable` and has no `default` is removed (`PruneNonNullableNullsWithoutDefaults`); then
//!    `default:` values are filled in for absent fields (and for non-nullable nulls), including
//!    inside defaults that were just applied. The server also does this when it reads an object
//!    from storage, so a handler that serves stored objects can call [`apply_defaults`] on read.
//! 3. **Validation** ([`validate`]): the kube-openapi schema validator, with its error wording, and
//!    the conversion of its errors to field errors done by `kubeOpenAPIResultToFieldErrors`
//!    (reasons `FieldValueTypeInvalid`, `FieldValueRequired`, `FieldValueNotSupported`,
//!    `FieldValueTooLong`, `FieldValueTooMany`, otherwise `FieldValueInvalid`), followed by the
//!    embedded-resource checks (`apiVersion` / `kind` required) and the
//!    `x-kubernetes-list-type: set|map` uniqueness checks.
//!
//! [`validate_and_prune`] runs the three steps in that order (after [`normalize_numbers`]);
//! [`validate_and_prune_update`] / [`validate_update`] do the same for an update, with the
//! ratcheting of Kubernetes 1.30+ (errors in parts unchanged from the stored object are dropped);
//! [`prune_with_report`] also returns the dropped paths, for the `unknown field` warnings
//! ([`unknown_field_warning`]) or the 400 of `fieldValidation=Strict`
//! ([`strict_decoding_message`]); [`invalid_status`] builds the 422 `Status` body;
//! [`check_structural`] / [`validate_crd`] reject CRD schemas that are not structural, with the
//! causes the real server gives.
//!
//! Deliberate choices where the real server is not deterministic or not reproducible here:
//! - kube-openapi walks `properties` in Go map order (random); this module walks them sorted by
//!   name (which is also the order the server stores and returns them in), so multi-cause
//!   responses are stable.
//! - `format` on numbers (`int32`, `int64`, `float`, `double`) is *not* range-checked: the real
//!   schema validator does not pass type/format to its number validator, so an `int32` field
//!   accepts `3000000000` there too. String formats (`date-time`, `date`, `byte`, `uuid`, `ipv4`,
//!   `ipv6`, `cidr`, `hostname`, `mac`, `email`, `uri`, `duration`, `password`) are checked;
//!   unknown formats are ignored, as the server does.
//! - Messages follow Kubernetes 1.32+ wording where it changed (`Too long: may not be more than N
//!   bytes`); the traces in `shared/k8s-api-traces` (1.24) only cover wordings that did not change.
//! - CEL `x-kubernetes-validations` rules are not evaluated.

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex, OnceLock};

use regex::Regex;
use serde_json::{json, Map, Value};

/// One field error, as in a Status body's `details.causes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// Machine-readable reason: `FieldValueInvalid`, `FieldValueRequired`, `FieldValueTypeInvalid`...
    pub reason: String,
    /// The error body without the field, e.g. `Invalid value: -5: spec.count in body should be ...`.
    pub message: String,
    /// The field path, e.g. `spec.count`.
    pub field: String,
}

impl Cause {
    fn new(reason: &str, field: &str, message: String) -> Self {
        Cause {
            reason: reason.to_string(),
            message,
            field: field.to_string(),
        }
    }

    /// The field error as Go's `field.Error.Error()` prints it: `<field>: <message>`.
    pub fn error_string(&self) -> String {
        format!("{}: {}", self.field, self.message)
    }

    /// The cause as a `StatusCause` JSON object (`reason`, `message`, `field`; empty ones omitted).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if !self.reason.is_empty() {
            m.insert("reason".into(), Value::String(self.reason.clone()));
        }
        if !self.message.is_empty() {
            m.insert("message".into(), Value::String(self.message.clone()));
        }
        if !self.field.is_empty() {
            m.insert("field".into(), Value::String(self.field.clone()));
        }
        Value::Object(m)
    }

    /// `field.Required`: `Required value` (plus `: detail`).
    pub fn required(field: &str, detail: &str) -> Self {
        Cause::new(
            "FieldValueRequired",
            field,
            with_detail("Required value".into(), detail),
        )
    }

    /// `field.Invalid`: `Invalid value: <value>: <detail>`.
    pub fn invalid(field: &str, value: &Value, detail: &str) -> Self {
        Cause::new(
            "FieldValueInvalid",
            field,
            with_detail(format!("Invalid value: {}", go_bad_value(value)), detail),
        )
    }

    /// `field.TypeInvalid`: worded like `Invalid value`, reason `FieldValueTypeInvalid`.
    pub fn type_invalid(field: &str, value: &Value, detail: &str) -> Self {
        Cause::new(
            "FieldValueTypeInvalid",
            field,
            with_detail(format!("Invalid value: {}", go_bad_value(value)), detail),
        )
    }

    /// `field.NotSupported`: `Unsupported value: <value>: supported values: "a", "b"`.
    pub fn not_supported(field: &str, value: &Value, supported: &[String]) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|s| go_quote(s)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Cause::new(
            "FieldValueNotSupported",
            field,
            with_detail(
                format!("Unsupported value: {}", go_bad_value(value)),
                &detail,
            ),
        )
    }

    /// `field.TooLong`: `Too long: may not be more than N bytes` (the value is not shown).
    pub fn too_long(field: &str, max: i64) -> Self {
        let detail = if max >= 0 {
            format!(
                "may not be more than {max} {}",
                if max == 1 { "byte" } else { "bytes" }
            )
        } else {
            "value is too long".to_string()
        };
        Cause::new("FieldValueTooLong", field, format!("Too long: {detail}"))
    }

    /// `field.TooMany`: `Too many: <actual>: must have at most N items`.
    pub fn too_many(field: &str, actual: i64, max: i64) -> Self {
        let detail = if max >= 0 {
            format!("must have at most {max} items")
        } else {
            "has too many items".to_string()
        };
        let body = if actual >= 0 {
            format!("Too many: {actual}")
        } else {
            "Too many".to_string()
        };
        Cause::new("FieldValueTooMany", field, format!("{body}: {detail}"))
    }

    /// `field.Duplicate`: `Duplicate value: <value>`.
    pub fn duplicate(field: &str, value: &Value) -> Self {
        Cause::new(
            "FieldValueDuplicate",
            field,
            format!("Duplicate value: {}", go_bad_value(value)),
        )
    }

    /// `field.Forbidden`: `Forbidden: <detail>`.
    pub fn forbidden(field: &str, detail: &str) -> Self {
        Cause::new(
            "FieldValueForbidden",
            field,
            with_detail("Forbidden".into(), detail),
        )
    }
}

fn with_detail(mut s: String, detail: &str) -> String {
    if !detail.is_empty() {
        s.push_str(": ");
        s.push_str(detail);
    }
    s
}

/// Validates a custom resource against its version's `openAPIV3Schema`, pruning unknown fields
/// and applying defaults first (the order the real server uses). `obj` is modified in place even
/// when validation fails (as the server's decoded object would be).
pub fn validate_and_prune(schema: &Value, obj: &mut Value) -> Result<(), Vec<Cause>> {
    validate_and_prune_with_report(schema, obj).1
}

/// [`validate_and_prune`], also returning the paths of the pruned unknown fields (see
/// [`prune_with_report`]), which the server reports whether or not validation passes.
pub fn validate_and_prune_with_report(
    schema: &Value,
    obj: &mut Value,
) -> (Vec<String>, Result<(), Vec<Cause>>) {
    normalize_numbers(obj);
    let pruned = prune_with_report(schema, obj);
    apply_defaults(schema, obj);
    let causes = validate(schema, obj);
    let res = if causes.is_empty() {
        Ok(())
    } else {
        Err(causes)
    };
    (pruned, res)
}

/// Integral floats (`2.0`) become integers, as the server's decoding of custom resources into
/// int64/float64 and its JSON encoding (`2`) have it; a client reading the object back as an
/// integer then gets one.
pub fn normalize_numbers(v: &mut Value) {
    match v {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64() {
                const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
                if f.is_finite() && f == f.trunc() && (-LIMIT..LIMIT).contains(&f) {
                    *v = Value::from(f as i64);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(normalize_numbers),
        Value::Object(m) => m.values_mut().for_each(normalize_numbers),
        _ => {}
    }
}

/// Builds the 422 `Status` body the real server sends for an invalid object.
/// `group` may be empty (core kinds); `kind` is the object kind, e.g. `Sample`.
pub fn invalid_status(group: &str, kind: &str, name: &str, causes: &[Cause]) -> Value {
    let qualified = if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    };
    let message = match aggregate_message(causes) {
        Some(agg) => format!("{qualified} {} is invalid: {agg}", go_quote(name)),
        None => format!("{qualified} {} is invalid", go_quote(name)),
    };
    let mut details = Map::new();
    if !name.is_empty() {
        details.insert("name".into(), Value::String(name.into()));
    }
    if !group.is_empty() {
        details.insert("group".into(), Value::String(group.into()));
    }
    if !kind.is_empty() {
        details.insert("kind".into(), Value::String(kind.into()));
    }
    details.insert(
        "causes".into(),
        Value::Array(causes.iter().map(Cause::to_json).collect()),
    );
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Invalid",
        "details": Value::Object(details),
        "code": 422
    })
}

/// The summary the server puts after `is invalid: `: one error as is, several as `[a, b]`,
/// duplicates (same text) listed once.
pub fn aggregate_message(causes: &[Cause]) -> Option<String> {
    let mut seen: Vec<String> = Vec::new();
    for c in causes {
        let s = c.error_string();
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    match seen.len() {
        0 => None,
        1 => seen.pop(),
        _ => Some(format!("[{}]", seen.join(", "))),
    }
}

// ---------------------------------------------------------------------------------------------
// schema accessors

fn sget<'a>(s: &'a Value, key: &str) -> Option<&'a Value> {
    s.as_object().and_then(|m| m.get(key))
}

fn sbool(s: &Value, key: &str) -> bool {
    sget(s, key).and_then(Value::as_bool).unwrap_or(false)
}

fn sstr<'a>(s: &'a Value, key: &str) -> &'a str {
    sget(s, key).and_then(Value::as_str).unwrap_or("")
}

fn sf64(s: &Value, key: &str) -> Option<f64> {
    sget(s, key).and_then(Value::as_f64)
}

fn si64(s: &Value, key: &str) -> Option<i64> {
    sget(s, key).and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
}

fn properties(s: &Value) -> Option<&Map<String, Value>> {
    sget(s, "properties").and_then(Value::as_object)
}

fn property<'a>(s: &'a Value, k: &str) -> Option<&'a Value> {
    properties(s).and_then(|p| p.get(k))
}

/// The structural `additionalProperties` schema: a schema object, or `true` (anything goes,
/// treated as a schema preserving unknown fields).
fn additional(s: &Value) -> Option<&Value> {
    static PRESERVE: OnceLock<Value> = OnceLock::new();
    match sget(s, "additionalProperties") {
        Some(v @ Value::Object(_)) => Some(v),
        Some(Value::Bool(true)) => {
            Some(PRESERVE.get_or_init(|| json!({"x-kubernetes-preserve-unknown-fields": true})))
        }
        _ => None,
    }
}

fn items(s: &Value) -> Option<&Value> {
    match sget(s, "items") {
        Some(v @ Value::Object(_)) => Some(v),
        _ => None,
    }
}

fn preserves_unknown(s: &Value) -> bool {
    sbool(s, "x-kubernetes-preserve-unknown-fields")
}

fn embedded(s: &Value) -> bool {
    sbool(s, "x-kubernetes-embedded-resource")
}

fn nullable(s: &Value) -> bool {
    sbool(s, "nullable")
}

fn default_of(s: &Value) -> Option<&Value> {
    // A `default: null` is no default (the server stores it as absent).
    sget(s, "default").filter(|d| !d.is_null())
}

/// The schema of field `k` of an object of schema `s` (property, else additionalProperties).
fn field_schema<'a>(s: &'a Value, k: &str) -> Option<&'a Value> {
    property(s, k).or_else(|| additional(s))
}

/// The JSON schema types of `s` as kube-openapi sees them (`x-kubernetes-int-or-string` means
/// `integer,string`).
fn types_of(s: &Value) -> Vec<&str> {
    if sbool(s, "x-kubernetes-int-or-string") {
        return vec!["integer", "string"];
    }
    match sget(s, "type") {
        Some(Value::String(t)) if !t.is_empty() => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}

// ---------------------------------------------------------------------------------------------
// pruning

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

fn join_key(path: &str, k: &str) -> String {
    if path.is_empty() {
        k.to_string()
    } else {
        format!("{path}.{k}")
    }
}

fn prune_node(x: &mut Value, s: Option<&Value>, root: bool, path: &str, pruned: &mut Vec<String>) {
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
fn keep_meta_field(
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

fn skip_prune(x: &mut Value, s: &Value, root: bool, path: &str, pruned: &mut Vec<String>) {
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

// ---------------------------------------------------------------------------------------------
// null pruning and defaulting

/// Removes non-nullable nulls that have no default, then applies `default:` values, as the
/// server does on create, update and read.
pub fn apply_defaults(schema: &Value, obj: &mut Value) {
    prune_nulls(obj, Some(schema));
    default_node(obj, schema);
}

fn prune_nulls(x: &mut Value, s: Option<&Value>) {
    match x {
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                let sub = s.and_then(|s| field_schema(s, &k));
                let drop = matches!(m.get(&k), Some(Value::Null))
                    && sub.is_some_and(|sub| !nullable(sub) && default_of(sub).is_none());
                if drop {
                    m.remove(&k);
                } else if let Some(v) = m.get_mut(&k) {
                    prune_nulls(v, sub);
                }
            }
        }
        Value::Array(a) => {
            let it = s.and_then(items);
            for v in a.iter_mut() {
                prune_nulls(v, it);
            }
        }
        _ => {}
    }
}

fn is_non_nullable_null(v: &Value, s: &Value) -> bool {
    v.is_null() && !nullable(s)
}

fn default_node(x: &mut Value, s: &Value) {
    match x {
        Value::Object(m) => {
            if let Some(props) = properties(s) {
                for (k, prop) in props {
                    let Some(d) = default_of(prop) else { continue };
                    let missing = match m.get(k) {
                        None => true,
                        Some(v) => is_non_nullable_null(v, prop),
                    };
                    if missing {
                        m.insert(k.clone(), d.clone());
                    }
                }
            }
            let ap = additional(s);
            for (k, v) in m.iter_mut() {
                if let Some(prop) = property(s, k) {
                    default_node(v, prop);
                } else if let Some(ap) = ap {
                    if is_non_nullable_null(v, ap) {
                        if let Some(d) = default_of(ap) {
                            *v = d.clone();
                        }
                    }
                    default_node(v, ap);
                }
            }
        }
        Value::Array(a) => {
            if let Some(it) = items(s) {
                for v in a.iter_mut() {
                    if is_non_nullable_null(v, it) {
                        if let Some(d) = default_of(it) {
                            *v = d.clone();
                        }
                    }
                    default_node(v, it);
                }
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// validation (kube-openapi SchemaValidator + kubeOpenAPIResultToFieldErrors)

/// Validates an (already pruned and defaulted) custom resource against the schema and returns
/// the causes in the order the server lists them (empty when valid).
pub fn validate(schema: &Value, obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    validate_node(schema, "", obj, None, &mut out);
    validate_embedded(schema, "", obj, true, &mut out);
    validate_list_types(schema, "", obj, &mut out);
    out
}

/// Validation of an update with ratcheting (on by default since Kubernetes 1.30, GA in 1.33):
/// schema errors in parts of the object that are unchanged from `old` are not reported, so an
/// object stored under an older, looser schema can still be updated elsewhere. Unchanged parts
/// are correlated by property name, by `x-kubernetes-list-map-keys` for `map` lists and by value
/// for `set` lists; items of other (atomic) lists are not correlated.
pub fn validate_update(schema: &Value, obj: &Value, old: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    validate_node(schema, "", obj, Some(old), &mut out);
    validate_embedded(schema, "", obj, true, &mut out);
    validate_list_types(schema, "", obj, &mut out);
    out
}

/// [`validate_and_prune`] for an update: `old` is the stored object (see [`validate_update`]).
pub fn validate_and_prune_update(
    schema: &Value,
    obj: &mut Value,
    old: &Value,
) -> Result<(), Vec<Cause>> {
    normalize_numbers(obj);
    prune(schema, obj);
    apply_defaults(schema, obj);
    let causes = validate_update(schema, obj, old);
    if causes.is_empty() {
        Ok(())
    } else {
        Err(causes)
    }
}

/// The old item correlated with the new item `v` of a list (ratcheting).
fn correlated_item<'a>(s: &Value, old: Option<&'a Value>, v: &Value) -> Option<&'a Value> {
    let old_items = old?.as_array()?;
    match sstr(s, "x-kubernetes-list-type") {
        "set" => old_items.iter().find(|o| *o == v),
        "map" => {
            let keys: Vec<&str> = match sget(s, "x-kubernetes-list-map-keys") {
                Some(Value::Array(k)) => k.iter().filter_map(Value::as_str).collect(),
                _ => return None,
            };
            old_items
                .iter()
                .find(|o| keys.iter().all(|k| o.get(*k) == v.get(*k)))
        }
        _ => None,
    }
}

/// The field path of a kube-openapi error name: the leading `.` trimmed.
fn field_of(name: &str) -> &str {
    name.strip_prefix('.').unwrap_or(name)
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The JSON type kube-openapi infers for data, and the Go-side format (`int64` / `float64`).
fn data_type(v: &Value) -> (&'static str, &'static str) {
    match v {
        Value::Null => ("null", ""),
        Value::Bool(_) => ("boolean", ""),
        Value::String(_) => ("string", ""),
        Value::Array(_) => ("array", ""),
        Value::Object(_) => ("object", ""),
        Value::Number(n) => {
            if n.is_i64() {
                ("integer", "int64")
            } else {
                ("number", "float64")
            }
        }
    }
}

/// A number as Go's JSON decoding of unstructured objects has it: int64 when it fits, else float64.
enum Num {
    Int(i64),
    Float(f64),
}

fn num_of(v: &Value) -> Option<Num> {
    let n = v.as_number()?;
    if let Some(i) = n.as_i64() {
        Some(Num::Int(i))
    } else {
        n.as_f64().map(Num::Float)
    }
}

/// `swag.IsFloat64AJSONInteger`.
fn is_json_integer(f: f64) -> bool {
    const MAX: f64 = 9_007_199_254_740_992.0; // 2^53
    if !f.is_finite() || !(-MAX..=MAX).contains(&f) {
        return false;
    }
    if f == f.trunc() {
        return true;
    }
    let diff = (f - f.round()).abs();
    diff < f64::EPSILON * f.abs().max(1.0)
}

fn validate_node(s: &Value, path: &str, data: &Value, old: Option<&Value>, out: &mut Vec<Cause>) {
    if old == Some(data) {
        // ratcheting: nothing below an unchanged value is reported
        return;
    }
    let types = types_of(s);
    let format = sstr(s, "format");
    let field = field_of(path);

    if data.is_null() {
        if !types.is_empty() && !types.contains(&"null") && !nullable(s) {
            let msg = format!(
                "{path} in body must be of type {}: \"null\"",
                types.join(",")
            );
            out.push(Cause::type_invalid(field, &json!("null"), &msg));
        }
        validate_enum(s, path, data, out);
        return;
    }

    let (sch_type, data_format) = data_type(data);

    // 1. type
    if !types.is_empty() || !format.is_empty() {
        if let Some(c) = type_check(&types, format, path, data, sch_type, data_format) {
            out.push(c);
        }
    }

    // 2. anyOf / oneOf / allOf / not
    validate_schema_props(s, path, data, old, out);

    if let Value::String(text) = data {
        // 3. string: the first failing of maxLength, minLength, pattern
        validate_string(s, path, text, out);
        // 4. format
        if !format.is_empty() {
            if let Some(ok) = check_format(format, text) {
                if !ok {
                    let msg = format!(
                        "{path} in body must be of type {format}: {}",
                        go_quote(text)
                    );
                    out.push(Cause::type_invalid(field, data, &msg));
                }
            }
        }
    }

    // 5. number: multipleOf, minimum, maximum
    if let Some(n) = num_of(data) {
        validate_number(s, path, data, &n, out);
    }

    // 6. array: items, then minItems, maxItems, uniqueItems
    if let Value::Array(a) = data {
        if let Some(it) = items(s) {
            for (i, v) in a.iter().enumerate() {
                let o = correlated_item(s, old, v);
                validate_node(it, &format!("{path}[{i}]"), v, o, out);
            }
        }
        let size = a.len() as i64;
        if let Some(min) = si64(s, "minItems") {
            if size < min {
                let msg = format!("{path} in body should have at least {min} items");
                out.push(Cause::invalid(field, &json!(size), &msg));
            }
        }
        if let Some(max) = si64(s, "maxItems") {
            if size > max {
                out.push(Cause::too_many(field, size, max));
            }
        }
        if sbool(s, "uniqueItems") && has_duplicates(a) {
            let msg = format!("{path} in body shouldn't contain duplicates");
            out.push(Cause::invalid(field, &json!(""), &msg));
        }
    }

    // 7. enum
    validate_enum(s, path, data, out);

    // 8. object
    if let Value::Object(m) = data {
        validate_object(s, path, m, old, out);
    }
}

fn type_check(
    types: &[&str],
    format: &str,
    path: &str,
    data: &Value,
    sch_type: &str,
    data_format: &str,
) -> Option<Cause> {
    let field = field_of(path);
    let is_float_int = sch_type == "number"
        && data.as_f64().is_some_and(is_json_integer)
        && types.contains(&"integer");
    let is_int_float = sch_type == "integer" && types.contains(&"number");
    let is_string_or_slice = matches!(data, Value::String(_) | Value::Array(_));
    let contains = types.contains(&sch_type);
    let format_compatible = contains || data_format == format || is_float_int || is_int_float;
    if !is_string_or_slice && !format.is_empty() && !format_compatible {
        let msg = format!(
            "{path} in body must be of type {format}: {}",
            go_quote(data_format)
        );
        return Some(Cause::type_invalid(field, &json!(data_format), &msg));
    }
    let numeric = types.contains(&"number") || types.contains(&"integer");
    if !numeric && !format.is_empty() && is_string_or_slice {
        return None;
    }
    if !(contains || is_float_int || is_int_float) {
        let msg = format!(
            "{path} in body must be of type {}: {}",
            types.join(","),
            go_quote(sch_type)
        );
        return Some(Cause::type_invalid(field, &json!(sch_type), &msg));
    }
    None
}

fn validate_string(s: &Value, path: &str, text: &str, out: &mut Vec<Cause>) {
    let field = field_of(path);
    let len = text.chars().count() as i64;
    if let Some(max) = si64(s, "maxLength") {
        if len > max {
            out.push(Cause::too_long(field, max));
            return;
        }
    }
    if let Some(min) = si64(s, "minLength") {
        if len < min {
            let msg = format!("{path} in body should be at least {min} chars long");
            out.push(Cause::invalid(field, &json!(text), &msg));
            return;
        }
    }
    let pattern = sstr(s, "pattern");
    if !pattern.is_empty() {
        if let Some(false) = pattern_matches(pattern, text) {
            let msg = format!("{path} in body should match '{pattern}'");
            out.push(Cause::invalid(field, &json!(text), &msg));
        }
    }
}

fn validate_number(s: &Value, path: &str, data: &Value, n: &Num, out: &mut Vec<Cause>) {
    let field = field_of(path);
    if let Some(factor) = sf64(s, "multipleOf") {
        match n {
            Num::Int(v) => {
                let f = factor as i64;
                if f < 0 {
                    let msg =
                        format!("factor MultipleOf declared for {path} must be positive: {f}");
                    out.push(Cause::invalid(field, &json!(f), &msg));
                } else if f != 0 && v % f != 0 {
                    let msg = format!("{path} in body should be a multiple of {f}");
                    out.push(Cause::invalid(field, data, &msg));
                }
            }
            Num::Float(v) => {
                if factor < 0.0 {
                    let msg = format!(
                        "factor MultipleOf declared for {path} must be positive: {}",
                        go_float(factor)
                    );
                    out.push(Cause::invalid(field, &json!(factor), &msg));
                } else {
                    let mult = if factor < 1.0 {
                        1.0 / factor * v
                    } else {
                        v / factor
                    };
                    if !is_json_integer(mult) {
                        let msg = format!(
                            "{path} in body should be a multiple of {}",
                            go_float(factor)
                        );
                        out.push(Cause::invalid(field, data, &msg));
                    }
                }
            }
        }
    }
    if let Some(min) = sf64(s, "minimum") {
        let excl = sbool(s, "exclusiveMinimum");
        let (fails, bound) = match n {
            Num::Int(v) => {
                let m = min as i64;
                ((!excl && *v < m) || (excl && *v <= m), m.to_string())
            }
            Num::Float(v) => ((!excl && *v < min) || (excl && *v <= min), go_float(min)),
        };
        if fails {
            let op = if excl {
                "greater than"
            } else {
                "greater than or equal to"
            };
            let msg = format!("{path} in body should be {op} {bound}");
            out.push(Cause::invalid(field, data, &msg));
        }
    }
    if let Some(max) = sf64(s, "maximum") {
        let excl = sbool(s, "exclusiveMaximum");
        let (fails, bound) = match n {
            Num::Int(v) => {
                let m = max as i64;
                ((!excl && *v > m) || (excl && *v >= m), m.to_string())
            }
            Num::Float(v) => ((!excl && *v > max) || (excl && *v >= max), go_float(max)),
        };
        if fails {
            let op = if excl {
                "less than"
            } else {
                "less than or equal to"
            };
            let msg = format!("{path} in body should be {op} {bound}");
            out.push(Cause::invalid(field, data, &msg));
        }
    }
}

/// Enum membership as kube-openapi checks it: numbers compare by value (enum values are decoded
/// as float64), everything else by equality; `null` never matches.
fn validate_enum(s: &Value, path: &str, data: &Value, out: &mut Vec<Cause>) {
    let Some(Value::Array(values)) = sget(s, "enum") else {
        return;
    };
    if values.is_empty() {
        return;
    }
    let matches = |e: &Value| -> bool {
        if data.is_null() || e.is_null() {
            return false;
        }
        match (data.as_f64(), e.as_f64()) {
            (Some(a), Some(b)) if data.is_number() && e.is_number() => a == b,
            _ => data == e,
        }
    };
    if values.iter().any(matches) {
        return;
    }
    let supported: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => json_marshal(other),
        })
        .collect();
    out.push(Cause::not_supported(field_of(path), data, &supported));
}

fn validate_object(
    s: &Value,
    path: &str,
    m: &Map<String, Value>,
    old: Option<&Value>,
    out: &mut Vec<Cause>,
) {
    let old_field = |k: &str| old.and_then(|o| o.get(k));
    let field = field_of(path);
    let n = m.len() as i64;
    if let Some(min) = si64(s, "minProperties") {
        if n < min {
            let msg = format!("{path} in body should have at least {min} properties");
            out.push(Cause::invalid(field, &json!(n), &msg));
            return;
        }
    }
    if let Some(max) = si64(s, "maxProperties") {
        if n > max {
            out.push(Cause::too_many(field, n, max));
            return;
        }
    }
    let props = properties(s);
    // additionalProperties (a schema): every key that is not a declared property, sorted
    if let Some(ap) = additional(s) {
        let mut keys: Vec<&String> = m
            .keys()
            .filter(|k| !props.is_some_and(|p| p.contains_key(*k)))
            .collect();
        keys.sort();
        for k in keys {
            validate_node(ap, &format!("{path}.{k}"), &m[k], old_field(k), out);
        }
    }
    // declared properties present in the data, sorted by name
    if let Some(props) = props {
        let sorted: BTreeMap<&String, &Value> = props.iter().collect();
        for (k, ps) in sorted {
            if let Some(v) = m.get(k) {
                validate_node(ps, &child(path, k), v, old_field(k), out);
            }
        }
    }
    // required, in the order listed
    if let Some(Value::Array(req)) = sget(s, "required") {
        for k in req.iter().filter_map(Value::as_str) {
            if !m.contains_key(k) {
                out.push(Cause::required(field_of(&format!("{path}.{k}")), ""));
            }
        }
    }
}

/// anyOf, oneOf, allOf and not, in that order (kube-openapi's schemaPropsValidator).
fn validate_schema_props(
    s: &Value,
    path: &str,
    data: &Value,
    old: Option<&Value>,
    out: &mut Vec<Cause>,
) {
    let sub_results = |key: &str| -> Vec<Vec<Cause>> {
        match sget(s, key) {
            Some(Value::Array(subs)) => subs
                .iter()
                .map(|sub| {
                    let mut r = Vec::new();
                    validate_node(sub, path, data, old, &mut r);
                    r
                })
                .collect(),
            _ => vec![],
        }
    };
    let composite = |msg: String| Cause::invalid("<nil>", &json!(""), &msg);

    let any = sub_results("anyOf");
    if !any.is_empty() && !any.iter().any(Vec::is_empty) {
        out.push(composite(format!(
            "{} must validate at least one schema (anyOf)",
            go_quote(path)
        )));
        if let Some(best) = any.iter().min_by_key(|r| r.len()) {
            out.extend(best.iter().cloned());
        }
    }
    let one = sub_results("oneOf");
    if !one.is_empty() {
        let valid = one.iter().filter(|r| r.is_empty()).count();
        if valid == 0 {
            out.push(composite(format!(
                "{} must validate one and only one schema (oneOf). Found none valid",
                go_quote(path)
            )));
            if let Some(best) = one.iter().min_by_key(|r| r.len()) {
                out.extend(best.iter().cloned());
            }
        } else if valid > 1 {
            out.push(composite(format!(
                "{} must validate one and only one schema (oneOf). Found {valid} valid alternatives",
                go_quote(path)
            )));
        }
    }
    let all = sub_results("allOf");
    if !all.is_empty() {
        let valid = all.iter().filter(|r| r.is_empty()).count();
        for r in &all {
            out.extend(r.iter().cloned());
        }
        if valid != all.len() {
            let extra = if valid == 0 { ". None validated" } else { "" };
            out.push(composite(format!(
                "{} must validate all the schemas (allOf){extra}",
                go_quote(path)
            )));
        }
    }
    if let Some(not) = sget(s, "not").filter(|v| v.is_object()) {
        let mut r = Vec::new();
        validate_node(not, path, data, None, &mut r);
        if r.is_empty() {
            out.push(composite(format!(
                "{} must not validate the schema (not)",
                go_quote(path)
            )));
        }
    }
}

fn has_duplicates(a: &[Value]) -> bool {
    a.iter().enumerate().any(|(i, v)| a[..i].contains(v))
}

/// `x-kubernetes-embedded-resource` objects below the root need `apiVersion` and `kind`.
fn validate_embedded(s: &Value, path: &str, data: &Value, root: bool, out: &mut Vec<Cause>) {
    match data {
        Value::Object(m) => {
            if !root && embedded(s) {
                let p = |k: &str| child(path, k);
                if !m.contains_key("apiVersion") {
                    out.push(Cause::required(&p("apiVersion"), "must not be empty"));
                }
                if !m.contains_key("kind") {
                    out.push(Cause::required(&p("kind"), "must not be empty"));
                }
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("apiVersion", Value::String(av)) => {
                            if av.is_empty() {
                                out.push(Cause::invalid(&p(k), v, "must not be empty"));
                            } else if let Some(err) = parse_group_version_error(av) {
                                out.push(Cause::invalid(&p(k), v, &err));
                            }
                        }
                        ("kind", Value::String(kind)) => {
                            if kind.is_empty() {
                                out.push(Cause::invalid(&p(k), v, "must not be empty"));
                            } else if let Some(err) = dns1035_label_error(&kind.to_lowercase()) {
                                out.push(Cause::invalid(
                                    &p(k),
                                    v,
                                    &format!(
                                        "may have mixed case, but should otherwise match: {err}"
                                    ),
                                ));
                            }
                        }
                        ("apiVersion" | "kind", _) => {
                            out.push(Cause::invalid(&p(k), v, "must be a string"));
                        }
                        _ => {}
                    }
                }
            }
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                if root && k == "metadata" {
                    continue;
                }
                if let Some(sub) = field_schema(s, k) {
                    validate_embedded(sub, &child(path, k), &m[k], false, out);
                }
            }
        }
        Value::Array(a) => {
            if let Some(it) = items(s) {
                for (i, v) in a.iter().enumerate() {
                    validate_embedded(it, &format!("{path}[{i}]"), v, false, out);
                }
            }
        }
        _ => {}
    }
}

fn parse_group_version_error(gv: &str) -> Option<String> {
    if gv == "/" {
        return None;
    }
    match gv.matches('/').count() {
        0 | 1 => None,
        _ => Some(format!("unexpected GroupVersion string: {gv}")),
    }
}

fn dns1035_label_error(v: &str) -> Option<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE
        .get_or_init(|| Regex::new("^[a-z]([-a-z0-9]*[a-z0-9])?$").ok())
        .as_ref()?;
    let mut errs = Vec::new();
    if v.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    if !re.is_match(v) {
        errs.push(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
                .to_string(),
        );
    }
    if errs.is_empty() {
        None
    } else {
        Some(errs.join(","))
    }
}

/// `x-kubernetes-list-type: set` items must be unique; `map` items unique by their
/// `x-kubernetes-list-map-keys`.
fn validate_list_types(s: &Value, path: &str, data: &Value, out: &mut Vec<Cause>) {
    match data {
        Value::Array(a) => {
            match sstr(s, "x-kubernetes-list-type") {
                "set" => {
                    let mut seen: Vec<&Value> = Vec::new();
                    for (i, v) in a.iter().enumerate() {
                        if seen.contains(&v) {
                            out.push(Cause::duplicate(&format!("{path}[{i}]"), v));
                        } else {
                            seen.push(v);
                        }
                    }
                }
                "map" => {
                    let keys: Vec<&str> = match sget(s, "x-kubernetes-list-map-keys") {
                        Some(Value::Array(k)) => k.iter().filter_map(Value::as_str).collect(),
                        _ => vec![],
                    };
                    let mut seen: Vec<Value> = Vec::new();
                    for (i, v) in a.iter().enumerate() {
                        let mut key = Map::new();
                        for k in &keys {
                            if let Some(kv) = v.get(*k) {
                                key.insert((*k).to_string(), kv.clone());
                            }
                        }
                        let key = Value::Object(key);
                        if seen.contains(&key) {
                            out.push(Cause::duplicate(&format!("{path}[{i}]"), &key));
                        } else {
                            seen.push(key);
                        }
                    }
                }
                _ => {}
            }
            if let Some(it) = items(s) {
                for (i, v) in a.iter().enumerate() {
                    validate_list_types(it, &format!("{path}[{i}]"), v, out);
                }
            }
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                if let Some(sub) = field_schema(s, k) {
                    validate_list_types(sub, &child(path, k), &m[k], out);
                }
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// formats and patterns

/// Compiled patterns, shared (a cloned `Regex` would get a fresh match cache on every use).
fn cached_regex(pattern: &str) -> Option<Arc<Regex>> {
    type Cache = Mutex<HashMap<String, Option<Arc<Regex>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut guard = match cache.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(re) = guard.get(pattern) {
        return re.clone();
    }
    let re = Regex::new(pattern).ok().map(Arc::new);
    if guard.len() < 4096 {
        guard.insert(pattern.to_string(), re.clone());
    }
    re
}

/// Whether `text` matches the ECMA/RE2 `pattern`; `None` when the pattern does not compile
/// (the server rejects such CRDs, so nothing is reported here).
fn pattern_matches(pattern: &str, text: &str) -> Option<bool> {
    cached_regex(pattern).map(|re| re.is_match(text))
}

/// `Some(valid)` for the string formats kube-openapi's registry knows, `None` for the others.
fn check_format(format: &str, v: &str) -> Option<bool> {
    let re = |p: &str| cached_regex(p).is_some_and(|r| r.is_match(v));
    Some(match format {
        "date-time" | "datetime" => {
            re(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
        }
        "date" => re(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"),
        "byte" => {
            re(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})?$")
        }
        "uuid" => re(r"^(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
        "uuid3" => re(r"^(?i)[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$"),
        "uuid4" => re(r"^(?i)[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"),
        "uuid5" => re(r"^(?i)[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"),
        "ipv4" => v.parse::<Ipv4Addr>().is_ok(),
        "ipv6" => v.parse::<Ipv6Addr>().is_ok(),
        "cidr" => match v.split_once('/') {
            Some((ip, bits)) => match bits.parse::<u8>() {
                Ok(b) => {
                    (ip.parse::<Ipv4Addr>().is_ok() && b <= 32)
                        || (ip.parse::<Ipv6Addr>().is_ok() && b <= 128)
                }
                Err(_) => false,
            },
            None => false,
        },
        "hostname" => {
            v.len() <= 255
                && re(
                    r"^([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*\.?$",
                )
        }
        "mac" => re(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$"),
        "email" => re(r"^[^@\s]+@[^@\s]+$"),
        "uri" => re(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$"),
        "duration" => re(r"^[-+]?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w))+$"),
        "password" => true,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Go value printing

/// `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\u{0b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): shortest round-trip digits,
/// exponent form when the decimal exponent is < -4 or >= 6, e.g. `1e+06`, `123456`, `1.5`, `1e-05`.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "1.2345e6", "-5e-7".
    let sci = format!("{f:e}");
    let (mant, exp) = match sci.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse::<i32>().unwrap_or(0)),
        None => (sci.clone(), 0),
    };
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let sign = if mant.starts_with('-') { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        return go_float_exp(sign, &digits, exp);
    }
    let dp = exp + 1; // digits before the decimal point
    if dp <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-dp) as usize))
    } else if dp as usize >= digits.len() {
        format!("{sign}{digits}{}", "0".repeat(dp as usize - digits.len()))
    } else {
        format!(
            "{sign}{}.{}",
            &digits[..dp as usize],
            &digits[dp as usize..]
        )
    }
}

fn go_float_exp(sign: &str, digits: &str, exp: i32) -> String {
    let (first, rest) = digits.split_at(1);
    let mant = if rest.is_empty() {
        first.to_string()
    } else {
        format!("{first}.{rest}")
    };
    let esign = if exp < 0 { '-' } else { '+' };
    format!("{sign}{mant}e{esign}{:02}", exp.abs())
}

/// Go's `%#v` of a decoded JSON value (maps with sorted keys, `[]interface {}{...}`).
fn go_sharp_v(v: &Value) -> String {
    match v {
        Value::Null => "interface {}(nil)".into(),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => go_quote(s),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => go_float(n.as_f64().unwrap_or(0.0)),
        },
        Value::Array(a) => {
            let inner: Vec<String> = a.iter().map(go_sharp_v).collect();
            format!("[]interface {{}}{{{}}}", inner.join(", "))
        }
        Value::Object(m) => {
            let sorted: BTreeMap<&String, &Value> = m.iter().collect();
            let inner: Vec<String> = sorted
                .iter()
                .map(|(k, v)| format!("{}:{}", go_quote(k), go_sharp_v(v)))
                .collect();
            format!("map[string]interface {{}}{{{}}}", inner.join(", "))
        }
    }
}

/// How `field.Error.ErrorBody` prints a bad value: numbers and bools bare, strings quoted,
/// `null` as `"null"`, objects and arrays with `%#v`.
fn go_bad_value(v: &Value) -> String {
    match v {
        Value::Null => go_quote("null"),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => go_quote(s),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => go_float(n.as_f64().unwrap_or(0.0)),
        },
        other => go_sharp_v(other),
    }
}

/// `json.Marshal` of a decoded enum value (`1`, `1.5`, `true`, `{"a":1}`).
fn json_marshal(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// structural schema checks of CRDs

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    Items,
    Field,
}

/// Checks that a CRD version schema (`openAPIV3Schema`) is structural and allowed, with the
/// causes the server gives, field paths under `spec.versions[0].schema.openAPIV3Schema`.
pub fn check_structural(schema: &Value) -> Result<(), Vec<Cause>> {
    check_structural_at("spec.versions[0].schema.openAPIV3Schema", schema)
}

/// [`check_structural`] with the field path of the schema given (e.g.
/// `spec.versions[2].schema.openAPIV3Schema`).
pub fn check_structural_at(path: &str, schema: &Value) -> Result<(), Vec<Cause>> {
    let mut api = Vec::new();
    check_schema_api(schema, path, &mut api);
    let mut structural = Vec::new();
    invariants(schema, Level::Root, path, &mut structural);
    completeness(schema, path, &mut structural);
    structural.sort_by_key(Cause::error_string);
    api.extend(structural);
    if api.is_empty() {
        Ok(())
    } else {
        Err(api)
    }
}

/// Validates the schemas of a whole CRD object (`spec.versions[*].schema.openAPIV3Schema`):
/// every served version needs a structural schema.
pub fn validate_crd(crd: &Value) -> Result<(), Vec<Cause>> {
    let mut causes = Vec::new();
    if let Some(Value::Array(versions)) = crd.pointer("/spec/versions") {
        for (i, v) in versions.iter().enumerate() {
            let path = format!("spec.versions[{i}].schema.openAPIV3Schema");
            match v.pointer("/schema/openAPIV3Schema") {
                Some(s) if s.is_object() => {
                    if let Err(mut c) = check_structural_at(&path, s) {
                        causes.append(&mut c);
                    }
                }
                _ => causes.push(Cause::required(&path, "schemas are required")),
            }
        }
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(causes)
    }
}

fn prop_path(path: &str, k: &str) -> String {
    format!("{path}.properties[{k}]")
}

fn sub_schemas(s: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    if let Some(p) = properties(s) {
        let sorted: BTreeMap<&String, &Value> = p.iter().collect();
        for (k, v) in sorted {
            out.push((format!(".properties[{k}]"), v));
        }
    }
    if let Some(ap @ Value::Object(_)) = sget(s, "additionalProperties") {
        out.push((".additionalProperties".into(), ap));
    }
    if let Some(it) = items(s) {
        out.push((".items".into(), it));
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(a)) = sget(s, key) {
            for (i, v) in a.iter().enumerate() {
                out.push((format!(".{key}[{i}]"), v));
            }
        }
    }
    if let Some(not @ Value::Object(_)) = sget(s, "not") {
        out.push((".not".into(), not));
    }
    out
}

/// The API-level checks of `ValidateCustomResourceDefinitionOpenAPISchema` that matter here.
fn check_schema_api(s: &Value, path: &str, out: &mut Vec<Cause>) {
    if sget(s, "uniqueItems") == Some(&Value::Bool(true)) {
        out.push(Cause::forbidden(
            &format!("{path}.uniqueItems"),
            "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
        ));
    }
    match sget(s, "additionalProperties") {
        Some(Value::Bool(false)) => out.push(Cause::forbidden(
            &format!("{path}.additionalProperties"),
            "additionalProperties cannot be set to false",
        )),
        Some(_) if properties(s).is_some_and(|p| !p.is_empty()) => out.push(Cause::forbidden(
            &format!("{path}.additionalProperties"),
            "additionalProperties and properties are mutual exclusive",
        )),
        _ => {}
    }
    if sget(s, "x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(false)) {
        out.push(Cause::invalid(
            &format!("{path}.x-kubernetes-preserve-unknown-fields"),
            &Value::Bool(false),
            "must be true or undefined",
        ));
    }
    if let Some(p) = sget(s, "pattern").and_then(Value::as_str) {
        if let Err(e) = Regex::new(p) {
            out.push(Cause::invalid(
                &format!("{path}.pattern"),
                &json!(p),
                &format!("must be a valid regular expression, but isn't: {e}"),
            ));
        }
    }
    if let (Some(d), false) = (
        default_of(s),
        path.contains(".anyOf[")
            || path.contains(".allOf[")
            || path.contains(".oneOf[")
            || path.contains(".not"),
    ) {
        let mut errs = Vec::new();
        let mut pruned = d.clone();
        prune_node(&mut pruned, Some(s), false, "", &mut Vec::new());
        if &pruned != d {
            out.push(Cause::invalid(
                &format!("{path}.default"),
                d,
                "must not have unknown fields",
            ));
        } else {
            validate_node(s, "", d, None, &mut errs);
            for e in errs {
                let f = if e.field.is_empty() {
                    format!("{path}.default")
                } else {
                    format!("{path}.default.{}", e.field)
                };
                out.push(Cause { field: f, ..e });
            }
        }
    }
    for (suffix, sub) in sub_schemas(s) {
        check_schema_api(sub, &format!("{path}{suffix}"), out);
    }
}

fn invariants(s: &Value, lvl: Level, path: &str, out: &mut Vec<Cause>) {
    let ty = sstr(s, "type");
    let int_or_string = sbool(s, "x-kubernetes-int-or-string");
    let emb = embedded(s);

    if ty == "array" && items(s).is_none() {
        out.push(Cause::required(
            &format!("{path}.items"),
            "must be specified",
        ));
    }
    if let Some(it) = items(s) {
        invariants(it, Level::Items, &format!("{path}.items"), out);
    }
    if let Some(p) = properties(s) {
        for (k, v) in p {
            invariants(v, Level::Field, &prop_path(path, k), out);
        }
    }
    if let Some(ap @ Value::Object(_)) = sget(s, "additionalProperties") {
        invariants(
            ap,
            Level::Field,
            &format!("{path}.additionalProperties"),
            out,
        );
    }
    if int_or_string && !ty.is_empty() {
        out.push(Cause::invalid(
            &format!("{path}.type"),
            &json!(ty),
            "must be empty if x-kubernetes-int-or-string is true",
        ));
    }
    if emb && ty != "object" {
        if ty.is_empty() {
            out.push(Cause::required(
                &format!("{path}.type"),
                "must be object if x-kubernetes-embedded-resource is true",
            ));
        } else {
            out.push(Cause::invalid(
                &format!("{path}.type"),
                &json!(ty),
                "must be object if x-kubernetes-embedded-resource is true",
            ));
        }
    }
    if ty.is_empty() && !emb && !int_or_string && !preserves_unknown(s) {
        let detail = match lvl {
            Level::Root => "must not be empty at the root",
            Level::Items => "must not be empty for specified array items",
            Level::Field => "must not be empty for specified object fields",
        };
        out.push(Cause::required(&format!("{path}.type"), detail));
    }
    if lvl == Level::Root && !ty.is_empty() && ty != "object" {
        out.push(Cause::invalid(
            &format!("{path}.type"),
            &json!(ty),
            "must be object at the root",
        ));
    }
    if lvl == Level::Root || emb {
        for k in ["kind", "apiVersion"] {
            if let Some(p) = property(s, k) {
                let t = sstr(p, "type");
                if t != "string" {
                    out.push(Cause::invalid(
                        &format!("{}.type", prop_path(path, k)),
                        &json!(t),
                        "must be string",
                    ));
                }
            }
        }
        if let Some(meta) = property(s, "metadata") {
            metadata_invariants(meta, &prop_path(path, "metadata"), out);
        }
    }
    if emb && !preserves_unknown(s) && properties(s).is_none_or(|p| p.is_empty()) {
        out.push(Cause::required(
            &format!("{path}.properties"),
            "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
        ));
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(a)) = sget(s, key) {
            for (i, v) in a.iter().enumerate() {
                value_validation(v, &format!("{path}.{key}[{i}]"), out);
            }
        }
    }
    if let Some(not @ Value::Object(_)) = sget(s, "not") {
        value_validation(not, &format!("{path}.not"), out);
    }
}

fn metadata_invariants(meta: &Value, path: &str, out: &mut Vec<Cause>) {
    let ty = sstr(meta, "type");
    if !ty.is_empty() && ty != "object" {
        out.push(Cause::invalid(
            &format!("{path}.type"),
            &json!(ty),
            "must be object",
        ));
    }
    let Some(m) = meta.as_object() else { return };
    let ok = m.iter().all(|(k, v)| match k.as_str() {
        "type" | "default" | "description" => true,
        "properties" => v
            .as_object()
            .is_some_and(|p| p.keys().all(|k| k == "name" || k == "generateName")),
        _ => false,
    });
    if !ok {
        out.push(Cause::forbidden(
            path,
            "must not specify anything other than name and generateName, but metadata is implicitly specified",
        ));
    }
}

/// Inside anyOf / allOf / oneOf / not only value validations are allowed.
fn value_validation(s: &Value, path: &str, out: &mut Vec<Cause>) {
    const FORBIDDEN: &[&str] = &[
        "type",
        "default",
        "description",
        "nullable",
        "additionalProperties",
        "title",
        "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-embedded-resource",
        "x-kubernetes-int-or-string",
    ];
    for k in FORBIDDEN {
        if sget(s, k).is_some() {
            out.push(Cause::forbidden(
                &format!("{path}.{k}"),
                "must be empty to be structural",
            ));
        }
    }
    if let Some(p) = properties(s) {
        for (k, v) in p {
            value_validation(v, &prop_path(path, k), out);
        }
    }
    if let Some(it) = items(s) {
        value_validation(it, &format!("{path}.items"), out);
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(a)) = sget(s, key) {
            for (i, v) in a.iter().enumerate() {
                value_validation(v, &format!("{path}.{key}[{i}]"), out);
            }
        }
    }
    if let Some(not @ Value::Object(_)) = sget(s, "not") {
        value_validation(not, &format!("{path}.not"), out);
    }
}

/// Every property or items used in a value validation must also be specified structurally.
fn completeness(s: &Value, path: &str, out: &mut Vec<Cause>) {
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(a)) = sget(s, key) {
            for (i, v) in a.iter().enumerate() {
                complete_against(s, v, path, &format!("{path}.{key}[{i}]"), out);
            }
        }
    }
    if let Some(not @ Value::Object(_)) = sget(s, "not") {
        complete_against(s, not, path, &format!("{path}.not"), out);
    }
    if let Some(p) = properties(s) {
        for (k, v) in p {
            completeness(v, &prop_path(path, k), out);
        }
    }
    if let Some(it) = items(s) {
        completeness(it, &format!("{path}.items"), out);
    }
    if let Some(ap @ Value::Object(_)) = sget(s, "additionalProperties") {
        completeness(ap, &format!("{path}.additionalProperties"), out);
    }
}

fn complete_against(
    structural: &Value,
    vv: &Value,
    spath: &str,
    vpath: &str,
    out: &mut Vec<Cause>,
) {
    if let Some(p) = properties(vv) {
        for (k, v) in p {
            let sp = prop_path(spath, k);
            match field_schema(structural, k) {
                Some(ss) => complete_against(ss, v, &sp, &prop_path(vpath, k), out),
                None if preserves_unknown(structural) => {}
                None => out.push(Cause::required(
                    &sp,
                    &format!("because it is defined in {}", prop_path(vpath, k)),
                )),
            }
        }
    }
    if let Some(it) = items(vv) {
        match items(structural) {
            Some(si) => complete_against(
                si,
                it,
                &format!("{spath}.items"),
                &format!("{vpath}.items"),
                out,
            ),
            None => out.push(Cause::required(
                &format!("{spath}.items"),
                &format!("because it is defined in {vpath}.items"),
            )),
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(a)) = sget(vv, key) {
            for (i, v) in a.iter().enumerate() {
                complete_against(structural, v, spath, &format!("{vpath}.{key}[{i}]"), out);
            }
        }
    }
    if let Some(not @ Value::Object(_)) = sget(vv, "not") {
        complete_against(structural, not, spath, &format!("{vpath}.not"), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// The recorded kube-apiserver answers, copied into this crate's testdata.
    fn traces() -> String {
        concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/k8s-api-traces").to_string()
    }

    /// The `widgets.example.org` schema of the traces (`crd-typed.json`).
    fn widget_schema() -> Value {
        let path = format!("{}/crd-typed.json", traces());
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let crd: Value = serde_json::from_str(&text).expect("crd-typed.json parses");
                crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone()
            }
            // same schema, for checkouts without the shared traces
            Err(_) => json!({"type":"object","properties":{
                "spec":{"type":"object","required":["count"],"properties":{"count":{"type":"integer","minimum":0,"maximum":100}}},
                "status":{"type":"object","properties":{"ready":{"type":"boolean"}}}}}),
        }
    }

    fn widget(name: &str, spec: Value) -> Value {
        json!({"apiVersion":"example.org/v1","kind":"Widget","metadata":{"name":name,"namespace":"trace"},"spec":spec})
    }

    /// A schema exercising most keywords.
    fn rich_schema() -> Value {
        json!({
            "type": "object",
            "required": ["spec"],
            "properties": {
                "spec": {
                    "type": "object",
                    "required": ["count", "image"],
                    "properties": {
                        "count": {"type": "integer", "minimum": 0, "maximum": 1000},
                        "image": {"type": "string", "minLength": 1, "maxLength": 20, "pattern": "^[a-z0-9:./-]+$"},
                        "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
                        "level": {"type": "integer", "enum": [1, 2, 3]},
                        "ratio": {"type": "number", "exclusiveMinimum": true, "minimum": 0, "maximum": 1.5},
                        "step": {"type": "integer", "multipleOf": 5},
                        "tags": {"type": "array", "maxItems": 2, "minItems": 1, "items": {"type": "string"}},
                        "port": {"x-kubernetes-int-or-string": true},
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "note": {"type": "string", "nullable": true},
                        "when": {"type": "string", "format": "date-time"},
                        "size": {"type": "integer", "format": "int32"},
                        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                                  "properties": {"typed": {"type": "object", "properties": {"a": {"type": "string"}}}}},
                        "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                                     "x-kubernetes-preserve-unknown-fields": true},
                        "resources": {"type": "object", "default": {}, "properties": {
                            "cpu": {"type": "string", "default": "100m"},
                            "memory": {"type": "string", "default": "128Mi"}}},
                        "flags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                        "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                                  "items": {"type": "object", "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}}
                    }
                },
                "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}
            }
        })
    }

    fn sample(spec: Value) -> Value {
        json!({"apiVersion":"nuvolaris.org/v1","kind":"Sample","metadata":{"name":"bad"},"spec":spec})
    }

    fn errors_of(schema: &Value, mut obj: Value) -> Vec<String> {
        match validate_and_prune(schema, &mut obj) {
            Ok(()) => vec![],
            Err(c) => c
                .iter()
                .map(|c| format!("{} {}", c.reason, c.error_string()))
                .collect(),
        }
    }

    #[rstest]
    #[case::type_string("cr-error-422-schema.json", "bad", json!({"count": "two"}))]
    #[case::minimum("cr-error-422-minimum.json", "neg", json!({"count": -5}))]
    fn matches_recorded_422_bodies_byte_for_byte(
        #[case] file: &str,
        #[case] name: &str,
        #[case] spec: Value,
    ) {
        let dir = traces();
        let Ok(text) = std::fs::read_to_string(format!("{dir}/{file}")) else {
            panic!("trace {file} missing from {dir}");
        };
        let expected: Value = serde_json::from_str(&text).expect("trace parses");
        let mut obj = widget(name, spec);
        let causes = validate_and_prune(&widget_schema(), &mut obj).expect_err("must be invalid");
        let got = invalid_status("example.org", "Widget", name, &causes);
        assert_eq!(got, expected);
        // same key order as the server's JSON, too
        assert_eq!(
            serde_json::to_string(&got).ok(),
            serde_json::to_string(&expected).ok()
        );
    }

    #[test]
    fn prunes_unknown_fields_like_the_recorded_create() {
        let mut obj = json!({"apiVersion":"example.org/v1","kind":"Widget",
            "metadata":{"name":"w1","namespace":"trace","labels":{"x":"y"}},
            "spec":{"count":2,"bogus":true},"status":{"ready":true,"other":1},"top":"level"});
        validate_and_prune(&widget_schema(), &mut obj).expect("valid");
        assert_eq!(
            obj,
            json!({"apiVersion":"example.org/v1","kind":"Widget",
                "metadata":{"name":"w1","namespace":"trace","labels":{"x":"y"}},
                "spec":{"count":2},"status":{"ready":true}})
        );
        let trace = std::fs::read_to_string(format!(
            "{}/cr-create-prunes-unknown-and-status.response.json",
            traces()
        ))
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok());
        if let Some(trace) = trace {
            assert_eq!(obj["spec"], trace["spec"]);
        }
    }

    #[rstest]
    #[case::valid(json!({"count": 3, "image": "nginx"}), vec![])]
    #[case::wrong_type(json!({"count": "two", "image": "nginx"}),
        vec![r#"FieldValueTypeInvalid spec.count: Invalid value: "string": spec.count in body must be of type integer: "string""#])]
    #[case::float_for_integer(json!({"count": 1.5, "image": "nginx"}),
        vec![r#"FieldValueTypeInvalid spec.count: Invalid value: "number": spec.count in body must be of type integer: "number""#])]
    #[case::integral_float_is_an_integer(json!({"count": 2.0, "image": "nginx"}), vec![])]
    #[case::bool_for_integer(json!({"count": true, "image": "nginx"}),
        vec![r#"FieldValueTypeInvalid spec.count: Invalid value: "boolean": spec.count in body must be of type integer: "boolean""#])]
    #[case::object_for_string(json!({"count": 1, "image": {"a": 1}}),
        vec![r#"FieldValueTypeInvalid spec.image: Invalid value: "object": spec.image in body must be of type string: "object""#])]
    #[case::negative(json!({"count": -1, "image": "nginx"}),
        vec!["FieldValueInvalid spec.count: Invalid value: -1: spec.count in body should be greater than or equal to 0"])]
    #[case::huge(json!({"count": 1001, "image": "nginx"}),
        vec!["FieldValueInvalid spec.count: Invalid value: 1001: spec.count in body should be less than or equal to 1000"])]
    // the number validator still runs after a failed type check, as in kube-openapi
    #[case::beyond_int64(json!({"count": 1e30, "image": "nginx"}),
        vec![r#"FieldValueTypeInvalid spec.count: Invalid value: "number": spec.count in body must be of type integer: "number""#,
             "FieldValueInvalid spec.count: Invalid value: 1e+30: spec.count in body should be less than or equal to 1000"])]
    #[case::missing_required(json!({}),
        vec!["FieldValueRequired spec.count: Required value", "FieldValueRequired spec.image: Required value"])]
    #[case::too_long(json!({"count": 1, "image": "a23456789012345678901"}),
        vec!["FieldValueTooLong spec.image: Too long: may not be more than 20 bytes"])]
    #[case::too_short(json!({"count": 1, "image": ""}),
        vec![r#"FieldValueInvalid spec.image: Invalid value: "": spec.image in body should be at least 1 chars long"#])]
    #[case::pattern(json!({"count": 1, "image": "NGINX"}),
        vec![r#"FieldValueInvalid spec.image: Invalid value: "NGINX": spec.image in body should match '^[a-z0-9:./-]+$'"#])]
    #[case::enum_string(json!({"count": 1, "image": "x", "mode": "c"}),
        vec![r#"FieldValueNotSupported spec.mode: Unsupported value: "c": supported values: "a", "b""#])]
    #[case::enum_number(json!({"count": 1, "image": "x", "level": 7}),
        vec![r#"FieldValueNotSupported spec.level: Unsupported value: 7: supported values: "1", "2", "3""#])]
    #[case::enum_number_matches_float(json!({"count": 1, "image": "x", "level": 2.0}), vec![])]
    #[case::exclusive_minimum(json!({"count": 1, "image": "x", "ratio": 0.0}),
        vec!["FieldValueInvalid spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0"])]
    #[case::float_maximum(json!({"count": 1, "image": "x", "ratio": 2.25}),
        vec!["FieldValueInvalid spec.ratio: Invalid value: 2.25: spec.ratio in body should be less than or equal to 1.5"])]
    #[case::multiple_of(json!({"count": 1, "image": "x", "step": 7}),
        vec!["FieldValueInvalid spec.step: Invalid value: 7: spec.step in body should be a multiple of 5"])]
    #[case::max_items(json!({"count": 1, "image": "x", "tags": ["a", "b", "c"]}),
        vec!["FieldValueTooMany spec.tags: Too many: 3: must have at most 2 items"])]
    #[case::min_items(json!({"count": 1, "image": "x", "tags": []}),
        vec!["FieldValueInvalid spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items"])]
    #[case::item_type(json!({"count": 1, "image": "x", "tags": ["a", 2]}),
        vec![r#"FieldValueTypeInvalid spec.tags[1]: Invalid value: "integer": spec.tags[1] in body must be of type string: "integer""#])]
    #[case::null_item(json!({"count": 1, "image": "x", "tags": [null]}),
        vec![r#"FieldValueTypeInvalid spec.tags[0]: Invalid value: "null": spec.tags[0] in body must be of type string: "null""#])]
    #[case::int_or_string_int(json!({"count": 1, "image": "x", "port": 8080}), vec![])]
    #[case::int_or_string_string(json!({"count": 1, "image": "x", "port": "http"}), vec![])]
    #[case::int_or_string_bool(json!({"count": 1, "image": "x", "port": true}),
        vec![r#"FieldValueTypeInvalid spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean""#])]
    #[case::map_values(json!({"count": 1, "image": "x", "labels": {"b": 1, "a": "ok", "c": false}}),
        vec![r#"FieldValueTypeInvalid spec.labels.b: Invalid value: "integer": spec.labels.b in body must be of type string: "integer""#,
             r#"FieldValueTypeInvalid spec.labels.c: Invalid value: "boolean": spec.labels.c in body must be of type string: "boolean""#])]
    #[case::nullable_null(json!({"count": 1, "image": "x", "note": null}), vec![])]
    #[case::date_time_ok(json!({"count": 1, "image": "x", "when": "2026-11-25T13:18:32Z"}), vec![])]
    #[case::date_time_bad(json!({"count": 1, "image": "x", "when": "yesterday"}),
        vec![r#"FieldValueTypeInvalid spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday""#])]
    #[case::int32_not_range_checked(json!({"count": 1, "image": "x", "size": 3_000_000_000_i64}), vec![])]
    #[case::preserved_fields_any_type(json!({"count": 1, "image": "x", "extra": {"anything": [1, "x"]}}), vec![])]
    #[case::typed_inside_preserved(json!({"count": 1, "image": "x", "extra": {"typed": {"a": 5}}}),
        vec![r#"FieldValueTypeInvalid spec.extra.typed.a: Invalid value: "integer": spec.extra.typed.a in body must be of type string: "integer""#])]
    #[case::embedded_needs_kind(json!({"count": 1, "image": "x", "template": {"apiVersion": "v1"}}),
        vec!["FieldValueRequired spec.template.kind: Required value: must not be empty"])]
    #[case::embedded_ok(json!({"count": 1, "image": "x", "template": {"apiVersion": "v1", "kind": "Pod", "spec": {}}}), vec![])]
    #[case::set_duplicates(json!({"count": 1, "image": "x", "flags": ["a", "b", "a"]}),
        vec![r#"FieldValueDuplicate spec.flags[2]: Duplicate value: "a""#])]
    #[case::map_list_duplicates(json!({"count": 1, "image": "x", "ports": [{"name": "h", "port": 1}, {"name": "h", "port": 2}]}),
        vec![r#"FieldValueDuplicate spec.ports[1]: Duplicate value: map[string]interface {}{"name":"h"}"#])]
    #[case::several_in_name_order(json!({"image": "NGINX", "count": -3, "mode": "z"}),
        vec!["FieldValueInvalid spec.count: Invalid value: -3: spec.count in body should be greater than or equal to 0",
             r#"FieldValueInvalid spec.image: Invalid value: "NGINX": spec.image in body should match '^[a-z0-9:./-]+$'"#,
             r#"FieldValueNotSupported spec.mode: Unsupported value: "z": supported values: "a", "b""#])]
    fn rich_schema_errors(#[case] spec: Value, #[case] expected: Vec<&str>) {
        assert_eq!(errors_of(&rich_schema(), sample(spec)), expected);
    }

    #[rstest]
    #[case::spec_not_object(json!("oops"),
        vec![r#"FieldValueTypeInvalid spec: Invalid value: "string": spec in body must be of type object: "string""#])]
    #[case::spec_missing(Value::Null, vec!["FieldValueRequired spec: Required value"])]
    fn root_level_errors(#[case] spec: Value, #[case] expected: Vec<&str>) {
        let mut obj = sample(spec.clone());
        if spec.is_null() {
            obj.as_object_mut().map(|m| m.remove("spec"));
        }
        assert_eq!(errors_of(&rich_schema(), obj), expected);
    }

    #[test]
    fn null_for_non_nullable_without_default_is_dropped() {
        let mut obj = sample(json!({"count": 1, "image": "x", "tags": null, "note": null}));
        validate_and_prune(&rich_schema(), &mut obj).expect("valid");
        assert!(
            obj["spec"].get("tags").is_none(),
            "non-nullable null is pruned"
        );
        assert_eq!(obj["spec"]["note"], Value::Null, "nullable null is kept");
    }

    #[test]
    fn null_for_required_non_nullable_is_required() {
        let got = errors_of(&rich_schema(), sample(json!({"count": null, "image": "x"})));
        assert_eq!(got, vec!["FieldValueRequired spec.count: Required value"]);
    }

    #[test]
    fn defaults_are_applied_including_nested_and_over_nulls() {
        let mut obj = sample(json!({"count": 1, "image": "x", "mode": null}));
        validate_and_prune(&rich_schema(), &mut obj).expect("valid");
        assert_eq!(obj["spec"]["mode"], json!("a"));
        assert_eq!(
            obj["spec"]["resources"],
            json!({"cpu": "100m", "memory": "128Mi"})
        );
        let mut obj = sample(json!({"count": 1, "image": "x", "resources": {"cpu": "2"}}));
        validate_and_prune(&rich_schema(), &mut obj).expect("valid");
        assert_eq!(
            obj["spec"]["resources"],
            json!({"cpu": "2", "memory": "128Mi"})
        );
    }

    #[test]
    fn defaults_do_not_override_given_values_and_apply_on_read() {
        let mut stored = sample(json!({"count": 1, "image": "x", "mode": "b"}));
        apply_defaults(&rich_schema(), &mut stored);
        assert_eq!(stored["spec"]["mode"], json!("b"));
        assert_eq!(stored["spec"]["resources"]["cpu"], json!("100m"));
    }

    #[test]
    fn pruning_keeps_metadata_and_preserved_subtrees() {
        let mut obj = json!({"apiVersion":"nuvolaris.org/v1","kind":"Sample",
            "metadata":{"name":"x","annotations":{"a":"b"}},
            "spec":{"count":1,"image":"x","unknown":{"deep":1},
                "extra":{"free":{"deep":[1,2]},"typed":{"a":"s","gone":1}},
                "template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","bogus":1},"spec":{"x":1}},
                "ports":[{"name":"h","port":1,"junk":true}]}});
        prune(&rich_schema(), &mut obj);
        assert_eq!(obj["metadata"], json!({"name":"x","annotations":{"a":"b"}}));
        let mut with_junk = sample(json!({"count": 1, "image": "x"}));
        with_junk["metadata"]["colour"] = json!("red");
        with_junk["metadata"]["labels"] = json!({"k": "v"});
        prune(&rich_schema(), &mut with_junk);
        assert_eq!(
            with_junk["metadata"],
            json!({"name":"bad","labels":{"k":"v"}})
        );
        assert!(obj["spec"].get("unknown").is_none());
        assert_eq!(
            obj["spec"]["extra"],
            json!({"free":{"deep":[1,2]},"typed":{"a":"s"}})
        );
        assert_eq!(obj["spec"]["template"]["metadata"], json!({"name":"p"}));
        assert_eq!(obj["spec"]["template"]["spec"], json!({"x":1}));
        assert_eq!(obj["spec"]["ports"], json!([{"name":"h","port":1}]));
    }

    #[test]
    fn schemaless_object_field_is_emptied_and_whole_preserve_root_keeps_all() {
        let schema = json!({"type":"object","properties":{"spec":{"type":"object"}}});
        let mut obj = sample(json!({"a": 1}));
        prune(&schema, &mut obj);
        assert_eq!(obj["spec"], json!({}));
        let schema = json!({"type":"object","x-kubernetes-preserve-unknown-fields":true});
        let mut obj = sample(json!({"a": 1}));
        prune(&schema, &mut obj);
        assert_eq!(obj["spec"], json!({"a": 1}));
    }

    #[rstest]
    #[case::one(vec![Cause::required("spec.count", "")], Some("spec.count: Required value"))]
    #[case::two(vec![Cause::required("a", ""), Cause::required("b", "")], Some("[a: Required value, b: Required value]"))]
    #[case::dedup(vec![Cause::required("a", ""), Cause::required("a", "")], Some("a: Required value"))]
    #[case::none(vec![], None)]
    fn aggregate_messages(#[case] causes: Vec<Cause>, #[case] expected: Option<&str>) {
        assert_eq!(aggregate_message(&causes).as_deref(), expected);
    }

    #[test]
    fn status_message_lists_several_causes_in_brackets() {
        let causes = errors_and_causes(sample(json!({"count": -1, "image": ""})));
        let st = invalid_status("nuvolaris.org", "Sample", "bad", &causes);
        assert_eq!(
            st["message"],
            json!("Sample.nuvolaris.org \"bad\" is invalid: [spec.count: Invalid value: -1: spec.count in body should be greater than or equal to 0, spec.image: Invalid value: \"\": spec.image in body should be at least 1 chars long]")
        );
        assert_eq!(st["details"]["causes"].as_array().map(Vec::len), Some(2));
        assert_eq!(st["code"], json!(422));
    }

    fn errors_and_causes(mut obj: Value) -> Vec<Cause> {
        validate_and_prune(&rich_schema(), &mut obj)
            .err()
            .unwrap_or_default()
    }

    #[test]
    fn core_group_status_has_no_group() {
        let st = invalid_status("", "ConfigMap", "x", &[Cause::required("data", "")]);
        assert_eq!(
            st["message"],
            json!("ConfigMap \"x\" is invalid: data: Required value")
        );
        assert!(st["details"].get("group").is_none());
    }

    #[rstest]
    #[case(1.5, "1.5")]
    #[case(100.0, "100")]
    #[case(123456.0, "123456")]
    #[case(1e6, "1e+06")]
    #[case(1234567.5, "1.2345675e+06")]
    #[case(0.0001, "0.0001")]
    #[case(0.00001, "1e-05")]
    #[case(-2.5, "-2.5")]
    #[case(1e30, "1e+30")]
    fn go_float_formatting(#[case] f: f64, #[case] expected: &str) {
        assert_eq!(go_float(f), expected);
    }

    #[rstest]
    #[case("plain", "\"plain\"")]
    #[case("a\"b\\c\nd\u{1}", "\"a\\\"b\\\\c\\nd\\x01\"")]
    #[case("città", "\"città\"")]
    fn go_quoting(#[case] s: &str, #[case] expected: &str) {
        assert_eq!(go_quote(s), expected);
    }

    #[rstest]
    #[case::typed(json!({"type":"object","properties":{"spec":{"type":"object","properties":{"count":{"type":"integer"}}}}}), vec![])]
    #[case::missing_field_type(json!({"type":"object","properties":{"spec":{"properties":{"count":{"type":"integer"}}}}}),
        vec!["FieldValueRequired spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields"])]
    #[case::missing_root_type(json!({"properties":{"spec":{"type":"object"}}}),
        vec!["FieldValueRequired spec.versions[0].schema.openAPIV3Schema.type: Required value: must not be empty at the root"])]
    #[case::root_not_object(json!({"type":"string"}),
        vec![r#"FieldValueInvalid spec.versions[0].schema.openAPIV3Schema.type: Invalid value: "string": must be object at the root"#])]
    #[case::array_without_items(json!({"type":"object","properties":{"l":{"type":"array"}}}),
        vec!["FieldValueRequired spec.versions[0].schema.openAPIV3Schema.properties[l].items: Required value: must be specified"])]
    #[case::item_without_type(json!({"type":"object","properties":{"l":{"type":"array","items":{}}}}),
        vec!["FieldValueRequired spec.versions[0].schema.openAPIV3Schema.properties[l].items.type: Required value: must not be empty for specified array items"])]
    #[case::preserve_needs_no_type(json!({"type":"object","properties":{"x":{"x-kubernetes-preserve-unknown-fields":true}}}), vec![])]
    #[case::int_or_string_no_type(json!({"type":"object","properties":{"x":{"x-kubernetes-int-or-string":true}}}), vec![])]
    #[case::unique_items(json!({"type":"object","properties":{"l":{"type":"array","uniqueItems":true,"items":{"type":"string"}}}}),
        vec!["FieldValueForbidden spec.versions[0].schema.openAPIV3Schema.properties[l].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic"])]
    #[case::additional_false(json!({"type":"object","properties":{"m":{"type":"object","additionalProperties":false}}}),
        vec!["FieldValueForbidden spec.versions[0].schema.openAPIV3Schema.properties[m].additionalProperties: Forbidden: additionalProperties cannot be set to false"])]
    #[case::type_in_any_of(json!({"type":"object","properties":{"x":{"type":"string","anyOf":[{"type":"string"}]}}}),
        vec!["FieldValueForbidden spec.versions[0].schema.openAPIV3Schema.properties[x].anyOf[0].type: Forbidden: must be empty to be structural"])]
    #[case::metadata_restricted(json!({"type":"object","properties":{"metadata":{"type":"object","properties":{"labels":{"type":"object"}}}}}),
        vec!["FieldValueForbidden spec.versions[0].schema.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified"])]
    #[case::metadata_name_ok(json!({"type":"object","properties":{"metadata":{"type":"object","properties":{"name":{"type":"string","maxLength":10}}}}}), vec![])]
    #[case::bad_default(json!({"type":"object","properties":{"n":{"type":"integer","default":"x"}}}),
        vec![r#"FieldValueTypeInvalid spec.versions[0].schema.openAPIV3Schema.properties[n].default: Invalid value: "string":  in body must be of type integer: "string""#])]
    #[case::sorted(json!({"type":"object","properties":{"b":{},"a":{}}}),
        vec!["FieldValueRequired spec.versions[0].schema.openAPIV3Schema.properties[a].type: Required value: must not be empty for specified object fields",
             "FieldValueRequired spec.versions[0].schema.openAPIV3Schema.properties[b].type: Required value: must not be empty for specified object fields"])]
    fn structural_checks(#[case] schema: Value, #[case] expected: Vec<&str>) {
        let got: Vec<String> = match check_structural(&schema) {
            Ok(()) => vec![],
            Err(c) => c
                .iter()
                .map(|c| format!("{} {}", c.reason, c.error_string()))
                .collect(),
        };
        assert_eq!(got, expected);
    }

    #[test]
    fn validate_crd_checks_every_version_and_requires_a_schema() {
        let crd = json!({"spec":{"versions":[
            {"name":"v1","schema":{"openAPIV3Schema":{"type":"object"}}},
            {"name":"v2"}]}});
        let causes = validate_crd(&crd).expect_err("v2 has no schema");
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "spec.versions[1].schema.openAPIV3Schema");
        assert_eq!(causes[0].message, "Required value: schemas are required");
        let traced = std::fs::read_to_string(format!("{}/crd-typed.json", traces()))
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok());
        if let Some(crd) = traced {
            assert_eq!(validate_crd(&crd), Ok(()));
        }
    }

    #[test]
    fn any_of_reports_the_composite_and_the_closest_branch() {
        let schema = json!({"type":"object","properties":{"spec":{"type":"object",
            "properties":{"a":{"type":"string"},"b":{"type":"string"}},
            "anyOf":[{"required":["a"]},{"required":["b"]}]}}});
        let got = errors_of(&schema, sample(json!({})));
        assert_eq!(
            got,
            vec![
                r#"FieldValueInvalid <nil>: Invalid value: "": "spec" must validate at least one schema (anyOf)"#,
                "FieldValueRequired spec.a: Required value"
            ]
        );
        assert!(errors_of(&schema, sample(json!({"b": "x"}))).is_empty());
    }

    #[test]
    fn hostile_inputs_never_panic() {
        let schema = rich_schema();
        let deep = (0..200).fold(json!(1), |acc, _| json!({"a": acc}));
        for spec in [
            json!(null),
            json!([]),
            json!(1),
            json!({"count": i64::MIN, "image": "x"}),
            json!({"count": u64::MAX, "image": "x"}),
            json!({"count": 1, "image": "x".repeat(100_000)}),
            json!({"count": 1, "image": "x", "extra": deep}),
            json!({"count": 1, "image": "x", "step": -7}),
        ] {
            let mut obj = sample(spec);
            let _ = validate_and_prune(&schema, &mut obj);
        }
        let weird = json!({"type":"object","properties":{"s":{"type":"integer","multipleOf":0,"pattern":"(","enum":[]}}});
        let mut obj = json!({"s": 3});
        assert_eq!(validate_and_prune(&weird, &mut obj), Ok(()));
        let _ = check_structural(&json!("not a schema"));
        let _ = validate_crd(&json!({"spec":{"versions":"nope"}}));
    }

    /// The project's generated CRDs (`crds/*.yaml`), as JSON.
    fn project_crd(file: &str) -> Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../crds/").to_string() + file;
        let text = std::fs::read_to_string(&path).expect("project CRD file");
        serde_saphyr::from_str::<Value>(&text).expect("CRD YAML parses")
    }

    fn sample_schema() -> Value {
        project_crd("samples.nuvolaris.org.yaml")["spec"]["versions"][0]["schema"]
            ["openAPIV3Schema"]
            .clone()
    }

    #[rstest]
    #[case("samples.nuvolaris.org.yaml")]
    #[case("whisks.nuvolaris.org.yaml")]
    fn project_crds_are_structural(#[case] file: &str) {
        assert_eq!(validate_crd(&project_crd(file)), Ok(()));
    }

    #[rstest]
    #[case::example(json!({"count": 2}), vec![])]
    #[case::zero(json!({"count": 0}), vec![])]
    #[case::max(json!({"count": 1000}), vec![])]
    #[case::negative(json!({"count": -1}),
        vec!["FieldValueInvalid spec.count: Invalid value: -1: spec.count in body should be greater than or equal to 0"])]
    #[case::huge(json!({"count": 1_000_000}),
        vec!["FieldValueInvalid spec.count: Invalid value: 1000000: spec.count in body should be less than or equal to 1000"])]
    #[case::string(json!({"count": "two"}),
        vec![r#"FieldValueTypeInvalid spec.count: Invalid value: "string": spec.count in body must be of type integer: "string""#])]
    #[case::missing(json!({}), vec!["FieldValueRequired spec.count: Required value"])]
    #[case::image_type(json!({"count": 1, "image": 5}),
        vec![r#"FieldValueTypeInvalid spec.image: Invalid value: "integer": spec.image in body must be of type string: "integer""#])]
    fn sample_crd_validation(#[case] spec: Value, #[case] expected: Vec<&str>) {
        let mut obj = json!({"apiVersion":"nuvolaris.org/v1","kind":"Sample","metadata":{"name":"obj","namespace":"demo"},"spec":spec});
        let got: Vec<String> = match validate_and_prune(&sample_schema(), &mut obj) {
            Ok(()) => vec![],
            Err(c) => c
                .iter()
                .map(|c| format!("{} {}", c.reason, c.error_string()))
                .collect(),
        };
        assert_eq!(got, expected);
    }

    #[test]
    fn sample_crd_defaults_image_and_prunes_unknown() {
        let mut obj = json!({"apiVersion":"nuvolaris.org/v1","kind":"Sample","metadata":{"name":"obj"},
            "spec":{"count":2,"colour":"red"}});
        validate_and_prune(&sample_schema(), &mut obj).expect("valid");
        assert_eq!(obj["spec"], json!({"count": 2, "image": "nginx"}));
    }

    #[test]
    fn integral_floats_are_stored_as_integers() {
        let mut obj =
            sample(json!({"count": 2.0, "image": "x", "ratio": 1.25, "labels": {"a": "1.0"}}));
        validate_and_prune(&rich_schema(), &mut obj).expect("valid");
        assert_eq!(
            serde_json::to_string(&obj["spec"]["count"]).ok().as_deref(),
            Some("2")
        );
        assert_eq!(obj["spec"]["ratio"], json!(1.25));
        assert_eq!(obj["spec"]["labels"]["a"], json!("1.0"));
        let mut big = json!([1e300, -0.0, 0.5]);
        normalize_numbers(&mut big);
        assert_eq!(
            serde_json::to_string(&big).ok().as_deref(),
            Some("[1e+300,0,0.5]")
        );
    }

    #[test]
    fn pruned_fields_are_reported_for_warnings_and_strict_validation() {
        let mut obj = json!({"apiVersion":"nuvolaris.org/v1","kind":"Sample",
            "metadata":{"name":"x","bogus":1},
            "spec":{"count":1,"image":"x","colour":"red",
                "ports":[{"name":"h","junk":true}],
                "extra":{"typed":{"a":"s","gone":1},"free":2},
                "template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","odd":1}}},
            "top":1});
        let unknown = prune_with_report(&rich_schema(), &mut obj);
        assert_eq!(
            unknown,
            vec![
                "metadata.bogus",
                "spec.colour",
                "spec.extra.typed.gone",
                "spec.ports[0].junk",
                "spec.template.metadata.odd",
                "top"
            ]
        );
        assert_eq!(
            unknown_field_warning("spec.colour"),
            r#"299 - "unknown field \"spec.colour\"""#
        );
        assert_eq!(
            strict_decoding_message("Sample", "v1", &unknown[1..3]),
            r#"Sample in version "v1" cannot be handled as a Sample: strict decoding error: unknown field "spec.colour", unknown field "spec.extra.typed.gone""#
        );
        let mut again = obj.clone();
        assert!(
            prune_with_report(&rich_schema(), &mut again).is_empty(),
            "pruning is idempotent"
        );
        assert_eq!(again, obj);
    }

    #[rstest]
    // the stored object was valid under an older schema: updating something else is fine
    #[case::unchanged_invalid_field_ratchets(
        json!({"count": 5000, "image": "x"}), json!({"count": 5000, "image": "y"}), vec![])]
    #[case::changed_invalid_field_is_reported(
        json!({"count": 5000, "image": "x"}), json!({"count": 6000, "image": "x"}),
        vec!["FieldValueInvalid spec.count: Invalid value: 6000: spec.count in body should be less than or equal to 1000"])]
    #[case::new_invalid_field_is_reported(
        json!({"count": 1, "image": "x"}), json!({"count": 1, "image": "x", "mode": "zzz"}),
        vec![r#"FieldValueNotSupported spec.mode: Unsupported value: "zzz": supported values: "a", "b""#])]
    #[case::map_list_items_correlate_by_key(
        json!({"count": 1, "image": "x", "ports": [{"name": "a", "port": "bad"}]}),
        json!({"count": 1, "image": "x", "ports": [{"name": "b", "port": 1}, {"name": "a", "port": "bad"}]}),
        vec![])]
    #[case::atomic_list_items_do_not_correlate(
        json!({"count": 1, "image": "x", "tags": ["a", 1]}),
        json!({"count": 1, "image": "x", "tags": ["b", 1]}),
        vec![r#"FieldValueTypeInvalid spec.tags[1]: Invalid value: "integer": spec.tags[1] in body must be of type string: "integer""#])]
    fn ratcheting_on_update(
        #[case] old_spec: Value,
        #[case] new_spec: Value,
        #[case] expected: Vec<&str>,
    ) {
        let old = sample(old_spec);
        let mut obj = sample(new_spec);
        let got: Vec<String> = match validate_and_prune_update(&rich_schema(), &mut obj, &old) {
            Ok(()) => vec![],
            Err(c) => c
                .iter()
                .map(|c| format!("{} {}", c.reason, c.error_string()))
                .collect(),
        };
        assert_eq!(got, expected);
    }

    #[test]
    fn object_meta_pruning_keeps_only_object_meta_fields() {
        let mut meta = json!({"name": "n", "labels": {"a": "b"}, "finalizers": ["f"], "colour": 1});
        prune_object_meta(&mut meta);
        assert_eq!(
            meta,
            json!({"name": "n", "labels": {"a": "b"}, "finalizers": ["f"]})
        );
    }
}
