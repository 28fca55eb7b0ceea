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

//! What survives a deleted Whisk: the volumes of its StatefulSets and the credentials that
//! protect their data.
//!
//! **Policy** (annotation [`PVC_POLICY_ANNOTATION`] on the Whisk):
//! * `retain` (default, as upstream): the PersistentVolumeClaims the StatefulSets created stay
//!   when the Whisk is deleted, and so does the generated-credentials Secret
//!   `<whisk>-whisk-generated`, because the data on those volumes was written with its
//!   passwords. A Whisk created again with the same name and namespace adopts both (the Secret
//!   carries the Whisk's inventory label, which depends on name and namespace only), so it does
//!   not put new passwords on old data. Delete the claims and the Secret by hand to start afresh.
//! * `delete`: the StatefulSets carry `persistentVolumeClaimRetentionPolicy.whenDeleted: Delete`,
//!   so Kubernetes (1.27+) deletes their claims with them; the Secret is deleted once no claim
//!   is left.
//!
//! The operator itself never deletes a claim: Kubernetes does, through the StatefulSet.

use crate::overlay::Patch;
use nuvolaris_api::whisk::Whisk;
use serde_json::{json, Value};

/// Annotation on the Whisk choosing the volume policy: `retain` (default) or `delete`.
pub const PVC_POLICY_ANNOTATION: &str = "nuvolaris.org/pvc-policy";

/// What happens to the claims of a deleted Whisk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PvcPolicy {
    /// Keep the claims (and the generated credentials).
    Retain,
    /// Delete the claims with their StatefulSets.
    Delete,
}

/// The policy of `w` (anything but `delete` is `retain`).
pub fn pvc_policy(w: &Whisk) -> PvcPolicy {
    match w
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(PVC_POLICY_ANNOTATION))
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        Some("delete") => PvcPolicy::Delete,
        _ => PvcPolicy::Retain,
    }
}

/// The patch making StatefulSet `name` delete its claims when it is deleted.
pub fn delete_claims_patch(name: &str) -> Patch {
    Patch::Strategic(json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": { "name": name },
        "spec": { "persistentVolumeClaimRetentionPolicy": {
            "whenDeleted": "Delete", "whenScaled": "Retain" } }
    }))
}

/// (claim template, StatefulSet) of every volume claim template among `objects`.
pub fn claim_templates(objects: &[Value]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for o in objects.iter().filter(|o| o["kind"] == "StatefulSet") {
        let sts = o["metadata"]["name"].as_str().unwrap_or_default();
        for t in o["spec"]["volumeClaimTemplates"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(tpl) = t["metadata"]["name"].as_str() {
                out.push((tpl.to_string(), sts.to_string()));
            }
        }
    }
    out
}

/// The claims among `pvc_names` that StatefulSet claim templates `templates` created
/// (`<template>-<statefulset>-<ordinal>`).
pub fn claims_of(templates: &[(String, String)], pvc_names: &[String]) -> Vec<String> {
    pvc_names
        .iter()
        .filter(|n| {
            templates.iter().any(|(tpl, sts)| {
                n.strip_prefix(&format!("{tpl}-{sts}-"))
                    .is_some_and(|ord| !ord.is_empty() && ord.chars().all(|c| c.is_ascii_digit()))
            })
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(None, PvcPolicy::Retain)]
    #[case(Some("retain"), PvcPolicy::Retain)]
    #[case(Some("Delete"), PvcPolicy::Delete)]
    #[case(Some("bogus"), PvcPolicy::Retain)]
    fn policy_from_annotation(#[case] v: Option<&str>, #[case] want: PvcPolicy) {
        let mut w = Whisk::new(
            "w",
            serde_json::from_value(json!({"components": {"openwhisk": true, "couchdb": true}}))
                .unwrap(),
        );
        if let Some(v) = v {
            w.metadata.annotations = Some([(PVC_POLICY_ANNOTATION.to_string(), v.into())].into());
        }
        assert_eq!(pvc_policy(&w), want);
    }

    #[test]
    fn finds_the_claims_of_the_statefulsets() {
        let objs = vec![
            json!({"kind": "StatefulSet", "metadata": {"name": "couchdb"},
            "spec": {"volumeClaimTemplates": [{"metadata": {"name": "couchdb-pvc"}}]}}),
        ];
        let t = claim_templates(&objs);
        assert_eq!(t, vec![("couchdb-pvc".to_string(), "couchdb".to_string())]);
        let names: Vec<String> = [
            "couchdb-pvc-couchdb-0",
            "couchdb-pvc-couchdb-12",
            "couchdb-pvc-couchdb-x",
            "couchdb-pvc-couchdb-",
            "other-pvc",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            claims_of(&t, &names),
            vec!["couchdb-pvc-couchdb-0", "couchdb-pvc-couchdb-12"]
        );
    }
}
