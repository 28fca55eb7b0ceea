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

//! Field errors ([`Cause`]) and the 422 `Status` body built from them.

use super::go::{go_bad_value, go_quote};
use serde_json::{json, Map, Value};

/// One field error, as in a Status body's `details.causes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// Machine-readable reason: `FieldValueInvalid`, `FieldValueRequired`, `FieldValueTypeInvalid`...
    pub reason: String,
    /// The error body without the field, e.g. `Invalid value: -5: spec.count in body should be ...`.
    pub message: String,
    /// The field path, e.g. `spec.count`.
    pub field: String,
}

impl Cause {
    fn new(reason: &str, field: &str, message: String) -> Self {
        Cause {
            reason: reason.to_string(),
            message,
            field: field.to_string(),
        }
    }

    /// The field error as Go's `field.Error.Error()` prints it: `<field>: <message>`.
    pub fn error_string(&self) -> String {
        format!("{}: {}", self.field, self.message)
    }

    /// The cause as a `StatusCause` JSON object (`reason`, `message`, `field`; empty ones omitted).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if !self.reason.is_empty() {
            m.insert("reason".into(), Value::String(self.reason.clone()));
        }
        if !self.message.is_empty() {
            m.insert("message".into(), Value::String(self.message.clone()));
        }
        if !self.field.is_empty() {
            m.insert("field".into(), Value::String(self.field.clone()));
        }
        Value::Object(m)
    }

    /// `field.Required`: `Required value` (plus `: detail`).
    pub fn required(field: &str, detail: &str) -> Self {
        Cause::new(
            "FieldValueRequired",
            field,
            with_detail("Required value".into(), detail),
        )
    }

    /// `field.Invalid`: `Invalid value: <value>: <detail>`.
    pub fn invalid(field: &str, value: &Value, detail: &str) -> Self {
        Cause::new(
            "FieldValueInvalid",
            field,
            with_detail(format!("Invalid value: {}", go_bad_value(value)), detail),
        )
    }

    /// `field.TypeInvalid`: worded like `Invalid value`, reason `FieldValueTypeInvalid`.
    pub fn type_invalid(field: &str, value: &Value, detail: &str) -> Self {
        Cause::new(
            "FieldValueTypeInvalid",
            field,
            with_detail(format!("Invalid value: {}", go_bad_value(value)), detail),
        )
    }

    /// `field.NotSupported`: `Unsupported value: <value>: supported values: "a", "b"`.
    pub fn not_supported(field: &str, value: &Value, supported: &[String]) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|s| go_quote(s)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Cause::new(
            "FieldValueNotSupported",
            field,
            with_detail(
                format!("Unsupported value: {}", go_bad_value(value)),
                &detail,
            ),
        )
    }

    /// `field.TooLong`: `Too long: may not be more than N bytes` (the value is not shown).
    pub fn too_long(field: &str, max: i64) -> Self {
        let detail = if max >= 0 {
            format!(
                "may not be more than {max} {}",
                if max == 1 { "byte" } else { "bytes" }
            )
        } else {
            "value is too long".to_string()
        };
        Cause::new("FieldValueTooLong", field, format!("Too long: {detail}"))
    }

    /// `field.TooMany`: `Too many: <actual>: must have at most N items`.
    pub fn too_many(field: &str, actual: i64, max: i64) -> Self {
        let detail = if max >= 0 {
            format!("must have at most {max} items")
        } else {
            "has too many items".to_string()
        };
        let body = if actual >= 0 {
            format!("Too many: {actual}")
        } else {
            "Too many".to_string()
        };
        Cause::new("FieldValueTooMany", field, format!("{body}: {detail}"))
    }

    /// `field.Duplicate`: `Duplicate value: <value>`.
    pub fn duplicate(field: &str, value: &Value) -> Self {
        Cause::new(
            "FieldValueDuplicate",
            field,
            format!("Duplicate value: {}", go_bad_value(value)),
        )
    }

    /// `field.Forbidden`: `Forbidden: <detail>`.
    pub fn forbidden(field: &str, detail: &str) -> Self {
        Cause::new(
            "FieldValueForbidden",
            field,
            with_detail("Forbidden".into(), detail),
        )
    }
}

pub(super) fn with_detail(mut s: String, detail: &str) -> String {
    if !detail.is_empty() {
        s.push_str(": ");
        s.push_str(detail);
    }
    s
}

/// Builds the 422 `Status` body the real server sends for an invalid object.
/// `group` may be empty (core kinds); `kind` is the object kind, e.g. `Sample`.
pub fn invalid_status(group: &str, kind: &str, name: &str, causes: &[Cause]) -> Value {
    let qualified = if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    };
    let message = match aggregate_message(causes) {
        Some(agg) => format!("{qualified} {} is invalid: {agg}", go_quote(name)),
        None => format!("{qualified} {} is invalid", go_quote(name)),
    };
    let mut details = Map::new();
    if !name.is_empty() {
        details.insert("name".into(), Value::String(name.into()));
    }
    if !group.is_empty() {
        details.insert("group".into(), Value::String(group.into()));
    }
    if !kind.is_empty() {
        details.insert("kind".into(), Value::String(kind.into()));
    }
    details.insert(
        "causes".into(),
        Value::Array(causes.iter().map(Cause::to_json).collect()),
    );
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Invalid",
        "details": Value::Object(details),
        "code": 422
    })
}

/// The summary the server puts after `is invalid: `: one error as is, several as `[a, b]`,
/// duplicates (same text) listed once.
pub fn aggregate_message(causes: &[Cause]) -> Option<String> {
    let mut seen: Vec<String> = Vec::new();
    for c in causes {
        let s = c.error_string();
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    match seen.len() {
        0 => None,
        1 => seen.pop(),
        _ => Some(format!("[{}]", seen.join(", "))),
    }
}
