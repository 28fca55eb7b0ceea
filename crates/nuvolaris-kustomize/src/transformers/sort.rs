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

//! Output order: kustomize's legacy kind order (the default) or `fifo` (`sortOptions`).

use crate::error::Error;
use crate::kustomization::SortOptions;
use crate::resid::ResId;
use crate::resource::ResMap;
use std::collections::HashMap;

/// Kinds printed first, in this order, by the legacy sort.
pub const ORDER_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

/// Kinds printed last, in this order, by the legacy sort.
pub const ORDER_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

fn id_sort_key(id: &ResId) -> (String, String) {
    let ns = if id.namespace.is_empty() {
        "~X".to_string()
    } else {
        id.namespace.clone()
    };
    let name = if id.name.is_empty() {
        "~X".to_string()
    } else {
        id.name.clone()
    };
    (ns, name)
}

/// Sorts `m` as the top-level `sortOptions` ask (legacy when absent).
pub fn apply(m: &mut ResMap, opts: Option<&SortOptions>) -> Result<(), Error> {
    let (first, last): (Vec<String>, Vec<String>) = match opts {
        Some(o) if o.order == "fifo" => {
            if o.legacy_sort_options.is_some() {
                return Err(Error::build("the field 'sortOptions.legacySortOptions' must be empty when 'sortOptions.order' is set to 'fifo'"));
            }
            return Ok(());
        }
        Some(o) if o.order == "legacy" || o.order.is_empty() => match &o.legacy_sort_options {
            Some(l) => (l.order_first.clone(), l.order_last.clone()),
            None => default_orders(),
        },
        Some(o) => {
            return Err(Error::build(format!(
                "the field 'sortOptions.order' must be one of [fifo, legacy], got '{}'",
                o.order
            )))
        }
        None => default_orders(),
    };
    let mut rank: HashMap<&str, i64> = HashMap::new();
    let nf = first.len() as i64;
    for (i, k) in first.iter().enumerate() {
        rank.entry(k.as_str()).or_insert(i as i64 - nf);
    }
    for (i, k) in last.iter().enumerate() {
        rank.entry(k.as_str()).or_insert(i as i64 + 1);
    }
    let mut keyed: Vec<(i64, String, (String, String), usize)> = m
        .items
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let id = r.cur_id();
            (
                *rank.get(id.gvk.kind.as_str()).unwrap_or(&0),
                id.gvk.sort_string(),
                id_sort_key(&id),
                i,
            )
        })
        .collect();
    keyed.sort();
    let mut old: Vec<Option<crate::resource::Resource>> =
        std::mem::take(&mut m.items).into_iter().map(Some).collect();
    m.items = keyed
        .into_iter()
        .filter_map(|(_, _, _, i)| old[i].take())
        .collect();
    Ok(())
}

fn default_orders() -> (Vec<String>, Vec<String>) {
    (
        ORDER_FIRST.iter().map(|s| s.to_string()).collect(),
        ORDER_LAST.iter().map(|s| s.to_string()).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::Resource;
    use rstest::rstest;
    use serde_json::json;

    fn names(m: &ResMap) -> Vec<String> {
        m.items
            .iter()
            .map(|r| format!("{}/{}", r.kind(), r.name()))
            .collect()
    }

    // Order printed by `kubectl kustomize` v5.8.1 for the same resources.
    #[rstest]
    #[case(None, &["Namespace/n", "ServiceAccount/sa", "Service/b", "Deployment/a", "Thing/t", "ValidatingWebhookConfiguration/v"])]
    #[case(Some("fifo"), &["ValidatingWebhookConfiguration/v", "Thing/t", "Deployment/a", "Service/b", "ServiceAccount/sa", "Namespace/n"])]
    fn orders(#[case] order: Option<&str>, #[case] want: &[&str]) {
        let mut m = ResMap::new();
        for (api, kind, name) in [
            (
                "admissionregistration.k8s.io/v1",
                "ValidatingWebhookConfiguration",
                "v",
            ),
            ("x.io/v1", "Thing", "t"),
            ("apps/v1", "Deployment", "a"),
            ("v1", "Service", "b"),
            ("v1", "ServiceAccount", "sa"),
            ("v1", "Namespace", "n"),
        ] {
            m.append(Resource::new(
                json!({"apiVersion": api, "kind": kind, "metadata": {"name": name}}),
            ))
            .unwrap();
        }
        let opts = order.map(|o| SortOptions {
            order: o.into(),
            legacy_sort_options: None,
        });
        apply(&mut m, opts.as_ref()).unwrap();
        assert_eq!(names(&m), want);
    }
}
