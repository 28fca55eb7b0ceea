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

//! The `leader-election` scenario: the standby takes over after the leader is SIGKILLed.

use super::support::{check_alive, process_scenario_na, setup, start_operator, T_READY};
use super::Done;
use crate::backend::Backend;
use crate::kube_util as ku;
use crate::kube_util::wait_for;
use crate::operator::OperatorOpts;
use crate::{ensure, Error, Result};
use futures::future::BoxFuture;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::Api;
use std::time::{Duration, Instant};

pub(super) fn leader_election(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        if let Some(na) = process_scenario_na(b) {
            return Ok(na);
        }
        let ns = "e2e-leader";
        let c = setup(b, ns).await?;
        let lease_secs = 6u64;
        let lease_name = "nuvolaris-operator-e2e";
        let lease_ns = "default";
        let mk = |id: &str| OperatorOpts {
            name: format!("leader-{id}"),
            leader_elect: Some(lease_secs),
            identity: Some(format!("e2e-{id}")),
            extra_args: vec![
                "--lease-name".into(),
                lease_name.into(),
                "--lease-namespace".into(),
                lease_ns.into(),
            ],
            ..Default::default()
        };
        let leases: Api<Lease> = Api::namespaced(c.clone(), lease_ns);
        let _ = leases.delete(lease_name, &Default::default()).await;
        let mut a = start_operator(b, mk("a"))
            .await?
            .ok_or_else(|| Error::Check("no local operator".into()))?;
        let holder = wait_for("a Lease holder", Duration::from_secs(30), || async {
            leases
                .get_opt(lease_name)
                .await
                .ok()??
                .spec?
                .holder_identity
        })
        .await?;
        ensure!(
            holder == "e2e-a",
            "first operator did not take the lease: holder {holder}"
        );
        let bb = start_operator(b, mk("b"))
            .await?
            .ok_or_else(|| Error::Check("no local operator".into()))?;
        ku::create_sample(&c, ns, "le", 1).await?;
        ku::wait_sample_ready(&c, ns, "le", 1, T_READY).await?;
        let held = leases
            .get(lease_name)
            .await
            .ok()
            .and_then(|l| l.spec?.holder_identity);
        ensure!(
            held.as_deref() == Some("e2e-a"),
            "the lease moved while both ran: {held:?}"
        );
        let t0 = Instant::now();
        a.kill().await?;
        ku::set_count(&c, ns, "le", 3).await?;
        wait_for(
            "e2e-b holds the lease",
            Duration::from_secs(lease_secs * 3),
            || async {
                (leases
                    .get_opt(lease_name)
                    .await
                    .ok()??
                    .spec?
                    .holder_identity?
                    == "e2e-b")
                    .then_some(())
            },
        )
        .await?;
        let takeover = t0.elapsed();
        ku::wait_sample_ready(&c, ns, "le", 3, T_READY).await?;
        let converged = t0.elapsed();
        // lease duration plus one retry period (a third of it) of the standby
        let bound = Duration::from_secs(lease_secs + lease_secs / 3 + 1);
        ensure!(takeover <= bound, "takeover took {:.1}s, more than the lease duration {lease_secs}s plus one retry period", takeover.as_secs_f64());
        ku::delete(&ku::samples(&c, ns), "le").await?;
        ku::wait_gone(&ku::samples(&c, ns), "le", T_READY).await?;
        let mut bo = Some(bb);
        check_alive(&mut bo)?;
        if let Some(mut p) = bo {
            let _ = p.terminate(Duration::from_secs(12)).await;
        }
        Ok(Done::Passed(vec![
            format!(
                "takeover {:.2}s after SIGKILL of the leader (lease {lease_secs}s)",
                takeover.as_secs_f64()
            ),
            format!(
                "change made during the failover Ready after {:.2}s",
                converged.as_secs_f64()
            ),
        ]))
    })
}
