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

//! In-process build speed: the training fixture (Deployment `demo-deploy` plus a replicas
//! strategic-merge patch) from a `MemLoader`, to YAML text. Target: at most 50 µs per build.
//!
//! Run with `cargo bench -p nuvolaris-kustomize --bench build`.

// `criterion_group!` generates a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use nuvolaris_kustomize::yaml::{parse_documents, to_yaml_stream};
use nuvolaris_kustomize::{build, build_yaml, MemLoader};
use std::hint::black_box;
use std::path::Path;

const KUSTOMIZATION: &str = "resources:\n- deployment.yaml\npatches:\n- path: patch.yaml\n";

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: demo-deploy
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx
        ports:
        - containerPort: 80
";

const PATCH: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: demo-deploy
spec:
  replicas: 1
";

fn fixture() -> MemLoader {
    MemLoader::new()
        .with("sample/kustomization.yaml", KUSTOMIZATION)
        .with("sample/deployment.yaml", DEPLOYMENT)
        .with("sample/patch.yaml", PATCH)
}

fn benches(c: &mut Criterion) {
    let loader = fixture();
    let dir = Path::new("sample");
    // The fixture must build, and to the expected result, or the numbers mean nothing.
    let out = build_yaml(&loader, dir).expect("training fixture builds");
    assert!(
        out.contains("replicas: 1") && out.contains("name: demo-deploy"),
        "unexpected output:\n{out}"
    );

    c.bench_function("build_yaml training fixture (MemLoader)", |b| {
        b.iter(|| build_yaml(black_box(&loader), black_box(dir)).expect("builds"))
    });
    // The engine may cache parsed files by content: give every iteration its own bytes
    // (a counter comment) to measure a cold build, parse included.
    let mut n = 0u64;
    c.bench_function(
        "build_yaml training fixture, uncached (unique bytes per build)",
        |b| {
            b.iter_batched(
                || {
                    n += 1;
                    MemLoader::new()
                        .with(
                            "sample/kustomization.yaml",
                            format!("{KUSTOMIZATION}# {n}\n"),
                        )
                        .with("sample/deployment.yaml", format!("{DEPLOYMENT}# {n}\n"))
                        .with("sample/patch.yaml", format!("{PATCH}# {n}\n"))
                },
                |l| build_yaml(&l, black_box(dir)).expect("builds"),
                BatchSize::SmallInput,
            )
        },
    );
    c.bench_function("build training fixture (values only)", |b| {
        b.iter(|| build(black_box(&loader), black_box(dir)).expect("builds"))
    });
    c.bench_function("yaml parse deployment", |b| {
        b.iter(|| parse_documents(black_box(DEPLOYMENT), "deployment.yaml").expect("parses"))
    });
    let docs = parse_documents(DEPLOYMENT, "deployment.yaml").expect("parses");
    c.bench_function("yaml print deployment", |b| {
        b.iter(|| to_yaml_stream(black_box(&docs)))
    });
}

criterion_group!(build_benches, benches);
criterion_main!(build_benches);
