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

//! The MinIO admin client against the recording stand-in: signed calls, encrypted bodies,
//! check-then-set, and errors that name the call without the secret.

use nuvolaris_services::minio_admin::{rw_policy, MinioAdmin};
use nuvolaris_services::testing::admin::AdminStandIn;
use nuvolaris_services::ErrorKind;
use pretty_assertions::assert_eq;
use serde_json::json;
use std::time::Duration;

const ROOT: &str = "minio";
const ROOT_SECRET: &str = "minio123-root-Secret";

#[tokio::test]
async fn user_policy_attach_and_quota_are_set_once_and_recorded() {
    let stand_in = AdminStandIn::start(ROOT, ROOT_SECRET).await;
    let admin = MinioAdmin::new(&stand_in.addr(), ROOT, ROOT_SECRET).unwrap();
    let policy = rw_policy(&["nuvolaris-data", "nuvolaris-web"]);

    assert_eq!(admin.user_info("nuvolaris").await.unwrap(), None);
    assert!(admin
        .ensure_user("nuvolaris", "zuf+tfteSlswRu7BJ86wekitnifILbZam1KYY3TG")
        .await
        .unwrap());
    assert!(admin
        .ensure_canned_policy("nuvolaris_rw_policy", &policy)
        .await
        .unwrap());
    assert!(
        !admin
            .ensure_canned_policy("nuvolaris_rw_policy", &policy)
            .await
            .unwrap(),
        "same policy: no write"
    );
    assert!(admin
        .ensure_policy_attached("nuvolaris", "nuvolaris_rw_policy")
        .await
        .unwrap());
    assert!(
        !admin
            .ensure_policy_attached("nuvolaris", "nuvolaris_rw_policy")
            .await
            .unwrap(),
        "attached: no call"
    );
    // attaching again directly is not an error (MinIO answers PolicyChangeAlreadyApplied)
    admin
        .attach_policies("nuvolaris", &["nuvolaris_rw_policy"])
        .await
        .unwrap();
    assert!(admin
        .ensure_bucket_quota("nuvolaris-data", 1 << 30)
        .await
        .unwrap());
    assert!(!admin
        .ensure_bucket_quota("nuvolaris-data", 1 << 30)
        .await
        .unwrap());
    assert!(
        !admin
            .ensure_user("nuvolaris", "zuf+tfteSlswRu7BJ86wekitnifILbZam1KYY3TG")
            .await
            .unwrap(),
        "existing, enabled"
    );

    let info = admin.user_info("nuvolaris").await.unwrap().unwrap();
    assert_eq!(
        (info.status.as_str(), info.policies()),
        ("enabled", vec!["nuvolaris_rw_policy"])
    );
    let users = admin.list_users().await.unwrap(); // an encrypted answer
    assert_eq!(users["nuvolaris"].policies(), ["nuvolaris_rw_policy"]);
    assert_eq!(
        admin.list_canned_policies().await.unwrap()["nuvolaris_rw_policy"],
        policy
    );
    assert_eq!(
        admin.canned_policy("nuvolaris_rw_policy").await.unwrap(),
        Some(policy.clone())
    );
    assert_eq!(
        admin.bucket_quota("nuvolaris-data").await.unwrap(),
        Some(1 << 30)
    );

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
    assert_eq!(state.quotas["nuvolaris-data"], 1 << 30);

    let add = stand_in.calls_of("add-user");
    assert_eq!(add.len(), 2);
    assert!(add[0].encrypted);
    assert_eq!(add[0].query["accessKey"], "nuvolaris");
    assert_eq!(
        add[0].body,
        Some(json!({"secretKey": "zuf+tfteSlswRu7BJ86wekitnifILbZam1KYY3TG", "status": "enabled"}))
    );
    let attach = stand_in.calls_of("idp/builtin/policy/attach");
    assert_eq!(
        attach.len(),
        2,
        "one by ensure, one direct; none by the second ensure"
    );
    assert!(attach[0].encrypted);
    assert_eq!(
        attach[0].body,
        Some(json!({"policies": ["nuvolaris_rw_policy"], "user": "nuvolaris"}))
    );
    assert_eq!((attach[0].status, attach[1].status), (200, 400));
    assert_eq!(stand_in.calls_of("add-canned-policy").len(), 1);
    assert_eq!(
        stand_in.calls_of("set-bucket-quota")[0].body,
        Some(json!({"quota": 1u64 << 30, "quotatype": "hard"}))
    );
    assert!(
        stand_in.calls().iter().all(|c| c.status < 500),
        "{:?}",
        stand_in.calls()
    );

    assert!(admin.remove_user("nuvolaris").await.unwrap());
    assert!(!admin.remove_user("nuvolaris").await.unwrap());
    assert!(admin
        .remove_canned_policy("nuvolaris_rw_policy")
        .await
        .unwrap());
    assert!(!admin
        .remove_canned_policy("nuvolaris_rw_policy")
        .await
        .unwrap());
    assert!(stand_in.state().users.is_empty() && stand_in.state().policies.is_empty());
}

#[tokio::test]
async fn a_wrong_secret_is_refused_and_not_shown() {
    let stand_in = AdminStandIn::start(ROOT, ROOT_SECRET).await;
    let admin = MinioAdmin::new(&stand_in.addr(), ROOT, "Wr0ng-Secret").unwrap();
    let error = admin
        .add_user("nuvolaris", "user-Secret")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(403));
    assert_eq!(error.code(), Some("SignatureDoesNotMatch"));
    let shown = format!("{error} {error:?}");
    assert!(
        shown.starts_with(&format!(
            "minio-admin at {}: PUT add-user nuvolaris: HTTP 403",
            stand_in.addr()
        )),
        "{shown}"
    );
    for secret in ["Wr0ng-Secret", "user-Secret", ROOT_SECRET] {
        assert!(!shown.contains(secret), "{shown}");
    }
    let unknown = MinioAdmin::new(&stand_in.addr(), "nobody", ROOT_SECRET).unwrap();
    assert_eq!(
        unknown.list_users().await.unwrap_err().code(),
        Some("InvalidAccessKeyId")
    );
    assert!(stand_in.state().users.is_empty());
}

#[tokio::test]
async fn attaching_to_a_missing_user_fails_with_the_minio_code() {
    let stand_in = AdminStandIn::start(ROOT, ROOT_SECRET).await;
    let admin = MinioAdmin::new(&stand_in.addr(), ROOT, ROOT_SECRET).unwrap();
    admin
        .add_canned_policy("p", &rw_policy(&["b"]))
        .await
        .unwrap();
    let error = admin
        .ensure_policy_attached("ghost", "p")
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("XMinioAdminNoSuchUser"));
    let error = admin.attach_policies("ghost", &["p"]).await.unwrap_err();
    assert_eq!(
        (error.status(), error.code()),
        (Some(404), Some("XMinioAdminNoSuchUser"))
    );
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let _held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    let admin = MinioAdmin::new(&addr, ROOT, ROOT_SECRET)
        .unwrap()
        .with_timeout(Duration::from_millis(300));
    let error = admin.user_info("nuvolaris").await.unwrap_err();
    assert_eq!(
        error.kind,
        ErrorKind::Timeout(Duration::from_millis(300)),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        format!("minio-admin at {addr}: GET user-info nuvolaris: timed out after 300ms")
    );
}
