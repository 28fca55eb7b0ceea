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

//! The `Sample` custom resource: the resource of the Nuvolaris operator training.
//!
//! `spec.count` becomes the replica count of the `<name>-demo-deploy` Deployment.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Image used when `spec.image` is not set.
pub const DEFAULT_IMAGE: &str = "nginx";
/// Smallest accepted `spec.count`.
pub const MIN_COUNT: i32 = 0;
/// Largest accepted `spec.count`.
pub const MAX_COUNT: i32 = 1000;

fn default_image() -> String {
    DEFAULT_IMAGE.to_string()
}

/// Spec of a `Sample`: how many nginx replicas to run, and which image.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "nuvolaris.org",
    version = "v1",
    kind = "Sample",
    plural = "samples",
    singular = "sample",
    shortname = "sam",
    namespaced,
    status = "SampleStatus",
    printcolumn(name = "Count", type_ = "integer", json_path = ".spec.count"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Message",
        type_ = "string",
        json_path = ".status.sample_create.message"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
pub struct SampleSpec {
    /// Replica count of the demo Deployment (0 to 1000).
    #[schemars(range(min = 0, max = 1000))]
    pub count: i32,
    /// Container image of the demo Deployment (default `nginx`).
    #[serde(default = "default_image")]
    #[schemars(default = "default_image")]
    pub image: String,
}

/// Observed state of a `Sample`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct SampleStatus {
    /// The `metadata.generation` this status was computed from.
    #[serde(
        rename = "observedGeneration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub observed_generation: Option<i64>,
    /// `Ready`, `Progressing` and `Degraded` conditions (a list map keyed by `type`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "nuvolaris_runtime::conditions::conditions_schema")]
    pub conditions: Vec<Condition>,
    /// `status.replicas` of the Deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// `status.readyReplicas` of the Deployment.
    #[serde(
        rename = "readyReplicas",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ready_replicas: Option<i32>,
    /// The training's status key, shown by the `Message` printer column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_create: Option<SampleCreate>,
}

/// `status.sample_create` as the training's kopf handler wrote it.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct SampleCreate {
    /// What the last apply did, e.g. `deployment.apps/obj-demo-deploy configured`.
    #[serde(default)]
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::CustomResourceExt;
    use rstest::rstest;
    use serde_json::{json, Value};

    fn crd() -> Value {
        serde_json::to_value(Sample::crd()).unwrap()
    }

    fn schema() -> Value {
        crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone()
    }

    #[test]
    fn names_scope_and_subresources() {
        let c = crd();
        assert_eq!(c["metadata"]["name"], "samples.nuvolaris.org");
        assert_eq!(c["spec"]["group"], "nuvolaris.org");
        assert_eq!(c["spec"]["scope"], "Namespaced");
        assert_eq!(c["spec"]["names"]["kind"], "Sample");
        assert_eq!(c["spec"]["names"]["plural"], "samples");
        assert_eq!(c["spec"]["names"]["singular"], "sample");
        assert_eq!(c["spec"]["names"]["shortNames"], json!(["sam"]));
        let v = &c["spec"]["versions"][0];
        assert_eq!(v["name"], "v1");
        assert_eq!(v["served"], true);
        assert_eq!(v["storage"], true);
        assert_eq!(v["subresources"]["status"], json!({}));
    }

    #[test]
    fn count_is_required_integer_between_0_and_1000() {
        let s = schema();
        let spec = &s["properties"]["spec"];
        assert_eq!(spec["required"], json!(["count"]));
        let count = &spec["properties"]["count"];
        assert_eq!(count["type"], "integer");
        assert_eq!(count["minimum"].as_f64(), Some(0.0));
        assert_eq!(count["maximum"].as_f64(), Some(1000.0));
        let image = &spec["properties"]["image"];
        assert_eq!(image["type"], "string");
        assert_eq!(image["default"], "nginx");
        assert_eq!(s["required"], json!(["spec"]));
    }

    #[test]
    fn conditions_are_a_list_map_keyed_by_type() {
        let st = &schema()["properties"]["status"]["properties"];
        let c = &st["conditions"];
        assert_eq!(c["type"], "array");
        assert_eq!(c["x-kubernetes-list-type"], "map");
        assert_eq!(c["x-kubernetes-list-map-keys"], json!(["type"]));
        assert_eq!(c["items"]["type"], "object");
        for k in [
            "observedGeneration",
            "replicas",
            "readyReplicas",
            "sample_create",
        ] {
            assert!(st.get(k).is_some(), "status.{k} missing");
        }
        assert_eq!(
            st["sample_create"]["properties"]["message"]["type"],
            "string"
        );
    }

    #[rstest]
    #[case("Count", "integer", ".spec.count")]
    #[case("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status")]
    #[case("Message", "string", ".status.sample_create.message")]
    #[case("Age", "date", ".metadata.creationTimestamp")]
    fn printer_columns(#[case] name: &str, #[case] ty: &str, #[case] path: &str) {
        let cols = crd()["spec"]["versions"][0]["additionalPrinterColumns"].clone();
        let col = cols
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("column {name} missing"))
            .clone();
        assert_eq!(col["type"], ty);
        assert_eq!(col["jsonPath"], path);
    }

    /// Walks a schema and reports every node without `type` that is not allowed to lack one.
    fn non_structural(v: &Value, path: &str, out: &mut Vec<String>) {
        let Some(m) = v.as_object() else { return };
        let preserve = m.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
        let int_or_string = m.get("x-kubernetes-int-or-string") == Some(&json!(true));
        if !m.contains_key("type") && !preserve && !int_or_string {
            out.push(path.to_string());
        }
        for bad in ["$ref", "$defs", "definitions"] {
            if m.contains_key(bad) {
                out.push(format!("{path}:{bad}"));
            }
        }
        if let Some(props) = m.get("properties").and_then(Value::as_object) {
            for (k, p) in props {
                non_structural(p, &format!("{path}.{k}"), out);
            }
        }
        if let Some(items) = m.get("items") {
            non_structural(items, &format!("{path}[]"), out);
        }
    }

    #[test]
    fn schema_is_structural() {
        let mut bad = Vec::new();
        non_structural(&schema(), "", &mut bad);
        assert!(bad.is_empty(), "non-structural nodes: {bad:?}");
    }

    #[rstest]
    #[case(json!({"count": 2}), Some((2, "nginx")))]
    #[case(json!({"count": 5, "image": "nginx:1.27"}), Some((5, "nginx:1.27")))]
    #[case(json!({"count": "two"}), None)]
    #[case(json!({}), None)]
    fn spec_parsing(#[case] spec: Value, #[case] want: Option<(i32, &str)>) {
        let got = serde_json::from_value::<SampleSpec>(spec).ok();
        assert_eq!(
            got.map(|s| (s.count, s.image)),
            want.map(|(c, i)| (c, i.to_string()))
        );
    }

    #[test]
    fn status_serializes_training_keys() {
        let st = SampleStatus {
            observed_generation: Some(3),
            ready_replicas: Some(1),
            sample_create: Some(SampleCreate {
                message: "m".into(),
            }),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(st).unwrap(),
            json!({"observedGeneration": 3, "readyReplicas": 1, "sample_create": {"message": "m"}})
        );
    }
}
