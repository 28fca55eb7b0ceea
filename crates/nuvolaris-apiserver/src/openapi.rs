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

//! A minimal `/openapi/v3`: one document per group/version whose PATCH operations carry the
//! `x-kubernetes-group-version-kind` and the `fieldValidation` parameter, which is what kubectl
//! reads to decide that the server validates fields itself.

use crate::resources::ResourceInfo;
use serde_json::{json, Map, Value};
use std::sync::Arc;

fn gv_path(t: &ResourceInfo) -> String {
    if t.group.is_empty() {
        format!("api/{}", t.version)
    } else {
        format!("apis/{}/{}", t.group, t.version)
    }
}

/// `GET /openapi/v3`: the index of group/version documents.
pub fn index(types: &[Arc<ResourceInfo>]) -> Value {
    let mut paths = Map::new();
    for t in types {
        let p = gv_path(t);
        let hash = format!("{:016X}", fxhash(&p));
        paths.insert(
            p.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash={hash}")}),
        );
    }
    json!({"paths": paths})
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// `GET /openapi/v3/{gv}`: None when the group/version is not served.
pub fn document(types: &[Arc<ResourceInfo>], gv: &str) -> Option<Value> {
    let mut paths = Map::new();
    for t in types.iter().filter(|t| gv_path(t) == gv) {
        let base = if t.namespaced {
            format!("/{gv}/namespaces/{{namespace}}/{}", t.plural)
        } else {
            format!("/{gv}/{}", t.plural)
        };
        let gvk = json!({"group": t.group, "version": t.version, "kind": t.kind});
        let params = json!([
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": true}}
        ]);
        let op = |action: &str| {
            json!({"operationId": format!("{action}{}", t.kind), "parameters": params,
                "responses": {"200": {"description": "OK"}},
                "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk})
        };
        paths.insert(format!("{base}/{{name}}"), json!({"get": op("get"), "put": op("put"), "patch": op("patch"), "delete": op("delete")}));
        paths.insert(base, json!({"get": op("list"), "post": op("post")}));
    }
    if paths.is_empty() {
        return None;
    }
    Some(
        json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.24.0"}, "paths": paths, "components": {"schemas": {}}}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::builtins;

    #[test]
    fn index_and_doc() {
        let types: Vec<_> = builtins().into_iter().map(Arc::new).collect();
        let idx = index(&types);
        assert!(idx["paths"]["apis/apps/v1"]["serverRelativeURL"]
            .as_str()
            .unwrap()
            .starts_with("/openapi/v3/apis/apps/v1?hash="));
        let d = document(&types, "apis/apps/v1").unwrap();
        let p = &d["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(p["x-kubernetes-group-version-kind"]["kind"], "Deployment");
        assert!(document(&types, "apis/nope/v1").is_none());
    }
}
