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

//! Optional child kinds: kinds a reconciler applies only when the cluster serves them (Traefik
//! `Middleware`, OpenShift `Route`, later Kubegres, cert-manager `ClusterIssuer`).
//!
//! They are not declared as child kinds, so they are never watched and never block startup.
//! [`OptionalKinds`] remembers which ones the API server serves: it asks discovery (one
//! `GET /apis/<group>/<version>` per group-version) the first time it is used, again when its
//! answer is older than the refresh interval, and again right after [`OptionalKinds::invalidate`]
//! (call it when an apply of such a kind answered NotFound). A kind that is not served is the
//! reconciler's to report (e.g. a component `error` with reason `MissingCRD`); the operator's
//! `/readyz` does not depend on it.

use crate::reconciler::ChildKind;
use kube::Client;
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Default refresh interval of the discovery answer.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(60);

/// Which optional kinds the cluster serves, from the last discovery.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Served {
    kinds: BTreeSet<(String, String, String)>,
}

impl Served {
    /// A set naming `kinds` as served (for tests and offline rendering).
    pub fn of(kinds: &[ChildKind]) -> Self {
        Self {
            kinds: kinds.iter().map(key).collect(),
        }
    }

    /// Whether `kind` is served.
    pub fn has(&self, kind: &ChildKind) -> bool {
        self.kinds.contains(&key(kind))
    }
}

fn key(k: &ChildKind) -> (String, String, String) {
    (
        k.group.to_string(),
        k.version.to_string(),
        k.kind.to_string(),
    )
}

/// A discovery cache for a fixed list of optional kinds.
#[derive(Debug)]
pub struct OptionalKinds {
    kinds: Vec<ChildKind>,
    refresh: Duration,
    last: Mutex<Option<(Instant, Served)>>,
}

impl OptionalKinds {
    /// A cache for `kinds`, asking discovery again after `refresh`.
    pub fn new(kinds: Vec<ChildKind>, refresh: Duration) -> Self {
        Self {
            kinds,
            refresh,
            last: Mutex::new(None),
        }
    }

    /// The optional kinds (for RBAC rules).
    pub fn kinds(&self) -> &[ChildKind] {
        &self.kinds
    }

    /// Forgets the last answer: the next [`OptionalKinds::served`] asks discovery again.
    pub fn invalidate(&self) {
        if let Ok(mut l) = self.last.lock() {
            *l = None;
        }
    }

    /// Which kinds are served: the cached answer while fresh, else a new discovery. A failed
    /// discovery call counts the kind as not served (and is retried at the next call).
    pub async fn served(&self, client: &Client) -> Served {
        if let Ok(l) = self.last.lock() {
            if let Some((at, s)) = l.as_ref() {
                if at.elapsed() < self.refresh {
                    return s.clone();
                }
            }
        }
        let mut served = Served::default();
        let mut complete = true;
        let mut versions: BTreeSet<String> = BTreeSet::new();
        for k in &self.kinds {
            versions.insert(k.api_version());
        }
        for gv in versions {
            let list = if gv.contains('/') {
                client.list_api_group_resources(&gv).await
            } else {
                client.list_core_api_resources(&gv).await
            };
            match list {
                Ok(l) => {
                    for k in self.kinds.iter().filter(|k| k.api_version() == gv) {
                        if l.resources.iter().any(|r| r.name == k.plural) {
                            served.kinds.insert(key(k));
                        }
                    }
                }
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => {
                    complete = false;
                    tracing::warn!(api_version = %gv, error = %e, "discovery of optional kinds failed");
                }
            }
        }
        if complete {
            if let Ok(mut l) = self.last.lock() {
                *l = Some((Instant::now(), served.clone()));
            }
        }
        served
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTE: ChildKind = ChildKind::namespaced("route.openshift.io", "v1", "Route", "routes");

    #[test]
    fn served_set_answers_by_group_version_kind() {
        let s = Served::of(&[ROUTE]);
        assert!(s.has(&ROUTE));
        let other = ChildKind::namespaced("route.openshift.io", "v2", "Route", "routes");
        assert!(!s.has(&other));
        assert!(!Served::default().has(&ROUTE));
    }
}
