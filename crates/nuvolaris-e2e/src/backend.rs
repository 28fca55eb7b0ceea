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

//! Backends the suite runs against: the embedded API server (in-process), the current cluster,
//! `envtest` (`etcd` + `kube-apiserver` binaries started on loopback) and `kind`.

use crate::kube_util::{self, retry};
use crate::operator::{self, free_port, Profile};
use crate::testkit::TestEnv;
use crate::{Error, Result};
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::Client;
use nuvolaris_apiserver::faults::FaultHandle;
use nuvolaris_apiserver::{ApiServer, ServerConfig};
use serde_json::{json, Value};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::str::FromStr;
use std::time::Duration;
use tokio::process::{Child, Command};

/// Which API server the suite talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// The in-memory API server of `nuvolaris-apiserver`, started in-process, workload simulator
    /// and RBAC on.
    Embedded,
    /// The cluster of the current kubeconfig (`$KUBECONFIG`, else `~/.kube/config`).
    Cluster,
    /// `etcd` and `kube-apiserver` from `$KUBEBUILDER_ASSETS` or `PATH`, on loopback.
    Envtest,
    /// A kind cluster with the operator image built from the Dockerfile, running in-cluster.
    Kind,
}

impl BackendKind {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Embedded => "embedded",
            BackendKind::Cluster => "cluster",
            BackendKind::Envtest => "envtest",
            BackendKind::Kind => "kind",
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BackendKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "embedded" => Ok(BackendKind::Embedded),
            "cluster" => Ok(BackendKind::Cluster),
            "envtest" => Ok(BackendKind::Envtest),
            "kind" => Ok(BackendKind::Kind),
            other => Err(format!(
                "unknown backend {other:?} (embedded, cluster, envtest, kind)"
            )),
        }
    }
}

/// Options of [`Backend::start`].
#[derive(Clone, Debug)]
pub struct BackendOpts {
    /// The operator binary (default: [`operator::locate`] with `profile`).
    pub operator_bin: Option<PathBuf>,
    /// Profile to build the operator with when no binary is given.
    pub profile: Profile,
    /// Fault injection switchboard for the embedded server.
    pub faults: Option<FaultHandle>,
    /// Delay of the embedded server's workload simulator.
    pub simulate_delay: Duration,
    /// Kubeconfig of the `cluster` backend (default: `$KUBECONFIG`, else `~/.kube/config`).
    pub kubeconfig: Option<PathBuf>,
    /// Folder with `etcd` and `kube-apiserver` for the envtest backend (default:
    /// `$KUBEBUILDER_ASSETS`, else `PATH`).
    pub envtest_assets: Option<PathBuf>,
}

impl Default for BackendOpts {
    fn default() -> Self {
        BackendOpts {
            operator_bin: None,
            profile: Profile::Debug,
            faults: None,
            simulate_delay: Duration::from_millis(150),
            kubeconfig: None,
            envtest_assets: None,
        }
    }
}

/// A started backend: an admin kubeconfig and client, and what runs the workloads.
pub struct Backend {
    /// Which backend.
    pub kind: BackendKind,
    /// Admin kubeconfig file.
    pub kubeconfig: PathBuf,
    /// Admin client.
    pub client: Client,
    /// The operator binary used for process scenarios.
    pub operator_bin: PathBuf,
    /// Whether the API server enforces RBAC.
    pub rbac: bool,
    /// Whether the operator runs in-cluster (kind) instead of as a local process.
    pub operator_in_cluster: bool,
    /// Fault switchboard (embedded only).
    pub faults: Option<FaultHandle>,
    /// Scratch directory (logs, kubeconfigs).
    pub workdir: tempfile::TempDir,
    server: Option<ApiServer>,
    procs: Vec<Child>,
    simulator: Option<tokio::task::JoinHandle<()>>,
}

fn workdir() -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("nuvolaris-e2e-")
        .tempdir()
        .map_err(|e| Error::io("create a temporary directory", e))
}

impl Backend {
    /// Starts (or connects to) a backend.
    pub async fn start(kind: BackendKind, opts: BackendOpts) -> Result<Backend> {
        match kind {
            BackendKind::Embedded => Self::embedded(opts).await,
            BackendKind::Cluster => Self::cluster(opts).await,
            BackendKind::Envtest => Self::envtest(opts).await,
            BackendKind::Kind => Self::kind(opts).await,
        }
    }

    fn operator_bin(opts: &BackendOpts) -> Result<PathBuf> {
        match &opts.operator_bin {
            Some(p) => Ok(p.clone()),
            None => operator::locate(opts.profile),
        }
    }

    async fn embedded(opts: BackendOpts) -> Result<Backend> {
        let operator_bin = Self::operator_bin(&opts)?;
        let faults = opts.faults.clone().unwrap_or_default();
        let TestEnv {
            server,
            client,
            kubeconfig,
            dir,
        } = TestEnv::try_start(ServerConfig {
            simulate_workloads: true,
            simulate_delay: opts.simulate_delay,
            faults: faults.clone(),
            rbac: true,
            ..Default::default()
        })
        .await?;
        Ok(Backend {
            kind: BackendKind::Embedded,
            kubeconfig,
            client,
            operator_bin,
            rbac: true,
            operator_in_cluster: false,
            faults: Some(faults),
            workdir: dir,
            server: Some(server),
            procs: Vec::new(),
            simulator: None,
        })
    }

    async fn cluster(opts: BackendOpts) -> Result<Backend> {
        let operator_bin = Self::operator_bin(&opts)?;
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        let candidates: Vec<PathBuf> = match &opts.kubeconfig {
            Some(p) => vec![p.clone()],
            None => std::env::var_os("KUBECONFIG")
                .map(|v| std::env::split_paths(&v).collect())
                .unwrap_or_else(|| vec![home.join(".kube").join("config")]),
        };
        let Some(kubeconfig) = candidates.iter().find(|p| p.is_file()).cloned() else {
            return Err(Error::Missing {
                backend: "cluster",
                what: "a kubeconfig".into(),
                looked: candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let client = kube_util::client_for(&kubeconfig).await?;
        client.apiserver_version().await.map_err(|e| {
            Error::kube(format!("reach the cluster of {}", kubeconfig.display()), e)
        })?;
        Ok(Backend {
            kind: BackendKind::Cluster,
            kubeconfig,
            client,
            operator_bin,
            rbac: true,
            operator_in_cluster: false,
            faults: None,
            workdir: workdir()?,
            server: None,
            procs: Vec::new(),
            simulator: None,
        })
    }

    async fn envtest(opts: BackendOpts) -> Result<Backend> {
        let (etcd, apiserver) = match &opts.envtest_assets {
            Some(dir) => envtest_binaries_in(vec![dir.clone()], dir.display().to_string())?,
            None => envtest_binaries()?,
        };
        let operator_bin = Self::operator_bin(&opts)?;
        let dir = workdir()?;
        let d = dir.path();
        let (client_port, peer_port, secure_port) = (free_port()?, free_port()?, free_port()?);
        let etcd_log = std::fs::File::create(d.join("etcd.log"))
            .map_err(|e| Error::io("create etcd.log", e))?;
        let etcd_child = Command::new(&etcd)
            .arg("--data-dir")
            .arg(d.join("etcd"))
            .args(["--name", "default"])
            .arg(format!(
                "--listen-client-urls=http://127.0.0.1:{client_port}"
            ))
            .arg(format!(
                "--advertise-client-urls=http://127.0.0.1:{client_port}"
            ))
            .arg(format!("--listen-peer-urls=http://127.0.0.1:{peer_port}"))
            .arg(format!(
                "--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}"
            ))
            .arg(format!(
                "--initial-cluster=default=http://127.0.0.1:{peer_port}"
            ))
            .arg("--unsafe-no-fsync")
            .stdout(Stdio::null())
            .stderr(Stdio::from(etcd_log))
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| Error::io(format!("start {}", etcd.display()), e))?;
        // service account signing key and the admin token
        let key_file = d.join("sa.key");
        std::fs::write(&key_file, crate::sa_key::service_account_key_pem()?)
            .map_err(|e| Error::io("write sa.key", e))?;
        let token = format!("e2e-{}", rand::random::<u64>());
        let token_file = d.join("tokens.csv");
        std::fs::write(
            &token_file,
            format!("{token},e2e-admin,e2e-admin,system:masters\n"),
        )
        .map_err(|e| Error::io("write tokens.csv", e))?;
        let api_log = std::fs::File::create(d.join("kube-apiserver.log"))
            .map_err(|e| Error::io("create kube-apiserver.log", e))?;
        let api_child = Command::new(&apiserver)
            .arg(format!("--etcd-servers=http://127.0.0.1:{client_port}"))
            .args(["--bind-address=127.0.0.1", "--advertise-address=127.0.0.1"])
            .arg(format!("--secure-port={secure_port}"))
            .arg(format!("--cert-dir={}", d.join("certs").display()))
            .arg(format!("--token-auth-file={}", token_file.display()))
            .args(["--authorization-mode=RBAC", "--allow-privileged=true"])
            .args([
                "--service-cluster-ip-range=10.0.0.0/24",
                "--service-account-issuer=https://kubernetes.default.svc",
            ])
            .arg(format!("--service-account-key-file={}", key_file.display()))
            .arg(format!(
                "--service-account-signing-key-file={}",
                key_file.display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::from(api_log))
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| Error::io(format!("start {}", apiserver.display()), e))?;
        let kubeconfig = d.join("kubeconfig");
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: envtest\n  cluster:\n    server: https://127.0.0.1:{secure_port}\n    insecure-skip-tls-verify: true\nusers:\n- name: envtest\n  user:\n    token: {token}\ncontexts:\n- name: envtest\n  context:\n    cluster: envtest\n    user: envtest\n    namespace: default\ncurrent-context: envtest\n"
            ),
        )
        .map_err(|e| Error::io("write the envtest kubeconfig", e))?;
        let client = kube_util::client_for(&kubeconfig).await?;
        let mut procs = vec![
            ("etcd", etcd_child, d.join("etcd.log")),
            ("kube-apiserver", api_child, d.join("kube-apiserver.log")),
        ];
        wait_serving(&client, &mut procs, Duration::from_secs(60)).await?;
        let simulator = Some(tokio::spawn(simulate_workloads(client.clone())));
        Ok(Backend {
            kind: BackendKind::Envtest,
            kubeconfig,
            client,
            operator_bin,
            rbac: true,
            operator_in_cluster: false,
            faults: None,
            workdir: dir,
            server: None,
            procs: procs.into_iter().map(|(_, c, _)| c).collect(),
            simulator,
        })
    }

    async fn kind(opts: BackendOpts) -> Result<Backend> {
        let kind = find_program("kind", "KIND")
            .ok_or_else(|| missing("kind", "the `kind` program", "$KIND, PATH"))?;
        let docker = find_program("docker", "DOCKER")
            .ok_or_else(|| missing("kind", "the `docker` program", "$DOCKER, PATH"))?;
        let kubectl = find_program("kubectl", "NUVOLARIS_KUBECTL")
            .ok_or_else(|| missing("kind", "`kubectl`", "$NUVOLARIS_KUBECTL, PATH"))?;
        run(std::process::Command::new(&docker).arg("info")).map_err(|e| Error::Missing {
            backend: "kind",
            what: format!("a running Docker engine ({e})"),
            looked: format!("`{} info`", docker.display()),
        })?;
        let root = crate::workspace_root();
        let dir = workdir()?;
        let kubeconfig = dir.path().join("kubeconfig");
        let name =
            std::env::var("NUVOLARIS_KIND_CLUSTER").unwrap_or_else(|_| "nuvolaris-e2e".into());
        let clusters = output(std::process::Command::new(&kind).args(["get", "clusters"]))?;
        if !clusters.lines().any(|l| l.trim() == name) {
            run(std::process::Command::new(&kind)
                .args(["create", "cluster", "--name", &name, "--wait", "180s"])
                .arg("--kubeconfig")
                .arg(&kubeconfig))?;
        } else {
            run(std::process::Command::new(&kind)
                .args(["export", "kubeconfig", "--name", &name])
                .arg("--kubeconfig")
                .arg(&kubeconfig))?;
        }
        let image = "nuvolaris-operator:dev";
        run(std::process::Command::new(&docker)
            .current_dir(&root)
            .args(["build", "-t", image, "."]))?;
        run(std::process::Command::new(&kind).args([
            "load",
            "docker-image",
            image,
            "--name",
            &name,
        ]))?;
        let overlay = root.join("charts-free-kustomize/overlays/kind");
        run(std::process::Command::new(&kubectl)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(["apply", "--server-side", "-k"])
            .arg(&overlay))?;
        run(std::process::Command::new(&kubectl)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args([
                "-n",
                "nuvolaris",
                "rollout",
                "status",
                "deployment/nuvolaris-operator",
                "--timeout=180s",
            ]))?;
        let client = kube_util::client_for(&kubeconfig).await?;
        let operator_bin = opts.operator_bin.clone().unwrap_or_default();
        Ok(Backend {
            kind: BackendKind::Kind,
            kubeconfig,
            client,
            operator_bin,
            rbac: true,
            operator_in_cluster: true,
            faults: None,
            workdir: dir,
            server: None,
            procs: Vec::new(),
            simulator: None,
        })
    }

    /// The embedded server's URL (embedded backend only).
    pub fn server_url(&self) -> Option<String> {
        self.server.as_ref().map(ApiServer::url)
    }

    /// On the embedded server: the 403 answers so far and the requests allowed for the
    /// ServiceAccount `namespace/name` (None on other backends).
    pub fn rbac_audit(&self, namespace: &str, name: &str) -> Option<(Vec<String>, usize)> {
        self.server.as_ref().map(|s| {
            (
                s.forbidden_requests(),
                s.service_account_requests(namespace, name),
            )
        })
    }

    /// Requests served so far (embedded backend only; counted by its fault layer).
    pub fn request_count(&self) -> Option<u64> {
        self.faults.as_ref().map(|f| f.counters().requests)
    }

    /// Stops what the backend started (the kind cluster is kept for the next run).
    pub async fn shutdown(mut self) {
        if let Some(t) = self.simulator.take() {
            t.abort();
        }
        for p in &mut self.procs {
            let _ = p.kill().await;
        }
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
    }
}

/// Waits until the API server answers `GET /api/v1/namespaces/default`. Fails as soon as one of
/// the server processes exits, or after `timeout`, with the tail of each log.
async fn wait_serving(
    client: &Client,
    procs: &mut [(&'static str, Child, PathBuf)],
    timeout: Duration,
) -> Result<()> {
    let ns: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        for (name, child, log) in procs.iter_mut() {
            if let Ok(Some(st)) = child.try_wait() {
                return Err(Error::Command {
                    command: name.to_string(),
                    message: format!(
                        "exited with {st} while starting; {}",
                        operator::log_file_tail(log)
                    ),
                });
            }
        }
        if ns.get("default").await.is_ok() {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            let tails: Vec<String> = procs
                .iter()
                .map(|(_, _, log)| operator::log_file_tail(log))
                .collect();
            return Err(Error::Timeout {
                what: format!("the API server to serve; {}", tails.join("\n")),
                secs: timeout.as_secs_f64(),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn missing(backend: &'static str, what: &str, looked: &str) -> Error {
    Error::Missing {
        backend,
        what: what.into(),
        looked: looked.into(),
    }
}

/// `$ENV` when set, else `name` on `PATH`.
pub fn find_program(name: &str, env: &str) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// `etcd` and `kube-apiserver` from `$KUBEBUILDER_ASSETS`, else `PATH`; names what is missing.
pub fn envtest_binaries() -> Result<(PathBuf, PathBuf)> {
    let assets = std::env::var_os("KUBEBUILDER_ASSETS")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    let path_dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    let dirs: Vec<PathBuf> = assets.iter().cloned().chain(path_dirs).collect();
    let looked = format!(
        "KUBEBUILDER_ASSETS={}; PATH",
        assets
            .as_deref()
            .map(Path::display)
            .map(|d| d.to_string())
            .unwrap_or_else(|| "(unset)".into())
    );
    envtest_binaries_in(dirs, looked)
}

/// `etcd` and `kube-apiserver` from the first of `dirs` that has each.
fn envtest_binaries_in(dirs: Vec<PathBuf>, looked: String) -> Result<(PathBuf, PathBuf)> {
    let find = |n: &str| dirs.iter().map(|d| d.join(n)).find(|p| p.is_file());
    let (etcd, api) = (find("etcd"), find("kube-apiserver"));
    match (etcd, api) {
        (Some(e), Some(a)) => Ok((e, a)),
        (e, a) => {
            let mut what = Vec::new();
            if e.is_none() {
                what.push("`etcd`");
            }
            if a.is_none() {
                what.push("`kube-apiserver`");
            }
            Err(Error::Missing {
                backend: "envtest",
                what: format!(
                    "{} (install them with `setup-envtest use` and export KUBEBUILDER_ASSETS)",
                    what.join(" and ")
                ),
                looked,
            })
        }
    }
}

fn run(cmd: &mut std::process::Command) -> Result<()> {
    let line = format!("{cmd:?}");
    let out = cmd
        .output()
        .map_err(|e| Error::io(format!("start {line}"), e))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(Error::Command {
            command: line,
            message: format!(
                "{}; last {} lines of its output:\n{}",
                out.status,
                operator::LOG_TAIL_LINES,
                operator::tail_lines(&err, operator::LOG_TAIL_LINES)
            ),
        });
    }
    Ok(())
}

fn output(cmd: &mut std::process::Command) -> Result<String> {
    let line = format!("{cmd:?}");
    let out = cmd
        .output()
        .map_err(|e| Error::io(format!("start {line}"), e))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn gvk_api(client: &Client, group: &str, kind: &str, plural: &str) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, "v1", kind), plural);
    Api::all_with(client.clone(), &ar)
}

/// The status a Deployment/StatefulSet controller would write for `obj` (None when current).
pub fn simulated_status(kind: &str, obj: &Value) -> Option<Value> {
    let gen = obj
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    match kind {
        "Job" => {
            if obj
                .pointer("/status/succeeded")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                > 0
            {
                return None;
            }
            let now = k8s_openapi::jiff::Timestamp::now().to_string();
            Some(
                json!({"status": {"startTime": now, "completionTime": now, "succeeded": 1,
                "conditions": [
                    {"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": now, "lastTransitionTime": now},
                    {"type": "Complete", "status": "True", "lastProbeTime": now, "lastTransitionTime": now}]}}),
            )
        }
        _ => {
            let want = obj
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let st = obj.get("status");
            let cur = |k: &str| {
                st.and_then(|s| s.get(k))
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
            };
            if cur("observedGeneration") == gen
                && cur("readyReplicas") == want
                && cur("replicas") == want
            {
                return None;
            }
            let mut s = json!({"observedGeneration": gen, "replicas": want, "readyReplicas": want,
                "updatedReplicas": want, "availableReplicas": want});
            if kind == "StatefulSet" {
                s["currentReplicas"] = json!(want);
            }
            Some(json!({"status": s}))
        }
    }
}

/// Writes workload status as the missing controllers would (envtest has no controller manager).
async fn simulate_workloads(client: Client) {
    let tables = [
        (
            gvk_api(&client, "apps", "Deployment", "deployments"),
            "Deployment",
        ),
        (
            gvk_api(&client, "apps", "StatefulSet", "statefulsets"),
            "StatefulSet",
        ),
        (
            Api::all_with(
                client.clone(),
                &ApiResource::from_gvk_with_plural(
                    &GroupVersionKind::gvk("batch", "v1", "Job"),
                    "jobs",
                ),
            ),
            "Job",
        ),
    ];
    loop {
        for (api, kind) in &tables {
            let Ok(list) = api.list(&ListParams::default()).await else {
                continue;
            };
            for o in list.items {
                let v = kube_util::to_json(&o);
                let Some(patch) = simulated_status(kind, &v) else {
                    continue;
                };
                let ns = o.metadata.namespace.clone().unwrap_or_default();
                let name = o.metadata.name.clone().unwrap_or_default();
                let nsapi: Api<DynamicObject> =
                    Api::namespaced_with(client.clone(), &ns, &api_resource_of(kind));
                let _ = retry(|| async {
                    nsapi
                        .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                        .await
                })
                .await;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn api_resource_of(kind: &str) -> ApiResource {
    match kind {
        "Job" => {
            ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("batch", "v1", "Job"), "jobs")
        }
        "StatefulSet" => ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("apps", "v1", "StatefulSet"),
            "statefulsets",
        ),
        _ => ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("apps", "v1", "Deployment"),
            "deployments",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("embedded", Some(BackendKind::Embedded))]
    #[case("cluster", Some(BackendKind::Cluster))]
    #[case("envtest", Some(BackendKind::Envtest))]
    #[case("kind", Some(BackendKind::Kind))]
    #[case("minikube", None)]
    #[case("", None)]
    fn backend_names(#[case] s: &str, #[case] want: Option<BackendKind>) {
        assert_eq!(s.parse::<BackendKind>().ok(), want);
        if let Some(k) = want {
            assert_eq!(k.to_string(), s);
        }
    }

    #[rstest]
    #[case::fresh_deployment("Deployment", json!({"metadata": {"generation": 1}, "spec": {"replicas": 3}}), Some(3))]
    #[case::current_deployment("Deployment", json!({"metadata": {"generation": 2}, "spec": {"replicas": 3}, "status": {"observedGeneration": 2, "replicas": 3, "readyReplicas": 3}}), None)]
    #[case::scaled_deployment("Deployment", json!({"metadata": {"generation": 3}, "spec": {"replicas": 5}, "status": {"observedGeneration": 2, "replicas": 3, "readyReplicas": 3}}), Some(5))]
    #[case::statefulset_default_one("StatefulSet", json!({"metadata": {"generation": 1}, "spec": {}}), Some(1))]
    fn simulated_workload_status(
        #[case] kind: &str,
        #[case] obj: Value,
        #[case] ready: Option<i64>,
    ) {
        let got = simulated_status(kind, &obj);
        assert_eq!(
            got.as_ref()
                .map(|p| p["status"]["readyReplicas"].as_i64().unwrap()),
            ready
        );
        if let Some(p) = got {
            assert_eq!(
                p["status"]["observedGeneration"],
                obj["metadata"]["generation"]
            );
        }
    }

    #[rstest]
    #[case(json!({"status": {}}), true)]
    #[case(json!({"status": {"succeeded": 1}}), false)]
    fn simulated_job_status(#[case] obj: Value, #[case] writes: bool) {
        let got = simulated_status("Job", &obj);
        assert_eq!(got.is_some(), writes);
        if let Some(p) = got {
            assert_eq!(p["status"]["succeeded"], 1);
            assert!(p["status"]["conditions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["type"] == "Complete"));
        }
    }
}
