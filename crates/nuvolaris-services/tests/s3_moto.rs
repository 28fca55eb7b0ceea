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

//! The S3 bucket steps against a real S3 server, `moto_server` from PyPI on loopback: buckets
//! (idempotent), the public-read policy of the web bucket (moto enforces bucket policies for
//! anonymous object reads: 403 before, 200 after), `index.html` with its content type, and
//! removal. Without `moto_server` the tests say they did not run; `NUVOLARIS_REQUIRE_S3=1` makes
//! that a failure.

use nuvolaris_services::s3::{public_read_policy, S3Client};
use nuvolaris_services::testing::{self, moto::MotoServer};
use nuvolaris_services::ErrorKind;
use pretty_assertions::assert_eq;
use std::time::Duration;

const INDEX: &str = "<html><body><h1>Welcome to Nuvolaris static content</h1></body></html>\n";

fn moto_bin(test: &str) -> Option<std::path::PathBuf> {
    testing::tool(
        testing::ENV_MOTO_SERVER,
        "moto_server",
        testing::ENV_REQUIRE_S3,
        test,
    )
}

async fn anonymous_get(client: &S3Client, bucket: &str, key: &str) -> (u16, String, String) {
    let url = client.object_url(bucket, key).unwrap();
    let response = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn buckets_public_policy_and_index_html() {
    let Some(bin) = moto_bin("buckets_public_policy_and_index_html") else {
        return;
    };
    let moto = MotoServer::start(&bin).await;
    let s3 = S3Client::new(
        &moto.addr(),
        "nuvolaris",
        "zuf+tfteSlswRu7BJ86wekitnifILbZam1KYY3TG",
    )
    .unwrap();

    assert!(!s3.bucket_exists("nuvolaris-data").await.unwrap());
    assert!(s3.ensure_bucket("nuvolaris-data").await.unwrap(), "created");
    assert!(
        !s3.ensure_bucket("nuvolaris-data").await.unwrap(),
        "an existing bucket of ours is success"
    );
    assert!(s3.bucket_exists("nuvolaris-data").await.unwrap());
    assert!(s3.ensure_bucket("nuvolaris-web").await.unwrap());
    assert_eq!(s3.bucket_policy("nuvolaris-web").await.unwrap(), None);

    assert!(s3
        .ensure_object("nuvolaris-web", "index.html", "text/html", INDEX.as_bytes())
        .await
        .unwrap());
    assert!(!s3
        .ensure_object("nuvolaris-web", "index.html", "text/html", INDEX.as_bytes())
        .await
        .unwrap());
    s3.put_object(
        "nuvolaris-data",
        "private.txt",
        "text/plain",
        b"not public".to_vec(),
    )
    .await
    .unwrap();
    assert_eq!(
        anonymous_get(&s3, "nuvolaris-web", "index.html").await.0,
        403,
        "private before the policy"
    );

    let policy = public_read_policy("nuvolaris-web");
    assert!(s3
        .ensure_bucket_policy("nuvolaris-web", &policy)
        .await
        .unwrap());
    assert!(
        !s3.ensure_bucket_policy("nuvolaris-web", &policy)
            .await
            .unwrap(),
        "same policy: no write"
    );
    assert_eq!(
        s3.bucket_policy("nuvolaris-web").await.unwrap(),
        Some(policy)
    );

    assert_eq!(
        anonymous_get(&s3, "nuvolaris-web", "index.html").await,
        (200, "text/html".to_owned(), INDEX.to_owned()),
        "anonymous GET of index.html after the policy"
    );
    assert_eq!(
        anonymous_get(&s3, "nuvolaris-data", "private.txt").await.0,
        403,
        "the data bucket stays private"
    );

    // the whole sequence again changes nothing
    assert!(!s3.ensure_bucket("nuvolaris-web").await.unwrap());
    assert!(!s3
        .ensure_object("nuvolaris-web", "index.html", "text/html", INDEX.as_bytes())
        .await
        .unwrap());
    assert!(
        s3.ensure_object(
            "nuvolaris-web",
            "index.html",
            "text/html",
            b"<p>changed</p>"
        )
        .await
        .unwrap(),
        "new content is written"
    );

    assert_eq!(
        s3.list_objects("nuvolaris-data").await.unwrap(),
        ["private.txt"]
    );
    assert!(s3.remove_bucket("nuvolaris-web").await.unwrap());
    assert!(
        s3.remove_bucket("nuvolaris-data").await.unwrap(),
        "objects first, then the bucket"
    );
    assert!(!s3.bucket_exists("nuvolaris-data").await.unwrap());
    assert!(
        !s3.remove_bucket("nuvolaris-data").await.unwrap(),
        "already gone"
    );
}

#[tokio::test]
async fn removal_pages_through_many_objects() {
    let Some(bin) = moto_bin("removal_pages_through_many_objects") else {
        return;
    };
    let moto = MotoServer::start(&bin).await;
    let s3 = S3Client::new(&moto.addr(), "nuvolaris", "pw").unwrap();
    s3.ensure_bucket("many").await.unwrap();
    for i in 0..1005 {
        s3.put_object(
            "many",
            &format!("dir/k {i:04}+&.txt"),
            "text/plain",
            vec![b'x'],
        )
        .await
        .unwrap();
    }
    let keys = s3.list_objects("many").await.unwrap();
    assert_eq!(keys.len(), 1005, "two pages");
    assert!(
        keys.contains(&"dir/k 0007+&.txt".to_owned()),
        "keys are decoded"
    );
    assert!(s3.remove_bucket("many").await.unwrap());
    assert!(!s3.bucket_exists("many").await.unwrap());
}

#[tokio::test]
async fn a_silent_server_times_out_without_leaking_the_url() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let _held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    let s3 = S3Client::new(&addr, "nuvolaris", "pw")
        .unwrap()
        .with_timeout(Duration::from_millis(300));
    let error = s3.ensure_bucket("nuvolaris-data").await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Timeout(Duration::from_millis(300)));
    assert_eq!(
        error.to_string(),
        format!("s3 at {addr}: HeadBucket nuvolaris-data: timed out after 300ms")
    );
    let closed = format!("127.0.0.1:{}", testing::free_port());
    let error = S3Client::new(&closed, "nuvolaris", "pw")
        .unwrap()
        .bucket_exists("b")
        .await
        .unwrap_err();
    assert!(matches!(error.kind, ErrorKind::Connect(_)), "{error:?}");
    assert!(!error.to_string().contains("X-Amz-Signature"), "{error}");
}
