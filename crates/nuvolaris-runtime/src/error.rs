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

//! The runtime's error type.

/// Everything that can go wrong while reconciling, rendering or starting controllers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A call to the Kubernetes API failed.
    #[error("{action}: {source}")]
    Kube {
        /// What was being done, naming the object (e.g. `apply deployment.apps demo/obj-demo-deploy`).
        action: String,
        /// The client error.
        #[source]
        source: kube::Error,
    },
    /// The kustomize build of a reconciler's manifests failed.
    #[error("kustomize build of {what}: {message}")]
    Kustomize {
        /// Which base or overlay.
        what: String,
        /// The engine's error message.
        message: String,
    },
    /// JSON (de)serialization failed.
    #[error("serialization: {0}")]
    Serialize(#[source] serde_json::Error),
    /// A rendered object lacks something every Kubernetes object needs.
    #[error("rendered object {object} is invalid: {reason}")]
    InvalidObject {
        /// The object, as far as known (`kind/name`).
        object: String,
        /// What is missing or wrong.
        reason: String,
    },
    /// A reconciler rendered a kind that it does not list in `child_kinds` and that discovery does not know.
    #[error("kind {kind} (apiVersion {api_version}) is not served by the API server: {source}")]
    UnknownKind {
        /// apiVersion of the object.
        api_version: String,
        /// kind of the object.
        kind: String,
        /// The discovery error.
        #[source]
        source: kube::Error,
    },
    /// The custom resource cannot be parsed or validated (reported as `InvalidSpec`).
    #[error("invalid {object}: {message}")]
    InvalidSpec {
        /// `namespace/name` of the resource.
        object: String,
        /// What was wrong.
        message: String,
    },
    /// A reconciler's cleanup waits for objects to disappear (e.g. claims deleted with their
    /// StatefulSets); the runtime looks again shortly, it is not a failure.
    #[error("cleanup of {owner} waits for {remaining} object(s) to disappear")]
    CleanupPending {
        /// `namespace/name` of the owner.
        owner: String,
        /// How many objects remain.
        remaining: usize,
    },
    /// A startup check failed (missing CRD, missing RBAC): the message names which.
    #[error("startup check failed: {0}")]
    Startup(String),
    /// Leader election failed.
    #[error("leader election: {0}")]
    Leader(String),
    /// A reconciler-specific failure.
    #[error("{0}")]
    Reconciler(String),
}

impl Error {
    /// Wraps a client error with a description of the action.
    pub fn kube(action: impl Into<String>, source: kube::Error) -> Self {
        Self::Kube {
            action: action.into(),
            source,
        }
    }

    /// Whether this is the API server refusing new content in a terminating namespace (see
    /// [`crate::events::is_namespace_terminating`]).
    pub fn is_namespace_terminating(&self) -> bool {
        match self {
            Self::Kube { source, .. } | Self::UnknownKind { source, .. } => {
                crate::events::is_namespace_terminating(source)
            }
            _ => false,
        }
    }

    /// A short, bounded label for the `error` metric label and Event reasons.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Self::Kube { .. } => "kube",
            Self::Kustomize { .. } => "kustomize",
            Self::Serialize(_) => "serialize",
            Self::InvalidObject { .. } => "invalid_object",
            Self::UnknownKind { .. } => "unknown_kind",
            Self::InvalidSpec { .. } => "invalid_spec",
            Self::CleanupPending { .. } => "cleanup_pending",
            Self::Startup(_) => "startup",
            Self::Leader(_) => "leader",
            Self::Reconciler(_) => "reconciler",
        }
    }
}
