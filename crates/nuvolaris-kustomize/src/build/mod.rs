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

//! The build (kustomize `KustTarget`): load the top kustomization ([`target`]), accumulate
//! resources, bases and components recursively ([`accumulate`]), each kustomization running
//! its generators and transformers in kustomize's fixed order ([`pipeline`]); then, once for
//! the whole build, hash suffixes, name references, vars, `local-config` removal,
//! `buildMetadata` ([`metadata`]) and the final sort.

mod accumulate;
mod metadata;
mod pipeline;
mod target;

use self::accumulate::{Acc, Accumulator};
use self::target::Target;
use crate::error::Error;
use crate::loader::{normalize, Loader};
use crate::resource::{scalar_string, ResMap, Resource};
use crate::transformers::{generators, nameref, sort, vars};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Builds the kustomization at `dir` into the final, ordered resource list.
pub fn build_resmap(loader: &dyn Loader, dir: &Path) -> Result<ResMap, Error> {
    let dir = normalize(dir);
    let top = Target::load(loader, &dir, PathBuf::new())?;
    let mut walk = Accumulator {
        loader,
        stack: vec![loader.real_path(&dir)?],
        transformer_annotations: top
            .k
            .build_metadata
            .iter()
            .any(|m| m == "transformerAnnotations"),
        loads: 0,
    };
    let mut acc = walk.accumulate(&top, Acc::new())?;
    generators::add_hashes(&mut acc.res)?;
    nameref::fix(&mut acc.res, &acc.config.name_reference)?;
    vars::resolve(&mut acc.res, &acc.vars, &acc.config.var_reference)?;
    acc.res.items.retain(|r| {
        r.obj
            .pointer("/metadata/annotations/config.kubernetes.io~1local-config")
            .and_then(Value::as_str)
            != Some("true")
    });
    metadata::apply(&mut acc.res, &top.k.build_metadata)?;
    for r in acc.res.items.iter_mut() {
        normalize_annotations(r)?;
    }
    sort::apply(&mut acc.res, top.k.sort_options.as_ref())?;
    Ok(acc.res)
}

/// Kustomize rewrites `metadata.annotations` of every resource (it keeps internal annotations
/// there during the build): values become strings, and an empty or malformed map disappears.
/// The keys are rewritten untagged, so one that reads back as something other than a string
/// (`"true"`, `"1"`) fails the build as it does `kubectl kustomize`.
fn normalize_annotations(r: &mut Resource) -> Result<(), Error> {
    let Some(Value::Object(md)) = r.obj.get_mut("metadata") else {
        return Ok(());
    };
    let keep = match md.get_mut("annotations") {
        None => return Ok(()),
        Some(Value::Object(a)) if !a.is_empty() => {
            for (k, v) in a.iter_mut() {
                if let Some(why) = crate::yaml::untagged_key_error(k) {
                    return Err(Error::build(format!(
                        "annotation key {k:?} does not read back as a string: {why}"
                    )));
                }
                if !v.is_string() {
                    *v = Value::String(scalar_string(v));
                }
            }
            true
        }
        Some(_) => false,
    };
    if !keep {
        md.remove("annotations");
    }
    Ok(())
}
