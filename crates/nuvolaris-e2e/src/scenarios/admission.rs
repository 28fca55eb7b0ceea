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

//! The `admission` scenario: invalid Samples are rejected at admission with 422.

use super::support::setup;
use super::Done;
use crate::backend::Backend;
use crate::kube_util as ku;
use crate::kube_util::retry;
use crate::{ensure, Error, Result};
use futures::future::BoxFuture;
use kube::api::{DynamicObject, ListParams, PostParams};
use serde_json::json;

pub(super) fn admission(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        let ns = "e2e-admission";
        let c = setup(b, ns).await?;
        let samples = ku::samples(&c, ns);
        let cases = [
            ("negative", json!({"count": -1}), "spec.count"),
            ("too-many", json!({"count": 1001}), "spec.count"),
            ("string", json!({"count": "two"}), "spec.count"),
            ("float", json!({"count": 2.5}), "spec.count"),
            ("missing-count", json!({"image": "nginx"}), "spec.count"),
            (
                "image-number",
                json!({"count": 1, "image": 5}),
                "spec.image",
            ),
        ];
        for (name, spec, field) in &cases {
            let obj: DynamicObject = serde_json::from_value(json!({"apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": name}, "spec": spec}))
                .map_err(|e| Error::Check(e.to_string()))?;
            match retry(|| async { samples.create(&PostParams::default(), &obj).await }).await {
                Err(kube::Error::Api(s)) => {
                    ensure!(
                        s.code == 422 && s.reason == "Invalid",
                        "Sample {name} ({spec}): expected 422 Invalid, got {} {}: {}",
                        s.code,
                        s.reason,
                        s.message
                    );
                    ensure!(
                        s.message.contains(field),
                        "Sample {name}: the message does not name {field}: {}",
                        s.message
                    );
                }
                Ok(_) => {
                    return Err(Error::Check(format!(
                        "Sample {name} with spec {spec} was accepted"
                    )))
                }
                Err(e) => return Err(Error::kube(format!("create Sample {name}"), e)),
            }
        }
        let obj: DynamicObject = serde_json::from_value(json!({"apiVersion": "nuvolaris.org/v1", "kind": "Sample", "metadata": {"name": "no-spec"}}))
            .map_err(|e| Error::Check(e.to_string()))?;
        match retry(|| async { samples.create(&PostParams::default(), &obj).await }).await {
            Err(kube::Error::Api(s)) if s.code == 422 && s.message.contains("spec") => {}
            other => {
                return Err(Error::Check(format!(
                    "a Sample without spec: expected 422 naming spec, got {:?}",
                    other.map(|_| "created")
                )))
            }
        }
        let left = ku::list_json(&samples, &ListParams::default()).await?;
        ensure!(left.is_empty(), "rejected Samples exist: {}", left.len());
        Ok(Done::Passed(vec![format!(
            "{} invalid Samples rejected with 422",
            cases.len() + 1
        )]))
    })
}
