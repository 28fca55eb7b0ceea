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

//! `cargo xtask new-reconciler <name> --kind <Kind>`: scaffolds a working reconciler crate under
//! `crates/reconcilers/<name>`, the way `kubebuilder create api` does, and registers it.
//!
//! The crate holds the typed CRD (`nuvolaris.org/v1`, with status and conditions), a kustomize
//! base, a `Reconciler` that renders the base with an overlay computed from the spec and reports
//! status, a unit test, an integration test on the embedded API server and an example resource.
//! Outside the crate the command writes two lines: the dependency in
//! `crates/nuvolaris-operator/Cargo.toml` and the registration in
//! `crates/nuvolaris-operator/src/reconcilers.rs` (the workspace `members` take
//! `crates/reconcilers/*`). The templates are in `xtask/templates/reconciler/`, one place to
//! follow the runtime's API.

use crate::paths;
use anyhow::{bail, Context, Result};
use std::fs;
use std::path::Path;

/// Arguments of `cargo xtask new-reconciler`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Reconciler name: lowercase letters, digits and `-` (the crate is `nuvolaris-reconciler-<name>`).
    pub name: String,
    /// Kind of its custom resource, in UpperCamelCase (e.g. `Redis`).
    #[arg(long)]
    pub kind: String,
}

/// Folder of the reconciler crates, from the workspace root.
pub const RECONCILERS_DIR: &str = "crates/reconcilers";
/// The operator's manifest, which gets the dependency line.
pub const OPERATOR_MANIFEST: &str = "crates/nuvolaris-operator/Cargo.toml";
/// The static list of reconcilers, which gets the registration line.
pub const REGISTRY: &str = "crates/nuvolaris-operator/src/reconcilers.rs";

/// The template files: path in the new crate (after dropping `.tmpl`) and text.
const TEMPLATES: [(&str, &str); 6] = [
    ("Cargo.toml", include_str!("../templates/reconciler/Cargo.toml.tmpl")),
    ("src/lib.rs", include_str!("../templates/reconciler/src/lib.rs.tmpl")),
    ("tests/reconcile.rs", include_str!("../templates/reconciler/tests/reconcile.rs.tmpl")),
    (
        "manifests/base/kustomization.yaml",
        include_str!("../templates/reconciler/manifests/base/kustomization.yaml.tmpl"),
    ),
    (
        "manifests/base/configmap.yaml",
        include_str!("../templates/reconciler/manifests/base/configmap.yaml.tmpl"),
    ),
    ("example.yaml", include_str!("../templates/reconciler/example.yaml.tmpl")),
];

/// The names a scaffold is written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// `{{name}}`: the reconciler name, e.g. `redis-cache`.
    pub name: String,
    /// `{{Kind}}`: e.g. `RedisCache`.
    pub kind: String,
    /// `{{plural}}`: the resource plural, e.g. `rediscaches`.
    pub plural: String,
    /// `{{crate_suffix}}`: the name as a Rust identifier, e.g. `redis_cache`.
    pub crate_suffix: String,
    /// `{{snake}}`: the kind in snake_case, e.g. `redis_cache`.
    pub snake: String,
}

impl Names {
    /// Checks `name` and `kind` and derives the other names.
    pub fn new(name: &str, kind: &str) -> Result<Self> {
        let name_ok = name.starts_with(|c: char| c.is_ascii_lowercase())
            && !name.ends_with('-')
            && !name.contains("--")
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !name_ok {
            bail!("reconciler name {name:?}: use lowercase letters, digits and single dashes, starting with a letter");
        }
        let kind_ok = kind.starts_with(|c: char| c.is_ascii_uppercase())
            && kind.chars().all(|c| c.is_ascii_alphanumeric());
        if !kind_ok {
            bail!("kind {kind:?}: use UpperCamelCase letters and digits, e.g. RedisCache");
        }
        let mut snake = String::new();
        for (i, c) in kind.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        }
        Ok(Self {
            name: name.to_string(),
            kind: kind.to_string(),
            plural: plural(&kind.to_ascii_lowercase()),
            crate_suffix: name.replace('-', "_"),
            snake,
        })
    }

    /// `text` with every placeholder replaced.
    pub fn fill(&self, text: &str) -> String {
        text.replace("{{name}}", &self.name)
            .replace("{{Kind}}", &self.kind)
            .replace("{{plural}}", &self.plural)
            .replace("{{crate_suffix}}", &self.crate_suffix)
            .replace("{{snake}}", &self.snake)
    }
}

/// English plural of a lowercase kind, as Kubernetes resources are named.
pub fn plural(kind: &str) -> String {
    let consonant_y = kind.ends_with('y')
        && !kind[..kind.len() - 1].ends_with(|c: char| "aeiou".contains(c));
    if consonant_y {
        format!("{}ies", &kind[..kind.len() - 1])
    } else if ["s", "x", "z", "ch", "sh"].iter().any(|e| kind.ends_with(e)) {
        format!("{kind}es")
    } else {
        format!("{kind}s")
    }
}

/// Runs `cargo xtask new-reconciler`.
pub fn run(args: Args) -> Result<()> {
    let names = Names::new(&args.name, &args.kind)?;
    let root = paths::workspace_root();
    scaffold(&root, &names)?;
    println!(
        "created {RECONCILERS_DIR}/{name} and registered it in {REGISTRY}\n\n\
         next:\n  \
         cargo xtask crdgen    # crds/ and the ClusterRole now include {kind}\n  \
         cargo test -p nuvolaris-reconciler-{name}\n\
         then edit the spec and status, manifests/base/, overlay(), compute_status() and\n\
         child_kinds() in {RECONCILERS_DIR}/{name}/src/lib.rs",
        name = names.name,
        kind = names.kind,
    );
    Ok(())
}

/// Writes the crate for `names` under `root` and its two lines outside it.
pub fn scaffold(root: &Path, names: &Names) -> Result<()> {
    let dir = root.join(RECONCILERS_DIR).join(&names.name);
    if dir.exists() {
        bail!("{} exists already", dir.display());
    }
    let manifest_path = root.join(OPERATOR_MANIFEST);
    let registry_path = root.join(REGISTRY);
    let read = |p: &Path| fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()));
    // compute every edit before writing anything, so a failure leaves the workspace untouched
    let manifest = add_dependency(&read(&manifest_path)?, names)?;
    let registry = add_registration(&read(&registry_path)?, names)?;
    for (path, template) in TEMPLATES {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        fs::write(&path, names.fill(template)).with_context(|| format!("cannot write {}", path.display()))?;
    }
    fs::write(&manifest_path, manifest).with_context(|| format!("cannot write {}", manifest_path.display()))?;
    fs::write(&registry_path, registry).with_context(|| format!("cannot write {}", registry_path.display()))?;
    // line widths depend on the names: let rustfmt lay the code out as `cargo fmt --check` wants
    let mut fmt = paths::cargo_command();
    fmt.current_dir(root)
        .args(["fmt", "-p", &format!("nuvolaris-reconciler-{}", names.name)]);
    if let Err(err) = crate::toolchain::run(&mut fmt) {
        eprintln!("warning: the new crate is not formatted ({err:#}); run `cargo fmt`");
    }
    Ok(())
}

/// Inserts `line` after the last line of `text` that `is_anchor` accepts.
fn insert_after_last(text: &str, line: &str, is_anchor: impl Fn(&str) -> bool, what: &str) -> Result<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(at) = lines.iter().rposition(|l| is_anchor(l.trim())) else {
        bail!("no {what} found to add the new one after");
    };
    let mut out = String::with_capacity(text.len() + line.len() + 1);
    for (i, l) in lines.iter().enumerate() {
        out.push_str(l);
        if i == at {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(out)
}

/// The operator manifest with the new crate as a dependency, after the other reconcilers.
pub fn add_dependency(manifest: &str, names: &Names) -> Result<String> {
    let package = format!("nuvolaris-reconciler-{}", names.name);
    if manifest.lines().any(|l| l.trim_start().starts_with(&format!("{package} "))) {
        bail!("{OPERATOR_MANIFEST} already depends on {package}");
    }
    let line = format!("{package} = {{ path = \"../reconcilers/{}\" }}", names.name);
    insert_after_last(manifest, &line, |l| l.starts_with("nuvolaris-reconciler-"), "nuvolaris-reconciler-* dependency")
}

/// The list of reconcilers with the new registration, after the others.
pub fn add_registration(registry: &str, names: &Names) -> Result<String> {
    let call = format!("nuvolaris_reconciler_{}::registration(),", names.crate_suffix);
    if registry.contains(&call) {
        bail!("{REGISTRY} already registers nuvolaris_reconciler_{}", names.crate_suffix);
    }
    insert_after_last(
        registry,
        &format!("        {call}"),
        |l| l.starts_with("nuvolaris_reconciler_") && l.ends_with("::registration(),"),
        "registration line",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::one_word("redis", "Redis", "redises", "redis", "redis")]
    #[case::dashed("redis-cache", "RedisCache", "rediscaches", "redis_cache", "redis_cache")]
    #[case::consonant_y("policy", "Policy", "policies", "policy", "policy")]
    #[case::vowel_y("gateway", "Gateway", "gateways", "gateway", "gateway")]
    #[case::plain("store", "ObjectStore", "objectstores", "store", "object_store")]
    fn names_are_derived(
        #[case] name: &str,
        #[case] kind: &str,
        #[case] plural: &str,
        #[case] crate_suffix: &str,
        #[case] snake: &str,
    ) {
        let n = Names::new(name, kind).unwrap();
        assert_eq!(
            (n.plural.as_str(), n.crate_suffix.as_str(), n.snake.as_str()),
            (plural, crate_suffix, snake)
        );
    }

    #[rstest]
    #[case::upper_name("Redis", "Redis")]
    #[case::leading_digit("1redis", "Redis")]
    #[case::trailing_dash("redis-", "Redis")]
    #[case::underscore("redis_cache", "Redis")]
    #[case::lower_kind("redis", "redis")]
    #[case::dashed_kind("redis", "Redis-Cache")]
    fn bad_names_are_rejected(#[case] name: &str, #[case] kind: &str) {
        assert!(Names::new(name, kind).is_err());
    }

    #[test]
    fn every_placeholder_of_every_template_is_filled() {
        let names = Names::new("redis-cache", "RedisCache").unwrap();
        for (path, template) in TEMPLATES {
            let text = names.fill(template);
            assert!(!text.contains("{{"), "{path}: placeholder left in {text}");
            assert!(text.contains("Licensed to the Apache Software Foundation"), "{path}: no license header");
        }
    }

    #[test]
    fn the_dependency_goes_after_the_other_reconcilers() {
        let manifest = "[dependencies]\nnuvolaris-runtime = { workspace = true }\nnuvolaris-reconciler-a = { workspace = true }\nnuvolaris-reconciler-b = { workspace = true }\nkube = { workspace = true }\n";
        let names = Names::new("redis", "Redis").unwrap();
        let out = add_dependency(manifest, &names).unwrap();
        assert_eq!(
            out,
            "[dependencies]\nnuvolaris-runtime = { workspace = true }\nnuvolaris-reconciler-a = { workspace = true }\nnuvolaris-reconciler-b = { workspace = true }\nnuvolaris-reconciler-redis = { path = \"../reconcilers/redis\" }\nkube = { workspace = true }\n"
        );
        assert!(add_dependency(&out, &names).is_err(), "added twice");
        assert!(add_dependency("[dependencies]\n", &names).is_err());
    }

    #[test]
    fn the_registration_goes_after_the_others() {
        let registry = "pub fn registry() -> Vec<Arc<dyn Registration>> {\n    vec![\n        nuvolaris_reconciler_a::registration(),\n        nuvolaris_reconciler_b::registration(),\n    ]\n}\n";
        let names = Names::new("redis-cache", "RedisCache").unwrap();
        let out = add_registration(registry, &names).unwrap();
        assert_eq!(
            out,
            "pub fn registry() -> Vec<Arc<dyn Registration>> {\n    vec![\n        nuvolaris_reconciler_a::registration(),\n        nuvolaris_reconciler_b::registration(),\n        nuvolaris_reconciler_redis_cache::registration(),\n    ]\n}\n"
        );
        assert!(add_registration(&out, &names).is_err(), "added twice");
    }

    #[test]
    fn the_real_operator_files_take_both_lines() {
        let root = paths::workspace_root();
        let names = Names::new("redis", "Redis").unwrap();
        let manifest = fs::read_to_string(root.join(OPERATOR_MANIFEST)).unwrap();
        let registry = fs::read_to_string(root.join(REGISTRY)).unwrap();
        assert_eq!(add_dependency(&manifest, &names).unwrap().lines().count(), manifest.lines().count() + 1);
        assert_eq!(add_registration(&registry, &names).unwrap().lines().count(), registry.lines().count() + 1);
    }

    #[test]
    fn an_existing_crate_is_not_overwritten() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join(RECONCILERS_DIR).join("redis")).unwrap();
        let err = scaffold(root.path(), &Names::new("redis", "Redis").unwrap()).unwrap_err();
        assert!(err.to_string().contains("exists already"), "{err}");
    }
}
