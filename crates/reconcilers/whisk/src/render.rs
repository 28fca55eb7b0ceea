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

//! Rendering a Whisk to the complete set of objects, offline and deterministic for given inputs.

use crate::components::Component;
use crate::error::Result;
use crate::overlay::{Overlay, OVERLAY_DIR};
use crate::resolve::{RenderInput, Settings};
use serde_json::Value;
use std::path::Path;

/// The `runtimes.json` shipped with the prerequisites (ConfigMap `openwhisk-runtimes`).
pub const DEFAULT_RUNTIMES_JSON: &str = include_str!("../manifests/runtimes.json");

/// The overlay of the enabled components of `input`.
pub fn overlay(input: &RenderInput<'_>) -> Result<Overlay> {
    let s = Settings::compute(input);
    let mut o = Overlay {
        namespace: s.namespace.clone(),
        ..Default::default()
    };
    for c in Component::ALL {
        if c.enabled(input) {
            c.contribute(input, &s, &mut o)?;
        }
    }
    Ok(o)
}

/// Every object the operator applies for `input`, in kustomize output order.
pub fn render(input: &RenderInput<'_>) -> Result<Vec<Value>> {
    let o = overlay(input)?;
    if o.bases.is_empty() && o.secrets.is_empty() {
        return Ok(Vec::new());
    }
    let loader = o.loader()?;
    Ok(nuvolaris_kustomize::build(&loader, Path::new(OVERLAY_DIR))?)
}

/// The objects of `objects` that belong to `component`.
pub fn of_component(objects: &[Value], component: Component) -> Vec<Value> {
    objects
        .iter()
        .filter(|o| Component::of(o) == Some(component))
        .cloned()
        .collect()
}
