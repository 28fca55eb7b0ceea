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

//! `cargo xtask crdgen [--check]`: writes what is generated from the static list of reconcilers
//! of the operator binary (`crates/nuvolaris-operator/src/reconcilers.rs`):
//!
//! - `crds/`: one `<plural>.<group>.yaml` per CRD (`nuvolaris-operator crd`) plus a
//!   `kustomization.yaml` listing them, so installers reference the folder as a kustomize base
//!   (`../../crds`): kustomize does not allow a kustomization to load single files from outside
//!   its own root;
//! - `charts-free-kustomize/operator/cluster-role.yaml`: the ClusterRole the registered
//!   reconcilers need (`nuvolaris-operator rbac`).
//!
//! `--check` writes nothing and fails, showing the difference, when any of them is stale; CI runs
//! it. The operator binary is built with cargo (or taken from `$NUVOLARIS_OPERATOR_BIN`).

use crate::{diff, license, paths, toolchain};
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Arguments of `cargo xtask crdgen`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Do not write: fail (showing the difference) when a generated file differs from what would be written.
    #[arg(long)]
    pub check: bool,
}

/// One generated file: its path relative to the workspace root and its full content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path from the workspace root, e.g. `crds/samples.nuvolaris.org.yaml`.
    pub path: String,
    /// Full text, license header included.
    pub content: String,
}

/// The folder of generated CRDs: it holds exactly the generated files (others are extra).
pub const CRDS_DIR: &str = "crds";
/// Name of the kustomization that makes `crds/` a kustomize base.
pub const KUSTOMIZATION: &str = "kustomization.yaml";
/// The generated ClusterRole of the install.
pub const CLUSTER_ROLE: &str = "charts-free-kustomize/operator/cluster-role.yaml";
/// Labels the install puts on its ClusterRole.
pub const CLUSTER_ROLE_LABELS: [(&str, &str); 2] = [
    ("app.kubernetes.io/name", "nuvolaris-operator"),
    ("app.kubernetes.io/part-of", "nuvolaris"),
];

/// Runs `cargo xtask crdgen`.
pub fn run(args: Args) -> Result<()> {
    let root = paths::workspace_root();
    let operator = toolchain::operator_bin()?;
    let files = render(&operator_output(&operator, "crd")?, &operator_output(&operator, "rbac")?)?;
    if args.check {
        let problems = check(&root, &files)?;
        if !problems.is_empty() {
            bail!(
                "generated files are stale: run `cargo xtask crdgen` and commit the result\n\n{}",
                problems.join("\n")
            );
        }
        println!("crds/ and {CLUSTER_ROLE} are up to date ({} files)", files.len());
        Ok(())
    } else {
        write(&root, &files)
    }
}

/// `nuvolaris-operator <command> -o json`, parsed.
fn operator_output(operator: &Path, command: &str) -> Result<Value> {
    let out = Command::new(operator)
        .args([command, "-o", "json"])
        .output()
        .with_context(|| format!("cannot run {}", operator.display()))?;
    if !out.status.success() {
        bail!(
            "`nuvolaris-operator {command} -o json` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    serde_json::from_slice(&out.stdout)
        .with_context(|| format!("`nuvolaris-operator {command} -o json` printed no JSON"))
}

/// Renders every generated file from the output of `nuvolaris-operator crd -o json` (one CRD or
/// a `List` of them) and of `nuvolaris-operator rbac -o json` (a ClusterRole).
pub fn render(crds: &Value, cluster_role: &Value) -> Result<Vec<GeneratedFile>> {
    let header = license::header(license::Style::Hash);
    let crds: Vec<&Value> = match crds["items"].as_array() {
        Some(items) if crds["kind"] == "List" => items.iter().collect(),
        _ => vec![crds],
    };
    let mut files = Vec::new();
    for crd in crds {
        let name = crd["metadata"]["name"]
            .as_str()
            .context("a CRD printed by `nuvolaris-operator crd` has no metadata.name")?;
        let yaml = serde_saphyr::to_string(crd)
            .with_context(|| format!("CRD {name}: cannot serialize to YAML"))?;
        files.push(GeneratedFile {
            path: format!("{CRDS_DIR}/{name}.yaml"),
            content: format!(
                "{header}#\n# Generated by `cargo xtask crdgen` from the registered reconcilers \
                 (`nuvolaris-operator crd`): do not edit.\n{yaml}"
            ),
        });
    }
    let mut kustomization = format!(
        "{header}#\n# Generated by `cargo xtask crdgen`: the CRDs as a kustomize base.\n\
         apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
    );
    for file in &files {
        let name = file.path.rsplit('/').next().unwrap_or(&file.path);
        kustomization.push_str(&format!("- {name}\n"));
    }
    files.push(GeneratedFile {
        path: format!("{CRDS_DIR}/{KUSTOMIZATION}"),
        content: kustomization,
    });
    files.push(GeneratedFile {
        path: CLUSTER_ROLE.to_string(),
        content: render_cluster_role(cluster_role, &header)?,
    });
    Ok(files)
}

/// The install's ClusterRole: what `nuvolaris-operator rbac` derives, with the install's labels.
fn render_cluster_role(role: &Value, header: &str) -> Result<String> {
    if role["kind"] != "ClusterRole" {
        bail!("`nuvolaris-operator rbac` printed no ClusterRole: {role}");
    }
    let mut role = role.clone();
    let metadata = role["metadata"]
        .as_object_mut()
        .context("the ClusterRole has no metadata")?;
    let labels = CLUSTER_ROLE_LABELS
        .iter()
        .map(|(k, v)| (k.to_string(), Value::from(*v)))
        .collect();
    metadata.insert("labels".into(), Value::Object(labels));
    let yaml = serde_saphyr::to_string(&role).context("cannot serialize the ClusterRole")?;
    Ok(format!(
        "{header}#\n# Generated by `cargo xtask crdgen` from the registered reconcilers \
         (`nuvolaris-operator rbac`): do not edit.\n\
         # Exactly what the reconcilers do, no wildcards. Per reconciled resource: get list watch\n\
         # patch update (finalizer), its /status get patch update; per child kind: get list watch\n\
         # create patch delete (server-side apply is a patch); plus each reconciler's extra rules\n\
         # and what every operator process needs (Events, the leader Lease).\n{yaml}"
    ))
}

/// Compares the files under `root` with `files`; returns one message per missing, different or
/// extra file (a file of `crds/` that is not generated is extra).
pub fn check(root: &Path, files: &[GeneratedFile]) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for extra in extra_files(root, files)? {
        problems.push(format!("{extra}: extra file, not generated by `cargo xtask crdgen`"));
    }
    for file in files {
        let path = root.join(&file.path);
        match fs::read_to_string(&path) {
            Ok(actual) if actual == file.content => {}
            Ok(actual) => problems.push(format!(
                "{}: differs from the generated text:\n{}",
                file.path,
                diff::unified(
                    &format!("{} (on disk)", file.path),
                    &actual,
                    &format!("{} (generated)", file.path),
                    &file.content
                )
            )),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                problems.push(format!("{}: missing", file.path))
            }
            Err(err) => problems.push(format!("{}: cannot read: {err}", file.path)),
        }
    }
    Ok(problems)
}

/// Writes `files` under `root` and removes the files of `crds/` not among them.
pub fn write(root: &Path, files: &[GeneratedFile]) -> Result<()> {
    for extra in extra_files(root, files)? {
        let path = root.join(&extra);
        fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        println!("removed    {extra}");
    }
    for file in files {
        let path: PathBuf = root.join(&file.path);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let unchanged = fs::read_to_string(&path).is_ok_and(|old| old == file.content);
        if !unchanged {
            fs::write(&path, &file.content)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        println!("{}  {}", if unchanged { "unchanged" } else { "wrote    " }, file.path);
    }
    Ok(())
}

/// Files of `crds/` (relative to `root`) that are not among `files`.
fn extra_files(root: &Path, files: &[GeneratedFile]) -> Result<Vec<String>> {
    let expected: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    Ok(existing_files(&root.join(CRDS_DIR))?
        .into_iter()
        .map(|name| format!("{CRDS_DIR}/{name}"))
        .filter(|path| !expected.contains(path.as_str()))
        .collect())
}

/// Names of the entries of `dir` (empty when it does not exist).
fn existing_files(dir: &Path) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(names),
        Err(err) => return Err(err).with_context(|| format!("cannot list {}", dir.display())),
    };
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        names.insert(entry.file_name().to_string_lossy().into_owned());
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn crd(plural: &str) -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": { "name": format!("{plural}.nuvolaris.org") },
            "spec": { "group": "nuvolaris.org", "names": { "plural": plural } },
        })
    }

    fn role() -> Value {
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": { "name": "nuvolaris-operator" },
            "rules": [{ "apiGroups": [""], "resources": ["pods"], "verbs": ["list"] }],
        })
    }

    #[test]
    fn render_has_one_file_per_crd_a_kustomization_listing_them_and_the_cluster_role() {
        let crds = [crd("samples"), crd("whisks")];
        let list = json!({ "apiVersion": "v1", "kind": "List", "items": crds });
        let files = render(&list, &role()).unwrap();
        assert_eq!(files.len(), crds.len() + 2);
        let kustomization = &files[crds.len()];
        assert_eq!(kustomization.path, "crds/kustomization.yaml");
        for (file, crd) in files.iter().zip(&crds) {
            let name = crd["metadata"]["name"].as_str().unwrap();
            assert_eq!(file.path, format!("crds/{name}.yaml"));
            assert!(file.content.starts_with("# Licensed to the Apache Software Foundation"));
            assert!(file.content.contains("do not edit"));
            assert!(kustomization.content.contains(&format!("\n- {name}.yaml\n")));
            let parsed: Value = serde_saphyr::from_str(&file.content).unwrap();
            assert_eq!(&parsed, crd, "{} does not round-trip", file.path);
        }
        let cluster_role = files.last().unwrap();
        assert_eq!(cluster_role.path, CLUSTER_ROLE);
        assert!(cluster_role.content.contains("do not edit"));
        let parsed: Value = serde_saphyr::from_str(&cluster_role.content).unwrap();
        assert_eq!(parsed["rules"], role()["rules"]);
        assert_eq!(parsed["metadata"]["labels"]["app.kubernetes.io/part-of"], "nuvolaris");
    }

    #[test]
    fn render_accepts_a_single_crd_and_rejects_what_is_not_a_cluster_role() {
        let files = render(&crd("samples"), &role()).unwrap();
        assert_eq!(files[0].path, "crds/samples.nuvolaris.org.yaml");
        assert!(render(&crd("samples"), &crd("whisks")).is_err());
    }

    #[rstest]
    #[case::up_to_date(&[("crds/a.yaml", "A")], &[("crds/a.yaml", "A")], &[])]
    #[case::stale(&[("crds/a.yaml", "A")], &[("crds/a.yaml", "B")], &["crds/a.yaml: differs"])]
    #[case::missing(&[("crds/a.yaml", "A")], &[], &["crds/a.yaml: missing"])]
    #[case::extra(&[("crds/a.yaml", "A")], &[("crds/a.yaml", "A"), ("crds/old.yaml", "X")], &["crds/old.yaml: extra file"])]
    #[case::stale_role(&[("crds/a.yaml", "A"), ("x/role.yaml", "R")], &[("crds/a.yaml", "A"), ("x/role.yaml", "hand-edited")], &["x/role.yaml: differs"])]
    #[case::others_beside_the_role_are_not_extra(&[("x/role.yaml", "R")], &[("x/role.yaml", "R"), ("x/other.yaml", "O")], &[])]
    fn check_reports_each_problem(
        #[case] generated: &[(&str, &str)],
        #[case] on_disk: &[(&str, &str)],
        #[case] expected: &[&str],
    ) {
        let root = tempfile::tempdir().unwrap();
        for (path, content) in on_disk {
            let path = root.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, content).unwrap();
        }
        let files: Vec<GeneratedFile> = generated
            .iter()
            .map(|(p, c)| GeneratedFile { path: p.to_string(), content: c.to_string() })
            .collect();
        let problems = check(root.path(), &files).unwrap();
        assert_eq!(problems.len(), expected.len(), "{problems:?}");
        for (problem, start) in problems.iter().zip(expected) {
            assert!(problem.starts_with(start), "{problem:?} should start with {start:?}");
        }
        write(root.path(), &files).unwrap();
        assert!(check(root.path(), &files).unwrap().is_empty());
    }
}
