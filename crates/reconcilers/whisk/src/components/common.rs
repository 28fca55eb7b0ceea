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

//! What the components share: the live children a readiness check reads, the states of Jobs
//! and StatefulSets, side effects and the image helper. The table in the parent module lists
//! the components; nothing here refers to it.

use crate::overlay::Overlay;
use crate::resolve::Settings;
use crate::state::State;
use nuvolaris_runtime::Served;
use serde_json::Value;
use std::collections::BTreeMap;

/// Label every rendered object carries to say which component it belongs to.
pub const COMPONENT_LABEL: &str = "nuvolaris.org/component";

/// [`COMPONENT_LABEL`] of the shared credentials Secret.
pub const CREDENTIALS_LABEL: &str = "credentials";

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
pub fn set_image(o: &mut Overlay, base: &str, image: &str) {
    let (name, tag, digest) = crate::settings::split_image(image);
    o.images.push(crate::overlay::Image {
        name: base.to_string(),
        new_name: Some(name),
        new_tag: tag,
        digest,
    });
}
