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

//! Test support for this and other crates (feature `stand-in`): the real test servers started on
//! loopback (`redis-server`, `moto_server`), the recording MinIO admin stand-in, and the
//! `NUVOLARIS_REQUIRE_*` rule: a missing tool is a failure when its flag is `1`, else the test
//! says loudly that it did not run.

pub mod admin;
pub mod moto;
pub mod redis_server;

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Env var naming the `redis-server` executable (else `redis-server` on `PATH`).
pub const ENV_REDIS_SERVER: &str = "NUVOLARIS_REDIS_SERVER";
/// Env var that, set to `1`, makes a missing `redis-server` a test failure.
pub const ENV_REQUIRE_REDIS: &str = "NUVOLARIS_REQUIRE_REDIS";
/// Env var naming the `moto_server` executable (else `moto_server` on `PATH`).
pub const ENV_MOTO_SERVER: &str = "NUVOLARIS_MOTO_SERVER";
/// Env var that, set to `1`, makes a missing `moto_server` (the S3 server) a test failure.
pub const ENV_REQUIRE_S3: &str = "NUVOLARIS_REQUIRE_S3";
/// Env var naming a Python interpreter with PyPI `minio` installed (else `python3` on `PATH`).
pub const ENV_MINIO_PYTHON: &str = "NUVOLARIS_MINIO_PYTHON";
/// Env var that, set to `1`, makes a Python without PyPI `minio` a test failure.
pub const ENV_REQUIRE_MINIO_PY: &str = "NUVOLARIS_REQUIRE_MINIO_PY";

/// The executable named by `$env_path`, else `name` on `PATH`. When missing: panics if
/// `$require_env` is `1`, else prints that `test` did not run and returns `None`.
pub fn tool(env_path: &str, name: &str, require_env: &str, test: &str) -> Option<PathBuf> {
    let found = match std::env::var_os(env_path).filter(|p| !p.is_empty()) {
        Some(path) => Some(PathBuf::from(path)).filter(|p| p.is_file()),
        None => which(name),
    };
    if found.is_none() {
        missing(
            &format!("{name} (set {env_path} or put it on PATH)"),
            require_env,
            test,
        );
    }
    found
}

/// Reports a missing tool: panics if `$require_env` is `1`, else prints that `test` did not run.
pub fn missing(what: &str, require_env: &str, test: &str) {
    assert_ne!(
        std::env::var(require_env).as_deref(),
        Ok("1"),
        "{require_env}=1 but {what} is not available"
    );
    eprintln!("{test} DID NOT RUN: {what} is not available ({require_env}=1 makes this a failure)");
}

/// `name` on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A TCP port free on 127.0.0.1 right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port on 127.0.0.1")
}

/// Polls `probe` until it returns `Some`, panicking with `what` after `timeout`.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A Python interpreter with PyPI `minio` importable: `$NUVOLARIS_MINIO_PYTHON`, else `python3`
/// on `PATH`. When missing: panics if `NUVOLARIS_REQUIRE_MINIO_PY=1`, else prints that `test`
/// did not run and returns `None`.
pub fn minio_python(test: &str) -> Option<PathBuf> {
    let python = match std::env::var_os(ENV_MINIO_PYTHON).filter(|p| !p.is_empty()) {
        Some(path) => Some(PathBuf::from(path)),
        None => which("python3"),
    };
    let usable = python.filter(|python| {
        std::process::Command::new(python)
            .args(["-c", "import minio.crypto, minio.minioadmin"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if usable.is_none() {
        missing(
            &format!("a Python with PyPI minio (set {ENV_MINIO_PYTHON})"),
            ENV_REQUIRE_MINIO_PY,
            test,
        );
    }
    usable
}

/// Runs `python` on `script` with `args`; its stdout, panicking with stderr when it fails.
pub fn run_python(python: &std::path::Path, script: &str, args: &[&str]) -> Vec<u8> {
    let output = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    assert!(
        output.status.success(),
        "python failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}
