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

//! Errors of the kustomize engine.

/// Everything that can go wrong while building a kustomization.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A YAML or JSON document could not be parsed.
    #[error("{file}: invalid YAML: {message}")]
    Yaml {
        /// File (relative to the build root) the document came from.
        file: String,
        /// Parser message, with line and column where known.
        message: String,
    },
    /// A file or directory could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The path that failed.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A file referenced by a kustomization lies outside its root.
    #[error("security; file '{file}' is not in or below '{root}'")]
    Security {
        /// The offending file.
        file: String,
        /// The kustomization root it must stay under.
        root: String,
    },
    /// A kustomization file is invalid (unknown field, wrong type, bad value).
    #[error("invalid Kustomization: {file}: {message}")]
    Kustomization {
        /// The kustomization file.
        file: String,
        /// What is wrong with it.
        message: String,
    },
    /// A build step failed; the message follows kustomize's wording.
    #[error("{0}")]
    Build(String),
    /// A strategic merge patch could not be applied (bad directive, missing merge key, ...).
    #[error("strategic merge patch: {path}: {message}")]
    StrategicMerge {
        /// Field path in the patch where the problem is (`.spec.template...`).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A feature the engine does not implement.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

impl From<nuvolaris_merge::MergeError> for Error {
    fn from(e: nuvolaris_merge::MergeError) -> Self {
        Error::StrategicMerge {
            path: e.path,
            message: e.message,
        }
    }
}

impl Error {
    /// Shorthand for a [`Error::Build`] error.
    pub fn build(msg: impl Into<String>) -> Self {
        Error::Build(msg.into())
    }

    /// Prefixes the message of the error with `ctx` (kustomize's `WrapPrefixf`).
    pub fn context(self, ctx: &str) -> Self {
        Error::Build(format!("{ctx}: {self}"))
    }
}
