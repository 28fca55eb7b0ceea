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

//! Command line of `nuvolaris-operator`.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use nuvolaris_runtime::registry::ReconcilerCommand;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The Nuvolaris operator: reconciles Sample and Whisk resources, or renders them offline.
#[derive(Debug, Parser)]
#[command(
    name = "nuvolaris-operator",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do (default: `run`).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Flags of `run` when no subcommand is given.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the controllers (the default).
    Run(RunArgs),
    /// Print the CRD of every registered reconciler, as a YAML stream (or a JSON List).
    Crd(CrdArgs),
    /// Print the ClusterRole the enabled reconcilers need, as YAML (or JSON).
    Rbac(RbacArgs),
    /// Print, offline, the objects the operator would apply for custom resources.
    ///
    /// The output is exactly what the operator server-side applies, inventory labels and
    /// annotations included, with one difference: the controller ownerReference is left out,
    /// because it needs the uid the API server gives the resource (the same holds for the
    /// `nuvolaris.org/owner-uid` annotation on children that cannot carry one).
    Render(RenderArgs),
    /// Build a kustomization folder natively and print it as `kubectl kustomize DIR` would.
    ///
    /// Not supported (an error, never a silent difference): helm charts (`helmCharts`,
    /// `helmChartInflationGenerator`), remote resources (URLs, git repositories), exec and KRM
    /// function plugins (`generators` and `transformers` take only built-in configurations),
    /// `validators`. Checked to exist, otherwise ignored: `openapi:` (a custom schema) and
    /// `crds:` (legacy CRD files).
    Kustomize(KustomizeArgs),
}

/// What the command line asks for: a built-in command, or one a reconciler crate contributes.
#[derive(Debug)]
pub enum Invocation {
    /// A built-in command (`run`, `crd`, `rbac`, `render`, `kustomize`).
    Builtin(Box<Cli>),
    /// A subcommand contributed by a registered reconciler, with its arguments.
    Reconciler(ReconcilerCommand, Vec<String>),
}

/// The full command line: [`Cli`] plus the subcommands the registered reconcilers contribute.
pub fn command(commands: &[ReconcilerCommand]) -> clap::Command {
    commands.iter().fold(Cli::command(), |cmd, c| {
        cmd.subcommand(
            clap::Command::new(c.name).about(c.about).arg(
                clap::Arg::new("args")
                    .num_args(0..)
                    .trailing_var_arg(true)
                    .allow_hyphen_values(true),
            ),
        )
    })
}

/// Parses `args` (program name first) against [`command`].
pub fn parse_from<I, T>(commands: &[ReconcilerCommand], args: I) -> Result<Invocation, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = command(commands).try_get_matches_from(args)?;
    if let Some((name, sub)) = matches.subcommand() {
        if let Some(c) = commands.iter().find(|c| c.name == name) {
            let args = sub
                .get_many::<String>("args")
                .map(|v| v.cloned().collect())
                .unwrap_or_default();
            return Ok(Invocation::Reconciler(c.clone(), args));
        }
    }
    Cli::from_arg_matches(&matches).map(|cli| Invocation::Builtin(Box::new(cli)))
}

/// Output format of `crd` and `rbac`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// A YAML stream.
    #[default]
    Yaml,
    /// JSON: one object, or a `v1` `List` of several.
    Json,
}

/// Flags of `crd`.
#[derive(Debug, Default, Args)]
pub struct CrdArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Output::Yaml)]
    pub output: Output,
}

/// Log output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Flags of `run`.
#[derive(Clone, Debug, Args)]
pub struct RunArgs {
    /// Reconcilers to enable, comma separated (default: all registered).
    #[arg(long, value_delimiter = ',', env = "NUVOLARIS_RECONCILERS")]
    pub reconcilers: Vec<String>,
    /// Watch only this namespace (default: all namespaces).
    #[arg(long, env = "WATCH_NAMESPACE")]
    pub namespace: Option<String>,
    /// Address of the HTTP server (/healthz, /readyz, /metrics).
    #[arg(long, default_value = "0.0.0.0:8080", env = "NUVOLARIS_HTTP_ADDR")]
    pub http_addr: SocketAddr,
    /// Kubeconfig file (overrides the in-cluster service account and KUBECONFIG).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (overrides the current context).
    #[arg(long)]
    pub context: Option<String>,
    /// Run controllers only while holding the coordination.k8s.io Lease.
    #[arg(long, env = "NUVOLARIS_LEADER_ELECT")]
    pub leader_elect: bool,
    /// Name of the leader election Lease.
    #[arg(long, default_value = "nuvolaris-operator")]
    pub lease_name: String,
    /// Namespace of the Lease (default: POD_NAMESPACE, else the client's default namespace).
    #[arg(long, env = "POD_NAMESPACE")]
    pub lease_namespace: Option<String>,
    /// Lease duration in seconds.
    #[arg(long, default_value_t = 15)]
    pub lease_duration: u64,
    /// Identity in the Lease (default: POD_NAME, else the host name plus the process id).
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Maximum concurrent reconciles per controller. Reconciles wait on the API server, not
    /// the CPU, so this is sized for I/O (see `nuvolaris_runtime::DEFAULT_CONCURRENCY`).
    #[arg(long, default_value_t = nuvolaris_runtime::DEFAULT_CONCURRENCY)]
    pub concurrency: u16,
    /// Periodic resync in seconds: every resource is reconciled at least this often.
    #[arg(long, default_value_t = 300)]
    pub resync_secs: u64,
    /// Seconds to wait for in-flight reconciles after SIGTERM before exiting.
    #[arg(long, default_value_t = 8)]
    pub shutdown_timeout_secs: u64,
}

/// Flags of `rbac`.
#[derive(Debug, Args)]
pub struct RbacArgs {
    /// Reconcilers to include, comma separated (default: all registered).
    #[arg(long, value_delimiter = ',')]
    pub reconcilers: Vec<String>,
    /// Name of the ClusterRole.
    #[arg(long, default_value = "nuvolaris-operator")]
    pub name: String,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Output::Yaml)]
    pub output: Output,
}

/// Flags of `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// File with one or more custom resources (YAML stream); `-` reads standard input.
    #[arg(short = 'f', long = "filename", required = true)]
    pub files: Vec<PathBuf>,
    /// Namespace for resources that have none.
    #[arg(short = 'n', long, default_value = "default")]
    pub namespace: String,
}

/// Flags of `kustomize`.
#[derive(Debug, Args)]
pub struct KustomizeArgs {
    /// The kustomization folder.
    pub dir: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcilers::{commands, registry};

    fn parse(args: &[&str]) -> Result<Invocation, clap::Error> {
        parse_from(
            &commands(&registry()),
            std::iter::once("nuvolaris-operator").chain(args.iter().copied()),
        )
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        command(&commands(&registry())).debug_assert();
    }

    #[test]
    fn a_reconciler_contributes_its_subcommand_through_its_registration() {
        match parse(&["couchdb-init", "--x", "y"]).unwrap() {
            Invocation::Reconciler(c, args) => {
                assert_eq!(c.name, "couchdb-init");
                assert_eq!(args, ["--x", "y"]);
            }
            other => panic!("{other:?}"),
        }
        let help = command(&commands(&registry())).render_help().to_string();
        assert!(help.contains("couchdb-init"), "{help}");
    }

    #[test]
    fn builtin_commands_still_parse() {
        let builtin = |args: &[&str]| match parse(args).unwrap() {
            Invocation::Builtin(cli) => *cli,
            other => panic!("{other:?}"),
        };
        match builtin(&["crd", "-o", "json"]).command {
            Some(Command::Crd(a)) => assert_eq!(a.output, Output::Json),
            other => panic!("{other:?}"),
        }
        assert!(builtin(&[]).command.is_none());
        assert!(parse(&["no-such-command"]).is_err());
    }
}
