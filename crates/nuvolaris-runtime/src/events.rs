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

//! Publishing Events about an owner, and recognising a namespace that is being deleted.
//!
//! The one Event helper of the workspace: [`publish`] never fails the caller. An Event that
//! cannot be written because its namespace is terminating is dropped at debug level (the
//! namespace and everything in it is going away); other failures are logged at WARN.

use k8s_openapi::api::core::v1::ObjectReference;
use kube::runtime::events::{Event, EventType, Recorder};

/// `Status.details.causes[].reason` of a write refused because the namespace is being deleted.
pub const NAMESPACE_TERMINATING: &str = "NamespaceTerminating";

/// Whether `err` is the API server refusing new content in a terminating namespace
/// (403 with cause `NamespaceTerminating`).
pub fn is_namespace_terminating(err: &kube::Error) -> bool {
    match err {
        kube::Error::Api(s) => {
            s.code == 403
                && (s
                    .details
                    .as_ref()
                    .is_some_and(|d| d.causes.iter().any(|c| c.reason == NAMESPACE_TERMINATING))
                    || s.message.contains("because it is being terminated"))
        }
        _ => false,
    }
}

/// Publishes an Event with `action: Reconcile` about `regarding` (e.g. `Owner::object_ref`);
/// failures are logged, not returned.
pub async fn publish(
    recorder: &Recorder,
    controller: &str,
    regarding: &ObjectReference,
    type_: EventType,
    reason: &str,
    note: String,
) {
    let ev = Event {
        type_,
        reason: reason.into(),
        note: Some(note),
        action: "Reconcile".into(),
        secondary: None,
    };
    let owner = format!(
        "{}/{}",
        regarding.namespace.as_deref().unwrap_or_default(),
        regarding.name.as_deref().unwrap_or_default()
    );
    match recorder.publish(&ev, regarding).await {
        Ok(()) => {}
        Err(e) if is_namespace_terminating(&e) => {
            tracing::debug!(controller, %owner, reason, "event dropped: namespace is terminating");
        }
        Err(e) => {
            tracing::warn!(controller, %owner, error = %e, "publishing event failed")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn api_error(v: serde_json::Value) -> kube::Error {
        kube::Error::Api(Box::new(serde_json::from_value(v).unwrap()))
    }

    #[rstest]
    // the body kube-apiserver sends (StatusCause.Type is serialized as `reason`)
    #[case(json!({"status": "Failure", "code": 403, "reason": "Forbidden",
        "message": "deployments.apps \"x\" is forbidden: unable to create new content in namespace demo because it is being terminated",
        "details": {"name": "x", "group": "apps", "kind": "deployments",
            "causes": [{"reason": "NamespaceTerminating", "message": "namespace demo is being terminated", "field": "metadata.namespace"}]}}), true)]
    #[case(json!({"status": "Failure", "code": 403, "reason": "Forbidden", "message": "deployments.apps is forbidden: User \"x\" cannot create"}), false)]
    #[case(json!({"status": "Failure", "code": 404, "reason": "NotFound", "message": "namespaces \"demo\" not found"}), false)]
    fn recognises_namespace_terminating(#[case] body: serde_json::Value, #[case] want: bool) {
        assert_eq!(is_namespace_terminating(&api_error(body)), want);
    }
}
