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

//! End-to-end builds on in-memory folders through the public API; every expected output is
//! what `kubectl kustomize` v5.8.1 printed for the same files.

use nuvolaris_kustomize::{build_yaml, MemLoader};
use std::path::Path;

fn check(l: &MemLoader, top: &str, want: &str) {
    let got = build_yaml(l, Path::new(top)).unwrap_or_else(|e| panic!("build failed: {e}"));
    pretty_assertions::assert_eq!(got, want);
}

fn err(l: &MemLoader, top: &str) -> String {
    match build_yaml(l, Path::new(top)) {
        Ok(out) => panic!("expected an error, got:\n{out}"),
        Err(e) => e.to_string(),
    }
}

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";

#[rstest::rstest]
#[case::missing_file(MemLoader::new().with("k/kustomization.yaml", "resources: [nope.yaml]"), "k", "nope.yaml")]
#[case::duplicate_id(MemLoader::new().with("k/kustomization.yaml", "resources: [a.yaml, b.yaml]").with("k/a.yaml", CM).with("k/b.yaml", CM), "k", "may not add resource with an already registered id")]
#[case::unknown_field(MemLoader::new().with("k/kustomization.yaml", "resourcez: []"), "k", "unknown field \"resourcez\"")]
#[case::cycle(MemLoader::new().with("a/kustomization.yaml", "resources: [../b]").with("b/kustomization.yaml", "resources: [../a]"), "a", "cycle detected")]
#[case::self_include(MemLoader::new().with("a/kustomization.yaml", "resources: [.]"), "a", "cycle detected")]
#[case::outside_root(MemLoader::new().with("k/kustomization.yaml", "resources: [../a.yaml]").with("a.yaml", CM), "k", "security; file")]
#[case::invalid_yaml(MemLoader::new().with("k/kustomization.yaml", "resources: [a.yaml]").with("k/a.yaml", "kind: [x"), "k", "a.yaml")]
#[case::failing_test_op(MemLoader::new().with("k/kustomization.yaml", "resources: [a.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: '[{op: test, path: /metadata/name, value: b}]'").with("k/a.yaml", CM), "k", "test")]
#[case::empty(MemLoader::new().with("k/kustomization.yaml", ""), "k", "kustomization.yaml is empty")]
#[case::component_as_resource(MemLoader::new().with("k/kustomization.yaml", "resources: [c]").with("k/c/kustomization.yaml", "kind: Component\nnamespace: x"), "k", "expected kind != 'Component'")]
#[case::bad_kind(MemLoader::new().with("k/kustomization.yaml", "kind: Foo\nnamespace: x"), "k", "kind should be Kustomization or Component")]
#[case::bad_api_version(MemLoader::new().with("k/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Component\nnamespace: x"), "k", "apiVersion for Component should be kustomize.config.k8s.io/v1alpha1")]
#[case::missing_crd_file(MemLoader::new().with("k/kustomization.yaml", "crds: [nope.yaml]\nnamespace: x"), "k", "loading CRDs")]
#[case::no_kustomization(MemLoader::new().with("k/a.yaml", CM), "k", "unable to find one of")]
fn errors_like_kustomize(#[case] l: MemLoader, #[case] top: &str, #[case] needle: &str) {
    let e = err(&l, top);
    assert!(e.contains(needle), "{e}");
}

#[test]
fn builtin_transformer_configurations() {
    let l = MemLoader::new()
        .with(
            r#"tp/deploy.yaml"#,
            r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
      - name: init
        image: busybox:1.0
      containers:
      - name: nginx
        image: nginx:1.19
        ports:
        - containerPort: 80
        envFrom:
        - configMapRef: {name: cfg}
        env:
        - name: X
          valueFrom:
            secretKeyRef: {name: sec, key: k}
      volumes:
      - name: v
        configMap: {name: cfg}
      - name: p
        projected:
          sources:
          - configMap: {name: cfg}
          - secret: {name: sec}
"#,
        )
        .with(
            r#"tp/kustomization.yaml"#,
            r#"resources: [deploy.yaml, svc.yaml]
namePrefix: kp-
transformers: [t.yaml]
"#,
        )
        .with(
            r#"tp/svc.yaml"#,
            r#"apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
"#,
        )
        .with(
            r#"tp/t.yaml"#,
            r#"apiVersion: builtin
kind: PrefixSuffixTransformer
metadata: {name: x}
prefix: tp-
suffix: -ts
fieldSpecs:
- path: metadata/name
  kind: Service
---
apiVersion: builtin
kind: LabelTransformer
metadata: {name: y}
labels: {tl: v}
fieldSpecs:
- path: metadata/labels
  create: true
---
apiVersion: builtin
kind: AnnotationsTransformer
metadata: {name: z}
annotations: {ta: v}
fieldSpecs:
- path: metadata/annotations
  create: true
"#,
        );
    check(
        &l,
        "tp",
        r#"apiVersion: v1
kind: Service
metadata:
  annotations:
    ta: v
  labels:
    tl: v
  name: tp-kp-web-ts
spec:
  ports:
  - port: 80
  selector:
    app: web
---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    ta: v
  labels:
    app: web
    tl: v
  name: kp-web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - env:
        - name: X
          valueFrom:
            secretKeyRef:
              key: k
              name: sec
        envFrom:
        - configMapRef:
            name: cfg
        image: nginx:1.19
        name: nginx
        ports:
        - containerPort: 80
      initContainers:
      - image: busybox:1.0
        name: init
      volumes:
      - configMap:
          name: cfg
        name: v
      - name: p
        projected:
          sources:
          - configMap:
              name: cfg
          - secret:
              name: sec
"#,
    );
}

// Outputs of `kubectl kustomize` v5.8.1: a level's generators run before its components;
// merged/replaced generated resources keep a hash only if both sides want one.
#[rstest::rstest]
#[case::component_merges_into_overlay_generator(
        MemLoader::new()
            .with("comp/kustomization.yaml", "kind: Component\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [k=1]\nnamePrefix: c-\n")
            .with("ov/kustomization.yaml", "components: [../comp]\nconfigMapGenerator:\n- name: cfg\n  literals: [j=2]\nnamePrefix: o-\n"),
        "apiVersion: v1\ndata:\n  j: \"2\"\n  k: \"1\"\nkind: ConfigMap\nmetadata:\n  name: o-c-cfg-k9mfc852b7\n"
    )]
#[case::hash_disabled_in_base_stays_disabled(
        MemLoader::new()
            .with("base/kustomization.yaml", "configMapGenerator:\n- name: c\n  literals: [a=1]\n  options: {disableNameSuffixHash: true}\n")
            .with("ov/kustomization.yaml", "resources: [../base]\nconfigMapGenerator:\n- name: c\n  behavior: merge\n  literals: [b=1]\n"),
        "apiVersion: v1\ndata:\n  a: \"1\"\n  b: \"1\"\nkind: ConfigMap\nmetadata:\n  name: c\n"
    )]
fn generator_ordering_and_hash_options(#[case] l: MemLoader, #[case] want: &str) {
    check(&l, "ov", want);
}

// A strategic merge patch changing a label that base commonLabels created in several fields
// changes all of them in `kubectl kustomize` v5.8.1 (shared YAML nodes).
#[test]
fn smp_updates_follow_shared_label_entries() {
    let l = MemLoader::new()
        .with(
            "base/r.yaml",
            r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec: {}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: src}
data: {v: fromcm}
"#,
        )
        .with(
            "base/kustomization.yaml",
            r#"resources: [r.yaml]
commonLabels: {app: x}
"#,
        )
        .with(
            "ov/kustomization.yaml",
            r#"resources: [../base]
patches:
- patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      labels: {app: smp}
"#,
        );
    check(
        &l,
        "ov",
        r#"apiVersion: v1
data:
  v: fromcm
kind: ConfigMap
metadata:
  labels:
    app: x
  name: src
---
apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    app: smp
  name: web
spec:
  selector:
    matchLabels:
      app: smp
  template:
    metadata:
      labels:
        app: smp
    spec: {}
"#,
    );
}

#[test]
fn exponential_diamonds_are_refused_not_hung() {
    let mut l = MemLoader::new();
    for i in 0..40 {
        for side in ["a", "b"] {
            l.add(
                format!("l{i}{side}/kustomization.yaml"),
                format!(
                    "namePrefix: {side}-\nresources: [../l{}a, ../l{}b]",
                    i + 1,
                    i + 1
                ),
            );
        }
    }
    for side in ["a", "b"] {
        l.add(
            format!("l40{side}/kustomization.yaml"),
            format!("namePrefix: {side}-\nresources: [c.yaml]"),
        );
        l.add(format!("l40{side}/c.yaml"), CM);
    }
    let e = err(&l, "l0a");
    assert!(e.contains("refusing to continue"), "{e}");
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let mut l = MemLoader::new();
    for i in 0..200 {
        l.add(
            format!("d{i}/kustomization.yaml"),
            format!("resources: [../d{}]", i + 1),
        );
    }
    l.add("d200/kustomization.yaml", "resources: [a.yaml]");
    l.add("d200/a.yaml", CM);
    assert!(err(&l, "d0").contains("nested deeper"));
}

#[test]
fn overlay_with_patches_generators_images() {
    let l = MemLoader::new()
        .with(
            r#"base/deploy.yaml"#,
            r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
      - name: init
        image: busybox:1.0
      containers:
      - name: nginx
        image: nginx:1.19
        ports:
        - containerPort: 80
        envFrom:
        - configMapRef: {name: cfg}
        env:
        - name: X
          valueFrom:
            secretKeyRef: {name: sec, key: k}
      volumes:
      - name: v
        configMap: {name: cfg}
      - name: p
        projected:
          sources:
          - configMap: {name: cfg}
          - secret: {name: sec}
"#,
        )
        .with(
            r#"base/kustomization.yaml"#,
            r#"resources:
- deploy.yaml
- svc.yaml
configMapGenerator:
- name: cfg
  literals: [A=1]
"#,
        )
        .with(
            r#"base/svc.yaml"#,
            r#"apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
"#,
        )
        .with(
            r#"ov1/kustomization.yaml"#,
            r#"resources: [../base]
namePrefix: dev-
nameSuffix: -x
namespace: dev
commonLabels: {env: dev}
commonAnnotations: {note: hi}
images:
- name: nginx
  newName: registry.local:5000/nginx
  newTag: "1.25"
- name: busybox
  digest: sha256:abcdef
replicas:
- name: web
  count: 3
secretGenerator:
- name: sec
  literals: [k=v]
configMapGenerator:
- name: cfg
  behavior: merge
  literals: [B=2]
patches:
- patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        spec:
          containers:
          - name: nginx
            env:
            - name: Y
              value: "y"
- target: {kind: Service}
  patch: |-
    - op: add
      path: /spec/type
      value: NodePort
"#,
        );
    let want = r#"apiVersion: v1
data:
  A: "1"
  B: "2"
kind: ConfigMap
metadata:
  annotations:
    note: hi
  labels:
    env: dev
  name: dev-cfg-x-66h9cbh964
  namespace: dev
---
apiVersion: v1
data:
  k: dg==
kind: Secret
metadata:
  annotations:
    note: hi
  labels:
    env: dev
  name: dev-sec-x-ftgtgc4t9f
  namespace: dev
type: Opaque
---
apiVersion: v1
kind: Service
metadata:
  annotations:
    note: hi
  labels:
    env: dev
  name: dev-web-x
  namespace: dev
spec:
  ports:
  - port: 80
  selector:
    app: web
    env: dev
  type: NodePort
---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    note: hi
  labels:
    app: web
    env: dev
  name: dev-web-x
  namespace: dev
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
      env: dev
  template:
    metadata:
      annotations:
        note: hi
      labels:
        app: web
        env: dev
    spec:
      containers:
      - env:
        - name: "Y"
          value: "y"
        - name: X
          valueFrom:
            secretKeyRef:
              key: k
              name: dev-sec-x-ftgtgc4t9f
        envFrom:
        - configMapRef:
            name: dev-cfg-x-66h9cbh964
        image: registry.local:5000/nginx:1.25
        name: nginx
        ports:
        - containerPort: 80
      initContainers:
      - image: busybox@sha256:abcdef
        name: init
      volumes:
      - configMap:
          name: dev-cfg-x-66h9cbh964
        name: v
      - name: p
        projected:
          sources:
          - configMap:
              name: dev-cfg-x-66h9cbh964
          - secret:
              name: dev-sec-x-ftgtgc4t9f
"#;
    check(&l, r#"ov1"#, want);
}

#[test]
fn components_apply_in_order() {
    let l = MemLoader::new()
        .with(
            r#"comp/base/cm.yaml"#,
            r#"apiVersion: v1
kind: ConfigMap
metadata: {name: conf}
data: {a: "1"}
"#,
        )
        .with(
            r#"comp/base/kustomization.yaml"#,
            r#"resources: [cm.yaml]
"#,
        )
        .with(
            r#"comp/c1/extra.yaml"#,
            r#"apiVersion: v1
kind: Secret
metadata: {name: extra}
stringData: {x: y}
"#,
        )
        .with(
            r#"comp/c1/kustomization.yaml"#,
            r#"apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources: [extra.yaml]
namePrefix: c1-
patches:
- patch: |-
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: conf}
    data: {b: "2"}
"#,
        )
        .with(
            r#"comp/c2/kustomization.yaml"#,
            r#"apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
commonLabels: {comp: two}
configMapGenerator:
- name: conf
  behavior: merge
  literals: [c=3]
"#,
        )
        .with(
            r#"comp/ov/kustomization.yaml"#,
            r#"resources: [../base]
components: [../c1, ../c2]
namespace: cns
"#,
        );
    let want = r#"apiVersion: v1
data:
  a: "1"
  b: "2"
  c: "3"
kind: ConfigMap
metadata:
  labels:
    comp: two
  name: c1-conf
  namespace: cns
---
apiVersion: v1
kind: Secret
metadata:
  labels:
    comp: two
  name: c1-extra
  namespace: cns
stringData:
  x: "y"
"#;
    check(&l, r#"comp/ov"#, want);
}

#[test]
fn generator_behaviors_across_overlays() {
    let l = MemLoader::new()
        .with(
            r#"gb/base/kustomization.yaml"#,
            r#"namePrefix: b-
namespace: bns
configMapGenerator:
- name: cfg
  literals: [a=1, b=2]
  options: {labels: {l: base}}
secretGenerator:
- name: sec
  literals: [p=q]
resources: [pod.yaml]
"#,
        )
        .with(
            r#"gb/base/pod.yaml"#,
            r#"apiVersion: v1
kind: Pod
metadata: {name: pod}
spec:
  containers:
  - name: c
    image: x
    envFrom: [{configMapRef: {name: cfg}}, {secretRef: {name: sec}}]
"#,
        )
        .with(
            r#"gb/ov/kustomization.yaml"#,
            r#"resources: [../base]
namePrefix: o-
configMapGenerator:
- name: cfg
  namespace: bns
  behavior: merge
  literals: [b=3, c=4]
secretGenerator:
- name: sec
  namespace: bns
  behavior: replace
  literals: [r=s]
"#,
        )
        .with(
            r#"gb/ov2/kustomization.yaml"#,
            r#"resources: [../ov]
configMapGenerator:
- name: b-cfg
  namespace: bns
  behavior: merge
  literals: [d=5]
"#,
        );
    let want = r#"apiVersion: v1
data:
  a: "1"
  b: "3"
  c: "4"
  d: "5"
kind: ConfigMap
metadata:
  labels:
    l: base
  name: o-b-cfg-f479tmcbgb
  namespace: bns
---
apiVersion: v1
data:
  r: cw==
kind: Secret
metadata:
  name: o-b-sec-mdttdk9d88
  namespace: bns
type: Opaque
---
apiVersion: v1
kind: Pod
metadata:
  name: o-b-pod
  namespace: bns
spec:
  containers:
  - envFrom:
    - configMapRef:
        name: o-b-cfg-f479tmcbgb
    - secretRef:
        name: o-b-sec-mdttdk9d88
    image: x
    name: c
"#;
    check(&l, r#"gb/ov2"#, want);
}

#[test]
fn same_base_twice_with_prefixes() {
    let l = MemLoader::new()
        .with(
            r#"dia/base/kustomization.yaml"#,
            r#"resources: [pod.yaml]
configMapGenerator: [{name: cfg, literals: [x=1]}]
"#,
        )
        .with(
            r#"dia/base/pod.yaml"#,
            r#"apiVersion: v1
kind: Pod
metadata: {name: pod}
spec:
  serviceAccountName: sa
  containers:
  - name: c
    image: x
    envFrom: [{configMapRef: {name: cfg}}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa}
"#,
        )
        .with(
            r#"dia/a/kustomization.yaml"#,
            r#"resources: [../base]
namePrefix: a-
configMapGenerator: [{name: cfg, behavior: merge, literals: [y=a]}]
"#,
        )
        .with(
            r#"dia/b/kustomization.yaml"#,
            r#"resources: [../base]
namePrefix: b-
namespace: bns
"#,
        )
        .with(
            r#"dia/top/kustomization.yaml"#,
            r#"resources: [../a, ../b]
nameSuffix: -t
"#,
        );
    let want = r#"apiVersion: v1
kind: ServiceAccount
metadata:
  name: b-sa-t
  namespace: bns
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: a-sa-t
---
apiVersion: v1
data:
  x: "1"
kind: ConfigMap
metadata:
  name: b-cfg-t-hmg6f82fh6
  namespace: bns
---
apiVersion: v1
data:
  x: "1"
  "y": a
kind: ConfigMap
metadata:
  name: a-cfg-t-cft698h477
---
apiVersion: v1
kind: Pod
metadata:
  name: b-pod-t
  namespace: bns
spec:
  containers:
  - envFrom:
    - configMapRef:
        name: b-cfg-t-hmg6f82fh6
    image: x
    name: c
  serviceAccountName: b-sa-t
---
apiVersion: v1
kind: Pod
metadata:
  name: a-pod-t
spec:
  containers:
  - envFrom:
    - configMapRef:
        name: a-cfg-t-cft698h477
    image: x
    name: c
  serviceAccountName: a-sa-t
"#;
    check(&l, r#"dia/top"#, want);
}

#[test]
fn name_references_with_prefix_and_namespace() {
    let l = MemLoader::new()
        .with(
            r#"refs/kustomization.yaml"#,
            r#"resources: [r.yaml]
namePrefix: p-
namespace: ns
"#,
        )
        .with(
            r#"refs/r.yaml"#,
            r#"apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ss}
spec:
  serviceName: svc
  template:
    spec:
      serviceAccountName: sa
      priorityClassName: pc
      volumes: [{name: d, persistentVolumeClaim: {claimName: pvc}}]
      imagePullSecrets: [{name: pull}]
      containers: [{name: c, image: x}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {storageClassName: fast}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: hpa}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: ss}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ing
  annotations: {nginx.ingress.kubernetes.io/auth-secret: pull}
spec:
  ingressClassName: ic
  tls: [{secretName: pull, hosts: [a.b]}]
  defaultBackend: {service: {name: svc, port: {number: 80}}}
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: svc, port: {number: 80}}}
---
apiVersion: v1
kind: Service
metadata: {name: svc}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: sa}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: pvc}
---
apiVersion: v1
kind: Secret
metadata: {name: pull}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: pc}
value: 10
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: x
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: ic}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cr}
rules: [{apiGroups: [""], resources: [secrets], resourceNames: [pull]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cr}
subjects: [{kind: ServiceAccount, name: sa, namespace: default}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: role}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: role}
subjects: [{kind: ServiceAccount, name: default}, {kind: ServiceAccount, name: sa}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.x.io}
spec:
  group: x.io
  conversion:
    strategy: Webhook
    webhook:
      clientConfig:
        service: {name: svc, namespace: default}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1.x.io}
spec:
  service: {name: svc, namespace: default}
"#,
        );
    let want = r#"apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: p-fast
provisioner: x
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: things.x.io
spec:
  conversion:
    strategy: Webhook
    webhook:
      clientConfig:
        service:
          name: svc
          namespace: ns
  group: x.io
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: p-sa
  namespace: ns
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: p-role
  namespace: ns
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: p-cr
rules:
- apiGroups:
  - ""
  resourceNames:
  - p-pull
  resources:
  - secrets
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: p-rb
  namespace: ns
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: p-role
subjects:
- kind: ServiceAccount
  name: default
  namespace: ns
- kind: ServiceAccount
  name: p-sa
  namespace: ns
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: p-crb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: p-cr
subjects:
- kind: ServiceAccount
  name: p-sa
  namespace: ns
---
apiVersion: v1
kind: Secret
metadata:
  name: p-pull
  namespace: ns
---
apiVersion: v1
kind: Service
metadata:
  name: p-svc
  namespace: ns
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: p-pc
value: 10
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: p-pvc
  namespace: ns
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: p-ss
  namespace: ns
spec:
  serviceName: p-svc
  template:
    spec:
      containers:
      - image: x
        name: c
      imagePullSecrets:
      - name: p-pull
      priorityClassName: p-pc
      serviceAccountName: p-sa
      volumes:
      - name: d
        persistentVolumeClaim:
          claimName: p-pvc
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      storageClassName: p-fast
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1.x.io
spec:
  service:
    name: p-svc
    namespace: ns
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: p-hpa
  namespace: ns
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: StatefulSet
    name: p-ss
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  annotations:
    nginx.ingress.kubernetes.io/auth-secret: p-pull
  name: p-ing
  namespace: ns
spec:
  defaultBackend:
    service:
      name: p-svc
      port:
        number: 80
  ingressClassName: ic
  rules:
  - http:
      paths:
      - backend:
          service:
            name: p-svc
            port:
              number: 80
        path: /
        pathType: Prefix
  tls:
  - hosts:
    - a.b
    secretName: p-pull
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: p-ic
"#;
    check(&l, r#"refs"#, want);
}

#[test]
fn legacy_vars() {
    let l = MemLoader::new()
        .with(
            r#"vars/kustomization.yaml"#,
            r#"resources: [r.yaml]
namePrefix: p-
vars:
- name: SVC
  objref: {kind: Service, name: db, apiVersion: v1}
- name: PORT
  objref: {kind: Service, name: db, apiVersion: v1}
  fieldref:
    fieldpath: spec.ports[0].port
- name: IMG
  objref: {kind: Deployment, name: web, apiVersion: apps/v1}
  fieldref:
    fieldpath: spec.template.spec.containers[0].image
"#,
        )
        .with(
            r#"vars/r.yaml"#,
            r#"apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, annotations: {svc: "$(SVC)"}}
spec:
  template:
    spec:
      containers:
      - name: c
        image: app:1
        command: ["run", "--db=$(SVC):$(PORT)", "$(IMG)", "$$(SVC)", "$(UNKNOWN)"]
        env:
        - {name: P, value: "$(PORT)"}
"#,
        );
    let want = r#"apiVersion: v1
kind: Service
metadata:
  name: p-db
spec:
  ports:
  - port: 5432
---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    svc: p-db
  name: p-web
spec:
  template:
    spec:
      containers:
      - command:
        - run
        - --db=p-db:5432
        - app:1
        - $(SVC)
        - $(UNKNOWN)
        env:
        - name: P
          value: 5432
        image: app:1
        name: c
"#;
    check(&l, r#"vars"#, want);
}

#[test]
fn replacements() {
    let l = MemLoader::new()
        .with(
            r#"x_repl/deploy.yaml"#,
            r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
      - name: init
        image: busybox:1.0
      containers:
      - name: nginx
        image: nginx:1.19
        ports:
        - containerPort: 80
        envFrom:
        - configMapRef: {name: cfg}
        env:
        - name: X
          valueFrom:
            secretKeyRef: {name: sec, key: k}
      volumes:
      - name: v
        configMap: {name: cfg}
      - name: p
        projected:
          sources:
          - configMap: {name: cfg}
          - secret: {name: sec}
"#,
        )
        .with(
            r#"x_repl/kustomization.yaml"#,
            r#"resources: [deploy.yaml]
configMapGenerator: [{name: src, literals: [v=hello]}]
replacements:
- source: {kind: ConfigMap, name: src}
  targets:
  - select: {kind: Deployment}
    reject: [{name: other}]
    fieldPaths: [metadata.annotations.cm]
    options: {create: true}
- source: {kind: ConfigMap, name: src, fieldPath: data.v}
  targets:
  - select: {labelSelector: app=web}
    fieldPaths: [metadata.labels.v]
    options: {create: true}
"#,
        );
    let want = r#"apiVersion: v1
data:
  v: hello
kind: ConfigMap
metadata:
  name: src-k9d8cbdmmg
---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    cm: src
  labels:
    app: web
    v: hello
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - env:
        - name: X
          valueFrom:
            secretKeyRef:
              key: k
              name: sec
        envFrom:
        - configMapRef:
            name: cfg
        image: nginx:1.19
        name: nginx
        ports:
        - containerPort: 80
      initContainers:
      - image: busybox:1.0
        name: init
      volumes:
      - configMap:
          name: cfg
        name: v
      - name: p
        projected:
          sources:
          - configMap:
              name: cfg
          - secret:
              name: sec
"#;
    check(&l, r#"x_repl"#, want);
}
