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

//! The `conflict` scenario: a Deployment owned by someone else is not taken over.

use super::support::{check_alive, opts, setup, start_operator, T_READY};
use super::Done;
use crate::backend::Backend;
use crate::kube_util as ku;
use crate::kube_util::{retry, wait_for};
use crate::{ensure, Error, Result};
use futures::future::BoxFuture;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, PostParams};
use serde_json::{json, Value};
use std::time::Duration;

pub(super) fn conflict(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        let ns = "e2e-conflict";
        let c = setup(b, ns).await?;
        let deps = ku::deployments(&c, ns);
        let samples = ku::samples(&c, ns);
        // the foreign controller: a ConfigMap that exists (so garbage collection keeps its dependent)
        let cms: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(c.clone(), ns);
        let cm: k8s_openapi::api::core::v1::ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": "someone-else"}}))
                .map_err(|e| Error::Check(e.to_string()))?;
        let cm = match retry(|| async { cms.create(&PostParams::default(), &cm).await }).await {
            Ok(cm) => cm,
            Err(kube::Error::Api(s)) if s.code == 409 => {
                retry(|| async { cms.get("someone-else").await })
                    .await
                    .map_err(|e| Error::kube("get cm/someone-else", e))?
            }
            Err(e) => return Err(Error::kube("create cm/someone-else", e)),
        };
        let foreign: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "taken-demo-deploy", "namespace": ns, "labels": {"app": "someone-else"},
                "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "someone-else", "uid": cm.metadata.uid, "controller": true}]},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "someone-else"}},
                "template": {"metadata": {"labels": {"app": "someone-else"}}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}
        })).map_err(|e| Error::Check(e.to_string()))?;
        let dapi: Api<Deployment> = Api::namespaced(c.clone(), ns);
        let pp = PostParams {
            field_manager: Some("someone-else".into()),
            ..Default::default()
        };
        match retry(|| async { dapi.create(&pp, &foreign).await }).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 409 => {}
            Err(e) => return Err(Error::kube("create the foreign Deployment", e)),
        }
        let mut op = start_operator(b, opts("conflict")).await?;
        ku::create_sample(&c, ns, "taken", 3).await?;
        let s = wait_for(
            "Sample taken Ready=False reason Conflict",
            T_READY,
            || async {
                let s = ku::get_json(&samples, "taken").await.ok()??;
                (ku::ready_reason(&s).as_deref() == Some("Conflict")
                    && ku::condition(&s, "Ready").is_some_and(|c| c["status"] == "False"))
                .then_some(s)
            },
        )
        .await?;
        let d = ku::get_json(&deps, "taken-demo-deploy")
            .await?
            .unwrap_or_default();
        ensure!(
            d["spec"]["replicas"] == 1,
            "the foreign Deployment was scaled: {}",
            d["spec"]["replicas"]
        );
        let owners = d["metadata"]["ownerReferences"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        ensure!(
            owners.len() == 1 && owners[0]["kind"] == "ConfigMap",
            "the foreign Deployment's ownerReferences changed: {owners:?}"
        );
        let managers: Vec<String> = d["metadata"]["managedFields"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter_map(|e| e["manager"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        ensure!(
            !managers.iter().any(|m| m == "nuvolaris-operator"),
            "the operator wrote the foreign Deployment: managers {managers:?}"
        );
        let evs = wait_for(
            "a Warning Event about the conflict",
            Duration::from_secs(20),
            || async {
                let evs = ku::events(&c, ns, Some("taken")).await.ok()?;
                let w: Vec<Value> = evs.into_iter().filter(|e| e["type"] == "Warning").collect();
                (!w.is_empty()).then_some(w)
            },
        )
        .await?;
        let reasons: Vec<&str> = evs.iter().filter_map(|e| e["reason"].as_str()).collect();
        ku::delete(&samples, "taken").await?;
        ku::wait_gone(&samples, "taken", T_READY).await?;
        ensure!(
            ku::get_json(&deps, "taken-demo-deploy").await?.is_some(),
            "deleting the Sample deleted the foreign Deployment"
        );
        check_alive(&mut op)?;
        let msg = ku::condition(&s, "Ready")
            .map(|c| c["message"].to_string())
            .unwrap_or_default();
        Ok(Done::Passed(vec![
            format!("Warning reasons {reasons:?}"),
            format!("message {msg}"),
        ]))
    })
}
