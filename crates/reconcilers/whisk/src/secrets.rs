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

//! Credentials of a Whisk: taken from the spec when set, otherwise generated once with a CSPRNG and
//! kept in a Secret owned by the Whisk, so later reconciles reuse them. Values are never logged
//! (the `Debug` impl redacts them).

use nuvolaris_api::whisk::WhiskSpec;
use rand::distr::{Alphanumeric, SampleString};
use std::collections::BTreeMap;

/// Default CouchDB admin user (upstream default).
pub const DEFAULT_ADMIN_USER: &str = "whisk_admin";
/// Default CouchDB controller user (upstream default).
pub const DEFAULT_CONTROLLER_USER: &str = "controller_admin";
/// Default CouchDB invoker user (upstream default).
pub const DEFAULT_INVOKER_USER: &str = "invoker_admin";

/// Keys of the generated-secrets Secret.
pub mod keys {
    /// CouchDB admin password.
    pub const ADMIN_PASSWORD: &str = "couchdb_admin_password";
    /// CouchDB controller password.
    pub const CONTROLLER_PASSWORD: &str = "couchdb_controller_password";
    /// CouchDB invoker password.
    pub const INVOKER_PASSWORD: &str = "couchdb_invoker_password";
    /// Auth `uuid:key` of the whisk-system namespace.
    pub const AUTH_WHISK_SYSTEM: &str = "auth_whisk_system";
    /// Auth `uuid:key` of the nuvolaris namespace.
    pub const AUTH_NUVOLARIS: &str = "auth_nuvolaris";
    /// Password of the nuvolaris user.
    pub const NUVOLARIS_PASSWORD: &str = "nuvolaris_password";
}

/// Name of the Secret keeping the generated credentials of Whisk `name`.
pub fn generated_secret_name(whisk_name: &str) -> String {
    format!("{whisk_name}-whisk-generated")
}

/// The effective credentials of a Whisk.
#[derive(Clone, PartialEq, Eq)]
pub struct WhiskSecrets {
    /// CouchDB admin user.
    pub admin_user: String,
    /// CouchDB admin password.
    pub admin_password: String,
    /// CouchDB user of the controller.
    pub controller_user: String,
    /// Its password.
    pub controller_password: String,
    /// CouchDB user of the invoker.
    pub invoker_user: String,
    /// Its password.
    pub invoker_password: String,
    /// Auth `uuid:key` of the `whisk-system` namespace.
    pub auth_whisk_system: String,
    /// Auth `uuid:key` of the `nuvolaris` namespace.
    pub auth_nuvolaris: String,
    /// Password of the `nuvolaris` user.
    pub nuvolaris_password: String,
}

impl std::fmt::Debug for WhiskSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhiskSecrets")
            .field("admin_user", &self.admin_user)
            .field("controller_user", &self.controller_user)
            .field("invoker_user", &self.invoker_user)
            .finish_non_exhaustive()
    }
}

/// How credentials missing from the spec and from the stored Secret are made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Generate {
    /// Fresh values from the thread CSPRNG (ChaCha, OS-seeded): what the reconciler stores.
    Random,
    /// Values derived from a seed (SHA-256 of seed, Whisk namespace/name and key into a
    /// ChaCha12 generator): `render --seed` prints the same bytes on every run.
    Seeded {
        /// The seed given on the command line.
        seed: String,
        /// `namespace/name` of the Whisk, so two Whisks get different values from one seed.
        whisk: String,
    },
    /// Visible placeholders `<generated:KEY>` (auths `<generated:KEY-uuid>:<generated:KEY>`):
    /// the offline render without a seed.
    Placeholder,
}

fn password_from(rng: &mut impl rand::Rng) -> String {
    Alphanumeric.sample_string(rng, 32)
}

fn auth_from(rng: &mut impl rand::Rng) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    let key = Alphanumeric.sample_string(rng, 64);
    format!(
        "{}-{}-{}-{}-{}:{key}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A random password: 32 alphanumeric characters from the thread CSPRNG (ChaCha, OS-seeded).
pub fn random_password() -> String {
    password_from(&mut rand::rng())
}

/// A random OpenWhisk auth: a version-4 UUID, `:`, and a 64-character alphanumeric key.
pub fn random_auth() -> String {
    auth_from(&mut rand::rng())
}

/// What a generated value is: a password or an auth `uuid:key`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Password,
    Auth,
}

impl Generate {
    fn value(&self, key: &str, shape: Shape) -> String {
        match self {
            Generate::Random => match shape {
                Shape::Password => random_password(),
                Shape::Auth => random_auth(),
            },
            Generate::Seeded { seed, whisk } => {
                use rand::SeedableRng;
                use sha2::Digest;
                let mut h = sha2::Sha256::new();
                for part in [seed.as_str(), whisk.as_str(), key] {
                    h.update((part.len() as u64).to_be_bytes());
                    h.update(part.as_bytes());
                }
                let mut rng = rand::rngs::StdRng::from_seed(h.finalize().into());
                match shape {
                    Shape::Password => password_from(&mut rng),
                    Shape::Auth => auth_from(&mut rng),
                }
            }
            Generate::Placeholder => match shape {
                Shape::Password => format!("<generated:{key}>"),
                Shape::Auth => format!("<generated:{key}-uuid>:<generated:{key}>"),
            },
        }
    }
}

/// Resolves the credentials: the spec wins, then what `stored` holds, then a fresh random value.
/// Returns the credentials and the map to store (equal to `stored` when nothing was generated).
pub fn resolve(
    spec: &WhiskSpec,
    stored: &BTreeMap<String, String>,
) -> (WhiskSecrets, BTreeMap<String, String>) {
    resolve_with(spec, stored, &Generate::Random)
}

/// [`resolve`] with the given way of making missing values.
pub fn resolve_with(
    spec: &WhiskSpec,
    stored: &BTreeMap<String, String>,
    generate: &Generate,
) -> (WhiskSecrets, BTreeMap<String, String>) {
    let mut store = stored.clone();
    let mut pick = |from_spec: Option<String>, key: &str, shape: Shape| -> String {
        match from_spec.filter(|s| !s.is_empty()) {
            Some(v) => v,
            None => store
                .entry(key.to_string())
                .or_insert_with(|| generate.value(key, shape))
                .clone(),
        }
    };
    let random_password = Shape::Password;
    let random_auth = Shape::Auth;
    let c = spec.couchdb.clone().unwrap_or_default();
    let user = |cr: &Option<nuvolaris_api::whisk::Credentials>, d: &str| {
        cr.as_ref()
            .and_then(|c| c.user.clone())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| d.to_string())
    };
    let pw = |cr: &Option<nuvolaris_api::whisk::Credentials>| {
        cr.as_ref().and_then(|c| c.password.clone())
    };
    let ns = spec.openwhisk.clone().unwrap_or_default().namespaces;
    let secrets = WhiskSecrets {
        admin_user: user(&c.admin, DEFAULT_ADMIN_USER),
        admin_password: pick(pw(&c.admin), keys::ADMIN_PASSWORD, random_password),
        controller_user: user(&c.controller, DEFAULT_CONTROLLER_USER),
        controller_password: pick(
            pw(&c.controller),
            keys::CONTROLLER_PASSWORD,
            random_password,
        ),
        invoker_user: user(&c.invoker, DEFAULT_INVOKER_USER),
        invoker_password: pick(pw(&c.invoker), keys::INVOKER_PASSWORD, random_password),
        auth_whisk_system: pick(
            ns.whisk_system.clone(),
            keys::AUTH_WHISK_SYSTEM,
            random_auth,
        ),
        auth_nuvolaris: pick(ns.nuvolaris.clone(), keys::AUTH_NUVOLARIS, random_auth),
        nuvolaris_password: pick(
            spec.nuvolaris.as_ref().and_then(|n| n.password.clone()),
            keys::NUVOLARIS_PASSWORD,
            random_password,
        ),
    };
    (secrets, store)
}

/// Splits an auth `uuid:key`; `None` when there is no `:`.
pub fn split_auth(auth: &str) -> Option<(&str, &str)> {
    auth.split_once(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(v: serde_json::Value) -> WhiskSpec {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn spec_values_win_and_nothing_is_stored() {
        let s = spec(serde_json::json!({
            "components": {"openwhisk": true, "couchdb": true},
            "nuvolaris": {"password": "np"},
            "openwhisk": {"namespaces": {"whisk-system": "a:b", "nuvolaris": "c:d"}},
            "couchdb": {"admin": {"user": "adm", "password": "ap"},
                        "controller": {"user": "ctl", "password": "cp"},
                        "invoker": {"user": "inv", "password": "ip"}}
        }));
        let (sec, store) = resolve(&s, &BTreeMap::new());
        assert!(store.is_empty());
        assert_eq!(
            (
                sec.admin_user.as_str(),
                sec.admin_password.as_str(),
                sec.controller_user.as_str()
            ),
            ("adm", "ap", "ctl")
        );
        assert_eq!(sec.auth_whisk_system, "a:b");
        assert_eq!(sec.nuvolaris_password, "np");
    }

    #[test]
    fn missing_values_are_generated_once_and_kept() {
        let s = spec(serde_json::json!({"components": {"openwhisk": true, "couchdb": true}}));
        let (first, store) = resolve(&s, &BTreeMap::new());
        assert_eq!(store.len(), 6);
        assert_eq!(first.admin_user, DEFAULT_ADMIN_USER);
        assert_eq!(first.admin_password.len(), 32);
        assert_ne!(first.admin_password, first.controller_password);
        let (second, store2) = resolve(&s, &store);
        assert_eq!(first, second);
        assert_eq!(store, store2);
        let (uuid, key) = split_auth(&first.auth_whisk_system).unwrap();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert_eq!(key.len(), 64);
    }

    #[test]
    fn debug_never_shows_secret_values() {
        let s = spec(
            serde_json::json!({"components": {"openwhisk": true, "couchdb": true},
            "couchdb": {"admin": {"user": "adm", "password": "TOPSECRET"}}}),
        );
        let (sec, _) = resolve(&s, &BTreeMap::new());
        let dbg = format!("{sec:?}");
        assert!(!dbg.contains("TOPSECRET"));
        assert!(!dbg.contains(&sec.controller_password));
        assert!(dbg.contains("adm"));
    }
}
