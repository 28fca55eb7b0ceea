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

//! Operator-wide settings and cluster facts the render depends on.

/// Default controller image (the upstream Dockerfile's `CONTROLLER_IMAGE:CONTROLLER_TAG`).
pub const DEFAULT_CONTROLLER_IMAGE: &str =
    "ghcr.io/nuvolaris/openwhisk-controller:3.1.0-mastrogpt.2402101445";
/// Default CouchDB image.
pub const DEFAULT_COUCHDB_IMAGE: &str = "apache/couchdb:2.3";
/// CouchDB image used on OpenShift (upstream).
pub const OPENSHIFT_COUCHDB_IMAGE: &str = "ghcr.io/nuvolaris/couchdb:2.3.1-nuvolaris.23101915";
/// Default operator image (runs the `couchdb-init` job).
pub const DEFAULT_OPERATOR_IMAGE: &str = "ghcr.io/nuvolaris/nuvolaris-operator-rs:latest";

/// Images and defaults configured on the operator (flags / environment), not in the CR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorConfig {
    /// Image of the operator itself, used by the `couchdb-init` Job.
    pub operator_image: String,
    /// Controller image used when the Whisk does not set `spec.controller.image`.
    pub controller_image: String,
    /// CouchDB image.
    pub couchdb_image: String,
}

impl Default for OperatorConfig {
    fn default() -> Self {
        Self {
            operator_image: DEFAULT_OPERATOR_IMAGE.into(),
            controller_image: DEFAULT_CONTROLLER_IMAGE.into(),
            couchdb_image: DEFAULT_COUCHDB_IMAGE.into(),
        }
    }
}

impl OperatorConfig {
    /// Reads `OPERATOR_IMAGE[:OPERATOR_TAG]`, `CONTROLLER_IMAGE[:CONTROLLER_TAG]` and `COUCHDB_IMAGE`
    /// from the environment (upstream names), falling back to the defaults.
    pub fn from_env() -> Self {
        let join = |img: &str, tag: &str, default: &str| -> String {
            match (std::env::var(img).ok(), std::env::var(tag).ok()) {
                (Some(i), Some(t)) if !i.is_empty() && !t.is_empty() => format!("{i}:{t}"),
                (Some(i), _) if !i.is_empty() => i,
                _ => default.to_string(),
            }
        };
        Self {
            operator_image: join("OPERATOR_IMAGE", "OPERATOR_TAG", DEFAULT_OPERATOR_IMAGE),
            controller_image: join(
                "CONTROLLER_IMAGE",
                "CONTROLLER_TAG",
                DEFAULT_CONTROLLER_IMAGE,
            ),
            couchdb_image: std::env::var("COUCHDB_IMAGE")
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| DEFAULT_COUCHDB_IMAGE.into()),
        }
    }
}

/// What the reconciler learned from the cluster (offline render uses [`ClusterFacts::default`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterFacts {
    /// Kubernetes flavour detected from node labels (`nuvolaris.io/kube`) or provider ids.
    pub kube: Option<String>,
    /// First load-balancer ingress of the ingress controller Service: a host name or an IP.
    pub ingress_lb: Option<LbAddress>,
}

/// A load-balancer ingress entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LbAddress {
    /// `status.loadBalancer.ingress[0].hostname`.
    Hostname(String),
    /// `status.loadBalancer.ingress[0].ip`.
    Ip(String),
}

/// Splits `repo[:tag]` or `repo@digest` into (name, tag, digest); a `:` inside the registry host is not a tag.
pub fn split_image(image: &str) -> (String, Option<String>, Option<String>) {
    if let Some((name, digest)) = image.split_once('@') {
        return (name.to_string(), None, Some(digest.to_string()));
    }
    match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name.to_string(), Some(tag.to_string()), None),
        _ => (image.to_string(), None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("apache/couchdb:2.3", "apache/couchdb", Some("2.3"), None)]
    #[case(
        "registry:5000/ow/controller",
        "registry:5000/ow/controller",
        None,
        None
    )]
    #[case(
        "registry:5000/ow/controller:1.2",
        "registry:5000/ow/controller",
        Some("1.2"),
        None
    )]
    #[case("x/y@sha256:abc", "x/y", None, Some("sha256:abc"))]
    fn splits_images(
        #[case] image: &str,
        #[case] name: &str,
        #[case] tag: Option<&str>,
        #[case] digest: Option<&str>,
    ) {
        let (n, t, d) = split_image(image);
        assert_eq!(n, name);
        assert_eq!(t.as_deref(), tag);
        assert_eq!(d.as_deref(), digest);
    }
}
