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

//! What the scenarios share: starting an operator process, the namespace and CRDs, liveness
//! checks, the operator's ServiceAccount kubeconfig.

use crate::backend::Backend;
use crate::kube_util as ku;
use crate::kube_util::{retry, wait_for};
use crate::operator::{OperatorOpts, OperatorProcess};
use crate::{ensure, Error, Result};
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::{Api, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::Client;
use serde_json::json;
use std::path::Path;
use std::time::Duration;

/// How a scenario that did not fail ended.
#[derive(Debug)]
pub enum Done {
    /// Passed, with measurements worth reporting.
    Passed(Vec<String>),
    /// Not applicable to the backend, with the reason.
    NotApplicable(String),
}

pub(super) const T_READY: Duration = Duration::from_secs(60);

/// Starts an operator process and waits for `/readyz` (None when the operator runs in-cluster).
pub(super) async fn start_operator(
    b: &Backend,
    opts: OperatorOpts,
) -> Result<Option<OperatorProcess>> {
    if b.operator_in_cluster {
        return Ok(None);
    }
    let mut p = OperatorProcess::spawn(&b.operator_bin, &b.kubeconfig, b.workdir.path(), &opts)?;
    p.wait_ready(T_READY).await?;
    Ok(Some(p))
}

pub(super) fn opts(name: &str) -> OperatorOpts {
    OperatorOpts {
        name: name.into(),
        ..Default::default()
    }
}

pub(super) async fn setup(b: &Backend, ns: &str) -> Result<Client> {
    ku::install_crds(&b.client, &crate::workspace_root().join("crds")).await?;
    ku::ensure_namespace(&b.client, ns).await?;
    Ok(b.client.clone())
}

/// Fails when the operator exited or logged a panic.
pub(super) fn check_alive(p: &mut Option<OperatorProcess>) -> Result<()> {
    if let Some(p) = p {
        if let Some(st) = p.exited() {
            return Err(Error::Check(format!(
                "operator {} exited with {st}; log tail:\n{}",
                p.name,
                p.log_tail(20)
            )));
        }
        let panics = crate::operator::panics(&p.logs());
        ensure!(
            panics.is_empty(),
            "operator {} panicked: {}",
            p.name,
            panics.join("\n")
        );
    }
    Ok(())
}

pub(super) fn process_scenario_na(b: &Backend) -> Option<Done> {
    b.operator_in_cluster.then(|| {
        Done::NotApplicable("the operator runs in-cluster on this backend; process-control scenarios run on embedded, envtest and cluster".into())
    })
}

/// A kubeconfig like `admin` but authenticating with `token`.
pub(super) fn kubeconfig_with_token(admin: &Path, token: &str, out: &Path) -> Result<()> {
    let mut kc = kube::config::Kubeconfig::read_from(admin).map_err(|e| Error::Parse {
        what: admin.display().to_string(),
        message: e.to_string(),
    })?;
    let current = kc.current_context.clone().unwrap_or_default();
    let user = kc
        .contexts
        .iter()
        .find(|c| c.name == current)
        .and_then(|c| c.context.as_ref())
        .map(|c| c.user.clone())
        .unwrap_or_default();
    for a in &mut kc.auth_infos {
        if Some(&a.name) == user.as_ref() || user.is_none() {
            a.auth_info = Some(kube::config::AuthInfo {
                token: Some(token.to_string().into()),
                ..Default::default()
            });
        }
    }
    let yaml = serde_saphyr::to_string(&kc).map_err(|e| Error::Parse {
        what: "kubeconfig".into(),
        message: e.to_string(),
    })?;
    std::fs::write(out, yaml).map_err(|e| Error::io(format!("write {}", out.display()), e))
}

/// Namespace and name of the ServiceAccount the operator runs as in the RBAC checks.
pub const OPERATOR_SA: (&str, &str) = ("e2e-rbac-operator", "nuvolaris-operator-e2e");

/// Creates (idempotently) the operator's ServiceAccount bound to the shipped ClusterRole
/// (`charts-free-kustomize/operator/cluster-role.yaml`) and writes a kubeconfig with its token.
pub(super) async fn operator_sa_kubeconfig(b: &Backend) -> Result<std::path::PathBuf> {
    let c = b.client.clone();
    let sa_ns = "e2e-rbac-operator";
    ku::ensure_namespace(&c, sa_ns).await?;
    let role_file =
        crate::workspace_root().join("charts-free-kustomize/operator/cluster-role.yaml");
    let text = std::fs::read_to_string(&role_file)
        .map_err(|e| Error::io(format!("read {}", role_file.display()), e))?;
    let mut role = ku::parse_yaml_stream(&text, &role_file.display().to_string())?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Check("empty cluster-role.yaml".into()))?;
    role["metadata"] = json!({"name": "nuvolaris-operator-e2e"});
    let docs = vec![
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "nuvolaris-operator-e2e", "namespace": sa_ns}}),
        role,
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "nuvolaris-operator-e2e"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "nuvolaris-operator-e2e"},
            "subjects": [{"kind": "ServiceAccount", "name": "nuvolaris-operator-e2e", "namespace": sa_ns}]}),
    ];
    ku::apply_docs(&c, &docs, sa_ns).await?;
    let sas: Api<ServiceAccount> = Api::namespaced(c.clone(), sa_ns);
    let tr = TokenRequest {
        spec: TokenRequestSpec {
            audiences: vec![],
            expiration_seconds: Some(3600),
            ..Default::default()
        },
        ..Default::default()
    };
    let tok = retry(|| async {
        sas.create_token_request("nuvolaris-operator-e2e", &PostParams::default(), &tr)
            .await
    })
    .await
    .map_err(|e| Error::kube("TokenRequest for nuvolaris-operator-e2e", e))?;
    let token = tok.status.map(|s| s.token).unwrap_or_default();
    let kc = b.workdir.path().join("operator-sa.kubeconfig");
    kubeconfig_with_token(&b.kubeconfig, &token, &kc)?;
    Ok(kc)
}

pub(super) fn ar(group: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, "v1", kind), plural)
}

pub(super) fn secs(d: Option<Duration>) -> f64 {
    d.map(|d| d.as_secs_f64()).unwrap_or(f64::NAN)
}

/// `(finished reconciles, reconciles in flight)` of the Sample controller, from the operator's
/// `/metrics`.
pub(super) async fn sample_reconciles(p: &OperatorProcess) -> Result<(f64, f64)> {
    let (code, text) = p.http_get("/metrics").await?;
    ensure!(code == 200, "/metrics of {} answered {code}", p.name);
    let c = [("controller", "sample")];
    Ok((
        crate::testkit::metric(&text, "controller_runtime_reconcile_total", &c),
        crate::testkit::metric(&text, "controller_runtime_active_workers", &c),
    ))
}

/// Waits until more than `after` Sample reconciles finished and none is in flight: whatever
/// those reconciles wrote has landed.
pub(super) async fn wait_reconciled_after(p: &OperatorProcess, after: f64) -> Result<()> {
    wait_for(
        "a finished reconcile and an idle controller",
        T_READY,
        || async {
            let (done, active) = sample_reconciles(p).await.ok()?;
            (done > after && active == 0.0).then_some(())
        },
    )
    .await
}
