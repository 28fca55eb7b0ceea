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

//! Patch targets: regex selectors on group, version, kind, name and namespace plus
//! Kubernetes label and annotation selectors (kustomize `types.Selector`).

use crate::error::Error;
use crate::resource::{ResMap, Resource};
use regex::Regex;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// A patch or replacement target selector.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Selector {
    /// API group (regex).
    #[serde(default)]
    pub group: String,
    /// API version (regex).
    #[serde(default)]
    pub version: String,
    /// Kind (regex).
    #[serde(default)]
    pub kind: String,
    /// Name (regex).
    #[serde(default)]
    pub name: String,
    /// Namespace (regex).
    #[serde(default)]
    pub namespace: String,
    /// Kubernetes label selector.
    #[serde(default)]
    pub label_selector: String,
    /// Kubernetes label selector over annotations.
    #[serde(default)]
    pub annotation_selector: String,
}

impl Selector {
    /// True when the resource is selected (original or current name/namespace, current GVK).
    pub fn matches(&self, r: &Resource) -> Result<bool, Error> {
        let cur = r.cur_id();
        let org = r.org_id();
        if !self.namespace.is_empty()
            && !re_match(&self.namespace, org.effective_namespace())?
            && !re_match(&self.namespace, cur.effective_namespace())?
        {
            return Ok(false);
        }
        if !self.name.is_empty()
            && !re_match(&self.name, &org.name)?
            && !re_match(&self.name, &cur.name)?
        {
            return Ok(false);
        }
        let gvk = &cur.gvk;
        if !self.group.is_empty() && !re_match(&self.group, &gvk.group)? {
            return Ok(false);
        }
        if !self.version.is_empty() && !re_match(&self.version, &gvk.version)? {
            return Ok(false);
        }
        if !self.kind.is_empty() && !re_match(&self.kind, &gvk.kind)? {
            return Ok(false);
        }
        if !self.label_selector.is_empty()
            && !label_selector_matches(&self.label_selector, &r.labels())?
        {
            return Ok(false);
        }
        if !self.annotation_selector.is_empty()
            && !label_selector_matches(&self.annotation_selector, &r.annotations())?
        {
            return Ok(false);
        }
        Ok(true)
    }
}

impl ResMap {
    /// Indexes of resources selected by a patch target (kustomize `ResMap.Select`).
    pub fn select(&self, sel: &Selector) -> Result<Vec<usize>, Error> {
        let mut out = Vec::new();
        for (i, r) in self.items.iter().enumerate() {
            if sel.matches(r)? {
                out.push(i);
            }
        }
        Ok(out)
    }
}

fn is_literal(p: &str) -> bool {
    !p.chars().any(|c| "\\^$.|?*+()[]{}".contains(c))
}

/// Anchored regex match with a process-wide cache of compiled patterns.
pub fn re_match(pattern: &str, s: &str) -> Result<bool, Error> {
    if is_literal(pattern) {
        return Ok(pattern == s);
    }
    static CACHE: OnceLock<Mutex<HashMap<String, Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut guard = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(re) = guard.get(pattern) {
        return Ok(re.is_match(s));
    }
    let re = Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| Error::build(format!("invalid regex '{pattern}' in target selector: {e}")))?;
    let ok = re.is_match(s);
    if guard.len() > 1024 {
        guard.clear();
    }
    guard.insert(pattern.to_string(), re);
    Ok(ok)
}

#[derive(Debug, PartialEq)]
enum Req {
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

fn parse_label_selector(sel: &str) -> Result<Vec<Req>, Error> {
    let bad = || {
        Error::build(format!(
            "unable to parse requirement: invalid label selector '{sel}'"
        ))
    };
    // split on commas outside parentheses
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in sel.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c)
            }
            ')' => {
                depth -= 1;
                cur.push(c)
            }
            ',' if depth == 0 => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    let mut reqs = Vec::new();
    for p in parts {
        let p = p.trim();
        if p.is_empty() {
            return Err(bad());
        }
        if let Some(k) = p.strip_prefix('!') {
            reqs.push(Req::NotExists(k.trim().to_string()));
        } else if let Some((k, v)) = p.split_once("!=") {
            reqs.push(Req::NotIn(k.trim().into(), vec![v.trim().into()]));
        } else if let Some((k, v)) = p.split_once("==") {
            reqs.push(Req::In(k.trim().into(), vec![v.trim().into()]));
        } else if let Some((k, v)) = p.split_once('=') {
            reqs.push(Req::In(k.trim().into(), vec![v.trim().into()]));
        } else if let Some((k, rest)) = split_word(p, " notin ") {
            reqs.push(Req::NotIn(k, set_values(&rest).ok_or_else(bad)?));
        } else if let Some((k, rest)) = split_word(p, " in ") {
            reqs.push(Req::In(k, set_values(&rest).ok_or_else(bad)?));
        } else if p
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        {
            reqs.push(Req::Exists(p.to_string()));
        } else {
            return Err(bad());
        }
    }
    Ok(reqs)
}

fn split_word(p: &str, w: &str) -> Option<(String, String)> {
    p.find(w).map(|i| {
        (
            p[..i].trim().to_string(),
            p[i + w.len()..].trim().to_string(),
        )
    })
}

fn set_values(s: &str) -> Option<Vec<String>> {
    let inner = s.strip_prefix('(')?.strip_suffix(')')?;
    Some(
        inner
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
    )
}

/// Evaluates a Kubernetes label selector against key/value pairs.
pub fn label_selector_matches(sel: &str, labels: &[(String, String)]) -> Result<bool, Error> {
    let get = |k: &str| {
        labels
            .iter()
            .find(|(lk, _)| lk == k)
            .map(|(_, v)| v.as_str())
    };
    for r in parse_label_selector(sel)? {
        let ok = match &r {
            Req::Exists(k) => get(k).is_some(),
            Req::NotExists(k) => get(k).is_none(),
            Req::In(k, vs) => get(k).is_some_and(|v| vs.iter().any(|x| x == v)),
            Req::NotIn(k, vs) => get(k).is_none_or(|v| !vs.iter().any(|x| x == v)),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn l(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[rstest]
    #[case("app=web", true)]
    #[case("app==web", true)]
    #[case("app!=web", false)]
    #[case("app in (db, web)", true)]
    #[case("app notin (db,web)", false)]
    #[case("tier", true)]
    #[case("!tier", false)]
    #[case("app=web,tier=fe", true)]
    #[case("app=web,tier=be", false)]
    #[case("missing!=x", true)]
    fn label_selectors(#[case] sel: &str, #[case] want: bool) {
        let labels = l(&[("app", "web"), ("tier", "fe")]);
        assert_eq!(label_selector_matches(sel, &labels).unwrap(), want);
    }

    #[rstest]
    #[case("web", "web", true)]
    #[case("web", "web2", false)]
    #[case("web.*", "web2", true)]
    #[case("a|b", "b", true)]
    #[case("a|b", "ab", false)]
    fn regexes_are_anchored(#[case] p: &str, #[case] s: &str, #[case] want: bool) {
        assert_eq!(re_match(p, s).unwrap(), want);
    }

    #[test]
    fn bad_regex_is_an_error() {
        assert!(re_match("(", "x").is_err());
    }
}
