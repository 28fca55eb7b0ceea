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

//! Legacy `vars:` — `$(NAME)` expansion in the var-reference fields (kustomize RefVarTransformer).

use super::fieldpath;
use crate::error::Error;
use crate::fieldspec::{walk, FieldSpec};
use crate::kustomization::Var;
use crate::resid::Gvk;
use crate::resource::ResMap;
use serde_json::Value;
use std::collections::HashMap;

/// Expands `$(NAME)` references in `input` (`$$` escapes a dollar); a lone reference to a
/// non-string value keeps its type.
pub fn expand(input: &str, vars: &HashMap<String, Value>) -> Value {
    if let Some(name) = input.strip_prefix("$(").and_then(|s| s.strip_suffix(')')) {
        if !name.contains(')') {
            if let Some(v) = vars.get(name) {
                return v.clone();
            }
        }
    }
    let b = input.as_bytes();
    let mut out = String::new();
    let mut checkpoint = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            out.push_str(&input[checkpoint..i]);
            let rest = &input[i + 1..];
            let advance = match b[i + 1] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest.find(')') {
                    Some(close) => {
                        let name = &rest[1..close];
                        match vars.get(name) {
                            Some(v) => out.push_str(&crate::resource::scalar_string(v)),
                            None => {
                                out.push_str("$(");
                                out.push_str(name);
                                out.push(')');
                            }
                        }
                        close + 1
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    let ch = rest.chars().next().unwrap_or('$');
                    out.push('$');
                    out.push(ch);
                    ch.len_utf8()
                }
            };
            i += advance;
            checkpoint = i + 1;
        }
        i += 1;
    }
    if checkpoint <= input.len() {
        out.push_str(&input[checkpoint..]);
    }
    Value::String(out)
}

fn var_value(m: &ResMap, v: &Var) -> Result<Value, Error> {
    let o = &v.objref;
    let (g, ver) = if !o.api_version.is_empty() {
        let (g, ver) = crate::resid::split_api_version(&o.api_version);
        (g.to_string(), ver.to_string())
    } else {
        (o.group.clone(), o.version.clone())
    };
    let sel = Gvk {
        group: g,
        version: ver,
        kind: o.kind.clone(),
    };
    let matched: Vec<_> = m
        .items
        .iter()
        .filter(|r| {
            r.all_ids().iter().any(|id| {
                id.name == o.name
                    && id.gvk.is_selected(&sel)
                    && (o.namespace.is_empty() || id.namespace == o.namespace)
            })
        })
        .collect();
    match matched.len() {
        0 => Err(Error::build(format!(
            "var '{}' cannot be mapped to a field in the set of known resources",
            v.name
        ))),
        1 => {
            let fp = if v.fieldref.fieldpath.is_empty() {
                "metadata.name"
            } else {
                &v.fieldref.fieldpath
            };
            match fieldpath::get(&matched[0].obj, &fieldpath::parse(fp)) {
                Some(val @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => {
                    Ok(val.clone())
                }
                Some(_) => Err(Error::build(format!(
                    "var '{}': field '{fp}' is not a primitive",
                    v.name
                ))),
                None => Err(Error::build(format!(
                    "field specified in var '{}' not found in corresponding resource",
                    v.name
                ))),
            }
        }
        n => Err(Error::build(format!(
            "found {n} resId matches for var {} (unable to disambiguate)",
            v.name
        ))),
    }
}

fn expand_node(v: &mut Value, vars: &HashMap<String, Value>) {
    match v {
        Value::String(s) if s.contains('$') => *v = expand(s, vars),
        Value::Array(items) => items.iter_mut().for_each(|i| {
            if let Value::String(s) = i {
                if s.contains('$') {
                    *i = expand(s, vars)
                }
            }
        }),
        Value::Object(o) => o.values_mut().for_each(|i| {
            if let Value::String(s) = i {
                if s.contains('$') {
                    *i = expand(s, vars)
                }
            }
        }),
        _ => {}
    }
}

/// Resolves vars in all resources.
pub fn resolve(m: &mut ResMap, vars: &[Var], specs: &[FieldSpec]) -> Result<(), Error> {
    if vars.is_empty() {
        return Ok(());
    }
    let mut values = HashMap::new();
    for v in vars {
        values.insert(v.name.clone(), var_value(m, v)?);
    }
    for r in m.items.iter_mut() {
        let gvk = r.gvk();
        let before = r.link_snapshot();
        for fs in specs {
            if !fs.applies_to(&gvk) {
                continue;
            }
            walk(&mut r.obj, &fs.segs, false, &mut |map, key| {
                if let Some(v) = map.get_mut(key) {
                    expand_node(v, &values);
                }
                Ok(())
            })?;
        }
        r.propagate_links(&before);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case("$(A)", json!(5))]
    #[case("x-$(A)-$(B)", json!("x-5-b"))]
    #[case("$$(A)", json!("$(A)"))]
    #[case("$(NOPE) $(A", json!("$(NOPE) $(A"))]
    #[case("cost $5", json!("cost $5"))]
    fn expands(#[case] input: &str, #[case] want: Value) {
        let vars: HashMap<String, Value> =
            [("A".to_string(), json!(5)), ("B".to_string(), json!("b"))]
                .into_iter()
                .collect();
        assert_eq!(expand(input, &vars), want);
    }
}
