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

//! Dotted field paths of replacements and vars (`spec.containers.[name=a].image`,
//! `spec.ports.0.port`, `spec.containers.*.image`, legacy `containers[0].image`).

use crate::error::Error;
use serde_json::{Map, Value};

/// One step of a field path.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    /// A map field.
    Field(String),
    /// A sequence index.
    Index(usize),
    /// Sequence elements whose `key` equals `value`.
    Match(String, String),
    /// Every element / field.
    Any,
}

/// Splits a dotted path; dots inside `[...]` do not split.
pub fn parse(path: &str) -> Vec<Seg> {
    let mut raw = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => {
                depth += 1;
                cur.push(c)
            }
            ']' => {
                depth -= 1;
                cur.push(c)
            }
            '.' if depth == 0 => raw.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    raw.push(cur);
    let mut out = Vec::new();
    for s in raw.into_iter().filter(|s| !s.is_empty()) {
        if s == "*" || s == "[*]" {
            out.push(Seg::Any);
        } else if let Some(inner) = s.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
            match inner.split_once('=') {
                Some((k, v)) => out.push(Seg::Match(k.to_string(), v.to_string())),
                None => match inner.parse() {
                    Ok(i) => out.push(Seg::Index(i)),
                    Err(_) => out.push(Seg::Field(inner.to_string())),
                },
            }
        } else if let (Some(open), true) = (s.find('['), s.ends_with(']')) {
            out.push(Seg::Field(s[..open].to_string()));
            let inner = &s[open + 1..s.len() - 1];
            match inner.split_once('=') {
                Some((k, v)) => out.push(Seg::Match(k.to_string(), v.to_string())),
                None => match inner.parse() {
                    Ok(i) => out.push(Seg::Index(i)),
                    Err(_) => out.push(Seg::Field(inner.to_string())),
                },
            }
        } else if let Ok(i) = s.parse::<usize>() {
            out.push(Seg::Index(i));
        } else {
            out.push(Seg::Field(s));
        }
    }
    out
}

/// Reads the value at `segs` (first match).
pub fn get<'a>(node: &'a Value, segs: &[Seg]) -> Option<&'a Value> {
    let Some((first, rest)) = segs.split_first() else {
        return Some(node);
    };
    match (first, node) {
        (Seg::Field(f), Value::Object(o)) => get(o.get(f)?, rest),
        (Seg::Index(i), Value::Array(a)) => get(a.get(*i)?, rest),
        (Seg::Index(i), Value::Object(o)) => get(o.get(&i.to_string())?, rest),
        (Seg::Match(k, v), Value::Array(a)) => a
            .iter()
            .find(|e| field_str(e, k) == Some(v.as_str()))
            .and_then(|e| get(e, rest)),
        (Seg::Any, Value::Array(a)) => a.iter().find_map(|e| get(e, rest)),
        (Seg::Any, Value::Object(o)) => o.values().find_map(|e| get(e, rest)),
        _ => None,
    }
}

fn field_str<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// Calls `f` on every node at `segs`; with `create`, missing map fields and `[k=v]` elements are
/// created (the leaf as `null`). Returns how many nodes were visited.
pub fn visit(
    node: &mut Value,
    segs: &[Seg],
    create: bool,
    f: &mut dyn FnMut(&mut Value) -> Result<(), Error>,
) -> Result<usize, Error> {
    visit_at(node, segs, create, &mut String::new(), &mut |v, _| f(v))
}

/// Callback of [`visit_at`]: the node and its JSON pointer.
pub type VisitAt<'a> = dyn FnMut(&mut Value, &str) -> Result<(), Error> + 'a;

fn push(path: &mut String, part: &str) -> usize {
    let len = path.len();
    path.push('/');
    path.push_str(&crate::fieldspec::pointer_escape(part));
    len
}

/// Like [`visit`], also passing the JSON pointer of each visited node.
pub fn visit_at(
    node: &mut Value,
    segs: &[Seg],
    create: bool,
    path: &mut String,
    f: &mut VisitAt<'_>,
) -> Result<usize, Error> {
    let Some((first, rest)) = segs.split_first() else {
        f(node, path)?;
        return Ok(1);
    };
    if node.is_null() && create {
        *node = match first {
            Seg::Field(_) => Value::Object(Map::new()),
            _ => Value::Array(Vec::new()),
        };
    }
    let mut n = 0;
    match (first, node) {
        (Seg::Field(name), Value::Object(o)) => {
            if !o.contains_key(name) {
                if !create {
                    return Ok(0);
                }
                o.insert(name.clone(), Value::Null);
            }
            if let Some(child) = o.get_mut(name) {
                let len = push(path, name);
                n += visit_at(child, rest, create, path, f)?;
                path.truncate(len);
            }
        }
        (Seg::Index(i), Value::Array(a)) => {
            if let Some(child) = a.get_mut(*i) {
                let len = push(path, &i.to_string());
                n += visit_at(child, rest, create, path, f)?;
                path.truncate(len);
            }
        }
        (Seg::Match(k, v), Value::Array(a)) => {
            for (i, e) in a.iter_mut().enumerate() {
                if field_str(e, k) == Some(v.as_str()) {
                    let len = push(path, &i.to_string());
                    n += visit_at(e, rest, create, path, f)?;
                    path.truncate(len);
                }
            }
            if n == 0 && create {
                let mut m = Map::new();
                m.insert(k.clone(), Value::String(v.clone()));
                a.push(Value::Object(m));
                let idx = a.len() - 1;
                if let Some(last) = a.last_mut() {
                    let len = push(path, &idx.to_string());
                    n += visit_at(last, rest, create, path, f)?;
                    path.truncate(len);
                }
            }
        }
        (Seg::Any, Value::Array(a)) => {
            for (i, e) in a.iter_mut().enumerate() {
                let len = push(path, &i.to_string());
                n += visit_at(e, rest, create, path, f)?;
                path.truncate(len);
            }
        }
        (Seg::Any, Value::Object(o)) => {
            for (k, e) in o.iter_mut() {
                let len = push(path, k);
                n += visit_at(e, rest, create, path, f)?;
                path.truncate(len);
            }
        }
        _ => {}
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case("metadata.name", vec![Seg::Field("metadata".into()), Seg::Field("name".into())])]
    #[case("spec.containers.[name=a.b].image", vec![Seg::Field("spec".into()), Seg::Field("containers".into()), Seg::Match("name".into(), "a.b".into()), Seg::Field("image".into())])]
    #[case("spec.containers[0].image", vec![Seg::Field("spec".into()), Seg::Field("containers".into()), Seg::Index(0), Seg::Field("image".into())])]
    #[case("a.*.b", vec![Seg::Field("a".into()), Seg::Any, Seg::Field("b".into())])]
    fn parses(#[case] p: &str, #[case] want: Vec<Seg>) {
        assert_eq!(parse(p), want);
    }

    #[test]
    fn gets_and_creates() {
        let mut doc = json!({"spec": {"containers": [{"name": "a", "image": "x"}]}});
        assert_eq!(
            get(&doc, &parse("spec.containers.[name=a].image")),
            Some(&json!("x"))
        );
        assert_eq!(
            get(&doc, &parse("spec.containers.0.image")),
            Some(&json!("x"))
        );
        let n = visit(
            &mut doc,
            &parse("spec.containers.[name=b].image"),
            true,
            &mut |v| {
                *v = json!("y");
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(n, 1);
        assert_eq!(
            doc["spec"]["containers"][1],
            json!({"name": "b", "image": "y"})
        );
        assert_eq!(
            visit(&mut doc, &parse("spec.nope"), false, &mut |_| Ok(())).unwrap(),
            0
        );
    }
}
