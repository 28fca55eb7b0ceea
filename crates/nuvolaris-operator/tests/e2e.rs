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

//! End-to-end: the real `nuvolaris-operator` binary as a process, talking HTTP to the embedded
//! API server: health, readiness, metrics, a Sample lifecycle, SIGTERM, missing CRD, leader
//! election.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::Client;
use nuvolaris_api::sample::Sample;
use nuvolaris_apiserver::ServerConfig;
use nuvolaris_e2e::operator::{OperatorOpts, OperatorProcess};
use nuvolaris_e2e::testkit::{self, TestEnv};
use serde_json::json;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WAIT: Duration = Duration::from_secs(30);

/// The shared setup: embedded server (workload simulator on), admin client, kubeconfig.
struct Env {
    env: TestEnv,
    client: Client,
    kubeconfig: PathBuf,
}

async fn start(install_crd: bool) -> Env {
    let env = TestEnv::start(ServerConfig {
        simulate_workloads: true,
        ..Default::default()
    })
    .await;
    env.namespace("demo").await;
    let env = Env {
        client: env.client.clone(),
        kubeconfig: env.kubeconfig.clone(),
        env,
    };
    if install_crd {
        crd(&env).await;
    }
    env
}

impl Env {
    async fn shutdown(self) {
        self.env.shutdown().await;
    }
}

/// Installs every CRD of the operator (the default `run` enables every reconciler).
async fn crd(env: &Env) {
    env.env
        .install_crds(
            nuvolaris_operator::reconcilers::registry()
                .iter()
                .map(|r| r.crd()),
        )
        .await;
}

/// The operator binary of this crate as a process (the shared `OperatorProcess`).
struct Operator {
    proc: OperatorProcess,
    port: u16,
}

/// Starts the operator with `extra` arguments, logging to `log`'s folder.
fn spawn_operator(kubeconfig: &Path, extra: &[&str], log: PathBuf) -> Operator {
    let name = log
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = log.parent().expect("a log folder");
    let proc = OperatorProcess::spawn(
        Path::new(env!("CARGO_BIN_EXE_nuvolaris-operator")),
        kubeconfig,
        dir,
        &OperatorOpts {
            name,
            extra_args: extra.iter().map(|a| a.to_string()).collect(),
            env: vec![
                ("RUST_LOG".into(), "info".into()),
                ("OTEL_EXPORTER_OTLP_ENDPOINT".into(), String::new()),
            ],
            ..Default::default()
        },
    )
    .unwrap();
    let port = proc.port();
    Operator { proc, port }
}

impl Operator {
    fn log(&self) -> String {
        self.proc.logs()
    }
}

/// A tiny HTTP/1.0 GET: (status, body).
async fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
        .await
        .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).await.ok()?;
    let status = buf.split_whitespace().nth(1)?.parse().ok()?;
    let body = buf
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

async fn wait_for<T, F, Fut>(what: &str, f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    testkit::wait_for(what, WAIT, f).await
}

fn sigterm(op: &OperatorProcess) {
    op.sigterm().expect("kill -TERM");
}

fn sample(name: &str, count: i32) -> Sample {
    serde_json::from_value(json!({"apiVersion": "nuvolaris.org/v1", "kind": "Sample",
        "metadata": {"name": name, "namespace": "demo"}, "spec": {"count": count}}))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_health_metrics_lifecycle_and_sigterm() {
    let env = start(true).await;
    let dir = tempfile::tempdir().unwrap();
    let mut op = spawn_operator(
        &env.kubeconfig,
        &["--resync-secs", "60"],
        dir.path().join("op.log"),
    );
    let port = op.port;
    wait_for("/healthz 200", || async {
        get(port, "/healthz").await.filter(|r| r.0 == 200)
    })
    .await;
    wait_for("/readyz 200", || async {
        get(port, "/readyz").await.filter(|r| r.0 == 200)
    })
    .await;

    // Sample lifecycle through the process
    let sams: Api<Sample> = Api::namespaced(env.client.clone(), "demo");
    let deps: Api<Deployment> = Api::namespaced(env.client.clone(), "demo");
    sams.create(&PostParams::default(), &sample("obj", 2))
        .await
        .unwrap();
    let d = wait_for("obj-demo-deploy", || async {
        deps.get_opt("obj-demo-deploy").await.unwrap()
    })
    .await;
    assert_eq!(d.spec.unwrap().replicas, Some(2));
    wait_for("Sample Ready", || async {
        let s = sams.get("obj").await.unwrap();
        s.status?
            .conditions
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True")
            .then_some(())
    })
    .await;
    sams.patch(
        "obj",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"count": 5}})),
    )
    .await
    .unwrap();
    wait_for("replicas 5", || async {
        (deps.get("obj-demo-deploy").await.unwrap().spec?.replicas == Some(5)).then_some(())
    })
    .await;

    // metrics: controller-runtime series with the sample controller's numbers
    let (code, metrics) = get(port, "/metrics").await.unwrap();
    assert_eq!(code, 200);
    for line in [
        &format!(
            "controller_runtime_max_concurrent_reconciles{{controller=\"sample\"}} {}",
            nuvolaris_runtime::DEFAULT_CONCURRENCY
        ),
        &"nuvolaris_objects_applied_total{controller=\"sample\",kind=\"Deployment\",result=\"created\"} 1".to_string(),
    ] {
        assert!(metrics.lines().any(|l| l == line.as_str()), "missing {line} in\n{metrics}");
    }
    for name in [
        "controller_runtime_reconcile_total{controller=\"sample\",result=\"success\"}",
        "controller_runtime_reconcile_time_seconds_count{controller=\"sample\"}",
        "controller_runtime_active_workers{controller=\"sample\"}",
        "controller_runtime_reconcile_errors_total{controller=\"sample\"}",
    ] {
        assert!(metrics.contains(name), "missing {name} in\n{metrics}");
    }

    sams.delete("obj", &DeleteParams::default()).await.unwrap();
    wait_for("Sample gone", || async {
        sams.get_opt("obj").await.unwrap().is_none().then_some(())
    })
    .await;
    assert!(deps.get_opt("obj-demo-deploy").await.unwrap().is_none());

    // SIGTERM: exits cleanly within 10 s
    let t0 = Instant::now();
    sigterm(&op.proc);
    let status = tokio::time::timeout(Duration::from_secs(10), op.proc.wait())
        .await
        .unwrap_or_else(|_| panic!("no exit within 10 s after SIGTERM; log:\n{}", op.log()))
        .unwrap();
    eprintln!("exit after SIGTERM took {:?}", t0.elapsed());
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        op.log()
    );
    assert!(op.log().contains("shutdown requested"), "{}", op.log());
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_crd_fails_readyz_naming_it() {
    let env = start(false).await;
    let dir = tempfile::tempdir().unwrap();
    let mut op = spawn_operator(
        &env.kubeconfig,
        &["--log-format", "json"],
        dir.path().join("op.log"),
    );
    let port = op.port;
    let (_, body) = wait_for("/readyz names the CRD", || async {
        get(port, "/readyz")
            .await
            .filter(|r| r.0 == 503 && r.1.contains("samples.nuvolaris.org"))
    })
    .await;
    assert!(body.contains("not installed"), "{body}");
    assert_eq!(get(port, "/healthz").await.unwrap().0, 200, "still live");
    wait_for("log line naming the CRD", || async {
        let l = op.log();
        (l.contains("startup check failed") && l.contains("samples.nuvolaris.org")).then_some(())
    })
    .await;
    // --log-format json: every log line is one JSON object
    for line in op.log().lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            v.get("level").is_some() && v.get("fields").is_some(),
            "{line}"
        );
    }
    // installing the CRD makes it ready without a restart
    crd(&env).await;
    wait_for("/readyz 200 after CRD install", || async {
        get(port, "/readyz").await.filter(|r| r.0 == 200)
    })
    .await;
    sigterm(&op.proc);
    let _ = tokio::time::timeout(Duration::from_secs(10), op.proc.wait())
        .await
        .expect("exit after SIGTERM");
    env.shutdown().await;
}

async fn leader_status(port: u16) -> Option<i64> {
    let (_, m) = get(port, "/metrics").await?;
    m.lines()
        .find(|l| l.starts_with("leader_election_master_status{"))?
        .rsplit(' ')
        .next()?
        .parse()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_election_standby_takes_over() {
    let env = start(true).await;
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--leader-elect",
        "--lease-namespace",
        "default",
        "--lease-duration",
        "3",
    ];
    let mut a = spawn_operator(
        &env.kubeconfig,
        &[&args[..], &["--identity", "a"]].concat(),
        dir.path().join("a.log"),
    );
    wait_for("a leads", || async {
        (leader_status(a.port).await == Some(1)).then_some(())
    })
    .await;
    let mut b = spawn_operator(
        &env.kubeconfig,
        &[&args[..], &["--identity", "b"]].concat(),
        dir.path().join("b.log"),
    );
    // b is a live and ready standby that does not reconcile
    wait_for("b ready", || async {
        get(b.port, "/readyz").await.filter(|r| r.0 == 200)
    })
    .await;
    assert_eq!(leader_status(b.port).await, Some(0));
    assert_eq!(get(b.port, "/healthz").await.unwrap().0, 200);
    let sams: Api<Sample> = Api::namespaced(env.client.clone(), "demo");
    let deps: Api<Deployment> = Api::namespaced(env.client.clone(), "demo");
    sams.create(&PostParams::default(), &sample("one", 1))
        .await
        .unwrap();
    wait_for("one-demo-deploy by a", || async {
        deps.get_opt("one-demo-deploy").await.unwrap()
    })
    .await;
    let (_, bm) = get(b.port, "/metrics").await.unwrap();
    assert!(
        !bm.contains(
            "controller_runtime_reconcile_total{controller=\"sample\",result=\"success\"}"
        ),
        "standby reconciled:\n{bm}"
    );

    // the leader dies without releasing the lease: b takes over after it expires
    a.proc.kill().await.unwrap();
    let t0 = Instant::now();
    wait_for("b leads", || async {
        (leader_status(b.port).await == Some(1)).then_some(())
    })
    .await;
    eprintln!(
        "takeover after SIGKILL of the leader took {:?}",
        t0.elapsed()
    );
    sams.create(&PostParams::default(), &sample("two", 1))
        .await
        .unwrap();
    wait_for("two-demo-deploy by b", || async {
        deps.get_opt("two-demo-deploy").await.unwrap()
    })
    .await;
    sigterm(&b.proc);
    let _ = tokio::time::timeout(Duration::from_secs(10), b.proc.wait())
        .await
        .expect("b exits after SIGTERM");
    env.shutdown().await;
}

#[test]
fn offline_subcommands() {
    let bin = env!("CARGO_BIN_EXE_nuvolaris-operator");
    let out = std::process::Command::new(bin).arg("crd").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("name: samples.nuvolaris.org"));

    let dir = tempfile::tempdir().unwrap();
    let cr = dir.path().join("obj.yaml");
    std::fs::write(&cr, "apiVersion: nuvolaris.org/v1\nkind: Sample\nmetadata:\n  name: obj\n  namespace: demo\nspec:\n  count: 2\n").unwrap();
    let out = std::process::Command::new(bin)
        .arg("render")
        .arg("-f")
        .arg(&cr)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let y = String::from_utf8(out.stdout).unwrap();
    assert!(
        y.contains("name: obj-demo-deploy") && y.contains("replicas: 2"),
        "{y}"
    );

    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: nuvolaris.org/v1\nkind: Sample\nmetadata:\n  name: obj\nspec:\n  count: -4\n",
    )
    .unwrap();
    let out = std::process::Command::new(bin)
        .arg("render")
        .arg("-f")
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("spec.count"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = std::process::Command::new(bin)
        .arg("kustomize")
        .arg(dir.path().join("nope"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_lease_stops_reconciling() {
    use k8s_openapi::api::coordination::v1::Lease;
    let env = start(true).await;
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--leader-elect",
        "--lease-namespace",
        "default",
        "--lease-duration",
        "3",
        "--identity",
        "a",
    ];
    let mut a = spawn_operator(&env.kubeconfig, &args, dir.path().join("a.log"));
    wait_for("a leads", || async {
        (leader_status(a.port).await == Some(1)).then_some(())
    })
    .await;
    // someone else takes the lease (as after a partition): holder b, long duration, fresh renewTime
    let leases: Api<Lease> = Api::namespaced(env.client.clone(), "default");
    let now = k8s_openapi::jiff::Timestamp::now().to_string();
    leases
        .patch(
            "nuvolaris-operator",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"holderIdentity": "b", "leaseDurationSeconds": 3600, "acquireTime": now, "renewTime": now}})),
        )
        .await
        .unwrap();
    wait_for("a steps down", || async {
        (leader_status(a.port).await == Some(0)).then_some(())
    })
    .await;
    assert_eq!(
        get(a.port, "/healthz").await.unwrap().0,
        200,
        "a stays live"
    );
    assert_eq!(
        get(a.port, "/readyz").await.unwrap().0,
        200,
        "a stays ready as a standby"
    );
    let sams: Api<Sample> = Api::namespaced(env.client.clone(), "demo");
    let deps: Api<Deployment> = Api::namespaced(env.client.clone(), "demo");
    let (_, before) = get(a.port, "/metrics").await.unwrap();
    sams.create(&PostParams::default(), &sample("late", 1))
        .await
        .unwrap();
    // b, the holder now, reconciles the Sample; a, which saw the same watch events until it
    // stepped down, reconciled nothing meanwhile
    let mut b = spawn_operator(
        &env.kubeconfig,
        &[&args[..6], &["b"]].concat(),
        dir.path().join("b.log"),
    );
    wait_for("late-demo-deploy by b", || async {
        deps.get_opt("late-demo-deploy").await.unwrap()
    })
    .await;
    let (_, after) = get(a.port, "/metrics").await.unwrap();
    let reconciles = |m: &str| {
        testkit::metric(
            m,
            "controller_runtime_reconcile_total",
            &[("controller", "sample")],
        )
    };
    assert_eq!(
        reconciles(&after),
        reconciles(&before),
        "a reconciled without the lease; log:\n{}",
        a.log()
    );
    sigterm(&b.proc);
    let _ = tokio::time::timeout(Duration::from_secs(10), b.proc.wait())
        .await
        .expect("b exits after SIGTERM");
    sigterm(&a.proc);
    let _ = tokio::time::timeout(Duration::from_secs(10), a.proc.wait())
        .await
        .expect("a exits after SIGTERM");
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_flag_limits_the_watch() {
    let env = start(true).await;
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "elsewhere"}})).unwrap();
    Api::<Namespace>::all(env.client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut op = spawn_operator(
        &env.kubeconfig,
        &["--namespace", "demo", "--reconcilers", "sample"],
        dir.path().join("op.log"),
    );
    let port = op.port;
    wait_for("/readyz 200", || async {
        get(port, "/readyz").await.filter(|r| r.0 == 200)
    })
    .await;
    let mut other = sample("far", 1);
    other.metadata.namespace = Some("elsewhere".into());
    Api::<Sample>::namespaced(env.client.clone(), "elsewhere")
        .create(&PostParams::default(), &other)
        .await
        .unwrap();
    Api::<Sample>::namespaced(env.client.clone(), "demo")
        .create(&PostParams::default(), &sample("near", 1))
        .await
        .unwrap();
    let deps: Api<Deployment> = Api::namespaced(env.client.clone(), "demo");
    wait_for("near-demo-deploy", || async {
        deps.get_opt("near-demo-deploy").await.unwrap()
    })
    .await;
    // both Samples existed before the operator's first reconcile; once it is idle, a watched
    // "far" would have been reconciled too
    wait_for("the operator idle", || async {
        let (_, m) = get(port, "/metrics").await?;
        let c = [("controller", "sample")];
        let done = testkit::metric(&m, "controller_runtime_reconcile_total", &c);
        let active = testkit::metric(&m, "controller_runtime_active_workers", &c);
        (done >= 1.0 && active == 0.0).then_some(())
    })
    .await;
    let far: Api<Deployment> = Api::namespaced(env.client.clone(), "elsewhere");
    assert!(
        far.get_opt("far-demo-deploy").await.unwrap().is_none(),
        "a Sample outside --namespace was reconciled"
    );
    sigterm(&op.proc);
    let _ = tokio::time::timeout(Duration::from_secs(10), op.proc.wait())
        .await
        .expect("exit after SIGTERM");
    env.shutdown().await;
}
