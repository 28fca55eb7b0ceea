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

//! The reading end of a reconcile: everything [`crate::plan::plan`] needs, in as few requests as
//! possible (the runtime offers no child caches to reconcilers yet; when it does, [`Observed::live`]
//! comes from them instead of the two list calls).
//!
//! Requests: the Whisks of the namespace (one Whisk per namespace), the generated-credentials
//! Secret, the nodes (only with `kube: auto`), the ingress load-balancer Service (only with an
//! automatic api host off kind), `cm/openwhisk-runtimes`, `cm/config`, the StatefulSets and the
//! Jobs of the namespace, and discovery of the optional kinds (cached). The load-balancer
//! Service is also watched from then on ([`LbWatch`]).

use crate::components::Live;
use crate::lb_watch::LbWatch;
use crate::plan::Observed;
use crate::render::DEFAULT_RUNTIMES_JSON;
use crate::secrets::generated_secret_name;
use crate::settings::{ClusterFacts, LbAddress};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Node, Secret, Service};
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use nuvolaris_api::whisk::Whisk;
use nuvolaris_runtime::{Ctx, Error, OptionalKinds};
use serde_json::Value;
use std::collections::BTreeMap;

fn kube_err(action: impl Into<String>) -> impl FnOnce(kube::Error) -> Error {
    let action = action.into();
    move |e| Error::kube(action, e)
}

/// The Whisk that holds `w`'s namespace when it is not `w`: the oldest one (creation time, then
/// name). `None` when `w` holds it.
pub async fn namespace_holder(w: &Whisk, ctx: &Ctx) -> Result<Option<String>, Error> {
    let ns = w.namespace().unwrap_or_else(|| "default".into());
    let api: Api<Whisk> = Api::namespaced(ctx.client.clone(), &ns);
    let list = api
        .list_metadata(&ListParams::default())
        .await
        .map_err(kube_err(format!("list whisks in {ns}")))?;
    let mut all: Vec<(Option<String>, String)> = list
        .items
        .into_iter()
        .map(|m| {
            (
                m.metadata
                    .creation_timestamp
                    .map(|t| format!("{:020}", t.0.as_second())),
                m.metadata.name.unwrap_or_default(),
            )
        })
        .collect();
    all.sort();
    let me = w.name_any();
    Ok(all
        .into_iter()
        .find(|(t, _)| t.is_some())
        .map(|(_, n)| n)
        .filter(|n| *n != me))
}

/// Kube flavour (when `auto`) and the ingress load-balancer address; best effort.
pub async fn facts(w: &Whisk, ctx: &Ctx, lb: &LbWatch) -> ClusterFacts {
    let n = w.spec.nuvolaris_or_default();
    let auto = |v: &Option<String>| v.as_deref().is_none_or(|s| s.is_empty() || s == "auto");
    let mut facts = ClusterFacts::default();
    if auto(&n.kube) {
        let nodes: Api<Node> = Api::all(ctx.client.clone());
        if let Ok(list) = nodes.list(&ListParams::default().limit(20)).await {
            facts.kube = detect_kube(&list.items);
        }
    }
    let kube = if auto(&n.kube) {
        facts.kube.clone()
    } else {
        n.kube.clone()
    };
    if auto(&n.apihost) && kube.as_deref() != Some("kind") {
        let (ns, svc) = lb_service(n.ingresslb.as_deref(), kube.as_deref());
        lb.ensure(&ctx.client, &ns, &svc);
        let api: Api<Service> = Api::namespaced(ctx.client.clone(), &ns);
        if let Ok(Some(s)) = api.get_opt(&svc).await {
            let first = s
                .status
                .and_then(|st| st.load_balancer)
                .and_then(|lb| lb.ingress)
                .and_then(|i| i.into_iter().next());
            facts.ingress_lb = first.and_then(|i| match (i.hostname, i.ip) {
                (Some(h), _) if !h.is_empty() => Some(LbAddress::Hostname(h)),
                (_, Some(ip)) if !ip.is_empty() => Some(LbAddress::Ip(ip)),
                _ => None,
            });
        }
    }
    facts
}

/// (namespace, name) of the ingress controller's LoadBalancer Service: `nuvolaris.ingresslb`
/// (`ns/name`), else upstream's default for the kube flavour.
pub fn lb_service(ingresslb: Option<&str>, kube: Option<&str>) -> (String, String) {
    match ingresslb
        .filter(|s| *s != "auto")
        .and_then(|s| s.split_once('/'))
    {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None if kube == Some("microk8s") => ("ingress".into(), "ingress-nginx-controller".into()),
        None => ("ingress-nginx".into(), "ingress-nginx-controller".into()),
    }
}

/// Kube flavour from node labels (`nuvolaris.io/kube` wins) and provider ids.
pub fn detect_kube(nodes: &[Node]) -> Option<String> {
    for n in nodes {
        if let Some(k) = n.labels().get("nuvolaris.io/kube") {
            return Some(k.clone());
        }
    }
    for n in nodes {
        let pid = n
            .spec
            .as_ref()
            .and_then(|s| s.provider_id.clone())
            .unwrap_or_default();
        let labels = n.labels();
        if pid.starts_with("kind://") {
            return Some("kind".into());
        }
        if labels
            .get("node.kubernetes.io/instance-type")
            .map(String::as_str)
            == Some("k3s")
        {
            return Some("k3s".into());
        }
        if labels.contains_key("microk8s.io/cluster") {
            return Some("microk8s".into());
        }
        if labels.contains_key("node.openshift.io/os_id") {
            return Some("openshift".into());
        }
        if pid.starts_with("aws://") {
            return Some("eks".into());
        }
        if pid.starts_with("azure://") {
            return Some("aks".into());
        }
        if pid.starts_with("gce://") {
            return Some("gke".into());
        }
        if pid.starts_with("linode://") {
            return Some("lks".into());
        }
    }
    None
}

fn with_kind(mut v: Value, kind: &str, api_version: &str) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.insert("kind".into(), Value::String(kind.into()));
        o.insert("apiVersion".into(), Value::String(api_version.into()));
    }
    v
}

/// Reads everything the plan of `w` needs.
pub async fn observe(
    w: &Whisk,
    ctx: &Ctx,
    optional: &OptionalKinds,
    lb: &LbWatch,
) -> Result<Observed, Error> {
    let ns = w.namespace().unwrap_or_else(|| "default".into());
    if let Some(h) = namespace_holder(w, ctx).await? {
        return Ok(Observed {
            holder: Some(h),
            ..Default::default()
        });
    }
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &ns);
    let name = generated_secret_name(&w.name_any());
    let stored = secrets
        .get_opt(&name)
        .await
        .map_err(kube_err(format!("get secret {ns}/{name}")))?
        .map(|s| {
            s.data
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(k, v)| String::from_utf8(v.0).ok().map(|s| (k, s)))
                .collect::<BTreeMap<_, _>>()
        });
    let facts = facts(w, ctx, lb).await;
    let cms: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &ns);
    let runtimes_json = match cms.get_opt("openwhisk-runtimes").await {
        Ok(Some(cm)) => cm
            .data
            .and_then(|d| d.get("runtimes.json").cloned())
            .unwrap_or_else(|| DEFAULT_RUNTIMES_JSON.to_string()),
        _ => DEFAULT_RUNTIMES_JSON.to_string(),
    };
    let config = cms
        .get_opt("config")
        .await
        .map_err(kube_err(format!("get configmap {ns}/config")))?
        .map(|cm| cm.annotations().clone());
    let lp = ListParams::default();
    let sts: Api<StatefulSet> = Api::namespaced(ctx.client.clone(), &ns);
    let jobs: Api<Job> = Api::namespaced(ctx.client.clone(), &ns);
    let mut live = Vec::new();
    for s in sts
        .list(&lp)
        .await
        .map_err(kube_err(format!("list statefulsets in {ns}")))?
    {
        live.push(with_kind(
            serde_json::to_value(s).map_err(Error::Serialize)?,
            "StatefulSet",
            "apps/v1",
        ));
    }
    for j in jobs
        .list(&lp)
        .await
        .map_err(kube_err(format!("list jobs in {ns}")))?
    {
        live.push(with_kind(
            serde_json::to_value(j).map_err(Error::Serialize)?,
            "Job",
            "batch/v1",
        ));
    }
    let served = optional.served(&ctx.client).await;
    Ok(Observed {
        holder: None,
        facts,
        runtimes_json,
        stored,
        config,
        live: Live::from_objects(live),
        served,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case(json!({"providerID": "kind://docker/kind/kind-control-plane"}), json!({}), Some("kind"))]
    #[case(json!({}), json!({"nuvolaris.io/kube": "k3s"}), Some("k3s"))]
    #[case(json!({"providerID": "aws:///eu-west-1a/i-1"}), json!({}), Some("eks"))]
    #[case(json!({}), json!({}), None)]
    fn detects_kube(#[case] spec: Value, #[case] labels: Value, #[case] want: Option<&str>) {
        let n: Node = serde_json::from_value(
            json!({"metadata": {"name": "n", "labels": labels}, "spec": spec}),
        )
        .unwrap();
        assert_eq!(detect_kube(&[n]).as_deref(), want);
    }

    #[rstest]
    #[case(None, None, ("ingress-nginx", "ingress-nginx-controller"))]
    #[case(Some("auto"), Some("microk8s"), ("ingress", "ingress-nginx-controller"))]
    #[case(Some("kube-system/traefik"), Some("k3s"), ("kube-system", "traefik"))]
    fn load_balancer_service(
        #[case] lb: Option<&str>,
        #[case] kube: Option<&str>,
        #[case] want: (&str, &str),
    ) {
        assert_eq!(
            lb_service(lb, kube),
            (want.0.to_string(), want.1.to_string())
        );
    }
}
