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

//! The `health` scenario: `/healthz`, `/readyz` and `/metrics`.

use super::support::{check_alive, opts, process_scenario_na, setup, start_operator, T_READY};
use super::Done;
use crate::backend::Backend;
use crate::kube_util as ku;
use crate::{ensure, Result};
use futures::future::BoxFuture;

pub(super) fn health(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        if let Some(na) = process_scenario_na(b) {
            return Ok(na);
        }
        let ns = "e2e-health";
        let c = setup(b, ns).await?;
        let mut op = start_operator(b, opts("health")).await?;
        let Some(p) = op.as_mut() else {
            return Ok(Done::NotApplicable("no local operator".into()));
        };
        for path in ["/healthz", "/readyz"] {
            let (code, body) = p.http_get(path).await?;
            ensure!(code == 200, "{path} answered {code}: {body}");
        }
        ku::create_sample(&c, ns, "metrics", 1).await?;
        ku::wait_sample_ready(&c, ns, "metrics", 1, T_READY).await?;
        let (code, body) = p.http_get("/metrics").await?;
        ensure!(code == 200, "/metrics answered {code}");
        for series in [
            "controller_runtime_reconcile_total",
            "controller_runtime_reconcile_errors_total",
            "controller_runtime_reconcile_time_seconds_bucket",
            "controller_runtime_active_workers",
            "controller_runtime_max_concurrent_reconciles",
        ] {
            ensure!(
                body.lines().any(|l| l.starts_with(series)),
                "/metrics lacks {series}"
            );
        }
        let ok = body
            .lines()
            .filter(|l| {
                l.starts_with("controller_runtime_reconcile_total")
                    && l.contains("controller=\"sample\"")
                    && l.contains("result=\"success\"")
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>();
        let counted = ok >= 1.0;
        ensure!(
            counted,
            "no successful sample reconcile counted in /metrics"
        );
        ku::delete(&ku::samples(&c, ns), "metrics").await?;
        ku::wait_gone(&ku::samples(&c, ns), "metrics", T_READY).await?;
        check_alive(&mut op)?;
        Ok(Done::Passed(vec![format!(
            "{ok} successful sample reconciles counted"
        )]))
    })
}
