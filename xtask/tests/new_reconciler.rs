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

//! Acceptance test of `cargo xtask new-reconciler`: in a copy of the workspace (tracked and
//! unignored files, committed to a fresh git repository), scaffold a reconciler, then check that
//! the command wrote nothing outside the new crate but the dependency and registration lines,
//! that the operator builds, `nuvolaris-operator crd` serves the new kind and `render` renders
//! the crate's example, that the RBAC and CRD drift check fails until `cargo xtask crdgen`
//! regenerates and passes after, and that the generated crate is formatted and its unit and
//! integration tests pass.
//!
//! It builds a second copy of the operator, so it is `#[ignore]`d in a plain `cargo test` and run
//! by `cargo xtask test` (`cargo test -p xtask --test new_reconciler -- --ignored`). The copy is
//! `target/new-reconciler-test/workspace` (same path and, for unchanged files, same mtimes at
//! every run) and builds into `target/new-reconciler-test/target`, kept between runs: only the
//! first run compiles the dependencies, later ones the new crate and what depends on it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use xtask::new_reconciler::{scaffold, Names};
use xtask::paths::{self, workspace_root};

/// Runs `program args` in `dir` with the environment of a shell (no variables cargo set for this
/// test), the copy's target directory, and returns its output.
fn run(dir: &Path, program: &Path, args: &[&str], target: &Path) -> Output {
    let mut cmd = Command::new(program);
    paths::clean_cargo_env(&mut cmd);
    cmd.current_dir(dir)
        .args(args)
        .env("CARGO_TARGET_DIR", target)
        .env_remove(xtask::toolchain::ENV_OPERATOR_BIN)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} {args:?}: {e}", program.display()))
}

/// Like [`run`], failing the test with the output when it fails.
fn ok(dir: &Path, program: &Path, args: &[&str], target: &Path) -> String {
    let out = run(dir, program, args, target);
    assert!(
        out.status.success(),
        "{} {args:?} failed:\n{}\n{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Copies the files git would see in `from` (tracked or untracked, not ignored) into `to`.
fn copy_workspace(from: &Path, to: &Path) {
    let out = Command::new("git")
        .current_dir(from)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git ls-files failed");
    for name in out.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = std::str::from_utf8(name).unwrap();
        let (src, dst) = (from.join(name), to.join(name));
        // deleted but still tracked, or a symlink to a tool folder: not part of the sources
        if !src.is_file() || src.is_symlink() {
            continue;
        }
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(&src, &dst).unwrap();
        // the source's mtime, so cargo sees unchanged files as unchanged and reuses their build
        let modified = std::fs::metadata(&src).unwrap().modified().unwrap();
        std::fs::File::options()
            .write(true)
            .open(&dst)
            .unwrap()
            .set_modified(modified)
            .unwrap();
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=test", "-c", "user.email=test@example.org"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[ignore = "slow (builds a copy of the workspace): run by `cargo xtask test`"]
fn new_reconciler_scaffolds_a_crate_that_builds_registers_and_passes_its_tests() {
    let root = workspace_root();
    let base: PathBuf = root.join("target").join("new-reconciler-test");
    let (ws, target) = (&base.join("workspace"), &base.join("target"));
    if ws.exists() {
        std::fs::remove_dir_all(ws).unwrap();
    }
    copy_workspace(&root, ws);
    git(ws, &["init", "-q"]);
    git(ws, &["add", "-A"]);
    git(ws, &["commit", "-q", "-m", "copy"]);

    let names = Names::new("redis-cache", "RedisCache").unwrap();
    scaffold(ws, &names).unwrap();

    // outside the new crate: exactly one added line in each of the two operator files
    let numstat = git(ws, &["diff", "--numstat"]);
    let mut changed: Vec<&str> = numstat.lines().collect();
    changed.sort();
    assert_eq!(
        changed,
        [
            "1\t0\tcrates/nuvolaris-operator/Cargo.toml",
            "1\t0\tcrates/nuvolaris-operator/src/reconcilers.rs",
        ],
        "git diff --numstat"
    );
    let untracked = git(ws, &["ls-files", "--others", "--exclude-standard"]);
    assert!(!untracked.is_empty());
    for file in untracked.lines() {
        assert!(
            file.starts_with("crates/reconcilers/redis-cache/"),
            "new file outside the crate: {file}"
        );
    }

    let cargo = paths::cargo();
    ok(
        ws,
        &cargo,
        &["fmt", "--check", "-p", "nuvolaris-reconciler-redis-cache"],
        target,
    );
    ok(
        ws,
        &cargo,
        &["build", "-p", "nuvolaris-operator", "-p", "xtask"],
        target,
    );
    let operator = target.join("debug").join("nuvolaris-operator");
    let crds = ok(ws, &operator, &["crd"], target);
    assert!(crds.contains("name: rediscaches.nuvolaris.org"), "{crds}");
    assert!(crds.contains("kind: RedisCache"), "{crds}");
    let rendered = ok(
        ws,
        &operator,
        &[
            "render",
            "-f",
            "crates/reconcilers/redis-cache/example.yaml",
        ],
        target,
    );
    assert!(rendered.contains("name: example-config"), "{rendered}");
    let help = ok(ws, &operator, &["--help"], target);
    assert!(help.contains("couchdb-init"), "{help}");

    // the drift check sees the new CRD and the new RBAC rules, and passes once regenerated
    let xtask = target.join("debug").join("xtask");
    let stale = run(ws, &xtask, &["crdgen", "--check"], target);
    let stderr = String::from_utf8_lossy(&stale.stderr);
    assert!(
        !stale.status.success(),
        "crdgen --check passed before regenerating"
    );
    assert!(
        stderr.contains("crds/rediscaches.nuvolaris.org.yaml: missing"),
        "{stderr}"
    );
    assert!(
        stderr.contains("charts-free-kustomize/operator/cluster-role.yaml: differs"),
        "{stderr}"
    );
    ok(ws, &xtask, &["crdgen"], target);
    ok(ws, &xtask, &["crdgen", "--check"], target);
    let role = std::fs::read_to_string(ws.join("charts-free-kustomize/operator/cluster-role.yaml"))
        .unwrap();
    assert!(role.contains("rediscaches/status"), "{role}");

    ok(
        ws,
        &cargo,
        &["test", "-p", "nuvolaris-reconciler-redis-cache"],
        target,
    );
}
