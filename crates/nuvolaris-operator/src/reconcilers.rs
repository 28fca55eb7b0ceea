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

//! The static list of reconcilers compiled into the binary: one line each.
//!
//! This list is the single source of truth for what the operator serves: `run` starts these
//! controllers, `crd` prints their CRDs, `rbac` derives the ClusterRole from them, and
//! `cargo xtask crdgen` writes `crds/` and `charts-free-kustomize/operator/cluster-role.yaml` from
//! those two commands. Every reconciler crate exposes `registration()`, which also carries the
//! subcommands it contributes (e.g. Whisk's `couchdb-init`).
//!
//! `cargo xtask new-reconciler NAME --kind KIND` scaffolds a crate and adds its line here.

use nuvolaris_runtime::registry::ReconcilerCommand;
use nuvolaris_runtime::Registration;
use std::sync::Arc;

/// Every reconciler this binary can run, in registration order.
pub fn registry() -> Vec<Arc<dyn Registration>> {
    vec![
        nuvolaris_reconciler_sample::registration(),
        nuvolaris_reconciler_whisk::registration(),
    ]
}

/// The subcommands the registered reconcilers contribute, in registration order.
pub fn commands(regs: &[Arc<dyn Registration>]) -> Vec<ReconcilerCommand> {
    regs.iter().flat_map(|r| r.commands()).collect()
}
