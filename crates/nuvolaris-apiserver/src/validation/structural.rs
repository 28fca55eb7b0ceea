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

//! Structural schema checks of CustomResourceDefinitions.

use super::cause::Cause;
use super::prune::prune_node;
use super::schema::{
    default_of, embedded, field_schema, items, preserves_unknown, properties, property, sbool,
    sget, sstr,
};
use super::validate::validate_node;
use regex::Regex;
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
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

pub(super) fn prop_path(path: &str, k: &str) -> String {
    format!("{path}.properties[{k}]")
}

pub(super) fn sub_schemas(s: &Value) -> Vec<(String, &Value)> {
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
pub(super) fn check_schema_api(s: &Value, path: &str, out: &mut Vec<Cause>) {
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

pub(super) fn invariants(s: &Value, lvl: Level, path: &str, out: &mut Vec<Cause>) {
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

pub(super) fn metadata_invariants(meta: &Value, path: &str, out: &mut Vec<Cause>) {
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
pub(super) fn value_validation(s: &Value, path: &str, out: &mut Vec<Cause>) {
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
pub(super) fn completeness(s: &Value, path: &str, out: &mut Vec<Cause>) {
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

pub(super) fn complete_against(
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
