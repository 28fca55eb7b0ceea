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

//! PATCH semantics of the embedded API server: JSON patch (RFC 6902), JSON merge patch
//! (RFC 7386), strategic merge patch (built-in kinds) and server-side apply with
//! `managedFields`, as pure functions over `serde_json` values.
//!
//! The server calls [`apply_patch`] with the live object, then, for every write that is not an
//! apply (create, update, JSON/merge/strategic patch), [`record_update`] to keep
//! `metadata.managedFields` as the real API server does. Apply records its own entry.

pub mod fieldset;
pub mod ssa;
#[cfg(test)]
mod tests;

use nuvolaris_merge::smp::{strategic_merge_with, Flavor};
use serde::Serialize;
use serde_json::Value;

/// The patch flavours, by request Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json` (RFC 6902).
    Json,
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/strategic-merge-patch+json`.
    Strategic,
    /// `application/apply-patch+yaml` (server-side apply).
    Apply,
}

impl PatchType {
    /// The patch type of a Content-Type header (parameters such as `; charset=utf-8` ignored).
    pub fn from_content_type(ct: &str) -> Option<Self> {
        let ct = ct
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match ct.as_str() {
            "application/json-patch+json" => Some(Self::Json),
            "application/merge-patch+json" => Some(Self::Merge),
            "application/strategic-merge-patch+json" => Some(Self::Strategic),
            "application/apply-patch+yaml"
            | "application/apply-patch+json"
            | "application/apply-patch+cbor" => Some(Self::Apply),
            _ => None,
        }
    }
}

/// One PATCH request, as the server received it.
#[derive(Debug, Clone)]
pub struct PatchRequest<'a> {
    /// The patch flavour.
    pub patch_type: PatchType,
    /// The raw request body.
    pub body: &'a [u8],
    /// `?fieldManager=` (required for apply).
    pub field_manager: Option<&'a str>,
    /// `?force=true` (apply only).
    pub force: bool,
    /// The subresource patched (`status`, `scale`), if any.
    pub subresource: Option<&'a str>,
    /// Whether the object is a custom resource (strategic merge is refused for those).
    pub is_custom_resource: bool,
    /// The current time, RFC 3339 (`2026-11-25T13:18:03Z`), for managedFields.
    pub now: &'a str,
}

/// One cause of a server-side apply conflict, as in a Status body's `details.causes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConflictCause {
    /// Always `FieldManagerConflict`.
    pub reason: String,
    /// `conflict with "<manager>"` (`... using <apiVersion>` for Update managers).
    pub message: String,
    /// The conflicting field, e.g. `.spec.replicas`.
    pub field: String,
}

/// Why a patch was refused, with the HTTP status it maps to.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PatchError {
    /// 400 Bad Request: the body cannot be decoded or is not a valid patch.
    #[error("{0}")]
    BadRequest(String),
    /// 415 Unsupported Media Type: e.g. strategic merge patch on a custom resource.
    #[error("{0}")]
    Unsupported(String),
    /// 422 Unprocessable Entity: the patch cannot be applied (failed `test`, missing path).
    #[error("{0}")]
    Invalid(String),
    /// 409 Conflict: server-side apply would change fields owned by other managers.
    #[error("{message}")]
    Conflict {
        /// One cause per conflicting field.
        causes: Vec<ConflictCause>,
        /// The Status message (`Apply failed with 1 conflict: conflict with "x": .spec.replicas`).
        message: String,
    },
}

impl PatchError {
    /// The HTTP status code.
    pub fn code(&self) -> u16 {
        match self {
            PatchError::BadRequest(_) => 400,
            PatchError::Unsupported(_) => 415,
            PatchError::Invalid(_) => 422,
            PatchError::Conflict { .. } => 409,
        }
    }

    /// The Status `reason`.
    pub fn reason(&self) -> &'static str {
        match self {
            PatchError::BadRequest(_) => "BadRequest",
            PatchError::Unsupported(_) => "UnsupportedMediaType",
            PatchError::Invalid(_) => "Invalid",
            PatchError::Conflict { .. } => "Conflict",
        }
    }

    /// The `Status` body the real API server answers with for this error.
    ///
    /// A JSON patch that cannot be applied gets the generic 422 message, its detail being a
    /// cause of type `UnexpectedServerResponse`, as `errors.NewGenericServerResponse` does.
    pub fn to_status(&self) -> Value {
        let (message, details) = match self {
            PatchError::BadRequest(m) | PatchError::Unsupported(m) => (m.clone(), None),
            PatchError::Invalid(m) => (
                "the server rejected our request due to an error in our request".to_string(),
                Some(
                    serde_json::json!({"causes": [{"reason": "UnexpectedServerResponse", "message": m}]}),
                ),
            ),
            PatchError::Conflict { causes, message } => (
                message.clone(),
                Some(serde_json::json!({ "causes": causes })),
            ),
        };
        let mut st = serde_json::json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": self.reason(),
        });
        if let Some(d) = details {
            st["details"] = d;
        }
        st["code"] = Value::from(self.code());
        st
    }
}

/// The wording of the JSON patch library the API server uses (evanphx/json-patch) for a
/// failed operation.
fn json_patch_message(ops: &json_patch::Patch, e: &json_patch::PatchError) -> String {
    use json_patch::{PatchErrorKind, PatchOperation};
    let path = e.path.to_string();
    match (&e.kind, ops.0.get(e.operation)) {
        (PatchErrorKind::TestFailed, _) => format!("testing value {path} failed: test failed"),
        (_, Some(PatchOperation::Replace(_))) => {
            format!("replace operation does not apply: doc is missing key: {path}: missing value")
        }
        (_, Some(PatchOperation::Remove(_))) => {
            format!(
                "remove operation does not apply: doc is missing path: \"{path}\": missing value"
            )
        }
        (_, Some(PatchOperation::Add(_))) => {
            format!("add operation does not apply: doc is missing path: \"{path}\": missing value")
        }
        (kind, _) => format!("operation {} failed at {path}: {kind}", e.operation),
    }
}

/// The message the API server gives for a strategic merge patch on a custom resource.
pub const SMP_UNSUPPORTED: &str = "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml";

fn parse_json(body: &[u8]) -> Result<Value, PatchError> {
    serde_json::from_slice(body)
        .map_err(|e| PatchError::BadRequest(format!("error decoding patch: {e}")))
}

/// Parses an apply body: JSON, or YAML when it is not JSON.
fn parse_apply(body: &[u8]) -> Result<Value, PatchError> {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return Ok(v);
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| PatchError::BadRequest("error decoding YAML: invalid UTF-8".into()))?;
    serde_saphyr::from_str::<Value>(text)
        .map_err(|e| PatchError::BadRequest(format!("error decoding YAML: {e}")))
}

/// Applies a patch to the live object (`None`: the object does not exist; only Apply may
/// create it). For Apply the result carries the updated `managedFields`; for the other types
/// call [`record_update`] on the result.
pub fn apply_patch(live: Option<&Value>, req: &PatchRequest) -> Result<Value, PatchError> {
    apply_patch_with_reset(live, req, &[])
}

/// Like [`apply_patch`], for endpoints whose strategy resets some fields (the API server's
/// `GetResetFields`): for server-side apply, the applied configuration's fields at the `reset`
/// paths (e.g. `&["status"]` on the main resource of a kind with a status subresource,
/// `&["spec"]` on `/status`) are ignored, so the applier neither changes nor owns them.
/// For the other patch types the caller restores those fields itself, as for updates.
pub fn apply_patch_with_reset(
    live: Option<&Value>,
    req: &PatchRequest,
    reset: &[&[&str]],
) -> Result<Value, PatchError> {
    if req.force && req.patch_type != PatchType::Apply {
        return Err(PatchError::BadRequest(
            "force is not allowed for non-apply patches".into(),
        ));
    }
    if req.patch_type == PatchType::Strategic && req.is_custom_resource {
        return Err(PatchError::Unsupported(SMP_UNSUPPORTED.into()));
    }
    if req.patch_type == PatchType::Apply {
        return apply(live, req, reset);
    }
    let Some(live) = live else {
        return Err(PatchError::BadRequest(
            "the object does not exist: only server-side apply can create it".into(),
        ));
    };
    match req.patch_type {
        PatchType::Json => {
            let ops: json_patch::Patch = serde_json::from_slice(req.body)
                .map_err(|e| PatchError::BadRequest(format!("error decoding patch: {e}")))?;
            let mut target = live.clone();
            json_patch::patch(&mut target, &ops)
                .map_err(|e| PatchError::Invalid(json_patch_message(&ops, &e)))?;
            Ok(target)
        }
        PatchType::Merge => {
            let patch = parse_json(req.body)?;
            if !patch.is_object() {
                return Err(PatchError::BadRequest(
                    "error decoding patch: a merge patch must be a JSON object".into(),
                ));
            }
            let mut target = live.clone();
            json_patch::merge(&mut target, &patch);
            Ok(target)
        }
        PatchType::Strategic => {
            let patch = parse_json(req.body)?;
            if !patch.is_object() {
                return Err(PatchError::BadRequest(
                    "error decoding patch: a strategic merge patch must be a JSON object".into(),
                ));
            }
            let schema = nuvolaris_merge::schema::for_object(live);
            strategic_merge_with(live, &patch, schema, Flavor::ApiServer)
                .map_err(|e| PatchError::BadRequest(e.to_string()))
        }
        PatchType::Apply => apply(Some(live), req, reset),
    }
}

/// Removes the field at `path` (map keys) from `v`, if present.
fn remove_path(v: &mut Value, path: &[&str]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for p in parents {
        match cur.get_mut(*p) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(m) = cur.as_object_mut() {
        m.shift_remove(*last);
    }
}

fn apply(live: Option<&Value>, req: &PatchRequest, reset: &[&[&str]]) -> Result<Value, PatchError> {
    let Some(manager) = req.field_manager.filter(|m| !m.is_empty()) else {
        return Err(PatchError::BadRequest(
            "PATCH with apply requires fieldManager to be set".into(),
        ));
    };
    let mut cfg = parse_apply(req.body)?;
    if !cfg.is_object() {
        return Err(PatchError::BadRequest(
            "error decoding YAML: the applied configuration must be an object".into(),
        ));
    }
    for f in ["apiVersion", "kind"] {
        if cfg.get(f).and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(PatchError::BadRequest(format!(
                "{f} must be set in the applied configuration"
            )));
        }
    }
    if let Some(l) = live {
        if l.get("kind") != cfg.get("kind") {
            return Err(PatchError::BadRequest(format!(
                "the applied configuration's kind {} does not match the object's kind {}",
                cfg["kind"],
                l.get("kind").unwrap_or(&Value::Null)
            )));
        }
    }
    if cfg
        .pointer("/metadata/managedFields")
        .is_some_and(|v| !v.is_null())
    {
        return Err(PatchError::BadRequest(
            "metadata.managedFields must be nil".into(),
        ));
    }
    for path in reset {
        remove_path(&mut cfg, path);
    }
    ssa::apply(live, &cfg, manager, req.force, req.subresource, req.now).map_err(|conflicts| {
        let causes: Vec<ConflictCause> = conflicts
            .iter()
            .map(|c| ConflictCause {
                reason: "FieldManagerConflict".into(),
                message: format!("conflict with {}", c.manager),
                field: c.path.clone(),
            })
            .collect();
        PatchError::Conflict {
            message: conflict_message(&conflicts),
            causes,
        }
    })
}

/// The API server's wording for apply conflicts.
fn conflict_message(conflicts: &[ssa::Conflict]) -> String {
    if let [c] = conflicts {
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            c.manager, c.path
        );
    }
    let mut managers: Vec<&str> = conflicts.iter().map(|c| c.manager.as_str()).collect();
    managers.sort();
    managers.dedup();
    let mut lines = Vec::new();
    for m in managers {
        lines.push(format!("conflicts with {m}:"));
        for c in conflicts.iter().filter(|c| c.manager == m) {
            lines.push(format!("- {}", c.path));
        }
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

/// Updates `new.metadata.managedFields` for a create (`old` = `None`), an update or a
/// non-apply patch by `manager` (operation `Update`): the manager takes ownership of the
/// fields it changed, from whoever owned them, with `time` = `now` when it changed anything.
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    subresource: Option<&str>,
    now: &str,
) {
    ssa::record_update(old, new, manager, subresource, now)
}
