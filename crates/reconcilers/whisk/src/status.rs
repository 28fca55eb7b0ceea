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

//! Status of a Whisk: `.status.whisk_create.<component>` (upstream keys and values), one
//! condition per component, an overall `Ready`, and `observedGeneration`. Pure and deterministic:
//! a steady state computes the same status, so nothing is written.

use crate::components::{Component, TABLE};
use k8s_openapi::jiff::Timestamp;
use nuvolaris_api::whisk::{Whisk, WhiskStatus};
use nuvolaris_runtime::conditions::{self, Desired};
use std::collections::BTreeMap;

pub use crate::state::State;

/// Components of the Whisk that upstream knows but this operator does not deploy (yet).
pub const NOT_IMPLEMENTED: [&str; 6] = ["redis", "mongodb", "cron", "minio", "static", "postgres"];

/// Every `whisk_create` key, as upstream writes them.
pub const WHISK_CREATE_KEYS: [&str; 17] = [
    "openwhisk",
    "invoker",
    "couchdb",
    "kafka",
    "redis",
    "mongodb",
    "cron",
    "tls",
    "endpoint",
    "issuer",
    "ingress",
    "minio",
    "static",
    "zookeeper",
    "preloader",
    "postgres",
    "whisk-system",
];

/// Computes the status from the component states; returns it and whether the Whisk is Ready.
pub fn compute(
    w: &Whisk,
    states: &BTreeMap<Component, State>,
    tls_on: bool,
    now: Timestamp,
) -> (WhiskStatus, bool) {
    compute_with(w, states, tls_on, &[], now)
}

fn word(s: &State) -> &'static str {
    match s {
        State::Disabled => "off",
        State::Ready => "on",
        State::Failed(..) => "error",
        State::Progressing(..) | State::Waiting(..) => "?",
    }
}

/// The `whisk_create` value of a key fed by several components: `off` when the first is off,
/// `error` when any failed, `on` when all are on, else `?`.
fn combined(states: &[State]) -> &'static str {
    if states.iter().any(|s| matches!(s, State::Failed(..))) {
        "error"
    } else if states.first().is_some_and(|s| *s == State::Disabled) {
        "off"
    } else if states
        .iter()
        .all(|s| matches!(s, State::Ready | State::Disabled))
    {
        "on"
    } else {
        "?"
    }
}

/// [`compute`] with the conflicts the apply met (objects of another owner): they make the Whisk
/// `Ready=False`/`Degraded=True` with reason `Conflict`.
pub fn compute_with(
    w: &Whisk,
    states: &BTreeMap<Component, State>,
    tls_on: bool,
    conflicts: &[String],
    now: Timestamp,
) -> (WhiskStatus, bool) {
    let old = w.status.clone().unwrap_or_default();
    let gen = w.metadata.generation;
    let st = |c: Component| states.get(&c).cloned().unwrap_or(State::Disabled);
    let comps = &w.spec.components;
    let extra_on = |k: &str| {
        comps
            .extra
            .get(k)
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    };
    let requested = |k: &str| match k {
        "redis" => comps.redis.unwrap_or(false),
        "mongodb" => comps.mongodb.unwrap_or(false),
        "cron" => comps.cron.unwrap_or(false),
        "minio" => comps.minio.unwrap_or(false),
        "static" => comps.static_.unwrap_or(false),
        "postgres" => comps.postgres.unwrap_or(false),
        other => extra_on(other),
    };
    let mut wc = BTreeMap::new();
    for k in WHISK_CREATE_KEYS {
        let fed: Vec<State> = TABLE
            .iter()
            .filter(|t| t.status_key == Some(k))
            .map(|t| st(t.component))
            .collect();
        let v = match k {
            _ if !fed.is_empty() => {
                if fed.len() == 1 {
                    word(&fed[0])
                } else {
                    combined(&fed)
                }
            }
            "tls" => {
                if tls_on {
                    "on"
                } else {
                    "off"
                }
            }
            "issuer" => {
                if tls_on {
                    "?"
                } else {
                    "off"
                }
            }
            k if NOT_IMPLEMENTED.contains(&k) => {
                if requested(k) {
                    "?"
                } else {
                    "off"
                }
            }
            _ => "?",
        };
        wc.insert(k.to_string(), v.to_string());
    }

    let mut wanted: Vec<(String, String, String, String)> = Vec::new();
    let mut all_ready = true;
    let mut failed = None;
    let mut waiting = None;
    for t in TABLE.iter().filter(|t| t.status_key.is_some()) {
        let c = t.component;
        let s = st(c);
        let (status, reason, message) = match &s {
            State::Disabled => (
                conditions::FALSE,
                "Disabled",
                format!("{} is switched off", c.label()),
            ),
            State::Ready => (conditions::TRUE, "Ready", format!("{} is ready", c.label())),
            State::Progressing(r, m) | State::Waiting(r, m) | State::Failed(r, m) => {
                (conditions::FALSE, *r, m.clone())
            }
        };
        if t.gates_ready {
            match &s {
                State::Failed(_, m) => {
                    all_ready = false;
                    failed.get_or_insert(format!("{}: {m}", c.label()));
                }
                State::Progressing(_, m) | State::Waiting(_, m) => {
                    all_ready = false;
                    waiting.get_or_insert(format!("{}: {m}", c.label()));
                }
                _ => {}
            }
        }
        wanted.push((
            c.condition_type().into(),
            status.into(),
            reason.into(),
            message,
        ));
    }
    let missing: Vec<&str> = NOT_IMPLEMENTED
        .iter()
        .copied()
        .filter(|k| requested(k))
        .collect();
    let conflict = (!conflicts.is_empty()).then(|| conflicts.join("; "));
    let (r_status, r_reason, r_msg) = if let Some(m) = &conflict {
        (conditions::FALSE, "Conflict", m.clone())
    } else if let Some(m) = failed {
        (conditions::FALSE, "Failed", m)
    } else if let Some(m) = waiting {
        (conditions::FALSE, "Progressing", m)
    } else if !all_ready {
        (conditions::FALSE, "Progressing", "reconciling".to_string())
    } else if missing.is_empty() {
        (
            conditions::TRUE,
            "Ready",
            "all enabled components are ready".to_string(),
        )
    } else {
        (
            conditions::TRUE,
            "ReadyWithUnsupportedComponents",
            format!(
                "ready; not deployed by this operator: {}",
                missing.join(", ")
            ),
        )
    };
    wanted.push((
        conditions::READY.into(),
        r_status.into(),
        r_reason.into(),
        r_msg,
    ));
    wanted.push(match &conflict {
        Some(m) => (
            conditions::DEGRADED.into(),
            conditions::TRUE.into(),
            "Conflict".into(),
            m.clone(),
        ),
        None => (
            conditions::DEGRADED.into(),
            conditions::FALSE.into(),
            "AsExpected".into(),
            String::new(),
        ),
    });
    let desired: Vec<Desired<'_>> = wanted
        .iter()
        .map(|(t, s, r, m)| Desired {
            type_: t,
            status: s,
            reason: r,
            message: m,
        })
        .collect();
    let conds = conditions::merge(&old.conditions, &desired, gen, now);
    let ready = r_status == conditions::TRUE;
    (
        WhiskStatus {
            whisk_create: wc,
            observed_generation: gen,
            conditions: conds,
            extra: old.extra,
        },
        ready,
    )
}

/// The status of a Whisk that is not the first in its namespace: `Ready=False` and
/// `Degraded=True` with reason `Conflict`; its `whisk_create` keys are left as they were.
pub fn namespace_conflict(w: &Whisk, message: &str, now: Timestamp) -> WhiskStatus {
    let old = w.status.clone().unwrap_or_default();
    let desired = [
        Desired {
            type_: conditions::READY,
            status: conditions::FALSE,
            reason: "Conflict",
            message,
        },
        Desired {
            type_: conditions::DEGRADED,
            status: conditions::TRUE,
            reason: "Conflict",
            message,
        },
    ];
    WhiskStatus {
        whisk_create: old.whisk_create.clone(),
        observed_generation: w.metadata.generation,
        conditions: conditions::merge(&old.conditions, &desired, w.metadata.generation, now),
        extra: old.extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whisk(extra: serde_json::Value) -> Whisk {
        let mut spec = serde_json::json!({"components": {"openwhisk": true, "couchdb": true}});
        json_merge(&mut spec, extra);
        let mut w = Whisk::new("controller", serde_json::from_value(spec).unwrap());
        w.metadata.generation = Some(3);
        w
    }

    fn json_merge(a: &mut serde_json::Value, b: serde_json::Value) {
        if let (Some(a), serde_json::Value::Object(b)) = (a.as_object_mut(), b) {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(x) if x.is_object() && v.is_object() => json_merge(x, v),
                    _ => {
                        a.insert(k, v);
                    }
                }
            }
        }
    }

    fn all(s: State) -> BTreeMap<Component, State> {
        [
            Component::Couchdb,
            Component::CouchdbInit,
            Component::Preloader,
            Component::Openwhisk,
            Component::Endpoint,
        ]
        .into_iter()
        .map(|c| (c, s.clone()))
        .collect()
    }

    #[test]
    fn ready_whisk_reports_upstream_keys() {
        let (st, ready) = compute(
            &whisk(serde_json::json!({})),
            &all(State::Ready),
            false,
            Timestamp::UNIX_EPOCH,
        );
        assert!(ready);
        assert_eq!(st.observed_generation, Some(3));
        for (k, v) in [
            ("openwhisk", "on"),
            ("couchdb", "on"),
            ("preloader", "on"),
            ("endpoint", "on"),
            ("redis", "off"),
            ("tls", "off"),
            ("invoker", "?"),
            ("kafka", "?"),
            ("zookeeper", "?"),
        ] {
            assert_eq!(st.whisk_create[k], v, "{k}");
        }
        assert_eq!(st.whisk_create.len(), 17);
        assert!(conditions::is_true(&st.conditions, "Ready"));
        assert!(conditions::is_true(&st.conditions, "CouchDBReady"));
    }

    #[test]
    fn progress_and_failure_hold_ready_back() {
        let mut s = all(State::Ready);
        s.insert(
            Component::CouchdbInit,
            State::Progressing("JobRunning", "couchdb-init is running".into()),
        );
        let (st, ready) = compute(
            &whisk(serde_json::json!({})),
            &s,
            false,
            Timestamp::UNIX_EPOCH,
        );
        assert!(!ready);
        assert_eq!(st.whisk_create["couchdb"], "?");
        let r = conditions::find(&st.conditions, "Ready").unwrap();
        assert_eq!(
            (r.reason.as_str(), r.message.as_str()),
            ("Progressing", "couchdb-init: couchdb-init is running")
        );
        s.insert(Component::Openwhisk, State::Failed("Failed", "boom".into()));
        let (st, ready) = compute(
            &whisk(serde_json::json!({})),
            &s,
            false,
            Timestamp::UNIX_EPOCH,
        );
        assert!(!ready);
        assert_eq!(st.whisk_create["openwhisk"], "error");
        assert_eq!(
            conditions::find(&st.conditions, "Ready").unwrap().reason,
            "Failed"
        );
    }

    #[test]
    fn preloader_does_not_hold_ready_back_and_unsupported_components_are_named() {
        let mut s = all(State::Ready);
        s.insert(
            Component::Preloader,
            State::Progressing("JobRunning", "pulling".into()),
        );
        let (st, ready) = compute(
            &whisk(serde_json::json!({"components": {"redis": true}})),
            &s,
            false,
            Timestamp::UNIX_EPOCH,
        );
        assert!(ready);
        assert_eq!(st.whisk_create["redis"], "?");
        let r = conditions::find(&st.conditions, "Ready").unwrap();
        assert_eq!(r.reason, "ReadyWithUnsupportedComponents");
        assert!(r.message.contains("redis"));
    }

    #[test]
    fn steady_state_is_identical() {
        let mut w = whisk(serde_json::json!({}));
        let (first, _) = compute(
            &w,
            &all(State::Ready),
            false,
            Timestamp::from_second(10).unwrap(),
        );
        w.status = Some(first.clone());
        let (second, _) = compute(
            &w,
            &all(State::Ready),
            false,
            Timestamp::from_second(99).unwrap(),
        );
        assert_eq!(first, second);
    }

    #[test]
    fn conflicts_make_the_whisk_degraded() {
        let (st, ready) = compute_with(
            &whisk(serde_json::json!({})),
            &all(State::Ready),
            false,
            &["job couchdb-init needs recreating but is not ours".to_string()],
            Timestamp::UNIX_EPOCH,
        );
        assert!(!ready);
        let r = conditions::find(&st.conditions, "Ready").unwrap();
        assert_eq!(
            (r.status.as_str(), r.reason.as_str()),
            ("False", "Conflict")
        );
        let d = conditions::find(&st.conditions, "Degraded").unwrap();
        assert_eq!((d.status.as_str(), d.reason.as_str()), ("True", "Conflict"));
        let (st, _) = compute(
            &whisk(serde_json::json!({})),
            &all(State::Ready),
            false,
            Timestamp::UNIX_EPOCH,
        );
        let d = conditions::find(&st.conditions, "Degraded").unwrap();
        assert_eq!(
            (d.status.as_str(), d.reason.as_str()),
            ("False", "AsExpected")
        );
    }

    #[test]
    fn a_second_whisk_keeps_its_keys_and_reports_conflict() {
        let w = whisk(serde_json::json!({}));
        let st = namespace_conflict(&w, "Whisk first already runs", Timestamp::UNIX_EPOCH);
        let r = conditions::find(&st.conditions, "Ready").unwrap();
        assert_eq!(
            (r.status.as_str(), r.reason.as_str()),
            ("False", "Conflict")
        );
        assert!(st.whisk_create.is_empty());
        assert_eq!(st.observed_generation, Some(3));
    }

    #[test]
    fn waiting_components_hold_ready_back_with_their_reason() {
        let mut s = all(State::Ready);
        s.insert(
            Component::Endpoint,
            State::Waiting("WaitingForLoadBalancer", "no address".into()),
        );
        let (st, ready) = compute(
            &whisk(serde_json::json!({})),
            &s,
            false,
            Timestamp::UNIX_EPOCH,
        );
        assert!(!ready);
        assert_eq!(st.whisk_create["endpoint"], "?");
        assert_eq!(
            conditions::find(&st.conditions, "EndpointReady")
                .unwrap()
                .reason,
            "WaitingForLoadBalancer"
        );
    }
}
