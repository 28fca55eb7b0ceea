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

//! Render time of the minimal Whisk (overlay + native kustomize build of every component).
//! Run with `cargo bench -p nuvolaris-reconciler-whisk --bench render`.

// criterion's macros generate undocumented public functions
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use nuvolaris_api::whisk::Whisk;
use nuvolaris_reconciler_whisk::render::{render, DEFAULT_RUNTIMES_JSON};
use nuvolaris_reconciler_whisk::resolve::RenderInput;
use nuvolaris_reconciler_whisk::secrets::resolve;
use nuvolaris_reconciler_whisk::settings::{ClusterFacts, OperatorConfig};

fn bench(c: &mut Criterion) {
    let text = include_str!("../testdata/whisk-minimal.yaml");
    let doc = nuvolaris_kustomize::yaml::parse_documents(text, "whisk-minimal.yaml")
        .expect("fixture parses")
        .remove(0);
    let w: Whisk = serde_json::from_value(doc).expect("fixture is a Whisk");
    let (sec, _) = resolve(&w.spec, &Default::default());
    let facts = ClusterFacts::default();
    let op = OperatorConfig::default();
    let input = RenderInput {
        whisk: &w,
        secrets: &sec,
        facts: &facts,
        operator: &op,
        runtimes_json: DEFAULT_RUNTIMES_JSON,
    };
    c.bench_function("render minimal whisk", |b| {
        b.iter(|| render(&input).expect("render"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
