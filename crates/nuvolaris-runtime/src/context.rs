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
use crate::child_kind::ChildKind;
use crate::error::Error;
use crate::events;
use crate::metrics::Metrics;
use kube::api::DynamicObject;
use kube::runtime::events::{EventType, Recorder};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
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

    /// Publishes an Event about `owner`; failures are logged, not returned (see
    /// [`events::publish`]).
    pub async fn event(
        &self,
        owner: &Owner,
        type_: EventType,
        reason: &str,
        note: impl Into<String>,
    ) {
        events::publish(
            &self.recorder,
            self.controller,
            &owner.object_ref(),
            type_,
            reason,
            note.into(),
        )
        .await;
    }

    /// The child `kind` `namespace/name` from the controller's watch cache (no API request),
    /// or `None` when it does not exist or `kind` is not one of the reconciler's child kinds.
    /// The cache keeps a lean copy ([`crate::cache::lean`]): metadata, `status` and
    /// `spec.replicas`, not the rest of the spec.
    pub async fn cached(
        &self,
        kind: &ChildKind,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Arc<DynamicObject>> {
        self.applier.cached(kind, namespace, name).await
    }

    /// [`Ctx::cached`] as a typed object (`None` also when it does not parse as `K`: the lean
    /// copy lacks required spec fields of most workload kinds, so prefer [`Ctx::cached`]).
    pub async fn cached_as<K: Resource + DeserializeOwned>(
        &self,
        kind: &ChildKind,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<K> {
        let o = self.cached(kind, namespace, name).await?;
        serde_json::to_value(&*o)
            .ok()
            .and_then(|v| serde_json::from_value(v).ok())
    }
}
