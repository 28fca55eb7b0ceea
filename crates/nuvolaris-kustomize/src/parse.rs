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

//! YAML document parsing for the engine, with a small cache of parsed file contents so that
//! repeated in-memory builds of the same overlay do not parse the same bytes again.

use crate::error::Error;
use serde_json::Value;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

type Cache = HashMap<u64, (Arc<[u8]>, Arc<Vec<Value>>)>;

/// Parses a (multi-document) YAML stream; empty documents are dropped.
pub fn parse_yaml(text: &[u8], file: &str) -> Result<Arc<Vec<Value>>, Error> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    let key = h.finish();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some((bytes, docs)) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        if &**bytes == text {
            return Ok(docs.clone());
        }
    }
    let s = std::str::from_utf8(text).map_err(|e| Error::Yaml {
        file: file.to_string(),
        message: format!("invalid UTF-8: {e}"),
    })?;
    let docs: Vec<Value> = crate::yaml::parse_documents(s, file)?
        .into_iter()
        .filter(|d| !d.is_null())
        .collect();
    let docs = Arc::new(docs);
    let mut g = cache.lock().unwrap_or_else(|e| e.into_inner());
    if g.len() > 512 {
        g.clear();
    }
    g.insert(key, (Arc::from(text), docs.clone()));
    Ok(docs)
}
