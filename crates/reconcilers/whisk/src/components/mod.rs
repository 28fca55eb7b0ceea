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

//! The components of a Whisk: each one an embedded kustomize base plus an overlay computed from the spec.

pub mod controller;
pub mod couchdb;
pub mod endpoint;
pub mod init_job;
pub mod preloader;

use crate::error::Result;
use crate::overlay::Overlay;
use crate::resolve::{RenderInput, Settings};
use serde_json::Value;

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
    /// The api host Ingresses (not owned: deleted by the finalizer).
    Endpoint,
}

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

    /// Value of [`COMPONENT_LABEL`].
    pub fn label(self) -> &'static str {
        match self {
            Component::Credentials => "credentials",
            Component::Couchdb => "couchdb",
            Component::CouchdbInit => "couchdb-init",
            Component::Preloader => "preloader",
            Component::Openwhisk => "openwhisk",
            Component::Endpoint => "endpoint",
        }
    }

    /// Condition type reported for this component.
    pub fn condition_type(self) -> &'static str {
        match self {
            Component::Credentials => "Credentials",
            Component::Couchdb => "CouchDBReady",
            Component::CouchdbInit => "CouchDBInitialized",
            Component::Preloader => "RuntimesPreloaded",
            Component::Openwhisk => "OpenWhiskReady",
            Component::Endpoint => "EndpointReady",
        }
    }

    /// The component of a rendered object, from its [`COMPONENT_LABEL`].
    pub fn of(obj: &Value) -> Option<Component> {
        let l = obj
            .pointer("/metadata/labels")?
            .get(COMPONENT_LABEL)?
            .as_str()?;
        Component::ALL.into_iter().find(|c| c.label() == l)
    }

    /// Whether the spec switches this component on.
    pub fn enabled(self, input: &RenderInput<'_>) -> bool {
        let c = &input.whisk.spec.components;
        match self {
            Component::Credentials => c.couchdb || c.openwhisk,
            Component::Couchdb | Component::CouchdbInit => c.couchdb,
            // upstream deploys nothing when `components.invoker` is set (the invoker is not
            // implemented); here the standalone controller follows `components.openwhisk` alone
            Component::Preloader | Component::Endpoint | Component::Openwhisk => c.openwhisk,
        }
    }

    /// Adds this component's base, images, patches and generators to the overlay.
    pub fn contribute(self, input: &RenderInput<'_>, s: &Settings, o: &mut Overlay) -> Result<()> {
        match self {
            Component::Credentials => couchdb::credentials(input, o),
            Component::Couchdb => couchdb::contribute(input, s, o),
            Component::CouchdbInit => init_job::contribute(input, s, o),
            Component::Preloader => preloader::contribute(input, o),
            Component::Openwhisk => controller::contribute(input, s, o),
            Component::Endpoint => endpoint::contribute(s, o),
        }
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
