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

//! `cargo xtask bench`: bursts of N Samples against the embedded API server (or `--kubeconfig`)
//! with a release build of the operator; prints time to Ready (p50/p90/p99/max), total
//! convergence time, operator peak RSS and CPU time, API requests per Sample and the writes made
//! during an idle resync. Numbers only, nothing asserted. `--profile loaded` adds the cost of a
//! loaded kube-apiserver and a paced creation rate (see `nuvolaris_e2e::bench`).

use crate::{paths, toolchain};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;

/// Arguments of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Burst sizes, comma separated.
    #[arg(long, default_value = "100,1000")]
    pub samples: String,
    /// Run against this cluster instead of the embedded server.
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Operator resync period during the idle measurement, in seconds.
    #[arg(long, default_value_t = 10)]
    pub resync_secs: u64,
    /// `default` (the embedded server at full speed, Samples created at once) or `loaded`
    /// (request latency, in-flight seats with 429 and staged Deployment status, like a loaded
    /// 2-core kube-apiserver; Samples created at `--rate`).
    #[arg(long, default_value = "default", value_parser = ["default", "loaded"])]
    pub profile: String,
    /// Samples created per second (default: all at once; with `--profile loaded`: 20).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Extra arguments for the operator, e.g. `--operator-arg=--concurrency=32` (repeatable).
    #[arg(long = "operator-arg", allow_hyphen_values = true)]
    pub operator_args: Vec<String>,
}

/// Runs `cargo xtask bench`.
pub fn run(args: Args) -> Result<()> {
    // built here, from a clean environment, so nuvolaris-e2e does not start a nested cargo
    let operator =
        toolchain::build_binary_profile("nuvolaris-operator", "nuvolaris-operator", true)?;
    let mut cmd = paths::cargo_command();
    cmd.env(toolchain::ENV_OPERATOR_BIN, &operator)
        .args([
            "run",
            "--release",
            "--package",
            "nuvolaris-e2e",
            "--bin",
            "nuvolaris-e2e",
            "--",
            "bench",
            "--samples",
            &args.samples,
        ])
        .args(["--resync-secs", &args.resync_secs.to_string()])
        .args(["--profile", &args.profile]);
    if let Some(r) = args.rate {
        cmd.args(["--rate", &r.to_string()]);
    }
    for a in &args.operator_args {
        cmd.arg(format!("--operator-arg={a}"));
    }
    if let Some(k) = &args.kubeconfig {
        cmd.arg("--kubeconfig").arg(k);
    }
    let status = cmd
        .status()
        .context("cannot run cargo run --release -p nuvolaris-e2e")?;
    if !status.success() {
        bail!("the benchmark failed ({status})");
    }
    Ok(())
}
