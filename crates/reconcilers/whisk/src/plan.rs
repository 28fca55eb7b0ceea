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

//! The pure middle of a reconcile: what to write, given what [`crate::observe`] saw.
//!
//! [`plan`] walks the component table ([`crate::components::TABLE`]) in order. A component
//! switched off contributes nothing (the runtime's inventory prunes what it had). A component
//! whose dependencies are not Ready yet (and that is not deployed already) waits. Otherwise its
//! rendered objects are applied, except a Job whose immutable pod template changed: that one is
//! deleted first (owner-checked) and created again by a later reconcile. The plan also carries
//! the `cm/config` annotations to change, the generated credentials to store, the side effects
//! to run, each component's state, and whether the Whisk wants to be polled.

use crate::components::{Component, Live, SideEffect, View, TABLE};
use crate::error::Result;
use crate::render::{of_component, render};
use crate::requeue::Wake;
use crate::resolve::{RenderInput, Settings};
use crate::secrets::{self, generated_secret_name, Generate};
use crate::settings::{ClusterFacts, OperatorConfig};
use crate::state::State;
use base64::Engine as _;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use nuvolaris_api::whisk::Whisk;
use nuvolaris_runtime::applier::contains;
use nuvolaris_runtime::owned::{foreign_reason, is_owned};
use nuvolaris_runtime::{kinds, ChildKind, Owner, Served};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Annotation on `cm/config` holding the api host URL (upstream contract).
pub const APIHOST_ANNOTATION: &str = "apihost";
/// Label on the generated-credentials Secret naming its Whisk.
pub const WHISK_LABEL: &str = "nuvolaris.org/whisk";

/// What `observe` read: cluster facts and live children.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    /// Name of the Whisk that holds the namespace when it is not this one (one Whisk per
    /// namespace: the oldest wins).
    pub holder: Option<String>,
    /// Kube flavour and ingress load-balancer address.
    pub facts: ClusterFacts,
    /// `runtimes.json` of `cm/openwhisk-runtimes` (the shipped default when absent).
    pub runtimes_json: String,
    /// Data of the generated-credentials Secret; `None` when it does not exist.
    pub stored: Option<BTreeMap<String, String>>,
    /// Annotations of `cm/config`; `None` when it does not exist.
    pub config: Option<BTreeMap<String, String>>,
    /// Live StatefulSets and Jobs of the namespace.
    pub live: Live,
    /// Optional kinds the cluster serves.
    pub served: Served,
}

/// An owner-checked delete the plan asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delete {
    /// Kind of the object.
    pub kind: ChildKind,
    /// Its name (in the Whisk's namespace).
    pub name: String,
    /// The component it belongs to.
    pub component: Component,
}

/// Everything one reconcile writes, and the status it reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Set when another Whisk holds the namespace: nothing else is planned, nothing is written.
    pub conflict: Option<String>,
    /// The generated-credentials Secret to apply (no ownerReference: it outlives the Whisk).
    pub store_secret: Option<Value>,
    /// Objects to apply (and keep: the rest of the inventory is pruned), in component order.
    pub apply: Vec<Value>,
    /// Objects of optional kinds to apply (their kinds are served).
    pub optional: Vec<Value>,
    /// The optional kinds the cluster serves (their inventory is pruned to [`Plan::optional`]).
    pub served_optional: Vec<ChildKind>,
    /// Owner-checked deletes (Jobs whose template changed).
    pub deletes: Vec<Delete>,
    /// Annotations of `cm/config` to set (`Some`) or remove (`None`); only changed keys.
    pub annotations: BTreeMap<String, Option<String>>,
    /// Side effects of Ready components.
    pub effects: Vec<SideEffect>,
    /// State of every component.
    pub states: BTreeMap<Component, State>,
    /// Objects found to belong to someone else (never written or deleted).
    pub conflicts: Vec<String>,
    /// Whether TLS is on for the endpoint.
    pub tls_on: bool,
    /// Whether to poll.
    pub wake: Wake,
}

/// The metadata of a live object (JSON).
fn meta_of(v: &Value) -> ObjectMeta {
    serde_json::from_value(v["metadata"].clone()).unwrap_or_default()
}

/// The effective settings of `w` for the observed facts (no secrets needed).
pub fn settings_of(w: &Whisk, operator: &OperatorConfig, obs: &Observed) -> Settings {
    let (sec, _) = secrets::resolve_with(&w.spec, &BTreeMap::new(), &Generate::Placeholder);
    Settings::compute(&RenderInput {
        whisk: w,
        secrets: &sec,
        facts: &obs.facts,
        operator,
        runtimes_json: &obs.runtimes_json,
    })
}

/// The generated-credentials Secret holding `store` (data base64-encoded, as the server returns it).
pub fn generated_secret(w: &Whisk, store: &BTreeMap<String, String>) -> Value {
    let name = w.metadata.name.clone().unwrap_or_default();
    let data: serde_json::Map<String, Value> = store
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                json!(base64::engine::general_purpose::STANDARD.encode(v)),
            )
        })
        .collect();
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": generated_secret_name(&name),
            "namespace": w.metadata.namespace,
            "labels": { WHISK_LABEL: name },
        },
        "type": "Opaque",
        "data": Value::Object(data),
    })
}

/// Plans one reconcile of `w` (owned by `owner`) from `obs`; `generate` makes missing credentials.
pub fn plan(
    w: &Whisk,
    owner: &Owner,
    operator: &OperatorConfig,
    generate: &Generate,
    obs: &Observed,
) -> Result<Plan> {
    let mut p = Plan::default();
    if let Some(h) = &obs.holder {
        p.conflict = Some(format!(
            "Whisk {h} already runs in namespace {}: one Whisk per namespace; this one makes no changes",
            w.metadata.namespace.as_deref().unwrap_or_default()
        ));
        return Ok(p);
    }
    let stored = obs.stored.clone().unwrap_or_default();
    let (sec, store) = secrets::resolve_with(&w.spec, &stored, generate);
    if store != stored {
        p.store_secret = Some(generated_secret(w, &store));
    }
    let input = RenderInput {
        whisk: w,
        secrets: &sec,
        facts: &obs.facts,
        operator,
        runtimes_json: &obs.runtimes_json,
    };
    let settings = Settings::compute(&input);
    let rendered = render(&input)?;
    let view = View {
        settings: &settings,
        live: &obs.live,
        config_exists: obs.config.is_some(),
        served: &obs.served,
    };

    p.served_optional = crate::components::OPTIONAL_KINDS
        .iter()
        .filter(|k| obs.served.has(k))
        .cloned()
        .collect();
    let mut included: BTreeMap<Component, bool> = BTreeMap::new();
    for spec in TABLE.iter() {
        let c = spec.component;
        if !(spec.enabled)(&input) {
            p.states.insert(c, State::Disabled);
            included.insert(c, false);
            continue;
        }
        let state_of = |d: &Component| p.states.get(d).cloned().unwrap_or(State::Disabled);
        let unmet: Vec<(Component, State)> = spec
            .depends_on
            .iter()
            .map(|d| (*d, state_of(d)))
            .filter(|(_, s)| !matches!(s, State::Ready | State::Disabled))
            .collect();
        let deployed = spec
            .anchor
            .is_some_and(|(k, n)| obs.live.get(k, n).is_some());
        if !unmet.is_empty() && !deployed {
            let names: Vec<&str> = unmet.iter().map(|(d, _)| d.label()).collect();
            let failed = unmet
                .iter()
                .any(|(_, s)| matches!(s, State::Failed(..) | State::Waiting(..)));
            let msg = format!("waiting for {}", names.join(", "));
            p.states.insert(
                c,
                if failed {
                    State::Waiting("DependencyNotReady", msg)
                } else {
                    State::Progressing("Waiting", msg)
                },
            );
            included.insert(c, false);
            continue;
        }
        included.insert(c, true);
        let mut recreating = None;
        for o in of_component(&rendered, c) {
            if o["kind"] == "Job" {
                let name = o["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                if let Some(live) = obs.live.get("Job", &name) {
                    let meta = meta_of(live);
                    if !contains(&live["spec"]["template"], &o["spec"]["template"]) {
                        if !is_owned(owner, &meta) {
                            let m = format!(
                                "job {name} needs recreating but is not ours: {}",
                                foreign_reason(&meta)
                            );
                            p.conflicts.push(m.clone());
                            recreating = Some(State::Failed("Conflict", m));
                        } else {
                            if meta.deletion_timestamp.is_none() {
                                p.deletes.push(Delete {
                                    kind: kinds::JOB,
                                    name: name.clone(),
                                    component: c,
                                });
                            }
                            recreating = Some(State::Progressing(
                                "Recreating",
                                format!("job {name} changed and is being recreated"),
                            ));
                        }
                        continue;
                    }
                }
            }
            p.apply.push(o);
        }
        let optional = (spec.optional_objects)(&settings);
        for o in optional {
            if kind_of(&o).is_some_and(|k| obs.served.has(&k)) {
                p.optional.push(o);
            }
        }
        let state = recreating.unwrap_or_else(|| (spec.readiness)(&view));
        if state == State::Ready {
            p.effects.extend((spec.effects)(&settings));
        }
        p.states.insert(c, state);
    }

    // cm/config annotations: the api host while the endpoint is on, none when it is off
    if let Some(cur) = &obs.config {
        let want = match (
            included.get(&Component::Endpoint).copied().unwrap_or(false),
            p.states.get(&Component::Endpoint),
        ) {
            (_, Some(State::Disabled)) => Some(None),
            (true, _) => settings.apihost.as_ref().map(|a| Some(a.url())),
            _ => None,
        };
        if let Some(v) = want {
            if cur.get(APIHOST_ANNOTATION) != v.as_ref() {
                p.annotations.insert(APIHOST_ANNOTATION.to_string(), v);
            }
        }
    }
    p.tls_on = settings.tls && p.states.get(&Component::Endpoint) != Some(&State::Disabled);
    p.wake = if p
        .states
        .values()
        .any(|s| matches!(s, State::Progressing(..)))
    {
        Wake::Poll
    } else {
        Wake::OnChange
    };
    Ok(p)
}

/// The optional [`ChildKind`] of an object (from its apiVersion and kind), if it is one.
pub fn kind_of(o: &Value) -> Option<ChildKind> {
    let av = o["apiVersion"].as_str().unwrap_or_default();
    let k = o["kind"].as_str().unwrap_or_default();
    crate::components::OPTIONAL_KINDS
        .iter()
        .find(|c| c.api_version() == av && c.kind == k)
        .cloned()
}

/// A fingerprint of the component states (progress restarts the backoff).
pub fn fingerprint(states: &BTreeMap<Component, State>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{states:?}").hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::endpoint::{MIDDLEWARE, ROUTE};
    use crate::render::DEFAULT_RUNTIMES_JSON;
    use rstest::rstest;

    const MINIMAL: &str = include_str!("../testdata/whisk-minimal.yaml");

    fn whisk(patch: Value) -> Whisk {
        let mut doc: Value = nuvolaris_kustomize::yaml::parse_documents(MINIMAL, "minimal")
            .unwrap()
            .remove(0);
        json_patch::merge(&mut doc["spec"], &patch);
        let mut w: Whisk = serde_json::from_value(doc).unwrap();
        w.metadata.uid = Some("uid-1".into());
        w
    }

    fn sts(name: &str, ready: bool) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name},
               "spec": {"replicas": 1}, "status": {"readyReplicas": if ready { 1 } else { 0 }}})
    }

    /// A live Job as the plan would apply it, with `status` and optional foreign metadata.
    fn job(w: &Whisk, name: &str, status: Value, owned: bool) -> Value {
        let obs = observed(vec![]);
        let (sec, _) = secrets::resolve_with(&w.spec, &BTreeMap::new(), &Generate::Placeholder);
        let op = OperatorConfig::default();
        let objs = render(&RenderInput {
            whisk: w,
            secrets: &sec,
            facts: &obs.facts,
            operator: &op,
            runtimes_json: DEFAULT_RUNTIMES_JSON,
        })
        .unwrap();
        let mut j = objs
            .into_iter()
            .find(|o| o["kind"] == "Job" && o["metadata"]["name"] == name)
            .unwrap();
        j["status"] = status;
        if owned {
            j["metadata"]["labels"][nuvolaris_runtime::applier::PART_OF_LABEL] =
                json!(Owner::of(w).applyset_id());
        } else {
            j["metadata"]["ownerReferences"] = json!([{"apiVersion": "batch/v1", "kind": "CronJob",
                "name": "someone", "uid": "other", "controller": true}]);
        }
        j
    }

    fn complete() -> Value {
        json!({"conditions": [{"type": "Complete", "status": "True"}], "succeeded": 1})
    }

    fn failed() -> Value {
        json!({"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                               "message": "Job has reached the specified backoff limit"}]})
    }

    fn observed(live: Vec<Value>) -> Observed {
        Observed {
            runtimes_json: DEFAULT_RUNTIMES_JSON.to_string(),
            config: Some(BTreeMap::new()),
            live: Live::from_objects(live),
            ..Default::default()
        }
    }

    fn run(w: &Whisk, obs: &Observed) -> Plan {
        plan(
            w,
            &Owner::of(w),
            &OperatorConfig::default(),
            &Generate::Placeholder,
            obs,
        )
        .unwrap()
    }

    fn applied(p: &Plan) -> Vec<String> {
        p.apply
            .iter()
            .chain(&p.optional)
            .map(|o| {
                format!(
                    "{}/{}",
                    o["kind"].as_str().unwrap(),
                    o["metadata"]["name"].as_str().unwrap()
                )
            })
            .collect()
    }

    fn reason(p: &Plan, c: Component) -> &'static str {
        match &p.states[&c] {
            State::Disabled => "Disabled",
            State::Ready => "Ready",
            State::Progressing(r, _) | State::Waiting(r, _) | State::Failed(r, _) => r,
        }
    }

    #[test]
    fn a_fresh_namespace_gets_couchdb_first_and_polls() {
        let w = whisk(json!({}));
        let p = run(&w, &observed(vec![]));
        let a = applied(&p);
        assert!(a.contains(&"StatefulSet/couchdb".to_string()), "{a:?}");
        assert!(a.contains(&"Job/preload-runtimes".to_string()), "{a:?}");
        assert!(
            !a.iter().any(|x| x == "Job/couchdb-init"
                || x == "StatefulSet/controller"
                || x.starts_with("Ingress/")),
            "{a:?}"
        );
        assert_eq!(reason(&p, Component::CouchdbInit), "Waiting");
        assert_eq!(reason(&p, Component::Openwhisk), "Waiting");
        assert_eq!(p.wake, Wake::Poll);
        assert!(
            p.annotations.is_empty(),
            "nothing annotated before the endpoint"
        );
    }

    #[rstest]
    #[case::couchdb_ready(false, &["Job/couchdb-init"], &["StatefulSet/controller"])]
    #[case::init_complete(true, &["StatefulSet/controller", "Ingress/apihost"], &[])]
    fn components_follow_their_dependencies(
        #[case] init_complete: bool,
        #[case] want: &[&str],
        #[case] not: &[&str],
    ) {
        let w = whisk(json!({}));
        let mut live = vec![sts("couchdb", true)];
        if init_complete {
            live.push(job(&w, "couchdb-init", complete(), true));
        }
        let p = run(&w, &observed(live));
        let a = applied(&p);
        for x in want {
            assert!(a.contains(&x.to_string()), "{x} missing from {a:?}");
        }
        for x in not {
            assert!(!a.contains(&x.to_string()), "{x} in {a:?}");
        }
    }

    #[test]
    fn the_endpoint_annotates_cm_config_and_removes_it_when_off() {
        let w = whisk(json!({}));
        let live = vec![
            sts("couchdb", true),
            job(&w, "couchdb-init", complete(), true),
        ];
        let p = run(&w, &observed(live.clone()));
        assert_eq!(
            p.annotations,
            [(
                APIHOST_ANNOTATION.to_string(),
                Some("http://localhost:3233".to_string())
            )]
            .into()
        );
        let mut obs = observed(live);
        obs.config = Some(
            [(
                APIHOST_ANNOTATION.to_string(),
                "http://localhost:3233".to_string(),
            )]
            .into(),
        );
        assert!(
            run(&w, &obs).annotations.is_empty(),
            "steady state: no patch"
        );
        let off = whisk(json!({"components": {"openwhisk": false}}));
        assert_eq!(
            run(&off, &obs).annotations,
            [(APIHOST_ANNOTATION.to_string(), None)].into()
        );
    }

    #[test]
    fn a_second_whisk_in_the_namespace_plans_nothing() {
        let w = whisk(json!({}));
        let obs = Observed {
            holder: Some("first".into()),
            ..observed(vec![sts("couchdb", true)])
        };
        let p = run(&w, &obs);
        assert!(p.conflict.as_deref().unwrap().contains("Whisk first"));
        assert!(p.apply.is_empty() && p.deletes.is_empty() && p.annotations.is_empty());
        assert!(p.store_secret.is_none());
    }

    #[rstest]
    #[case::ours(true, 1, 0, "Recreating")]
    #[case::foreign(false, 0, 1, "Conflict")]
    fn a_changed_job_is_recreated_only_when_ours(
        #[case] owned: bool,
        #[case] deletes: usize,
        #[case] conflicts: usize,
        #[case] want: &str,
    ) {
        let w = whisk(json!({}));
        let mut old = job(&w, "couchdb-init", complete(), owned);
        old["spec"]["template"]["spec"]["containers"][0]["image"] = json!("old-image");
        let p = run(&w, &observed(vec![sts("couchdb", true), old]));
        assert_eq!(p.deletes.len(), deletes);
        assert_eq!(p.conflicts.len(), conflicts);
        assert_eq!(reason(&p, Component::CouchdbInit), want);
        assert!(!applied(&p).contains(&"Job/couchdb-init".to_string()));
        // the controller waits for the init job again
        assert!(!applied(&p).contains(&"StatefulSet/controller".to_string()));
    }

    #[test]
    fn a_job_failed_for_good_is_terminal_not_polled() {
        let w = whisk(json!({}));
        let live = vec![
            sts("couchdb", true),
            job(&w, "couchdb-init", failed(), true),
            job(&w, "preload-runtimes", complete(), true),
        ];
        let p = run(&w, &observed(live));
        match &p.states[&Component::CouchdbInit] {
            State::Failed("JobFailed", m) => assert!(m.contains("backoff limit"), "{m}"),
            s => panic!("{s:?}"),
        }
        assert_eq!(reason(&p, Component::Openwhisk), "DependencyNotReady");
        assert_eq!(
            p.wake,
            Wake::OnChange,
            "no requeue: the Job's watch event wakes it"
        );
    }

    #[rstest]
    #[case::k3s_served("k3s", true, &["Middleware/nuvolaris-apihost-api-ingress-add-prefix", "Ingress/apihost"], "Ready")]
    #[case::k3s_missing("k3s", false, &["Ingress/apihost"], "MissingCRD")]
    #[case::openshift_served("openshift", true, &["Route/apihost", "Route/apihost-my", "Route/apihost-info"], "Ready")]
    #[case::openshift_missing("openshift", false, &[], "MissingCRD")]
    fn optional_kinds_are_applied_only_when_served(
        #[case] kube: &str,
        #[case] served: bool,
        #[case] want: &[&str],
        #[case] endpoint: &str,
    ) {
        let w = whisk(json!({"nuvolaris": {"kube": kube, "apihost": "api.example.org"}}));
        let mut obs = observed(vec![
            sts("couchdb", true),
            job(&w, "couchdb-init", complete(), true),
        ]);
        if served {
            obs.served = Served::of(&[MIDDLEWARE, ROUTE]);
        }
        let p = run(&w, &obs);
        let a = applied(&p);
        for x in want {
            assert!(a.contains(&x.to_string()), "{x} missing from {a:?}");
        }
        if kube == "openshift" {
            assert!(!a.iter().any(|x| x.starts_with("Ingress/")), "{a:?}");
        }
        if !served {
            assert!(p.optional.is_empty());
        }
        assert_eq!(reason(&p, Component::Endpoint), endpoint);
    }

    #[test]
    fn generated_credentials_are_stored_once() {
        let w = whisk(json!({"couchdb": {"controller": {"password": null}}}));
        let p = run(&w, &observed(vec![]));
        let s = p.store_secret.expect("the generated password is stored");
        assert_eq!(s["metadata"]["name"], "controller-whisk-generated");
        assert!(s["metadata"].get("ownerReferences").is_none());
        let stored: BTreeMap<String, String> = s["data"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                let b = base64::engine::general_purpose::STANDARD
                    .decode(v.as_str().unwrap())
                    .unwrap();
                (k.clone(), String::from_utf8(b).unwrap())
            })
            .collect();
        let mut obs = observed(vec![]);
        obs.stored = Some(stored);
        assert!(run(&w, &obs).store_secret.is_none());
    }
}
