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

//! The api endpoint: Ingresses `apihost-info`, `apihost`, `apihost-my` (and `apihost-www-my` off
//! kind when the host has no `www`), on the computed api host, with the TLS block only when
//! `components.tls` (and not on kind). They are not owned by the Whisk (as upstream): the finalizer
//! deletes them. The `apihost` annotation on `cm/config` is written by the reconciler.
//!
//! With the `traefik` ingress class each Ingress uses a `Prefix` path and a Traefik `Middleware`
//! (`<ns>-<ingress>-api-ingress-add-prefix`, `replacePathRegex`) instead of nginx's regex
//! rewrite; on OpenShift (`kube: openshift`) OpenShift `Route`s replace the Ingresses
//! (upstream `n/endpoint.py`). Middlewares and Routes are optional kinds: applied only when the
//! cluster serves their CRD, else the endpoint is `error` with reason `MissingCRD`.
//! ⚠ Upstream's `apihost-my` Route rewrites to `/api/v1/web/namespace/<ns>`, unlike its Ingress;
//! here both go to `/api/v1/web/nuvolaris` (the `nuvolaris` OpenWhisk namespace).

use super::common::{View, COMPONENT_LABEL};
use crate::error::Result;
use crate::overlay::{Overlay, Patch};
use crate::resolve::Settings;
use crate::state::State;
use nuvolaris_runtime::ChildKind;
use serde_json::{json, Value};

/// Traefik's `Middleware` (optional kind).
pub const MIDDLEWARE: ChildKind = ChildKind::namespaced(
    "traefik.containo.us",
    "v1alpha1",
    "Middleware",
    "middlewares",
);
/// OpenShift's `Route` (optional kind).
pub const ROUTE: ChildKind = ChildKind::namespaced("route.openshift.io", "v1", "Route", "routes");

/// One api host route: (name, context path, nginx rewrite target, Route rewrite target).
struct ApiPath {
    name: &'static str,
    path: &'static str,
    rewrite: String,
    route_rewrite: String,
}

/// The OpenWhisk namespace `/api/my` serves (as the Ingress bases: upstream's `nuvolaris`).
const MY_NAMESPACE: &str = "nuvolaris";

fn api_paths() -> Vec<ApiPath> {
    let ns = MY_NAMESPACE;
    vec![
        ApiPath {
            name: "apihost-info",
            path: "/api/info",
            rewrite: "/$2".into(),
            route_rewrite: "/".into(),
        },
        ApiPath {
            name: "apihost",
            path: "/api/v1",
            rewrite: "/api/v1/$2".into(),
            route_rewrite: "/api/v1".into(),
        },
        ApiPath {
            name: "apihost-my",
            path: "/api/my",
            rewrite: format!("/api/v1/web/{ns}/$2"),
            route_rewrite: format!("/api/v1/web/{ns}"),
        },
        ApiPath {
            name: "apihost-www-my",
            path: "/api/my",
            rewrite: format!("/api/v1/web/{ns}/$2"),
            route_rewrite: format!("/api/v1/web/{ns}"),
        },
    ]
}

/// Regular expression every api path is followed by (upstream `context_regexp`).
const CONTEXT_REGEXP: &str = "(/|$)(.*)";

/// Name of the Traefik Middleware of Ingress `ingress` (upstream `api_middleware_ingress_name`).
pub fn middleware_name(ns: &str, ingress: &str) -> String {
    format!("{ns}-{ingress}-api-ingress-add-prefix")
}

/// Whether Routes replace the Ingresses.
pub fn uses_routes(s: &Settings) -> bool {
    s.kube == "openshift"
}

/// Whether the Ingresses go through Traefik Middlewares.
pub fn uses_middlewares(s: &Settings) -> bool {
    !uses_routes(s) && s.ingress_class == "traefik"
}

/// (name, host) of every Ingress or Route for the api host.
fn hosts(s: &Settings) -> Vec<(&'static str, String)> {
    let Some(api) = &s.apihost else {
        return Vec::new();
    };
    let www = wants_www(s, &api.hostname);
    INGRESSES
        .iter()
        .filter(|n| **n != "apihost-www-my" || www)
        .map(|n| {
            let host = if *n == "apihost-www-my" {
                format!("www.{}", api.hostname)
            } else {
                api.hostname.clone()
            };
            (*n, host)
        })
        .collect()
}

/// The Middlewares (Traefik) or Routes (OpenShift) of the api host, labelled as the endpoint's.
pub fn optional_objects(s: &Settings) -> Vec<Value> {
    let paths = api_paths();
    let path = |n: &str| paths.iter().find(|p| p.name == n);
    let mut out = Vec::new();
    for (name, host) in hosts(s) {
        let Some(p) = path(name) else { continue };
        if uses_routes(s) {
            let mut ann = serde_json::Map::new();
            ann.insert(
                "haproxy.router.openshift.io/timeout".into(),
                json!(format!("{}s", s.route_timeout_seconds)),
            );
            if s.tls {
                ann.insert("kubernetes.io/tls-acme".into(), json!("true"));
            }
            ann.insert(
                "haproxy.router.openshift.io/rewrite-target".into(),
                json!(p.route_rewrite),
            );
            ann.insert(
                "http.exposer.acme.openshift.io/filter-out-annotations".into(),
                json!("rewrite-target"),
            );
            let mut route = json!({
                "apiVersion": ROUTE.api_version(),
                "kind": ROUTE.kind,
                "metadata": {
                    "name": name,
                    "namespace": s.namespace,
                    "labels": { "app": name, COMPONENT_LABEL: "endpoint" },
                    "annotations": Value::Object(ann),
                },
                "spec": {
                    "host": host,
                    "path": p.path,
                    "to": { "kind": "Service", "name": "controller-ip" },
                    "port": { "targetPort": 8080 },
                },
            });
            if s.tls {
                route["spec"]["tls"] = json!({ "termination": "edge" });
            }
            out.push(route);
        } else if uses_middlewares(s) {
            out.push(json!({
                "apiVersion": MIDDLEWARE.api_version(),
                "kind": MIDDLEWARE.kind,
                "metadata": {
                    "name": middleware_name(&s.namespace, name),
                    "namespace": s.namespace,
                    "labels": { COMPONENT_LABEL: "endpoint" },
                },
                "spec": { "replacePathRegex": {
                    "regex": format!("{}{CONTEXT_REGEXP}", p.path),
                    "replacement": p.rewrite,
                } },
            }));
        }
    }
    out
}

/// The optional kind the endpoint needs on this cluster, if any.
pub fn needed_kind(s: &Settings) -> Option<ChildKind> {
    if uses_routes(s) {
        Some(ROUTE)
    } else if uses_middlewares(s) {
        Some(MIDDLEWARE)
    } else {
        None
    }
}

/// Ready once the api host is known, its optional kind served and `cm/config` present. Waiting
/// for the load balancer's address is not polled: the address arriving is a watch event.
pub fn readiness(v: &View<'_>) -> State {
    if v.settings.apihost.is_none() {
        return State::Waiting(
            "WaitingForLoadBalancer",
            "the ingress load balancer has no address yet; set spec.nuvolaris.apihost".into(),
        );
    }
    if let Some(k) = needed_kind(v.settings) {
        if !v.served.has(&k) {
            return State::Failed(
                "MissingCRD",
                format!(
                    "the cluster does not serve {} ({}): install its CRD",
                    k.kind,
                    k.api_version()
                ),
            );
        }
    }
    if !v.config_exists {
        return State::Failed(
            "MissingPrerequisite",
            format!(
                "ConfigMap {}/config (a prerequisite) does not exist",
                v.settings.namespace
            ),
        );
    }
    State::Ready
}

/// Names of every Ingress this component may create.
pub const INGRESSES: [&str; 4] = ["apihost-info", "apihost", "apihost-my", "apihost-www-my"];
/// TLS secret of the api host certificate.
pub const TLS_SECRET: &str = "nuvolaris-crt";

/// Whether the `apihost-www-my` Ingress is created for this host.
pub fn wants_www(s: &Settings, hostname: &str) -> bool {
    !hostname.contains("www") && s.kube != "kind"
}

fn annotations(s: &Settings) -> Value {
    let t = s.route_timeout_seconds.to_string();
    let mut a = serde_json::Map::new();
    a.insert("kubernetes.io/ingress.class".into(), json!(s.ingress_class));
    if s.ingress_class == "traefik" {
        for k in ["readTimeout", "writeTimeout", "idleTimeout"] {
            a.insert(
                format!("traefik.ingress.kubernetes.io/transport.respondingTimeouts.{k}"),
                json!(t),
            );
        }
    } else {
        for k in [
            "proxy-connect-timeout",
            "proxy-send-timeout",
            "proxy-read-timeout",
        ] {
            a.insert(format!("nginx.ingress.kubernetes.io/{k}"), json!(t));
        }
    }
    if s.tls {
        a.insert(
            "cert-manager.io/cluster-issuer".into(),
            json!("letsencrypt-issuer"),
        );
    }
    Value::Object(a)
}

/// Bases `endpoint` (and `endpoint-www`) with host, annotations and TLS patches. Nothing while the
/// api host is still pending (no load-balancer address).
pub fn contribute(s: &Settings, o: &mut Overlay) -> Result<()> {
    let Some(api) = &s.apihost else { return Ok(()) };
    if uses_routes(s) {
        // Routes (optional objects) replace the Ingresses
        return Ok(());
    }
    let paths = api_paths();
    o.bases.push("endpoint".into());
    let www = wants_www(s, &api.hostname);
    if www {
        o.bases.push("endpoint-www".into());
    }
    for name in INGRESSES {
        let (host, secret) = if name == "apihost-www-my" {
            if !www {
                continue;
            }
            (format!("www.{}", api.hostname), format!("{TLS_SECRET}-www"))
        } else {
            (api.hostname.clone(), TLS_SECRET.to_string())
        };
        let mut p = json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": { "name": name, "annotations": annotations(s) },
        });
        if s.tls {
            p["spec"] = json!({ "tls": [ { "hosts": [ host ], "secretName": secret } ] });
        }
        o.patches.push(Patch::Strategic(p));
        let mut ops = vec![json!({ "op": "replace", "path": "/spec/rules/0/host", "value": host })];
        if uses_middlewares(s) {
            let p = paths.iter().find(|p| p.name == name);
            ops.extend([
                json!({ "op": "remove", "path": "/metadata/annotations/nginx.ingress.kubernetes.io~1use-regex" }),
                json!({ "op": "remove", "path": "/metadata/annotations/nginx.ingress.kubernetes.io~1rewrite-target" }),
                json!({ "op": "add", "path": "/metadata/annotations/traefik.ingress.kubernetes.io~1router.middlewares",
                        "value": format!("{}-{}@kubernetescrd", s.namespace, middleware_name(&s.namespace, name)) }),
                json!({ "op": "replace", "path": "/spec/rules/0/http/paths/0/path", "value": p.map(|p| p.path).unwrap_or("/") }),
                json!({ "op": "replace", "path": "/spec/rules/0/http/paths/0/pathType", "value": "Prefix" }),
            ]);
        }
        o.patches.push(Patch::Json6902 {
            kind: "Ingress".into(),
            name: name.into(),
            ops: Value::Array(ops),
        });
    }
    Ok(())
}
