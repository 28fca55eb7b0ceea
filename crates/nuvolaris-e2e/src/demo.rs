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

//! `cargo xtask demo`: the embedded API server (workload simulator on), the CRDs, the operator as
//! a child process, the examples of `examples/` applied (the Sample first), what the operator did
//! (Events) and the objects it made printed, a kubeconfig written for `kubectl`, and a clean stop
//! on Ctrl-C (or right away with `--exit-after-apply`).

use crate::kube_util as ku;
use crate::operator::{self, OperatorOpts, OperatorProcess, Profile};
use crate::{Error, Result};
use kube::api::{Api, DynamicObject, ListParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::Client;
use nuvolaris_apiserver::{ApiServer, ServerConfig};
use serde_json::Value;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Flags of the demo.
#[derive(Clone, Debug, clap::Args)]
pub struct DemoArgs {
    /// Apply the examples, print the result and exit (for tests and CI) instead of waiting for Ctrl-C.
    #[arg(long)]
    pub exit_after_apply: bool,
    /// Where to write the kubeconfig (default: target/demo.kubeconfig).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Listen address of the API server (loopback).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    /// The operator binary (default: $NUVOLARIS_OPERATOR_BIN, else built with cargo).
    #[arg(long)]
    pub operator_bin: Option<PathBuf>,
    /// Folder of examples (default: examples/).
    #[arg(long)]
    pub examples: Option<PathBuf>,
}

/// What the demo did.
#[derive(Clone, Debug, Default)]
pub struct DemoSummary {
    /// `Kind namespace/name` of each applied example, in order.
    pub applied: Vec<String>,
    /// `Kind namespace/name` of each custom resource that became Ready.
    pub ready: Vec<String>,
    /// `Kind namespace/name` of each custom resource that did not become Ready in time, with why.
    pub not_ready: Vec<String>,
    /// Number of Events the operator recorded.
    pub events: usize,
    /// `Kind namespace/name` of the objects the operator applied.
    pub objects: Vec<String>,
    /// The kubeconfig written.
    pub kubeconfig: PathBuf,
}

/// The example files in apply order: `sample.yaml` first, then the others by name.
pub fn example_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("read {}", dir.display()), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort_by_key(|p| (p.file_name().is_none_or(|n| n != "sample.yaml"), p.clone()));
    Ok(files)
}

/// Runs the demo from the command line (prints to stdout).
pub async fn run(args: DemoArgs) -> Result<()> {
    let mut out = std::io::stdout();
    let s = run_with(args, &mut out).await?;
    if !s.not_ready.is_empty() {
        return Err(Error::Check(format!(
            "not Ready: {}",
            s.not_ready.join(", ")
        )));
    }
    Ok(())
}

fn say(out: &mut impl Write, line: impl AsRef<str>) {
    let _ = writeln!(out, "{}", line.as_ref());
    let _ = out.flush();
}

/// Runs the demo, printing to `out`; returns what it did.
pub async fn run_with(args: DemoArgs, out: &mut impl Write) -> Result<DemoSummary> {
    let root = crate::workspace_root();
    let bin = match &args.operator_bin {
        Some(p) => p.clone(),
        None => operator::locate(Profile::Debug)?,
    };
    let server = ApiServer::start(ServerConfig {
        addr: args.addr,
        simulate_workloads: true,
        ..Default::default()
    })
    .await?;
    let kubeconfig = args
        .kubeconfig
        .clone()
        .unwrap_or_else(|| root.join("target").join("demo.kubeconfig"));
    if let Some(dir) = kubeconfig.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
    }
    server.write_kubeconfig(&kubeconfig)?;
    say(
        out,
        format!(
            "embedded API server on {} (workload simulator on)",
            server.url()
        ),
    );
    let client = ku::client_for(&kubeconfig).await?;
    let crds = ku::install_crds(&client, &root.join("crds")).await?;
    if ku::ensure_kind_node(&client).await? {
        say(out, "created node embedded-node labelled nuvolaris.io/kube=kind (the Whisk apihost resolves to localhost as on kind)");
    }
    say(out, format!("installed CRDs: {}", crds.join(", ")));
    let logs = tempfile::Builder::new()
        .prefix("nuvolaris-demo-")
        .tempdir()
        .map_err(|e| Error::io("create a log directory", e))?;
    let mut op = OperatorProcess::spawn(
        &bin,
        &kubeconfig,
        logs.path(),
        &OperatorOpts {
            name: "operator".into(),
            ..Default::default()
        },
    )?;
    op.wait_ready(Duration::from_secs(60)).await?;
    say(
        out,
        format!(
            "operator running (pid {}, health on {}, log {})",
            op.pid().unwrap_or(0),
            op.http_url(),
            op.log_path().display()
        ),
    );

    let result = apply_and_report(&client, &bin, &root, &args, out).await;
    let mut summary = match result {
        Ok(s) => s,
        Err(e) => {
            let _ = op.terminate(Duration::from_secs(12)).await;
            server.shutdown().await;
            return Err(e);
        }
    };
    summary.kubeconfig = kubeconfig.clone();
    say(out, "");
    say(out, "point kubectl at the embedded server:");
    say(
        out,
        format!(
            "  export KUBECONFIG={}; kubectl get samples,deployments -A",
            kubeconfig.display()
        ),
    );
    if !args.exit_after_apply {
        say(out, "press Ctrl-C to stop");
        wait_for_signal().await;
    }
    let st = op.terminate(Duration::from_secs(12)).await?;
    server.shutdown().await;
    say(out, format!("stopped (operator exit: {st})"));
    if !st.success() {
        return Err(Error::Check(format!(
            "the operator exited with {st}; log tail:\n{}",
            op.log_tail(20)
        )));
    }
    Ok(summary)
}

async fn wait_for_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

fn id(doc: &Value) -> String {
    format!(
        "{} {}/{}",
        doc["kind"].as_str().unwrap_or("?"),
        doc["metadata"]["namespace"].as_str().unwrap_or(""),
        doc["metadata"]["name"].as_str().unwrap_or("?")
    )
}

async fn apply_and_report(
    client: &Client,
    bin: &Path,
    root: &Path,
    args: &DemoArgs,
    out: &mut impl Write,
) -> Result<DemoSummary> {
    let dir = args
        .examples
        .clone()
        .unwrap_or_else(|| root.join("examples"));
    let mut summary = DemoSummary::default();
    let mut crs = Vec::new();
    let mut prerequisites_done = false;
    for f in example_files(&dir)? {
        let text = std::fs::read_to_string(&f)
            .map_err(|e| Error::io(format!("read {}", f.display()), e))?;
        let docs = ku::parse_yaml_stream(&text, &f.display().to_string())?;
        if !prerequisites_done && docs.iter().any(|d| d["kind"] == "Whisk") {
            let pre = root.join("charts-free-kustomize/whisk-prerequisites");
            let o = std::process::Command::new(bin)
                .arg("kustomize")
                .arg(&pre)
                .output()
                .map_err(|e| Error::io("nuvolaris-operator kustomize", e))?;
            if !o.status.success() {
                return Err(Error::Command {
                    command: format!("nuvolaris-operator kustomize {}", pre.display()),
                    message: String::from_utf8_lossy(&o.stderr).into_owned(),
                });
            }
            let pdocs =
                ku::parse_yaml_stream(&String::from_utf8_lossy(&o.stdout), "whisk-prerequisites")?;
            ku::ensure_namespace(client, "nuvolaris").await?;
            for d in &pdocs {
                if let Some(ns) = d["metadata"]["namespace"].as_str() {
                    ku::ensure_namespace(client, ns).await?;
                }
            }
            ku::apply_docs(client, &pdocs, "nuvolaris").await?;
            say(
                out,
                format!(
                    "applied charts-free-kustomize/whisk-prerequisites ({} objects)",
                    pdocs.len()
                ),
            );
            prerequisites_done = true;
        }
        for d in &docs {
            if let Some(ns) = d["metadata"]["namespace"].as_str() {
                ku::ensure_namespace(client, ns).await?;
            }
        }
        ku::apply_docs(client, &docs, "default").await?;
        for d in &docs {
            say(
                out,
                format!(
                    "applied {} from {}",
                    id(d),
                    f.file_name().and_then(|n| n.to_str()).unwrap_or("")
                ),
            );
            summary.applied.push(id(d));
            if d["apiVersion"]
                .as_str()
                .is_some_and(|a| a.starts_with("nuvolaris.org/"))
            {
                crs.push(d.clone());
            }
        }
    }
    say(out, "");
    for d in &crs {
        let kind = d["kind"].as_str().unwrap_or_default();
        let plural = format!("{}s", kind.to_lowercase());
        let ar = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("nuvolaris.org", "v1", kind),
            &plural,
        );
        let ns = d["metadata"]["namespace"].as_str().unwrap_or("default");
        let name = d["metadata"]["name"].as_str().unwrap_or_default();
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &ar);
        let start = std::time::Instant::now();
        let res = ku::wait_for(
            &format!("{kind} {ns}/{name} Ready"),
            Duration::from_secs(90),
            || async {
                let o = ku::get_json(&api, name).await.ok()??;
                ku::ready_current(&o).then_some(o)
            },
        )
        .await;
        match res {
            Ok(o) => {
                let msg = ku::condition(&o, "Ready")
                    .and_then(|c| c["message"].as_str().map(String::from))
                    .unwrap_or_default();
                say(
                    out,
                    format!(
                        "{kind} {ns}/{name} Ready after {:.1}s: {msg}",
                        start.elapsed().as_secs_f64()
                    ),
                );
                summary.ready.push(id(d));
            }
            Err(e) => {
                let now = ku::get_json(&api, name)
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                let why = format!(
                    "{}: {e}; conditions {}",
                    id(d),
                    now.pointer("/status/conditions")
                        .cloned()
                        .unwrap_or_default()
                );
                say(out, format!("NOT READY {why}"));
                summary.not_ready.push(why);
            }
        }
    }
    // what the operator did: its Events
    let evar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("events.k8s.io", "v1", "Event"),
        "events",
    );
    let evapi: Api<DynamicObject> = Api::all_with(client.clone(), &evar);
    let mut evs = ku::list_json(&evapi, &ListParams::default()).await?;
    evs.sort_by_key(|e| e["eventTime"].as_str().unwrap_or("").to_string());
    say(out, "");
    say(
        out,
        format!("what the operator did ({} Events):", evs.len()),
    );
    for e in &evs {
        say(
            out,
            format!(
                "  {:<8} {:<12} {}/{} {}: {}",
                e["type"].as_str().unwrap_or(""),
                e["reason"].as_str().unwrap_or(""),
                e["regarding"]["kind"].as_str().unwrap_or(""),
                e["regarding"]["name"].as_str().unwrap_or(""),
                e["action"].as_str().unwrap_or(""),
                e["note"].as_str().unwrap_or("")
            ),
        );
    }
    summary.events = evs.len();
    // the objects it applied (they carry the inventory label)
    say(out, "");
    say(out, "objects applied by the operator:");
    let kinds = [
        ("apps", "v1", "Deployment", "deployments"),
        ("apps", "v1", "StatefulSet", "statefulsets"),
        ("batch", "v1", "Job", "jobs"),
        ("", "v1", "Service", "services"),
        ("networking.k8s.io", "v1", "Ingress", "ingresses"),
        ("", "v1", "Secret", "secrets"),
        ("", "v1", "ConfigMap", "configmaps"),
    ];
    for (g, v, k, p) in kinds {
        let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(g, v, k), p);
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
        for o in ku::list_json(
            &api,
            &ListParams::default().labels("applyset.kubernetes.io/part-of"),
        )
        .await?
        {
            let mut line = format!(
                "{k} {}/{}",
                o["metadata"]["namespace"].as_str().unwrap_or(""),
                o["metadata"]["name"].as_str().unwrap_or("")
            );
            if let Some(r) = o.pointer("/status/readyReplicas") {
                line.push_str(&format!(" (ready replicas {r})"));
            }
            say(out, format!("  {line}"));
            summary.objects.push(line);
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_yaml_is_applied_first() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["a.yaml", "whisk.yaml", "sample.yaml", "notes.txt", "b.yml"] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        let names: Vec<String> = example_files(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["sample.yaml", "a.yaml", "b.yml", "whisk.yaml"]);
    }
}
