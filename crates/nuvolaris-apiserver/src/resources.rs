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

//! The resource types the server knows: the built-in table and the ones registered by CRDs.

use serde_json::{json, Value};

/// One served resource type (one group/version/plural).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceInfo {
    /// API group ("" for core).
    pub group: String,
    /// API version ("v1").
    pub version: String,
    /// Plural resource name ("deployments").
    pub plural: String,
    /// Singular resource name ("deployment").
    pub singular: String,
    /// Kind ("Deployment").
    pub kind: String,
    /// List kind ("DeploymentList").
    pub list_kind: String,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Short names for kubectl ("deploy").
    pub short_names: Vec<String>,
    /// Categories ("all").
    pub categories: Vec<String>,
    /// Whether the `/status` subresource exists (status ignored on the main resource).
    pub status_subresource: bool,
    /// Whether the `/scale` subresource exists, with the JSON paths (spec, status) of the replicas.
    pub scale_subresource: bool,
    /// Whether `metadata.generation` is maintained.
    pub has_generation: bool,
    /// Whether this type comes from a CustomResourceDefinition.
    pub custom: bool,
    /// The openAPIV3Schema of a CRD version, if any.
    pub schema: Option<Value>,
    /// storageVersionHash advertised in discovery.
    pub storage_hash: Option<String>,
    /// A CRD version's `additionalPrinterColumns`.
    pub printer_columns: Vec<Value>,
}

impl ResourceInfo {
    /// `apiVersion` value for objects of this type ("apps/v1", "v1").
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Key of the storage table shared by all versions ("apps/deployments").
    pub fn table_key(&self) -> String {
        format!("{}/{}", self.group, self.plural)
    }

    /// `plural.group` as used in error messages ("deployments.apps", "configmaps").
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// Verbs advertised in discovery for the main resource.
    pub fn verbs(&self) -> Vec<&'static str> {
        if self.plural == "namespaces" {
            vec![
                "create", "delete", "get", "list", "patch", "update", "watch",
            ]
        } else {
            vec![
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ]
        }
    }

    /// The legacy discovery entries (`APIResource`) for this type and its subresources.
    pub fn discovery_entries(&self) -> Vec<Value> {
        let singular = if self.custom {
            self.singular.clone()
        } else {
            String::new()
        };
        let mut main = json!({
            "name": self.plural,
            "singularName": singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": self.verbs(),
        });
        if !self.short_names.is_empty() {
            main["shortNames"] = json!(self.short_names);
        }
        if !self.categories.is_empty() {
            main["categories"] = json!(self.categories);
        }
        if let Some(h) = &self.storage_hash {
            main["storageVersionHash"] = json!(h);
        }
        let mut out = vec![main];
        if self.plural == "namespaces" {
            out.push(json!({"name": "namespaces/finalize", "singularName": "", "namespaced": false, "kind": "Namespace", "verbs": ["update"]}));
        }
        if self.scale_subresource {
            out.push(json!({
                "name": format!("{}/scale", self.plural), "singularName": "", "namespaced": self.namespaced,
                "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"]
            }));
        }
        if self.status_subresource {
            out.push(json!({
                "name": format!("{}/status", self.plural), "singularName": "", "namespaced": self.namespaced,
                "kind": self.kind, "verbs": ["get", "patch", "update"]
            }));
        }
        out
    }

    /// The aggregated discovery (apidiscovery.k8s.io/v2 `APIResourceDiscovery`) entry.
    pub fn aggregated_entry(&self) -> Value {
        let mut e = json!({
            "resource": self.plural,
            "responseKind": {"group": self.group, "version": self.version, "kind": self.kind},
            "scope": if self.namespaced { "Namespaced" } else { "Cluster" },
            "singularResource": self.singular,
            "verbs": self.verbs(),
        });
        if !self.short_names.is_empty() {
            e["shortNames"] = json!(self.short_names);
        }
        if !self.categories.is_empty() {
            e["categories"] = json!(self.categories);
        }
        let mut subs = Vec::new();
        if self.scale_subresource {
            subs.push(json!({"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"}, "verbs": ["get", "patch", "update"]}));
        }
        if self.status_subresource {
            subs.push(json!({"subresource": "status", "responseKind": {"group": self.group, "version": self.version, "kind": self.kind}, "verbs": ["get", "patch", "update"]}));
        }
        if !subs.is_empty() {
            e["subresources"] = json!(subs);
        }
        e
    }
}

struct Builtin {
    group: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    all: bool,
    status: bool,
    scale: bool,
    generation: bool,
    hash: &'static str,
}

const fn b(
    group: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    flags: (bool, bool, bool, bool),
    hash: &'static str,
) -> Builtin {
    Builtin {
        group,
        plural,
        kind,
        namespaced,
        short,
        all: flags.0,
        status: flags.1,
        scale: flags.2,
        generation: flags.3,
        hash,
    }
}

// flags: (category "all", status subresource, scale subresource, generation)
#[rustfmt::skip]
const BUILTINS: &[Builtin] = &[
    b("", "configmaps", "ConfigMap", true, &["cm"], (false, false, false, false), "qFsyl6wFWjQ="),
    b("", "endpoints", "Endpoints", true, &["ep"], (false, false, false, false), "fWeeMqaN/OA="),
    b("", "events", "Event", true, &["ev"], (false, false, false, false), "r2yiGXH7wu8="),
    b("", "namespaces", "Namespace", false, &["ns"], (false, true, false, false), "Q3oi5N2YM8M="),
    b("", "nodes", "Node", false, &["no"], (false, true, false, false), "XwShjMxG9Fs="),
    b("", "persistentvolumeclaims", "PersistentVolumeClaim", true, &["pvc"], (false, true, false, false), "QWTyNDq0dC4="),
    b("", "persistentvolumes", "PersistentVolume", false, &["pv"], (false, true, false, false), "HN/zwEC+JgM="),
    b("", "pods", "Pod", true, &["po"], (true, true, false, false), "xPOwRZ+Yhw8="),
    b("", "secrets", "Secret", true, &[], (false, false, false, false), "S6u1pOWzb84="),
    b("", "serviceaccounts", "ServiceAccount", true, &["sa"], (false, false, false, false), "pbx9ZvyFpBE="),
    b("", "services", "Service", true, &["svc"], (true, true, false, false), "0/CO1lhkEBI="),
    b("apps", "daemonsets", "DaemonSet", true, &["ds"], (true, true, false, true), "dd7pWHUlMKQ="),
    b("apps", "deployments", "Deployment", true, &["deploy"], (true, true, true, true), "8aSe+NMegvE="),
    b("apps", "replicasets", "ReplicaSet", true, &["rs"], (true, true, true, true), "P1RzHs8/mWQ="),
    b("apps", "statefulsets", "StatefulSet", true, &["sts"], (true, true, true, true), "H+vl74LkKdo="),
    b("batch", "cronjobs", "CronJob", true, &["cj"], (true, true, false, true), "sd5LIXh4Fjs="),
    b("batch", "jobs", "Job", true, &[], (true, true, false, true), "mudhfqk/qZY="),
    b("networking.k8s.io", "ingresses", "Ingress", true, &["ing"], (false, true, false, true), "39NQlfNR+bo="),
    b("networking.k8s.io", "ingressclasses", "IngressClass", false, &[], (false, false, false, false), ""),
    b("networking.k8s.io", "networkpolicies", "NetworkPolicy", true, &["netpol"], (false, false, false, true), ""),
    b("policy", "poddisruptionbudgets", "PodDisruptionBudget", true, &["pdb"], (false, true, false, true), ""),
    b("storage.k8s.io", "storageclasses", "StorageClass", false, &["sc"], (false, false, false, false), ""),
    b("coordination.k8s.io", "leases", "Lease", true, &[], (false, false, false, false), "gqkMMb/YqFM="),
    b("events.k8s.io", "events", "Event", true, &["ev"], (false, false, false, false), "r2yiGXH7wu8="),
    b("rbac.authorization.k8s.io", "clusterrolebindings", "ClusterRoleBinding", false, &[], (false, false, false, false), "48tpQ8gZHFc="),
    b("rbac.authorization.k8s.io", "clusterroles", "ClusterRole", false, &[], (false, false, false, false), "bYE5ZWDrJ44="),
    b("rbac.authorization.k8s.io", "rolebindings", "RoleBinding", true, &[], (false, false, false, false), "eGsCzGH6b1g="),
    b("rbac.authorization.k8s.io", "roles", "Role", true, &[], (false, false, false, false), "7FuwZcIIItM="),
    b("apiextensions.k8s.io", "customresourcedefinitions", "CustomResourceDefinition", false, &["crd", "crds"], (false, true, false, true), "esWNeFGKfrU="),
];

/// The built-in resource types served by this server.
pub fn builtins() -> Vec<ResourceInfo> {
    BUILTINS
        .iter()
        .map(|x| ResourceInfo {
            group: x.group.to_string(),
            version: "v1".to_string(),
            plural: x.plural.to_string(),
            singular: x.kind.to_lowercase(),
            kind: x.kind.to_string(),
            list_kind: format!("{}List", x.kind),
            namespaced: x.namespaced,
            short_names: x.short.iter().map(|s| s.to_string()).collect(),
            categories: if x.all {
                vec!["all".to_string()]
            } else {
                vec![]
            },
            status_subresource: x.status,
            scale_subresource: x.scale,
            has_generation: x.generation,
            custom: false,
            schema: None,
            storage_hash: Some(if x.hash.is_empty() {
                storage_hash(x.group, x.plural)
            } else {
                x.hash.to_string()
            }),
            printer_columns: vec![],
        })
        .collect()
}

/// The resource types (one per served version) defined by a CustomResourceDefinition object.
pub fn from_crd(crd: &Value) -> Vec<ResourceInfo> {
    let spec = &crd["spec"];
    let names = &spec["names"];
    let group = spec["group"].as_str().unwrap_or_default().to_string();
    let plural = names["plural"].as_str().unwrap_or_default().to_string();
    let kind = names["kind"].as_str().unwrap_or_default().to_string();
    if group.is_empty() || plural.is_empty() || kind.is_empty() {
        return vec![];
    }
    let singular = names["singular"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_lowercase());
    let list_kind = names["listKind"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("{kind}List"));
    let strs = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let namespaced = spec["scope"].as_str() != Some("Cluster");
    let mut out = Vec::new();
    for v in spec["versions"].as_array().into_iter().flatten() {
        if v["served"].as_bool() == Some(false) {
            continue;
        }
        let Some(version) = v["name"].as_str() else {
            continue;
        };
        out.push(ResourceInfo {
            group: group.clone(),
            version: version.to_string(),
            plural: plural.clone(),
            singular: singular.clone(),
            kind: kind.clone(),
            list_kind: list_kind.clone(),
            namespaced,
            short_names: strs(&names["shortNames"]),
            categories: strs(&names["categories"]),
            status_subresource: v["subresources"].get("status").is_some(),
            scale_subresource: v["subresources"].get("scale").is_some(),
            has_generation: true,
            custom: true,
            schema: v["schema"].get("openAPIV3Schema").cloned(),
            storage_hash: Some(storage_hash(&group, &plural)),
            printer_columns: v["additionalPrinterColumns"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        });
    }
    out
}

fn storage_hash(group: &str, plural: &str) -> String {
    use base64::Engine;
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (group, plural).hash(&mut h);
    base64::engine::general_purpose::STANDARD.encode(h.finish().to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("apps", "deployments", "apps/v1", "deployments.apps")]
    #[case("", "configmaps", "v1", "configmaps")]
    fn names(#[case] group: &str, #[case] plural: &str, #[case] av: &str, #[case] q: &str) {
        let r = builtins()
            .into_iter()
            .find(|r| r.group == group && r.plural == plural)
            .unwrap();
        assert_eq!(r.api_version(), av);
        assert_eq!(r.qualified(), q);
    }

    #[test]
    fn crd_versions() {
        let crd = json!({"spec": {"group": "example.org", "scope": "Namespaced",
            "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wdg"]},
            "versions": [{"name": "v1", "served": true, "subresources": {"status": {}}},
                         {"name": "v2", "served": false}]}});
        let rs = from_crd(&crd);
        assert_eq!(rs.len(), 1);
        assert_eq!(rs[0].singular, "widget");
        assert!(rs[0].status_subresource);
        assert_eq!(rs[0].discovery_entries().len(), 2);
    }
}
