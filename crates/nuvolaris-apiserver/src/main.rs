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

//! `nuvolaris-apiserver`: runs the embedded API server as a standalone process.

use clap::Parser;
use nuvolaris_apiserver::cost::parse_duration;
use nuvolaris_apiserver::{ApiServer, ServerConfig};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Command line of the standalone embedded API server.
#[derive(Parser, Debug)]
#[command(
    name = "nuvolaris-apiserver",
    about = "In-memory Kubernetes API server for tests and demos"
)]
struct Args {
    /// Listen address (loopback only; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Where to write a kubeconfig for the server.
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// Simulate Deployment/StatefulSet/Job controllers.
    #[arg(long)]
    simulate_workloads: bool,
    /// Enforce RBAC: the kubeconfig's token is the admin, other tokens are refused (401)
    /// unless issued by the embedded API (see the crate README).
    #[arg(long)]
    rbac: bool,
    /// With --rbac: also write a kubeconfig for the ServiceAccount NAMESPACE/NAME to PATH
    /// (format NAMESPACE/NAME=PATH; repeatable).
    #[arg(long = "sa-kubeconfig", value_name = "NAMESPACE/NAME=PATH")]
    sa_kubeconfig: Vec<String>,
    /// Watch events retained per resource.
    #[arg(long, default_value_t = 10_000)]
    watch_history: usize,
    /// With --simulate-workloads: delay before the simulated controllers write a status
    /// (5, 5ms, 0.2s; a bare number is milliseconds).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "150ms")]
    simulate_delay: Duration,
    /// With --simulate-workloads: write Deployment status in the deployment controller's steps
    /// (observedGeneration/replicas/updatedReplicas, then readyReplicas, then
    /// availableReplicas and conditions), each a separate write DURATION apart.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    deployment_status_step: Option<Duration>,
    /// Added to every read request (not watches), e.g. 3ms.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "0")]
    latency_read: Duration,
    /// Added to every write request, e.g. 20ms.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "0")]
    latency_write: Duration,
    /// Requests served at once (watches excluded), like API Priority and Fairness seats;
    /// past it: 429 Too Many Requests with Retry-After: 1.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_inflight: Option<u64>,
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if !args.addr.ip().is_loopback() {
        eprintln!("error: --addr {} is not a loopback address", args.addr);
        std::process::exit(2);
    }
    let cfg = ServerConfig {
        addr: args.addr,
        simulate_workloads: args.simulate_workloads,
        watch_history: args.watch_history,
        rbac: args.rbac,
        simulate_delay: args.simulate_delay,
        deployment_status_step: args.deployment_status_step,
        latency_read: args.latency_read,
        latency_write: args.latency_write,
        max_inflight: args.max_inflight.map(|n| n as usize),
        ..Default::default()
    };
    let server = match ApiServer::start(cfg).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    if let Some(p) = &args.kubeconfig {
        if let Err(e) = server.write_kubeconfig(p) {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
    for spec in &args.sa_kubeconfig {
        let parsed = spec
            .split_once('=')
            .and_then(|(sa, p)| sa.split_once('/').map(|(ns, n)| (ns, n, p)));
        let Some((ns, name, p)) =
            parsed.filter(|(ns, n, p)| !ns.is_empty() && !n.is_empty() && !p.is_empty())
        else {
            eprintln!("error: --sa-kubeconfig {spec:?}: expected NAMESPACE/NAME=PATH");
            std::process::exit(2);
        };
        if let Err(e) =
            server.write_kubeconfig_for_service_account(std::path::Path::new(p), ns, name)
        {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
    println!("{}", server.url());
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
    server.shutdown().await;
}
