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

//! The OpenWhisk standalone controller: StatefulSet `controller` (service account
//! `nuvolaris-openwhisk-core`), Services `controller`, `controller-ip`, `debugger`. The overlay sets
//! the image (`spec.controller.image[:tag]` or the operator default) and the environment derived
//! from `spec.configs` and `spec.couchdb`, with the upstream defaults.

use super::common::set_image;
use crate::error::Result;
use crate::overlay::{Overlay, Patch};
use crate::placement::{pod_patch, Placement};
use crate::resolve::{RenderInput, Settings};
use nuvolaris_api::whisk::Resources;
use serde_json::{json, Value};

/// Image the controller base names (replaced through `images:`).
pub const BASE_IMAGE: &str = "ghcr.io/nuvolaris/openwhisk-controller";

/// Container resources from the upstream `cpu-req`/`cpu-lim`/`mem-req`/`mem-lim` (defaults 500m/1/1G/2G).
pub fn resources(r: &Resources) -> Value {
    let or = |v: &Option<String>, d: &str| v.clone().unwrap_or_else(|| d.to_string());
    json!({
        "requests": { "cpu": or(&r.cpu_req, "500m"), "memory": or(&r.mem_req, "1G") },
        "limits": { "cpu": or(&r.cpu_lim, "1"), "memory": or(&r.mem_lim, "2G") },
    })
}

/// The controller image: `spec.controller.image` (with `spec.controller.tag` when the image has
/// none), else the operator's configured default.
pub fn image(input: &RenderInput<'_>) -> String {
    let ov = input.whisk.spec.controller.as_ref();
    match ov.and_then(|c| c.image.clone()).filter(|i| !i.is_empty()) {
        Some(img) => {
            let (_, tag, digest) = crate::settings::split_image(&img);
            match (
                tag,
                digest,
                ov.and_then(|c| c.tag.clone()).filter(|t| !t.is_empty()),
            ) {
                (None, None, Some(t)) => format!("{img}:{t}"),
                _ => img,
            }
        }
        None => input.operator.controller_image.clone(),
    }
}

/// The environment values computed from the spec: (name, value), in base order.
pub fn env(input: &RenderInput<'_>, s: &Settings) -> Vec<(&'static str, String)> {
    let cfg = input.whisk.spec.configs_or_default();
    let limits = cfg.limits.clone().unwrap_or_default();
    let actions = limits.actions.clone().unwrap_or_default();
    let time = limits.time.clone().unwrap_or_default();
    let memory = limits.memory.clone().unwrap_or_default();
    let conc = limits.concurrency.clone().unwrap_or_default();
    let i = |v: Option<i64>, d: i64| v.unwrap_or(d).to_string();
    let st =
        |v: Option<String>, d: &str| v.filter(|x| !x.is_empty()).unwrap_or_else(|| d.to_string());
    vec![
        (
            "JAVA_OPTS",
            st(
                cfg.controller.as_ref().and_then(|c| c.java_opts.clone()),
                "-Xmx2048M",
            ),
        ),
        (
            "CONFIG_whisk_containerPool_userMemory",
            st(
                cfg.invoker
                    .as_ref()
                    .and_then(|c| c.container_pool.as_ref())
                    .and_then(|p| p.user_memory.clone()),
                "2048m",
            ),
        ),
        (
            "LIMITS_ACTIONS_INVOKES_PERMINUTE",
            i(actions.invokes_per_minute, 60),
        ),
        (
            "LIMITS_ACTIONS_INVOKES_CONCURRENT",
            i(actions.invokes_concurrent, 30),
        ),
        (
            "LIMITS_TRIGGERS_FIRES_PERMINUTE",
            i(
                limits.triggers.as_ref().and_then(|t| t.fires_per_minute),
                60,
            ),
        ),
        (
            "LIMITS_ACTIONS_SEQUENCE_MAXLENGTH",
            i(actions.sequence_max_length, 50),
        ),
        ("CONFIG_whisk_timeLimit_min", st(time.limit_min, "100ms")),
        ("CONFIG_whisk_timeLimit_std", st(time.limit_std, "1min")),
        ("CONFIG_whisk_timeLimit_max", st(time.limit_max, "5min")),
        ("CONFIG_whisk_memory_min", st(memory.limit_min, "128m")),
        ("CONFIG_whisk_memory_std", st(memory.limit_std, "256m")),
        ("CONFIG_whisk_memory_max", st(memory.limit_max, "512m")),
        ("CONFIG_whisk_concurrencyLimit_min", i(conc.limit_min, 1)),
        ("CONFIG_whisk_concurrencyLimit_max", i(conc.limit_max, 1)),
        ("CONFIG_whisk_concurrencyLimit_std", i(conc.limit_std, 1)),
        (
            "CONFIG_whisk_activation_payload_max",
            i(
                limits
                    .activations
                    .as_ref()
                    .and_then(|a| a.max_allowed_payload),
                1_048_576,
            ),
        ),
        (
            "CONFIG_whisk_loadbalancer_blackboxFraction",
            st(
                limits
                    .loadbalancer
                    .as_ref()
                    .and_then(|l| l.blackbox_fraction.clone()),
                "10%",
            ),
        ),
        (
            "CONFIG_whisk_loadbalancer_timeoutFactor",
            i(
                limits.loadbalancer.as_ref().and_then(|l| l.timeout_factor),
                2,
            ),
        ),
        (
            "CONFIG_logback_log_level",
            cfg.controller
                .as_ref()
                .and_then(|c| c.logging_level)
                .map(|l| {
                    serde_json::to_value(l)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                })
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| "INFO".to_string()),
        ),
        ("CONFIG_whisk_couchdb_port", s.couchdb_port.to_string()),
        ("CONFIG_whisk_couchdb_host", s.couchdb_host.clone()),
        (
            "CONFIG_whisk_kubernetes_actionNamespace",
            s.namespace.clone(),
        ),
        (
            "WHISK_API_HOST_NAME",
            format!("controller.{}.svc.cluster.local", s.namespace),
        ),
    ]
}

/// Base `controller`, its image, and the environment/resources patch.
pub fn contribute(input: &RenderInput<'_>, s: &Settings, o: &mut Overlay) -> Result<()> {
    o.bases.push("controller".into());
    set_image(o, BASE_IMAGE, &image(input));
    let env: Vec<Value> = env(input, s)
        .into_iter()
        .map(|(n, v)| json!({ "name": n, "value": v }))
        .collect();
    let mut container = json!({ "name": "controller", "env": env });
    let res = input
        .whisk
        .spec
        .configs
        .as_ref()
        .and_then(|c| c.controller.as_ref())
        .and_then(|c| c.resources.as_ref());
    if let Some(r) = res.filter(|r| r.cpu_req.is_some()) {
        container["resources"] = resources(r);
    }
    o.patches.push(Patch::Strategic(json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": { "name": "controller" },
        "spec": { "template": {
            // the runtimes reach the controller through a ConfigMap reference, which does not
            // restart it: a hash of them in the pod template does
            "metadata": { "annotations": { RUNTIMES_HASH_ANNOTATION: runtimes_hash(input.runtimes_json) } },
            "spec": { "containers": [ container ] }
        } }
    })));
    let n = input.whisk.spec.nuvolaris_or_default();
    let placement = Placement::of(s, n.affinity, n.tolerations);
    o.patches.extend(pod_patch(
        &placement,
        "apps/v1",
        "StatefulSet",
        "controller",
        "controller",
        None,
    ));
    Ok(())
}

/// Pod-template annotation of the controller holding [`runtimes_hash`].
pub const RUNTIMES_HASH_ANNOTATION: &str = "nuvolaris.org/runtimes-hash";

/// First 16 hex digits of the SHA-256 of the runtimes manifest.
pub fn runtimes_hash(runtimes_json: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(runtimes_json.as_bytes())[..8])
}
