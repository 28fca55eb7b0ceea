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

//! Opt-in authentication (bearer tokens) and RBAC authorization, like the real server's
//! `--authorization-mode=RBAC`: every request is checked against the ClusterRoles,
//! ClusterRoleBindings, Roles and RoleBindings in the store, and a denied request gets the
//! real 403 Status body.

use crate::store::State;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
const CLUSTER_ROLES: &str = "rbac.authorization.k8s.io/clusterroles";
const CLUSTER_ROLE_BINDINGS: &str = "rbac.authorization.k8s.io/clusterrolebindings";
const ROLES: &str = "rbac.authorization.k8s.io/roles";
const ROLE_BINDINGS: &str = "rbac.authorization.k8s.io/rolebindings";

/// Paths every authenticated user may GET (the default `system:discovery`,
/// `system:basic-user` and `system:public-info-viewer` ClusterRoles).
pub const DISCOVERY_URLS: &[&str] = &[
    "/api",
    "/api/*",
    "/apis",
    "/apis/*",
    "/healthz",
    "/livez",
    "/readyz",
    "/version",
    "/version/",
    "/openapi",
    "/openapi/*",
];

/// The user name counted for requests with the admin token.
pub const ADMIN_USER: &str = "system:admin";

/// The user name counted for requests without credentials: like the old kube-apiserver
/// insecure (plain HTTP) port, they are not authenticated nor authorized. kubectl never sends
/// a kubeconfig's token to an `http://` server, so this is how kubectl reaches the server.
pub const UNSECURED_USER: &str = "system:unsecured";

/// An authenticated user: name and groups, as the authenticator reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// User name (`system:serviceaccount:<ns>:<name>` for service accounts).
    pub name: String,
    /// Groups (always including `system:authenticated`).
    pub groups: Vec<String>,
}

impl User {
    /// The user of a ServiceAccount token.
    pub fn service_account(namespace: &str, name: &str) -> User {
        User {
            name: format!("system:serviceaccount:{namespace}:{name}"),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
                "system:authenticated".into(),
            ],
        }
    }

    /// A plain user in the given groups (plus `system:authenticated`).
    pub fn named(name: &str, groups: &[&str]) -> User {
        let mut g: Vec<String> = groups.iter().map(|s| s.to_string()).collect();
        if !g.iter().any(|x| x == "system:authenticated") {
            g.push("system:authenticated".into());
        }
        User {
            name: name.to_string(),
            groups: g,
        }
    }
}

/// What a request asks for, as the real server's RequestInfo + authorizer attributes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attributes {
    /// get, list, watch, create, update, patch, delete, deletecollection (resource
    /// requests) or the lower-case HTTP method (non-resource requests).
    pub verb: String,
    /// Whether the path names a resource (`/api/v1/...`, `/apis/g/v/...`).
    pub resource_request: bool,
    /// API group ("" for core).
    pub group: String,
    /// Resource plural.
    pub resource: String,
    /// Subresource ("status", "scale", ...) or "".
    pub subresource: String,
    /// Namespace ("" at the cluster scope).
    pub namespace: String,
    /// Object name ("" for collections).
    pub name: String,
    /// The request path (non-resource requests).
    pub path: String,
}

impl Attributes {
    /// The attributes of a request: method, path (no query), `watch` query flag and the
    /// `metadata.name=` of a field selector (lists and watches of one object carry its name).
    pub fn of_request(method: &str, path: &str, watch: bool, field_name: Option<&str>) -> Self {
        let path = if path.is_empty() { "/" } else { path };
        let trimmed = path.trim_end_matches('/');
        let segs: Vec<&str> = trimmed.split('/').skip(1).collect();
        let rp = match segs.as_slice() {
            ["api", "v1", rest @ ..] if !rest.is_empty() => {
                crate::request::parse_rest("", "v1", rest)
            }
            ["apis", g, v, rest @ ..] if !rest.is_empty() => crate::request::parse_rest(g, v, rest),
            _ => None,
        };
        let Some(rp) = rp else {
            return Attributes {
                verb: method.to_ascii_lowercase(),
                path: path.to_string(),
                ..Default::default()
            };
        };
        let named = rp.name.is_some();
        let verb = match (method, named) {
            ("GET" | "HEAD", false) if watch => "watch",
            ("GET" | "HEAD", false) => "list",
            ("GET" | "HEAD", true) => "get",
            ("POST", _) => "create",
            ("PUT", _) => "update",
            ("PATCH", _) => "patch",
            ("DELETE", false) => "deletecollection",
            ("DELETE", true) => "delete",
            (other, _) => {
                return Attributes {
                    verb: other.to_ascii_lowercase(),
                    resource_request: true,
                    group: rp.group,
                    resource: rp.plural,
                    namespace: rp.ns,
                    name: rp.name.unwrap_or_default(),
                    subresource: rp.sub.unwrap_or_default(),
                    path: path.to_string(),
                }
            }
        };
        let mut name = rp.name.unwrap_or_default();
        if !named && matches!(verb, "list" | "watch") {
            if let Some(n) = field_name {
                name = n.to_string();
            }
        }
        let mut namespace = rp.ns;
        if rp.group.is_empty() && rp.plural == "namespaces" && named {
            // the real RequestInfo puts a namespace's own name in the namespace attribute
            namespace = name.clone();
        }
        Attributes {
            verb: verb.to_string(),
            resource_request: true,
            group: rp.group,
            resource: rp.plural,
            subresource: rp.sub.unwrap_or_default(),
            namespace,
            name,
            path: path.to_string(),
        }
    }
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn has_or_star(list: &[&str], want: &str) -> bool {
    list.iter().any(|x| *x == "*" || *x == want)
}

/// Whether one PolicyRule allows the request (rbac/v1 `RuleAllows`).
pub fn rule_allows(rule: &Value, a: &Attributes) -> bool {
    if !has_or_star(&strs(&rule["verbs"]), &a.verb) {
        return false;
    }
    if !a.resource_request {
        return strs(&rule["nonResourceURLs"])
            .iter()
            .any(|u| url_matches(u, &a.path));
    }
    if !has_or_star(&strs(&rule["apiGroups"]), &a.group) {
        return false;
    }
    let combined = if a.subresource.is_empty() {
        a.resource.clone()
    } else {
        format!("{}/{}", a.resource, a.subresource)
    };
    let resource_ok = strs(&rule["resources"]).iter().any(|r| {
        *r == "*"
            || *r == combined
            || (!a.subresource.is_empty()
                && r.len() == a.subresource.len() + 2
                && r.starts_with("*/")
                && r.ends_with(a.subresource.as_str()))
    });
    if !resource_ok {
        return false;
    }
    let names = strs(&rule["resourceNames"]);
    names.is_empty() || names.contains(&a.name.as_str())
}

/// `nonResourceURLs` matching: exact, `*`, or a `prefix*`.
pub fn url_matches(rule_url: &str, path: &str) -> bool {
    if rule_url == "*" || rule_url == path {
        return true;
    }
    rule_url
        .strip_suffix('*')
        .is_some_and(|prefix| path.starts_with(prefix))
}

/// Whether a binding subject is the user (`namespace`: the RoleBinding's namespace, "" for
/// ClusterRoleBindings).
pub fn subject_applies(subject: &Value, user: &User, namespace: &str) -> bool {
    let name = subject["name"].as_str().unwrap_or_default();
    match subject["kind"].as_str().unwrap_or_default() {
        "User" => user.name == name,
        "Group" => user.groups.iter().any(|g| g == name),
        "ServiceAccount" => {
            let ns = subject["namespace"]
                .as_str()
                .filter(|n| !n.is_empty())
                .unwrap_or(namespace);
            !ns.is_empty() && user.name == format!("system:serviceaccount:{ns}:{name}")
        }
        _ => false,
    }
}

fn rules_allow(role: &Value, a: &Attributes) -> bool {
    role["rules"]
        .as_array()
        .is_some_and(|rules| rules.iter().any(|r| rule_allows(r, a)))
}

/// Authorizes a request against the RBAC objects in the store. `Err` carries the
/// authorizer's reason ("" or `RBAC: ...` when a matching binding names a missing role).
pub fn authorize(st: &State, user: &User, a: &Attributes) -> Result<(), String> {
    if !a.resource_request
        && a.verb == "get"
        && DISCOVERY_URLS.iter().any(|u| url_matches(u, &a.path))
    {
        return Ok(());
    }
    let mut errors: Vec<String> = Vec::new();
    let binding_allows = |binding: &Value, binding_ns: &str, errors: &mut Vec<String>| -> bool {
        let applies = binding["subjects"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| subject_applies(s, user, binding_ns)));
        if !applies {
            return false;
        }
        let role_ref = &binding["roleRef"];
        let role_name = role_ref["name"].as_str().unwrap_or_default();
        let role = match role_ref["kind"].as_str() {
            Some("ClusterRole") => st
                .get(CLUSTER_ROLES, "", role_name)
                .ok_or_else(|| format!("clusterrole.{RBAC_GROUP} {role_name:?} not found")),
            Some("Role") if !binding_ns.is_empty() => st
                .get(ROLES, binding_ns, role_name)
                .ok_or_else(|| format!("role.{RBAC_GROUP} {role_name:?} not found")),
            _ => return false,
        };
        match role {
            Ok(r) => rules_allow(&r, a),
            Err(e) => {
                errors.push(e);
                false
            }
        }
    };
    if let Some(t) = st.tables.get(CLUSTER_ROLE_BINDINGS) {
        for b in t.objects.values() {
            if binding_allows(b, "", &mut errors) {
                return Ok(());
            }
        }
    }
    if a.resource_request && !a.namespace.is_empty() {
        if let Some(t) = st.tables.get(ROLE_BINDINGS) {
            let from = (a.namespace.clone(), String::new());
            for ((ns, _), b) in t.objects.range(from..) {
                if *ns != a.namespace {
                    break;
                }
                if binding_allows(b, ns, &mut errors) {
                    return Ok(());
                }
            }
        }
    }
    Err(match errors.len() {
        0 => String::new(),
        1 => format!("RBAC: {}", errors[0]),
        _ => format!("RBAC: [{}]", errors.join(", ")),
    })
}

/// The real server's 403 Status body for a denied request.
pub fn forbidden_status(user: &User, a: &Attributes, reason: &str) -> Value {
    let mut msg = if !a.resource_request {
        format!("User {:?} cannot {} path {:?}", user.name, a.verb, a.path)
    } else {
        let resource = if a.subresource.is_empty() {
            a.resource.clone()
        } else {
            format!("{}/{}", a.resource, a.subresource)
        };
        let scope = if a.namespace.is_empty() {
            "at the cluster scope".to_string()
        } else {
            format!("in the namespace {:?}", a.namespace)
        };
        format!(
            "User {:?} cannot {} resource {:?} in API group {:?} {scope}",
            user.name, a.verb, resource, a.group
        )
    };
    if !reason.is_empty() {
        msg = format!("{msg}: {reason}");
    }
    let mut details = serde_json::Map::new();
    let message = if !a.resource_request {
        format!("forbidden: {msg}")
    } else {
        let qualified = if a.group.is_empty() {
            a.resource.clone()
        } else {
            format!("{}.{}", a.resource, a.group)
        };
        if !a.name.is_empty() {
            details.insert("name".into(), json!(a.name));
        }
        if !a.group.is_empty() {
            details.insert("group".into(), json!(a.group));
        }
        details.insert("kind".into(), json!(a.resource));
        if a.name.is_empty() {
            format!("{qualified} is forbidden: {msg}")
        } else {
            format!("{qualified} {:?} is forbidden: {msg}", a.name)
        }
    };
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": "Forbidden", "details": details, "code": 403})
}

/// The real server's 401 Status body.
pub fn unauthorized_status() -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "Unauthorized", "reason": "Unauthorized", "code": 401})
}

/// Who a request is, after authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The configured admin token (allowed everything).
    Admin,
    /// A known token.
    User(User),
    /// No `Authorization` header (the insecure-port admin, see [`UNSECURED_USER`]).
    Anonymous,
    /// A token nobody issued.
    Invalid,
}

/// Tokens, the on/off switch and the record of denied requests, shared by the server's
/// handlers and [`crate::ApiServer`].
#[derive(Debug)]
pub struct Authz {
    /// Whether authorization is enforced.
    pub enabled: bool,
    admin_token: String,
    tokens: RwLock<HashMap<String, User>>,
    denied: Mutex<Vec<String>>,
    unauthorized: AtomicUsize,
    allowed: Mutex<HashMap<String, usize>>,
}

impl Authz {
    /// A switchboard with the admin token.
    pub fn new(enabled: bool, admin_token: &str) -> Authz {
        Authz {
            enabled,
            admin_token: admin_token.to_string(),
            tokens: RwLock::new(HashMap::new()),
            denied: Mutex::new(Vec::new()),
            unauthorized: AtomicUsize::new(0),
            allowed: Mutex::new(HashMap::new()),
        }
    }

    /// A bearer token for `user` (the same token each time for the same user).
    pub fn token_for(&self, user: User) -> String {
        let mut tokens = self.tokens.write().unwrap_or_else(|e| e.into_inner());
        if let Some((t, _)) = tokens.iter().find(|(_, u)| **u == user) {
            return t.clone();
        }
        let r: [u8; 12] = rand::random();
        let t = format!(
            "nuvolaris-{}",
            r.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        tokens.insert(t.clone(), user);
        t
    }

    /// Who sent a request with this `Authorization` header value.
    pub fn identify(&self, authorization: Option<&str>) -> Identity {
        let Some(h) = authorization else {
            return Identity::Anonymous;
        };
        let token = h.strip_prefix("Bearer ").unwrap_or_default().trim();
        if token.is_empty() {
            return Identity::Invalid;
        }
        if token == self.admin_token {
            return Identity::Admin;
        }
        match self
            .tokens
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
        {
            Some(u) => Identity::User(u.clone()),
            None => Identity::Invalid,
        }
    }

    /// Records a 403 (its message).
    pub fn record_denied(&self, message: String) {
        self.denied
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message);
    }

    /// Records a 401.
    pub fn record_unauthorized(&self) {
        self.unauthorized.fetch_add(1, Ordering::Relaxed);
    }

    /// Messages of the 403s served so far.
    pub fn denied(&self) -> Vec<String> {
        self.denied
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Counts an allowed request of `user`.
    pub fn record_allowed(&self, user: &str) {
        *self
            .allowed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(user.to_string())
            .or_default() += 1;
    }

    /// Allowed requests so far, by user name ([`ADMIN_USER`], [`UNSECURED_USER`],
    /// `system:serviceaccount:<ns>:<name>`, ...).
    pub fn allowed(&self) -> std::collections::BTreeMap<String, usize> {
        self.allowed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    /// Number of 401s served so far.
    pub fn unauthorized(&self) -> usize {
        self.unauthorized.load(Ordering::Relaxed)
    }
}

/// The outcome of checking one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Go on.
    Allow,
    /// Answer with this status code and body.
    Deny(u16, Value),
}

/// Authenticates and authorizes one request (a no-op when RBAC is off).
pub fn check(authz: &Authz, st: &State, authorization: Option<&str>, a: &Attributes) -> Decision {
    if !authz.enabled {
        return Decision::Allow;
    }
    let user = match authz.identify(authorization) {
        Identity::Admin => {
            authz.record_allowed(ADMIN_USER);
            return Decision::Allow;
        }
        Identity::Anonymous => {
            authz.record_allowed(UNSECURED_USER);
            return Decision::Allow;
        }
        Identity::User(u) => u,
        Identity::Invalid => {
            authz.record_unauthorized();
            return Decision::Deny(401, unauthorized_status());
        }
    };
    match authorize(st, &user, a) {
        Ok(()) => {
            authz.record_allowed(&user.name);
            Decision::Allow
        }
        Err(reason) => {
            let body = forbidden_status(&user, a, &reason);
            let msg = body["message"].as_str().unwrap_or_default().to_string();
            tracing::warn!(user = %user.name, verb = %a.verb, path = %a.path, "forbidden: {msg}");
            authz.record_denied(msg);
            Decision::Deny(403, body)
        }
    }
}

#[cfg(test)]
#[allow(clippy::too_many_arguments)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(
        "GET",
        "/api/v1/namespaces/a/configmaps",
        false,
        None,
        "list",
        "",
        "configmaps",
        "",
        "a",
        ""
    )]
    #[case(
        "GET",
        "/api/v1/namespaces/a/configmaps",
        true,
        None,
        "watch",
        "",
        "configmaps",
        "",
        "a",
        ""
    )]
    #[case(
        "GET",
        "/api/v1/namespaces/a/configmaps",
        false,
        Some("c"),
        "list",
        "",
        "configmaps",
        "",
        "a",
        "c"
    )]
    #[case(
        "GET",
        "/api/v1/namespaces/a/configmaps/c",
        false,
        None,
        "get",
        "",
        "configmaps",
        "",
        "a",
        "c"
    )]
    #[case(
        "POST",
        "/apis/apps/v1/namespaces/a/deployments",
        false,
        None,
        "create",
        "apps",
        "deployments",
        "",
        "a",
        ""
    )]
    #[case(
        "PUT",
        "/apis/apps/v1/namespaces/a/deployments/d",
        false,
        None,
        "update",
        "apps",
        "deployments",
        "",
        "a",
        "d"
    )]
    #[case(
        "PATCH",
        "/apis/apps/v1/namespaces/a/deployments/d/scale",
        false,
        None,
        "patch",
        "apps",
        "deployments",
        "scale",
        "a",
        "d"
    )]
    #[case(
        "DELETE",
        "/apis/apps/v1/namespaces/a/deployments/d",
        false,
        None,
        "delete",
        "apps",
        "deployments",
        "",
        "a",
        "d"
    )]
    #[case(
        "DELETE",
        "/apis/apps/v1/namespaces/a/deployments",
        false,
        None,
        "deletecollection",
        "apps",
        "deployments",
        "",
        "a",
        ""
    )]
    #[case(
        "GET",
        "/apis/apps/v1/deployments",
        false,
        None,
        "list",
        "apps",
        "deployments",
        "",
        "",
        ""
    )]
    #[case(
        "GET",
        "/api/v1/namespaces/a",
        false,
        None,
        "get",
        "",
        "namespaces",
        "",
        "a",
        "a"
    )]
    #[case(
        "PUT",
        "/api/v1/namespaces/a/finalize",
        false,
        None,
        "update",
        "",
        "namespaces",
        "finalize",
        "a",
        "a"
    )]
    #[case(
        "PATCH",
        "/apis/nuvolaris.org/v1/namespaces/n/samples/s/status",
        false,
        None,
        "patch",
        "nuvolaris.org",
        "samples",
        "status",
        "n",
        "s"
    )]
    fn resource_attributes(
        #[case] method: &str,
        #[case] path: &str,
        #[case] watch: bool,
        #[case] field_name: Option<&str>,
        #[case] verb: &str,
        #[case] group: &str,
        #[case] resource: &str,
        #[case] sub: &str,
        #[case] ns: &str,
        #[case] name: &str,
    ) {
        let a = Attributes::of_request(method, path, watch, field_name);
        assert!(a.resource_request);
        assert_eq!(
            (
                a.verb.as_str(),
                a.group.as_str(),
                a.resource.as_str(),
                a.subresource.as_str(),
                a.namespace.as_str(),
                a.name.as_str()
            ),
            (verb, group, resource, sub, ns, name)
        );
    }

    #[rstest]
    #[case("GET", "/api", "get")]
    #[case("GET", "/api/v1", "get")]
    #[case("GET", "/apis/apps/v1", "get")]
    #[case("GET", "/healthz", "get")]
    #[case("POST", "/metrics", "post")]
    fn non_resource_attributes(#[case] method: &str, #[case] path: &str, #[case] verb: &str) {
        let a = Attributes::of_request(method, path, false, None);
        assert!(!a.resource_request);
        assert_eq!((a.verb.as_str(), a.path.as_str()), (verb, path));
    }

    fn attrs(verb: &str, group: &str, resource: &str, sub: &str, name: &str) -> Attributes {
        Attributes {
            verb: verb.into(),
            resource_request: true,
            group: group.into(),
            resource: resource.into(),
            subresource: sub.into(),
            namespace: "n".into(),
            name: name.into(),
            path: String::new(),
        }
    }

    #[rstest]
    #[case(json!({"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]}), attrs("get", "apps", "deployments", "", "d"), true)]
    #[case(json!({"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]}), attrs("list", "apps", "deployments", "", ""), false)]
    #[case(json!({"apiGroups": [""], "resources": ["deployments"], "verbs": ["get"]}), attrs("get", "apps", "deployments", "", "d"), false)]
    #[case(json!({"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]}), attrs("get", "apps", "deployments", "status", "d"), false)]
    #[case(json!({"apiGroups": ["apps"], "resources": ["deployments/status"], "verbs": ["get"]}), attrs("get", "apps", "deployments", "status", "d"), true)]
    #[case(json!({"apiGroups": ["apps"], "resources": ["deployments/status"], "verbs": ["get"]}), attrs("get", "apps", "deployments", "", "d"), false)]
    #[case(json!({"apiGroups": ["apps"], "resources": ["*/scale"], "verbs": ["get"]}), attrs("get", "apps", "statefulsets", "scale", "d"), true)]
    #[case(json!({"apiGroups": ["apps"], "resources": ["*/scale"], "verbs": ["get"]}), attrs("get", "apps", "statefulsets", "", "d"), false)]
    #[case(json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}), attrs("deletecollection", "x.io", "things", "", ""), true)]
    #[case(json!({"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a"], "verbs": ["get"]}), attrs("get", "", "configmaps", "", "a"), true)]
    #[case(json!({"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a"], "verbs": ["get"]}), attrs("get", "", "configmaps", "", "b"), false)]
    #[case(json!({"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a"], "verbs": ["list"]}), attrs("list", "", "configmaps", "", ""), false)]
    #[case(json!({"nonResourceURLs": ["*"], "verbs": ["*"]}), attrs("get", "", "configmaps", "", ""), false)]
    fn rules(#[case] rule: Value, #[case] a: Attributes, #[case] allowed: bool) {
        assert_eq!(rule_allows(&rule, &a), allowed);
    }

    #[rstest]
    #[case("/metrics", "/metrics", true)]
    #[case("/metrics", "/metrics/x", false)]
    #[case("/debug/*", "/debug/pprof", true)]
    #[case("*", "/anything", true)]
    #[case("/api/*", "/apis", false)]
    fn urls(#[case] rule: &str, #[case] path: &str, #[case] ok: bool) {
        assert_eq!(url_matches(rule, path), ok);
    }

    #[rstest]
    #[case(json!({"kind": "ServiceAccount", "name": "op", "namespace": "n"}), "", true)]
    #[case(json!({"kind": "ServiceAccount", "name": "op"}), "n", true)]
    #[case(json!({"kind": "ServiceAccount", "name": "op"}), "", false)]
    #[case(json!({"kind": "ServiceAccount", "name": "op", "namespace": "m"}), "n", false)]
    #[case(json!({"kind": "User", "name": "system:serviceaccount:n:op"}), "", true)]
    #[case(json!({"kind": "Group", "name": "system:serviceaccounts"}), "", true)]
    #[case(json!({"kind": "Group", "name": "system:serviceaccounts:n"}), "", true)]
    #[case(json!({"kind": "Group", "name": "system:serviceaccounts:m"}), "", false)]
    #[case(json!({"kind": "Group", "name": "system:authenticated"}), "", true)]
    fn subjects(#[case] subject: Value, #[case] binding_ns: &str, #[case] applies: bool) {
        assert_eq!(
            subject_applies(&subject, &User::service_account("n", "op"), binding_ns),
            applies
        );
    }

    #[test]
    fn tokens_are_stable_per_user_and_identify_them() {
        let a = Authz::new(true, "admin");
        let t1 = a.token_for(User::service_account("n", "op"));
        assert_eq!(t1, a.token_for(User::service_account("n", "op")));
        assert_ne!(t1, a.token_for(User::service_account("n", "other")));
        assert_eq!(
            a.identify(Some(&format!("Bearer {t1}"))),
            Identity::User(User::service_account("n", "op"))
        );
        assert_eq!(a.identify(Some("Bearer admin")), Identity::Admin);
        assert_eq!(a.identify(Some("Bearer nope")), Identity::Invalid);
        assert_eq!(a.identify(Some("Basic eDp5")), Identity::Invalid);
        assert_eq!(a.identify(None), Identity::Anonymous);
    }
}
