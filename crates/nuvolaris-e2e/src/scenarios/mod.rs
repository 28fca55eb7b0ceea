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

//! The scenario suite. Each scenario runs against a started [`Backend`], starts its own operator
//! process(es) when it needs them, uses its own namespace, is bounded in time, and ends as passed,
//! failed (with the reason) or not applicable to the backend (with the reason).
//!
//! One file per scenario; this module is the registry ([`SCENARIOS`]) and the runner ([`run_all`]).

mod admission;
mod cleanup_after_downtime;
mod conflict;
mod crds;
mod health;
mod invalid_spec;
mod leader_election;
mod rbac;
mod sample_lifecycle;
mod sigkill_burst;
mod support;
mod whisk;

use crate::backend::Backend;
use crate::report::{Report, ScenarioOutcome, ScenarioResult};
use crate::Result;
use futures::future::BoxFuture;
use std::time::{Duration, Instant};

pub use support::{Done, OPERATOR_SA};

type ScenarioFn = for<'a> fn(&'a Backend) -> BoxFuture<'a, Result<Done>>;

/// One scenario of the suite.
pub struct Scenario {
    /// Name (`--scenario NAME`).
    pub name: &'static str,
    /// What it shows.
    pub about: &'static str,
    /// Upper bound of its run time.
    pub timeout: Duration,
    run: ScenarioFn,
}

/// Every scenario, in run order.
pub static SCENARIOS: &[Scenario] = &[
    Scenario { name: "crds", about: "install the CRDs from crds/; samples and whisks are served", timeout: Duration::from_secs(60), run: crds::crds },
    Scenario { name: "sample-lifecycle", about: "create count 2 -> Deployment with 2 replicas, ownerRef, labels; 2 -> 5; manual scale to 7 reverted; steady state writes nothing; delete removes the Deployment then the Sample", timeout: Duration::from_secs(150), run: sample_lifecycle::sample_lifecycle },
    Scenario { name: "cleanup-after-downtime", about: "Sample deleted while the operator was down is cleaned up when it starts", timeout: Duration::from_secs(120), run: cleanup_after_downtime::cleanup_after_downtime },
    Scenario { name: "conflict", about: "a Deployment owned by someone else is not taken over: Ready=False Conflict, Warning Event, no write, survives the Sample's deletion", timeout: Duration::from_secs(90), run: conflict::conflict },
    Scenario { name: "invalid-spec", about: "Samples reaching the operator past a schema-less CRD get InvalidSpec, a Warning Event and no children; a valid neighbour stays Ready", timeout: Duration::from_secs(120), run: invalid_spec::invalid_spec },
    Scenario { name: "admission", about: "invalid Samples are rejected at admission with 422", timeout: Duration::from_secs(60), run: admission::admission },
    Scenario { name: "rbac", about: "the operator under its own ServiceAccount and the shipped ClusterRole: full lifecycle, zero Forbidden in its logs", timeout: Duration::from_secs(150), run: rbac::rbac },
    Scenario { name: "health", about: "/healthz, /readyz and /metrics with the controller-runtime series", timeout: Duration::from_secs(90), run: health::health },
    Scenario { name: "leader-election", about: "two operators with --leader-elect; the leader is SIGKILLed; the other takes over within the lease duration and reconciles", timeout: Duration::from_secs(120), run: leader_election::leader_election },
    Scenario { name: "sigkill-burst", about: "SIGKILL in the middle of a burst of Samples, restart, everything converges and deletes cleanly", timeout: Duration::from_secs(240), run: sigkill_burst::sigkill_burst },
    Scenario { name: "whisk", about: "minimal Whisk: CouchDB, then couchdb-init, controller only after the Job completed, Ready, toggle off/on, delete leaves nothing", timeout: Duration::from_secs(240), run: whisk::whisk },
];

/// Runs the scenarios whose name is in `filter` (all when `None`); unknown names fail.
pub async fn run_all(backend: &Backend, filter: Option<&[String]>) -> Report {
    let mut report = Report {
        backend: backend.kind.to_string(),
        results: Vec::new(),
    };
    if let Some(names) = filter {
        for n in names {
            if !SCENARIOS.iter().any(|s| s.name == n) {
                report.results.push(ScenarioResult {
                    name: n.clone(),
                    outcome: ScenarioOutcome::Failed(format!(
                        "no such scenario (known: {})",
                        SCENARIOS
                            .iter()
                            .map(|s| s.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    duration: Duration::ZERO,
                    notes: Vec::new(),
                });
            }
        }
    }
    for s in SCENARIOS {
        if filter.is_some_and(|f| !f.iter().any(|n| n == s.name)) {
            continue;
        }
        eprintln!("==> scenario {}: {}", s.name, s.about);
        let start = Instant::now();
        let res = tokio::time::timeout(s.timeout, (s.run)(backend)).await;
        let (outcome, notes) = match res {
            Ok(Ok(Done::Passed(n))) => (ScenarioOutcome::Passed, n),
            Ok(Ok(Done::NotApplicable(why))) => (ScenarioOutcome::NotApplicable(why), Vec::new()),
            Ok(Err(e)) => (ScenarioOutcome::Failed(e.to_string()), Vec::new()),
            Err(_) => (
                ScenarioOutcome::Failed(format!("did not finish within {}s", s.timeout.as_secs())),
                Vec::new(),
            ),
        };
        eprintln!("    {:?} in {:.1}s", outcome, start.elapsed().as_secs_f64());
        report.results.push(ScenarioResult {
            name: s.name.to_string(),
            outcome,
            duration: start.elapsed(),
            notes,
        });
    }
    report
}
