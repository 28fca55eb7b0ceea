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

//! Fault injection for chaos tests of the embedded API server.
//!
//! A [`FaultHandle`] is a cheap, cloneable switchboard (shared state behind an `Arc`): tests keep
//! one clone and turn faults on and off while the server runs with another.
//!
//! | fault | setter | applied by |
//! | --- | --- | --- |
//! | a fraction of non-watch requests fail with 500 `InternalError`, 429 `TooManyRequests` (`Retry-After: 1`) or 503 `ServiceUnavailable` (drawn uniformly), each a `Status` body | [`FaultHandle::set_error_rate`] | [`FaultLayer`] |
//! | added latency before every request (watches included) | [`FaultHandle::set_latency`] | [`FaultLayer`] |
//! | a fraction of PUT / PATCH requests fail with the real 409 `Conflict` body ("the object has been modified") | [`FaultHandle::set_conflict_rate`] | [`FaultLayer`] |
//! | open watch streams cut after a while | [`FaultHandle::drop_watches_every`] | the watch handler, via [`FaultHandle::watch_deadline`] (or [`watch_fault_middleware`]) |
//! | the next watch (or every watch) answered with a 410 `Expired` `ERROR` event | [`FaultHandle::force_watch_gone_once`], [`FaultHandle::force_watch_gone`] | the watch handler, via [`FaultHandle::take_forced_gone`] (or [`watch_fault_middleware`]) |
//!
//! Watch requests are those with a `watch=true` (or `1`, `t`, `True`...) query parameter; they
//! never get the 500/429/503/409 faults. Nothing else is excluded: discovery, `/version`, lists
//! and writes all can fail.
//!
//! ## Cooperation with the watch handler
//! The watch handler, when it starts serving a watch, calls:
//! - [`FaultHandle::take_forced_gone`]: when `true`, it answers (HTTP 200) a single `ERROR` event
//!   built by [`expired_watch_event`] and ends the stream, as the real server does for a
//!   resourceVersion older than its history;
//! - [`FaultHandle::watch_deadline`]: when `Some(t)`, it ends the stream at `t` (dropping the
//!   connection, as a load balancer or apiserver restart would).
//!
//! A handler that does not cooperate can be wrapped in [`watch_fault_middleware`] instead, which
//! does both from outside (the deadline cuts the response body with an I/O error).
//!
//! ## Reproducible chaos
//! [`FaultHandle::with_seed`] (or `NUVOLARIS_FAULT_SEED`) makes the random draws deterministic:
//! the same sequence of requests gets the same faults. Concurrent requests still race for the
//! draws, so a concurrent run is reproducible in its fault *rates*, not request by request.
//!
//! ## Standalone binary
//! [`FaultHandle::from_env`] reads `NUVOLARIS_FAULT_ERROR_RATE` (0..=1),
//! `NUVOLARIS_FAULT_LATENCY_MS`, `NUVOLARIS_FAULT_DROP_WATCH_SECS` (seconds, may be fractional),
//! `NUVOLARIS_FAULT_CONFLICT_RATE` (0..=1) and `NUVOLARIS_FAULT_SEED`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt;
use http::{header, HeaderValue, Method, StatusCode, Uri};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tower::{Layer, Service};

/// Environment variable: fraction (0..=1) of non-watch requests failing with 500/429/503.
pub const ENV_ERROR_RATE: &str = "NUVOLARIS_FAULT_ERROR_RATE";
/// Environment variable: milliseconds added before every request.
pub const ENV_LATENCY_MS: &str = "NUVOLARIS_FAULT_LATENCY_MS";
/// Environment variable: seconds after which open watch streams are cut.
pub const ENV_DROP_WATCH_SECS: &str = "NUVOLARIS_FAULT_DROP_WATCH_SECS";
/// Environment variable: fraction (0..=1) of PUT/PATCH requests failing with 409 Conflict.
pub const ENV_CONFLICT_RATE: &str = "NUVOLARIS_FAULT_CONFLICT_RATE";
/// Environment variable: seed of the fault RNG, for reproducible runs.
pub const ENV_SEED: &str = "NUVOLARIS_FAULT_SEED";

/// A fault environment variable that could not be used (name, value and why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultEnvError {
    /// The variable, e.g. `NUVOLARIS_FAULT_ERROR_RATE`.
    pub var: &'static str,
    /// Its value.
    pub value: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for FaultEnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "environment variable {}={:?}: {}",
            self.var, self.value, self.reason
        )
    }
}

impl std::error::Error for FaultEnvError {}

/// The faults currently switched on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaultConfig {
    /// Fraction of non-watch requests answered 500, 429 or 503.
    pub error_rate: f64,
    /// Fraction of PUT / PATCH requests answered 409 Conflict.
    pub conflict_rate: f64,
    /// Delay added before every request.
    pub latency: Duration,
    /// Watch streams are cut this long after they start.
    pub drop_watches_every: Option<Duration>,
    /// Every watch is answered with a 410 Expired `ERROR` event.
    pub force_watch_gone: bool,
}

/// What was injected so far (for test reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FaultCounters {
    /// Requests that went through the fault layer.
    pub requests: u64,
    /// Of which watch requests.
    pub watch_requests: u64,
    /// Requests delayed by the latency fault.
    pub delayed: u64,
    /// 500 InternalError injected.
    pub internal_errors: u64,
    /// 429 TooManyRequests injected.
    pub too_many_requests: u64,
    /// 503 ServiceUnavailable injected.
    pub service_unavailable: u64,
    /// 409 Conflict injected.
    pub conflicts: u64,
    /// Watches answered with a forced 410 Expired.
    pub watches_gone: u64,
    /// Watches given a deadline to be cut at.
    pub watches_cut: u64,
}

impl FaultCounters {
    /// Total number of injected failures (errors, conflicts, forced 410s and cut watches).
    pub fn injected(&self) -> u64 {
        self.internal_errors
            + self.too_many_requests
            + self.service_unavailable
            + self.conflicts
            + self.watches_gone
            + self.watches_cut
    }

    /// The counters as a JSON object (for reports).
    pub fn to_json(&self) -> Value {
        json!({
            "requests": self.requests,
            "watchRequests": self.watch_requests,
            "delayed": self.delayed,
            "internalErrors": self.internal_errors,
            "tooManyRequests": self.too_many_requests,
            "serviceUnavailable": self.service_unavailable,
            "conflicts": self.conflicts,
            "watchesGone": self.watches_gone,
            "watchesCut": self.watches_cut,
            "injected": self.injected(),
        })
    }
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    watch_requests: AtomicU64,
    delayed: AtomicU64,
    internal_errors: AtomicU64,
    too_many_requests: AtomicU64,
    service_unavailable: AtomicU64,
    conflicts: AtomicU64,
    watches_gone: AtomicU64,
    watches_cut: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

struct Inner {
    config: Mutex<FaultConfig>,
    gone_once: AtomicBool,
    rng: Mutex<StdRng>,
    counters: Counters,
}

/// Cloneable switchboard of the faults injected by the API server (see the module docs).
#[derive(Clone)]
pub struct FaultHandle {
    inner: Arc<Inner>,
}

impl fmt::Debug for FaultHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultHandle")
            .field("config", &self.config())
            .field("gone_once", &self.inner.gone_once.load(Ordering::Relaxed))
            .field("counters", &self.counters())
            .finish()
    }
}

impl Default for FaultHandle {
    fn default() -> Self {
        Self::new()
    }
}

/// A fault drawn for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectedFault {
    /// 500 InternalError.
    InternalError,
    /// 429 TooManyRequests with `Retry-After: 1`.
    TooManyRequests,
    /// 503 ServiceUnavailable.
    ServiceUnavailable,
    /// 409 Conflict (stale object).
    Conflict,
}

impl FaultHandle {
    /// A handle with every fault off and a randomly seeded RNG.
    pub fn new() -> Self {
        Self::build(StdRng::from_os_rng())
    }

    /// A handle with every fault off and a deterministic RNG.
    pub fn with_seed(seed: u64) -> Self {
        Self::build(StdRng::seed_from_u64(seed))
    }

    fn build(rng: StdRng) -> Self {
        FaultHandle {
            inner: Arc::new(Inner {
                config: Mutex::new(FaultConfig::default()),
                gone_once: AtomicBool::new(false),
                rng: Mutex::new(rng),
                counters: Counters::default(),
            }),
        }
    }

    /// Configures a handle from the `NUVOLARIS_FAULT_*` environment variables (unset or empty
    /// variables leave that fault off).
    pub fn from_env() -> Result<Self, FaultEnvError> {
        Self::from_lookup(|var| std::env::var(var).ok())
    }

    /// [`FaultHandle::from_env`] with a custom variable lookup (for tests and config files).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, FaultEnvError> {
        let get = |var: &'static str| -> Option<(&'static str, String)> {
            lookup(var)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .map(|v| (var, v))
        };
        let bad = |var: &'static str, value: &str, reason: &str| FaultEnvError {
            var,
            value: value.to_string(),
            reason: reason.to_string(),
        };
        let rate = |var: &'static str| -> Result<Option<f64>, FaultEnvError> {
            let Some((var, v)) = get(var) else {
                return Ok(None);
            };
            match v.parse::<f64>() {
                Ok(r) if (0.0..=1.0).contains(&r) => Ok(Some(r)),
                _ => Err(bad(var, &v, "expected a fraction between 0 and 1")),
            }
        };
        let handle = match get(ENV_SEED) {
            Some((var, v)) => match v.parse::<u64>() {
                Ok(seed) => Self::with_seed(seed),
                Err(_) => return Err(bad(var, &v, "expected an unsigned integer")),
            },
            None => Self::new(),
        };
        if let Some(r) = rate(ENV_ERROR_RATE)? {
            handle.set_error_rate(r);
        }
        if let Some(r) = rate(ENV_CONFLICT_RATE)? {
            handle.set_conflict_rate(r);
        }
        if let Some((var, v)) = get(ENV_LATENCY_MS) {
            match v.parse::<u64>() {
                Ok(ms) => handle.set_latency(Duration::from_millis(ms)),
                Err(_) => return Err(bad(var, &v, "expected milliseconds (unsigned integer)")),
            }
        }
        if let Some((var, v)) = get(ENV_DROP_WATCH_SECS) {
            match v.parse::<f64>() {
                Ok(s) if s.is_finite() && s > 0.0 && s < 1e9 => {
                    handle.drop_watches_every(Some(Duration::from_secs_f64(s)));
                }
                _ => return Err(bad(var, &v, "expected a positive number of seconds")),
            }
        }
        Ok(handle)
    }

    fn cfg(&self) -> MutexGuard<'_, FaultConfig> {
        match self.inner.config.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// A copy of the faults currently on.
    pub fn config(&self) -> FaultConfig {
        self.cfg().clone()
    }

    /// Whether any fault is on.
    pub fn is_active(&self) -> bool {
        let c = self.config();
        c.error_rate > 0.0
            || c.conflict_rate > 0.0
            || !c.latency.is_zero()
            || c.drop_watches_every.is_some()
            || c.force_watch_gone
            || self.inner.gone_once.load(Ordering::Relaxed)
    }

    /// Fraction (clamped to 0..=1; NaN is 0) of non-watch requests failing with 500/429/503.
    pub fn set_error_rate(&self, rate: f64) {
        self.cfg().error_rate = clamp_rate(rate);
    }

    /// Fraction (clamped to 0..=1; NaN is 0) of PUT/PATCH requests failing with 409 Conflict.
    pub fn set_conflict_rate(&self, rate: f64) {
        self.cfg().conflict_rate = clamp_rate(rate);
    }

    /// Delay added before every request (zero: none).
    pub fn set_latency(&self, latency: Duration) {
        self.cfg().latency = latency;
    }

    /// Cut open watch streams this long after they start (`None`: never).
    pub fn drop_watches_every(&self, every: Option<Duration>) {
        self.cfg().drop_watches_every = every.filter(|d| !d.is_zero());
    }

    /// Answer every watch (while `true`) with a 410 Expired `ERROR` event.
    pub fn force_watch_gone(&self, on: bool) {
        self.cfg().force_watch_gone = on;
    }

    /// Answer the next watch with a 410 Expired `ERROR` event.
    pub fn force_watch_gone_once(&self) {
        self.inner.gone_once.store(true, Ordering::SeqCst);
    }

    /// Reseeds the RNG (for a reproducible sequence from here on).
    pub fn set_seed(&self, seed: u64) {
        *self.rng() = StdRng::seed_from_u64(seed);
    }

    /// Switches every fault off (the counters are kept; see [`FaultHandle::reset_counters`]).
    pub fn reset(&self) {
        *self.cfg() = FaultConfig::default();
        self.inner.gone_once.store(false, Ordering::SeqCst);
    }

    /// A snapshot of what was injected so far.
    pub fn counters(&self) -> FaultCounters {
        let c = &self.inner.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        FaultCounters {
            requests: get(&c.requests),
            watch_requests: get(&c.watch_requests),
            delayed: get(&c.delayed),
            internal_errors: get(&c.internal_errors),
            too_many_requests: get(&c.too_many_requests),
            service_unavailable: get(&c.service_unavailable),
            conflicts: get(&c.conflicts),
            watches_gone: get(&c.watches_gone),
            watches_cut: get(&c.watches_cut),
        }
    }

    /// Sets every counter back to zero.
    pub fn reset_counters(&self) {
        let c = &self.inner.counters;
        for a in [
            &c.requests,
            &c.watch_requests,
            &c.delayed,
            &c.internal_errors,
            &c.too_many_requests,
            &c.service_unavailable,
            &c.conflicts,
            &c.watches_gone,
            &c.watches_cut,
        ] {
            a.store(0, Ordering::Relaxed);
        }
    }

    /// For the watch handler, when a watch starts: the instant at which to cut its stream, if
    /// watch dropping is on (counted as a cut watch).
    pub fn watch_deadline(&self) -> Option<Instant> {
        let every = self.cfg().drop_watches_every?;
        bump(&self.inner.counters.watches_cut);
        Some(Instant::now() + every)
    }

    /// For the watch handler, when a watch starts: whether to answer it with a 410 Expired
    /// `ERROR` event (consumes a [`FaultHandle::force_watch_gone_once`]; counted).
    pub fn take_forced_gone(&self) -> bool {
        let forced =
            self.cfg().force_watch_gone || self.inner.gone_once.swap(false, Ordering::SeqCst);
        if forced {
            bump(&self.inner.counters.watches_gone);
        }
        forced
    }

    fn rng(&self) -> MutexGuard<'_, StdRng> {
        match self.inner.rng.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Draws the fault (if any) for a request, counting it and the request. Watches never get one.
    pub fn draw(&self, method: &Method, uri: &Uri) -> Option<InjectedFault> {
        let c = &self.inner.counters;
        bump(&c.requests);
        if is_watch(uri) {
            bump(&c.watch_requests);
            return None;
        }
        let cfg = self.config();
        if cfg.error_rate <= 0.0 && cfg.conflict_rate <= 0.0 {
            return None;
        }
        let mut rng = self.rng();
        if cfg.error_rate > 0.0 && rng.random_bool(cfg.error_rate) {
            let fault = match rng.random_range(0..3u8) {
                0 => InjectedFault::InternalError,
                1 => InjectedFault::TooManyRequests,
                _ => InjectedFault::ServiceUnavailable,
            };
            drop(rng);
            bump(match fault {
                InjectedFault::InternalError => &c.internal_errors,
                InjectedFault::TooManyRequests => &c.too_many_requests,
                _ => &c.service_unavailable,
            });
            return Some(fault);
        }
        let write = *method == Method::PUT || *method == Method::PATCH;
        if write && cfg.conflict_rate > 0.0 && rng.random_bool(cfg.conflict_rate) {
            drop(rng);
            bump(&c.conflicts);
            return Some(InjectedFault::Conflict);
        }
        None
    }

    fn latency(&self) -> Option<Duration> {
        let l = self.cfg().latency;
        if l.is_zero() {
            None
        } else {
            bump(&self.inner.counters.delayed);
            Some(l)
        }
    }
}

fn clamp_rate(rate: f64) -> f64 {
    if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    }
}

/// The value of query parameter `key` (first occurrence, not percent-decoded).
fn query_param<'a>(uri: &'a Uri, key: &str) -> Option<&'a str> {
    uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then_some(v)
    })
}

/// Whether the request is a watch: `watch` parsed as Go's `strconv.ParseBool` would.
pub fn is_watch(uri: &Uri) -> bool {
    matches!(
        query_param(uri, "watch"),
        Some("1" | "t" | "T" | "true" | "TRUE" | "True")
    )
}

/// Resource, group and name of a resource URL (`/api/v1/namespaces/ns/pods/x`,
/// `/apis/apps/v1/namespaces/ns/deployments/web/status`, `/apis/g/v1/widgets/w`).
fn resource_of(path: &str) -> (String, String, String) {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (group, rest) = match segs.as_slice() {
        ["api", _v, rest @ ..] => ("", rest),
        ["apis", g, _v, rest @ ..] => (*g, rest),
        _ => ("", &segs[..0]),
    };
    let rest = match rest {
        ["namespaces", _ns, r, tail @ ..] => {
            let mut v = vec![*r];
            v.extend(tail.iter().copied());
            v
        }
        other => other.to_vec(),
    };
    let resource = rest.first().copied().unwrap_or_default().to_string();
    let name = rest.get(1).copied().unwrap_or_default().to_string();
    (resource, group.to_string(), name)
}

/// The `Status` body of an injected fault for a request to `path`.
pub fn fault_status(fault: InjectedFault, path: &str) -> (StatusCode, Value) {
    match fault {
        InjectedFault::InternalError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "Internal error occurred: injected fault (chaos test)",
                "reason": "InternalError",
                "details": {"causes": [{"message": "injected fault (chaos test)"}]},
                "code": 500
            }),
        ),
        InjectedFault::TooManyRequests => (
            StatusCode::TOO_MANY_REQUESTS,
            json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "Too many requests, please try again later.",
                "reason": "TooManyRequests",
                "details": {"retryAfterSeconds": 1},
                "code": 429
            }),
        ),
        InjectedFault::ServiceUnavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "The server is currently unable to handle the request (injected fault)",
                "reason": "ServiceUnavailable",
                "details": {"retryAfterSeconds": 1},
                "code": 503
            }),
        ),
        InjectedFault::Conflict => {
            let (resource, group, name) = resource_of(path);
            let qualified = if group.is_empty() {
                resource.clone()
            } else {
                format!("{resource}.{group}")
            };
            let mut details = serde_json::Map::new();
            if !name.is_empty() {
                details.insert("name".into(), json!(name));
            }
            if !group.is_empty() {
                details.insert("group".into(), json!(group));
            }
            details.insert("kind".into(), json!(resource));
            (
                StatusCode::CONFLICT,
                json!({
                    "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": format!("Operation cannot be fulfilled on {qualified} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"),
                    "reason": "Conflict",
                    "details": Value::Object(details),
                    "code": 409
                }),
            )
        }
    }
}

/// The HTTP response of an injected fault (JSON `Status`, `Retry-After: 1` on 429 and 503).
pub fn fault_response<B: From<String>>(fault: InjectedFault, path: &str) -> http::Response<B> {
    let (code, body) = fault_status(fault, path);
    let mut resp = http::Response::new(B::from(body.to_string()));
    *resp.status_mut() = code;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if matches!(
        fault,
        InjectedFault::TooManyRequests | InjectedFault::ServiceUnavailable
    ) {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    resp
}

/// The `ERROR` watch event of a 410 Expired (resourceVersion older than the retained history),
/// worded like the real server: `too old resource version: <requested> (<oldest>)`.
pub fn expired_watch_event(requested_rv: u64, oldest_rv: u64) -> Value {
    json!({
        "type": "ERROR",
        "object": {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": format!("too old resource version: {requested_rv} ({oldest_rv})"),
            "reason": "Expired",
            "code": 410
        }
    })
}

/// Tower layer applying a [`FaultHandle`]'s latency, error and conflict faults to requests.
#[derive(Clone, Debug)]
pub struct FaultLayer {
    handle: FaultHandle,
}

impl FaultLayer {
    /// A layer driven by `handle`.
    pub fn new(handle: FaultHandle) -> Self {
        FaultLayer { handle }
    }
}

impl<S> Layer<S> for FaultLayer {
    type Service = FaultService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FaultService {
            inner,
            handle: self.handle.clone(),
        }
    }
}

/// The service made by [`FaultLayer`].
#[derive(Clone, Debug)]
pub struct FaultService<S> {
    inner: S,
    handle: FaultHandle,
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for FaultService<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: From<String> + Send + 'static,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<ReqBody>) -> Self::Future {
        // the readied service goes into the future; a fresh clone stays for the next call
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let handle = self.handle.clone();
        Box::pin(async move {
            if let Some(delay) = handle.latency() {
                tokio::time::sleep(delay).await;
            }
            match handle.draw(req.method(), req.uri()) {
                Some(fault) => Ok(fault_response(fault, req.uri().path())),
                None => inner.call(req).await,
            }
        })
    }
}

/// Axum middleware (`middleware::from_fn_with_state(handle, watch_fault_middleware)`) applying
/// the watch faults from outside a watch handler that does not call
/// [`FaultHandle::take_forced_gone`] / [`FaultHandle::watch_deadline`] itself: a forced 410 is
/// answered with an `ERROR` event without calling the handler, and the response body of a watch
/// is cut with an I/O error at the deadline. Non-watch requests pass through untouched.
pub async fn watch_fault_middleware(
    State(handle): State<FaultHandle>,
    req: Request,
    next: Next,
) -> Response {
    if !is_watch(req.uri()) {
        return next.run(req).await;
    }
    if handle.take_forced_gone() {
        let requested = query_param(req.uri(), "resourceVersion")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        let mut line = expired_watch_event(requested, requested.saturating_add(1)).to_string();
        line.push('\n');
        let mut resp = Response::new(Body::from(line));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return resp;
    }
    let Some(deadline) = handle.watch_deadline() else {
        return next.run(req).await;
    };
    let resp = next.run(req).await;
    let (parts, body) = resp.into_parts();
    let sleep = Box::pin(tokio::time::sleep_until(tokio::time::Instant::from_std(
        deadline,
    )));
    let stream = futures::stream::unfold(
        (body.into_data_stream(), sleep, false),
        |(mut data, mut sleep, done)| async move {
            if done {
                return None;
            }
            tokio::select! {
                chunk = data.next() => chunk.map(|c| (c.map_err(std::io::Error::other), (data, sleep, false))),
                () = &mut sleep => Some((
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "watch dropped by fault injection",
                    )),
                    (data, sleep, true),
                )),
            }
        },
    );
    Response::from_parts(parts, Body::from_stream(stream))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use axum::Router;
    use rstest::rstest;
    use std::collections::HashMap;
    use std::convert::Infallible;
    use tower::ServiceExt;

    /// A service answering 200 `ok` to anything.
    fn ok_service() -> impl Service<
        http::Request<Body>,
        Response = http::Response<Body>,
        Error = Infallible,
        Future = impl Future<Output = Result<http::Response<Body>, Infallible>> + Send,
    > + Clone
           + Send
           + 'static {
        tower::service_fn(|_req: http::Request<Body>| async {
            Ok::<_, Infallible>(http::Response::new(Body::from("ok")))
        })
    }

    fn request(method: Method, uri: &str) -> http::Request<Body> {
        http::Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .expect("request")
    }

    async fn body_json(resp: http::Response<Body>) -> Value {
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        serde_json::from_slice(&bytes).expect("json body")
    }

    async fn send(handle: &FaultHandle, method: Method, uri: &str) -> http::Response<Body> {
        FaultLayer::new(handle.clone())
            .layer(ok_service())
            .oneshot(request(method, uri))
            .await
            .expect("infallible")
    }

    #[tokio::test]
    async fn no_faults_passes_everything_through() {
        let h = FaultHandle::with_seed(1);
        for _ in 0..20 {
            let resp = send(&h, Method::GET, "/api/v1/namespaces/default/configmaps").await;
            assert_eq!(resp.status(), StatusCode::OK);
        }
        let c = h.counters();
        assert_eq!(c.requests, 20);
        assert_eq!(c.injected(), 0);
        assert!(!h.is_active());
    }

    #[tokio::test]
    async fn full_error_rate_fails_every_request_with_a_status_body() {
        let h = FaultHandle::with_seed(7);
        h.set_error_rate(1.0);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..60 {
            let resp = send(&h, Method::GET, "/apis/apps/v1/deployments").await;
            let code = resp.status();
            let retry = resp.headers().get(header::RETRY_AFTER).cloned();
            assert_eq!(
                resp.headers()
                    .get(header::CONTENT_TYPE)
                    .map(|v| v.as_bytes()),
                Some(&b"application/json"[..])
            );
            let body = body_json(resp).await;
            assert_eq!(body["kind"], "Status");
            assert_eq!(body["status"], "Failure");
            assert_eq!(body["code"].as_u64(), Some(u64::from(code.as_u16())));
            match code.as_u16() {
                500 => {
                    assert_eq!(body["reason"], "InternalError");
                    assert!(retry.is_none());
                }
                429 => {
                    assert_eq!(body["reason"], "TooManyRequests");
                    assert_eq!(retry.as_ref().map(|v| v.as_bytes()), Some(&b"1"[..]));
                }
                503 => {
                    assert_eq!(body["reason"], "ServiceUnavailable");
                    assert_eq!(retry.as_ref().map(|v| v.as_bytes()), Some(&b"1"[..]));
                }
                other => panic!("unexpected status {other}"),
            }
            seen.insert(code.as_u16());
        }
        assert_eq!(seen.len(), 3, "all three failure kinds are drawn: {seen:?}");
        let c = h.counters();
        assert_eq!(
            c.internal_errors + c.too_many_requests + c.service_unavailable,
            60
        );
    }

    #[rstest]
    #[case("/api/v1/namespaces/ns/pods?watch=true", true)]
    #[case("/api/v1/namespaces/ns/pods?watch=1&resourceVersion=5", true)]
    #[case("/api/v1/pods?resourceVersion=5&watch=True", true)]
    #[case("/api/v1/pods?watch=false", false)]
    #[case("/api/v1/pods?watch=0", false)]
    #[case("/api/v1/pods", false)]
    #[case("/api/v1/pods?watcher=true", false)]
    fn watch_detection(#[case] uri: &str, #[case] watch: bool) {
        let uri: Uri = uri.parse().expect("uri");
        assert_eq!(is_watch(&uri), watch);
    }

    #[tokio::test]
    async fn watches_are_never_failed() {
        let h = FaultHandle::with_seed(3);
        h.set_error_rate(1.0);
        h.set_conflict_rate(1.0);
        let resp = send(&h, Method::GET, "/api/v1/namespaces/ns/configmaps?watch=1").await;
        assert_eq!(resp.status(), StatusCode::OK);
        let resp = send(&h, Method::GET, "/api/v1/namespaces/ns/configmaps?watch=0").await;
        assert_ne!(resp.status(), StatusCode::OK);
        let c = h.counters();
        assert_eq!((c.requests, c.watch_requests), (2, 1));
    }

    #[rstest]
    #[case(Method::PUT, "/apis/apps/v1/namespaces/trace/deployments/web", true,
        "Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply your changes to the latest version and try again",
        json!({"name": "web", "group": "apps", "kind": "deployments"}))]
    #[case(Method::PATCH, "/api/v1/namespaces/default/configmaps/cm/status", true,
        "Operation cannot be fulfilled on configmaps \"cm\": the object has been modified; please apply your changes to the latest version and try again",
        json!({"name": "cm", "kind": "configmaps"}))]
    #[case(Method::PATCH, "/apis/nuvolaris.org/v1/samples/s1", true,
        "Operation cannot be fulfilled on samples.nuvolaris.org \"s1\": the object has been modified; please apply your changes to the latest version and try again",
        json!({"name": "s1", "group": "nuvolaris.org", "kind": "samples"}))]
    #[case(Method::POST, "/api/v1/namespaces/default/configmaps", false, "", json!(null))]
    #[case(Method::GET, "/api/v1/namespaces/default/configmaps/cm", false, "", json!(null))]
    #[case(Method::DELETE, "/api/v1/namespaces/default/configmaps/cm", false, "", json!(null))]
    #[tokio::test]
    async fn conflicts_hit_only_put_and_patch(
        #[case] method: Method,
        #[case] uri: &str,
        #[case] conflict: bool,
        #[case] message: &str,
        #[case] details: Value,
    ) {
        let h = FaultHandle::with_seed(11);
        h.set_conflict_rate(1.0);
        let resp = send(&h, method, uri).await;
        if !conflict {
            assert_eq!(resp.status(), StatusCode::OK);
            assert_eq!(h.counters().conflicts, 0);
            return;
        }
        assert_eq!(resp.status(), StatusCode::CONFLICT);
        let body = body_json(resp).await;
        assert_eq!(body["reason"], "Conflict");
        assert_eq!(body["message"], message);
        assert_eq!(body["details"], details);
        assert_eq!(h.counters().conflicts, 1);
    }

    #[tokio::test]
    async fn conflict_body_matches_the_recorded_one() {
        let (code, body) = fault_status(
            InjectedFault::Conflict,
            "/apis/apps/v1/namespaces/trace/deployments/web",
        );
        assert_eq!(code, StatusCode::CONFLICT);
        let trace = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/k8s-api-traces/error-409-conflict-stale-rv.json"
        );
        let text = std::fs::read_to_string(trace).expect("trace error-409-conflict-stale-rv.json");
        let expected: Value = serde_json::from_str(&text).expect("trace parses");
        assert_eq!(body, expected);
    }

    #[tokio::test]
    async fn partial_rate_fails_roughly_that_fraction_and_seed_reproduces_it() {
        async fn run(seed: u64) -> (Vec<u16>, FaultCounters) {
            let h = FaultHandle::with_seed(seed);
            h.set_error_rate(0.2);
            let mut codes = Vec::new();
            for _ in 0..500 {
                codes.push(
                    send(&h, Method::GET, "/api/v1/pods")
                        .await
                        .status()
                        .as_u16(),
                );
            }
            (codes, h.counters())
        }
        let (a, ca) = run(42).await;
        let (b, _) = run(42).await;
        let (c, _) = run(43).await;
        assert_eq!(a, b, "same seed, same faults");
        assert_ne!(a, c, "another seed, other faults");
        let failed = a.iter().filter(|c| **c != 200).count();
        assert!(
            (50..=150).contains(&failed),
            "about 20% of 500 fail, got {failed}"
        );
        assert_eq!(failed as u64, ca.injected());
    }

    #[tokio::test]
    async fn latency_delays_requests() {
        let h = FaultHandle::with_seed(5);
        h.set_latency(Duration::from_millis(30));
        let start = Instant::now();
        let resp = send(&h, Method::GET, "/version").await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(start.elapsed() >= Duration::from_millis(30));
        assert_eq!(h.counters().delayed, 1);
    }

    #[test]
    fn watch_cooperation_api() {
        let h = FaultHandle::with_seed(9);
        assert_eq!(h.watch_deadline(), None);
        assert!(!h.take_forced_gone());
        h.drop_watches_every(Some(Duration::from_secs(2)));
        let before = Instant::now();
        let deadline = h.watch_deadline().expect("deadline");
        assert!(deadline >= before + Duration::from_secs(2));
        h.force_watch_gone_once();
        assert!(h.is_active());
        assert!(h.take_forced_gone());
        assert!(!h.take_forced_gone(), "once means once");
        h.force_watch_gone(true);
        assert!(h.take_forced_gone() && h.take_forced_gone());
        let c = h.counters();
        assert_eq!((c.watches_cut, c.watches_gone), (1, 3));
        h.reset();
        assert!(!h.is_active());
        assert_eq!(h.watch_deadline(), None);
        assert!(!h.take_forced_gone());
        assert_eq!(h.counters().watches_gone, 3, "reset keeps counters");
        h.reset_counters();
        assert_eq!(h.counters(), FaultCounters::default());
    }

    #[rstest]
    #[case(f64::NAN, 0.0)]
    #[case(-1.0, 0.0)]
    #[case(0.25, 0.25)]
    #[case(7.0, 1.0)]
    fn rates_are_clamped(#[case] given: f64, #[case] stored: f64) {
        let h = FaultHandle::with_seed(0);
        h.set_error_rate(given);
        h.set_conflict_rate(given);
        assert_eq!(h.config().error_rate, stored);
        assert_eq!(h.config().conflict_rate, stored);
    }

    #[test]
    fn expired_event_is_worded_like_the_server() {
        let ev = expired_watch_event(1, 1204);
        assert_eq!(ev["type"], "ERROR");
        assert_eq!(ev["object"]["code"], 410);
        assert_eq!(ev["object"]["reason"], "Expired");
        assert_eq!(
            ev["object"]["message"],
            "too old resource version: 1 (1204)"
        );
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn from_env_reads_every_variable() {
        let h = FaultHandle::from_lookup(env(&[
            (ENV_ERROR_RATE, "0.2"),
            (ENV_LATENCY_MS, "15"),
            (ENV_DROP_WATCH_SECS, "2.5"),
            (ENV_CONFLICT_RATE, " 0.1 "),
            (ENV_SEED, "1234"),
        ]))
        .expect("valid env");
        assert_eq!(
            h.config(),
            FaultConfig {
                error_rate: 0.2,
                conflict_rate: 0.1,
                latency: Duration::from_millis(15),
                drop_watches_every: Some(Duration::from_millis(2500)),
                force_watch_gone: false,
            }
        );
        let none = FaultHandle::from_lookup(env(&[(ENV_ERROR_RATE, "")])).expect("empty is unset");
        assert!(!none.is_active());
    }

    #[rstest]
    #[case(ENV_ERROR_RATE, "1.5")]
    #[case(ENV_ERROR_RATE, "lots")]
    #[case(ENV_CONFLICT_RATE, "-0.1")]
    #[case(ENV_LATENCY_MS, "-3")]
    #[case(ENV_DROP_WATCH_SECS, "0")]
    #[case(ENV_DROP_WATCH_SECS, "inf")]
    #[case(ENV_SEED, "x")]
    fn from_env_rejects_bad_values(#[case] var: &'static str, #[case] value: &str) {
        let err = FaultHandle::from_lookup(env(&[(var, value)])).expect_err("invalid");
        assert_eq!(err.var, var);
        assert_eq!(err.value, value);
        assert!(err.to_string().contains(var));
    }

    #[tokio::test]
    async fn seeded_handles_are_reproducible_through_draw() {
        let uri: Uri = "/api/v1/pods".parse().expect("uri");
        let draws = |seed| {
            let h = FaultHandle::with_seed(seed);
            h.set_error_rate(0.5);
            (0..100)
                .map(|_| h.draw(&Method::GET, &uri))
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(99), draws(99));
        let h = FaultHandle::with_seed(1);
        h.set_error_rate(0.5);
        let first: Vec<_> = (0..20).map(|_| h.draw(&Method::GET, &uri)).collect();
        h.set_seed(1);
        let again: Vec<_> = (0..20).map(|_| h.draw(&Method::GET, &uri)).collect();
        assert_eq!(first, again, "set_seed restarts the sequence");
    }

    fn watch_router(handle: FaultHandle) -> Router {
        let stream = || {
            let ticks = futures::stream::unfold(0u32, |i| async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Some((
                    Ok::<_, Infallible>(format!("{{\"type\":\"BOOKMARK\",\"n\":{i}}}\n")),
                    i + 1,
                ))
            });
            Body::from_stream(ticks)
        };
        Router::new()
            .route(
                "/api/v1/pods",
                get(move || async move { Response::new(stream()) }),
            )
            .layer(axum::middleware::from_fn_with_state(
                handle,
                watch_fault_middleware,
            ))
    }

    #[tokio::test]
    async fn middleware_answers_forced_gone_with_an_expired_event() {
        let h = FaultHandle::with_seed(2);
        h.force_watch_gone_once();
        let resp = watch_router(h.clone())
            .oneshot(request(
                Method::GET,
                "/api/v1/pods?watch=1&resourceVersion=17",
            ))
            .await
            .expect("infallible");
        assert_eq!(resp.status(), StatusCode::OK);
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        let text = String::from_utf8(bytes.to_vec()).expect("utf8");
        assert_eq!(text.lines().count(), 1);
        let ev: Value = serde_json::from_str(text.trim()).expect("event");
        assert_eq!(ev, expired_watch_event(17, 18));
        assert_eq!(h.counters().watches_gone, 1);
    }

    #[tokio::test]
    async fn middleware_cuts_watch_bodies_with_an_error_at_the_deadline() {
        let h = FaultHandle::with_seed(2);
        h.drop_watches_every(Some(Duration::from_millis(90)));
        let resp = watch_router(h.clone())
            .oneshot(request(Method::GET, "/api/v1/pods?watch=true"))
            .await
            .expect("infallible");
        let mut data = resp.into_body().into_data_stream();
        let mut events = 0;
        let mut ended_with_error = false;
        while let Some(chunk) = data.next().await {
            match chunk {
                Ok(_) => events += 1,
                Err(_) => {
                    ended_with_error = true;
                    break;
                }
            }
        }
        assert!(ended_with_error, "the stream is cut with an error");
        assert!(events >= 1, "events flowed before the cut");
        assert!(data.next().await.is_none(), "nothing after the cut");
        assert_eq!(h.counters().watches_cut, 1);
    }

    #[tokio::test]
    async fn middleware_leaves_non_watch_requests_alone() {
        let h = FaultHandle::with_seed(2);
        h.force_watch_gone(true);
        let router = Router::new()
            .route("/api/v1/pods", get(|| async { "list" }))
            .layer(axum::middleware::from_fn_with_state(
                h.clone(),
                watch_fault_middleware,
            ));
        let resp = router
            .oneshot(request(Method::GET, "/api/v1/pods"))
            .await
            .expect("infallible");
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        assert_eq!(&bytes[..], b"list");
        assert_eq!(h.counters().watches_gone, 0);
    }

    #[tokio::test]
    async fn layer_works_inside_an_axum_router() {
        let h = FaultHandle::with_seed(4);
        h.set_error_rate(1.0);
        let router = Router::new()
            .route("/version", get(|| async { "v" }))
            .layer(FaultLayer::new(h.clone()));
        let resp = router
            .oneshot(request(Method::GET, "/version"))
            .await
            .expect("infallible");
        assert!(resp.status().is_server_error() || resp.status() == StatusCode::TOO_MANY_REQUESTS);
        h.reset();
        let router = Router::new()
            .route("/version", get(|| async { "v" }))
            .layer(FaultLayer::new(h.clone()));
        let resp = router
            .oneshot(request(Method::GET, "/version"))
            .await
            .expect("infallible");
        assert_eq!(resp.status(), StatusCode::OK);
    }
}
