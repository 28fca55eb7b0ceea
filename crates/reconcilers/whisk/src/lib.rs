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

//! Whisk reconciler: OpenWhisk core and its services from one custom resource.
//!
//! * [`render`]: the complete object set of a Whisk, offline (embedded kustomize bases + a typed
//!   overlay per component, built with `nuvolaris-kustomize`).
//! * [`couchdb_init`]: the idempotent CouchDB preparation run by the `couchdb-init` Job.
//! * [`secrets`]: credentials taken from the spec or generated once and kept.
//! * [`reconciler`]: the reconcile as [`observe`] (read) -> [`plan`] (pure) -> [`act`] (the one
//!   place that writes, through the runtime), driven by the component table
//!   [`components::TABLE`].
//!
//! Adding a component: a module under `components/` (its kustomize base in `manifests/`, its
//! overlay contribution, readiness and side effects), a [`components::Component`] variant and
//! one [`components::TABLE`] entry (status key, condition, dependencies, anchor). The plan, the
//! status and the requeue decision pick it up from the table. Workloads add
//! [`placement::pod_patch`] (affinity, tolerations, pod security); objects of kinds a cluster may
//! lack go in the entry's `optional_objects` (applied only when served, else `MissingCRD`);
//! addresses of services its side effects talk to come from [`services::resolve`]. Volumes and
//! generated credentials outlive a deleted Whisk per [`retention`].

pub mod act;
pub mod components;
pub mod couchdb_init;
pub mod error;
pub mod lb_watch;
pub mod observe;
pub mod overlay;
pub mod placement;
pub mod plan;
pub mod render;
pub mod requeue;
pub mod resolve;
pub mod retention;
pub mod secrets;
pub mod services;
pub mod settings;
pub mod state;

pub use error::{Error, Result};
pub mod reconciler;
pub mod status;

pub use reconciler::WhiskReconciler;

/// Entry point of the `couchdb-init` subcommand: reads the Job's environment and prepares CouchDB.
pub async fn couchdb_init_from_env() -> Result<couchdb_init::Report> {
    let cfg = couchdb_init::InitConfig::from_env()?;
    couchdb_init::run(&cfg).await
}

/// The Whisk reconciler as the operator binary registers it, with its `couchdb-init` subcommand.
pub fn registration() -> std::sync::Arc<dyn nuvolaris_runtime::Registration> {
    nuvolaris_runtime::registry::register_with_commands(
        WhiskReconciler::default(),
        vec![nuvolaris_runtime::registry::ReconcilerCommand {
            name: "couchdb-init",
            about: "Prepares CouchDB for OpenWhisk (run by the `couchdb-init` Job; settings from its environment)",
            run: run_couchdb_init,
        }],
    )
}

/// The `couchdb-init` subcommand: [`couchdb_init_from_env`], logging what it did.
fn run_couchdb_init(
    _args: Vec<String>,
) -> futures::future::BoxFuture<
    'static,
    std::result::Result<(), nuvolaris_runtime::registry::CommandError>,
> {
    Box::pin(async {
        let report = couchdb_init_from_env().await?;
        tracing::info!(
            steps = report.steps.len(),
            changed = report.changed(),
            "couchdb-init done"
        );
        Ok(())
    })
}
