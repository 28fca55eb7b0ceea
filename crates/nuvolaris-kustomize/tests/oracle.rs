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

//! Live oracle: regenerates every corpus expectation with the pinned kubectl (v1.37.1,
//! kustomize v5.8.1) and compares it with the committed one, so drift is caught.
//!
//! kubectl comes from `NUVOLARIS_KUBECTL`, else `kubectl` on PATH. Without it the test says
//! loudly that it did not run, and fails when `NUVOLARIS_REQUIRE_KUBECTL=1` (CI sets it).

mod common;

use common::{cases, missing_substrings, pinned_kubectl};
use pretty_assertions::Comparison;
use std::io::Write as _;
use std::process::Command;

#[test]
fn committed_expectations_match_live_kubectl() {
    let kubectl = match pinned_kubectl() {
        Ok(k) => k,
        Err(why) => {
            let required = std::env::var("NUVOLARIS_REQUIRE_KUBECTL").is_ok_and(|v| v == "1");
            // Straight to the process's stderr, so that the test harness does not hide it.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** ORACLE TEST DID NOT RUN: {why} ***\n"
            );
            assert!(
                !required,
                "NUVOLARIS_REQUIRE_KUBECTL=1 but the pinned kubectl is unavailable: {why}"
            );
            return;
        }
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let all = cases();
    let mut failing = Vec::new();
    for case in &all {
        let out = Command::new(&kubectl)
            .arg("kustomize")
            .arg(&case.dir)
            .output()
            .expect("kubectl runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        std::fs::write(tmp.path().join(format!("{}.yaml", case.name)), &stdout)
            .expect("write temp");
        let problem = match (&case.expected, &case.expected_error) {
            (Some(_), _) if !out.status.success() => Some(format!("kubectl now fails: {stderr}")),
            (Some(want), _) if &stdout != want => Some(format!(
                "kubectl output drifted (- committed, + live):\n{}",
                Comparison::new(want, &stdout)
            )),
            (Some(_), _) => None,
            (None, Some(_)) if out.status.success() => {
                Some(format!("kubectl now succeeds:\n{stdout}"))
            }
            (None, Some(needles)) => {
                let missing = missing_substrings(&stderr, needles);
                (!missing.is_empty()).then(|| format!("kubectl error lacks {missing:?}: {stderr}"))
            }
            (None, None) => Some("case has no expectation".into()),
        };
        if let Some(p) = problem {
            eprintln!("==== DRIFT {} ====\n{p}", case.name);
            failing.push(case.name.clone());
        }
    }
    eprintln!(
        "oracle: {} cases regenerated with {}, {} drifted",
        all.len(),
        kubectl.display(),
        failing.len()
    );
    assert!(
        failing.is_empty(),
        "expectations drifted from live kubectl:\n  {}",
        failing.join("\n  ")
    );
}
