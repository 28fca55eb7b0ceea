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

//! String formats and patterns.

use regex::Regex;
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex, OnceLock};

/// Compiled patterns, shared (a cloned `Regex` would get a fresh match cache on every use).
pub(super) fn cached_regex(pattern: &str) -> Option<Arc<Regex>> {
    type Cache = Mutex<HashMap<String, Option<Arc<Regex>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut guard = match cache.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(re) = guard.get(pattern) {
        return re.clone();
    }
    let re = Regex::new(pattern).ok().map(Arc::new);
    if guard.len() < 4096 {
        guard.insert(pattern.to_string(), re.clone());
    }
    re
}

/// Whether `text` matches the ECMA/RE2 `pattern`; `None` when the pattern does not compile
/// (the server rejects such CRDs, so nothing is reported here).
pub(super) fn pattern_matches(pattern: &str, text: &str) -> Option<bool> {
    cached_regex(pattern).map(|re| re.is_match(text))
}

/// `Some(valid)` for the string formats kube-openapi's registry knows, `None` for the others.
pub(super) fn check_format(format: &str, v: &str) -> Option<bool> {
    let re = |p: &str| cached_regex(p).is_some_and(|r| r.is_match(v));
    Some(match format {
        "date-time" | "datetime" => {
            re(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
        }
        "date" => re(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"),
        "byte" => {
            re(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})?$")
        }
        "uuid" => re(r"^(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
        "uuid3" => re(r"^(?i)[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$"),
        "uuid4" => re(r"^(?i)[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"),
        "uuid5" => re(r"^(?i)[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"),
        "ipv4" => v.parse::<Ipv4Addr>().is_ok(),
        "ipv6" => v.parse::<Ipv6Addr>().is_ok(),
        "cidr" => match v.split_once('/') {
            Some((ip, bits)) => match bits.parse::<u8>() {
                Ok(b) => {
                    (ip.parse::<Ipv4Addr>().is_ok() && b <= 32)
                        || (ip.parse::<Ipv6Addr>().is_ok() && b <= 128)
                }
                Err(_) => false,
            },
            None => false,
        },
        "hostname" => {
            v.len() <= 255
                && re(
                    r"^([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*\.?$",
                )
        }
        "mac" => re(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$"),
        "email" => re(r"^[^@\s]+@[^@\s]+$"),
        "uri" => re(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$"),
        "duration" => re(r"^[-+]?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w))+$"),
        "password" => true,
        _ => return None,
    })
}
