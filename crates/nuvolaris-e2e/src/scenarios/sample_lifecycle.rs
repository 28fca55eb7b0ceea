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

//! The `sample-lifecycle` scenario: a Sample's Deployment follows its count, drift is reverted, a steady state writes nothing and deletion cleans up.

use super::support::{
    check_alive, opts, sample_reconciles, setup, start_operator, wait_reconciled_after, T_READY,
};
use super::Done;
use crate::backend::Backend;
use crate::kube_util as ku;
use crate::kube_util::{retry, wait_for};
use crate::{ensure, Error, Result};
use futures::future::BoxFuture;
use kube::api::{Patch, PatchParams};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub(super) fn sample_lifecycle(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        let ns = "e2e-lifecycle";
        let c = setup(b, ns).await?;
        let mut op = start_operator(b, opts("lifecycle")).await?;
        let samples = ku::samples(&c, ns);
        let deps = ku::deployments(&c, ns);
        let mut notes = Vec::new();
        let t0 = Instant::now();
        ku::create_sample(&c, ns, "obj", 2).await?;
        let s = ku::wait_sample_ready(&c, ns, "obj", 2, T_READY).await?;
        notes.push(format!("Ready after {:.2}s", t0.elapsed().as_secs_f64()));
        let d = ku::get_json(&deps, "obj-demo-deploy")
            .await?
            .ok_or_else(|| Error::Check("obj-demo-deploy missing".into()))?;
        let owner = &d["metadata"]["ownerReferences"][0];
        ensure!(
            owner["kind"] == "Sample"
                && owner["name"] == "obj"
                && owner["controller"] == true
                && owner["uid"] == s["metadata"]["uid"],
            "ownerReference of obj-demo-deploy is not the Sample as controller: {owner}"
        );
        for (k, v) in [
            ("app.kubernetes.io/instance", "obj"),
            ("app.kubernetes.io/managed-by", "nuvolaris-operator"),
        ] {
            ensure!(
                d["metadata"]["labels"][k] == v,
                "label {k}={v} missing on the Deployment: {}",
                d["metadata"]["labels"]
            );
        }
        for (k, v) in [
            ("app.kubernetes.io/instance", "obj"),
            ("app.kubernetes.io/managed-by", "nuvolaris-operator"),
            ("app", "nginx"),
        ] {
            ensure!(
                d["spec"]["template"]["metadata"]["labels"][k] == v,
                "label {k}={v} missing on the pod template: {}",
                d["spec"]["template"]["metadata"]["labels"]
            );
        }
        ensure!(
            d["spec"]["selector"]["matchLabels"]["app"] == "nginx",
            "selector lacks app=nginx: {}",
            d["spec"]["selector"]
        );
        ensure!(
            d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"] == "obj",
            "selector lacks the instance label: {}",
            d["spec"]["selector"]
        );
        let msg = s
            .pointer("/status/sample_create/message")
            .and_then(Value::as_str)
            .unwrap_or_default();
        ensure!(
            msg.contains("deployment.apps/obj-demo-deploy"),
            "status.sample_create.message is {msg:?}"
        );

        // steady state: a reconcile triggered by a metadata-only change of the Sample writes
        // neither the Sample nor its Deployment (needs the operator's /metrics: process backends)
        if let Some(p) = op.as_ref() {
            let drv = d["metadata"]["resourceVersion"].clone();
            let (before, _) = sample_reconciles(p).await?;
            let touch = json!({"metadata": {"annotations": {"e2e/touch": "1"}}});
            let touched = retry(|| async {
                samples
                    .patch("obj", &PatchParams::default(), &Patch::Merge(&touch))
                    .await
            })
            .await
            .map_err(|e| Error::kube("annotate Sample obj", e))?;
            let srv = json!(touched.metadata.resource_version);
            wait_reconciled_after(p, before).await?;
            let s2 = ku::get_json(&samples, "obj").await?.unwrap_or_default();
            let d2 = ku::get_json(&deps, "obj-demo-deploy")
                .await?
                .unwrap_or_default();
            ensure!(
                s2["metadata"]["resourceVersion"] == srv
                    && d2["metadata"]["resourceVersion"] == drv,
                "steady state wrote: Sample rv {srv} -> {}, Deployment rv {drv} -> {}",
                s2["metadata"]["resourceVersion"],
                d2["metadata"]["resourceVersion"]
            );
        } else {
            notes.push("steady-state check not run: the operator runs in-cluster".into());
        }

        // 2 -> 5
        let t1 = Instant::now();
        ku::set_count(&c, ns, "obj", 5).await?;
        ku::wait_sample_ready(&c, ns, "obj", 5, T_READY).await?;
        notes.push(format!(
            "2->5 Ready after {:.2}s",
            t1.elapsed().as_secs_f64()
        ));

        // drift: someone scales to 7, the operator puts 5 back
        let scale = json!({"spec": {"replicas": 7}});
        let pp = PatchParams {
            field_manager: Some("kubectl-scale".into()),
            ..Default::default()
        };
        let patched = retry(|| async {
            deps.patch("obj-demo-deploy", &pp, &Patch::Merge(&scale))
                .await
        })
        .await
        .map_err(|e| Error::kube("scale obj-demo-deploy to 7", e))?;
        ensure!(
            ku::to_json(&patched)["spec"]["replicas"] == 7,
            "the manual scale did not apply"
        );
        let t2 = Instant::now();
        wait_for(
            "obj-demo-deploy reverted to 5 replicas",
            T_READY,
            || async {
                let d = ku::get_json(&deps, "obj-demo-deploy").await.ok()??;
                (d["spec"]["replicas"] == 5).then_some(())
            },
        )
        .await?;
        notes.push(format!(
            "drift 7->5 reverted after {:.2}s",
            t2.elapsed().as_secs_f64()
        ));

        // delete: the Deployment goes before the Sample
        ku::delete(&samples, "obj").await?;
        let t3 = Instant::now();
        let mut dep_gone_first = false;
        loop {
            let s_left = ku::get_json(&samples, "obj").await?.is_some();
            let d_left = ku::get_json(&deps, "obj-demo-deploy").await?.is_some();
            if !d_left {
                dep_gone_first = dep_gone_first || s_left;
            }
            if !s_left {
                ensure!(
                    !d_left,
                    "the Sample was gone while its Deployment was still there"
                );
                break;
            }
            ensure!(
                t3.elapsed() < T_READY,
                "Sample obj not deleted within {}s",
                T_READY.as_secs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        notes.push(format!(
            "deleted after {:.2}s (Deployment seen gone before the Sample: {dep_gone_first})",
            t3.elapsed().as_secs_f64()
        ));
        check_alive(&mut op)?;
        Ok(Done::Passed(notes))
    })
}
