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

//! The Nuvolaris operator binary's library: CLI, subcommands, HTTP endpoints, login, telemetry.

pub mod cli;
pub mod commands;
pub mod http;
pub mod login;
pub mod plugins;
pub mod run;
pub mod telemetry;

use cli::{Cli, Command, LogFormat};

/// Runs the command line; returns the process exit code.
pub async fn main_with(cli: Cli) -> i32 {
    let format = match &cli.command {
        Some(Command::Run(a)) => a.log_format,
        None => cli.run.log_format,
        _ => LogFormat::Text,
    };
    let _guard = telemetry::init(format);
    let result = match cli.command {
        None => run::run(cli.run).await,
        Some(Command::Run(a)) => run::run(a).await,
        Some(Command::Crd) => commands::crd().map(|s| print!("{s}")),
        Some(Command::Rbac(a)) => commands::rbac(plugins::registry(), &a).map(|s| print!("{s}")),
        Some(Command::Render(a)) => {
            commands::render(&plugins::registry(), &a).map(|s| print!("{s}"))
        }
        Some(Command::Kustomize(a)) => commands::kustomize(&a).map(|s| print!("{s}")),
        Some(Command::Plugin(p)) => plugins::run_plugin(p).await,
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}
