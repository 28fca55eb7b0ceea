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

//! Type-erased reconcilers, so the binary can hold a list of them: one line per reconciler.

use crate::applier::{self, Owner};
use crate::child_kind::ChildKind;
use crate::controller::{self, ControllerConfig, Shared};
use crate::error::Error;
use crate::rbac;
use crate::reconciler::Reconciler;
use futures::future::BoxFuture;
use futures::FutureExt;
use k8s_openapi::api::rbac::v1::PolicyRule;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::core::ApiResource;
use kube::{Client, CustomResourceExt, Resource};
use serde_json::Value;
use std::sync::Arc;

/// A registered reconciler, with its resource type erased.
pub trait Registration: Send + Sync {
    /// The reconciler's name (`--reconcilers` value, metrics label).
    fn name(&self) -> &'static str;
    /// The CRD of its resource.
    fn crd(&self) -> CustomResourceDefinition;
    /// Its resource as an `ApiResource`.
    fn api_resource(&self) -> ApiResource;
    /// The child kinds it manages.
    fn child_kinds(&self) -> Vec<ChildKind>;
    /// Every RBAC rule it needs (resource, status, finalizers, children, extras).
    fn rbac_rules(&self) -> Vec<PolicyRule>;
    /// Whether a document with this apiVersion and kind is its resource.
    fn handles(&self, api_version: &str, kind: &str) -> bool;
    /// Offline render of a resource document: exactly what [`crate::Applier::apply`] sends,
    /// except that ownerReferences need the live uid and are left out.
    fn render(&self, doc: &Value) -> Result<Vec<Value>, Error>;
    /// Runs the startup checks (see [`controller::startup_checks`]).
    fn check<'a>(
        &'a self,
        client: &'a Client,
        namespace: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), String>>;
    /// Runs the controller until `shutdown` resolves.
    fn run(
        &self,
        shared: Shared,
        cfg: ControllerConfig,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> BoxFuture<'static, ()>;
    /// The subcommands it contributes to the binary (e.g. Whisk's `couchdb-init`, run by a Job).
    fn commands(&self) -> Vec<ReconcilerCommand> {
        Vec::new()
    }
}

/// Error of a [`ReconcilerCommand`].
pub type CommandError = Box<dyn std::error::Error + Send + Sync>;

/// A subcommand of the operator binary contributed by a reconciler crate through its
/// registration, so adding one edits no enum of the binary.
#[derive(Clone, Debug)]
pub struct ReconcilerCommand {
    /// Subcommand name, e.g. `couchdb-init`.
    pub name: &'static str,
    /// One-line help.
    pub about: &'static str,
    /// Runs it with the arguments after the subcommand name.
    pub run: fn(Vec<String>) -> BoxFuture<'static, Result<(), CommandError>>,
}

impl rbac::RuleSource for Arc<dyn Registration> {
    fn rules(&self) -> Vec<PolicyRule> {
        self.rbac_rules()
    }
}

struct Registered<R: Reconciler>(Arc<R>, Vec<ReconcilerCommand>);

/// Registers a reconciler: `nuvolaris_runtime::register(SampleReconciler::default())`.
pub fn register<R: Reconciler>(reconciler: R) -> Arc<dyn Registration> {
    register_with_commands(reconciler, Vec::new())
}

/// Registers a reconciler that also contributes subcommands to the binary.
pub fn register_with_commands<R: Reconciler>(
    reconciler: R,
    commands: Vec<ReconcilerCommand>,
) -> Arc<dyn Registration> {
    Arc::new(Registered(Arc::new(reconciler), commands))
}

impl<R: Reconciler> Registration for Registered<R> {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn crd(&self) -> CustomResourceDefinition {
        R::Resource::crd()
    }
    fn api_resource(&self) -> ApiResource {
        ApiResource::erase::<R::Resource>(&())
    }
    fn child_kinds(&self) -> Vec<ChildKind> {
        self.0.child_kinds()
    }
    fn rbac_rules(&self) -> Vec<PolicyRule> {
        let mut rules = rbac::resource_rules(&self.api_resource());
        rules.extend(rbac::child_rules(&self.0.child_kinds()));
        rules.extend(self.0.extra_rules());
        rules
    }
    fn handles(&self, api_version: &str, kind: &str) -> bool {
        R::Resource::api_version(&()) == api_version && R::Resource::kind(&()) == kind
    }
    fn render(&self, doc: &Value) -> Result<Vec<Value>, Error> {
        let name = doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let obj: R::Resource =
            serde_json::from_value(doc.clone()).map_err(|e| Error::InvalidSpec {
                object: name.clone(),
                message: e.to_string(),
            })?;
        self.0
            .validate(&obj)
            .map_err(|message| Error::InvalidSpec {
                object: name,
                message,
            })?;
        let docs = self.0.render(&obj)?;
        let mut owner = Owner::of(&obj);
        owner.uid = None;
        applier::stamp(&owner, &self.0.child_kinds(), docs)
    }
    fn check<'a>(
        &'a self,
        client: &'a Client,
        namespace: Option<&'a str>,
    ) -> BoxFuture<'a, Result<(), String>> {
        controller::startup_checks(&*self.0, client, namespace).boxed()
    }
    fn run(
        &self,
        shared: Shared,
        cfg: ControllerConfig,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> BoxFuture<'static, ()> {
        controller::run(self.0.clone(), shared, cfg, shutdown).boxed()
    }
    fn commands(&self) -> Vec<ReconcilerCommand> {
        self.1.clone()
    }
}
