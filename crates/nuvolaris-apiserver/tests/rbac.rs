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

//! RBAC authorization (`ServerConfig::rbac`): tokens, ClusterRoles/Roles and their bindings,
//! verbs, subresources, resourceNames, wildcards, non-resource URLs, and the real 401/403
//! Status bodies.

mod common;

use nuvolaris_apiserver::{ApiServer, ServerConfig};
use serde_json::{json, Value};

struct Srv {
    server: ApiServer,
    http: reqwest::Client,
}

async fn start(rbac: bool) -> Srv {
    let server = common::embedded(ServerConfig {
        rbac,
        ..Default::default()
    })
    .await;
    Srv {
        server,
        http: reqwest::Client::new(),
    }
}

const ADMIN: &str = "embedded-token";
const OP_NS: &str = "nuvolaris";
const OP_SA: &str = "nuvolaris-operator";
const OP_USER: &str = "system:serviceaccount:nuvolaris:nuvolaris-operator";

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

    async fn namespace(&self, name: &str) {
        self.admin(
            "POST",
            "/api/v1/namespaces",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}),
        )
        .await;
    }

    async fn cluster_role(&self, name: &str, rules: Value) {
        self.admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name}, "rules": rules}))
            .await;
    }

    async fn cluster_binding(&self, name: &str, role: &str, subjects: Value) {
        self.admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}, "subjects": subjects}))
            .await;
    }

    async fn role(&self, ns: &str, name: &str, rules: Value) {
        self.admin("POST", &format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles"),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": name}, "rules": rules}))
            .await;
    }

    async fn role_binding(&self, ns: &str, name: &str, kind: &str, role: &str, subjects: Value) {
        self.admin("POST", &format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings"),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": name},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role}, "subjects": subjects}))
            .await;
    }

    fn op_token(&self) -> String {
        self.server.service_account_token(OP_NS, OP_SA)
    }
}

fn sa_subject(ns: &str, name: &str) -> Value {
    json!([{"kind": "ServiceAccount", "name": name, "namespace": ns}])
}

fn forbidden(message: &str, details: Value) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": "Forbidden", "details": details, "code": 403})
}

fn cm(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1"}})
}

fn deployment(name: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
}

#[tokio::test]
async fn off_by_default_every_token_is_admin() {
    let s = start(false).await;
    assert!(!s.server.rbac_enabled());
    let (code, _) = s
        .call(Some("whatever"), "GET", "/api/v1/namespaces", None)
        .await;
    assert_eq!(code, 200);
    let (code, _) = s
        .call(
            Some(&s.op_token()),
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(cm("c")),
        )
        .await;
    assert_eq!(code, 201);
    assert_eq!(s.server.forbidden_count(), 0);
}

#[tokio::test]
async fn unknown_token_is_401_missing_token_is_the_insecure_port_admin() {
    let s = start(true).await;
    let want = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "Unauthorized", "reason": "Unauthorized", "code": 401});
    assert_eq!(
        s.call(Some("forged"), "GET", "/api/v1/namespaces", None)
            .await,
        (401, want.clone())
    );
    assert_eq!(
        s.call(Some("forged"), "GET", "/healthz", None).await,
        (401, want)
    );
    assert_eq!(s.server.unauthorized_count(), 2);
    // no credentials (kubectl over http://): allowed everything, counted as system:unsecured
    assert_eq!(s.call(None, "GET", "/api/v1/namespaces", None).await.0, 200);
    assert_eq!(
        s.call(
            None,
            "POST",
            "/api/v1/namespaces/default/configmaps",
            Some(cm("c"))
        )
        .await
        .0,
        201
    );
    assert_eq!(
        s.server.allowed_requests().get("system:unsecured"),
        Some(&2)
    );
    assert_eq!(s.server.forbidden_count(), 0);
}

#[tokio::test]
async fn admin_token_is_allowed_everything() {
    let s = start(true).await;
    assert!(s.server.rbac_enabled());
    s.namespace("a").await;
    s.admin("POST", "/api/v1/namespaces/a/configmaps", cm("c"))
        .await;
    s.admin(
        "PATCH",
        "/api/v1/namespaces/a/configmaps/c",
        json!({"data": {"b": "2"}}),
    )
    .await;
    let (code, _) = s
        .call(
            Some(ADMIN),
            "DELETE",
            "/api/v1/namespaces/a/configmaps/c",
            None,
        )
        .await;
    assert_eq!(code, 200);
    let (code, v) = s
        .call(
            Some(ADMIN),
            "GET",
            "/apis/rbac.authorization.k8s.io/v1/clusterroles/cluster-admin",
            None,
        )
        .await;
    assert_eq!(
        code, 200,
        "the default cluster-admin ClusterRole exists: {v}"
    );
    assert_eq!(s.server.forbidden_count(), 0);
}

#[tokio::test]
async fn discovery_is_allowed_for_any_authenticated_user_resources_are_not() {
    let s = start(true).await;
    let t = s.op_token();
    for p in [
        "/api",
        "/api/v1",
        "/apis",
        "/apis/apps/v1",
        "/version",
        "/healthz",
        "/readyz",
        "/openapi/v3",
    ] {
        assert_eq!(s.call(Some(&t), "GET", p, None).await.0, 200, "{p}");
    }
    assert_eq!(s.server.forbidden_count(), 0);
    let got = s
        .call(Some(&t), "GET", "/apis/apps/v1/deployments", None)
        .await;
    assert_eq!(
        got,
        (
            403,
            json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
        "message":"deployments.apps is forbidden: User \"system:serviceaccount:nuvolaris:nuvolaris-operator\" cannot list resource \"deployments\" in API group \"apps\" at the cluster scope",
        "reason":"Forbidden","details":{"group":"apps","kind":"deployments"},"code":403})
        )
    );
    let got = s
        .call(
            Some(&t),
            "GET",
            "/api/v1/namespaces/default/configmaps?watch=true",
            None,
        )
        .await;
    assert_eq!(got, (403, forbidden(
        &format!("configmaps is forbidden: User \"{OP_USER}\" cannot watch resource \"configmaps\" in API group \"\" in the namespace \"default\""),
        json!({"kind": "configmaps"}))));
    // a non-resource URL outside the defaults
    let got = s.call(Some(&t), "GET", "/metrics", None).await;
    assert_eq!(
        got,
        (
            403,
            forbidden(
                &format!("forbidden: User \"{OP_USER}\" cannot get path \"/metrics\""),
                json!({})
            )
        )
    );
    assert_eq!(s.server.forbidden_count(), 3);
    assert_eq!(s.server.forbidden_requests().len(), 3);
}

#[tokio::test]
async fn cluster_role_binding_grants_verbs_everywhere_and_nothing_else() {
    let s = start(true).await;
    s.namespace("x").await;
    s.admin(
        "POST",
        "/apis/apps/v1/namespaces/x/deployments",
        deployment("web"),
    )
    .await;
    s.cluster_role("deploy-reader", json!([{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]}])).await;
    s.cluster_binding("deploy-reader", "deploy-reader", sa_subject(OP_NS, OP_SA))
        .await;
    let t = s.op_token();
    assert_eq!(
        s.call(Some(&t), "GET", "/apis/apps/v1/deployments", None)
            .await
            .0,
        200
    );
    assert_eq!(
        s.call(
            Some(&t),
            "GET",
            "/apis/apps/v1/namespaces/x/deployments",
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        s.call(
            Some(&t),
            "GET",
            "/apis/apps/v1/namespaces/x/deployments/web",
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        s.call(
            Some(&t),
            "GET",
            "/apis/apps/v1/namespaces/x/deployments/missing",
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(s.server.forbidden_count(), 0);
    let got = s
        .call(
            Some(&t),
            "POST",
            "/apis/apps/v1/namespaces/x/deployments",
            Some(deployment("new")),
        )
        .await;
    assert_eq!(got, (403, forbidden(
        &format!("deployments.apps is forbidden: User \"{OP_USER}\" cannot create resource \"deployments\" in API group \"apps\" in the namespace \"x\""),
        json!({"group": "apps", "kind": "deployments"}))));
    let got = s
        .call(
            Some(&t),
            "DELETE",
            "/apis/apps/v1/namespaces/x/deployments/web",
            None,
        )
        .await;
    assert_eq!(got, (403, forbidden(
        &format!("deployments.apps \"web\" is forbidden: User \"{OP_USER}\" cannot delete resource \"deployments\" in API group \"apps\" in the namespace \"x\""),
        json!({"name": "web", "group": "apps", "kind": "deployments"}))));
    let (code, v) = s
        .call(
            Some(&t),
            "PATCH",
            "/apis/apps/v1/namespaces/x/deployments/web",
            Some(json!({"spec": {"replicas": 3}})),
        )
        .await;
    assert_eq!(code, 403, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("cannot patch resource \"deployments\""),
        "{v}"
    );
    let (code, _) = s
        .call(
            Some(&t),
            "PUT",
            "/apis/apps/v1/namespaces/x/deployments/web",
            Some(deployment("web")),
        )
        .await;
    assert_eq!(code, 403);
    let (code, v) = s
        .call(
            Some(&t),
            "DELETE",
            "/apis/apps/v1/namespaces/x/deployments",
            None,
        )
        .await;
    assert_eq!(code, 403);
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("cannot deletecollection resource"),
        "{v}"
    );
    // another ServiceAccount with the same name in another namespace gets nothing
    let other = s.server.service_account_token("elsewhere", OP_SA);
    assert_eq!(
        s.call(Some(&other), "GET", "/apis/apps/v1/deployments", None)
            .await
            .0,
        403
    );
    assert_eq!(s.server.forbidden_count(), 6);
    // nothing was written by the refused requests
    let (_, d) = s
        .call(
            Some(ADMIN),
            "GET",
            "/apis/apps/v1/namespaces/x/deployments/web",
            None,
        )
        .await;
    assert_eq!(d["spec"]["replicas"], 1);
}

#[tokio::test]
async fn role_binding_grants_only_in_its_namespace() {
    let s = start(true).await;
    s.namespace("a").await;
    s.namespace("b").await;
    s.role(
        "a",
        "cm-reader",
        json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]),
    )
    .await;
    s.role_binding(
        "a",
        "cm-reader",
        "Role",
        "cm-reader",
        sa_subject(OP_NS, OP_SA),
    )
    .await;
    s.cluster_role(
        "secret-reader",
        json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}]),
    )
    .await;
    s.role_binding(
        "b",
        "secret-reader",
        "ClusterRole",
        "secret-reader",
        sa_subject(OP_NS, OP_SA),
    )
    .await;
    let t = s.op_token();
    assert_eq!(
        s.call(Some(&t), "GET", "/api/v1/namespaces/a/configmaps", None)
            .await
            .0,
        200
    );
    assert_eq!(
        s.call(Some(&t), "GET", "/api/v1/namespaces/b/secrets", None)
            .await
            .0,
        200
    );
    assert_eq!(s.server.forbidden_count(), 0);
    let got = s
        .call(Some(&t), "GET", "/api/v1/namespaces/b/configmaps", None)
        .await;
    assert_eq!(got, (403, forbidden(
        &format!("configmaps is forbidden: User \"{OP_USER}\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"b\""),
        json!({"kind": "configmaps"}))));
    let got = s.call(Some(&t), "GET", "/api/v1/configmaps", None).await;
    assert_eq!(got, (403, forbidden(
        &format!("configmaps is forbidden: User \"{OP_USER}\" cannot list resource \"configmaps\" in API group \"\" at the cluster scope"),
        json!({"kind": "configmaps"}))));
    assert_eq!(
        s.call(Some(&t), "GET", "/api/v1/namespaces/a/secrets", None)
            .await
            .0,
        403,
        "a ClusterRole bound by a RoleBinding is namespaced"
    );
    // a RoleBinding's ServiceAccount subject without namespace means the binding's namespace
    let local = s.server.service_account_token("a", "local");
    s.role_binding(
        "a",
        "local",
        "Role",
        "cm-reader",
        json!([{"kind": "ServiceAccount", "name": "local"}]),
    )
    .await;
    assert_eq!(
        s.call(Some(&local), "GET", "/api/v1/namespaces/a/configmaps", None)
            .await
            .0,
        200
    );
    assert_eq!(s.server.forbidden_count(), 3);
}

#[tokio::test]
async fn subresources_and_resource_names() {
    let s = start(true).await;
    s.namespace("x").await;
    s.admin(
        "POST",
        "/apis/apps/v1/namespaces/x/deployments",
        deployment("web"),
    )
    .await;
    s.admin("POST", "/api/v1/namespaces/x/configmaps", cm("allowed"))
        .await;
    s.admin("POST", "/api/v1/namespaces/x/configmaps", cm("other"))
        .await;
    s.role("x", "r", json!([
        {"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["get", "patch"]},
        {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["allowed"], "verbs": ["get", "list", "patch"]}
    ])).await;
    s.role_binding("x", "r", "Role", "r", sa_subject(OP_NS, OP_SA))
        .await;
    let t = s.op_token();
    assert_eq!(
        s.call(
            Some(&t),
            "GET",
            "/apis/apps/v1/namespaces/x/deployments/web/scale",
            None
        )
        .await
        .0,
        200
    );
    let (code, v) = s
        .call(
            Some(&t),
            "PATCH",
            "/apis/apps/v1/namespaces/x/deployments/web/scale",
            Some(json!({"spec": {"replicas": 2}})),
        )
        .await;
    assert_eq!(code, 200, "{v}");
    let got = s
        .call(
            Some(&t),
            "GET",
            "/apis/apps/v1/namespaces/x/deployments/web",
            None,
        )
        .await;
    assert_eq!(got, (403, forbidden(
        &format!("deployments.apps \"web\" is forbidden: User \"{OP_USER}\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"x\""),
        json!({"name": "web", "group": "apps", "kind": "deployments"}))));
    let got = s
        .call(
            Some(&t),
            "PATCH",
            "/apis/apps/v1/namespaces/x/deployments/web/status",
            Some(json!({"status": {}})),
        )
        .await;
    assert_eq!(got, (403, forbidden(
        &format!("deployments.apps \"web\" is forbidden: User \"{OP_USER}\" cannot patch resource \"deployments/status\" in API group \"apps\" in the namespace \"x\""),
        json!({"name": "web", "group": "apps", "kind": "deployments"}))));
    assert_eq!(
        s.call(
            Some(&t),
            "GET",
            "/api/v1/namespaces/x/configmaps/allowed",
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        s.call(
            Some(&t),
            "GET",
            "/api/v1/namespaces/x/configmaps?fieldSelector=metadata.name%3Dallowed",
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        s.call(
            Some(&t),
            "GET",
            "/api/v1/namespaces/x/configmaps/other",
            None
        )
        .await
        .0,
        403
    );
    assert_eq!(
        s.call(Some(&t), "GET", "/api/v1/namespaces/x/configmaps", None)
            .await
            .0,
        403,
        "a list is not one of the resourceNames"
    );
    assert_eq!(
        s.call(
            Some(&t),
            "POST",
            "/api/v1/namespaces/x/configmaps",
            Some(cm("allowed2"))
        )
        .await
        .0,
        403
    );
    assert_eq!(s.server.forbidden_count(), 5);
}

#[tokio::test]
async fn wildcards_groups_and_users() {
    let s = start(true).await;
    s.namespace("x").await;
    s.admin("POST", "/api/v1/namespaces/x/configmaps", cm("c"))
        .await;
    s.cluster_role(
        "get-all",
        json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get"]}]),
    )
    .await;
    s.cluster_role(
        "status-writer",
        json!([{"apiGroups": ["apps"], "resources": ["*/status"], "verbs": ["*"]}]),
    )
    .await;
    s.cluster_binding("get-all", "get-all", json!([{"kind": "Group", "name": "system:serviceaccounts:nuvolaris", "apiGroup": "rbac.authorization.k8s.io"}])).await;
    s.cluster_binding(
        "status-writer",
        "status-writer",
        json!([{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}]),
    )
    .await;
    let t = s.op_token();
    assert_eq!(
        s.call(Some(&t), "GET", "/api/v1/namespaces/x/configmaps/c", None)
            .await
            .0,
        200
    );
    assert_eq!(
        s.call(Some(&t), "GET", "/api/v1/namespaces/x", None)
            .await
            .0,
        200
    );
    assert_eq!(
        s.call(Some(&t), "GET", "/api/v1/namespaces/x/configmaps", None)
            .await
            .0,
        403
    );
    let alice = s.server.user_token("alice", &["devs"]);
    assert_eq!(
        s.call(
            Some(&alice),
            "GET",
            "/apis/apps/v1/namespaces/x/deployments/d/status",
            None
        )
        .await
        .0,
        404,
        "authorized, then not found"
    );
    assert_eq!(
        s.call(
            Some(&alice),
            "GET",
            "/apis/apps/v1/namespaces/x/deployments/d",
            None
        )
        .await
        .0,
        403
    );
    let bob = s.server.user_token("bob", &["devs"]);
    let (code, v) = s
        .call(
            Some(&bob),
            "GET",
            "/apis/apps/v1/namespaces/x/deployments/d/status",
            None,
        )
        .await;
    assert_eq!(code, 403);
    assert!(v["message"].as_str().unwrap().starts_with("deployments.apps \"d\" is forbidden: User \"bob\" cannot get resource \"deployments/status\""), "{v}");
    // system:authenticated covers every token
    s.cluster_role(
        "ns-lister",
        json!([{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["list"]}]),
    )
    .await;
    s.cluster_binding(
        "ns-lister",
        "ns-lister",
        json!([{"kind": "Group", "name": "system:authenticated"}]),
    )
    .await;
    assert_eq!(
        s.call(Some(&bob), "GET", "/api/v1/namespaces", None)
            .await
            .0,
        200
    );
    assert_eq!(s.server.forbidden_count(), 3);
}

#[tokio::test]
async fn non_resource_urls_and_missing_roles() {
    let s = start(true).await;
    let t = s.op_token();
    assert_eq!(s.call(Some(&t), "GET", "/metrics", None).await.0, 403);
    s.cluster_role(
        "metrics",
        json!([{"nonResourceURLs": ["/metrics", "/debug/*"], "verbs": ["get"]}]),
    )
    .await;
    s.cluster_binding("metrics", "metrics", sa_subject(OP_NS, OP_SA))
        .await;
    assert_eq!(
        s.call(Some(&t), "GET", "/metrics", None).await.0,
        404,
        "authorized, not served"
    );
    assert_eq!(s.call(Some(&t), "GET", "/debug/pprof", None).await.0, 404);
    let (code, v) = s.call(Some(&t), "POST", "/metrics", Some(json!({}))).await;
    assert_eq!(
        (code, v["message"].clone()),
        (
            403,
            json!(format!(
                "forbidden: User \"{OP_USER}\" cannot post path \"/metrics\""
            ))
        )
    );
    // a binding whose role is missing: the reason is appended, as the RBAC authorizer does
    s.cluster_binding("dangling", "nope", sa_subject(OP_NS, OP_SA))
        .await;
    let got = s.call(Some(&t), "GET", "/api/v1/secrets", None).await;
    assert_eq!(got, (403, forbidden(
        &format!("secrets is forbidden: User \"{OP_USER}\" cannot list resource \"secrets\" in API group \"\" at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io \"nope\" not found"),
        json!({"kind": "secrets"}))));
    assert_eq!(s.server.forbidden_count(), 3);
}

#[tokio::test]
async fn kube_client_with_a_service_account_kubeconfig() {
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::{Api, ListParams};
    let s = start(true).await;
    s.namespace(OP_NS).await;
    s.role(
        OP_NS,
        "cm",
        json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"]}]),
    )
    .await;
    s.role_binding(OP_NS, "cm", "Role", "cm", sa_subject(OP_NS, OP_SA))
        .await;
    let kc = kube::config::Kubeconfig::from_yaml(
        &s.server.kubeconfig_yaml_for_service_account(OP_NS, OP_SA),
    )
    .unwrap();
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    assert_eq!(cfg.default_namespace, OP_NS);
    let client = kube::Client::try_from(cfg).unwrap();
    let api: Api<ConfigMap> = Api::default_namespaced(client.clone());
    api.list(&ListParams::default()).await.expect("allowed");
    let err = Api::<ConfigMap>::all(client)
        .list(&ListParams::default())
        .await
        .expect_err("denied");
    match err {
        kube::Error::Api(s) => {
            assert_eq!(s.code, 403);
            assert_eq!(s.reason, "Forbidden");
        }
        other => panic!("{other}"),
    }
    assert_eq!(s.server.forbidden_count(), 1);
}

/// `create_token_request` (POST serviceaccounts/{name}/token), as envtest/kind e2e backends
/// get a ServiceAccount token, works on the embedded server too.
#[tokio::test]
async fn token_request_gives_a_service_account_token() {
    use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
    use k8s_openapi::api::core::v1::ServiceAccount;
    use kube::api::{Api, PostParams};
    let s = start(true).await;
    s.namespace(OP_NS).await;
    s.admin(
        "POST",
        &format!("/api/v1/namespaces/{OP_NS}/serviceaccounts"),
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": OP_SA}}),
    )
    .await;
    let kc = kube::config::Kubeconfig::from_yaml(&s.server.kubeconfig_yaml("default")).unwrap();
    let admin = kube::Client::try_from(
        kube::Config::from_custom_kubeconfig(kc, &Default::default())
            .await
            .unwrap(),
    )
    .unwrap();
    let sas: Api<ServiceAccount> = Api::namespaced(admin, OP_NS);
    let tr = TokenRequest {
        spec: TokenRequestSpec {
            audiences: vec![],
            expiration_seconds: Some(600),
            ..Default::default()
        },
        ..Default::default()
    };
    let got = sas
        .create_token_request(OP_SA, &PostParams::default(), &tr)
        .await
        .expect("token request");
    let st = got.status.expect("status");
    assert_eq!(st.token, s.op_token(), "the ServiceAccount's token");
    assert_eq!(got.spec.expiration_seconds, Some(600));
    let err = sas
        .create_token_request("missing", &PostParams::default(), &tr)
        .await
        .expect_err("404");
    assert!(
        matches!(err, kube::Error::Api(ref e) if e.code == 404),
        "{err}"
    );
    // the token is the ServiceAccount for RBAC
    assert_eq!(
        s.call(
            Some(&st.token),
            "GET",
            "/api/v1/namespaces/nuvolaris/configmaps",
            None
        )
        .await
        .0,
        403
    );
    s.role(
        OP_NS,
        "cm",
        json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"]}]),
    )
    .await;
    s.role_binding(OP_NS, "cm", "Role", "cm", sa_subject(OP_NS, OP_SA))
        .await;
    assert_eq!(
        s.call(
            Some(&st.token),
            "GET",
            "/api/v1/namespaces/nuvolaris/configmaps",
            None
        )
        .await
        .0,
        200
    );
    // only the admin may mint tokens
    let (code, v) = s
        .call(
            Some(&st.token),
            "POST",
            &format!("/api/v1/namespaces/{OP_NS}/serviceaccounts/{OP_SA}/token"),
            Some(json!({})),
        )
        .await;
    assert_eq!(code, 403, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("cannot create resource \"serviceaccounts/token\""),
        "{v}"
    );
    assert_eq!(s.server.forbidden_count(), 2);
}
