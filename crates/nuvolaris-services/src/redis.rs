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

//! Redis ACLs over RESP: the per-Whisk ACL user limited to its key prefix.
//!
//! Upstream runs `ACL SETUSER nuvolaris ON >pw +@all ~prefix*` through `kubectl exec redis-cli`;
//! `>pw` *adds* a password, so an old one kept working after a change. Here the rules start with
//! `resetpass` and `resetkeys`: the user ends up with exactly one password and one key pattern.
//! Redis keeps ACLs in memory only (no ACL file here), so a restarted Redis has lost the user:
//! [`RedisAdmin::acl_user_ok`] is the cheap probe that tells the caller to run the step again.

use crate::error::{redact, ErrorKind, Service, ServiceError};
use redis::{ConnectionAddr, IntoConnectionInfo, RedisConnectionInfo, Value};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::time::Duration;

/// Timeout of one Redis step (connect, authenticate, commands) unless set otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// An ACL user limited to the keys starting with `prefix`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AclUser<'a> {
    /// User name, e.g. `nuvolaris`.
    pub name: &'a str,
    /// Its password.
    pub password: &'a str,
    /// Its key prefix, e.g. `nuvolaris:` (the pattern is `~<prefix>*`).
    pub prefix: &'a str,
}

impl std::fmt::Debug for AclUser<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AclUser")
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl AclUser<'_> {
    /// The key pattern of the user: `~<prefix>*`.
    pub fn key_pattern(&self) -> String {
        format!("~{}*", self.prefix)
    }

    /// The arguments of `ACL SETUSER` that set this user from scratch (password and keys reset).
    pub fn setuser_args(&self) -> Vec<String> {
        vec![
            "SETUSER".into(),
            self.name.into(),
            "on".into(),
            "resetpass".into(),
            format!(">{}", self.password),
            "resetkeys".into(),
            self.key_pattern(),
            "+@all".into(),
        ]
    }

    /// Checks what Redis would misread: a name or prefix with blanks or glob characters.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.is_empty()
            || self
                .name
                .contains(|c: char| c.is_whitespace() || c == '>' || c == '<')
        {
            return Err(format!(
                "ACL user name {:?} is empty or has blanks or '<'/'>'",
                self.name
            ));
        }
        if self.name == "default" {
            return Err("the ACL user must not be the default user".into());
        }
        if self
            .prefix
            .contains(|c: char| c.is_whitespace() || matches!(c, '*' | '?' | '[' | ']' | '\\'))
        {
            return Err(format!(
                "key prefix {:?} has blanks or glob characters (*?[]\\)",
                self.prefix
            ));
        }
        if self.password.is_empty() {
            return Err("the ACL user password is empty".into());
        }
        Ok(())
    }
}

/// What `ACL GETUSER` says about a user, reduced to what [`AclUser`] sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AclState {
    /// `flags` (e.g. `on`, `off`, `nopass`).
    pub flags: Vec<String>,
    /// SHA-256 hex of each password.
    pub password_hashes: Vec<String>,
    /// `commands` (e.g. `+@all`).
    pub commands: String,
    /// Key patterns (e.g. `~nuvolaris:*`).
    pub keys: Vec<String>,
}

impl AclState {
    /// Parses an `ACL GETUSER` reply (RESP2 flat array or RESP3 map; `keys` as a string in Redis 7,
    /// a list in Redis 6).
    pub fn from_reply(reply: &Value) -> Result<Self, String> {
        let pairs: Vec<(&Value, &Value)> = match reply {
            Value::Array(items) => items
                .chunks(2)
                .filter_map(|c| Some((c.first()?, c.get(1)?)))
                .collect(),
            Value::Map(entries) => entries.iter().map(|(k, v)| (k, v)).collect(),
            other => return Err(format!("ACL GETUSER answered {other:?}")),
        };
        let mut state = AclState::default();
        for (key, value) in pairs {
            match text(key).as_deref() {
                Some("flags") => state.flags = texts(value),
                Some("passwords") => state.password_hashes = texts(value),
                Some("commands") => state.commands = text(value).unwrap_or_default(),
                Some("keys") => {
                    state.keys = match value {
                        Value::Array(_) | Value::Set(_) => texts(value),
                        other => text(other)
                            .unwrap_or_default()
                            .split_whitespace()
                            .map(str::to_owned)
                            .collect(),
                    }
                }
                _ => {}
            }
        }
        Ok(state)
    }

    /// True when this state is exactly what `user` sets: enabled, only its password, only its
    /// key pattern, all commands.
    pub fn matches(&self, user: &AclUser<'_>) -> bool {
        self.flags.iter().any(|f| f == "on")
            && self.password_hashes == [hex::encode(Sha256::digest(user.password.as_bytes()))]
            && self.keys == [user.key_pattern()]
            && self.commands == "+@all"
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        Value::Okay => Some("OK".into()),
        _ => None,
    }
}

fn texts(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) | Value::Set(items) => items.iter().filter_map(text).collect(),
        other => text(other).into_iter().collect(),
    }
}

/// Administers the ACLs of one Redis as its default user.
#[derive(Clone)]
pub struct RedisAdmin {
    addr: String,
    default_password: String,
    timeout: Duration,
}

impl std::fmt::Debug for RedisAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisAdmin")
            .field("addr", &self.addr)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisAdmin {
    /// Redis at `addr` (`host:port`), authenticating the default user with `default_password`
    /// (the `requirepass`), with [`DEFAULT_TIMEOUT`].
    pub fn new(addr: impl Into<String>, default_password: impl Into<String>) -> Self {
        Self {
            addr: addr.into(),
            default_password: default_password.into(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The same with another timeout per step.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The address called.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The probe: true when `user` exists exactly as [`ensure_acl_user`](Self::ensure_acl_user)
    /// sets it (`ACL GETUSER`, compared by password hash). False after a Redis restart.
    pub async fn acl_user_ok(&self, user: &AclUser<'_>) -> Result<bool, ServiceError> {
        Ok(self
            .acl_state(user)
            .await?
            .is_some_and(|state| state.matches(user)))
    }

    /// The state of `user` per `ACL GETUSER`, `None` when Redis does not know it.
    pub async fn acl_state(&self, user: &AclUser<'_>) -> Result<Option<AclState>, ServiceError> {
        let operation = format!("ACL GETUSER {}", user.name);
        self.check(user, &operation)?;
        let reply: Value = self
            .run(&operation, user, async |con| {
                redis::cmd("ACL")
                    .arg("GETUSER")
                    .arg(user.name)
                    .query_async(con)
                    .await
            })
            .await?;
        if matches!(reply, Value::Nil) {
            return Ok(None);
        }
        AclState::from_reply(&reply)
            .map(Some)
            .map_err(|message| self.error(&operation, ErrorKind::Protocol(message)))
    }

    /// Makes `user` exist exactly as given (check, then set): returns `false` when it already
    /// did, `true` after `ACL SETUSER <user> on resetpass >pw resetkeys ~<prefix>* +@all`.
    pub async fn ensure_acl_user(&self, user: &AclUser<'_>) -> Result<bool, ServiceError> {
        if self.acl_user_ok(user).await? {
            return Ok(false);
        }
        let operation = format!("ACL SETUSER {}", user.name);
        self.run(&operation, user, async |con| {
            redis::cmd("ACL")
                .arg(user.setuser_args())
                .query_async::<()>(con)
                .await
        })
        .await?;
        Ok(true)
    }

    /// Deletes `user` (`ACL DELUSER`); `true` when it existed.
    pub async fn delete_acl_user(&self, user: &str) -> Result<bool, ServiceError> {
        let operation = format!("ACL DELUSER {user}");
        let probe = AclUser {
            name: user,
            password: "-",
            prefix: "",
        };
        self.check(&probe, &operation)?;
        let deleted: i64 = self
            .run(&operation, &probe, async |con| {
                redis::cmd("ACL")
                    .arg("DELUSER")
                    .arg(user)
                    .query_async(con)
                    .await
            })
            .await?;
        Ok(deleted > 0)
    }

    fn check(&self, user: &AclUser<'_>, operation: &str) -> Result<(), ServiceError> {
        user.validate()
            .map_err(|message| self.error(operation, ErrorKind::Invalid(message)))
    }

    fn error(&self, operation: &str, kind: ErrorKind) -> ServiceError {
        ServiceError::new(Service::Redis, &self.addr, operation, kind)
    }

    /// Connects, authenticates as the default user and runs `body`, all within the timeout;
    /// errors are redacted of both passwords.
    async fn run<T, F>(
        &self,
        operation: &str,
        user: &AclUser<'_>,
        body: F,
    ) -> Result<T, ServiceError>
    where
        F: AsyncFnOnce(&mut redis::aio::MultiplexedConnection) -> redis::RedisResult<T>,
    {
        let secrets = [self.default_password.as_str(), user.password];
        let map = |error: redis::RedisError| self.error(operation, redis_kind(&error, &secrets));
        let work = async {
            let info = self
                .connection_info()
                .map_err(|message| self.error(operation, ErrorKind::Invalid(message)))?;
            let client = redis::Client::open(info).map_err(map)?;
            let config = redis::AsyncConnectionConfig::new()
                .set_connection_timeout(Some(self.timeout))
                .set_response_timeout(Some(self.timeout));
            let mut con = client
                .get_multiplexed_async_connection_with_config(&config)
                .await
                .map_err(map)?;
            body(&mut con).await.map_err(map)
        };
        within(self.timeout, work)
            .await
            .unwrap_or_else(|| Err(self.error(operation, ErrorKind::Timeout(self.timeout))))
    }

    fn connection_info(&self) -> Result<redis::ConnectionInfo, String> {
        let (host, port) = split_host_port(&self.addr)?;
        let info = ConnectionAddr::Tcp(host, port)
            .into_connection_info()
            .map_err(|e| e.to_string())?;
        Ok(info.set_redis_settings(
            RedisConnectionInfo::default()
                .set_password(&self.default_password)
                .set_skip_set_lib_name(),
        ))
    }
}

/// Runs `work` for at most `timeout`; `None` when it did not finish.
async fn within<T>(timeout: Duration, work: impl Future<Output = T>) -> Option<T> {
    tokio::time::timeout(timeout, work).await.ok()
}

/// `host` and `port` of `host:port` (`[v6]:port` too).
pub(crate) fn split_host_port(addr: &str) -> Result<(String, u16), String> {
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or_else(|| format!("address {addr:?} has no port"))?;
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("address {addr:?} has a bad port"))?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Ok((host.to_owned(), port))
}

fn redis_kind(error: &redis::RedisError, secrets: &[&str]) -> ErrorKind {
    let message = redact(&error.to_string(), secrets);
    if error.is_timeout() {
        ErrorKind::Timeout(Duration::ZERO)
    } else if error.kind() == redis::ErrorKind::AuthenticationFailed {
        ErrorKind::Auth(message)
    } else if error.is_connection_refusal() || error.is_io_error() {
        ErrorKind::Connect(message)
    } else {
        ErrorKind::Status {
            status: 0,
            code: error.code().unwrap_or_default().to_owned(),
            message,
        }
    }
}

/// [`RedisAdmin::ensure_acl_user`] with the default timeout: makes ACL user `user` with
/// `password` and keys `~<prefix>*` exist on Redis at `addr`; `true` when it had to be set.
pub async fn ensure_acl_user(
    addr: &str,
    default_password: &str,
    user: &str,
    password: &str,
    prefix: &str,
) -> Result<bool, ServiceError> {
    RedisAdmin::new(addr, default_password)
        .ensure_acl_user(&AclUser {
            name: user,
            password,
            prefix,
        })
        .await
}

/// [`RedisAdmin::acl_user_ok`] with the default timeout.
pub async fn acl_user_ok(
    addr: &str,
    default_password: &str,
    user: &str,
    password: &str,
    prefix: &str,
) -> Result<bool, ServiceError> {
    RedisAdmin::new(addr, default_password)
        .acl_user_ok(&AclUser {
            name: user,
            password,
            prefix,
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const USER: AclUser<'static> = AclUser {
        name: "nuvolaris",
        password: "s0meP@ass3",
        prefix: "nuvolaris:",
    };

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    fn getuser_reply(flags: &[&str], passwords: &[&str], keys: Value) -> Value {
        Value::Array(vec![
            bulk("flags"),
            Value::Array(flags.iter().map(|f| bulk(f)).collect()),
            bulk("passwords"),
            Value::Array(
                passwords
                    .iter()
                    .map(|p| bulk(&hex::encode(Sha256::digest(p.as_bytes()))))
                    .collect(),
            ),
            bulk("commands"),
            bulk("+@all"),
            bulk("keys"),
            keys,
            bulk("channels"),
            bulk(""),
            bulk("selectors"),
            Value::Array(vec![]),
        ])
    }

    #[test]
    fn setuser_resets_password_and_keys() {
        assert_eq!(
            USER.setuser_args(),
            [
                "SETUSER",
                "nuvolaris",
                "on",
                "resetpass",
                ">s0meP@ass3",
                "resetkeys",
                "~nuvolaris:*",
                "+@all"
            ]
        );
    }

    #[rstest]
    #[case(getuser_reply(&["on"], &["s0meP@ass3"], bulk("~nuvolaris:*")), true)]
    #[case(getuser_reply(&["on"], &["s0meP@ass3"], Value::Array(vec![bulk("~nuvolaris:*")])), true)]
    #[case(getuser_reply(&["off"], &["s0meP@ass3"], bulk("~nuvolaris:*")), false)]
    #[case(getuser_reply(&["on"], &["old", "s0meP@ass3"], bulk("~nuvolaris:*")), false)]
    #[case(getuser_reply(&["on"], &["other"], bulk("~nuvolaris:*")), false)]
    #[case(getuser_reply(&["on"], &["s0meP@ass3"], bulk("~nuvolaris:* ~other:*")), false)]
    #[case(getuser_reply(&["on"], &["s0meP@ass3"], bulk("~other:*")), false)]
    fn probe_matches_only_the_exact_state(#[case] reply: Value, #[case] ok: bool) {
        assert_eq!(AclState::from_reply(&reply).unwrap().matches(&USER), ok);
    }

    #[rstest]
    #[case(AclUser { prefix: "nuvolaris:*", ..USER })]
    #[case(AclUser { prefix: "a b", ..USER })]
    #[case(AclUser { name: "", ..USER })]
    #[case(AclUser { name: "default", ..USER })]
    #[case(AclUser { password: "", ..USER })]
    fn rejects_what_redis_would_misread(#[case] user: AclUser<'static>) {
        assert!(user.validate().is_err());
    }

    #[test]
    fn debug_hides_passwords() {
        let shown = format!("{:?} {:?}", USER, RedisAdmin::new("r:6379", "topsecret"));
        assert!(
            !shown.contains("s0meP@ass3") && !shown.contains("topsecret"),
            "{shown}"
        );
    }

    #[rstest]
    #[case("127.0.0.1:6379", "127.0.0.1", 6379)]
    #[case("[::1]:6390", "::1", 6390)]
    #[case("redis.ns.svc.cluster.local:6379", "redis.ns.svc.cluster.local", 6379)]
    fn splits_addresses(#[case] addr: &str, #[case] host: &str, #[case] port: u16) {
        assert_eq!(split_host_port(addr).unwrap(), (host.to_owned(), port));
    }
}
