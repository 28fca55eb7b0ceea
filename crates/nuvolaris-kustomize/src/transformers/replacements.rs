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

//! `replacements:` — copy a field of one resource into fields of others (kustomize ReplacementTransformer).

use super::fieldpath::{self, Seg};
use crate::error::Error;
use crate::resid::{Gvk, ResId};
use crate::resource::{scalar_string, ResMap, Resource};
use crate::selector::label_selector_matches;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Options {
    #[serde(default)]
    delimiter: String,
    #[serde(default)]
    index: i64,
    #[serde(default)]
    create: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdSel {
    #[serde(default)]
    group: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    label_selector: String,
    #[serde(default)]
    annotation_selector: String,
    #[serde(default)]
    field_path: String,
    #[serde(default)]
    options: Option<Options>,
}

impl IdSel {
    fn id(&self) -> ResId {
        ResId {
            gvk: Gvk {
                group: self.group.clone(),
                version: self.version.clone(),
                kind: self.kind.clone(),
            },
            name: self.name.clone(),
            namespace: self.namespace.clone(),
        }
    }

    fn matches(&self, r: &Resource) -> Result<bool, Error> {
        let sel = self.id();
        if !r.all_ids().iter().any(|id| id.is_selected_by(&sel)) {
            return Ok(false);
        }
        if !self.label_selector.is_empty()
            && !label_selector_matches(&self.label_selector, &r.labels())?
        {
            return Ok(false);
        }
        if !self.annotation_selector.is_empty()
            && !label_selector_matches(&self.annotation_selector, &r.annotations())?
        {
            return Ok(false);
        }
        Ok(true)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    #[serde(default)]
    select: Option<IdSel>,
    #[serde(default)]
    reject: Vec<IdSel>,
    #[serde(default)]
    field_paths: Vec<String>,
    #[serde(default)]
    options: Option<Options>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    #[serde(default)]
    source: Option<IdSel>,
    #[serde(default)]
    targets: Vec<Target>,
}

fn source_value(m: &ResMap, src: &IdSel) -> Result<Value, Error> {
    let mut found: Option<&Resource> = None;
    for r in &m.items {
        if src.matches(r)? {
            if found.is_some() {
                return Err(Error::build(format!(
                    "multiple matches for selector {}",
                    src.id()
                )));
            }
            found = Some(r);
        }
    }
    let r = found.ok_or_else(|| Error::build(format!("nothing selected by {}", src.id())))?;
    let fp = if src.field_path.is_empty() {
        "metadata.name"
    } else {
        &src.field_path
    };
    let v = fieldpath::get(&r.obj, &fieldpath::parse(fp))
        .filter(|v| !v.is_null())
        .ok_or_else(|| {
            Error::build(format!(
                "fieldPath `{fp}` is missing for replacement source {}",
                src.id()
            ))
        })?;
    match &src.options {
        Some(o) if !o.delimiter.is_empty() => {
            if v.is_object() || v.is_array() {
                return Err(Error::build(
                    "delimiter option can only be used with scalar nodes",
                ));
            }
            let s = scalar_string(v);
            let parts: Vec<&str> = s.split(o.delimiter.as_str()).collect();
            if o.index < 0 || o.index as usize >= parts.len() {
                return Err(Error::build(format!(
                    "options.index {} is out of bounds for value {s}",
                    o.index
                )));
            }
            Ok(Value::String(parts[o.index as usize].to_string()))
        }
        _ => Ok(v.clone()),
    }
}

fn typed_like(target: &Value, text: String, source: &Value) -> Value {
    match target {
        Value::String(_) => Value::String(text),
        Value::Number(_) => serde_json::from_str::<serde_json::Number>(&text)
            .map(Value::Number)
            .unwrap_or(Value::String(text)),
        Value::Bool(_) => match text.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text),
        },
        _ => source.clone(),
    }
}

fn set_field(target: &mut Value, value: &Value, opts: Option<&Options>) -> Result<(), Error> {
    let mut value = value.clone();
    if let Some(o) = opts.filter(|o| !o.delimiter.is_empty()) {
        if target.is_object() || target.is_array() {
            return Err(Error::build(
                "delimiter option can only be used with scalar nodes",
            ));
        }
        let cur = scalar_string(target);
        let mut parts: Vec<String> = cur
            .split(o.delimiter.as_str())
            .map(str::to_string)
            .collect();
        let v = scalar_string(&value);
        if o.index < 0 {
            parts.insert(0, v);
        } else if o.index as usize >= parts.len() {
            parts.push(v);
        } else {
            parts[o.index as usize] = v;
        }
        value = Value::String(parts.join(&o.delimiter));
    }
    let is_scalar = !(target.is_object() || target.is_array() || target.is_null());
    if is_scalar && !(value.is_object() || value.is_array()) {
        *target = typed_like(target, scalar_string(&value), &value);
    } else {
        *target = value;
    }
    Ok(())
}

/// Applies replacement rules in order.
pub fn apply(m: &mut ResMap, rules: &[Value]) -> Result<(), Error> {
    for raw in rules {
        let rep: Replacement = serde_json::from_value(raw.clone())
            .map_err(|e| Error::build(format!("invalid replacement: {e}")))?;
        let src = rep
            .source
            .as_ref()
            .ok_or_else(|| Error::build("replacement must specify a source"))?;
        let value = source_value(m, src)?;
        for t in &rep.targets {
            let sel = t
                .select
                .as_ref()
                .ok_or_else(|| Error::build("target must specify resources to select"))?;
            let paths: Vec<String> = if t.field_paths.is_empty() {
                vec!["metadata.name".into()]
            } else {
                t.field_paths.clone()
            };
            let segs: Vec<Vec<Seg>> = paths.iter().map(|p| fieldpath::parse(p)).collect();
            let create = t.options.as_ref().is_some_and(|o| o.create);
            for r in m.items.iter_mut() {
                if !sel.matches(r)? {
                    continue;
                }
                let mut rejected = false;
                for rej in &t.reject {
                    if rej.matches(r)? {
                        rejected = true;
                    }
                }
                if rejected {
                    continue;
                }
                for (p, s) in paths.iter().zip(&segs) {
                    // scalars are updated in place in kustomize: values shared with other
                    // fields (see `Resource::links`) change with them
                    let mut updated: Vec<(String, Value)> = Vec::new();
                    let n = fieldpath::visit_at(
                        &mut r.obj,
                        s,
                        create,
                        &mut String::new(),
                        &mut |node, at| {
                            let was_string = node.is_string();
                            set_field(node, &value, t.options.as_ref())?;
                            if was_string {
                                updated.push((at.to_string(), node.clone()));
                            }
                            Ok(())
                        },
                    )?;
                    for (at, v) in updated {
                        let shared: Vec<String> = r
                            .links
                            .iter()
                            .filter(|g| g.contains(&at))
                            .flat_map(|g| g.iter().cloned())
                            .collect();
                        for other in shared {
                            if let Some(slot @ Value::String(_)) = r.obj.pointer_mut(&other) {
                                *slot = v.clone();
                            }
                        }
                    }
                    if n == 0 {
                        return Err(Error::build(if create {
                            format!("unable to find or create field \"{p}\" in replacement target")
                        } else {
                            format!("unable to find field \"{p}\" in replacement target")
                        }));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(docs: Vec<Value>) -> ResMap {
        let mut m = ResMap::new();
        for d in docs {
            m.append(Resource::new(d)).unwrap();
        }
        m
    }

    // Output of `kubectl kustomize` v5.8.1 for the same replacements.
    #[test]
    fn copies_values_keeping_target_types() {
        let mut m = map(vec![
            json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"port":"8080","img":"foo:2.0"}}),
            json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":1,"template":{"spec":{"containers":[
                {"name":"a","image":"nginx:1.0","ports":[{"containerPort":80}],"env":[{"name":"P","value":"x"}]},
                {"name":"b","image":"busybox"}]}}}}),
        ]);
        let rules = vec![
            json!({"source":{"kind":"ConfigMap","name":"c","fieldPath":"data.port"},"targets":[{"select":{"kind":"Deployment"},"fieldPaths":[
                "spec.replicas","spec.template.spec.containers.[name=a].ports.0.containerPort",
                "spec.template.spec.containers.[name=a].env.[name=P].value","metadata.annotations.x"],"options":{"create":true}}]}),
            json!({"source":{"kind":"ConfigMap","name":"c","fieldPath":"data.img","options":{"delimiter":":","index":1}},
                "targets":[{"select":{"kind":"Deployment"},"fieldPaths":["spec.template.spec.containers.*.image"],"options":{"delimiter":":","index":1}}]}),
        ];
        apply(&mut m, &rules).unwrap();
        let d = &m.items[1].obj;
        assert_eq!(d["spec"]["replicas"], json!(8080));
        assert_eq!(d["metadata"]["annotations"]["x"], json!("8080"));
        let c = &d["spec"]["template"]["spec"]["containers"];
        assert_eq!(c[0]["ports"][0]["containerPort"], json!(8080));
        assert_eq!(c[0]["env"][0]["value"], json!("8080"));
        assert_eq!(c[0]["image"], json!("nginx:2.0"));
        assert_eq!(c[1]["image"], json!("busybox:2.0"));
    }

    // Base `commonLabels: {app: x}`, overlay replacement into metadata.labels.app:
    // `kubectl kustomize` v5.8.1 changes the selector and template label too.
    #[test]
    fn replaced_scalars_shared_with_labels_follow() {
        let cfg = crate::fieldspec::TransformerConfig::default_config();
        let mut m = map(vec![
            json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"template":{"spec":{}}}}),
            json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"src"},"data":{"v":"fromcm"}}),
        ]);
        let pairs: indexmap::IndexMap<String, String> =
            [("app".to_string(), "x".to_string())].into_iter().collect();
        crate::transformers::labels::apply(&mut m, &pairs, &cfg.common_labels).unwrap();
        let rules = vec![
            json!({"source":{"kind":"ConfigMap","name":"src","fieldPath":"data.v"},
            "targets":[{"select":{"kind":"Deployment"},"fieldPaths":["metadata.labels.app"]}]}),
        ];
        apply(&mut m, &rules).unwrap();
        let d = &m.items[0].obj;
        assert_eq!(d["metadata"]["labels"]["app"], "fromcm");
        assert_eq!(d["spec"]["selector"]["matchLabels"]["app"], "fromcm");
        assert_eq!(d["spec"]["template"]["metadata"]["labels"]["app"], "fromcm");
        assert_eq!(m.items[1].obj["metadata"]["labels"]["app"], "x");
    }

    #[test]
    fn missing_target_field_is_an_error() {
        let mut m = map(vec![
            json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}),
            json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}),
        ]);
        let rules = vec![
            json!({"source":{"kind":"ConfigMap","name":"c"},"targets":[{"select":{"kind":"Service"},"fieldPaths":["spec.x"]}]}),
        ];
        let e = apply(&mut m, &rules).unwrap_err().to_string();
        assert!(e.contains("unable to find field \"spec.x\""), "{e}");
    }
}
