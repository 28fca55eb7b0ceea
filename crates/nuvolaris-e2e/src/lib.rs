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

//! End-to-end tooling for the Nuvolaris operator: the scenario suite run against a backend
//! (embedded API server, current cluster, envtest binaries, kind), the demo and the benchmarks.
//!
//! The operator always runs as a real process (the `nuvolaris-operator` binary, found by
//! [`operator::locate`]) talking HTTP to the backend's API server.

pub mod backend;
pub mod bench;
pub mod demo;
pub mod error;
pub mod kube_util;
pub mod operator;
pub mod report;
pub mod sa_key;
pub mod scenarios;
pub mod testkit;
pub mod workspace;

pub use backend::{Backend, BackendKind};
pub use error::{Error, Result};
pub use report::{Report, ScenarioOutcome, ScenarioResult};
pub use scenarios::{run_all, SCENARIOS};
pub use workspace::workspace_root;
