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
pub use read::{parse_document, parse_documents, MAX_DEPTH, MAX_NODES};
pub use scalar::{parse_go_timestamp, GoTimestamp};
