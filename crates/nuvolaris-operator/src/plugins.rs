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

//! Where reconciler crates plug into the binary: one line each.
//!
//! To add a reconciler: add its crate to this crate's `Cargo.toml` and one
//! `nuvolaris_runtime::register(..)` line to [`registry`]. A reconciler crate that needs its own
//! subcommand (e.g. Whisk's `couchdb-init`, run by a Job using the operator image) adds a variant
//! to [`PluginCommand`] and an arm to [`run_plugin`].

use clap::Subcommand;
use nuvolaris_runtime::{register, Registration};
use std::sync::Arc;

/// Every reconciler this binary can run, in registration order.
pub fn registry() -> Vec<Arc<dyn Registration>> {
    vec![
        register(nuvolaris_reconciler_sample::SampleReconciler),
        register(nuvolaris_reconciler_whisk::WhiskReconciler::default()),
    ]
}

/// Subcommands contributed by reconciler crates.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Placeholder so the enum is never empty; not shown in help.
    #[command(hide = true, name = "plugin-noop")]
    Noop,
    /// Prepares CouchDB for OpenWhisk (run by the `couchdb-init` Job; settings from its environment).
    CouchdbInit,
}

/// Runs a plugin subcommand.
pub async fn run_plugin(cmd: PluginCommand) -> anyhow::Result<()> {
    match cmd {
        PluginCommand::Noop => Ok(()),
        PluginCommand::CouchdbInit => {
            let report = nuvolaris_reconciler_whisk::couchdb_init_from_env().await?;
            tracing::info!(
                steps = report.steps.len(),
                changed = report.changed(),
                "couchdb-init done"
            );
            Ok(())
        }
    }
}
