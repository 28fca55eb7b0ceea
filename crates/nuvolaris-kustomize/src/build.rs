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

//! The build: accumulate resources, bases and components recursively, run generators and
//! transformers in kustomize's fixed order, then hash suffixes, name references, vars and sort
//! (kustomize `KustTarget`).

use crate::fieldspec::TransformerConfig;
use crate::kustomization::{Kustomization, Var, KUSTOMIZATION_FILES};
use crate::loader::{normalize, Loader};
use crate::resource::{ResMap, Resource};
use crate::transformers::{
    generators, images, labels, nameref, namespace, patches, prefixsuffix, replacements, replicas, sort, vars,
};
use crate::Error;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How deep kustomizations may nest before the build gives up.
pub const MAX_DEPTH: usize = 64;

/// A loaded kustomization and where it lives.
struct Target {
    dir: PathBuf,
    /// Path of `dir` relative to the top kustomization (for origin annotations).
    rel: PathBuf,
    file_name: String,
    k: Kustomization,
}

/// The resources accumulated so far plus the transformer configuration and vars in force.
struct Acc {
    res: ResMap,
    config: Arc<TransformerConfig>,
    vars: Vec<Var>,
}

impl Acc {
    fn new() -> Self {
        Acc { res: ResMap::new(), config: TransformerConfig::default_config(), vars: Vec::new() }
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
                return Err(Error::build(format!("var '{}' already encountered", v.name)));
            }
            self.vars.push(v.clone());
        }
        Ok(())
    }
}

struct Builder<'a> {
    loader: &'a dyn Loader,
    /// Real paths of the kustomization folders being built (ancestors of the current one).
    stack: Vec<PathBuf>,
    origin_annotations: bool,
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

impl<'a> Builder<'a> {
    fn load_target(&self, dir: &Path, rel: PathBuf) -> Result<Target, Error> {
        let found: Vec<&str> =
            KUSTOMIZATION_FILES.iter().copied().filter(|f| self.loader.is_file(&dir.join(f))).collect();
        let file_name = match found.as_slice() {
            [one] => one.to_string(),
            [] => {
                return Err(Error::build(format!(
                    "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{}'",
                    display(&self.loader.real_path(dir).unwrap_or_else(|_| dir.to_path_buf()))
                )))
            }
            _ => return Err(Error::build(format!("Found multiple kustomization files under: {}", display(dir)))),
        };
        let path = dir.join(&file_name);
        let bytes = self.loader.read(&path)?;
        let docs = crate::parse::parse_yaml(&bytes, &display(&path))?;
        let doc = match docs.len() {
            0 => Value::Null,
            1 => docs[0].clone(),
            _ => {
                return Err(Error::Kustomization {
                    file: display(&path),
                    message: "a kustomization file must hold a single YAML document".into(),
                })
            }
        };
        let empty = match &doc {
            Value::Null => true,
            Value::Object(o) => o.keys().all(|k| k == "apiVersion" || k == "kind"),
            _ => false,
        };
        if empty {
            return Err(Error::build(format!("{file_name} is empty")));
        }
        let k = Kustomization::from_value(doc, &display(&path))?;
        Ok(Target { dir: dir.to_path_buf(), rel, file_name, k })
    }

    /// Reads a file named by a kustomization, enforcing that it stays inside the folder.
    fn read_in_root(&self, t: &Target, rel: &str) -> Result<Vec<u8>, Error> {
        let p = normalize(&t.dir.join(rel));
        self.check_in_root(t, &p)?;
        self.loader.read(&p).map_err(|e| match e {
            Error::Io { message, .. } => Error::build(format!(
                "{}: open {}: {message}",
                t.file_name,
                display(&self.loader.real_path(&t.dir).unwrap_or_else(|_| t.dir.clone()).join(rel))
            )),
            other => other,
        })
    }

    fn check_in_root(&self, t: &Target, p: &Path) -> Result<(), Error> {
        let root = self.loader.real_path(&t.dir)?;
        let real = match self.loader.real_path(p) {
            Ok(r) => r,
            Err(_) => return Ok(()), // missing file: reported by the read
        };
        if !real.starts_with(&root) {
            return Err(Error::Security { file: display(&real), root: display(&root) });
        }
        Ok(())
    }

    fn accumulate(&mut self, t: &Target, mut acc: Acc) -> Result<Acc, Error> {
        if self.stack.len() > MAX_DEPTH {
            return Err(Error::build(format!("kustomizations nested deeper than {MAX_DEPTH} at '{}'", display(&t.dir))));
        }
        if !t.k.configurations.is_empty() {
            let mut cfg = (*acc.config).clone();
            for f in &t.k.configurations {
                let bytes = self.read_in_root(t, f)?;
                for doc in crate::parse::parse_yaml(&bytes, f)?.iter() {
                    cfg.merge_file(doc.clone(), f)?;
                }
            }
            acc.config = Arc::new(cfg);
        }
        for path in &t.k.resources {
            self.accumulate_resource(t, &mut acc, path)?;
        }
        for path in &t.k.components {
            acc = self.accumulate_dir(t, acc, path, true)?;
        }
        self.run_generators(t, &mut acc)?;
        self.run_transformers(t, &mut acc)?;
        acc.merge_vars(&t.k.vars)?;
        Ok(acc)
    }

    fn accumulate_resource(&mut self, t: &Target, acc: &mut Acc, path: &str) -> Result<(), Error> {
        if path.contains("://") || path.starts_with("git@") || path.starts_with("github.com/") {
            return Err(Error::Unsupported(format!("remote resource '{path}' in {}", t.file_name)));
        }
        let full = normalize(&t.dir.join(path));
        if self.loader.is_file(&full) {
            self.check_in_root(t, &full)?;
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
        let abs = self.loader.real_path(&t.dir).unwrap_or_else(|_| t.dir.clone()).join(path);
        Err(Error::build(format!(
            "accumulating resources: accumulation err='accumulating resources from '{path}': open {}: no such file or directory': must build at directory: not a valid directory: evalsymlink failure on '{}' : lstat {}: no such file or directory",
            display(&abs),
            display(&abs),
            display(&abs)
        )))
    }

    fn accumulate_dir(&mut self, t: &Target, acc: Acc, path: &str, component: bool) -> Result<Acc, Error> {
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
        let sub = self.load_target(&full, normalize(&t.rel.join(path)))?;
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

    fn run_generators(&self, t: &Target, acc: &mut Acc) -> Result<(), Error> {
        if !t.k.generators.is_empty() {
            return Err(Error::Unsupported(format!("generator plugins ('generators' in {})", t.file_name)));
        }
        struct Files<'b, 'c> {
            b: &'b Builder<'c>,
            t: &'b Target,
        }
        impl generators::FileSource for Files<'_, '_> {
            fn read_file(&self, path: &str) -> Result<Vec<u8>, Error> {
                self.b.read_in_root(self.t, path)
            }
        }
        let files = Files { b: self, t };
        let global = t.k.generator_options.as_ref();
        for (args, secret) in t
            .k
            .config_map_generator
            .iter()
            .map(|a| (a, false))
            .chain(t.k.secret_generator.iter().map(|a| (a, true)))
        {
            let mut r = generators::generate(args, global, secret, &files)?;
            r.origin = Some(format!(
                "configuredIn: {}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {}\n",
                normalize(&t.rel.join(&t.file_name)).display(),
                if secret { "SecretGenerator" } else { "ConfigMapGenerator" }
            ));
            generators::absorb(&mut acc.res, r)?;
        }
        Ok(())
    }

    fn load_patch(&self, t: &Target, p: &crate::kustomization::Patch) -> Result<(patches::Patch, String), Error> {
        let text = match (p.path.is_empty(), p.patch.trim().is_empty()) {
            (true, true) => return Err(Error::build(format!("must specify one of patch and path in {}", t.file_name))),
            (false, false) => {
                return Err(Error::build(format!("patch and path can't be set at the same time in {}", t.file_name)))
            }
            (false, true) => String::from_utf8_lossy(&self.read_in_root(t, &p.path)?).into_owned(),
            (true, false) => p.patch.clone(),
        };
        let docs = crate::parse::parse_yaml(text.as_bytes(), if p.path.is_empty() { &t.file_name } else { &p.path })?;
        Ok((patches::classify(&docs, &text)?, text))
    }

    fn run_transformers(&self, t: &Target, acc: &mut Acc) -> Result<(), Error> {
        let k = &t.k;
        let cfg = acc.config.clone();
        // 1. patchesStrategicMerge
        for entry in &k.patches_strategic_merge {
            let inline = entry.contains('\n') || !self.loader.is_file(&normalize(&t.dir.join(entry)));
            let text = if inline && (entry.contains('\n') || entry.contains(':')) {
                entry.clone()
            } else {
                String::from_utf8_lossy(&self.read_in_root(t, entry)?).into_owned()
            };
            let docs = crate::parse::parse_yaml(text.as_bytes(), entry)?;
            for d in docs.iter() {
                if !d.is_object() {
                    return Err(Error::build(format!("patchesStrategicMerge entry '{entry}' is not a strategic merge patch")));
                }
            }
            let p = patches::Patch::Sm(docs.to_vec());
            patches::apply(&mut acc.res, &p, None, patches::Options::default(), &text)?;
        }
        // 2. patches
        for p in &k.patches {
            let (patch, text) = self.load_patch(t, p)?;
            let opts = patches::Options {
                allow_name_change: p.options.get("allowNameChange").copied().unwrap_or(false),
                allow_kind_change: p.options.get("allowKindChange").copied().unwrap_or(false),
            };
            patches::apply(&mut acc.res, &patch, p.target.as_ref(), opts, &text)?;
        }
        // 3. namespace
        if !k.namespace.is_empty() {
            namespace::apply(&mut acc.res, &k.namespace, &cfg.namespace)?;
        }
        // 4. prefix, suffix
        prefixsuffix::apply(&mut acc.res, &k.name_prefix, "", &cfg.name_prefix)?;
        prefixsuffix::apply(&mut acc.res, "", &k.name_suffix, &cfg.name_suffix)?;
        // 5. labels, then commonLabels
        for l in &k.labels {
            let mut specs = l.fields.clone();
            let push = |specs: &mut Vec<crate::fieldspec::FieldSpec>, from: &[crate::fieldspec::FieldSpec]| {
                for f in from {
                    if !specs.iter().any(|x| x.gvk == f.gvk && x.path == f.path) {
                        specs.push(f.clone());
                    }
                }
            };
            if l.include_selectors {
                push(&mut specs, &cfg.common_labels);
            } else {
                push(&mut specs, &[crate::fieldspec::FieldSpec::new("", "", "", "metadata/labels", true)]);
                if l.include_templates {
                    push(&mut specs, &cfg.template_labels);
                }
            }
            labels::apply(&mut acc.res, &l.pairs, &specs)?;
        }
        labels::apply(&mut acc.res, &k.common_labels, &cfg.common_labels)?;
        // 6. commonAnnotations
        labels::apply(&mut acc.res, &k.common_annotations, &cfg.common_annotations)?;
        // 7. patchesJson6902
        for p in &k.patches_json6902 {
            let (patch, text) = self.load_patch(t, p)?;
            if p.target.is_none() {
                return Err(Error::build(format!("must specify a target for patch {text}")));
            }
            patches::apply(&mut acc.res, &patch, p.target.as_ref(), patches::Options::default(), &text)?;
        }
        // 8. replicas
        replicas::apply(&mut acc.res, &k.replicas, &cfg.replicas)?;
        // 9. images
        images::apply(&mut acc.res, &k.images, &cfg.images)?;
        // 10. replacements
        if !k.replacements.is_empty() {
            let mut list = Vec::new();
            for r in &k.replacements {
                match r.get("path").and_then(Value::as_str) {
                    Some(p) if r.get("source").is_none() => {
                        let bytes = self.read_in_root(t, p)?;
                        for d in crate::parse::parse_yaml(&bytes, p)?.iter() {
                            match d {
                                Value::Array(items) => list.extend(items.iter().cloned()),
                                other => list.push(other.clone()),
                            }
                        }
                    }
                    _ => list.push(r.clone()),
                }
            }
            replacements::apply(&mut acc.res, &list)?;
        }
        // 11. transformer plugins
        if !k.transformers.is_empty() {
            return Err(Error::Unsupported(format!("transformer plugins ('transformers' in {})", t.file_name)));
        }
        if !k.validators.is_empty() {
            return Err(Error::Unsupported(format!("validator plugins ('validators' in {})", t.file_name)));
        }
        if k.helm_charts.is_some() || k.helm_chart_inflation_generator.is_some() {
            return Err(Error::Unsupported(format!("helm charts in {}", t.file_name)));
        }
        Ok(())
    }
}

/// Expands `kind: List` documents into their items.
fn expand_list(doc: &Value, file: &str) -> Result<Vec<Value>, Error> {
    let Value::Object(o) = doc else {
        return Err(Error::Yaml { file: file.into(), message: "a resource must be a YAML mapping".into() });
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
        return Err(Error::build(format!("missing Resource metadata: kind is required in {file}")));
    }
    Ok(vec![doc.clone()])
}

/// Builds the kustomization at `dir` into the final, ordered resource list.
pub fn build_resmap(loader: &dyn Loader, dir: &Path) -> Result<ResMap, Error> {
    let dir = normalize(dir);
    let mut b = Builder { loader, stack: Vec::new(), origin_annotations: false };
    let top = b.load_target(&dir, PathBuf::new())?;
    if top.k.kind == "Component" {
        return Err(Error::build(format!(
            "expected kind != 'Component' for path '{}'",
            display(&loader.real_path(&dir).unwrap_or(dir.clone()))
        )));
    }
    b.origin_annotations = top.k.build_metadata.iter().any(|m| m == "originAnnotations");
    b.stack.push(loader.real_path(&dir)?);
    let mut acc = b.accumulate(&top, Acc::new())?;
    generators::add_hashes(&mut acc.res)?;
    nameref::fix(&mut acc.res, &acc.config.name_reference)?;
    vars::resolve(&mut acc.res, &acc.vars, &acc.config.var_reference)?;
    acc.res.items.retain(|r| {
        r.obj.pointer("/metadata/annotations/config.kubernetes.io~1local-config").and_then(Value::as_str) != Some("true")
    });
    for m in &top.k.build_metadata {
        match m.as_str() {
            "originAnnotations" => {
                for r in acc.res.items.iter_mut() {
                    if let Some(o) = r.origin.clone() {
                        let text = if o.contains('\n') { o } else { format!("path: {o}\n") };
                        let md = r.metadata_mut();
                        let ann = md.entry("annotations").or_insert_with(|| Value::Object(Default::default()));
                        if let Value::Object(a) = ann {
                            a.insert("config.kubernetes.io/origin".into(), Value::String(text));
                        }
                    }
                }
            }
            "managedByLabel" => {
                for r in acc.res.items.iter_mut() {
                    let md = r.metadata_mut();
                    let l = md.entry("labels").or_insert_with(|| Value::Object(Default::default()));
                    if let Value::Object(l) = l {
                        l.insert("app.kubernetes.io/managed-by".into(), Value::String("kustomize-v5.8.1".into()));
                    }
                }
            }
            "transformerAnnotations" => {}
            other => return Err(Error::build(format!("invalid option in buildMetadata: {other}"))),
        }
    }
    sort::apply(&mut acc.res, top.k.sort_options.as_ref())?;
    Ok(acc.res)
}
