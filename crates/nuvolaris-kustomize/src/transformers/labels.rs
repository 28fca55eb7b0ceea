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

//! `commonLabels:`, `labels:` and `commonAnnotations:` (kustomize LabelTransformer and
//! AnnotationsTransformer).

use crate::error::Error;
use crate::fieldspec::{pointer_escape, walk_with_path, FieldSpec};
use crate::resource::ResMap;
use indexmap::IndexMap;
use serde_json::{Map, Value};

/// Adds every pair to the maps at `specs` in every resource (creating them where allowed).
///
/// A key that kustomize would add untagged and that reads back as something other than a
/// string (`"true"`, `"1"`, `"null"`) fails the build, as it does `kubectl kustomize`; setting
/// the value of a key the map already has is fine.
///
/// As in kustomize, the entries created for one key in one resource share a value: a later
/// update of one of them (an overlay's labels) changes them all (see [`crate::resource::Resource::links`]).
pub fn apply(
    m: &mut ResMap,
    pairs: &IndexMap<String, String>,
    specs: &[FieldSpec],
) -> Result<(), Error> {
    if pairs.is_empty() {
        return Ok(());
    }
    for r in m.items.iter_mut() {
        if r.is_empty() {
            continue;
        }
        let gvk = r.gvk();
        for (k, v) in pairs {
            // kustomize sets an empty key on the map node itself, which then fails
            let empty_key_of = k.is_empty().then(|| r.cur_id().to_string());
            let mut created: Vec<String> = Vec::new();
            let mut updated: Vec<String> = Vec::new();
            for fs in specs {
                if !fs.applies_to(&gvk) {
                    continue;
                }
                let mut path = String::new();
                walk_with_path(
                    &mut r.obj,
                    &fs.segs,
                    fs.create,
                    &mut path,
                    &mut |map, key, at| {
                        let target = match map.get_mut(key) {
                            Some(v @ Value::Object(_)) => v,
                            Some(v @ Value::Null) if fs.create => {
                                *v = Value::Object(Map::new());
                                v
                            }
                            None if fs.create => map
                                .entry(key.to_string())
                                .or_insert_with(|| Value::Object(Map::new())),
                            _ => return Ok(()),
                        };
                        if let Value::Object(o) = target {
                            if let Some(id) = &empty_key_of {
                                return Err(Error::build(format!(
                                    "considering field '{}' of object {id}: wrong node kind: expected ScalarNode but got MappingNode",
                                    fs.path
                                )));
                            }
                            let ptr = format!("{at}/{}/{}", pointer_escape(key), pointer_escape(k));
                            if o.contains_key(k.as_str()) {
                                updated.push(ptr);
                            } else {
                                if let Some(why) = crate::yaml::untagged_key_error(k) {
                                    return Err(Error::build(format!(
                                        "key {k:?} added at {ptr} does not read back as a string: {why}"
                                    )));
                                }
                                created.push(ptr);
                            }
                            o.insert(k.clone(), Value::String(v.clone()));
                        }
                        Ok(())
                    },
                )?;
            }
            for ptr in &updated {
                let shared: Vec<String> = r
                    .links
                    .iter()
                    .filter(|g| g.contains(ptr))
                    .flat_map(|g| g.iter().cloned())
                    .collect();
                for other in shared {
                    if let Some(Value::String(s)) = r.obj.pointer_mut(&other) {
                        *s = v.clone();
                    }
                }
            }
            if created.len() > 1 {
                r.links.retain(|g| !g.iter().any(|p| created.contains(p)));
                r.links.push(created);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fieldspec::TransformerConfig;
    use crate::resource::Resource;
    use rstest::rstest;
    use serde_json::json;

    fn run(doc: Value, specs: &[FieldSpec]) -> Value {
        let mut m = ResMap::new();
        m.append(Resource::new(doc)).unwrap();
        let pairs: IndexMap<String, String> =
            [("zz".to_string(), "b".to_string())].into_iter().collect();
        apply(&mut m, &pairs, specs).unwrap();
        m.items.remove(0).obj
    }

    // Expectations from `kubectl kustomize` v5.8.1 with `commonLabels: {zz: b}`.
    #[rstest]
    #[case(
        json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"template":{"spec":{}}}}),
        json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"zz":"b"}},"spec":{"template":{"spec":{},"metadata":{"labels":{"zz":"b"}}},"selector":{"matchLabels":{"zz":"b"}}}})
    )]
    #[case(
        json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}),
        json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"s","labels":{"zz":"b"}},"spec":{"selector":{"zz":"b"}}})
    )]
    #[case(
        json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}),
        json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","labels":{"zz":"b"}}})
    )]
    fn common_labels(#[case] input: Value, #[case] want: Value) {
        assert_eq!(
            run(input, &TransformerConfig::default_config().common_labels),
            want
        );
    }

    // Base `commonLabels: {env: prod}`, overlay `labels: [{pairs: {env: b}, includeTemplates: true}]`:
    // `kubectl kustomize` v5.8.1 prints env: b in the selector too (the created entries share a node).
    #[rstest]
    #[case(true, "b")]
    #[case(false, "prod")]
    fn later_updates_follow_shared_entries(#[case] templates: bool, #[case] selector: &str) {
        let cfg = TransformerConfig::default_config();
        let mut m = ResMap::new();
        m.append(Resource::new(json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"env":"orig"}},"spec":{"template":{"spec":{}}}})))
            .unwrap();
        let prod: IndexMap<String, String> = [("env".to_string(), "prod".to_string())]
            .into_iter()
            .collect();
        apply(&mut m, &prod, &cfg.common_labels).unwrap();
        let b: IndexMap<String, String> =
            [("env".to_string(), "b".to_string())].into_iter().collect();
        let mut specs = vec![FieldSpec::new("", "", "", "metadata/labels", true)];
        if templates {
            specs.extend(cfg.template_labels.iter().cloned());
        }
        apply(&mut m, &b, &specs).unwrap();
        let o = &m.items[0].obj;
        assert_eq!(o["metadata"]["labels"]["env"], "b");
        assert_eq!(o["spec"]["selector"]["matchLabels"]["env"], selector);
        assert_eq!(o["spec"]["template"]["metadata"]["labels"]["env"], selector);
    }

    #[test]
    fn annotations_only_on_metadata_and_templates() {
        let out = run(
            json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"}}),
            &TransformerConfig::default_config().common_annotations,
        );
        assert_eq!(out["metadata"]["annotations"]["zz"], "b");
        assert_eq!(
            out["spec"]["template"]["metadata"]["annotations"]["zz"],
            "b"
        );
        assert!(out["spec"].get("selector").is_none());
    }
}
