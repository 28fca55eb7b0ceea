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

//! YAML parsing and kubectl-identical YAML printing.
//!
//! Reading follows what kustomize does with a file: go-yaml v3 resolves plain scalars
//! (YAML 1.2 core schema plus `0777` octals, `1_000` underscores and timestamps), the
//! document is turned into JSON (timestamps become RFC 3339 strings, non-string keys and
//! infinities are errors) and that JSON is what the transformers see.
//!
//! Printing follows `kubectl kustomize` output: each resource is marshalled to JSON and
//! printed by the go-yaml v2 emitter (via `sigs.k8s.io/yaml`): keys sorted with go-yaml's
//! natural order, 2-space indentation, sequences not indented under their key, strings
//! quoted when YAML 1.1 would read them as something else, lines folded past column 80
//! and multi-line strings as literal blocks.
//!
//! The module is three files along those seams: `read` (YAML text to JSON values), `emit`
//! (JSON values to kubectl's YAML text) and `scalar` (how Go and go-yaml read a plain scalar:
//! numbers and timestamps; the reader resolves with it and the printer asks it whether a
//! string would read back as something else and so needs quotes).

mod emit;
mod read;
mod scalar;

pub use emit::{key_less, to_yaml, to_yaml_stream};
pub use read::{
    parse_document, parse_documents, parse_documents_yaml11_keys, MAX_DEPTH, MAX_NODES,
};
pub use scalar::{parse_go_timestamp, GoTimestamp};

use serde_json::Value;

/// Why a map key that kustomize writes untagged (the data keys of generated ConfigMaps and
/// Secrets) would not read back as a string, failing the build as `kubectl kustomize` does;
/// `None` when it reads back as itself.
///
/// kyaml adds such keys without a tag, go-yaml v3 writes them plain whenever it can, and the
/// resource is read back before it is printed: `null`, `true`, `1e3` or `2001-12-14` then
/// come back as a null, bool, number or timestamp key, which JSON cannot hold, and `<<` as a
/// merge key without a map. Keys that need quotes (`yes`, `- x`, ` x`) stay strings.
pub fn untagged_key_error(key: &str) -> Option<&'static str> {
    if key == "<<" {
        return Some("yaml: map merge requires map or sequence of maps as the value");
    }
    let first = key.bytes().next()?;
    // plain scalars that resolve to something else start with one of these
    if !matches!(
        first,
        b'0'..=b'9' | b'+' | b'-' | b'.' | b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F'
    ) || !emit::plain_in_block(key)
    {
        return None;
    }
    let string = match read::resolve_plain_v3(key) {
        Ok(Value::String(_)) => parse_go_timestamp(key).is_none(),
        _ => false,
    };
    (!string).then_some("json: unsupported type: map[interface {}]interface {}")
}

#[cfg(test)]
mod tests {
    use super::untagged_key_error;
    use rstest::rstest;

    /// Keys as `kubectl kustomize` v5.8.1 treats them in a generated ConfigMap: `false` when
    /// the build fails because the key reads back as something other than a string.
    #[rstest]
    #[case("null", false)]
    #[case("~", false)]
    #[case("NULL", false)]
    #[case("true", false)]
    #[case("True", false)]
    #[case("1", false)]
    #[case("-1", false)]
    #[case("1.5", false)]
    #[case("1e3", false)]
    #[case(".inf", false)]
    #[case("0x1F", false)]
    #[case("0o17", false)]
    #[case("2001-12-14", false)]
    #[case("<<", false)]
    #[case("yes", true)]
    #[case("on", true)]
    #[case("Off", true)]
    #[case("1A", true)]
    #[case("1.2.3", true)]
    #[case("- x", true)]
    #[case(" 1", true)]
    #[case("~x", true)]
    #[case("null2", true)]
    #[case("2001-12-14x", true)]
    #[case("", true)]
    fn generated_keys(#[case] key: &str, #[case] reads_back: bool) {
        assert_eq!(untagged_key_error(key).is_none(), reads_back, "{key:?}");
    }
}
