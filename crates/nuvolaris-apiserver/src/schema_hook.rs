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

//! Adapter to the CRD structural-schema validation and pruning (the `validation` module).

use crate::resources::ResourceInfo;
use crate::status::ApiError;
use crate::validation;
use serde_json::Value;

/// The `fieldValidation` query parameter of writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldValidation {
    /// Unknown fields are dropped silently.
    Ignore,
    /// Unknown fields are dropped with one `Warning` header each (the server's default).
    #[default]
    Warn,
    /// Unknown fields make the write fail with 400 BadRequest.
    Strict,
}

impl FieldValidation {
    /// Parses the query parameter value (absent or unrecognized: the default, `Warn`).
    pub fn parse(v: Option<&str>) -> Self {
        match v {
            Some("Ignore") => Self::Ignore,
            Some("Strict") => Self::Strict,
            _ => Self::Warn,
        }
    }
}

fn to_api_error(body: Value) -> ApiError {
    ApiError {
        code: 422,
        reason: "Invalid".into(),
        message: body["message"].as_str().unwrap_or_default().to_string(),
        details: body.get("details").cloned().map(Box::new),
    }
}

/// Validates and prunes a custom resource against its openAPIV3Schema (apiVersion, kind and
/// metadata are kept as the real server keeps them). Returns the paths of the pruned unknown
/// fields; with `fieldValidation=Strict` any such field is a 400 BadRequest (checked first, as
/// the server's strict decoding runs before validation).
pub fn validate(
    info: &ResourceInfo,
    schema: &Value,
    obj: &mut Value,
    name: &str,
    mode: FieldValidation,
) -> Result<Vec<String>, ApiError> {
    let keep: Vec<(String, Value)> = ["apiVersion", "kind", "metadata"]
        .iter()
        .filter_map(|k| obj.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect();
    let (pruned, res) = validation::validate_and_prune_with_report(schema, obj);
    if let Some(o) = obj.as_object_mut() {
        for (k, mut v) in keep {
            if k == "metadata" {
                // unknown metadata fields were reported above: drop them as ObjectMeta does
                validation::prune_object_meta(&mut v);
            }
            o.insert(k, v);
        }
    }
    if mode == FieldValidation::Strict && !pruned.is_empty() {
        return Err(ApiError::bad_request(validation::strict_decoding_message(
            &info.kind,
            &info.version,
            &pruned,
        )));
    }
    res.map_err(|causes| {
        to_api_error(validation::invalid_status(
            &info.group,
            &info.kind,
            name,
            &causes,
        ))
    })?;
    Ok(pruned)
}

/// Validates a CustomResourceDefinition's schemas (structural, every served version).
pub fn validate_crd(info: &ResourceInfo, crd: &Value, name: &str) -> Result<(), ApiError> {
    validation::validate_crd(crd).map_err(|causes| {
        to_api_error(validation::invalid_status(
            &info.group,
            &info.kind,
            name,
            &causes,
        ))
    })
}
