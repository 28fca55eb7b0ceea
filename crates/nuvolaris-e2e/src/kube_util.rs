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

//! Kubernetes helpers shared by the scenarios, the demo and the benchmarks.

use crate::{Error, Result};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::Scope;
use kube::Client;
use serde_json::{json, Value};
use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

/// Field manager of objects the e2e tooling applies.
pub const FIELD_MANAGER: &str = "nuvolaris-e2e";

/// The `samples.nuvolaris.org/v1` resource.
pub fn sample_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("nuvolaris.org", "v1", "Sample"),
        "samples",
    )
}

/// The `whisks.nuvolaris.org/v1` resource.
pub fn whisk_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("nuvolaris.org", "v1", "Whisk"),
        "whisks",
    )
}

/// A client for a kubeconfig file (its current context).
pub async fn client_for(kubeconfig: &Path) -> Result<Client> {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig).map_err(|e| Error::Parse {
        what: kubeconfig.display().to_string(),
        message: e.to_string(),
    })?;
    let cfg = kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
        .await
        .map_err(|e| Error::Parse {
            what: kubeconfig.display().to_string(),
            message: e.to_string(),
        })?;
    Client::try_from(cfg)
        .map_err(|e| Error::kube(format!("client for {}", kubeconfig.display()), e))
}

/// Polls `f` every 50 ms until it returns `Some`, failing after `timeout`.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return Ok(v);
        }
        if start.elapsed() > timeout {
            return Err(Error::Timeout {
                what: what.to_string(),
                secs: timeout.as_secs_f64(),
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// True for API errors worth retrying (5xx, 429, 409 Conflict from fault injection or contention).
///
/// A 409 `AlreadyExists` is final: retrying a create of an existing object never succeeds.
pub fn transient(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => {
            s.code >= 500 || s.code == 429 || (s.code == 409 && s.reason != "AlreadyExists")
        }
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

/// Runs `f` until it succeeds or fails with a non-transient error (at most 40 tries).
pub async fn retry<T, F, Fut>(f: F) -> std::result::Result<T, kube::Error>
where
    F: Fn() -> Fut,
    Fut: Future<Output = std::result::Result<T, kube::Error>>,
{
    let mut tries = 0;
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if transient(&e) && tries < 40 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(50 + 25 * tries)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Creates namespace `name` unless it exists.
pub async fn ensure_namespace(client: &Client, name: &str) -> Result<()> {
    let api: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}}))
        .map_err(|e| Error::Check(e.to_string()))?;
    match retry(|| async { api.create(&PostParams::default(), &ns).await }).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
        Err(e) => Err(Error::kube(format!("create namespace {name}"), e)),
    }
}

/// Parses a YAML stream into JSON documents (empty documents skipped).
pub fn parse_yaml_stream(text: &str, what: &str) -> Result<Vec<Value>> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| Error::Parse {
        what: what.to_string(),
        message: e.to_string(),
    })?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// The CRDs in `dir` (every `*.yaml` but `kustomization.yaml`).
pub fn read_crds(dir: &Path) -> Result<Vec<Value>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("read {}", dir.display()), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "yaml")
                && p.file_name().is_some_and(|n| n != "kustomization.yaml")
        })
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f)
            .map_err(|e| Error::io(format!("read {}", f.display()), e))?;
        for d in parse_yaml_stream(&text, &f.display().to_string())? {
            if d["kind"] == "CustomResourceDefinition" {
                out.push(d);
            }
        }
    }
    Ok(out)
}

/// Server-side applies every CRD of `dir` and waits until each is Established.
pub async fn install_crds(client: &Client, dir: &Path) -> Result<Vec<String>> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut names = Vec::new();
    for doc in read_crds(dir)? {
        let name = doc["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let pp = PatchParams::apply(FIELD_MANAGER).force();
        retry(|| async { api.patch(&name, &pp, &Patch::Apply(&doc)).await })
            .await
            .map_err(|e| Error::kube(format!("apply CRD {name}"), e))?;
        names.push(name);
    }
    for name in &names {
        wait_for(
            &format!("CRD {name} Established"),
            Duration::from_secs(30),
            || async {
                let crd = api.get(name).await.ok()?;
                crd.status?
                    .conditions?
                    .iter()
                    .any(|c| c.type_ == "Established" && c.status == "True")
                    .then_some(())
            },
        )
        .await?;
    }
    Ok(names)
}

/// Server-side applies JSON documents, resolving each kind through discovery; returns
/// `kind/namespace/name` of each.
pub async fn apply_docs(client: &Client, docs: &[Value], default_ns: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for doc in docs {
        let api_version = doc["apiVersion"].as_str().unwrap_or_default();
        let kind = doc["kind"].as_str().unwrap_or_default();
        let name = doc["metadata"]["name"].as_str().unwrap_or_default();
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let (ar, caps) = kube::discovery::pinned_kind(client, &gvk)
            .await
            .map_err(|e| Error::kube(format!("discover {api_version} {kind}"), e))?;
        let (api, ns): (Api<DynamicObject>, String) = if caps.scope == Scope::Namespaced {
            let ns = doc["metadata"]["namespace"]
                .as_str()
                .unwrap_or(default_ns)
                .to_string();
            (Api::namespaced_with(client.clone(), &ns, &ar), ns)
        } else {
            (Api::all_with(client.clone(), &ar), String::new())
        };
        let pp = PatchParams::apply(FIELD_MANAGER).force();
        retry(|| async { api.patch(name, &pp, &Patch::Apply(doc)).await })
            .await
            .map_err(|e| Error::kube(format!("apply {kind} {ns}/{name}"), e))?;
        out.push(format!("{kind}/{ns}/{name}"));
    }
    Ok(out)
}

/// The status of condition `type_` of an object (`"True"`, `"False"`, ...), if present.
pub fn condition<'a>(obj: &'a Value, type_: &str) -> Option<&'a Value> {
    obj.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
}

/// True when the object's `Ready` condition is `True` for its current generation.
pub fn ready_current(obj: &Value) -> bool {
    let gen = obj.pointer("/metadata/generation").and_then(Value::as_i64);
    let observed = obj
        .pointer("/status/observedGeneration")
        .and_then(Value::as_i64);
    condition(obj, "Ready").is_some_and(|c| c["status"] == "True") && gen == observed
}

/// The reason of the object's `Ready` condition.
pub fn ready_reason(obj: &Value) -> Option<String> {
    condition(obj, "Ready").and_then(|c| c["reason"].as_str().map(String::from))
}

/// A DynamicObject as JSON.
pub fn to_json(obj: &DynamicObject) -> Value {
    serde_json::to_value(obj).unwrap_or(Value::Null)
}

/// Gets an object as JSON (`None` when it does not exist), retrying transient errors.
pub async fn get_json(api: &Api<DynamicObject>, name: &str) -> Result<Option<Value>> {
    retry(|| async { api.get_opt(name).await })
        .await
        .map(|o| o.as_ref().map(to_json))
        .map_err(|e| Error::kube(format!("get {name}"), e))
}

/// Lists objects as JSON, retrying transient errors.
pub async fn list_json(api: &Api<DynamicObject>, lp: &ListParams) -> Result<Vec<Value>> {
    retry(|| async { api.list(lp).await })
        .await
        .map(|l| l.items.iter().map(to_json).collect())
        .map_err(|e| Error::kube("list", e))
}

/// The `events.k8s.io/v1` Events of a namespace about object `name` (all when `None`).
pub async fn events(client: &Client, ns: &str, name: Option<&str>) -> Result<Vec<Value>> {
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("events.k8s.io", "v1", "Event"),
        "events",
    );
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &ar);
    let all = list_json(&api, &ListParams::default()).await?;
    Ok(all
        .into_iter()
        .filter(|e| {
            name.is_none_or(|n| e.pointer("/regarding/name").and_then(Value::as_str) == Some(n))
        })
        .collect())
}

/// The Deployment API of a namespace (untyped).
pub fn deployments(client: &Client, ns: &str) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("apps", "v1", "Deployment"),
        "deployments",
    );
    Api::namespaced_with(client.clone(), ns, &ar)
}

/// The Sample API of a namespace (untyped, so invalid objects can be read too).
pub fn samples(client: &Client, ns: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), ns, &sample_resource())
}

/// A Sample manifest.
pub fn sample(name: &str, ns: &str, count: i64) -> Value {
    json!({
        "apiVersion": "nuvolaris.org/v1",
        "kind": "Sample",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"count": count}
    })
}

/// Creates a Sample (retrying transient errors; an existing one is fine).
pub async fn create_sample(client: &Client, ns: &str, name: &str, count: i64) -> Result<()> {
    let api = samples(client, ns);
    let obj: DynamicObject =
        serde_json::from_value(sample(name, ns, count)).map_err(|e| Error::Check(e.to_string()))?;
    match retry(|| async { api.create(&PostParams::default(), &obj).await }).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 && s.reason == "AlreadyExists" => Ok(()),
        Err(e) => Err(Error::kube(format!("create Sample {ns}/{name}"), e)),
    }
}

/// Merge-patches a Sample's `spec.count`.
pub async fn set_count(client: &Client, ns: &str, name: &str, count: i64) -> Result<()> {
    let api = samples(client, ns);
    let patch = json!({"spec": {"count": count}});
    retry(|| async {
        api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
    })
    .await
    .map(|_| ())
    .map_err(|e| Error::kube(format!("patch Sample {ns}/{name} count={count}"), e))
}

/// Deletes an object (already gone is fine).
pub async fn delete(api: &Api<DynamicObject>, name: &str) -> Result<()> {
    match retry(|| async { api.delete(name, &Default::default()).await }).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(Error::kube(format!("delete {name}"), e)),
    }
}

/// Waits until Sample `name` is Ready for its generation and its Deployment has `count` replicas.
pub async fn wait_sample_ready(
    client: &Client,
    ns: &str,
    name: &str,
    count: i64,
    timeout: Duration,
) -> Result<Value> {
    let s = samples(client, ns);
    let d = deployments(client, ns);
    wait_for(
        &format!("Sample {ns}/{name} Ready with {count} replicas"),
        timeout,
        || async {
            let obj = get_json(&s, name).await.ok()??;
            let dep = get_json(&d, &format!("{name}-demo-deploy")).await.ok()??;
            (ready_current(&obj)
                && obj.pointer("/spec/count").and_then(Value::as_i64) == Some(count)
                && dep.pointer("/spec/replicas").and_then(Value::as_i64) == Some(count))
            .then_some(obj)
        },
    )
    .await
}

/// Waits until an object is gone.
pub async fn wait_gone(api: &Api<DynamicObject>, name: &str, timeout: Duration) -> Result<()> {
    wait_for(&format!("{name} deleted"), timeout, || async {
        matches!(get_json(api, name).await, Ok(None)).then_some(())
    })
    .await
}

/// On an API server without nodes (embedded, envtest), creates one labelled
/// `nuvolaris.io/kube: kind`, so the Whisk endpoint resolves its apihost as on a kind cluster
/// (`http://localhost:3233`) instead of waiting for an ingress load balancer; returns whether it did.
pub async fn ensure_kind_node(client: &Client) -> Result<bool> {
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("", "v1", "Node"), "nodes");
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    if !list_json(&api, &ListParams::default()).await?.is_empty() {
        return Ok(false);
    }
    let node: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "embedded-node", "labels": {"nuvolaris.io/kube": "kind", "kubernetes.io/hostname": "embedded-node"}}
    }))
    .map_err(|e| Error::Check(e.to_string()))?;
    match retry(|| async { api.create(&PostParams::default(), &node).await }).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
        Err(e) => Err(Error::kube("create node embedded-node", e)),
    }
}

/// Waits (up to `timeout`) for an Event of `type_` and `reason` about object `name` in `ns`
/// (Events are recorded after the status they explain, so a reader may see the status first).
pub async fn wait_event(
    client: &Client,
    ns: &str,
    name: &str,
    type_: &str,
    reason: &str,
    timeout: Duration,
) -> Result<Value> {
    wait_for(
        &format!("a {type_} {reason} Event about {ns}/{name}"),
        timeout,
        || async {
            events(client, ns, Some(name))
                .await
                .ok()?
                .into_iter()
                .find(|e| e["type"] == type_ && e["reason"] == reason)
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::transient;
    use rstest::rstest;

    #[rstest]
    #[case::server_error(500, "InternalError", true)]
    #[case::unavailable(503, "ServiceUnavailable", true)]
    #[case::throttled(429, "TooManyRequests", true)]
    #[case::stale_resource_version(409, "Conflict", true)]
    #[case::already_exists_is_final(409, "AlreadyExists", false)]
    #[case::not_found(404, "NotFound", false)]
    #[case::invalid(422, "Invalid", false)]
    fn which_api_errors_are_retried(#[case] code: u16, #[case] reason: &str, #[case] retry: bool) {
        let status = kube::core::Status {
            code,
            reason: reason.to_string(),
            ..Default::default()
        };
        assert_eq!(transient(&kube::Error::Api(Box::new(status))), retry);
    }
}
