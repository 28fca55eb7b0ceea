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

//! The `sigkill-burst` scenario: SIGKILL in the middle of a burst, restart, everything converges.

use super::support::{check_alive, opts, process_scenario_na, setup, start_operator};
use super::Done;
use crate::backend::Backend;
use crate::kube_util as ku;
use crate::kube_util::wait_for;
use crate::Result;
use futures::future::BoxFuture;
use kube::api::ListParams;
use std::time::{Duration, Instant};

pub(super) fn sigkill_burst(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        if let Some(na) = process_scenario_na(b) {
            return Ok(na);
        }
        let ns = "e2e-burst";
        let c = setup(b, ns).await?;
        let n = 40usize;
        let mut op = start_operator(b, opts("burst-1")).await?;
        let t0 = Instant::now();
        let create = |i: usize| {
            let c = c.clone();
            async move { ku::create_sample(&c, ns, &format!("burst-{i}"), (i % 4 + 1) as i64).await }
        };
        for r in futures::future::join_all((0..n / 2).map(create)).await {
            r?;
        }
        if let Some(p) = op.as_mut() {
            p.kill().await?;
        }
        for r in futures::future::join_all((n / 2..n).map(create)).await {
            r?;
        }
        for i in 0..10 {
            ku::set_count(&c, ns, &format!("burst-{i}"), 5).await?;
        }
        let mut op2 = start_operator(b, opts("burst-2")).await?;
        for i in 0..n {
            let want = if i < 10 { 5 } else { (i % 4 + 1) as i64 };
            ku::wait_sample_ready(&c, ns, &format!("burst-{i}"), want, Duration::from_secs(90))
                .await?;
        }
        let converged = t0.elapsed();
        let samples = ku::samples(&c, ns);
        for i in 0..n {
            ku::delete(&samples, &format!("burst-{i}")).await?;
        }
        wait_for(
            "every burst Sample and Deployment gone",
            Duration::from_secs(90),
            || async {
                let s = ku::list_json(&samples, &ListParams::default()).await.ok()?;
                let d = ku::list_json(&ku::deployments(&c, ns), &ListParams::default())
                    .await
                    .ok()?;
                (s.is_empty() && d.is_empty()).then_some(())
            },
        )
        .await?;
        check_alive(&mut op2)?;
        Ok(Done::Passed(vec![format!(
            "{n} Samples converged {:.2}s after the burst started (SIGKILL halfway)",
            converged.as_secs_f64()
        )]))
    })
}
