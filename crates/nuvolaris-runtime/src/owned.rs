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

//! Owner-checked writes outside the apply set: deleting one object, listing and pruning the
//! inventory of a kind the controller does not declare, and annotation patches on objects the
//! operator does not own (e.g. `cm/config`) under a named field manager.
//!
//! A delete happens only when the live object carries the owner's inventory label
//! (`applyset.kubernetes.io/part-of`) or a controller ownerReference with the owner's uid;
//! anything else is reported as [`DeleteOutcome::Conflict`] with a Warning Event, never deleted.
//! The delete carries a uid precondition, so an object replaced in between is not touched.

use crate::applier::{Owner, PART_OF_LABEL};
use crate::context::Ctx;
use crate::reconciler::ChildKind;
use crate::Error;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{
    Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, Preconditions,
    PropagationPolicy,
};
use kube::runtime::events::EventType;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What [`Ctx::delete_owned`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// The object was ours and a delete was sent (or it was already being deleted).
    Deleted,
    /// No such object.
    Absent,
    /// The object is not ours: left alone (the message names why).
    Conflict(String),
}

/// Whether an object with metadata `meta` belongs to `owner`: our inventory label, or a
/// controller ownerReference with the owner's uid.
pub fn is_owned(owner: &Owner, meta: &ObjectMeta) -> bool {
    let labelled = meta
        .labels
        .as_ref()
        .and_then(|l| l.get(PART_OF_LABEL))
        .is_some_and(|v| *v == owner.applyset_id());
    let referenced = owner.uid.as_ref().is_some_and(|uid| {
        meta.owner_references
            .iter()
            .flatten()
            .any(|o| o.controller == Some(true) && &o.uid == uid)
    });
    labelled || referenced
}

/// Why `meta` is not `owner`'s, for messages: the other controller, or the missing marks.
pub fn foreign_reason(meta: &ObjectMeta) -> String {
    match meta
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.controller == Some(true))
    {
        Some(o) => format!("controlled by {}/{}", o.kind, o.name),
        None => "carries neither our inventory label nor our ownerReference".to_string(),
    }
}

/// The merge patch setting (`Some`) or removing (`None`) annotations.
pub fn annotations_patch(annotations: &BTreeMap<String, Option<String>>) -> Value {
    let m: Map<String, Value> = annotations
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.clone().map(Value::String).unwrap_or(Value::Null),
            )
        })
        .collect();
    serde_json::json!({ "metadata": { "annotations": m } })
}

fn api_for(ctx: &Ctx, kind: &ChildKind, namespace: Option<&str>) -> Api<DynamicObject> {
    let ar = kind.api_resource();
    match (kind.namespaced, namespace) {
        (true, Some(ns)) => Api::namespaced_with(ctx.client.clone(), ns, &ar),
        _ => Api::all_with(ctx.client.clone(), &ar),
    }
}

fn describe(kind: &ChildKind, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{}/{name} in {ns}", kind.kind_group()),
        None => format!("{}/{name}", kind.kind_group()),
    }
}

impl Ctx {
    /// Deletes `kind` `namespace/name` (background propagation) only if it belongs to `owner`
    /// (see [`is_owned`]); otherwise publishes a Warning Event `Conflict` and returns
    /// [`DeleteOutcome::Conflict`].
    pub async fn delete_owned(
        &self,
        owner: &Owner,
        kind: &ChildKind,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<DeleteOutcome, Error> {
        let what = describe(kind, namespace, name);
        let api = api_for(self, kind, namespace);
        let Some(live) = api
            .get_metadata_opt(name)
            .await
            .map_err(|e| Error::kube(format!("get {what}"), e))?
        else {
            return Ok(DeleteOutcome::Absent);
        };
        if !is_owned(owner, &live.metadata) {
            let msg = format!("not deleting {what}: {}", foreign_reason(&live.metadata));
            self.event(owner, EventType::Warning, "Conflict", msg.clone())
                .await;
            return Ok(DeleteOutcome::Conflict(msg));
        }
        if live.metadata.deletion_timestamp.is_some() {
            return Ok(DeleteOutcome::Deleted);
        }
        let dp = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            preconditions: Some(Preconditions {
                uid: live.metadata.uid.clone(),
                resource_version: None,
            }),
            ..Default::default()
        };
        match api.delete(name, &dp).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.is_not_found() => return Ok(DeleteOutcome::Absent),
            Err(kube::Error::Api(s)) if s.code == 409 => {
                // the uid precondition failed: a different object now has this name
                return Ok(DeleteOutcome::Conflict(format!(
                    "not deleting {what}: it was replaced meanwhile"
                )));
            }
            Err(e) => return Err(Error::kube(format!("delete {what}"), e)),
        }
        self.metrics
            .object_pruned(self.controller, kind.kind, "deleted");
        tracing::info!(controller = self.controller, owner = %owner.key(), object = %what, "deleted");
        self.event(
            owner,
            EventType::Normal,
            "Deleted",
            format!("{what} deleted"),
        )
        .await;
        Ok(DeleteOutcome::Deleted)
    }

    /// Names of the objects of `kind` in `namespace` that carry `owner`'s inventory label (one
    /// list call with a label selector), for kinds outside the controller's declared children.
    pub async fn list_inventory(
        &self,
        owner: &Owner,
        kind: &ChildKind,
        namespace: Option<&str>,
    ) -> Result<Vec<String>, Error> {
        let api = api_for(self, kind, namespace);
        let lp = ListParams::default().labels(&format!("{PART_OF_LABEL}={}", owner.applyset_id()));
        let list = api
            .list_metadata(&lp)
            .await
            .map_err(|e| Error::kube(format!("list {}", kind.kind_group()), e))?;
        Ok(list
            .items
            .into_iter()
            .filter_map(|m| m.metadata.name)
            .collect())
    }

    /// Sets or removes annotations of an object the operator does not own, with a merge patch
    /// under `field_manager` (only the named keys are touched).
    pub async fn patch_annotations(
        &self,
        kind: &ChildKind,
        namespace: Option<&str>,
        name: &str,
        field_manager: &str,
        annotations: &BTreeMap<String, Option<String>>,
    ) -> Result<(), Error> {
        if annotations.is_empty() {
            return Ok(());
        }
        let what = describe(kind, namespace, name);
        let pp = PatchParams {
            field_manager: Some(field_manager.to_string()),
            ..Default::default()
        };
        api_for(self, kind, namespace)
            .patch(name, &pp, &Patch::Merge(&annotations_patch(annotations)))
            .await
            .map_err(|e| Error::kube(format!("annotate {what}"), e))?;
        tracing::info!(controller = self.controller, object = %what, keys = ?annotations.keys().collect::<Vec<_>>(), "annotated");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
    use rstest::rstest;

    fn owner() -> Owner {
        Owner {
            api_version: "nuvolaris.org/v1".into(),
            group: "nuvolaris.org".into(),
            kind: "Whisk".into(),
            name: "controller".into(),
            namespace: Some("nuvolaris".into()),
            uid: Some("u-1".into()),
        }
    }

    fn oref(uid: &str, controller: bool) -> OwnerReference {
        OwnerReference {
            api_version: "nuvolaris.org/v1".into(),
            kind: "Whisk".into(),
            name: "x".into(),
            uid: uid.into(),
            controller: Some(controller),
            block_owner_deletion: None,
        }
    }

    #[rstest]
    #[case::labelled(Some(true), None, true)]
    #[case::other_inventory(Some(false), None, false)]
    #[case::our_controller_ref(None, Some(oref("u-1", true)), true)]
    #[case::our_non_controller_ref(None, Some(oref("u-1", false)), false)]
    #[case::foreign_ref(None, Some(oref("u-2", true)), false)]
    #[case::nothing(None, None, false)]
    fn ownership(
        #[case] label: Option<bool>,
        #[case] oref: Option<OwnerReference>,
        #[case] want: bool,
    ) {
        let o = owner();
        let mut meta = ObjectMeta::default();
        if let Some(ours) = label {
            let v = if ours {
                o.applyset_id()
            } else {
                "applyset-other-v1".into()
            };
            meta.labels = Some([(PART_OF_LABEL.to_string(), v)].into());
        }
        meta.owner_references = oref.map(|r| vec![r]);
        assert_eq!(is_owned(&o, &meta), want);
    }

    #[test]
    fn annotation_patch_sets_and_removes() {
        let a: BTreeMap<String, Option<String>> = [
            ("apihost".to_string(), Some("http://x".to_string())),
            ("old".to_string(), None),
        ]
        .into();
        assert_eq!(
            annotations_patch(&a),
            serde_json::json!({"metadata": {"annotations": {"apihost": "http://x", "old": null}}})
        );
    }
}
