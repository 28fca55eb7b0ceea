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

use crate::error::Result;
use crate::overlay::{Overlay, Patch};
use crate::resolve::Settings;
use serde_json::{json, Value};

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
        o.patches.push(Patch::Json6902 {
            kind: "Ingress".into(),
            name: name.into(),
            ops: json!([ { "op": "replace", "path": "/spec/rules/0/host", "value": host } ]),
        });
    }
    Ok(())
}
