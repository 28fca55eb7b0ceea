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

//! Structural-schema handling of custom resources, as kube-apiserver does it.
//!
//! What the real server does to a custom resource on create / update (and, for defaults, on read),
//! and what this module reproduces:
//!
//! 1. **Pruning** ([`prune`]): every field not specified by the version's `openAPIV3Schema` is
//!    dropped, at every level, except under `x-kubernetes-preserve-unknown-fields: true`. At the
//!    root (and in `x-kubernetes-embedded-resource` objects) `apiVersion`, `kind` and `metadata` are
//!    kept, and `metadata` is cut down to the ObjectMeta fields (the server round-trips it through
//!    the typed ObjectMeta); [`prune_object_meta`] does that last part alone.
//! 2. **Null pruning and defaulting** ([`apply_defaults`]): a `null` for a field that is not
//!    `nullable` and has no `default` is removed (`PruneNonNullableNullsWithoutDefaults`); then
//!    `default:` values are filled in for absent fields (and for non-nullable nulls), including
//!    inside defaults that were just applied. The server also does this when it reads an object
//!    from storage, so a handler that serves stored objects can call [`apply_defaults`] on read.
//! 3. **Validation** ([`validate`]): the kube-openapi schema validator, with its error wording, and
//!    the conversion of its errors to field errors done by `kubeOpenAPIResultToFieldErrors`
//!    (reasons `FieldValueTypeInvalid`, `FieldValueRequired`, `FieldValueNotSupported`,
//!    `FieldValueTooLong`, `FieldValueTooMany`, otherwise `FieldValueInvalid`), followed by the
//!    embedded-resource checks (`apiVersion` / `kind` required) and the
//!    `x-kubernetes-list-type: set|map` uniqueness checks.
//!
//! [`validate_and_prune`] runs the three steps in that order (after [`normalize_numbers`]);
//! [`validate_and_prune_update`] / [`validate_update`] do the same for an update, with the
//! ratcheting of Kubernetes 1.30+ (errors in parts unchanged from the stored object are dropped);
//! [`prune_with_report`] also returns the dropped paths, for the `unknown field` warnings
//! ([`unknown_field_warning`]) or the 400 of `fieldValidation=Strict`
//! ([`strict_decoding_message`]); [`invalid_status`] builds the 422 `Status` body;
//! [`check_structural`] / [`validate_crd`] reject CRD schemas that are not structural, with the
//! causes the real server gives.
//!
//! Deliberate choices where the real server is not deterministic or not reproducible here:
//! - kube-openapi walks `properties` in Go map order (random); this module walks them sorted by
//!   name (which is also the order the server stores and returns them in), so multi-cause
//!   responses are stable.
//! - `format` on numbers (`int32`, `int64`, `float`, `double`) is *not* range-checked: the real
//!   schema validator does not pass type/format to its number validator, so an `int32` field
//!   accepts `3000000000` there too. String formats (`date-time`, `date`, `byte`, `uuid`, `ipv4`,
//!   `ipv6`, `cidr`, `hostname`, `mac`, `email`, `uri`, `duration`, `password`) are checked;
//!   unknown formats are ignored, as the server does.
//! - Messages follow Kubernetes 1.32+ wording where it changed (`Too long: may not be more than N
//!   bytes`); the traces in `shared/k8s-api-traces` (1.24) only cover wordings that did not change.
//! - CEL `x-kubernetes-validations` rules are not evaluated.
//!
//! The files, in the order of the steps: `schema` (accessors of schema nodes), `prune`,
//! `defaults`, `validate` (with `formats` for string formats and patterns), `cause` (field
//! errors and the 422 body), `go` (Go's value printing in messages) and `structural` (the CRD
//! schema checks); this file runs the steps.

mod cause;
mod defaults;
mod formats;
mod go;
mod prune;
mod schema;
mod structural;
#[cfg(test)]
mod tests;
mod validate;

pub use cause::{aggregate_message, invalid_status, Cause};
pub use defaults::apply_defaults;
pub use go::{go_float, go_quote};
pub use prune::{
    prune, prune_object_meta, prune_with_report, strict_decoding_message, unknown_field_warning,
    OBJECT_META_FIELDS,
};
pub use structural::{check_structural, check_structural_at, validate_crd};
pub use validate::{normalize_numbers, validate, validate_and_prune_update, validate_update};

use serde_json::Value;

/// Validates a custom resource against its version's `openAPIV3Schema`, pruning unknown fields
/// and applying defaults first (the order the real server uses). `obj` is modified in place even
/// when validation fails (as the server's decoded object would be).
pub fn validate_and_prune(schema: &Value, obj: &mut Value) -> Result<(), Vec<Cause>> {
    validate_and_prune_with_report(schema, obj).1
}

/// [`validate_and_prune`], also returning the paths of the pruned unknown fields (see
/// [`prune_with_report`]), which the server reports whether or not validation passes.
pub fn validate_and_prune_with_report(
    schema: &Value,
    obj: &mut Value,
) -> (Vec<String>, Result<(), Vec<Cause>>) {
    normalize_numbers(obj);
    let pruned = prune_with_report(schema, obj);
    apply_defaults(schema, obj);
    let causes = validate(schema, obj);
    let res = if causes.is_empty() {
        Ok(())
    } else {
        Err(causes)
    };
    (pruned, res)
}
