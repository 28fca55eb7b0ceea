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

//! Liveness and readiness state shared by the controllers and the HTTP endpoints.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long watcher errors must keep coming before `/healthz` fails.
pub const WATCH_DEAD_AFTER: Duration = Duration::from_secs(120);
/// A streak of watcher errors ends after this long without one.
pub const WATCH_ERROR_QUIET: Duration = Duration::from_secs(30);

#[derive(Clone, Debug, Default)]
struct ControllerHealth {
    checked: Option<Result<(), String>>,
    running: bool,
    synced: bool,
    dead: Option<String>,
    streak_start: Option<Instant>,
    last_error: Option<Instant>,
}

#[derive(Debug, Default)]
struct Inner {
    controllers: BTreeMap<String, ControllerHealth>,
    standby: bool,
}

/// Liveness/readiness of the operator process.
///
/// - live (`/healthz`): no controller task died and no watch has been failing for
///   [`WATCH_DEAD_AFTER`] (errors at least every [`WATCH_ERROR_QUIET`]).
/// - ready (`/readyz`): every controller passed its startup checks and, unless this replica is a
///   leader-election standby, finished its initial list.
#[derive(Clone, Debug, Default)]
pub struct Health {
    inner: Arc<Mutex<Inner>>,
}

impl Health {
    /// A state with no controllers (ready and live until one is declared).
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut g)
    }

    /// Declares a controller (not ready until its checks pass and its list completes).
    pub fn declare(&self, name: &str) {
        self.with(|i| {
            i.controllers.entry(name.to_string()).or_default();
        });
    }

    /// Records the result of a controller's startup checks.
    pub fn checked(&self, name: &str, result: Result<(), String>) {
        self.with(|i| i.controllers.entry(name.to_string()).or_default().checked = Some(result));
    }

    /// Marks a controller as running (watches started) or stopped.
    pub fn running(&self, name: &str, running: bool) {
        self.with(|i| {
            let c = i.controllers.entry(name.to_string()).or_default();
            c.running = running;
            if !running {
                c.synced = false;
            }
        });
    }

    /// Marks a controller's initial list as done.
    pub fn synced(&self, name: &str) {
        self.with(|i| i.controllers.entry(name.to_string()).or_default().synced = true);
    }

    /// Marks a controller as dead (its task ended unexpectedly).
    pub fn dead(&self, name: &str, why: String) {
        self.with(|i| i.controllers.entry(name.to_string()).or_default().dead = Some(why));
    }

    /// Records a watcher error of a controller.
    pub fn watch_error(&self, name: &str) {
        self.watch_error_at(name, Instant::now());
    }

    fn watch_error_at(&self, name: &str, now: Instant) {
        self.with(|i| {
            let c = i.controllers.entry(name.to_string()).or_default();
            let quiet = c
                .last_error
                .is_none_or(|t| now.duration_since(t) > WATCH_ERROR_QUIET);
            if quiet {
                c.streak_start = Some(now);
            }
            c.last_error = Some(now);
        });
    }

    /// Sets whether this replica is a leader-election standby (ready without running controllers).
    pub fn standby(&self, standby: bool) {
        self.with(|i| i.standby = standby);
    }

    /// `Ok` when live, else why not.
    pub fn live(&self) -> Result<(), String> {
        self.live_at(Instant::now())
    }

    fn live_at(&self, now: Instant) -> Result<(), String> {
        self.with(|i| {
            for (name, c) in &i.controllers {
                if let Some(why) = &c.dead {
                    return Err(format!("controller {name} stopped: {why}"));
                }
                if let (Some(start), Some(last)) = (c.streak_start, c.last_error) {
                    if now.duration_since(last) <= WATCH_ERROR_QUIET
                        && now.duration_since(start) >= WATCH_DEAD_AFTER
                    {
                        return Err(format!(
                            "controller {name}: watches failing for {}s",
                            now.duration_since(start).as_secs()
                        ));
                    }
                }
            }
            Ok(())
        })
    }

    /// `Ok` when ready, else why not (names the controller and the failed check).
    pub fn ready(&self) -> Result<(), String> {
        self.with(|i| {
            for (name, c) in &i.controllers {
                match &c.checked {
                    None => return Err(format!("controller {name}: startup checks pending")),
                    Some(Err(e)) => return Err(format!("controller {name}: {e}")),
                    Some(Ok(())) => {}
                }
                let running = c.running && c.synced;
                if !i.standby && !running {
                    return Err(format!("controller {name}: initial list not done"));
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_needs_checks_and_sync_unless_standby() {
        let h = Health::new();
        h.declare("sample");
        assert!(h.ready().unwrap_err().contains("pending"));
        h.checked(
            "sample",
            Err("CRD samples.nuvolaris.org is not installed".into()),
        );
        assert!(h.ready().unwrap_err().contains("samples.nuvolaris.org"));
        h.checked("sample", Ok(()));
        assert!(h.ready().is_err());
        h.standby(true);
        assert!(h.ready().is_ok());
        h.standby(false);
        h.running("sample", true);
        h.synced("sample");
        assert!(h.ready().is_ok());
        h.running("sample", false);
        assert!(h.ready().is_err());
    }

    #[test]
    fn live_fails_on_dead_controller_or_long_watch_error_streak() {
        let h = Health::new();
        h.declare("sample");
        assert!(h.live().is_ok());
        let t0 = Instant::now();
        // errors every 10 s for 130 s: dead
        for s in (0..=130).step_by(10) {
            h.watch_error_at("sample", t0 + Duration::from_secs(s));
        }
        assert!(h.live_at(t0 + Duration::from_secs(131)).is_err());
        // quiet afterwards: live again
        assert!(h.live_at(t0 + Duration::from_secs(170)).is_ok());
        // sparse errors never form a streak
        let h2 = Health::new();
        for s in (0..=300).step_by(60) {
            h2.watch_error_at("sample", t0 + Duration::from_secs(s));
        }
        assert!(h2.live_at(t0 + Duration::from_secs(301)).is_ok());
        h2.dead("sample", "stream ended".into());
        assert!(h2.live().unwrap_err().contains("stream ended"));
    }
}
