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

//! The RBAC rules the operator needs, derived from the registered reconcilers.
//!
//! Per reconciled resource: `get list watch patch update` on the resource (finalizer patches),
//! `get patch update` on its `/status`. Per child kind: `get list watch create patch delete`
//! (server-side apply is `patch`). For the process: `events.k8s.io` `events` `create patch`
//! (event series are patched) and `coordination.k8s.io` `leases` `get create update patch`
//! (leader election).

use crate::child_kind::ChildKind;
use k8s_openapi::api::rbac::v1::PolicyRule;
use kube::core::ApiResource;
use std::collections::BTreeMap;

/// Something that needs RBAC rules: a registered reconciler (implemented for
/// `Arc<dyn Registration>` by the registry module, so this module does not depend on it).
pub trait RuleSource {
    /// Every rule it needs.
    fn rules(&self) -> Vec<PolicyRule>;
}

fn rule(group: &str, resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![group.to_string()]),
        resources: Some(resources.iter().map(|s| s.to_string()).collect()),
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// Rules on a reconciled custom resource and its status.
pub fn resource_rules(ar: &ApiResource) -> Vec<PolicyRule> {
    vec![
        rule(
            &ar.group,
            &[&ar.plural],
            &["get", "list", "watch", "patch", "update"],
        ),
        rule(
            &ar.group,
            &[&format!("{}/status", ar.plural)],
            &["get", "patch", "update"],
        ),
    ]
}

/// Rules on child kinds.
pub fn child_rules(kinds: &[ChildKind]) -> Vec<PolicyRule> {
    kinds
        .iter()
        .map(|k| {
            rule(
                k.group,
                &[k.plural],
                &["get", "list", "watch", "create", "patch", "delete"],
            )
        })
        .collect()
}

/// Rules every operator process needs (events, leases).
pub fn process_rules() -> Vec<PolicyRule> {
    vec![
        rule("events.k8s.io", &["events"], &["create", "patch"]),
        rule(
            "coordination.k8s.io",
            &["leases"],
            &["get", "create", "update", "patch"],
        ),
    ]
}

/// The merged rules of all `regs` plus the process rules, one rule per (group, verbs) set,
/// sorted, so the ClusterRole is stable and minimal.
pub fn cluster_role_rules<S: RuleSource>(regs: &[S]) -> Vec<PolicyRule> {
    let mut all: Vec<PolicyRule> = regs.iter().flat_map(|r| r.rules()).collect();
    all.extend(process_rules());
    // (group, verbs) -> resources
    let mut merged: BTreeMap<(String, Vec<String>), Vec<String>> = BTreeMap::new();
    for r in all {
        let mut verbs = r.verbs.clone();
        verbs.sort();
        verbs.dedup();
        for g in r.api_groups.unwrap_or_default() {
            let e = merged.entry((g, verbs.clone())).or_default();
            for res in r.resources.clone().unwrap_or_default() {
                if !e.contains(&res) {
                    e.push(res);
                }
            }
        }
    }
    merged
        .into_iter()
        .map(|((g, verbs), mut res)| {
            res.sort();
            PolicyRule {
                api_groups: Some(vec![g]),
                resources: Some(res),
                verbs,
                ..Default::default()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::child_kind::kinds;

    #[test]
    fn child_rules_never_use_wildcards() {
        let rules = child_rules(&[kinds::DEPLOYMENT, kinds::SERVICE]);
        assert_eq!(rules.len(), 2);
        for r in rules {
            assert!(!r.verbs.iter().any(|v| v == "*"));
            assert!(r.verbs.contains(&"patch".to_string()));
        }
    }

    #[test]
    fn resource_rules_cover_status() {
        let ar = ApiResource {
            group: "nuvolaris.org".into(),
            version: "v1".into(),
            api_version: "nuvolaris.org/v1".into(),
            kind: "Sample".into(),
            plural: "samples".into(),
        };
        let rules = resource_rules(&ar);
        assert_eq!(
            rules[1].resources.as_deref(),
            Some(&["samples/status".to_string()][..])
        );
    }
}
