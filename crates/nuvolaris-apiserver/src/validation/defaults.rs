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

//! Null pruning and defaulting.

use super::schema::{additional, default_of, field_schema, items, nullable, properties, property};
use serde_json::Value;

/// Removes non-nullable nulls that have no default, then applies `default:` values, as the
/// server does on create, update and read.
pub fn apply_defaults(schema: &Value, obj: &mut Value) {
    prune_nulls(obj, Some(schema));
    default_node(obj, schema);
}

pub(super) fn prune_nulls(x: &mut Value, s: Option<&Value>) {
    match x {
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                let sub = s.and_then(|s| field_schema(s, &k));
                let drop = matches!(m.get(&k), Some(Value::Null))
                    && sub.is_some_and(|sub| !nullable(sub) && default_of(sub).is_none());
                if drop {
                    m.remove(&k);
                } else if let Some(v) = m.get_mut(&k) {
                    prune_nulls(v, sub);
                }
            }
        }
        Value::Array(a) => {
            let it = s.and_then(items);
            for v in a.iter_mut() {
                prune_nulls(v, it);
            }
        }
        _ => {}
    }
}

pub(super) fn is_non_nullable_null(v: &Value, s: &Value) -> bool {
    v.is_null() && !nullable(s)
}

pub(super) fn default_node(x: &mut Value, s: &Value) {
    match x {
        Value::Object(m) => {
            if let Some(props) = properties(s) {
                for (k, prop) in props {
                    let Some(d) = default_of(prop) else { continue };
                    let missing = match m.get(k) {
                        None => true,
                        Some(v) => is_non_nullable_null(v, prop),
                    };
                    if missing {
                        m.insert(k.clone(), d.clone());
                    }
                }
            }
            let ap = additional(s);
            for (k, v) in m.iter_mut() {
                if let Some(prop) = property(s, k) {
                    default_node(v, prop);
                } else if let Some(ap) = ap {
                    if is_non_nullable_null(v, ap) {
                        if let Some(d) = default_of(ap) {
                            *v = d.clone();
                        }
                    }
                    default_node(v, ap);
                }
            }
        }
        Value::Array(a) => {
            if let Some(it) = items(s) {
                for v in a.iter_mut() {
                    if is_non_nullable_null(v, it) {
                        if let Some(d) = default_of(it) {
                            *v = d.clone();
                        }
                    }
                    default_node(v, it);
                }
            }
        }
        _ => {}
    }
}
