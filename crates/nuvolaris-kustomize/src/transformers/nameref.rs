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

//! Name-reference fix-up: after renames (prefix, suffix, hash, namespace moves), every field that
//! names another resource is updated to its new name (kustomize `FixBackReferences`).

use crate::error::Error;
use crate::fieldspec::{walk, NameBackRef};
use crate::resid::{Gvk, ResId};
use crate::resource::{ResMap, Resource};
use serde_json::Value;

/// Read-only view of a candidate referral.
struct Cand {
    idx: usize,
    cur: ResId,
    prev: Vec<ResId>,
    org_ns: String,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
}

fn same_ending(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return long.is_empty();
    }
    let diff = long.len() - short.len();
    (0..short.len()).all(|i| long[i + diff] == short[i])
}

struct Ctx<'a> {
    referrer_cur: ResId,
    referrer_prefixes: &'a [String],
    referrer_suffixes: &'a [String],
    target: &'a Gvk,
    role_ref_kind: Option<String>,
}

impl Ctx<'_> {
    fn select<'c>(
        &self,
        old: &str,
        cands: &[&'c Cand],
        need_ns_too: bool,
    ) -> Result<Option<&'c Cand>, Error> {
        let mut c: Vec<&Cand> = cands
            .iter()
            .copied()
            .filter(|c| c.prev.iter().any(|id| id.name == old))
            .filter(|c| c.prev.iter().any(|id| id.gvk.is_selected(self.target)))
            .collect();
        if let Some(k) = &self.role_ref_kind {
            c.retain(|c| c.prev.iter().any(|id| &id.gvk.kind == k));
        }
        if !self.referrer_cur.gvk.is_cluster_scoped() {
            c.retain(|x| {
                x.cur.gvk.is_cluster_scoped()
                    || x.cur.gvk.kind == "ServiceAccount"
                    || x.cur.ns_equals(&self.referrer_cur)
            });
        }
        if c.len() == 1 {
            return Ok(Some(c[0]));
        }
        c.retain(|x| {
            same_ending(&x.prefixes, self.referrer_prefixes)
                && same_ending(&x.suffixes, self.referrer_suffixes)
        });
        if c.len() == 1 {
            return Ok(Some(c[0]));
        }
        c.retain(|x| x.prefixes == self.referrer_prefixes && x.suffixes == self.referrer_suffixes);
        if c.len() == 1 {
            return Ok(Some(c[0]));
        }
        if c.is_empty() {
            return Ok(None);
        }
        let first = &c[0].cur;
        if c.iter().all(|x| {
            x.cur.name == first.name && (!need_ns_too || x.cur.namespace == first.namespace)
        }) {
            return Ok(Some(c[0]));
        }
        let ids: Vec<String> = c.iter().map(|x| x.cur.to_string()).collect();
        Err(Error::build(format!(
            "found multiple possible referrals: [{}]",
            ids.join(" ")
        )))
    }
}

/// Updates all name references in `m` using the `refs` configuration.
pub fn fix(m: &mut ResMap, refs: &[NameBackRef]) -> Result<(), Error> {
    let cands: Vec<Cand> = m
        .items
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.prev_ids.is_empty())
        .map(|(idx, r)| Cand {
            idx,
            cur: r.cur_id(),
            prev: r.prev_ids.clone(),
            org_ns: r.org_id().effective_namespace().to_string(),
            prefixes: r.prefixes.clone(),
            suffixes: r.suffixes.clone(),
        })
        .collect();
    if cands.is_empty() {
        return Ok(());
    }
    // final names/namespaces of candidates, read before mutation
    let names: Vec<(String, String)> = cands
        .iter()
        .map(|c| {
            (
                m.items[c.idx].name().to_string(),
                m.items[c.idx].namespace().to_string(),
            )
        })
        .collect();
    let pos = |c: &Cand| cands.iter().position(|x| x.idx == c.idx).unwrap_or(0);

    for ri in 0..m.items.len() {
        let (org_gvk, referrer_cur, prefixes, suffixes, rb_namespaces) = {
            let r: &Resource = &m.items[ri];
            (
                r.org_id().gvk,
                r.cur_id(),
                r.prefixes.clone(),
                r.suffixes.clone(),
                rolebinding_namespaces(r),
            )
        };
        // candidates this referrer could reference (kustomize SubsetThatCouldBeReferencedByResource)
        let visible: Vec<&Cand> = cands
            .iter()
            .filter(|c| {
                referrer_cur.gvk.is_cluster_scoped()
                    || c.cur.gvk.is_cluster_scoped()
                    || c.cur.ns_equals(&referrer_cur)
                    || rb_namespaces.iter().any(|n| n == &c.cur.namespace)
            })
            .collect();
        if visible.is_empty() {
            continue;
        }
        for br in refs {
            let typed: Vec<&Cand> = visible
                .iter()
                .copied()
                .filter(|c| {
                    c.cur.gvk.is_selected(&br.gvk)
                        || c.prev.iter().any(|p| p.gvk.is_selected(&br.gvk))
                })
                .collect();
            if typed.is_empty() {
                continue;
            }
            for fs in &br.field_specs {
                if !org_gvk.is_selected(&fs.gvk) {
                    continue;
                }
                let role_ref_kind = if fs.path.ends_with("roleRef/name") {
                    m.items[ri]
                        .obj
                        .pointer("/roleRef/kind")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                } else {
                    None
                };
                let ctx = Ctx {
                    referrer_cur: referrer_cur.clone(),
                    referrer_prefixes: &prefixes,
                    referrer_suffixes: &suffixes,
                    target: &br.gvk,
                    role_ref_kind,
                };
                let mut err = None;
                walk(&mut m.items[ri].obj, &fs.segs, false, &mut |map, key| {
                    let Some(v) = map.get_mut(key) else {
                        return Ok(());
                    };
                    match v {
                        Value::String(s) => {
                            if let Some(c) = ctx.select(s, &typed, false)? {
                                *s = names[pos(c)].0.clone();
                            }
                        }
                        Value::Array(items) => {
                            for it in items.iter_mut() {
                                match it {
                                    Value::String(s) => {
                                        if let Some(c) = ctx.select(s, &typed, false)? {
                                            *s = names[pos(c)].0.clone();
                                        }
                                    }
                                    Value::Object(_) => {
                                        if let Err(e) = set_mapping(it, &ctx, &typed, &names, &pos)
                                        {
                                            err = Some(e);
                                        }
                                    }
                                    _ => {}
                                }
                            }
                        }
                        Value::Object(_) => set_mapping(v, &ctx, &typed, &names, &pos)?,
                        _ => {}
                    }
                    Ok(())
                })?;
                if let Some(e) = err {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

fn set_mapping(
    node: &mut Value,
    ctx: &Ctx<'_>,
    typed: &[&Cand],
    names: &[(String, String)],
    pos: &dyn Fn(&Cand) -> usize,
) -> Result<(), Error> {
    let Value::Object(o) = node else {
        return Ok(());
    };
    if let Some(k) = o.get("kind").and_then(Value::as_str) {
        if !ctx.target.kind.is_empty() && k != ctx.target.kind {
            return Ok(());
        }
    }
    let Some(old) = o.get("name").and_then(Value::as_str).map(str::to_string) else {
        return Ok(());
    };
    let cands: Vec<&Cand> = match o.get("namespace").and_then(Value::as_str) {
        None => typed.to_vec(),
        Some(ns) => {
            let by_org: Vec<&Cand> = typed.iter().copied().filter(|c| c.org_ns == ns).collect();
            if !by_org.is_empty() {
                by_org
            } else {
                typed
                    .iter()
                    .copied()
                    .filter(|c| c.cur.effective_namespace() == ns)
                    .collect()
            }
        }
    };
    let Some(c) = ctx.select(&old, &cands, true)? else {
        return Ok(());
    };
    let (name, ns) = &names[pos(c)];
    if name == &old && ns.is_empty() {
        return Ok(());
    }
    o.insert("name".into(), Value::String(name.clone()));
    if !ns.is_empty() {
        o.insert("namespace".into(), Value::String(ns.clone()));
    }
    Ok(())
}

fn rolebinding_namespaces(r: &Resource) -> Vec<String> {
    if r.kind() != "RoleBinding" {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(Value::Array(subjects)) = r.obj.get("subjects") {
        for s in subjects {
            if s.get("kind").and_then(Value::as_str) == Some("ServiceAccount") {
                if let Some(ns) = s.get("namespace").and_then(Value::as_str) {
                    out.push(ns.to_string());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fieldspec::TransformerConfig;
    use crate::transformers::{namespace, prefixsuffix};
    use serde_json::json;

    fn build(docs: Vec<Value>, ns: &str, prefix: &str) -> Vec<Value> {
        let cfg = TransformerConfig::default_config();
        let mut m = ResMap::new();
        for d in docs {
            m.append(Resource::new(d)).unwrap();
        }
        if !ns.is_empty() {
            namespace::apply(&mut m, ns, &cfg.namespace).unwrap();
        }
        prefixsuffix::apply(&mut m, prefix, "", &cfg.name_prefix).unwrap();
        fix(&mut m, &cfg.name_reference).unwrap();
        m.items.into_iter().map(|r| r.obj).collect()
    }

    // Expectations from `kubectl kustomize` v5.8.1 (namespace: nsx, namePrefix: p-).
    #[test]
    fn updates_workload_and_binding_references() {
        let out = build(
            vec![
                json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cfg"}}),
                json!({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa1"}}),
                json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"template":{"spec":{
                    "serviceAccountName":"sa1",
                    "containers":[{"name":"c","envFrom":[{"configMapRef":{"name":"cfg"}}],"env":[{"name":"X","valueFrom":{"configMapKeyRef":{"name":"other","key":"k"}}}]}],
                    "volumes":[{"name":"v","configMap":{"name":"cfg"}}]}}}}),
                json!({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"rb"},
                    "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r"},
                    "subjects":[{"kind":"ServiceAccount","name":"sa1"},{"kind":"ServiceAccount","name":"sa3","namespace":"other"}]}),
            ],
            "nsx",
            "p-",
        );
        let d = &out[2]["spec"]["template"]["spec"];
        assert_eq!(d["serviceAccountName"], "p-sa1");
        assert_eq!(
            d["containers"][0]["envFrom"][0]["configMapRef"]["name"],
            "p-cfg"
        );
        assert_eq!(
            d["containers"][0]["env"][0]["valueFrom"]["configMapKeyRef"]["name"],
            "other"
        );
        assert_eq!(d["volumes"][0]["configMap"]["name"], "p-cfg");
        assert_eq!(
            out[3]["subjects"][0],
            json!({"kind":"ServiceAccount","name":"p-sa1","namespace":"nsx"})
        );
        assert_eq!(
            out[3]["subjects"][1],
            json!({"kind":"ServiceAccount","name":"sa3","namespace":"other"})
        );
        assert_eq!(out[3]["roleRef"]["name"], "r");
    }

    #[test]
    fn webhook_service_reference_gets_name_and_namespace() {
        let out = build(
            vec![
                json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"svc"}}),
                json!({"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration","metadata":{"name":"vw"},
                    "webhooks":[{"name":"a","clientConfig":{"service":{"name":"svc","namespace":"default"}}}]}),
            ],
            "nsx",
            "p-",
        );
        assert_eq!(
            out[1]["webhooks"][0]["clientConfig"]["service"],
            json!({"name":"p-svc","namespace":"nsx"})
        );
    }
}
