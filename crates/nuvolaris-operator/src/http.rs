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

//! The HTTP endpoints: `/healthz`, `/readyz`, `/metrics`.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use nuvolaris_runtime::{Health, Metrics};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

/// What the handlers read.
#[derive(Clone)]
pub struct AppState {
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
    /// Liveness and readiness.
    pub health: Health,
}

async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)],
        s.metrics.encode(),
    )
}

async fn healthz(State(s): State<AppState>) -> impl IntoResponse {
    match s.health.live() {
        Ok(()) => (StatusCode::OK, "ok".to_string()),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("not live: {e}")),
    }
}

async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    match s.health.ready() {
        Ok(()) => (StatusCode::OK, "ready".to_string()),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}")),
    }
}

/// The router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

/// Binds the HTTP listener (so a busy port is a startup error).
pub async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on --http-addr {addr}: {e}"))?;
    tracing::info!(addr = %listener.local_addr()?, "HTTP server listening (/healthz /readyz /metrics)");
    Ok(listener)
}

/// Serves the router on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use rstest::rstest;
    use tower::ServiceExt;

    async fn get_path(state: AppState, path: &str) -> (StatusCode, String) {
        let resp = router(state)
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    fn state() -> AppState {
        let metrics = Arc::new(Metrics::new());
        metrics.register_controller("sample", 8);
        metrics.set_leader("nuvolaris-operator", false);
        AppState {
            metrics,
            health: Health::new(),
        }
    }

    #[rstest]
    #[case("controller_runtime_reconcile_total")]
    #[case("controller_runtime_reconcile_errors_total")]
    #[case("controller_runtime_reconcile_time_seconds")]
    #[case("controller_runtime_active_workers")]
    #[case("controller_runtime_max_concurrent_reconciles")]
    #[case("leader_election_master_status")]
    #[tokio::test]
    async fn metrics_exposes_series(#[case] name: &str) {
        let s = state();
        s.metrics.object_applied("sample", "Deployment", "created");
        s.metrics.object_pruned("sample", "Deployment", "deleted");
        let (code, body) = get_path(s, "/metrics").await;
        assert_eq!(code, StatusCode::OK);
        assert!(
            body.contains(&format!("# TYPE {name} ")),
            "no {name} in\n{body}"
        );
        assert!(body.contains("nuvolaris_objects_applied_total{controller=\"sample\",kind=\"Deployment\",result=\"created\"} 1"));
        assert!(body.contains("nuvolaris_objects_pruned_total{controller=\"sample\",kind=\"Deployment\",result=\"deleted\"} 1"));
    }

    #[tokio::test]
    async fn readyz_follows_health() {
        let s = state();
        s.health.declare("sample");
        let (code, body) = get_path(s.clone(), "/readyz").await;
        assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("sample"), "{body}");
        s.health.checked(
            "sample",
            Err("CRD samples.nuvolaris.org is not installed".into()),
        );
        let (_, body) = get_path(s.clone(), "/readyz").await;
        assert!(body.contains("samples.nuvolaris.org"), "{body}");
        s.health.checked("sample", Ok(()));
        s.health.running("sample", true);
        s.health.synced("sample");
        assert_eq!(get_path(s.clone(), "/readyz").await.0, StatusCode::OK);
        assert_eq!(get_path(s.clone(), "/healthz").await.0, StatusCode::OK);
        s.health.dead("sample", "stream ended".into());
        assert_eq!(
            get_path(s, "/healthz").await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
