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

//! `Status` bodies for failed requests, worded like the real API server.

use crate::resources::ResourceInfo;
use serde_json::{json, Value};

/// An API failure that becomes a `kind: Status` response.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP code.
    pub code: u16,
    /// `reason` (NotFound, AlreadyExists, Conflict, Invalid, BadRequest, ...).
    pub reason: String,
    /// Human-readable message.
    pub message: String,
    /// `details`, if any.
    pub details: Option<Box<Value>>,
}

impl ApiError {
    /// A generic error with no details.
    pub fn new(code: u16, reason: &str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason: reason.to_string(),
            message: message.into(),
            details: None,
        }
    }

    /// 400 BadRequest.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 404 NotFound for `name` of `res`.
    pub fn not_found(res: &ResourceInfo, name: &str) -> Self {
        Self::not_found_in(&res.group, &res.plural, name)
    }

    /// 404 NotFound by group and plural.
    pub fn not_found_in(group: &str, plural: &str, name: &str) -> Self {
        let q = if group.is_empty() {
            plural.to_string()
        } else {
            format!("{plural}.{group}")
        };
        ApiError {
            code: 404,
            reason: "NotFound".into(),
            message: format!("{q} \"{name}\" not found"),
            details: Some(Box::new(details(name, group, plural))),
        }
    }

    /// 409 AlreadyExists.
    pub fn already_exists(res: &ResourceInfo, name: &str) -> Self {
        ApiError {
            code: 409,
            reason: "AlreadyExists".into(),
            message: format!("{} \"{name}\" already exists", res.qualified()),
            details: Some(Box::new(details(name, &res.group, &res.plural))),
        }
    }

    /// 409 Conflict for a stale resourceVersion or failed precondition.
    pub fn conflict(res: &ResourceInfo, name: &str, why: &str) -> Self {
        ApiError {
            code: 409,
            reason: "Conflict".into(),
            message: format!(
                "Operation cannot be fulfilled on {} \"{name}\": {why}",
                res.qualified()
            ),
            details: Some(Box::new(details(name, &res.group, &res.plural))),
        }
    }

    /// 409 Conflict: the object has been modified.
    pub fn stale(res: &ResourceInfo, name: &str) -> Self {
        Self::conflict(
            res,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// 422 Invalid with causes `(reason, message, field)`.
    pub fn invalid(res: &ResourceInfo, name: &str, causes: Vec<Value>) -> Self {
        let parts: Vec<String> = causes
            .iter()
            .map(|c| {
                let f = c["field"].as_str().unwrap_or_default();
                let m = c["message"].as_str().unwrap_or_default();
                if f.is_empty() {
                    m.to_string()
                } else {
                    format!("{f}: {m}")
                }
            })
            .collect();
        let joined = if parts.len() == 1 {
            parts[0].clone()
        } else {
            format!("[{}]", parts.join(", "))
        };
        let gk = if res.group.is_empty() {
            res.kind.clone()
        } else {
            format!("{}.{}", res.kind, res.group)
        };
        ApiError {
            code: 422,
            reason: "Invalid".into(),
            message: format!("{gk} \"{name}\" is invalid: {joined}"),
            details: Some(Box::new(
                json!({"name": name, "group": res.group, "kind": res.kind, "causes": causes}),
            )),
        }
    }

    /// 405 MethodNotAllowed.
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    }

    /// The `kind: Status` body.
    pub fn body(&self) -> Value {
        let mut v = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        });
        if let Some(d) = &self.details {
            v["details"] = (**d).clone();
        }
        v["code"] = json!(self.code);
        v
    }
}

fn details(name: &str, group: &str, plural: &str) -> Value {
    let mut d = serde_json::Map::new();
    d.insert("name".into(), json!(name));
    if !group.is_empty() {
        d.insert("group".into(), json!(group));
    }
    d.insert("kind".into(), json!(plural));
    Value::Object(d)
}

/// One 422 cause entry.
pub fn cause(reason: &str, message: impl Into<String>, field: &str) -> Value {
    json!({"reason": reason, "message": message.into(), "field": field})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::builtins;

    fn deploy() -> ResourceInfo {
        builtins()
            .into_iter()
            .find(|r| r.plural == "deployments")
            .unwrap()
    }

    fn trace(name: &str) -> Value {
        let p = format!(
            "{}/testdata/k8s-api-traces/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    }

    #[test]
    fn matches_traces() {
        assert_eq!(
            ApiError::not_found(&deploy(), "nope").body(),
            trace("error-404-notfound.json")
        );
        assert_eq!(
            ApiError::already_exists(&deploy(), "web").body(),
            trace("error-409-alreadyexists.json")
        );
        assert_eq!(
            ApiError::stale(&deploy(), "web").body(),
            trace("error-409-conflict-stale-rv.json")
        );
    }

    #[test]
    fn invalid_matches_trace() {
        let t = trace("error-422-invalid.json");
        let causes = t["details"]["causes"].as_array().unwrap().clone();
        assert_eq!(ApiError::invalid(&deploy(), "bad", causes).body(), t);
    }
}
