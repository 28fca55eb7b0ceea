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

//! Garbage collection: ownerReference dependents (background and foreground) and namespace deletion.

use crate::ops::{self, DeleteOpts};
use crate::store::{meta_str, State, Store};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

struct Owner {
    deleting: bool,
    foreground: bool,
}

fn has_finalizer(o: &Value, f: &str) -> bool {
    o["metadata"]["finalizers"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x == f))
}

fn deleting(o: &Value) -> bool {
    o["metadata"]
        .get("deletionTimestamp")
        .is_some_and(|v| !v.is_null())
}

/// Runs collection passes until nothing changes; returns whether anything changed.
pub fn sweep(st: &mut State) -> bool {
    let mut any = false;
    for _ in 0..32 {
        let mut changed = false;
        let mut deps: Vec<(String, Arc<Value>)> = Vec::new();
        let mut terminating: Vec<Arc<Value>> = Vec::new();
        let mut any_foreground = false;
        for (tk, t) in &st.tables {
            for o in t.objects.values() {
                if o["metadata"]["ownerReferences"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty())
                {
                    deps.push((tk.clone(), o.clone()));
                }
                if deleting(o) {
                    if tk == "/namespaces" {
                        terminating.push(o.clone());
                    }
                    any_foreground |= has_finalizer(o, "foregroundDeletion");
                }
            }
        }
        changed |= crd_cleanup(st);
        if deps.is_empty() && terminating.is_empty() && !any_foreground {
            break;
        }
        let mut owners: HashMap<String, Owner> = HashMap::new();
        for t in st.tables.values() {
            for o in t.objects.values() {
                let uid = meta_str(o, "uid");
                if !uid.is_empty() {
                    let del = deleting(o);
                    owners.insert(
                        uid.to_string(),
                        Owner {
                            deleting: del,
                            foreground: del && has_finalizer(o, "foregroundDeletion"),
                        },
                    );
                }
            }
        }
        // dependents whose owners are all gone, or whose owner is being deleted in the foreground
        for (tk, d) in &deps {
            if deleting(d) {
                continue;
            }
            let refs = d["metadata"]["ownerReferences"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let uid_of = |r: &Value| r["uid"].as_str().unwrap_or_default().to_string();
            let all_gone = refs.iter().all(|r| !owners.contains_key(&uid_of(r)));
            let fg = refs
                .iter()
                .any(|r| owners.get(&uid_of(r)).is_some_and(|o| o.foreground));
            if all_gone || fg {
                if let Some(info) = st.type_of_table(tk) {
                    let _ = ops::delete(
                        st,
                        &info,
                        meta_str(d, "namespace"),
                        meta_str(d, "name"),
                        &DeleteOpts::default(),
                    );
                    changed = true;
                }
            }
        }
        // owners in foreground deletion whose blocking dependents are gone
        let fg_owners: Vec<String> = owners
            .iter()
            .filter(|(_, o)| o.foreground && o.deleting)
            .map(|(u, _)| u.clone())
            .collect();
        for uid in fg_owners {
            let blocked = deps.iter().any(|(_, d)| {
                d["metadata"]["ownerReferences"]
                    .as_array()
                    .is_some_and(|a| {
                        a.iter().any(|r| {
                            r["uid"].as_str() == Some(&uid)
                                && r["blockOwnerDeletion"].as_bool() == Some(true)
                        })
                    })
            });
            if blocked {
                continue;
            }
            let found = st.tables.iter().find_map(|(tk, t)| {
                t.objects
                    .values()
                    .find(|o| meta_str(o, "uid") == uid)
                    .map(|o| (tk.clone(), o.clone()))
            });
            if let Some((tk, o)) = found {
                let mut n = (*o).clone();
                let fins: Vec<Value> = n["metadata"]["finalizers"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter(|x| *x != "foregroundDeletion")
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                let Some(info) = st.type_of_table(&tk) else {
                    continue;
                };
                if fins.is_empty() {
                    ops::remove(st, &info, meta_str(&o, "namespace"), meta_str(&o, "name"));
                } else {
                    n["metadata"]["finalizers"] = json!(fins);
                    st.put(&tk, n);
                }
                changed = true;
            }
        }
        // terminating namespaces: delete the content, then the namespace
        for nsobj in terminating {
            let ns = meta_str(&nsobj, "name").to_string();
            let mut left = 0usize;
            let mut todo = Vec::new();
            for (tk, t) in &st.tables {
                for ((ons, name), o) in &t.objects {
                    if *ons == ns {
                        left += 1;
                        if !deleting(o) {
                            todo.push((tk.clone(), name.clone()));
                        }
                    }
                }
            }
            for (tk, name) in todo {
                if let Some(info) = st.type_of_table(&tk) {
                    let _ = ops::delete(st, &info, &ns, &name, &DeleteOpts::default());
                    changed = true;
                }
            }
            if left == 0 {
                let Some(info) = st.type_of_table("/namespaces") else {
                    continue;
                };
                let fins = nsobj["metadata"]["finalizers"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty());
                let spec_fins = nsobj["spec"]["finalizers"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty());
                if !fins {
                    ops::remove(st, &info, "", &ns);
                    changed = true;
                } else if spec_fins {
                    let mut n = (*nsobj).clone();
                    n["spec"]["finalizers"] = json!([]);
                    st.put("/namespaces", n);
                    changed = true;
                }
            }
        }
        any |= changed;
        if !changed {
            break;
        }
    }
    any
}

/// Deleting CRDs: delete their objects, and release the CRD once none is left.
fn crd_cleanup(st: &mut State) -> bool {
    let crds: Vec<Arc<Value>> = st
        .tables
        .get("apiextensions.k8s.io/customresourcedefinitions")
        .map(|t| {
            t.objects
                .values()
                .filter(|o| deleting(o) && has_finalizer(o, ops::CRD_CLEANUP))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let mut changed = false;
    for crd in crds {
        let Some(table) = ops::crd_table(&crd) else {
            continue;
        };
        let Some(info) = st.type_of_table(&table) else {
            continue;
        };
        let objs: Vec<Arc<Value>> = st
            .tables
            .get(&table)
            .map(|t| t.objects.values().cloned().collect())
            .unwrap_or_default();
        for o in &objs {
            if !deleting(o) {
                let _ = ops::delete(
                    st,
                    &info,
                    meta_str(o, "namespace"),
                    meta_str(o, "name"),
                    &DeleteOpts::default(),
                );
                changed = true;
            }
        }
        if st.tables.get(&table).is_none_or(|t| t.objects.is_empty()) {
            let Some(crd_info) = st.type_of_table("apiextensions.k8s.io/customresourcedefinitions")
            else {
                continue;
            };
            let fins: Vec<Value> = crd["metadata"]["finalizers"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|f| *f != ops::CRD_CLEANUP)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            if fins.is_empty() {
                ops::remove(st, &crd_info, "", meta_str(&crd, "name"));
            } else {
                let mut n = (*crd).clone();
                n["metadata"]["finalizers"] = json!(fins);
                st.put("apiextensions.k8s.io/customresourcedefinitions", n);
            }
            changed = true;
        }
    }
    changed
}

/// The collector task: sweeps whenever the store signals a deletion.
pub async fn run(store: Arc<Store>) {
    loop {
        store.gc_notify.notified().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        let mut st = store.lock();
        sweep(&mut st);
        st.gc_needed = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{create, delete, Deleted, Propagation, WriteOpts};
    use crate::resources::builtins;

    fn setup() -> (Arc<Store>, Vec<Arc<crate::resources::ResourceInfo>>) {
        let store = Store::new(builtins(), 100);
        let types = store.lock().all_types();
        (store, types)
    }

    fn ty(
        types: &[Arc<crate::resources::ResourceInfo>],
        p: &str,
    ) -> Arc<crate::resources::ResourceInfo> {
        types
            .iter()
            .find(|t| t.plural == p && t.group != "events.k8s.io")
            .unwrap()
            .clone()
    }

    #[test]
    fn background_and_foreground_and_namespace() {
        let (store, types) = setup();
        let mut st = store.lock();
        let (ns, cm, dep) = (
            ty(&types, "namespaces"),
            ty(&types, "configmaps"),
            ty(&types, "deployments"),
        );
        let o = WriteOpts::default();
        create(
            &mut st,
            &ns,
            "",
            json!({"metadata": {"name": "a"}}),
            &o,
            "t",
        )
        .unwrap();
        let owner = create(
            &mut st,
            &dep,
            "a",
            json!({"metadata": {"name": "d"}, "spec": {}}),
            &o,
            "t",
        )
        .unwrap();
        let uid = meta_str(&owner, "uid").to_string();
        let child = json!({"metadata": {"name": "c", "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "d", "uid": uid, "blockOwnerDeletion": true}]}});
        create(&mut st, &cm, "a", child.clone(), &o, "t").unwrap();
        // background: owner gone at once, child collected by the sweep
        assert!(matches!(
            delete(&mut st, &dep, "a", "d", &DeleteOpts::default()).unwrap(),
            Deleted::Removed(_)
        ));
        assert!(st.get("/configmaps", "a", "c").is_some());
        assert!(sweep(&mut st));
        assert!(st.get("/configmaps", "a", "c").is_none());
        // foreground: owner stays until the child is gone
        let owner = create(
            &mut st,
            &dep,
            "a",
            json!({"metadata": {"name": "d"}, "spec": {}}),
            &o,
            "t",
        )
        .unwrap();
        let mut child = child;
        child["metadata"]["ownerReferences"][0]["uid"] = json!(meta_str(&owner, "uid"));
        create(&mut st, &cm, "a", child, &o, "t").unwrap();
        let fg = DeleteOpts {
            propagation: Propagation::Foreground,
            ..Default::default()
        };
        assert!(matches!(
            delete(&mut st, &dep, "a", "d", &fg).unwrap(),
            Deleted::Pending(_)
        ));
        sweep(&mut st);
        assert!(st.get("/configmaps", "a", "c").is_none());
        assert!(st.get("apps/deployments", "a", "d").is_none());
        // namespace deletion removes content, then the namespace
        create(
            &mut st,
            &cm,
            "a",
            json!({"metadata": {"name": "x"}}),
            &o,
            "t",
        )
        .unwrap();
        assert!(matches!(
            delete(&mut st, &ns, "", "a", &DeleteOpts::default()).unwrap(),
            Deleted::Pending(_)
        ));
        assert_eq!(
            st.get("/namespaces", "", "a").unwrap()["status"]["phase"],
            "Terminating"
        );
        sweep(&mut st);
        assert!(st.get("/configmaps", "a", "x").is_none());
        assert!(st.get("/namespaces", "", "a").is_none());
    }
}
