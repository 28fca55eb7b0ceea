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

//! `namePrefix:` / `nameSuffix:` (kustomize PrefixTransformer and SuffixTransformer).

use crate::error::Error;
use crate::fieldspec::{walk, FieldSpec};
use crate::resource::ResMap;
use serde_json::Value;

fn skipped(group: &str, kind: &str) -> bool {
    kind == "CustomResourceDefinition"
        || kind == "Namespace"
        || (kind == "APIService" && group == "apiregistration.k8s.io")
}

/// Adds `prefix` and `suffix` to the names of all resources except CRDs, APIServices and Namespaces.
pub fn apply(m: &mut ResMap, prefix: &str, suffix: &str, specs: &[FieldSpec]) -> Result<(), Error> {
    if prefix.is_empty() && suffix.is_empty() {
        return Ok(());
    }
    for r in m.items.iter_mut() {
        if r.is_empty() {
            continue;
        }
        let org = r.org_id();
        if skipped(&org.gvk.group, &org.gvk.kind) {
            continue;
        }
        for fs in specs {
            if !fs.applies_to(&org.gvk) {
                continue;
            }
            r.store_previous_id();
            if !prefix.is_empty() {
                r.prefixes.push(prefix.to_string());
            }
            if !suffix.is_empty() {
                r.suffixes.push(suffix.to_string());
            }
            walk(&mut r.obj, &fs.segs, fs.create, &mut |map, key| {
                if let Some(Value::String(s)) = map.get_mut(key) {
                    *s = format!("{prefix}{s}{suffix}");
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

    // Expectations from `kubectl kustomize` v5.8.1 with `namePrefix: p-` and `nameSuffix: -s`.
    #[rstest]
    #[case("v1", "ConfigMap", "p-x-s")]
    #[case("v1", "Namespace", "x")]
    #[case("apiextensions.k8s.io/v1", "CustomResourceDefinition", "x")]
    #[case("example.com/v1", "Thing", "p-x-s")]
    fn renames(#[case] api: &str, #[case] kind: &str, #[case] want: &str) {
        let mut m = ResMap::new();
        m.append(Resource::new(
            json!({"apiVersion": api, "kind": kind, "metadata": {"name": "x"}}),
        ))
        .unwrap();
        apply(
            &mut m,
            "p-",
            "-s",
            &TransformerConfig::default_config().name_prefix,
        )
        .unwrap();
        assert_eq!(m.items[0].name(), want);
        if want != "x" {
            assert_eq!(m.items[0].org_id().name, "x");
        }
    }
}
