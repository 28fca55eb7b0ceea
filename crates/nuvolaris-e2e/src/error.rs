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

//! The error type of the e2e tooling.

/// Errors of the e2e tooling; each says what failed and on which object, file or program.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A call to the Kubernetes API failed.
    #[error("{what}: {source}")]
    Kube {
        /// What was being done (verb and object).
        what: String,
        /// Cause.
        source: kube::Error,
    },
    /// A file or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done (file or program).
        what: String,
        /// Cause.
        source: std::io::Error,
    },
    /// A program or file a backend needs is missing.
    #[error("the {backend} backend needs {what}, which was not found (looked in: {looked})")]
    Missing {
        /// Backend name.
        backend: &'static str,
        /// What is missing.
        what: String,
        /// Where it was looked for.
        looked: String,
    },
    /// A program exited with an error.
    #[error("`{command}` failed: {message}")]
    Command {
        /// Command line.
        command: String,
        /// Exit status and output tail.
        message: String,
    },
    /// Something did not happen in time.
    #[error("timed out after {secs:.1}s waiting for {what}")]
    Timeout {
        /// What was waited for.
        what: String,
        /// How long.
        secs: f64,
    },
    /// A file or document could not be parsed.
    #[error("cannot parse {what}: {message}")]
    Parse {
        /// File or document.
        what: String,
        /// Parser message.
        message: String,
    },
    /// The embedded API server failed.
    #[error("embedded API server: {0}")]
    ApiServer(#[from] nuvolaris_apiserver::Error),
    /// An HTTP request to the operator or the API server failed.
    #[error("{what}: {source}")]
    Http {
        /// URL.
        what: String,
        /// Cause.
        source: reqwest::Error,
    },
    /// A scenario check failed.
    #[error("{0}")]
    Check(String),
}

impl Error {
    /// Wraps a kube error with what was being done.
    pub fn kube(what: impl Into<String>, source: kube::Error) -> Self {
        Error::Kube {
            what: what.into(),
            source,
        }
    }

    /// Wraps an I/O error with what was being done.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            what: what.into(),
            source,
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Fails a scenario check with a message when `cond` is false.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err($crate::Error::Check(format!($($fmt)+)));
        }
    };
}
