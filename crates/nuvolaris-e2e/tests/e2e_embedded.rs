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

//! The whole scenario suite on the embedded backend (what CI runs): the real operator binary
//! (`$NUVOLARIS_OPERATOR_BIN`, else built with cargo) against the in-process API server.

use nuvolaris_e2e::backend::{Backend, BackendKind, BackendOpts};
use nuvolaris_e2e::{run_all, SCENARIOS};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_backend_passes_every_scenario() {
    let b = Backend::start(BackendKind::Embedded, BackendOpts::default())
        .await
        .expect("embedded backend");
    let report = run_all(&b, None).await;
    b.shutdown().await;
    println!("{report}");
    assert!(report.failures().is_empty(), "{report}");
    assert_eq!(report.results.len(), SCENARIOS.len());
    // the embedded server enforces RBAC: the operator runs under its ServiceAccount there too
    assert_eq!(report.not_applicable(), 0, "{report}");
    assert_eq!(report.passed(), SCENARIOS.len(), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_scenario_name_fails_the_run() {
    let b = Backend::start(BackendKind::Embedded, BackendOpts::default())
        .await
        .expect("embedded backend");
    let report = run_all(&b, Some(&["no-such-scenario".to_string()])).await;
    b.shutdown().await;
    assert!(!report.success());
    assert_eq!(report.failures().len(), 1);
    assert_eq!(report.passed(), 0);
}
