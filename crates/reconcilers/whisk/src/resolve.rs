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

//! Effective settings of one render: the spec with upstream defaults applied and the cluster facts.

use crate::secrets::WhiskSecrets;
use crate::settings::{ClusterFacts, LbAddress, OperatorConfig};
use nuvolaris_api::whisk::{Protocol, Whisk};

/// Everything a render needs.
#[derive(Clone, Copy, Debug)]
pub struct RenderInput<'a> {
    /// The Whisk (its namespace and spec).
    pub whisk: &'a Whisk,
    /// Its effective credentials.
    pub secrets: &'a WhiskSecrets,
    /// What the cluster told us (defaults offline).
    pub facts: &'a ClusterFacts,
    /// Operator images.
    pub operator: &'a OperatorConfig,
    /// `runtimes.json` of the `openwhisk-runtimes` ConfigMap.
    pub runtimes_json: &'a str,
}

/// The api host as upstream computes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Apihost {
    /// `http` or `https`.
    pub scheme: String,
    /// Host name.
    pub hostname: String,
    /// Optional port.
    pub port: Option<i64>,
}

impl Apihost {
    /// The URL stored in the `apihost` annotation of `cm/config`.
    pub fn url(&self) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{p}", self.scheme, self.hostname),
            None => format!("{}://{}", self.scheme, self.hostname),
        }
    }
}

/// Appends `.nip.io` to a bare IPv4 address (upstream `ensure_host`).
pub fn ensure_host(host: &str) -> String {
    let parts: Vec<&str> = host.split('.').collect();
    let is_ip = parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()));
    if is_ip {
        format!("{host}.nip.io")
    } else {
        host.to_string()
    }
}

/// Parses an OpenWhisk duration (`100ms`, `1min`, `5m`, `30s`, `1h`) into whole seconds.
pub fn duration_seconds(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    match unit.trim() {
        "ms" => Some(n / 1000),
        "s" | "sec" | "second" | "seconds" => Some(n),
        "m" | "min" | "minute" | "minutes" => Some(n * 60),
        "h" | "hour" | "hours" => Some(n * 3600),
        _ => None,
    }
}

/// Effective settings of a render.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Namespace of every object (the Whisk's).
    pub namespace: String,
    /// Kubernetes flavour: explicit `nuvolaris.kube`, else detected, else `generic`.
    pub kube: String,
    /// `components.tls` and not on kind.
    pub tls: bool,
    /// Ingress class: explicit, else `public` on microk8s, `traefik` on k3s, `nginx` elsewhere.
    pub ingress_class: String,
    /// Storage class, only when set explicitly (`auto` leaves the cluster default).
    pub storage_class: Option<String>,
    /// The api host; `None` while the ingress load balancer has no address yet.
    pub apihost: Option<Apihost>,
    /// CouchDB service host.
    pub couchdb_host: String,
    /// CouchDB port.
    pub couchdb_port: i64,
    /// CouchDB volume size in GiB.
    pub couchdb_volume_gib: i64,
    /// Proxy timeouts of the ingresses, from `configs.limits.time.limit-max`.
    pub route_timeout_seconds: u64,
}

fn non_auto(v: &Option<String>) -> Option<String> {
    v.clone().filter(|s| !s.is_empty() && s != "auto")
}

impl Settings {
    /// Computes the settings of `input`.
    pub fn compute(input: &RenderInput<'_>) -> Settings {
        let spec = &input.whisk.spec;
        let n = spec.nuvolaris_or_default();
        let kube = non_auto(&n.kube)
            .or_else(|| input.facts.kube.clone())
            .unwrap_or_else(|| "generic".into());
        let on_kind = kube == "kind";
        let tls = spec.components.tls() && !on_kind;
        let ingress_class = non_auto(&n.ingressclass).unwrap_or_else(|| {
            match kube.as_str() {
                "microk8s" => "public",
                "k3s" => "traefik",
                _ => "nginx",
            }
            .into()
        });
        let host = match non_auto(&n.apihost) {
            Some(h) => Some(ensure_host(&h)),
            None if on_kind => Some("localhost".to_string()),
            None => match &input.facts.ingress_lb {
                Some(LbAddress::Hostname(h)) => Some(h.clone()),
                Some(LbAddress::Ip(ip)) => Some(ensure_host(ip)),
                None => None,
            },
        };
        let scheme = match (on_kind, n.protocol) {
            (true, _) => "http",
            (false, Some(Protocol::Http)) => "http",
            (false, Some(Protocol::Https)) => "https",
            (false, _) if tls => "https",
            _ => "http",
        };
        let port = n.apiport.or(if on_kind && non_auto(&n.apihost).is_none() {
            Some(3233)
        } else {
            None
        });
        let apihost = host.map(|hostname| Apihost {
            scheme: scheme.into(),
            hostname,
            port,
        });
        let c = spec.couchdb_or_default();
        let limit_max = spec
            .configs
            .as_ref()
            .and_then(|c| c.limits.as_ref())
            .and_then(|l| l.time.as_ref())
            .and_then(|t| t.limit_max.clone());
        Settings {
            namespace: input
                .whisk
                .metadata
                .namespace
                .clone()
                .unwrap_or_else(|| "nuvolaris".into()),
            kube,
            tls,
            ingress_class,
            storage_class: non_auto(&n.storageclass),
            apihost,
            couchdb_host: c
                .host
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "couchdb".into()),
            couchdb_port: c.port.filter(|p| *p > 0).unwrap_or(5984),
            couchdb_volume_gib: c.volume_size.filter(|v| *v > 0).unwrap_or(10),
            route_timeout_seconds: limit_max
                .as_deref()
                .and_then(duration_seconds)
                .unwrap_or(300),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("142.251.163.105", "142.251.163.105.nip.io")]
    #[case("www.google.com", "www.google.com")]
    #[case("1.2.3", "1.2.3")]
    fn ensure_host_adds_nip_io_to_ips(#[case] input: &str, #[case] want: &str) {
        assert_eq!(ensure_host(input), want);
    }

    #[rstest]
    #[case("5min", Some(300))]
    #[case("1m", Some(60))]
    #[case("100ms", Some(0))]
    #[case("45s", Some(45))]
    #[case("2h", Some(7200))]
    #[case("abc", None)]
    fn parses_durations(#[case] input: &str, #[case] want: Option<u64>) {
        assert_eq!(duration_seconds(input), want);
    }

    fn settings(spec: serde_json::Value, facts: ClusterFacts) -> Settings {
        let mut w = Whisk::new("controller", serde_json::from_value(spec).unwrap());
        w.metadata.namespace = Some("nuvolaris".into());
        let (sec, _) = crate::secrets::resolve(&w.spec, &Default::default());
        let op = OperatorConfig::default();
        Settings::compute(&RenderInput {
            whisk: &w,
            secrets: &sec,
            facts: &facts,
            operator: &op,
            runtimes_json: "{}",
        })
    }

    #[rstest]
    #[case::kind_default(serde_json::json!({"kube": "kind"}), None, false, Some("http://localhost:3233"))]
    #[case::kind_tls_is_http(serde_json::json!({"kube": "kind"}), None, true, Some("http://localhost:3233"))]
    #[case::explicit_ip(serde_json::json!({"apihost": "10.0.0.1"}), None, false, Some("http://10.0.0.1.nip.io"))]
    #[case::explicit_tls(serde_json::json!({"apihost": "api.example.com"}), None, true, Some("https://api.example.com"))]
    #[case::explicit_port(serde_json::json!({"apihost": "a.b", "apiport": 8443, "protocol": "https"}), None, false, Some("https://a.b:8443"))]
    #[case::auto_lb_ip(serde_json::json!({"apihost": "auto"}), Some(LbAddress::Ip("5.6.7.8".into())), false, Some("http://5.6.7.8.nip.io"))]
    #[case::auto_lb_host(serde_json::json!({}), Some(LbAddress::Hostname("lb.aws.com".into())), true, Some("https://lb.aws.com"))]
    #[case::auto_pending(serde_json::json!({}), None, false, None)]
    fn computes_apihost_as_upstream(
        #[case] nuvolaris: serde_json::Value,
        #[case] lb: Option<LbAddress>,
        #[case] tls: bool,
        #[case] want: Option<&str>,
    ) {
        let s = settings(
            serde_json::json!({"components": {"openwhisk": true, "couchdb": true, "tls": tls}, "nuvolaris": nuvolaris}),
            ClusterFacts {
                kube: None,
                ingress_lb: lb,
            },
        );
        assert_eq!(s.apihost.map(|a| a.url()).as_deref(), want);
    }

    #[test]
    fn defaults_follow_upstream() {
        let s = settings(
            serde_json::json!({"components": {"openwhisk": true, "couchdb": true},
                               "nuvolaris": {"kube": "k3s", "storageclass": "auto"}}),
            ClusterFacts::default(),
        );
        assert_eq!(s.ingress_class, "traefik");
        assert_eq!(s.storage_class, None);
        assert_eq!(
            (
                s.couchdb_host.as_str(),
                s.couchdb_port,
                s.couchdb_volume_gib
            ),
            ("couchdb", 5984, 10)
        );
        assert_eq!(s.route_timeout_seconds, 300);
    }
}
