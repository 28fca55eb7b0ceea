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

//! Create, update, patch and delete with the real server's semantics, on the locked state.

use crate::clock::now;
use crate::resources::{from_crd, ResourceInfo};
use crate::schema_hook::FieldValidation;
use crate::status::{cause, ApiError};
use crate::store::{meta_str, State};
use serde_json::{json, Map, Value};
use std::sync::{Arc, Mutex};

/// Options shared by writes.
#[derive(Debug, Clone, Default)]
pub struct WriteOpts {
    /// `fieldManager` query parameter.
    pub field_manager: Option<String>,
    /// `dryRun=All`.
    pub dry_run: bool,
    /// Subresource written ("status", "scale") or None.
    pub subresource: Option<String>,
    /// The write is a server-side apply (managedFields already set by the patch).
    pub apply: bool,
    /// `fieldValidation` query parameter: what to do with unknown fields of custom resources.
    pub field_validation: FieldValidation,
    /// Sink for the `Warning` header values the write produces (shared with the HTTP layer).
    pub warnings: Arc<Mutex<Vec<String>>>,
}

/// Deletion propagation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Propagation {
    /// Owner removed now, dependents collected afterwards.
    #[default]
    Background,
    /// Owner kept (with `foregroundDeletion`) until blocking dependents are gone.
    Foreground,
    /// Dependents lose their ownerReference and are kept.
    Orphan,
}

/// Options of a DELETE.
#[derive(Debug, Clone, Default)]
pub struct DeleteOpts {
    /// propagationPolicy.
    pub propagation: Propagation,
    /// preconditions.uid.
    pub uid: Option<String>,
    /// preconditions.resourceVersion.
    pub resource_version: Option<String>,
    /// dryRun=All.
    pub dry_run: bool,
}

/// Result of a DELETE.
#[derive(Debug, Clone)]
pub enum Deleted {
    /// The object is gone (its last state).
    Removed(Arc<Value>),
    /// The object is still there, being deleted (finalizers pending).
    Pending(Arc<Value>),
}

/// A random v4 UUID string.
pub fn new_uid() -> String {
    let b: [u8; 16] = rand::random();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-4{}-{}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        ["8", "9", "a", "b"][(b[8] & 3) as usize],
        &h[17..20],
        &h[20..32]
    )
}

fn meta_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    match obj.get_mut("metadata") {
        Some(Value::Object(m)) => m,
        _ => unreachable!("metadata was just set to an object"),
    }
}

fn finalizers(obj: &Value) -> Vec<String> {
    obj["metadata"]["finalizers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn is_deleting(obj: &Value) -> bool {
    obj["metadata"]
        .get("deletionTimestamp")
        .is_some_and(|v| !v.is_null())
}

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

fn label_ok(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Validates `metadata.name` like the real server (DNS label for namespaces and services, subdomain otherwise).
pub fn name_causes(info: &ResourceInfo, name: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let label_only =
        info.group.is_empty() && (info.plural == "namespaces" || info.plural == "services");
    let rbac = info.group == "rbac.authorization.k8s.io";
    if rbac {
        if name.contains('/') || name.contains('%') || name == "." || name == ".." {
            out.push(cause(
                "FieldValueInvalid",
                format!("Invalid value: \"{name}\": may not contain '/'"),
                "metadata.name",
            ));
        }
        return out;
    }
    if label_only {
        if name.len() > 63 {
            out.push(cause(
                "FieldValueInvalid",
                format!("Invalid value: \"{name}\": must be no more than 63 characters"),
                "metadata.name",
            ));
        }
        if !label_ok(name) {
            out.push(cause(
                "FieldValueInvalid",
                format!("Invalid value: \"{name}\": {LABEL_MSG}"),
                "metadata.name",
            ));
        }
    } else {
        if name.len() > 253 {
            out.push(cause(
                "FieldValueInvalid",
                format!("Invalid value: \"{name}\": must be no more than 253 characters"),
                "metadata.name",
            ));
        }
        if !name.split('.').all(label_ok) {
            out.push(cause(
                "FieldValueInvalid",
                format!("Invalid value: \"{name}\": {SUBDOMAIN_MSG}"),
                "metadata.name",
            ));
        }
    }
    out
}

fn random_suffix() -> String {
    const CH: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|_| CH[rand::random_range(0..CH.len())] as char)
        .collect()
}

/// Checks kind/apiVersion/namespace of a body against the URL, and fills them in when absent.
pub fn check_body(info: &ResourceInfo, ns: &str, obj: &mut Value) -> Result<(), ApiError> {
    if !obj.is_object() {
        return Err(ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type {}): couldn't get version/kind; json parse error: expected an object",
            info.kind
        )));
    }
    check_meta_types(info, obj)?;
    let av = info.api_version();
    match obj.get("apiVersion").and_then(Value::as_str) {
        Some(a) if a != av => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({a}) does not match the expected API version ({av})"
            )))
        }
        _ => obj["apiVersion"] = json!(av),
    }
    match obj.get("kind").and_then(Value::as_str) {
        Some(k) if k != info.kind => {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                info.kind
            )))
        }
        _ => obj["kind"] = json!(info.kind),
    }
    let m = meta_mut(obj);
    if info.namespaced {
        match m.get("namespace").and_then(Value::as_str) {
            Some(n) if !n.is_empty() && n != ns => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ))
            }
            _ => {
                m.insert("namespace".into(), json!(ns));
            }
        }
    } else {
        m.remove("namespace");
    }
    Ok(())
}

fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Rejects metadata whose JSON types cannot decode into ObjectMeta, as the real decoder does (400).
fn check_meta_types(info: &ResourceInfo, obj: &Value) -> Result<(), ApiError> {
    let fail = |field: &str, got: &Value, want: &str| {
        Err(ApiError::bad_request(format!(
            "{} in version \"{}\" cannot be handled as a {}: json: cannot unmarshal {} into Go struct field {field} of type {want}",
            info.kind,
            info.version,
            info.kind,
            go_type(got)
        )))
    };
    let Some(m) = obj.get("metadata") else {
        return Ok(());
    };
    if !m.is_object() {
        return fail(&format!("{}.metadata", info.kind), m, "v1.ObjectMeta");
    }
    for k in [
        "name",
        "generateName",
        "namespace",
        "resourceVersion",
        "uid",
    ] {
        if let Some(v) = m.get(k).filter(|v| !v.is_null() && !v.is_string()) {
            return fail(&format!("ObjectMeta.metadata.{k}"), v, "string");
        }
    }
    for k in ["labels", "annotations"] {
        match m.get(k) {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                if let Some(v) = map.values().find(|v| !v.is_string()) {
                    return fail(&format!("ObjectMeta.metadata.{k}"), v, "string");
                }
            }
            Some(other) => {
                return fail(
                    &format!("ObjectMeta.metadata.{k}"),
                    other,
                    "map[string]string",
                )
            }
        }
    }
    match m.get("finalizers") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            if let Some(v) = a.iter().find(|v| !v.is_string()) {
                return fail("ObjectMeta.metadata.finalizers", v, "string");
            }
        }
        Some(other) => return fail("ObjectMeta.metadata.finalizers", other, "[]string"),
    }
    match m.get("ownerReferences") {
        None | Some(Value::Null) | Some(Value::Array(_)) => Ok(()),
        Some(other) => fail(
            "ObjectMeta.metadata.ownerReferences",
            other,
            "[]v1.OwnerReference",
        ),
    }
}

fn label_part_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() <= 63
        && !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

const QNAME_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/// 422 causes for invalid label keys and values (metadata.labels).
pub fn label_causes(obj: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let Some(labels) = obj["metadata"]["labels"].as_object() else {
        return out;
    };
    for (k, v) in labels {
        let (prefix, name) = match k.rsplit_once('/') {
            Some((p, n)) => (Some(p), n),
            None => (None, k.as_str()),
        };
        if let Some(p) = prefix {
            if p.is_empty() || p.len() > 253 || !p.split('.').all(label_ok) {
                out.push(cause(
                    "FieldValueInvalid",
                    format!("Invalid value: \"{k}\": prefix part {SUBDOMAIN_MSG}"),
                    "metadata.labels",
                ));
            }
        }
        if name.len() > 63 {
            out.push(cause(
                "FieldValueInvalid",
                format!("Invalid value: \"{k}\": name part must be no more than 63 characters"),
                "metadata.labels",
            ));
        } else if !label_part_ok(name) {
            out.push(cause(
                "FieldValueInvalid",
                format!("Invalid value: \"{k}\": {QNAME_MSG}"),
                "metadata.labels",
            ));
        }
        let val = v.as_str().unwrap_or_default();
        if val.len() > 63 {
            out.push(cause(
                "FieldValueInvalid",
                format!("Invalid value: \"{val}\": must be no more than 63 characters"),
                "metadata.labels",
            ));
        } else if !val.is_empty() && !label_part_ok(val) {
            out.push(cause(
                "FieldValueInvalid",
                format!("Invalid value: \"{val}\": {LABEL_VALUE_MSG}"),
                "metadata.labels",
            ));
        }
    }
    out
}

/// What the real server's defaulting does to built-in kinds that clients rely on:
/// Secret `stringData` folded into base64 `data`, and `type: Opaque` by default.
fn normalize_builtin(info: &ResourceInfo, obj: &mut Value) {
    if info.custom || !info.group.is_empty() || info.plural != "secrets" {
        return;
    }
    use base64::Engine;
    let Some(o) = obj.as_object_mut() else { return };
    if let Some(Value::Object(sd)) = o.remove("stringData") {
        let data = o.entry("data").or_insert_with(|| json!({}));
        if !data.is_object() {
            *data = json!({});
        }
        for (k, v) in sd {
            let s = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            data[k.as_str()] = json!(base64::engine::general_purpose::STANDARD.encode(s));
        }
    }
    o.entry("type").or_insert_with(|| json!("Opaque"));
}

/// Quantities of built-in kinds in canonical form, as the real server stores them
/// (`cpu: 1000m` reads back as `"1"`).
pub fn canonical_quantities(info: &ResourceInfo, obj: &mut Value) {
    if !info.custom {
        crate::quantity::canonicalize_object(&info.group, &info.plural, obj);
    }
}

/// Service defaulting the real server does: type ClusterIP, an allocated clusterIP (kept
/// across updates that leave it out), TCP ports with targetPort = port, sessionAffinity None.
fn default_service(info: &ResourceInfo, old: Option<&Value>, obj: &mut Value) {
    if info.custom || !info.group.is_empty() || info.plural != "services" {
        return;
    }
    if !obj.get("spec").is_some_and(Value::is_object) {
        obj["spec"] = json!({});
    }
    let spec = &mut obj["spec"];
    if spec.get("type").is_none() {
        spec["type"] = json!("ClusterIP");
    }
    let external = spec["type"] == "ExternalName";
    if spec.get("clusterIP").is_none() && !external {
        let ip = old
            .and_then(|o| o["spec"].get("clusterIP").cloned())
            .unwrap_or_else(|| {
                static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(10);
                let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                json!(format!("10.96.{}.{}", (n >> 8) & 0xff, n & 0xff))
            });
        spec["clusterIPs"] = json!([ip.clone()]);
        spec["clusterIP"] = ip;
    }
    if spec.get("sessionAffinity").is_none() {
        spec["sessionAffinity"] = json!("None");
    }
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports.iter_mut().filter(|p| p.is_object()) {
            if p.get("protocol").is_none() {
                p["protocol"] = json!("TCP");
            }
            if p.get("targetPort").is_none() {
                if let Some(port) = p.get("port").cloned() {
                    p["targetPort"] = port;
                }
            }
        }
    }
}

fn validate_custom(
    info: &ResourceInfo,
    obj: &mut Value,
    name: &str,
    opts: &WriteOpts,
) -> Result<(), ApiError> {
    if let Some(schema) = &info.schema {
        let pruned = crate::schema_hook::validate(info, schema, obj, name, opts.field_validation)?;
        if opts.field_validation == FieldValidation::Warn && !pruned.is_empty() {
            if let Ok(mut w) = opts.warnings.lock() {
                w.extend(
                    pruned
                        .iter()
                        .map(|p| crate::validation::unknown_field_warning(p)),
                );
            }
        }
    }
    Ok(())
}

fn record_managed(old: Option<&Value>, new: &mut Value, opts: &WriteOpts, default_manager: &str) {
    if opts.apply {
        return;
    }
    let manager = opts
        .field_manager
        .clone()
        .unwrap_or_else(|| default_manager.to_string());
    crate::patch_hook::record_update(old, new, &manager, opts.subresource.as_deref(), &now());
}

/// Creates an object (POST, or apply/PUT of a missing object).
pub fn create(
    st: &mut State,
    info: &ResourceInfo,
    ns: &str,
    mut obj: Value,
    opts: &WriteOpts,
    agent: &str,
) -> Result<Arc<Value>, ApiError> {
    check_body(info, ns, &mut obj)?;
    normalize_builtin(info, &mut obj);
    canonical_quantities(info, &mut obj);
    default_service(info, None, &mut obj);
    let m = meta_mut(&mut obj);
    let mut name = m
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if name.is_empty() {
        let gen = m
            .get("generateName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if gen.is_empty() {
            return Err(ApiError::invalid(
                info,
                "",
                vec![cause(
                    "FieldValueRequired",
                    "Required value: name or generateName is required",
                    "metadata.name",
                )],
            ));
        }
        name = format!("{gen}{}", random_suffix());
        m.insert("name".into(), json!(name));
    }
    let mut causes = name_causes(info, &name);
    causes.extend(label_causes(&obj));
    if !causes.is_empty() {
        return Err(ApiError::invalid(info, &name, causes));
    }
    if info.namespaced {
        match st.get("/namespaces", "", ns) {
            None => return Err(ApiError::not_found_in("", "namespaces", ns)),
            Some(n) if is_deleting(&n) => {
                let mut e = ApiError::new(
                    403,
                    "Forbidden",
                    format!("{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated", info.qualified()),
                );
                e.details = Some(Box::new(
                    json!({"name": name, "group": info.group, "kind": info.plural,
                    "causes": [{"reason": "NamespaceTerminating", "message": format!("namespace {ns} is being terminated"), "field": "metadata.namespace"}]}),
                ));
                return Err(e);
            }
            _ => {}
        }
    }
    let m = meta_mut(&mut obj);
    m.remove("resourceVersion");
    m.remove("deletionTimestamp");
    m.remove("deletionGracePeriodSeconds");
    m.remove("selfLink");
    m.insert("uid".into(), json!(new_uid()));
    m.insert("creationTimestamp".into(), json!(now()));
    if info.has_generation {
        m.insert("generation".into(), json!(1));
    } else {
        m.remove("generation");
    }
    if !info.custom && info.group.is_empty() && info.plural == "namespaces" {
        // defaulting (SetDefaults_Namespace): the name label
        meta_mut(&mut obj)
            .entry("labels")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .map(|l| l.insert("kubernetes.io/metadata.name".into(), json!(name)));
    }
    if info.status_subresource {
        // status is not written on create (it is reset, then validated and tracked without it)
        if let Some(o) = obj.as_object_mut() {
            o.remove("status");
        }
    }
    if info.custom {
        validate_custom(info, &mut obj, &name, opts)?;
    }
    // like the real server: field tracking sees the decoded, defaulted object, before the
    // strategy's PrepareForCreate resets status and sets server-owned fields
    record_managed(None, &mut obj, opts, agent);
    if info.status_subresource && !info.custom {
        obj["status"] = if info.group.is_empty() && info.plural == "services" {
            json!({"loadBalancer": {}})
        } else {
            json!({})
        };
    }
    if !info.custom && info.group.is_empty() && info.plural == "namespaces" {
        obj["spec"] = json!({"finalizers": ["kubernetes"]});
        obj["status"] = json!({"phase": "Active"});
    }
    if info.group == "apiextensions.k8s.io" && info.plural == "customresourcedefinitions" {
        validate_crd(info, &name, &obj)?;
        crate::schema_hook::validate_crd(info, &obj, &name)?;
        obj["status"] = json!({"conditions": null, "acceptedNames": {"plural": "", "kind": ""},
            "storedVersions": stored_versions(&obj)});
    }
    let key = info.table_key();
    if st
        .get(&key, if info.namespaced { ns } else { "" }, &name)
        .is_some()
    {
        return Err(ApiError::already_exists(info, &name));
    }
    if opts.dry_run {
        return Ok(Arc::new(crate::store::canonical(obj)));
    }
    let stored = st.put(&key, obj);
    after_write(st, info, &stored);
    Ok(stored)
}

fn stored_versions(crd: &Value) -> Value {
    let v: Vec<Value> = crd["spec"]["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["storage"].as_bool() == Some(true))
        .map(|v| v["name"].clone())
        .collect();
    json!(v)
}

fn validate_crd(info: &ResourceInfo, name: &str, crd: &Value) -> Result<(), ApiError> {
    let spec = &crd["spec"];
    let group = spec["group"].as_str().unwrap_or_default();
    let plural = spec["names"]["plural"].as_str().unwrap_or_default();
    let mut causes = Vec::new();
    if group.is_empty() {
        causes.push(cause("FieldValueRequired", "Required value", "spec.group"));
    }
    if plural.is_empty() {
        causes.push(cause(
            "FieldValueRequired",
            "Required value",
            "spec.names.plural",
        ));
    }
    if spec["names"]["kind"]
        .as_str()
        .unwrap_or_default()
        .is_empty()
    {
        causes.push(cause(
            "FieldValueRequired",
            "Required value",
            "spec.names.kind",
        ));
    }
    if !group.is_empty() && !plural.is_empty() && name != format!("{plural}.{group}") {
        causes.push(cause(
            "FieldValueInvalid",
            format!("Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"),
            "metadata.name",
        ));
    }
    if spec["versions"].as_array().is_none_or(|v| v.is_empty()) {
        causes.push(cause(
            "FieldValueInvalid",
            "Invalid value: \"null\": must have exactly one version marked as storage version",
            "spec.versions",
        ));
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(info, name, causes))
    }
}

/// Side effects of a stored write (CRD registration).
fn after_write(st: &mut State, info: &ResourceInfo, obj: &Arc<Value>) {
    if info.group == "apiextensions.k8s.io"
        && info.plural == "customresourcedefinitions"
        && !is_deleting(obj)
    {
        let types = from_crd(obj);
        if let Some(first) = types.first() {
            let (g, p) = (first.group.clone(), first.plural.clone());
            st.reregister(&g, &p, types);
        }
        let names = &obj["spec"]["names"];
        let mut accepted = json!({"plural": names["plural"], "singular": names["singular"]});
        for k in ["shortNames", "kind", "listKind", "categories"] {
            if let Some(v) = names.get(k) {
                accepted[k] = v.clone();
            }
        }
        if names.get("listKind").is_none() {
            accepted["listKind"] = json!(format!(
                "{}List",
                names["kind"].as_str().unwrap_or_default()
            ));
        }
        let ts = now();
        let status = json!({
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "lastTransitionTime": ts, "reason": "NoConflicts", "message": "no conflicts found"},
                {"type": "Established", "status": "True", "lastTransitionTime": ts, "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"}
            ],
            "acceptedNames": accepted,
            "storedVersions": stored_versions(obj),
        });
        let same = obj["status"]["acceptedNames"] == status["acceptedNames"]
            && obj["status"]["storedVersions"] == status["storedVersions"]
            && obj["status"]["conditions"]
                .as_array()
                .is_some_and(|c| c.len() == 2);
        if !same {
            let mut o = (**obj).clone();
            o["status"] = status;
            st.put(&info.table_key(), o);
        }
    }
}

/// Removes an object for good, with its side effects (CRD unregistration).
pub fn remove(st: &mut State, info: &ResourceInfo, ns: &str, name: &str) -> Option<Arc<Value>> {
    if info.group == "apiextensions.k8s.io" && info.plural == "customresourcedefinitions" {
        if let Some(crd) = st.get(&info.table_key(), ns, name) {
            let group = crd["spec"]["group"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let plural = crd["spec"]["names"]["plural"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            st.unregister(&group, &plural);
        }
    }
    st.remove(&info.table_key(), ns, name)
}

fn without(v: &Value, keys: &[&str]) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        for k in keys {
            o.remove(*k);
        }
    }
    v
}

/// Whether a write changes nothing but the resourceVersion. managedFields are compared in
/// full: the patch functions leave them byte-identical on a real no-op and only touch a
/// manager's `time` when its fields change, so a new co-owner (a second manager applying
/// identical values) or a moved `time` is a real change and is stored.
fn same_ignoring_bookkeeping(a: &Value, b: &Value) -> bool {
    let (Some(ma), Some(mb)) = (
        a.get("metadata").and_then(Value::as_object),
        b.get("metadata").and_then(Value::as_object),
    ) else {
        return a == b;
    };
    let (Some(oa), Some(ob)) = (a.as_object(), b.as_object()) else {
        return false;
    };
    oa.len() == ob.len()
        && oa
            .iter()
            .all(|(k, v)| k == "metadata" || ob.get(k) == Some(v))
        && ma.len() - usize::from(ma.contains_key("resourceVersion"))
            == mb.len() - usize::from(mb.contains_key("resourceVersion"))
        && ma
            .iter()
            .all(|(k, v)| k == "resourceVersion" || mb.get(k) == Some(v))
}

/// Replaces an existing object (PUT, and the second half of PATCH).
pub fn update(
    st: &mut State,
    info: &ResourceInfo,
    old: &Arc<Value>,
    mut new: Value,
    opts: &WriteOpts,
    agent: &str,
) -> Result<Arc<Value>, ApiError> {
    let ns = meta_str(old, "namespace").to_string();
    let name = meta_str(old, "name").to_string();
    check_body(info, &ns, &mut new)?;
    normalize_builtin(info, &mut new);
    canonical_quantities(info, &mut new);
    default_service(info, Some(old), &mut new);
    let body_name = meta_str(&new, "name").to_string();
    if !body_name.is_empty() && body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    let rv = meta_str(&new, "resourceVersion");
    if !rv.is_empty() && rv != meta_str(old, "resourceVersion") {
        return Err(ApiError::stale(info, &name));
    }
    let sub = opts.subresource.as_deref();
    if sub == Some("status") {
        let status = new.get("status").cloned();
        let managed = new["metadata"].get("managedFields").cloned();
        new = (**old).clone();
        match status {
            Some(s) => new["status"] = s,
            None => {
                if let Some(o) = new.as_object_mut() {
                    o.remove("status");
                }
            }
        }
        if let Some(mf) = managed {
            meta_mut(&mut new).insert("managedFields".into(), mf);
        }
    } else if info.status_subresource {
        match old.get("status") {
            Some(s) => new["status"] = s.clone(),
            None => {
                if let Some(o) = new.as_object_mut() {
                    o.remove("status");
                }
            }
        }
    }
    {
        let om = old["metadata"].as_object().cloned().unwrap_or_default();
        let m = meta_mut(&mut new);
        m.insert("name".into(), json!(name));
        for k in [
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "resourceVersion",
        ] {
            match om.get(k) {
                Some(v) => m.insert(k.into(), v.clone()),
                None => m.remove(k),
            };
        }
        if m.get("generateName").is_none() {
            if let Some(g) = om.get("generateName") {
                m.insert("generateName".into(), g.clone());
            }
        }
    }
    if info.group.is_empty() && info.plural == "namespaces" && sub.is_none() {
        // spec.finalizers only changes through /finalize
        if let Some(s) = old.get("spec") {
            new["spec"] = s.clone();
        }
        if let Some(s) = old.get("status") {
            new["status"] = s.clone();
        }
    }
    let causes = label_causes(&new);
    if !causes.is_empty() {
        return Err(ApiError::invalid(info, &name, causes));
    }
    if info.custom {
        validate_custom(info, &mut new, &name, opts)?;
    }
    if info.group == "apiextensions.k8s.io"
        && info.plural == "customresourcedefinitions"
        && sub.is_none()
    {
        validate_crd(info, &name, &new)?;
        crate::schema_hook::validate_crd(info, &new, &name)?;
    }
    if is_deleting(old) {
        let before = finalizers(old);
        let added: Vec<String> = finalizers(&new)
            .into_iter()
            .filter(|f| !before.contains(f))
            .collect();
        if !added.is_empty() {
            let list = added
                .iter()
                .map(|f| format!("{f:?}"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ApiError::invalid(
                info,
                &name,
                vec![cause(
                    "FieldValueForbidden",
                    format!("Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{{{list}}}"),
                    "metadata.finalizers",
                )],
            ));
        }
    }
    if info.has_generation {
        let skip: &[&str] = if info.status_subresource {
            &["metadata", "status"]
        } else {
            &["metadata"]
        };
        if without(old, skip) != without(&new, skip) {
            let g = old["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
            meta_mut(&mut new).insert("generation".into(), json!(g));
        }
    }
    record_managed(Some(old), &mut new, opts, agent);
    let new = crate::store::canonical(new);
    if same_ignoring_bookkeeping(old, &new) {
        return Ok(old.clone());
    }
    if opts.dry_run {
        return Ok(Arc::new(new));
    }
    if is_deleting(&new) && finalizers(&new).is_empty() {
        // like the real server: no update is written, the object is deleted (one DELETED event)
        let gone = remove(st, info, &ns, &name);
        let mut last = new;
        if let (Some(g), Some(m)) = (
            gone,
            last.get_mut("metadata").and_then(Value::as_object_mut),
        ) {
            m.insert(
                "resourceVersion".into(),
                g["metadata"]["resourceVersion"].clone(),
            );
        }
        return Ok(Arc::new(last));
    }
    let stored = st.put(&info.table_key(), new);
    after_write(st, info, &stored);
    Ok(stored)
}

/// Deletes an object: removes it, or marks it for deletion while finalizers remain.
pub fn delete(
    st: &mut State,
    info: &ResourceInfo,
    ns: &str,
    name: &str,
    opts: &DeleteOpts,
) -> Result<Deleted, ApiError> {
    let key = info.table_key();
    let Some(old) = st.get(&key, ns, name) else {
        return Err(ApiError::not_found(info, name));
    };
    if let Some(uid) = &opts.uid {
        if uid != meta_str(&old, "uid") {
            return Err(ApiError::conflict(
                info,
                name,
                &format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    meta_str(&old, "uid")
                ),
            ));
        }
    }
    if let Some(rv) = &opts.resource_version {
        if rv != meta_str(&old, "resourceVersion") {
            return Err(ApiError::conflict(
                info,
                name,
                &format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    meta_str(&old, "resourceVersion")
                ),
            ));
        }
    }
    if info.group.is_empty()
        && info.plural == "namespaces"
        && matches!(name, "default" | "kube-system" | "kube-public")
    {
        let mut e = ApiError::new(
            403,
            "Forbidden",
            format!("namespaces \"{name}\" is forbidden: this namespace may not be deleted"),
        );
        e.details = Some(Box::new(json!({"name": name, "kind": "namespaces"})));
        return Err(e);
    }
    if opts.dry_run {
        return Ok(Deleted::Pending(old));
    }
    if opts.propagation == Propagation::Orphan {
        orphan_dependents(st, meta_str(&old, "uid"));
    }
    let mut fins = finalizers(&old);
    if opts.propagation == Propagation::Foreground
        && !fins.iter().any(|f| f == "foregroundDeletion")
    {
        fins.push("foregroundDeletion".into());
    }
    let is_ns = info.group.is_empty() && info.plural == "namespaces";
    // a CRD with objects left waits for them (their finalizers included), like the real server
    let crd_objects = crd_table(&old)
        .filter(|_| is_crd(info))
        .and_then(|t| st.tables.get(&t))
        .is_some_and(|t| !t.objects.is_empty());
    if crd_objects && !fins.iter().any(|f| f == CRD_CLEANUP) {
        fins.push(CRD_CLEANUP.into());
    }
    if fins.is_empty() && !is_ns {
        let gone = remove(st, info, ns, name).unwrap_or(old);
        return Ok(Deleted::Removed(gone));
    }
    let mut o = (*old).clone();
    let already = is_deleting(&o);
    let m = meta_mut(&mut o);
    if !already {
        m.insert("deletionTimestamp".into(), json!(now()));
        m.insert("deletionGracePeriodSeconds".into(), json!(0));
        if let Some(g) = m.get("generation").and_then(Value::as_i64) {
            m.insert("generation".into(), json!(g + 1));
        }
    }
    if !fins.is_empty() {
        m.insert("finalizers".into(), json!(fins));
    }
    if is_ns {
        o["status"]["phase"] = json!("Terminating");
    }
    let stored = if o == *old { old } else { st.put(&key, o) };
    st.gc_needed = true;
    Ok(Deleted::Pending(stored))
}

/// The finalizer the real server puts on a CRD while it deletes the CRD's objects.
pub const CRD_CLEANUP: &str = "customresourcecleanup.apiextensions.k8s.io";

/// Whether a type is CustomResourceDefinition.
pub fn is_crd(info: &ResourceInfo) -> bool {
    info.group == "apiextensions.k8s.io" && info.plural == "customresourcedefinitions"
}

/// The table key (`group/plural`) of the objects a CRD defines.
pub fn crd_table(crd: &Value) -> Option<String> {
    let g = crd["spec"]["group"].as_str()?;
    let p = crd["spec"]["names"]["plural"].as_str()?;
    Some(format!("{g}/{p}"))
}

/// Removes ownerReferences to `uid` from every object.
pub fn orphan_dependents(st: &mut State, uid: &str) {
    let mut todo = Vec::new();
    for (tk, t) in &st.tables {
        for o in t.objects.values() {
            if let Some(refs) = o["metadata"]["ownerReferences"].as_array() {
                if refs.iter().any(|r| r["uid"].as_str() == Some(uid)) {
                    todo.push((tk.clone(), o.clone()));
                }
            }
        }
    }
    for (tk, o) in todo {
        let mut o = (*o).clone();
        let m = meta_mut(&mut o);
        let refs: Vec<Value> = m
            .get("ownerReferences")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter(|r| r["uid"].as_str() != Some(uid))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        if refs.is_empty() {
            m.remove("ownerReferences");
        } else {
            m.insert("ownerReferences".into(), json!(refs));
        }
        st.put(&tk, o);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::builtins;
    use rstest::rstest;

    fn info(plural: &str) -> ResourceInfo {
        builtins().into_iter().find(|r| r.plural == plural).unwrap()
    }

    #[rstest]
    #[case("configmaps", "ok-name.x", 0)]
    #[case("configmaps", "Bad", 1)]
    #[case("namespaces", "a.b", 1)]
    #[case("namespaces", &"a".repeat(64), 1)]
    #[case("configmaps", &"a".repeat(254), 1)]
    #[case("roles", "system:admin", 0)]
    fn names(#[case] plural: &str, #[case] name: &str, #[case] n: usize) {
        assert_eq!(name_causes(&info(plural), name).len(), n);
    }

    #[rstest]
    #[case(json!({"app": "web"}), 0)]
    #[case(json!({"example.com/app": "web-1.x_y"}), 0)]
    #[case(json!({"app": ""}), 0)]
    #[case(json!({"app": "bad value"}), 1)]
    #[case(json!({"-app": "v"}), 1)]
    #[case(json!({"a".repeat(64): "v"}), 1)]
    #[case(json!({"app": "v".repeat(64)}), 1)]
    #[case(json!({"Bad_Prefix/app": "v"}), 1)]
    fn label_validation(#[case] labels: Value, #[case] n: usize) {
        assert_eq!(
            label_causes(&json!({"metadata": {"labels": labels}})).len(),
            n
        );
    }

    #[rstest]
    #[case(json!({"metadata": {"labels": {"a": 1}}}), false)]
    #[case(json!({"metadata": {"name": 5}}), false)]
    #[case(json!({"metadata": "x"}), false)]
    #[case(json!({"metadata": {"finalizers": "x"}}), false)]
    #[case(json!({"metadata": {"name": "ok", "labels": {"a": "b"}, "finalizers": ["f"]}}), true)]
    fn meta_types(#[case] obj: Value, #[case] ok: bool) {
        assert_eq!(check_meta_types(&info("configmaps"), &obj).is_ok(), ok);
    }

    #[rstest]
    #[case(json!({"metadata": {"resourceVersion": "2", "managedFields": [{"manager": "m", "time": "t1"}]}}), true)]
    #[case(json!({"metadata": {"managedFields": [{"manager": "m", "time": "t1"}]}}), true)]
    #[case(json!({"metadata": {"resourceVersion": "1", "managedFields": [{"manager": "m", "time": "t2"}]}}), false)]
    #[case(json!({"metadata": {"resourceVersion": "1", "managedFields": [{"manager": "m", "time": "t1"}, {"manager": "b", "operation": "Apply"}]}}), false)]
    #[case(json!({"metadata": {"resourceVersion": "1", "managedFields": [{"manager": "m", "time": "t1"}], "labels": {}}}), false)]
    #[case(json!({"metadata": {"resourceVersion": "1", "managedFields": [{"manager": "other", "time": "t1"}]}}), false)]
    #[case(json!({"metadata": {"resourceVersion": "1", "managedFields": [{"manager": "m", "time": "t1"}]}, "x": 1}), false)]
    fn noop_detection(#[case] new: Value, #[case] same: bool) {
        let old = json!({"metadata": {"resourceVersion": "1", "managedFields": [{"manager": "m", "time": "t1"}]}});
        assert_eq!(same_ignoring_bookkeeping(&old, &new), same);
    }

    #[test]
    fn service_defaults() {
        let svc = info("services");
        let mut s = json!({"spec": {"ports": [{"port": 80}]}});
        default_service(&svc, None, &mut s);
        assert_eq!(s["spec"]["type"], "ClusterIP");
        assert_eq!(
            s["spec"]["ports"][0],
            json!({"port": 80, "protocol": "TCP", "targetPort": 80})
        );
        let ip = s["spec"]["clusterIP"].clone();
        assert!(ip.as_str().unwrap().starts_with("10.96."));
        let mut upd = json!({"spec": {"ports": [{"port": 81}]}});
        default_service(&svc, Some(&s), &mut upd);
        assert_eq!(upd["spec"]["clusterIP"], ip, "kept across updates");
    }

    #[test]
    fn secret_string_data() {
        let mut s = json!({"stringData": {"a": "hi"}, "data": {"b": "eA=="}});
        normalize_builtin(&info("secrets"), &mut s);
        assert_eq!(
            s,
            json!({"data": {"b": "eA==", "a": "aGk="}, "type": "Opaque"})
        );
        let mut c = json!({"stringData": {"a": "hi"}});
        normalize_builtin(&info("configmaps"), &mut c);
        assert!(c.get("stringData").is_some());
    }

    #[test]
    fn uid_shape() {
        let u = new_uid();
        assert_eq!(u.len(), 36);
        assert_eq!(
            u.split('-').map(str::len).collect::<Vec<_>>(),
            vec![8, 4, 4, 4, 12]
        );
    }
}
