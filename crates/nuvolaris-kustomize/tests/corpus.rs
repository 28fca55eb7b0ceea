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

//! The differential corpus: every `testdata/corpus/<case>/` folder is built with the engine
//! and compared with what the pinned `kubectl kustomize` printed (`expected.yaml`), as text
//! byte for byte and as parsed data; error cases must fail with the recorded substrings.
//!
//! Run one case with `CORPUS_CASE=26-patches cargo test -p nuvolaris-kustomize --test corpus`.

mod common;

use common::{cases, missing_substrings, watchdog, Case, Watched};
use nuvolaris_kustomize::{build_yaml, yaml::parse_documents, FsLoader};
use pretty_assertions::Comparison;
use std::time::Duration;

/// What went wrong with one case, `None` when it passed.
fn check(case: &Case) -> Option<String> {
    let dir = case.dir.clone();
    let result = watchdog(Duration::from_secs(20), move || {
        build_yaml(&FsLoader { root: dir.clone() }, &dir)
    });
    let result = match result {
        Watched::Done(r) => r,
        Watched::Panicked(m) => return Some(format!("engine PANICKED: {m}")),
        Watched::TimedOut => return Some("engine did not finish within 20 s (hang?)".into()),
    };
    match (&case.expected, &case.expected_error, result) {
        (Some(want), _, Ok(got)) => {
            if &got == want {
                return None;
            }
            let mut report = String::from("text differs from kubectl (- kubectl, + engine):\n");
            report.push_str(&format!(
                "{}\n",
                Comparison::new(&Lines(want), &Lines(&got))
            ));
            match (
                parse_documents(want, "expected.yaml"),
                parse_documents(&got, "engine output"),
            ) {
                (Ok(w), Ok(g)) if w == g => {
                    report.push_str("parsed data: EQUAL (only formatting differs)\n")
                }
                (Ok(w), Ok(g)) => {
                    report.push_str("parsed data differs too (- kubectl, + engine):\n");
                    report.push_str(&format!("{}\n", Comparison::new(&w, &g)));
                }
                (_, Err(e)) => report.push_str(&format!("engine output is not valid YAML: {e}\n")),
                (Err(e), _) => report.push_str(&format!("expected.yaml does not parse: {e}\n")),
            }
            Some(report)
        }
        (Some(_), _, Err(e)) => Some(format!("engine failed but kubectl succeeds: {e}")),
        (None, None, _) => Some("case has neither expected.yaml nor expected-error.txt".into()),
        (None, Some(needles), Err(e)) => {
            let msg = e.to_string();
            let missing = missing_substrings(&msg, needles);
            if missing.is_empty() {
                None
            } else {
                Some(format!("engine error lacks {missing:?}: {msg}"))
            }
        }
        (None, _, Ok(out)) => Some(format!(
            "engine succeeded but kubectl fails ({:?}); engine printed:\n{out}",
            case.expected_error
        )),
    }
}

/// Text shown line by line in diffs.
struct Lines<'a>(&'a str);

impl std::fmt::Debug for Lines<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

#[test]
fn corpus_matches_kubectl() {
    let all = cases();
    assert!(
        !all.is_empty(),
        "no corpus cases found (or CORPUS_CASE matched none)"
    );
    let mut failing = Vec::new();
    for case in &all {
        if let Some(report) = check(case) {
            eprintln!("==== FAIL {} ====\n{report}", case.name);
            failing.push(case.name.clone());
        }
    }
    eprintln!(
        "corpus: {} cases, {} passing, {} failing",
        all.len(),
        all.len() - failing.len(),
        failing.len()
    );
    assert!(
        failing.is_empty(),
        "{} of {} corpus cases fail:\n  {}",
        failing.len(),
        all.len(),
        failing.join("\n  ")
    );
}

#[test]
fn corpus_is_large_and_covers_errors() {
    if std::env::var("CORPUS_CASE").is_ok() {
        return;
    }
    let all = cases();
    let errors = all.iter().filter(|c| c.expected_error.is_some()).count();
    assert!(all.len() >= 70, "corpus has only {} cases", all.len());
    assert!(errors >= 10, "corpus has only {errors} error cases");
    assert!(
        all.iter().any(|c| c.name.ends_with("-sample")),
        "training fixture case missing"
    );
}
