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

//! `run`: controllers, HTTP endpoints, leader election, signals.

use crate::cli::RunArgs;
use crate::commands::select;
use crate::http::{self, AppState};
use crate::{login, reconcilers};
use kube::runtime::events::{Recorder, Reporter};
use nuvolaris_runtime::{supervisor, ControllerConfig, Health, LeaderConfig, Metrics, Shared};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

async fn wait_true(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// Sends `true` on the first SIGTERM/SIGINT; exits the process on the second.
fn spawn_signal_handler(tx: watch::Sender<bool>) {
    tokio::spawn(async move {
        #[cfg(unix)]
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "cannot install the SIGTERM handler");
                    return;
                }
            };
        for n in 0.. {
            #[cfg(unix)]
            tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term.recv() => {} }
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
            if n == 0 {
                tracing::info!("shutdown requested: no new reconciles, finishing in-flight ones");
                let _ = tx.send(true);
            } else {
                tracing::warn!("second signal: exiting now");
                std::process::exit(130);
            }
        }
    });
}

fn default_identity() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "nuvolaris-operator".into());
    format!("{host}-{}", std::process::id())
}

/// Runs the operator until SIGTERM/SIGINT; returns after in-flight work finished (or the
/// shutdown timeout passed).
pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    let regs = select(reconcilers::registry(), &args.reconcilers)?;
    let metrics = Arc::new(Metrics::new());
    let health = Health::new();
    for r in &regs {
        health.declare(r.name());
    }
    let (tx, rx) = watch::channel(false);
    spawn_signal_handler(tx.clone());
    let listener = http::bind(args.http_addr).await?;
    let state = AppState {
        metrics: metrics.clone(),
        health: health.clone(),
    };
    let http_task = tokio::spawn(http::serve(listener, state, wait_true(rx.clone())));

    let client = login::client(args.kubeconfig.as_deref(), args.context.as_deref()).await?;
    let identity = args.identity.clone().unwrap_or_else(default_identity);
    let reporter = Reporter {
        controller: "nuvolaris-operator".into(),
        instance: Some(identity.clone()),
    };
    let shared = Shared {
        client: client.clone(),
        metrics,
        health,
        recorder: Recorder::new(client.clone(), reporter),
    };
    let cfg = ControllerConfig {
        namespace: args.namespace.clone(),
        concurrency: args.concurrency.max(1),
        resync: Duration::from_secs(args.resync_secs.max(1)),
        ..Default::default()
    };
    let leader = args.leader_elect.then(|| LeaderConfig {
        lease_name: args.lease_name.clone(),
        namespace: args
            .lease_namespace
            .clone()
            .unwrap_or_else(|| client.default_namespace().to_string()),
        identity: identity.clone(),
        duration_secs: args.lease_duration.max(3),
        grace_secs: (args.lease_duration / 3).max(1),
    });
    tracing::info!(
        reconcilers = ?regs.iter().map(|r| r.name()).collect::<Vec<_>>(),
        namespace = args.namespace.as_deref().unwrap_or("(all)"),
        leader_elect = args.leader_elect,
        %identity,
        "starting"
    );
    let mut sup = tokio::spawn(supervisor::run(regs, shared, cfg, leader, rx.clone()));
    let result = tokio::select! {
        r = &mut sup => {
            let _ = tx.send(true);
            match r {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(anyhow::anyhow!(e)),
                Err(e) => Err(anyhow::anyhow!("controllers panicked: {e}")),
            }
        }
        _ = wait_true(rx.clone()) => {
            match tokio::time::timeout(Duration::from_secs(args.shutdown_timeout_secs), &mut sup).await {
                Ok(Ok(Ok(()))) => Ok(()),
                Ok(Ok(Err(e))) => Err(anyhow::anyhow!(e)),
                Ok(Err(e)) => Err(anyhow::anyhow!("controllers panicked: {e}")),
                Err(_) => {
                    tracing::warn!(timeout_secs = args.shutdown_timeout_secs, "in-flight reconciles did not finish in time");
                    sup.abort();
                    Ok(())
                }
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), http_task).await;
    tracing::info!("stopped");
    result
}
