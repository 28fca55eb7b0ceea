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

//! The `kustomization.yaml` file format (kustomize `types.Kustomization`).

use crate::error::Error;
use crate::fieldspec::FieldSpec;
use crate::selector::Selector;
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// File names kustomize recognises as a kustomization, in lookup order.
pub const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Every top-level field kustomize v5 accepts.
const KNOWN_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "openapi",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patchesStrategicMerge",
    "patchesJson6902",
    "patches",
    "images",
    "imageTags",
    "replacements",
    "replicas",
    "vars",
    "sortOptions",
    "resources",
    "components",
    "crds",
    "bases",
    "configMapGenerator",
    "secretGenerator",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
    "generatorOptions",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "buildMetadata",
];

/// A string map that also accepts YAML scalars (numbers, booleans) as strings.
pub type StringMap = IndexMap<String, String>;

fn de_string_map<'de, D: Deserializer<'de>>(d: D) -> Result<StringMap, D::Error> {
    let v: Option<IndexMap<String, Value>> = Option::deserialize(d)?;
    let mut out = StringMap::new();
    for (k, v) in v.unwrap_or_default() {
        let s = match v {
            Value::String(s) => s,
            Value::Null => String::new(),
            Value::Bool(_) => {
                return Err(serde::de::Error::custom(format!(
                    "json: cannot unmarshal bool into a string (key '{k}')"
                )))
            }
            Value::Number(_) => {
                return Err(serde::de::Error::custom(format!(
                    "json: cannot unmarshal number into a string (key '{k}')"
                )))
            }
            other => {
                return Err(serde::de::Error::custom(format!(
                    "json: cannot unmarshal {other} into a string (key '{k}')"
                )))
            }
        };
        out.insert(k, s);
    }
    Ok(out)
}

fn de_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v: Option<Value> = Option::deserialize(d)?;
    Ok(match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s,
        Some(Value::Number(_)) => {
            return Err(serde::de::Error::custom(
                "json: cannot unmarshal number into a string field",
            ))
        }
        Some(Value::Bool(_)) => {
            return Err(serde::de::Error::custom(
                "json: cannot unmarshal bool into a string field",
            ))
        }
        Some(_) => {
            return Err(serde::de::Error::custom(
                "json: cannot unmarshal object into a string field",
            ))
        }
    })
}

/// Reads a YAML 1.1 boolean (kustomization files are read as YAML 1.1: `yes`, `on`, `y` are true).
pub fn yaml11_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.as_str() {
            "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
                Some(true)
            }
            "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False"
            | "FALSE" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn de_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v: Option<Value> = Option::deserialize(d)?;
    match v {
        None | Some(Value::Null) => Ok(false),
        Some(v) => yaml11_bool(&v).ok_or_else(|| {
            serde::de::Error::custom(format!("json: cannot unmarshal {v} into a bool"))
        }),
    }
}

fn de_opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v: Option<Value> = Option::deserialize(d)?;
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => yaml11_bool(&v).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!("json: cannot unmarshal {v} into a bool"))
        }),
    }
}

fn de_bool_map<'de, D: Deserializer<'de>>(d: D) -> Result<IndexMap<String, bool>, D::Error> {
    let v: Option<IndexMap<String, Value>> = Option::deserialize(d)?;
    let mut out = IndexMap::new();
    for (k, v) in v.unwrap_or_default() {
        let b = yaml11_bool(&v).ok_or_else(|| {
            serde::de::Error::custom(format!("json: cannot unmarshal {v} into a bool ({k})"))
        })?;
        out.insert(k, b);
    }
    Ok(out)
}

fn de_vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    let v: Option<Vec<T>> = Option::deserialize(d)?;
    Ok(v.unwrap_or_default())
}

/// A kustomization (or component) file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Kustomization {
    /// `apiVersion`.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub api_version: String,
    /// `kind`: `Kustomization` (default) or `Component`.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub kind: String,
    /// `metadata` (ignored).
    #[serde(default)]
    pub metadata: Option<Value>,
    /// `openapi` (custom schema; not supported beyond parsing).
    #[serde(default)]
    pub openapi: Option<Value>,
    /// `namePrefix`.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub name_prefix: String,
    /// `nameSuffix`.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub name_suffix: String,
    /// `namespace`.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub namespace: String,
    /// `commonLabels`.
    #[serde(default, deserialize_with = "de_string_map")]
    pub common_labels: StringMap,
    /// `labels`.
    #[serde(default, deserialize_with = "de_vec")]
    pub labels: Vec<Label>,
    /// `commonAnnotations`.
    #[serde(default, deserialize_with = "de_string_map")]
    pub common_annotations: StringMap,
    /// `patchesStrategicMerge` (legacy): file paths or inline patches.
    #[serde(default, deserialize_with = "de_vec")]
    pub patches_strategic_merge: Vec<String>,
    /// `patchesJson6902` (legacy).
    #[serde(default, deserialize_with = "de_vec")]
    pub patches_json6902: Vec<Patch>,
    /// `patches`.
    #[serde(default, deserialize_with = "de_vec")]
    pub patches: Vec<Patch>,
    /// `images`.
    #[serde(default, deserialize_with = "de_vec")]
    pub images: Vec<Image>,
    /// `imageTags` (legacy alias of images).
    #[serde(default, deserialize_with = "de_vec")]
    pub image_tags: Vec<Image>,
    /// `replacements`.
    #[serde(default, deserialize_with = "de_vec")]
    pub replacements: Vec<Value>,
    /// `replicas`.
    #[serde(default, deserialize_with = "de_vec")]
    pub replicas: Vec<Replica>,
    /// `vars` (legacy).
    #[serde(default, deserialize_with = "de_vec")]
    pub vars: Vec<Var>,
    /// `sortOptions`.
    #[serde(default)]
    pub sort_options: Option<SortOptions>,
    /// `resources`.
    #[serde(default, deserialize_with = "de_vec")]
    pub resources: Vec<String>,
    /// `components`.
    #[serde(default, deserialize_with = "de_vec")]
    pub components: Vec<String>,
    /// `crds` (legacy; files only contribute configuration).
    #[serde(default, deserialize_with = "de_vec")]
    pub crds: Vec<String>,
    /// `bases` (legacy alias appended to resources).
    #[serde(default, deserialize_with = "de_vec")]
    pub bases: Vec<String>,
    /// `configMapGenerator`.
    #[serde(default, deserialize_with = "de_vec")]
    pub config_map_generator: Vec<GeneratorArgs>,
    /// `secretGenerator`.
    #[serde(default, deserialize_with = "de_vec")]
    pub secret_generator: Vec<GeneratorArgs>,
    /// `helmGlobals` (unsupported).
    #[serde(default)]
    pub helm_globals: Option<Value>,
    /// `helmCharts` (unsupported).
    #[serde(default)]
    pub helm_charts: Option<Value>,
    /// `helmChartInflationGenerator` (unsupported).
    #[serde(default)]
    pub helm_chart_inflation_generator: Option<Value>,
    /// `generatorOptions`.
    #[serde(default)]
    pub generator_options: Option<GeneratorOptions>,
    /// `configurations`: transformer configuration files.
    #[serde(default, deserialize_with = "de_vec")]
    pub configurations: Vec<String>,
    /// `generators` (plugins; unsupported).
    #[serde(default, deserialize_with = "de_vec")]
    pub generators: Vec<String>,
    /// `transformers` (plugins; built-in kinds supported).
    #[serde(default, deserialize_with = "de_vec")]
    pub transformers: Vec<String>,
    /// `validators` (plugins; unsupported).
    #[serde(default, deserialize_with = "de_vec")]
    pub validators: Vec<String>,
    /// `buildMetadata`.
    #[serde(default, deserialize_with = "de_vec")]
    pub build_metadata: Vec<String>,
}

/// One entry of `labels`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Label {
    /// Labels to add.
    #[serde(default, deserialize_with = "de_string_map")]
    pub pairs: StringMap,
    /// Also add to selectors (as commonLabels does).
    #[serde(default, deserialize_with = "de_bool")]
    pub include_selectors: bool,
    /// Also add to pod templates.
    #[serde(default, deserialize_with = "de_bool")]
    pub include_templates: bool,
    /// Extra field specs.
    #[serde(default, deserialize_with = "de_vec")]
    pub fields: Vec<FieldSpec>,
}

/// A patch (`patches` or legacy `patchesJson6902`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Patch {
    /// File holding the patch.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub path: String,
    /// Inline patch text.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub patch: String,
    /// Which resources to patch.
    #[serde(default)]
    pub target: Option<Selector>,
    /// `allowNameChange`, `allowKindChange`.
    #[serde(default, deserialize_with = "de_bool_map")]
    pub options: IndexMap<String, bool>,
}

/// An `images` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    /// Image name to match.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub name: String,
    /// Replacement name.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub new_name: String,
    /// Replacement tag.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub new_tag: String,
    /// Replacement digest.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub digest: String,
    /// Suffix appended to the tag.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub tag_suffix: String,
}

/// A `replicas` entry.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Replica {
    /// Resource name.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub name: String,
    /// Replica count.
    #[serde(default)]
    pub count: i64,
}

/// A legacy `vars` entry.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Var {
    /// Variable name used as `$(NAME)`.
    #[serde(default)]
    pub name: String,
    /// The object the value comes from.
    #[serde(default)]
    pub objref: VarObjRef,
    /// The field of that object.
    #[serde(default)]
    pub fieldref: VarFieldRef,
}

/// `vars[].objref`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VarObjRef {
    /// Kind.
    #[serde(default)]
    pub kind: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Namespace.
    #[serde(default)]
    pub namespace: String,
    /// apiVersion.
    #[serde(default)]
    pub api_version: String,
    /// group.
    #[serde(default)]
    pub group: String,
    /// version.
    #[serde(default)]
    pub version: String,
}

/// `vars[].fieldref`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VarFieldRef {
    /// Field path, default `metadata.name`.
    #[serde(default)]
    pub fieldpath: String,
}

/// `sortOptions`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SortOptions {
    /// `legacy` or `fifo`.
    #[serde(default)]
    pub order: String,
    /// Custom first/last kinds for legacy order.
    #[serde(default)]
    pub legacy_sort_options: Option<LegacySortOptions>,
}

/// `sortOptions.legacySortOptions`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacySortOptions {
    /// Kinds first, in order.
    #[serde(default)]
    pub order_first: Vec<String>,
    /// Kinds last, in order.
    #[serde(default)]
    pub order_last: Vec<String>,
}

/// `generatorOptions` (global or per generator).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneratorOptions {
    /// Labels added to generated resources.
    #[serde(default, deserialize_with = "de_string_map")]
    pub labels: StringMap,
    /// Annotations added to generated resources.
    #[serde(default, deserialize_with = "de_string_map")]
    pub annotations: StringMap,
    /// Turns off the content-hash name suffix.
    #[serde(default, deserialize_with = "de_opt_bool")]
    pub disable_name_suffix_hash: Option<bool>,
    /// Marks the generated resources immutable.
    #[serde(default, deserialize_with = "de_opt_bool")]
    pub immutable: Option<bool>,
}

/// A `configMapGenerator` / `secretGenerator` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneratorArgs {
    /// Namespace of the generated resource.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub namespace: String,
    /// Name of the generated resource.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub name: String,
    /// `create`, `replace` or `merge`.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub behavior: String,
    /// `key=value` literals.
    #[serde(default, deserialize_with = "de_vec")]
    pub literals: Vec<String>,
    /// Files (`[key=]path`).
    #[serde(default, deserialize_with = "de_vec")]
    pub files: Vec<String>,
    /// Env files.
    #[serde(default, deserialize_with = "de_vec")]
    pub envs: Vec<String>,
    /// Legacy single env file.
    #[serde(default, deserialize_with = "de_opt_string")]
    pub env: String,
    /// Per-generator options.
    #[serde(default)]
    pub options: Option<GeneratorOptions>,
    /// Secret type (secretGenerator only).
    #[serde(default, rename = "type", deserialize_with = "de_opt_string")]
    pub kind: String,
}

/// Plain scalars that YAML 1.1 (read by kustomize for kustomization files) takes as booleans
/// while YAML 1.2 keeps them strings.
const YAML11_BOOLS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
    "OFF",
];

/// Kustomization fields of boolean type, where a YAML 1.1 boolean is fine.
const BOOL_FIELDS: &[&str] = &[
    "includeSelectors",
    "includeTemplates",
    "disableNameSuffixHash",
    "immutable",
    "allowNameChange",
    "allowKindChange",
    "create",
];

/// Kustomize reads kustomization files as YAML 1.1: an unquoted `yes`, `no`, `on`, `off`, `y`
/// or `n` where a string is expected is a type error there. Block scalars are skipped.
pub fn check_yaml11_bools(text: &str, file: &str) -> Result<(), Error> {
    let mut block_indent: Option<usize> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let body = line.trim();
        if let Some(bi) = block_indent {
            if body.is_empty() || indent > bi {
                continue;
            }
            block_indent = None;
        }
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let body = body.trim_start_matches("- ").trim_start();
        let (key, value) = match body.split_once(": ") {
            Some((k, v)) => (k.trim(), v.trim()),
            None if body.ends_with(':') => continue,
            None => ("", body),
        };
        let value = match value.find(" #") {
            Some(i) => value[..i].trim(),
            None => value,
        };
        if value.starts_with('|') || value.starts_with('>') {
            block_indent = Some(indent);
            continue;
        }
        let bad = |k: &str, v: &str| -> Result<(), Error> {
            let v = v.trim();
            if YAML11_BOOLS.contains(&v) && !BOOL_FIELDS.contains(&k.trim()) {
                return Err(Error::Kustomization {
                    file: file.into(),
                    message: format!(
                        "json: cannot unmarshal bool into Go struct field of type string ('{}: {v}' is a YAML 1.1 boolean; quote it)",
                        k.trim()
                    ),
                });
            }
            Ok(())
        };
        if value.starts_with('{') || value.starts_with('[') {
            let inner = value.trim_matches(|c| c == '{' || c == '}' || c == '[' || c == ']');
            for item in inner.split(',') {
                match item.split_once(':') {
                    Some((k, v)) => bad(k, v)?,
                    None => bad(key, item)?,
                }
            }
        } else {
            bad(key, value)?;
        }
    }
    Ok(())
}

impl Kustomization {
    /// Parses a kustomization document, rejecting unknown fields as kustomize does.
    pub fn from_value(v: Value, file: &str) -> Result<Self, Error> {
        let v = match v {
            Value::Null => return Ok(Kustomization::default()),
            Value::Object(o) => o,
            _ => {
                return Err(Error::Kustomization {
                    file: file.into(),
                    message: "kustomization must be a YAML mapping".into(),
                })
            }
        };
        for k in v.keys() {
            if !KNOWN_FIELDS.contains(&k.as_str()) {
                return Err(Error::Kustomization {
                    file: file.into(),
                    message: format!("json: unknown field \"{k}\""),
                });
            }
        }
        let mut k: Kustomization =
            serde_json::from_value(Value::Object(v)).map_err(|e| Error::Kustomization {
                file: file.into(),
                message: e.to_string(),
            })?;
        // kustomize's FixKustomization: legacy fields folded into current ones.
        let bases = std::mem::take(&mut k.bases);
        k.resources.extend(bases);
        let tags = std::mem::take(&mut k.image_tags);
        k.images.extend(tags);
        if k.kind.is_empty() {
            k.kind = "Kustomization".into();
        }
        Ok(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case(json!({"foo": 1}), "unknown field \"foo\"")]
    #[case(json!({"resources": "x"}), "invalid type")]
    #[case(json!([1]), "mapping")]
    #[case(json!({"commonLabels": {"v": 1}}), "cannot unmarshal number")]
    #[case(json!({"images": [{"name": "n", "newTag": 1.2}]}), "cannot unmarshal number")]
    #[case(json!({"namePrefix": 1}), "cannot unmarshal number")]
    #[case(json!({"replicas": [{"name": "n", "count": "3"}]}), "invalid type")]
    fn rejects(#[case] v: Value, #[case] needle: &str) {
        let e = Kustomization::from_value(v, "k.yaml")
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{e}");
    }

    // `kubectl kustomize` v5.8.1 rejects the first four and accepts the rest.
    #[rstest]
    #[case("commonAnnotations:\n  enabled: yes\n", true)]
    #[case("commonLabels: {on: off}\n", true)]
    #[case("resources:\n- no\n", true)]
    #[case("namespace: n # comment\n", true)]
    #[case("commonAnnotations:\n  enabled: \"yes\"\n", false)]
    #[case("labels:\n- pairs: {a: b}\n  includeSelectors: yes\n", false)]
    #[case(
        "patches:\n- patch: |-\n    - op: add\n      value: yes\n  target: {kind: X}\n",
        false
    )]
    #[case("namePrefix: yes-\n", false)]
    fn yaml11_booleans(#[case] text: &str, #[case] rejected: bool) {
        assert_eq!(check_yaml11_bools(text, "k").is_err(), rejected);
    }

    #[test]
    fn yaml11_booleans_in_bool_fields() {
        let k = Kustomization::from_value(
            json!({"labels": [{"pairs": {"a": "b"}, "includeSelectors": "yes", "includeTemplates": "off"}],
                   "generatorOptions": {"disableNameSuffixHash": "on"}}),
            "k",
        )
        .unwrap();
        assert!(k.labels[0].include_selectors && !k.labels[0].include_templates);
        assert_eq!(
            k.generator_options.unwrap().disable_name_suffix_hash,
            Some(true)
        );
        assert!(
            Kustomization::from_value(json!({"labels": [{"includeSelectors": "maybe"}]}), "k")
                .is_err()
        );
    }

    #[test]
    fn folds_legacy_fields() {
        let k = Kustomization::from_value(
            json!({"resources": ["a.yaml"], "bases": ["../b"], "commonLabels": {"v": "1"}}),
            "k",
        )
        .unwrap();
        assert_eq!(k.resources, vec!["a.yaml", "../b"]);
        assert_eq!(k.common_labels.get("v").map(String::as_str), Some("1"));
        assert_eq!(k.kind, "Kustomization");
    }
}
