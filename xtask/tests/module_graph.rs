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

//! In every crate of the workspace the source files import one another in one direction only:
//! the graph of `use` and path references between the files of `src/` has no cycle (issue 13:
//! "no import cycles between files"). Module declarations (`mod x;`) are not imports; references
//! from a file to itself (its own `mod tests`) do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Source text with comments, string and character literals blanked out, so that braces and
/// `crate::` inside them do not count.
fn strip(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &src[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').map_or(b.len(), |n| i + n);
            i = end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(b.len(), |n| i + n + 2);
            i = end;
        } else if let Some(hashes) = raw_string_start(rest) {
            // r"..." / r#"..."# / br#"..."#
            let open = rest.find('"').expect("raw string quote") + 1;
            let close = format!("\"{}", "#".repeat(hashes));
            let end = rest[open..]
                .find(&close)
                .map_or(b.len(), |n| i + open + n + close.len());
            out.push_str("\"\"");
            i = end;
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i = j + 1;
        } else if b[i] == b'\'' {
            // a char literal ('x', '\n', '\u{..}') or a lifetime ('a)
            let lit_end = if rest[1..].starts_with('\\') {
                rest[2..].find('\'').map(|n| n + 3)
            } else {
                let mut cs = rest[1..].char_indices();
                match (cs.next(), cs.next()) {
                    (Some((_, _)), Some((n, '\''))) => Some(n + 2),
                    _ => None,
                }
            };
            match lit_end {
                Some(n) => {
                    out.push_str("' '");
                    i += n;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            let c = rest.chars().next().expect("char");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The number of `#` of a raw string literal starting here, if one does.
fn raw_string_start(s: &str) -> Option<usize> {
    let t = s.strip_prefix('b').unwrap_or(s);
    let t = t.strip_prefix('r')?;
    let hashes = t.len() - t.trim_start_matches('#').len();
    t[hashes..].starts_with('"').then_some(hashes)
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Reads an identifier at `i`.
fn ident_at(s: &str, i: usize) -> Option<&str> {
    let n = s[i..].find(|c: char| !is_ident(c)).unwrap_or(s.len() - i);
    (n > 0).then(|| &s[i..i + n])
}

fn skip_ws(s: &str, mut i: usize) -> usize {
    while i < s.len() && s.as_bytes()[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Parses a path or use tree starting at `i` (`a::b::{c, d::e}`), appending every complete
/// path to `out` (prefixed with `prefix`). Returns where it stopped.
fn parse_tree(s: &str, mut i: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix;
    loop {
        i = skip_ws(s, i);
        if s[i..].starts_with('{') {
            i += 1;
            loop {
                i = skip_ws(s, i);
                if s[i..].starts_with('}') {
                    return i + 1;
                }
                i = parse_tree(s, i, path.clone(), out);
                i = skip_ws(s, i);
                if s[i..].starts_with(',') {
                    i += 1;
                }
                if i >= s.len() {
                    return i;
                }
            }
        }
        match ident_at(s, i) {
            Some(id) => {
                path.push(id.to_string());
                i += id.len();
            }
            None if s[i..].starts_with('*') => {
                i += 1;
            }
            None => {}
        }
        let j = skip_ws(s, i);
        if s[j..].starts_with("::") {
            i = j + 2;
            continue;
        }
        out.push(path);
        return i;
    }
}

/// `src/a/b.rs` -> `["a", "b"]`; `src/a/mod.rs` -> `["a"]`; `src/lib.rs` -> `[]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("readable src") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// File -> files it refers to.
/// The text of the statement that `before` ends in (from the last `;`, `{` or `}`).
fn statement_start(before: &str) -> &str {
    let at = before.rfind([';', '{', '}']).map_or(0, |n| n + 1);
    before[at..].trim_start()
}

/// The file a path refers to: its longest prefix that is a module, followed through the
/// re-exports (`pub use`) of that module to where the item is defined.
fn resolve(
    r: &[String],
    modules: &BTreeSet<Vec<String>>,
    aliases: &BTreeMap<(Vec<String>, String), Vec<String>>,
) -> Vec<String> {
    let mut path = r.to_vec();
    for _ in 0..16 {
        let target = (0..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|m| modules.contains(m))
            .expect("the crate root is a module");
        match path
            .get(target.len())
            .and_then(|next| aliases.get(&(target.clone(), next.clone())))
        {
            Some(to) if to.as_slice() != path.as_slice() => {
                let mut next = to.clone();
                next.extend(path[target.len() + 1..].iter().cloned());
                path = next;
            }
            _ => return target,
        }
    }
    Vec::new()
}

/// The `#[macro_export]` macros of the crate in `src`: (module of the defining file, name).
fn exported_macros(src: &Path) -> Vec<(Vec<String>, String)> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut out = Vec::new();
    for f in files {
        let text = strip(&std::fs::read_to_string(&f).expect("readable source"));
        let mut rest = text.as_str();
        while let Some(at) = rest.find("#[macro_export]") {
            rest = &rest[at + "#[macro_export]".len()..];
            let t = rest.trim_start();
            if let Some(def) = t.strip_prefix("macro_rules!") {
                let def = def.trim_start();
                if let Some(name) = ident_at(def, 0) {
                    out.push((module_of(src, &f), name.to_string()));
                }
            }
        }
    }
    out
}

fn import_graph(src: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(src, f)).collect();
    let mut graph = BTreeMap::new();
    let mut raw = BTreeMap::new();
    for f in &files {
        let me = module_of(src, f);
        let text = strip(&std::fs::read_to_string(f).expect("readable source"));
        // inline modules (`mod tests { ... }`) shift what `super` and `self` mean
        let mut inline: Vec<(String, usize)> = Vec::new();
        let mut depth = 0usize;
        let mut refs: Vec<(Vec<String>, bool)> = Vec::new();
        let mut i = 0;
        while i < text.len() {
            let rest = &text[i..];
            let c = rest.chars().next().expect("char");
            let at_word = i == 0 || !text[..i].ends_with(is_ident);
            if c == '{' {
                depth += 1;
            } else if c == '}' {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            } else if at_word && rest.starts_with("mod ") {
                let j = skip_ws(&text, i + 4);
                if let Some(name) = ident_at(&text, j) {
                    let k = skip_ws(&text, j + name.len());
                    if text[k..].starts_with('{') {
                        inline.push((name.to_string(), depth));
                    }
                }
            } else if at_word && c.is_ascii_alphabetic() {
                let id = ident_at(&text, i).expect("identifier");
                let after = skip_ws(&text, i + id.len());
                if text[after..].starts_with("::") && !text[..i].trim_end().ends_with("::") {
                    let mut here = me.clone();
                    here.extend(inline.iter().map(|(n, _)| n.clone()));
                    let mut base = match id {
                        "crate" => Some(Vec::new()),
                        "self" => Some(here.clone()),
                        "super" => {
                            let mut b = here.clone();
                            b.pop();
                            Some(b)
                        }
                        // a child module named without `self::`
                        other => {
                            let mut child = here.clone();
                            child.push(other.to_string());
                            modules.contains(&child).then_some(here.clone())
                        }
                    };
                    let start = if id == "crate" || id == "self" || id == "super" {
                        after + 2
                    } else {
                        i
                    };
                    if let Some(mut b) = base.take() {
                        // `super::super::x`
                        let mut s = start;
                        while text[skip_ws(&text, s)..].starts_with("super::") {
                            b.pop();
                            s = skip_ws(&text, s) + "super::".len();
                        }
                        let before = text[..i].trim_end();
                        let reexport =
                            before.ends_with("use") && statement_start(before).starts_with("pub");
                        let mut found = Vec::new();
                        let end = parse_tree(&text, s, Vec::new(), &mut found);
                        for p in found {
                            let mut full = b.clone();
                            full.extend(p);
                            refs.push((full, reexport));
                        }
                        i = end.max(i + 1);
                        continue;
                    }
                }
                i += id.len();
                continue;
            }
            i += c.len_utf8();
        }
        raw.insert(me, refs);
    }
    // `pub use a::B;` in module M: a reference to `M::B` is a reference to module `a`
    let mut aliases: BTreeMap<(Vec<String>, String), Vec<String>> = BTreeMap::new();
    // `#[macro_export] macro_rules! m` in file F is `crate::m`, defined in F
    for (me, name) in exported_macros(src) {
        let mut at = me.clone();
        at.push(name.clone());
        aliases.insert((Vec::new(), name), at);
    }
    for (me, refs) in &raw {
        for (r, reexport) in refs {
            if *reexport {
                if let Some(last) = r.last() {
                    aliases.insert((me.clone(), last.clone()), r.clone());
                }
            }
        }
    }
    for (me, refs) in raw {
        let mut targets = BTreeSet::new();
        for (r, _) in refs {
            let target = resolve(&r, &modules, &aliases);
            if target != me {
                targets.insert(target);
            }
        }
        graph.insert(me, targets);
    }
    graph
}

/// A cycle in `graph`, if there is one (depth-first search).
fn find_cycle(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<Vec<String>>> {
    fn visit(
        n: &Vec<String>,
        graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        stack: &mut Vec<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        state.insert(n.clone(), 1);
        stack.push(n.clone());
        for m in graph.get(n).into_iter().flatten() {
            match state.get(m).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|x| x == m).expect("on the stack");
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(m, graph, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if state.get(n).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(n, graph, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

fn name(m: &[String]) -> String {
    if m.is_empty() {
        "lib".into()
    } else {
        m.join("::")
    }
}

/// The `src/` folder of every crate in the workspace (found through the `Cargo.toml` files).
fn crate_sources(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("readable folder") {
            let p = e.expect("entry").path();
            let skip = p.file_name().is_some_and(|n| {
                n == "target"
                    || n == ".git"
                    || n == "node_modules"
                    || n == ".tools"
                    || n == "templates"
            });
            if p.is_dir() && !skip {
                dirs.push(p);
            } else if p.file_name().is_some_and(|n| n == "Cargo.toml") && d.join("src").is_dir() {
                out.push(d.join("src"));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn source_files_import_each_other_in_one_direction() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let crates = crate_sources(&root);
    // the walk finds the crates it must find
    for want in [
        "nuvolaris-kustomize",
        "nuvolaris-runtime",
        "nuvolaris-apiserver",
        "whisk",
        "xtask",
    ] {
        assert!(
            crates
                .iter()
                .any(|c| c.parent().is_some_and(|p| p.ends_with(want))),
            "{want} not found among {crates:?}"
        );
    }
    // the checker sees the imports it must see
    let kustomize = import_graph(&root.join("crates/nuvolaris-kustomize/src"));
    let selector = kustomize
        .get(&vec!["selector".to_string()])
        .expect("selector.rs");
    assert!(
        selector.contains(&vec!["resource".to_string()]),
        "{selector:?}"
    );
    let mut cycles = Vec::new();
    for src in &crates {
        if let Some(cycle) = find_cycle(&import_graph(src)) {
            let shown: Vec<String> = cycle.iter().map(|m| name(m)).collect();
            cycles.push(format!("{}: {}", src.display(), shown.join(" -> ")));
        }
    }
    assert!(
        cycles.is_empty(),
        "import cycles between files:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_checker_finds_a_cycle() {
    let m = |s: &str| vec![s.to_string()];
    let mut g = BTreeMap::new();
    g.insert(m("a"), BTreeSet::from([m("b")]));
    g.insert(m("b"), BTreeSet::from([m("c")]));
    g.insert(m("c"), BTreeSet::from([m("a")]));
    assert_eq!(find_cycle(&g).map(|c| c.len()), Some(4));
    g.insert(m("c"), BTreeSet::new());
    assert_eq!(find_cycle(&g), None);
}

#[test]
fn strings_comments_and_groups_are_read_right() {
    let text =
        strip("use crate::{a::X, b::{c::Y, Z}}; // crate::d\nlet s = \"crate::e\"; let c = '{';");
    assert!(!text.contains("crate::d") && !text.contains("crate::e") && !text.contains("'{'"));
    let mut out = Vec::new();
    parse_tree(&text, "use crate::".len(), Vec::new(), &mut out);
    let want: Vec<Vec<String>> = vec![vec!["a", "X"], vec!["b", "c", "Y"], vec!["b", "Z"]]
        .into_iter()
        .map(|p| p.into_iter().map(String::from).collect())
        .collect();
    assert_eq!(out, want);
}

#[test]
fn a_reference_through_a_reexport_points_at_the_defining_file() {
    let m = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let modules = BTreeSet::from([m(&[]), m(&["error"]), m(&["applier"])]);
    let aliases = BTreeMap::from([((m(&[]), "Error".to_string()), m(&["error", "Error"]))]);
    assert_eq!(resolve(&m(&["Error"]), &modules, &aliases), m(&["error"]));
    assert_eq!(
        resolve(&m(&["applier", "Applier"]), &modules, &aliases),
        m(&["applier"])
    );
    // not re-exported: the facade itself
    assert_eq!(resolve(&m(&["Other"]), &modules, &aliases), m(&[]));
    assert_eq!(statement_start("x; pub use"), "pub use");
}
