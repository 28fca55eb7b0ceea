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

//! Where kustomization files and resources are read from.
//!
//! Kustomize's rule: a file named by a kustomization (resource, patch, generator source,
//! configuration) must lie in or below that kustomization's folder once symlinks are
//! resolved; other kustomization folders (bases, components) may live anywhere.

use crate::error::Error;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// A source of files for a build: the real filesystem or memory.
pub trait Loader: Send + Sync {
    /// Reads a whole file.
    fn read(&self, path: &Path) -> Result<Vec<u8>, Error>;
    /// Tells whether `path` is a directory.
    fn is_dir(&self, path: &Path) -> bool;
    /// Tells whether `path` is an existing regular file.
    fn is_file(&self, path: &Path) -> bool;
    /// The path with symlinks resolved, used for root checks and cycle detection.
    fn real_path(&self, path: &Path) -> Result<PathBuf, Error> {
        Ok(normalize(path))
    }
}

/// Reads files from disk, refusing files outside their kustomization folder as kustomize does.
#[derive(Debug, Clone)]
pub struct FsLoader {
    /// The folder the build starts from (informational; each kustomization folder is its own root).
    pub root: PathBuf,
}

impl FsLoader {
    /// A loader for builds starting at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FsLoader { root: root.into() }
    }
}

/// Serves files from memory, for reconcilers that build overlays without touching disk.
#[derive(Debug, Clone, Default)]
pub struct MemLoader {
    /// File contents by (relative, normalized) path.
    pub files: BTreeMap<PathBuf, Vec<u8>>,
}

impl MemLoader {
    /// An empty in-memory loader.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a file; the path is normalized lexically.
    pub fn add(&mut self, path: impl AsRef<Path>, content: impl Into<Vec<u8>>) -> &mut Self {
        self.files.insert(normalize(path.as_ref()), content.into());
        self
    }

    /// Builder form of [`MemLoader::add`].
    pub fn with(mut self, path: impl AsRef<Path>, content: impl Into<Vec<u8>>) -> Self {
        self.add(path, content);
        self
    }
}

impl Loader for FsLoader {
    fn read(&self, path: &Path) -> Result<Vec<u8>, Error> {
        std::fs::read(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            message: io_message(&e),
        })
    }
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }
    fn real_path(&self, path: &Path) -> Result<PathBuf, Error> {
        std::fs::canonicalize(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            message: io_message(&e),
        })
    }
}

impl Loader for MemLoader {
    fn read(&self, path: &Path) -> Result<Vec<u8>, Error> {
        let p = normalize(path);
        self.files
            .get(&p)
            .or_else(|| self.files.get(path))
            .cloned()
            .ok_or_else(|| Error::Io {
                path: path.display().to_string(),
                message: "no such file or directory".into(),
            })
    }
    fn is_dir(&self, path: &Path) -> bool {
        let p = normalize(path);
        if p.as_os_str().is_empty() {
            return !self.files.is_empty();
        }
        self.files.keys().any(|k| k != &p && k.starts_with(&p))
    }
    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(&normalize(path)) || self.files.contains_key(path)
    }
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        _ => e.to_string(),
    }
}

/// Normalizes a path lexically: drops `.`, folds `dir/..`, keeps leading `..` of relative paths.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    out.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("a/./b/../c", "a/c")]
    #[case("overlay/../base/x.yaml", "base/x.yaml")]
    #[case("../x", "../x")]
    #[case("/a/../../b", "/b")]
    fn normalizes(#[case] input: &str, #[case] want: &str) {
        assert_eq!(normalize(Path::new(input)), PathBuf::from(want));
    }

    #[test]
    fn mem_loader_dirs_and_files() {
        let l = MemLoader::new()
            .with("base/kustomization.yaml", "x")
            .with("overlay/k.yaml", "y");
        assert!(l.is_dir(Path::new("base")));
        assert!(l.is_dir(Path::new("overlay/../base")));
        assert!(!l.is_dir(Path::new("bas")));
        assert!(l.is_file(Path::new("./base/kustomization.yaml")));
        assert_eq!(l.read(Path::new("overlay/./k.yaml")).unwrap(), b"y");
        assert!(l.read(Path::new("nope")).is_err());
        let mut raw = MemLoader::new();
        raw.files
            .insert(PathBuf::from("./odd/../x.yaml"), b"z".to_vec());
        assert!(raw.is_file(Path::new("./odd/../x.yaml")));
        assert_eq!(raw.read(Path::new("./odd/../x.yaml")).unwrap(), b"z");
    }
}
