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

//! Shared helpers for `status.conditions` (`Ready`, `Progressing`, `Degraded`, ...).
//!
//! Pure functions: `lastTransitionTime` moves only when a condition's status flips, so a steady
//! state computes a byte-identical status and the operator writes nothing. Custom resource
//! types use [`conditions_schema`] on their `conditions` field; reconcilers use [`merge`] with
//! [`now`].

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

/// Condition type: the resource is fully reconciled and its workloads are ready.
pub const READY: &str = "Ready";
/// Condition type: the operator is still moving the resource toward its spec.
pub const PROGRESSING: &str = "Progressing";
/// Condition type: something failed and needs attention.
pub const DEGRADED: &str = "Degraded";

/// Condition status `True`.
pub const TRUE: &str = "True";
/// Condition status `False`.
pub const FALSE: &str = "False";
/// Condition status `Unknown`.
pub const UNKNOWN: &str = "Unknown";

/// Schema for a `conditions` field: a list map keyed by `type`, so SSA merges each type apart.
pub fn conditions_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let item = g.subschema_for::<Condition>();
    schemars::json_schema!({
        "type": "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
        "items": item
    })
}

/// The current time truncated to whole seconds, as `metav1.Time` serializes it: the one clock
/// for condition transition times, so a computed status equals the one read back.
pub fn now() -> Timestamp {
    let t = Timestamp::now();
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

/// What a reconciler wants one condition to say (without the transition time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Desired<'a> {
    /// Condition type, e.g. [`READY`].
    pub type_: &'a str,
    /// `True`, `False` or `Unknown`.
    pub status: &'a str,
    /// CamelCase reason, e.g. `Applied`, `Conflict`, `InvalidSpec`.
    pub reason: &'a str,
    /// Human-readable message.
    pub message: &'a str,
}

/// Finds the condition of type `type_`.
pub fn find<'a>(conds: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conds.iter().find(|c| c.type_ == type_)
}

/// Tells whether the condition of type `type_` exists with status `True`.
pub fn is_true(conds: &[Condition], type_: &str) -> bool {
    find(conds, type_).is_some_and(|c| c.status == TRUE)
}

/// Sets one condition in `conds`, keeping `lastTransitionTime` unless the status flips.
///
/// Returns whether anything in the list changed. A new condition, or one whose status changes,
/// gets `now` as its transition time.
pub fn set(
    conds: &mut Vec<Condition>,
    want: &Desired<'_>,
    generation: Option<i64>,
    now: Timestamp,
) -> bool {
    match conds.iter_mut().find(|c| c.type_ == want.type_) {
        Some(c) => {
            let flipped = c.status != want.status;
            let changed = flipped
                || c.reason != want.reason
                || c.message != want.message
                || c.observed_generation != generation;
            if flipped {
                c.last_transition_time = Time(now);
            }
            c.status = want.status.to_string();
            c.reason = want.reason.to_string();
            c.message = want.message.to_string();
            c.observed_generation = generation;
            changed
        }
        None => {
            conds.push(Condition {
                type_: want.type_.to_string(),
                status: want.status.to_string(),
                reason: want.reason.to_string(),
                message: want.message.to_string(),
                observed_generation: generation,
                last_transition_time: Time(now),
            });
            true
        }
    }
}

/// Builds a new condition list from `wanted`, carrying transition times over from `old`.
///
/// The result is in the order of `wanted`; conditions of other types in `old` are dropped.
pub fn merge(
    old: &[Condition],
    wanted: &[Desired<'_>],
    generation: Option<i64>,
    now: Timestamp,
) -> Vec<Condition> {
    wanted
        .iter()
        .map(|w| {
            let mut one: Vec<Condition> = find(old, w.type_).cloned().into_iter().collect();
            set(&mut one, w, generation, now);
            one.remove(0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    fn d<'a>(status: &'a str, reason: &'a str) -> Desired<'a> {
        Desired {
            type_: READY,
            status,
            reason,
            message: "m",
        }
    }

    #[rstest]
    // same status and reason: nothing changes, old time kept
    #[case(TRUE, "Applied", TRUE, "Applied", false, 10)]
    // reason changes but status does not: changed, old time kept
    #[case(FALSE, "Progressing", FALSE, "Conflict", true, 10)]
    // status flips: changed, new time
    #[case(FALSE, "Progressing", TRUE, "Applied", true, 99)]
    #[case(TRUE, "Applied", FALSE, "InvalidSpec", true, 99)]
    fn set_moves_time_only_on_transition(
        #[case] old_status: &str,
        #[case] old_reason: &str,
        #[case] new_status: &str,
        #[case] new_reason: &str,
        #[case] changed: bool,
        #[case] time: i64,
    ) {
        let mut conds = Vec::new();
        assert!(set(&mut conds, &d(old_status, old_reason), Some(1), ts(10)));
        assert_eq!(
            set(&mut conds, &d(new_status, new_reason), Some(1), ts(99)),
            changed
        );
        assert_eq!(conds.len(), 1);
        assert_eq!(conds[0].last_transition_time, Time(ts(time)));
        assert_eq!(conds[0].reason, new_reason);
        assert_eq!(conds[0].status, new_status);
    }

    #[test]
    fn now_has_whole_seconds() {
        assert_eq!(now().subsec_nanosecond(), 0);
    }

    #[test]
    fn generation_change_is_a_change() {
        let mut conds = Vec::new();
        set(&mut conds, &d(TRUE, "Applied"), Some(1), ts(10));
        assert!(set(&mut conds, &d(TRUE, "Applied"), Some(2), ts(20)));
        assert_eq!(conds[0].last_transition_time, Time(ts(10)));
        assert_eq!(conds[0].observed_generation, Some(2));
    }

    #[test]
    fn merge_is_deterministic_and_keeps_times() {
        let wanted = [
            d(TRUE, "Applied"),
            Desired {
                type_: DEGRADED,
                status: FALSE,
                reason: "AsExpected",
                message: "",
            },
        ];
        let first = merge(&[], &wanted, Some(1), ts(10));
        let second = merge(&first, &wanted, Some(1), ts(50));
        assert_eq!(first, second);
        assert!(is_true(&second, READY));
        assert!(!is_true(&second, DEGRADED));
        assert!(find(&second, PROGRESSING).is_none());
    }
}
