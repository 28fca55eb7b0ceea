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

//! Request info: what a request addresses (group, version, namespace, resource, name,
//! subresource) and what its query and headers ask for, like the real server's `RequestInfo`.

use http::{header, HeaderMap};
use std::collections::HashMap;

/// The parsed resource part of a path.
#[derive(Debug, Clone, PartialEq)]
pub struct ResPath {
    /// API group.
    pub group: String,
    /// API version.
    pub version: String,
    /// Namespace from the URL ("" when none).
    pub ns: String,
    /// Resource plural.
    pub plural: String,
    /// Object name.
    pub name: Option<String>,
    /// Subresource.
    pub sub: Option<String>,
}

/// Splits `[namespaces/{ns}/]{plural}[/{name}[/{sub}]]`.
pub fn parse_rest(group: &str, version: &str, rest: &[&str]) -> Option<ResPath> {
    let mk = |ns: &str, r: &[&str]| -> Option<ResPath> {
        if r.is_empty() || r.len() > 3 || r.iter().any(|s| s.is_empty()) {
            return None;
        }
        Some(ResPath {
            group: group.to_string(),
            version: version.to_string(),
            ns: ns.to_string(),
            plural: r[0].to_string(),
            name: r.get(1).map(|s| s.to_string()),
            sub: r.get(2).map(|s| s.to_string()),
        })
    };
    if group.is_empty() && rest.first() == Some(&"namespaces") && rest.len() >= 3 {
        let is_ns_sub = rest.len() == 3 && (rest[2] == "status" || rest[2] == "finalize");
        if !is_ns_sub {
            return mk(rest[1], &rest[2..]);
        }
    }
    if !group.is_empty() && rest.first() == Some(&"namespaces") && rest.len() >= 3 {
        return mk(rest[1], &rest[2..]);
    }
    mk("", rest)
}

/// The query parameters (the last value of a repeated one wins).
pub fn query(uri: &http::Uri) -> HashMap<String, String> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0.into_iter().collect())
        .unwrap_or_default()
}

/// Whether a boolean query parameter is set (`true` or `1`).
pub fn truthy(q: &HashMap<String, String>, k: &str) -> bool {
    matches!(q.get(k).map(String::as_str), Some("true") | Some("1"))
}

/// The object name a list or watch is restricted to by `fieldSelector=metadata.name=x`.
pub fn selected_name(q: &HashMap<String, String>) -> Option<&str> {
    q.get("fieldSelector")?.split(',').find_map(|t| {
        t.strip_prefix("metadata.name==")
            .or_else(|| t.strip_prefix("metadata.name="))
    })
}

/// Whether the client asks for `PartialObjectMetadata` (`Accept: ...;as=PartialObjectMetadata`).
pub fn metadata_only(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("as=PartialObjectMetadata"))
}

/// The client's program name from its `User-Agent` (the default field manager).
pub fn agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.split('/').next())
        .filter(|s| !s.is_empty())
        .unwrap_or("unknown")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("", "v1", &["namespaces"], "", "namespaces", None, None)]
    #[case("", "v1", &["namespaces", "a"], "", "namespaces", Some("a"), None)]
    #[case("", "v1", &["namespaces", "a", "status"], "", "namespaces", Some("a"), Some("status"))]
    #[case("", "v1", &["namespaces", "a", "configmaps"], "a", "configmaps", None, None)]
    #[case("", "v1", &["namespaces", "a", "configmaps", "c"], "a", "configmaps", Some("c"), None)]
    #[case("apps", "v1", &["namespaces", "a", "deployments", "d", "scale"], "a", "deployments", Some("d"), Some("scale"))]
    #[case("apps", "v1", &["deployments"], "", "deployments", None, None)]
    fn paths(
        #[case] g: &str,
        #[case] v: &str,
        #[case] rest: &[&str],
        #[case] ns: &str,
        #[case] plural: &str,
        #[case] name: Option<&str>,
        #[case] sub: Option<&str>,
    ) {
        let p = parse_rest(g, v, rest).unwrap();
        assert_eq!(
            (
                p.ns.as_str(),
                p.plural.as_str(),
                p.name.as_deref(),
                p.sub.as_deref()
            ),
            (ns, plural, name, sub)
        );
    }
}
