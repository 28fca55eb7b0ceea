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

//! The `Whisk` custom resource (`whisks.nuvolaris.org/v1`, short name `wsk`).
//!
//! Field names are exactly the upstream ones (`volume-size`, `whisk-system`, ...). Every block the
//! operator reads is typed; `spec` and `spec.components` keep unknown keys as the upstream CRD does
//! (`x-kubernetes-preserve-unknown-fields`). Where the upstream code read a field under a different
//! key than its CRD documents, the documented key wins and the old key is still honoured (see the
//! `effective_*` accessors).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Unknown keys kept verbatim (the schema marks the owner with preserve-unknown-fields).
pub type Extra = BTreeMap<String, Value>;

/// Spec of a `Whisk`: one object describing a whole Nuvolaris platform.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "nuvolaris.org",
    version = "v1",
    kind = "Whisk",
    plural = "whisks",
    singular = "whisk",
    namespaced,
    shortname = "wsk",
    status = "WhiskStatus",
    printcolumn(
        name = "OpenWhisk",
        type_ = "string",
        json_path = ".status.whisk_create.openwhisk",
        description = "OpenWhisk"
    ),
    printcolumn(
        name = "Invoker",
        type_ = "string",
        json_path = ".status.whisk_create.invoker",
        description = "Invoker"
    ),
    printcolumn(
        name = "CouchDB",
        type_ = "string",
        json_path = ".status.whisk_create.couchdb",
        description = "CouchDB"
    ),
    printcolumn(
        name = "Kafka",
        type_ = "string",
        json_path = ".status.whisk_create.kafka",
        description = "Kafka"
    ),
    printcolumn(
        name = "MongoDB",
        type_ = "string",
        json_path = ".status.whisk_create.mongodb",
        description = "MongoDB"
    ),
    printcolumn(
        name = "Redis",
        type_ = "string",
        json_path = ".status.whisk_create.redis",
        description = "Redis"
    ),
    printcolumn(
        name = "Cron",
        type_ = "string",
        json_path = ".status.whisk_create.cron",
        description = "Cron"
    ),
    printcolumn(
        name = "Tls",
        type_ = "string",
        json_path = ".status.whisk_create.tls",
        description = "Tls"
    ),
    printcolumn(
        name = "Minio",
        type_ = "string",
        json_path = ".status.whisk_create.minio",
        description = "Minio"
    ),
    printcolumn(
        name = "Postgres",
        type_ = "string",
        json_path = ".status.whisk_create.postgres",
        description = "Postgres"
    )
)]
pub struct WhiskSpec {
    /// Which components are deployed (`openwhisk` and `couchdb` are required by the CRD).
    pub components: Components,
    /// Platform-wide settings (api host, kube flavour, storage and ingress classes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nuvolaris: Option<NuvolarisConfig>,
    /// OpenWhisk namespaces (subjects) created in CouchDB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openwhisk: Option<OpenwhiskConfig>,
    /// The internal CouchDB used by OpenWhisk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub couchdb: Option<CouchdbConfig>,
    /// Controller image override (`image` may be `repo:tag`); not in the upstream schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<ImageOverride>,
    /// Invoker image override; not in the upstream schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoker: Option<ImageOverride>,
    /// OpenWhisk controller/invoker configuration and limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configs: Option<Configs>,
    /// Shared MongoDB (FerretDB) settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mongodb: Option<MongodbConfig>,
    /// Shared Postgres settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<PostgresConfig>,
    /// Kafka settings (not implemented upstream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kafka: Option<KafkaConfig>,
    /// Zookeeper settings (not implemented upstream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zookeeper: Option<ZookeeperConfig>,
    /// Scheduled action executor settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler: Option<SchedulerConfig>,
    /// Let's Encrypt cluster issuer settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsConfig>,
    /// MinIO object storage settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minio: Option<MinioConfig>,
    /// Redis settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis: Option<RedisConfig>,
    /// Any other key, kept as given (`spec` preserves unknown fields upstream).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `spec.components`: the component switches.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct Components {
    /// Deploys the OpenWhisk controller in lean mode (plus preloader and endpoint).
    pub openwhisk: bool,
    /// Deploys CouchDB and its init job.
    pub couchdb: bool,
    /// Deploys the OpenWhisk invoker (not implemented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoker: Option<bool>,
    /// Deploys Kafka (not implemented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kafka: Option<bool>,
    /// Deploys MongoDB (FerretDB over Postgres).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mongodb: Option<bool>,
    /// Deploys Redis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis: Option<bool>,
    /// Activates the scheduled action executor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<bool>,
    /// Enables TLS via a Let's Encrypt certificate for the api host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<bool>,
    /// Deploys MinIO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minio: Option<bool>,
    /// Activates the static content service (needs minio).
    #[serde(rename = "static", default, skip_serializing_if = "Option::is_none")]
    pub static_: Option<bool>,
    /// Deploys Zookeeper (not implemented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zookeeper: Option<bool>,
    /// Deploys Postgres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<bool>,
    /// Any other switch, kept as given (upstream preserves unknown fields here).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Components {
    /// Whether TLS is on (`components.tls`, absent = off).
    pub fn tls(&self) -> bool {
        self.tls.unwrap_or(false)
    }
    /// Whether the invoker is requested (`components.invoker`, absent = off).
    pub fn invoker(&self) -> bool {
        self.invoker.unwrap_or(false)
    }
}

/// `spec.nuvolaris`: platform-wide settings.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct NuvolarisConfig {
    /// Password of the `nuvolaris` user (required upstream; generated when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Api host name or IP, or `auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apihost: Option<String>,
    /// Api port appended to the api host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apiport: Option<i64>,
    /// `http`, `https` or `auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// Kubernetes flavour (`kind`, `eks`, `aks`, `lks`, `gke`, `microk8s`, `k3s`, `openshift`, `generic`) or `auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube: Option<String>,
    /// Storage class for volumes, or `auto` (the cluster default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storageclass: Option<String>,
    /// Storage provisioner, or `auto` (unused upstream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioner: Option<String>,
    /// Ingress class, or `auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingressclass: Option<String>,
    /// Ingress load balancer service as `namespace/name`, or `auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingresslb: Option<String>,
    /// Adds node affinity to core workloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<bool>,
    /// Adds the `nuvolaris-role=core` toleration to core workloads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<bool>,
    /// E-mail of the `nuvolaris` user (read upstream, not in its schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `spec.nuvolaris.protocol`.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Plain HTTP.
    Http,
    /// HTTPS.
    Https,
    /// HTTPS iff `components.tls`, always HTTP on kind.
    Auto,
}

/// `spec.openwhisk`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct OpenwhiskConfig {
    /// Auth (`uuid:key`) of the initial OpenWhisk namespaces.
    #[serde(default)]
    pub namespaces: OpenwhiskNamespaces,
}

/// `spec.openwhisk.namespaces`: auth values `uuid:key`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct OpenwhiskNamespaces {
    /// Auth of the `whisk-system` namespace.
    #[serde(
        rename = "whisk-system",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub whisk_system: Option<String>,
    /// Auth of the `nuvolaris` namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nuvolaris: Option<String>,
}

/// A user name and password.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct Credentials {
    /// User name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// A password only.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct PasswordOnly {
    /// Password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// `spec.couchdb`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct CouchdbConfig {
    /// Service name (default `couchdb`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Port (default 5984).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i64>,
    /// Volume size in GiB (default 10).
    #[serde(
        rename = "volume-size",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_size: Option<i64>,
    /// Admin credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<Credentials>,
    /// Credentials the controller uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<Credentials>,
    /// Credentials the invoker uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoker: Option<Credentials>,
}

/// `spec.controller` / `spec.invoker`: image override (host/port/protocol kept as given).
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct ImageOverride {
    /// Image, optionally `repository:tag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Tag, used when `image` has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Any other key, kept as given.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `spec.configs`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct Configs {
    /// OpenWhisk limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Limits>,
    /// CouchDB container settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub couchdb: Option<CouchdbConfigs>,
    /// Controller settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<ControllerConfigs>,
    /// Invoker settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoker: Option<InvokerConfigs>,
}

/// `spec.configs.limits`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct Limits {
    /// Activation limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activations: Option<ActivationLimits>,
    /// Action limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<ActionLimits>,
    /// Trigger limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggers: Option<TriggerLimits>,
    /// Action time limits (`100ms`, `1min`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<StringRange>,
    /// Action memory limits (`128m`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<StringRange>,
    /// Action concurrency limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<IntRange>,
    /// Load balancer settings (ignored upstream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loadbalancer: Option<LoadBalancerLimits>,
}

/// `spec.configs.limits.activations`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct ActivationLimits {
    /// Max activation payload in bytes (default 1048576).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_allowed_payload: Option<i64>,
}

/// `spec.configs.limits.actions`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct ActionLimits {
    /// Max sequence length (default 50).
    #[serde(
        rename = "sequence-maxLength",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sequence_max_length: Option<i64>,
    /// Invocations per minute (default 60).
    #[serde(
        rename = "invokes-perMinute",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub invokes_per_minute: Option<i64>,
    /// Concurrent invocations (default 30).
    #[serde(
        rename = "invokes-concurrent",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub invokes_concurrent: Option<i64>,
}

/// `spec.configs.limits.triggers`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct TriggerLimits {
    /// Trigger fires per minute (default 60).
    #[serde(
        rename = "fires-perMinute",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub fires_per_minute: Option<i64>,
}

/// A min/std/max triple of upstream action limits.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct LimitRange<T> {
    /// Minimum.
    #[serde(rename = "limit-min", default, skip_serializing_if = "Option::is_none")]
    pub limit_min: Option<T>,
    /// Default.
    #[serde(rename = "limit-std", default, skip_serializing_if = "Option::is_none")]
    pub limit_std: Option<T>,
    /// Maximum.
    #[serde(rename = "limit-max", default, skip_serializing_if = "Option::is_none")]
    pub limit_max: Option<T>,
}

/// A min/std/max triple of strings (`time`, `memory`).
pub type StringRange = LimitRange<String>;

/// A min/std/max triple of integers (`concurrency`).
pub type IntRange = LimitRange<i64>;

/// `spec.configs.limits.loadbalancer`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct LoadBalancerLimits {
    /// Blackbox fraction, e.g. `10%`.
    #[serde(
        rename = "blackbox-fraction",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub blackbox_fraction: Option<String>,
    /// Timeout factor.
    #[serde(
        rename = "timeout-factor",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout_factor: Option<i64>,
}

/// Container resources in the upstream spelling.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct Resources {
    /// CPU request.
    #[serde(rename = "cpu-req", default, skip_serializing_if = "Option::is_none")]
    pub cpu_req: Option<String>,
    /// CPU limit.
    #[serde(rename = "cpu-lim", default, skip_serializing_if = "Option::is_none")]
    pub cpu_lim: Option<String>,
    /// Memory request.
    #[serde(rename = "mem-req", default, skip_serializing_if = "Option::is_none")]
    pub mem_req: Option<String>,
    /// Memory limit.
    #[serde(rename = "mem-lim", default, skip_serializing_if = "Option::is_none")]
    pub mem_lim: Option<String>,
}

/// `spec.configs.couchdb`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct CouchdbConfigs {
    /// Container resources (applied only when `cpu-req` is set, as upstream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
}

/// `spec.configs.controller`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct ControllerConfigs {
    /// Replicas (ignored: the standalone controller runs one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    /// `JAVA_OPTS` (default `-Xmx2048M`).
    #[serde(rename = "javaOpts", default, skip_serializing_if = "Option::is_none")]
    pub java_opts: Option<String>,
    /// Logging level (ignored upstream).
    #[serde(
        rename = "loggingLevel",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub logging_level: Option<LoggingLevel>,
    /// Container resources (applied only when `cpu-req` is set, as upstream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
}

/// OpenWhisk logging level.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum LoggingLevel {
    /// INFO.
    #[serde(rename = "INFO")]
    Info,
    /// DEBUG.
    #[serde(rename = "DEBUG")]
    Debug,
    /// WARN.
    #[serde(rename = "WARN")]
    Warn,
    /// ERROR.
    #[serde(rename = "ERROR")]
    Error,
    /// TRACE.
    #[serde(rename = "TRACE")]
    Trace,
}

/// `spec.configs.invoker`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct InvokerConfigs {
    /// Replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    /// Kubernetes settings of the invoker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<InvokerKubernetes>,
    /// `JAVA_OPTS` of the invoker.
    #[serde(rename = "javaOpts", default, skip_serializing_if = "Option::is_none")]
    pub java_opts: Option<String>,
    /// Logging level.
    #[serde(
        rename = "loggingLevel",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub logging_level: Option<LoggingLevel>,
    /// Container pool settings.
    #[serde(
        rename = "containerPool",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub container_pool: Option<ContainerPool>,
    /// Container resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
}

/// `spec.configs.invoker.kubernetes`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct InvokerKubernetes {
    /// Pod run timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts_run: Option<i64>,
    /// Pod logs timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts_logs: Option<i64>,
    /// User pod affinity on/off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_pod_affinity_enabled: Option<bool>,
    /// User pod affinity label key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_pod_affinity_key: Option<String>,
    /// User pod affinity label value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_pod_affinity_value: Option<String>,
    /// Port forwarding on/off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_forwarding_enabled: Option<bool>,
    /// Namespace of action pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_namespace: Option<String>,
}

/// `spec.configs.invoker.containerPool`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct ContainerPool {
    /// User memory of the pool (default `2048m`), set on the controller.
    #[serde(
        rename = "userMemory",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub user_memory: Option<String>,
}

/// `spec.mongodb`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct MongodbConfig {
    /// Host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Volume size in GiB.
    #[serde(
        rename = "volume-size",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_size: Option<i64>,
    /// Exposed outside the cluster (legacy).
    #[serde(
        rename = "exposedExternally",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub exposed_externally: Option<bool>,
    /// Deployed with the community operator (legacy).
    #[serde(
        rename = "useOperator",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub use_operator: Option<bool>,
    /// Admin credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<Credentials>,
    /// `nuvolaris` database credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nuvolaris: Option<Credentials>,
}

/// `spec.postgres`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct PostgresConfig {
    /// Volume size in GiB.
    #[serde(
        rename = "volume-size",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_size: Option<i64>,
    /// Total replicas (default 2). Upstream code read `postgres.admin.replicas` instead (still honoured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    /// Failover management on/off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover: Option<bool>,
    /// Backup settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<PostgresBackup>,
    /// Admin credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<PostgresAdmin>,
    /// `nuvolaris` user credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nuvolaris: Option<PasswordOnly>,
}

impl PostgresConfig {
    /// Replicas: `postgres.replicas` (documented key), else the legacy `postgres.admin.replicas`.
    pub fn effective_replicas(&self) -> Option<i64> {
        self.replicas
            .or_else(|| self.admin.as_ref().and_then(|a| a.replicas))
    }
}

/// `spec.postgres.backup`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct PostgresBackup {
    /// Backup on/off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Cron schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
}

/// `spec.postgres.admin`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct PostgresAdmin {
    /// Superuser (and replication) password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Replication password.
    #[serde(
        rename = "replica-password",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub replica_password: Option<String>,
    /// Legacy key the upstream code read for the replica count; prefer `postgres.replicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
}

/// `spec.kafka`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct KafkaConfig {
    /// Host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Volume size in GiB.
    #[serde(
        rename = "volume-size",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_size: Option<i64>,
}

/// `spec.zookeeper`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct ZookeeperConfig {
    /// Host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Data volume size in GiB.
    #[serde(
        rename = "data-volume-size",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub data_volume_size: Option<i64>,
    /// Log volume size in GiB.
    #[serde(
        rename = "log-volume-size",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub log_volume_size: Option<i64>,
}

/// `spec.scheduler`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct SchedulerConfig {
    /// Cron expression (default `* * * * *`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
}

/// `spec.tls`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct TlsConfig {
    /// E-mail registered with the ACME server.
    #[serde(
        rename = "acme-registered-email",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub acme_registered_email: Option<String>,
    /// ACME server URL.
    #[serde(
        rename = "acme-server-url",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub acme_server_url: Option<String>,
}

/// `spec.minio`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct MinioConfig {
    /// Volume size in GiB.
    #[serde(
        rename = "volume-size",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_size: Option<i64>,
    /// Admin credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<Credentials>,
    /// `nuvolaris` user credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nuvolaris: Option<Credentials>,
}

/// `spec.redis`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct RedisConfig {
    /// Max memory (default `1000mb`). Upstream code read `redis.maxmemory` instead (still honoured).
    #[serde(
        rename = "max-memory",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub max_memory: Option<String>,
    /// Legacy key the upstream code read; prefer `max-memory`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxmemory: Option<String>,
    /// RDB persistence on/off.
    #[serde(
        rename = "persistence-enabled",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub persistence_enabled: Option<bool>,
    /// Volume size in GiB.
    #[serde(
        rename = "volume-size",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_size: Option<i64>,
    /// Default user password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<PasswordOnly>,
    /// `nuvolaris` ACL user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nuvolaris: Option<RedisUser>,
}

impl RedisConfig {
    /// Max memory: `redis.max-memory` (documented key), else the legacy `redis.maxmemory`.
    pub fn effective_max_memory(&self) -> Option<&str> {
        self.max_memory.as_deref().or(self.maxmemory.as_deref())
    }
}

/// `spec.redis.nuvolaris`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct RedisUser {
    /// Key prefix (default `nuvolaris:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// Status of a `Whisk`.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct WhiskStatus {
    /// Per-component state `on` / `off` / `error` / `?` (upstream compatibility, printer columns).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub whisk_create: BTreeMap<String, String>,
    /// Generation the status describes.
    #[serde(
        rename = "observedGeneration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub observed_generation: Option<i64>,
    /// One condition per component plus `Ready`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "nuvolaris_runtime::conditions::conditions_schema")]
    pub conditions: Vec<Condition>,
    /// Any other key, kept as given (upstream status preserves unknown fields).
    #[serde(flatten)]
    pub extra: Extra,
}

impl WhiskSpec {
    /// The typed `couchdb` block, or an empty one.
    pub fn couchdb_or_default(&self) -> CouchdbConfig {
        self.couchdb.clone().unwrap_or_default()
    }
    /// The typed `nuvolaris` block, or an empty one.
    pub fn nuvolaris_or_default(&self) -> NuvolarisConfig {
        self.nuvolaris.clone().unwrap_or_default()
    }
    /// The typed `configs` block, or an empty one.
    pub fn configs_or_default(&self) -> Configs {
        self.configs.clone().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::CustomResourceExt;

    #[test]
    fn crd_names_and_columns_match_upstream() {
        let crd = Whisk::crd();
        assert_eq!(crd.metadata.name.as_deref(), Some("whisks.nuvolaris.org"));
        assert_eq!(crd.spec.scope, "Namespaced");
        assert_eq!(crd.spec.names.short_names, Some(vec!["wsk".to_string()]));
        assert_eq!(crd.spec.names.singular.as_deref(), Some("whisk"));
        let v = &crd.spec.versions[0];
        assert_eq!(v.name, "v1");
        assert!(v
            .subresources
            .as_ref()
            .and_then(|s| s.status.as_ref())
            .is_some());
        let cols: Vec<(String, String)> = v
            .additional_printer_columns
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.name, c.json_path))
            .collect();
        let want = [
            "OpenWhisk",
            "Invoker",
            "CouchDB",
            "Kafka",
            "MongoDB",
            "Redis",
            "Cron",
            "Tls",
            "Minio",
            "Postgres",
        ];
        assert_eq!(cols.len(), want.len());
        for (i, name) in want.iter().enumerate() {
            assert_eq!(cols[i].0, *name);
            assert_eq!(
                cols[i].1,
                format!(".status.whisk_create.{}", name.to_lowercase())
            );
        }
    }

    #[test]
    fn spec_and_components_preserve_unknown_fields() {
        let crd = serde_json::to_value(Whisk::crd()).unwrap();
        let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
        let spec = &schema["properties"]["spec"];
        assert_eq!(spec["x-kubernetes-preserve-unknown-fields"], true);
        assert_eq!(
            spec["properties"]["components"]["x-kubernetes-preserve-unknown-fields"],
            true
        );
        assert_eq!(
            schema["properties"]["status"]["x-kubernetes-preserve-unknown-fields"],
            true
        );
        assert!(spec["properties"]["couchdb"]["properties"]["volume-size"].is_object());
        assert!(
            spec["properties"]["openwhisk"]["properties"]["namespaces"]["properties"]
                ["whisk-system"]
                .is_object()
        );
    }

    #[test]
    fn unknown_keys_round_trip() {
        let v = serde_json::json!({"components": {"openwhisk": true, "couchdb": true, "s3bucket": true},
                                   "s3": {"id": "x"}});
        let spec: WhiskSpec = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(spec.components.extra["s3bucket"], true);
        assert_eq!(serde_json::to_value(&spec).unwrap(), v);
    }

    #[test]
    fn legacy_keys_are_honoured() {
        let p: PostgresConfig =
            serde_json::from_value(serde_json::json!({"admin": {"replicas": 3}})).unwrap();
        assert_eq!(p.effective_replicas(), Some(3));
        let p: PostgresConfig =
            serde_json::from_value(serde_json::json!({"replicas": 1, "admin": {"replicas": 3}}))
                .unwrap();
        assert_eq!(p.effective_replicas(), Some(1));
        let r: RedisConfig =
            serde_json::from_value(serde_json::json!({"maxmemory": "2gb"})).unwrap();
        assert_eq!(r.effective_max_memory(), Some("2gb"));
        let r: RedisConfig =
            serde_json::from_value(serde_json::json!({"maxmemory": "2gb", "max-memory": "1gb"}))
                .unwrap();
        assert_eq!(r.effective_max_memory(), Some("1gb"));
    }
}
