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

//! Human-readable differences between an expected and an actual text.

use similar::TextDiff;

/// Most diff lines shown before the rest is elided.
const MAX_LINES: usize = 200;

/// A unified diff from `old` to `new`, labelled with the two names, truncated to a readable size.
/// Empty when the texts are equal.
pub fn unified(old_name: &str, old: &str, new_name: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let text = TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string();
    let total = text.lines().count();
    if total <= MAX_LINES {
        return text;
    }
    let mut shown: String = text.lines().take(MAX_LINES).collect::<Vec<_>>().join("\n");
    shown.push_str(&format!("\n... ({} more diff lines)\n", total - MAX_LINES));
    shown
}

#[cfg(test)]
mod tests {
    use super::unified;
    use rstest::rstest;

    #[rstest]
    #[case::equal("a\nb\n", "a\nb\n", None)]
    #[case::changed("a\nb\n", "a\nc\n", Some("-b\n+c\n"))]
    #[case::added("a\n", "a\nb\n", Some("+b\n"))]
    fn unified_shows_changed_lines(
        #[case] old: &str,
        #[case] new: &str,
        #[case] expect: Option<&str>,
    ) {
        let diff = unified("old", old, "new", new);
        match expect {
            None => assert!(diff.is_empty(), "{diff}"),
            Some(part) => {
                assert!(diff.starts_with("--- old\n+++ new\n"), "{diff}");
                assert!(diff.contains(part), "{diff}");
            }
        }
    }
}
