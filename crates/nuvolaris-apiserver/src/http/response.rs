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

//! What answers are made of: JSON and byte bodies, `Status` errors, `Warning` headers.

use crate::status::ApiError;
use axum::body::Body;
use axum::response::Response;
use http::{header, StatusCode};
use serde_json::{json, Value};

/// A JSON answer.
pub(super) fn json_response(code: u16, v: &Value) -> Response {
    bytes_response(
        code,
        serde_json::to_vec(v).unwrap_or_default(),
        "application/json",
    )
}

/// An answer with a body of type `ct`.
pub(super) fn bytes_response(code: u16, body: Vec<u8>, ct: &str) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap_or_default()
}

/// The `Status` answer of an error.
pub(super) fn error_response(e: &ApiError) -> Response {
    json_response(e.code, &e.body())
}

/// The plain-text 404 of a path that serves nothing.
pub(super) fn page_not_found() -> Response {
    bytes_response(
        404,
        b"404 page not found\n".to_vec(),
        "text/plain; charset=utf-8",
    )
}

/// The `PartialObjectMetadata` view of an object.
pub(super) fn to_metadata(obj: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]})
}

/// Most bytes of `Warning` headers one response carries (the real server's 4 KiB budget);
/// further warnings are dropped.
pub(super) const MAX_WARNING_BYTES: usize = 4096;

/// Adds one `Warning` header per distinct value, within [`MAX_WARNING_BYTES`].
pub(super) fn add_warnings(resp: &mut Response, warnings: &[String]) {
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    for w in warnings {
        if !seen.insert(w.as_str()) {
            continue;
        }
        total += w.len();
        if total > MAX_WARNING_BYTES {
            break;
        }
        if let Ok(v) = header::HeaderValue::from_bytes(w.as_bytes()) {
            resp.headers_mut().append(header::WARNING, v);
        }
    }
}
