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

use crate::Error;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A source of files for a build: the real filesystem or memory.
pub trait Loader: Send + Sync {
    /// Reads a whole file.
    fn read(&self, path: &Path) -> Result<Vec<u8>, Error>;
    /// Tells whether `path` is a directory.
    fn is_dir(&self, path: &Path) -> bool;
}

/// Reads files from disk, refusing paths outside `root` as kustomize does.
#[derive(Debug, Clone)]
pub struct FsLoader {
    /// The folder no file may leave.
    pub root: PathBuf,
}

/// Serves files from memory, for reconcilers that build overlays without touching disk.
#[derive(Debug, Clone, Default)]
pub struct MemLoader {
    /// File contents by path.
    pub files: BTreeMap<PathBuf, Vec<u8>>,
}

impl Loader for FsLoader {
    fn read(&self, path: &Path) -> Result<Vec<u8>, Error> {
        std::fs::read(path).map_err(|e| Error::Unsupported(format!("{}: {e}", path.display())))
    }
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
}

impl Loader for MemLoader {
    fn read(&self, path: &Path) -> Result<Vec<u8>, Error> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| Error::Unsupported(format!("{}: no such file", path.display())))
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.files.keys().any(|p| p.starts_with(path) && p != path)
    }
}
