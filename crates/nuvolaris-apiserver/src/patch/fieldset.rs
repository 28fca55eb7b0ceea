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

//! Field sets in the `FieldsV1` format of `metadata.managedFields`.
//!
//! A set is a tree of path elements in their `FieldsV1` spelling: `f:<field>` for a map field,
//! `k:{"name":"nginx"}` for an item of a list-map, `v:<json>` for an item of a set. A node is a
//! *member* when the path itself is in the set (a leaf `{}` or a `".": {}` entry).

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One path element, spelled as in `FieldsV1` (`f:name`, `k:{...}`, `v:...`).
pub type PathElement = String;

/// A set of field paths (a tree; see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    /// Whether the path leading to this node is itself in the set.
    pub member: bool,
    /// Sub-paths, by path element.
    pub children: BTreeMap<PathElement, FieldSet>,
}

/// A path element for a map field.
pub fn field(name: &str) -> PathElement {
    format!("f:{name}")
}

/// A path element for a list-map item with the given key fields (sorted by name).
pub fn key(fields: &[(&str, &Value)]) -> PathElement {
    let mut sorted: Vec<&(&str, &Value)> = fields.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut m = Map::new();
    for (k, v) in sorted {
        m.insert((*k).to_string(), (*v).clone());
    }
    format!("k:{}", Value::Object(m))
}

/// A path element for a set item.
pub fn value(v: &Value) -> PathElement {
    format!("v:{v}")
}

impl FieldSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the set has no member at all.
    pub fn is_empty(&self) -> bool {
        !self.member && self.children.values().all(FieldSet::is_empty)
    }

    /// Adds the path `path` as a member.
    pub fn insert(&mut self, path: &[PathElement]) {
        let mut n = self;
        for pe in path {
            if !n.children.contains_key(pe) {
                n.children.insert(pe.clone(), FieldSet::default());
            }
            n = match n.children.get_mut(pe) {
                Some(c) => c,
                None => return,
            };
        }
        n.member = true;
    }

    /// Whether `path` is a member.
    pub fn contains(&self, path: &[PathElement]) -> bool {
        let mut n = self;
        for pe in path {
            match n.children.get(pe) {
                Some(c) => n = c,
                None => return false,
            }
        }
        n.member
    }

    /// The sub-tree at `pe`, if any.
    pub fn child(&self, pe: &str) -> Option<&FieldSet> {
        self.children.get(pe)
    }

    /// Union of two sets.
    pub fn union(&self, other: &FieldSet) -> FieldSet {
        let mut out = self.clone();
        out.union_with(other);
        out
    }

    /// Adds all members of `other` to `self`.
    pub fn union_with(&mut self, other: &FieldSet) {
        self.member |= other.member;
        for (pe, c) in &other.children {
            match self.children.get_mut(pe) {
                Some(mine) => mine.union_with(c),
                None => {
                    self.children.insert(pe.clone(), c.clone());
                }
            }
        }
    }

    /// Members of `self` that are not members of `other`.
    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet {
            member: self.member && !other.member,
            children: BTreeMap::new(),
        };
        for (pe, c) in &self.children {
            let d = match other.children.get(pe) {
                Some(o) => c.difference(o),
                None => c.clone(),
            };
            if !d.is_empty() {
                out.children.insert(pe.clone(), d);
            }
        }
        out
    }

    /// Removes from `self` the members of `other` (in place; empty branches are pruned).
    pub fn subtract(&mut self, other: &FieldSet) {
        if other.member {
            self.member = false;
        }
        for (pe, o) in &other.children {
            let now_empty = match self.children.get_mut(pe) {
                Some(mine) => {
                    mine.subtract(o);
                    mine.is_empty()
                }
                None => false,
            };
            if now_empty {
                self.children.remove(pe);
            }
        }
    }

    /// Members present in both sets.
    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet {
            member: self.member && other.member,
            children: BTreeMap::new(),
        };
        for (pe, c) in &self.children {
            if let Some(o) = other.children.get(pe) {
                let i = c.intersection(o);
                if !i.is_empty() {
                    out.children.insert(pe.clone(), i);
                }
            }
        }
        out
    }

    /// Every member path, in `FieldsV1` order.
    pub fn paths(&self) -> Vec<Vec<PathElement>> {
        let mut out = Vec::new();
        let mut cur = Vec::new();
        self.collect(&mut cur, &mut out);
        out
    }

    fn collect(&self, cur: &mut Vec<PathElement>, out: &mut Vec<Vec<PathElement>>) {
        if self.member && !cur.is_empty() {
            out.push(cur.clone());
        }
        for (pe, c) in &self.children {
            cur.push(pe.clone());
            c.collect(cur, out);
            cur.pop();
        }
    }

    /// The `FieldsV1` JSON of this set (`{"f:spec":{"f:replicas":{}}}`).
    pub fn to_fields_v1(&self) -> Value {
        let mut m = Map::new();
        if self.member && !self.children.is_empty() {
            m.insert(".".into(), Value::Object(Map::new()));
        }
        for (pe, c) in &self.children {
            if c.is_empty() {
                continue;
            }
            m.insert(pe.clone(), c.to_fields_v1());
        }
        Value::Object(m)
    }

    /// Parses a `FieldsV1` JSON value; `None` when it is not a `FieldsV1` object tree.
    pub fn from_fields_v1(v: &Value) -> Option<FieldSet> {
        let mut root = Self::parse_node(v)?;
        root.member = false;
        Some(root)
    }

    fn parse_node(v: &Value) -> Option<FieldSet> {
        let m = v.as_object()?;
        let mut out = FieldSet {
            member: m.is_empty(),
            children: BTreeMap::new(),
        };
        for (k, c) in m {
            if k == "." {
                out.member = true;
                continue;
            }
            out.children.insert(k.clone(), Self::parse_node(c)?);
        }
        Some(out)
    }
}

/// A path as the API server prints it in conflicts: `.spec.containers[name="nginx"].image`.
pub fn path_string(path: &[PathElement]) -> String {
    let mut s = String::new();
    for pe in path {
        if let Some(f) = pe.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = pe.strip_prefix("k:") {
            let parts: Vec<String> = match serde_json::from_str::<Value>(k) {
                Ok(Value::Object(m)) => m.iter().map(|(k, v)| format!("{k}={v}")).collect(),
                _ => vec![k.to_string()],
            };
            s.push('[');
            s.push_str(&parts.join(","));
            s.push(']');
        } else if let Some(v) = pe.strip_prefix("v:") {
            s.push_str(&format!("[={v}]"));
        } else if let Some(i) = pe.strip_prefix("i:") {
            s.push_str(&format!("[{i}]"));
        } else {
            s.push_str(pe);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case::leaf(json!({"f:spec": {"f:replicas": {}}}))]
    #[case::dot(json!({"f:metadata": {"f:annotations": {".": {}, "f:a": {}}}}))]
    #[case::keys(json!({"f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:name": {}}}}}))]
    #[case::set(json!({"f:metadata": {"f:finalizers": {".": {}, "v:\"x\"": {}}}}))]
    fn fields_v1_round_trip(#[case] v: Value) {
        let s = FieldSet::from_fields_v1(&v).unwrap();
        assert_eq!(s.to_fields_v1(), v);
    }

    #[test]
    fn set_algebra() {
        let a =
            FieldSet::from_fields_v1(&json!({"f:a": {}, "f:b": {"f:c": {}, "f:d": {}}})).unwrap();
        let b = FieldSet::from_fields_v1(&json!({"f:b": {"f:c": {}}, "f:e": {}})).unwrap();
        assert_eq!(
            a.difference(&b).to_fields_v1(),
            json!({"f:a": {}, "f:b": {"f:d": {}}})
        );
        assert_eq!(
            a.intersection(&b).to_fields_v1(),
            json!({"f:b": {"f:c": {}}})
        );
        assert_eq!(a.union(&b).paths().len(), 4);
        assert!(a.contains(&["f:b".into(), "f:d".into()]));
        assert!(!a.contains(&["f:b".into()]));
        assert!(a.difference(&a).is_empty());
        let mut c = a.clone();
        c.subtract(&b);
        assert_eq!(c, a.difference(&b));
    }

    #[rstest]
    #[case(&["f:spec", "f:replicas"], ".spec.replicas")]
    #[case(&["f:spec", "f:containers", "k:{\"name\":\"nginx\"}", "f:image"], ".spec.containers[name=\"nginx\"].image")]
    #[case(&["f:ports", "k:{\"containerPort\":80,\"protocol\":\"TCP\"}"], ".ports[containerPort=80,protocol=\"TCP\"]")]
    #[case(&["f:metadata", "f:finalizers", "v:\"a\""], ".metadata.finalizers[=\"a\"]")]
    fn path_strings(#[case] path: &[&str], #[case] want: &str) {
        let p: Vec<PathElement> = path.iter().map(|s| s.to_string()).collect();
        assert_eq!(path_string(&p), want);
    }

    #[test]
    fn key_fields_are_sorted() {
        assert_eq!(
            key(&[("protocol", &json!("TCP")), ("containerPort", &json!(80))]),
            "k:{\"containerPort\":80,\"protocol\":\"TCP\"}"
        );
    }
}
