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

//! The side-effect steps of the Whisk components, composed from the clients in upstream's order,
//! each with the fingerprint of its inputs (secrets hashed) and a cheap probe, so the reconciler
//! runs a step again only when its fingerprint changes or its probe fails.

use crate::fingerprint::{fingerprint, Secret};
use crate::minio_admin::{rw_policy, MinioAdmin};
use crate::redis::{AclUser, RedisAdmin};
use crate::s3::{public_read_policy, S3Client};
use crate::ServiceError;
use serde_json::json;

/// Upstream's data bucket.
pub const DATA_BUCKET: &str = "nuvolaris-data";
/// Upstream's public (static content) bucket.
pub const WEB_BUCKET: &str = "nuvolaris-web";
/// Upstream's canned policy of the `nuvolaris` user.
pub const RW_POLICY: &str = "nuvolaris_rw_policy";
/// The object uploaded to the web bucket.
pub const INDEX_KEY: &str = "index.html";

/// The fingerprint of the Redis ACL step's inputs (the password hashed).
pub fn redis_acl_fingerprint(user: &AclUser<'_>) -> String {
    fingerprint(&json!({
        "step": "redis-acl/v1",
        "user": user.name,
        "password": Secret(user.password),
        "prefix": user.prefix,
    }))
}

/// The Redis step: the ACL user of the Whisk. Returns whether it was (re)written.
pub async fn ensure_redis_acl(
    redis: &RedisAdmin,
    user: &AclUser<'_>,
) -> Result<bool, ServiceError> {
    redis.ensure_acl_user(user).await
}

/// What the MinIO step sets up (upstream's `create_nuv_storage`).
#[derive(Clone, Copy)]
pub struct MinioStorage<'a> {
    /// The user, e.g. `nuvolaris`.
    pub user: &'a str,
    /// Its secret key.
    pub password: &'a str,
    /// The data bucket, [`DATA_BUCKET`].
    pub data_bucket: &'a str,
    /// The public bucket, [`WEB_BUCKET`].
    pub web_bucket: &'a str,
    /// The canned policy of the user, [`RW_POLICY`].
    pub policy: &'a str,
    /// The `index.html` put into the public bucket.
    pub index_html: &'a [u8],
}

impl std::fmt::Debug for MinioStorage<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MinioStorage")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("data_bucket", &self.data_bucket)
            .field("web_bucket", &self.web_bucket)
            .field("policy", &self.policy)
            .field("index_html_bytes", &self.index_html.len())
            .finish()
    }
}

/// Which parts of the MinIO step wrote something.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MinioStorageOutcome {
    /// The user was created or re-enabled.
    pub user_created: bool,
    /// Buckets created.
    pub buckets_created: u8,
    /// The web bucket's policy was written.
    pub web_policy_written: bool,
    /// `index.html` was written.
    pub index_written: bool,
    /// The canned policy was written.
    pub policy_written: bool,
    /// The policy was attached now.
    pub policy_attached: bool,
}

impl MinioStorageOutcome {
    /// True when anything besides the (always sent) add-user changed.
    pub fn changed(&self) -> bool {
        self.user_created
            || self.buckets_created > 0
            || self.web_policy_written
            || self.index_written
            || self.policy_written
            || self.policy_attached
    }
}

impl MinioStorage<'_> {
    /// Upstream's names for user `user` with `password` and the given `index.html`.
    pub fn upstream<'a>(
        user: &'a str,
        password: &'a str,
        index_html: &'a [u8],
    ) -> MinioStorage<'a> {
        MinioStorage {
            user,
            password,
            data_bucket: DATA_BUCKET,
            web_bucket: WEB_BUCKET,
            policy: RW_POLICY,
            index_html,
        }
    }

    /// The fingerprint of the step's inputs (password hashed, `index.html` by its hash). The
    /// admin credentials are not inputs of the result; pass them in `extra` if a change of
    /// them should rerun the step.
    pub fn fingerprint(&self, extra: &serde_json::Value) -> String {
        fingerprint(&json!({
            "step": "minio-storage/v1",
            "user": self.user,
            "password": Secret(self.password),
            "buckets": [self.data_bucket, self.web_bucket],
            "policy": self.policy,
            "index_sha256": crate::sigv4::sha256_hex(self.index_html),
            "extra": extra,
        }))
    }
}

/// The MinIO step, in upstream's order: the user, the data bucket, the public web bucket with
/// its policy and `index.html`, the canned policy on both buckets' objects, attached to the user.
/// `s3` uses the admin (root) credentials, as upstream's `mc` alias does.
pub async fn ensure_minio_storage(
    admin: &MinioAdmin,
    s3: &S3Client,
    storage: &MinioStorage<'_>,
) -> Result<MinioStorageOutcome, ServiceError> {
    let mut outcome = MinioStorageOutcome {
        user_created: admin.ensure_user(storage.user, storage.password).await?,
        ..Default::default()
    };
    for bucket in [storage.data_bucket, storage.web_bucket] {
        outcome.buckets_created += u8::from(s3.ensure_bucket(bucket).await?);
    }
    outcome.web_policy_written = s3
        .ensure_bucket_policy(storage.web_bucket, &public_read_policy(storage.web_bucket))
        .await?;
    outcome.index_written = s3
        .ensure_object(
            storage.web_bucket,
            INDEX_KEY,
            "text/html",
            storage.index_html,
        )
        .await?;
    outcome.policy_written = admin
        .ensure_canned_policy(
            storage.policy,
            &rw_policy(&[storage.data_bucket, storage.web_bucket]),
        )
        .await?;
    outcome.policy_attached = admin
        .ensure_policy_attached(storage.user, storage.policy)
        .await?;
    Ok(outcome)
}

/// The probe of the MinIO step: the user exists, enabled, with the policy attached, and both
/// buckets exist. False after MinIO lost its data (e.g. a new PVC).
pub async fn minio_storage_ok(
    admin: &MinioAdmin,
    s3: &S3Client,
    storage: &MinioStorage<'_>,
) -> Result<bool, ServiceError> {
    let user_ok = admin
        .user_info(storage.user)
        .await?
        .is_some_and(|u| u.status == "enabled" && u.policies().contains(&storage.policy));
    Ok(user_ok
        && s3.bucket_exists(storage.data_bucket).await?
        && s3.bucket_exists(storage.web_bucket).await?)
}

/// Removes what the MinIO step created: the user, the canned policy, the buckets with their
/// objects. (Upstream removes nothing; for deleting a Whisk whose data policy says delete.)
pub async fn remove_minio_storage(
    admin: &MinioAdmin,
    s3: &S3Client,
    storage: &MinioStorage<'_>,
) -> Result<(), ServiceError> {
    admin.remove_user(storage.user).await?;
    admin.remove_canned_policy(storage.policy).await?;
    for bucket in [storage.web_bucket, storage.data_bucket] {
        s3.remove_bucket(bucket).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_change_with_each_input_and_hide_the_password() {
        let base = MinioStorage::upstream("nuvolaris", "pw1", b"<html>");
        let fp = base.fingerprint(&json!(null));
        assert_eq!(fp.len(), 64);
        assert_eq!(
            fp,
            MinioStorage::upstream("nuvolaris", "pw1", b"<html>").fingerprint(&json!(null))
        );
        for other in [
            MinioStorage::upstream("nuvolaris", "pw2", b"<html>"),
            MinioStorage::upstream("nuvolaris2", "pw1", b"<html>"),
            MinioStorage::upstream("nuvolaris", "pw1", b"<html2>"),
            MinioStorage {
                data_bucket: "d2",
                ..base
            },
        ] {
            assert_ne!(other.fingerprint(&json!(null)), fp, "{other:?}");
        }
        assert_ne!(base.fingerprint(&json!({"admin": "x"})), fp);
        assert!(!format!("{base:?}").contains("pw1"));

        let user = AclUser {
            name: "nuvolaris",
            password: "a",
            prefix: "nuvolaris:",
        };
        let redis = redis_acl_fingerprint(&user);
        assert_ne!(
            redis,
            redis_acl_fingerprint(&AclUser {
                password: "b",
                ..user
            })
        );
        assert_ne!(
            redis,
            redis_acl_fingerprint(&AclUser {
                prefix: "x:",
                ..user
            })
        );
    }
}
