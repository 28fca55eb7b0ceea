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

//! The `rbac` scenario: the operator under its own ServiceAccount and the shipped ClusterRole.

use super::support::{check_alive, operator_sa_kubeconfig, opts, setup, T_READY};
use super::Done;
use crate::backend::Backend;
use crate::kube_util as ku;
use crate::operator::OperatorProcess;
use crate::{ensure, Error, Result};
use futures::future::BoxFuture;

pub(super) fn rbac(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        if !b.rbac {
            return Ok(Done::NotApplicable(format!(
                "the {} backend has no RBAC (every request is allowed)",
                b.kind
            )));
        }
        let ns = "e2e-rbac";
        let c = setup(b, ns).await?;
        let mut notes = Vec::new();
        let (mut op, kubectl_logs) = if b.operator_in_cluster {
            (None, true)
        } else {
            let kc = operator_sa_kubeconfig(b).await?;
            let mut p =
                OperatorProcess::spawn(&b.operator_bin, &kc, b.workdir.path(), &opts("rbac"))?;
            p.wait_ready(T_READY).await?;
            notes.push("operator authenticated as system:serviceaccount:e2e-rbac-operator:nuvolaris-operator-e2e".into());
            (Some(p), false)
        };
        let samples = ku::samples(&c, ns);
        ku::create_sample(&c, ns, "rbac", 1).await?;
        ku::wait_sample_ready(&c, ns, "rbac", 1, T_READY).await?;
        ku::set_count(&c, ns, "rbac", 2).await?;
        ku::wait_sample_ready(&c, ns, "rbac", 2, T_READY).await?;
        ku::delete(&samples, "rbac").await?;
        ku::wait_gone(&samples, "rbac", T_READY).await?;
        ku::wait_gone(&ku::deployments(&c, ns), "rbac-demo-deploy", T_READY).await?;
        let logs = match &op {
            Some(p) => p.logs(),
            None if kubectl_logs => {
                let kubectl = crate::backend::find_program("kubectl", "NUVOLARIS_KUBECTL")
                    .unwrap_or_else(|| "kubectl".into());
                let out = std::process::Command::new(kubectl)
                    .arg("--kubeconfig")
                    .arg(&b.kubeconfig)
                    .args([
                        "-n",
                        "nuvolaris",
                        "logs",
                        "deployment/nuvolaris-operator",
                        "--all-containers",
                    ])
                    .output()
                    .map_err(|e| Error::io("kubectl logs", e))?;
                String::from_utf8_lossy(&out.stdout).into_owned()
            }
            None => String::new(),
        };
        let forbidden: Vec<&str> = logs
            .lines()
            .filter(|l| l.to_lowercase().contains("forbidden"))
            .collect();
        ensure!(
            forbidden.is_empty(),
            "{} Forbidden log lines, e.g. {}",
            forbidden.len(),
            forbidden[0]
        );
        check_alive(&mut op)?;
        notes.push(format!("0 Forbidden in {} log lines", logs.lines().count()));
        if let (false, Some((denied, allowed))) = (
            kubectl_logs,
            b.rbac_audit("e2e-rbac-operator", "nuvolaris-operator-e2e"),
        ) {
            ensure!(
                denied.is_empty(),
                "the server answered {} requests with 403, e.g. {}",
                denied.len(),
                denied[0]
            );
            ensure!(
                allowed > 0,
                "the server saw no request of the operator's ServiceAccount"
            );
            notes.push(format!(
                "server: 0 requests refused, {allowed} allowed for the ServiceAccount"
            ));
        }
        Ok(Done::Passed(notes))
    })
}
