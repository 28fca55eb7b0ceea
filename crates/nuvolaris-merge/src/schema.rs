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

//! Kubernetes merge semantics of built-in kinds: for each list field, its strategic-merge-patch
//! merge key and strategy (`x-kubernetes-patch-merge-key` / `x-kubernetes-patch-strategy`) and
//! its server-side-apply list type (`x-kubernetes-list-type` / `x-kubernetes-list-map-keys`),
//! plus the structs and maps that server-side apply treats as atomic
//! (`x-kubernetes-map-type: atomic`).
//!
//! Kinds not in the table (custom resources) have no schema: maps are merged, lists replaced
//! (strategic merge) or atomic (server-side apply).

use std::collections::HashMap;
use std::sync::OnceLock;

/// How strategic merge patch treats a list field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmpList {
    /// No patch strategy: the patch list replaces the original list.
    Replace,
    /// `patchStrategy: merge` on a list of maps, merged by `key` (`retain_keys` when the
    /// strategy is `merge,retainKeys`).
    MergeByKey {
        /// The `patchMergeKey`.
        key: &'static str,
        /// Whether the strategy also carries `retainKeys`.
        retain_keys: bool,
    },
    /// `patchStrategy: merge` on a list of scalars (`metadata.finalizers`): union of values.
    MergePrimitive,
}

/// How server-side apply treats a list field (`x-kubernetes-list-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsaList {
    /// `atomic`: the list is owned and replaced as a whole.
    Atomic,
    /// `set`: a list of unique scalars, each value owned separately (`v:` entries).
    Set,
    /// `map`: items identified by the values of these keys (`k:` entries).
    Map(&'static [&'static str]),
}

/// Schema of one list field.
#[derive(Debug)]
pub struct ListSchema {
    /// Strategic merge patch behaviour.
    pub smp: SmpList,
    /// Server-side apply behaviour.
    pub ssa: SsaList,
    /// Schema of the items.
    pub items: Node,
}

impl ListSchema {
    /// The merge keys used by the kustomize (kyaml) strategic merge: the SSA map keys when the
    /// list is merged by key, so that e.g. container ports merge by `containerPort` and
    /// `protocol`.
    pub fn kyaml_keys(&self) -> Vec<&'static str> {
        match (self.smp, self.ssa) {
            (SmpList::MergeByKey { .. }, SsaList::Map(keys)) => keys.to_vec(),
            (SmpList::MergeByKey { key, .. }, _) => vec![key],
            _ => Vec::new(),
        }
    }
}

/// A node of the schema tree.
#[derive(Debug, Default)]
pub enum Node {
    /// A field whose structure is unknown (or a scalar): maps merged, lists replaced/atomic.
    #[default]
    Any,
    /// A struct with known fields. `atomic` structs are owned as a whole by server-side apply.
    Struct {
        /// Known fields (unknown fields behave as [`Node::Any`]).
        fields: HashMap<&'static str, Node>,
        /// `x-kubernetes-map-type: atomic`.
        atomic: bool,
    },
    /// A `map[string]T` whose values share one schema (labels, resources limits, ...).
    Map {
        /// Schema of the values.
        values: Box<Node>,
        /// `x-kubernetes-map-type: atomic` (e.g. `Service.spec.selector`).
        atomic: bool,
    },
    /// A list.
    List(Box<ListSchema>),
}

/// The `Any` node (no schema), returned for unknown fields.
pub static ANY: Node = Node::Any;

impl Node {
    /// The schema of field `name` of this node ([`Node::Any`] when unknown).
    pub fn field(&self, name: &str) -> &Node {
        match self {
            Node::Struct { fields, .. } => fields.get(name).unwrap_or(&ANY),
            Node::Map { values, .. } => values,
            _ => &ANY,
        }
    }
    /// The list schema, when this node is a list.
    pub fn list(&self) -> Option<&ListSchema> {
        match self {
            Node::List(l) => Some(l),
            _ => None,
        }
    }
    /// The schema of the items, when this node is a list ([`Node::Any`] otherwise).
    pub fn items(&self) -> &Node {
        match self {
            Node::List(l) => &l.items,
            _ => &ANY,
        }
    }
    /// Whether server-side apply owns this map/struct as a whole.
    pub fn is_atomic(&self) -> bool {
        match self {
            Node::Struct { atomic, .. } | Node::Map { atomic, .. } => *atomic,
            Node::List(l) => l.ssa == SsaList::Atomic,
            Node::Any => false,
        }
    }
    /// Whether this node is [`Node::Any`] (no schema).
    pub fn is_any(&self) -> bool {
        matches!(self, Node::Any)
    }
    /// Follows a path of field names (list levels are stepped through to their items with `[]`).
    pub fn at(&self, path: &[&str]) -> &Node {
        let mut n = self;
        for p in path {
            n = if *p == "[]" { n.items() } else { n.field(p) };
        }
        n
    }
}

// ---- builders -------------------------------------------------------------------------------

fn st(fields: Vec<(&'static str, Node)>) -> Node {
    Node::Struct {
        fields: fields.into_iter().collect(),
        atomic: false,
    }
}
fn atomic_struct() -> Node {
    Node::Struct {
        fields: HashMap::new(),
        atomic: true,
    }
}
fn atomic_map() -> Node {
    Node::Map {
        values: Box::new(Node::Any),
        atomic: true,
    }
}
/// A list merged by `key` (SMP) and a list-map keyed by `ssa_keys` (SSA).
fn keyed(key: &'static str, ssa_keys: &'static [&'static str], items: Node) -> Node {
    Node::List(Box::new(ListSchema {
        smp: SmpList::MergeByKey {
            key,
            retain_keys: false,
        },
        ssa: SsaList::Map(ssa_keys),
        items,
    }))
}
/// Like [`keyed`], with the `merge,retainKeys` strategy.
fn keyed_retain(key: &'static str, ssa_keys: &'static [&'static str], items: Node) -> Node {
    Node::List(Box::new(ListSchema {
        smp: SmpList::MergeByKey {
            key,
            retain_keys: true,
        },
        ssa: SsaList::Map(ssa_keys),
        items,
    }))
}
/// A list merged by `key` for SMP but atomic for SSA.
fn keyed_smp_atomic_ssa(key: &'static str, items: Node) -> Node {
    Node::List(Box::new(ListSchema {
        smp: SmpList::MergeByKey {
            key,
            retain_keys: false,
        },
        ssa: SsaList::Atomic,
        items,
    }))
}
/// A list replaced by SMP and atomic for SSA.
fn atomic_list(items: Node) -> Node {
    Node::List(Box::new(ListSchema {
        smp: SmpList::Replace,
        ssa: SsaList::Atomic,
        items,
    }))
}
/// A list replaced by SMP but a list-map for SSA.
fn ssa_map_list(keys: &'static [&'static str], items: Node) -> Node {
    Node::List(Box::new(ListSchema {
        smp: SmpList::Replace,
        ssa: SsaList::Map(keys),
        items,
    }))
}
/// A list of scalars merged as a set (SMP merge without key, SSA set).
fn primitive_set() -> Node {
    Node::List(Box::new(ListSchema {
        smp: SmpList::MergePrimitive,
        ssa: SsaList::Set,
        items: Node::Any,
    }))
}

fn label_selector() -> Node {
    atomic_struct()
}

fn object_meta() -> Node {
    st(vec![
        ("finalizers", primitive_set()),
        (
            "ownerReferences",
            keyed("uid", &["uid"], atomic_struct_owner_ref()),
        ),
        ("managedFields", atomic_list(Node::Any)),
    ])
}
fn atomic_struct_owner_ref() -> Node {
    // OwnerReference is `+structType=atomic`.
    atomic_struct()
}

fn conditions_by_type() -> Node {
    keyed("type", &["type"], Node::Any)
}

fn env_var() -> Node {
    st(vec![(
        "valueFrom",
        st(vec![
            ("configMapKeyRef", atomic_struct()),
            ("secretKeyRef", atomic_struct()),
            ("fieldRef", atomic_struct()),
            ("resourceFieldRef", atomic_struct()),
        ]),
    )])
}

fn container() -> Node {
    st(vec![
        (
            "ports",
            keyed("containerPort", &["containerPort", "protocol"], Node::Any),
        ),
        ("env", keyed("name", &["name"], env_var())),
        (
            "envFrom",
            atomic_list(st(vec![
                ("configMapRef", atomic_struct()),
                ("secretRef", atomic_struct()),
            ])),
        ),
        (
            "volumeMounts",
            keyed("mountPath", &["mountPath"], Node::Any),
        ),
        (
            "volumeDevices",
            keyed("devicePath", &["devicePath"], Node::Any),
        ),
        ("resizePolicy", atomic_list(Node::Any)),
        ("args", atomic_list(Node::Any)),
        ("command", atomic_list(Node::Any)),
        (
            "resources",
            st(vec![("claims", ssa_map_list(&["name"], Node::Any))]),
        ),
    ])
}

fn pod_affinity_term() -> Node {
    st(vec![
        ("labelSelector", label_selector()),
        ("namespaceSelector", label_selector()),
    ])
}

fn affinity() -> Node {
    st(vec![
        (
            "nodeAffinity",
            st(vec![
                (
                    "requiredDuringSchedulingIgnoredDuringExecution",
                    atomic_struct(),
                ),
                (
                    "preferredDuringSchedulingIgnoredDuringExecution",
                    atomic_list(Node::Any),
                ),
            ]),
        ),
        (
            "podAffinity",
            st(vec![
                (
                    "requiredDuringSchedulingIgnoredDuringExecution",
                    atomic_list(pod_affinity_term()),
                ),
                (
                    "preferredDuringSchedulingIgnoredDuringExecution",
                    atomic_list(Node::Any),
                ),
            ]),
        ),
        (
            "podAntiAffinity",
            st(vec![
                (
                    "requiredDuringSchedulingIgnoredDuringExecution",
                    atomic_list(pod_affinity_term()),
                ),
                (
                    "preferredDuringSchedulingIgnoredDuringExecution",
                    atomic_list(Node::Any),
                ),
            ]),
        ),
    ])
}

fn volume() -> Node {
    st(vec![
        ("configMap", st(vec![("items", atomic_list(Node::Any))])),
        ("secret", st(vec![("items", atomic_list(Node::Any))])),
        ("projected", st(vec![("sources", atomic_list(Node::Any))])),
        ("downwardAPI", st(vec![("items", atomic_list(Node::Any))])),
    ])
}

fn pod_spec() -> Node {
    st(vec![
        ("volumes", keyed_retain("name", &["name"], volume())),
        ("initContainers", keyed("name", &["name"], container())),
        ("containers", keyed("name", &["name"], container())),
        ("ephemeralContainers", keyed("name", &["name"], container())),
        (
            "imagePullSecrets",
            keyed("name", &["name"], atomic_struct()),
        ),
        ("hostAliases", keyed("ip", &["ip"], Node::Any)),
        ("tolerations", atomic_list(Node::Any)),
        (
            "topologySpreadConstraints",
            keyed(
                "topologyKey",
                &["topologyKey", "whenUnsatisfiable"],
                st(vec![("labelSelector", label_selector())]),
            ),
        ),
        ("readinessGates", atomic_list(Node::Any)),
        ("resourceClaims", keyed_retain("name", &["name"], Node::Any)),
        ("schedulingGates", keyed("name", &["name"], Node::Any)),
        ("nodeSelector", atomic_map()),
        ("affinity", affinity()),
        (
            "securityContext",
            st(vec![
                ("supplementalGroups", atomic_list(Node::Any)),
                ("sysctls", atomic_list(Node::Any)),
            ]),
        ),
    ])
}

fn pod_template() -> Node {
    st(vec![("metadata", object_meta()), ("spec", pod_spec())])
}

fn pod_status() -> Node {
    st(vec![
        ("conditions", conditions_by_type()),
        ("podIPs", keyed("ip", &["ip"], Node::Any)),
        ("hostIPs", keyed("ip", &["ip"], Node::Any)),
    ])
}

fn pvc() -> Node {
    st(vec![
        ("metadata", object_meta()),
        (
            "spec",
            st(vec![
                ("accessModes", atomic_list(Node::Any)),
                ("selector", label_selector()),
            ]),
        ),
        ("status", st(vec![("conditions", conditions_by_type())])),
    ])
}

fn kind_node(spec: Node, status: Node) -> Node {
    st(vec![
        ("metadata", object_meta()),
        ("spec", spec),
        ("status", status),
    ])
}

fn workload(extra: Vec<(&'static str, Node)>, status: Node) -> Node {
    let mut spec = vec![("selector", label_selector()), ("template", pod_template())];
    spec.extend(extra);
    kind_node(st(spec), status)
}

fn job_spec() -> Node {
    st(vec![
        ("selector", label_selector()),
        ("template", pod_template()),
        (
            "podFailurePolicy",
            st(vec![("rules", atomic_list(Node::Any))]),
        ),
    ])
}

fn build() -> HashMap<(&'static str, &'static str), Node> {
    let mut m: HashMap<(&'static str, &'static str), Node> = HashMap::new();
    let cond_status = || st(vec![("conditions", conditions_by_type())]);
    // core
    m.insert(("", "Pod"), kind_node(pod_spec(), pod_status()));
    m.insert(
        ("", "PodTemplate"),
        st(vec![
            ("metadata", object_meta()),
            ("template", pod_template()),
        ]),
    );
    m.insert(
        ("", "ReplicationController"),
        kind_node(
            st(vec![
                ("selector", atomic_map()),
                ("template", pod_template()),
            ]),
            cond_status(),
        ),
    );
    m.insert(
        ("", "Service"),
        kind_node(
            st(vec![
                ("ports", keyed("port", &["port", "protocol"], Node::Any)),
                ("selector", atomic_map()),
                ("externalIPs", atomic_list(Node::Any)),
                ("clusterIPs", atomic_list(Node::Any)),
                ("ipFamilies", atomic_list(Node::Any)),
                ("loadBalancerSourceRanges", atomic_list(Node::Any)),
            ]),
            st(vec![
                ("conditions", conditions_by_type()),
                (
                    "loadBalancer",
                    st(vec![("ingress", atomic_list(Node::Any))]),
                ),
            ]),
        ),
    );
    m.insert(
        ("", "ServiceAccount"),
        st(vec![
            ("metadata", object_meta()),
            ("secrets", keyed("name", &["name"], atomic_struct())),
            ("imagePullSecrets", atomic_list(atomic_struct())),
        ]),
    );
    for k in [
        "ConfigMap",
        "Secret",
        "Endpoints",
        "Event",
        "LimitRange",
        "ResourceQuota",
    ] {
        m.insert(("", k), st(vec![("metadata", object_meta())]));
    }
    m.insert(
        ("", "Namespace"),
        kind_node(
            st(vec![("finalizers", atomic_list(Node::Any))]),
            cond_status(),
        ),
    );
    m.insert(("", "PersistentVolumeClaim"), pvc());
    m.insert(
        ("", "PersistentVolume"),
        kind_node(
            st(vec![
                ("accessModes", atomic_list(Node::Any)),
                ("mountOptions", atomic_list(Node::Any)),
            ]),
            Node::Any,
        ),
    );
    m.insert(
        ("", "Node"),
        kind_node(
            st(vec![
                ("taints", atomic_list(Node::Any)),
                ("podCIDRs", primitive_set()),
            ]),
            st(vec![
                ("conditions", conditions_by_type()),
                ("addresses", keyed_smp_atomic_ssa("type", Node::Any)),
                ("images", atomic_list(Node::Any)),
            ]),
        ),
    );
    // apps
    m.insert(("apps", "Deployment"), workload(vec![], cond_status()));
    m.insert(("apps", "ReplicaSet"), workload(vec![], cond_status()));
    m.insert(("apps", "DaemonSet"), workload(vec![], cond_status()));
    m.insert(
        ("apps", "StatefulSet"),
        workload(
            vec![("volumeClaimTemplates", atomic_list(pvc()))],
            cond_status(),
        ),
    );
    m.insert(
        ("apps", "ControllerRevision"),
        st(vec![("metadata", object_meta())]),
    );
    // batch
    m.insert(
        ("batch", "Job"),
        kind_node(
            job_spec(),
            st(vec![(
                "conditions",
                keyed_smp_atomic_ssa("type", Node::Any),
            )]),
        ),
    );
    m.insert(
        ("batch", "CronJob"),
        kind_node(
            st(vec![(
                "jobTemplate",
                st(vec![("metadata", object_meta()), ("spec", job_spec())]),
            )]),
            st(vec![("active", atomic_list(atomic_struct()))]),
        ),
    );
    // networking
    m.insert(
        ("networking.k8s.io", "Ingress"),
        kind_node(
            st(vec![
                ("rules", atomic_list(Node::Any)),
                ("tls", atomic_list(Node::Any)),
            ]),
            st(vec![(
                "loadBalancer",
                st(vec![("ingress", atomic_list(Node::Any))]),
            )]),
        ),
    );
    m.insert(
        ("networking.k8s.io", "IngressClass"),
        st(vec![("metadata", object_meta())]),
    );
    m.insert(
        ("networking.k8s.io", "NetworkPolicy"),
        kind_node(
            st(vec![
                ("podSelector", label_selector()),
                ("ingress", atomic_list(Node::Any)),
                ("egress", atomic_list(Node::Any)),
                ("policyTypes", atomic_list(Node::Any)),
            ]),
            Node::Any,
        ),
    );
    // rbac
    for k in ["Role", "ClusterRole"] {
        m.insert(
            ("rbac.authorization.k8s.io", k),
            st(vec![
                ("metadata", object_meta()),
                ("rules", atomic_list(Node::Any)),
                (
                    "aggregationRule",
                    st(vec![(
                        "clusterRoleSelectors",
                        atomic_list(label_selector()),
                    )]),
                ),
            ]),
        );
    }
    for k in ["RoleBinding", "ClusterRoleBinding"] {
        m.insert(
            ("rbac.authorization.k8s.io", k),
            st(vec![
                ("metadata", object_meta()),
                ("subjects", atomic_list(atomic_struct())),
                ("roleRef", atomic_struct()),
            ]),
        );
    }
    // policy, autoscaling, coordination, storage, admission
    m.insert(
        ("policy", "PodDisruptionBudget"),
        kind_node(st(vec![("selector", label_selector())]), cond_status()),
    );
    m.insert(
        ("autoscaling", "HorizontalPodAutoscaler"),
        kind_node(
            st(vec![("metrics", atomic_list(Node::Any))]),
            st(vec![
                ("conditions", conditions_by_type()),
                ("currentMetrics", atomic_list(Node::Any)),
            ]),
        ),
    );
    m.insert(
        ("coordination.k8s.io", "Lease"),
        kind_node(Node::Any, Node::Any),
    );
    m.insert(
        ("events.k8s.io", "Event"),
        st(vec![("metadata", object_meta())]),
    );
    m.insert(
        ("storage.k8s.io", "StorageClass"),
        st(vec![
            ("metadata", object_meta()),
            ("mountOptions", atomic_list(Node::Any)),
            ("allowedTopologies", atomic_list(Node::Any)),
        ]),
    );
    for k in [
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    ] {
        m.insert(
            ("admissionregistration.k8s.io", k),
            st(vec![
                ("metadata", object_meta()),
                (
                    "webhooks",
                    keyed(
                        "name",
                        &["name"],
                        st(vec![
                            ("rules", atomic_list(Node::Any)),
                            ("namespaceSelector", label_selector()),
                            ("objectSelector", label_selector()),
                        ]),
                    ),
                ),
            ]),
        );
    }
    m.insert(
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        kind_node(
            st(vec![("versions", atomic_list(Node::Any))]),
            st(vec![
                ("conditions", ssa_map_list(&["type"], Node::Any)),
                ("storedVersions", atomic_list(Node::Any)),
            ]),
        ),
    );
    m
}

type Table = HashMap<&'static str, HashMap<&'static str, Node>>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t: Table = HashMap::new();
        for ((g, k), n) in build() {
            t.entry(g).or_default().insert(k, n);
        }
        t
    })
}

fn lookup(group: &str, kind: &str) -> Option<&'static Node> {
    table().get(group)?.get(kind)
}

/// The API group of an `apiVersion` (`""` for the core group `v1`).
pub fn group_of(api_version: &str) -> &str {
    match api_version.rsplit_once('/') {
        Some((g, _)) => g,
        None => "",
    }
}

/// The schema of a built-in kind, by API group (`""` for core) and kind; `None` for custom
/// resources and unknown kinds.
pub fn for_group_kind(group: &str, kind: &str) -> Option<&'static Node> {
    // `extensions` is the legacy group of Deployment, DaemonSet, ReplicaSet and Ingress.
    lookup(group, kind).or_else(|| match (group, kind) {
        ("extensions", "Ingress") => lookup("networking.k8s.io", "Ingress"),
        ("extensions", k) => lookup("apps", k),
        _ => None,
    })
}

/// The schema of an object, from its `apiVersion` and `kind`; `None` when unknown.
pub fn for_object(obj: &serde_json::Value) -> Option<&'static Node> {
    let api_version = obj.get("apiVersion").and_then(|v| v.as_str())?;
    let kind = obj.get("kind").and_then(|v| v.as_str())?;
    for_group_kind(group_of(api_version), kind)
}

/// The list schema at a dotted field path (e.g. `spec.template.spec.containers`) of a kind,
/// stepping into list items with `[]` (e.g. `spec.template.spec.containers.[].env`).
pub fn list_at(group: &str, kind: &str, path: &str) -> Option<&'static ListSchema> {
    let node = for_group_kind(group, kind)?;
    let parts: Vec<&str> = path.split('.').filter(|s| !s.is_empty()).collect();
    node.at(&parts).list()
}
