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

//! `Table` responses (meta.k8s.io/v1) for kubectl's `get`: the columns the real server prints
//! for common built-ins, and a CRD's `additionalPrinterColumns`.

use crate::resources::ResourceInfo;
use serde_json::{json, Value};
use std::sync::Arc;

/// Whether an Accept header asks for a Table.
pub fn wants_table(accept: &str) -> bool {
    accept
        .split(',')
        .next()
        .is_some_and(|first| first.contains("as=Table"))
}

fn col(name: &str, ty: &str, format: &str, description: &str, priority: i64) -> Value {
    json!({"name": name, "type": ty, "format": format, "description": description, "priority": priority})
}

const NAME_DESC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const AGE_DESC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.";

/// Evaluates the JSONPath subset used by printer columns: `.a.b`, `[n]` and `[?(@.k=="v")]`.
pub fn json_path<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = obj;
    let mut rest = path.trim().trim_start_matches('{').trim_end_matches('}');
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            cur = cur.get(&r[..end])?;
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let inner = &r[..end];
            rest = &r[end + 1..];
            if let Some(filter) = inner.strip_prefix("?(@.").and_then(|f| f.strip_suffix(')')) {
                let (k, v) = filter.split_once("==")?;
                let v = v.trim().trim_matches('"').trim_matches('\'');
                cur = cur
                    .as_array()?
                    .iter()
                    .find(|e| e.get(k.trim()).and_then(Value::as_str) == Some(v))?;
            } else {
                cur = cur.as_array()?.get(inner.parse::<usize>().ok()?)?;
            }
        } else {
            return None;
        }
    }
    Some(cur)
}

fn int_at(obj: &Value, p: &str) -> i64 {
    json_path(obj, p).and_then(Value::as_i64).unwrap_or(0)
}

/// Column definitions and a row builder for a type.
fn columns(info: &ResourceInfo) -> Vec<Value> {
    let name = col("Name", "string", "name", NAME_DESC, 0);
    let age = col(
        "Age",
        if info.custom { "date" } else { "string" },
        "",
        AGE_DESC,
        0,
    );
    if info.custom {
        if info.printer_columns.is_empty() {
            return vec![name, age];
        }
        let mut out = vec![name];
        for c in &info.printer_columns {
            out.push(col(
                c["name"].as_str().unwrap_or_default(),
                c["type"].as_str().unwrap_or("string"),
                c["format"].as_str().unwrap_or_default(),
                c["description"].as_str().unwrap_or_default(),
                c["priority"].as_i64().unwrap_or(0),
            ));
        }
        return out;
    }
    let extra: Vec<Value> = match (info.group.as_str(), info.plural.as_str()) {
        ("apps", "deployments") => vec![
            col("Ready", "string", "", "Number of the pod with ready state", 0),
            col("Up-to-date", "string", "", "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", 0),
            col("Available", "string", "", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", 0),
        ],
        ("apps", "statefulsets") => vec![col("Ready", "string", "", "Number of the pod with ready state", 0)],
        ("batch", "jobs") => vec![col("Completions", "string", "", "The desired number of successfully finished pods the job should be run with.", 0)],
        ("", "configmaps") => vec![col("Data", "integer", "", "Data contains the configuration data.", 0)],
        ("", "secrets") => vec![
            col("Type", "string", "", "Used to facilitate programmatic handling of secret data.", 0),
            col("Data", "integer", "", "Data contains the secret data.", 0),
        ],
        ("", "namespaces") => vec![col("Status", "string", "", "The status of the namespace", 0)],
        ("", "services") => vec![
            col("Type", "string", "", "The type of the service.", 0),
            col("Cluster-IP", "string", "", "The cluster IP of the service.", 0),
            col("Port(s)", "string", "", "The ports of the service.", 0),
        ],
        _ => vec![],
    };
    let mut out = vec![name];
    out.extend(extra);
    out.push(age);
    out
}

fn cells(info: &ResourceInfo, o: &Value) -> Vec<Value> {
    let name = json!(o["metadata"]["name"]);
    let age = json!(human_age(&o["metadata"]["creationTimestamp"]));
    if info.custom {
        if info.printer_columns.is_empty() {
            return vec![name, age];
        }
        let mut out = vec![name];
        for c in &info.printer_columns {
            let v = c["jsonPath"]
                .as_str()
                .and_then(|p| json_path(o, p))
                .cloned()
                .unwrap_or(Value::Null);
            if c["type"] == "date" && !v.is_null() {
                out.push(json!(human_age(&v)));
            } else {
                out.push(v);
            }
        }
        return out;
    }
    let count = |v: &Value| json!(v.as_object().map(|m| m.len()).unwrap_or(0));
    let extra: Vec<Value> = match (info.group.as_str(), info.plural.as_str()) {
        ("apps", "deployments") => {
            let want = o["spec"]["replicas"].as_i64().unwrap_or(1);
            vec![
                json!(format!("{}/{want}", int_at(o, ".status.readyReplicas"))),
                json!(int_at(o, ".status.updatedReplicas")),
                json!(int_at(o, ".status.availableReplicas")),
            ]
        }
        ("apps", "statefulsets") => {
            let want = o["spec"]["replicas"].as_i64().unwrap_or(1);
            vec![json!(format!(
                "{}/{want}",
                int_at(o, ".status.readyReplicas")
            ))]
        }
        ("batch", "jobs") => {
            let want = o["spec"]["completions"].as_i64().unwrap_or(1);
            vec![json!(format!("{}/{want}", int_at(o, ".status.succeeded")))]
        }
        ("", "configmaps") => {
            let n = count(&o["data"]).as_u64().unwrap_or(0)
                + count(&o["binaryData"]).as_u64().unwrap_or(0);
            vec![json!(n)]
        }
        ("", "secrets") => vec![
            json!(o["type"].as_str().unwrap_or("Opaque")),
            count(&o["data"]),
        ],
        ("", "namespaces") => vec![json!(o["status"]["phase"].as_str().unwrap_or("Active"))],
        ("", "services") => {
            let ports: Vec<String> = o["spec"]["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| format!("{}/{}", p["port"], p["protocol"].as_str().unwrap_or("TCP")))
                .collect();
            vec![
                json!(o["spec"]["type"].as_str().unwrap_or("ClusterIP")),
                json!(o["spec"]["clusterIP"].as_str().unwrap_or("<none>")),
                json!(if ports.is_empty() {
                    "<none>".to_string()
                } else {
                    ports.join(",")
                }),
            ]
        }
        _ => vec![],
    };
    let mut out = vec![name];
    out.extend(extra);
    out.push(age);
    out
}

/// The age of a timestamp as the server prints it (Go's `duration.HumanDuration`).
pub fn human_age(ts: &Value) -> String {
    let Some(t) = ts.as_str().and_then(|s| s.parse::<jiff::Timestamp>().ok()) else {
        return "<unknown>".to_string();
    };
    let secs = jiff::Timestamp::now().as_second() - t.as_second();
    human_duration(secs)
}

/// Go's `duration.HumanDuration` for a number of seconds.
pub fn human_duration(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".into();
    }
    if secs < 0 {
        return "0s".into();
    }
    if secs < 120 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = secs / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// A Table of `items` (`includeObject`: "None", "Metadata" (default) or "Object").
pub fn table(
    info: &ResourceInfo,
    items: &[Arc<Value>],
    rv: &str,
    include: &str,
    cont: Option<&str>,
) -> Value {
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            let mut row = json!({"cells": cells(info, o)});
            match include {
                "None" => {}
                "Object" => row["object"] = (**o).clone(),
                _ => {
                    row["object"] = json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]})
                }
            }
            row
        })
        .collect();
    let mut meta = json!({"resourceVersion": rv});
    if let Some(c) = cont {
        meta["continue"] = json!(c);
    }
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": columns(info), "rows": rows})
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn obj() -> Value {
        json!({"spec": {"count": 2, "list": [{"a": 1}, {"a": 2}]},
               "status": {"conditions": [{"type": "Other", "status": "False"}, {"type": "Ready", "status": "True"}]}})
    }

    #[rstest]
    #[case(".spec.count", Some(json!(2)))]
    #[case(".spec.list[1].a", Some(json!(2)))]
    #[case(".status.conditions[?(@.type==\"Ready\")].status", Some(json!("True")))]
    #[case("{.spec.count}", Some(json!(2)))]
    #[case(".spec.missing", None)]
    #[case(".status.conditions[?(@.type==\"Gone\")].status", None)]
    fn paths(#[case] p: &str, #[case] want: Option<Value>) {
        assert_eq!(json_path(&obj(), p).cloned(), want);
    }

    #[rstest]
    #[case(5, "5s")]
    #[case(119, "119s")]
    #[case(125, "2m5s")]
    #[case(600, "10m")]
    #[case(3 * 3600 + 60, "3h1m")]
    #[case(30 * 3600, "30h")]
    #[case(3 * 86400 + 3600, "3d1h")]
    #[case(100 * 86400, "100d")]
    fn durations(#[case] secs: i64, #[case] want: &str) {
        assert_eq!(human_duration(secs), want);
    }

    #[rstest]
    #[case("application/json;as=Table;v=v1;g=meta.k8s.io,application/json", true)]
    #[case("application/json", false)]
    fn accept(#[case] a: &str, #[case] want: bool) {
        assert_eq!(wants_table(a), want);
    }

    #[test]
    fn deployment_row() {
        let info = crate::resources::builtins()
            .into_iter()
            .find(|r| r.plural == "deployments")
            .unwrap();
        let d = Arc::new(
            json!({"metadata": {"name": "web", "creationTimestamp": "t"}, "spec": {"replicas": 3}, "status": {"readyReplicas": 2}}),
        );
        let t = table(&info, &[d], "5", "Metadata", None);
        assert_eq!(
            t["rows"][0]["cells"],
            json!(["web", "2/3", 0, 0, "<unknown>"])
        );
        assert_eq!(t["columnDefinitions"].as_array().unwrap().len(), 5);
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    }
}
