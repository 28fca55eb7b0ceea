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

//! Kubernetes merge knowledge shared by the kustomize engine (`nuvolaris-kustomize`) and the
//! embedded API server (`nuvolaris-apiserver`), kept below both so that neither depends on the
//! other.
//!
//! - [`schema`]: for each list field of the built-in kinds, its strategic-merge merge key and
//!   strategy and its server-side-apply list type.
//! - [`smp`]: strategic merge patch on `serde_json` values, in the two flavours the workspace
//!   needs: `kustomize build`'s ([`Flavor::Kustomize`]) and the kube-apiserver's
//!   ([`Flavor::ApiServer`]).
//!
//! ```
//! use nuvolaris_merge::strategic_merge;
//! use serde_json::json;
//!
//! let live = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}});
//! let patch = json!({"data": {"a": null, "b": "2"}});
//! assert_eq!(strategic_merge(&live, &patch).unwrap()["data"], json!({"b": "2"}));
//! ```

pub mod error;
pub mod schema;
pub mod smp;

pub use error::MergeError;
pub use smp::{strategic_merge, strategic_merge_owned, strategic_merge_with, Flavor};
