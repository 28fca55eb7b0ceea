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

//! Errors of the Whisk reconciler.

/// Everything that can go wrong while rendering or reconciling a `Whisk`, or preparing CouchDB.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The `Whisk` spec holds a value we cannot use.
    #[error("invalid Whisk spec: field `{field}`: {message}")]
    InvalidSpec {
        /// Dotted path of the offending field.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The runtimes manifest (`runtimes.json`) could not be read.
    #[error("invalid runtimes manifest (ConfigMap openwhisk-runtimes, key runtimes.json): {0}")]
    Runtimes(String),
    /// The kustomize build of the rendered overlay failed.
    #[error("kustomize build of the Whisk overlay failed: {0}")]
    Kustomize(#[from] nuvolaris_kustomize::Error),
    /// A generated document could not be serialized.
    #[error("serializing {what}: {source}")]
    Serialize {
        /// What was being serialized.
        what: String,
        /// The serde error.
        source: serde_json::Error,
    },
    /// A Kubernetes API call failed.
    #[error("kubernetes API: {context}: {source}")]
    Kube {
        /// The call and object concerned.
        context: String,
        /// The client error.
        source: kube::Error,
    },
    /// A setting of the couchdb-init job is missing (environment variable).
    #[error("couchdb-init: missing setting {0}")]
    MissingSetting(String),
    /// An HTTP call to CouchDB failed or answered unexpectedly.
    #[error("couchdb: {method} {path}: {message}")]
    Couchdb {
        /// HTTP method.
        method: String,
        /// Path (never the credentials).
        path: String,
        /// What went wrong (status and body excerpt).
        message: String,
    },
    /// CouchDB did not become reachable in time.
    #[error("couchdb at {url} not reachable after {seconds}s")]
    CouchdbUnreachable {
        /// Base URL (without credentials).
        url: String,
        /// How long we waited.
        seconds: u64,
    },
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
