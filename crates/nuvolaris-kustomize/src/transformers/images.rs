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

//! `images:` — rewrites container image names, tags and digests (kustomize ImageTagTransformer).

use crate::error::Error;
use crate::fieldspec::{walk, FieldSpec};
use crate::kustomization::Image;
use crate::resource::ResMap;
use serde_json::Value;

/// Splits an image reference into name, tag and digest (kustomize `image.Split`).
pub fn split(image: &str) -> (&str, &str, &str) {
    let slash = image.find('/').filter(|&i| i > 0).unwrap_or(0);
    let search = &image[slash..];
    let id = search.find('@');
    let ic = search.find(':');
    match (ic, id) {
        (None, None) => (image, "", ""),
        (ic, Some(d)) if ic.is_none() || d < ic.unwrap_or(usize::MAX) => {
            let d = d + slash;
            (&image[..d], "", &image[d + 1..])
        }
        (Some(c), Some(d)) => {
            let (c, d) = (c + slash, d + slash);
            (&image[..c], &image[c + 1..d], &image[d + 1..])
        }
        (Some(c), None) => {
            let c = c + slash;
            (&image[..c], &image[c + 1..], "")
        }
        _ => (image, "", ""),
    }
}

/// True when `image` is `name` optionally followed by `@sha256`, a `:tag` and/or an
/// `@sha256:digest` (kustomize `IsImageMatched`).
pub fn matches(image: &str, name: &str) -> bool {
    let tag_char = |c: char| c.is_ascii_alphanumeric() || "_.{}-".contains(c);
    let Some(mut rest) = image.strip_prefix(name) else {
        return false;
    };
    if let Some(r) = rest.strip_prefix("@sha256") {
        rest = r;
    }
    if let Some(r) = rest.strip_prefix(':') {
        let end = r.find(|c: char| !tag_char(c)).unwrap_or(r.len());
        rest = &r[end..];
    }
    if let Some(r) = rest.strip_prefix("@sha256:") {
        rest = r.trim_start_matches(tag_char);
    }
    rest.is_empty()
}

/// The new image reference for `value` under `img`, if it matches.
pub fn rewrite(value: &str, img: &Image) -> Option<String> {
    if !matches(value, &img.name) {
        return None;
    }
    let (name, tag, digest) = split(value);
    let mut name = name.to_string();
    let (mut tag, mut digest) = (tag.to_string(), digest.to_string());
    if !img.new_name.is_empty() {
        name = img.new_name.clone();
    }
    if !img.new_tag.is_empty() && !img.digest.is_empty() {
        tag = img.new_tag.clone();
        digest = img.digest.clone();
    } else if !img.new_tag.is_empty() {
        tag = img.new_tag.clone();
        digest.clear();
    } else if !img.digest.is_empty() {
        digest = img.digest.clone();
        tag.clear();
    }
    if !img.tag_suffix.is_empty() {
        tag.push_str(&img.tag_suffix);
    }
    if !tag.is_empty() {
        name = format!("{name}:{tag}");
    }
    if !digest.is_empty() {
        name = format!("{name}@{digest}");
    }
    Some(name)
}

fn visit_containers(v: &mut Value, img: &Image) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if k == "containers" || k == "initContainers" {
                    if let Value::Array(items) = child {
                        for c in items.iter_mut() {
                            if let Some(Value::String(s)) = c.get_mut("image") {
                                if let Some(n) = rewrite(s, img) {
                                    *s = n;
                                }
                            }
                        }
                    }
                }
                visit_containers(child, img);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|c| visit_containers(c, img)),
        _ => {}
    }
}

/// Applies every `images:` entry to all containers and init containers, and to custom image fields.
pub fn apply(m: &mut ResMap, images: &[Image], specs: &[FieldSpec]) -> Result<(), Error> {
    for img in images {
        for r in m.items.iter_mut() {
            visit_containers(&mut r.obj, img);
            let gvk = r.gvk();
            for fs in specs {
                if !fs.applies_to(&gvk) {
                    continue;
                }
                walk(&mut r.obj, &fs.segs, false, &mut |map, key| {
                    if let Some(Value::String(s)) = map.get_mut(key) {
                        if let Some(n) = rewrite(s, img) {
                            *s = n;
                        }
                    }
                    Ok(())
                })?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("nginx", ("nginx", "", ""))]
    #[case("nginx:1.2", ("nginx", "1.2", ""))]
    #[case("localhost:5000/nginx", ("localhost:5000/nginx", "", ""))]
    #[case("localhost:5000/nginx:1.2", ("localhost:5000/nginx", "1.2", ""))]
    #[case("nginx@sha256:abc", ("nginx", "", "sha256:abc"))]
    #[case("r.io/nginx:1@sha256:abc", ("r.io/nginx", "1", "sha256:abc"))]
    fn splits(#[case] image: &str, #[case] want: (&str, &str, &str)) {
        assert_eq!(split(image), want);
    }

    fn img(name: &str, new_name: &str, new_tag: &str, digest: &str) -> Image {
        Image {
            name: name.into(),
            new_name: new_name.into(),
            new_tag: new_tag.into(),
            digest: digest.into(),
            ..Default::default()
        }
    }

    // Expectations from `kubectl kustomize` v5.8.1.
    #[rstest]
    #[case("nginx", img("nginx", "", "1.25", ""), Some("nginx:1.25"))]
    #[case("nginx:1.0", img("nginx", "my/nginx", "", ""), Some("my/nginx:1.0"))]
    #[case(
        "nginx:1.0",
        img("nginx", "", "", "sha256:ff"),
        Some("nginx@sha256:ff")
    )]
    #[case("nginx@sha256:aa", img("nginx", "", "2", ""), Some("nginx:2"))]
    #[case(
        "localhost:5000/app:1",
        img("localhost:5000/app", "", "2", ""),
        Some("localhost:5000/app:2")
    )]
    #[case("nginxx:1", img("nginx", "", "2", ""), None)]
    #[case("nginx:1", img("nginx", "", "2", "sha256:d"), Some("nginx:2@sha256:d"))]
    #[case(
        "postgres:13@sha256:abc",
        img("postgres", "", "2", ""),
        Some("postgres:2")
    )]
    #[case(
        "postgres:13@sha256:abc",
        img("postgres", "", "", "sha256:ff"),
        Some("postgres@sha256:ff")
    )]
    #[case(
        "postgres:13@sha256:abc",
        img("postgres", "r:1/y", "v3", ""),
        Some("r:1/y:v3")
    )]
    fn rewrites(#[case] value: &str, #[case] i: Image, #[case] want: Option<&str>) {
        assert_eq!(rewrite(value, &i).as_deref(), want);
    }
}
