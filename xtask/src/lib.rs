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

//! `cargo xtask`: repository automation for the Nuvolaris operator, written in Rust instead of
//! shell scripts and Makefiles (as rust-analyzer does).
//!
//! Each subcommand lives in its own module `src/<name>.rs` exposing `pub struct Args`
//! (`clap::Args`) and `pub fn run(args: Args) -> anyhow::Result<()>`. Adding one is a two-line
//! change: the new file, and one line in the `subcommands!` list below.

pub mod diff;
pub mod paths;
pub mod toolchain;

/// Declares the subcommand modules, the `Command` enum and its dispatch in one list.
macro_rules! subcommands {
    ($($module:ident => $variant:ident : $about:literal,)+) => {
        $(pub mod $module;)+

        /// A `cargo xtask` subcommand.
        #[derive(Debug, clap::Subcommand)]
        pub enum Command {
            $(#[doc = $about] $variant($module::Args),)+
        }

        impl Command {
            /// Runs the chosen subcommand.
            pub fn run(self) -> anyhow::Result<()> {
                match self {
                    $(Command::$variant(args) => $module::run(args),)+
                }
            }
        }
    };
}

subcommands! {
    crdgen => Crdgen: "Write crds/ from the Rust CRD types; --check fails when crds/ is stale",
    license => License: "Check (--check, default) or insert (--fix) the Apache-2.0 header on every source file",
    test => Test: "Run every test (installs kubectl and pouchdb-server into .tools/ first), license and CRD checks",
    tools => Tools: "Install the test tools into .tools/ and print the shell exports the tests read",
    ci => Ci: "What CI runs: cargo fmt --check, clippy -D warnings, then `test`",
    e2e => E2e: "Build the operator and run the e2e scenario suite (--backend embedded|cluster|envtest|kind, --scenario NAME)",
    demo => Demo: "Embedded API server + operator + examples/, prints what happened and a kubeconfig; Ctrl-C stops it",
    new_reconciler => NewReconciler: "Scaffold a reconciler crate under crates/reconcilers/<name> (--kind <Kind>) and register it",
    bench => Bench: "Bursts of Samples (--samples 100,1000): time to Ready, RSS, CPU, requests per Sample, idle writes",
}

/// Command line of `cargo xtask`.
#[derive(Debug, clap::Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Repository automation for the Nuvolaris operator"
)]
pub struct Cli {
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::{CommandFactory, Parser};
    use rstest::rstest;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[rstest]
    #[case::crdgen(&["crdgen"], "Crdgen(Args { check: false })")]
    #[case::crdgen_check(&["crdgen", "--check"], "Crdgen(Args { check: true })")]
    #[case::license_default(&["license"], "License(Args { check: false, fix: false })")]
    #[case::license_fix(&["license", "--fix"], "License(Args { check: false, fix: true })")]
    #[case::test_passthrough(&["test", "--", "-p", "x"], "Test(Args { cargo_test_args: [\"-p\", \"x\"] })")]
    #[case::tools(&["tools"], "Tools(Args)")]
    #[case::ci(&["ci"], "Ci(Args)")]
    #[case::new_reconciler(&["new-reconciler", "redis", "--kind", "Redis"], "NewReconciler(Args { name: \"redis\", kind: \"Redis\" })")]
    fn subcommands_parse(#[case] args: &[&str], #[case] expected: &str) {
        let cli = Cli::try_parse_from(std::iter::once("cargo-xtask").chain(args.iter().copied()))
            .unwrap();
        assert_eq!(format!("{:?}", cli.command), expected);
    }

    #[rstest]
    #[case::check_and_fix(&["license", "--check", "--fix"])]
    #[case::unknown(&["nope"])]
    #[case::new_reconciler_without_kind(&["new-reconciler", "redis"])]
    #[case::none(&[])]
    fn bad_command_lines_are_rejected(#[case] args: &[&str]) {
        let parsed =
            Cli::try_parse_from(std::iter::once("cargo-xtask").chain(args.iter().copied()));
        assert!(
            parsed.is_err(),
            "{args:?} parsed as {:?}",
            parsed.map(|c| c.command).ok()
        );
    }

    #[test]
    fn every_subcommand_has_help() {
        for sub in Cli::command().get_subcommands() {
            assert!(
                sub.get_about().is_some(),
                "{} has no help text",
                sub.get_name()
            );
        }
    }
}
