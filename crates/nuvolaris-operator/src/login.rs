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

//! Logging in to the API server, as the training's `@kopf.on.login` handler does.
//!
//! `--kubeconfig` / `--context` win; otherwise the in-cluster service account when its token
//! file exists; otherwise the kubeconfig (`KUBECONFIG`, then `~/.kube/config`).

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use std::path::{Path, PathBuf};

/// The service account token file whose presence means "in cluster".
pub const SA_TOKEN: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/// How the client was configured (for the startup log line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// An explicit `--kubeconfig` and/or `--context`.
    Flags,
    /// The in-cluster service account.
    InCluster,
    /// `KUBECONFIG` or `~/.kube/config`.
    Kubeconfig,
}

/// Builds the client configuration.
pub async fn config(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> anyhow::Result<(Config, Source)> {
    let opts = KubeConfigOptions {
        context: context.map(str::to_string),
        ..Default::default()
    };
    if kubeconfig.is_some() || context.is_some() {
        let cfg = match kubeconfig {
            Some(p) => {
                let kc = Kubeconfig::read_from(p)
                    .map_err(|e| anyhow::anyhow!("--kubeconfig {}: {e}", p.display()))?;
                Config::from_custom_kubeconfig(kc, &opts).await
            }
            None => Config::from_kubeconfig(&opts).await,
        }
        .map_err(|e| {
            anyhow::anyhow!(
                "kubeconfig context {:?}: {e}",
                context.unwrap_or("(current)")
            )
        })?;
        return Ok((cfg, Source::Flags));
    }
    if PathBuf::from(SA_TOKEN).exists() {
        let cfg = Config::incluster()
            .map_err(|e| anyhow::anyhow!("in-cluster login ({SA_TOKEN} exists): {e}"))?;
        return Ok((cfg, Source::InCluster));
    }
    let cfg = Config::from_kubeconfig(&opts).await.map_err(|e| {
        anyhow::anyhow!(
            "no {SA_TOKEN} and no usable kubeconfig (KUBECONFIG or ~/.kube/config): {e}"
        )
    })?;
    Ok((cfg, Source::Kubeconfig))
}

/// Builds the client.
pub async fn client(kubeconfig: Option<&Path>, context: Option<&str>) -> anyhow::Result<Client> {
    let (mut cfg, source) = config(kubeconfig, context).await?;
    cfg.apply_debug_overrides();
    tracing::info!(?source, cluster = %cfg.cluster_url, namespace = %cfg.default_namespace, "logged in");
    Ok(Client::try_from(cfg)?)
}
