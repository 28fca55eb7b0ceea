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

//! Service addresses: `<svc>.<ns>.svc.cluster.local:<port>` in the cluster, overridden per
//! service by `NUVOLARIS_SERVICE_OVERRIDES=redis=127.0.0.1:6390,minio=127.0.0.1:9000,...` so tests
//! and local runs reach real servers on loopback.

use std::collections::BTreeMap;

/// Env var holding the per-service address overrides (`name=host:port,...`).
pub const ENV_SERVICE_OVERRIDES: &str = "NUVOLARIS_SERVICE_OVERRIDES";

/// A malformed `NUVOLARIS_SERVICE_OVERRIDES`; the message names the bad entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{ENV_SERVICE_OVERRIDES}: entry {entry:?}: {reason}")]
pub struct OverrideError {
    /// The offending entry as written.
    pub entry: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Resolves the address of a service of one namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceResolver {
    namespace: String,
    overrides: BTreeMap<String, String>,
}

impl ServiceResolver {
    /// A resolver for `namespace` without overrides.
    pub fn new(namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            overrides: BTreeMap::new(),
        }
    }

    /// A resolver for `namespace` with the overrides of `NUVOLARIS_SERVICE_OVERRIDES` (none when
    /// unset or empty).
    pub fn from_env(namespace: impl Into<String>) -> Result<Self, OverrideError> {
        let spec = std::env::var(ENV_SERVICE_OVERRIDES).unwrap_or_default();
        Self::with_overrides(namespace, &spec)
    }

    /// A resolver for `namespace` with the overrides in `spec` (`name=host:port,...`; blanks
    /// around entries and empty entries are ignored).
    pub fn with_overrides(namespace: impl Into<String>, spec: &str) -> Result<Self, OverrideError> {
        Ok(Self {
            namespace: namespace.into(),
            overrides: parse_overrides(spec)?,
        })
    }

    /// The namespace this resolver serves.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// `host:port` of Service `service` on `port`: the override named `service` if any, else
    /// `<service>.<namespace>.svc.cluster.local:<port>`.
    pub fn address(&self, service: &str, port: u16) -> String {
        self.address_as(service, service, port)
    }

    /// `host:port` for the override named `key` if any, else Service `service` on `port` in the
    /// cluster. For two endpoints of one Service, e.g. key `minio-admin` of Service `minio`.
    pub fn address_as(&self, key: &str, service: &str, port: u16) -> String {
        match self.overrides.get(key) {
            Some(address) => address.clone(),
            None => format!("{service}.{}.svc.cluster.local:{port}", self.namespace),
        }
    }

    /// The in-cluster host name of `service` (no override applied): what goes into `cm/config`.
    pub fn cluster_host(&self, service: &str) -> String {
        format!("{service}.{}.svc.cluster.local", self.namespace)
    }

    /// True when `key` is overridden.
    pub fn is_overridden(&self, key: &str) -> bool {
        self.overrides.contains_key(key)
    }
}

/// Parses `name=host:port,...` into a map, naming the first bad entry on error.
pub fn parse_overrides(spec: &str) -> Result<BTreeMap<String, String>, OverrideError> {
    let mut overrides = BTreeMap::new();
    for raw in spec.split(',') {
        let entry = raw.trim();
        if entry.is_empty() {
            continue;
        }
        let bad = |reason: &str| OverrideError {
            entry: entry.to_owned(),
            reason: reason.to_owned(),
        };
        let (name, address) = entry
            .split_once('=')
            .ok_or_else(|| bad("expected name=host:port"))?;
        let (name, address) = (name.trim(), address.trim());
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(bad(
                "the name must be a service name (lowercase letters, digits, '-')",
            ));
        }
        let (host, port) = address
            .rsplit_once(':')
            .ok_or_else(|| bad("the address needs a port (host:port)"))?;
        let bare_host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if bare_host.is_empty() || bare_host.contains(['/', ' ', '@']) {
            return Err(bad("the host is empty or not a host name or IP address"));
        }
        if host == bare_host && host.contains(':') {
            return Err(bad("an IPv6 address must be in brackets, e.g. [::1]:6379"));
        }
        match port.parse::<u16>() {
            Ok(p) if p > 0 => {}
            _ => return Err(bad("the port must be a number from 1 to 65535")),
        }
        if overrides
            .insert(name.to_owned(), address.to_owned())
            .is_some()
        {
            return Err(bad("the service is overridden twice"));
        }
    }
    Ok(overrides)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn defaults_to_the_cluster_dns_name() {
        let resolver = ServiceResolver::new("nuvolaris");
        assert_eq!(
            resolver.address("redis", 6379),
            "redis.nuvolaris.svc.cluster.local:6379"
        );
        assert_eq!(
            resolver.address_as("minio-admin", "minio", 9000),
            "minio.nuvolaris.svc.cluster.local:9000"
        );
        assert!(!resolver.is_overridden("redis"));
    }

    #[test]
    fn overrides_win_per_service() {
        let resolver = ServiceResolver::with_overrides(
            "ns1",
            " redis=127.0.0.1:6390, minio=localhost:9000,minio-admin=[::1]:9001,",
        )
        .unwrap();
        assert_eq!(resolver.address("redis", 6379), "127.0.0.1:6390");
        assert_eq!(resolver.address("minio", 9000), "localhost:9000");
        assert_eq!(
            resolver.address_as("minio-admin", "minio", 9000),
            "[::1]:9001"
        );
        assert_eq!(
            resolver.address("couchdb", 5984),
            "couchdb.ns1.svc.cluster.local:5984"
        );
        assert_eq!(
            resolver.cluster_host("redis"),
            "redis.ns1.svc.cluster.local"
        );
        assert!(resolver.is_overridden("minio-admin"));
    }

    #[rstest]
    #[case("", 0)]
    #[case(" , ,", 0)]
    #[case("couchdb=127.0.0.1:5984", 1)]
    #[case("redis=r:1,nuvolaris-postgres=10.1.2.3:5432", 2)]
    fn parses_valid_specs(#[case] spec: &str, #[case] entries: usize) {
        assert_eq!(parse_overrides(spec).unwrap().len(), entries);
    }

    #[rstest]
    #[case("redis", "redis", "expected name=host:port")]
    #[case("redis=127.0.0.1", "redis=127.0.0.1", "needs a port")]
    #[case(
        "redis=127.0.0.1:http",
        "redis=127.0.0.1:http",
        "port must be a number"
    )]
    #[case("redis=127.0.0.1:0", "redis=127.0.0.1:0", "port must be a number")]
    #[case(
        "redis=127.0.0.1:70000",
        "redis=127.0.0.1:70000",
        "port must be a number"
    )]
    #[case("=127.0.0.1:1", "=127.0.0.1:1", "must be a service name")]
    #[case("Redis=127.0.0.1:1", "Redis=127.0.0.1:1", "must be a service name")]
    #[case("redis=:6379", "redis=:6379", "host is empty")]
    #[case(
        "redis=http://r:6379",
        "redis=http://r:6379",
        "host is empty or not a host name"
    )]
    #[case("redis=::1:6379", "redis=::1:6379", "in brackets")]
    #[case("minio=a:1, redis=b:2 ,redis=c:3", "redis=c:3", "overridden twice")]
    fn names_the_bad_entry(#[case] spec: &str, #[case] entry: &str, #[case] reason: &str) {
        let error = parse_overrides(spec).unwrap_err();
        assert_eq!(error.entry, entry);
        assert!(error.reason.contains(reason), "{error}");
        assert!(
            error
                .to_string()
                .starts_with("NUVOLARIS_SERVICE_OVERRIDES: entry "),
            "{error}"
        );
    }
}
