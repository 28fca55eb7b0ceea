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

//! Discovery documents: legacy (`/api`, `/apis`, `/apis/{g}/{v}`) and aggregated (apidiscovery.k8s.io/v2).

use crate::resources::ResourceInfo;
use serde_json::{json, Value};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Content-Type of aggregated discovery responses.
pub const AGGREGATED_CT: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Whether an Accept header asks for aggregated discovery v2.
pub fn wants_aggregated(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let p: Vec<&str> = part.split(';').map(str::trim).collect();
        p.contains(&"g=apidiscovery.k8s.io")
            && p.contains(&"v=v2")
            && p.contains(&"as=APIGroupDiscoveryList")
    })
}

/// Kubernetes version priority: v1 > v1beta2 > v1beta1 > v1alpha1 > other.
pub fn version_cmp(a: &str, b: &str) -> Ordering {
    fn key(v: &str) -> (u8, u64, u64, String) {
        let Some(rest) = v.strip_prefix('v') else {
            return (0, 0, 0, v.to_string());
        };
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let Ok(major) = digits.parse::<u64>() else {
            return (0, 0, 0, v.to_string());
        };
        let tail = &rest[digits.len()..];
        if tail.is_empty() {
            return (3, major, 0, String::new());
        }
        for (p, rank) in [("beta", 2u8), ("alpha", 1u8)] {
            if let Some(n) = tail.strip_prefix(p) {
                if let Ok(minor) = n.parse::<u64>() {
                    return (rank, major, minor, String::new());
                }
            }
        }
        (0, 0, 0, v.to_string())
    }
    let (ka, kb) = (key(a), key(b));
    kb.0.cmp(&ka.0)
        .then(kb.1.cmp(&ka.1))
        .then(kb.2.cmp(&ka.2))
        .then(ka.3.cmp(&kb.3))
}

/// One API group: its name and its versions (preferred first) with their resources.
pub type Group = (String, Vec<(String, Vec<Arc<ResourceInfo>>)>);

/// Groups (non-core) to their versions (preferred first) and resources.
pub fn groups(types: &[Arc<ResourceInfo>]) -> Vec<Group> {
    let mut m: BTreeMap<String, BTreeMap<String, Vec<Arc<ResourceInfo>>>> = BTreeMap::new();
    for t in types.iter().filter(|t| !t.group.is_empty()) {
        m.entry(t.group.clone())
            .or_default()
            .entry(t.version.clone())
            .or_default()
            .push(t.clone());
    }
    let order = [
        "apps",
        "events.k8s.io",
        "batch",
        "networking.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "apiextensions.k8s.io",
        "coordination.k8s.io",
    ];
    let mut out: Vec<_> = m
        .into_iter()
        .map(|(g, vs)| {
            let mut vs: Vec<_> = vs.into_iter().collect();
            vs.sort_by(|a, b| version_cmp(&a.0, &b.0));
            (g, vs)
        })
        .collect();
    out.sort_by_key(|(g, _)| order.iter().position(|o| o == g).unwrap_or(order.len()));
    out
}

/// `GET /api`.
pub fn api_versions(host: &str) -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}]})
}

/// `GET /api/v1` and `GET /apis/{g}/{v}`.
pub fn resource_list(group_version: &str, types: &[Arc<ResourceInfo>]) -> Value {
    let mut entries: Vec<Value> = types.iter().flat_map(|t| t.discovery_entries()).collect();
    entries.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    if group_version == "v1" {
        json!({"kind": "APIResourceList", "groupVersion": "v1", "resources": entries})
    } else {
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": entries})
    }
}

fn group_entry(g: &str, vs: &[(String, Vec<Arc<ResourceInfo>>)]) -> Value {
    let versions: Vec<Value> = vs
        .iter()
        .map(|(v, _)| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
        .collect();
    json!({"name": g, "versions": versions, "preferredVersion": versions.first().cloned().unwrap_or(Value::Null)})
}

/// `GET /apis`.
pub fn group_list(types: &[Arc<ResourceInfo>]) -> Value {
    let gs: Vec<Value> = groups(types)
        .iter()
        .map(|(g, vs)| group_entry(g, vs))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": gs})
}

/// `GET /apis/{g}`.
pub fn group(types: &[Arc<ResourceInfo>], name: &str) -> Option<Value> {
    groups(types)
        .iter()
        .find(|(g, _)| g == name)
        .map(|(g, vs)| {
            let mut e = group_entry(g, vs);
            e["kind"] = json!("APIGroup");
            e["apiVersion"] = json!("v1");
            e
        })
}

/// Aggregated discovery for `/apis` (core = false) or `/api` (core = true).
pub fn aggregated(types: &[Arc<ResourceInfo>], core: bool) -> Value {
    let items: Vec<Value> = if core {
        let mut rs: Vec<&Arc<ResourceInfo>> = types.iter().filter(|t| t.group.is_empty()).collect();
        rs.sort_by(|a, b| a.plural.cmp(&b.plural));
        let res: Vec<Value> = rs.iter().map(|t| t.aggregated_entry()).collect();
        vec![
            json!({"metadata": {"creationTimestamp": null}, "versions": [{"version": "v1", "resources": res, "freshness": "Current"}]}),
        ]
    } else {
        groups(types)
            .iter()
            .map(|(g, vs)| {
                let versions: Vec<Value> = vs
                    .iter()
                    .map(|(v, rs)| {
                        let mut rs = rs.clone();
                        rs.sort_by(|a, b| a.plural.cmp(&b.plural));
                        let res: Vec<Value> = rs.iter().map(|t| t.aggregated_entry()).collect();
                        json!({"version": v, "resources": res, "freshness": "Current"})
                    })
                    .collect();
                json!({"metadata": {"name": g, "creationTimestamp": null}, "versions": versions})
            })
            .collect()
    };
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

/// `GET /version`.
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "24",
        "gitVersion": "v1.24.0+0",
        "gitCommit": "2cc6ddc68588debdbb6806e1b57e73207505324f",
        "gitTreeState": "clean",
        "buildDate": "2022-05-06T09:44:28Z",
        "goVersion": "go1.19.8",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("v1", "v1beta1", Ordering::Less)]
    #[case("v2", "v1", Ordering::Less)]
    #[case("v1alpha1", "v1beta1", Ordering::Greater)]
    #[case("v1beta2", "v1beta1", Ordering::Less)]
    #[case("foo", "v1alpha1", Ordering::Greater)]
    fn versions(#[case] a: &str, #[case] b: &str, #[case] want: Ordering) {
        assert_eq!(version_cmp(a, b), want);
    }

    #[rstest]
    #[case(
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
        true
    )]
    #[case(
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
        false
    )]
    #[case("application/json", false)]
    fn accept(#[case] a: &str, #[case] want: bool) {
        assert_eq!(wants_aggregated(a), want);
    }
}
