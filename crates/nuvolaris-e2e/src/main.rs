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

//! `nuvolaris-e2e`: runs the scenario suite, the demo or the benchmarks (`cargo xtask e2e`,
//! `cargo xtask demo` and `cargo xtask bench` call it).

use clap::{Parser, Subcommand};
use nuvolaris_e2e::backend::{Backend, BackendKind, BackendOpts};
use nuvolaris_e2e::operator::Profile;
use nuvolaris_e2e::{bench, demo, run_all};
use std::path::PathBuf;
use std::process::ExitCode;

/// Command line of `nuvolaris-e2e`.
#[derive(Debug, Parser)]
#[command(
    name = "nuvolaris-e2e",
    about = "End-to-end suite, demo and benchmarks of the Nuvolaris operator"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the scenario suite against a backend and print a per-scenario table.
    E2e {
        /// embedded | cluster | envtest | kind
        #[arg(long, default_value = "embedded")]
        backend: BackendKind,
        /// Run only these scenarios (repeat or comma separate).
        #[arg(long, value_delimiter = ',')]
        scenario: Vec<String>,
        /// The operator binary (default: $NUVOLARIS_OPERATOR_BIN, else built with cargo).
        #[arg(long)]
        operator_bin: Option<PathBuf>,
        /// Kubeconfig of the cluster backend (default: $KUBECONFIG, else ~/.kube/config).
        #[arg(long)]
        kubeconfig: Option<PathBuf>,
    },
    /// Embedded API server + operator + examples/, then wait for Ctrl-C.
    Demo(demo::DemoArgs),
    /// Bursts of Samples: time to Ready, RSS, CPU, requests per Sample, idle writes.
    Bench(bench::BenchArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .try_init();
    match Cli::parse().command {
        Cmd::E2e {
            backend,
            scenario,
            operator_bin,
            kubeconfig,
        } => {
            let opts = BackendOpts {
                operator_bin,
                kubeconfig,
                ..Default::default()
            };
            let b = match Backend::start(backend, opts).await {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("error: cannot start the {backend} backend: {e}");
                    return ExitCode::from(2);
                }
            };
            let filter = (!scenario.is_empty()).then_some(scenario.as_slice());
            let report = run_all(&b, filter).await;
            b.shutdown().await;
            println!("{report}");
            if report.success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Cmd::Demo(args) => match demo::run(args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        Cmd::Bench(args) => match bench::run(args, Profile::Release).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
