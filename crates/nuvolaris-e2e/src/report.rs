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

//! Per-scenario results and the table `cargo xtask e2e` prints.

use std::fmt;
use std::time::Duration;

/// How a scenario ended.
#[derive(Clone, Debug, PartialEq)]
pub enum ScenarioOutcome {
    /// Every check held.
    Passed,
    /// A check failed or it timed out; the reason says which.
    Failed(String),
    /// The scenario does not apply to this backend; the reason says why (never counted as passed).
    NotApplicable(String),
}

/// One scenario's result.
#[derive(Clone, Debug)]
pub struct ScenarioResult {
    /// Scenario name.
    pub name: String,
    /// ScenarioOutcome.
    pub outcome: ScenarioOutcome,
    /// Wall-clock time.
    pub duration: Duration,
    /// Notes (measurements) the scenario recorded.
    pub notes: Vec<String>,
}

/// The results of a suite run on one backend.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Backend name.
    pub backend: String,
    /// Results in run order.
    pub results: Vec<ScenarioResult>,
}

impl Report {
    /// Number of passed scenarios.
    pub fn passed(&self) -> usize {
        self.results
            .iter()
            .filter(|r| r.outcome == ScenarioOutcome::Passed)
            .count()
    }

    /// The failed scenarios.
    pub fn failures(&self) -> Vec<&ScenarioResult> {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, ScenarioOutcome::Failed(_)))
            .collect()
    }

    /// Number of scenarios not applicable to the backend.
    pub fn not_applicable(&self) -> usize {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, ScenarioOutcome::NotApplicable(_)))
            .count()
    }

    /// True when nothing failed and at least one scenario ran.
    pub fn success(&self) -> bool {
        self.failures().is_empty() && self.passed() > 0
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self
            .results
            .iter()
            .map(|r| r.name.len())
            .max()
            .unwrap_or(8)
            .max(8);
        writeln!(f, "backend: {}", self.backend)?;
        writeln!(
            f,
            "{:<w$}  {:<6}  {:>8}  details",
            "SCENARIO", "RESULT", "TIME"
        )?;
        for r in &self.results {
            let (res, why) = match &r.outcome {
                ScenarioOutcome::Passed => ("pass", r.notes.join("; ")),
                ScenarioOutcome::Failed(m) => ("FAIL", m.clone()),
                ScenarioOutcome::NotApplicable(m) => ("n/a", m.clone()),
            };
            let why = why.replace('\n', "\n    ");
            writeln!(
                f,
                "{:<w$}  {:<6}  {:>7.1}s  {}",
                r.name,
                res,
                r.duration.as_secs_f64(),
                why
            )?;
        }
        write!(
            f,
            "{} passed, {} failed, {} not applicable",
            self.passed(),
            self.failures().len(),
            self.not_applicable()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn r(name: &str, outcome: ScenarioOutcome) -> ScenarioResult {
        ScenarioResult {
            name: name.into(),
            outcome,
            duration: Duration::from_millis(1500),
            notes: vec![],
        }
    }

    #[rstest]
    #[case::all_passed(vec![ScenarioOutcome::Passed, ScenarioOutcome::Passed], true)]
    #[case::na_is_not_failure(vec![ScenarioOutcome::Passed, ScenarioOutcome::NotApplicable("no rbac".into())], true)]
    #[case::one_failed(vec![ScenarioOutcome::Passed, ScenarioOutcome::Failed("boom".into())], false)]
    #[case::only_na_is_not_success(vec![ScenarioOutcome::NotApplicable("x".into())], false)]
    #[case::empty_is_not_success(vec![], false)]
    fn success(#[case] outcomes: Vec<ScenarioOutcome>, #[case] want: bool) {
        let rep = Report {
            backend: "embedded".into(),
            results: outcomes
                .into_iter()
                .enumerate()
                .map(|(i, o)| r(&format!("s{i}"), o))
                .collect(),
        };
        assert_eq!(rep.success(), want);
    }

    #[test]
    fn table_shows_each_outcome_and_the_totals() {
        let rep = Report {
            backend: "embedded".into(),
            results: vec![
                r("a", ScenarioOutcome::Passed),
                r("bb", ScenarioOutcome::Failed("why".into())),
                r("c", ScenarioOutcome::NotApplicable("no rbac".into())),
            ],
        };
        let t = rep.to_string();
        assert!(t.contains("a         pass"), "{t}");
        assert!(t.contains("bb        FAIL        1.5s  why"), "{t}");
        assert!(t.contains("c         n/a"), "{t}");
        assert!(t.ends_with("1 passed, 1 failed, 1 not applicable"), "{t}");
    }
}
