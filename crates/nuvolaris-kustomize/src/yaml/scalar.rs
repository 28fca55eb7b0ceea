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

//! How Go and go-yaml read a plain scalar: integers and floats (`strconv` rules, go-yaml's
//! `0o`/`0b`/`_` forms) and timestamps (`time.Parse` with go-yaml's formats).

use serde_json::{Number, Value};

pub(super) fn float_value(f: f64) -> Value {
    Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// The numeric part of go-yaml's resolver ('D' and 'S' hints); `None` for strings.
pub(super) fn resolve_number(s: &str) -> Option<Value> {
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Some(i) = go_parse_int(&plain) {
        return Some(Value::Number(i.into()));
    }
    if let Some(u) = go_parse_uint(&plain) {
        return Some(Value::Number(u.into()));
    }
    if yaml_style_float(&plain) {
        if let Some(f) = go_parse_float(&plain) {
            return Some(float_value(f));
        }
    }
    if let Some(rest) = plain.strip_prefix("0b") {
        if let Ok(i) = i64::from_str_radix(rest, 2) {
            if !rest.starts_with(['+', '-']) {
                return Some(Value::Number(i.into()));
            }
        }
        if let Ok(u) = u64::from_str_radix(rest, 2) {
            if !rest.starts_with('+') {
                return Some(Value::Number(u.into()));
            }
        }
    } else if let Some(rest) = plain.strip_prefix("-0b") {
        if !rest.starts_with(['+', '-']) {
            if let Ok(i) = i64::from_str_radix(&format!("-{rest}"), 2) {
                return Some(Value::Number(i.into()));
            }
        }
    }
    if let Some(rest) = plain.strip_prefix("0o") {
        if !rest.starts_with(['+', '-']) {
            if let Ok(i) = i64::from_str_radix(rest, 8) {
                return Some(Value::Number(i.into()));
            }
        }
    } else if let Some(rest) = plain.strip_prefix("-0o") {
        if !rest.starts_with(['+', '-']) {
            if let Ok(i) = i64::from_str_radix(&format!("-{rest}"), 8) {
                return Some(Value::Number(i.into()));
            }
        }
    }
    None
}

/// Go `strconv.ParseUint(s, 0, 64)` digits after the sign: base prefix detection.
fn go_base_digits(s: &str) -> Option<(u32, &str)> {
    let (base, digits) = if let Some(r) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (2, r)
    } else if let Some(r) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (8, r)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    Some((base, digits))
}

/// Go `strconv.ParseInt(s, 0, 64)` (underscores already removed).
pub(super) fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (base, digits) = go_base_digits(body)?;
    let mag = u128::from_str_radix(digits, base).ok()?;
    if neg {
        if mag <= i64::MAX as u128 + 1 {
            return Some((-(mag as i128)) as i64);
        }
        None
    } else if mag <= i64::MAX as u128 {
        Some(mag as i64)
    } else {
        None
    }
}

/// Go `strconv.ParseUint(s, 0, 64)` (no sign allowed).
pub(super) fn go_parse_uint(s: &str) -> Option<u64> {
    let (base, digits) = go_base_digits(s)?;
    u64::from_str_radix(digits, base).ok()
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go `strconv.ParseFloat(s, 64)` for decimal forms; `None` on error or overflow.
pub(super) fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let ok_chars = body
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !ok_chars || body.is_empty() {
        return None;
    }
    if !body
        .bytes()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == b'.')
    {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    if f.is_finite() {
        Some(f)
    } else {
        None
    }
}

/// A timestamp as Go's `time.Parse` reads the formats go-yaml accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoTimestamp {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
    /// Offset east of UTC in minutes.
    offset_minutes: i32,
}

impl GoTimestamp {
    /// Formats as Go's `time.RFC3339Nano` (what `json.Marshal` writes for a `time.Time`).
    pub fn rfc3339nano(&self) -> String {
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        if self.offset_minutes == 0 {
            s.push('Z');
        } else {
            let sign = if self.offset_minutes < 0 { '-' } else { '+' };
            let m = self.offset_minutes.unsigned_abs();
            s.push_str(&format!("{sign}{:02}:{:02}", m / 60, m % 60));
        }
        s
    }
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 => {
            if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) {
                29
            } else {
                28
            }
        }
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Go's `getnum(s, false)`: one or two digits.
fn getnum(s: &[u8]) -> Option<(u32, &[u8])> {
    let d0 = *s.first()?;
    if !d0.is_ascii_digit() {
        return None;
    }
    match s.get(1) {
        Some(d1) if d1.is_ascii_digit() => {
            Some((u32::from(d0 - b'0') * 10 + u32::from(d1 - b'0'), &s[2..]))
        }
        _ => Some((u32::from(d0 - b'0'), &s[1..])),
    }
}

/// Parses `s` with go-yaml's timestamp formats (`2006-1-2T15:4:5.999999999Z07:00`,
/// the same with `t` or a space and no zone, and `2006-1-2`).
pub fn parse_go_timestamp(s: &str) -> Option<GoTimestamp> {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let year = s[..4].parse::<u32>().ok()?;
    let (month, rest) = getnum(&b[5..])?;
    let rest = rest.strip_prefix(b"-")?;
    let (day, rest) = getnum(rest)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return None;
    }
    let mut ts = GoTimestamp {
        year,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
        offset_minutes: 0,
    };
    if rest.is_empty() {
        return Some(ts);
    }
    let (sep, rest) = (rest[0], &rest[1..]);
    if !matches!(sep, b'T' | b't' | b' ') {
        return None;
    }
    let (hour, rest) = getnum(rest)?;
    let rest = rest.strip_prefix(b":")?;
    let (minute, rest) = getnum(rest)?;
    let rest = rest.strip_prefix(b":")?;
    let (second, mut rest) = getnum(rest)?;
    if hour >= 24 || minute >= 60 || second >= 60 {
        return None;
    }
    ts.hour = hour;
    ts.minute = minute;
    ts.second = second;
    if rest.len() >= 2 && (rest[0] == b'.' || rest[0] == b',') && rest[1].is_ascii_digit() {
        let mut n = 1;
        while n < rest.len() && rest[n].is_ascii_digit() {
            n += 1;
        }
        let digits = &rest[1..n.min(10)];
        let mut nanos: u32 = 0;
        for (i, d) in digits.iter().enumerate().take(9) {
            let _ = i;
            nanos = nanos * 10 + u32::from(d - b'0');
        }
        for _ in digits.len()..9 {
            nanos *= 10;
        }
        ts.nanos = nanos;
        rest = &rest[n..];
    }
    if sep == b' ' {
        return if rest.is_empty() { Some(ts) } else { None };
    }
    match rest {
        [b'Z'] => Some(ts),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let hh = i32::from(h1 - b'0') * 10 + i32::from(h2 - b'0');
            let mm = i32::from(m1 - b'0') * 10 + i32::from(m2 - b'0');
            if hh > 24 || mm > 60 {
                return None;
            }
            let off = hh * 60 + mm;
            ts.offset_minutes = if *sign == b'-' { -off } else { off };
            Some(ts)
        }
        _ => None,
    }
}

/// Shortest decimal digits and decimal-point position of a finite, non-zero float, as a
/// float64 (`bits` 64) or as the float32 it rounds to (`bits` 32).
pub(super) fn shortest_digits(f: f64, bits: u8) -> (String, i32) {
    let e = if bits == 32 {
        format!("{:e}", (f as f32).abs())
    } else {
        format!("{:e}", f.abs())
    };
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    (digits, exp + 1)
}

/// Go `strconv.FormatFloat(f, 'g', -1, bits)` of a finite float (`bits` 32 or 64).
pub(super) fn go_format_g(f: f64, bits: u8) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let neg = if f < 0.0 { "-" } else { "" };
    let (d, dp) = shortest_digits(f, bits);
    let exp = dp - 1;
    if !(-4..6).contains(&exp) {
        let mut s = format!("{neg}{}", &d[..1]);
        if d.len() > 1 {
            s.push('.');
            s.push_str(&d[1..]);
        }
        let (sign, ea) = if exp < 0 { ('-', -exp) } else { ('+', exp) };
        s.push_str(&format!("e{sign}{ea:02}"));
        s
    } else {
        format!("{neg}{}", fixed_digits(&d, dp))
    }
}

/// Digits with the decimal point at `dp`, as Go's `%f` with shortest precision.
pub(super) fn fixed_digits(d: &str, dp: i32) -> String {
    let nd = d.len() as i32;
    if dp <= 0 {
        format!("0.{}{}", "0".repeat((-dp) as usize), d)
    } else if dp >= nd {
        format!("{}{}", d, "0".repeat((dp - nd) as usize))
    } else {
        format!("{}.{}", &d[..dp as usize], &d[dp as usize..])
    }
}

/// The YAML 1.1 booleans go-yaml v2 reads (`yes`, `on`, `y`, ... and `true`, `false`).
fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            Some(false)
        }
        _ => None,
    }
}

/// The string a plain (unquoted, untagged) mapping key becomes when `sigs.k8s.io/yaml` reads
/// it, as kustomize reads kustomization files: go-yaml v2 resolves it (YAML 1.1) and
/// non-string keys are turned into strings (`yes` -> `true`, `0777` -> `511`, `1.0` -> `1`,
/// floats through float32); `Err` for keys it refuses (null, unsigned 64-bit).
pub(super) fn yaml11_key(s: &str) -> Result<Option<String>, String> {
    if matches!(s, "" | "~" | "null" | "Null" | "NULL") {
        return Err(format!(
            "unsupported map key of type: %!s(<nil>), key: <nil>, value: {s:?}"
        ));
    }
    if let Some(b) = yaml11_bool(s) {
        return Ok(Some(b.to_string()));
    }
    match s {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Ok(Some(".inf".into())),
        "-.inf" | "-.Inf" | "-.INF" => return Ok(Some("-.inf".into())),
        ".nan" | ".NaN" | ".NAN" => return Ok(Some(".nan".into())),
        _ => {}
    }
    if !s.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        return Ok(None);
    }
    if parse_go_timestamp(s).is_some() {
        return Ok(None);
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Some(i) = go_parse_int(&plain) {
        return Ok(Some(i.to_string()));
    }
    if go_parse_uint(&plain).is_some() {
        return Err(format!("unsupported map key of type: uint64, key: {plain}"));
    }
    if yaml_style_float(&plain) {
        if let Some(f) = go_parse_float(&plain) {
            let f32v = f as f32;
            return Ok(Some(if f32v.is_infinite() {
                if f32v > 0.0 { ".inf" } else { "-.inf" }.to_string()
            } else {
                go_format_g(f, 32)
            }));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::{go_format_g, yaml11_key};
    use rstest::rstest;

    /// Plain kustomization keys as kustomize v5.8.1 (sigs.k8s.io/yaml) turns them into strings.
    #[rstest]
    #[case("app", None)]
    #[case("yes", Some("true"))]
    #[case("Off", Some("false"))]
    #[case("y", Some("true"))]
    #[case("0777", Some("511"))]
    #[case("0o17", Some("15"))]
    #[case("0x1F", Some("31"))]
    #[case("0b101", Some("5"))]
    #[case("1_000", Some("1000"))]
    #[case("+1", Some("1"))]
    #[case("-0", Some("0"))]
    #[case("1.0", Some("1"))]
    #[case("1e3", Some("1000"))]
    #[case("1.1", Some("1.1"))]
    #[case(".inf", Some(".inf"))]
    #[case("1e39", Some(".inf"))]
    #[case("1.5e400", None)]
    #[case("12:30", None)]
    #[case("2001-12-14", None)]
    #[case("1.2.3", None)]
    fn yaml11_keys(#[case] key: &str, #[case] want: Option<&str>) {
        assert_eq!(yaml11_key(key).unwrap().as_deref(), want);
    }

    #[rstest]
    #[case("~")]
    #[case("null")]
    #[case("")]
    #[case("18446744073709551615")]
    fn yaml11_keys_refused(#[case] key: &str) {
        assert!(yaml11_key(key).is_err());
    }

    #[rstest]
    #[case(1e6, 64, "1e+06")]
    #[case(123456.0, 64, "123456")]
    #[case(0.1, 32, "0.1")]
    #[case(1.0e-5, 64, "1e-05")]
    fn format_g(#[case] f: f64, #[case] bits: u8, #[case] want: &str) {
        assert_eq!(go_format_g(f, bits), want);
    }
}
