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

//! The writing end of a reconcile: the one place that changes the cluster, all through the
//! runtime (applies with inventory and pruning, owner-checked deletes, annotation patches with a
//! field manager).
//!
//! Order: the generated credentials (so they exist before anything uses them), the
//! owner-checked deletes, the apply of every planned object (pruning the rest of the inventory),
//! the objects of optional kinds (and pruning those no longer planned), then the `cm/config`
//! annotations. Objects of someone else are never written or deleted: they come back as
//! conflicts.

use crate::components::OPTIONAL_KINDS;
use crate::plan::Plan;
use nuvolaris_runtime::{
    kinds, ApplyReport, ChildKind, Ctx, DeleteOutcome, Error, OptionalKinds, Owner, Prune,
};
use serde_json::Value;
use std::collections::BTreeSet;

/// Field manager of the writes this reconciler makes outside the applier (`cm/config`).
pub const FIELD_MANAGER: &str = "nuvolaris-operator-whisk";

/// What the writes met.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// The main apply.
    pub apply: ApplyReport,
    /// Objects of someone else, left alone (messages).
    pub conflicts: Vec<String>,
    /// Optional kinds the server stopped serving between discovery and apply.
    pub missing_crd: Vec<String>,
}

fn is_not_found(e: &Error) -> bool {
    match e {
        Error::Kube {
            source: kube::Error::Api(s),
            ..
        } => s.code == 404,
        Error::UnknownKind { .. } => true,
        _ => false,
    }
}

/// Deletes the objects of optional kinds `owner` has in `ns` that `keep` does not name.
pub async fn prune_optional(
    ctx: &Ctx,
    owner: &Owner,
    ns: &str,
    served: &[ChildKind],
    keep: &[Value],
) -> Result<Vec<String>, Error> {
    let keep: BTreeSet<(String, String)> = keep
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap_or_default().to_string(),
                o["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    let mut conflicts = Vec::new();
    for k in served {
        for name in ctx.list_inventory(owner, k, Some(ns)).await? {
            if keep.contains(&(k.kind.to_string(), name.clone())) {
                continue;
            }
            if let DeleteOutcome::Conflict(m) = ctx.delete_owned(owner, k, Some(ns), &name).await? {
                conflicts.push(m);
            }
        }
    }
    Ok(conflicts)
}

/// Carries out `plan` for `owner` in namespace `ns`.
pub async fn act(
    plan: &Plan,
    ctx: &Ctx,
    owner: &Owner,
    ns: &str,
    optional: &OptionalKinds,
) -> Result<Report, Error> {
    let mut report = Report::default();
    if plan.conflict.is_some() {
        return Ok(report);
    }
    if let Some(secret) = &plan.store_secret {
        // applied without an ownerReference (an owner without uid): it outlives the Whisk while
        // its data does (see `retention`); never pruned, since pruning needs our uid on it
        let unowned = Owner {
            uid: None,
            ..owner.clone()
        };
        ctx.apply(&unowned, vec![secret.clone()], &Prune::None)
            .await?;
    }
    for d in &plan.deletes {
        if let DeleteOutcome::Conflict(m) =
            ctx.delete_owned(owner, &d.kind, Some(ns), &d.name).await?
        {
            report.conflicts.push(m);
        }
    }
    report.apply = ctx.apply(owner, plan.apply.clone(), &Prune::All).await?;
    report
        .conflicts
        .extend(report.apply.conflicts().map(|c| c.message()));
    if !plan.optional.is_empty() {
        match ctx.apply(owner, plan.optional.clone(), &Prune::None).await {
            Ok(r) => report.conflicts.extend(r.conflicts().map(|c| c.message())),
            Err(e) if is_not_found(&e) => {
                optional.invalidate();
                report.missing_crd.push(e.to_string());
            }
            Err(e) => return Err(e),
        }
    }
    let served: Vec<ChildKind> = OPTIONAL_KINDS
        .iter()
        .filter(|k| plan.served_optional.iter().any(|s| s == *k))
        .cloned()
        .collect();
    if !served.is_empty() {
        report
            .conflicts
            .extend(prune_optional(ctx, owner, ns, &served, &plan.optional).await?);
    }
    ctx.patch_annotations(
        &kinds::CONFIGMAP,
        Some(ns),
        "config",
        FIELD_MANAGER,
        &plan.annotations,
    )
    .await?;
    // side effects would run here, each with a timeout; today's components have none
    for e in &plan.effects {
        tracing::debug!(component = ?e.component, effect = e.name, address = %e.address, "side effect");
    }
    Ok(report)
}
