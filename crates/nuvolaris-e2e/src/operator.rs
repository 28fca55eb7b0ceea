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

//! The operator as a real process: finding (or building) the binary, starting it against a
//! kubeconfig with its HTTP endpoints on a free loopback port, stopping it with SIGTERM or
//! SIGKILL, and reading its logs.

use crate::{Error, Result};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// Env var naming a prebuilt `nuvolaris-operator` binary.
pub const ENV_OPERATOR_BIN: &str = "NUVOLARIS_OPERATOR_BIN";

/// Build profile of the operator binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// `cargo build` (debug).
    Debug,
    /// `cargo build --release`.
    Release,
}

/// The operator binary: `$NUVOLARIS_OPERATOR_BIN` when set, else built now with cargo (which is
/// quick when it is up to date) and taken from where cargo reports it.
pub fn locate(profile: Profile) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(ENV_OPERATOR_BIN).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if !p.is_file() {
            return Err(Error::Missing {
                backend: "operator",
                what: "the nuvolaris-operator binary".into(),
                looked: format!("{ENV_OPERATOR_BIN}={}", p.display()),
            });
        }
        return Ok(p);
    }
    build(profile)
}

/// Builds `nuvolaris-operator` with cargo and returns the executable path cargo reports.
pub fn build(profile: Profile) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = std::process::Command::new(&cargo);
    cmd.current_dir(crate::workspace_root()).args([
        "build",
        "--package",
        "nuvolaris-operator",
        "--bin",
        "nuvolaris-operator",
        "--message-format=json-render-diagnostics",
    ]);
    if profile == Profile::Release {
        cmd.arg("--release");
    }
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Error::io("run cargo build -p nuvolaris-operator", e))?;
    if !out.status.success() {
        return Err(Error::Command {
            command: "cargo build -p nuvolaris-operator".into(),
            message: format!("{} (compiler output above)", out.status),
        });
    }
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(m) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if m["reason"] == "compiler-artifact" && m["target"]["name"] == "nuvolaris-operator" {
            if let Some(p) = m["executable"].as_str() {
                return Ok(PathBuf::from(p));
            }
        }
    }
    let dir = if profile == Profile::Release {
        "release"
    } else {
        "debug"
    };
    let fallback = crate::workspace_root()
        .join("target")
        .join(dir)
        .join("nuvolaris-operator");
    if fallback.is_file() {
        return Ok(fallback);
    }
    Err(Error::Missing {
        backend: "operator",
        what: "the nuvolaris-operator executable".into(),
        looked: format!("cargo's build messages and {}", fallback.display()),
    })
}

/// A free loopback port (bound then released; fine for tests).
pub fn free_port() -> Result<u16> {
    let l =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| Error::io("bind 127.0.0.1:0", e))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::io("local address", e))
}

/// How to start an operator process.
#[derive(Clone, Debug, Default)]
pub struct OperatorOpts {
    /// Label for logs and errors (e.g. `leader-a`).
    pub name: String,
    /// `--leader-elect` with this lease duration in seconds.
    pub leader_elect: Option<u64>,
    /// `--identity`.
    pub identity: Option<String>,
    /// `--resync-secs`.
    pub resync_secs: Option<u64>,
    /// More arguments of `run`.
    pub extra_args: Vec<String>,
    /// More environment variables.
    pub env: Vec<(String, String)>,
}

/// A running operator process; killed when dropped.
pub struct OperatorProcess {
    /// Label given at start.
    pub name: String,
    child: Child,
    http: SocketAddr,
    log: PathBuf,
    exit: Option<std::process::ExitStatus>,
}

impl OperatorProcess {
    /// Starts `bin run --kubeconfig K --http-addr 127.0.0.1:PORT ...`, logging to `log_dir`.
    pub fn spawn(
        bin: &Path,
        kubeconfig: &Path,
        log_dir: &Path,
        opts: &OperatorOpts,
    ) -> Result<Self> {
        let port = free_port()?;
        let http = SocketAddr::from(([127, 0, 0, 1], port));
        let name = if opts.name.is_empty() {
            "operator".to_string()
        } else {
            opts.name.clone()
        };
        let log = log_dir.join(format!("{name}-{port}.log"));
        let file = std::fs::File::create(&log)
            .map_err(|e| Error::io(format!("create {}", log.display()), e))?;
        let file2 = file
            .try_clone()
            .map_err(|e| Error::io(format!("dup {}", log.display()), e))?;
        let mut cmd = Command::new(bin);
        cmd.arg("run")
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .arg("--http-addr")
            .arg(http.to_string())
            .args(&opts.extra_args)
            .env(
                "RUST_LOG",
                std::env::var("NUVOLARIS_E2E_OPERATOR_LOG")
                    .unwrap_or_else(|_| "info,kube=warn".into()),
            )
            .env_remove("KUBECONFIG")
            .env_remove("NUVOLARIS_HTTP_ADDR")
            .env_remove("NUVOLARIS_LEADER_ELECT")
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(file2))
            .kill_on_drop(true);
        if let Some(secs) = opts.leader_elect {
            cmd.args(["--leader-elect", "--lease-duration", &secs.to_string()]);
        }
        if let Some(id) = &opts.identity {
            cmd.args(["--identity", id]);
        }
        if let Some(r) = opts.resync_secs {
            cmd.args(["--resync-secs", &r.to_string()]);
        }
        for (k, v) in &opts.env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .map_err(|e| Error::io(format!("start {}", bin.display()), e))?;
        Ok(OperatorProcess {
            name,
            child,
            http,
            log,
            exit: None,
        })
    }

    /// Base URL of the HTTP endpoints.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http)
    }

    /// Port of the HTTP endpoints on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.http.port()
    }

    /// Sends SIGTERM without waiting.
    pub fn sigterm(&self) -> Result<()> {
        self.signal("TERM")
    }

    /// Waits for the process to exit.
    pub async fn wait(&mut self) -> Result<std::process::ExitStatus> {
        let st = self
            .child
            .wait()
            .await
            .map_err(|e| Error::io(format!("wait for operator {}", self.name), e))?;
        self.exit = Some(st);
        Ok(st)
    }

    /// Process id (None once it exited).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Path of the log file (stdout and stderr).
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Everything the process logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last `n` lines of the log.
    pub fn log_tail(&self, n: usize) -> String {
        tail_lines(&self.logs(), n)
    }

    /// The exit status if the process has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        if self.exit.is_none() {
            self.exit = self.child.try_wait().ok().flatten();
        }
        self.exit
    }

    /// GET a path of the operator's HTTP server: `(status, body)`.
    pub async fn http_get(&self, path: &str) -> Result<(u16, String)> {
        let url = format!("{}{path}", self.http_url());
        let resp = reqwest::Client::new()
            .get(&url)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|e| Error::Http {
                what: url.clone(),
                source: e,
            })?;
        let code = resp.status().as_u16();
        let body = resp.text().await.map_err(|e| Error::Http {
            what: url,
            source: e,
        })?;
        Ok((code, body))
    }

    /// Waits until `/readyz` answers 200 (or the process exits).
    pub async fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        self.wait_http("/readyz", timeout).await
    }

    /// Waits until `path` answers 200 (or the process exits).
    pub async fn wait_http(&mut self, path: &str, timeout: Duration) -> Result<()> {
        let start = Instant::now();
        loop {
            if let Some(st) = self.exited() {
                return Err(Error::Check(format!(
                    "operator {} exited with {st} before {path} answered 200; {}",
                    self.name,
                    log_file_tail(&self.log)
                )));
            }
            if let Ok((200, _)) = self.http_get(path).await {
                return Ok(());
            }
            if start.elapsed() > timeout {
                return Err(Error::Timeout {
                    what: format!(
                        "operator {} {path} ({})",
                        self.name,
                        log_file_tail(&self.log)
                    ),
                    secs: timeout.as_secs_f64(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends a signal with `kill -SIG pid`.
    fn signal(&self, sig: &str) -> Result<()> {
        let Some(pid) = self.child.id() else {
            return Ok(());
        };
        let st = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(pid.to_string())
            .status()
            .map_err(|e| Error::io("run kill", e))?;
        if !st.success() {
            return Err(Error::Command {
                command: format!("kill -{sig} {pid}"),
                message: st.to_string(),
            });
        }
        Ok(())
    }

    /// SIGKILL, then reap.
    pub async fn kill(&mut self) -> Result<()> {
        self.child
            .kill()
            .await
            .map_err(|e| Error::io(format!("kill operator {}", self.name), e))?;
        self.exit = self.child.try_wait().ok().flatten();
        Ok(())
    }

    /// SIGTERM and wait up to `timeout` for a clean exit; returns the exit status.
    pub async fn terminate(&mut self, timeout: Duration) -> Result<std::process::ExitStatus> {
        if let Some(st) = self.exited() {
            return Ok(st);
        }
        self.signal("TERM")?;
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(Ok(st)) => {
                self.exit = Some(st);
                Ok(st)
            }
            Ok(Err(e)) => Err(Error::io(format!("wait for operator {}", self.name), e)),
            Err(_) => {
                let _ = self.kill().await;
                Err(Error::Timeout {
                    what: format!("operator {} to exit after SIGTERM (killed)", self.name),
                    secs: timeout.as_secs_f64(),
                })
            }
        }
    }

    /// Peak resident set size in KiB (`VmHWM` of `/proc/<pid>/status`).
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let pid = self.child.id()?;
        let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        s.lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// CPU time (user + system) in seconds from `/proc/<pid>/stat`.
    pub fn cpu_seconds(&self) -> Option<f64> {
        let pid = self.child.id()?;
        let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // fields after the parenthesised command name; utime and stime are fields 14 and 15
        let rest = &s[s.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = f.get(11)?.parse().ok()?;
        let stime: f64 = f.get(12)?.parse().ok()?;
        Some((utime + stime) / clock_ticks())
    }
}

/// Clock ticks per second (`getconf CLK_TCK`, 100 when unknown).
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// How many lines of a server's or operator's log a startup failure shows.
pub const LOG_TAIL_LINES: usize = 40;

/// The last `n` lines of `text`.
pub fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The last [`LOG_TAIL_LINES`] lines of the log file `path`, introduced by its path (or why it
/// cannot be read), for error messages.
pub fn log_file_tail(path: &Path) -> String {
    match std::fs::read(path) {
        Ok(b) => format!(
            "last {LOG_TAIL_LINES} lines of {}:\n{}",
            path.display(),
            tail_lines(&String::from_utf8_lossy(&b), LOG_TAIL_LINES)
        ),
        Err(e) => format!("cannot read {}: {e}", path.display()),
    }
}

/// Lines of a log that show a panic.
pub fn panics(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.contains("panicked"))
        .map(String::from)
        .collect()
}
