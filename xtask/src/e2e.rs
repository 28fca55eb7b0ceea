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

//! `cargo xtask e2e`: builds the operator, then runs the `nuvolaris-e2e` scenario suite against a
//! backend (`embedded` by default, `cluster`, `envtest`, `kind`), printing a per-scenario table;
//! any failed scenario makes it exit non-zero.

use crate::{paths, toolchain};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;

/// Arguments of `cargo xtask e2e`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// API server to run against: embedded, cluster, envtest or kind.
    #[arg(long, default_value = "embedded", value_parser = ["embedded", "cluster", "envtest", "kind"])]
    pub backend: String,
    /// Run only these scenarios (comma separated; see `nuvolaris-e2e` for the names).
    #[arg(long)]
    pub scenario: Option<String>,
    /// Kubeconfig of the `cluster` backend (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
}

/// Runs `cargo xtask e2e`.
pub fn run(args: Args) -> Result<()> {
    println!("==> building nuvolaris-operator");
    let operator = toolchain::operator_bin()?;
    let mut cmd = paths::cargo_command();
    cmd.env(toolchain::ENV_OPERATOR_BIN, &operator)
        .args([
            "run",
            "--package",
            "nuvolaris-e2e",
            "--bin",
            "nuvolaris-e2e",
            "--",
            "e2e",
            "--backend",
            &args.backend,
        ])
        .arg("--operator-bin")
        .arg(&operator);
    if let Some(s) = &args.scenario {
        cmd.args(["--scenario", s]);
    }
    if let Some(k) = &args.kubeconfig {
        cmd.arg("--kubeconfig").arg(k);
    }
    let status = cmd
        .status()
        .context("cannot run cargo run -p nuvolaris-e2e")?;
    if !status.success() {
        bail!("e2e on the {} backend failed ({status})", args.backend);
    }
    Ok(())
}
