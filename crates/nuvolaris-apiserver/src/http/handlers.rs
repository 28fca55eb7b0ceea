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

//! The resource handlers: get, list, create, update (PUT), patch and delete of objects and
//! their subresources (`status`, `scale`, `finalize`, ServiceAccount `token`).

use super::response::{bytes_response, json_response, to_metadata};
use super::state::App;
use crate::events;
use crate::ops::{self, DeleteOpts, Deleted, Propagation, WriteOpts};
use crate::patch_hook;
use crate::request::{agent, metadata_only, truthy, ResPath};
use crate::resources::ResourceInfo;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::status::ApiError;
use crate::store::meta_str;
use axum::response::Response;
use bytes::Bytes;
use http::{header, HeaderMap};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The media types POST and PUT bodies may have (kube-apiserver's serializers).
const INPUT_MEDIA_TYPES: &str =
    "application/json, application/yaml, application/vnd.kubernetes.protobuf";

/// 415 UnsupportedMediaType unless the request's Content-Type is a decodable body type
/// (absent means JSON, as for the real server).
fn check_input_type(ct: &str) -> Result<(), ApiError> {
    let mt = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if mt.is_empty()
        || mt == "application/json"
        || mt == "application/yaml"
        || mt.contains("protobuf")
    {
        return Ok(());
    }
    Err(ApiError::new(
        415,
        "UnsupportedMediaType",
        format!("the body of the request was in an unknown format - accepted media types include: {INPUT_MEDIA_TYPES}"),
    ))
}

/// One resource request being served.
pub(super) struct Ctx {
    /// The shared state.
    pub(super) app: Arc<App>,
    /// The resource type addressed.
    pub(super) info: Arc<ResourceInfo>,
    /// What the path addresses.
    pub(super) rp: ResPath,
    /// The query parameters.
    pub(super) q: HashMap<String, String>,
    /// The request headers.
    pub(super) headers: HeaderMap,
    /// The request body.
    pub(super) body: Bytes,
    /// The type the request addressed when it is a view of another type's storage
    /// (events.k8s.io Events, stored as core Events in `info`'s table); None otherwise.
    pub(super) view: Option<Arc<ResourceInfo>>,
    /// `Warning` header values gathered by the write (see [`WriteOpts::warnings`]).
    pub(super) warnings: Arc<std::sync::Mutex<Vec<String>>>,
}

fn parse_json_body(body: &[u8], kind: &str, ct: &str) -> Result<Value, ApiError> {
    let parsed = if ct.contains("yaml") {
        patch_hook::parse_body(body)
    } else {
        serde_json::from_slice(body).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| {
        ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type {kind}): couldn't get version/kind; json parse error: {e}"
        ))
    })
}

impl Ctx {
    fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub(super) fn wants_table(&self) -> bool {
        self.headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(crate::table::wants_table)
    }

    fn name(&self) -> &str {
        self.rp.name.as_deref().unwrap_or_default()
    }

    pub(super) fn ns(&self) -> &str {
        if self.info.namespaced {
            &self.rp.ns
        } else {
            ""
        }
    }

    fn opts(&self) -> WriteOpts {
        WriteOpts {
            field_manager: self.q.get("fieldManager").cloned(),
            dry_run: self.q.get("dryRun").is_some_and(|v| v == "All"),
            subresource: self.rp.sub.clone(),
            apply: false,
            field_validation: crate::schema_hook::FieldValidation::parse(
                self.q.get("fieldValidation").map(String::as_str),
            ),
            warnings: self.warnings.clone(),
        }
    }

    /// The type as the client addressed it (the view, if any).
    pub(super) fn api_info(&self) -> &Arc<ResourceInfo> {
        self.view.as_ref().unwrap_or(&self.info)
    }

    /// A client's object in the storage form.
    fn storage_form(&self, obj: Value) -> Value {
        match &self.view {
            Some(_) => events::to_core(&obj),
            None => obj,
        }
    }

    fn versioned(&self, obj: &Arc<Value>) -> Value {
        if self.view.is_some() {
            return events::to_view(obj);
        }
        let av = self.info.api_version();
        let mut v = (**obj).clone();
        if v["apiVersion"].as_str() != Some(av.as_str()) {
            v["apiVersion"] = json!(av);
        }
        v
    }

    fn respond(&self, code: u16, obj: &Arc<Value>) -> Response {
        if metadata_only(&self.headers) {
            return json_response(code, &to_metadata(obj));
        }
        if self.view.is_none()
            && obj["apiVersion"].as_str() == Some(self.info.api_version().as_str())
        {
            bytes_response(
                code,
                serde_json::to_vec(&**obj).unwrap_or_default(),
                "application/json",
            )
        } else {
            json_response(code, &self.versioned(obj))
        }
    }

    fn check_sub(&self) -> Result<(), ApiError> {
        match self.rp.sub.as_deref() {
            None => Ok(()),
            Some("status") if self.info.status_subresource => Ok(()),
            Some("scale") if self.info.scale_subresource => Ok(()),
            Some("finalize") if self.info.plural == "namespaces" && self.info.group.is_empty() => {
                Ok(())
            }
            _ => Err(ApiError::new(
                404,
                "NotFound",
                "the server could not find the requested resource",
            )),
        }
    }

    pub(super) fn get(&self) -> Result<Response, ApiError> {
        self.check_sub()?;
        let obj = self
            .app
            .store
            .lock()
            .get(&self.info.table_key(), self.ns(), self.name());
        let obj = obj.ok_or_else(|| ApiError::not_found(self.api_info(), self.name()))?;
        if self.rp.sub.as_deref() == Some("scale") {
            return Ok(json_response(200, &scale_of(&obj)));
        }
        if self.wants_table() {
            let include = self
                .q
                .get("includeObject")
                .map(String::as_str)
                .unwrap_or("Metadata");
            let rv = meta_str(&obj, "resourceVersion").to_string();
            return Ok(json_response(
                200,
                &crate::table::table(&self.info, &[obj], &rv, include, None),
            ));
        }
        Ok(self.respond(200, &obj))
    }

    pub(super) fn selectors(&self) -> Result<(LabelSelector, FieldSelector), ApiError> {
        let ls = LabelSelector::parse(
            self.q
                .get("labelSelector")
                .map(String::as_str)
                .unwrap_or_default(),
        )
        .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?;
        let fs = FieldSelector::parse(
            self.q
                .get("fieldSelector")
                .map(String::as_str)
                .unwrap_or_default(),
        )
        .map_err(ApiError::bad_request)?;
        let fs = match &self.view {
            Some(_) => FieldSelector(
                fs.0.into_iter()
                    .map(|(k, v, eq)| (events::selector_field_to_core(&k), v, eq))
                    .collect(),
            ),
            None => fs,
        };
        Ok((ls, fs))
    }

    pub(super) fn list(&self) -> Result<Response, ApiError> {
        let (ls, fs) = self.selectors()?;
        let limit: usize = self
            .q
            .get("limit")
            .and_then(|l| l.parse().ok())
            .filter(|l| *l > 0)
            .unwrap_or(usize::MAX);
        let cont = self.q.get("continue").filter(|c| !c.is_empty());
        let (start, token_rv) = match cont {
            Some(c) => decode_continue(c).ok_or_else(|| {
                ApiError::bad_request("continue key is not valid: illegal base64 data")
            })?,
            None => ((String::new(), String::new()), 0),
        };
        let ns = self.ns().to_string();
        let (items, rv, next) = {
            let st = self.app.store.lock();
            let rv = if token_rv > 0 { token_rv } else { st.rv };
            let Some(t) = st.tables.get(&self.info.table_key()) else {
                return Err(ApiError::not_found(self.api_info(), ""));
            };
            let mut items = Vec::new();
            let mut next = None;
            let from = if !ns.is_empty() && start.0 < ns {
                (ns.clone(), String::new())
            } else {
                start.clone()
            };
            let range = t.objects.range(from..);
            for ((ons, oname), o) in range {
                if cont.is_some() && (ons, oname) == (&start.0, &start.1) {
                    continue;
                }
                if !ns.is_empty() && *ons != ns {
                    break;
                }
                if !ls.matches(o) || !fs.matches(o) {
                    continue;
                }
                if items.len() == limit {
                    let last: &Arc<Value> = items.last().unwrap_or(o);
                    next = Some((
                        meta_str(last, "namespace").to_string(),
                        meta_str(last, "name").to_string(),
                    ));
                    break;
                }
                items.push(o.clone());
            }
            (items, rv, next)
        };
        if self.wants_table() {
            let cont = next.as_ref().map(|n| encode_continue(n, rv));
            let include = self
                .q
                .get("includeObject")
                .map(String::as_str)
                .unwrap_or("Metadata");
            let t = crate::table::table(
                &self.info,
                &items,
                &rv.to_string(),
                include,
                cont.as_deref(),
            );
            return Ok(json_response(200, &t));
        }
        let meta_only = metadata_only(&self.headers);
        let (kind, av) = if meta_only {
            (
                "PartialObjectMetadataList".to_string(),
                "meta.k8s.io/v1".to_string(),
            )
        } else {
            (
                self.api_info().list_kind.clone(),
                self.api_info().api_version(),
            )
        };
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if let Some(n) = next {
            meta["continue"] = json!(encode_continue(&n, rv));
        }
        let mut out = Vec::with_capacity(items.len() * 512 + 128);
        out.extend_from_slice(
            format!(
                "{{\"kind\":{},\"apiVersion\":{},\"metadata\":",
                json!(kind),
                json!(av)
            )
            .as_bytes(),
        );
        out.extend_from_slice(&serde_json::to_vec(&meta).unwrap_or_default());
        out.extend_from_slice(b",\"items\":[");
        for (i, o) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let bytes = if meta_only {
                serde_json::to_vec(&to_metadata(o))
            } else if self.view.is_none() && o["apiVersion"].as_str() == Some(av.as_str()) {
                serde_json::to_vec(&**o)
            } else {
                serde_json::to_vec(&self.versioned(o))
            };
            out.extend_from_slice(&bytes.unwrap_or_default());
        }
        out.extend_from_slice(b"]}");
        Ok(bytes_response(200, out, "application/json"))
    }

    pub(super) fn create(&self) -> Result<Response, ApiError> {
        check_input_type(self.content_type())?;
        let obj = parse_json_body(&self.body, &self.info.kind, self.content_type())?;
        let obj = self.storage_form(obj);
        let mut st = self.app.store.lock();
        let r = ops::create(
            &mut st,
            &self.info,
            self.ns(),
            obj,
            &self.opts(),
            &agent(&self.headers),
        );
        self.app.store.kick_gc_if_needed(&mut st);
        drop(st);
        Ok(self.respond(201, &r?))
    }

    /// `POST serviceaccounts/{name}/token` (TokenRequest): a bearer token for the
    /// ServiceAccount, which RBAC then authorizes as `system:serviceaccount:<ns>:<name>`.
    pub(super) fn token_request(&self) -> Result<Response, ApiError> {
        check_input_type(self.content_type())?;
        let req: Value = if self.body.is_empty() {
            json!({})
        } else {
            parse_json_body(&self.body, "TokenRequest", self.content_type())?
        };
        if self
            .app
            .store
            .lock()
            .get(&self.info.table_key(), self.ns(), self.name())
            .is_none()
        {
            return Err(ApiError::not_found(self.api_info(), self.name()));
        }
        let secs = req["spec"]["expirationSeconds"]
            .as_i64()
            .filter(|s| *s > 0)
            .unwrap_or(3600);
        let audiences = match req["spec"]["audiences"].as_array() {
            Some(a) if !a.is_empty() => json!(a),
            _ => json!(["https://kubernetes.default.svc.cluster.local"]),
        };
        let token = self
            .app
            .authz
            .token_for(crate::rbac::User::service_account(self.ns(), self.name()));
        let expires = jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_secs(secs))
            .unwrap_or_else(|_| jiff::Timestamp::now())
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        Ok(json_response(
            201,
            &json!({"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                "metadata": {"name": self.name(), "namespace": self.ns(), "creationTimestamp": crate::clock::now()},
                "spec": {"audiences": audiences, "expirationSeconds": secs, "boundObjectRef": req["spec"].get("boundObjectRef").cloned().unwrap_or(Value::Null)},
                "status": {"token": token, "expirationTimestamp": expires}}),
        ))
    }

    pub(super) fn put(&self) -> Result<Response, ApiError> {
        self.check_sub()?;
        check_input_type(self.content_type())?;
        let body = parse_json_body(&self.body, &self.info.kind, self.content_type())?;
        let body = self.storage_form(body);
        let mut st = self.app.store.lock();
        let key = self.info.table_key();
        let old = st
            .get(&key, self.ns(), self.name())
            .ok_or_else(|| ApiError::not_found(self.api_info(), self.name()))?;
        let res = match self.rp.sub.as_deref() {
            Some("scale") => self.write_scale(&mut st, &old, body, false),
            Some("finalize") => {
                let mut new = (*old).clone();
                new["spec"]["finalizers"] = body["spec"]["finalizers"].clone();
                let r = ops::update(
                    &mut st,
                    &self.info,
                    &old,
                    new,
                    &WriteOpts {
                        subresource: None,
                        ..self.opts()
                    },
                    &agent(&self.headers),
                );
                // spec is protected on the main path; write it directly
                r.map(|_| {
                    let mut new = (*old).clone();
                    new["spec"]["finalizers"] = body["spec"]["finalizers"].clone();
                    st.gc_needed = true;
                    st.put(&key, new)
                })
                .map(|o| self.respond(200, &o))
            }
            _ => ops::update(
                &mut st,
                &self.info,
                &old,
                body,
                &self.opts(),
                &agent(&self.headers),
            )
            .map(|o| self.respond(200, &o)),
        };
        self.app.store.kick_gc_if_needed(&mut st);
        res
    }

    fn write_scale(
        &self,
        st: &mut crate::store::State,
        old: &Arc<Value>,
        scale: Value,
        apply: bool,
    ) -> Result<Response, ApiError> {
        let replicas = scale["spec"]["replicas"].clone();
        if !replicas.is_i64() && !replicas.is_u64() {
            return Err(ApiError::bad_request(
                "spec.replicas of the Scale must be an integer",
            ));
        }
        let rv = meta_str(&scale, "resourceVersion");
        if !rv.is_empty() && rv != meta_str(old, "resourceVersion") {
            return Err(ApiError::stale(&self.info, self.name()));
        }
        let mut new = (**old).clone();
        new["spec"]["replicas"] = replicas;
        let mut opts = self.opts();
        opts.subresource = Some("scale".into());
        if apply {
            // ownership computed by the apply on the Scale, recorded with the parent's version
            let parent_av = json!(self.info.api_version());
            let mut mf = scale["metadata"]["managedFields"].clone();
            if let Some(entries) = mf.as_array_mut() {
                for e in entries.iter_mut() {
                    if e["subresource"] == "scale" {
                        e["apiVersion"] = parent_av.clone();
                    }
                }
            }
            new["metadata"]["managedFields"] = mf;
            opts.apply = true;
        }
        let o = ops::update(st, &self.info, old, new, &opts, &agent(&self.headers))?;
        Ok(json_response(200, &scale_of(&o)))
    }

    pub(super) fn patch(&self) -> Result<Response, ApiError> {
        self.check_sub()?;
        let ct = self
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let Some(kind) = patch_hook::kind_of(ct) else {
            return Err(ApiError::new(
                415,
                "UnsupportedMediaType",
                if self.info.custom {
                    crate::patch::SMP_UNSUPPORTED.to_string()
                } else {
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml".to_string()
                },
            ));
        };
        let force = truthy(&self.q, "force");
        let mut opts = self.opts();
        if kind == patch_hook::Kind::Apply && opts.field_manager.is_none() {
            return Err(ApiError::bad_request(
                "PATCH, application/apply-patch+yaml requires fieldManager to be set",
            ));
        }
        let manager = opts
            .field_manager
            .clone()
            .unwrap_or_else(|| agent(&self.headers));
        opts.apply = kind == patch_hook::Kind::Apply;
        opts.field_manager = Some(manager.clone());
        let mut st = self.app.store.lock();
        let key = self.info.table_key();
        let live = st.get(&key, self.ns(), self.name());
        let sub = self.rp.sub.as_deref();
        // the real server decodes an applied configuration into the typed object, so its
        // quantities are compared and owned in canonical form
        let canonical_body;
        let body: &[u8] = match kind {
            patch_hook::Kind::Apply if !self.info.custom => {
                match patch_hook::parse_body(&self.body) {
                    Ok(mut v) => {
                        ops::canonical_quantities(&self.info, &mut v);
                        canonical_body =
                            serde_json::to_vec(&v).unwrap_or_else(|_| self.body.to_vec());
                        &canonical_body
                    }
                    Err(_) => &self.body,
                }
            }
            _ => &self.body,
        };
        let req = patch_hook::Req {
            kind,
            body,
            manager: &manager,
            force,
            subresource: sub,
            custom: self.info.custom,
            status_subresource: self.info.status_subresource,
        };
        let res = match (&live, sub) {
            (None, _) if kind != patch_hook::Kind::Apply || sub.is_some() => {
                Err(ApiError::not_found(self.api_info(), self.name()))
            }
            (None, _) => {
                let mut obj = self.storage_form(patch_hook::apply(None, &req)?);
                let bn = meta_str(&obj, "name").to_string();
                if !bn.is_empty() && bn != self.name() {
                    return Err(ApiError::bad_request(format!(
                        "the name of the object ({bn}) does not match the name on the URL ({})",
                        self.name()
                    )));
                }
                if !obj.get("metadata").is_some_and(Value::is_object) {
                    obj["metadata"] = json!({});
                }
                obj["metadata"]["name"] = json!(self.name());
                ops::create(&mut st, &self.info, self.ns(), obj, &opts, &manager)
                    .map(|o| self.respond(201, &o))
            }
            (Some(old), Some("scale")) => {
                let mut scale = scale_of(old);
                if kind == patch_hook::Kind::Apply {
                    // the Scale shares .spec.replicas with its parent: apply against the
                    // parent's field owners, then keep the resulting ownership on the parent
                    if let Some(mf) = old["metadata"].get("managedFields") {
                        scale["metadata"]["managedFields"] = mf.clone();
                    }
                }
                let patched = patch_hook::apply(
                    Some(&scale),
                    &patch_hook::Req {
                        custom: false,
                        status_subresource: false,
                        ..req
                    },
                )?;
                self.write_scale(&mut st, old, patched, kind == patch_hook::Kind::Apply)
            }
            (Some(old), _) => {
                let patched = match &self.view {
                    Some(_) => {
                        events::to_core(&patch_hook::apply(Some(&events::to_view(old)), &req)?)
                    }
                    None => patch_hook::apply(Some(old), &req)?,
                };
                ops::update(&mut st, &self.info, old, patched, &opts, &manager)
                    .map(|o| self.respond(200, &o))
            }
        };
        self.app.store.kick_gc_if_needed(&mut st);
        res
    }

    fn delete_opts(&self) -> Result<DeleteOpts, ApiError> {
        let body: Value = if self.body.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(&self.body)
                .map_err(|e| ApiError::bad_request(format!("error decoding DeleteOptions: {e}")))?
        };
        let policy = body["propagationPolicy"]
            .as_str()
            .map(str::to_string)
            .or_else(|| self.q.get("propagationPolicy").cloned());
        let orphan = body["orphanDependents"]
            .as_bool()
            .or_else(|| self.q.get("orphanDependents").map(|v| v == "true"));
        let propagation = match (policy.as_deref(), orphan) {
            (Some("Foreground"), _) => Propagation::Foreground,
            (Some("Orphan"), _) | (None, Some(true)) => Propagation::Orphan,
            (Some("Background"), _) | (None, _) => Propagation::Background,
            (Some(other), _) => {
                return Err(ApiError::invalid(
                    &self.info,
                    self.name(),
                    vec![crate::status::cause(
                        "FieldValueNotSupported",
                        format!("Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\""),
                        "propagationPolicy",
                    )],
                ))
            }
        };
        let dry = body["dryRun"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "All"))
            || self.q.get("dryRun").is_some_and(|v| v == "All");
        Ok(DeleteOpts {
            propagation,
            uid: body["preconditions"]["uid"].as_str().map(str::to_string),
            resource_version: body["preconditions"]["resourceVersion"]
                .as_str()
                .map(str::to_string),
            dry_run: dry,
        })
    }

    pub(super) fn delete(&self) -> Result<Response, ApiError> {
        if self.rp.sub.is_some() {
            return Err(ApiError::method_not_allowed());
        }
        let opts = self.delete_opts()?;
        let mut st = self.app.store.lock();
        let r = ops::delete(&mut st, &self.info, self.ns(), self.name(), &opts);
        st.gc_needed = true;
        self.app.store.kick_gc_if_needed(&mut st);
        drop(st);
        match r? {
            Deleted::Pending(o) => Ok(self.respond(200, &o)),
            Deleted::Removed(o)
                if self.info.plural == "namespaces" && self.info.group.is_empty() =>
            {
                Ok(self.respond(200, &o))
            }
            Deleted::Removed(o) => {
                let info = self.api_info();
                let mut details = json!({"name": self.name()});
                if !info.group.is_empty() {
                    details["group"] = json!(info.group);
                }
                details["kind"] = json!(info.plural);
                details["uid"] = json!(meta_str(&o, "uid"));
                Ok(json_response(
                    200,
                    &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}),
                ))
            }
        }
    }

    pub(super) fn delete_collection(&self) -> Result<Response, ApiError> {
        let (ls, fs) = self.selectors()?;
        let opts = self.delete_opts()?;
        let ns = self.ns().to_string();
        let mut st = self.app.store.lock();
        let targets: Vec<(String, String)> = st
            .tables
            .get(&self.info.table_key())
            .map(|t| {
                t.objects
                    .iter()
                    .filter(|((ons, _), o)| {
                        (ns.is_empty() || *ons == ns) && ls.matches(o) && fs.matches(o)
                    })
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        let mut items = Vec::new();
        for (ons, name) in targets {
            match ops::delete(&mut st, &self.info, &ons, &name, &opts) {
                Ok(Deleted::Pending(o)) | Ok(Deleted::Removed(o)) => items.push(match &self.view {
                    Some(_) => self.versioned(&o),
                    None => (*o).clone(),
                }),
                Err(_) => {}
            }
        }
        st.gc_needed = true;
        let rv = st.rv;
        self.app.store.kick_gc_if_needed(&mut st);
        drop(st);
        Ok(json_response(
            200,
            &json!({"kind": self.api_info().list_kind, "apiVersion": self.api_info().api_version(), "metadata": {"resourceVersion": rv.to_string()}, "items": items}),
        ))
    }
}

/// The autoscaling/v1 Scale view of a workload.
pub fn scale_of(obj: &Value) -> Value {
    let m = &obj["metadata"];
    let selector = obj["spec"]["selector"]["matchLabels"]
        .as_object()
        .map(|l| {
            l.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {"name": m["name"], "namespace": m["namespace"], "uid": m["uid"],
                     "resourceVersion": m["resourceVersion"], "creationTimestamp": m["creationTimestamp"]},
        "spec": {"replicas": obj["spec"]["replicas"].as_i64().unwrap_or(1)},
        "status": {"replicas": obj["status"]["replicas"].as_i64().unwrap_or(0), "selector": selector}
    })
}

fn encode_continue(start: &(String, String), rv: u64) -> String {
    use base64::Engine;
    let s = json!({"rv": rv, "ns": start.0, "name": start.1}).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

fn decode_continue(c: &str) -> Option<((String, String), u64)> {
    use base64::Engine;
    let b = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()?;
    let v: Value = serde_json::from_slice(&b).ok()?;
    Some((
        (
            v["ns"].as_str()?.to_string(),
            v["name"].as_str()?.to_string(),
        ),
        v["rv"].as_u64()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_roundtrip() {
        let t = encode_continue(&("ns".into(), "n".into()), 42);
        assert_eq!(decode_continue(&t), Some((("ns".into(), "n".into()), 42)));
        assert_eq!(decode_continue("!!"), None);
    }
}
