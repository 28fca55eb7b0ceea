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

//! Adapter to the patch module (merge, JSON, strategic, server-side apply, managedFields).

use crate::patch;
use crate::status::ApiError;
use serde_json::Value;

/// The patch flavours, by request Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// application/json-patch+json
    Json,
    /// application/merge-patch+json
    Merge,
    /// application/strategic-merge-patch+json
    Strategic,
    /// application/apply-patch+yaml
    Apply,
}

/// Maps a Content-Type to a patch kind.
pub fn kind_of(ct: &str) -> Option<Kind> {
    let ct = ct.split(';').next().unwrap_or_default().trim();
    match ct {
        "application/json-patch+json" => Some(Kind::Json),
        "application/merge-patch+json" => Some(Kind::Merge),
        "application/strategic-merge-patch+json" => Some(Kind::Strategic),
        "application/apply-patch+yaml" | "application/apply-patch+json" => Some(Kind::Apply),
        _ => None,
    }
}

/// Inputs of one patch.
pub struct Req<'a> {
    /// Patch kind.
    pub kind: Kind,
    /// Raw body.
    pub body: &'a [u8],
    /// fieldManager.
    pub manager: &'a str,
    /// force (apply).
    pub force: bool,
    /// Subresource.
    pub subresource: Option<&'a str>,
    /// Whether the target is a custom resource (strategic merge is refused).
    pub custom: bool,
}

/// Parses a body as JSON, or YAML when it is not JSON.
pub fn parse_body(body: &[u8]) -> Result<Value, String> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => Ok(v),
        Err(e) => {
            let s = std::str::from_utf8(body).map_err(|_| e.to_string())?;
            serde_saphyr::from_str::<Value>(s).map_err(|y| format!("{e}; as YAML: {y}"))
        }
    }
}

/// Applies a patch to the live object (None for a missing object, apply only).
pub fn apply(live: Option<&Value>, req: &Req<'_>) -> Result<Value, ApiError> {
    let patch_type = match req.kind {
        Kind::Json => patch::PatchType::Json,
        Kind::Merge => patch::PatchType::Merge,
        Kind::Strategic => patch::PatchType::Strategic,
        Kind::Apply => patch::PatchType::Apply,
    };
    let now = crate::ops::now();
    let pr = patch::PatchRequest {
        patch_type,
        body: req.body,
        field_manager: Some(req.manager),
        force: req.force,
        subresource: req.subresource,
        is_custom_resource: req.custom,
        now: &now,
    };
    patch::apply_patch(live, &pr).map_err(|e| match e {
        patch::PatchError::Conflict { causes, message } => {
            let causes: Vec<Value> = causes
                .iter()
                .map(|c| serde_json::json!({"reason": c.reason, "message": c.message, "field": c.field}))
                .collect();
            ApiError {
                code: 409,
                reason: "Conflict".into(),
                message,
                details: Some(Box::new(serde_json::json!({ "causes": causes }))),
            }
        }
        other => ApiError::new(other.code(), other.reason(), other.to_string()),
    })
}

/// Records managedFields for a non-apply write.
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    subresource: Option<&str>,
    now: &str,
) {
    patch::record_update(old, new, manager, subresource, now)
}
