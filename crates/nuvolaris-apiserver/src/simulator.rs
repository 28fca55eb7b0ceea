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

//! Workload simulator: gives Deployments, StatefulSets and Jobs the status their controllers would.

use crate::ops::now;
use crate::store::{meta_str, EventType, Store};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Tables the simulator drives.
pub const TABLES: &[&str] = &["apps/deployments", "apps/statefulsets", "batch/jobs"];

fn cond_time(cur: &Value, ty: &str, status: &str, field: &str, ts: &str) -> Value {
    cur["conditions"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["type"] == ty && c["status"] == status))
        .and_then(|c| c.get(field).cloned())
        .unwrap_or_else(|| json!(ts))
}

/// The status the controllers would write for this object (None: leave it alone).
pub fn desired_status(table: &str, obj: &Value) -> Option<Value> {
    if obj["metadata"]
        .get("deletionTimestamp")
        .is_some_and(|v| !v.is_null())
    {
        return None;
    }
    let cur = obj.get("status").cloned().unwrap_or(json!({}));
    let gen = obj["metadata"]["generation"].as_i64().unwrap_or(1);
    let replicas = obj["spec"]["replicas"].as_i64().unwrap_or(1);
    let ts = now();
    let mut s = serde_json::Map::new();
    match table {
        "apps/deployments" => {
            s.insert("observedGeneration".into(), json!(gen));
            if replicas > 0 {
                for k in [
                    "replicas",
                    "updatedReplicas",
                    "readyReplicas",
                    "availableReplicas",
                ] {
                    s.insert(k.into(), json!(replicas));
                }
            }
            let name = meta_str(obj, "name");
            s.insert(
                "conditions".into(),
                json!([
                    {"type": "Available", "status": "True",
                     "lastUpdateTime": cond_time(&cur, "Available", "True", "lastUpdateTime", &ts),
                     "lastTransitionTime": cond_time(&cur, "Available", "True", "lastTransitionTime", &ts),
                     "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."},
                    {"type": "Progressing", "status": "True",
                     "lastUpdateTime": cond_time(&cur, "Progressing", "True", "lastUpdateTime", &ts),
                     "lastTransitionTime": cond_time(&cur, "Progressing", "True", "lastTransitionTime", &ts),
                     "reason": "NewReplicaSetAvailable", "message": format!("ReplicaSet \"{name}\" has successfully progressed.")}
                ]),
            );
        }
        "apps/statefulsets" => {
            s.insert("observedGeneration".into(), json!(gen));
            s.insert("replicas".into(), json!(replicas));
            if replicas > 0 {
                for k in [
                    "readyReplicas",
                    "currentReplicas",
                    "updatedReplicas",
                    "availableReplicas",
                ] {
                    s.insert(k.into(), json!(replicas));
                }
            }
            let rev = format!("{}-sim", meta_str(obj, "name"));
            s.insert("currentRevision".into(), json!(rev));
            s.insert("updateRevision".into(), json!(rev));
            s.insert("collisionCount".into(), json!(0));
        }
        "batch/jobs" => {
            let start = cur.get("startTime").cloned().unwrap_or(json!(ts));
            let done = cur.get("completionTime").cloned().unwrap_or(json!(ts));
            s.insert(
                "conditions".into(),
                json!([{"type": "Complete", "status": "True",
                        "lastProbeTime": cond_time(&cur, "Complete", "True", "lastProbeTime", &ts),
                        "lastTransitionTime": cond_time(&cur, "Complete", "True", "lastTransitionTime", &ts)}]),
            );
            s.insert("startTime".into(), start);
            s.insert("completionTime".into(), done);
            s.insert("succeeded".into(), json!(1));
            s.insert("ready".into(), json!(0));
        }
        _ => return None,
    }
    let s = Value::Object(s);
    (s != cur).then_some(s)
}

fn schedule(store: &Arc<Store>, table: &'static str, ns: String, name: String, delay: Duration) {
    let store = store.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let mut st = store.lock();
        let Some(obj) = st.get(table, &ns, &name) else {
            return;
        };
        if let Some(s) = desired_status(table, &obj) {
            let mut o = (*obj).clone();
            o["status"] = s;
            st.put(table, o);
        }
    });
}

/// Runs the simulator for one table until the store drops it.
pub async fn run(store: Arc<Store>, table: &'static str, delay: Duration) {
    let Some(mut rx) = store.lock().subscribe(table) else {
        return;
    };
    loop {
        match rx.recv().await {
            Ok(ev) => {
                if ev.kind != EventType::Deleted && desired_status(table, &ev.obj).is_some() {
                    schedule(
                        &store,
                        table,
                        meta_str(&ev.obj, "namespace").to_string(),
                        meta_str(&ev.obj, "name").to_string(),
                        delay,
                    );
                }
            }
            Err(RecvError::Lagged(_)) => {
                let keys: Vec<(String, String)> = {
                    let st = store.lock();
                    st.tables
                        .get(table)
                        .map(|t| t.objects.keys().cloned().collect())
                        .unwrap_or_default()
                };
                for (ns, name) in keys {
                    schedule(&store, table, ns, name, delay);
                }
            }
            Err(RecvError::Closed) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("apps/deployments", json!({"metadata": {"name": "d", "generation": 2}, "spec": {"replicas": 3}}), "readyReplicas", json!(3))]
    #[case("apps/deployments", json!({"metadata": {"name": "d", "generation": 2}, "spec": {}}), "observedGeneration", json!(2))]
    #[case("apps/statefulsets", json!({"metadata": {"name": "s"}, "spec": {"replicas": 2}}), "readyReplicas", json!(2))]
    #[case("batch/jobs", json!({"metadata": {"name": "j"}, "spec": {}}), "succeeded", json!(1))]
    fn desired(#[case] table: &str, #[case] obj: Value, #[case] field: &str, #[case] want: Value) {
        let s = desired_status(table, &obj).unwrap();
        assert_eq!(s[field], want);
        let mut o = obj.clone();
        o["status"] = s;
        assert!(
            desired_status(table, &o).is_none(),
            "converged status is stable"
        );
    }
}
