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

//! `configMapGenerator:` / `secretGenerator:` and the content-hash name suffix
//! (kustomize ConfigMapGenerator, SecretGenerator, HashTransformer).

use crate::error::Error;
use crate::kustomization::{GeneratorArgs, GeneratorOptions, StringMap};
use crate::resource::{Behavior, ResMap, Resource};
use base64::Engine as _;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Reads files named by generators (relative to the kustomization folder, root-checked).
pub trait FileSource {
    /// Reads the file `path` as named in the kustomization.
    fn read_file(&self, path: &str) -> Result<Vec<u8>, Error>;
}

/// The generator options in effect: global ones merged into local ones (local keys win).
pub fn merge_options(
    local: Option<&GeneratorOptions>,
    global: Option<&GeneratorOptions>,
) -> GeneratorOptions {
    let mut out = local.cloned().unwrap_or_default();
    if let Some(g) = global {
        for (k, v) in &g.labels {
            out.labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in &g.annotations {
            out.annotations
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
        if g.disable_name_suffix_hash == Some(true) {
            out.disable_name_suffix_hash = Some(true);
        }
        if g.immutable == Some(true) {
            out.immutable = Some(true);
        }
    }
    out
}

fn remove_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// Parses a `key=value` literal (surrounding quotes of the value removed).
pub fn parse_literal(src: &str) -> Result<(String, String), Error> {
    match src.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), remove_quotes(v).to_string())),
        _ => Err(Error::build(format!(
            "invalid literal source {src}, expected key=value"
        ))),
    }
}

/// Parses a `[key=]path` file source into key and path (kustomize `ParseFileSource`).
pub fn parse_file_source(src: &str) -> Result<(String, String), Error> {
    match src.matches('=').count() {
        0 => Ok((go_path_base(src).to_string(), src.to_string())),
        1 if src.starts_with('=') => Err(Error::build(format!(
            "missing key name for file path {} in source {}",
            go_quote(&src[1..]),
            go_quote(src)
        ))),
        1 if src.ends_with('=') => Err(Error::build(format!(
            "missing file path for key name {} in source {}",
            go_quote(&src[..src.len() - 1]),
            go_quote(src)
        ))),
        1 => {
            let (k, p) = src.split_once('=').unwrap_or_default();
            Ok((k.to_string(), p.to_string()))
        }
        _ => Err(Error::build(format!(
            "source {} key name or file path contains '='",
            go_quote(src)
        ))),
    }
}

/// Go's `path.Base`: the last element of a slash-separated path.
fn go_path_base(p: &str) -> &str {
    if p.is_empty() {
        return ".";
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// Go's `%q` of a string (close enough for messages: JSON escaping).
fn go_quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// The longest line Go's `bufio.Scanner` reads (`bufio.MaxScanTokenSize`): kustomize stops
/// reading an env file, without an error, at the first line this long or longer.
const MAX_ENV_LINE: usize = 64 * 1024;

/// Parses an env file as kustomize v5.8.1 does (`kv.keyValuesFromLines`): lines split on
/// `\n` (a `\r` before it dropped), a UTF-8 BOM removed from the first line only, leading
/// whitespace trimmed (trailing kept), blank lines and `#` comments skipped, `KEY=value` split
/// at the first `=`, a line without `=` a key with an empty value (not read from the
/// environment), a line with an empty key skipped. Keys are not validated (kustomize's
/// validator accepts any) and quotes stay part of the value. Invalid UTF-8 on a line read is
/// an error; reading stops at a line of 64 KiB or more.
pub fn parse_env(content: &[u8]) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    for (n, raw) in content.split(|&b| b == b'\n').enumerate() {
        if raw.len() >= MAX_ENV_LINE {
            break;
        }
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(line) = std::str::from_utf8(raw) else {
            return Err(Error::build(format!(
                "line {} has invalid utf8 bytes : {}",
                go_bytes(raw),
                String::from_utf8_lossy(raw)
            )));
        };
        let line = if n == 0 {
            line.strip_prefix('\u{feff}').unwrap_or(line)
        } else {
            line
        };
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = line.split_once('=').unwrap_or((line, ""));
        if k.is_empty() {
            continue;
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// Go's `%v` of a byte slice: `[66 61 255]`.
fn go_bytes(b: &[u8]) -> String {
    let parts: Vec<String> = b.iter().map(u8::to_string).collect();
    format!("[{}]", parts.join(" "))
}

/// Base64 as kustomize writes generated Secret data and ConfigMap binaryData: lines of 70
/// characters, each followed by a newline, once the encoding reaches 70 characters.
pub fn encode_base64(data: &[u8]) -> String {
    const LINE: usize = 70;
    let enc = base64::engine::general_purpose::STANDARD.encode(data);
    if enc.len() < LINE {
        return enc;
    }
    let mut out = String::with_capacity(enc.len() + enc.len() / LINE + 1);
    for chunk in enc.as_bytes().chunks(LINE) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// Builds one generated ConfigMap (`secret == false`) or Secret.
pub fn generate(
    args: &GeneratorArgs,
    global: Option<&GeneratorOptions>,
    secret: bool,
    files: &dyn FileSource,
) -> Result<Resource, Error> {
    let mut pairs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut envs: Vec<&String> = args.envs.iter().collect();
    if !args.env.is_empty() {
        envs.push(&args.env);
    }
    for e in &envs {
        let parsed = parse_env(&files.read_file(e)?).map_err(|err| {
            let all: Vec<&str> = envs.iter().map(|s| s.as_str()).collect();
            err.context(&format!(
                "loading KV pairs: env source files: [{}]",
                all.join(" ")
            ))
        })?;
        pairs.extend(parsed.into_iter().map(|(k, v)| (k, v.into_bytes())));
    }
    for l in &args.literals {
        let (k, v) = parse_literal(l).map_err(|err| {
            err.context(&format!(
                "loading KV pairs: literal sources [{}]",
                args.literals.join(" ")
            ))
        })?;
        pairs.push((k, v.into_bytes()));
    }
    for f in &args.files {
        let (k, p) = parse_file_source(f).map_err(|err| {
            err.context(&format!(
                "loading KV pairs: file sources: [{}]",
                args.files.join(" ")
            ))
        })?;
        pairs.push((k, files.read_file(&p)?));
    }
    let mut data = Map::new();
    let mut binary = Map::new();
    for (k, v) in pairs {
        if data.contains_key(&k) || binary.contains_key(&k) {
            // kustomize says "configmap" for Secrets too
            return Err(Error::build(format!(
                "configmap {} illegally repeats the key `{k}`",
                args.name
            )));
        }
        if let Some(why) = crate::yaml::untagged_key_error(&k) {
            return Err(Error::build(format!(
                "{} {}: data key {k:?} does not read back as a string: {why}",
                if secret { "Secret" } else { "ConfigMap" },
                args.name
            )));
        }
        if secret {
            data.insert(k, Value::String(encode_base64(&v)));
        } else {
            match String::from_utf8(v) {
                Ok(s) => {
                    data.insert(k, Value::String(s));
                }
                Err(e) => {
                    binary.insert(k, Value::String(encode_base64(e.as_bytes())));
                }
            }
        }
    }
    let opts = merge_options(args.options.as_ref(), global);
    for k in opts.labels.keys().chain(opts.annotations.keys()) {
        if let Some(why) = crate::yaml::untagged_key_error(k) {
            return Err(Error::build(format!(
                "{} {}: label or annotation key {k:?} does not read back as a string: {why}",
                if secret { "Secret" } else { "ConfigMap" },
                args.name
            )));
        }
    }
    let mut md = Map::new();
    md.insert("name".into(), Value::String(args.name.clone()));
    if !args.namespace.is_empty() {
        md.insert("namespace".into(), Value::String(args.namespace.clone()));
    }
    if !opts.labels.is_empty() {
        md.insert("labels".into(), string_map(&opts.labels));
    }
    if !opts.annotations.is_empty() {
        md.insert("annotations".into(), string_map(&opts.annotations));
    }
    let mut obj = Map::new();
    obj.insert("apiVersion".into(), Value::String("v1".into()));
    obj.insert(
        "kind".into(),
        Value::String(if secret { "Secret" } else { "ConfigMap" }.into()),
    );
    obj.insert("metadata".into(), Value::Object(md));
    // kyaml creates a Secret's `data` map even when it stays empty, a ConfigMap's only for data
    if secret || !data.is_empty() {
        obj.insert("data".into(), Value::Object(data));
    }
    if !binary.is_empty() {
        obj.insert("binaryData".into(), Value::Object(binary));
    }
    if secret {
        let t = if args.kind.is_empty() {
            "Opaque"
        } else {
            &args.kind
        };
        obj.insert("type".into(), Value::String(t.into()));
    }
    if opts.immutable == Some(true) {
        obj.insert("immutable".into(), Value::Bool(true));
    }
    let mut r = Resource::new(Value::Object(obj));
    r.behavior = Behavior::parse(&args.behavior)?;
    r.needs_hash = opts.disable_name_suffix_hash != Some(true);
    Ok(r)
}

fn string_map(m: &StringMap) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

fn merge_map_field(dst: &mut Resource, old: &Resource, field: &str) {
    let Some(Value::Object(o)) = old.obj.get(field).cloned() else {
        return;
    };
    let Value::Object(d) = &mut dst.obj else {
        return;
    };
    let entry = d
        .entry(field.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(e) = entry {
        let mut merged = o;
        for (k, v) in std::mem::take(e) {
            merged.insert(k, v);
        }
        *e = merged;
    }
}

fn merge_meta_map(dst: &mut Resource, old: &Resource, field: &str) {
    let mut merged: Map<String, Value> = old
        .obj
        .pointer(&format!("/metadata/{field}"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(Value::Object(mine)) = dst.obj.pointer(&format!("/metadata/{field}")) {
        for (k, v) in mine {
            merged.insert(k.clone(), v.clone());
        }
    }
    if !merged.is_empty() {
        dst.metadata_mut()
            .insert(field.into(), Value::Object(merged));
    }
}

/// Adds a generated resource to `m` honouring its behavior (kustomize `appendReplaceOrMerge`).
pub fn absorb(m: &mut ResMap, mut res: Resource) -> Result<(), Error> {
    let id = res.cur_id();
    let matches = m.matching_any_id(&id);
    match matches.len() {
        0 => match res.behavior {
            Behavior::Create => m.append(res),
            _ => Err(Error::build(format!(
                "id {id} does not exist; cannot merge or replace"
            ))),
        },
        1 => {
            let idx = matches[0];
            let old = m.items[idx].clone();
            match res.behavior {
                Behavior::Create => {
                    return Err(Error::build(format!(
                        "id {id} exists; behavior must be merge or replace"
                    )))
                }
                Behavior::Replace => {}
                Behavior::Merge => {
                    merge_map_field(&mut res, &old, "data");
                    merge_map_field(&mut res, &old, "binaryData");
                }
            }
            merge_meta_map(&mut res, &old, "labels");
            merge_meta_map(&mut res, &old, "annotations");
            res.set_name(old.name());
            res.set_namespace(old.namespace());
            res.prev_ids = old.prev_ids.clone();
            res.prefixes = old.prefixes.clone();
            res.suffixes = old.suffixes.clone();
            res.needs_hash = res.needs_hash && old.needs_hash;
            if res.behavior == Behavior::Merge {
                res.origin = old.origin.clone();
            }
            res.transformations = old.transformations.clone();
            res.behavior = Behavior::Create;
            m.items[idx] = res;
            Ok(())
        }
        _ => Err(Error::build(format!(
            "found multiple objects that could accept merge of {id}"
        ))),
    }
}

/// Go's `json.Marshal` escaping of HTML-sensitive characters.
fn go_json(v: &Value) -> String {
    let s = serde_json::to_string(v).unwrap_or_default();
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&o[k])))
                    .collect(),
            )
        }
        other => other.clone(),
    }
}

/// The 10-character content hash kustomize appends to generated names.
pub fn content_hash(obj: &Value) -> Result<String, Error> {
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    // kustomize's `getNodeValues`: a map field as the map (even empty), a scalar as its text,
    // a missing field as ""
    let field = |f: &str| match obj.get(f) {
        Some(o @ Value::Object(_)) => sorted(o),
        Some(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => {
            Value::String(crate::resource::scalar_string(v))
        }
        _ => Value::String(String::new()),
    };
    let mut m = Map::new();
    match kind {
        "ConfigMap" => {
            if obj.get("binaryData").is_some_and(Value::is_object) {
                m.insert("binaryData".into(), field("binaryData"));
            }
            m.insert("data".into(), field("data"));
            m.insert("kind".into(), Value::String("ConfigMap".into()));
            m.insert("name".into(), Value::String(String::new()));
        }
        "Secret" => {
            m.insert("data".into(), field("data"));
            m.insert("kind".into(), Value::String("Secret".into()));
            m.insert("name".into(), Value::String(String::new()));
            if obj.get("stringData").is_some_and(Value::is_object) {
                m.insert("stringData".into(), field("stringData"));
            }
            let t = obj.get("type").and_then(Value::as_str).unwrap_or("");
            m.insert("type".into(), Value::String(t.into()));
        }
        other => {
            return Err(Error::build(format!(
                "cannot compute hash for kind {other}"
            )))
        }
    }
    let digest = Sha256::digest(go_json(&Value::Object(m)).as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    Ok(hex
        .chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect())
}

/// Appends the content hash to the names of resources that need it (kustomize HashTransformer).
pub fn add_hashes(m: &mut ResMap) -> Result<(), Error> {
    for r in m.items.iter_mut() {
        if !r.needs_hash {
            continue;
        }
        let h = content_hash(&r.obj)?;
        r.store_previous_id();
        let name = format!("{}-{h}", r.name());
        r.set_name(&name);
        r.needs_hash = false;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    struct NoFiles;
    impl FileSource for NoFiles {
        fn read_file(&self, path: &str) -> Result<Vec<u8>, Error> {
            Err(Error::build(format!("no file {path}")))
        }
    }

    // Hashes printed by `kubectl kustomize` v5.8.1 for the same generators.
    #[rstest]
    #[case(false, &["a=b", "c='x y'"], "cm-ctb2ch8994")]
    #[case(false, &[], "cm-6ct58987ht")]
    #[case(true, &["a=b"], "cm-k695gkmbtk")]
    fn hashes_like_kustomize(#[case] secret: bool, #[case] lits: &[&str], #[case] want: &str) {
        let args = GeneratorArgs {
            name: "cm".into(),
            literals: lits.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let mut m = ResMap::new();
        m.append(generate(&args, None, secret, &NoFiles).unwrap())
            .unwrap();
        add_hashes(&mut m).unwrap();
        assert_eq!(m.items[0].name(), want);
    }

    #[rstest]
    #[case("a=b", Ok(("a", "b")))]
    #[case("a=\"b c\"", Ok(("a", "b c")))]
    #[case("a=b=c", Ok(("a", "b=c")))]
    #[case("=b", Err(()))]
    #[case("ab", Err(()))]
    fn literals(#[case] src: &str, #[case] want: Result<(&str, &str), ()>) {
        let got = parse_literal(src).map_err(|_| ());
        assert_eq!(got, want.map(|(k, v)| (k.to_string(), v.to_string())));
    }

    #[rstest]
    #[case(b"a".as_slice(), "YQ==")]
    #[case(&[b'x'; 52], "eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eA\n==\n")]
    fn base64_is_wrapped_like_kustomize(#[case] data: &[u8], #[case] want: &str) {
        assert_eq!(encode_base64(data), want);
    }

    #[test]
    fn env_files() {
        let got = parse_env(b"# c\n\nA=1\n  B=x=y\nC=\"q\"\r\n").unwrap();
        assert_eq!(
            got,
            vec![
                ("A".into(), "1".into()),
                ("B".into(), "x=y".into()),
                ("C".into(), "\"q\"".into())
            ]
        );
    }

    /// What kustomize v5.8.1's `kv.keyValuesFromLines` returns for the same bytes.
    #[rstest]
    #[case::key_not_an_env_var_name(b"1A=x".as_slice(), &[("1A", "x")])]
    #[case::key_with_space_and_slash(b"a b/c=x", &[("a b/c", "x")])]
    #[case::no_equals_is_empty_not_environment(b"HOME\nPATH", &[("HOME", ""), ("PATH", "")])]
    #[case::trailing_space_kept(b"K =v \n", &[("K ", "v ")])]
    #[case::leading_unicode_space_trimmed("\u{a0}\u{3000}\tK=v".as_bytes(), &[("K", "v")])]
    #[case::empty_key_skipped(b"=v\n  =w\nK=1", &[("K", "1")])]
    #[case::hash_after_start_kept(b"K=a # b\n #c", &[("K", "a # b")])]
    #[case::bom_first_line_only("\u{feff}A=1\n\u{feff}B=2".as_bytes(), &[("A", "1"), ("\u{feff}B", "2")])]
    #[case::one_cr_dropped(b"A=1\r\r\nB=2\r", &[("A", "1\r"), ("B", "2")])]
    #[case::quotes_kept(b"A='x'\nB=\"y", &[("A", "'x'"), ("B", "\"y")])]
    fn env_files_like_kustomize(#[case] content: &[u8], #[case] want: &[(&str, &str)]) {
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(parse_env(content).unwrap(), want);
    }

    #[test]
    fn env_files_stop_at_a_line_bufio_cannot_hold() {
        let fits = format!("A={}\n", "x".repeat(MAX_ENV_LINE - 3));
        let too_long = format!("B={}\n", "y".repeat(MAX_ENV_LINE - 2));
        let text = format!("{fits}{too_long}C=1\n");
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(b"D=\xff\n");
        let got = parse_env(&bytes).unwrap();
        assert_eq!(got.len(), 1, "only the line that fits is read");
        assert_eq!(got[0].0, "A");
        let e = parse_env(b"A=1\nB=\xff").unwrap_err().to_string();
        assert!(e.contains("line [66 61 255] has invalid utf8 bytes"), "{e}");
    }

    #[rstest]
    #[case("a.txt", Ok(("a.txt", "a.txt")))]
    #[case("dir/sub/a.txt", Ok(("a.txt", "dir/sub/a.txt")))]
    #[case("dir/", Ok(("dir", "dir/")))]
    #[case("k=dir/a.txt", Ok(("k", "dir/a.txt")))]
    #[case(
        "=a.txt",
        Err("missing key name for file path \"a.txt\" in source \"=a.txt\"")
    )]
    #[case("k=", Err("missing file path for key name \"k\" in source \"k=\""))]
    #[case("=", Err("missing key name for file path \"\" in source \"=\""))]
    #[case("a=b=c", Err("source \"a=b=c\" key name or file path contains '='"))]
    fn file_sources(#[case] src: &str, #[case] want: Result<(&str, &str), &str>) {
        let got = parse_file_source(src).map_err(|e| e.to_string());
        assert_eq!(
            got,
            want.map(|(k, p)| (k.to_string(), p.to_string()))
                .map_err(str::to_string)
        );
    }

    #[test]
    fn merge_behavior_keeps_old_keys() {
        let mut m = ResMap::new();
        let base = GeneratorArgs {
            name: "c".into(),
            literals: vec!["a=1".into(), "b=2".into()],
            ..Default::default()
        };
        m.append(generate(&base, None, false, &NoFiles).unwrap())
            .unwrap();
        let over = GeneratorArgs {
            name: "c".into(),
            behavior: "merge".into(),
            literals: vec!["b=3".into()],
            ..Default::default()
        };
        absorb(&mut m, generate(&over, None, false, &NoFiles).unwrap()).unwrap();
        assert_eq!(m.items[0].obj["data"], json!({"a": "1", "b": "3"}));
        let dup = GeneratorArgs {
            name: "c".into(),
            ..Default::default()
        };
        assert!(absorb(&mut m, generate(&dup, None, false, &NoFiles).unwrap()).is_err());
    }
}
