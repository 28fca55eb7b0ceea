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

//! Unit tests of the structural-schema handling, many against the recorded kube-apiserver answers.

use super::*;
use super::{cause::*, defaults::*, go::*, prune::*, structural::*, validate::*};
use rstest::rstest;
use serde_json::{json, Value};

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
    project_crd("samples.nuvolaris.org.yaml")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
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
