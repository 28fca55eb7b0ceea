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

//! The MinIO admin API (`/minio/admin/v3/`), as `mc admin` and madmin-go call it: SigV4 in the
//! header with service `s3`, bodies of `add-user` and `idp/builtin/policy/attach` encrypted with
//! the admin secret key ([`crate::sio`]), answers of `list-users` and `attach` encrypted likewise.
//! The `ensure_*` calls check, then set.

use crate::error::{redact, ErrorKind, Service, ServiceError};
use crate::{sigv4, sio};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Timeout of one admin call unless set otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The region MinIO signs with unless configured otherwise.
pub const DEFAULT_REGION: &str = "us-east-1";
/// Path prefix of the admin API.
pub const ADMIN_PREFIX: &str = "/minio/admin/v3/";

/// A user as `user-info` and `list-users` describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UserInfo {
    /// `enabled` or `disabled`.
    #[serde(default)]
    pub status: String,
    /// Attached policies, comma-separated (`policyName`).
    #[serde(default, rename = "policyName")]
    pub policy_name: String,
}

impl UserInfo {
    /// The attached policy names.
    pub fn policies(&self) -> Vec<&str> {
        self.policy_name
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect()
    }
}

/// The canned policy granting `s3:*` on the objects of `buckets` (upstream's
/// `minio_rw_policy_tpl.json` with `bucket_arn` = `<bucket>/*`).
pub fn rw_policy(buckets: &[&str]) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Action": ["s3:*"],
            "Effect": "Allow",
            "Resource": buckets.iter().map(|b| format!("arn:aws:s3:::{b}/*")).collect::<Vec<_>>(),
        }]
    })
}

/// A MinIO admin client.
#[derive(Clone)]
pub struct MinioAdmin {
    addr: String,
    base: url::Url,
    access_key: String,
    secret_key: String,
    region: String,
    timeout: Duration,
    http: reqwest::Client,
}

impl std::fmt::Debug for MinioAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MinioAdmin")
            .field("addr", &self.addr)
            .field("access_key", &self.access_key)
            .field("region", &self.region)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl MinioAdmin {
    /// The admin API of MinIO at `addr` (`host:port`, plain HTTP as in the cluster) as
    /// `access_key`/`secret_key` (the root credentials), region [`DEFAULT_REGION`], timeout
    /// [`DEFAULT_TIMEOUT`].
    pub fn new(addr: &str, access_key: &str, secret_key: &str) -> Result<Self, ServiceError> {
        let invalid = |m: String| {
            ServiceError::new(Service::MinioAdmin, addr, "connect", ErrorKind::Invalid(m))
        };
        let base = url::Url::parse(&format!("http://{addr}{ADMIN_PREFIX}"))
            .map_err(|e| invalid(format!("address {addr:?}: {e}")))?;
        Ok(Self {
            addr: addr.to_owned(),
            base,
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            region: DEFAULT_REGION.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            http: crate::http_client(),
        })
    }

    /// The same with another timeout per call.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same with another region.
    pub fn with_region(mut self, region: &str) -> Self {
        self.region = region.to_owned();
        self
    }

    /// The address called.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// `PUT add-user`: creates `access_key` or sets its secret (MinIO upserts; attached policies
    /// stay). The body is encrypted.
    pub async fn add_user(&self, access_key: &str, secret_key: &str) -> Result<(), ServiceError> {
        let body = json!({"secretKey": secret_key, "status": "enabled"}).to_string();
        let op = format!("PUT add-user {access_key}");
        let sealed = self.seal(&op, body.into_bytes(), &[secret_key]).await?;
        self.call(
            "PUT",
            "add-user",
            &[("accessKey", access_key)],
            sealed,
            &op,
            &[secret_key],
        )
        .await
        .map(drop)
    }

    /// `GET user-info`: the user, `None` when MinIO does not know it.
    pub async fn user_info(&self, access_key: &str) -> Result<Option<UserInfo>, ServiceError> {
        let op = format!("GET user-info {access_key}");
        match self
            .call(
                "GET",
                "user-info",
                &[("accessKey", access_key)],
                Vec::new(),
                &op,
                &[],
            )
            .await
        {
            Ok(body) => self.json(&op, &body).map(Some),
            Err(e) if e.code() == Some("XMinioAdminNoSuchUser") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET list-users` (encrypted answer): every user by access key.
    pub async fn list_users(&self) -> Result<BTreeMap<String, UserInfo>, ServiceError> {
        let op = "GET list-users";
        let sealed = self
            .call("GET", "list-users", &[], Vec::new(), op, &[])
            .await?;
        let body = self.open(op, sealed).await?;
        self.json(op, &body)
    }

    /// `DELETE remove-user`; `false` when there was no such user.
    pub async fn remove_user(&self, access_key: &str) -> Result<bool, ServiceError> {
        let op = format!("DELETE remove-user {access_key}");
        match self
            .call(
                "DELETE",
                "remove-user",
                &[("accessKey", access_key)],
                Vec::new(),
                &op,
                &[],
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("XMinioAdminNoSuchUser") => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `PUT add-canned-policy`: creates or replaces policy `name` (plain JSON body).
    pub async fn add_canned_policy(&self, name: &str, policy: &Value) -> Result<(), ServiceError> {
        let op = format!("PUT add-canned-policy {name}");
        self.call(
            "PUT",
            "add-canned-policy",
            &[("name", name)],
            policy.to_string().into_bytes(),
            &op,
            &[],
        )
        .await
        .map(drop)
    }

    /// `GET info-canned-policy`: the policy document, `None` when there is no such policy.
    pub async fn canned_policy(&self, name: &str) -> Result<Option<Value>, ServiceError> {
        let op = format!("GET info-canned-policy {name}");
        match self
            .call(
                "GET",
                "info-canned-policy",
                &[("name", name), ("v", "2")],
                Vec::new(),
                &op,
                &[],
            )
            .await
        {
            Ok(body) => {
                let info: Value = self.json(&op, &body)?;
                // v2 answers {"PolicyName", "Policy", ...}; older servers the bare document
                Ok(Some(match info.get("Policy") {
                    Some(policy) => policy.clone(),
                    None => info,
                }))
            }
            Err(e) if e.code() == Some("XMinioAdminNoSuchPolicy") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET list-canned-policies`: every policy document by name.
    pub async fn list_canned_policies(&self) -> Result<BTreeMap<String, Value>, ServiceError> {
        let op = "GET list-canned-policies";
        let body = self
            .call("GET", "list-canned-policies", &[], Vec::new(), op, &[])
            .await?;
        self.json(op, &body)
    }

    /// `DELETE remove-canned-policy`; `false` when there was no such policy.
    pub async fn remove_canned_policy(&self, name: &str) -> Result<bool, ServiceError> {
        let op = format!("DELETE remove-canned-policy {name}");
        match self
            .call(
                "DELETE",
                "remove-canned-policy",
                &[("name", name)],
                Vec::new(),
                &op,
                &[],
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("XMinioAdminNoSuchPolicy") => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `POST idp/builtin/policy/attach` (encrypted body `{"policies":[..],"user":..}`, as
    /// madmin-go and PyPI `minio` send it). Policies already attached are not an error.
    pub async fn attach_policies(&self, user: &str, policies: &[&str]) -> Result<(), ServiceError> {
        let op = format!("POST idp/builtin/policy/attach {user}");
        let body = json!({"policies": policies, "user": user}).to_string();
        let sealed = self.seal(&op, body.into_bytes(), &[]).await?;
        match self
            .call("POST", "idp/builtin/policy/attach", &[], sealed, &op, &[])
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("XMinioAdminPolicyChangeAlreadyApplied") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `PUT set-bucket-quota`: a hard quota of `bytes` on `bucket` (`0` clears it).
    pub async fn set_bucket_quota(&self, bucket: &str, bytes: u64) -> Result<(), ServiceError> {
        let op = format!("PUT set-bucket-quota {bucket}");
        let body = json!({"quota": bytes, "quotatype": "hard"})
            .to_string()
            .into_bytes();
        self.call(
            "PUT",
            "set-bucket-quota",
            &[("bucket", bucket)],
            body,
            &op,
            &[],
        )
        .await
        .map(drop)
    }

    /// `GET get-bucket-quota`: the hard quota in bytes, `None` when none is set.
    pub async fn bucket_quota(&self, bucket: &str) -> Result<Option<u64>, ServiceError> {
        let op = format!("GET get-bucket-quota {bucket}");
        match self
            .call(
                "GET",
                "get-bucket-quota",
                &[("bucket", bucket)],
                Vec::new(),
                &op,
                &[],
            )
            .await
        {
            Ok(body) => {
                let quota: Value = self.json(&op, &body)?;
                Ok(quota
                    .get("quota")
                    .and_then(Value::as_u64)
                    .filter(|q| *q > 0))
            }
            Err(e) if e.code() == Some("XMinioAdminNoSuchQuotaConfiguration") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Makes `access_key` exist, enabled, with `secret_key`: `add-user` is an upsert and the
    /// secret cannot be read back, so this always sets it (run it when the input fingerprint
    /// changes or [`user_info`](Self::user_info) finds the user missing). `true` when the user
    /// did not exist or was disabled.
    pub async fn ensure_user(
        &self,
        access_key: &str,
        secret_key: &str,
    ) -> Result<bool, ServiceError> {
        let before = self.user_info(access_key).await?;
        self.add_user(access_key, secret_key).await?;
        Ok(before.is_none_or(|u| u.status != "enabled"))
    }

    /// Makes canned policy `name` equal `policy` (check, then set); `true` when it was written.
    pub async fn ensure_canned_policy(
        &self,
        name: &str,
        policy: &Value,
    ) -> Result<bool, ServiceError> {
        if self.canned_policy(name).await?.as_ref() == Some(policy) {
            return Ok(false);
        }
        self.add_canned_policy(name, policy).await?;
        Ok(true)
    }

    /// Makes `policy` attached to `user` (check, then set); `true` when it was attached now.
    pub async fn ensure_policy_attached(
        &self,
        user: &str,
        policy: &str,
    ) -> Result<bool, ServiceError> {
        let op = format!("GET user-info {user}");
        let info = self.user_info(user).await?.ok_or_else(|| {
            ServiceError::new(
                Service::MinioAdmin,
                &self.addr,
                op,
                ErrorKind::Status {
                    status: 404,
                    code: "XMinioAdminNoSuchUser".into(),
                    message: "attach a policy to a user that does not exist".into(),
                },
            )
        })?;
        if info.policies().contains(&policy) {
            return Ok(false);
        }
        self.attach_policies(user, &[policy]).await?;
        Ok(true)
    }

    /// Makes the hard quota of `bucket` equal `bytes` (check, then set); `true` when written.
    pub async fn ensure_bucket_quota(
        &self,
        bucket: &str,
        bytes: u64,
    ) -> Result<bool, ServiceError> {
        if self.bucket_quota(bucket).await? == Some(bytes).filter(|b| *b > 0) {
            return Ok(false);
        }
        self.set_bucket_quota(bucket, bytes).await?;
        Ok(true)
    }

    fn error(&self, op: &str, kind: ErrorKind) -> ServiceError {
        ServiceError::new(Service::MinioAdmin, &self.addr, op, kind)
    }

    /// Encrypts `body` for the admin secret off the async workers: the Argon2id key derivation
    /// takes 64 MiB and tens of milliseconds.
    async fn seal(
        &self,
        op: &str,
        body: Vec<u8>,
        secrets: &[&str],
    ) -> Result<Vec<u8>, ServiceError> {
        let secret = self.secret_key.clone();
        tokio::task::spawn_blocking(move || sio::encrypt(&body, &secret))
            .await
            .map_err(|e| {
                self.error(
                    op,
                    ErrorKind::Crypto(format!("encryption task failed: {e}")),
                )
            })?
            .map_err(|e| self.error(op, ErrorKind::Crypto(redact(&e.to_string(), secrets))))
    }

    /// Decrypts an answer off the async workers (see [`seal`](Self::seal)).
    async fn open(&self, op: &str, body: Vec<u8>) -> Result<Vec<u8>, ServiceError> {
        let secret = self.secret_key.clone();
        tokio::task::spawn_blocking(move || sio::decrypt(&body, &secret))
            .await
            .map_err(|e| {
                self.error(
                    op,
                    ErrorKind::Crypto(format!("decryption task failed: {e}")),
                )
            })?
            .map_err(|e| self.error(op, ErrorKind::Crypto(e.to_string())))
    }

    fn json<T: serde::de::DeserializeOwned>(
        &self,
        op: &str,
        body: &[u8],
    ) -> Result<T, ServiceError> {
        serde_json::from_slice(body).map_err(|e| {
            self.error(
                op,
                ErrorKind::Protocol(format!("not the expected JSON: {e}")),
            )
        })
    }

    /// One signed call; errors carry MinIO's `Code` and `Message`, redacted of `secrets` and the
    /// admin secret.
    async fn call(
        &self,
        method: &str,
        command: &str,
        query: &[(&str, &str)],
        body: Vec<u8>,
        op: &str,
        secrets: &[&str],
    ) -> Result<Vec<u8>, ServiceError> {
        let mut url = self
            .base
            .join(command)
            .map_err(|e| self.error(op, ErrorKind::Invalid(e.to_string())))?;
        let mut pairs: Vec<(String, String)> = query
            .iter()
            .map(|(n, v)| (sigv4::uri_encode(n), sigv4::uri_encode(v)))
            .collect();
        pairs.sort();
        let raw_query: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
        url.set_query(
            Some(&raw_query.join("&"))
                .filter(|q| !q.is_empty())
                .map(String::as_str),
        );
        let signer = sigv4::Signer {
            access_key: &self.access_key,
            secret_key: &self.secret_key,
            region: &self.region,
            service: "s3",
        };
        let content_type = [("content-type", "application/octet-stream")];
        let request = sigv4::Request {
            method,
            url: &url,
            headers: if body.is_empty() { &[] } else { &content_type },
            payload: &body,
        };
        let headers = sigv4::sign(&signer, &request, jiff::Timestamp::now());
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a valid HTTP method");
        let mut builder = self
            .http
            .request(method, url)
            .timeout(self.timeout)
            .body(body);
        for (name, value) in &headers {
            builder = builder.header(name, value);
        }
        let mut all_secrets = vec![self.secret_key.as_str()];
        all_secrets.extend_from_slice(secrets);
        crate::send(
            builder,
            self.timeout,
            |kind| self.error(op, kind),
            &all_secrets,
            crate::ErrorFormat::Json,
        )
        .await
    }
}
