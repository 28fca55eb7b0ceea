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

//! Reading YAML text into JSON values as kustomize (go-yaml v3, then JSON) does.

use super::scalar::{float_value, go_parse_float, parse_go_timestamp, resolve_number, yaml11_key};
use crate::error::Error;
use granit_parser::{Event, Options, Parser, ScalarStyle, StructureStyle, Tag};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;

/// Most nodes (aliases expanded) one document may produce, against alias bombs.
pub const MAX_NODES: usize = 1_000_000;

/// Deepest nesting accepted while reading (the parser also limits it).
pub const MAX_DEPTH: usize = 200;

/// Parses a (multi-document) YAML stream into JSON values; `file` names it in errors.
///
/// Empty documents (and documents that are only `null`) are skipped, as kustomize does.
pub fn parse_documents(text: &str, file: &str) -> Result<Vec<Value>, Error> {
    read_documents(text, file, false)
}

/// Like [`parse_documents`], but plain mapping keys are read as `sigs.k8s.io/yaml` reads them
/// (go-yaml v2, YAML 1.1, non-string keys turned into strings: `yes:` is the key `"true"`) and
/// plain timestamps stay text, as kustomize reads a kustomization file.
pub fn parse_documents_yaml11_keys(text: &str, file: &str) -> Result<Vec<Value>, Error> {
    read_documents(text, file, true)
}

fn read_documents(text: &str, file: &str, yaml11_keys: bool) -> Result<Vec<Value>, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match parse_yaml(text, file, yaml11_keys) {
        Ok(v) => Ok(v),
        Err(e) => {
            // JSON that YAML refuses (tabs as indentation, ...) is still JSON.
            let t = text.trim_start();
            if t.starts_with('{') || t.starts_with('[') {
                if let Ok(v) = serde_json::from_str::<Value>(text) {
                    return Ok(if v.is_null() { vec![] } else { vec![v] });
                }
            }
            Err(e)
        }
    }
}

/// Parses one YAML document (the first non-empty one); `None` when the stream is empty.
pub fn parse_document(text: &str, file: &str) -> Result<Option<Value>, Error> {
    Ok(parse_documents(text, file)?.into_iter().next())
}

fn yaml_err(file: &str, message: impl Into<String>) -> Error {
    Error::Yaml {
        file: file.to_string(),
        message: message.into(),
    }
}

/// A collection being built from parser events.
enum Frame {
    Seq { items: Vec<Value>, anchor: usize },
    Map(MapFrame),
}

struct MapFrame {
    map: Map<String, Value>,
    anchor: usize,
    /// Key read, waiting for its value: (key, line of the key, is the `<<` merge key).
    key: Option<(String, usize, bool)>,
    /// Line where each key of `map` was defined (same order), for duplicate-key errors.
    lines: Vec<usize>,
    /// Line of the merge key `<<`, if any.
    merge_line: Option<usize>,
    merges: Vec<Value>,
}

struct Composer<'f> {
    file: &'f str,
    stack: Vec<Frame>,
    anchors: Vec<Option<(Value, usize)>>,
    nodes: usize,
    /// Read as go-yaml v2 and `sigs.k8s.io/yaml` do (kustomization files): plain mapping keys
    /// resolved by YAML 1.1 and turned into strings, a later duplicate key wins, plain
    /// timestamps kept as text.
    yaml11_keys: bool,
    /// Whether each open collection is in flow style (`[...]`, `{...}`).
    flow: Vec<bool>,
    /// How many open collections are in flow style.
    flow_depth: usize,
}

/// A finished node: its value, whether it is the merge key `<<`, and its scalar text.
struct Node<'t> {
    value: Value,
    merge_key: bool,
    scalar_text: Option<Cow<'t, str>>,
    /// A plain scalar without a tag.
    plain: bool,
    /// A plain scalar read as a timestamp (a mapping key cannot be one).
    timestamp: bool,
}

impl Composer<'_> {
    fn count(&mut self, n: usize, line: usize) -> Result<(), Error> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(yaml_err(
                self.file,
                format!(
                    "line {line}: document expands to more than {MAX_NODES} nodes (alias bomb?)"
                ),
            ));
        }
        Ok(())
    }

    fn set_anchor(&mut self, id: usize, value: &Value, size: usize) {
        if id == 0 {
            return;
        }
        if self.anchors.len() <= id {
            self.anchors.resize(id + 1, None);
        }
        self.anchors[id] = Some((value.clone(), size));
    }

    /// Delivers a finished node to the enclosing collection; returns it at top level.
    fn deliver(&mut self, node: Node<'_>, line: usize) -> Result<Option<Value>, Error> {
        let file = self.file;
        match self.stack.last_mut() {
            None => Ok(Some(node.value)),
            Some(Frame::Seq { items, .. }) => {
                items.push(node.value);
                Ok(None)
            }
            Some(Frame::Map(m)) => {
                match m.key.take() {
                    None => {
                        let yaml11 = if self.yaml11_keys && node.plain && !node.merge_key {
                            let text = node.scalar_text.as_deref().unwrap_or_default();
                            yaml11_key(text)
                                .map_err(|m| yaml_err(file, format!("line {line}: {m}")))?
                        } else {
                            None
                        };
                        let key = match (node.value, node.scalar_text) {
                            _ if yaml11.is_some() => yaml11.unwrap_or_default(),
                            (_, Some(text)) if self.yaml11_keys && node.plain && !node.merge_key => {
                                text.into_owned()
                            }
                            (Value::String(s), _) if !node.timestamp => s,
                            (Value::Object(_), _) | (Value::Array(_), _) => {
                                return Err(yaml_err(
                                    file,
                                    format!("line {line}: a mapping key must be a scalar"),
                                ))
                            }
                            (_, Some(text)) if node.merge_key => text.into_owned(),
                            (_, Some(text)) => {
                                return Err(yaml_err(
                                    file,
                                    format!(
                                        "line {line}: mapping key {text:?} is not a string \
                                         (json: unsupported type: map[interface {{}}]interface {{}})"
                                    ),
                                ))
                            }
                            (_, None) => {
                                return Err(yaml_err(file, format!("line {line}: invalid mapping key")))
                            }
                        };
                        let first = if node.merge_key {
                            m.merge_line.replace(line)
                        } else if !self.yaml11_keys && m.map.contains_key(&key) {
                            // (go-yaml v2 lets a later duplicate win; v3 refuses it)
                            m.map
                                .keys()
                                .position(|k| *k == key)
                                .and_then(|i| m.lines.get(i).copied())
                        } else {
                            None
                        };
                        if let Some(first) = first {
                            return Err(yaml_err(
                                file,
                                format!("line {line}: mapping key {key:?} already defined at line {first}"),
                            ));
                        }
                        m.key = Some((key, line, node.merge_key));
                    }
                    Some((key, _, true)) => {
                        let _ = key;
                        match node.value {
                            Value::Object(_) => m.merges.push(node.value),
                            Value::Array(items) => {
                                for it in items {
                                    if !it.is_object() {
                                        return Err(yaml_err(
                                            file,
                                            format!(
                                                "line {line}: map merge requires map or sequence of maps as the value"
                                            ),
                                        ));
                                    }
                                    m.merges.push(it);
                                }
                            }
                            _ => {
                                return Err(yaml_err(
                                    file,
                                    format!("line {line}: map merge requires map or sequence of maps as the value"),
                                ))
                            }
                        }
                    }
                    Some((key, key_line, false)) => {
                        m.map.insert(key, node.value);
                        m.lines.push(key_line);
                    }
                }
                Ok(None)
            }
        }
    }
}

fn value_size(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(value_size).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(value_size).sum::<usize>(),
        _ => 1,
    }
}

fn parse_yaml(text: &str, file: &str, yaml11_keys: bool) -> Result<Vec<Value>, Error> {
    let mut options = Options::default();
    options.block_scalar_eof_without_line_feed = true;
    options.flow_nesting_limit = MAX_DEPTH;
    options.block_nesting_limit = MAX_DEPTH;
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut docs = Vec::new();
    let mut comp = Composer {
        file,
        stack: Vec::new(),
        anchors: Vec::new(),
        nodes: 0,
        yaml11_keys,
        flow: Vec::new(),
        flow_depth: 0,
    };
    let mut root: Option<Value> = None;
    while let Some(ev) = parser.next_event() {
        let (event, span) = ev.map_err(|e| {
            yaml_err(
                file,
                format!(
                    "line {}, column {}: {}",
                    e.marker().line(),
                    e.marker().col() + 1,
                    e.info()
                ),
            )
        })?;
        let line = span.start.line();
        match event {
            Event::StreamStart | Event::StreamEnd => {}
            Event::DocumentStart(..) => {
                comp.stack.clear();
                comp.anchors.clear();
                comp.nodes = 0;
                comp.flow.clear();
                comp.flow_depth = 0;
                root = None;
            }
            Event::DocumentEnd => {
                if let Some(v) = root.take() {
                    if !v.is_null() {
                        docs.push(v);
                    }
                }
            }
            Event::Alias(id) => {
                let Some(Some((value, size))) = comp.anchors.get(id).cloned() else {
                    return Err(yaml_err(file, format!("line {line}: unknown anchor")));
                };
                comp.count(size, line)?;
                let node = Node {
                    value,
                    merge_key: false,
                    scalar_text: None,
                    plain: false,
                    timestamp: false,
                };
                if let Some(v) = comp.deliver(node, line)? {
                    root = Some(v);
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                comp.count(1, line)?;
                let plain = style == ScalarStyle::Plain && tag.is_none();
                let timestamp = plain && is_timestamp(&text);
                let keep_text =
                    timestamp && (comp.yaml11_keys || (comp.flow_depth > 0 && text.contains(':')));
                let (value, merge_key) = if keep_text {
                    // go-yaml v2 decodes a timestamp into interface{} as its text; kustomize
                    // writes a timestamp with a time inside a flow collection quoted (its `:`
                    // is a flow indicator there), so it reads back as text too
                    (Value::String(text.to_string()), false)
                } else {
                    resolve_scalar(&text, style, tag.as_deref())
                        .map_err(|m| yaml_err(file, format!("line {line}: {m}")))?
                };
                comp.set_anchor(anchor, &value, 1);
                let node = Node {
                    value,
                    merge_key,
                    scalar_text: Some(text),
                    plain,
                    timestamp: timestamp && !keep_text,
                };
                if let Some(v) = comp.deliver(node, line)? {
                    root = Some(v);
                }
            }
            Event::SequenceStart(style, anchor, _) => {
                comp.count(1, line)?;
                let flow = style == StructureStyle::Flow;
                comp.flow.push(flow);
                comp.flow_depth += usize::from(flow);
                if comp.stack.len() >= MAX_DEPTH {
                    return Err(yaml_err(
                        file,
                        format!("line {line}: nesting deeper than {MAX_DEPTH}"),
                    ));
                }
                comp.stack.push(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                });
            }
            Event::MappingStart(style, anchor, _) => {
                comp.count(1, line)?;
                let flow = style == StructureStyle::Flow;
                comp.flow.push(flow);
                comp.flow_depth += usize::from(flow);
                if comp.stack.len() >= MAX_DEPTH {
                    return Err(yaml_err(
                        file,
                        format!("line {line}: nesting deeper than {MAX_DEPTH}"),
                    ));
                }
                comp.stack.push(Frame::Map(MapFrame {
                    map: Map::new(),
                    anchor,
                    key: None,
                    lines: Vec::new(),
                    merge_line: None,
                    merges: Vec::new(),
                }));
            }
            Event::SequenceEnd => {
                if comp.flow.pop() == Some(true) {
                    comp.flow_depth -= 1;
                }
                let Some(Frame::Seq { items, anchor }) = comp.stack.pop() else {
                    return Err(yaml_err(file, format!("line {line}: unbalanced sequence")));
                };
                let value = Value::Array(items);
                let size = if anchor != 0 { value_size(&value) } else { 0 };
                comp.set_anchor(anchor, &value, size);
                let node = Node {
                    value,
                    merge_key: false,
                    scalar_text: None,
                    plain: false,
                    timestamp: false,
                };
                if let Some(v) = comp.deliver(node, line)? {
                    root = Some(v);
                }
            }
            Event::MappingEnd => {
                if comp.flow.pop() == Some(true) {
                    comp.flow_depth -= 1;
                }
                let Some(Frame::Map(mut m)) = comp.stack.pop() else {
                    return Err(yaml_err(file, format!("line {line}: unbalanced mapping")));
                };
                for merged in std::mem::take(&mut m.merges) {
                    if let Value::Object(src) = merged {
                        for (k, v) in src {
                            if !m.map.contains_key(&k) {
                                m.map.insert(k, v);
                            }
                        }
                    }
                }
                let value = Value::Object(m.map);
                let size = if m.anchor != 0 { value_size(&value) } else { 0 };
                comp.set_anchor(m.anchor, &value, size);
                let node = Node {
                    value,
                    merge_key: false,
                    scalar_text: None,
                    plain: false,
                    timestamp: false,
                };
                if let Some(v) = comp.deliver(node, line)? {
                    root = Some(v);
                }
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
    Ok(docs)
}

/// Resolves a scalar as go-yaml v3 does when decoding into `interface{}` and JSON.
/// Returns the value and whether it is the merge key `<<`.
fn resolve_scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
) -> Result<(Value, bool), String> {
    let core = tag.and_then(|t| {
        if t.handle() == "tag:yaml.org,2002:" {
            Some(t.suffix().to_string())
        } else {
            None
        }
    });
    match (tag, core.as_deref()) {
        (None, _) => {
            if style == ScalarStyle::Plain {
                if text == "<<" {
                    return Ok((Value::String(text.into()), true));
                }
                Ok((resolve_plain_v3(text)?, false))
            } else {
                Ok((Value::String(text.into()), false))
            }
        }
        (Some(_), Some("str")) => Ok((Value::String(text.into()), false)),
        (Some(_), Some("null")) => Ok((Value::Null, false)),
        (Some(_), Some("bool")) => match resolve_plain_v3(text)? {
            v @ Value::Bool(_) => Ok((v, false)),
            _ => Err(format!("cannot decode !!str `{text}` as a !!bool")),
        },
        (Some(_), Some("int")) => match resolve_plain_v3(text)? {
            v @ Value::Number(_) if !is_float_text(text) => Ok((v, false)),
            _ => Err(format!("cannot decode !!str `{text}` as a !!int")),
        },
        (Some(_), Some("float")) => match resolve_plain_v3(text)? {
            Value::Number(n) => {
                let f = n.as_f64().unwrap_or(0.0);
                Ok((
                    Number::from_f64(f)
                        .map(Value::Number)
                        .unwrap_or(Value::Null),
                    false,
                ))
            }
            _ => Err(format!("cannot decode !!str `{text}` as a !!float")),
        },
        (Some(_), Some("timestamp")) => match parse_go_timestamp(text) {
            Some(ts) => Ok((Value::String(ts.rfc3339nano()), false)),
            None => Err(format!("cannot decode !!str `{text}` as a !!timestamp")),
        },
        (Some(_), Some("binary")) => {
            use base64::Engine as _;
            let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(clean.as_bytes())
                .map_err(|e| format!("!!binary value contains invalid base64 data: {e}"))?;
            Ok((
                Value::String(String::from_utf8_lossy(&bytes).into_owned()),
                false,
            ))
        }
        (Some(_), Some("merge")) => Ok((Value::String(text.into()), true)),
        // Custom tags (and the non-specific `!`) leave the scalar a string.
        (Some(_), _) => Ok((Value::String(text.into()), false)),
    }
}

fn is_timestamp(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_digit()) && parse_go_timestamp(text).is_some()
}

fn is_float_text(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    !(t.starts_with("0x") || t.starts_with("0X")) && (t.contains('.') || t.contains(['e', 'E']))
}

/// go-yaml v3 resolution of an untagged plain scalar, then its JSON form.
pub(super) fn resolve_plain_v3(s: &str) -> Result<Value, String> {
    let Some(first) = s.bytes().next() else {
        return Ok(Value::Null);
    };
    match s {
        "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        ".nan" | ".NaN" | ".NAN" => return Err("json: unsupported value: NaN".into()),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Err("json: unsupported value: +Inf".into())
        }
        "-.inf" | "-.Inf" | "-.INF" => return Err("json: unsupported value: -Inf".into()),
        _ => {}
    }
    match first {
        b'.' => {
            if let Some(f) = go_parse_float(s) {
                return Ok(float_value(f));
            }
        }
        b'0'..=b'9' | b'+' | b'-' => {
            if let Some(ts) = parse_go_timestamp(s) {
                return Ok(Value::String(ts.rfc3339nano()));
            }
            if let Some(n) = resolve_number(s) {
                return Ok(n);
            }
        }
        _ => {}
    }
    Ok(Value::String(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::emit::to_yaml_stream;
    use rstest::rstest;
    use serde_json::json;

    fn one(text: &str) -> Value {
        parse_documents(text, "t.yaml").unwrap().remove(0)
    }

    #[rstest]
    #[case::yes("yes", json!("yes"))]
    #[case::on("on", json!("on"))]
    #[case::true_("true", json!(true))]
    #[case::tilde("~", Value::Null)]
    #[case::empty("", Value::Null)]
    #[case::int("1", json!(1))]
    #[case::float("1.0", json!(1.0))]
    #[case::hex("0x1F", json!(31))]
    #[case::octal("017", json!(15))]
    #[case::octal_o("0o17", json!(15))]
    #[case::bin("0b101", json!(5))]
    #[case::under("1_000", json!(1000))]
    #[case::plus("+12", json!(12))]
    #[case::exp("1e3", json!(1000.0))]
    #[case::big("12345678901234567890", json!(12345678901234567890u64))]
    #[case::bigger("123456789012345678901234567890", json!(1.2345678901234568e29))]
    #[case::date("2001-12-14", json!("2001-12-14T00:00:00Z"))]
    #[case::ts_space("2001-12-14 21:59:43.10", json!("2001-12-14T21:59:43.1Z"))]
    #[case::ts_zone("2001-12-14t21:59:43.10-05:00", json!("2001-12-14T21:59:43.1-05:00"))]
    #[case::ts_short("2001-1-4", json!("2001-01-04T00:00:00Z"))]
    #[case::ts_no_zone("2001-12-14T21:59:43", json!("2001-12-14T21:59:43"))]
    #[case::quoted_int("\"1\"", json!("1"))]
    #[case::single("'yes'", json!("yes"))]
    #[case::str_tag("!!str 123", json!("123"))]
    #[case::int_tag("!!int \"5\"", json!(5))]
    #[case::custom_tag("!foo 12", json!("12"))]
    #[case::version("1.2.3", json!("1.2.3"))]
    #[case::e400("1e400", json!("1e400"))]
    fn scalars(#[case] text: &str, #[case] want: Value) {
        assert_eq!(one(&format!("k: {text}\n")), json!({ "k": want }));
    }

    #[test]
    fn documents_and_order() {
        let docs =
            parse_documents("---\nb: 1\na: 2\n---\n---\n# c\n...\nc: [1, {x: y}]\n", "f").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(
            docs[0].as_object().unwrap().keys().collect::<Vec<_>>(),
            vec!["b", "a"]
        );
        assert_eq!(docs[1], json!({"c": [1, {"x": "y"}]}));
    }

    #[test]
    fn anchors_and_merges() {
        let v = one("base: &b {a: 1, b: 2}\nother: &o {b: 20, c: 30}\nspec:\n  <<: [*b, *o]\n  a: 100\nl: &l [1]\nl2: *l\n");
        assert_eq!(v["spec"], json!({"a": 100, "b": 2, "c": 30}));
        assert_eq!(v["l2"], json!([1]));
    }

    #[test]
    fn literal_at_eof_has_no_newline() {
        assert_eq!(one("k: |\n  text"), json!({"k": "text"}));
    }

    #[test]
    fn json_input() {
        assert_eq!(one("{\"a\": [1, 2.5, \"x\"]}"), json!({"a": [1, 2.5, "x"]}));
        assert_eq!(one("{\n\t\"a\": 1\n}"), json!({"a": 1}));
    }

    #[rstest]
    #[case::dup("a: 1\na: 2\n", "already defined at line 1")]
    #[case::int_key("1: a\n", "not a string")]
    #[case::bad("a: [1\n", "line")]
    #[case::tab_indent("a:\n\t- b\n", "line")]
    #[case::inf("a: .inf\n", "unsupported value")]
    #[case::unknown_alias("a: *x\n", "line")]
    #[case::bad_merge("a:\n  <<: 1\n", "map merge")]
    fn errors(#[case] text: &str, #[case] want: &str) {
        let e = parse_documents(text, "bad.yaml").unwrap_err().to_string();
        assert!(e.contains("bad.yaml") && e.contains(want), "{e}");
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            s.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n", p = i - 1));
        }
        let e = parse_documents(&s, "bomb.yaml").unwrap_err().to_string();
        assert!(e.contains("alias bomb"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let s = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_documents(&s, "deep.yaml").is_err());
    }

    #[test]
    fn roundtrip_text() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"yes\"\n  b: |\n    x\n";
        let docs = parse_documents(text, "f").unwrap();
        assert_eq!(to_yaml_stream(&docs), "apiVersion: v1\ndata:\n  a: \"yes\"\n  b: |\n    x\nkind: ConfigMap\nmetadata:\n  name: x\n");
    }
}
