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

//! Input fingerprints: a side effect stores the fingerprint of its inputs in status and runs again
//! only when it changes (or a probe finds the effect missing).
//!
//! The fingerprint is the SHA-256 (hex) of a canonical JSON serialization of the inputs: object
//! keys sorted at every level, no whitespace. Secrets go in as [`Secret`], which serializes as a
//! SHA-256 of the value, so the canonical text never holds a secret in clear.

use serde::{Serialize, Serializer};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A secret input of a [`fingerprint`]: serialized as `sha256:<hex>` of its value (domain
/// separated), never in clear.
#[derive(Clone, Copy)]
pub struct Secret<'a>(pub &'a str);

impl std::fmt::Debug for Secret<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Serialize for Secret<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut hasher = Sha256::new();
        hasher.update(b"nuvolaris-fingerprint-secret\0");
        hasher.update(self.0.as_bytes());
        serializer.serialize_str(&format!("sha256:{}", hex::encode(hasher.finalize())))
    }
}

/// The canonical JSON text of `inputs`: object keys sorted at every level, compact.
pub fn canonical_json<T: Serialize + ?Sized>(inputs: &T) -> String {
    // serde_json has `preserve_order` on in this workspace: sort explicitly.
    fn sorted(value: Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<(String, Value)> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
            }
            Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
            other => other,
        }
    }
    let value = serde_json::to_value(inputs).expect("fingerprint inputs serialize to JSON");
    sorted(value).to_string()
}

/// SHA-256 hex of the canonical JSON of `inputs` (see the module docs).
pub fn fingerprint<T: Serialize + ?Sized>(inputs: &T) -> String {
    hex::encode(Sha256::digest(canonical_json(inputs).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[test]
    fn key_order_does_not_matter() {
        let a = json!({"user": "nuvolaris", "prefix": "nuvolaris:", "nested": {"b": 1, "a": [2, {"y": 1, "x": 0}]}});
        let b = json!({"nested": {"a": [2, {"x": 0, "y": 1}], "b": 1}, "prefix": "nuvolaris:", "user": "nuvolaris"});
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_eq!(
            canonical_json(&b),
            r#"{"nested":{"a":[2,{"x":0,"y":1}],"b":1},"prefix":"nuvolaris:","user":"nuvolaris"}"#
        );
    }

    #[rstest]
    #[case(json!({"user": "nuvolaris", "prefix": "other:"}))]
    #[case(json!({"user": "nuvolaris2", "prefix": "nuvolaris:"}))]
    #[case(json!({"user": "nuvolaris", "prefix": "nuvolaris:", "extra": null}))]
    #[case(json!({"user": "nuvolaris", "prefix": ["nuvolaris:"]}))]
    fn any_change_changes_it(#[case] changed: Value) {
        let base = json!({"user": "nuvolaris", "prefix": "nuvolaris:"});
        assert_ne!(fingerprint(&base), fingerprint(&changed));
    }

    #[test]
    fn is_sha256_hex_of_the_canonical_text() {
        // sha256("{}")
        assert_eq!(
            fingerprint(&json!({})),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }

    #[test]
    fn secrets_are_hashed_and_still_count() {
        #[derive(Serialize)]
        struct Inputs<'a> {
            user: &'a str,
            password: Secret<'a>,
        }
        let one = Inputs {
            user: "nuvolaris",
            password: Secret("s0meP@ass3"),
        };
        let two = Inputs {
            user: "nuvolaris",
            password: Secret("other"),
        };
        let text = canonical_json(&one);
        assert!(!text.contains("s0meP@ass3"), "{text}");
        assert!(text.contains(r#""password":"sha256:"#), "{text}");
        assert_ne!(fingerprint(&one), fingerprint(&two));
        assert_eq!(format!("{:?}", one.password), "Secret(<redacted>)");
    }
}
