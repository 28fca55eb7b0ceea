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

//! The `invalid-spec` scenario: Samples that pass a schema-less CRD get InvalidSpec, a Warning Event and no children.

use super::support::{check_alive, opts, setup, start_operator, T_READY};
use super::Done;
use crate::backend::Backend;
use crate::kube_util as ku;
use crate::kube_util::{retry, wait_for};
use crate::{ensure, Error, Result};
use futures::future::BoxFuture;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, PostParams};
use kube::Client;
use serde_json::{json, Value};
use std::time::Duration;

const PERMISSIVE: &str = r#"{"type": "object", "x-kubernetes-preserve-unknown-fields": true}"#;

pub(super) fn invalid_spec(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        let ns = "e2e-invalid-spec";
        let c = setup(b, ns).await?;
        let crds: Api<CustomResourceDefinition> = Api::all(c.clone());
        let original = retry(|| async { crds.get("samples.nuvolaris.org").await })
            .await
            .map_err(|e| Error::kube("get CRD samples", e))?;
        let mut loose = original.clone();
        let permissive: Value =
            serde_json::from_str(PERMISSIVE).map_err(|e| Error::Check(e.to_string()))?;
        for v in &mut loose.spec.versions {
            if let Some(s) = v.schema.as_mut() {
                s.open_api_v3_schema = serde_json::from_value(permissive.clone()).ok();
            }
        }
        loose.metadata.managed_fields = None;
        retry(|| async {
            crds.replace("samples.nuvolaris.org", &PostParams::default(), &loose)
                .await
        })
        .await
        .map_err(|e| Error::kube("install the Sample CRD without its schema", e))?;
        let res = invalid_spec_inner(b, &c, ns).await;
        // restore the schema whatever happened
        let restore = ku::install_crds(&c, &crate::workspace_root().join("crds")).await;
        let notes = res?;
        restore?;
        Ok(Done::Passed(notes))
    })
}

async fn invalid_spec_inner(b: &Backend, c: &Client, ns: &str) -> Result<Vec<String>> {
    let samples = ku::samples(c, ns);
    let deps = ku::deployments(c, ns);
    let mut op = start_operator(b, opts("invalid-spec")).await?;
    let bad = [
        ("count-string", json!({"count": "many"})),
        ("count-negative", json!({"count": -5})),
        ("count-huge", json!({"count": 99999})),
        ("no-count", json!({"image": "nginx"})),
        ("image-blank", json!({"count": 1, "image": " "})),
    ];
    for (name, spec) in &bad {
        let obj: DynamicObject = serde_json::from_value(json!({"apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": name}, "spec": spec}))
            .map_err(|e| Error::Check(e.to_string()))?;
        retry(|| async { samples.create(&PostParams::default(), &obj).await })
            .await
            .map_err(|e| {
                Error::kube(
                    format!("create invalid Sample {name} past the schema-less CRD"),
                    e,
                )
            })?;
    }
    ku::create_sample(c, ns, "good", 1).await?;
    let mut notes = Vec::new();
    for (name, _) in &bad {
        let s = wait_for(
            &format!("Sample {name} Ready=False InvalidSpec"),
            T_READY,
            || async {
                let s = ku::get_json(&samples, name).await.ok()??;
                (ku::ready_reason(&s).as_deref() == Some("InvalidSpec")).then_some(s)
            },
        )
        .await?;
        ensure!(
            ku::get_json(&deps, &format!("{name}-demo-deploy"))
                .await?
                .is_none(),
            "the invalid Sample {name} got a Deployment"
        );
        ku::wait_event(
            c,
            ns,
            name,
            "Warning",
            "InvalidSpec",
            Duration::from_secs(20),
        )
        .await?;
        if notes.is_empty() {
            notes.push(format!(
                "e.g. {}",
                ku::condition(&s, "Ready")
                    .map(|c| c["message"].to_string())
                    .unwrap_or_default()
            ));
        }
    }
    ku::wait_sample_ready(c, ns, "good", 1, T_READY).await?;
    for (name, _) in &bad {
        ku::delete(&samples, name).await?;
    }
    ku::delete(&samples, "good").await?;
    for (name, _) in &bad {
        ku::wait_gone(&samples, name, T_READY).await?;
    }
    ku::wait_gone(&samples, "good", T_READY).await?;
    check_alive(&mut op)?;
    notes.push(format!(
        "{} invalid Samples: InvalidSpec + Warning Event, no children; neighbour Ready",
        bad.len()
    ));
    Ok(notes)
}
