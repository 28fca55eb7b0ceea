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

//! The embedded kustomize bases and the generated overlay that instantiates them.
//!
//! Each component owns a base folder under `manifests/<component>/` (embedded at compile time). A
//! render writes one overlay `kustomization.yaml` (plus patch files) into an in-memory loader
//! next to the bases and builds it with `nuvolaris-kustomize`, the way kustomize instantiates a
//! base: `namespace`, `images`, `patches`, and a `secretGenerator` whose content-hash suffix is
//! rewritten into every reference.

use crate::error::{Error, Result};
use nuvolaris_kustomize::MemLoader;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Root of the in-memory tree.
pub const ROOT: &str = "/whisk";
/// Folder of the generated overlay.
pub const OVERLAY_DIR: &str = "/whisk/overlay";

/// Every embedded base file: (path relative to `manifests/`, content).
pub const BASE_FILES: &[(&str, &str)] = &[
    (
        "couchdb/kustomization.yaml",
        include_str!("../manifests/couchdb/kustomization.yaml"),
    ),
    (
        "couchdb/couchdb-sts.yaml",
        include_str!("../manifests/couchdb/couchdb-sts.yaml"),
    ),
    (
        "couchdb/couchdb-svc.yaml",
        include_str!("../manifests/couchdb/couchdb-svc.yaml"),
    ),
    (
        "couchdb-init/kustomization.yaml",
        include_str!("../manifests/couchdb-init/kustomization.yaml"),
    ),
    (
        "couchdb-init/couchdb-init-job.yaml",
        include_str!("../manifests/couchdb-init/couchdb-init-job.yaml"),
    ),
    (
        "preloader/kustomization.yaml",
        include_str!("../manifests/preloader/kustomization.yaml"),
    ),
    (
        "preloader/preload-runtimes-job.yaml",
        include_str!("../manifests/preloader/preload-runtimes-job.yaml"),
    ),
    (
        "controller/kustomization.yaml",
        include_str!("../manifests/controller/kustomization.yaml"),
    ),
    (
        "controller/controller-sts.yaml",
        include_str!("../manifests/controller/controller-sts.yaml"),
    ),
    (
        "controller/controller-svc.yaml",
        include_str!("../manifests/controller/controller-svc.yaml"),
    ),
    (
        "endpoint/kustomization.yaml",
        include_str!("../manifests/endpoint/kustomization.yaml"),
    ),
    (
        "endpoint/apihost-info-ingress.yaml",
        include_str!("../manifests/endpoint/apihost-info-ingress.yaml"),
    ),
    (
        "endpoint/apihost-ingress.yaml",
        include_str!("../manifests/endpoint/apihost-ingress.yaml"),
    ),
    (
        "endpoint/apihost-my-ingress.yaml",
        include_str!("../manifests/endpoint/apihost-my-ingress.yaml"),
    ),
    (
        "endpoint-www/kustomization.yaml",
        include_str!("../manifests/endpoint-www/kustomization.yaml"),
    ),
    (
        "endpoint-www/apihost-www-my-ingress.yaml",
        include_str!("../manifests/endpoint-www/apihost-www-my-ingress.yaml"),
    ),
];

/// A patch of the overlay: a strategic-merge patch (whole object fragment) or an RFC 6902 list.
#[derive(Clone, Debug, PartialEq)]
pub enum Patch {
    /// Strategic-merge patch; its target is its own apiVersion/kind/name.
    Strategic(Value),
    /// JSON 6902 operations on the object `kind`/`name`.
    Json6902 {
        /// Target kind.
        kind: String,
        /// Target name.
        name: String,
        /// The operations.
        ops: Value,
    },
}

/// An `images:` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Image {
    /// Image name in the base.
    pub name: String,
    /// Replacement repository.
    pub new_name: Option<String>,
    /// Replacement tag.
    pub new_tag: Option<String>,
    /// Replacement digest.
    pub digest: Option<String>,
}

/// A `secretGenerator:` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecretGen {
    /// Secret name (before the hash suffix).
    pub name: String,
    /// `key=value` literals.
    pub literals: Vec<(String, String)>,
    /// Labels of the generated Secret.
    pub labels: Vec<(String, String)>,
}

/// The overlay a render computes: typed, then written as a kustomization.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overlay {
    /// Namespace of every object.
    pub namespace: String,
    /// Base folders (names under `manifests/`).
    pub bases: Vec<String>,
    /// `images:` entries.
    pub images: Vec<Image>,
    /// Patches in order.
    pub patches: Vec<Patch>,
    /// `secretGenerator:` entries.
    pub secrets: Vec<SecretGen>,
}

impl Overlay {
    /// The overlay's `kustomization.yaml` document and its patch files (path relative to the overlay).
    pub fn to_files(&self) -> Result<(Value, Vec<(String, Value)>)> {
        let mut patches = Vec::new();
        let mut files = Vec::new();
        for (i, p) in self.patches.iter().enumerate() {
            let file = format!("patch-{i:02}.json");
            match p {
                Patch::Strategic(v) => {
                    patches.push(json!({ "path": file }));
                    files.push((file, v.clone()));
                }
                Patch::Json6902 { kind, name, ops } => {
                    patches.push(json!({ "path": file, "target": { "kind": kind, "name": name } }));
                    files.push((file, ops.clone()));
                }
            }
        }
        let images: Vec<Value> = self
            .images
            .iter()
            .map(
                |Image {
                     name,
                     new_name,
                     new_tag: tag,
                     digest,
                 }| {
                    let mut m = serde_json::Map::new();
                    m.insert("name".into(), json!(name));
                    if let Some(n) = new_name {
                        m.insert("newName".into(), json!(n));
                    }
                    if let Some(t) = tag {
                        m.insert("newTag".into(), json!(t));
                    }
                    if let Some(d) = digest {
                        m.insert("digest".into(), json!(d));
                    }
                    Value::Object(m)
                },
            )
            .collect();
        let secrets: Vec<Value> = self
            .secrets
            .iter()
            .map(|SecretGen { name, literals, labels }| {
                let labels: serde_json::Map<String, Value> =
                    labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
                json!({
                    "name": name,
                    "literals": literals.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
                    "options": { "labels": labels },
                })
            })
            .collect();
        let mut k = serde_json::Map::new();
        k.insert(
            "apiVersion".into(),
            json!("kustomize.config.k8s.io/v1beta1"),
        );
        k.insert("kind".into(), json!("Kustomization"));
        k.insert("namespace".into(), json!(self.namespace));
        k.insert(
            "resources".into(),
            json!(self
                .bases
                .iter()
                .map(|b| format!("../manifests/{b}"))
                .collect::<Vec<_>>()),
        );
        if !images.is_empty() {
            k.insert("images".into(), Value::Array(images));
        }
        if !secrets.is_empty() {
            k.insert("secretGenerator".into(), Value::Array(secrets));
        }
        if !patches.is_empty() {
            k.insert("patches".into(), Value::Array(patches));
        }
        Ok((Value::Object(k), files))
    }

    /// An in-memory tree holding the embedded bases and this overlay, ready for a build of [`OVERLAY_DIR`].
    pub fn loader(&self) -> Result<MemLoader> {
        let mut l = MemLoader::default();
        for (rel, content) in BASE_FILES {
            l.files.insert(
                PathBuf::from(format!("{ROOT}/manifests/{rel}")),
                content.as_bytes().to_vec(),
            );
        }
        let (k, files) = self.to_files()?;
        let ser = |what: &str, v: &Value| {
            serde_json::to_vec_pretty(v).map_err(|source| Error::Serialize {
                what: what.into(),
                source,
            })
        };
        l.files.insert(
            Path::new(OVERLAY_DIR).join("kustomization.yaml"),
            ser("overlay kustomization", &k)?,
        );
        for (name, v) in files {
            let bytes = ser(&name, &v)?;
            l.files.insert(Path::new(OVERLAY_DIR).join(name), bytes);
        }
        Ok(l)
    }
}

/// Writes a loader's files under `dir` (for `kubectl kustomize` comparisons and debugging).
pub fn write_tree(loader: &MemLoader, dir: &Path) -> std::io::Result<()> {
    for (p, content) in &loader.files {
        let rel = p.strip_prefix("/").unwrap_or(p);
        let target = dir.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(target, content)?;
    }
    Ok(())
}
