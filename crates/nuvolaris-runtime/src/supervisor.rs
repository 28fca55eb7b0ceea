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

//! Running every registered controller: startup checks, leader election, graceful shutdown.

use crate::controller::{ControllerConfig, Shared};
use crate::error::Error;
use crate::registry::Registration;
use futures::future::join_all;
use kube_lease_manager::{LeaseCreateMode, LeaseManagerBuilder};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Leader election settings (a `coordination.k8s.io/v1` Lease).
#[derive(Clone, Debug)]
pub struct LeaderConfig {
    /// Lease name.
    pub lease_name: String,
    /// Lease namespace.
    pub namespace: String,
    /// This replica's identity (the pod name).
    pub identity: String,
    /// Lease duration in seconds.
    pub duration_secs: u64,
    /// Renew this many seconds before expiry.
    pub grace_secs: u64,
}

/// How to retry failing startup checks.
pub const CHECK_RETRY: Duration = Duration::from_secs(5);

async fn wait_true(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// Runs startup checks for every reconciler until all pass (retrying every [`CHECK_RETRY`],
/// logging which check fails and exposing it on `/readyz`). Returns false on shutdown.
pub async fn check_all(
    regs: &[Arc<dyn Registration>],
    shared: &Shared,
    namespace: Option<&str>,
    shutdown: &watch::Receiver<bool>,
) -> bool {
    for r in regs {
        shared.health.declare(r.name());
    }
    loop {
        let mut ok = true;
        for r in regs {
            let res = r.check(&shared.client, namespace).await;
            if let Err(e) = &res {
                tracing::error!(controller = r.name(), error = %e, "startup check failed; retrying in 5s");
                ok = false;
            }
            shared.health.checked(r.name(), res);
        }
        if ok {
            return true;
        }
        let mut rx = shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(CHECK_RETRY) => {}
            _ = wait_true(&mut rx) => return false,
        }
    }
}

async fn run_controllers(
    regs: &[Arc<dyn Registration>],
    shared: &Shared,
    cfg: &ControllerConfig,
    stop: &watch::Receiver<bool>,
) {
    let futs = regs.iter().map(|r| {
        let fut = r.run(shared.clone(), cfg.clone(), stop.clone());
        let health = shared.health.clone();
        let name = r.name();
        let stop = stop.clone();
        async move {
            fut.await;
            if !*stop.borrow() {
                tracing::error!(controller = name, "controller stopped unexpectedly");
                health.dead(name, "controller stream ended".into());
            }
        }
    });
    join_all(futs).await;
}

/// Runs all controllers until `shutdown` becomes true; in-flight reconciles finish first.
///
/// With `leader`, controllers run only while this replica holds the lease; a standby stays
/// live and ready (after its startup checks) and losing the lease stops reconciling.
pub async fn run(
    regs: Vec<Arc<dyn Registration>>,
    shared: Shared,
    cfg: ControllerConfig,
    leader: Option<LeaderConfig>,
    shutdown: watch::Receiver<bool>,
) -> Result<(), Error> {
    if !check_all(&regs, &shared, cfg.namespace.as_deref(), &shutdown).await {
        return Ok(());
    }
    let Some(lc) = leader else {
        tracing::info!(controllers = ?regs.iter().map(|r| r.name()).collect::<Vec<_>>(), "starting controllers");
        run_controllers(&regs, &shared, &cfg, &shutdown).await;
        return Ok(());
    };
    shared.health.standby(true);
    shared.metrics.set_leader(&lc.lease_name, false);
    let manager = LeaseManagerBuilder::new(shared.client.clone(), &lc.lease_name)
        .with_namespace(&lc.namespace)
        .with_identity(&lc.identity)
        .with_duration(lc.duration_secs)
        .with_grace(lc.grace_secs)
        .with_field_manager(crate::applier::FIELD_MANAGER)
        .with_create_mode(LeaseCreateMode::AutoCreate)
        .build()
        .await
        .map_err(|e| Error::Leader(format!("lease {}/{}: {e}", lc.namespace, lc.lease_name)))?;
    let (mut leader_rx, lease_task) = manager.watch().await;
    let mut sd = shutdown.clone();
    loop {
        tracing::info!(identity = %lc.identity, lease = %lc.lease_name, "standby: waiting for the lease");
        tokio::select! {
            r = leader_rx.wait_for(|l| *l) => { if r.is_err() { break; } }
            _ = wait_true(&mut sd) => break,
        }
        tracing::info!(identity = %lc.identity, "acquired the lease: starting controllers");
        shared.metrics.set_leader(&lc.lease_name, true);
        shared.health.standby(false);
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut lrx = leader_rx.clone();
        let mut sd2 = shutdown.clone();
        let relay = tokio::spawn(async move {
            tokio::select! {
                _ = lrx.wait_for(|l| !*l) => tracing::warn!("lost the lease: stopping controllers"),
                _ = wait_true(&mut sd2) => {}
            }
            let _ = stop_tx.send(true);
        });
        run_controllers(&regs, &shared, &cfg, &stop_rx).await;
        relay.abort();
        shared.metrics.set_leader(&lc.lease_name, false);
        shared.health.standby(true);
        if *shutdown.borrow() {
            break;
        }
    }
    drop(leader_rx);
    match tokio::time::timeout(Duration::from_secs(3), lease_task).await {
        Ok(Ok(Ok(_))) => tracing::info!("lease released"),
        Ok(Ok(Err(e))) => tracing::warn!(error = %e, "releasing the lease failed"),
        _ => tracing::warn!("lease task did not finish in time"),
    }
    Ok(())
}
