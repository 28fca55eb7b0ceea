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

//! The `Reconciler` trait: what a reconciler crate implements to plug into the operator.
//!
//! A contributor adds a reconciler as one crate that implements [`Reconciler`] and one line in
//! the binary's registry (`nuvolaris_runtime::register(MyReconciler::default())`). The runtime
//! does everything around it: watching the custom resource (as untyped objects, so a malformed
//! one becomes an `InvalidSpec` condition instead of a broken watch), the finalizer, owned-child
//! watches, server-side apply with inventory labels and pruning, status writes that skip
//! identical content, Events, metrics, backoff, leader election and graceful shutdown.
//!
//! Reconcilers are step-wise: [`Reconciler::reconcile`] checks readiness and returns an
//! [`ReconcileOutcome`] with a requeue delay instead of waiting inside the call.

use crate::{Ctx, Error};
use k8s_openapi::api::rbac::v1::PolicyRule;
use kube::api::DynamicObject;
use kube::core::ApiResource;
use kube::{CustomResourceExt, Resource};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

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

/// What one reconcile step decided.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReconcileOutcome {
    /// The complete new `.status` of the resource; `None` leaves the status alone.
    ///
    /// The runtime compares it with the live status and writes only when it differs, so a
    /// deterministic status (see [`crate::conditions`]) makes a steady state write-free.
    pub status: Option<Value>,
    /// Reconcile again after this long (e.g. while children are not ready yet); `None` means the
    /// periodic resync.
    pub requeue_after: Option<Duration>,
}

impl ReconcileOutcome {
    /// An outcome that sets `status` (serialized) and waits for the periodic resync.
    pub fn with_status<S: Serialize>(status: &S) -> Result<Self, Error> {
        Ok(Self {
            status: Some(serde_json::to_value(status).map_err(Error::Serialize)?),
            requeue_after: None,
        })
    }

    /// Asks to be reconciled again after `d`.
    pub fn requeue(mut self, d: Duration) -> Self {
        self.requeue_after = Some(d);
        self
    }
}

/// A reconciler for one custom resource kind.
///
/// Implement it with plain `async fn`s; every future must be `Send`.
pub trait Reconciler: Send + Sync + 'static {
    /// The custom resource type (generated by `#[derive(CustomResource)]`).
    type Resource: Resource<DynamicType = ()>
        + CustomResourceExt
        + Clone
        + Debug
        + DeserializeOwned
        + Serialize
        + Send
        + Sync
        + 'static;

    /// Short name: the `controller` metric label, the log field and the `--reconcilers` value.
    fn name(&self) -> &'static str;

    /// Every kind of child this reconciler may apply: watched (a change re-triggers the owner),
    /// pruned by inventory, and granted in the ClusterRole.
    fn child_kinds(&self) -> Vec<ChildKind>;

    /// What this reconciler reads of a child's state (typically its readiness), as a value
    /// compared between watch events.
    ///
    /// A child's watch event reconciles its owner only when this summary, the child's
    /// `generation`, labels, annotations or ownerReferences change, so status noise (a
    /// Deployment's replica counts moving one by one, `observedGeneration`, resourceVersion
    /// bumps) costs nothing. The default is the child's whole `.status`, which filters only
    /// resourceVersion and metadata bookkeeping; override it with exactly what `reconcile`
    /// reads (e.g. `json!(deployment_ready(child))`) to make a readiness flip the only status
    /// event that wakes the owner.
    fn child_summary(&self, kind: &ChildKind, child: &DynamicObject) -> Value {
        let _ = kind;
        child.data.get("status").cloned().unwrap_or(Value::Null)
    }

    /// RBAC rules needed beyond the child kinds and the resource itself (e.g. reading Pods).
    fn extra_rules(&self) -> Vec<PolicyRule> {
        Vec::new()
    }

    /// Checks what the schema cannot (or what a schema-less CRD let through).
    ///
    /// An `Err(message)` becomes `Ready=False` with reason `InvalidSpec`, a Warning Event and
    /// no writes to children.
    fn validate(&self, obj: &Self::Resource) -> Result<(), String> {
        let _ = obj;
        Ok(())
    }

    /// Offline: every object this reconciler would apply for `obj` in its current state, before
    /// the runtime stamps ownerReferences and inventory labels (see `applier::stamp`).
    fn render(&self, obj: &Self::Resource) -> Result<Vec<Value>, Error>;

    /// One level-triggered reconcile step: apply (via [`Ctx::apply`]), read readiness, return
    /// the status and when to look again. Never block waiting for workloads.
    fn reconcile(
        &self,
        obj: Arc<Self::Resource>,
        ctx: &Ctx,
    ) -> impl Future<Output = Result<ReconcileOutcome, Error>> + Send;

    /// Extra cleanup when the resource is deleted, before its finalizer goes.
    ///
    /// The runtime has already deleted every object in the resource's inventory (owned or not)
    /// when this runs. `obj` is `None` when the resource could not be parsed. Must be idempotent.
    fn cleanup(
        &self,
        obj: Option<Arc<Self::Resource>>,
        ctx: &Ctx,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let _ = (obj, ctx);
        async { Ok(()) }
    }
}
