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

//! The `crds` scenario: the CRDs of `crds/` install and their resources are served.

use super::Done;
use crate::backend::Backend;
use crate::kube_util as ku;
use crate::kube_util::retry;
use crate::{ensure, Error, Result};
use futures::future::BoxFuture;
use kube::api::{Api, DynamicObject, ListParams};

pub(super) fn crds(b: &Backend) -> BoxFuture<'_, Result<Done>> {
    Box::pin(async move {
        let names = ku::install_crds(&b.client, &crate::workspace_root().join("crds")).await?;
        ensure!(
            names.iter().any(|n| n == "samples.nuvolaris.org"),
            "crds/ has no samples.nuvolaris.org: {names:?}"
        );
        ensure!(
            names.iter().any(|n| n == "whisks.nuvolaris.org"),
            "crds/ has no whisks.nuvolaris.org: {names:?}"
        );
        ku::ensure_namespace(&b.client, "e2e-crds").await?;
        for ar in [ku::sample_resource(), ku::whisk_resource()] {
            let api: Api<DynamicObject> = Api::namespaced_with(b.client.clone(), "e2e-crds", &ar);
            retry(|| async { api.list(&ListParams::default()).await })
                .await
                .map_err(|e| Error::kube(format!("list {} (is the CRD served?)", ar.plural), e))?;
        }
        Ok(Done::Passed(vec![format!(
            "{} CRDs established",
            names.len()
        )]))
    })
}
