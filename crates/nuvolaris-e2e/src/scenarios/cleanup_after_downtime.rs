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

//! The `cleanup-after-downtime` scenario: a Sample deleted while the operator was down is cleaned up when it starts.

use super::support::{check_alive, opts, process_scenario_na, setup, start_operator, T_READY};
use super::Done;
use crate::backend::Backend;
use crate::kube_util as ku;
use crate::{ensure, Result};
use futures::future::BoxFuture;
use std::time::{Duration, Instant};

pub(super) fn cleanup_after_downtime(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        if let Some(na) = process_scenario_na(b) {
            return Ok(na);
        }
        let ns = "e2e-downtime";
        let c = setup(b, ns).await?;
        let samples = ku::samples(&c, ns);
        let deps = ku::deployments(&c, ns);
        let mut op = start_operator(b, opts("downtime-1")).await?;
        ku::create_sample(&c, ns, "down", 1).await?;
        ku::wait_sample_ready(&c, ns, "down", 1, T_READY).await?;
        let mut notes = Vec::new();
        if let Some(p) = op.as_mut() {
            let t = Instant::now();
            let st = p.terminate(Duration::from_secs(12)).await?;
            ensure!(
                st.success(),
                "operator exited with {st} after SIGTERM; log tail:\n{}",
                p.log_tail(10)
            );
            notes.push(format!("SIGTERM exit in {:.2}s", t.elapsed().as_secs_f64()));
        }
        ku::delete(&samples, "down").await?;
        // the operator is stopped: nothing can remove the finalizer until it runs again
        let s = ku::get_json(&samples, "down").await?;
        ensure!(
            s.as_ref()
                .is_some_and(|s| s["metadata"]["deletionTimestamp"].is_string()),
            "with the operator down the Sample should wait on its finalizer, got {s:?}"
        );
        ensure!(
            ku::get_json(&deps, "down-demo-deploy").await?.is_some(),
            "the Deployment went away without the operator"
        );
        let t = Instant::now();
        let mut op2 = start_operator(b, opts("downtime-2")).await?;
        ku::wait_gone(&samples, "down", T_READY).await?;
        ku::wait_gone(&deps, "down-demo-deploy", T_READY).await?;
        notes.push(format!(
            "cleaned up {:.2}s after the restart",
            t.elapsed().as_secs_f64()
        ));
        check_alive(&mut op2)?;
        Ok(Done::Passed(notes))
    })
}
