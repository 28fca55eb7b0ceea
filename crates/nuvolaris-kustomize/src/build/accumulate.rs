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

//! Accumulating resources: a kustomization's `resources` (files and nested kustomizations),
//! then its generators, its `components`, and its transformers, recursively and with the
//! limits that keep a hostile tree from running away (kustomize `KustTarget.AccumulateTarget`).

use super::pipeline::Pipeline;
use super::target::{display, Target};
use crate::error::Error;
use crate::fieldspec::TransformerConfig;
use crate::kustomization::Var;
use crate::loader::{normalize, Loader};
use crate::resource::{ResMap, Resource};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

/// How deep kustomizations may nest before the build gives up.
pub const MAX_DEPTH: usize = 64;

/// How many kustomization folders one build may load (guards against exponential diamonds).
pub const MAX_TARGETS: usize = 1024;

/// How many resources one build may hold.
pub const MAX_RESOURCES: usize = 200_000;

/// The resources accumulated so far plus the transformer configuration and vars in force.
pub(super) struct Acc {
    /// The resources.
    pub res: ResMap,
    /// Field specs of the built-in transformers (defaults merged with `configurations:`).
    pub config: Arc<TransformerConfig>,
    /// Vars declared so far.
    pub vars: Vec<Var>,
}

impl Acc {
    /// Nothing accumulated, the default transformer configuration.
    pub fn new() -> Self {
        Acc {
            res: ResMap::new(),
            config: TransformerConfig::default_config(),
            vars: Vec::new(),
        }
    }

    fn merge_config(&mut self, other: &Arc<TransformerConfig>) {
        if Arc::ptr_eq(&self.config, other) {
            return;
        }
        let mut c = (*self.config).clone();
        c.merge(other);
        self.config = Arc::new(c);
    }

    fn merge_vars(&mut self, vars: &[Var]) -> Result<(), Error> {
        for v in vars {
            if self.vars.iter().any(|x| x.name == v.name) {
                return Err(Error::build(format!(
                    "var '{}' already encountered",
                    v.name
                )));
            }
            self.vars.push(v.clone());
        }
        Ok(())
    }
}

/// Walks the kustomization tree of one build.
pub(super) struct Accumulator<'a> {
    /// Reads kustomizations and the files they name.
    pub loader: &'a dyn Loader,
    /// Real paths of the kustomization folders being built (ancestors of the current one).
    pub stack: Vec<PathBuf>,
    /// Whether `buildMetadata: [transformerAnnotations]` asks to record transformers.
    pub transformer_annotations: bool,
    /// Kustomization folders loaded so far.
    pub loads: usize,
}

impl Accumulator<'_> {
    /// Accumulates the kustomization `t` into `acc`.
    pub fn accumulate(&mut self, t: &Target, mut acc: Acc) -> Result<Acc, Error> {
        self.loads += 1;
        if self.loads > MAX_TARGETS {
            return Err(Error::build(format!(
                "build loads more than {MAX_TARGETS} kustomizations (at '{}'); refusing to continue",
                display(&t.dir)
            )));
        }
        if self.stack.len() > MAX_DEPTH {
            return Err(Error::build(format!(
                "kustomizations nested deeper than {MAX_DEPTH} at '{}'",
                display(&t.dir)
            )));
        }
        if !t.k.configurations.is_empty() {
            let mut cfg = (*acc.config).clone();
            for f in &t.k.configurations {
                let bytes = t.read_in_root(self.loader, f)?;
                for doc in crate::parse::parse_yaml(&bytes, f)?.iter() {
                    cfg.merge_file(doc.clone(), f)?;
                }
            }
            acc.config = Arc::new(cfg);
        }
        for path in &t.k.resources {
            self.accumulate_resource(t, &mut acc, path)?;
            if acc.res.items.len() > MAX_RESOURCES {
                return Err(Error::build(format!(
                    "build holds more than {MAX_RESOURCES} resources; refusing to continue"
                )));
            }
        }
        // kustomize runs this level's generators before its components, so a component can
        // merge into a generated resource and its transformers see them
        let pipeline = Pipeline {
            loader: self.loader,
            t,
            transformer_annotations: self.transformer_annotations,
        };
        pipeline.run_generators(&mut acc.res)?;
        for path in &t.k.components {
            acc = self.accumulate_dir(t, acc, path, true)?;
        }
        pipeline.run_transformers(&mut acc.res, &acc.config)?;
        acc.merge_vars(&t.k.vars)?;
        Ok(acc)
    }

    fn accumulate_resource(&mut self, t: &Target, acc: &mut Acc, path: &str) -> Result<(), Error> {
        if path.contains("://") || path.starts_with("git@") || path.starts_with("github.com/") {
            return Err(Error::Unsupported(format!(
                "remote resource '{path}' in {}",
                t.file_name
            )));
        }
        let full = normalize(&t.dir.join(path));
        if self.loader.is_file(&full) {
            t.check_in_root(self.loader, &full)?;
            let bytes = self.loader.read(&full)?;
            let origin = normalize(&t.rel.join(path)).display().to_string();
            let docs = crate::parse::parse_yaml(&bytes, &display(&full))?;
            for doc in docs.iter() {
                for obj in expand_list(doc, &display(&full))? {
                    let mut r = Resource::new(obj);
                    r.origin = Some(origin.clone());
                    acc.res.append(r)?;
                }
            }
            return Ok(());
        }
        if self.loader.is_dir(&full) {
            let sub = std::mem::replace(acc, Acc::new());
            let sub_acc = self.accumulate_dir(t, Acc::new(), path, false);
            *acc = sub;
            let sub_acc = sub_acc?;
            acc.res.append_all(sub_acc.res)?;
            acc.merge_config(&sub_acc.config);
            acc.merge_vars(&sub_acc.vars)?;
            return Ok(());
        }
        let abs = self
            .loader
            .real_path(&t.dir)
            .unwrap_or_else(|_| t.dir.clone())
            .join(path);
        Err(Error::build(format!(
            "accumulating resources: accumulation err='accumulating resources from '{path}': open {}: no such file or directory': must build at directory: not a valid directory: evalsymlink failure on '{}' : lstat {}: no such file or directory",
            display(&abs),
            display(&abs),
            display(&abs)
        )))
    }

    fn accumulate_dir(
        &mut self,
        t: &Target,
        acc: Acc,
        path: &str,
        component: bool,
    ) -> Result<Acc, Error> {
        let full = normalize(&t.dir.join(path));
        if !self.loader.is_dir(&full) {
            return Err(Error::build(format!(
                "accumulating components: loader.New \"{path}\": must build at directory: not a valid directory: '{}'",
                display(&full)
            )));
        }
        let real = self.loader.real_path(&full)?;
        for visited in &self.stack {
            if visited.starts_with(&real) {
                return Err(Error::build(format!(
                    "accumulating resources: cycle detected: candidate root '{}' contains visited root '{}'",
                    display(&real),
                    display(visited)
                )));
            }
        }
        let sub = Target::load(self.loader, &full, normalize(&t.rel.join(path)))?;
        if component && sub.k.kind != "Component" {
            return Err(Error::build(format!(
                "accumulating components: expected kind 'Component' for path '{}' but got '{}'",
                display(&real),
                sub.k.kind
            )));
        }
        if !component && sub.k.kind == "Component" {
            return Err(Error::build(format!(
                "accumulating resources: expected kind != 'Component' for path '{}'",
                display(&real)
            )));
        }
        self.stack.push(real);
        let out = self.accumulate(&sub, acc);
        self.stack.pop();
        out
    }
}

/// Expands `kind: List` documents into their items.
fn expand_list(doc: &Value, file: &str) -> Result<Vec<Value>, Error> {
    let Value::Object(o) = doc else {
        return Err(Error::build(format!(
            "accumulating resources from '{file}': missing Resource metadata"
        )));
    };
    let kind = o.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind.ends_with("List") && o.get("items").is_some_and(Value::is_array) {
        let mut out = Vec::new();
        if let Some(Value::Array(items)) = o.get("items") {
            for it in items {
                out.extend(expand_list(it, file)?);
            }
        }
        return Ok(out);
    }
    if kind.is_empty() {
        return Err(Error::build(format!(
            "accumulating resources from '{file}': missing kind in object {doc}"
        )));
    }
    let has_name = o
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    if !has_name {
        return Err(Error::build(format!(
            "accumulating resources from '{file}': missing metadata.name in object {doc}"
        )));
    }
    Ok(vec![doc.clone()])
}
