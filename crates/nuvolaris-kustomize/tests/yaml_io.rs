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

//! YAML reading and printing against kubectl, independent of the transformers:
//! - every committed `expected.yaml` (kubectl output) is read and printed again, which
//!   must give the same bytes (kubectl's output is a fixed point of the printer);
//! - for the corpus cases that only list plain resource files, reading those files and
//!   printing them must give exactly what kubectl printed.

mod common;

use common::cases;
use nuvolaris_kustomize::yaml::{parse_documents, to_yaml_stream};
use pretty_assertions::assert_eq;

#[test]
fn kubectl_output_is_a_fixed_point_of_the_printer() {
    let mut checked = 0;
    for case in cases() {
        let Some(want) = &case.expected else { continue };
        let docs = parse_documents(want, &format!("{}/expected.yaml", case.name))
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(&to_yaml_stream(&docs), want, "case {}", case.name);
        checked += 1;
    }
    assert!(
        checked > 0 || std::env::var("CORPUS_CASE").is_ok(),
        "no expected.yaml found"
    );
}

/// Cases whose kustomization is only `resources:` with plain files, printed unchanged.
const PLAIN_CASES: &[&str] = &[
    "01-resources-single-file",
    "02-resources-multi-document",
    "65-yaml-string-quoting",
    "66-yaml-numbers-and-scalars",
    "67-yaml-multiline-strings",
    "68-yaml-long-strings-folding",
    "69-yaml-anchors-and-merge-keys",
    "70-yaml-json-resource",
    "71-yaml-key-ordering",
    "116-yaml-flow-style-and-comments",
];

#[test]
fn plain_resources_print_like_kubectl() {
    let all = cases();
    let mut checked = 0;
    for name in PLAIN_CASES {
        let Some(case) = all.iter().find(|c| c.name == *name) else {
            continue;
        };
        let kust =
            std::fs::read_to_string(case.dir.join("kustomization.yaml")).expect("kustomization");
        let k = parse_documents(&kust, "kustomization.yaml")
            .expect("kustomization parses")
            .remove(0);
        assert_eq!(
            k.as_object().map(|m| m.len()),
            Some(1),
            "{name}: only `resources:` expected"
        );
        let mut docs = Vec::new();
        for r in k["resources"].as_array().expect("resources list") {
            let file = r.as_str().expect("resource path");
            let text = std::fs::read_to_string(case.dir.join(file)).expect("resource file");
            docs.extend(parse_documents(&text, file).unwrap_or_else(|e| panic!("{name}: {e}")));
        }
        assert_eq!(
            &to_yaml_stream(&docs),
            case.expected.as_ref().expect("expected.yaml"),
            "case {name}"
        );
        checked += 1;
    }
    assert!(
        checked > 0 || std::env::var("CORPUS_CASE").is_ok(),
        "no plain case found"
    );
}
