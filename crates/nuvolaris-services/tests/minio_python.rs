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

//! Cross-checks with PyPI `minio` (the reference of madmin's encryption and of the admin wire
//! format): Rust-encrypted bodies decrypt in Python, Python-encrypted bodies decrypt in Rust, and
//! `minio.MinioAdmin` itself talks to the stand-in, which verifies its signatures and decrypts its
//! bodies. Without that Python the tests say they did not run; `NUVOLARIS_REQUIRE_MINIO_PY=1`
//! makes that a failure.

use nuvolaris_services::sio::{self, Aead};
use nuvolaris_services::testing::{self, admin::AdminStandIn};
use pretty_assertions::assert_eq;
use serde_json::json;

const CRYPTO: &str = r#"
import io, sys
from minio.crypto import decrypt, encrypt

class Response:
    """What minio.crypto reads: a urllib3 response."""
    def __init__(self, data): self.data = io.BytesIO(data)
    def read(self, n=-1): return self.data.read(n)
    def close(self): pass
    def release_conn(self): pass

mode, secret, path = sys.argv[1:4]
data = open(path, "rb").read()
out = decrypt(Response(data), secret) if mode == "decrypt" else encrypt(data, secret)
sys.stdout.buffer.write(out)
"#;

/// 40 KiB + a bit: three chunks, the last one short.
fn payload() -> Vec<u8> {
    let mut data =
        br#"{"secretKey":"zuf+tfteSlswRu7BJ86wekitnifILbZam1KYY3TG","status":"enabled"}"#.to_vec();
    data.extend((0..40 * 1024).map(|i| b'a' + (i % 26) as u8));
    data
}

fn python_crypto(python: &std::path::Path, mode: &str, secret: &str, data: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.bin");
    std::fs::write(&path, data).unwrap();
    testing::run_python(python, CRYPTO, &[mode, secret, path.to_str().unwrap()])
}

#[test]
fn rust_encrypted_bodies_decrypt_in_python() {
    let Some(python) = testing::minio_python("rust_encrypted_bodies_decrypt_in_python") else {
        return;
    };
    for (payload, aead) in [
        (payload(), Aead::Aes256Gcm),
        (payload(), Aead::ChaCha20Poly1305),
        (b"{}".to_vec(), Aead::Aes256Gcm),
    ] {
        let sealed = sio::encrypt_with(&payload, "minio123", aead, &[3; 32], &[4; 8]).unwrap();
        assert_eq!(
            python_crypto(&python, "decrypt", "minio123", &sealed),
            payload,
            "{aead:?}"
        );
    }
    let sealed = sio::encrypt(&payload(), "minio123").unwrap();
    assert_eq!(
        python_crypto(&python, "decrypt", "minio123", &sealed),
        payload()
    );
}

#[test]
fn python_encrypted_bodies_decrypt_in_rust() {
    let Some(python) = testing::minio_python("python_encrypted_bodies_decrypt_in_rust") else {
        return;
    };
    for payload in [payload(), br#"{"policies":["p"],"user":"u"}"#.to_vec()] {
        let sealed = python_crypto(&python, "encrypt", "minio123", &payload);
        assert_eq!(sio::decrypt(&sealed, "minio123").unwrap(), payload);
        assert!(sio::decrypt(&sealed, "other").is_err());
    }
}

const ADMIN: &str = r#"
import json, sys
from minio import MinioAdmin
from minio.credentials import StaticProvider

endpoint, access_key, secret_key = sys.argv[1:4]
admin = MinioAdmin(endpoint=endpoint, credentials=StaticProvider(access_key, secret_key), secure=False)
admin.user_add("pyuser", "py-User-Secret1")
admin.policy_add("py_rw_policy", policy={
    "Version": "2012-10-17",
    "Statement": [{"Action": ["s3:*"], "Effect": "Allow",
                   "Resource": ["arn:aws:s3:::nuvolaris-data/*", "arn:aws:s3:::nuvolaris-web/*"]}],
})
attached = json.loads(admin.attach_policy(["py_rw_policy"], user="pyuser"))
users = json.loads(admin.user_list())
admin.bucket_quota_set("nuvolaris-data", 1048576)
print(json.dumps({"attached": attached["policiesAttached"], "users": users,
                  "info": json.loads(admin.user_info("pyuser"))}))
"#;

#[tokio::test]
async fn python_minio_admin_talks_to_the_stand_in() {
    let Some(python) = testing::minio_python("python_minio_admin_talks_to_the_stand_in") else {
        return;
    };
    let stand_in = AdminStandIn::start("minio", "minio123-root").await;
    let addr = stand_in.addr();
    // PyPI minio is synchronous: run it off the runtime that serves the stand-in
    let out = tokio::task::spawn_blocking(move || {
        testing::run_python(&python, ADMIN, &[&addr, "minio", "minio123-root"])
    })
    .await
    .unwrap();
    let seen: serde_json::Value = serde_json::from_slice(&out).unwrap();
    // Python decrypted the stand-in's encrypted answers (attach, list-users)
    assert_eq!(seen["attached"], json!(["py_rw_policy"]));
    assert_eq!(seen["users"]["pyuser"]["policyName"], "py_rw_policy");
    assert_eq!(seen["info"]["status"], "enabled");

    // the stand-in verified Python's signatures and decrypted its bodies
    let calls = stand_in.calls();
    assert!(calls.iter().all(|c| c.status == 200), "{calls:#?}");
    let add = &stand_in.calls_of("add-user")[0];
    assert!(add.encrypted);
    assert_eq!(add.query["accessKey"], "pyuser");
    assert_eq!(
        add.body,
        Some(json!({"status": "enabled", "secretKey": "py-User-Secret1"}))
    );
    let attach = &stand_in.calls_of("idp/builtin/policy/attach")[0];
    assert!(attach.encrypted);
    assert_eq!(
        (attach.method.as_str(), attach.body.clone()),
        (
            "POST",
            Some(json!({"policies": ["py_rw_policy"], "user": "pyuser"}))
        )
    );
    let state = stand_in.state();
    assert_eq!(state.users["pyuser"].secret_key, "py-User-Secret1");
    assert_eq!(state.users["pyuser"].policies, ["py_rw_policy"]);
    assert_eq!(
        state.policy_resources("py_rw_policy"),
        [
            "arn:aws:s3:::nuvolaris-data/*",
            "arn:aws:s3:::nuvolaris-web/*"
        ]
    );
    assert_eq!(state.quotas["nuvolaris-data"], 1048576);
}
