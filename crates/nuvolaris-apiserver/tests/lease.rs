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

//! Leader election with kube-lease-manager (what the operator uses) against the embedded
//! server: one holder at a time, the other takes over after a release or after expiry.

mod common;

use kube_lease_manager::{LeaseManager, LeaseManagerBuilder};
use std::time::Duration;

async fn manager(client: kube::Client, ns: &str, id: &str) -> LeaseManager {
    LeaseManagerBuilder::new(client, "leader")
        .with_namespace(ns)
        .with_identity(id)
        .with_duration(2)
        .with_grace(1)
        .build()
        .await
        .expect("lease manager")
}

#[tokio::test]
async fn one_leader_then_takeover() {
    let t = common::target().await;
    let ns = t.namespace("lease").await;
    let a = manager(t.client.clone(), &ns, "a").await;
    let b = manager(t.client.clone(), &ns, "b").await;
    let got = tokio::time::timeout(Duration::from_secs(10), a.changed())
        .await
        .expect("a decides")
        .unwrap();
    assert!(got, "a becomes leader");
    // b does not get the lease while a holds and renews it
    let b_try = tokio::time::timeout(Duration::from_millis(1500), b.changed()).await;
    assert!(
        b_try.is_err(),
        "b must not become leader while a holds the lease: {b_try:?}"
    );
    a.release().await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), b.changed())
        .await
        .expect("b decides")
        .unwrap();
    assert!(got, "b takes over after the release");
    // b stops renewing (dropped): a takes over after expiry
    drop(b);
    let got = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if a.changed().await.unwrap() {
                return true;
            }
        }
    })
    .await
    .expect("a takes over after expiry");
    assert!(got);
}
