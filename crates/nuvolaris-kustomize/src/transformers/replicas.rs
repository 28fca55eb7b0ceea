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

//! `replicas:` — sets replica counts by resource name (kustomize ReplicaCountTransformer).

use crate::error::Error;
use crate::fieldspec::{walk, FieldSpec};
use crate::kustomization::Replica;
use crate::resource::ResMap;
use serde_json::Value;

/// Sets `count` on every resource named `name` (any of its names) whose kind has a replicas field.
pub fn apply(m: &mut ResMap, replicas: &[Replica], specs: &[FieldSpec]) -> Result<(), Error> {
    for rep in replicas {
        let mut found = false;
        for fs in specs {
            for r in m.items.iter_mut() {
                let ids = r.all_ids();
                if !ids
                    .iter()
                    .any(|id| id.name == rep.name && id.gvk.is_selected(&fs.gvk))
                {
                    continue;
                }
                found = true;
                walk(&mut r.obj, &fs.segs, fs.create, &mut |map, key| {
                    map.insert(key.to_string(), Value::from(rep.count));
                    Ok(())
                })?;
            }
        }
        if !found {
            let gvks: Vec<String> = specs.iter().map(|f| f.gvk.to_string()).collect();
            return Err(Error::build(format!(
                "resource with name {} does not match a config with the following GVK [{}]",
                rep.name,
                gvks.join(" ")
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

    #[rstest]
    #[case("Deployment", "web", Some(3))]
    #[case("StatefulSet", "web", Some(3))]
    #[case("ConfigMap", "web", None)]
    fn sets_count(#[case] kind: &str, #[case] name: &str, #[case] want: Option<i64>) {
        let mut m = ResMap::new();
        m.append(Resource::new(json!({"apiVersion":"apps/v1","kind":kind,"metadata":{"name":name},"spec":{"replicas":1}}))).unwrap();
        let res = apply(
            &mut m,
            &[Replica {
                name: "web".into(),
                count: 3,
            }],
            &TransformerConfig::default_config().replicas,
        );
        match want {
            Some(n) => assert_eq!(m.items[0].obj["spec"]["replicas"], n),
            None => assert!(res
                .unwrap_err()
                .to_string()
                .contains("does not match a config")),
        }
    }
}
