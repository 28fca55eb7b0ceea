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

//! Where the operator process reaches a Whisk's services for its side effects (CouchDB today;
//! Redis, MinIO and Postgres later): `<service>.<namespace>.svc.cluster.local:<port>`, unless
//! `NUVOLARIS_SERVICE_OVERRIDES` names the service (`couchdb=127.0.0.1:5984,redis=...`), which
//! tests and local runs use to reach real servers on loopback.
//!
//! This is a small private resolver behind one function, [`resolve`], so that it can be swapped
//! for the shared `nuvolaris-services` crate without touching its callers.

/// Environment variable holding the overrides.
pub const OVERRIDES_ENV: &str = "NUVOLARIS_SERVICE_OVERRIDES";

/// The address (`host:port`) of `service` in `namespace`, honouring [`OVERRIDES_ENV`].
pub fn resolve(service: &str, namespace: &str, port: u16) -> String {
    let overrides = std::env::var(OVERRIDES_ENV).unwrap_or_default();
    resolve_with(&overrides, service, namespace, port)
}

/// [`resolve`] with the overrides given as text (`name=host:port,...`; blanks ignored).
pub fn resolve_with(overrides: &str, service: &str, namespace: &str, port: u16) -> String {
    overrides
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.trim() == service)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| format!("{service}.{namespace}.svc.cluster.local:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("", "couchdb", "couchdb.nuvolaris.svc.cluster.local:5984")]
    #[case("couchdb=127.0.0.1:5985", "couchdb", "127.0.0.1:5985")]
    #[case(
        "redis=127.0.0.1:6390, couchdb = localhost:1234",
        "couchdb",
        "localhost:1234"
    )]
    #[case(
        "redis=127.0.0.1:6390",
        "couchdb",
        "couchdb.nuvolaris.svc.cluster.local:5984"
    )]
    #[case("couchdb=", "couchdb", "couchdb.nuvolaris.svc.cluster.local:5984")]
    #[case(
        "couchdb-np=1.2.3.4:1",
        "couchdb",
        "couchdb.nuvolaris.svc.cluster.local:5984"
    )]
    fn resolves_with_overrides(#[case] ov: &str, #[case] svc: &str, #[case] want: &str) {
        assert_eq!(resolve_with(ov, svc, "nuvolaris", 5984), want);
    }
}
