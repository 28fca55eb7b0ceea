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

mod common;

pub use common::{
    job_state, job_status, set_image, statefulset_state, sts_ready, Component, JobState, Live,
    SideEffect, View, COMPONENT_LABEL, CREDENTIALS_LABEL,
};

use crate::error::Result;
use crate::overlay::Overlay;
use crate::resolve::{RenderInput, Settings};
use crate::state::State;
use endpoint::{MIDDLEWARE, ROUTE};
use nuvolaris_runtime::ChildKind;
use serde_json::Value;

/// Kinds the Whisk applies only when the cluster serves them (never watched).
pub const OPTIONAL_KINDS: [ChildKind; 2] = [MIDDLEWARE, ROUTE];

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
        label: CREDENTIALS_LABEL,
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
