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

//! Shared helpers: a target server (embedded, or a real cluster from
//! `NUVOLARIS_CONFORMANCE_KUBECONFIG`) and raw HTTP calls through the kube client.
#![allow(dead_code)]

use http_body_util::BodyExt;
use kube::config::{KubeConfigOptions, Kubeconfig};
use nuvolaris_apiserver::{ApiServer, ServerConfig};
use serde_json::Value;

/// The server under test.
pub struct Target {
    /// Client for it.
    pub client: kube::Client,
    /// The embedded server, when not testing a real cluster.
    pub server: Option<ApiServer>,
}

/// A response: status code, raw body, parsed JSON (Null when not JSON).
pub struct Resp {
    pub code: u16,
    pub text: String,
    pub json: Value,
    pub content_type: String,
    /// The `Warning` header values, in order.
    pub warnings: Vec<String>,
}

impl Target {
    /// Whether the target is the embedded server.
    pub fn embedded(&self) -> bool {
        self.server.is_some()
    }

    /// Sends one request.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        ct: Option<&str>,
        body: Option<&Value>,
    ) -> Resp {
        self.call_h(method, path, ct, body, &[]).await
    }

    /// Sends one request with extra headers.
    pub async fn call_h(
        &self,
        method: &str,
        path: &str,
        ct: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut b = http::Request::builder().method(method).uri(path);
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        } else if body.is_some() {
            b = b.header("content-type", "application/json");
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let bytes = body
            .map(|v| serde_json::to_vec(v).unwrap())
            .unwrap_or_default();
        let req = b.body(kube::client::Body::from(bytes)).unwrap();
        let resp = self.client.send(req).await.expect("request sent");
        let code = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let warnings = resp
            .headers()
            .get_all("warning")
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).to_string())
            .collect();
        let body = resp
            .into_body()
            .collect()
            .await
            .expect("body read")
            .to_bytes();
        let text = String::from_utf8_lossy(&body).to_string();
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Resp {
            code,
            text,
            json,
            content_type,
            warnings,
        }
    }

    /// Opens a watch and collects its lines until `n` events arrived, the stream ended or `wait` passed.
    pub async fn watch_lines(&self, path: &str, n: usize, wait: std::time::Duration) -> Vec<Value> {
        let req = http::Request::builder()
            .method("GET")
            .uri(path)
            .body(kube::client::Body::from(Vec::new()))
            .unwrap();
        let resp = self.client.send(req).await.expect("watch sent");
        assert_eq!(resp.status().as_u16(), 200, "watch {path}");
        let mut body = resp.into_body();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + wait;
        while out.len() < n {
            let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
                Ok(Some(Ok(f))) => f,
                _ => break,
            };
            if let Ok(data) = frame.into_data() {
                buf.extend_from_slice(&data);
                while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=pos).collect();
                    if let Ok(v) = serde_json::from_slice::<Value>(&line) {
                        out.push(v);
                    }
                }
            }
        }
        out
    }

    /// Polls `f` every 50 ms until it is true or `secs` pass; returns the last result.
    pub async fn eventually<F, Fut>(&self, secs: u64, mut f: F) -> bool
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            if f().await {
                return true;
            }
            if tokio::time::Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Creates a fresh namespace with a unique name.
    pub async fn namespace(&self, prefix: &str) -> String {
        let name = format!("{prefix}-{:x}", rand_u32());
        let r = self.call("POST", "/api/v1/namespaces", None, Some(&serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))).await;
        assert_eq!(r.code, 201, "{}", r.text);
        name
    }
}

fn rand_u32() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let c = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    (n ^ (std::process::id() << 8)).wrapping_add(c.wrapping_mul(0x9E37_79B9))
}

/// Starts an embedded server (for tests that need the server itself: its URL, tokens, audit).
pub async fn embedded(cfg: ServerConfig) -> ApiServer {
    ApiServer::start(cfg).await.expect("server starts")
}

/// Starts the target: a real cluster if `NUVOLARIS_CONFORMANCE_KUBECONFIG` is set, else an embedded server.
pub async fn target() -> Target {
    target_with(ServerConfig::default()).await
}

/// Like [`target`], with a server configuration for the embedded case.
pub async fn target_with(cfg: ServerConfig) -> Target {
    if let Ok(path) = std::env::var("NUVOLARIS_CONFORMANCE_KUBECONFIG") {
        let kc = Kubeconfig::read_from(&path).expect("kubeconfig readable");
        let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
            .await
            .expect("kubeconfig valid");
        return Target {
            client: kube::Client::try_from(config).expect("client"),
            server: None,
        };
    }
    let server = embedded(cfg).await;
    let kc = Kubeconfig::from_yaml(&server.kubeconfig_yaml("default")).expect("kubeconfig parses");
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("kubeconfig valid");
    Target {
        client: kube::Client::try_from(config).expect("client"),
        server: Some(server),
    }
}

/// Reads a recorded kube-apiserver answer from testdata/k8s-api-traces.
pub fn trace(name: &str) -> Value {
    let p = format!(
        "{}/testdata/k8s-api-traces/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}")))
        .unwrap()
}

/// The keys of a JSON object, sorted.
pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}
