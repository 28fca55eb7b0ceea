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

//! Sample reconciler: `spec.count` drives the replicas of `<name>-demo-deploy`.
//!
//! The `sample` kustomize base (the training's `demo-deployment.yaml`, `patch.yaml` and
//! `kustomization.yaml`, embedded) is instantiated per Sample by an in-memory overlay computed
//! from the spec: namespace, `namePrefix: <name>-`, instance and managed-by labels (selectors and
//! templates included), a strategic-merge patch shaped like the training's `patch.yaml` setting
//! `spec.replicas = spec.count`, and the image from `spec.image`. The runtime applies it with
//! server-side apply, an ownerReference and inventory labels.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::DynamicObject;
use nuvolaris_api::sample::{Sample, SampleCreate, SampleStatus, MAX_COUNT, MIN_COUNT};
use nuvolaris_kustomize::yaml::to_yaml;
use nuvolaris_kustomize::MemLoader;
use nuvolaris_runtime::conditions::{self, now, Desired};
use nuvolaris_runtime::{
    kinds, ApplyChange, ChildKind, Ctx, Error, Owner, Prune, ReconcileOutcome, Reconciler,
};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The base's `kustomization.yaml` (the training's).
pub const BASE_KUSTOMIZATION: &str = include_str!("../manifests/sample/kustomization.yaml");
/// The base's `demo-deployment.yaml` (the training's).
pub const BASE_DEPLOYMENT: &str = include_str!("../manifests/sample/demo-deployment.yaml");
/// The base's `patch.yaml` (the training's).
pub const BASE_PATCH: &str = include_str!("../manifests/sample/patch.yaml");

/// Name of the Deployment in the base (before the name prefix).
pub const BASE_NAME: &str = "demo-deploy";
/// Namespace the training's manifests use; the overlay's patch targets it exactly like the
/// training's `patch.yaml`, then the overlay moves everything to the Sample's namespace.
pub const BASE_NAMESPACE: &str = "demo";
/// Label with the Sample's name on every rendered object, selector and pod template.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
/// How often to look again while the Deployment is not ready.
pub const NOT_READY_REQUEUE: Duration = Duration::from_secs(30);

/// The Sample reconciler.
#[derive(Clone, Debug, Default)]
pub struct SampleReconciler;

/// The Sample reconciler as the operator binary registers it.
pub fn registration() -> Arc<dyn nuvolaris_runtime::Registration> {
    nuvolaris_runtime::register(SampleReconciler)
}

/// Splits an image reference into kustomize `images` fields: `(newName, newTag, digest)`.
pub fn split_image(image: &str) -> (String, Option<String>, Option<String>) {
    if let Some((name, digest)) = image.split_once('@') {
        return (name.to_string(), None, Some(digest.to_string()));
    }
    let last_slash = image.rfind('/').map(|i| i + 1).unwrap_or(0);
    match image[last_slash..].rfind(':') {
        Some(i) => (
            image[..last_slash + i].to_string(),
            Some(image[last_slash + i + 1..].to_string()),
            None,
        ),
        None => (image.to_string(), None, None),
    }
}

/// The in-memory kustomize tree for one Sample: `/sample/base` (embedded) and
/// `/sample/<name>` (the overlay computed from the spec). Build `/sample/<name>`.
///
/// The overlay is built as data (`serde_json` values, printed by the engine's YAML emitter),
/// never by pasting spec values into YAML text.
pub fn overlay(obj: &Sample) -> (MemLoader, std::path::PathBuf) {
    let name = obj.metadata.name.clone().unwrap_or_default();
    let ns = obj
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string());
    let (new_name, new_tag, digest) = split_image(&obj.spec.image);
    let mut image = serde_json::Map::new();
    image.insert("name".into(), json!("nginx"));
    image.insert("newName".into(), json!(new_name));
    if let Some(t) = new_tag {
        image.insert("newTag".into(), json!(t));
    }
    if let Some(d) = digest {
        image.insert("digest".into(), json!(d));
    }
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": ["../base"],
        "namespace": ns,
        "namePrefix": format!("{name}-"),
        "labels": [{
            "pairs": {
                INSTANCE_LABEL: name,
                "app.kubernetes.io/managed-by": "nuvolaris-operator",
            },
            "includeSelectors": true,
            "includeTemplates": true,
        }],
        "patches": [{"path": "patch.yaml"}],
        "images": [image],
    });
    let patch = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": BASE_NAME, "namespace": BASE_NAMESPACE},
        "spec": {"replicas": obj.spec.count},
    });
    let dir = Path::new("/sample").join(&name);
    let loader = MemLoader::new()
        .with("/sample/base/kustomization.yaml", BASE_KUSTOMIZATION)
        .with("/sample/base/demo-deployment.yaml", BASE_DEPLOYMENT)
        .with("/sample/base/patch.yaml", BASE_PATCH)
        .with(dir.join("kustomization.yaml"), to_yaml(&kustomization))
        .with(dir.join("patch.yaml"), to_yaml(&patch));
    (loader, dir)
}

/// Checks what the schema enforces, for Samples that reached us without it.
pub fn validate(obj: &Sample) -> Result<(), String> {
    let name = obj.metadata.name.as_deref().unwrap_or("");
    if !(MIN_COUNT..=MAX_COUNT).contains(&obj.spec.count) {
        return Err(format!(
            "spec.count must be between {MIN_COUNT} and {MAX_COUNT}, got {}",
            obj.spec.count
        ));
    }
    if obj.spec.image.trim().is_empty() || obj.spec.image.chars().any(char::is_whitespace) {
        return Err(format!(
            "spec.image {:?} is not an image reference",
            obj.spec.image
        ));
    }
    // the name is a label value (max 63) and prefixes `demo-deploy` (a DNS-1123 subdomain)
    if name.len() > 63 {
        return Err(format!(
            "metadata.name is {} characters; at most 63 fit in label {INSTANCE_LABEL}",
            name.len()
        ));
    }
    Ok(())
}

fn int(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_i64)
}

/// Readiness of the Deployment: `(ready, replicas, readyReplicas, why-not)`.
pub fn deployment_readiness(live: &Value, want: i32) -> (bool, Option<i32>, Option<i32>, String) {
    let replicas = int(live.pointer("/status/replicas")).map(|v| v as i32);
    let ready = int(live.pointer("/status/readyReplicas")).map(|v| v as i32);
    let updated = int(live.pointer("/status/updatedReplicas")).unwrap_or(0);
    let gen = int(live.pointer("/metadata/generation")).unwrap_or(0);
    let observed = int(live.pointer("/status/observedGeneration")).unwrap_or(0);
    let want64 = i64::from(want);
    let ok = observed >= gen
        && i64::from(ready.unwrap_or(0)) == want64
        && i64::from(replicas.unwrap_or(0)) == want64
        && (want64 == 0 || updated == want64);
    let why = if observed < gen {
        "waiting for the Deployment controller to observe the new spec".to_string()
    } else {
        format!("{}/{} replicas ready", ready.unwrap_or(0), want)
    };
    (ok, replicas, ready, why)
}

/// Computes the Sample's status from what the apply did; deterministic for a steady state.
pub fn compute_status(
    obj: &Sample,
    report: &nuvolaris_runtime::ApplyReport,
    now: k8s_openapi::jiff::Timestamp,
) -> (SampleStatus, bool) {
    let old = obj.status.clone().unwrap_or_default();
    let gen = obj.metadata.generation;
    let name = format!("{}-{BASE_NAME}", obj.metadata.name.as_deref().unwrap_or(""));
    let old_conds: Vec<Condition> = old.conditions.clone();
    if let Some(c) = report.conflicts().next() {
        let msg = c.message();
        let conds = conditions::merge(
            &old_conds,
            &[
                Desired {
                    type_: conditions::READY,
                    status: conditions::FALSE,
                    reason: "Conflict",
                    message: &msg,
                },
                Desired {
                    type_: conditions::PROGRESSING,
                    status: conditions::FALSE,
                    reason: "Conflict",
                    message: &msg,
                },
                Desired {
                    type_: conditions::DEGRADED,
                    status: conditions::TRUE,
                    reason: "Conflict",
                    message: &msg,
                },
            ],
            gen,
            now,
        );
        let st = SampleStatus {
            observed_generation: gen,
            conditions: conds,
            replicas: None,
            ready_replicas: None,
            sample_create: Some(SampleCreate {
                message: msg.clone(),
            }),
        };
        return (st, false);
    }
    let written = report
        .results
        .iter()
        .find(|r| r.kind == "Deployment" && r.name == name);
    let message = match written {
        Some(r) if !matches!(r.action, ApplyChange::Unchanged) => r.message(),
        Some(r) => old
            .sample_create
            .as_ref()
            .map(|s| s.message.clone())
            .unwrap_or_else(|| r.message()),
        None => format!("deployment.apps/{name} not applied"),
    };
    let live = report
        .live("Deployment", &name)
        .cloned()
        .unwrap_or(Value::Null);
    let (ready, replicas, ready_replicas, why) = deployment_readiness(&live, obj.spec.count);
    let (r_status, r_reason, p_status, p_reason) = if ready {
        (conditions::TRUE, "Available", conditions::FALSE, "Complete")
    } else {
        (
            conditions::FALSE,
            "Progressing",
            conditions::TRUE,
            "RollingOut",
        )
    };
    let r_msg = format!("{name}: {why}");
    let conds = conditions::merge(
        &old_conds,
        &[
            Desired {
                type_: conditions::READY,
                status: r_status,
                reason: r_reason,
                message: &r_msg,
            },
            Desired {
                type_: conditions::PROGRESSING,
                status: p_status,
                reason: p_reason,
                message: &r_msg,
            },
            Desired {
                type_: conditions::DEGRADED,
                status: conditions::FALSE,
                reason: "AsExpected",
                message: "",
            },
        ],
        gen,
        now,
    );
    let st = SampleStatus {
        observed_generation: gen,
        conditions: conds,
        replicas,
        ready_replicas,
        sample_create: Some(SampleCreate { message }),
    };
    (st, ready)
}

impl Reconciler for SampleReconciler {
    type Resource = Sample;

    fn name(&self) -> &'static str {
        "sample"
    }

    fn child_kinds(&self) -> Vec<ChildKind> {
        vec![kinds::DEPLOYMENT]
    }

    fn validate(&self, obj: &Sample) -> Result<(), String> {
        validate(obj)
    }

    /// A Deployment event matters only when its readiness (against its own spec) flips: the
    /// replica counts moving one by one do not wake the Sample.
    fn child_summary(&self, _kind: &ChildKind, child: &DynamicObject) -> Value {
        let want = int(child.data.pointer("/spec/replicas")).unwrap_or(1);
        let live = serde_json::to_value(child).unwrap_or(Value::Null);
        Value::Bool(deployment_readiness(&live, i32::try_from(want).unwrap_or(i32::MAX)).0)
    }

    fn render(&self, obj: &Sample) -> Result<Vec<Value>, Error> {
        let (loader, dir) = overlay(obj);
        nuvolaris_kustomize::build(&loader, &dir).map_err(|e| Error::Kustomize {
            what: format!("sample overlay for {}", Owner::of(obj).key()),
            message: e.to_string(),
        })
    }

    async fn reconcile(&self, obj: Arc<Sample>, ctx: &Ctx) -> Result<ReconcileOutcome, Error> {
        let docs = self.render(&obj)?;
        let owner = Owner::of(&*obj);
        let report = ctx.apply(&owner, docs, &Prune::All).await?;
        let (status, ready) = compute_status(&obj, &report, now());
        let out = ReconcileOutcome::with_status(&status)?;
        Ok(if ready || report.conflicts().next().is_some() {
            out
        } else {
            out.requeue(NOT_READY_REQUEUE)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nuvolaris_api::sample::SampleSpec;
    use rstest::rstest;

    fn sample(name: &str, ns: &str, count: i32, image: &str) -> Sample {
        let mut s = Sample::new(
            name,
            SampleSpec {
                count,
                image: image.into(),
            },
        );
        s.metadata.namespace = Some(ns.into());
        s
    }

    #[rstest]
    #[case("nginx", ("nginx", None, None))]
    #[case("nginx:1.27", ("nginx", Some("1.27"), None))]
    #[case("localhost:5000/nginx", ("localhost:5000/nginx", None, None))]
    #[case("localhost:5000/team/nginx:v2", ("localhost:5000/team/nginx", Some("v2"), None))]
    #[case("nginx@sha256:abc", ("nginx", None, Some("sha256:abc")))]
    fn split_image_cases(#[case] image: &str, #[case] want: (&str, Option<&str>, Option<&str>)) {
        let (n, t, d) = split_image(image);
        assert_eq!((n.as_str(), t.as_deref(), d.as_deref()), want);
    }

    #[rstest]
    #[case(2, "nginx", "obj", true)]
    #[case(0, "nginx", "obj", true)]
    #[case(1000, "nginx", "obj", true)]
    #[case(-1, "nginx", "obj", false)]
    #[case(1001, "nginx", "obj", false)]
    #[case(1, "", "obj", false)]
    #[case(1, "ng inx", "obj", false)]
    #[case(
        1,
        "nginx",
        "a-name-that-is-far-too-long-to-be-a-label-value-because-it-exceeds-63",
        false
    )]
    fn validate_cases(
        #[case] count: i32,
        #[case] image: &str,
        #[case] name: &str,
        #[case] ok: bool,
    ) {
        assert_eq!(validate(&sample(name, "demo", count, image)).is_ok(), ok);
    }

    #[rstest]
    #[case(serde_json::json!({"metadata": {"generation": 2}, "status": {"observedGeneration": 2, "replicas": 2, "readyReplicas": 2, "updatedReplicas": 2}}), 2, true)]
    #[case(serde_json::json!({"metadata": {"generation": 3}, "status": {"observedGeneration": 2, "replicas": 2, "readyReplicas": 2, "updatedReplicas": 2}}), 2, false)]
    #[case(serde_json::json!({"metadata": {"generation": 2}, "status": {"observedGeneration": 2, "replicas": 5, "readyReplicas": 2, "updatedReplicas": 5}}), 5, false)]
    #[case(serde_json::json!({"metadata": {"generation": 1}}), 2, false)]
    #[case(serde_json::json!({"metadata": {"generation": 1}, "status": {"observedGeneration": 1}}), 0, true)]
    fn readiness(#[case] live: Value, #[case] want: i32, #[case] ready: bool) {
        assert_eq!(deployment_readiness(&live, want).0, ready);
    }

    #[test]
    fn overlay_patch_has_the_training_shape() {
        let (loader, dir) = overlay(&sample("obj", "team-a", 7, "nginx:1.27"));
        use nuvolaris_kustomize::Loader;
        let patch = String::from_utf8(loader.read(&dir.join("patch.yaml")).unwrap()).unwrap();
        assert_eq!(patch, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: demo-deploy\n  namespace: demo\nspec:\n  replicas: 7\n");
        let k = String::from_utf8(loader.read(&dir.join("kustomization.yaml")).unwrap()).unwrap();
        assert!(k.contains("namePrefix: obj-\n"), "{k}");
        assert!(k.contains("newTag: \"1.27\""), "{k}");
    }
}
