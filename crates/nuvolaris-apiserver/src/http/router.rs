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

//! The single entry point: every request comes to [`handle`], which authorizes it, serves
//! discovery and OpenAPI, and dispatches resource requests to the handlers and watches.

use super::handlers::Ctx;
use super::response::{
    add_warnings, bytes_response, error_response, json_response, page_not_found,
};
use super::state::App;
use super::watch::watch;
use crate::discovery;
use crate::request::{parse_rest, query, selected_name, truthy};
use crate::status::ApiError;
use axum::extract::{Request, State};
use axum::response::Response;
use http::{header, Method};
use std::sync::Arc;

/// Authenticates and authorizes a request when RBAC is on; `Some` is the refusal.
fn authorize(app: &App, parts: &http::request::Parts) -> Option<Response> {
    if !app.authz.enabled {
        return None;
    }
    let q = query(&parts.uri);
    let attrs = crate::rbac::Attributes::of_request(
        parts.method.as_str(),
        parts.uri.path(),
        truthy(&q, "watch"),
        selected_name(&q),
    );
    let auth = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let st = app.store.lock();
    match crate::rbac::check(&app.authz, &st, auth, &attrs) {
        crate::rbac::Decision::Allow => None,
        crate::rbac::Decision::Deny(code, body) => Some(json_response(code, &body)),
    }
}

/// The real server's request body limit (3 MiB).
const MAX_BODY: usize = 3 * 1024 * 1024;

/// The single entry point: every request comes here.
pub async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if let Some(refused) = authorize(&app, &parts) {
        return refused;
    }
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return error_response(&ApiError::new(
                413,
                "RequestEntityTooLarge",
                format!("Request entity too large: limit is {MAX_BODY}"),
            ))
        }
    };
    let path = parts.uri.path().trim_end_matches('/').to_string();
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    let accept = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let get = parts.method == Method::GET;
    match segs.as_slice() {
        ["version"] if get => return json_response(200, &discovery::version()),
        ["healthz"] | ["livez"] | ["readyz"] if get => {
            return bytes_response(200, b"ok".to_vec(), "text/plain")
        }
        ["api"] if get => {
            if discovery::wants_aggregated(&accept) {
                let types = app.store.lock().all_types();
                return bytes_response(
                    200,
                    serde_json::to_vec(&discovery::aggregated(&types, true)).unwrap_or_default(),
                    discovery::AGGREGATED_CT,
                );
            }
            return json_response(200, &discovery::api_versions(&app.host));
        }
        ["api", "v1"] if get => {
            let types: Vec<_> = app
                .store
                .lock()
                .all_types()
                .into_iter()
                .filter(|t| t.group.is_empty())
                .collect();
            return json_response(200, &discovery::resource_list("v1", &types));
        }
        ["apis"] if get => {
            let types = app.store.lock().all_types();
            if discovery::wants_aggregated(&accept) {
                return bytes_response(
                    200,
                    serde_json::to_vec(&discovery::aggregated(&types, false)).unwrap_or_default(),
                    discovery::AGGREGATED_CT,
                );
            }
            return json_response(200, &discovery::group_list(&types));
        }
        ["apis", g] if get => {
            let types = app.store.lock().all_types();
            return match discovery::group(&types, g) {
                Some(v) => json_response(200, &v),
                None => page_not_found(),
            };
        }
        ["apis", g, v] if get => {
            let types: Vec<_> = app
                .store
                .lock()
                .all_types()
                .into_iter()
                .filter(|t| t.group == *g && t.version == *v)
                .collect();
            if types.is_empty() {
                return page_not_found();
            }
            return json_response(200, &discovery::resource_list(&format!("{g}/{v}"), &types));
        }
        ["openapi", "v3"] if get => {
            let types = app.store.lock().all_types();
            return json_response(200, &crate::openapi::index(&types));
        }
        ["openapi", "v3", gv @ ..] if get => {
            let types = app.store.lock().all_types();
            return match crate::openapi::document(&types, &gv.join("/")) {
                Some(d) => json_response(200, &d),
                None => page_not_found(),
            };
        }
        _ => {}
    }
    let rp = match segs.as_slice() {
        ["api", "v1", rest @ ..] => parse_rest("", "v1", rest),
        ["apis", g, v, rest @ ..] => parse_rest(g, v, rest),
        _ => None,
    };
    let Some(rp) = rp else {
        return page_not_found();
    };
    let Some(info) = app.store.lock().resolve(&rp.group, &rp.version, &rp.plural) else {
        return page_not_found();
    };
    // events.k8s.io Events are a view of the core Events' storage
    let (info, view) = if crate::events::is_events_view(&info) {
        match app.store.lock().resolve("", "v1", "events") {
            Some(core) => (core, Some(info)),
            None => (info, None),
        }
    } else {
        (info, None)
    };
    if !info.namespaced && !rp.ns.is_empty() {
        return page_not_found();
    }
    let ct = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !body.is_empty() && ct.contains("protobuf") {
        return error_response(&ApiError::new(
            415,
            "UnsupportedMediaType",
            format!("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got {ct})"),
        ));
    }
    let q = query(&parts.uri);
    let ctx = Ctx {
        app: app.clone(),
        info,
        view,
        rp,
        q,
        headers: parts.headers,
        body,
        warnings: Arc::default(),
    };
    let res = match (parts.method.clone(), ctx.rp.name.is_some()) {
        (Method::GET, false) if truthy(&ctx.q, "watch") => return watch(ctx),
        (Method::GET, false) => ctx.list(),
        (Method::GET, true) => ctx.get(),
        (Method::POST, false) => ctx.create(),
        (Method::POST, true)
            if ctx.rp.sub.as_deref() == Some("token")
                && ctx.info.group.is_empty()
                && ctx.info.plural == "serviceaccounts" =>
        {
            ctx.token_request()
        }
        (Method::PUT, true) => ctx.put(),
        (Method::PATCH, true) => ctx.patch(),
        (Method::DELETE, true) => ctx.delete(),
        (Method::DELETE, false) => ctx.delete_collection(),
        _ => Err(ApiError::method_not_allowed()),
    };
    let mut resp = match res {
        Ok(r) => r,
        Err(e) => error_response(&e),
    };
    if let Ok(w) = ctx.warnings.lock() {
        add_warnings(&mut resp, &w);
    }
    resp
}
