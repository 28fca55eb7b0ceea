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
    generators, images, labels, nameref, namespace, patches, prefixsuffix, replacements, replicas,
    sort, vars,
};
use crate::Error;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How deep kustomizations may nest before the build gives up.
pub const MAX_DEPTH: usize = 64;

/// How many kustomization folders one build may load (guards against exponential diamonds).
pub const MAX_TARGETS: usize = 1024;

/// How many resources one build may hold.
pub const MAX_RESOURCES: usize = 200_000;

/// A loaded kustomization and where it lives.
struct Target {
    dir: PathBuf,
    /// Path of `dir` relative to the top kustomization (for origin annotations).
    rel: PathBuf,
    file_name: String,
    k: Arc<Kustomization>,
}

/// The resources accumulated so far plus the transformer configuration and vars in force.
struct Acc {
    res: ResMap,
    config: Arc<TransformerConfig>,
    vars: Vec<Var>,
}

impl Acc {
    fn new() -> Self {
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

struct Builder<'a> {
    loader: &'a dyn Loader,
    /// Real paths of the kustomization folders being built (ancestors of the current one).
    stack: Vec<PathBuf>,
    origin_annotations: bool,
    transformer_annotations: bool,
    /// Kustomization folders loaded so far.
    loads: usize,
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

impl<'a> Builder<'a> {
    fn load_target(&self, dir: &Path, rel: PathBuf) -> Result<Target, Error> {
        let found: Vec<&str> = KUSTOMIZATION_FILES
            .iter()
            .copied()
            .filter(|f| self.loader.is_file(&dir.join(f)))
            .collect();
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
        let k = parse_kustomization(&bytes, &display(&path), &file_name)?;
        let problem = match (k.kind.as_str(), k.api_version.as_str()) {
            ("Kustomization", "" | "kustomize.config.k8s.io/v1beta1") => None,
            ("Component", "" | "kustomize.config.k8s.io/v1alpha1") => None,
            ("Kustomization", _) => {
                Some("apiVersion for Kustomization should be kustomize.config.k8s.io/v1beta1")
            }
            ("Component", _) => {
                Some("apiVersion for Component should be kustomize.config.k8s.io/v1alpha1")
            }
            _ => Some("kind should be Kustomization or Component"),
        };
        if let Some(p) = problem {
            return Err(Error::build(format!(
                "Failed to read kustomization file under {}:\n{p}",
                display(
                    &self
                        .loader
                        .real_path(dir)
                        .unwrap_or_else(|_| dir.to_path_buf())
                )
            )));
        }
        if let Some(path) = k
            .openapi
            .as_ref()
            .and_then(|o| o.get("path"))
            .and_then(Value::as_str)
        {
            let full = normalize(&dir.join(path));
            if !self.loader.is_file(&full) {
                return Err(Error::build(format!(
                    "evalsymlink failure on '{}' : no such file or directory",
                    display(&full)
                )));
            }
        }
        for crd in &k.crds {
            let full = normalize(&dir.join(crd));
            if !self.loader.is_file(&full) {
                return Err(Error::build(format!(
                    "loading CRDs [{crd}]: evalsymlink failure on '{}' : no such file or directory",
                    display(&full)
                )));
            }
        }
        Ok(Target {
            dir: dir.to_path_buf(),
            rel,
            file_name,
            k,
        })
    }

    /// Reads a file named by a kustomization, enforcing that it stays inside the folder.
    fn read_in_root(&self, t: &Target, rel: &str) -> Result<Vec<u8>, Error> {
        let p = normalize(&t.dir.join(rel));
        self.check_in_root(t, &p)?;
        self.loader.read(&p).map_err(|e| match e {
            Error::Io { message, .. } => Error::build(format!(
                "{}: open {}: {message}",
                t.file_name,
                display(
                    &self
                        .loader
                        .real_path(&t.dir)
                        .unwrap_or_else(|_| t.dir.clone())
                        .join(rel)
                )
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
            return Err(Error::Security {
                file: display(&real),
                root: display(&root),
            });
        }
        Ok(())
    }

    fn accumulate(&mut self, t: &Target, mut acc: Acc) -> Result<Acc, Error> {
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
                let bytes = self.read_in_root(t, f)?;
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
        self.run_generators(t, &mut acc)?;
        for path in &t.k.components {
            acc = self.accumulate_dir(t, acc, path, true)?;
        }
        self.run_transformers(t, &mut acc)?;
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
        for (args, secret) in
            t.k.config_map_generator
                .iter()
                .map(|a| (a, false))
                .chain(t.k.secret_generator.iter().map(|a| (a, true)))
        {
            let mut r = generators::generate(args, global, secret, &files)?;
            r.origin = Some(format!(
                "configuredIn: {}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {}\n",
                normalize(&t.rel.join(&t.file_name)).display(),
                if secret {
                    "SecretGenerator"
                } else {
                    "ConfigMapGenerator"
                }
            ));
            generators::absorb(&mut acc.res, r)?;
        }
        // generator configurations (built-in ConfigMapGenerator / SecretGenerator only)
        for entry in &t.k.generators {
            let full = normalize(&t.dir.join(entry));
            if !self.loader.is_file(&full) {
                return Err(Error::Unsupported(format!(
                    "generator '{entry}' in {}: only files with built-in generator configurations are supported",
                    t.file_name
                )));
            }
            let bytes = self.read_in_root(t, entry)?;
            for doc in crate::parse::parse_yaml(&bytes, entry)?.iter() {
                let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
                let secret = match kind {
                    "ConfigMapGenerator" => false,
                    "SecretGenerator" => true,
                    other => {
                        return Err(Error::Unsupported(format!(
                            "generator kind '{other}' in {entry}"
                        )))
                    }
                };
                let mut body = doc.as_object().cloned().unwrap_or_default();
                let md = body.remove("metadata");
                body.remove("apiVersion");
                body.remove("kind");
                let mut args: crate::kustomization::GeneratorArgs =
                    serde_json::from_value(Value::Object(body)).map_err(|e| {
                        Error::build(format!("{entry}: invalid {kind} configuration: {e}"))
                    })?;
                let field = |f: &str| {
                    md.as_ref()
                        .and_then(|m| m.get(f))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                };
                args.name = field("name");
                args.namespace = field("namespace");
                let mut r = generators::generate(&args, None, secret, &files)?;
                r.origin = Some(format!(
                    "configuredIn: {}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {kind}\n",
                    normalize(&t.rel.join(entry)).display()
                ));
                generators::absorb(&mut acc.res, r)?;
            }
        }
        Ok(())
    }

    fn load_patch(
        &self,
        t: &Target,
        p: &crate::kustomization::Patch,
    ) -> Result<(patches::Patch, String), Error> {
        let text = match (p.path.is_empty(), p.patch.trim().is_empty()) {
            (true, true) => {
                return Err(Error::build(format!(
                    "must specify one of patch and path in {}",
                    t.file_name
                )))
            }
            (false, false) => {
                return Err(Error::build(format!(
                    "patch and path can't be set at the same time in {}",
                    t.file_name
                )))
            }
            (false, true) => String::from_utf8_lossy(&self.read_in_root(t, &p.path)?).into_owned(),
            (true, false) => p.patch.clone(),
        };
        let docs = crate::parse::parse_yaml(
            text.as_bytes(),
            if p.path.is_empty() {
                &t.file_name
            } else {
                &p.path
            },
        )?;
        Ok((patches::classify(&docs, &text)?, text))
    }

    /// Records a built-in transformer on every resource (`transformerAnnotations`).
    fn mark(&self, t: &Target, acc: &mut Acc, kind: &'static str) {
        if !self.transformer_annotations {
            return;
        }
        let file = normalize(&t.rel.join(&t.file_name)).display().to_string();
        for r in acc.res.items.iter_mut() {
            r.transformations.push((file.clone(), kind));
        }
    }

    fn run_transformers(&self, t: &Target, acc: &mut Acc) -> Result<(), Error> {
        let k = &t.k;
        let cfg = acc.config.clone();
        if !k.patches_strategic_merge.is_empty() {
            self.mark(t, acc, "PatchStrategicMergeTransformer");
        }
        // 1. patchesStrategicMerge
        for entry in &k.patches_strategic_merge {
            let inline =
                entry.contains('\n') || !self.loader.is_file(&normalize(&t.dir.join(entry)));
            let text = if inline && (entry.contains('\n') || entry.contains(':')) {
                entry.clone()
            } else {
                String::from_utf8_lossy(&self.read_in_root(t, entry)?).into_owned()
            };
            let docs = crate::parse::parse_yaml(text.as_bytes(), entry)?;
            for d in docs.iter() {
                if !d.is_object() {
                    return Err(Error::build(format!(
                        "patchesStrategicMerge entry '{entry}' is not a strategic merge patch"
                    )));
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
            self.mark(t, acc, "PatchTransformer");
        }
        // 3. namespace
        if !k.namespace.is_empty() {
            namespace::apply(&mut acc.res, &k.namespace, &cfg.namespace)?;
            self.mark(t, acc, "NamespaceTransformer");
        }
        // 4. prefix, suffix
        if !k.name_prefix.is_empty() {
            prefixsuffix::apply(&mut acc.res, &k.name_prefix, "", &cfg.name_prefix)?;
            self.mark(t, acc, "PrefixTransformer");
        }
        if !k.name_suffix.is_empty() {
            prefixsuffix::apply(&mut acc.res, "", &k.name_suffix, &cfg.name_suffix)?;
            self.mark(t, acc, "SuffixTransformer");
        }
        // 5. labels, then commonLabels
        for l in &k.labels {
            let mut specs = l.fields.clone();
            let push = |specs: &mut Vec<crate::fieldspec::FieldSpec>,
                        from: &[crate::fieldspec::FieldSpec]| {
                for f in from {
                    if !specs.iter().any(|x| x.gvk == f.gvk && x.path == f.path) {
                        specs.push(f.clone());
                    }
                }
            };
            if l.include_selectors {
                push(&mut specs, &cfg.common_labels);
            } else {
                push(
                    &mut specs,
                    &[crate::fieldspec::FieldSpec::new(
                        "",
                        "",
                        "",
                        "metadata/labels",
                        true,
                    )],
                );
                if l.include_templates {
                    push(&mut specs, &cfg.template_labels);
                }
            }
            labels::apply(&mut acc.res, &l.pairs, &specs)?;
            self.mark(t, acc, "LabelTransformer");
        }
        if !k.common_labels.is_empty() || !k.labels.is_empty() {
            labels::apply(&mut acc.res, &k.common_labels, &cfg.common_labels)?;
            self.mark(t, acc, "LabelTransformer");
        }
        // 6. commonAnnotations
        if !k.common_annotations.is_empty() {
            labels::apply(&mut acc.res, &k.common_annotations, &cfg.common_annotations)?;
            self.mark(t, acc, "AnnotationsTransformer");
        }
        // 7. patchesJson6902
        for p in &k.patches_json6902 {
            let (patch, text) = self.load_patch(t, p)?;
            if p.target.is_none() {
                return Err(Error::build(format!(
                    "must specify a target for patch {text}"
                )));
            }
            patches::apply(
                &mut acc.res,
                &patch,
                p.target.as_ref(),
                patches::Options::default(),
                &text,
            )?;
            self.mark(t, acc, "PatchJson6902Transformer");
        }
        // 8. replicas
        for r in &k.replicas {
            replicas::apply(&mut acc.res, std::slice::from_ref(r), &cfg.replicas)?;
            self.mark(t, acc, "ReplicaCountTransformer");
        }
        // 9. images
        for i in &k.images {
            images::apply(&mut acc.res, std::slice::from_ref(i), &cfg.images)?;
            self.mark(t, acc, "ImageTagTransformer");
        }
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
            self.mark(t, acc, "ReplacementTransformer");
        }
        // 11. transformer configurations (built-in plugin kinds only)
        for entry in &k.transformers {
            let full = normalize(&t.dir.join(entry));
            if !self.loader.is_file(&full) {
                return Err(Error::Unsupported(format!(
                    "transformer '{entry}' in {}: only files with built-in transformer configurations are supported",
                    t.file_name
                )));
            }
            let bytes = self.read_in_root(t, entry)?;
            for doc in crate::parse::parse_yaml(&bytes, entry)?.iter() {
                self.run_builtin_plugin(t, acc, doc, entry)?;
            }
        }
        if !k.validators.is_empty() {
            return Err(Error::Unsupported(format!(
                "validator plugins ('validators' in {})",
                t.file_name
            )));
        }
        if k.helm_charts.is_some() || k.helm_chart_inflation_generator.is_some() {
            return Err(Error::Unsupported(format!(
                "helm charts in {}",
                t.file_name
            )));
        }
        Ok(())
    }
}

impl Builder<'_> {
    /// Runs one built-in transformer configured by a `transformers:` document.
    fn run_builtin_plugin(
        &self,
        t: &Target,
        acc: &mut Acc,
        doc: &Value,
        file: &str,
    ) -> Result<(), Error> {
        use crate::fieldspec::FieldSpec;
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
        let bad = |e: serde_json::Error| {
            Error::build(format!("{file}: invalid {kind} configuration: {e}"))
        };
        let specs = |field: &str| -> Result<Vec<FieldSpec>, Error> {
            match doc.get(field) {
                Some(v) => serde_json::from_value(v.clone()).map_err(bad),
                None => Ok(Vec::new()),
            }
        };
        let string_map = |field: &str| -> Result<crate::kustomization::StringMap, Error> {
            match doc.get(field) {
                Some(Value::Object(o)) => Ok(o
                    .iter()
                    .map(|(k, v)| (k.clone(), crate::resource::scalar_string(v)))
                    .collect()),
                _ => Ok(Default::default()),
            }
        };
        let s = |field: &str| {
            doc.get(field)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        match kind {
            "PrefixSuffixTransformer" | "PrefixTransformer" | "SuffixTransformer" => {
                prefixsuffix::apply(
                    &mut acc.res,
                    &s("prefix"),
                    &s("suffix"),
                    &specs("fieldSpecs")?,
                )
            }
            "LabelTransformer" => {
                labels::apply(&mut acc.res, &string_map("labels")?, &specs("fieldSpecs")?)
            }
            "AnnotationsTransformer" => labels::apply(
                &mut acc.res,
                &string_map("annotations")?,
                &specs("fieldSpecs")?,
            ),
            "NamespaceTransformer" => {
                let ns = doc
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let mut fs = specs("fieldSpecs")?;
                if fs.is_empty() {
                    fs = acc.config.namespace.clone();
                }
                namespace::apply(&mut acc.res, ns, &fs)
            }
            "ImageTagTransformer" => {
                let img: crate::kustomization::Image =
                    serde_json::from_value(doc.get("imageTag").cloned().unwrap_or(Value::Null))
                        .map_err(bad)?;
                images::apply(&mut acc.res, &[img], &specs("fieldSpecs")?)
            }
            "ReplicaCountTransformer" => {
                let rep: crate::kustomization::Replica =
                    serde_json::from_value(doc.get("replica").cloned().unwrap_or(Value::Null))
                        .map_err(bad)?;
                replicas::apply(&mut acc.res, &[rep], &specs("fieldSpecs")?)
            }
            "PatchTransformer" | "PatchJson6902Transformer" => {
                let mut p: crate::kustomization::Patch =
                    serde_json::from_value(doc.clone()).unwrap_or_default();
                if p.patch.is_empty() {
                    p.patch = s("jsonOp");
                }
                p.target = match doc.get("target") {
                    Some(v) => Some(serde_json::from_value(v.clone()).map_err(bad)?),
                    None => None,
                };
                let (patch, text) = self.load_patch(t, &p)?;
                let opts = patches::Options {
                    allow_name_change: p.options.get("allowNameChange").copied().unwrap_or(false),
                    allow_kind_change: p.options.get("allowKindChange").copied().unwrap_or(false),
                };
                patches::apply(&mut acc.res, &patch, p.target.as_ref(), opts, &text)
            }
            "ReplacementTransformer" => match doc.get("replacements") {
                Some(Value::Array(list)) => replacements::apply(&mut acc.res, list),
                _ => Ok(()),
            },
            other => Err(Error::Unsupported(format!(
                "transformer kind '{other}' in {file}"
            ))),
        }
    }
}

type KustCache = std::collections::HashMap<u64, (Arc<[u8]>, String, Arc<Kustomization>)>;

/// Parses a kustomization file, caching the result by content (reconcilers rebuild the same
/// overlays over and over).
fn parse_kustomization(
    bytes: &[u8],
    path: &str,
    file_name: &str,
) -> Result<Arc<Kustomization>, Error> {
    use std::hash::{DefaultHasher, Hash, Hasher};
    static CACHE: std::sync::OnceLock<std::sync::Mutex<KustCache>> = std::sync::OnceLock::new();
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    let key = h.finish();
    let cache = CACHE.get_or_init(Default::default);
    if let Some((b, p, k)) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        if &**b == bytes && p == path {
            return Ok(k.clone());
        }
    }
    crate::kustomization::check_yaml11_bools(&String::from_utf8_lossy(bytes), path)?;
    let docs = crate::parse::parse_yaml(bytes, path).map_err(|e| match e {
        Error::Yaml { file, message } => Error::Kustomization {
            file,
            message: format!("yaml: {message}"),
        },
        other => other,
    })?;
    let doc = match docs.len() {
        0 => Value::Null,
        1 => docs[0].clone(),
        _ => {
            return Err(Error::Kustomization {
                file: path.to_string(),
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
    let k = Arc::new(Kustomization::from_value(doc, path)?);
    let mut g = cache.lock().unwrap_or_else(|e| e.into_inner());
    if g.len() > 256 {
        g.clear();
    }
    g.insert(key, (Arc::from(bytes), path.to_string(), k.clone()));
    Ok(k)
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

/// Kustomize rewrites `metadata.annotations` of every resource (it keeps internal annotations
/// there during the build): values become strings, and an empty or malformed map disappears.
fn normalize_annotations(r: &mut Resource) {
    let Some(Value::Object(md)) = r.obj.get_mut("metadata") else {
        return;
    };
    let keep = match md.get_mut("annotations") {
        None => return,
        Some(Value::Object(a)) if !a.is_empty() => {
            for v in a.values_mut() {
                if !v.is_string() {
                    *v = Value::String(crate::resource::scalar_string(v));
                }
            }
            true
        }
        Some(_) => false,
    };
    if !keep {
        md.remove("annotations");
    }
}

/// Builds the kustomization at `dir` into the final, ordered resource list.
pub fn build_resmap(loader: &dyn Loader, dir: &Path) -> Result<ResMap, Error> {
    let dir = normalize(dir);
    let mut b = Builder {
        loader,
        stack: Vec::new(),
        origin_annotations: false,
        transformer_annotations: false,
        loads: 0,
    };
    let top = b.load_target(&dir, PathBuf::new())?;
    b.origin_annotations = top
        .k
        .build_metadata
        .iter()
        .any(|m| m == "originAnnotations");
    b.transformer_annotations = top
        .k
        .build_metadata
        .iter()
        .any(|m| m == "transformerAnnotations");
    b.stack.push(loader.real_path(&dir)?);
    let mut acc = b.accumulate(&top, Acc::new())?;
    generators::add_hashes(&mut acc.res)?;
    nameref::fix(&mut acc.res, &acc.config.name_reference)?;
    vars::resolve(&mut acc.res, &acc.vars, &acc.config.var_reference)?;
    acc.res.items.retain(|r| {
        r.obj
            .pointer("/metadata/annotations/config.kubernetes.io~1local-config")
            .and_then(Value::as_str)
            != Some("true")
    });
    for m in &top.k.build_metadata {
        match m.as_str() {
            "originAnnotations" => {
                for r in acc.res.items.iter_mut() {
                    if let Some(o) = r.origin.clone() {
                        let text = if o.contains('\n') {
                            o
                        } else {
                            format!("path: {o}\n")
                        };
                        let md = r.metadata_mut();
                        let ann = md
                            .entry("annotations")
                            .or_insert_with(|| Value::Object(Default::default()));
                        if let Value::Object(a) = ann {
                            a.insert("config.kubernetes.io/origin".into(), Value::String(text));
                        }
                    }
                }
            }
            "managedByLabel" => {
                for r in acc.res.items.iter_mut() {
                    let md = r.metadata_mut();
                    let l = md
                        .entry("labels")
                        .or_insert_with(|| Value::Object(Default::default()));
                    if let Value::Object(l) = l {
                        l.insert(
                            "app.kubernetes.io/managed-by".into(),
                            Value::String("kustomize-v5.8.1".into()),
                        );
                    }
                }
            }
            "transformerAnnotations" => {
                for r in acc.res.items.iter_mut() {
                    if r.transformations.is_empty() {
                        continue;
                    }
                    let text: String = r
                        .transformations
                        .iter()
                        .map(|(file, kind)| {
                            format!("- configuredIn: {file}\n  configuredBy:\n    apiVersion: builtin\n    kind: {kind}\n")
                        })
                        .collect();
                    let md = r.metadata_mut();
                    let ann = md
                        .entry("annotations")
                        .or_insert_with(|| Value::Object(Default::default()));
                    if let Value::Object(a) = ann {
                        a.insert(
                            "alpha.config.kubernetes.io/transformations".into(),
                            Value::String(text),
                        );
                    }
                }
            }
            other => {
                return Err(Error::build(format!(
                    "invalid option in buildMetadata: {other}"
                )))
            }
        }
    }
    for r in acc.res.items.iter_mut() {
        normalize_annotations(r);
    }
    sort::apply(&mut acc.res, top.k.sort_options.as_ref())?;
    Ok(acc.res)
}

#[cfg(test)]
mod tests {
    //! End-to-end builds on in-memory folders; every expected output is what
    //! `kubectl kustomize` v5.8.1 printed for the same files.
    use crate::{build_yaml, MemLoader};
    use std::path::Path;

    fn check(l: &MemLoader, top: &str, want: &str) {
        let got = build_yaml(l, Path::new(top)).unwrap_or_else(|e| panic!("build failed: {e}"));
        pretty_assertions::assert_eq!(got, want);
    }

    fn err(l: &MemLoader, top: &str) -> String {
        match build_yaml(l, Path::new(top)) {
            Ok(out) => panic!("expected an error, got:\n{out}"),
            Err(e) => e.to_string(),
        }
    }

    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";

    #[rstest::rstest]
    #[case::missing_file(MemLoader::new().with("k/kustomization.yaml", "resources: [nope.yaml]"), "k", "nope.yaml")]
    #[case::duplicate_id(MemLoader::new().with("k/kustomization.yaml", "resources: [a.yaml, b.yaml]").with("k/a.yaml", CM).with("k/b.yaml", CM), "k", "may not add resource with an already registered id")]
    #[case::unknown_field(MemLoader::new().with("k/kustomization.yaml", "resourcez: []"), "k", "unknown field \"resourcez\"")]
    #[case::cycle(MemLoader::new().with("a/kustomization.yaml", "resources: [../b]").with("b/kustomization.yaml", "resources: [../a]"), "a", "cycle detected")]
    #[case::self_include(MemLoader::new().with("a/kustomization.yaml", "resources: [.]"), "a", "cycle detected")]
    #[case::outside_root(MemLoader::new().with("k/kustomization.yaml", "resources: [../a.yaml]").with("a.yaml", CM), "k", "security; file")]
    #[case::invalid_yaml(MemLoader::new().with("k/kustomization.yaml", "resources: [a.yaml]").with("k/a.yaml", "kind: [x"), "k", "a.yaml")]
    #[case::failing_test_op(MemLoader::new().with("k/kustomization.yaml", "resources: [a.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: '[{op: test, path: /metadata/name, value: b}]'").with("k/a.yaml", CM), "k", "test")]
    #[case::empty(MemLoader::new().with("k/kustomization.yaml", ""), "k", "kustomization.yaml is empty")]
    #[case::component_as_resource(MemLoader::new().with("k/kustomization.yaml", "resources: [c]").with("k/c/kustomization.yaml", "kind: Component\nnamespace: x"), "k", "expected kind != 'Component'")]
    #[case::bad_kind(MemLoader::new().with("k/kustomization.yaml", "kind: Foo\nnamespace: x"), "k", "kind should be Kustomization or Component")]
    #[case::bad_api_version(MemLoader::new().with("k/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Component\nnamespace: x"), "k", "apiVersion for Component should be kustomize.config.k8s.io/v1alpha1")]
    #[case::missing_crd_file(MemLoader::new().with("k/kustomization.yaml", "crds: [nope.yaml]\nnamespace: x"), "k", "loading CRDs")]
    #[case::no_kustomization(MemLoader::new().with("k/a.yaml", CM), "k", "unable to find one of")]
    fn errors_like_kustomize(#[case] l: MemLoader, #[case] top: &str, #[case] needle: &str) {
        let e = err(&l, top);
        assert!(e.contains(needle), "{e}");
    }

    #[test]
    fn builtin_transformer_configurations() {
        let l = MemLoader::new()
            .with(
                r#"tp/deploy.yaml"#,
                r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
      - name: init
        image: busybox:1.0
      containers:
      - name: nginx
        image: nginx:1.19
        ports:
        - containerPort: 80
        envFrom:
        - configMapRef: {name: cfg}
        env:
        - name: X
          valueFrom:
            secretKeyRef: {name: sec, key: k}
      volumes:
      - name: v
        configMap: {name: cfg}
      - name: p
        projected:
          sources:
          - configMap: {name: cfg}
          - secret: {name: sec}
"#,
            )
            .with(
                r#"tp/kustomization.yaml"#,
                r#"resources: [deploy.yaml, svc.yaml]
namePrefix: kp-
transformers: [t.yaml]
"#,
            )
            .with(
                r#"tp/svc.yaml"#,
                r#"apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
"#,
            )
            .with(
                r#"tp/t.yaml"#,
                r#"apiVersion: builtin
kind: PrefixSuffixTransformer
metadata: {name: x}
prefix: tp-
suffix: -ts
fieldSpecs:
- path: metadata/name
  kind: Service
---
apiVersion: builtin
kind: LabelTransformer
metadata: {name: y}
labels: {tl: v}
fieldSpecs:
- path: metadata/labels
  create: true
---
apiVersion: builtin
kind: AnnotationsTransformer
metadata: {name: z}
annotations: {ta: v}
fieldSpecs:
- path: metadata/annotations
  create: true
"#,
            );
        check(
            &l,
            "tp",
            r#"apiVersion: v1
kind: Service
metadata:
  annotations:
    ta: v
  labels:
    tl: v
  name: tp-kp-web-ts
spec:
  ports:
  - port: 80
  selector:
    app: web
---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    ta: v
  labels:
    app: web
    tl: v
  name: kp-web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - env:
        - name: X
          valueFrom:
            secretKeyRef:
              key: k
              name: sec
        envFrom:
        - configMapRef:
            name: cfg
        image: nginx:1.19
        name: nginx
        ports:
        - containerPort: 80
      initContainers:
      - image: busybox:1.0
        name: init
      volumes:
      - configMap:
          name: cfg
        name: v
      - name: p
        projected:
          sources:
          - configMap:
              name: cfg
          - secret:
              name: sec
"#,
        );
    }

    // Outputs of `kubectl kustomize` v5.8.1: a level's generators run before its components;
    // merged/replaced generated resources keep a hash only if both sides want one.
    #[rstest::rstest]
    #[case::component_merges_into_overlay_generator(
        MemLoader::new()
            .with("comp/kustomization.yaml", "kind: Component\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [k=1]\nnamePrefix: c-\n")
            .with("ov/kustomization.yaml", "components: [../comp]\nconfigMapGenerator:\n- name: cfg\n  literals: [j=2]\nnamePrefix: o-\n"),
        "apiVersion: v1\ndata:\n  j: \"2\"\n  k: \"1\"\nkind: ConfigMap\nmetadata:\n  name: o-c-cfg-k9mfc852b7\n"
    )]
    #[case::hash_disabled_in_base_stays_disabled(
        MemLoader::new()
            .with("base/kustomization.yaml", "configMapGenerator:\n- name: c\n  literals: [a=1]\n  options: {disableNameSuffixHash: true}\n")
            .with("ov/kustomization.yaml", "resources: [../base]\nconfigMapGenerator:\n- name: c\n  behavior: merge\n  literals: [b=1]\n"),
        "apiVersion: v1\ndata:\n  a: \"1\"\n  b: \"1\"\nkind: ConfigMap\nmetadata:\n  name: c\n"
    )]
    fn generator_ordering_and_hash_options(#[case] l: MemLoader, #[case] want: &str) {
        check(&l, "ov", want);
    }

    // A strategic merge patch changing a label that base commonLabels created in several fields
    // changes all of them in `kubectl kustomize` v5.8.1 (shared YAML nodes).
    #[test]
    fn smp_updates_follow_shared_label_entries() {
        let l = MemLoader::new()
            .with(
                "base/r.yaml",
                r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec: {}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: src}
data: {v: fromcm}
"#,
            )
            .with(
                "base/kustomization.yaml",
                r#"resources: [r.yaml]
commonLabels: {app: x}
"#,
            )
            .with(
                "ov/kustomization.yaml",
                r#"resources: [../base]
patches:
- patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      labels: {app: smp}
"#,
            );
        check(
            &l,
            "ov",
            r#"apiVersion: v1
data:
  v: fromcm
kind: ConfigMap
metadata:
  labels:
    app: x
  name: src
---
apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: smp
  name: web
spec:
  selector:
    matchLabels:
      app: smp
  template:
    metadata:
      labels:
        app: smp
    spec: {}
"#,
        );
    }

    #[test]
    fn exponential_diamonds_are_refused_not_hung() {
        let mut l = MemLoader::new();
        for i in 0..40 {
            for side in ["a", "b"] {
                l.add(
                    format!("l{i}{side}/kustomization.yaml"),
                    format!(
                        "namePrefix: {side}-\nresources: [../l{}a, ../l{}b]",
                        i + 1,
                        i + 1
                    ),
                );
            }
        }
        for side in ["a", "b"] {
            l.add(
                format!("l40{side}/kustomization.yaml"),
                format!("namePrefix: {side}-\nresources: [c.yaml]"),
            );
            l.add(format!("l40{side}/c.yaml"), CM);
        }
        let e = err(&l, "l0a");
        assert!(e.contains("refusing to continue"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let mut l = MemLoader::new();
        for i in 0..200 {
            l.add(
                format!("d{i}/kustomization.yaml"),
                format!("resources: [../d{}]", i + 1),
            );
        }
        l.add("d200/kustomization.yaml", "resources: [a.yaml]");
        l.add("d200/a.yaml", CM);
        assert!(err(&l, "d0").contains("nested deeper"));
    }

    #[test]
    fn overlay_with_patches_generators_images() {
        let l = MemLoader::new()
            .with(
                r#"base/deploy.yaml"#,
                r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
      - name: init
        image: busybox:1.0
      containers:
      - name: nginx
        image: nginx:1.19
        ports:
        - containerPort: 80
        envFrom:
        - configMapRef: {name: cfg}
        env:
        - name: X
          valueFrom:
            secretKeyRef: {name: sec, key: k}
      volumes:
      - name: v
        configMap: {name: cfg}
      - name: p
        projected:
          sources:
          - configMap: {name: cfg}
          - secret: {name: sec}
"#,
            )
            .with(
                r#"base/kustomization.yaml"#,
                r#"resources:
- deploy.yaml
- svc.yaml
configMapGenerator:
- name: cfg
  literals: [A=1]
"#,
            )
            .with(
                r#"base/svc.yaml"#,
                r#"apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
"#,
            )
            .with(
                r#"ov1/kustomization.yaml"#,
                r#"resources: [../base]
namePrefix: dev-
nameSuffix: -x
namespace: dev
commonLabels: {env: dev}
commonAnnotations: {note: hi}
images:
- name: nginx
  newName: registry.local:5000/nginx
  newTag: "1.25"
- name: busybox
  digest: sha256:abcdef
replicas:
- name: web
  count: 3
secretGenerator:
- name: sec
  literals: [k=v]
configMapGenerator:
- name: cfg
  behavior: merge
  literals: [B=2]
patches:
- patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        spec:
          containers:
          - name: nginx
            env:
            - name: Y
              value: "y"
- target: {kind: Service}
  patch: |-
    - op: add
      path: /spec/type
      value: NodePort
"#,
            );
        let want = r#"apiVersion: v1
data:
  A: "1"
  B: "2"
kind: ConfigMap
metadata:
  annotations:
    note: hi
  labels:
    env: dev
  name: dev-cfg-x-66h9cbh964
  namespace: dev
---
apiVersion: v1
data:
  k: dg==
kind: Secret
metadata:
  annotations:
    note: hi
  labels:
    env: dev
  name: dev-sec-x-ftgtgc4t9f
  namespace: dev
type: Opaque
---
apiVersion: v1
kind: Service
metadata:
  annotations:
    note: hi
  labels:
    env: dev
  name: dev-web-x
  namespace: dev
spec:
  ports:
  - port: 80
  selector:
    app: web
    env: dev
  type: NodePort
---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    note: hi
  labels:
    app: web
    env: dev
  name: dev-web-x
  namespace: dev
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
      env: dev
  template:
    metadata:
      annotations:
        note: hi
      labels:
        app: web
        env: dev
    spec:
      containers:
      - env:
        - name: "Y"
          value: "y"
        - name: X
          valueFrom:
            secretKeyRef:
              key: k
              name: dev-sec-x-ftgtgc4t9f
        envFrom:
        - configMapRef:
            name: dev-cfg-x-66h9cbh964
        image: registry.local:5000/nginx:1.25
        name: nginx
        ports:
        - containerPort: 80
      initContainers:
      - image: busybox@sha256:abcdef
        name: init
      volumes:
      - configMap:
          name: dev-cfg-x-66h9cbh964
        name: v
      - name: p
        projected:
          sources:
          - configMap:
              name: dev-cfg-x-66h9cbh964
          - secret:
              name: dev-sec-x-ftgtgc4t9f
"#;
        check(&l, r#"ov1"#, want);
    }

    #[test]
    fn components_apply_in_order() {
        let l = MemLoader::new()
            .with(
                r#"comp/base/cm.yaml"#,
                r#"apiVersion: v1
kind: ConfigMap
metadata: {name: conf}
data: {a: "1"}
"#,
            )
            .with(
                r#"comp/base/kustomization.yaml"#,
                r#"resources: [cm.yaml]
"#,
            )
            .with(
                r#"comp/c1/extra.yaml"#,
                r#"apiVersion: v1
kind: Secret
metadata: {name: extra}
stringData: {x: y}
"#,
            )
            .with(
                r#"comp/c1/kustomization.yaml"#,
                r#"apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources: [extra.yaml]
namePrefix: c1-
patches:
- patch: |-
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: conf}
    data: {b: "2"}
"#,
            )
            .with(
                r#"comp/c2/kustomization.yaml"#,
                r#"apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
commonLabels: {comp: two}
configMapGenerator:
- name: conf
  behavior: merge
  literals: [c=3]
"#,
            )
            .with(
                r#"comp/ov/kustomization.yaml"#,
                r#"resources: [../base]
components: [../c1, ../c2]
namespace: cns
"#,
            );
        let want = r#"apiVersion: v1
data:
  a: "1"
  b: "2"
  c: "3"
kind: ConfigMap
metadata:
  labels:
    comp: two
  name: c1-conf
  namespace: cns
---
apiVersion: v1
kind: Secret
metadata:
  labels:
    comp: two
  name: c1-extra
  namespace: cns
stringData:
  x: "y"
"#;
        check(&l, r#"comp/ov"#, want);
    }

    #[test]
    fn generator_behaviors_across_overlays() {
        let l = MemLoader::new()
            .with(
                r#"gb/base/kustomization.yaml"#,
                r#"namePrefix: b-
namespace: bns
configMapGenerator:
- name: cfg
  literals: [a=1, b=2]
  options: {labels: {l: base}}
secretGenerator:
- name: sec
  literals: [p=q]
resources: [pod.yaml]
"#,
            )
            .with(
                r#"gb/base/pod.yaml"#,
                r#"apiVersion: v1
kind: Pod
metadata: {name: pod}
spec:
  containers:
  - name: c
    image: x
    envFrom: [{configMapRef: {name: cfg}}, {secretRef: {name: sec}}]
"#,
            )
            .with(
                r#"gb/ov/kustomization.yaml"#,
                r#"resources: [../base]
namePrefix: o-
configMapGenerator:
- name: cfg
  namespace: bns
  behavior: merge
  literals: [b=3, c=4]
secretGenerator:
- name: sec
  namespace: bns
  behavior: replace
  literals: [r=s]
"#,
            )
            .with(
                r#"gb/ov2/kustomization.yaml"#,
                r#"resources: [../ov]
configMapGenerator:
- name: b-cfg
  namespace: bns
  behavior: merge
  literals: [d=5]
"#,
            );
        let want = r#"apiVersion: v1
data:
  a: "1"
  b: "3"
  c: "4"
  d: "5"
kind: ConfigMap
metadata:
  labels:
    l: base
  name: o-b-cfg-f479tmcbgb
  namespace: bns
---
apiVersion: v1
data:
  r: cw==
kind: Secret
metadata:
  name: o-b-sec-mdttdk9d88
  namespace: bns
type: Opaque
---
apiVersion: v1
kind: Pod
metadata:
  name: o-b-pod
  namespace: bns
spec:
  containers:
  - envFrom:
    - configMapRef:
        name: o-b-cfg-f479tmcbgb
    - secretRef:
        name: o-b-sec-mdttdk9d88
    image: x
    name: c
"#;
        check(&l, r#"gb/ov2"#, want);
    }

    #[test]
    fn same_base_twice_with_prefixes() {
        let l = MemLoader::new()
            .with(
                r#"dia/base/kustomization.yaml"#,
                r#"resources: [pod.yaml]
configMapGenerator: [{name: cfg, literals: [x=1]}]
"#,
            )
            .with(
                r#"dia/base/pod.yaml"#,
                r#"apiVersion: v1
kind: Pod
metadata: {name: pod}
spec:
  serviceAccountName: sa
  containers:
  - name: c
    image: x
    envFrom: [{configMapRef: {name: cfg}}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa}
"#,
            )
            .with(
                r#"dia/a/kustomization.yaml"#,
                r#"resources: [../base]
namePrefix: a-
configMapGenerator: [{name: cfg, behavior: merge, literals: [y=a]}]
"#,
            )
            .with(
                r#"dia/b/kustomization.yaml"#,
                r#"resources: [../base]
namePrefix: b-
namespace: bns
"#,
            )
            .with(
                r#"dia/top/kustomization.yaml"#,
                r#"resources: [../a, ../b]
nameSuffix: -t
"#,
            );
        let want = r#"apiVersion: v1
kind: ServiceAccount
metadata:
  name: b-sa-t
  namespace: bns
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: a-sa-t
---
apiVersion: v1
data:
  x: "1"
kind: ConfigMap
metadata:
  name: b-cfg-t-hmg6f82fh6
  namespace: bns
---
apiVersion: v1
data:
  x: "1"
  "y": a
kind: ConfigMap
metadata:
  name: a-cfg-t-cft698h477
---
apiVersion: v1
kind: Pod
metadata:
  name: b-pod-t
  namespace: bns
spec:
  containers:
  - envFrom:
    - configMapRef:
        name: b-cfg-t-hmg6f82fh6
    image: x
    name: c
  serviceAccountName: b-sa-t
---
apiVersion: v1
kind: Pod
metadata:
  name: a-pod-t
spec:
  containers:
  - envFrom:
    - configMapRef:
        name: a-cfg-t-cft698h477
    image: x
    name: c
  serviceAccountName: a-sa-t
"#;
        check(&l, r#"dia/top"#, want);
    }

    #[test]
    fn name_references_with_prefix_and_namespace() {
        let l = MemLoader::new()
            .with(
                r#"refs/kustomization.yaml"#,
                r#"resources: [r.yaml]
namePrefix: p-
namespace: ns
"#,
            )
            .with(
                r#"refs/r.yaml"#,
                r#"apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ss}
spec:
  serviceName: svc
  template:
    spec:
      serviceAccountName: sa
      priorityClassName: pc
      volumes: [{name: d, persistentVolumeClaim: {claimName: pvc}}]
      imagePullSecrets: [{name: pull}]
      containers: [{name: c, image: x}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {storageClassName: fast}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: hpa}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: ss}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ing
  annotations: {nginx.ingress.kubernetes.io/auth-secret: pull}
spec:
  ingressClassName: ic
  tls: [{secretName: pull, hosts: [a.b]}]
  defaultBackend: {service: {name: svc, port: {number: 80}}}
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: svc, port: {number: 80}}}
---
apiVersion: v1
kind: Service
metadata: {name: svc}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: pvc}
---
apiVersion: v1
kind: Secret
metadata: {name: pull}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: pc}
value: 10
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: x
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: ic}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cr}
rules: [{apiGroups: [""], resources: [secrets], resourceNames: [pull]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr}
subjects: [{kind: ServiceAccount, name: sa, namespace: default}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: role}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: role}
subjects: [{kind: ServiceAccount, name: default}, {kind: ServiceAccount, name: sa}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.x.io}
spec:
  group: x.io
  conversion:
    strategy: Webhook
    webhook:
      clientConfig:
        service: {name: svc, namespace: default}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1.x.io}
spec:
  service: {name: svc, namespace: default}
"#,
            );
        let want = r#"apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: p-fast
provisioner: x
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: things.x.io
spec:
  conversion:
    strategy: Webhook
    webhook:
      clientConfig:
        service:
          name: svc
          namespace: ns
  group: x.io
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: p-sa
  namespace: ns
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: p-role
  namespace: ns
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: p-cr
rules:
- apiGroups:
  - ""
  resourceNames:
  - p-pull
  resources:
  - secrets
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: p-rb
  namespace: ns
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: p-role
subjects:
- kind: ServiceAccount
  name: default
  namespace: ns
- kind: ServiceAccount
  name: p-sa
  namespace: ns
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: p-crb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: p-cr
subjects:
- kind: ServiceAccount
  name: p-sa
  namespace: ns
---
apiVersion: v1
kind: Secret
metadata:
  name: p-pull
  namespace: ns
---
apiVersion: v1
kind: Service
metadata:
  name: p-svc
  namespace: ns
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: p-pc
value: 10
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: p-pvc
  namespace: ns
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: p-ss
  namespace: ns
spec:
  serviceName: p-svc
  template:
    spec:
      containers:
      - image: x
        name: c
      imagePullSecrets:
      - name: p-pull
      priorityClassName: p-pc
      serviceAccountName: p-sa
      volumes:
      - name: d
        persistentVolumeClaim:
          claimName: p-pvc
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      storageClassName: p-fast
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1.x.io
spec:
  service:
    name: p-svc
    namespace: ns
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: p-hpa
  namespace: ns
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: StatefulSet
    name: p-ss
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  annotations:
    nginx.ingress.kubernetes.io/auth-secret: p-pull
  name: p-ing
  namespace: ns
spec:
  defaultBackend:
    service:
      name: p-svc
      port:
        number: 80
  ingressClassName: ic
  rules:
  - http:
      paths:
      - backend:
          service:
            name: p-svc
            port:
              number: 80
        path: /
        pathType: Prefix
  tls:
  - hosts:
    - a.b
    secretName: p-pull
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: p-ic
"#;
        check(&l, r#"refs"#, want);
    }

    #[test]
    fn legacy_vars() {
        let l = MemLoader::new()
            .with(
                r#"vars/kustomization.yaml"#,
                r#"resources: [r.yaml]
namePrefix: p-
vars:
- name: SVC
  objref: {kind: Service, name: db, apiVersion: v1}
- name: PORT
  objref: {kind: Service, name: db, apiVersion: v1}
  fieldref:
    fieldpath: spec.ports[0].port
- name: IMG
  objref: {kind: Deployment, name: web, apiVersion: apps/v1}
  fieldref:
    fieldpath: spec.template.spec.containers[0].image
"#,
            )
            .with(
                r#"vars/r.yaml"#,
                r#"apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, annotations: {svc: "$(SVC)"}}
spec:
  template:
    spec:
      containers:
      - name: c
        image: app:1
        command: ["run", "--db=$(SVC):$(PORT)", "$(IMG)", "$$(SVC)", "$(UNKNOWN)"]
        env:
        - {name: P, value: "$(PORT)"}
"#,
            );
        let want = r#"apiVersion: v1
kind: Service
metadata:
  name: p-db
spec:
  ports:
  - port: 5432
---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    svc: p-db
  name: p-web
spec:
  template:
    spec:
      containers:
      - command:
        - run
        - --db=p-db:5432
        - app:1
        - $(SVC)
        - $(UNKNOWN)
        env:
        - name: P
          value: 5432
        image: app:1
        name: c
"#;
        check(&l, r#"vars"#, want);
    }

    #[test]
    fn replacements() {
        let l = MemLoader::new()
            .with(
                r#"x_repl/deploy.yaml"#,
                r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
      - name: init
        image: busybox:1.0
      containers:
      - name: nginx
        image: nginx:1.19
        ports:
        - containerPort: 80
        envFrom:
        - configMapRef: {name: cfg}
        env:
        - name: X
          valueFrom:
            secretKeyRef: {name: sec, key: k}
      volumes:
      - name: v
        configMap: {name: cfg}
      - name: p
        projected:
          sources:
          - configMap: {name: cfg}
          - secret: {name: sec}
"#,
            )
            .with(
                r#"x_repl/kustomization.yaml"#,
                r#"resources: [deploy.yaml]
configMapGenerator: [{name: src, literals: [v=hello]}]
replacements:
- source: {kind: ConfigMap, name: src}
  targets:
  - select: {kind: Deployment}
    reject: [{name: other}]
    fieldPaths: [metadata.annotations.cm]
    options: {create: true}
- source: {kind: ConfigMap, name: src, fieldPath: data.v}
  targets:
  - select: {labelSelector: app=web}
    fieldPaths: [metadata.labels.v]
    options: {create: true}
"#,
            );
        let want = r#"apiVersion: v1
data:
  v: hello
kind: ConfigMap
metadata:
  name: src-k9d8cbdmmg
---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    cm: src
  labels:
    app: web
    v: hello
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - env:
        - name: X
          valueFrom:
            secretKeyRef:
              key: k
              name: sec
        envFrom:
        - configMapRef:
            name: cfg
        image: nginx:1.19
        name: nginx
        ports:
        - containerPort: 80
      initContainers:
      - image: busybox:1.0
        name: init
      volumes:
      - configMap:
          name: cfg
        name: v
      - name: p
        projected:
          sources:
          - configMap:
              name: cfg
          - secret:
              name: sec
"#;
        check(&l, r#"x_repl"#, want);
    }
}
