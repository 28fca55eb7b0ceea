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

//! Native, in-process kustomize engine that matches `kubectl kustomize`.
//!
//! Resources are `serde_json::Value` documents. [`build`] runs a kustomization folder
//! through the same transformer pipeline as kustomize v5 and [`build_yaml`] prints the
//! result byte for byte as `kubectl kustomize` does.
//!
//! Reconcilers build overlays in memory:
//!
//! ```
//! use nuvolaris_kustomize::{build_yaml, MemLoader};
//! use std::path::Path;
//!
//! let loader = MemLoader::new()
//!     .with("base/kustomization.yaml", "resources: [deployment.yaml]\n")
//!     .with("base/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n")
//!     .with("overlay/kustomization.yaml", "resources: [../base]\nnamePrefix: s1-\nreplicas:\n- name: web\n  count: 3\n");
//! let out = build_yaml(&loader, Path::new("overlay")).unwrap();
//! assert_eq!(out, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: s1-web\nspec:\n  replicas: 3\n");
//! ```

mod build;
pub mod error;
pub mod fieldspec;
pub mod kustomization;
pub mod loader;
mod parse;
pub mod resid;
pub mod resource;
pub mod selector;
pub mod transformers;
pub mod yaml;

pub use error::Error;
pub use loader::{FsLoader, Loader, MemLoader};

use std::path::Path;

/// Builds the kustomization in `dir` and returns its resources in output order.
pub fn build(loader: &dyn Loader, dir: &Path) -> Result<Vec<serde_json::Value>, Error> {
    Ok(build::build_resmap(loader, dir)?
        .items
        .into_iter()
        .map(|r| r.obj)
        .collect())
}

/// Builds the kustomization in `dir` and returns the resources with their kustomize bookkeeping.
pub fn build_resources(loader: &dyn Loader, dir: &Path) -> Result<resource::ResMap, Error> {
    build::build_resmap(loader, dir)
}

/// Builds the kustomization in `dir` and prints it as `kubectl kustomize` does.
pub fn build_yaml(loader: &dyn Loader, dir: &Path) -> Result<String, Error> {
    Ok(yaml::to_yaml_stream(&build(loader, dir)?))
}
