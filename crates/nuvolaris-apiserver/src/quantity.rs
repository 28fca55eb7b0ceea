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

//! Resource quantities in the canonical form the real server stores them in.
//!
//! A client may write `cpu: 1000m`, `memory: 1024Mi` or `cpu: 0.5`; kube-apiserver decodes
//! every `resource.Quantity` field of a built-in kind and encodes it back with
//! apimachinery's `Quantity.CanonicalizeBytes`, so the object reads back as `"1"`, `1Gi` and
//! `500m`. The rules (apimachinery `api/resource/quantity.go`):
//! - the value keeps at most nano precision (finer digits round away from zero);
//! - zero is `0`;
//! - a decimal SI value (`m`, `k`, `M`, ... or no suffix) and a decimal exponent value
//!   (`1e3`) is written with the largest exponent, a multiple of 3, that leaves an integer
//!   mantissa (`1500m` -> `1500m`, `1000m` -> `1`, `1.5k` -> `1500`, `1000e0` -> `1e3`);
//! - a binary SI value (`Ki`, `Mi`, ...) strictly between -1024 and 1024, or one with a
//!   fractional part, is written as decimal SI (`0.5Ki` -> `512`, `1.5` bytes stays decimal);
//!   otherwise with the largest power of 1024 that leaves an integer (`1024Mi` -> `1Gi`,
//!   `1536Mi` stays).
//!
//! Text that is not a quantity is left alone (the real server refuses it at decoding; this
//! server does not model that error).

use serde_json::Value;

/// The notation a quantity was written in (apimachinery's `Format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Powers of 1024: `Ki`, `Mi`, `Gi`, `Ti`, `Pi`, `Ei`.
    BinarySi,
    /// Powers of 1000: `n`, `u`, `m`, none, `k`, `M`, `G`, `T`, `P`, `E`.
    DecimalSi,
    /// `e<exponent>` / `E<exponent>`.
    DecimalExponent,
}

/// A parsed quantity: its value in nano units and its notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    /// The value times 10^9 (nano precision, like the real server).
    pub nanos: i128,
    /// The notation it was written in.
    pub format: Format,
}

const NANO: i128 = 1_000_000_000;
const DECIMAL_SUFFIXES: &[(i32, &str)] = &[
    (-9, "n"),
    (-6, "u"),
    (-3, "m"),
    (0, ""),
    (3, "k"),
    (6, "M"),
    (9, "G"),
    (12, "T"),
    (15, "P"),
    (18, "E"),
];
const BINARY_SUFFIXES: &[&str] = &["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

fn pow10(e: u32) -> Option<i128> {
    10i128.checked_pow(e)
}

/// `m * 10^shift`, rounding a dropped fraction away from zero.
fn scale10(m: i128, shift: i32) -> Option<i128> {
    if shift >= 0 {
        return m.checked_mul(pow10(shift.unsigned_abs())?);
    }
    let d = pow10(shift.unsigned_abs()).unwrap_or(i128::MAX);
    let q = m / d;
    Some(if m % d == 0 { q } else { q + m.signum() })
}

impl Quantity {
    /// Parses a quantity string (`1000m`, `1Gi`, `1e3`, `-0.5`); None when it is not one or
    /// does not fit.
    pub fn parse(s: &str) -> Option<Quantity> {
        let s = s.trim();
        let (neg, rest) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, suffix) = rest.split_at(num_len);
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if (int.is_empty() && frac.is_empty()) || frac.contains('.') {
            return None;
        }
        let digits = format!("{int}{frac}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > 36 {
            return None;
        }
        let mut mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().ok()?
        };
        if neg {
            mantissa = -mantissa;
        }
        let frac_digits = i32::try_from(frac.len()).ok()?;
        let (format, nanos) = if let Some(i) = BINARY_SUFFIXES
            .iter()
            .position(|b| !b.is_empty() && *b == suffix)
        {
            let mult = 1024i128.checked_pow(u32::try_from(i).ok()?)?;
            (
                Format::BinarySi,
                scale10(mantissa.checked_mul(mult)?, 9 - frac_digits)?,
            )
        } else if let Some((e, _)) = DECIMAL_SUFFIXES.iter().find(|(_, x)| *x == suffix) {
            (Format::DecimalSi, scale10(mantissa, e + 9 - frac_digits)?)
        } else if let Some(exp) = suffix
            .strip_prefix('e')
            .or_else(|| suffix.strip_prefix('E'))
            .filter(|x| !x.is_empty())
        {
            let e: i32 = exp.parse().ok()?;
            if !(-100..=100).contains(&e) {
                return None;
            }
            (
                Format::DecimalExponent,
                scale10(mantissa, e + 9 - frac_digits)?,
            )
        } else {
            return None;
        };
        Some(Quantity { nanos, format })
    }

    /// The canonical text (apimachinery `Quantity.String()`).
    pub fn canonical(&self) -> String {
        if self.nanos == 0 {
            return "0".to_string();
        }
        if self.format == Format::BinarySi
            && self.nanos.abs() >= 1024 * NANO
            && self.nanos % NANO == 0
        {
            let mut m = self.nanos / NANO;
            let mut e = 0;
            while e + 1 < BINARY_SUFFIXES.len() && m % 1024 == 0 {
                m /= 1024;
                e += 1;
            }
            return format!("{m}{}", BINARY_SUFFIXES[e]);
        }
        // decimal: the largest exponent (multiple of 3) with an integer mantissa
        let mut m = self.nanos;
        let mut e: i32 = -9;
        let max = if self.format == Format::DecimalExponent {
            i32::MAX
        } else {
            18
        };
        while e + 3 <= max && m % 1000 == 0 {
            m /= 1000;
            e += 3;
        }
        match self.format {
            Format::DecimalExponent if e == 0 => m.to_string(),
            Format::DecimalExponent => format!("{m}e{e}"),
            _ => {
                let suffix = DECIMAL_SUFFIXES
                    .iter()
                    .find(|(x, _)| *x == e)
                    .map(|(_, s)| *s)
                    .unwrap_or_default();
                format!("{m}{suffix}")
            }
        }
    }
}

/// The canonical form of a quantity given as text or as a JSON number (None: not a quantity).
pub fn canonical(v: &Value) -> Option<String> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Quantity::parse(&text).map(|q| q.canonical())
}

/// Rewrites every value of a map of quantities (`requests`, `limits`, `hard`, ...) canonically.
fn canonicalize_map(m: Option<&mut Value>) {
    if let Some(Value::Object(m)) = m {
        for v in m.values_mut() {
            canonicalize_value(Some(v));
        }
    }
}

fn canonicalize_value(v: Option<&mut Value>) {
    if let Some(v) = v {
        if let Some(c) = canonical(v) {
            *v = Value::String(c);
        }
    }
}

fn resources(r: Option<&mut Value>) {
    if let Some(r) = r {
        canonicalize_map(r.get_mut("requests"));
        canonicalize_map(r.get_mut("limits"));
    }
}

fn each(v: Option<&mut Value>, mut f: impl FnMut(&mut Value)) {
    if let Some(Value::Array(a)) = v {
        a.iter_mut().for_each(&mut f);
    }
}

fn pvc_spec(spec: Option<&mut Value>) {
    if let Some(spec) = spec {
        resources(spec.get_mut("resources"));
    }
}

fn pod_spec(spec: Option<&mut Value>) {
    let Some(spec) = spec else { return };
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        each(spec.get_mut(list), |c| resources(c.get_mut("resources")));
    }
    resources(spec.get_mut("resources"));
    canonicalize_map(spec.get_mut("overhead"));
    each(spec.get_mut("volumes"), |v| {
        if let Some(ed) = v.get_mut("emptyDir") {
            canonicalize_value(ed.get_mut("sizeLimit"));
        }
        if let Some(t) = v
            .get_mut("ephemeral")
            .and_then(|e| e.get_mut("volumeClaimTemplate"))
        {
            pvc_spec(t.get_mut("spec"));
        }
    });
}

fn template_spec(template: Option<&mut Value>) {
    pod_spec(template.and_then(|t| t.get_mut("spec")));
}

/// Canonicalizes the quantities of a built-in kind's object, as the real server's decoding does:
/// containers' `resources` (requests and limits) wherever a pod spec is (Pod, the
/// workloads' `template`, CronJob's `jobTemplate`), pod `overhead`, `emptyDir.sizeLimit`,
/// PersistentVolumeClaim (and claim template) `resources`, PersistentVolume `capacity`,
/// ResourceQuota `hard` and LimitRange limits.
pub fn canonicalize_object(group: &str, plural: &str, obj: &mut Value) {
    let Some(spec) = obj.get_mut("spec") else {
        return;
    };
    match (group, plural) {
        ("", "pods") => pod_spec(Some(spec)),
        ("", "replicationcontrollers")
        | ("apps", "deployments" | "replicasets" | "daemonsets")
        | ("batch", "jobs") => template_spec(spec.get_mut("template")),
        ("apps", "statefulsets") => {
            template_spec(spec.get_mut("template"));
            each(spec.get_mut("volumeClaimTemplates"), |t| {
                pvc_spec(t.get_mut("spec"))
            });
        }
        ("batch", "cronjobs") => template_spec(
            spec.get_mut("jobTemplate")
                .and_then(|j| j.get_mut("spec"))
                .and_then(|s| s.get_mut("template")),
        ),
        ("", "persistentvolumeclaims") => pvc_spec(Some(spec)),
        ("", "persistentvolumes") => canonicalize_map(spec.get_mut("capacity")),
        ("", "resourcequotas") => canonicalize_map(spec.get_mut("hard")),
        ("", "limitranges") => each(spec.get_mut("limits"), |l| {
            for k in [
                "max",
                "min",
                "default",
                "defaultRequest",
                "maxLimitRequestRatio",
            ] {
                canonicalize_map(l.get_mut(k));
            }
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case("1000m", "1")]
    #[case("1500m", "1500m")]
    #[case("100m", "100m")]
    #[case("0.5", "500m")]
    #[case(".5", "500m")]
    #[case("0.1", "100m")]
    #[case("1", "1")]
    #[case("2000", "2k")]
    #[case("1.5k", "1500")]
    #[case("1k", "1k")]
    #[case("1000k", "1M")]
    #[case("1024Mi", "1Gi")]
    #[case("1536Mi", "1536Mi")]
    #[case("2048Ki", "2Mi")]
    #[case("0.5Gi", "512Mi")]
    #[case("1.5Gi", "1536Mi")]
    #[case("512Ki", "512Ki")]
    #[case("1Ki", "1Ki")]
    #[case("0.5Ki", "512")]
    #[case("0.1Ki", "102400m")]
    #[case("1023", "1023")]
    #[case("1000Mi", "1000Mi")]
    #[case("1e3", "1e3")]
    #[case("1000e0", "1e3")]
    #[case("12e2", "1200")]
    #[case("1E6", "1e6")]
    #[case("1e-3", "1e-3")]
    #[case("1E", "1E")]
    #[case("0", "0")]
    #[case("0Mi", "0")]
    #[case("000100m", "100m")]
    #[case("-1000m", "-1")]
    #[case("+2", "2")]
    #[case("0.0000000001", "1n")]
    #[case("1n", "1n")]
    #[case("1000n", "1u")]
    #[case("1000000u", "1")]
    #[case("5000E", "5000E")]
    #[case("1Ei", "1Ei")]
    #[case("2048Ei", "2048Ei")]
    fn canonical_forms(#[case] given: &str, #[case] want: &str) {
        assert_eq!(
            Quantity::parse(given).map(|q| q.canonical()).as_deref(),
            Some(want)
        );
    }

    #[rstest]
    #[case("")]
    #[case("m")]
    #[case("1.2.3")]
    #[case("1Gb")]
    #[case("1e")]
    #[case("abc")]
    #[case("1 Gi")]
    #[case("--1")]
    fn not_quantities(#[case] given: &str) {
        assert_eq!(Quantity::parse(given), None);
    }

    #[rstest]
    #[case(json!(1), Some("1"))]
    #[case(json!(0.5), Some("500m"))]
    #[case(json!(2.25), Some("2250m"))]
    #[case(json!("1000m"), Some("1"))]
    #[case(json!(true), None)]
    fn json_values(#[case] v: Value, #[case] want: Option<&str>) {
        assert_eq!(canonical(&v).as_deref(), want);
    }

    #[test]
    fn workload_containers_and_claims() {
        let mut sts = json!({"spec": {
            "template": {"spec": {
                "containers": [{"name": "a", "resources": {"requests": {"cpu": "1000m", "memory": "1024Mi"}, "limits": {"cpu": 2}}}],
                "initContainers": [{"name": "i", "resources": {"limits": {"memory": "0.5Gi"}}}],
                "volumes": [{"name": "v", "emptyDir": {"sizeLimit": "1024Ki"}}]}},
            "volumeClaimTemplates": [{"spec": {"resources": {"requests": {"storage": "1024Gi"}}}}]}});
        canonicalize_object("apps", "statefulsets", &mut sts);
        let pod = &sts["spec"]["template"]["spec"];
        assert_eq!(
            pod["containers"][0]["resources"]["requests"],
            json!({"cpu": "1", "memory": "1Gi"})
        );
        assert_eq!(pod["containers"][0]["resources"]["limits"]["cpu"], "2");
        assert_eq!(
            pod["initContainers"][0]["resources"]["limits"]["memory"],
            "512Mi"
        );
        assert_eq!(pod["volumes"][0]["emptyDir"]["sizeLimit"], "1Mi");
        assert_eq!(
            sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
            "1Ti"
        );
    }

    #[rstest]
    #[case("", "pods", json!({"spec": {"containers": [{"resources": {"requests": {"cpu": "1000m"}}}]}}), "/spec/containers/0/resources/requests/cpu")]
    #[case("apps", "deployments", json!({"spec": {"template": {"spec": {"containers": [{"resources": {"requests": {"cpu": "1000m"}}}]}}}}), "/spec/template/spec/containers/0/resources/requests/cpu")]
    #[case("batch", "cronjobs", json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"resources": {"limits": {"cpu": "1000m"}}}]}}}}}}), "/spec/jobTemplate/spec/template/spec/containers/0/resources/limits/cpu")]
    #[case("", "persistentvolumeclaims", json!({"spec": {"resources": {"requests": {"storage": "1000m"}}}}), "/spec/resources/requests/storage")]
    #[case("", "resourcequotas", json!({"spec": {"hard": {"requests.cpu": "1000m"}}}), "/spec/hard/requests.cpu")]
    fn kinds(#[case] group: &str, #[case] plural: &str, #[case] mut obj: Value, #[case] ptr: &str) {
        canonicalize_object(group, plural, &mut obj);
        assert_eq!(obj.pointer(ptr), Some(&json!("1")));
    }

    #[test]
    fn other_kinds_and_bad_values_are_left_alone() {
        let mut cm =
            json!({"spec": {"containers": [{"resources": {"requests": {"cpu": "1000m"}}}]}});
        let before = cm.clone();
        canonicalize_object("", "configmaps", &mut cm);
        assert_eq!(cm, before);
        let mut pod =
            json!({"spec": {"containers": [{"resources": {"requests": {"cpu": "lots"}}}]}});
        canonicalize_object("", "pods", &mut pod);
        assert_eq!(
            pod["spec"]["containers"][0]["resources"]["requests"]["cpu"],
            "lots"
        );
    }
}
