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

//! Accessors of schema nodes (`properties`, `items`, `nullable`, ...).

use serde_json::{json, Map, Value};
use std::sync::OnceLock;

pub(super) fn sget<'a>(s: &'a Value, key: &str) -> Option<&'a Value> {
    s.as_object().and_then(|m| m.get(key))
}

pub(super) fn sbool(s: &Value, key: &str) -> bool {
    sget(s, key).and_then(Value::as_bool).unwrap_or(false)
}

pub(super) fn sstr<'a>(s: &'a Value, key: &str) -> &'a str {
    sget(s, key).and_then(Value::as_str).unwrap_or("")
}

pub(super) fn sf64(s: &Value, key: &str) -> Option<f64> {
    sget(s, key).and_then(Value::as_f64)
}

pub(super) fn si64(s: &Value, key: &str) -> Option<i64> {
    sget(s, key).and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
}

pub(super) fn properties(s: &Value) -> Option<&Map<String, Value>> {
    sget(s, "properties").and_then(Value::as_object)
}

pub(super) fn property<'a>(s: &'a Value, k: &str) -> Option<&'a Value> {
    properties(s).and_then(|p| p.get(k))
}

/// The structural `additionalProperties` schema: a schema object, or `true` (anything goes,
/// treated as a schema preserving unknown fields).
pub(super) fn additional(s: &Value) -> Option<&Value> {
    static PRESERVE: OnceLock<Value> = OnceLock::new();
    match sget(s, "additionalProperties") {
        Some(v @ Value::Object(_)) => Some(v),
        Some(Value::Bool(true)) => {
            Some(PRESERVE.get_or_init(|| json!({"x-kubernetes-preserve-unknown-fields": true})))
        }
        _ => None,
    }
}

pub(super) fn items(s: &Value) -> Option<&Value> {
    match sget(s, "items") {
        Some(v @ Value::Object(_)) => Some(v),
        _ => None,
    }
}

pub(super) fn preserves_unknown(s: &Value) -> bool {
    sbool(s, "x-kubernetes-preserve-unknown-fields")
}

pub(super) fn embedded(s: &Value) -> bool {
    sbool(s, "x-kubernetes-embedded-resource")
}

pub(super) fn nullable(s: &Value) -> bool {
    sbool(s, "nullable")
}

pub(super) fn default_of(s: &Value) -> Option<&Value> {
    // A `default: null` is no default (the server stores it as absent).
    sget(s, "default").filter(|d| !d.is_null())
}

/// The schema of field `k` of an object of schema `s` (property, else additionalProperties).
pub(super) fn field_schema<'a>(s: &'a Value, k: &str) -> Option<&'a Value> {
    property(s, k).or_else(|| additional(s))
}

/// The JSON schema types of `s` as kube-openapi sees them (`x-kubernetes-int-or-string` means
/// `integer,string`).
pub(super) fn types_of(s: &Value) -> Vec<&str> {
    if sbool(s, "x-kubernetes-int-or-string") {
        return vec!["integer", "string"];
    }
    match sget(s, "type") {
        Some(Value::String(t)) if !t.is_empty() => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}
