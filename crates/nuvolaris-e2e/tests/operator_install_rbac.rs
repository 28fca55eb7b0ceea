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

//! The operator's install (`charts-free-kustomize/operator`, built with the project's kustomize
//! engine) on the RBAC-enforcing embedded API server: the ServiceAccount can do what the
//! operator does, and nothing more. It lives here, not in the API server's tests, because it
//! needs the kustomize engine, which the API server does not depend on.

use nuvolaris_apiserver::{ApiServer, ServerConfig};
use serde_json::{json, Value};

struct Srv {
    server: ApiServer,
    http: reqwest::Client,
}

async fn start(rbac: bool) -> Srv {
    let server = ApiServer::start(ServerConfig {
        rbac,
        ..Default::default()
    })
    .await
    .expect("embedded API server");
    Srv {
        server,
        http: reqwest::Client::new(),
    }
}

const ADMIN: &str = "embedded-token";
const OP_NS: &str = "nuvolaris";
const OP_SA: &str = "nuvolaris-operator";

fn cm(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1"}})
}

impl Srv {
    async fn call(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut b = self.http.request(
            method.parse().unwrap(),
            format!("{}{path}", self.server.url()),
        );
        if let Some(t) = token {
            b = b.bearer_auth(t);
        }
        if let Some(body) = body {
            let ct = if method == "PATCH" {
                "application/merge-patch+json"
            } else {
                "application/json"
            };
            b = b.header("content-type", ct).body(body.to_string());
        }
        let r = b.send().await.expect("request sent");
        let code = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            code,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn admin(&self, method: &str, path: &str, body: Value) {
        let (code, v) = self.call(Some(ADMIN), method, path, Some(body)).await;
        assert!(code == 200 || code == 201, "{method} {path}: {code} {v}");
    }
}

/// The operator's own RBAC from charts-free-kustomize/operator, built with the project's
/// kustomize, installed as admin, then exercised with the operator's ServiceAccount token.
#[tokio::test]
async fn operator_cluster_role_from_kustomize() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../charts-free-kustomize/operator");
    let loader = nuvolaris_kustomize::FsLoader::new(&root);
    let objs = nuvolaris_kustomize::build(&loader, &root).expect("kustomize build");
    let role = objs
        .iter()
        .find(|o| o["kind"] == "ClusterRole" && o["metadata"]["name"] == "nuvolaris-operator")
        .expect("ClusterRole nuvolaris-operator");
    let rules = role["rules"].as_array().expect("rules");
    assert!(!rules.is_empty());
    for r in rules {
        assert!(!r["verbs"].as_array().expect("verbs").is_empty(), "{r}");
        assert!(
            r["apiGroups"].is_array() && r["resources"].is_array(),
            "{r}"
        );
    }
    let s = start(true).await;
    let url = |o: &Value| -> Option<String> {
        let ns = o["metadata"]["namespace"].as_str().unwrap_or_default();
        Some(match o["kind"].as_str()? {
            "Namespace" => "/api/v1/namespaces".to_string(),
            "ServiceAccount" => format!("/api/v1/namespaces/{ns}/serviceaccounts"),
            "CustomResourceDefinition" => {
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions".to_string()
            }
            "ClusterRole" => "/apis/rbac.authorization.k8s.io/v1/clusterroles".to_string(),
            "ClusterRoleBinding" => {
                "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings".to_string()
            }
            _ => return None,
        })
    };
    let mut installed = 0;
    for kind in [
        "Namespace",
        "CustomResourceDefinition",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
    ] {
        for o in objs.iter().filter(|o| o["kind"] == kind) {
            if let Some(u) = url(o) {
                s.admin("POST", &u, o.clone()).await;
                installed += 1;
            }
        }
    }
    assert!(
        installed >= 6,
        "namespace, 2 CRDs, SA, ClusterRole, binding: {installed}"
    );
    let binding = objs
        .iter()
        .find(|o| o["kind"] == "ClusterRoleBinding")
        .unwrap();
    let subject = &binding["subjects"][0];
    let (ns, sa) = (
        subject["namespace"].as_str().unwrap(),
        subject["name"].as_str().unwrap(),
    );
    assert_eq!((ns, sa), (OP_NS, OP_SA));
    // wait for the Sample CRD to be served
    let mut served = false;
    for _ in 0..50 {
        if s.call(Some(ADMIN), "GET", "/apis/nuvolaris.org/v1", None)
            .await
            .0
            == 200
        {
            served = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(served);
    let t = s.server.service_account_token(ns, sa);
    // what the operator does
    for (method, path) in [
        ("GET", "/apis/nuvolaris.org/v1/samples"),
        (
            "GET",
            "/apis/nuvolaris.org/v1/samples?watch=true&timeoutSeconds=1",
        ),
        ("GET", "/apis/apps/v1/deployments"),
        ("GET", "/apis/apps/v1/statefulsets"),
        ("GET", "/apis/batch/v1/jobs"),
        ("GET", "/api/v1/secrets"),
        ("GET", "/api/v1/services"),
        ("GET", "/apis/networking.k8s.io/v1/ingresses"),
        ("GET", "/api/v1/nodes"),
    ] {
        let (code, v) = s.call(Some(&t), method, path, None).await;
        assert_eq!(code, 200, "{method} {path}: {v}");
    }
    s.admin("POST", "/apis/nuvolaris.org/v1/namespaces/default/samples",
        json!({"apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": "s"}, "spec": {"count": 1}})).await;
    let (code, v) = s
        .call(
            Some(&t),
            "PATCH",
            "/apis/nuvolaris.org/v1/namespaces/default/samples/s/status",
            Some(json!({"status": {}})),
        )
        .await;
    assert_eq!(code, 200, "samples/status patch: {v}");
    let (code, v) = s
        .call(
            Some(&t),
            "PATCH",
            "/apis/nuvolaris.org/v1/namespaces/default/samples/s",
            Some(json!({"metadata": {"finalizers": ["nuvolaris.org/x"]}})),
        )
        .await;
    assert_eq!(code, 200, "samples patch: {v}");
    assert_eq!(
        s.server.forbidden_count(),
        0,
        "{:?}",
        s.server.forbidden_requests()
    );
    // and what it may not do
    assert_eq!(
        s.call(Some(&t), "GET", "/api/v1/namespaces", None).await.0,
        403
    );
    assert_eq!(
        s.call(
            Some(&t),
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(cm("c"))
        )
        .await
        .0,
        403
    );
    assert_eq!(
        s.call(
            Some(&t),
            "DELETE",
            "/apis/nuvolaris.org/v1/namespaces/default/samples/s",
            None
        )
        .await
        .0,
        403
    );
    assert_eq!(s.server.forbidden_count(), 3);
}
