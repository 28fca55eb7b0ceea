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

//! Resources with their kustomize bookkeeping, and the ordered resource list (`ResMap`).

use crate::error::Error;
use crate::resid::{Gvk, ResId};
use serde_json::{Map, Value};

/// How a generated resource combines with an existing one of the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behavior {
    /// Must not exist yet.
    #[default]
    Create,
    /// Replaces the existing resource, keeping its name and metadata.
    Replace,
    /// Merges data into the existing resource.
    Merge,
}

impl Behavior {
    /// Parses kustomize's `behavior` field.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "" | "create" => Ok(Behavior::Create),
            "replace" => Ok(Behavior::Replace),
            "merge" => Ok(Behavior::Merge),
            other => Err(Error::build(format!(
                "unknown generator behavior '{other}'"
            ))),
        }
    }
}

/// One resource document plus what kustomize remembers about it.
#[derive(Debug, Clone, Default)]
pub struct Resource {
    /// The document.
    pub obj: Value,
    /// Ids this resource had before renames (oldest first).
    pub prev_ids: Vec<ResId>,
    /// Name prefixes applied, in order of application.
    pub prefixes: Vec<String>,
    /// Name suffixes applied, in order of application.
    pub suffixes: Vec<String>,
    /// Generator behavior (generated resources only).
    pub behavior: Behavior,
    /// Whether the content hash must be appended to the name at the end of the build.
    pub needs_hash: bool,
    /// The file (relative to the top kustomization) the resource came from, for origin annotations.
    pub origin: Option<String>,
    /// Built-in transformers applied, as `(kustomization file, transformer kind)`, for
    /// `buildMetadata: [transformerAnnotations]`.
    pub transformations: Vec<(String, &'static str)>,
    /// Groups of JSON pointers whose scalar values share one YAML node in kustomize (entries a
    /// label or annotation transformer created in one go); updating one updates all.
    pub links: Vec<Vec<String>>,
}

impl Resource {
    /// Wraps a document.
    pub fn new(obj: Value) -> Self {
        Resource {
            obj,
            ..Default::default()
        }
    }

    /// Current id.
    pub fn cur_id(&self) -> ResId {
        ResId::of(&self.obj)
    }

    /// Original id: the first previous id, else the current one.
    pub fn org_id(&self) -> ResId {
        self.prev_ids
            .first()
            .cloned()
            .unwrap_or_else(|| self.cur_id())
    }

    /// Previous ids followed by the current id.
    pub fn all_ids(&self) -> Vec<ResId> {
        let mut v = self.prev_ids.clone();
        v.push(self.cur_id());
        v
    }

    /// Remembers the current id before a rename.
    pub fn store_previous_id(&mut self) {
        let id = self.cur_id();
        self.prev_ids.push(id);
    }

    /// GVK of the document.
    pub fn gvk(&self) -> Gvk {
        Gvk::from_api_version(self.api_version(), self.kind())
    }

    /// `apiVersion`.
    pub fn api_version(&self) -> &str {
        self.obj
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// `kind`.
    pub fn kind(&self) -> &str {
        self.obj.get("kind").and_then(Value::as_str).unwrap_or("")
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// `metadata.namespace`.
    pub fn namespace(&self) -> &str {
        self.obj
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The `metadata` map, created when missing.
    pub fn metadata_mut(&mut self) -> &mut Map<String, Value> {
        if !self.obj.is_object() {
            self.obj = Value::Object(Map::new());
        }
        let Value::Object(o) = &mut self.obj else {
            unreachable!()
        };
        let md = o
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if !md.is_object() {
            *md = Value::Object(Map::new());
        }
        md.as_object_mut().expect("metadata is an object")
    }

    /// Sets `metadata.name`.
    pub fn set_name(&mut self, name: &str) {
        self.metadata_mut()
            .insert("name".into(), Value::String(name.into()));
    }

    /// Sets `metadata.namespace` (removes it when empty).
    pub fn set_namespace(&mut self, ns: &str) {
        let md = self.metadata_mut();
        if ns.is_empty() {
            md.remove("namespace");
        } else {
            md.insert("namespace".into(), Value::String(ns.into()));
        }
    }

    /// A string map under metadata (`labels` or `annotations`).
    pub fn string_map(&self, field: &str) -> Vec<(String, String)> {
        match self
            .obj
            .get("metadata")
            .and_then(|m| m.get(field))
            .and_then(Value::as_object)
        {
            Some(m) => m
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| scalar_string(v)),
                    )
                })
                .collect(),
            None => Vec::new(),
        }
    }

    /// `metadata.labels` as pairs.
    pub fn labels(&self) -> Vec<(String, String)> {
        self.string_map("labels")
    }

    /// `metadata.annotations` as pairs.
    pub fn annotations(&self) -> Vec<(String, String)> {
        self.string_map("annotations")
    }

    /// The current values of all linked fields (see [`Resource::links`]).
    pub fn link_snapshot(&self) -> Vec<Vec<Option<Value>>> {
        self.links
            .iter()
            .map(|g| g.iter().map(|p| self.obj.pointer(p).cloned()).collect())
            .collect()
    }

    /// After an in-place update (strategic merge, vars), gives every member of a link group the
    /// new value of a member that changed since `before`, as kustomize's shared nodes do.
    pub fn propagate_links(&mut self, before: &[Vec<Option<Value>>]) {
        for (g, old) in self.links.iter().zip(before) {
            let changed = g
                .iter()
                .zip(old)
                .find_map(|(p, o)| match self.obj.pointer(p) {
                    Some(v @ Value::String(_)) if Some(v) != o.as_ref() => Some(v.clone()),
                    _ => None,
                });
            if let Some(v) = changed {
                for p in g {
                    if let Some(slot @ Value::String(_)) = self.obj.pointer_mut(p) {
                        *slot = v.clone();
                    }
                }
            }
        }
    }

    /// True when the document has nothing left (deleted by a patch).
    pub fn is_empty(&self) -> bool {
        match &self.obj {
            Value::Null => true,
            Value::Object(o) => o.is_empty(),
            _ => false,
        }
    }
}

/// Renders a scalar JSON value as the string YAML would show.
pub fn scalar_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The ordered list of resources of a build.
#[derive(Debug, Clone, Default)]
pub struct ResMap {
    /// Resources in accumulation order.
    pub items: Vec<Resource>,
}

impl ResMap {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a resource, refusing a duplicate current id.
    pub fn append(&mut self, r: Resource) -> Result<(), Error> {
        let id = r.cur_id();
        if self.items.iter().any(|x| x.cur_id().equals(&id)) {
            return Err(Error::build(format!(
                "may not add resource with an already registered id: {id}"
            )));
        }
        self.items.push(r);
        Ok(())
    }

    /// Appends all resources of `other`.
    pub fn append_all(&mut self, other: ResMap) -> Result<(), Error> {
        for r in other.items {
            self.append(r)?;
        }
        Ok(())
    }

    /// Indexes of resources any of whose ids (previous or current) equals `id`.
    pub fn matching_any_id(&self, id: &ResId) -> Vec<usize> {
        self.items
            .iter()
            .enumerate()
            .filter(|(_, r)| r.cur_id().equals(id) || r.prev_ids.iter().any(|p| p.equals(id)))
            .map(|(i, _)| i)
            .collect()
    }

    /// Index of the single resource matching `id` by any of its ids.
    pub fn get_by_id(&self, id: &ResId) -> Result<usize, Error> {
        let m = self.matching_any_id(id);
        match m.len() {
            1 => Ok(m[0]),
            0 => Err(Error::build(format!(
                "no matches for Id {id}; failed to find unique target for patch {id}"
            ))),
            _ => Err(Error::build(format!(
                "multiple matches for Id {id}; failed to find unique target for patch {id}"
            ))),
        }
    }
}
