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

//! `namespace:` — sets the namespace of namespaced resources (kustomize NamespaceTransformer).

use crate::error::Error;
use crate::fieldspec::{walk, FieldSpec};
use crate::resource::ResMap;
use serde_json::Value;

/// Moves every namespaced resource into `ns`, renames `Namespace` objects, and points
/// RoleBinding subjects named `default` at it.
pub fn apply(m: &mut ResMap, ns: &str, specs: &[FieldSpec]) -> Result<(), Error> {
    for i in 0..m.items.len() {
        let r = &mut m.items[i];
        if r.is_empty() {
            continue;
        }
        r.store_previous_id();
        let gvk = r.gvk();
        if !gvk.is_cluster_scoped() {
            r.set_namespace(ns);
        }
        let is_binding = gvk.kind == "RoleBinding" || gvk.kind == "ClusterRoleBinding";
        for fs in specs {
            if fs.path == "metadata/namespace" || !fs.applies_to(&gvk) {
                continue;
            }
            if fs.path == "metadata/name" && gvk.kind == "Namespace" && r.api_version() != "v1" {
                continue;
            }
            if is_binding && fs.path.starts_with("subjects") {
                continue;
            }
            walk(&mut r.obj, &fs.segs, fs.create, &mut |map, key| {
                match map.get(key) {
                    Some(Value::String(_)) | Some(Value::Null) => {
                        map.insert(key.to_string(), Value::String(ns.to_string()));
                    }
                    None if fs.create => {
                        map.insert(key.to_string(), Value::String(ns.to_string()));
                    }
                    _ => {}
                }
                Ok(())
            })?;
        }
        if is_binding {
            if let Some(Value::Array(subjects)) = r.obj.get_mut("subjects") {
                for s in subjects.iter_mut() {
                    if let Value::Object(o) = s {
                        if o.get("name").and_then(Value::as_str) == Some("default") {
                            o.insert("namespace".into(), Value::String(ns.to_string()));
                        }
                    }
                }
            }
        }
        let id = m.items[i].cur_id();
        if m.items.iter().filter(|x| x.cur_id().equals(&id)).count() > 1 {
            return Err(Error::build(format!(
                "namespace transformation produces ID conflict: {id}"
            )));
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

    fn run(doc: Value) -> Value {
        let mut m = ResMap::new();
        m.append(Resource::new(doc)).unwrap();
        apply(
            &mut m,
            "nsx",
            &TransformerConfig::default_config().namespace,
        )
        .unwrap();
        m.items.remove(0).obj
    }

    // Expectations from `kubectl kustomize` v5.8.1 with `namespace: nsx`.
    #[rstest]
    #[case(json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}), json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"s","namespace":"nsx"}}))]
    #[case(json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"foo"}}), json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"nsx"}}))]
    #[case(json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"c"}}), json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"c"}}))]
    #[case(
        json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"rb"},"subjects":[{"kind":"ServiceAccount","name":"default","namespace":"default"},{"kind":"ServiceAccount","name":"x","namespace":"other"}]}),
        json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"rb","namespace":"nsx"},"subjects":[{"kind":"ServiceAccount","name":"default","namespace":"nsx"},{"kind":"ServiceAccount","name":"x","namespace":"other"}]})
    )]
    fn sets_namespace(#[case] input: Value, #[case] want: Value) {
        assert_eq!(run(input), want);
    }
}
