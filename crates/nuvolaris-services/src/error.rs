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

//! The one error type of every service call: it names the service, the address and the operation,
//! and never carries a password (messages from servers are redacted before they get here).

use std::fmt;
use std::time::Duration;

/// Which backing service a call talked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Redis (RESP).
    Redis,
    /// An S3 endpoint (MinIO or another S3 server).
    S3,
    /// The MinIO admin API (`/minio/admin/v3/`).
    MinioAdmin,
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Redis => "redis",
            Service::S3 => "s3",
            Service::MinioAdmin => "minio-admin",
        })
    }
}

/// What went wrong in a [`ServiceError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The call did not finish within its timeout.
    Timeout(Duration),
    /// The TCP/HTTP connection failed.
    Connect(String),
    /// The server refused the credentials.
    Auth(String),
    /// The server answered with an error (HTTP status, error code and message).
    Status {
        /// HTTP status, `0` for non-HTTP protocols.
        status: u16,
        /// The server's error code (S3/MinIO `Code`, Redis error kind), possibly empty.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The answer could not be understood.
    Protocol(String),
    /// A request body could not be encrypted or an answer decrypted.
    Crypto(String),
    /// The caller's input cannot be sent (e.g. a Redis key prefix with glob characters).
    Invalid(String),
}

/// A failed service call. `Display` is `<service> at <addr>: <operation>: <what>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{service} at {addr}: {operation}: {kind}")]
pub struct ServiceError {
    /// The service called.
    pub service: Service,
    /// Its address (`host:port`).
    pub addr: String,
    /// The operation, e.g. `ACL SETUSER nuvolaris` or `PUT add-user`.
    pub operation: String,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl ServiceError {
    /// A new error.
    pub fn new(
        service: Service,
        addr: &str,
        operation: impl Into<String>,
        kind: ErrorKind,
    ) -> Self {
        Self {
            service,
            addr: addr.to_owned(),
            operation: operation.into(),
            kind,
        }
    }

    /// The HTTP status of an [`ErrorKind::Status`], else `None`.
    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            ErrorKind::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server error code of an [`ErrorKind::Status`], else `None`.
    pub fn code(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::Status { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Timeout(after) => write!(f, "timed out after {after:?}"),
            ErrorKind::Connect(message) => write!(f, "cannot connect: {message}"),
            ErrorKind::Auth(message) => write!(f, "authentication failed: {message}"),
            ErrorKind::Status {
                status,
                code,
                message,
            } => {
                if *status != 0 {
                    write!(f, "HTTP {status}")?;
                    if !code.is_empty() || !message.is_empty() {
                        f.write_str(": ")?;
                    }
                }
                match (code.is_empty(), message.is_empty()) {
                    (false, false) => write!(f, "{code}: {message}"),
                    (false, true) => f.write_str(code),
                    (true, false) => f.write_str(message),
                    (true, true) => Ok(()),
                }
            }
            ErrorKind::Protocol(message) => write!(f, "unexpected answer: {message}"),
            ErrorKind::Crypto(message) => write!(f, "encryption: {message}"),
            ErrorKind::Invalid(message) => write!(f, "invalid input: {message}"),
        }
    }
}

/// `text` with every non-empty `secret` replaced by `<redacted>`: server messages can echo a
/// command argument (Redis quotes the offending ACL rule, for one).
pub fn redact(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|secret| !secret.is_empty())
        .fold(text.to_owned(), |text, secret| {
            text.replace(secret, "<redacted>")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(
        ErrorKind::Timeout(Duration::from_secs(10)),
        "redis at 10.0.0.1:6379: ACL SETUSER nuvolaris: timed out after 10s"
    )]
    #[case(ErrorKind::Status { status: 404, code: "XMinioAdminNoSuchUser".into(), message: "no such user".into() }, "redis at 10.0.0.1:6379: ACL SETUSER nuvolaris: HTTP 404: XMinioAdminNoSuchUser: no such user")]
    #[case(ErrorKind::Status { status: 0, code: "NOPERM".into(), message: String::new() }, "redis at 10.0.0.1:6379: ACL SETUSER nuvolaris: NOPERM")]
    fn display_names_service_address_and_operation(#[case] kind: ErrorKind, #[case] shown: &str) {
        let error = ServiceError::new(
            Service::Redis,
            "10.0.0.1:6379",
            "ACL SETUSER nuvolaris",
            kind,
        );
        assert_eq!(error.to_string(), shown);
    }

    #[rstest]
    #[case("ERR Error in ACL SETUSER modifier '>s3cret': bad", &["s3cret"], "ERR Error in ACL SETUSER modifier '><redacted>': bad")]
    #[case("nothing here", &["s3cret", ""], "nothing here")]
    #[case("a and b", &["a", "b"], "<redacted> <redacted>nd <redacted>")]
    fn redact_hides_every_secret(
        #[case] text: &str,
        #[case] secrets: &[&str],
        #[case] redacted: &str,
    ) {
        assert_eq!(redact(text, secrets), redacted);
    }
}
