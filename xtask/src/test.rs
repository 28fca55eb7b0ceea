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

//! `cargo xtask test`: the README's single test command. Installs the test tools into `.tools/`
//! when missing, checks license headers and the drift of the generated files, runs
//! `cargo test --workspace` with the tools exported to the tests, then the slow `#[ignore]`d
//! acceptance test of `cargo xtask new-reconciler`.

use crate::{crdgen, license, paths, toolchain as tools};
use anyhow::{bail, Result};

/// Arguments of `cargo xtask test`.
#[derive(Debug, Default, clap::Args)]
pub struct Args {
    /// Extra arguments passed to `cargo test` after `--` (e.g. a test name filter).
    #[arg(last = true)]
    pub cargo_test_args: Vec<String>,
}

/// Runs `cargo xtask test`; every step runs even when an earlier one failed, then all failures
/// are reported together.
pub fn run(args: Args) -> Result<()> {
    let root = paths::workspace_root();
    let tools = tools::install(&root)?;
    let mut failures: Vec<String> = Vec::new();

    println!("==> cargo xtask license --check");
    if let Err(err) = license::run(license::Args { check: true, fix: false }) {
        eprintln!("{err:#}");
        failures.push("license --check".into());
    }
    println!("==> cargo xtask crdgen --check");
    if let Err(err) = crdgen::run(crdgen::Args { check: true }) {
        eprintln!("{err:#}");
        failures.push("crdgen --check".into());
    }

    println!("==> cargo build -p nuvolaris-operator (for the black-box tests)");
    let operator = match tools::build_binary("nuvolaris-operator", "nuvolaris-operator") {
        Ok(path) => Some(path),
        Err(err) => {
            eprintln!("{err:#}");
            failures.push("build nuvolaris-operator".into());
            None
        }
    };

    println!("==> cargo test --workspace --no-fail-fast");
    let mut cargo_test = paths::cargo_command();
    cargo_test
        // every test binary runs even after one fails, so one run reports every failure
        .args(["test", "--workspace", "--no-fail-fast"])
        .args(&args.cargo_test_args)
        .env(tools::ENV_KUBECTL, &tools.kubectl)
        .env(tools::ENV_POUCHDB_SERVER, &tools.pouchdb_server)
        .env(tools::ENV_REQUIRE_KUBECTL, "1")
        .env(tools::ENV_REQUIRE_POUCHDB, "1")
        .env(tools::ENV_MOTO_SERVER, &tools.moto_server)
        .env(tools::ENV_MINIO_PYTHON, &tools.python)
        .envs(tools::ENV_REQUIRE_SERVICES.map(|flag| (flag, "1")));
    if let Some(operator) = &operator {
        cargo_test.env(tools::ENV_OPERATOR_BIN, operator);
    }
    if let Err(err) = tools::run(&mut cargo_test) {
        eprintln!("{err:#}");
        failures.push("cargo test --workspace".into());
    }

    // slow (it builds a copy of the workspace): only in a full run, not with a filter
    if args.cargo_test_args.is_empty() {
        println!("==> cargo test -p xtask --test new_reconciler -- --ignored (scaffolds in a copy)");
        let mut scaffold_test = paths::cargo_command();
        scaffold_test.args(["test", "-p", "xtask", "--test", "new_reconciler", "--", "--ignored"]);
        if let Err(err) = tools::run(&mut scaffold_test) {
            eprintln!("{err:#}");
            failures.push("new-reconciler acceptance test".into());
        }
    }

    if failures.is_empty() {
        println!("==> all tests passed");
        Ok(())
    } else {
        bail!("failed: {}", failures.join(", "))
    }
}
