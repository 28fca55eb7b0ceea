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

//! The in-memory object store: one ordered table per resource, a global resourceVersion,
//! retained watch history and a broadcast channel per table.

use crate::resources::ResourceInfo;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{broadcast, Notify};

/// Type of a watch event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// Object created.
    Added,
    /// Object changed.
    Modified,
    /// Object removed.
    Deleted,
}

/// One committed change.
#[derive(Debug, Clone)]
pub struct Event {
    /// resourceVersion of the change.
    pub rv: u64,
    /// What happened.
    pub kind: EventType,
    /// The object after the change (the last state for DELETED).
    pub obj: Arc<Value>,
    /// The object before the change, if any.
    pub prev: Option<Arc<Value>>,
}

/// One resource's objects, keyed by (namespace, name).
pub struct Table {
    /// Objects in (namespace, name) order.
    pub objects: BTreeMap<(String, String), Arc<Value>>,
    history: VecDeque<Arc<Event>>,
    /// resourceVersion of the newest event dropped from history (0 = none dropped).
    compacted: u64,
    tx: broadcast::Sender<Arc<Event>>,
}

/// Everything the store holds; only touched under the store's lock.
pub struct State {
    /// Last resourceVersion handed out.
    pub rv: u64,
    types: BTreeMap<(String, String, String), Arc<ResourceInfo>>,
    /// Tables by `group/plural`.
    pub tables: HashMap<String, Table>,
    history_cap: usize,
    broadcast_cap: usize,
    /// Set when something happened that the garbage collector must look at.
    pub gc_needed: bool,
}

/// The shared store.
pub struct Store {
    state: Mutex<State>,
    /// Wakes the garbage collector.
    pub gc_notify: Notify,
}

/// Where a watch starts.
pub enum WatchStart {
    /// Synthetic ADDED events for the current state, then live events.
    Current,
    /// Replay retained events after this resourceVersion, then live events.
    After(u64),
}

/// What a started watch gets under the lock.
pub struct WatchInit {
    /// Events to send first.
    pub initial: Vec<Arc<Event>>,
    /// Live events.
    pub rx: broadcast::Receiver<Arc<Event>>,
    /// Live events with rv <= this were already covered.
    pub start_rv: u64,
}

/// Default number of live events buffered per table for slow watchers.
pub const BROADCAST_CAP: usize = 8192;

impl Store {
    /// A store with the given types registered and `watch_history` events retained per table.
    #[cfg(test)]
    pub fn new(types: Vec<ResourceInfo>, history_cap: usize) -> Arc<Store> {
        Self::new_with(types, history_cap, BROADCAST_CAP)
    }

    /// Like [`Store::new`], with `broadcast_cap` live events buffered per table for slow watchers.
    pub fn new_with(
        types: Vec<ResourceInfo>,
        history_cap: usize,
        broadcast_cap: usize,
    ) -> Arc<Store> {
        let mut st = State {
            rv: 0,
            types: BTreeMap::new(),
            tables: HashMap::new(),
            history_cap: history_cap.max(1),
            broadcast_cap: broadcast_cap.max(1),
            gc_needed: false,
        };
        for t in types {
            st.register(t);
        }
        Arc::new(Store {
            state: Mutex::new(st),
            gc_notify: Notify::new(),
        })
    }

    /// Locks the state (a poisoned lock is recovered: the state is always consistent between calls).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes the garbage collector if the state asked for it.
    pub fn kick_gc_if_needed(&self, st: &mut State) {
        if st.gc_needed {
            st.gc_needed = false;
            self.gc_notify.notify_one();
        }
    }
}

impl State {
    /// Registers a served type (and creates its table if new).
    pub fn register(&mut self, info: ResourceInfo) {
        let key = info.table_key();
        let cap = self.broadcast_cap;
        self.tables.entry(key).or_insert_with(|| Table {
            objects: BTreeMap::new(),
            history: VecDeque::new(),
            compacted: 0,
            tx: broadcast::channel(cap).0,
        });
        self.types.insert(
            (
                info.group.clone(),
                info.version.clone(),
                info.plural.clone(),
            ),
            Arc::new(info),
        );
    }

    /// Removes every version of `group/plural` and its table, sending DELETED for each object.
    pub fn unregister(&mut self, group: &str, plural: &str) {
        let key = format!("{group}/{plural}");
        let keys: Vec<(String, String)> = self
            .tables
            .get(&key)
            .map(|t| t.objects.keys().cloned().collect())
            .unwrap_or_default();
        for (ns, name) in keys {
            self.remove(&key, &ns, &name);
        }
        self.types
            .retain(|(g, _, p), _| !(g == group && p == plural));
        self.tables.remove(&key);
    }

    /// Removes the versions of `group/plural` no longer in `keep` and registers those in it.
    pub fn reregister(&mut self, group: &str, plural: &str, keep: Vec<ResourceInfo>) {
        self.types
            .retain(|(g, _, p), _| !(g == group && p == plural));
        for k in keep {
            self.register(k);
        }
    }

    /// Finds a served type.
    pub fn resolve(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceInfo>> {
        self.types
            .get(&(group.to_string(), version.to_string(), plural.to_string()))
            .cloned()
    }

    /// All served types in (group, version, plural) order.
    pub fn all_types(&self) -> Vec<Arc<ResourceInfo>> {
        self.types.values().cloned().collect()
    }

    /// Any one served type of a table (used by background tasks to name the type).
    pub fn type_of_table(&self, table: &str) -> Option<Arc<ResourceInfo>> {
        self.types
            .values()
            .find(|t| t.table_key() == table)
            .cloned()
    }

    /// Live events of a table.
    pub fn subscribe(&self, table: &str) -> Option<broadcast::Receiver<Arc<Event>>> {
        self.tables.get(table).map(|t| t.tx.subscribe())
    }

    /// One object.
    pub fn get(&self, table: &str, ns: &str, name: &str) -> Option<Arc<Value>> {
        self.tables
            .get(table)?
            .objects
            .get(&(ns.to_string(), name.to_string()))
            .cloned()
    }

    fn next_rv(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    fn record(&mut self, table: &str, ev: Event) {
        let cap = self.history_cap;
        if let Some(t) = self.tables.get_mut(table) {
            let ev = Arc::new(ev);
            t.history.push_back(ev.clone());
            while t.history.len() > cap {
                if let Some(old) = t.history.pop_front() {
                    t.compacted = old.rv;
                }
            }
            let _ = t.tx.send(ev);
        }
    }

    /// Stores `obj` (create or replace) with a new resourceVersion and records the event.
    pub fn put(&mut self, table: &str, mut obj: Value) -> Arc<Value> {
        let rv = self.next_rv();
        set_rv(&mut obj, rv);
        let ns = meta_str(&obj, "namespace").to_string();
        let name = meta_str(&obj, "name").to_string();
        let obj = Arc::new(canonical(obj));
        let prev = match self.tables.get_mut(table) {
            Some(t) => t.objects.insert((ns, name), obj.clone()),
            None => return obj,
        };
        let kind = if prev.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.record(
            table,
            Event {
                rv,
                kind,
                obj: obj.clone(),
                prev,
            },
        );
        obj
    }

    /// Removes an object with a new resourceVersion and records DELETED.
    pub fn remove(&mut self, table: &str, ns: &str, name: &str) -> Option<Arc<Value>> {
        let old = self
            .tables
            .get_mut(table)?
            .objects
            .remove(&(ns.to_string(), name.to_string()))?;
        let rv = self.next_rv();
        let mut last = (*old).clone();
        set_rv(&mut last, rv);
        let last = Arc::new(last);
        self.record(
            table,
            Event {
                rv,
                kind: EventType::Deleted,
                obj: last.clone(),
                prev: Some(old),
            },
        );
        self.gc_needed = true;
        Some(last)
    }

    /// Starts a watch on a table under the lock, so no event is lost or repeated.
    pub fn watch(&self, table: &str, start: WatchStart) -> Result<WatchInit, u64> {
        let Some(t) = self.tables.get(table) else {
            return Err(0);
        };
        let rx = t.tx.subscribe();
        let initial = match start {
            WatchStart::Current => t
                .objects
                .values()
                .map(|o| {
                    Arc::new(Event {
                        rv: self.rv,
                        kind: EventType::Added,
                        obj: o.clone(),
                        prev: None,
                    })
                })
                .collect(),
            WatchStart::After(from) => {
                if from < t.compacted {
                    return Err(t.compacted);
                }
                t.history.iter().filter(|e| e.rv > from).cloned().collect()
            }
        };
        Ok(WatchInit {
            initial,
            rx,
            start_rv: self.rv,
        })
    }
}

/// `metadata.<field>` as a string ("" if absent).
pub fn meta_str<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn set_rv(obj: &mut Value, rv: u64) {
    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        m.insert("resourceVersion".into(), Value::String(rv.to_string()));
    }
}

/// ObjectMeta fields in the real server's (Go struct) order.
const META_ORDER: &[&str] = crate::validation::OBJECT_META_FIELDS;

/// Puts kind, apiVersion, metadata first and metadata fields in the real server's order.
pub fn canonical(obj: Value) -> Value {
    let Value::Object(mut m) = obj else {
        return obj;
    };
    let mut out = Map::new();
    for k in ["kind", "apiVersion"] {
        if let Some(v) = m.remove(k) {
            out.insert(k.into(), v);
        }
    }
    if let Some(Value::Object(mut meta)) = m.remove("metadata") {
        let mut nm = Map::new();
        for k in META_ORDER {
            if let Some(v) = meta.remove(*k) {
                nm.insert((*k).into(), v);
            }
        }
        for (k, v) in meta {
            nm.insert(k, v);
        }
        out.insert("metadata".into(), Value::Object(nm));
    }
    for (k, v) in m {
        out.insert(k, v);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::builtins;
    use serde_json::json;

    #[test]
    fn put_remove_watch_history() {
        let store = Store::new(builtins(), 2);
        let mut st = store.lock();
        for i in 0..3 {
            st.put(
                "/configmaps",
                json!({"metadata": {"name": format!("c{i}"), "namespace": "d"}}),
            );
        }
        assert_eq!(st.rv, 3);
        assert!(
            st.watch("/configmaps", WatchStart::After(0)).is_err(),
            "rv 0 was compacted"
        );
        let w = st.watch("/configmaps", WatchStart::After(1)).unwrap();
        assert_eq!(w.initial.len(), 2);
        let gone = st.remove("/configmaps", "d", "c0").unwrap();
        assert_eq!(meta_str(&gone, "resourceVersion"), "4");
        assert!(st.get("/configmaps", "d", "c0").is_none());
    }

    #[test]
    fn canonical_order() {
        let v = canonical(
            json!({"spec": {}, "metadata": {"uid": "u", "name": "n"}, "apiVersion": "v1", "kind": "K"}),
        );
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, vec!["kind", "apiVersion", "metadata", "spec"]);
        let mk: Vec<_> = v["metadata"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(mk, vec!["name", "uid"]);
    }
}
