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

//! Label and field selectors as the real API server parses them.

use serde_json::Value;

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelReq {
    /// `key=v` / `key==v`
    Eq(String, String),
    /// `key!=v`
    NotEq(String, String),
    /// `key in (a,b)`
    In(String, Vec<String>),
    /// `key notin (a,b)`
    NotIn(String, Vec<String>),
    /// `key`
    Exists(String),
    /// `!key`
    NotExists(String),
}

/// A parsed label selector (all requirements must hold).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector(pub Vec<LabelReq>);

/// A parsed field selector: (path, wanted value, equal?) triples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector(pub Vec<(String, String, bool)>);

fn split_top(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c)
            }
            ')' => {
                depth -= 1;
                cur.push(c)
            }
            ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

fn set_values(s: &str) -> Result<Vec<String>, String> {
    let s = s.trim();
    let inner = s
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .ok_or_else(|| format!("found '{s}', expected: '('"))?;
    Ok(inner
        .split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect())
}

impl LabelSelector {
    /// Parses `app=web,tier in (a,b),!legacy`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut reqs = Vec::new();
        for part in split_top(s) {
            let words: Vec<&str> = part.splitn(2, char::is_whitespace).collect();
            if words.len() == 2 {
                let rest = words[1].trim_start();
                if let Some(v) = rest.strip_prefix("notin") {
                    reqs.push(LabelReq::NotIn(words[0].to_string(), set_values(v)?));
                    continue;
                }
                if let Some(v) = rest.strip_prefix("in") {
                    reqs.push(LabelReq::In(words[0].to_string(), set_values(v)?));
                    continue;
                }
            }
            if let Some((k, v)) = part.split_once("!=") {
                reqs.push(LabelReq::NotEq(k.trim().to_string(), v.trim().to_string()));
            } else if let Some((k, v)) = part.split_once("==") {
                reqs.push(LabelReq::Eq(k.trim().to_string(), v.trim().to_string()));
            } else if let Some((k, v)) = part.split_once('=') {
                reqs.push(LabelReq::Eq(k.trim().to_string(), v.trim().to_string()));
            } else if let Some(k) = part.strip_prefix('!') {
                reqs.push(LabelReq::NotExists(k.trim().to_string()));
            } else if part.contains(' ') || part.contains('(') {
                return Err(format!("unable to parse requirement: {part}"));
            } else {
                reqs.push(LabelReq::Exists(part.to_string()));
            }
        }
        Ok(LabelSelector(reqs))
    }

    /// Whether an object's `metadata.labels` satisfy every requirement.
    pub fn matches(&self, obj: &Value) -> bool {
        let labels = &obj["metadata"]["labels"];
        let get = |k: &str| labels.get(k).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            LabelReq::Eq(k, v) => get(k) == Some(v.as_str()),
            LabelReq::NotEq(k, v) => get(k) != Some(v.as_str()),
            LabelReq::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            LabelReq::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            LabelReq::Exists(k) => get(k).is_some(),
            LabelReq::NotExists(k) => get(k).is_none(),
        })
    }
}

/// The string form of the value at a dotted path, as field selectors compare it.
fn field_value(obj: &Value, path: &str) -> String {
    let mut cur = obj;
    for seg in path.split('.') {
        match cur.get(seg) {
            Some(v) => cur = v,
            None => return String::new(),
        }
    }
    match cur {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl FieldSelector {
    /// Parses `metadata.name=x,status.phase!=Running`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for part in split_top(s) {
            if let Some((k, v)) = part.split_once("!=") {
                out.push((k.trim().to_string(), v.trim().to_string(), false));
            } else if let Some((k, v)) = part.split_once("==") {
                out.push((k.trim().to_string(), v.trim().to_string(), true));
            } else if let Some((k, v)) = part.split_once('=') {
                out.push((k.trim().to_string(), v.trim().to_string(), true));
            } else {
                return Err(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                ));
            }
        }
        Ok(FieldSelector(out))
    }

    /// Whether the object's fields satisfy every requirement.
    pub fn matches(&self, obj: &Value) -> bool {
        self.0
            .iter()
            .all(|(k, v, eq)| (field_value(obj, k) == *v) == *eq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn obj() -> Value {
        json!({"metadata": {"name": "a", "namespace": "n", "labels": {"app": "web", "tier": "fe"}},
               "status": {"phase": "Running", "replicas": 2}})
    }

    #[rstest]
    #[case("app=web", true)]
    #[case("app==web", true)]
    #[case("app!=web", false)]
    #[case("app=db", false)]
    #[case("app in (db, web)", true)]
    #[case("app notin (db,web)", false)]
    #[case("tier notin (be)", true)]
    #[case("app", true)]
    #[case("!app", false)]
    #[case("!missing", true)]
    #[case("missing", false)]
    #[case("app=web,tier=fe", true)]
    #[case("app=web,tier=be", false)]
    #[case("missing!=x", true)]
    #[case("", true)]
    fn labels(#[case] sel: &str, #[case] want: bool) {
        assert_eq!(
            LabelSelector::parse(sel).unwrap().matches(&obj()),
            want,
            "{sel}"
        );
    }

    #[rstest]
    #[case("app in db")]
    #[case("app in (db")]
    fn bad_labels(#[case] sel: &str) {
        assert!(LabelSelector::parse(sel).is_err(), "{sel}");
    }

    #[rstest]
    #[case("metadata.name=a", true)]
    #[case("metadata.name==b", false)]
    #[case("metadata.namespace!=n", false)]
    #[case("status.phase=Running,metadata.name=a", true)]
    #[case("status.replicas=2", true)]
    #[case("spec.nodeName=", true)]
    fn fields(#[case] sel: &str, #[case] want: bool) {
        assert_eq!(
            FieldSelector::parse(sel).unwrap().matches(&obj()),
            want,
            "{sel}"
        );
    }

    #[test]
    fn bad_field() {
        assert!(FieldSelector::parse("metadata.name").is_err());
    }
}
