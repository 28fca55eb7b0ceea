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

//! `cargo xtask ci`: what the CI workflow runs, in one command: formatting, clippy with
//! warnings denied, then `cargo xtask test`.

use crate::{paths, test, toolchain as tools};
use anyhow::Result;

/// Arguments of `cargo xtask ci`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `cargo xtask ci`.
pub fn run(_args: Args) -> Result<()> {
    println!("==> cargo fmt --all --check");
    tools::run(paths::cargo_command().args(["fmt", "--all", "--check"]))?;
    println!("==> cargo clippy --workspace --all-targets -- -D warnings");
    tools::run(paths::cargo_command().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    test::run(test::Args::default())
}

#[cfg(test)]
mod tests {
    use crate::paths::workspace_root;

    /// The workspace's `rust-version`, e.g. `1.95`.
    fn rust_version() -> String {
        let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
        manifest
            .lines()
            .find_map(|l| l.strip_prefix("rust-version = "))
            .expect("rust-version in [workspace.package]")
            .trim_matches('"')
            .to_string()
    }

    /// `rust-version` is what CI tests: every workflow's toolchain and the Dockerfile's image.
    #[test]
    fn rust_version_is_the_toolchain_ci_and_the_image_build_with() {
        let version = rust_version();
        let dir = workspace_root().join(".github").join("workflows");
        let mut toolchains = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for line in text.lines().filter(|l| l.trim_start().starts_with("toolchain:")) {
                toolchains += 1;
                let pinned = line.split(':').nth(1).unwrap().trim().trim_matches('"');
                assert!(
                    pinned == version || pinned.starts_with(&format!("{version}.")),
                    "{}: toolchain {pinned} is not rust-version {version}",
                    path.display()
                );
            }
        }
        assert!(toolchains > 0, "no `toolchain:` in {}", dir.display());
        let dockerfile = std::fs::read_to_string(workspace_root().join("Dockerfile")).unwrap();
        assert!(
            dockerfile.contains(&format!("FROM rust:{version}-")),
            "the Dockerfile does not build with rust {version}"
        );
    }
}
