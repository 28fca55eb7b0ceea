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

//! Loading a build target: finding and parsing the kustomization file of a folder (parsed
//! kustomizations are cached by content), checking its kind and apiVersion and the files it
//! names, and reading files on its behalf without leaving its folder.

use crate::error::Error;
use crate::kustomization::{Kustomization, KUSTOMIZATION_FILES};
use crate::loader::{normalize, Loader};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A loaded kustomization and where it lives.
pub(super) struct Target {
    /// The kustomization folder.
    pub dir: PathBuf,
    /// Path of `dir` relative to the top kustomization (for origin annotations).
    pub rel: PathBuf,
    /// `kustomization.yaml`, `kustomization.yml` or `Kustomization`.
    pub file_name: String,
    /// The parsed kustomization.
    pub k: Arc<Kustomization>,
}

/// A path as kustomize prints it in messages.
pub(super) fn display(p: &Path) -> String {
    p.display().to_string()
}

impl Target {
    /// Loads the kustomization in `dir`; `rel` is `dir` relative to the top kustomization.
    pub fn load(loader: &dyn Loader, dir: &Path, rel: PathBuf) -> Result<Target, Error> {
        let found: Vec<&str> = KUSTOMIZATION_FILES
            .iter()
            .copied()
            .filter(|f| loader.is_file(&dir.join(f)))
            .collect();
        let file_name = match found.as_slice() {
            [one] => one.to_string(),
            [] => {
                return Err(Error::build(format!(
                    "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{}'",
                    display(&loader.real_path(dir).unwrap_or_else(|_| dir.to_path_buf()))
                )))
            }
            _ => return Err(Error::build(format!("Found multiple kustomization files under: {}", display(dir)))),
        };
        let path = dir.join(&file_name);
        let bytes = loader.read(&path)?;
        let k = parse_kustomization(&bytes, &display(&path), &file_name)?;
        let problem = match (k.kind.as_str(), k.api_version.as_str()) {
            ("Kustomization", "" | "kustomize.config.k8s.io/v1beta1") => None,
            ("Component", "" | "kustomize.config.k8s.io/v1alpha1") => None,
            ("Kustomization", _) => {
                Some("apiVersion for Kustomization should be kustomize.config.k8s.io/v1beta1")
            }
            ("Component", _) => {
                Some("apiVersion for Component should be kustomize.config.k8s.io/v1alpha1")
            }
            _ => Some("kind should be Kustomization or Component"),
        };
        if let Some(p) = problem {
            return Err(Error::build(format!(
                "Failed to read kustomization file under {}:\n{p}",
                display(&loader.real_path(dir).unwrap_or_else(|_| dir.to_path_buf()))
            )));
        }
        if let Some(path) = k
            .openapi
            .as_ref()
            .and_then(|o| o.get("path"))
            .and_then(Value::as_str)
        {
            let full = normalize(&dir.join(path));
            if !loader.is_file(&full) {
                return Err(Error::build(format!(
                    "evalsymlink failure on '{}' : no such file or directory",
                    display(&full)
                )));
            }
        }
        for crd in &k.crds {
            let full = normalize(&dir.join(crd));
            if !loader.is_file(&full) {
                return Err(Error::build(format!(
                    "loading CRDs [{crd}]: evalsymlink failure on '{}' : no such file or directory",
                    display(&full)
                )));
            }
        }
        Ok(Target {
            dir: dir.to_path_buf(),
            rel,
            file_name,
            k,
        })
    }

    /// The kustomization file relative to the top kustomization (`configuredIn:` of origins).
    pub fn rel_file(&self) -> String {
        normalize(&self.rel.join(&self.file_name))
            .display()
            .to_string()
    }

    /// Reads a file named by the kustomization, enforcing that it stays inside the folder.
    pub fn read_in_root(&self, loader: &dyn Loader, rel: &str) -> Result<Vec<u8>, Error> {
        let p = normalize(&self.dir.join(rel));
        self.check_in_root(loader, &p)?;
        loader.read(&p).map_err(|e| match e {
            Error::Io { message, .. } => Error::build(format!(
                "{}: open {}: {message}",
                self.file_name,
                display(
                    &loader
                        .real_path(&self.dir)
                        .unwrap_or_else(|_| self.dir.clone())
                        .join(rel)
                )
            )),
            other => other,
        })
    }

    /// Fails when `p` resolves to a file outside the kustomization folder.
    pub fn check_in_root(&self, loader: &dyn Loader, p: &Path) -> Result<(), Error> {
        let root = loader.real_path(&self.dir)?;
        let real = match loader.real_path(p) {
            Ok(r) => r,
            Err(_) => return Ok(()), // missing file: reported by the read
        };
        if !real.starts_with(&root) {
            return Err(Error::Security {
                file: display(&real),
                root: display(&root),
            });
        }
        Ok(())
    }
}

type KustCache = std::collections::HashMap<u64, (Arc<[u8]>, String, Arc<Kustomization>)>;

/// Parses a kustomization file, caching the result by content (reconcilers rebuild the same
/// overlays over and over).
fn parse_kustomization(
    bytes: &[u8],
    path: &str,
    file_name: &str,
) -> Result<Arc<Kustomization>, Error> {
    use std::hash::{DefaultHasher, Hash, Hasher};
    static CACHE: std::sync::OnceLock<std::sync::Mutex<KustCache>> = std::sync::OnceLock::new();
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    let key = h.finish();
    let cache = CACHE.get_or_init(Default::default);
    if let Some((b, p, k)) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        if &**b == bytes && p == path {
            return Ok(k.clone());
        }
    }
    crate::kustomization::check_yaml11_bools(&String::from_utf8_lossy(bytes), path)?;
    // kustomize reads kustomization files with sigs.k8s.io/yaml: plain keys are YAML 1.1
    let text = std::str::from_utf8(bytes).map_err(|e| Error::Kustomization {
        file: path.to_string(),
        message: format!("yaml: invalid UTF-8: {e}"),
    })?;
    let docs: Vec<Value> =
        crate::yaml::parse_documents_yaml11_keys(text, path).map_err(|e| match e {
            Error::Yaml { file, message } => Error::Kustomization {
                file,
                message: format!("yaml: {message}"),
            },
            other => other,
        })?;
    let doc = match docs.len() {
        0 => Value::Null,
        1 => docs[0].clone(),
        _ => {
            return Err(Error::Kustomization {
                file: path.to_string(),
                message: "a kustomization file must hold a single YAML document".into(),
            })
        }
    };
    let empty = match &doc {
        Value::Null => true,
        Value::Object(o) => o.keys().all(|k| k == "apiVersion" || k == "kind"),
        _ => false,
    };
    if empty {
        return Err(Error::build(format!("{file_name} is empty")));
    }
    let k = Arc::new(Kustomization::from_value(doc, path)?);
    let mut g = cache.lock().unwrap_or_else(|e| e.into_inner());
    if g.len() > 256 {
        g.clear();
    }
    g.insert(key, (Arc::from(bytes), path.to_string(), k.clone()));
    Ok(k)
}
