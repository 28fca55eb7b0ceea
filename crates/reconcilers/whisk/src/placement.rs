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

//! Where and how workload pods run (upstream `n/util.py`): affinity and tolerations from
//! `nuvolaris.affinity` / `nuvolaris.tolerations` (upstream `t/affinity-tolerance-*-attach.yaml`),
//! and the pod security context upstream enables on some clusters (`get_enable_pod_security`).
//!
//! Each workload component adds [`pod_patch`] to its overlay; nothing is added while both flags
//! are off, so the default render is unchanged.

use crate::overlay::Patch;
use crate::resolve::Settings;
use serde_json::{json, Value};

/// Node label upstream uses for node roles.
pub const ROLE_LABEL: &str = "nuvolaris-role";

/// The scheduling and security settings of one render.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Placement {
    /// `nuvolaris.affinity`: prefer core nodes, avoid invoker nodes, one pod per host.
    pub affinity: bool,
    /// `nuvolaris.tolerations`: tolerate `nuvolaris-role=core:NoSchedule`.
    pub tolerations: bool,
    /// Pod `fsGroup`/`runAsUser` on clusters that need it: kube eks, gke, aks or generic, or k3s
    /// with a `rook` storage class (upstream's rule; used by the workloads upstream sets it on).
    pub pod_security: bool,
}

impl Placement {
    /// The placement of a render with settings `s` and the spec's flags.
    pub fn of(s: &Settings, affinity: Option<bool>, tolerations: Option<bool>) -> Self {
        let rook = s
            .storage_class
            .as_deref()
            .is_some_and(|c| c.contains("rook"));
        Self {
            affinity: affinity.unwrap_or(false),
            tolerations: tolerations.unwrap_or(false),
            pod_security: matches!(s.kube.as_str(), "eks" | "gke" | "aks" | "generic")
                || (s.kube == "k3s" && rook),
        }
    }

    /// The pod `securityContext` upstream sets on workloads running as `uid` (redis and minio:
    /// 1001, ferretdb: 65534), when pod security is on.
    pub fn security_context(&self, uid: i64) -> Option<Value> {
        self.pod_security
            .then(|| json!({ "fsGroup": uid, "runAsUser": uid }))
    }
}

/// The affinity block upstream attaches, for pods labelled `name: <anti_affinity_name>`.
pub fn affinity(anti_affinity_name: &str) -> Value {
    json!({
        "nodeAffinity": { "preferredDuringSchedulingIgnoredDuringExecution": [
            { "weight": 100, "preference": { "matchExpressions": [
                { "key": ROLE_LABEL, "operator": "NotIn", "values": ["invoker"] } ] } },
            { "weight": 80, "preference": { "matchExpressions": [
                { "key": ROLE_LABEL, "operator": "In", "values": ["core"] } ] } }
        ] },
        "podAntiAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": [
            { "labelSelector": { "matchExpressions": [
                { "key": "name", "operator": "In", "values": [anti_affinity_name] } ] },
              "topologyKey": "kubernetes.io/hostname" }
        ] }
    })
}

/// The toleration upstream attaches.
pub fn tolerations() -> Value {
    json!([{ "key": ROLE_LABEL, "operator": "Equal", "value": "core", "effect": "NoSchedule" }])
}

/// A strategic-merge patch adding affinity, tolerations and (with `uid`) the pod security
/// context to workload `kind`/`name`; `None` when there is nothing to add.
pub fn pod_patch(
    p: &Placement,
    api_version: &str,
    kind: &str,
    name: &str,
    anti_affinity_name: &str,
    uid: Option<i64>,
) -> Option<Patch> {
    let mut spec = serde_json::Map::new();
    if p.affinity {
        spec.insert("affinity".into(), affinity(anti_affinity_name));
    }
    if p.tolerations {
        spec.insert("tolerations".into(), tolerations());
    }
    if let Some(sc) = uid.and_then(|u| p.security_context(u)) {
        spec.insert("securityContext".into(), sc);
    }
    if spec.is_empty() {
        return None;
    }
    Some(Patch::Strategic(json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": { "name": name },
        "spec": { "template": { "spec": Value::Object(spec) } }
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn settings(kube: &str, sc: Option<&str>) -> Settings {
        Settings {
            namespace: "nuvolaris".into(),
            kube: kube.into(),
            tls: false,
            ingress_class: "nginx".into(),
            storage_class: sc.map(str::to_string),
            apihost: None,
            couchdb_host: "couchdb".into(),
            couchdb_port: 5984,
            couchdb_volume_gib: 10,
            route_timeout_seconds: 300,
        }
    }

    #[rstest]
    #[case("eks", None, true)]
    #[case("gke", None, true)]
    #[case("aks", None, true)]
    #[case("generic", None, true)]
    #[case("kind", None, false)]
    #[case("k3s", None, false)]
    #[case("k3s", Some("rook-ceph-block"), true)]
    #[case("openshift", None, false)]
    fn pod_security_follows_upstream(
        #[case] kube: &str,
        #[case] sc: Option<&str>,
        #[case] want: bool,
    ) {
        let p = Placement::of(&settings(kube, sc), None, None);
        assert_eq!(p.pod_security, want);
        assert_eq!(
            p.security_context(1001),
            want.then(|| json!({"fsGroup": 1001, "runAsUser": 1001}))
        );
    }

    #[test]
    fn nothing_is_added_by_default() {
        let p = Placement::of(&settings("kind", None), None, None);
        assert_eq!(
            pod_patch(&p, "apps/v1", "StatefulSet", "couchdb", "couchdb", None),
            None
        );
    }

    #[test]
    fn affinity_and_tolerations_are_upstreams() {
        let p = Placement::of(&settings("kind", None), Some(true), Some(true));
        let Some(Patch::Strategic(v)) =
            pod_patch(&p, "apps/v1", "StatefulSet", "couchdb", "couchdb", None)
        else {
            panic!("no patch")
        };
        let spec = &v["spec"]["template"]["spec"];
        assert_eq!(
            spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
                [0]["labelSelector"]["matchExpressions"][0]["values"],
            json!(["couchdb"])
        );
        assert_eq!(
            spec["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
                ["weight"],
            100
        );
        assert_eq!(spec["tolerations"][0]["value"], "core");
        assert!(spec.get("securityContext").is_none());
    }
}
