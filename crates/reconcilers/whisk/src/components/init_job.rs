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

//! The `couchdb-init` Job: the operator image running `couchdb-init` against the CouchDB Service.

use super::common::set_image;
use crate::error::Result;
use crate::overlay::{Overlay, Patch};
use crate::resolve::{RenderInput, Settings};
use serde_json::json;

/// Name of the Job.
pub const JOB_NAME: &str = "couchdb-init";

/// Base `couchdb-init`, the operator image, and the CouchDB address.
pub fn contribute(input: &RenderInput<'_>, s: &Settings, o: &mut Overlay) -> Result<()> {
    o.bases.push("couchdb-init".into());
    set_image(o, "nuvolaris-operator", &input.operator.operator_image);
    o.patches.push(Patch::Strategic(json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": { "name": JOB_NAME },
        "spec": { "template": { "spec": { "containers": [ {
            "name": "init-couchdb",
            "env": [
                { "name": "COUCHDB_HOST", "value": s.couchdb_host },
                { "name": "COUCHDB_PORT", "value": s.couchdb_port.to_string() },
            ]
        } ] } } }
    })));
    Ok(())
}
