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
pub mod reconcilers;
pub mod run;
pub mod telemetry;

use cli::{Command, Invocation, LogFormat};

/// Runs the command line; returns the process exit code.
pub async fn main_with(invocation: Invocation) -> i32 {
    let format = match &invocation {
        Invocation::Builtin(cli) => match &cli.command {
            Some(Command::Run(a)) => a.log_format,
            None => cli.run.log_format,
            _ => LogFormat::Text,
        },
        Invocation::Reconciler(..) => LogFormat::Text,
    };
    let _guard = telemetry::init(format);
    let result = match invocation {
        Invocation::Builtin(cli) => match cli.command {
            None => run::run(cli.run).await,
            Some(Command::Run(a)) => run::run(a).await,
            Some(Command::Crd(a)) => {
                commands::crd(&reconcilers::registry(), &a).map(|s| print!("{s}"))
            }
            Some(Command::Rbac(a)) => {
                commands::rbac(reconcilers::registry(), &a).map(|s| print!("{s}"))
            }
            Some(Command::Render(a)) => {
                commands::render(&reconcilers::registry(), &a).map(|s| print!("{s}"))
            }
            Some(Command::Kustomize(a)) => commands::kustomize(&a).map(|s| print!("{s}")),
        },
        Invocation::Reconciler(command, args) => (command.run)(args)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", command.name)),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}
