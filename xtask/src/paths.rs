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

//! Where things are: the workspace root and the cargo executable, and how to run cargo from
//! inside `cargo xtask` without invalidating the build cache.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root, found at run time: the parent of `$CARGO_MANIFEST_DIR` (cargo sets it to
/// the xtask crate when it runs `cargo xtask` or an xtask test), else the nearest ancestor of the
/// current directory whose `Cargo.toml` declares a `[workspace]`. Never a path baked in at
/// compile time: one target directory shared by two checkouts must not send a checkout's
/// `cargo xtask` to the other one.
pub fn workspace_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        if let Some(root) = dir.ancestors().find(|d| is_workspace_root(d)) {
            return root.to_path_buf();
        }
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    cwd.ancestors()
        .find(|d| is_workspace_root(d))
        .map(Path::to_path_buf)
        .unwrap_or(cwd)
}

/// True when `dir/Cargo.toml` declares a `[workspace]`.
fn is_workspace_root(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|text| text.lines().any(|l| l.trim() == "[workspace]"))
}

/// The cargo executable running us (`$CARGO`), else `cargo` from `PATH`.
pub fn cargo() -> PathBuf {
    std::env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("cargo"))
}

/// Variables cargo sets for the program it runs (`cargo run`, a test binary) that must not reach
/// a nested cargo: a build script that tracks one (`ring`'s tracks `CARGO_MANIFEST_DIR` with
/// `rerun-if-env-changed`) would see a different value than in a build started from a shell,
/// and the whole tree above it (`ring`, `rustls`, `kube`, ...) would be rebuilt at every switch
/// between `cargo build`, `cargo xtask demo` and `cargo xtask test`.
pub const CARGO_RUN_VARIABLES: [&str; 6] = [
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
];

/// Env var that tells `nuvolaris-e2e` (its binary and its tests) the workspace root at run time.
pub const ENV_ROOT: &str = "NUVOLARIS_ROOT";

/// `cargo` (see [`cargo`]) in the workspace root, with the environment of a cargo started from a
/// shell: without [`CARGO_RUN_VARIABLES`] and the `CARGO_PKG_*` variables of the running program;
/// [`ENV_ROOT`] names this workspace for what it runs.
pub fn cargo_command() -> Command {
    let root = workspace_root();
    let mut cmd = Command::new(cargo());
    cmd.current_dir(&root).env(ENV_ROOT, &root);
    clean_cargo_env(&mut cmd);
    cmd
}

/// Removes from `cmd`'s environment what cargo set for the running program (see
/// [`CARGO_RUN_VARIABLES`]), so a cargo it starts builds exactly as one started from a shell.
pub fn clean_cargo_env(cmd: &mut Command) {
    for name in CARGO_RUN_VARIABLES {
        cmd.env_remove(name);
    }
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_") || name.starts_with("CARGO_BIN_EXE_") {
            cmd.env_remove(name.as_ref());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every cargo xtask starts goes through [`cargo_command`] (a plain `Command::new(cargo())`
    /// would pass `CARGO_MANIFEST_DIR` on and rebuild `ring` and all above it).
    #[test]
    fn xtask_starts_cargo_only_through_cargo_command() {
        let src = workspace_root().join("xtask").join("src");
        for entry in std::fs::read_dir(&src).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|n| n == "paths.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for needle in [
                "Command::new(paths::cargo())",
                "Command::new(crate::paths::cargo())",
            ] {
                assert!(
                    !text.contains(needle),
                    "{}: use paths::cargo_command() instead of {needle}",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn the_workspace_root_is_found_at_run_time() {
        let root = workspace_root();
        assert!(is_workspace_root(&root), "{}", root.display());
        assert!(root.join("xtask").join("Cargo.toml").is_file());
    }

    #[test]
    fn nested_cargo_commands_do_not_inherit_what_cargo_set_for_us() {
        // cargo sets these when it runs this test binary
        assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
        assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
        let cmd = cargo_command();
        let removed: Vec<String> = cmd
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        for name in ["CARGO_MANIFEST_DIR", "CARGO_PKG_NAME", "CARGO_PKG_VERSION"] {
            assert!(
                removed.iter().any(|r| r == name),
                "{name} reaches nested cargo: {removed:?}"
            );
        }
        assert_eq!(cmd.get_current_dir(), Some(workspace_root().as_path()));
        let root = cmd.get_envs().find(|(name, _)| *name == ENV_ROOT);
        assert_eq!(
            root.and_then(|(_, v)| v),
            Some(workspace_root().as_os_str())
        );
    }
}
