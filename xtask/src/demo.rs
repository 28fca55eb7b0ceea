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
//! operator, the examples applied (the Sample first), what the operator did and the resulting
//! objects printed, a kubeconfig in `target/demo.kubeconfig`; stops on Ctrl-C.
//!
//! The examples are those of `examples/` plus the `example.yaml` each reconciler crate may ship
//! (`crates/reconcilers/<name>/example.yaml`, as `cargo xtask new-reconciler` writes one), so a
//! new reconciler needs no edit of `examples/`.

use crate::{paths, toolchain};
use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};

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
    let root = paths::workspace_root();
    let examples = collect_examples(&root, &root.join("target").join("demo-examples"))?;
    // built here, from a clean environment, so nuvolaris-e2e does not start a nested cargo
    let operator = toolchain::operator_bin()?;
    let mut cmd = paths::cargo_command();
    cmd.env(toolchain::ENV_OPERATOR_BIN, &operator).args([
        "run",
        "--quiet",
        "--package",
        "nuvolaris-e2e",
        "--bin",
        "nuvolaris-e2e",
        "--",
        "demo",
    ]);
    cmd.arg("--examples").arg(&examples);
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

/// Fills `into` (emptied first) with the examples of `root/examples/*.yaml` and, as
/// `<name>.yaml`, every `root/crates/reconcilers/<name>/example.yaml`; returns `into`.
pub fn collect_examples(root: &Path, into: &Path) -> Result<PathBuf> {
    if into.exists() {
        fs::remove_dir_all(into).with_context(|| format!("cannot empty {}", into.display()))?;
    }
    fs::create_dir_all(into).with_context(|| format!("cannot create {}", into.display()))?;
    let mut sources = Vec::new();
    for entry in read_dir(&root.join("examples"))? {
        if entry.extension().is_some_and(|e| e == "yaml") {
            sources.push((entry.file_name().unwrap().to_os_string(), entry));
        }
    }
    for dir in read_dir(&root.join(crate::new_reconciler::RECONCILERS_DIR))? {
        let example = dir.join("example.yaml");
        if example.is_file() {
            let mut name = dir.file_name().unwrap().to_os_string();
            name.push(".yaml");
            if sources.iter().any(|(n, _)| *n == name) {
                bail!("{} and examples/{} have the same name", example.display(), name.to_string_lossy());
            }
            sources.push((name, example));
        }
    }
    for (name, source) in sources {
        fs::copy(&source, into.join(&name))
            .with_context(|| format!("cannot copy {}", source.display()))?;
    }
    Ok(into.to_path_buf())
}

/// The entries of `dir`, sorted (none when it does not exist).
fn read_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err).with_context(|| format!("cannot list {}", dir.display())),
    };
    let mut paths = entries
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .with_context(|| format!("cannot list {}", dir.display()))?;
    paths.sort();
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_applies_examples_and_the_example_of_every_reconciler_crate() {
        let root = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = root.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        write("examples/sample.yaml", "S");
        write("examples/notes.txt", "not an example");
        write("crates/reconcilers/redis/example.yaml", "R");
        write("crates/reconcilers/none/src/lib.rs", "");
        let into = root.path().join("target/demo-examples");
        write("target/demo-examples/stale.yaml", "from an earlier run");
        collect_examples(root.path(), &into).unwrap();
        let mut names: Vec<String> = fs::read_dir(&into)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["redis.yaml", "sample.yaml"]);
        assert_eq!(fs::read_to_string(into.join("redis.yaml")).unwrap(), "R");
        write("crates/reconcilers/sample/example.yaml", "clash");
        assert!(collect_examples(root.path(), &into).is_err());
    }
}
