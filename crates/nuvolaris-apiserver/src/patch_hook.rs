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
    /// Whether the kind has a status subresource (then an apply on the main resource ignores
    /// `status`, and an apply on `/status` ignores everything else).
    pub status_subresource: bool,
}

/// The fields an apply through this endpoint neither changes nor owns (the strategy's reset
/// fields): `status` on the main resource of a kind with a status subresource; on `/status`
/// every top-level field but `status`, and the metadata a status write ignores.
fn reset_paths(req: &Req<'_>) -> Vec<Vec<String>> {
    match req.subresource {
        None if req.status_subresource => vec![vec!["status".to_string()]],
        Some("status") => {
            let cfg = parse_body(req.body).unwrap_or(Value::Null);
            let mut out: Vec<Vec<String>> = cfg
                .as_object()
                .map(|o| {
                    o.keys()
                        .filter(|k| {
                            !matches!(k.as_str(), "apiVersion" | "kind" | "metadata" | "status")
                        })
                        .map(|k| vec![k.clone()])
                        .collect()
                })
                .unwrap_or_default();
            for m in ["labels", "annotations", "finalizers", "ownerReferences"] {
                out.push(vec!["metadata".to_string(), m.to_string()]);
            }
            out
        }
        _ => Vec::new(),
    }
}

/// The API error for a patch error: the real server's Status body.
pub fn patch_error(e: &patch::PatchError) -> ApiError {
    let st = e.to_status();
    ApiError {
        code: e.code(),
        reason: e.reason().to_string(),
        message: st["message"].as_str().unwrap_or_default().to_string(),
        details: st.get("details").cloned().map(Box::new),
    }
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
    let now = crate::clock::now();
    let pr = patch::PatchRequest {
        patch_type,
        body: req.body,
        field_manager: Some(req.manager),
        force: req.force,
        subresource: req.subresource,
        is_custom_resource: req.custom,
        now: &now,
    };
    let reset = if req.kind == Kind::Apply {
        reset_paths(req)
    } else {
        Vec::new()
    };
    let reset_refs: Vec<Vec<&str>> = reset
        .iter()
        .map(|p| p.iter().map(String::as_str).collect())
        .collect();
    let reset_slices: Vec<&[&str]> = reset_refs.iter().map(Vec::as_slice).collect();
    patch::apply_patch_with_reset(live, &pr, &reset_slices).map_err(|e| patch_error(&e))
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
