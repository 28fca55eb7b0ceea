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

//! S3 bucket data operations (MinIO in the cluster, `moto` in the tests): buckets, the public-read
//! policy of the web bucket, objects, and removal (objects first, then the bucket). Requests are
//! presigned with SigV4 by `rusty-s3` and sent with `reqwest`; XML answers are parsed by
//! `rusty-s3`. The `ensure_*` calls check, then set.

use crate::error::{ErrorKind, Service, ServiceError};
use crate::ErrorFormat;
use rusty_s3::actions::{ListObjectsV2, ObjectIdentifier};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use serde_json::{json, Value};
use std::time::Duration;

/// Timeout of one S3 call unless set otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Validity of a presigned request (sent right away; only clock skew matters).
const PRESIGN_FOR: Duration = Duration::from_secs(15 * 60);
/// Keys per DeleteObjects request (the S3 limit).
const DELETE_BATCH: usize = 1000;

/// Anonymous read of `bucket`, the shape `mc anonymous set download` writes (upstream's
/// `nuvolaris-web`): GetBucketLocation and ListBucket on the bucket, GetObject on `<bucket>/*`.
pub fn public_read_policy(bucket: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["*"]},
                "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
                "Resource": [format!("arn:aws:s3:::{bucket}")],
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["*"]},
                "Action": ["s3:GetObject"],
                "Resource": [format!("arn:aws:s3:::{bucket}/*")],
            },
        ]
    })
}

/// An S3 client for one endpoint and one set of credentials (path-style URLs, plain HTTP).
#[derive(Clone)]
pub struct S3Client {
    addr: String,
    endpoint: url::Url,
    region: String,
    credentials: Credentials,
    timeout: Duration,
    http: reqwest::Client,
}

impl std::fmt::Debug for S3Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Client")
            .field("addr", &self.addr)
            .field("region", &self.region)
            .field("access_key", &self.credentials.key())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl S3Client {
    /// S3 at `addr` (`host:port`) as `access_key`/`secret_key`, region
    /// [`crate::minio_admin::DEFAULT_REGION`], timeout [`DEFAULT_TIMEOUT`].
    pub fn new(addr: &str, access_key: &str, secret_key: &str) -> Result<Self, ServiceError> {
        let endpoint = url::Url::parse(&format!("http://{addr}/")).map_err(|e| {
            ServiceError::new(
                Service::S3,
                addr,
                "connect",
                ErrorKind::Invalid(format!("address {addr:?}: {e}")),
            )
        })?;
        Ok(Self {
            addr: addr.to_owned(),
            endpoint,
            region: crate::minio_admin::DEFAULT_REGION.to_owned(),
            credentials: Credentials::new(access_key, secret_key),
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

    /// `http://<addr>/<bucket>/<key>`: the unsigned URL of an object (what anonymous readers get).
    pub fn object_url(&self, bucket: &str, key: &str) -> Result<url::Url, ServiceError> {
        Ok(self.bucket(bucket, "object URL")?.object_url(key))
    }

    /// HeadBucket: `true` when it exists and is readable with these credentials, `false` when
    /// it does not exist.
    pub async fn bucket_exists(&self, bucket: &str) -> Result<bool, ServiceError> {
        let op = format!("HeadBucket {bucket}");
        let b = self.bucket(bucket, &op)?;
        let url = b.head_bucket(Some(&self.credentials)).sign(PRESIGN_FOR);
        match self.send(&op, self.http.head(url)).await {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Makes `bucket` exist (check, then set); `true` when it was created. A bucket that already
    /// exists and is ours counts as success; one owned by someone else is an error.
    pub async fn ensure_bucket(&self, bucket: &str) -> Result<bool, ServiceError> {
        if self.bucket_exists(bucket).await? {
            return Ok(false);
        }
        let op = format!("CreateBucket {bucket}");
        let b = self.bucket(bucket, &op)?;
        let url = b.create_bucket(&self.credentials).sign(PRESIGN_FOR);
        // hyper sends no Content-Length for an empty body; moto answers 411 without one
        match self
            .send(&op, self.http.put(url).header("content-length", "0"))
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("BucketAlreadyOwnedByYou") => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// PutBucketPolicy.
    pub async fn put_bucket_policy(
        &self,
        bucket: &str,
        policy: &Value,
    ) -> Result<(), ServiceError> {
        let op = format!("PutBucketPolicy {bucket}");
        let url = self.bucket_subresource_url(bucket, &op, rusty_s3::Method::Put, "policy")?;
        let request = self
            .http
            .put(url)
            .header("content-type", "application/json")
            .body(policy.to_string());
        self.send(&op, request).await.map(drop)
    }

    /// GetBucketPolicy: the policy, `None` when the bucket has none.
    pub async fn bucket_policy(&self, bucket: &str) -> Result<Option<Value>, ServiceError> {
        let op = format!("GetBucketPolicy {bucket}");
        let b = self.bucket(bucket, &op)?;
        let url = b
            .get_bucket_policy(Some(&self.credentials))
            .sign(PRESIGN_FOR);
        match self.send(&op, self.http.get(url)).await {
            Ok(body) => serde_json::from_slice(&body).map(Some).map_err(|e| {
                self.error(&op, ErrorKind::Protocol(format!("policy is not JSON: {e}")))
            }),
            Err(e) if e.code() == Some("NoSuchBucketPolicy") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Makes the policy of `bucket` equal `policy` (check, then set); `true` when written. (A
    /// server that normalizes stored policies makes this write each time it runs.)
    pub async fn ensure_bucket_policy(
        &self,
        bucket: &str,
        policy: &Value,
    ) -> Result<bool, ServiceError> {
        if self.bucket_policy(bucket).await?.as_ref() == Some(policy) {
            return Ok(false);
        }
        self.put_bucket_policy(bucket, policy).await?;
        Ok(true)
    }

    /// PutObject of `body` as `key` with `content_type`.
    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(), ServiceError> {
        let op = format!("PutObject {bucket}/{key}");
        let b = self.bucket(bucket, &op)?;
        let mut action = b.put_object(Some(&self.credentials), key);
        action.headers_mut().insert("content-type", content_type);
        let url = action.sign(PRESIGN_FOR);
        let request = self
            .http
            .put(url)
            .header("content-type", content_type)
            .body(body);
        self.send(&op, request).await.map(drop)
    }

    /// GetObject: its bytes and content type, `None` when there is no such key.
    pub async fn get_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<(Vec<u8>, String)>, ServiceError> {
        let op = format!("GetObject {bucket}/{key}");
        let b = self.bucket(bucket, &op)?;
        let url = b.get_object(Some(&self.credentials), key).sign(PRESIGN_FOR);
        let response = tokio::time::timeout(
            self.timeout,
            self.http.get(url).timeout(self.timeout).send(),
        )
        .await
        .map_err(|_| self.error(&op, ErrorKind::Timeout(self.timeout)))?
        .map_err(|e| self.error(&op, crate::transport_kind(e, self.timeout, &[])))?;
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.error(&op, crate::transport_kind(e, self.timeout, &[])))?;
        if status.is_success() {
            return Ok(Some((body.to_vec(), content_type)));
        }
        let text = String::from_utf8_lossy(&body);
        let code = crate::xml_field(&text, "Code");
        if status.as_u16() == 404 && code == "NoSuchKey" {
            return Ok(None);
        }
        Err(self.error(
            &op,
            ErrorKind::Status {
                status: status.as_u16(),
                code,
                message: crate::xml_field(&text, "Message"),
            },
        ))
    }

    /// Makes object `key` hold `body` with `content_type` (check, then set); `true` when written.
    pub async fn ensure_object(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<bool, ServiceError> {
        if let Some((current, current_type)) = self.get_object(bucket, key).await? {
            if current == body && current_type == content_type {
                return Ok(false);
            }
        }
        self.put_object(bucket, key, content_type, body.to_vec())
            .await?;
        Ok(true)
    }

    /// ListObjectsV2, every page: all keys of `bucket`.
    pub async fn list_objects(&self, bucket: &str) -> Result<Vec<String>, ServiceError> {
        let op = format!("ListObjectsV2 {bucket}");
        let b = self.bucket(bucket, &op)?;
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut action = b.list_objects_v2(Some(&self.credentials));
            if let Some(token) = &token {
                action.with_continuation_token(token.clone());
            }
            let url = action.sign(PRESIGN_FOR);
            let body = self.send(&op, self.http.get(url)).await?;
            let page =
                ListObjectsV2::parse_response(&String::from_utf8_lossy(&body)).map_err(|e| {
                    self.error(
                        &op,
                        ErrorKind::Protocol(format!("ListObjectsV2 answer: {e}")),
                    )
                })?;
            keys.extend(page.contents.into_iter().map(|c| c.key));
            match page.next_continuation_token {
                Some(next) => token = Some(next),
                None => return Ok(keys),
            }
        }
    }

    /// DeleteObjects of `keys` (in batches of 1000).
    pub async fn delete_objects(&self, bucket: &str, keys: &[String]) -> Result<(), ServiceError> {
        let op = format!("DeleteObjects {bucket}");
        let b = self.bucket(bucket, &op)?;
        for batch in keys.chunks(DELETE_BATCH) {
            let objects: Vec<ObjectIdentifier> = batch
                .iter()
                .map(|k| ObjectIdentifier::new(k.clone()))
                .collect();
            let mut action = b.delete_objects(Some(&self.credentials), objects.iter());
            action.set_quiet(true);
            let url = action.sign(PRESIGN_FOR);
            let (body, md5) = action.body_with_md5();
            let request = self
                .http
                .post(url)
                .header("content-md5", md5)
                .header("content-type", "application/xml")
                .body(body);
            let answer = self.send(&op, request).await?;
            let text = String::from_utf8_lossy(&answer);
            if text.contains("<Error>") {
                return Err(self.error(
                    &op,
                    ErrorKind::Status {
                        status: 200,
                        code: crate::xml_field(&text, "Code"),
                        message: format!(
                            "{} ({})",
                            crate::xml_field(&text, "Message"),
                            crate::xml_field(&text, "Key")
                        ),
                    },
                ));
            }
        }
        Ok(())
    }

    /// Removes `bucket`: its objects, then the bucket; `false` when it did not exist.
    pub async fn remove_bucket(&self, bucket: &str) -> Result<bool, ServiceError> {
        if !self.bucket_exists(bucket).await? {
            return Ok(false);
        }
        let keys = self.list_objects(bucket).await?;
        self.delete_objects(bucket, &keys).await?;
        let op = format!("DeleteBucket {bucket}");
        let b = self.bucket(bucket, &op)?;
        let url = b.delete_bucket(&self.credentials).sign(PRESIGN_FOR);
        match self.send(&op, self.http.delete(url)).await {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("NoSuchBucket") => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn error(&self, op: &str, kind: ErrorKind) -> ServiceError {
        ServiceError::new(Service::S3, &self.addr, op, kind)
    }

    fn bucket(&self, name: &str, op: &str) -> Result<Bucket, ServiceError> {
        Bucket::new(
            self.endpoint.clone(),
            UrlStyle::Path,
            name.to_owned(),
            self.region.clone(),
        )
        .map_err(|e| self.error(op, ErrorKind::Invalid(format!("bucket {name:?}: {e}"))))
    }

    /// A presigned URL of `?<subresource>` on `bucket` (rusty-s3 has no action for it).
    fn bucket_subresource_url(
        &self,
        bucket: &str,
        op: &str,
        method: rusty_s3::Method,
        subresource: &str,
    ) -> Result<url::Url, ServiceError> {
        let b = self.bucket(bucket, op)?;
        Ok(rusty_s3::signing::sign(
            &jiff::Timestamp::now(),
            method,
            b.base_url().clone(),
            self.credentials.key(),
            self.credentials.secret(),
            None,
            &self.region,
            PRESIGN_FOR.as_secs(),
            std::iter::once((subresource, "")),
            std::iter::empty(),
        ))
    }

    async fn send(
        &self,
        op: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Vec<u8>, ServiceError> {
        crate::send(
            request.timeout(self.timeout),
            self.timeout,
            |kind| self.error(op, kind),
            &[self.credentials.secret()],
            ErrorFormat::Xml,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_read_policy_is_the_mc_download_shape() {
        assert_eq!(
            public_read_policy("nuvolaris-web").to_string(),
            concat!(
                r#"{"Version":"2012-10-17","Statement":["#,
                r#"{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetBucketLocation","s3:ListBucket"],"Resource":["arn:aws:s3:::nuvolaris-web"]},"#,
                r#"{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::nuvolaris-web/*"]}]}"#
            )
        );
    }

    #[test]
    fn rw_policy_covers_the_objects_of_each_bucket() {
        assert_eq!(
            crate::minio_admin::rw_policy(&["nuvolaris-data", "nuvolaris-web"]).to_string(),
            r#"{"Version":"2012-10-17","Statement":[{"Action":["s3:*"],"Effect":"Allow","Resource":["arn:aws:s3:::nuvolaris-data/*","arn:aws:s3:::nuvolaris-web/*"]}]}"#
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        let client = S3Client::new("127.0.0.1:9000", "nuvolaris", "Top-Secret").unwrap();
        assert!(!format!("{client:?}").contains("Top-Secret"));
    }
}
