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

//! Native clients for the Whisk side effects, run in the operator process (the image is
//! distroless: no `redis-cli`, `mc` or `psql`): Redis ACL users, S3 buckets, policies and objects,
//! the MinIO admin API (users, canned policies, attachments, quotas) with madmin's encrypted
//! bodies, the service [`resolver`] and input [`fingerprint`]s for "rerun only when the inputs
//! change". No Kubernetes code here; every call has a timeout and fails with a
//! [`ServiceError`] that names the service, the address and the operation, never a password.

pub mod error;
pub mod fingerprint;
pub mod minio_admin;
pub mod redis;
pub mod resolver;
pub mod s3;
pub mod sigv4;
pub mod sio;
pub mod steps;
#[cfg(feature = "stand-in")]
pub mod testing;

pub use error::{ErrorKind, Service, ServiceError};
pub use fingerprint::{fingerprint, Secret};
pub use resolver::{ServiceResolver, ENV_SERVICE_OVERRIDES};

/// The HTTP client of the S3 and admin calls: plain HTTP to in-cluster services, no proxy.
pub(crate) fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("the HTTP client builds (no TLS configuration to fail)")
}

/// How a service reports errors in a response body.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ErrorFormat {
    /// MinIO admin: `{"Code": .., "Message": ..}`.
    Json,
    /// S3: `<Error><Code>..</Code><Message>..</Message></Error>`.
    Xml,
}

/// Sends `request`; a 2xx answer's body, else an error built by `error` with the status and the
/// service's error code and message (redacted of `secrets`).
pub(crate) async fn send(
    request: reqwest::RequestBuilder,
    timeout: std::time::Duration,
    error: impl Fn(ErrorKind) -> ServiceError,
    secrets: &[&str],
    format: ErrorFormat,
) -> Result<Vec<u8>, ServiceError> {
    let transport = |e: reqwest::Error| transport_kind(e, timeout, secrets);
    // reqwest's timeout covers the whole call; the outer one is a guard
    let response = tokio::time::timeout(timeout, request.send())
        .await
        .map_err(|_| error(ErrorKind::Timeout(timeout)))?
        .map_err(|e| error(transport(e)))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| error(transport(e)))?;
    if status.is_success() {
        return Ok(body.to_vec());
    }
    let text = String::from_utf8_lossy(&body);
    let (code, message) = match format {
        ErrorFormat::Json => serde_json::from_slice::<serde_json::Value>(&body)
            .map(|v| {
                let field = |k: &str| {
                    v.get(k)
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                (field("Code"), field("Message"))
            })
            .unwrap_or_else(|_| (String::new(), text.trim().chars().take(200).collect())),
        ErrorFormat::Xml => (xml_field(&text, "Code"), xml_field(&text, "Message")),
    };
    Err(error(ErrorKind::Status {
        status: status.as_u16(),
        code,
        message: error::redact(&message, secrets),
    }))
}

/// The [`ErrorKind`] of a transport error (redacted of `secrets`).
/// The URL is left out: a presigned URL's signature is a credential for that request.
pub(crate) fn transport_kind(
    e: reqwest::Error,
    timeout: std::time::Duration,
    secrets: &[&str],
) -> ErrorKind {
    let e = &e.without_url();
    if e.is_timeout() {
        ErrorKind::Timeout(timeout)
    } else if e.is_connect() {
        ErrorKind::Connect(error::redact(&error_chain(e), secrets))
    } else {
        ErrorKind::Protocol(error::redact(&error_chain(e), secrets))
    }
}

/// The text of the first `<name>...</name>` in `xml` (S3 error bodies), empty when absent.
pub(crate) fn xml_field(xml: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    xml.split_once(&open)
        .and_then(|(_, rest)| rest.split_once(&close))
        .map(|(value, _)| {
            value
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        })
        .unwrap_or_default()
}

/// An error and its sources, `: `-joined (reqwest hides the cause in the source chain).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
