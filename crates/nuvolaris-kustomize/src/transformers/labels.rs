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

use crate::fieldspec::{walk, FieldSpec};
use crate::resource::ResMap;
use crate::Error;
use indexmap::IndexMap;
use serde_json::{Map, Value};

/// Adds every pair to the maps at `specs` in every resource (creating them where allowed).
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
        for fs in specs {
            if !fs.applies_to(&gvk) {
                continue;
            }
            walk(&mut r.obj, &fs.segs, fs.create, &mut |map, key| {
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
                    for (k, v) in pairs {
                        o.insert(k.clone(), Value::String(v.clone()));
                    }
                }
                Ok(())
            })?;
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
