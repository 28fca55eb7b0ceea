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

//! `cargo xtask license [--check | --fix]`: the Apache-2.0 header on every source file, the
//! training's `license-eye header fix` done natively.
//!
//! Files considered: what `git ls-files` lists, tracked or untracked but not ignored, that exist.
//! Source files are `.rs .sh .toml .yaml .yml .py .js`, `Dockerfile`s and extensionless shell or
//! Python scripts (a `#!` first line). Skipped: anything under `testdata/`, `target/`,
//! `node_modules/` or `.tools/`, `Cargo.lock`, `.json` and `.md` files.

use crate::paths;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Arguments of `cargo xtask license`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Fail when a source file lacks the header (the default).
    #[arg(long, conflicts_with = "fix")]
    pub check: bool,
    /// Insert the header where it is missing (after a shebang line, if any).
    #[arg(long)]
    pub fix: bool,
}

/// Comment syntax used for the header of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `// ` line comments (Rust, JavaScript).
    Slash,
    /// `# ` line comments (TOML, YAML, shell, Python, Dockerfile).
    Hash,
}

/// The Apache-2.0 header text, one line per entry, without comment markers.
const HEADER_LINES: [&str; 16] = [
    "Licensed to the Apache Software Foundation (ASF) under one",
    "or more contributor license agreements.  See the NOTICE file",
    "distributed with this work for additional information",
    "regarding copyright ownership.  The ASF licenses this file",
    "to you under the Apache License, Version 2.0 (the",
    "\"License\"); you may not use this file except in compliance",
    "with the License.  You may obtain a copy of the License at",
    "",
    "  http://www.apache.org/licenses/LICENSE-2.0",
    "",
    "Unless required by applicable law or agreed to in writing,",
    "software distributed under the License is distributed on an",
    "\"AS IS\" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY",
    "KIND, either express or implied.  See the License for the",
    "specific language governing permissions and limitations",
    "under the License.",
];

/// How many leading lines may hold the header (after shebang and encoding lines, for example).
const HEADER_SEARCH_LINES: usize = 30;

/// Path components whose content is never checked.
const SKIPPED_DIRS: [&str; 4] = ["testdata", "target", "node_modules", ".tools"];

/// The header in `style`, each line ending with `\n`.
pub fn header(style: Style) -> String {
    let marker = match style {
        Style::Slash => "//",
        Style::Hash => "#",
    };
    HEADER_LINES
        .iter()
        .map(|line| if line.is_empty() { format!("{marker}\n") } else { format!("{marker} {line}\n") })
        .collect()
}

/// True when `path` (relative to the repository root) is never checked.
pub fn is_skipped(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name == "Cargo.lock"
        || name.ends_with(".json")
        || name.ends_with(".md")
        || path
            .components()
            .any(|c| SKIPPED_DIRS.iter().any(|d| c.as_os_str() == *d))
}

/// The header style of a source file, from its name and first line; `None` for other files.
pub fn style_for(path: &Path, first_line: &str) -> Option<Style> {
    if is_skipped(path) {
        return None;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if name == "Dockerfile" || name.starts_with("Dockerfile.") || name.ends_with(".dockerfile") {
        return Some(Style::Hash);
    }
    match path.extension().and_then(|e| e.to_str()) {
        Some("rs" | "js") => Some(Style::Slash),
        Some("sh" | "toml" | "yaml" | "yml" | "py") => Some(Style::Hash),
        Some(_) => None,
        None if is_shebang(first_line)
            && ["sh", "bash", "python"].iter().any(|i| first_line.contains(i)) =>
        {
            Some(Style::Hash)
        }
        None => None,
    }
}

/// True when `text` carries an Apache-2.0 license header near its top.
pub fn has_header(text: &str) -> bool {
    text.lines().take(HEADER_SEARCH_LINES).any(|line| {
        line.contains("Apache License, Version 2.0")
            || line.contains("SPDX-License-Identifier: Apache-2.0")
    })
}

/// A `#!` interpreter line (not a Rust inner attribute `#![...]`).
fn is_shebang(line: &str) -> bool {
    line.starts_with("#!") && !line.starts_with("#![")
}

/// A Python source-encoding declaration (PEP 263), which must stay in the first two lines.
fn is_encoding_line(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.starts_with('#') && (trimmed.contains("coding:") || trimmed.contains("coding="))
}

/// A Dockerfile parser directive (`# syntax=...`, `# escape=...`), which must stay first.
fn is_dockerfile_directive(line: &str) -> bool {
    ["# syntax=", "# escape=", "# check="].iter().any(|d| line.starts_with(d))
}

/// `text` with the header inserted: after a shebang and an encoding line or a Dockerfile parser
/// directive, if any, and followed
/// by a blank line. Line endings follow the file (CRLF stays CRLF).
pub fn with_header(text: &str, style: Style) -> String {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut rest = text;
    let mut kept = String::new();
    for index in 0..2 {
        let line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let line = &rest[..line_end];
        let keep = (index == 0 && is_shebang(line))
            || (style == Style::Hash && (is_encoding_line(line) || is_dockerfile_directive(line)));
        if !keep {
            break;
        }
        kept.push_str(line);
        if !line.ends_with('\n') {
            kept.push_str(newline);
        }
        rest = &rest[line_end..];
    }
    let mut out = kept;
    out.push_str(&header(style).replace('\n', newline));
    if !rest.is_empty() {
        if !rest.starts_with(newline) {
            out.push_str(newline);
        }
        out.push_str(rest);
    }
    out
}

/// Every file `git ls-files` knows in `root` (tracked, or untracked and not ignored) that exists.
pub fn repository_files(root: &Path) -> Result<Vec<PathBuf>> {
    let output = Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .current_dir(root)
        .output()
        .with_context(|| format!("cannot run `git ls-files` in {}", root.display()))?;
    if !output.status.success() {
        bail!(
            "`git ls-files` failed in {}: {}",
            root.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let mut files: Vec<PathBuf> = output
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
        .filter(|p| root.join(p).is_file())
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// The source files under `root` lacking the header, with the style each one needs.
pub fn missing_headers(root: &Path) -> Result<Vec<(PathBuf, Style)>> {
    let mut missing = Vec::new();
    for path in repository_files(root)? {
        if is_skipped(&path) {
            continue;
        }
        let full = root.join(&path);
        let Ok(text) = std::fs::read_to_string(&full) else {
            continue; // not UTF-8 text: not a source file
        };
        let first_line = text.lines().next().unwrap_or_default();
        if let Some(style) = style_for(&path, first_line) {
            if !has_header(&text) {
                missing.push((path, style));
            }
        }
    }
    Ok(missing)
}

/// Runs `cargo xtask license`.
pub fn run(args: Args) -> Result<()> {
    let root = paths::workspace_root();
    let missing = missing_headers(&root)?;
    if args.fix {
        for (path, style) in &missing {
            let full = root.join(path);
            let text = std::fs::read_to_string(&full)
                .with_context(|| format!("cannot read {}", full.display()))?;
            std::fs::write(&full, with_header(&text, *style))
                .with_context(|| format!("cannot write {}", full.display()))?;
            println!("added header: {}", path.display());
        }
        println!("{} file(s) fixed", missing.len());
        return Ok(());
    }
    if missing.is_empty() {
        println!("license headers: all source files carry the Apache-2.0 header");
        return Ok(());
    }
    let list: Vec<String> = missing.iter().map(|(p, _)| format!("  {}", p.display())).collect();
    bail!(
        "{} source file(s) lack the Apache-2.0 header (run `cargo xtask license --fix`):\n{}",
        missing.len(),
        list.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::rust("crates/a/src/lib.rs", "", Some(Style::Slash))]
    #[case::js("tools/x.js", "", Some(Style::Slash))]
    #[case::toml("Cargo.toml", "", Some(Style::Hash))]
    #[case::yaml("a/b.yaml", "", Some(Style::Hash))]
    #[case::yml(".github/workflows/ci.yml", "", Some(Style::Hash))]
    #[case::shell("x.sh", "", Some(Style::Hash))]
    #[case::python("x.py", "", Some(Style::Hash))]
    #[case::dockerfile("Dockerfile", "FROM x", Some(Style::Hash))]
    #[case::dockerfile_variant("docker/Dockerfile.dev", "", Some(Style::Hash))]
    #[case::script_without_extension(".ci/run", "#!/usr/bin/env bash", Some(Style::Hash))]
    #[case::plain_file_without_extension("NOTICE", "Apache", None)]
    #[case::markdown("README.md", "", None)]
    #[case::json("tools/package.json", "", None)]
    #[case::lock("Cargo.lock", "", None)]
    #[case::testdata("crates/k/tests/testdata/x/kustomization.yaml", "", None)]
    #[case::node_modules("tools/node_modules/a/b.js", "", None)]
    #[case::target("target/debug/build/x.rs", "", None)]
    #[case::other_extension("LICENSE.txt", "", None)]
    fn style_for_classifies_files(#[case] path: &str, #[case] first: &str, #[case] expected: Option<Style>) {
        assert_eq!(style_for(Path::new(path), first), expected);
    }

    #[rstest]
    #[case::full_hash(&header(Style::Hash), true)]
    #[case::full_slash(&header(Style::Slash), true)]
    #[case::short_form("# Licensed under the Apache License, Version 2.0 (see LICENSE).\n[alias]\n", true)]
    #[case::spdx("// SPDX-License-Identifier: Apache-2.0\nfn main() {}\n", true)]
    #[case::after_shebang(&format!("#!/bin/sh\n{}", header(Style::Hash)), true)]
    #[case::none("fn main() {}\n", false)]
    #[case::empty("", false)]
    #[case::too_far_down(&format!("{}{}", "x\n".repeat(40), header(Style::Hash)), false)]
    #[case::other_license("# Licensed under the MIT license\n", false)]
    fn has_header_detects_the_apache_header(#[case] text: &str, #[case] expected: bool) {
        assert_eq!(has_header(text), expected);
    }

    #[rstest]
    #[case::plain_rust("fn main() {}\n", Style::Slash, "", "\nfn main() {}\n")]
    #[case::rust_inner_attribute_is_not_a_shebang("#![forbid(unsafe_code)]\n", Style::Slash, "", "\n#![forbid(unsafe_code)]\n")]
    #[case::yaml("a: 1\n", Style::Hash, "", "\na: 1\n")]
    #[case::yaml_document_marker("---\na: 1\n", Style::Hash, "", "\n---\na: 1\n")]
    #[case::empty("", Style::Hash, "", "")]
    #[case::blank_line_kept_single("\nx = 1\n", Style::Hash, "", "\nx = 1\n")]
    #[case::shebang_first("#!/usr/bin/env bash\necho hi\n", Style::Hash, "#!/usr/bin/env bash\n", "\necho hi\n")]
    #[case::shebang_without_newline("#!/bin/sh", Style::Hash, "#!/bin/sh\n", "")]
    #[case::python_encoding("#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(1)\n", Style::Hash, "#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n", "\nprint(1)\n")]
    #[case::dockerfile_directive("# syntax=docker/dockerfile:1\nFROM x\n", Style::Hash, "# syntax=docker/dockerfile:1\n", "\nFROM x\n")]
    #[case::encoding_without_shebang("# coding: utf-8\nprint(1)\n", Style::Hash, "# coding: utf-8\n", "\nprint(1)\n")]
    fn with_header_inserts_after_shebang(
        #[case] text: &str,
        #[case] style: Style,
        #[case] before: &str,
        #[case] after: &str,
    ) {
        let fixed = with_header(text, style);
        assert_eq!(fixed, format!("{before}{}{after}", header(style)));
        assert!(has_header(&fixed));
    }

    #[test]
    fn with_header_keeps_crlf_line_endings() {
        let fixed = with_header("a: 1\r\nb: 2\r\n", Style::Hash);
        assert!(fixed.ends_with("limitations\r\n# under the License.\r\n\r\na: 1\r\nb: 2\r\n"), "{fixed:?}");
        assert!(!fixed.replace("\r\n", "").contains('\n'), "a bare LF slipped in: {fixed:?}");
    }

    #[rstest]
    #[case(Style::Slash, "// ")]
    #[case(Style::Hash, "# ")]
    fn header_matches_the_committed_header_files(#[case] style: Style, #[case] marker: &str) {
        let text = header(style);
        assert_eq!(text.lines().count(), 16);
        assert!(text.starts_with(&format!("{marker}Licensed to the Apache Software Foundation")));
        assert!(text.ends_with(&format!("{marker}under the License.\n")));
        // this very file starts with the Slash header
        if style == Style::Slash {
            assert!(include_str!("license.rs").starts_with(&text));
        }
    }

    #[test]
    fn fix_then_check_on_a_scratch_repository() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let git = |args: &[&str]| {
            let status = Command::new("git").args(args).current_dir(root).output().unwrap();
            assert!(status.status.success(), "git {args:?}: {status:?}");
        };
        git(&["init", "-q"]);
        std::fs::write(root.join(".gitignore"), "ignored.rs\n").unwrap();
        std::fs::write(root.join("a.rs"), "fn a() {}\n").unwrap();
        std::fs::write(root.join("ignored.rs"), "fn b() {}\n").unwrap();
        std::fs::write(root.join("run"), "#!/bin/bash\necho\n").unwrap();
        std::fs::write(root.join("ok.yaml"), header(Style::Hash)).unwrap();
        std::fs::write(root.join("doc.md"), "# x\n").unwrap();
        git(&["add", "a.rs"]);
        let missing = missing_headers(root).unwrap();
        let names: Vec<_> = missing.iter().map(|(p, s)| (p.to_string_lossy().into_owned(), *s)).collect();
        assert_eq!(names, vec![("a.rs".to_string(), Style::Slash), ("run".to_string(), Style::Hash)]);
    }
}
