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

//! A recording stand-in for the MinIO admin API (there is no installable MinIO here): it checks
//! every request's SigV4 signature against the admin credentials, decrypts the encrypted bodies
//! with the admin secret key, keeps users, canned policies, attachments and quotas the way MinIO
//! does, answers like MinIO (encrypted where MinIO encrypts), and records every call for
//! assertions.

use crate::{sigv4, sio};
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// One recorded admin call.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminCall {
    /// HTTP method.
    pub method: String,
    /// The command: the path after `/minio/admin/v3/`, e.g. `add-user`.
    pub command: String,
    /// Decoded query parameters.
    pub query: BTreeMap<String, String>,
    /// The body as JSON, decrypted when it was encrypted (`None` when empty or not JSON).
    pub body: Option<Value>,
    /// Whether the body was encrypted.
    pub encrypted: bool,
    /// The status answered.
    pub status: u16,
}

/// A user kept by the stand-in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StandInUser {
    /// Its secret key (from the decrypted add-user body).
    pub secret_key: String,
    /// `enabled` or `disabled`.
    pub status: String,
    /// Attached policies, in attach order.
    pub policies: Vec<String>,
}

/// What the stand-in holds, as MinIO would.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AdminState {
    /// Users by access key.
    pub users: BTreeMap<String, StandInUser>,
    /// Canned policies by name.
    pub policies: BTreeMap<String, Value>,
    /// Hard quotas in bytes by bucket.
    pub quotas: BTreeMap<String, u64>,
}

impl AdminState {
    /// The `Resource` ARNs of every statement of canned policy `name`.
    pub fn policy_resources(&self, name: &str) -> Vec<String> {
        let Some(policy) = self.policies.get(name) else {
            return Vec::new();
        };
        policy["Statement"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|s| match &s["Resource"] {
                Value::String(r) => vec![r.clone()],
                Value::Array(rs) => rs
                    .iter()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            })
            .collect()
    }
}

#[derive(Debug, Default)]
struct Shared {
    state: AdminState,
    calls: Vec<AdminCall>,
}

/// The running stand-in; stops when dropped.
#[derive(Debug)]
pub struct AdminStandIn {
    addr: std::net::SocketAddr,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

struct Config {
    access_key: String,
    secret_key: String,
    shared: Arc<Mutex<Shared>>,
}

impl AdminStandIn {
    /// Starts on a free port of 127.0.0.1, accepting requests signed with `access_key` and
    /// `secret_key` (MinIO's root credentials).
    pub async fn start(access_key: &str, secret_key: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the admin stand-in");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Mutex::new(Shared::default()));
        let config = Arc::new(Config {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            shared: shared.clone(),
        });
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let config = config.clone();
                async move { handle(&config, method, uri, headers, body) }
            },
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared, task }
    }

    /// `127.0.0.1:<port>`: the `minio-admin` override.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<AdminCall> {
        self.shared.lock().expect("stand-in lock").calls.clone()
    }

    /// The calls of `command` (e.g. `add-user`) so far.
    pub fn calls_of(&self, command: &str) -> Vec<AdminCall> {
        self.calls()
            .into_iter()
            .filter(|c| c.command == command)
            .collect()
    }

    /// Users, policies, attachments and quotas now.
    pub fn state(&self) -> AdminState {
        self.shared.lock().expect("stand-in lock").state.clone()
    }

    /// Forgets the calls recorded so far (the state stays).
    pub fn clear_calls(&self) {
        self.shared.lock().expect("stand-in lock").calls.clear();
    }
}

impl Drop for AdminStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn minio_error(status: StatusCode, code: &str, message: &str) -> (StatusCode, Vec<u8>) {
    (status, json!({"Code": code, "Message": message, "Resource": "/minio/admin/v3", "RequestId": "stand-in"}).to_string().into_bytes())
}

fn handle(config: &Config, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let command = uri
        .path()
        .strip_prefix(crate::minio_admin::ADMIN_PREFIX)
        .unwrap_or(uri.path())
        .to_owned();
    let raw_query = uri.query().unwrap_or("");
    let query: BTreeMap<String, String> = url::form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let secret_for = |ak: &str| (ak == config.access_key).then(|| config.secret_key.clone());
    let mut call = AdminCall {
        method: method.to_string(),
        command: command.clone(),
        query: query.clone(),
        body: None,
        encrypted: false,
        status: 0,
    };
    let (status, answer) = match sigv4::verify(
        method.as_str(),
        uri.path(),
        raw_query,
        header,
        &body,
        secret_for,
    ) {
        Err(sigv4::VerifyError::UnknownAccessKey(_)) => minio_error(
            StatusCode::FORBIDDEN,
            "InvalidAccessKeyId",
            "The Access Key Id you provided does not exist in our records.",
        ),
        Err(e) => minio_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            &e.to_string(),
        ),
        Ok(auth) if auth.service != "s3" => minio_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "service must be s3",
        ),
        Ok(_) => {
            let mut shared = config.shared.lock().expect("stand-in lock");
            let answer = dispatch(
                &config.secret_key,
                &mut shared.state,
                &method,
                &command,
                &query,
                &body,
                &mut call,
            );
            drop(shared);
            answer
        }
    };
    call.status = status.as_u16();
    config
        .shared
        .lock()
        .expect("stand-in lock")
        .calls
        .push(call);
    (status, answer).into_response()
}

fn dispatch(
    secret: &str,
    state: &mut AdminState,
    method: &Method,
    command: &str,
    query: &BTreeMap<String, String>,
    body: &[u8],
    call: &mut AdminCall,
) -> (StatusCode, Vec<u8>) {
    let param = |name: &str| query.get(name).cloned().unwrap_or_default();
    let decrypted = |call: &mut AdminCall| -> Result<Value, (StatusCode, Vec<u8>)> {
        call.encrypted = true;
        let plain = sio::decrypt(body, secret).map_err(|e| {
            minio_error(
                StatusCode::BAD_REQUEST,
                "XMinioAdminConfigBadJSON",
                &format!("cannot decrypt the body: {e}"),
            )
        })?;
        let value: Value = serde_json::from_slice(&plain).map_err(|e| {
            minio_error(
                StatusCode::BAD_REQUEST,
                "XMinioAdminConfigBadJSON",
                &format!("decrypted body is not JSON: {e}"),
            )
        })?;
        call.body = Some(value.clone());
        Ok(value)
    };
    let plain = |call: &mut AdminCall| -> Result<Value, (StatusCode, Vec<u8>)> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            minio_error(
                StatusCode::BAD_REQUEST,
                "XMinioMalformedJSON",
                &format!("body is not JSON: {e}"),
            )
        })?;
        call.body = Some(value.clone());
        Ok(value)
    };
    let sealed = |value: Value| match sio::encrypt(value.to_string().as_bytes(), secret) {
        Ok(bytes) => (StatusCode::OK, bytes),
        Err(e) => minio_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            &e.to_string(),
        ),
    };
    let no_user = || {
        minio_error(
            StatusCode::NOT_FOUND,
            "XMinioAdminNoSuchUser",
            "The specified user does not exist.",
        )
    };
    let no_policy = || {
        minio_error(
            StatusCode::NOT_FOUND,
            "XMinioAdminNoSuchPolicy",
            "The canned policy does not exist.",
        )
    };
    let ok = || (StatusCode::OK, Vec::new());
    let user_json = |u: &StandInUser| json!({"policyName": u.policies.join(","), "status": u.status, "memberOf": null});
    let result = match (method.as_str(), command) {
        ("PUT", "add-user") => decrypted(call).map(|v| {
            let user = state.users.entry(param("accessKey")).or_default();
            user.secret_key = v["secretKey"].as_str().unwrap_or_default().to_owned();
            user.status = v["status"].as_str().unwrap_or("enabled").to_owned();
            ok()
        }),
        ("GET", "user-info") => Ok(match state.users.get(&param("accessKey")) {
            Some(user) => (StatusCode::OK, user_json(user).to_string().into_bytes()),
            None => no_user(),
        }),
        ("GET", "list-users") => {
            let users: serde_json::Map<String, Value> = state
                .users
                .iter()
                .map(|(k, u)| (k.clone(), user_json(u)))
                .collect();
            Ok(sealed(Value::Object(users)))
        }
        ("DELETE", "remove-user") => Ok(match state.users.remove(&param("accessKey")) {
            Some(_) => ok(),
            None => no_user(),
        }),
        ("PUT", "add-canned-policy") => plain(call).map(|policy| {
            if policy.get("Statement").is_some_and(Value::is_array) {
                state.policies.insert(param("name"), policy);
                ok()
            } else {
                minio_error(
                    StatusCode::BAD_REQUEST,
                    "XMinioMalformedJSON",
                    "policy has no Statement list",
                )
            }
        }),
        ("GET", "info-canned-policy") => Ok(match state.policies.get(&param("name")) {
            Some(policy) if param("v") == "2" => (
                StatusCode::OK,
                json!({"PolicyName": param("name"), "Policy": policy})
                    .to_string()
                    .into_bytes(),
            ),
            Some(policy) => (StatusCode::OK, policy.to_string().into_bytes()),
            None => no_policy(),
        }),
        ("GET", "list-canned-policies") => Ok((
            StatusCode::OK,
            json!(state.policies).to_string().into_bytes(),
        )),
        ("DELETE", "remove-canned-policy") => Ok(match state.policies.remove(&param("name")) {
            Some(_) => {
                for user in state.users.values_mut() {
                    user.policies.retain(|p| *p != param("name"));
                }
                ok()
            }
            None => no_policy(),
        }),
        ("POST", "idp/builtin/policy/attach") => decrypted(call).map(|v| {
            let names: Vec<String> = v["policies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect();
            let Some(user) = v["user"].as_str().and_then(|u| state.users.get_mut(u)) else {
                return no_user();
            };
            if names.is_empty() || names.iter().any(|n| !state.policies.contains_key(n)) {
                return no_policy();
            }
            let new: Vec<String> = names
                .into_iter()
                .filter(|n| !user.policies.contains(n))
                .collect();
            if new.is_empty() {
                return minio_error(
                    StatusCode::BAD_REQUEST,
                    "XMinioAdminPolicyChangeAlreadyApplied",
                    "The specified policy change is already in effect.",
                );
            }
            user.policies.extend(new.iter().cloned());
            sealed(
                json!({"policiesAttached": new, "updatedAt": jiff::Timestamp::now().to_string()}),
            )
        }),
        ("PUT", "set-bucket-quota") => {
            plain(call).map(|v| match (v["quota"].as_u64(), v["quotatype"].as_str()) {
                (Some(0), _) => {
                    state.quotas.remove(&param("bucket"));
                    ok()
                }
                (Some(bytes), Some("hard")) => {
                    state.quotas.insert(param("bucket"), bytes);
                    ok()
                }
                _ => minio_error(
                    StatusCode::BAD_REQUEST,
                    "XMinioAdminInvalidArgument",
                    "quota must be a number with quotatype hard",
                ),
            })
        }
        ("GET", "get-bucket-quota") => Ok(match state.quotas.get(&param("bucket")) {
            Some(bytes) => (
                StatusCode::OK,
                json!({"quota": bytes, "quotatype": "hard"})
                    .to_string()
                    .into_bytes(),
            ),
            None => minio_error(
                StatusCode::NOT_FOUND,
                "XMinioAdminNoSuchQuotaConfiguration",
                "The quota configuration does not exist",
            ),
        }),
        _ => Ok(minio_error(
            StatusCode::BAD_REQUEST,
            "XMinioAdminUnsupported",
            "the stand-in does not implement this admin call",
        )),
    };
    result.unwrap_or_else(|error| error)
}
