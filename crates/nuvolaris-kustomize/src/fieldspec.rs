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

//! Field specs (which field of which kinds a transformer touches), the walker that visits
//! them, and the default transformer configuration of kustomize v5 (name references,
//! label/annotation fields, namespace fields, var references).

use crate::error::Error;
use crate::resid::Gvk;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::{Arc, OnceLock};

/// A field path selected by kind (kustomize `types.FieldSpec`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "RawFieldSpec")]
pub struct FieldSpec {
    /// Kinds the spec applies to (blank fields match everything).
    pub gvk: Gvk,
    /// The path as written (`spec/template/metadata/labels`).
    pub path: String,
    /// The path split into field names.
    pub segs: Vec<String>,
    /// Create missing fields along the path.
    pub create: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFieldSpec {
    #[serde(default)]
    group: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    create: bool,
}

impl From<RawFieldSpec> for FieldSpec {
    fn from(r: RawFieldSpec) -> Self {
        FieldSpec::new(&r.group, &r.version, &r.kind, &r.path, r.create)
    }
}

impl FieldSpec {
    /// Builds a field spec.
    pub fn new(group: &str, version: &str, kind: &str, path: &str, create: bool) -> Self {
        FieldSpec {
            gvk: Gvk {
                group: group.into(),
                version: version.into(),
                kind: kind.into(),
            },
            path: path.into(),
            segs: split_path(path),
            create,
        }
    }

    /// True when the spec applies to resources of `gvk`.
    pub fn applies_to(&self, gvk: &Gvk) -> bool {
        gvk.is_selected(&self.gvk)
    }
}

/// Splits a `/`-separated field path; `\/` escapes a slash, `[]` suffixes are dropped.
pub fn split_path(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'/') => {
                cur.push('/');
                chars.next();
            }
            '/' => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    // a `[]` suffix (kept) marks a sequence, which the walker never creates
    out.into_iter()
        .filter(|s| !s.is_empty() && s != "[]")
        .collect()
}

/// Callback of [`walk`]: the parent map and the key of a visited field.
pub type Visit<'a> = dyn FnMut(&mut Map<String, Value>, &str) -> Result<(), Error> + 'a;

/// Visits the parent map and key of every field at `segs` inside `node`; sequences along the
/// way are entered element by element; missing maps are created when `create` is set.
pub fn walk(
    node: &mut Value,
    segs: &[String],
    create: bool,
    f: &mut Visit<'_>,
) -> Result<(), Error> {
    match node {
        Value::Array(items) => {
            for it in items {
                walk(it, segs, create, f)?;
            }
            Ok(())
        }
        Value::Object(map) => {
            let Some((first, rest)) = segs.split_first() else {
                return Ok(());
            };
            let (first, is_seq) = match first.strip_suffix("[]") {
                Some(name) => (name, true),
                None => (first.as_str(), false),
            };
            if rest.is_empty() {
                return f(map, first);
            }
            match map.get_mut(first) {
                Some(v) if !v.is_null() => walk(v, rest, create, f),
                _ if create && !is_seq => {
                    let v = map.entry(first.to_string()).or_insert(Value::Null);
                    *v = Value::Object(Map::new());
                    walk(v, rest, create, f)
                }
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// Callback of [`walk_with_path`]: parent map, key, and the JSON pointer of the parent map.
pub type VisitPath<'a> = dyn FnMut(&mut Map<String, Value>, &str, &str) -> Result<(), Error> + 'a;

/// Like [`walk`], also passing the JSON pointer of the visited parent map.
pub fn walk_with_path(
    node: &mut Value,
    segs: &[String],
    create: bool,
    path: &mut String,
    f: &mut VisitPath<'_>,
) -> Result<(), Error> {
    match node {
        Value::Array(items) => {
            for (i, it) in items.iter_mut().enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                walk_with_path(it, segs, create, path, f)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => {
            let Some((first, rest)) = segs.split_first() else {
                return Ok(());
            };
            let (first, is_seq) = match first.strip_suffix("[]") {
                Some(name) => (name, true),
                None => (first.as_str(), false),
            };
            if rest.is_empty() {
                return f(map, first, path);
            }
            let len = path.len();
            path.push('/');
            path.push_str(&pointer_escape(first));
            let out = match map.get_mut(first) {
                Some(v) if !v.is_null() => walk_with_path(v, rest, create, path, f),
                _ if create && !is_seq => {
                    let v = map.entry(first.to_string()).or_insert(Value::Null);
                    *v = Value::Object(Map::new());
                    walk_with_path(v, rest, create, path, f)
                }
                _ => Ok(()),
            };
            path.truncate(len);
            out
        }
        _ => Ok(()),
    }
}

/// Escapes a key for a JSON pointer (`~` and `/`).
pub fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The field specs each built-in transformer uses (kustomize `builtinconfig.TransformerConfig`).
#[derive(Debug, Clone, Default)]
pub struct TransformerConfig {
    /// Fields namePrefix applies to.
    pub name_prefix: Vec<FieldSpec>,
    /// Fields nameSuffix applies to.
    pub name_suffix: Vec<FieldSpec>,
    /// Fields the namespace transformer sets.
    pub namespace: Vec<FieldSpec>,
    /// Fields commonLabels sets (metadata, selectors, templates).
    pub common_labels: Vec<FieldSpec>,
    /// Pod template label fields (`labels[].includeTemplates`).
    pub template_labels: Vec<FieldSpec>,
    /// Fields commonAnnotations sets.
    pub common_annotations: Vec<FieldSpec>,
    /// Name references: which fields of which kinds refer to resources of a kind.
    pub name_reference: Vec<NameBackRef>,
    /// Fields where `$(VAR)` is expanded.
    pub var_reference: Vec<FieldSpec>,
    /// Image fields.
    pub images: Vec<FieldSpec>,
    /// Replica count fields.
    pub replicas: Vec<FieldSpec>,
}

/// The referrer fields of one referral kind.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "RawBackRef")]
pub struct NameBackRef {
    /// The kind referred to.
    pub gvk: Gvk,
    /// Fields that hold its name.
    pub field_specs: Vec<FieldSpec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBackRef {
    #[serde(default)]
    group: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    field_specs: Vec<FieldSpec>,
}

impl From<RawBackRef> for NameBackRef {
    fn from(r: RawBackRef) -> Self {
        NameBackRef {
            gvk: Gvk {
                group: r.group,
                version: r.version,
                kind: r.kind,
            },
            field_specs: r.field_specs,
        }
    }
}

/// A transformer configuration file (`configurations:` entry).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigFile {
    #[serde(default)]
    name_prefix: Vec<FieldSpec>,
    #[serde(default)]
    name_suffix: Vec<FieldSpec>,
    #[serde(default)]
    namespace: Vec<FieldSpec>,
    #[serde(default)]
    common_labels: Vec<FieldSpec>,
    #[serde(default)]
    template_labels: Vec<FieldSpec>,
    #[serde(default)]
    common_annotations: Vec<FieldSpec>,
    #[serde(default)]
    name_reference: Vec<NameBackRef>,
    #[serde(default)]
    var_reference: Vec<FieldSpec>,
    #[serde(default)]
    images: Vec<FieldSpec>,
    #[serde(default)]
    replicas: Vec<FieldSpec>,
}

fn merge_specs(into: &mut Vec<FieldSpec>, from: &[FieldSpec]) {
    for fs in from {
        if !into.iter().any(|x| x.gvk == fs.gvk && x.path == fs.path) {
            into.push(fs.clone());
        }
    }
}

impl TransformerConfig {
    /// Kustomize's built-in default configuration (shared, built once).
    pub fn default_config() -> Arc<TransformerConfig> {
        static CFG: OnceLock<Arc<TransformerConfig>> = OnceLock::new();
        CFG.get_or_init(|| Arc::new(build_default())).clone()
    }

    /// Parses a `configurations:` file and merges it in.
    pub fn merge_file(&mut self, doc: Value, file: &str) -> Result<(), Error> {
        let cf: ConfigFile = serde_json::from_value(doc)
            .map_err(|e| Error::build(format!("invalid transformer configuration {file}: {e}")))?;
        let other = TransformerConfig {
            name_prefix: cf.name_prefix,
            name_suffix: cf.name_suffix,
            namespace: cf.namespace,
            common_labels: cf.common_labels,
            template_labels: cf.template_labels,
            common_annotations: cf.common_annotations,
            name_reference: cf.name_reference,
            var_reference: cf.var_reference,
            images: cf.images,
            replicas: cf.replicas,
        };
        self.merge(&other);
        Ok(())
    }

    /// Merges another configuration into this one (union of field specs).
    pub fn merge(&mut self, o: &TransformerConfig) {
        merge_specs(&mut self.name_prefix, &o.name_prefix);
        merge_specs(&mut self.name_suffix, &o.name_suffix);
        merge_specs(&mut self.namespace, &o.namespace);
        merge_specs(&mut self.common_labels, &o.common_labels);
        merge_specs(&mut self.template_labels, &o.template_labels);
        merge_specs(&mut self.common_annotations, &o.common_annotations);
        merge_specs(&mut self.var_reference, &o.var_reference);
        merge_specs(&mut self.images, &o.images);
        merge_specs(&mut self.replicas, &o.replicas);
        for br in &o.name_reference {
            match self.name_reference.iter_mut().find(|x| x.gvk == br.gvk) {
                Some(x) => merge_specs(&mut x.field_specs, &br.field_specs),
                None => self.name_reference.push(br.clone()),
            }
        }
    }
}

/// Where the pod spec lives in each workload kind: (group, version, kind, prefix).
const POD_HOLDERS: &[(&str, &str, &str, &str)] = &[
    ("", "v1", "Pod", "spec"),
    ("", "", "PodTemplate", "template/spec"),
    ("", "", "Deployment", "spec/template/spec"),
    ("", "", "ReplicaSet", "spec/template/spec"),
    ("", "", "DaemonSet", "spec/template/spec"),
    ("", "", "StatefulSet", "spec/template/spec"),
    ("", "", "Job", "spec/template/spec"),
    ("", "", "CronJob", "spec/jobTemplate/spec/template/spec"),
];

/// Workloads whose pod spec carries service accounts, claims and priority classes.
const POD_HOLDERS_2: &[(&str, &str)] = &[
    ("Pod", "spec"),
    ("StatefulSet", "spec/template/spec"),
    ("Deployment", "spec/template/spec"),
    ("ReplicationController", "spec/template/spec"),
    ("CronJob", "spec/jobTemplate/spec/template/spec"),
    ("Job", "spec/template/spec"),
    ("DaemonSet", "spec/template/spec"),
];

fn fs(group: &str, version: &str, kind: &str, path: &str, create: bool) -> FieldSpec {
    FieldSpec::new(group, version, kind, path, create)
}

fn backref(group: &str, version: &str, kind: &str, specs: Vec<FieldSpec>) -> NameBackRef {
    NameBackRef {
        gvk: Gvk {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
        },
        field_specs: specs,
    }
}

fn pod_refs(suffixes: &[&str]) -> Vec<FieldSpec> {
    let mut v = Vec::new();
    for (g, ver, k, prefix) in POD_HOLDERS {
        for s in suffixes {
            v.push(fs(g, ver, k, &format!("{prefix}/{s}"), false));
        }
    }
    v
}

fn pod_refs_2(suffix: &str) -> Vec<FieldSpec> {
    POD_HOLDERS_2
        .iter()
        .map(|(k, p)| fs("", "", k, &format!("{p}/{suffix}"), false))
        .collect()
}

fn build_default() -> TransformerConfig {
    let workloads_template = [
        "ReplicationController",
        "Deployment",
        "ReplicaSet",
        "DaemonSet",
        "StatefulSet",
    ];

    // commonLabels: metadata, selectors, templates
    let mut common_labels = vec![
        fs("", "v1", "Service", "spec/selector", true),
        fs("", "v1", "ReplicationController", "spec/selector", true),
        fs("", "", "Deployment", "spec/selector/matchLabels", true),
        fs("", "", "ReplicaSet", "spec/selector/matchLabels", true),
        fs("", "", "DaemonSet", "spec/selector/matchLabels", true),
        fs("apps", "", "StatefulSet", "spec/selector/matchLabels", true),
        fs("batch", "", "Job", "spec/selector/matchLabels", false),
        fs(
            "batch",
            "",
            "CronJob",
            "spec/jobTemplate/spec/selector/matchLabels",
            false,
        ),
        fs(
            "policy",
            "",
            "PodDisruptionBudget",
            "spec/selector/matchLabels",
            false,
        ),
        fs(
            "networking.k8s.io",
            "",
            "NetworkPolicy",
            "spec/podSelector/matchLabels",
            false,
        ),
        fs(
            "networking.k8s.io",
            "",
            "NetworkPolicy",
            "spec/ingress/from/podSelector/matchLabels",
            false,
        ),
        fs(
            "networking.k8s.io",
            "",
            "NetworkPolicy",
            "spec/egress/to/podSelector/matchLabels",
            false,
        ),
    ];
    for k in ["Deployment", "StatefulSet"] {
        for aff in ["podAffinity", "podAntiAffinity"] {
            common_labels.push(fs(
                "apps",
                "",
                k,
                &format!("spec/template/spec/affinity/{aff}/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels"),
                false,
            ));
            common_labels.push(fs(
                "apps",
                "",
                k,
                &format!("spec/template/spec/affinity/{aff}/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels"),
                false,
            ));
        }
        common_labels.push(fs(
            "apps",
            "",
            k,
            "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
            false,
        ));
    }
    let template_labels = vec![
        fs(
            "",
            "v1",
            "ReplicationController",
            "spec/template/metadata/labels",
            true,
        ),
        fs("", "", "Deployment", "spec/template/metadata/labels", true),
        fs("", "", "ReplicaSet", "spec/template/metadata/labels", true),
        fs("", "", "DaemonSet", "spec/template/metadata/labels", true),
        fs(
            "apps",
            "",
            "StatefulSet",
            "spec/template/metadata/labels",
            true,
        ),
        fs(
            "apps",
            "",
            "StatefulSet",
            "spec/volumeClaimTemplates[]/metadata/labels",
            true,
        ),
        fs("batch", "", "Job", "spec/template/metadata/labels", true),
        fs(
            "batch",
            "",
            "CronJob",
            "spec/jobTemplate/metadata/labels",
            true,
        ),
        fs(
            "batch",
            "",
            "CronJob",
            "spec/jobTemplate/spec/template/metadata/labels",
            true,
        ),
    ];
    common_labels.push(fs("", "", "", "metadata/labels", true));
    merge_specs(&mut common_labels, &template_labels.clone());

    let mut common_annotations = vec![fs("", "", "", "metadata/annotations", true)];
    common_annotations.push(fs(
        "",
        "v1",
        "ReplicationController",
        "spec/template/metadata/annotations",
        true,
    ));
    for k in &workloads_template[1..] {
        common_annotations.push(fs("", "", k, "spec/template/metadata/annotations", true));
    }
    common_annotations.push(fs(
        "batch",
        "",
        "Job",
        "spec/template/metadata/annotations",
        true,
    ));
    common_annotations.push(fs(
        "batch",
        "",
        "CronJob",
        "spec/jobTemplate/metadata/annotations",
        true,
    ));
    common_annotations.push(fs(
        "batch",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/metadata/annotations",
        true,
    ));

    let namespace = vec![
        fs("", "", "", "metadata/namespace", true),
        fs("", "v1", "Namespace", "metadata/name", true),
        fs(
            "apiregistration.k8s.io",
            "",
            "APIService",
            "spec/service/namespace",
            true,
        ),
        fs(
            "apiextensions.k8s.io",
            "",
            "CustomResourceDefinition",
            "spec/conversion/webhook/clientConfig/service/namespace",
            false,
        ),
    ];

    // name references
    let scale = |k: &str| {
        backref(
            "",
            "",
            k,
            vec![fs(
                "",
                "",
                "HorizontalPodAutoscaler",
                "spec/scaleTargetRef/name",
                false,
            )],
        )
    };
    let mut cm = pod_refs(&[
        "volumes/configMap/name",
        "containers/env/valueFrom/configMapKeyRef/name",
        "initContainers/env/valueFrom/configMapKeyRef/name",
        "containers/envFrom/configMapRef/name",
        "initContainers/envFrom/configMapRef/name",
        "volumes/projected/sources/configMap/name",
    ]);
    cm.extend([
        fs("", "", "Node", "spec/configSource/configMap", false),
        fs("", "", "Role", "rules/resourceNames", false),
        fs("", "", "ClusterRole", "rules/resourceNames", false),
        fs(
            "",
            "",
            "Ingress",
            "metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap",
            false,
        ),
    ]);
    let mut secret = pod_refs(&[
        "volumes/secret/secretName",
        "containers/env/valueFrom/secretKeyRef/name",
        "initContainers/env/valueFrom/secretKeyRef/name",
        "containers/envFrom/secretRef/name",
        "initContainers/envFrom/secretRef/name",
        "imagePullSecrets/name",
        "volumes/projected/sources/secret/name",
    ]);
    secret.extend([
        fs("", "", "Ingress", "spec/tls/secretName", false),
        fs(
            "",
            "",
            "Ingress",
            "metadata/annotations/ingress.kubernetes.io\\/auth-secret",
            false,
        ),
        fs(
            "",
            "",
            "Ingress",
            "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret",
            false,
        ),
        fs(
            "",
            "",
            "Ingress",
            "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret",
            false,
        ),
        fs("", "", "ServiceAccount", "imagePullSecrets/name", false),
        fs("", "", "StorageClass", "parameters/secretName", false),
        fs("", "", "StorageClass", "parameters/adminSecretName", false),
        fs("", "", "StorageClass", "parameters/userSecretName", false),
        fs("", "", "StorageClass", "parameters/secretRef", false),
        fs("", "", "Role", "rules/resourceNames", false),
        fs("", "", "ClusterRole", "rules/resourceNames", false),
        fs(
            "serving.knative.dev",
            "v1",
            "Service",
            "spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
            false,
        ),
        fs(
            "",
            "",
            "PersistentVolume",
            "spec/azureFile/secretName",
            false,
        ),
    ]);
    let service = vec![
        fs("apps", "", "StatefulSet", "spec/serviceName", false),
        fs(
            "",
            "",
            "Ingress",
            "spec/rules/http/paths/backend/serviceName",
            false,
        ),
        fs("", "", "Ingress", "spec/backend/serviceName", false),
        fs(
            "",
            "",
            "Ingress",
            "spec/rules/http/paths/backend/service/name",
            false,
        ),
        fs("", "", "Ingress", "spec/defaultBackend/service/name", false),
        fs(
            "apiregistration.k8s.io",
            "",
            "APIService",
            "spec/service/name",
            false,
        ),
        fs(
            "admissionregistration.k8s.io",
            "",
            "ValidatingWebhookConfiguration",
            "webhooks/clientConfig/service",
            false,
        ),
        fs(
            "admissionregistration.k8s.io",
            "",
            "MutatingWebhookConfiguration",
            "webhooks/clientConfig/service",
            false,
        ),
        fs("", "", "HTTPRoute", "spec/rules/backendRefs/name", false),
    ];
    let rbac = "rbac.authorization.k8s.io";
    let mut sa = vec![
        fs(rbac, "", "RoleBinding", "subjects", false),
        fs(rbac, "", "ClusterRoleBinding", "subjects", false),
    ];
    sa.extend(pod_refs_2("serviceAccountName"));
    let mut pv_refs = vec![fs(
        "",
        "",
        "PersistentVolumeClaim",
        "spec/volumeName",
        false,
    )];
    pv_refs.push(fs("", "", "ClusterRole", "rules/resourceNames", false));
    let name_reference = vec![
        scale("Deployment"),
        scale("ReplicationController"),
        scale("ReplicaSet"),
        scale("StatefulSet"),
        backref("", "v1", "ConfigMap", cm),
        backref("", "v1", "Secret", secret),
        backref("", "v1", "Service", service),
        backref(
            rbac,
            "",
            "Role",
            vec![fs(rbac, "", "RoleBinding", "roleRef/name", false)],
        ),
        backref(
            rbac,
            "",
            "ClusterRole",
            vec![
                fs(rbac, "", "RoleBinding", "roleRef/name", false),
                fs(rbac, "", "ClusterRoleBinding", "roleRef/name", false),
            ],
        ),
        backref("", "v1", "ServiceAccount", sa),
        backref(
            "",
            "v1",
            "PersistentVolumeClaim",
            pod_refs_2("volumes/persistentVolumeClaim/claimName"),
        ),
        backref("", "v1", "PersistentVolume", pv_refs),
        backref(
            "storage.k8s.io",
            "v1",
            "StorageClass",
            vec![
                fs("", "", "PersistentVolume", "spec/storageClassName", false),
                fs(
                    "",
                    "",
                    "PersistentVolumeClaim",
                    "spec/storageClassName",
                    false,
                ),
                fs(
                    "",
                    "",
                    "StatefulSet",
                    "spec/volumeClaimTemplates/spec/storageClassName",
                    false,
                ),
            ],
        ),
        backref(
            "scheduling.k8s.io",
            "v1",
            "PriorityClass",
            pod_refs_2("priorityClassName"),
        ),
        backref(
            "networking.k8s.io/v1",
            "v1",
            "IngressClass",
            vec![fs("", "", "Ingress", "spec/ingressClassName", false)],
        ),
    ];

    // var references
    let mut var_reference = Vec::new();
    for (k, p) in [
        ("CronJob", "spec/jobTemplate/spec/template/spec"),
        ("DaemonSet", "spec/template/spec"),
        ("Deployment", "spec/template/spec"),
        ("Job", "spec/template/spec"),
        ("Pod", "spec"),
        ("ReplicaSet", "spec/template/spec"),
        ("StatefulSet", "spec/template/spec"),
    ] {
        for c in ["containers", "initContainers"] {
            for f in ["args", "command", "env/value", "volumeMounts/mountPath"] {
                var_reference.push(fs("", "", k, &format!("{p}/{c}/{f}"), false));
            }
        }
        if k != "StatefulSet" {
            var_reference.push(fs("", "", k, &format!("{p}/volumes/nfs/server"), false));
        }
    }
    var_reference.extend([
        fs("", "", "Ingress", "spec/rules/host", false),
        fs("", "", "Ingress", "spec/tls/hosts", false),
        fs("", "", "Ingress", "spec/tls/secretName", false),
        fs("", "", "Service", "spec/ports/port", false),
        fs("", "", "Service", "spec/ports/targetPort", false),
        fs(
            "",
            "",
            "StatefulSet",
            "spec/volumeClaimTemplates/spec/nfs/server",
            false,
        ),
        fs("", "", "PersistentVolume", "spec/nfs/server", false),
        fs("", "", "", "metadata/labels", false),
        fs("", "", "", "metadata/annotations", false),
    ]);

    let images = vec![
        fs("", "", "", "spec/containers/image", false),
        fs("", "", "", "spec/initContainers/image", false),
        fs("", "", "", "spec/template/spec/containers/image", false),
        fs("", "", "", "spec/template/spec/initContainers/image", false),
    ];
    let replicas = [
        "Deployment",
        "StatefulSet",
        "ReplicaSet",
        "ReplicationController",
    ]
    .iter()
    .map(|k| fs("", "", k, "spec/replicas", true))
    .collect();

    TransformerConfig {
        name_prefix: vec![fs("", "", "", "metadata/name", false)],
        name_suffix: vec![fs("", "", "", "metadata/name", false)],
        namespace,
        common_labels,
        template_labels,
        common_annotations,
        name_reference,
        var_reference,
        images,
        replicas,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case("spec/template/metadata/labels", &["spec", "template", "metadata", "labels"])]
    #[case("spec/volumeClaimTemplates[]/metadata", &["spec", "volumeClaimTemplates[]", "metadata"])]
    #[case("metadata/annotations/a.b\\/c", &["metadata", "annotations", "a.b/c"])]
    fn splits(#[case] p: &str, #[case] want: &[&str]) {
        assert_eq!(split_path(p), want);
    }

    #[rstest]
    #[case(json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}), "spec/containers/name", false, 2)]
    #[case(json!({"spec": {}}), "spec/selector/matchLabels", false, 0)]
    #[case(json!({"spec": {}}), "spec/selector/matchLabels", true, 1)]
    #[case(json!({"kind": "x"}), "metadata/labels", true, 1)]
    #[case(json!({"spec": {}}), "spec/volumeClaimTemplates[]/metadata/labels", true, 0)]
    #[case(json!({"spec": {"volumeClaimTemplates": [{}, {}]}}), "spec/volumeClaimTemplates[]/metadata/labels", true, 2)]
    fn walks(
        #[case] mut doc: Value,
        #[case] path: &str,
        #[case] create: bool,
        #[case] visits: usize,
    ) {
        let mut n = 0;
        walk(&mut doc, &split_path(path), create, &mut |_, _| {
            n += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(n, visits);
    }

    #[test]
    fn default_config_has_core_refs() {
        let c = TransformerConfig::default_config();
        let cm = c
            .name_reference
            .iter()
            .find(|b| b.gvk.kind == "ConfigMap")
            .unwrap();
        assert!(cm
            .field_specs
            .iter()
            .any(|f| f.gvk.kind == "CronJob" && f.path.ends_with("configMap/name")));
        assert!(c
            .common_labels
            .iter()
            .any(|f| f.path == "spec/selector/matchLabels" && f.create));
    }
}
