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

//! Prometheus metrics: controller-runtime-compatible series plus the operator's own.
//!
//! Series (all in one [`prometheus::Registry`]):
//! - `controller_runtime_reconcile_total{controller,result}` (result: success, error, requeue_after)
//! - `controller_runtime_reconcile_errors_total{controller}`
//! - `controller_runtime_reconcile_time_seconds{controller}` (histogram)
//! - `controller_runtime_active_workers{controller}`
//! - `controller_runtime_max_concurrent_reconciles{controller}`
//! - `workqueue_retries_total{name,controller}` (counted in the error policy)
//! - `nuvolaris_objects_applied_total{controller,kind,result}` (created, configured, unchanged, conflict, error)
//! - `nuvolaris_objects_pruned_total{controller,kind,result}` (deleted, error)
//! - `nuvolaris_status_writes_total{controller}` (status patches actually sent)
//! - `nuvolaris_invalid_spec_total{controller}`
//! - `leader_election_master_status{name}` (1 while this process holds the lease)

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Every metric of the operator.
#[derive(Clone)]
pub struct Metrics {
    /// The registry `/metrics` encodes.
    pub registry: Registry,
    reconcile_total: IntCounterVec,
    reconcile_errors: IntCounterVec,
    reconcile_time: HistogramVec,
    active_workers: IntGaugeVec,
    max_concurrent: IntGaugeVec,
    retries: IntCounterVec,
    applied: IntCounterVec,
    pruned: IntCounterVec,
    status_writes: IntCounterVec,
    invalid_spec: IntCounterVec,
    leader: IntGaugeVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn counter(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels)
        .unwrap_or_else(|e| panic!("metric {name}: {e}"));
    r.register(Box::new(c.clone()))
        .unwrap_or_else(|e| panic!("register {name}: {e}"));
    c
}

fn gauge(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), labels)
        .unwrap_or_else(|e| panic!("metric {name}: {e}"));
    r.register(Box::new(g.clone()))
        .unwrap_or_else(|e| panic!("register {name}: {e}"));
    g
}

impl Metrics {
    /// Creates and registers every series (names are constants, so this cannot fail at run time).
    pub fn new() -> Self {
        let registry = Registry::new();
        let r = &registry;
        let reconcile_time = HistogramVec::new(
            HistogramOpts::new(
                "controller_runtime_reconcile_time_seconds",
                "Length of time per reconciliation per controller",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
            ]),
            &["controller"],
        )
        .unwrap_or_else(|e| panic!("histogram: {e}"));
        registry
            .register(Box::new(reconcile_time.clone()))
            .unwrap_or_else(|e| panic!("register histogram: {e}"));
        Self {
            reconcile_total: counter(r, "controller_runtime_reconcile_total", "Total number of reconciliations per controller", &["controller", "result"]),
            reconcile_errors: counter(r, "controller_runtime_reconcile_errors_total", "Total number of reconciliation errors per controller", &["controller"]),
            reconcile_time,
            active_workers: gauge(r, "controller_runtime_active_workers", "Number of currently used workers per controller", &["controller"]),
            max_concurrent: gauge(r, "controller_runtime_max_concurrent_reconciles", "Maximum number of concurrent reconciles per controller", &["controller"]),
            retries: counter(r, "workqueue_retries_total", "Total number of retries handled by workqueue", &["name", "controller"]),
            applied: counter(r, "nuvolaris_objects_applied_total", "Objects applied by kind and result (created, configured, unchanged, conflict, error)", &["controller", "kind", "result"]),
            pruned: counter(r, "nuvolaris_objects_pruned_total", "Objects pruned or deleted by kind and result (deleted, error)", &["controller", "kind", "result"]),
            status_writes: counter(r, "nuvolaris_status_writes_total", "Status patches sent to the API server", &["controller"]),
            invalid_spec: counter(r, "nuvolaris_invalid_spec_total", "Reconciles that found an invalid spec", &["controller"]),
            leader: gauge(r, "leader_election_master_status", "1 when this process is the leader, 0 otherwise", &["name"]),
            registry,
        }
    }

    /// Declares a controller: sets its concurrency and creates its zero-valued series.
    pub fn register_controller(&self, controller: &str, concurrency: u16) {
        self.max_concurrent
            .with_label_values(&[controller])
            .set(i64::from(concurrency));
        self.active_workers.with_label_values(&[controller]).set(0);
        for result in ["success", "error", "requeue_after"] {
            self.reconcile_total
                .with_label_values(&[controller, result]);
        }
        self.reconcile_errors.with_label_values(&[controller]);
        self.reconcile_time.with_label_values(&[controller]);
        self.status_writes.with_label_values(&[controller]);
        self.retries.with_label_values(&[controller, controller]);
    }

    /// Starts timing a reconcile and counts an active worker until the guard drops.
    pub fn reconcile_started(&self, controller: &str) -> ReconcileGuard {
        self.active_workers.with_label_values(&[controller]).inc();
        ReconcileGuard {
            timer: Some(
                self.reconcile_time
                    .with_label_values(&[controller])
                    .start_timer(),
            ),
            workers: self.active_workers.with_label_values(&[controller]),
        }
    }

    /// Counts a finished reconcile with `result` (success, error, requeue_after).
    pub fn reconcile_finished(&self, controller: &str, result: &str) {
        self.reconcile_total
            .with_label_values(&[controller, result])
            .inc();
        if result == "error" {
            self.reconcile_errors.with_label_values(&[controller]).inc();
        }
    }

    /// Counts a retry scheduled by the error policy.
    pub fn retry(&self, controller: &str) {
        self.retries
            .with_label_values(&[controller, controller])
            .inc();
    }

    /// Counts one applied object.
    pub fn object_applied(&self, controller: &str, kind: &str, result: &str) {
        self.applied
            .with_label_values(&[controller, kind, result])
            .inc();
    }

    /// Counts one pruned object.
    pub fn object_pruned(&self, controller: &str, kind: &str, result: &str) {
        self.pruned
            .with_label_values(&[controller, kind, result])
            .inc();
    }

    /// Counts one status write.
    pub fn status_written(&self, controller: &str) {
        self.status_writes.with_label_values(&[controller]).inc();
    }

    /// Counts one InvalidSpec finding.
    pub fn invalid_spec(&self, controller: &str) {
        self.invalid_spec.with_label_values(&[controller]).inc();
    }

    /// Records the leader state for lease `name`.
    pub fn set_leader(&self, name: &str, leader: bool) {
        self.leader
            .with_label_values(&[name])
            .set(i64::from(leader));
    }

    /// Current value of `nuvolaris_status_writes_total{controller}`.
    pub fn status_writes(&self, controller: &str) -> u64 {
        self.status_writes.with_label_values(&[controller]).get()
    }

    /// Current value of `controller_runtime_reconcile_total{controller,result}`.
    pub fn reconciles(&self, controller: &str, result: &str) -> u64 {
        self.reconcile_total
            .with_label_values(&[controller, result])
            .get()
    }

    /// Current value of `nuvolaris_objects_applied_total{controller,kind,result}`.
    pub fn applied_count(&self, controller: &str, kind: &str, result: &str) -> u64 {
        self.applied
            .with_label_values(&[controller, kind, result])
            .get()
    }

    /// The Prometheus text exposition of every series.
    pub fn encode(&self) -> String {
        let mut buf = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::warn!(error = %e, "encoding metrics failed");
        }
        String::from_utf8_lossy(&buf).into_owned()
    }
}

/// Held while a reconcile runs: observes its duration and decrements active workers on drop.
pub struct ReconcileGuard {
    timer: Option<prometheus::HistogramTimer>,
    workers: prometheus::IntGauge,
}

impl Drop for ReconcileGuard {
    fn drop(&mut self) {
        if let Some(t) = self.timer.take() {
            t.observe_duration();
        }
        self.workers.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("controller_runtime_reconcile_total{controller=\"sample\",result=\"success\"} 1")]
    #[case("controller_runtime_reconcile_total{controller=\"sample\",result=\"error\"} 1")]
    #[case("controller_runtime_reconcile_errors_total{controller=\"sample\"} 1")]
    #[case("controller_runtime_reconcile_time_seconds_count{controller=\"sample\"} 2")]
    #[case("controller_runtime_active_workers{controller=\"sample\"} 0")]
    #[case("controller_runtime_max_concurrent_reconciles{controller=\"sample\"} 4")]
    #[case("nuvolaris_objects_applied_total{controller=\"sample\",kind=\"Deployment\",result=\"created\"} 1")]
    #[case("nuvolaris_objects_pruned_total{controller=\"sample\",kind=\"Deployment\",result=\"deleted\"} 1")]
    #[case("leader_election_master_status{name=\"nuvolaris-operator\"} 1")]
    fn exposition_has_series(#[case] line: &str) {
        let m = Metrics::new();
        m.register_controller("sample", 4);
        for result in ["success", "error"] {
            let _g = m.reconcile_started("sample");
            m.reconcile_finished("sample", result);
        }
        m.object_applied("sample", "Deployment", "created");
        m.object_pruned("sample", "Deployment", "deleted");
        m.set_leader("nuvolaris-operator", true);
        let text = m.encode();
        assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
    }
}
