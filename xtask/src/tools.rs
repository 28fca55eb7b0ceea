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

//! `cargo xtask tools`: installs the test tools into `.tools/` (as `cargo xtask test` does) and
//! prints the shell exports the tests read, for `eval "$(cargo xtask tools)"` before running
//! `cargo test -p <crate>` by hand.

use crate::{paths, toolchain};
use anyhow::Result;

/// Arguments of `cargo xtask tools`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `cargo xtask tools`.
pub fn run(_args: Args) -> Result<()> {
    let tools = toolchain::install(&paths::workspace_root())?;
    println!("export {}={}", toolchain::ENV_KUBECTL, shell_quote(&tools.kubectl.to_string_lossy()));
    println!(
        "export {}={}",
        toolchain::ENV_POUCHDB_SERVER,
        shell_quote(&tools.pouchdb_server.to_string_lossy())
    );
    println!("export {}=1", toolchain::ENV_REQUIRE_KUBECTL);
    println!("export {}=1", toolchain::ENV_REQUIRE_POUCHDB);
    println!("export {}={}", toolchain::ENV_MOTO_SERVER, shell_quote(&tools.moto_server.to_string_lossy()));
    println!("export {}={}", toolchain::ENV_MINIO_PYTHON, shell_quote(&tools.python.to_string_lossy()));
    for flag in toolchain::ENV_REQUIRE_SERVICES {
        println!("export {flag}=1");
    }
    Ok(())
}

/// `text` quoted for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::shell_quote;
    use rstest::rstest;

    #[rstest]
    #[case("/a/b", "'/a/b'")]
    #[case("/it's", r"'/it'\''s'")]
    fn shell_quote_quotes(#[case] text: &str, #[case] quoted: &str) {
        assert_eq!(shell_quote(text), quoted);
    }
}
