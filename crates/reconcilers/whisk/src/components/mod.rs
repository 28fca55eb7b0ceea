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

//! The components of a Whisk and the table that drives the engine.
//!
//! A component is one module (its kustomize base, overlay contribution and readiness) and one
//! entry of [`TABLE`]: name, `whisk_create` status key, condition, dependencies, whether it is
//! switched on, its render contribution, its readiness and its side effects. The reconciler's
//! `plan` walks the table in order; nothing else lists components. Adding a component means a
//! module, a [`Component`] variant and a table entry.

pub mod controller;
pub mod couchdb;
pub mod endpoint;
pub mod init_job;
pub mod preloader;

use crate::error::Result;
use crate::overlay::Overlay;
use crate::resolve::{RenderInput, Settings};
use crate::status::State;
use nuvolaris_runtime::Served;
use serde_json::Value;
use std::collections::BTreeMap;

/// Label every rendered object carries to say which component it belongs to.
pub const COMPONENT_LABEL: &str = "nuvolaris.org/component";

/// A deployable component, in apply order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// Shared credentials Secret `couchdb-auth` (content-hash suffixed).
    Credentials,
    /// CouchDB StatefulSet and Services.
    Couchdb,
    /// The `couchdb-init` Job.
    CouchdbInit,
    /// The `preload-runtimes` Job.
    Preloader,
    /// The standalone controller StatefulSet and Services.
    Openwhisk,
    /// The api host Ingresses (or Routes), their Middlewares and the `apihost` annotation.
    Endpoint,
}

/// Live children the engine looks at, by (kind, name).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Live {
    /// Objects keyed by (kind, name).
    pub objects: BTreeMap<(String, String), Value>,
}

impl Live {
    /// Live children from a list of objects (each with `kind` and `metadata.name`).
    pub fn from_objects(objs: impl IntoIterator<Item = Value>) -> Self {
        let mut objects = BTreeMap::new();
        for o in objs {
            let kind = o["kind"].as_str().unwrap_or_default().to_string();
            let name = o["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            objects.insert((kind, name), o);
        }
        Self { objects }
    }

    /// The live `kind`/`name`.
    pub fn get(&self, kind: &str, name: &str) -> Option<&Value> {
        self.objects.get(&(kind.to_string(), name.to_string()))
    }
}

/// What a readiness check may look at.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    /// Effective settings of the render.
    pub settings: &'a Settings,
    /// Live children.
    pub live: &'a Live,
    /// Whether `cm/config` exists.
    pub config_exists: bool,
    /// Optional kinds the cluster serves.
    pub served: &'a Served,
}

/// A side effect a component asks the operator process to run (idempotent, with a timeout).
/// None of today's components has one (CouchDB is prepared by the `couchdb-init` Job); Redis
/// ACLs, MinIO buckets and the users metadata document will.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideEffect {
    /// The component running it.
    pub component: Component,
    /// What it does, for logs and status.
    pub name: &'static str,
    /// Address of the service it talks to (from [`crate::services::resolve`]).
    pub address: String,
    /// Fingerprint of its inputs: it reruns only when this changes.
    pub fingerprint: String,
}

/// One entry of [`TABLE`].
#[derive(Clone, Copy)]
pub struct Spec {
    /// The component.
    pub component: Component,
    /// Value of [`COMPONENT_LABEL`] on its objects.
    pub label: &'static str,
    /// The `whisk_create` key it reports into (several components may share one).
    pub status_key: Option<&'static str>,
    /// Condition type reported for it.
    pub condition: &'static str,
    /// Components that must be Ready (or switched off) before it is applied.
    pub depends_on: &'static [Component],
    /// Object (kind, name) whose existence means the component is already deployed: it stays
    /// applied even while a dependency is not Ready any more.
    pub anchor: Option<(&'static str, &'static str)>,
    /// Whether it holds the Whisk's `Ready` back.
    pub gates_ready: bool,
    /// Whether the spec switches it on.
    pub enabled: fn(&RenderInput<'_>) -> bool,
    /// Adds its base, images, patches and generators to the overlay.
    pub contribute: fn(&RenderInput<'_>, &Settings, &mut Overlay) -> Result<()>,
    /// Objects of optional kinds it applies when their CRD is served (never through kustomize).
    pub optional_objects: fn(&Settings) -> Vec<Value>,
    /// Its state from the live children (it is switched on and applied).
    pub readiness: fn(&View<'_>) -> State,
    /// Side effects to run once it is Ready.
    pub effects: fn(&Settings) -> Vec<SideEffect>,
}

impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spec")
            .field("component", &self.component)
            .finish_non_exhaustive()
    }
}

fn no_objects(_: &Settings) -> Vec<Value> {
    Vec::new()
}

fn no_effects(_: &Settings) -> Vec<SideEffect> {
    Vec::new()
}

fn always_ready(_: &View<'_>) -> State {
    State::Ready
}

/// Every component, in apply order.
pub const TABLE: [Spec; 6] = [
    Spec {
        component: Component::Credentials,
        label: "credentials",
        status_key: None,
        condition: "Credentials",
        depends_on: &[],
        anchor: None,
        gates_ready: false,
        enabled: |i| i.whisk.spec.components.couchdb || i.whisk.spec.components.openwhisk,
        contribute: |i, _, o| couchdb::credentials(i, o),
        optional_objects: no_objects,
        readiness: always_ready,
        effects: no_effects,
    },
    Spec {
        component: Component::Couchdb,
        label: "couchdb",
        status_key: Some("couchdb"),
        condition: "CouchDBReady",
        depends_on: &[],
        anchor: None,
        gates_ready: true,
        enabled: |i| i.whisk.spec.components.couchdb,
        contribute: couchdb::contribute,
        optional_objects: no_objects,
        readiness: |v| statefulset_state(v.live, "couchdb"),
        effects: no_effects,
    },
    Spec {
        component: Component::CouchdbInit,
        label: "couchdb-init",
        status_key: Some("couchdb"),
        condition: "CouchDBInitialized",
        depends_on: &[Component::Couchdb],
        anchor: Some(("Job", init_job::JOB_NAME)),
        gates_ready: true,
        enabled: |i| i.whisk.spec.components.couchdb,
        contribute: init_job::contribute,
        optional_objects: no_objects,
        readiness: |v| job_status(v.live, init_job::JOB_NAME),
        effects: no_effects,
    },
    Spec {
        component: Component::Preloader,
        label: "preloader",
        status_key: Some("preloader"),
        condition: "RuntimesPreloaded",
        depends_on: &[],
        anchor: None,
        // it only pre-pulls images
        gates_ready: false,
        enabled: |i| i.whisk.spec.components.openwhisk,
        contribute: |i, _, o| preloader::contribute(i, o),
        optional_objects: no_objects,
        readiness: |v| job_status(v.live, preloader::JOB_NAME),
        effects: no_effects,
    },
    Spec {
        component: Component::Openwhisk,
        label: "openwhisk",
        status_key: Some("openwhisk"),
        condition: "OpenWhiskReady",
        depends_on: &[Component::CouchdbInit],
        anchor: Some(("StatefulSet", "controller")),
        gates_ready: true,
        // upstream deploys nothing when `components.invoker` is set (the invoker is not
        // implemented); here the standalone controller follows `components.openwhisk` alone
        enabled: |i| i.whisk.spec.components.openwhisk,
        contribute: controller::contribute,
        optional_objects: no_objects,
        readiness: |v| statefulset_state(v.live, "controller"),
        effects: no_effects,
    },
    Spec {
        component: Component::Endpoint,
        label: "endpoint",
        status_key: Some("endpoint"),
        condition: "EndpointReady",
        depends_on: &[Component::CouchdbInit],
        anchor: Some(("StatefulSet", "controller")),
        gates_ready: true,
        enabled: |i| i.whisk.spec.components.openwhisk,
        contribute: |_, s, o| endpoint::contribute(s, o),
        optional_objects: endpoint::optional_objects,
        readiness: endpoint::readiness,
        effects: no_effects,
    },
];

impl Component {
    /// Every component in apply order.
    pub const ALL: [Component; 6] = [
        Component::Credentials,
        Component::Couchdb,
        Component::CouchdbInit,
        Component::Preloader,
        Component::Openwhisk,
        Component::Endpoint,
    ];

    /// Its entry of [`TABLE`].
    pub fn spec(self) -> &'static Spec {
        TABLE
            .iter()
            .find(|s| s.component == self)
            .unwrap_or(&TABLE[0])
    }

    /// Value of [`COMPONENT_LABEL`].
    pub fn label(self) -> &'static str {
        self.spec().label
    }

    /// Condition type reported for this component.
    pub fn condition_type(self) -> &'static str {
        self.spec().condition
    }

    /// The component of a rendered object, from its [`COMPONENT_LABEL`].
    pub fn of(obj: &Value) -> Option<Component> {
        let l = obj
            .pointer("/metadata/labels")?
            .get(COMPONENT_LABEL)?
            .as_str()?;
        TABLE.iter().find(|s| s.label == l).map(|s| s.component)
    }

    /// Whether the spec switches this component on.
    pub fn enabled(self, input: &RenderInput<'_>) -> bool {
        (self.spec().enabled)(input)
    }

    /// Adds this component's base, images, patches and generators to the overlay.
    pub fn contribute(self, input: &RenderInput<'_>, s: &Settings, o: &mut Overlay) -> Result<()> {
        (self.spec().contribute)(input, s, o)
    }
}

/// Progress of a Job from its status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobState {
    /// No such Job.
    Absent,
    /// Running or pending.
    Running,
    /// Completed successfully.
    Complete,
    /// Failed for good (message).
    Failed(String),
}

/// The state of a live Job (as JSON).
pub fn job_state(job: Option<&Value>) -> JobState {
    let Some(job) = job else {
        return JobState::Absent;
    };
    let st = &job["status"];
    for c in st["conditions"].as_array().into_iter().flatten() {
        let is = |t: &str| c["type"] == t && c["status"] == "True";
        if is("Complete") {
            return JobState::Complete;
        }
        if is("Failed") {
            let m = c["message"]
                .as_str()
                .filter(|m| !m.is_empty())
                .or(c["reason"].as_str())
                .unwrap_or_default();
            return JobState::Failed(m.to_string());
        }
    }
    if st["succeeded"].as_i64().unwrap_or(0) > 0 {
        JobState::Complete
    } else {
        JobState::Running
    }
}

/// Whether a live StatefulSet has its wanted replicas (at least one) ready.
pub fn sts_ready(sts: Option<&Value>) -> bool {
    let Some(s) = sts else { return false };
    let want = s["spec"]["replicas"].as_i64().unwrap_or(1);
    s["status"]["readyReplicas"].as_i64().unwrap_or(0) >= want.max(1)
}

/// The state of a component whose readiness is StatefulSet `name`.
pub fn statefulset_state(live: &Live, name: &str) -> State {
    if sts_ready(live.get("StatefulSet", name)) {
        State::Ready
    } else {
        State::Progressing(
            "StatefulSetNotReady",
            format!("waiting for statefulset {name} to be ready"),
        )
    }
}

/// The state of a component whose readiness is Job `name`: a failed Job is terminal.
pub fn job_status(live: &Live, name: &str) -> State {
    match job_state(live.get("Job", name)) {
        JobState::Complete => State::Ready,
        JobState::Failed(m) => State::Failed("JobFailed", format!("job {name} failed: {m}")),
        JobState::Absent => {
            State::Progressing("JobPending", format!("job {name} is being created"))
        }
        JobState::Running => State::Progressing("JobRunning", format!("job {name} is running")),
    }
}

/// Adds an `images:` entry replacing base image `base` with `image` (`repo[:tag]` or `repo@digest`).
pub(crate) fn set_image(o: &mut Overlay, base: &str, image: &str) {
    let (name, tag, digest) = crate::settings::split_image(image);
    o.images.push(crate::overlay::Image {
        name: base.to_string(),
        new_name: Some(name),
        new_tag: tag,
        digest,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn job(v: Value) -> Value {
        json!({"metadata": {"name": "j"}, "status": v})
    }

    #[rstest]
    #[case(json!({}), JobState::Running)]
    #[case(json!({"succeeded": 1}), JobState::Complete)]
    #[case(json!({"conditions": [{"type": "Complete", "status": "True"}]}), JobState::Complete)]
    #[case(json!({"conditions": [{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]}), JobState::Failed("BackoffLimitExceeded".into()))]
    fn job_states(#[case] status: Value, #[case] want: JobState) {
        assert_eq!(job_state(Some(&job(status))), want);
    }

    #[test]
    fn every_component_has_one_table_entry_and_label() {
        for c in Component::ALL {
            assert_eq!(
                TABLE.iter().filter(|s| s.component == c).count(),
                1,
                "{c:?}"
            );
            let obj = json!({"metadata": {"labels": {COMPONENT_LABEL: c.label()}}});
            assert_eq!(Component::of(&obj), Some(c));
        }
    }
}
