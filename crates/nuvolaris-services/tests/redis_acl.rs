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

//! The Redis ACL step against the real `redis-server` on loopback (started by the test with
//! `requirepass`): the ACL user reaches only its prefix, a new password replaces the old one, and
//! after a restart the probe sees the user missing and the step restores it.
//! Without `redis-server` the tests say they did not run; `NUVOLARIS_REQUIRE_REDIS=1` makes that
//! a failure.

use nuvolaris_services::redis::{AclUser, RedisAdmin};
use nuvolaris_services::testing::{self, redis_server::RedisServer};
use nuvolaris_services::ErrorKind;
use redis::{ConnectionAddr, IntoConnectionInfo, RedisConnectionInfo};
use std::time::Duration;

const DEFAULT_PASSWORD: &str = "s0meP@ass3-default";
/// Close to the rendered `redis-cm` without persistence.
const CONFIG: &str = "requirepass s0meP@ass3-default\nmaxmemory 100mb\nmaxmemory-policy volatile-lru\nappendonly no\nsave \"\"\n";

fn redis_bin(test: &str) -> Option<std::path::PathBuf> {
    testing::tool(
        testing::ENV_REDIS_SERVER,
        "redis-server",
        testing::ENV_REQUIRE_REDIS,
        test,
    )
}

/// A connection logged in as `user`/`password` (AUTH fails here when they are wrong).
async fn login(
    addr: &str,
    user: &str,
    password: &str,
) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
    let (host, port) = addr.rsplit_once(':').unwrap();
    let info = ConnectionAddr::Tcp(host.into(), port.parse().unwrap())
        .into_connection_info()?
        .set_redis_settings(
            RedisConnectionInfo::default()
                .set_username(user)
                .set_password(password)
                .set_skip_set_lib_name(),
        );
    redis::Client::open(info)?
        .get_multiplexed_async_connection()
        .await
}

async fn set(con: &mut redis::aio::MultiplexedConnection, key: &str) -> redis::RedisResult<()> {
    redis::cmd("SET").arg(key).arg("v").query_async(con).await
}

#[tokio::test]
async fn acl_user_is_limited_reset_and_restored_after_restart() {
    let Some(bin) = redis_bin("acl_user_is_limited_reset_and_restored_after_restart") else {
        return;
    };
    let mut server = RedisServer::start(&bin, CONFIG).await;
    let admin = RedisAdmin::new(server.addr(), DEFAULT_PASSWORD);
    let user = AclUser {
        name: "nuvolaris",
        password: "first-Pw",
        prefix: "nuvolaris:",
    };

    assert!(
        !admin.acl_user_ok(&user).await.unwrap(),
        "no ACL user before the step"
    );
    assert!(
        admin.ensure_acl_user(&user).await.unwrap(),
        "the first run sets the user"
    );
    assert!(admin.acl_user_ok(&user).await.unwrap());
    assert!(
        !admin.ensure_acl_user(&user).await.unwrap(),
        "a second run changes nothing"
    );

    let mut con = login(&server.addr(), "nuvolaris", "first-Pw")
        .await
        .expect("login as the ACL user");
    set(&mut con, "nuvolaris:k")
        .await
        .expect("a key inside the prefix");
    let denied = set(&mut con, "other:k")
        .await
        .expect_err("a key outside the prefix");
    assert_eq!(denied.code(), Some("NOPERM"), "{denied}");

    // a new password replaces the old one (upstream's `>pw` alone would keep both)
    let changed = AclUser {
        password: "second-Pw",
        ..user
    };
    assert!(
        !admin.acl_user_ok(&changed).await.unwrap(),
        "the probe sees the password change"
    );
    assert!(admin.ensure_acl_user(&changed).await.unwrap());
    let old = login(&server.addr(), "nuvolaris", "first-Pw")
        .await
        .expect_err("the old password");
    assert_eq!(old.kind(), redis::ErrorKind::AuthenticationFailed, "{old}");
    let mut con = login(&server.addr(), "nuvolaris", "second-Pw")
        .await
        .expect("the new password");
    set(&mut con, "nuvolaris:k2").await.unwrap();
    let state = admin.acl_state(&changed).await.unwrap().unwrap();
    assert_eq!(state.password_hashes.len(), 1, "{state:?}");
    assert_eq!(state.keys, ["~nuvolaris:*"]);

    // a restarted Redis (no ACL file) has lost the user: the probe says so, the step restores it
    server.restart().await;
    assert!(
        login(&server.addr(), "nuvolaris", "second-Pw")
            .await
            .is_err(),
        "ACL lost on restart"
    );
    assert!(
        !admin.acl_user_ok(&changed).await.unwrap(),
        "the probe sees the ACL missing"
    );
    assert!(admin.ensure_acl_user(&changed).await.unwrap());
    let mut con = login(&server.addr(), "nuvolaris", "second-Pw")
        .await
        .expect("restored ACL user");
    set(&mut con, "nuvolaris:k3").await.unwrap();
    assert_eq!(
        set(&mut con, "elsewhere").await.unwrap_err().code(),
        Some("NOPERM")
    );

    assert!(admin.delete_acl_user("nuvolaris").await.unwrap());
    assert!(!admin.acl_user_ok(&changed).await.unwrap());
}

#[tokio::test]
async fn free_functions_set_the_user() {
    let Some(bin) = redis_bin("free_functions_set_the_user") else {
        return;
    };
    let server = RedisServer::start(&bin, CONFIG).await;
    let addr = server.addr();
    assert!(
        !nuvolaris_services::redis::acl_user_ok(&addr, DEFAULT_PASSWORD, "u1", "pw1", "p1:")
            .await
            .unwrap()
    );
    assert!(nuvolaris_services::redis::ensure_acl_user(
        &addr,
        DEFAULT_PASSWORD,
        "u1",
        "pw1",
        "p1:"
    )
    .await
    .unwrap());
    assert!(
        nuvolaris_services::redis::acl_user_ok(&addr, DEFAULT_PASSWORD, "u1", "pw1", "p1:")
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn wrong_default_password_is_an_auth_error_without_the_password() {
    let Some(bin) = redis_bin("wrong_default_password_is_an_auth_error_without_the_password")
    else {
        return;
    };
    let server = RedisServer::start(&bin, CONFIG).await;
    let admin = RedisAdmin::new(server.addr(), "Wr0ng-default");
    let user = AclUser {
        name: "nuvolaris",
        password: "user-Secret",
        prefix: "nuvolaris:",
    };
    let error = admin.ensure_acl_user(&user).await.unwrap_err();
    assert!(matches!(error.kind, ErrorKind::Auth(_)), "{error:?}");
    let shown = format!("{error} {error:?}");
    assert!(
        shown.starts_with(&format!(
            "redis at {}: ACL GETUSER nuvolaris: ",
            server.addr()
        )),
        "{shown}"
    );
    for secret in ["Wr0ng-default", "user-Secret", DEFAULT_PASSWORD] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[tokio::test]
async fn a_silent_server_times_out() {
    // accepts TCP connections and never answers
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let _held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    let admin = RedisAdmin::new(addr.clone(), "pw").with_timeout(Duration::from_millis(300));
    let user = AclUser {
        name: "nuvolaris",
        password: "pw2",
        prefix: "nuvolaris:",
    };
    let error = admin.acl_user_ok(&user).await.unwrap_err();
    assert!(matches!(error.kind, ErrorKind::Timeout(_)), "{error:?}");
    assert_eq!(error.addr, addr);
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error() {
    let addr = format!("127.0.0.1:{}", testing::free_port());
    let error = RedisAdmin::new(addr.clone(), "pw")
        .acl_user_ok(&AclUser {
            name: "n",
            password: "p",
            prefix: "n:",
        })
        .await
        .unwrap_err();
    assert!(matches!(error.kind, ErrorKind::Connect(_)), "{error:?}");
    assert!(error.to_string().contains(&addr), "{error}");
}
