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

//! `patches:`, `patchesStrategicMerge:` and `patchesJson6902:` (kustomize PatchTransformer,
//! PatchStrategicMergeTransformer, PatchJson6902Transformer).

use crate::error::Error;
use crate::resource::{ResMap, Resource};
use crate::selector::Selector;
use serde_json::Value;

/// A parsed patch: strategic-merge documents or a JSON 6902 operation list.
#[derive(Debug, Clone)]
pub enum Patch {
    /// Strategic merge patch documents.
    Sm(Vec<Value>),
    /// RFC 6902 operations.
    Json(json_patch::Patch),
}

/// Options of a `patches:` entry.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// The patch may rename the target.
    pub allow_name_change: bool,
    /// The patch may change the target's kind.
    pub allow_kind_change: bool,
}

/// Classifies patch documents as kustomize does: a sequence is JSON 6902, mappings are SMP.
pub fn classify(docs: &[Value], text: &str) -> Result<Patch, Error> {
    match docs {
        [] => Err(Error::build(format!(
            "unable to parse SM or JSON patch from {text}"
        ))),
        [Value::Array(items)] => {
            // kustomize reads JSON 6902 patches as YAML 1.1: an unquoted `value: yes` is a boolean
            let mut items = items.clone();
            for op in items.iter_mut() {
                if let Some(Value::String(v)) = op.get("value") {
                    let unquoted = text.lines().any(|l| {
                        let l = l.trim().trim_start_matches("- ").trim();
                        l.strip_prefix("value:")
                            .is_some_and(|rest| rest.split(" #").next().unwrap_or("").trim() == v)
                    });
                    if unquoted {
                        if let Some(b) =
                            crate::kustomization::yaml11_bool(&Value::String(v.clone()))
                        {
                            op["value"] = Value::Bool(b);
                        }
                    }
                }
            }
            let ops: json_patch::Patch =
                serde_json::from_value(Value::Array(items)).map_err(|e| {
                    Error::build(format!("unable to parse SM or JSON patch from {text}: {e}"))
                })?;
            Ok(Patch::Json(ops))
        }
        _ if docs.iter().all(Value::is_object) => Ok(Patch::Sm(docs.to_vec())),
        _ => Err(Error::build(format!(
            "unable to parse SM or JSON patch from {text}"
        ))),
    }
}

/// Applies a JSON 6902 patch to one resource.
pub fn apply_json(r: &mut Resource, ops: &json_patch::Patch) -> Result<(), Error> {
    r.store_previous_id();
    let mut doc = r.obj.clone();
    // kustomize keeps internal annotations on every resource during a build, so the
    // annotations map always exists when a JSON patch runs
    let added_annotations = match doc.get_mut("metadata") {
        Some(Value::Object(md)) if !md.contains_key("annotations") => {
            md.insert("annotations".into(), Value::Object(Default::default()));
            true
        }
        _ => false,
    };
    json_patch::patch(&mut doc, &ops.0).map_err(|e| {
        Error::build(format!(
            "failed to apply json patch '{}': {e}",
            patch_text(ops)
        ))
    })?;
    floatify_big_ints(&mut doc);
    r.links.clear();
    if added_annotations {
        if let Some(Value::Object(md)) = doc.get_mut("metadata") {
            if md
                .get("annotations")
                .is_some_and(|a| a.as_object().is_some_and(|o| o.is_empty()))
            {
                md.remove("annotations");
            }
        }
    }
    r.obj = doc;
    Ok(())
}

/// Kustomize round-trips JSON-patched documents through Go's `float64`: integers beyond 2^53
/// come back as floats.
fn floatify_big_ints(v: &mut Value) {
    match v {
        Value::Number(n) => {
            let big = n
                .as_i64()
                .map(|i| i.unsigned_abs() > (1u64 << 53))
                .or_else(|| n.as_u64().map(|u| u > (1u64 << 53)));
            if big == Some(true) {
                if let Some(f) = n.as_f64().and_then(serde_json::Number::from_f64) {
                    *n = f;
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(floatify_big_ints),
        Value::Object(o) => o.values_mut().for_each(floatify_big_ints),
        _ => {}
    }
}

fn patch_text(ops: &json_patch::Patch) -> String {
    serde_json::to_string(ops).unwrap_or_default()
}

/// Applies a strategic-merge patch document to one resource; `false` means the patch deleted it.
pub fn apply_sm(r: &mut Resource, patch: &Value, opts: Options) -> Result<bool, Error> {
    let (name, ns, kind) = (
        r.name().to_string(),
        r.namespace().to_string(),
        r.kind().to_string(),
    );
    if opts.allow_name_change || opts.allow_kind_change {
        r.store_previous_id();
    }
    let mut p = patch.clone();
    if let Value::Object(o) = &mut p {
        if !r.api_version().is_empty() {
            o.insert(
                "apiVersion".into(),
                Value::String(r.api_version().to_string()),
            );
        }
        if !o.contains_key("kind") {
            o.insert("kind".into(), Value::String(kind.clone()));
        }
    }
    let before = r.link_snapshot();
    let merged = nuvolaris_merge::strategic_merge(&r.obj, &p)?;
    r.obj = merged;
    // a `$patch: replace` swaps whole maps in kustomize, so nothing is shared any more there
    if !has_replace_directive(&p) {
        r.propagate_links(&before);
    }
    if r.is_empty() {
        return Ok(false);
    }
    if !opts.allow_kind_change {
        if let Value::Object(o) = &mut r.obj {
            o.insert("kind".into(), Value::String(kind));
        }
    }
    if !opts.allow_name_change {
        r.set_name(&name);
    }
    r.set_namespace(&ns);
    Ok(true)
}

fn has_replace_directive(v: &Value) -> bool {
    match v {
        Value::Object(o) => {
            o.get("$patch").and_then(Value::as_str) == Some("replace")
                || o.values().any(has_replace_directive)
        }
        Value::Array(a) => a.iter().any(has_replace_directive),
        _ => false,
    }
}

/// Applies one patch: with a target to all selected resources, without to the resource each
/// SMP document names (JSON 6902 requires a target).
pub fn apply(
    m: &mut ResMap,
    patch: &Patch,
    target: Option<&Selector>,
    opts: Options,
    text: &str,
) -> Result<(), Error> {
    match patch {
        Patch::Json(ops) => {
            let Some(sel) = target else {
                return Err(Error::build(format!(
                    "must specify a target for JSON patch {text}"
                )));
            };
            for i in m.select(sel)? {
                apply_json(&mut m.items[i], ops)?;
            }
            Ok(())
        }
        Patch::Sm(docs) => {
            for doc in docs {
                let idxs = match target {
                    Some(sel) => m.select(sel)?,
                    None => {
                        let id = crate::resid::ResId::of(doc);
                        vec![m.get_by_id(&id).map_err(|_| {
                            Error::build(format!("no resource matches strategic merge patch \"{id}\": no matches for Id {id}; failed to find unique target for patch {id}"))
                        })?]
                    }
                };
                let mut deleted = Vec::new();
                for i in idxs {
                    if !apply_sm(&mut m.items[i], doc, opts)? {
                        deleted.push(i);
                    }
                }
                for i in deleted.into_iter().rev() {
                    m.items.remove(i);
                }
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn one(doc: Value) -> ResMap {
        let mut m = ResMap::new();
        m.append(Resource::new(doc)).unwrap();
        m
    }

    #[rstest]
    #[case(json!([{"op":"add","path":"/a","value":1}]), true)]
    #[case(json!({"kind":"X"}), false)]
    fn classifies(#[case] doc: Value, #[case] is_json: bool) {
        let p = classify(&[doc], "t").unwrap();
        assert_eq!(matches!(p, Patch::Json(_)), is_json);
    }

    // `kubectl kustomize` v5.8.1 prints `true` for an unquoted `value: y` and keeps `"y"` quoted.
    #[rstest]
    #[case("- op: add\n  path: /a\n  value: y\n", json!(true))]
    #[case("- op: add\n  path: /a\n  value: \"y\"\n", json!("y"))]
    #[case("- op: add\n  path: /a\n  value: off\n", json!(false))]
    fn json_patch_values_are_yaml11(#[case] text: &str, #[case] want: Value) {
        let docs = crate::yaml::parse_documents(text, "p").unwrap();
        let Patch::Json(p) = classify(&docs, text).unwrap() else {
            panic!("not json")
        };
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v[0]["value"], want);
    }

    #[test]
    fn json_patch_needs_target_and_test_can_fail() {
        let mut m = one(
            json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1"}}),
        );
        let p = classify(&[json!([{"op":"test","path":"/data/a","value":"2"}])], "t").unwrap();
        assert!(apply(&mut m, &p, None, Options::default(), "t").is_err());
        let sel = Selector {
            kind: "ConfigMap".into(),
            ..Default::default()
        };
        assert!(apply(&mut m, &p, Some(&sel), Options::default(), "t").is_err());
        let ok = classify(
            &[json!([{"op":"replace","path":"/data/a","value":"3"}])],
            "t",
        )
        .unwrap();
        apply(&mut m, &ok, Some(&sel), Options::default(), "t").unwrap();
        assert_eq!(m.items[0].obj["data"]["a"], "3");
    }

    // `kubectl kustomize` v5.8.1 accepts adding one annotation to a resource without any.
    #[test]
    fn json_patch_can_add_an_annotation_key_when_none_exist() {
        let mut m = one(json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}));
        let sel = Selector {
            kind: "ConfigMap".into(),
            ..Default::default()
        };
        let p = classify(
            &[json!([{"op":"add","path":"/metadata/annotations/a","value":"x"}])],
            "t",
        )
        .unwrap();
        apply(&mut m, &p, Some(&sel), Options::default(), "t").unwrap();
        assert_eq!(
            m.items[0].obj["metadata"],
            json!({"name":"c","annotations":{"a":"x"}})
        );
        let noop = classify(&[json!([{"op":"add","path":"/data","value":{}}])], "t").unwrap();
        apply(&mut m, &noop, Some(&sel), Options::default(), "t").unwrap();
        assert_eq!(
            m.items[0].obj["metadata"],
            json!({"name":"c","annotations":{"a":"x"}})
        );
    }

    #[test]
    fn sm_patch_keeps_name_unless_allowed() {
        let mut m = one(
            json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1"}}),
        );
        let sel = Selector {
            kind: "ConfigMap".into(),
            ..Default::default()
        };
        let p = Patch::Sm(vec![
            json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"other"},"data":{"b":"2"}}),
        ]);
        apply(&mut m, &p, Some(&sel), Options::default(), "t").unwrap();
        assert_eq!(m.items[0].name(), "c");
        assert_eq!(m.items[0].obj["data"], json!({"a":"1","b":"2"}));
        apply(
            &mut m,
            &p,
            Some(&sel),
            Options {
                allow_name_change: true,
                ..Default::default()
            },
            "t",
        )
        .unwrap();
        assert_eq!(m.items[0].name(), "other");
    }

    #[test]
    fn sm_patch_delete_removes_resource() {
        let mut m = one(json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}));
        let p = Patch::Sm(vec![
            json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"$patch":"delete"}),
        ]);
        apply(&mut m, &p, None, Options::default(), "t").unwrap();
        assert!(m.items.is_empty());
    }
}
