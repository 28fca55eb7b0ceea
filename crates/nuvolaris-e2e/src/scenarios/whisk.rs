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

//! The `whisk` scenario: a minimal Whisk comes up in order, toggles and deletes cleanly.

use super::support::{
    ar, check_alive, operator_sa_kubeconfig, opts, secs, setup, start_operator, OPERATOR_SA,
    T_READY,
};
use super::Done;
use crate::backend::Backend;
use crate::kube_util as ku;
use crate::kube_util::{retry, wait_for};
use crate::operator::OperatorProcess;
use crate::{ensure, Error, Result};
use futures::future::BoxFuture;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub(super) fn whisk(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        let ns = "nuvolaris";
        let c = setup(b, ns).await?;
        let root = crate::workspace_root();
        // prerequisites, built by the operator's own kustomize engine
        if !b.operator_bin.as_os_str().is_empty() {
            let out = std::process::Command::new(&b.operator_bin)
                .arg("kustomize")
                .arg(root.join("charts-free-kustomize/whisk-prerequisites"))
                .output()
                .map_err(|e| Error::io("nuvolaris-operator kustomize whisk-prerequisites", e))?;
            ensure!(
                out.status.success(),
                "nuvolaris-operator kustomize failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let docs = ku::parse_yaml_stream(
                &String::from_utf8_lossy(&out.stdout),
                "whisk-prerequisites",
            )?;
            ku::apply_docs(&c, &docs, ns).await?;
        }
        let mut notes = Vec::new();
        if ku::ensure_kind_node(&c).await? {
            notes.push("no nodes: created one labelled nuvolaris.io/kube=kind".to_string());
        }
        let mut op = if b.rbac && !b.operator_in_cluster {
            let kc = operator_sa_kubeconfig(b).await?;
            let mut p =
                OperatorProcess::spawn(&b.operator_bin, &kc, b.workdir.path(), &opts("whisk"))?;
            p.wait_ready(T_READY).await?;
            notes.push("operator under its ServiceAccount and the shipped ClusterRole".to_string());
            Some(p)
        } else {
            start_operator(b, opts("whisk")).await?
        };
        let text = std::fs::read_to_string(root.join("examples/whisk.yaml"))
            .map_err(|e| Error::io("read examples/whisk.yaml", e))?;
        let w = ku::parse_yaml_stream(&text, "examples/whisk.yaml")?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Check("examples/whisk.yaml is empty".into()))?;
        let name = w["metadata"]["name"]
            .as_str()
            .unwrap_or("controller")
            .to_string();
        let whisks: Api<DynamicObject> = Api::namespaced_with(c.clone(), ns, &ku::whisk_resource());
        let sts: Api<DynamicObject> =
            Api::namespaced_with(c.clone(), ns, &ar("apps", "StatefulSet", "statefulsets"));
        let jobs: Api<DynamicObject> =
            Api::namespaced_with(c.clone(), ns, &ar("batch", "Job", "jobs"));
        let ings: Api<DynamicObject> = Api::namespaced_with(
            c.clone(),
            ns,
            &ar("networking.k8s.io", "Ingress", "ingresses"),
        );
        let obj: DynamicObject =
            serde_json::from_value(w.clone()).map_err(|e| Error::Check(e.to_string()))?;
        let t0 = Instant::now();
        retry(|| async { whisks.create(&PostParams::default(), &obj).await })
            .await
            .map_err(|e| Error::kube("create Whisk", e))?;
        let (mut couchdb, mut init, mut init_done, mut controller) = (None, None, None, None);
        while controller.is_none() {
            ensure!(
                t0.elapsed() < Duration::from_secs(120),
                "controller never created: couchdb {couchdb:?} init {init:?} done {init_done:?}"
            );
            let now = t0.elapsed();
            if couchdb.is_none() && ku::get_json(&sts, "couchdb").await?.is_some() {
                couchdb = Some(now);
            }
            if let Some(j) = ku::get_json(&jobs, "couchdb-init").await? {
                init.get_or_insert(now);
                if j.pointer("/status/succeeded")
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
                    > 0
                {
                    init_done.get_or_insert(now);
                }
            }
            if ku::get_json(&sts, "controller").await?.is_some() {
                controller = Some(now);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        ensure!(couchdb.is_some() && init.is_some() && init_done.is_some() && couchdb <= init && init <= init_done && init_done <= controller,
            "order must be couchdb <= init <= init complete <= controller: {couchdb:?} {init:?} {init_done:?} {controller:?}");
        let ready = match wait_for("Whisk Ready", Duration::from_secs(90), || async {
            let w = ku::get_json(&whisks, &name).await.ok()??;
            ku::ready_current(&w).then_some(w)
        })
        .await
        {
            Ok(w) => w,
            Err(e) => {
                let w = ku::get_json(&whisks, &name).await?.unwrap_or_default();
                return Err(Error::Check(format!("{e}; status {}", w["status"])));
            }
        };
        let ready_after = t0.elapsed();
        for (k, v) in [("openwhisk", "on"), ("couchdb", "on")] {
            ensure!(
                ready["status"]["whisk_create"][k] == v,
                "whisk_create.{k} is {} (want {v})",
                ready["status"]["whisk_create"][k]
            );
        }
        // toggle openwhisk off, then on
        let toggle = |on: bool| json!({"spec": {"components": {"openwhisk": on}}});
        let off = toggle(false);
        retry(|| async {
            whisks
                .patch(&name, &PatchParams::default(), &Patch::Merge(&off))
                .await
        })
        .await
        .map_err(|e| Error::kube("toggle openwhisk off", e))?;
        wait_for("controller and Ingresses pruned", T_READY, || async {
            (ku::get_json(&sts, "controller").await.ok()?.is_none()
                && ku::get_json(&ings, "apihost").await.ok()?.is_none()
                && ku::get_json(&whisks, &name).await.ok()??["status"]["whisk_create"]["openwhisk"]
                    == "off")
                .then_some(())
        })
        .await?;
        ensure!(
            ku::get_json(&sts, "couchdb").await?.is_some(),
            "couchdb went away with openwhisk off"
        );
        let on = toggle(true);
        retry(|| async {
            whisks
                .patch(&name, &PatchParams::default(), &Patch::Merge(&on))
                .await
        })
        .await
        .map_err(|e| Error::kube("toggle openwhisk on", e))?;
        wait_for("controller and Ingresses back", T_READY, || async {
            (ku::get_json(&sts, "controller").await.ok()?.is_some()
                && ku::get_json(&ings, "apihost").await.ok()?.is_some()
                && ku::get_json(&whisks, &name).await.ok()??["status"]["whisk_create"]["openwhisk"]
                    == "on")
                .then_some(())
        })
        .await?;
        // delete: nothing the operator applied is left, Ingresses included
        ku::delete(&whisks, &name).await?;
        ku::wait_gone(&whisks, &name, T_READY).await?;
        let inventory = ListParams::default().labels("applyset.kubernetes.io/part-of");
        let kinds = [
            ar("apps", "StatefulSet", "statefulsets"),
            ar("batch", "Job", "jobs"),
            ar("networking.k8s.io", "Ingress", "ingresses"),
            ar("", "Service", "services"),
            ar("", "Secret", "secrets"),
            ar("", "ConfigMap", "configmaps"),
            ar("apps", "Deployment", "deployments"),
        ];
        // volume policy `retain` (the default): the StatefulSet's claims stay, and with them the
        // generated credentials written on their data; nothing else may be left
        let pvcs: Api<DynamicObject> = Api::namespaced_with(
            c.clone(),
            ns,
            &ar("", "PersistentVolumeClaim", "persistentvolumeclaims"),
        );
        let generated = format!("Secret/{name}-whisk-generated");
        let left = wait_for("every object of the Whisk gone", T_READY, || async {
            let claims = ku::list_json(&pvcs, &ListParams::default())
                .await
                .ok()?
                .iter()
                .filter(|p| {
                    p["metadata"]["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with("couchdb-pvc-couchdb-"))
                })
                .count();
            let mut left = Vec::new();
            for k in &kinds {
                let api: Api<DynamicObject> = Api::namespaced_with(c.clone(), ns, k);
                for o in ku::list_json(&api, &inventory).await.ok()? {
                    let id = format!(
                        "{}/{}",
                        k.kind,
                        o["metadata"]["name"].as_str().unwrap_or("")
                    );
                    if !(claims > 0 && id == generated) {
                        left.push(id);
                    }
                }
            }
            left.is_empty().then_some(left)
        })
        .await;
        if left.is_err() {
            let mut names = Vec::new();
            for k in &kinds {
                let api: Api<DynamicObject> = Api::namespaced_with(c.clone(), ns, k);
                for o in ku::list_json(&api, &inventory).await? {
                    names.push(format!(
                        "{}/{}",
                        k.kind,
                        o["metadata"]["name"].as_str().unwrap_or("")
                    ));
                }
            }
            return Err(Error::Check(format!(
                "left after deleting the Whisk: {names:?}"
            )));
        }
        let cms: Api<DynamicObject> =
            Api::namespaced_with(c.clone(), ns, &ar("", "ConfigMap", "configmaps"));
        if let Some(cm) = ku::get_json(&cms, "config").await? {
            ensure!(
                cm["metadata"]["annotations"]["apihost"].is_null(),
                "cm/config keeps the apihost annotation after the delete"
            );
        }
        check_alive(&mut op)?;
        if let Some(p) = &op {
            let logs = p.logs();
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
        }
        if let Some((denied, _)) = b.rbac_audit(OPERATOR_SA.0, OPERATOR_SA.1) {
            ensure!(
                denied.is_empty(),
                "the server answered {} requests with 403, e.g. {}",
                denied.len(),
                denied[0]
            );
        }
        notes.extend([
            format!(
                "order couchdb {:.2}s <= init {:.2}s <= init done {:.2}s <= controller {:.2}s",
                secs(couchdb),
                secs(init),
                secs(init_done),
                secs(controller)
            ),
            format!("Ready after {:.2}s", ready_after.as_secs_f64()),
        ]);
        Ok(Done::Passed(notes))
    })
}
