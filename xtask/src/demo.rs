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

//! `cargo xtask demo`: the embedded API server with its workload simulator, the CRDs, the
//! operator, the examples of `examples/` applied (the Sample first), what the operator did and the
//! resulting objects printed, a kubeconfig in `target/demo.kubeconfig`; stops on Ctrl-C.

use crate::paths;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::Command;

/// Arguments of `cargo xtask demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Apply the examples, print the result and exit instead of waiting for Ctrl-C.
    #[arg(long)]
    pub exit_after_apply: bool,
    /// Where to write the kubeconfig (default: target/demo.kubeconfig).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
}

/// Runs `cargo xtask demo`.
pub fn run(args: Args) -> Result<()> {
    let mut cmd = Command::new(paths::cargo());
    cmd.current_dir(paths::workspace_root()).args([
        "run",
        "--quiet",
        "--package",
        "nuvolaris-e2e",
        "--bin",
        "nuvolaris-e2e",
        "--",
        "demo",
    ]);
    if args.exit_after_apply {
        cmd.arg("--exit-after-apply");
    }
    if let Some(k) = &args.kubeconfig {
        cmd.arg("--kubeconfig").arg(k);
    }
    let status = cmd
        .status()
        .context("cannot run cargo run -p nuvolaris-e2e")?;
    if !status.success() {
        bail!("the demo failed ({status})");
    }
    Ok(())
}
