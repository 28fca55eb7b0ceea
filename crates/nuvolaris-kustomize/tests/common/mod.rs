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

//! Shared helpers of the kustomize integration tests: the differential corpus layout and
//! the pinned kubectl.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

/// kubectl version the corpus expectations come from.
pub const KUBECTL_VERSION: &str = "v1.37.1";
/// kustomize version built into that kubectl.
pub const KUSTOMIZE_VERSION: &str = "v5.8.1";

/// One folder of `testdata/corpus`.
#[derive(Debug, Clone)]
pub struct Case {
    /// Folder name, e.g. `26-patches-smp-file`.
    pub name: String,
    /// Absolute folder path.
    pub dir: PathBuf,
    /// What kubectl printed, when the case succeeds.
    pub expected: Option<String>,
    /// Substrings kubectl's (and the engine's) error must contain, when the case fails.
    pub expected_error: Option<Vec<String>>,
}

/// The corpus folder.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join("corpus")
}

/// All cases, sorted by name; `CORPUS_CASE=substring` keeps only matching ones.
pub fn cases() -> Vec<Case> {
    let filter = std::env::var("CORPUS_CASE").ok();
    let mut out = Vec::new();
    for entry in std::fs::read_dir(corpus_dir()).expect("testdata/corpus exists") {
        let dir = entry.expect("readable corpus entry").path();
        if !dir.is_dir() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(f) = &filter {
            if !name.contains(f.as_str()) {
                continue;
            }
        }
        let expected = std::fs::read_to_string(dir.join("expected.yaml")).ok();
        let expected_error = std::fs::read_to_string(dir.join("expected-error.txt"))
            .ok()
            .map(|t| {
                t.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect::<Vec<_>>()
            });
        assert!(
            expected.is_some() != expected_error.is_some(),
            "{name}: needs exactly one of expected.yaml and expected-error.txt"
        );
        out.push(Case {
            name,
            dir,
            expected,
            expected_error,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Tells whether `haystack` contains every needle, ignoring case; returns the missing ones.
pub fn missing_substrings<'a>(haystack: &str, needles: &'a [String]) -> Vec<&'a str> {
    let h = haystack.to_lowercase();
    needles
        .iter()
        .filter(|n| !h.contains(&n.to_lowercase()))
        .map(String::as_str)
        .collect()
}

/// Outcome of running something under a watchdog.
pub enum Watched<T> {
    /// Finished with this value.
    Done(T),
    /// Panicked with this message.
    Panicked(String),
    /// Still running after the timeout (the thread is left behind).
    TimedOut,
}

/// Runs `f` on its own thread and waits at most `timeout`.
pub fn watchdog<T: Send + 'static>(
    timeout: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Watched<T> {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let _ = tx.send(r);
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(v)) => {
            let _ = handle.join();
            Watched::Done(v)
        }
        Ok(Err(p)) => {
            let _ = handle.join();
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic".into());
            Watched::Panicked(msg)
        }
        Err(_) => Watched::TimedOut,
    }
}

/// The pinned kubectl, if installed: `NUVOLARIS_KUBECTL`, else `kubectl` on PATH.
/// `Err` says why it cannot be used (missing, or another version).
pub fn pinned_kubectl() -> Result<PathBuf, String> {
    let candidate = match std::env::var_os("NUVOLARIS_KUBECTL") {
        Some(p) => PathBuf::from(p),
        None => {
            let path = std::env::var_os("PATH").unwrap_or_default();
            match std::env::split_paths(&path)
                .map(|d| d.join("kubectl"))
                .find(|p| p.is_file())
            {
                Some(p) => p,
                None => {
                    return Err(
                        "no kubectl: NUVOLARIS_KUBECTL is not set and kubectl is not on PATH"
                            .into(),
                    )
                }
            }
        }
    };
    let out = Command::new(&candidate)
        .args(["version", "--client"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", candidate.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let ok = text.contains(&format!("Client Version: {KUBECTL_VERSION}"))
        && text.contains(&format!("Kustomize Version: {KUSTOMIZE_VERSION}"));
    if !ok {
        return Err(format!(
            "{} is not kubectl {KUBECTL_VERSION} with kustomize {KUSTOMIZE_VERSION}: {}",
            candidate.display(),
            text.trim()
        ));
    }
    Ok(candidate)
}
