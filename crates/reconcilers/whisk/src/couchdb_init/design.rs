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

//! The CouchDB design documents OpenWhisk queries, per database. Same document ids, view names and
//! emitted keys/values as the OpenWhisk schema the upstream operator installs
//! (`nuvolaris/files/*.json`), written here as data.

use serde_json::{json, Value};

const SNAPSHOT_FILTER: &str =
    "function (doc, req) { return !doc._deleted && doc._id.indexOf(\"_design/\") !== 0; }";

fn snapshot_filters() -> Value {
    json!({
        "_id": "_design/snapshotFilters",
        "filters": { "withoutDeletedAndDesignDocuments": SNAPSHOT_FILTER }
    })
}

const SUMMARIZE: &str = r#"var PATHSEP = "/";
  var isActivation = function (doc) { return doc.activationId !== undefined; };
  var summarize = function (doc) {
    var endtime = doc.end !== 0 ? doc.end : undefined;
    return {
      namespace: doc.namespace, name: doc.name, version: doc.version, publish: doc.publish,
      annotations: doc.annotations, activationId: doc.activationId, start: doc.start, end: endtime,
      duration: endtime !== undefined ? endtime - doc.start : undefined, cause: doc.cause,
      statusCode: (endtime !== undefined && doc.response !== undefined && doc.response.statusCode !== undefined) ? doc.response.statusCode : undefined
    };
  };"#;

/// Design documents of `nuvolaris_subjects`.
pub fn subjects() -> Vec<Value> {
    vec![
        json!({
            "_id": "_design/subjects.v2.0.0",
            "language": "javascript",
            "views": { "identities": { "map": r#"function (doc) {
  if (doc.namespaces && !doc.blocked) {
    doc.namespaces.forEach(function (ns) {
      var v = { _id: ns.name + "/limits", namespace: ns.name, uuid: ns.uuid, key: ns.key };
      emit([ns.name], v);
      emit([ns.uuid, ns.key], v);
    });
  }
}"# } },
            "indexes": {}
        }),
        snapshot_filters(),
        json!({
            "_id": "_design/namespaceThrottlings",
            "language": "javascript",
            "views": { "blockedNamespaces": { "map": r#"function (doc) {
  if (doc._id.indexOf("/limits") >= 0) {
    if (doc.concurrentInvocations === 0 || doc.invocationsPerMinute === 0) {
      emit(doc._id.replace("/limits", ""), 1);
    }
  } else if (doc.subject && doc.namespaces && doc.blocked) {
    doc.namespaces.forEach(function (ns) { emit(ns.name, 1); });
  }
}"#, "reduce": "_sum" } }
        }),
    ]
}

/// Design documents of `nuvolaris_activations`.
pub fn activations() -> Vec<Value> {
    let by_namespace = format!(
        "function (doc) {{\n  {SUMMARIZE}\n  if (isActivation(doc)) try {{ emit([doc.namespace, doc.start], summarize(doc)); }} catch (e) {{}}\n}}"
    );
    let by_path = format!(
        r#"function (doc) {{
  {SUMMARIZE}
  var pathFilter = function (doc) {{
    var path, binding;
    for (var i = 0; i < doc.annotations.length; i++) {{
      var a = doc.annotations[i];
      if (a.key == "path") path = a.value;
      if (a.key == "binding") binding = a.value;
    }}
    try {{
      if (binding) return binding.split(PATHSEP)[1] + PATHSEP + doc.name;
      if (path) {{
        var p = path.split(PATHSEP);
        return p.length == 3 ? p[1] + PATHSEP + doc.name : doc.name;
      }}
    }} catch (e) {{ return doc.name; }}
    return doc.name;
  }};
  if (isActivation(doc)) try {{ emit([doc.namespace + PATHSEP + pathFilter(doc), doc.start], summarize(doc)); }} catch (e) {{}}
}}"#
    );
    vec![
        json!({
            "_id": "_design/whisks.v2.1.0",
            "language": "javascript",
            "views": { "activations": { "map": by_namespace, "reduce": "_count" } }
        }),
        json!({
            "_id": "_design/whisks-filters.v2.1.1",
            "language": "javascript",
            "views": { "activations": { "map": by_path, "reduce": "_count" } }
        }),
        snapshot_filters(),
        json!({
            "_id": "_design/activations",
            "language": "javascript",
            "views": { "byDate": { "map":
                "function (doc) {\n  if (doc.activationId !== undefined) try { emit(doc.start, [doc._id, doc._rev]); } catch (e) {}\n}" } }
        }),
        json!({
            "_id": "_design/logCleanup",
            "language": "javascript",
            "views": { "byDateWithLogs": { "map": r#"function (doc) {
  if (doc.activationId !== undefined && doc.logs && doc.logs.length > 0) try {
    var deleteLogs = true;
    for (var i = 0; i < doc.annotations.length; i++) {
      var a = doc.annotations[i];
      if (a.key == "kind") { deleteLogs = a.value != "sequence"; break; }
    }
    if (deleteLogs) emit(doc.start, doc._id);
  } catch (e) {}
}"# } }
        }),
    ]
}

/// Design documents of `nuvolaris_whisks`.
pub fn whisks() -> Vec<Value> {
    let entity = |test: &str, extra: &str, both_roots: bool| {
        let emit_root = if both_roots {
            "    if (root !== doc.namespace) emit([root, doc.updated], value);\n"
        } else {
            ""
        };
        format!(
            "function (doc) {{\n  if ({test}) try {{\n    var root = doc.namespace.split(\"/\")[0];\n    var value = {{ namespace: doc.namespace, name: doc.name, version: doc.version, publish: doc.publish, annotations: doc.annotations, updated: doc.updated{extra} }};\n    emit([doc.namespace, doc.updated], value);\n{emit_root}  }} catch (e) {{}}\n}}"
        )
    };
    let packages = "function (doc) {\n  if (doc.binding !== undefined) try {\n    var value = { namespace: doc.namespace, name: doc.name, version: doc.version, publish: doc.publish, annotations: doc.annotations, updated: doc.updated };\n    value.binding = Object.keys(doc.binding).length > 0 ? doc.binding : false;\n    emit([doc.namespace, doc.updated], value);\n  } catch (e) {}\n}";
    let packages_public = "function (doc) {\n  if (doc.binding !== undefined && Object.keys(doc.binding).length == 0 && doc.publish) try {\n    var value = { namespace: doc.namespace, name: doc.name, version: doc.version, publish: doc.publish, annotations: doc.annotations, updated: doc.updated, binding: false };\n    emit([doc.namespace, doc.updated], value);\n  } catch (e) {}\n}";
    let rules = "function (doc) {\n  if (doc.trigger !== undefined) try {\n    var root = doc.namespace.split(\"/\")[0];\n    emit([doc.namespace, doc.updated], 1);\n    if (root !== doc.namespace) emit([root, doc.updated], 1);\n  } catch (e) {}\n}";
    vec![
        json!({
            "_id": "_design/whisks.v2.1.0",
            "language": "javascript",
            "views": {
                "rules": { "map": rules, "reduce": "_count" },
                "packages-public": { "map": packages_public, "reduce": "_count" },
                "packages": { "map": packages, "reduce": "_count" },
                "actions": {
                    "map": entity("doc.exec !== undefined", ", limits: doc.limits, exec: { binary: doc.exec.binary || false }", true),
                    "reduce": "_count"
                },
                "triggers": {
                    "map": entity("doc.exec === undefined && doc.binding === undefined && doc.parameters !== undefined", "", true),
                    "reduce": "_count"
                }
            }
        }),
        snapshot_filters(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(docs: &[Value]) -> Vec<String> {
        docs.iter()
            .map(|d| d["_id"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn same_documents_and_views_as_upstream() {
        assert_eq!(
            ids(&subjects()),
            [
                "_design/subjects.v2.0.0",
                "_design/snapshotFilters",
                "_design/namespaceThrottlings"
            ]
        );
        assert_eq!(
            ids(&activations()),
            [
                "_design/whisks.v2.1.0",
                "_design/whisks-filters.v2.1.1",
                "_design/snapshotFilters",
                "_design/activations",
                "_design/logCleanup"
            ]
        );
        assert_eq!(
            ids(&whisks()),
            ["_design/whisks.v2.1.0", "_design/snapshotFilters"]
        );
        let w = &whisks()[0]["views"];
        for v in [
            "rules",
            "packages-public",
            "packages",
            "actions",
            "triggers",
        ] {
            assert!(
                w[v]["map"].as_str().unwrap().starts_with("function (doc)"),
                "{v}"
            );
            assert_eq!(w[v]["reduce"], "_count");
        }
    }
}
