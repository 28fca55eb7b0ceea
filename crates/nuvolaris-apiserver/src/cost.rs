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

//! Cost model: what a request costs on a loaded real API server (opt-in, off by default).
//!
//! - every read (GET of an object, list, discovery) waits [`CostModel::latency_read`], every
//!   write (POST, PUT, PATCH, DELETE) [`CostModel::latency_write`], asynchronously (a timer, no
//!   thread blocked), as a request to kube-apiserver with etcd behind it takes milliseconds;
//! - at most [`CostModel::max_inflight`] requests are served at once (the latency is spent
//!   holding the seat, as a request holds its API Priority and Fairness seat while it executes);
//!   past that a request is rejected at once with the real server's 429: header
//!   `Retry-After: 1` and the plain-text body `Too many requests, please try again later.`
//!   (kube-apiserver's `tooManyRequests` writes it with Go's `http.Error`, not as a `Status`;
//!   client-go and kube-rs turn it into a 429 error of their own);
//! - long-running requests (watches) take no seat and no latency, as in the real server's
//!   max-in-flight and APF filters; neither do the health probes (`/healthz`, `/livez`,
//!   `/readyz`), which the real server exempts.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{header, HeaderValue, Method, StatusCode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The body of kube-apiserver's 429 (`tooManyRequests` in `server/filters/maxinflight.go` and
/// `priority-and-fairness.go`; `http.Error` appends the newline).
pub const TOO_MANY_REQUESTS_BODY: &str = "Too many requests, please try again later.\n";

/// The `Retry-After` header of that 429 (the filters' `retryAfter = "1"`).
pub const RETRY_AFTER: &str = "1";

/// What requests cost (the default costs nothing, as before).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CostModel {
    /// Added to every read (GET, HEAD), not to watches.
    pub latency_read: Duration,
    /// Added to every write (POST, PUT, PATCH, DELETE).
    pub latency_write: Duration,
    /// Requests served at once (watches and health probes excluded); past it: 429.
    pub max_inflight: Option<usize>,
}

impl CostModel {
    /// Whether the model changes anything.
    pub fn is_active(&self) -> bool {
        !self.latency_read.is_zero() || !self.latency_write.is_zero() || self.max_inflight.is_some()
    }
}

/// Counts of what the cost model did.
#[derive(Debug, Default)]
pub struct CostCounters {
    /// Requests that got a seat and paid their latency.
    pub served: AtomicU64,
    /// Requests rejected with 429 because every seat was taken.
    pub rejected: AtomicU64,
}

/// The state of the cost middleware.
#[derive(Debug, Clone)]
pub struct CostState {
    model: CostModel,
    seats: Option<Arc<Semaphore>>,
    counters: Arc<CostCounters>,
}

impl CostState {
    /// The middleware state for `model`.
    pub fn new(model: CostModel) -> Self {
        CostState {
            seats: model.max_inflight.map(|n| Arc::new(Semaphore::new(n))),
            model,
            counters: Arc::default(),
        }
    }

    /// The counters (shared with the middleware).
    pub fn counters(&self) -> Arc<CostCounters> {
        self.counters.clone()
    }
}

/// Whether a request is long-running (a watch: `watch=true`, `1`, ...).
fn is_long_running(req: &Request) -> bool {
    crate::faults::is_watch(req.uri())
}

fn is_probe(path: &str) -> bool {
    let p = path.trim_end_matches('/');
    ["/healthz", "/livez", "/readyz"]
        .iter()
        .any(|x| p == *x || p.starts_with(&format!("{x}/")))
}

/// The real server's 429 for a request past the in-flight bound.
pub fn too_many_requests() -> Response {
    let mut resp = Response::new(Body::from(TOO_MANY_REQUESTS_BODY));
    *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER));
    resp
}

/// Axum middleware applying a [`CostState`] (`middleware::from_fn_with_state`).
pub async fn middleware(State(cost): State<CostState>, req: Request, next: Next) -> Response {
    if is_long_running(&req) || is_probe(req.uri().path()) {
        return next.run(req).await;
    }
    let _seat = match &cost.seats {
        Some(s) => match s.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => {
                cost.counters.rejected.fetch_add(1, Ordering::Relaxed);
                return too_many_requests();
            }
        },
        None => None,
    };
    cost.counters.served.fetch_add(1, Ordering::Relaxed);
    let latency = if matches!(*req.method(), Method::GET | Method::HEAD) {
        cost.model.latency_read
    } else {
        cost.model.latency_write
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    next.run(req).await
}

/// Parses a duration flag: `250ms`, `1.5s`, or a bare number of milliseconds (`5`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, scale) = if let Some(ms) = t.strip_suffix("ms") {
        (ms, 1e-3)
    } else if let Some(secs) = t.strip_suffix('s') {
        (secs, 1.0)
    } else {
        (t, 1e-3)
    };
    num.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .and_then(|v| Duration::try_from_secs_f64(v * scale).ok())
        .ok_or_else(|| format!("{s:?} is not a duration (e.g. 5, 5ms, 0.2s)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("5", Some(Duration::from_millis(5)))]
    #[case("5ms", Some(Duration::from_millis(5)))]
    #[case("0.2s", Some(Duration::from_millis(200)))]
    #[case("2s", Some(Duration::from_secs(2)))]
    #[case("0", Some(Duration::ZERO))]
    #[case("-1", None)]
    #[case("fast", None)]
    #[case("", None)]
    fn durations(#[case] s: &str, #[case] want: Option<Duration>) {
        assert_eq!(parse_duration(s).ok(), want);
    }

    #[rstest]
    #[case("/healthz", true)]
    #[case("/readyz/", true)]
    #[case("/livez/ping", true)]
    #[case("/api/v1/pods", false)]
    #[case("/healthzz", false)]
    fn probes(#[case] path: &str, #[case] want: bool) {
        assert_eq!(is_probe(path), want);
    }

    #[rstest]
    #[case(CostModel::default(), false)]
    #[case(CostModel { max_inflight: Some(4), ..Default::default() }, true)]
    #[case(CostModel { latency_write: Duration::from_millis(1), ..Default::default() }, true)]
    fn activity(#[case] m: CostModel, #[case] want: bool) {
        assert_eq!(m.is_active(), want);
    }
}
