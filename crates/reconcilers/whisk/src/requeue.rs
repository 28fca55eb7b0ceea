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

//! When a Whisk is looked at again.
//!
//! While something it polls makes progress (a StatefulSet rolling out, a Job running) the Whisk
//! is requeued with a per-object backoff: 2 s, doubling up to 60 s, restarting from 2 s whenever
//! the component states change (progress was made). Nothing is requeued for a terminal failure
//! (a Job that failed for good, a missing CRD), for a Whisk waiting on something a watch reports
//! (its children, the ingress load balancer) or for a Ready one: the watch events and the
//! runtime's periodic resync wake it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Whether the plan wants to be polled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Wake {
    /// Something is progressing: requeue with backoff.
    Poll,
    /// Ready, terminally failed or waiting for a watch event: no requeue.
    #[default]
    OnChange,
}

/// The backoff policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// First delay.
    pub min: Duration,
    /// Largest delay.
    pub max: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            min: Duration::from_secs(2),
            max: Duration::from_secs(60),
        }
    }
}

impl Policy {
    /// Delay of the `attempt`-th consecutive requeue without progress (0-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        self.min
            .saturating_mul(1u32 << attempt.min(20))
            .min(self.max)
    }
}

/// Per-object backoff state: (fingerprint of the last states, consecutive attempts).
#[derive(Debug, Default)]
pub struct Backoff {
    policy: Policy,
    state: Mutex<HashMap<String, (u64, u32)>>,
}

impl Backoff {
    /// A backoff with `policy`.
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            state: Mutex::default(),
        }
    }

    /// The requeue delay for object `key` whose plan asks `wake` with states `fingerprint`.
    pub fn next(&self, key: &str, fingerprint: u64, wake: Wake) -> Option<Duration> {
        let Ok(mut st) = self.state.lock() else {
            return (wake == Wake::Poll).then_some(self.policy.max);
        };
        if wake == Wake::OnChange {
            st.remove(key);
            return None;
        }
        let e = st.entry(key.to_string()).or_insert((fingerprint, 0));
        if e.0 != fingerprint {
            *e = (fingerprint, 0);
        }
        let d = self.policy.delay(e.1);
        e.1 = e.1.saturating_add(1);
        Some(d)
    }

    /// Forgets object `key` (deleted).
    pub fn forget(&self, key: &str) {
        if let Ok(mut st) = self.state.lock() {
            st.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(0, 2)]
    #[case(1, 4)]
    #[case(4, 32)]
    #[case(5, 60)]
    #[case(40, 60)]
    fn doubles_from_two_seconds_to_a_minute(#[case] attempt: u32, #[case] secs: u64) {
        assert_eq!(Policy::default().delay(attempt), Duration::from_secs(secs));
    }

    #[test]
    fn backoff_grows_without_progress_and_restarts_with_it() {
        let b = Backoff::default();
        let s = |n| Some(Duration::from_secs(n));
        assert_eq!(b.next("ns/w", 1, Wake::Poll), s(2));
        assert_eq!(b.next("ns/w", 1, Wake::Poll), s(4));
        assert_eq!(b.next("ns/other", 1, Wake::Poll), s(2), "per object");
        assert_eq!(b.next("ns/w", 1, Wake::Poll), s(8));
        assert_eq!(b.next("ns/w", 2, Wake::Poll), s(2), "progress restarts it");
        assert_eq!(b.next("ns/w", 2, Wake::OnChange), None);
        assert_eq!(b.next("ns/w", 2, Wake::Poll), s(2));
    }

    #[test]
    fn a_terminal_failure_is_never_polled() {
        let b = Backoff::default();
        for _ in 0..10 {
            assert_eq!(b.next("ns/w", 7, Wake::OnChange), None);
        }
    }
}
