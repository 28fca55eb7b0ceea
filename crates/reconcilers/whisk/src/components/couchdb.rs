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

//! CouchDB: the `couchdb-auth` Secret (secret generator), Services `couchdb` / `couchdb-np`,
//! StatefulSet `couchdb` with its volume claim template sized from `couchdb.volume-size`.

use super::common::{set_image, COMPONENT_LABEL, CREDENTIALS_LABEL};
use crate::error::Result;
use crate::overlay::{Overlay, Patch};
use crate::placement::{pod_patch, Placement};
use crate::resolve::{RenderInput, Settings};
use serde_json::json;

/// Name of the generated credentials Secret (before its hash suffix).
pub const AUTH_SECRET: &str = "couchdb-auth";

/// The `couchdb-auth` secret generator: CouchDB users and the initial OpenWhisk auths.
pub fn credentials(input: &RenderInput<'_>, o: &mut Overlay) -> Result<()> {
    let s = input.secrets;
    let literals = vec![
        ("db_username".to_string(), s.admin_user.clone()),
        ("db_password".to_string(), s.admin_password.clone()),
        ("controller_username".to_string(), s.controller_user.clone()),
        (
            "controller_password".to_string(),
            s.controller_password.clone(),
        ),
        ("invoker_username".to_string(), s.invoker_user.clone()),
        ("invoker_password".to_string(), s.invoker_password.clone()),
        ("auth_whisk_system".to_string(), s.auth_whisk_system.clone()),
        ("auth_nuvolaris".to_string(), s.auth_nuvolaris.clone()),
    ];
    o.secrets.push(crate::overlay::SecretGen {
        name: AUTH_SECRET.to_string(),
        literals,
        labels: vec![(COMPONENT_LABEL.to_string(), CREDENTIALS_LABEL.to_string())],
    });
    Ok(())
}

/// Base `couchdb`, the image, and the patch sizing the volume and setting resources.
pub fn contribute(input: &RenderInput<'_>, s: &Settings, o: &mut Overlay) -> Result<()> {
    o.bases.push("couchdb".into());
    let image = if s.kube == "openshift"
        && input.operator.couchdb_image == crate::settings::DEFAULT_COUCHDB_IMAGE
    {
        crate::settings::OPENSHIFT_COUCHDB_IMAGE
    } else {
        input.operator.couchdb_image.as_str()
    };
    if image != crate::settings::DEFAULT_COUCHDB_IMAGE {
        set_image(o, "apache/couchdb", image);
    }
    let mut pvc_spec = json!({
        "accessModes": ["ReadWriteOnce"],
        "resources": { "requests": { "storage": format!("{}Gi", s.couchdb_volume_gib) } }
    });
    if let Some(sc) = &s.storage_class {
        pvc_spec["storageClassName"] = json!(sc);
    }
    let mut patch = json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": { "name": "couchdb" },
        "spec": { "volumeClaimTemplates": [ { "metadata": { "name": "couchdb-pvc" }, "spec": pvc_spec } ] }
    });
    let res = input
        .whisk
        .spec
        .configs
        .as_ref()
        .and_then(|c| c.couchdb.as_ref())
        .and_then(|c| c.resources.as_ref());
    if let Some(r) = res.filter(|r| r.cpu_req.is_some()) {
        patch["spec"]["template"] = json!({ "spec": { "containers": [ {
            "name": "couchdb",
            "resources": super::controller::resources(r),
        } ] } });
    }
    o.patches.push(Patch::Strategic(patch));
    if crate::retention::pvc_policy(input.whisk) == crate::retention::PvcPolicy::Delete {
        o.patches
            .push(crate::retention::delete_claims_patch("couchdb"));
    }
    let n = input.whisk.spec.nuvolaris_or_default();
    let placement = Placement::of(s, n.affinity, n.tolerations);
    o.patches.extend(pod_patch(
        &placement,
        "apps/v1",
        "StatefulSet",
        "couchdb",
        "couchdb",
        None,
    ));
    Ok(())
}
