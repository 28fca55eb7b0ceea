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

//! `buildMetadata:` of the top kustomization: origin annotations, the managed-by label and
//! transformer annotations, added once the build is otherwise complete.

use crate::error::Error;
use crate::resource::ResMap;
use serde_json::{Map, Value};

/// The label value kustomize v5.8.1 writes for `managedByLabel`.
const MANAGED_BY: &str = "kustomize-v5.8.1";

/// Applies the `buildMetadata` options, in the order given, to every resource.
pub(super) fn apply(res: &mut ResMap, options: &[String]) -> Result<(), Error> {
    for m in options {
        match m.as_str() {
            "originAnnotations" => {
                for r in res.items.iter_mut() {
                    if let Some(o) = r.origin.clone() {
                        let text = if o.contains('\n') {
                            o
                        } else {
                            format!("path: {o}\n")
                        };
                        set_entry(
                            r.metadata_mut(),
                            "annotations",
                            "config.kubernetes.io/origin",
                            text,
                        );
                    }
                }
            }
            "managedByLabel" => {
                for r in res.items.iter_mut() {
                    set_entry(
                        r.metadata_mut(),
                        "labels",
                        "app.kubernetes.io/managed-by",
                        MANAGED_BY.into(),
                    );
                }
            }
            "transformerAnnotations" => {
                for r in res.items.iter_mut() {
                    if r.transformations.is_empty() {
                        continue;
                    }
                    let text: String = r
                        .transformations
                        .iter()
                        .map(|(file, kind)| {
                            format!("- configuredIn: {file}\n  configuredBy:\n    apiVersion: builtin\n    kind: {kind}\n")
                        })
                        .collect();
                    set_entry(
                        r.metadata_mut(),
                        "annotations",
                        "alpha.config.kubernetes.io/transformations",
                        text,
                    );
                }
            }
            other => {
                return Err(Error::build(format!(
                    "invalid option in buildMetadata: {other}"
                )))
            }
        }
    }
    Ok(())
}

/// Sets `metadata.<field>.<key>`, creating the map when absent; a `<field>` that is not a map
/// is left alone (and dropped later by the annotation normalisation).
fn set_entry(md: &mut Map<String, Value>, field: &str, key: &str, value: String) {
    let v = md.entry(field).or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(m) = v {
        m.insert(key.into(), Value::String(value));
    }
}
