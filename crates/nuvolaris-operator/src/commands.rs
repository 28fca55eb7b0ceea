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

//! The offline subcommands: `crd`, `rbac`, `render`, `kustomize`.

use crate::cli::{CrdArgs, KustomizeArgs, Output, RbacArgs, RenderArgs};
use nuvolaris_kustomize::yaml::{parse_documents, to_yaml_stream};
use nuvolaris_runtime::Registration;
use serde_json::{json, Value};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// Selects the registrations named in `names` (all when empty); unknown names are an error.
pub fn select(
    regs: Vec<Arc<dyn Registration>>,
    names: &[String],
) -> anyhow::Result<Vec<Arc<dyn Registration>>> {
    if names.is_empty() {
        return Ok(regs);
    }
    let known: Vec<&str> = regs.iter().map(|r| r.name()).collect();
    for n in names {
        if !known.contains(&n.as_str()) {
            anyhow::bail!(
                "unknown reconciler {n:?} in --reconcilers (known: {})",
                known.join(", ")
            );
        }
    }
    Ok(regs
        .into_iter()
        .filter(|r| names.iter().any(|n| n == r.name()))
        .collect())
}

/// Prints `docs` in `output`: a YAML stream, or JSON (one object, or a `v1` `List`).
fn print(docs: Vec<Value>, output: Output) -> anyhow::Result<String> {
    match output {
        Output::Yaml => Ok(to_yaml_stream(&docs)),
        Output::Json => {
            let value = match <[Value; 1]>::try_from(docs) {
                Ok([doc]) => doc,
                Err(docs) => json!({ "apiVersion": "v1", "kind": "List", "items": docs }),
            };
            Ok(serde_json::to_string_pretty(&value)? + "\n")
        }
    }
}

/// `crd`: the CRD of every registered reconciler, in registration order.
pub fn crd(regs: &[Arc<dyn Registration>], args: &CrdArgs) -> anyhow::Result<String> {
    let docs = regs
        .iter()
        .map(|r| serde_json::to_value(r.crd()))
        .collect::<Result<Vec<_>, _>>()?;
    print(docs, args.output)
}

/// `rbac`: a ClusterRole with the rules of the selected reconcilers.
pub fn rbac(regs: Vec<Arc<dyn Registration>>, args: &RbacArgs) -> anyhow::Result<String> {
    let regs = select(regs, &args.reconcilers)?;
    let rules = nuvolaris_runtime::rbac::cluster_role_rules(&regs);
    let role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": { "name": args.name },
        "rules": rules,
    });
    print(vec![role], args.output)
}

/// Renders custom resource documents with the reconciler that handles each.
pub fn render_docs(
    regs: &[Arc<dyn Registration>],
    docs: Vec<Value>,
    namespace: &str,
    source: &str,
) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    for (i, mut doc) in docs.into_iter().enumerate() {
        let api_version = doc
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let kind = doc
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let reg = regs.iter().find(|r| r.handles(&api_version, &kind)).ok_or_else(|| {
            anyhow::anyhow!(
                "{source}: document {} ({api_version} {kind}) is not a resource of an enabled reconciler ({})",
                i + 1,
                regs.iter().map(|r| r.api_resource().kind).collect::<Vec<_>>().join(", ")
            )
        })?;
        if doc.pointer("/metadata/namespace").is_none() {
            if let Some(m) = doc.get_mut("metadata").and_then(Value::as_object_mut) {
                m.insert("namespace".into(), Value::String(namespace.into()));
            }
        }
        let rendered = reg
            .render(&doc)
            .map_err(|e| anyhow::anyhow!("{source}: document {}: {e}", i + 1))?;
        out.extend(rendered);
    }
    Ok(out)
}

/// `render -f FILE..`: the objects the operator would apply, as a YAML stream.
pub fn render(regs: &[Arc<dyn Registration>], args: &RenderArgs) -> anyhow::Result<String> {
    let mut all = Vec::new();
    for f in &args.files {
        let (text, name) = if f == Path::new("-") {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            (s, "<stdin>".to_string())
        } else {
            (
                std::fs::read_to_string(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?,
                f.display().to_string(),
            )
        };
        let docs = parse_documents(&text, &name).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        all.extend(render_docs(regs, docs, &args.namespace, &name)?);
    }
    Ok(to_yaml_stream(&all))
}

/// `kustomize DIR`: `kubectl kustomize DIR`, natively.
pub fn kustomize(args: &KustomizeArgs) -> anyhow::Result<String> {
    let dir = std::fs::canonicalize(&args.dir)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.dir.display()))?;
    let loader = nuvolaris_kustomize::FsLoader::new(&dir);
    nuvolaris_kustomize::build_yaml(&loader, &dir)
        .map_err(|e| anyhow::anyhow!("kustomize {}: {e}", args.dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcilers::registry;

    #[test]
    fn crd_prints_the_crd_of_every_registered_reconciler_in_order() {
        let y = crd(&registry(), &CrdArgs::default()).unwrap();
        let docs = parse_documents(&y, "crd").unwrap();
        let names: Vec<&str> = docs
            .iter()
            .filter_map(|d| d.pointer("/metadata/name").and_then(Value::as_str))
            .collect();
        assert_eq!(names, ["samples.nuvolaris.org", "whisks.nuvolaris.org"]);
    }

    #[test]
    fn crd_and_rbac_print_json_on_request() {
        let list: Value = serde_json::from_str(
            &crd(
                &registry(),
                &CrdArgs {
                    output: Output::Json,
                },
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(list["kind"], "List");
        assert_eq!(list["items"][1]["metadata"]["name"], "whisks.nuvolaris.org");
        let role: Value = serde_json::from_str(
            &rbac(
                registry(),
                &RbacArgs {
                    reconcilers: vec![],
                    name: "x".into(),
                    output: Output::Json,
                },
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(role["kind"], "ClusterRole");
        assert_eq!(role["metadata"]["name"], "x");
    }

    #[test]
    fn select_rejects_unknown_names() {
        assert!(select(registry(), &["nope".into()])
            .err()
            .unwrap()
            .to_string()
            .contains("nope"));
        assert_eq!(select(registry(), &["sample".into()]).unwrap().len(), 1);
    }

    #[test]
    fn rbac_has_no_wildcards_and_covers_deployments() {
        let y = rbac(
            registry(),
            &RbacArgs {
                reconcilers: vec![],
                name: "x".into(),
                output: Output::Yaml,
            },
        )
        .unwrap();
        assert!(!y.contains('*'), "{y}");
        for want in ["deployments", "samples/status", "events", "leases"] {
            assert!(y.contains(want), "{want} missing in {y}");
        }
    }

    #[test]
    fn render_uses_default_namespace_and_rejects_foreign_kinds() {
        let docs = parse_documents("apiVersion: nuvolaris.org/v1\nkind: Sample\nmetadata:\n  name: obj\nspec:\n  count: 2\n", "t").unwrap();
        let out = render_docs(&registry(), docs, "demo", "t").unwrap();
        assert_eq!(out[0]["metadata"]["namespace"], "demo");
        assert_eq!(out[0]["metadata"]["name"], "obj-demo-deploy");
        let bad = parse_documents(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
            "t",
        )
        .unwrap();
        assert!(render_docs(&registry(), bad, "demo", "t").is_err());
    }
}
