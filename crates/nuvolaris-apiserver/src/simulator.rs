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

use crate::clock::now;
use crate::store::{meta_str, EventType, Store};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
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

/// How the simulator writes status.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Delay before the first status write after a change.
    pub delay: Duration,
    /// With `Some(step)`, Deployments get their status in the real deployment controller's
    /// steps ([`next_deployment_status`]), `step` apart; with None in one write.
    pub deployment_step: Option<Duration>,
}

/// Which of the deployment controller's status writes comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutStep {
    /// The controller saw the new generation: `observedGeneration`, `replicas`,
    /// `updatedReplicas` (the new ReplicaSet scaled up, its pods not ready yet), `Progressing`
    /// True `ReplicaSetUpdated` and, until enough pods are available, `Available` False.
    Observed,
    /// The pods became ready: `readyReplicas`.
    Ready,
    /// The pods became available: `availableReplicas` and the final conditions
    /// (`Available` True `MinimumReplicasAvailable`, `Progressing` True `NewReplicaSetAvailable`).
    Available,
}

fn int(v: &Value, k: &str) -> i64 {
    v[k].as_i64().unwrap_or(0)
}

/// The next status the deployment controller writes for this Deployment and which step it is
/// (None: converged, or being deleted). Each step is its own status write, so a watcher sees
/// several MODIFIED events per rollout, as on a real cluster.
pub fn next_deployment_status(obj: &Value) -> Option<(Value, RolloutStep)> {
    let last = desired_status("apps/deployments", obj)?;
    let cur = obj.get("status").cloned().unwrap_or(json!({}));
    let gen = obj["metadata"]["generation"].as_i64().unwrap_or(1);
    let replicas = obj["spec"]["replicas"].as_i64().unwrap_or(1);
    if replicas > 0
        && (int(&cur, "observedGeneration") != gen
            || int(&cur, "replicas") != replicas
            || int(&cur, "updatedReplicas") != replicas)
    {
        let ts = now();
        let ready = int(&cur, "readyReplicas").min(replicas);
        let available = int(&cur, "availableReplicas").min(replicas);
        let mut s = json!({"observedGeneration": gen, "replicas": replicas,
            "updatedReplicas": replicas});
        if ready > 0 {
            s["readyReplicas"] = json!(ready);
        }
        if available > 0 {
            s["availableReplicas"] = json!(available);
        }
        if available < replicas {
            s["unavailableReplicas"] = json!(replicas - available);
        }
        let name = meta_str(obj, "name");
        let (av_status, av_reason, av_msg) = if available >= replicas {
            (
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
            )
        } else {
            (
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )
        };
        s["conditions"] = json!([
            {"type": "Available", "status": av_status,
             "lastUpdateTime": cond_time(&cur, "Available", av_status, "lastUpdateTime", &ts),
             "lastTransitionTime": cond_time(&cur, "Available", av_status, "lastTransitionTime", &ts),
             "reason": av_reason, "message": av_msg},
            {"type": "Progressing", "status": "True", "lastUpdateTime": ts,
             "lastTransitionTime": cond_time(&cur, "Progressing", "True", "lastTransitionTime", &ts),
             "reason": "ReplicaSetUpdated", "message": format!("ReplicaSet \"{name}\" is progressing.")}
        ]);
        return Some((s, RolloutStep::Observed));
    }
    if replicas > 0 && int(&cur, "readyReplicas") != replicas {
        let mut s = cur;
        s["readyReplicas"] = json!(replicas);
        return Some((s, RolloutStep::Ready));
    }
    Some((last, RolloutStep::Available))
}

/// Objects with a status write scheduled (one timer per object at a time).
type Pending = Arc<Mutex<HashSet<(String, String)>>>;

fn schedule(
    store: &Arc<Store>,
    pending: &Pending,
    table: &'static str,
    ns: String,
    name: String,
    delay: Duration,
    staged: bool,
) {
    let key = (ns, name);
    if let Ok(mut p) = pending.lock() {
        if !p.insert(key.clone()) {
            return;
        }
    }
    let store = store.clone();
    let pending = pending.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let mut st = store.lock();
        if let Ok(mut p) = pending.lock() {
            p.remove(&key);
        }
        let Some(obj) = st.get(table, &key.0, &key.1) else {
            return;
        };
        let next = if staged {
            next_deployment_status(&obj).map(|(s, _)| s)
        } else {
            desired_status(table, &obj)
        };
        if let Some(s) = next {
            let mut o = (*obj).clone();
            o["status"] = s;
            st.put(table, o);
        }
    });
}

/// Runs the simulator for one table until the store drops it.
pub async fn run(store: Arc<Store>, table: &'static str, timing: Timing) {
    let Some(mut rx) = store.lock().subscribe(table) else {
        return;
    };
    let staged = table == "apps/deployments" && timing.deployment_step.is_some();
    let pending: Pending = Arc::default();
    // the first write of a change after `delay`, the next steps `step` apart
    let delay_of = |obj: &Value| match (staged, timing.deployment_step) {
        (true, Some(step)) => match next_deployment_status(obj) {
            Some((_, RolloutStep::Observed)) | None => timing.delay,
            Some(_) => step,
        },
        _ => timing.delay,
    };
    loop {
        match rx.recv().await {
            Ok(ev) => {
                if ev.kind != EventType::Deleted && desired_status(table, &ev.obj).is_some() {
                    schedule(
                        &store,
                        &pending,
                        table,
                        meta_str(&ev.obj, "namespace").to_string(),
                        meta_str(&ev.obj, "name").to_string(),
                        delay_of(&ev.obj),
                        staged,
                    );
                }
            }
            Err(RecvError::Lagged(_)) => {
                let objs: Vec<Arc<Value>> = {
                    let st = store.lock();
                    st.tables
                        .get(table)
                        .map(|t| t.objects.values().cloned().collect())
                        .unwrap_or_default()
                };
                for o in objs {
                    schedule(
                        &store,
                        &pending,
                        table,
                        meta_str(&o, "namespace").to_string(),
                        meta_str(&o, "name").to_string(),
                        delay_of(&o),
                        staged,
                    );
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
