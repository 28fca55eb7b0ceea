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

//! The installation manifests in `charts-free-kustomize/`: every buildable folder builds with
//! `nuvolaris-operator kustomize` to exactly what `kubectl kustomize` prints, and the built
//! objects hold the properties the install needs (security, probes, RBAC, overlays).
//!
//! kubectl comes from `NUVOLARIS_KUBECTL` (or `PATH`); with `NUVOLARIS_REQUIRE_KUBECTL=1` (as
//! `cargo xtask test` sets) its absence fails the tests. The operator binary comes from
//! `NUVOLARIS_OPERATOR_BIN`, else it is built with cargo.

use rstest::rstest;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use xtask::{diff, paths::workspace_root, toolchain};

/// Every folder of `charts-free-kustomize/` that `kustomize build` accepts.
const BUILDABLE: [&str; 4] = [
    "charts-free-kustomize/operator",
    "charts-free-kustomize/overlays/kind",
    "charts-free-kustomize/overlays/ha",
    "charts-free-kustomize/overlays/monitoring",
];

/// Output of a finished command.
struct Output {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run(program: &Path, args: &[&str]) -> Output {
    let out = Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    Output {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The kubectl to compare with; `None` (with a notice) only when it is not required.
fn kubectl() -> Option<PathBuf> {
    match toolchain::kubectl_for_tests() {
        Some(path) => Some(path),
        None if toolchain::kubectl_required() => panic!(
            "kubectl not found (set {} or put kubectl on PATH) and {}=1",
            toolchain::ENV_KUBECTL,
            toolchain::ENV_REQUIRE_KUBECTL
        ),
        None => {
            eprintln!(
                "NOTICE: kubectl not found: the comparison with kubectl kustomize is not made"
            );
            None
        }
    }
}

/// `kubectl kustomize DIR`, which must succeed.
fn kubectl_build(dir: &str) -> Option<String> {
    let kubectl = kubectl()?;
    let out = run(&kubectl, &["kustomize", dir]);
    assert!(out.ok, "kubectl kustomize {dir} failed:\n{}", out.stderr);
    Some(out.stdout)
}

/// The operator binary, built once for all tests of this file.
fn operator_bin() -> &'static Path {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BIN.get_or_init(|| toolchain::operator_bin().map_err(|e| format!("{e:#}"))) {
        Ok(path) => path,
        Err(err) => panic!("cannot build nuvolaris-operator: {err}"),
    }
}

fn parse(yaml: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(yaml).expect("kustomize output is valid YAML")
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in the build output"))
}

#[rstest]
#[case::operator(BUILDABLE[0])]
#[case::kind(BUILDABLE[1])]
#[case::ha(BUILDABLE[2])]
#[case::monitoring(BUILDABLE[3])]
fn operator_kustomize_matches_kubectl_kustomize(#[case] dir: &str) {
    let ours = run(operator_bin(), &["kustomize", dir]);
    assert!(
        ours.ok,
        "nuvolaris-operator kustomize {dir} failed:\n{}{}",
        ours.stderr, ours.stdout
    );
    assert!(
        !parse(&ours.stdout).is_empty(),
        "nuvolaris-operator kustomize {dir} printed no objects"
    );
    if let Some(expected) = kubectl_build(dir) {
        let diff = diff::unified(
            "kubectl kustomize",
            &expected,
            "nuvolaris-operator kustomize",
            &ours.stdout,
        );
        assert!(diff.is_empty(), "{dir}: the outputs differ:\n{diff}");
    }
}

/// The base: one Namespace, the CRDs, RBAC, a hardened Deployment and the metrics Service.
#[test]
fn operator_base_holds_the_install() {
    let Some(yaml) = kubectl_build(BUILDABLE[0]) else {
        return;
    };
    let docs = parse(&yaml);
    let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"Namespace"), "{kinds:?}");
    let crds = run(operator_bin(), &["crd", "-o", "json"]);
    assert!(crds.ok, "nuvolaris-operator crd failed:\n{}", crds.stderr);
    let crds: Value = serde_json::from_str(&crds.stdout).unwrap();
    for crd in crds["items"].as_array().expect("crd prints a List") {
        let name = crd["metadata"]["name"].as_str().unwrap();
        find(&docs, "CustomResourceDefinition", name);
    }
    for (kind, name) in [
        ("Namespace", "nuvolaris"),
        ("ServiceAccount", "nuvolaris-operator"),
        ("ClusterRole", "nuvolaris-operator"),
        ("ClusterRoleBinding", "nuvolaris-operator"),
        ("Service", "nuvolaris-operator-metrics"),
        ("Deployment", "nuvolaris-operator"),
    ] {
        let doc = find(&docs, kind, name);
        let scoped = !matches!(kind, "Namespace" | "ClusterRole" | "ClusterRoleBinding");
        if scoped {
            assert_eq!(doc["metadata"]["namespace"], "nuvolaris", "{kind} {name}");
        }
    }
    let binding = find(&docs, "ClusterRoleBinding", "nuvolaris-operator");
    assert_eq!(binding["subjects"][0]["namespace"], "nuvolaris");
    assert_eq!(binding["roleRef"]["name"], "nuvolaris-operator");
    let service = find(&docs, "Service", "nuvolaris-operator-metrics");
    assert_eq!(service["spec"]["ports"][0]["name"], "metrics");
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "http");
}

#[test]
fn operator_deployment_is_hardened_and_probed() {
    let Some(yaml) = kubectl_build(BUILDABLE[0]) else {
        return;
    };
    let docs = parse(&yaml);
    let deployment = find(&docs, "Deployment", "nuvolaris-operator");
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "nuvolaris-operator");
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let containers = pod["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    let sc = &c["securityContext"];
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
    assert_eq!(c["ports"][0]["containerPort"], 8080);
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    for probe in ["livenessProbe", "readinessProbe"] {
        assert_eq!(
            c[probe]["httpGet"]["port"], c["ports"][0]["name"],
            "{probe} port"
        );
    }
    for kind in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                c["resources"][kind][resource].is_string(),
                "resources.{kind}.{resource} missing"
            );
        }
    }
    let env = c["env"].as_array().unwrap();
    for (name, path) in [
        ("POD_NAME", "metadata.name"),
        ("POD_NAMESPACE", "metadata.namespace"),
    ] {
        let var = env
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("no env {name}"));
        assert_eq!(
            var["valueFrom"]["fieldRef"]["fieldPath"], path,
            "env {name}"
        );
    }
    let args: Vec<&str> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(args.first(), Some(&"run"), "{args:?}");
    assert!(args.contains(&"--http-addr=0.0.0.0:8080"), "{args:?}");
    assert!(args.contains(&"--leader-elect"), "{args:?}");
}

/// (API group, resource, verb) the reconcilers need; the ClusterRole must grant each and use no `*`.
#[rstest]
#[case::watch_samples("nuvolaris.org", "samples", &["get", "list", "watch", "patch"])]
#[case::sample_status("nuvolaris.org", "samples/status", &["patch"])]
#[case::watch_whisks("nuvolaris.org", "whisks", &["get", "list", "watch", "patch"])]
#[case::whisk_status("nuvolaris.org", "whisks/status", &["patch"])]
#[case::deployments("apps", "deployments", &["get", "list", "watch", "create", "patch", "delete"])]
#[case::statefulsets("apps", "statefulsets", &["get", "list", "watch", "create", "patch", "delete"])]
#[case::services("", "services", &["get", "list", "watch", "create", "patch", "delete"])]
#[case::configmaps("", "configmaps", &["get", "patch"])]
#[case::secrets("", "secrets", &["get", "list", "watch", "create", "patch", "delete"])]
#[case::jobs("batch", "jobs", &["get", "list", "watch", "create", "patch", "delete"])]
#[case::ingresses("networking.k8s.io", "ingresses", &["get", "list", "watch", "create", "patch", "delete"])]
#[case::events("events.k8s.io", "events", &["create", "patch"])]
#[case::leases("coordination.k8s.io", "leases", &["get", "create", "update"])]
#[case::action_pods("", "pods", &["list", "delete"])]
fn cluster_role_grants(#[case] group: &str, #[case] resource: &str, #[case] verbs: &[&str]) {
    let Some(yaml) = kubectl_build(BUILDABLE[0]) else {
        return;
    };
    let docs = parse(&yaml);
    let rules = find(&docs, "ClusterRole", "nuvolaris-operator")["rules"]
        .as_array()
        .unwrap()
        .clone();
    for rule in &rules {
        for field in ["apiGroups", "resources", "verbs"] {
            let values = rule[field].as_array().unwrap();
            assert!(
                !values.iter().any(|v| v == "*"),
                "wildcard in {field}: {rule}"
            );
        }
    }
    let has = |list: &Value, want: &str| list.as_array().unwrap().iter().any(|v| v == want);
    for verb in verbs {
        assert!(
            rules.iter().any(|r| has(&r["apiGroups"], group)
                && has(&r["resources"], resource)
                && has(&r["verbs"], verb)),
            "ClusterRole lacks {verb} on {resource} in group {group:?}"
        );
    }
}

#[rstest]
#[case::kind(BUILDABLE[1], "nuvolaris-operator:dev", Some("Never"), 1, None)]
#[case::ha(BUILDABLE[2], "ghcr.io/nuvolaris/nuvolaris-operator:0.1.0", Some("IfNotPresent"), 2, Some("PodDisruptionBudget"))]
#[case::monitoring(BUILDABLE[3], "ghcr.io/nuvolaris/nuvolaris-operator:0.1.0", Some("IfNotPresent"), 1, Some("ServiceMonitor"))]
fn overlays_change_what_they_say(
    #[case] dir: &str,
    #[case] image: &str,
    #[case] pull_policy: Option<&str>,
    #[case] replicas: u64,
    #[case] extra_kind: Option<&str>,
) {
    let Some(yaml) = kubectl_build(dir) else {
        return;
    };
    let docs = parse(&yaml);
    let deployment = find(&docs, "Deployment", "nuvolaris-operator");
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], image);
    assert_eq!(container["imagePullPolicy"].as_str(), pull_policy);
    assert_eq!(deployment["spec"]["replicas"], replicas);
    let operator_image = container["env"]
        .as_array()
        .and_then(|env| env.iter().find(|e| e["name"] == "OPERATOR_IMAGE"))
        .map(|e| e["value"].clone());
    assert_eq!(
        operator_image,
        Some(Value::from(image)),
        "OPERATOR_IMAGE (the couchdb-init Job's image) must equal the operator image"
    );
    if let Some(kind) = extra_kind {
        let doc = find(&docs, kind, "nuvolaris-operator");
        assert_eq!(doc["metadata"]["namespace"], "nuvolaris");
    }
}

/// Every (API group, resource, verb) a list of RBAC rules grants.
fn grants(rules: &Value) -> BTreeSet<(String, String, String)> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = BTreeSet::new();
    for rule in rules.as_array().expect("rules is a list") {
        for group in strings(&rule["apiGroups"]) {
            for resource in strings(&rule["resources"]) {
                for verb in strings(&rule["verbs"]) {
                    out.insert((group.clone(), resource.clone(), verb));
                }
            }
        }
    }
    out
}

/// The committed ClusterRole grants exactly what `nuvolaris-operator rbac` derives from the
/// registered reconcilers: nothing missing (Forbidden at run time), nothing extra.
#[test]
fn cluster_role_equals_what_the_registered_reconcilers_need() {
    let path = workspace_root().join("charts-free-kustomize/operator/cluster-role.yaml");
    let committed: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let out = run(operator_bin(), &["rbac"]);
    assert!(out.ok, "nuvolaris-operator rbac failed:\n{}", out.stderr);
    let derived: Value =
        serde_saphyr::from_str(&out.stdout).expect("rbac prints one YAML document");
    assert_eq!(derived["kind"], "ClusterRole");
    let (want, have) = (grants(&derived["rules"]), grants(&committed["rules"]));
    let missing: Vec<_> = want.difference(&have).collect();
    let extra: Vec<_> = have.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} differs from `nuvolaris-operator rbac`:\n  missing (group, resource, verb): {missing:?}\n  not needed: {extra:?}",
        path.display()
    );
}
