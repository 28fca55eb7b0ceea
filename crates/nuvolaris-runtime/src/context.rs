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

//! What a reconciler sees while it runs: client, applier, events, metrics.

use crate::applier::{Applier, ApplyReport, Owner, Prune};
use crate::metrics::Metrics;
use crate::Error;
use kube::runtime::events::{Event, EventType, Recorder};
use kube::Client;
use serde_json::Value;
use std::sync::Arc;

/// Per-controller context handed to [`crate::Reconciler::reconcile`].
#[derive(Clone)]
pub struct Ctx {
    /// Kubernetes client.
    pub client: Client,
    /// The reconciler's name (metrics label).
    pub controller: &'static str,
    /// Applies rendered objects with inventory and pruning.
    pub applier: Applier,
    /// Publishes `events.k8s.io/v1` Events.
    pub recorder: Recorder,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
}

impl Ctx {
    /// Applies `docs` for `owner` (see [`Applier::apply`]).
    pub async fn apply(
        &self,
        owner: &Owner,
        docs: Vec<Value>,
        prune: &Prune,
    ) -> Result<ApplyReport, Error> {
        self.applier.apply(owner, docs, prune).await
    }

    /// Publishes an Event about `owner`; failures are logged, not returned.
    pub async fn event(
        &self,
        owner: &Owner,
        type_: EventType,
        reason: &str,
        note: impl Into<String>,
    ) {
        let ev = Event {
            type_,
            reason: reason.into(),
            note: Some(note.into()),
            action: "Reconcile".into(),
            secondary: None,
        };
        if let Err(e) = self.recorder.publish(&ev, &owner.object_ref()).await {
            tracing::warn!(controller = self.controller, owner = %owner.key(), error = %e, "publishing event failed");
        }
    }
}
