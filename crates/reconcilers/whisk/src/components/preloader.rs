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

//! The `preload-runtimes` Job: one `/bin/true` container per runtime family, with the family's
//! default image from `runtimes.json` (ConfigMap `openwhisk-runtimes`), to pre-pull action images.

use crate::error::{Error, Result};
use crate::overlay::{Overlay, Patch};
use crate::resolve::RenderInput;
use serde_json::{json, Value};

/// Name of the Job.
pub const JOB_NAME: &str = "preload-runtimes";

/// (family, image) of each family's default kind, in manifest order.
pub fn default_images(runtimes_json: &str) -> Result<Vec<(String, String)>> {
    let v: Value =
        serde_json::from_str(runtimes_json).map_err(|e| Error::Runtimes(e.to_string()))?;
    let families = v
        .get("runtimes")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::Runtimes("no `runtimes` object".into()))?;
    let mut out = Vec::new();
    for (family, kinds) in families {
        let kinds = kinds
            .as_array()
            .ok_or_else(|| Error::Runtimes(format!("runtimes.{family} is not a list")))?;
        for k in kinds
            .iter()
            .filter(|k| k.get("default").and_then(Value::as_bool) == Some(true))
        {
            let img = k.get("image").ok_or_else(|| {
                Error::Runtimes(format!("runtimes.{family}: default kind has no image"))
            })?;
            let part = |f: &str| img.get(f).and_then(Value::as_str).unwrap_or_default();
            let image = match part("prefix") {
                "" => format!("{}:{}", part("name"), part("tag")),
                p => format!("{p}/{}:{}", part("name"), part("tag")),
            };
            out.push((family.clone(), image));
        }
    }
    Ok(out)
}

/// Base `preloader` and the patch adding one container per family.
pub fn contribute(input: &RenderInput<'_>, o: &mut Overlay) -> Result<()> {
    o.bases.push("preloader".into());
    let containers: Vec<Value> = default_images(input.runtimes_json)?
        .into_iter()
        .map(|(name, image)| json!({ "name": name, "image": image, "command": ["/bin/true"] }))
        .collect();
    o.patches.push(Patch::Strategic(json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": { "name": JOB_NAME },
        "spec": { "template": { "spec": { "containers": containers } } }
    })));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_one_default_image_per_family() {
        let j = r#"{"runtimes": {
            "nodejs": [{"kind": "nodejs:18", "default": true, "image": {"prefix": "ghcr.io/n", "name": "node18", "tag": "1"}},
                       {"kind": "nodejs:16", "default": false, "image": {"prefix": "ghcr.io/n", "name": "node16", "tag": "1"}}],
            "go": [{"kind": "go:1.17", "default": true, "image": {"prefix": "openwhisk", "name": "go", "tag": "nightly"}}]}}"#;
        assert_eq!(
            default_images(j).unwrap(),
            vec![
                ("nodejs".to_string(), "ghcr.io/n/node18:1".to_string()),
                ("go".to_string(), "openwhisk/go:nightly".to_string())
            ]
        );
    }

    #[test]
    fn rejects_a_manifest_without_runtimes() {
        assert!(matches!(default_images("{}"), Err(Error::Runtimes(_))));
        assert!(matches!(
            default_images("not json"),
            Err(Error::Runtimes(_))
        ));
    }
}
