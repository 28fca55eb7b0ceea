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

//! Resource identity: group, version, kind, name and namespace (kustomize's `resid`).

use serde_json::Value;
use std::fmt;

/// Group, version and kind of a resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Gvk {
    /// API group ("" for the core group).
    pub group: String,
    /// API version.
    pub version: String,
    /// Kind.
    pub kind: String,
}

impl Gvk {
    /// Builds a GVK from an `apiVersion` string and a kind.
    pub fn from_api_version(api_version: &str, kind: &str) -> Self {
        let (group, version) = split_api_version(api_version);
        Gvk {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
        }
    }

    /// The `apiVersion` string (`group/version` or `version`).
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else if self.version.is_empty() {
            self.group.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// True when every non-empty field of `selector` equals ours (kustomize `Gvk.IsSelected`).
    pub fn is_selected(&self, selector: &Gvk) -> bool {
        (selector.group.is_empty() || selector.group == self.group)
            && (selector.version.is_empty() || selector.version == self.version)
            && (selector.kind.is_empty() || selector.kind == self.kind)
    }

    /// True for kinds the API server keeps outside namespaces.
    pub fn is_cluster_scoped(&self) -> bool {
        is_cluster_scoped(&self.group, &self.kind)
    }

    /// The sort key string kustomize uses (`group_version_kind` with `~G`, `~V`, `~K` for blanks).
    pub fn sort_string(&self) -> String {
        let g = if self.group.is_empty() {
            "~G"
        } else {
            &self.group
        };
        let v = if self.version.is_empty() {
            "~V"
        } else {
            &self.version
        };
        let k = if self.kind.is_empty() {
            "~K"
        } else {
            &self.kind
        };
        format!("{g}_{v}_{k}")
    }
}

impl fmt::Display for Gvk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = if self.kind.is_empty() {
            "[noKind]"
        } else {
            &self.kind
        };
        let v = if self.version.is_empty() {
            "[noVer]"
        } else {
            &self.version
        };
        let g = if self.group.is_empty() {
            "[noGrp]"
        } else {
            &self.group
        };
        write!(f, "{k}.{v}.{g}")
    }
}

/// Splits `apiVersion` into group and version.
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

/// The identity of one resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ResId {
    /// Group, version, kind.
    pub gvk: Gvk,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` ("" when unset).
    pub namespace: String,
}

impl ResId {
    /// Reads the identity of a resource document.
    pub fn of(obj: &Value) -> Self {
        let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
        let md = obj.get("metadata");
        ResId {
            gvk: Gvk::from_api_version(
                obj.get("apiVersion").and_then(Value::as_str).unwrap_or(""),
                obj.get("kind").and_then(Value::as_str).unwrap_or(""),
            ),
            name: s(md.and_then(|m| m.get("name"))),
            namespace: s(md.and_then(|m| m.get("namespace"))),
        }
    }

    /// The namespace kustomize compares with: cluster-scoped ids have none, "" means "default".
    pub fn effective_namespace(&self) -> &str {
        if self.gvk.is_cluster_scoped() {
            "_non_namespaceable_"
        } else if self.namespace.is_empty() {
            "default"
        } else {
            &self.namespace
        }
    }

    /// Namespace equality treating "" and "default" alike (kustomize `IsNsEquals`).
    pub fn ns_equals(&self, other: &ResId) -> bool {
        self.effective_namespace() == other.effective_namespace()
    }

    /// Full equality as kustomize's `ResId.Equals` (namespace folded, exact GVK).
    pub fn equals(&self, other: &ResId) -> bool {
        self.name == other.name && self.gvk == other.gvk && self.ns_equals(other)
    }

    /// True when every non-empty field of `sel` matches (kustomize `IsSelectedBy`).
    pub fn is_selected_by(&self, sel: &ResId) -> bool {
        (sel.name.is_empty() || sel.name == self.name)
            && (sel.namespace.is_empty() || self.ns_equals(sel))
            && self.gvk.is_selected(&sel.gvk)
    }
}

impl fmt::Display for ResId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = if self.name.is_empty() {
            "[noName]"
        } else {
            &self.name
        };
        let ns = if self.namespace.is_empty() {
            "[noNs]"
        } else {
            &self.namespace
        };
        write!(f, "{}/{n}.{ns}", self.gvk)
    }
}

/// True for the built-in kinds that are not namespaced (custom kinds count as namespaced).
pub fn is_cluster_scoped(group: &str, kind: &str) -> bool {
    let known: &[(&str, &str)] = &[
        ("", "Namespace"),
        ("", "Node"),
        ("", "PersistentVolume"),
        ("", "ComponentStatus"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        (
            "admissionregistration.k8s.io",
            "MutatingWebhookConfiguration",
        ),
        (
            "admissionregistration.k8s.io",
            "ValidatingWebhookConfiguration",
        ),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        (
            "admissionregistration.k8s.io",
            "ValidatingAdmissionPolicyBinding",
        ),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
        (
            "admissionregistration.k8s.io",
            "MutatingAdmissionPolicyBinding",
        ),
        ("storage.k8s.io", "StorageClass"),
        ("storage.k8s.io", "CSIDriver"),
        ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "VolumeAttachment"),
        ("storage.k8s.io", "VolumeAttributesClass"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("node.k8s.io", "RuntimeClass"),
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "IPAddress"),
        ("networking.k8s.io", "ServiceCIDR"),
        ("policy", "PodSecurityPolicy"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("certificates.k8s.io", "ClusterTrustBundle"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("authentication.k8s.io", "TokenReview"),
        ("authentication.k8s.io", "SelfSubjectReview"),
        ("authorization.k8s.io", "SelfSubjectAccessReview"),
        ("authorization.k8s.io", "SelfSubjectRulesReview"),
        ("authorization.k8s.io", "SubjectAccessReview"),
        ("internal.apiserver.k8s.io", "StorageVersion"),
        ("storagemigration.k8s.io", "StorageVersionMigration"),
        ("resource.k8s.io", "DeviceClass"),
        ("resource.k8s.io", "ResourceSlice"),
    ];
    known.iter().any(|(g, k)| *g == group && *k == kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case(json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"}}), "Deployment.v1.apps/web.[noNs]")]
    #[case(json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"x"}}), "ConfigMap.v1.[noGrp]/c.x")]
    fn displays_like_kustomize(#[case] obj: Value, #[case] want: &str) {
        assert_eq!(ResId::of(&obj).to_string(), want);
    }

    #[rstest]
    #[case("", "Namespace", true)]
    #[case("rbac.authorization.k8s.io", "ClusterRole", true)]
    #[case("example.com", "ClusterRole", false)]
    #[case("apps", "Deployment", false)]
    fn scope(#[case] g: &str, #[case] k: &str, #[case] want: bool) {
        assert_eq!(is_cluster_scoped(g, k), want);
    }

    #[test]
    fn default_namespace_folds() {
        let a = ResId {
            gvk: Gvk::from_api_version("v1", "Service"),
            name: "s".into(),
            namespace: "".into(),
        };
        let mut b = a.clone();
        b.namespace = "default".into();
        assert!(a.equals(&b));
        b.namespace = "x".into();
        assert!(!a.equals(&b));
    }
}
