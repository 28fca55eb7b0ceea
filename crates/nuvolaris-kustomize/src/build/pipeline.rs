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

//! The generator and transformer pipeline of one kustomization, in kustomize's fixed order
//! (kustomize `KustTarget.runGenerators` / `runTransformers`): generators, then
//! patchesStrategicMerge, patches, namespace, prefix/suffix, labels, commonLabels,
//! commonAnnotations, patchesJson6902, replicas, images, replacements and the built-in
//! transformer configurations of `transformers:`.

use super::target::Target;
use crate::error::Error;
use crate::fieldspec::{FieldSpec, TransformerConfig};
use crate::kustomization::{GeneratorArgs, Image, Patch, Replica, StringMap};
use crate::loader::{normalize, Loader};
use crate::resource::{scalar_string, ResMap};
use crate::transformers::{
    generators, images, labels, namespace, patches, prefixsuffix, replacements, replicas,
};
use serde_json::Value;

/// Runs the generators and transformers of one loaded kustomization.
pub(super) struct Pipeline<'a> {
    /// Reads the files the kustomization names.
    pub loader: &'a dyn Loader,
    /// The kustomization.
    pub t: &'a Target,
    /// Whether `buildMetadata: [transformerAnnotations]` asks to record transformers.
    pub transformer_annotations: bool,
}

impl Pipeline<'_> {
    fn read(&self, rel: &str) -> Result<Vec<u8>, Error> {
        self.t.read_in_root(self.loader, rel)
    }

    /// Runs `configMapGenerator`, `secretGenerator` and `generators:` into `res`.
    pub fn run_generators(&self, res: &mut ResMap) -> Result<(), Error> {
        struct Files<'b, 'c> {
            p: &'b Pipeline<'c>,
        }
        impl generators::FileSource for Files<'_, '_> {
            fn read_file(&self, path: &str) -> Result<Vec<u8>, Error> {
                self.p.read(path)
            }
        }
        let t = self.t;
        let files = Files { p: self };
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
                t.rel_file(),
                if secret {
                    "SecretGenerator"
                } else {
                    "ConfigMapGenerator"
                }
            ));
            generators::absorb(res, r)?;
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
            let bytes = self.read(entry)?;
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
                let mut args: GeneratorArgs =
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
                generators::absorb(res, r)?;
            }
        }
        Ok(())
    }

    fn load_patch(&self, p: &Patch) -> Result<(patches::Patch, String), Error> {
        let t = self.t;
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
            (false, true) => String::from_utf8_lossy(&self.read(&p.path)?).into_owned(),
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
    fn mark(&self, res: &mut ResMap, kind: &'static str) {
        if !self.transformer_annotations {
            return;
        }
        let file = self.t.rel_file();
        for r in res.items.iter_mut() {
            r.transformations.push((file.clone(), kind));
        }
    }

    /// Runs the built-in transformers of the kustomization over `res` with the field specs of
    /// `cfg`.
    pub fn run_transformers(&self, res: &mut ResMap, cfg: &TransformerConfig) -> Result<(), Error> {
        let t = self.t;
        let k = &t.k;
        if !k.patches_strategic_merge.is_empty() {
            self.mark(res, "PatchStrategicMergeTransformer");
        }
        // 1. patchesStrategicMerge
        for entry in &k.patches_strategic_merge {
            let inline =
                entry.contains('\n') || !self.loader.is_file(&normalize(&t.dir.join(entry)));
            let text = if inline && (entry.contains('\n') || entry.contains(':')) {
                entry.clone()
            } else {
                String::from_utf8_lossy(&self.read(entry)?).into_owned()
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
            patches::apply(res, &p, None, patches::Options::default(), &text)?;
        }
        // 2. patches
        for p in &k.patches {
            let (patch, text) = self.load_patch(p)?;
            let opts = patches::Options {
                allow_name_change: p.options.get("allowNameChange").copied().unwrap_or(false),
                allow_kind_change: p.options.get("allowKindChange").copied().unwrap_or(false),
            };
            patches::apply(res, &patch, p.target.as_ref(), opts, &text)?;
            self.mark(res, "PatchTransformer");
        }
        // 3. namespace
        if !k.namespace.is_empty() {
            namespace::apply(res, &k.namespace, &cfg.namespace)?;
            self.mark(res, "NamespaceTransformer");
        }
        // 4. prefix, suffix
        if !k.name_prefix.is_empty() {
            prefixsuffix::apply(res, &k.name_prefix, "", &cfg.name_prefix)?;
            self.mark(res, "PrefixTransformer");
        }
        if !k.name_suffix.is_empty() {
            prefixsuffix::apply(res, "", &k.name_suffix, &cfg.name_suffix)?;
            self.mark(res, "SuffixTransformer");
        }
        // 5. labels, then commonLabels
        for l in &k.labels {
            let mut specs = l.fields.clone();
            let push = |specs: &mut Vec<FieldSpec>, from: &[FieldSpec]| {
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
                    &[FieldSpec::new("", "", "", "metadata/labels", true)],
                );
                if l.include_templates {
                    push(&mut specs, &cfg.template_labels);
                }
            }
            labels::apply(res, &l.pairs, &specs)?;
            self.mark(res, "LabelTransformer");
        }
        if !k.common_labels.is_empty() || !k.labels.is_empty() {
            labels::apply(res, &k.common_labels, &cfg.common_labels)?;
            self.mark(res, "LabelTransformer");
        }
        // 6. commonAnnotations
        if !k.common_annotations.is_empty() {
            labels::apply(res, &k.common_annotations, &cfg.common_annotations)?;
            self.mark(res, "AnnotationsTransformer");
        }
        // 7. patchesJson6902
        for p in &k.patches_json6902 {
            let (patch, text) = self.load_patch(p)?;
            if p.target.is_none() {
                return Err(Error::build(format!(
                    "must specify a target for patch {text}"
                )));
            }
            patches::apply(
                res,
                &patch,
                p.target.as_ref(),
                patches::Options::default(),
                &text,
            )?;
            self.mark(res, "PatchJson6902Transformer");
        }
        // 8. replicas
        for r in &k.replicas {
            replicas::apply(res, std::slice::from_ref(r), &cfg.replicas)?;
            self.mark(res, "ReplicaCountTransformer");
        }
        // 9. images
        for i in &k.images {
            images::apply(res, std::slice::from_ref(i), &cfg.images)?;
            self.mark(res, "ImageTagTransformer");
        }
        // 10. replacements
        if !k.replacements.is_empty() {
            let mut list = Vec::new();
            for r in &k.replacements {
                match r.get("path").and_then(Value::as_str) {
                    Some(p) if r.get("source").is_none() => {
                        let bytes = self.read(p)?;
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
            replacements::apply(res, &list)?;
            self.mark(res, "ReplacementTransformer");
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
            let bytes = self.read(entry)?;
            for doc in crate::parse::parse_yaml(&bytes, entry)?.iter() {
                self.run_builtin_plugin(res, cfg, doc, entry)?;
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

    /// Runs one built-in transformer configured by a `transformers:` document.
    fn run_builtin_plugin(
        &self,
        res: &mut ResMap,
        cfg: &TransformerConfig,
        doc: &Value,
        file: &str,
    ) -> Result<(), Error> {
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
        let string_map = |field: &str| -> Result<StringMap, Error> {
            match doc.get(field) {
                Some(Value::Object(o)) => Ok(o
                    .iter()
                    .map(|(k, v)| (k.clone(), scalar_string(v)))
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
                prefixsuffix::apply(res, &s("prefix"), &s("suffix"), &specs("fieldSpecs")?)
            }
            "LabelTransformer" => labels::apply(res, &string_map("labels")?, &specs("fieldSpecs")?),
            "AnnotationsTransformer" => {
                labels::apply(res, &string_map("annotations")?, &specs("fieldSpecs")?)
            }
            "NamespaceTransformer" => {
                let ns = doc
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let mut fs = specs("fieldSpecs")?;
                if fs.is_empty() {
                    fs = cfg.namespace.clone();
                }
                namespace::apply(res, ns, &fs)
            }
            "ImageTagTransformer" => {
                let img: Image =
                    serde_json::from_value(doc.get("imageTag").cloned().unwrap_or(Value::Null))
                        .map_err(bad)?;
                images::apply(res, &[img], &specs("fieldSpecs")?)
            }
            "ReplicaCountTransformer" => {
                let rep: Replica =
                    serde_json::from_value(doc.get("replica").cloned().unwrap_or(Value::Null))
                        .map_err(bad)?;
                replicas::apply(res, &[rep], &specs("fieldSpecs")?)
            }
            "PatchTransformer" | "PatchJson6902Transformer" => {
                let mut p: Patch = serde_json::from_value(doc.clone()).unwrap_or_default();
                if p.patch.is_empty() {
                    p.patch = s("jsonOp");
                }
                p.target = match doc.get("target") {
                    Some(v) => Some(serde_json::from_value(v.clone()).map_err(bad)?),
                    None => None,
                };
                let (patch, text) = self.load_patch(&p)?;
                let opts = patches::Options {
                    allow_name_change: p.options.get("allowNameChange").copied().unwrap_or(false),
                    allow_kind_change: p.options.get("allowKindChange").copied().unwrap_or(false),
                };
                patches::apply(res, &patch, p.target.as_ref(), opts, &text)
            }
            "ReplacementTransformer" => match doc.get("replacements") {
                Some(Value::Array(list)) => replacements::apply(res, list),
                _ => Ok(()),
            },
            other => Err(Error::Unsupported(format!(
                "transformer kind '{other}' in {file}"
            ))),
        }
    }
}
