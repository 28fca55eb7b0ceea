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

//! The kinds of objects a reconciler creates (its children): watched, pruned and granted in
//! RBAC by the runtime.

use kube::core::ApiResource;

/// A kind of object a reconciler creates (children): used to watch, prune and build RBAC.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChildKind {
    /// API group, empty for the core group.
    pub group: &'static str,
    /// API version, e.g. `v1`.
    pub version: &'static str,
    /// Kind, e.g. `Deployment`.
    pub kind: &'static str,
    /// Resource plural, e.g. `deployments`.
    pub plural: &'static str,
    /// Whether objects of this kind live in a namespace.
    pub namespaced: bool,
}

impl ChildKind {
    /// A namespaced kind.
    pub const fn namespaced(
        group: &'static str,
        version: &'static str,
        kind: &'static str,
        plural: &'static str,
    ) -> Self {
        Self {
            group,
            version,
            kind,
            plural,
            namespaced: true,
        }
    }

    /// A cluster-scoped kind.
    pub const fn cluster(
        group: &'static str,
        version: &'static str,
        kind: &'static str,
        plural: &'static str,
    ) -> Self {
        Self {
            group,
            version,
            kind,
            plural,
            namespaced: false,
        }
    }

    /// `apps/v1` style apiVersion (`v1` for the core group).
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `deployment.apps` style name used in messages (kubectl's `kind.group`).
    pub fn kind_group(&self) -> String {
        if self.group.is_empty() {
            self.kind.to_lowercase()
        } else {
            format!("{}.{}", self.kind.to_lowercase(), self.group)
        }
    }

    /// The `ApiResource` for untyped API access.
    pub fn api_resource(&self) -> ApiResource {
        ApiResource {
            group: self.group.to_string(),
            version: self.version.to_string(),
            api_version: self.api_version(),
            kind: self.kind.to_string(),
            plural: self.plural.to_string(),
        }
    }
}

/// Common child kinds, so reconcilers and tests spell them the same way.
pub mod kinds {
    use super::ChildKind;
    /// apps/v1 Deployment.
    pub const DEPLOYMENT: ChildKind =
        ChildKind::namespaced("apps", "v1", "Deployment", "deployments");
    /// apps/v1 StatefulSet.
    pub const STATEFULSET: ChildKind =
        ChildKind::namespaced("apps", "v1", "StatefulSet", "statefulsets");
    /// batch/v1 Job.
    pub const JOB: ChildKind = ChildKind::namespaced("batch", "v1", "Job", "jobs");
    /// batch/v1 CronJob.
    pub const CRONJOB: ChildKind = ChildKind::namespaced("batch", "v1", "CronJob", "cronjobs");
    /// v1 Service.
    pub const SERVICE: ChildKind = ChildKind::namespaced("", "v1", "Service", "services");
    /// v1 ConfigMap.
    pub const CONFIGMAP: ChildKind = ChildKind::namespaced("", "v1", "ConfigMap", "configmaps");
    /// v1 Secret.
    pub const SECRET: ChildKind = ChildKind::namespaced("", "v1", "Secret", "secrets");
    /// v1 ServiceAccount.
    pub const SERVICEACCOUNT: ChildKind =
        ChildKind::namespaced("", "v1", "ServiceAccount", "serviceaccounts");
    /// v1 PersistentVolumeClaim.
    pub const PVC: ChildKind =
        ChildKind::namespaced("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims");
    /// networking.k8s.io/v1 Ingress.
    pub const INGRESS: ChildKind =
        ChildKind::namespaced("networking.k8s.io", "v1", "Ingress", "ingresses");
    /// rbac.authorization.k8s.io/v1 Role.
    pub const ROLE: ChildKind =
        ChildKind::namespaced("rbac.authorization.k8s.io", "v1", "Role", "roles");
    /// rbac.authorization.k8s.io/v1 RoleBinding.
    pub const ROLEBINDING: ChildKind = ChildKind::namespaced(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
    );
    /// v1 Namespace.
    pub const NAMESPACE: ChildKind = ChildKind::cluster("", "v1", "Namespace", "namespaces");
}
