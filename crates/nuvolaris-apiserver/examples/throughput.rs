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

//! Throughput of the embedded API server with the real kube client, in one process:
//! `cargo run --release -p nuvolaris-apiserver --example throughput -- [N] [CONCURRENCY]`.
//! Prints requests per second for create, get, merge patch, server-side apply, list and
//! delete of N ConfigMaps, and checks that a concurrent watch saw every event.

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::watcher;
use nuvolaris_apiserver::{ApiServer, ServerConfig};
use serde_json::json;
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let conc: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
    let server = ApiServer::start(ServerConfig {
        watch_history: n * 4,
        ..Default::default()
    })
    .await?;
    let kc = Kubeconfig::from_yaml(&server.kubeconfig_yaml("default"))?;
    let client = kube::Client::try_from(
        kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?,
    )?;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let watch_api = api.clone();
    let watch = tokio::spawn(async move {
        let mut s = watcher(watch_api, watcher::Config::default()).boxed();
        let mut events = 0usize;
        while let Ok(Some(ev)) = s.try_next().await {
            if matches!(ev, watcher::Event::Apply(_) | watcher::Event::Delete(_)) {
                events += 1;
                if events == n * 4 {
                    break;
                }
            }
        }
        events
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let names: Vec<String> = (0..n).map(|i| format!("cm-{i:06}")).collect();
    let phase = |label: &str, start: Instant| {
        let s = start.elapsed().as_secs_f64();
        println!(
            "{label:<8} {n} requests in {s:.3} s = {:.0} req/s",
            n as f64 / s
        );
    };
    let t = Instant::now();
    futures::stream::iter(names.iter().cloned())
        .map(|name| {
            let api = api.clone();
            async move {
                let cm: ConfigMap =
                    serde_json::from_value(json!({"metadata": {"name": name}, "data": {"k": "v"}}))
                        .unwrap();
                api.create(&PostParams::default(), &cm).await.map(|_| ())
            }
        })
        .buffer_unordered(conc)
        .try_collect::<Vec<_>>()
        .await?;
    phase("create", t);
    let t = Instant::now();
    futures::stream::iter(names.iter().cloned())
        .map(|name| {
            let api = api.clone();
            async move { api.get(&name).await.map(|_| ()) }
        })
        .buffer_unordered(conc)
        .try_collect::<Vec<_>>()
        .await?;
    phase("get", t);
    let t = Instant::now();
    futures::stream::iter(names.iter().cloned())
        .map(|name| {
            let api = api.clone();
            async move {
                api.patch(
                    &name,
                    &PatchParams::default(),
                    &Patch::Merge(json!({"data": {"k": "w"}})),
                )
                .await
                .map(|_| ())
            }
        })
        .buffer_unordered(conc)
        .try_collect::<Vec<_>>()
        .await?;
    phase("merge", t);
    let t = Instant::now();
    futures::stream::iter(names.iter().cloned())
        .map(|name| {
            let api = api.clone();
            async move {
                let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": "w", "x": "y"}});
                api.patch(&name, &PatchParams::apply("bench").force(), &Patch::Apply(body)).await.map(|_| ())
            }
        })
        .buffer_unordered(conc)
        .try_collect::<Vec<_>>()
        .await?;
    phase("apply", t);
    let t = Instant::now();
    let list = api.list(&ListParams::default()).await?;
    println!(
        "list     {} items in {:.3} s",
        list.items.len(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    futures::stream::iter(names.iter().cloned())
        .map(|name| {
            let api = api.clone();
            async move {
                api.delete(&name, &DeleteParams::default())
                    .await
                    .map(|_| ())
            }
        })
        .buffer_unordered(conc)
        .try_collect::<Vec<_>>()
        .await?;
    phase("delete", t);
    let events = tokio::time::timeout(std::time::Duration::from_secs(30), watch).await??;
    println!("watch    {events} of {} events seen", n * 4);
    server.shutdown().await;
    if events != n * 4 {
        return Err(format!("watch saw {events} events, expected {}", n * 4).into());
    }
    Ok(())
}
