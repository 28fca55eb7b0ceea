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

//! Events served through two API groups from one store, like the real server: core/v1 `Event`
//! is the storage form, `events.k8s.io/v1` `Event` a view converted on the way in and out
//! (`pkg/apis/events/v1/conversion.go`):
//!
//! | events.k8s.io/v1 | core/v1 |
//! | --- | --- |
//! | `regarding` | `involvedObject` |
//! | `note` | `message` |
//! | `reportingController` | `reportingComponent` |
//! | `deprecatedSource` | `source` |
//! | `deprecatedFirstTimestamp` | `firstTimestamp` |
//! | `deprecatedLastTimestamp` | `lastTimestamp` |
//! | `deprecatedCount` | `count` |
//!
//! The other fields (`metadata`, `eventTime`, `series`, `related`, `action`, `reason`, `type`,
//! `reportingInstance`) have the same name in both. Field selectors of the events.k8s.io view
//! are mapped the same way (`regarding.name` -> `involvedObject.name`, ...).

use crate::resources::ResourceInfo;
use serde_json::{Map, Value};

/// `(events.k8s.io/v1 field, core/v1 field)` of the fields whose names differ.
const RENAMED: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
];

/// The API version of the events.k8s.io view.
pub const EVENTS_V1: &str = "events.k8s.io/v1";

/// Whether a type is the events.k8s.io view of Events.
pub fn is_events_view(info: &ResourceInfo) -> bool {
    info.group == "events.k8s.io" && info.plural == "events"
}

fn rename(obj: &Value, to_core: bool, api_version: &str) -> Value {
    let Some(o) = obj.as_object() else {
        return obj.clone();
    };
    let mut out = Map::with_capacity(o.len());
    for (k, v) in o {
        let key = RENAMED
            .iter()
            .find_map(|(view, core)| {
                if to_core {
                    (k == view).then_some(*core)
                } else {
                    (k == core).then_some(*view)
                }
            })
            .unwrap_or(k.as_str());
        let v = if k == "apiVersion" {
            Value::String(api_version.to_string())
        } else {
            v.clone()
        };
        out.insert(key.to_string(), v);
    }
    Value::Object(out)
}

/// An events.k8s.io/v1 Event in the storage (core/v1) form.
pub fn to_core(view: &Value) -> Value {
    rename(view, true, "v1")
}

/// A stored (core/v1) Event as events.k8s.io/v1 shows it.
pub fn to_view(core: &Value) -> Value {
    rename(core, false, EVENTS_V1)
}

/// A field selector path of the events.k8s.io view in the storage form.
pub fn selector_field_to_core(path: &str) -> String {
    for (view, core) in RENAMED {
        if path == *view {
            return core.to_string();
        }
        if let Some(rest) = path.strip_prefix(&format!("{view}.")) {
            return format!("{core}.{rest}");
        }
    }
    path.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn view() -> Value {
        json!({"apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": "obj.1", "namespace": "demo"},
            "eventTime": "2026-01-01T00:00:00.000000Z", "action": "Reconcile", "reason": "Created",
            "type": "Normal", "note": "created deployment.apps/x",
            "regarding": {"kind": "Sample", "name": "obj", "namespace": "demo", "apiVersion": "nuvolaris.org/v1"},
            "reportingController": "nuvolaris-operator", "reportingInstance": "op-1",
            "series": {"count": 2, "lastObservedTime": "2026-01-01T00:00:01.000000Z"},
            "deprecatedCount": 3, "deprecatedSource": {"component": "c"},
            "deprecatedFirstTimestamp": "2026-01-01T00:00:00Z", "deprecatedLastTimestamp": "2026-01-01T00:00:02Z"})
    }

    #[test]
    fn view_to_core_and_back() {
        let core = to_core(&view());
        assert_eq!(
            core,
            json!({"apiVersion": "v1", "kind": "Event",
                "metadata": {"name": "obj.1", "namespace": "demo"},
                "eventTime": "2026-01-01T00:00:00.000000Z", "action": "Reconcile", "reason": "Created",
                "type": "Normal", "message": "created deployment.apps/x",
                "involvedObject": {"kind": "Sample", "name": "obj", "namespace": "demo", "apiVersion": "nuvolaris.org/v1"},
                "reportingComponent": "nuvolaris-operator", "reportingInstance": "op-1",
                "series": {"count": 2, "lastObservedTime": "2026-01-01T00:00:01.000000Z"},
                "count": 3, "source": {"component": "c"},
                "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:02Z"})
        );
        assert_eq!(to_view(&core), view());
    }

    #[rstest]
    #[case("regarding.name", "involvedObject.name")]
    #[case("regarding.kind", "involvedObject.kind")]
    #[case("reportingController", "reportingComponent")]
    #[case("metadata.name", "metadata.name")]
    #[case("type", "type")]
    #[case("noteworthy", "noteworthy")]
    fn selector_fields(#[case] view: &str, #[case] core: &str) {
        assert_eq!(selector_field_to_core(view), core);
    }
}
