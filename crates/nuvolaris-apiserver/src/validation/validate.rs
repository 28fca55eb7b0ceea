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

//! Validation: kube-openapi's SchemaValidator and `kubeOpenAPIResultToFieldErrors`, with update ratcheting.

use super::cause::Cause;
use super::defaults::apply_defaults;
use super::formats::{check_format, pattern_matches};
use super::go::{go_float, go_quote, json_marshal};
use super::prune::prune;
use super::schema::{
    additional, embedded, field_schema, items, nullable, properties, sbool, sf64, sget, si64, sstr,
    types_of,
};
use regex::Regex;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

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

/// [`validate_and_prune`](super::validate_and_prune) for an update: `old` is the stored object (see [`validate_update`]).
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
pub(super) fn correlated_item<'a>(
    s: &Value,
    old: Option<&'a Value>,
    v: &Value,
) -> Option<&'a Value> {
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
pub(super) fn field_of(name: &str) -> &str {
    name.strip_prefix('.').unwrap_or(name)
}

pub(super) fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The JSON type kube-openapi infers for data, and the Go-side format (`int64` / `float64`).
pub(super) fn data_type(v: &Value) -> (&'static str, &'static str) {
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
pub(super) enum Num {
    Int(i64),
    Float(f64),
}

pub(super) fn num_of(v: &Value) -> Option<Num> {
    let n = v.as_number()?;
    if let Some(i) = n.as_i64() {
        Some(Num::Int(i))
    } else {
        n.as_f64().map(Num::Float)
    }
}

/// `swag.IsFloat64AJSONInteger`.
pub(super) fn is_json_integer(f: f64) -> bool {
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

pub(super) fn validate_node(
    s: &Value,
    path: &str,
    data: &Value,
    old: Option<&Value>,
    out: &mut Vec<Cause>,
) {
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

pub(super) fn type_check(
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

pub(super) fn validate_string(s: &Value, path: &str, text: &str, out: &mut Vec<Cause>) {
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

pub(super) fn validate_number(s: &Value, path: &str, data: &Value, n: &Num, out: &mut Vec<Cause>) {
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
pub(super) fn validate_enum(s: &Value, path: &str, data: &Value, out: &mut Vec<Cause>) {
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

pub(super) fn validate_object(
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
pub(super) fn validate_schema_props(
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

pub(super) fn has_duplicates(a: &[Value]) -> bool {
    a.iter().enumerate().any(|(i, v)| a[..i].contains(v))
}

/// `x-kubernetes-embedded-resource` objects below the root need `apiVersion` and `kind`.
pub(super) fn validate_embedded(
    s: &Value,
    path: &str,
    data: &Value,
    root: bool,
    out: &mut Vec<Cause>,
) {
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

pub(super) fn parse_group_version_error(gv: &str) -> Option<String> {
    if gv == "/" {
        return None;
    }
    match gv.matches('/').count() {
        0 | 1 => None,
        _ => Some(format!("unexpected GroupVersion string: {gv}")),
    }
}

pub(super) fn dns1035_label_error(v: &str) -> Option<String> {
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
pub(super) fn validate_list_types(s: &Value, path: &str, data: &Value, out: &mut Vec<Cause>) {
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
