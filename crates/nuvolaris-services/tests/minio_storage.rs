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

//! The whole MinIO step as the Whisk reconciler runs it: S3 on `moto_server`, the admin API on
//! the recording stand-in. The data bucket exists, the web bucket serves `index.html` to
//! anonymous readers, the stand-in saw add-user, the policy with both bucket ARNs and the
//! attachment; a second run writes nothing but the (unreadable, so always sent) user secret.

use nuvolaris_services::minio_admin::MinioAdmin;
use nuvolaris_services::s3::S3Client;
use nuvolaris_services::steps::{
    ensure_minio_storage, minio_storage_ok, remove_minio_storage, MinioStorage,
};
use nuvolaris_services::testing::{self, admin::AdminStandIn, moto::MotoServer};
use pretty_assertions::assert_eq;
use serde_json::json;

const INDEX: &[u8] = b"<!DOCTYPE html><html><body>Nuvolaris</body></html>\n";

#[tokio::test]
async fn minio_storage_step_sets_up_buckets_user_and_policy_once() {
    let Some(bin) = testing::tool(
        testing::ENV_MOTO_SERVER,
        "moto_server",
        testing::ENV_REQUIRE_S3,
        "minio_storage_step",
    ) else {
        return;
    };
    let moto = MotoServer::start(&bin).await;
    let stand_in = AdminStandIn::start("minio", "minio123").await;
    let admin = MinioAdmin::new(&stand_in.addr(), "minio", "minio123").unwrap();
    let s3 = S3Client::new(&moto.addr(), "minio", "minio123").unwrap();
    let storage = MinioStorage::upstream(
        "nuvolaris",
        "zuf+tfteSlswRu7BJ86wekitnifILbZam1KYY3TG",
        INDEX,
    );

    assert!(!minio_storage_ok(&admin, &s3, &storage).await.unwrap());
    let first = ensure_minio_storage(&admin, &s3, &storage).await.unwrap();
    assert!(
        first.user_created
            && first.web_policy_written
            && first.index_written
            && first.policy_written
            && first.policy_attached,
        "{first:?}"
    );
    assert_eq!(first.buckets_created, 2);
    assert!(minio_storage_ok(&admin, &s3, &storage).await.unwrap());

    let second = ensure_minio_storage(&admin, &s3, &storage).await.unwrap();
    assert!(!second.changed(), "{second:?}");
    assert_eq!(
        stand_in.calls_of("add-user").len(),
        2,
        "the secret cannot be read back: always set"
    );
    assert_eq!(stand_in.calls_of("idp/builtin/policy/attach").len(), 1);
    assert_eq!(stand_in.calls_of("add-canned-policy").len(), 1);

    let state = stand_in.state();
    assert_eq!(
        state.users["nuvolaris"].secret_key,
        "zuf+tfteSlswRu7BJ86wekitnifILbZam1KYY3TG"
    );
    assert_eq!(state.users["nuvolaris"].policies, ["nuvolaris_rw_policy"]);
    assert_eq!(
        state.policy_resources("nuvolaris_rw_policy"),
        [
            "arn:aws:s3:::nuvolaris-data/*",
            "arn:aws:s3:::nuvolaris-web/*"
        ]
    );
    assert_eq!(
        stand_in.calls_of("idp/builtin/policy/attach")[0].body,
        Some(json!({"policies": ["nuvolaris_rw_policy"], "user": "nuvolaris"}))
    );

    assert!(s3.bucket_exists("nuvolaris-data").await.unwrap());
    let url = s3.object_url("nuvolaris-web", "index.html").unwrap();
    let anonymous = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 200);
    assert_eq!(anonymous.headers()["content-type"], "text/html");
    assert_eq!(anonymous.bytes().await.unwrap().as_ref(), INDEX);

    remove_minio_storage(&admin, &s3, &storage).await.unwrap();
    assert!(!minio_storage_ok(&admin, &s3, &storage).await.unwrap());
    assert!(!s3.bucket_exists("nuvolaris-web").await.unwrap());
    assert!(stand_in.state().users.is_empty() && stand_in.state().policies.is_empty());
}
