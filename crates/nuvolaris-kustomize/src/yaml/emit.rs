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

//! Printing JSON values as `kubectl kustomize` does (go-yaml v2 via `sigs.k8s.io/yaml`).

use super::scalar::{
    fixed_digits, go_format_g, go_parse_float, go_parse_int, go_parse_uint, parse_go_timestamp,
    resolve_number, shortest_digits,
};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;

/// Prints documents as `kubectl kustomize` does: sorted keys, `---` separators, folded strings.
pub fn to_yaml_stream(docs: &[Value]) -> String {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&to_yaml(d));
    }
    out
}

/// Prints one document as `sigs.k8s.io/yaml` (go-yaml v2) does, ending with a newline.
pub fn to_yaml(doc: &Value) -> String {
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
    };
    match doc {
        Value::Object(m) if !m.is_empty() => e.block_mapping(m, 0),
        Value::Array(a) if !a.is_empty() => e.block_sequence(a, 0),
        other => e.node(other, 2, 0),
    }
    // Document end: go-yaml writes a final line break.
    if e.column > 0 || !e.out.ends_with('\n') {
        e.put_break();
    }
    e.out
}

const BEST_WIDTH: usize = 80;

struct Emitter {
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
}

/// How go-yaml v2 wants a scalar written before the emitter checks it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's `is_printable` on the UTF-8 encoding of `c`.
fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

/// Whether go-yaml writes `s`, as a block mapping key without a tag, as a plain scalar.
pub(super) fn plain_in_block(s: &str) -> bool {
    let a = analyze(s);
    !s.is_empty() && !a.multiline && a.block_plain_allowed
}

fn analyze(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = false;
    let mut line_breaks = false;
    let mut special = false;
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    if value.starts_with("---") || value.starts_with("...") {
        block_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let mut it = value.chars().peekable();
    let mut i = 0usize;
    while let Some(c) = it.next() {
        let next = it.peek().copied();
        let last = next.is_none();
        let followed_by_whitespace = next.is_none_or(|d| matches!(d, ' ' | '\t') || is_break(d));
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => {
                    block_indicators = true;
                }
                '?' | ':' | '-' if followed_by_whitespace => {
                    block_indicators = true;
                }
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => {
                    block_indicators = true;
                }
                '#' if preceded_by_whitespace => {
                    block_indicators = true;
                }
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if last {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if last {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = matches!(c, ' ' | '\t') || is_break(c);
        i += 1;
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// go-yaml v2 `resolve` on a plain string: does it read back as something else than a
/// string (so that the encoder must quote it)?
fn v2_resolves_non_string(s: &str) -> bool {
    let Some(first) = s.bytes().next() else {
        return true;
    };
    let hint = match first {
        b'+' | b'-' => 'S',
        b'0'..=b'9' => 'D',
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => 'M',
        b'.' => '.',
        _ => return false,
    };
    if matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "true"
            | "True"
            | "TRUE"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "false"
            | "False"
            | "FALSE"
            | "off"
            | "Off"
            | "OFF"
            | "~"
            | "null"
            | "Null"
            | "NULL"
            | ".nan"
            | ".NaN"
            | ".NAN"
            | ".inf"
            | ".Inf"
            | ".INF"
            | "+.inf"
            | "+.Inf"
            | "+.INF"
            | "-.inf"
            | "-.Inf"
            | "-.INF"
    ) {
        return true;
    }
    match hint {
        '.' => {
            go_parse_float(s).is_some()
                || s.parse::<f64>().is_ok_and(|f| f.is_finite()) && go_float_syntax(s)
        }
        'D' | 'S' => parse_go_timestamp(s).is_some() || resolve_number(s).is_some(),
        _ => false,
    }
}

/// Decimal float syntax as Go's ParseFloat reads it (no inf/nan words).
fn go_float_syntax(s: &str) -> bool {
    go_parse_float(s).is_some()
}

/// go-yaml v2 `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        i += 1;
        // [0-5]?[0-9]
        if i + 1 < b.len() && (b'0'..=b'5').contains(&b[i]) && b[i + 1].is_ascii_digit() {
            i += 2;
        } else if i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        } else {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// What the v2 parser makes of a raw NEL inside the double-quoted JSON string: line folding.
fn fold_nel(s: &str) -> Cow<'_, str> {
    if !s.contains('\u{85}') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // A run of spaces followed by a NEL, or a NEL: fold the whole run.
        let mut j = i;
        while j < chars.len() && chars[j] == ' ' {
            j += 1;
        }
        if j < chars.len() && chars[j] == '\u{85}' {
            let mut breaks = 0;
            while j < chars.len() && (chars[j] == ' ' || chars[j] == '\u{85}') {
                if chars[j] == '\u{85}' {
                    breaks += 1;
                }
                j += 1;
            }
            if breaks == 1 {
                out.push(' ');
            } else {
                out.extend(std::iter::repeat_n('\n', breaks - 1));
            }
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    Cow::Owned(out)
}

/// The text and requested style of a scalar as go-yaml v2 encodes it.
fn scalar_repr(v: &Value) -> (Cow<'_, str>, Style) {
    match v {
        Value::Null => (Cow::Borrowed("null"), Style::Plain),
        Value::Bool(true) => (Cow::Borrowed("true"), Style::Plain),
        Value::Bool(false) => (Cow::Borrowed("false"), Style::Plain),
        Value::Number(n) => (Cow::Owned(number_text(n)), Style::Plain),
        Value::String(s) => string_repr(s),
        _ => (Cow::Borrowed(""), Style::Plain),
    }
}

fn string_repr(s: &str) -> (Cow<'_, str>, Style) {
    let s = fold_nel(s);
    let can_plain = !v2_resolves_non_string(&s) && !is_base60_float(&s);
    let style = if s.contains('\n') {
        Style::Literal
    } else if can_plain {
        Style::Plain
    } else {
        Style::Double
    };
    (s, style)
}

/// How a JSON number comes out of `json.Marshal` then go-yaml v2 (re-read and re-printed).
fn number_text(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f == 0.0 {
        return "0".into();
    }
    let abs = f.abs();
    if !(1e-6..1e21).contains(&abs) {
        return go_format_g(f, 64);
    }
    let (d, dp) = shortest_digits(f, 64);
    let json = fixed_digits(&d, dp);
    if !json.contains('.') {
        let text = if f < 0.0 { format!("-{json}") } else { json };
        if go_parse_int(&text).is_some() || go_parse_uint(&text).is_some() {
            return text;
        }
    }
    go_format_g(f, 64)
}

/// go-yaml v2's map key order (`keyList.Less`) for string keys.
pub fn key_less(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return key_less_chars(a.as_bytes(), b.as_bytes(), |c: &u8| char::from(*c));
    }
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    key_less_chars(&ar, &br, |c: &char| *c)
}

fn key_less_chars<T>(ar: &[T], br: &[T], ch: impl Fn(&T) -> char) -> bool {
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        let (ca, cb) = (ch(&ar[i]), ch(&br[i]));
        if ca == cb {
            i += 1;
            continue;
        }
        let al = ca.is_alphabetic();
        let bl = cb.is_alphabetic();
        if al && bl {
            return ca < cb;
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ca == '0' || cb == '0' {
            let mut j = i;
            while j > 0 && ch(&ar[j - 1]).is_ascii_digit() {
                j -= 1;
                if ch(&ar[j]) != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ch(&ar[ai]).is_ascii_digit() {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ch(&ar[ai]) as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && ch(&br[bi]).is_ascii_digit() {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(ch(&br[bi]) as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ca < cb;
    }
    ar.len() < br.len()
}

/// Keys in go-yaml v2 order. go-yaml's comparison is not a total order for some unusual
/// keys (then kubectl's own order is random, as Go maps are); a merge sort that never
/// panics keeps ours deterministic.
fn sorted_keys(m: &Map<String, Value>) -> Vec<(Cow<'_, str>, &Value)> {
    // Keys are compared as kubectl's YAML re-read sees them (NEL folded).
    let v: Vec<(Cow<'_, str>, &Value)> = m.iter().map(|(k, v)| (fold_nel(k), v)).collect();
    merge_sort(v)
}

fn merge_sort<'a>(mut v: Vec<(Cow<'a, str>, &'a Value)>) -> Vec<(Cow<'a, str>, &'a Value)> {
    if v.len() <= 1 {
        return v;
    }
    let right = v.split_off(v.len() / 2);
    let (left, right) = (merge_sort(v), merge_sort(right));
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
    loop {
        match (l.peek(), r.peek()) {
            (Some(a), Some(b)) => {
                if key_less(&b.0, &a.0) {
                    out.extend(r.next());
                } else {
                    out.extend(l.next());
                }
            }
            (Some(_), None) => out.extend(l.next()),
            (None, Some(_)) => out.extend(r.next()),
            (None, None) => break,
        }
    }
    out
}

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_indent(&mut self, indent: usize) {
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        ind: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in ind.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    /// Emits any node; `indent` is the indentation of the enclosing collection.
    fn node(&mut self, v: &Value, scalar_indent: usize, seq_indent: usize) {
        match v {
            Value::Object(m) if m.is_empty() => {
                self.write_indicator("{", true, true, false);
                self.write_indicator("}", false, false, false);
            }
            Value::Array(a) if a.is_empty() => {
                self.write_indicator("[", true, true, false);
                self.write_indicator("]", false, false, false);
            }
            Value::Object(m) => self.block_mapping(m, scalar_indent),
            Value::Array(a) => self.block_sequence(a, seq_indent),
            _ => {
                let (text, style) = scalar_repr(v);
                self.scalar(&text, style, scalar_indent, false);
            }
        }
    }

    fn block_mapping(&mut self, m: &Map<String, Value>, indent: usize) {
        for (key, v) in sorted_keys(m) {
            let (ktext, kstyle) = string_repr(&key);
            let simple =
                ktext.chars().count() <= 128 && !analyze(&ktext).multiline && ktext.len() <= 128;
            self.write_indent(indent);
            if simple {
                self.scalar(&ktext, kstyle, indent + 2, true);
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.scalar(&ktext, kstyle, indent + 2, false);
                self.write_indent(indent);
                self.write_indicator(":", true, false, true);
            }
            // A sequence under a key is not indented, unless the key was complex.
            let seq_indent = if self.indention { indent + 2 } else { indent };
            self.node(v, indent + 2, seq_indent);
        }
    }

    fn block_sequence(&mut self, a: &[Value], indent: usize) {
        for item in a {
            self.write_indent(indent);
            self.write_indicator("-", true, false, true);
            self.node(item, indent + 2, indent + 2);
        }
    }

    fn scalar(&mut self, text: &str, requested: Style, indent: usize, simple_key: bool) {
        let a = analyze(text);
        let mut style = requested;
        if simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain && (!a.block_plain_allowed || (text.is_empty() && simple_key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || simple_key) {
            style = Style::Double;
        }
        match style {
            Style::Plain => self.write_plain(text, !simple_key, indent),
            Style::Single => self.write_single(text, !simple_key, indent),
            Style::Double => self.write_double(text, !simple_key, indent),
            Style::Literal => self.write_literal(text, indent),
        }
    }

    fn write_plain(&mut self, value: &str, allow_breaks: bool, indent: usize) {
        if !value.is_empty() && !self.whitespace {
            self.put(' ');
        }
        // Fast path: nothing to fold (no break fits) and no line breaks.
        let count = value.chars().count();
        if (!allow_breaks || self.column + count <= BEST_WIDTH + 1 || !value.contains(' '))
            && !value.chars().any(is_break)
        {
            self.out.push_str(value);
            self.column += count;
            if !value.is_empty() {
                self.whitespace = false;
            }
            self.indention = false;
            return;
        }
        let chars: Vec<char> = value.chars().collect();
        let mut spaces = false;
        let mut breaks = false;
        for i in 0..chars.len() {
            let c = chars[i];
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !next_space {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        if !value.is_empty() {
            self.whitespace = false;
        }
        self.indention = false;
    }

    fn write_single(&mut self, value: &str, allow_breaks: bool, indent: usize) {
        self.write_indicator("'", true, false, false);
        let chars: Vec<char> = value.chars().collect();
        let n = chars.len();
        let mut spaces = false;
        let mut breaks = false;
        for i in 0..n {
            let c = chars[i];
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i + 1 < n
                    && !next_space
                {
                    self.write_indent(indent);
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, value: &str, allow_breaks: bool, indent: usize) {
        self.write_indicator("\"", true, false, false);
        // go-yaml v2's is_bom looks at the start of the value, not at the current character.
        let bom = value.starts_with('\u{feff}');
        let chars: Vec<char> = value.chars().collect();
        let n = chars.len();
        let mut spaces = false;
        for i in 0..n {
            let c = chars[i];
            if !is_printable(c) || bom || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    _ => {
                        let v = c as u32;
                        let s = if v <= 0xFF {
                            format!("x{v:02X}")
                        } else if v <= 0xFFFF {
                            format!("u{v:04X}")
                        } else {
                            format!("U{v:08X}")
                        };
                        for ch in s.chars() {
                            self.put(ch);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i + 1 < n {
                    self.write_indent(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, value: &str, indent: usize) {
        self.write_indicator("|", true, false, false);
        let chars: Vec<char> = value.chars().collect();
        if let Some(&c0) = chars.first() {
            if c0 == ' ' || is_break(c0) {
                self.write_indicator("2", false, false, false);
            }
        }
        let n = chars.len();
        let chomp = if n == 0 || !is_break(chars[n - 1]) {
            Some("-")
        } else if n == 1 || is_break(chars[n - 2]) {
            Some("+")
        } else {
            None
        };
        if let Some(h) = chomp {
            self.write_indicator(h, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in &chars {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn cm(data: Value) -> String {
        to_yaml(&json!({ "data": data }))
    }

    #[rstest]
    #[case::yes(json!("yes"), "\"yes\"")]
    #[case::y(json!("y"), "\"y\"")]
    #[case::on(json!("on"), "\"on\"")]
    #[case::off(json!("off"), "\"off\"")]
    #[case::true_str(json!("true"), "\"true\"")]
    #[case::null_str(json!("null"), "\"null\"")]
    #[case::tilde(json!("~"), "\"~\"")]
    #[case::empty(json!(""), "\"\"")]
    #[case::one(json!("1"), "\"1\"")]
    #[case::hex(json!("0x1F"), "\"0x1F\"")]
    #[case::octal_o(json!("0o17"), "\"0o17\"")]
    #[case::octal_old(json!("017"), "\"017\"")]
    #[case::underscore(json!("1_000"), "\"1_000\"")]
    #[case::exp(json!("1e3"), "\"1e3\"")]
    #[case::float(json!("1.0"), "\"1.0\"")]
    #[case::dot5(json!(".5"), "\".5\"")]
    #[case::onedot(json!("1."), "\"1.\"")]
    #[case::plus(json!("+1"), "\"+1\"")]
    #[case::date(json!("2001-12-14"), "\"2001-12-14\"")]
    #[case::base60(json!("12:30"), "\"12:30\"")]
    #[case::inf(json!(".inf"), "\".inf\"")]
    #[case::binary(json!("0b101"), "\"0b101\"")]
    #[case::at(json!("@x"), "'@x'")]
    #[case::colon_space(json!("a: b"), "'a: b'")]
    #[case::dash_space(json!("- x"), "'- x'")]
    #[case::hash(json!("x #y"), "'x #y'")]
    #[case::leading_space(json!(" x"), "' x'")]
    #[case::trailing_space(json!("x "), "'x '")]
    #[case::quote(json!("'x"), "'''x'")]
    #[case::dash(json!("-"), "'-'")]
    #[case::three_dashes(json!("---"), "'---'")]
    #[case::tab(json!("\ttab"), "\"\\ttab\"")]
    #[case::emoji(json!("a 😀"), "\"a \\U0001F600\"")]
    #[case::nul(json!("x\u{0}"), "\"x\\0\"")]
    #[case::bom(json!("\u{feff}bo"), "\"\\uFEFF\\x62\\x6F\"")]
    #[case::plain_colon(json!(":x"), ":x")]
    #[case::plain_lt(json!("<<"), "<<")]
    #[case::plain_eq(json!("="), "=")]
    #[case::plain_comma(json!("x,y"), "x,y")]
    #[case::plain_unicode(json!("日本"), "日本")]
    #[case::plain_version(json!("1.2.3"), "1.2.3")]
    #[case::plain_no_zone(json!("2001-12-14T21:59Z"), "2001-12-14T21:59Z")]
    #[case::eight(json!("08"), "\"08\"")]
    fn quoting(#[case] v: Value, #[case] want: &str) {
        assert_eq!(cm(json!({ "k": v })), format!("data:\n  k: {want}\n"));
    }

    #[rstest]
    #[case::int(json!(1), "1")]
    #[case::neg(json!(-5), "-5")]
    #[case::big_u(json!(12345678901234567890u64), "12345678901234567890")]
    #[case::float_int(json!(1.0), "1")]
    #[case::float_half(json!(0.5), "0.5")]
    #[case::float_e6(json!(1234567.5), "1.2345675e+06")]
    #[case::float_small(json!(0.00001), "1e-05")]
    #[case::float_1e4(json!(0.0001), "0.0001")]
    #[case::float_1e20(json!(1e20), "1e+20")]
    #[case::float_1e21(json!(1e21), "1e+21")]
    #[case::float_neg_big(json!(-9.223372036854776e18), "-9.223372036854776e+18")]
    #[case::float_300k(json!(3.0e5), "300000")]
    #[case::float_123456_7(json!(123456.7), "123456.7")]
    #[case::float_big(json!(1.2345678901234568e29), "1.2345678901234568e+29")]
    #[case::null(Value::Null, "null")]
    #[case::bool(json!(true), "true")]
    fn numbers(#[case] v: Value, #[case] want: &str) {
        assert_eq!(cm(json!({ "k": v })), format!("data:\n  k: {want}\n"));
    }

    #[rstest]
    #[case::literal_clip("a\nb\n", "k: |\n    a\n    b\n")]
    #[case::literal_strip("a\nb", "k: |-\n    a\n    b\n")]
    #[case::literal_keep("a\nb\n\n", "k: |+\n    a\n    b\n\n")]
    #[case::literal_leading_break("\nx", "k: |2-\n\n    x\n")]
    #[case::literal_leading_space(" x\ny", "k: |2-\n     x\n    y\n")]
    #[case::only_break("\n", "k: |2+\n\n")]
    #[case::trailing_space_line("a \nb", "k: \"a \\nb\"\n")]
    #[case::tab_multiline("a\tb\nc", "k: \"a\\tb\\nc\"\n")]
    fn blocks(#[case] s: &str, #[case] want: &str) {
        assert_eq!(cm(json!({ "k": s })), format!("data:\n  {want}"));
    }

    #[test]
    fn folding_plain() {
        let s = "this is a very long string that goes on and on and on and on and on and on and on and on and on and on and on and on and end";
        assert_eq!(
            cm(json!({ "r": s })),
            "data:\n  r: this is a very long string that goes on and on and on and on and on and on and\n    on and on and on and on and on and on and end\n"
        );
    }

    #[test]
    fn folding_double() {
        let s = "\t this is a very long string that goes on and on and on and on and on and on and on and on and on and on and on and on and end";
        assert_eq!(
            cm(json!({ "longdq": s })),
            "data:\n  longdq: \"\\t this is a very long string that goes on and on and on and on and on\n    and on and on and on and on and on and on and on and end\"\n"
        );
    }

    #[test]
    fn folding_keeps_double_spaces() {
        let s = format!("{}  bbb ccc", "a".repeat(84));
        assert_eq!(
            cm(json!({ "twospaces": s })),
            format!("data:\n  twospaces: {}  bbb\n    ccc\n", "a".repeat(84))
        );
    }

    #[test]
    fn structure() {
        let v = json!({
            "kind": "X",
            "apiVersion": "v1",
            "list": ["a", ["b", "c"], {"k": "v", "k2": "v2"}, {}, [], "yes", "multi\nline\n", null],
            "nested": {"deep": {"deeper": [{"x": 1}]}},
            "emptymap": {},
            "emptylist": []
        });
        assert_eq!(
            to_yaml(&v),
            "apiVersion: v1\nemptylist: []\nemptymap: {}\nkind: X\nlist:\n- a\n- - b\n  - c\n- k: v\n  k2: v2\n- {}\n- []\n- \"yes\"\n- |\n  multi\n  line\n- null\nnested:\n  deep:\n    deeper:\n    - x: 1\n"
        );
    }

    #[test]
    fn complex_key() {
        let v = json!({ "key\nwith newline": "v", "a": 1 });
        assert_eq!(to_yaml(&v), "a: 1\n? |-\n  key\n  with newline\n: v\n");
    }

    #[rstest]
    #[case(&["e10", "e9", "e1"], &["e1", "e9", "e10"])]
    #[case(&["1", "~", "", " x", "d"], &["", " x", "~", "1", "d"])]
    #[case(&["ab", "a-b", "a_b", "aB"], &["a-b", "a_b", "aB", "ab"])]
    #[case(&["n", "yes", "Z", "_z"], &["_z", "Z", "n", "yes"])]
    fn key_order(#[case] keys: &[&str], #[case] want: &[&str]) {
        let m: Map<String, Value> = keys.iter().map(|k| (k.to_string(), json!(1))).collect();
        let got: Vec<String> = sorted_keys(&m)
            .into_iter()
            .map(|(k, _)| k.into_owned())
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn odd_keys_sort_without_panic() {
        // go-yaml's key order is not a total order on such keys; we must not panic.
        let keys = [
            "0", "00", "0a", "a0", "-", "~", "1:2", "10", "01", "\t", " ", "a", "A", "_", "0_",
            "00a", "a00", "a01", "a1",
        ];
        let mut m = Map::new();
        for (i, k) in keys.iter().cycle().take(200).enumerate() {
            m.insert(format!("{k}{}", i % 7), json!(i));
        }
        let once: Vec<String> = sorted_keys(&m)
            .into_iter()
            .map(|(k, _)| k.into_owned())
            .collect();
        let twice: Vec<String> = sorted_keys(&m)
            .into_iter()
            .map(|(k, _)| k.into_owned())
            .collect();
        assert_eq!(once.len(), m.len());
        assert_eq!(once, twice);
    }

    #[rstest]
    #[case::single("a\u{85}b", "a b")]
    #[case::spaces("a \u{85} b", "a b")]
    #[case::double("a\u{85}\u{85}b", "a\nb")]
    #[case::none("a b", "a b")]
    fn nel_folds_like_kubectl(#[case] s: &str, #[case] want: &str) {
        assert_eq!(fold_nel(s), want);
    }

    #[test]
    fn stream() {
        let docs = vec![json!({"a": 1}), json!({"b": 2})];
        assert_eq!(to_yaml_stream(&docs), "a: 1\n---\nb: 2\n");
        assert_eq!(to_yaml_stream(&[]), "");
    }
}
