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

//! Reconciler framework: the [`Reconciler`] trait, the [`Applier`] (server-side apply with
//! inventory pruning), finalizer/status/event handling, metrics, health, leader election and
//! controller wiring. See the crate README section in the repository README for how to add a
//! reconciler.
//!
//! RBAC the runtime itself needs (see [`rbac`]): `events.k8s.io/events` create, patch;
//! `coordination.k8s.io/leases` get, create, update, patch; plus, per reconciler, its resource
//! (get list watch patch update), its `/status` (get patch update) and each child kind
//! (get list watch create patch delete).

pub mod applier;
pub mod cache;
pub mod child_kind;
pub mod conditions;
pub mod context;
pub mod controller;
pub mod error;
pub mod events;
pub mod health;
pub mod metrics;
pub mod optional;
pub mod owned;
pub mod rbac;
pub mod reconciler;
pub mod registry;
pub mod supervisor;
pub mod wake;

pub use applier::{Applier, ApplyChange, ApplyReport, ObjectResult, Owner, Prune, FIELD_MANAGER};
pub use conditions::now;
pub use context::Ctx;
pub use controller::{ControllerConfig, Shared, DEFAULT_CONCURRENCY, FINALIZER};
pub use error::Error;
pub use health::Health;
pub use metrics::Metrics;
pub use optional::{OptionalKinds, Served};
pub use owned::DeleteOutcome;
pub use rbac::cluster_role_rules;
pub use reconciler::{kinds, ChildKind, ReconcileOutcome, Reconciler};
pub use registry::{register, Registration};
pub use supervisor::LeaderConfig;
pub use wake::Wakeup;
