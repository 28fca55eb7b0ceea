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

//! The ingress controller's LoadBalancer Service is watched, not polled: a Whisk waiting for the
//! load balancer's address reports `WaitingForLoadBalancer` without requeueing, and the address
//! arriving (or changing) wakes every Whisk through the runtime's [`Wakeup`].
//!
//! One watch per distinct Service (`metadata.name` field selector in its namespace), started the
//! first time a Whisk needs it and kept for the life of the process.

use futures::StreamExt;
use k8s_openapi::api::core::v1::Service;
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, Client};
use nuvolaris_runtime::Wakeup;
use std::collections::BTreeSet;
use std::sync::Mutex;

/// The watches on load-balancer Services.
#[derive(Debug, Default)]
pub struct LbWatch {
    wakeup: Wakeup,
    watching: Mutex<BTreeSet<(String, String)>>,
}

/// The first load-balancer ingress of a Service, as text (`None` while it has none).
pub fn lb_address(svc: &Service) -> Option<String> {
    let i = svc
        .status
        .as_ref()?
        .load_balancer
        .as_ref()?
        .ingress
        .as_ref()?
        .first()?
        .clone();
    i.hostname
        .filter(|h| !h.is_empty())
        .or(i.ip.filter(|ip| !ip.is_empty()))
}

impl LbWatch {
    /// The signal the controller listens to.
    pub fn wakeup(&self) -> Wakeup {
        self.wakeup.clone()
    }

    /// Starts watching Service `namespace/name` unless already watched.
    pub fn ensure(&self, client: &Client, namespace: &str, name: &str) {
        let key = (namespace.to_string(), name.to_string());
        match self.watching.lock() {
            Ok(mut w) if !w.contains(&key) => {
                w.insert(key);
            }
            _ => return,
        }
        let api: Api<Service> = Api::namespaced(client.clone(), namespace);
        let wc = watcher::Config::default().fields(&format!("metadata.name={name}"));
        let wakeup = self.wakeup.clone();
        let what = format!("{namespace}/{name}");
        tokio::spawn(async move {
            let mut last: Option<String> = None;
            let mut events = watcher(api, wc).default_backoff().applied_objects().boxed();
            while let Some(ev) = events.next().await {
                match ev {
                    Ok(svc) => {
                        let addr = lb_address(&svc);
                        if addr.is_some() && addr != last {
                            tracing::info!(service = %what, address = ?addr, "load balancer address: waking the Whisks");
                            wakeup.wake_all();
                        }
                        last = addr;
                    }
                    Err(e) => {
                        tracing::debug!(service = %what, error = %e, "load balancer watch")
                    }
                }
            }
        });
    }
}
