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

//! Watch streams: the initial events (`sendInitialEvents`), live events through the
//! request's label and field selectors, bookmarks, `410 Expired`, and the fault switchboard's
//! cuts.

use super::handlers::Ctx;
use super::response::{error_response, to_metadata};
use crate::events;
use crate::request::{metadata_only, truthy};
use crate::resources::ResourceInfo;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::status::ApiError;
use crate::store::{meta_str, Event, EventType, WatchStart};
use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use futures::StreamExt;
use http::header;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

struct Filter {
    ns: String,
    ls: LabelSelector,
    fs: FieldSelector,
}

impl Filter {
    fn matches(&self, o: &Value) -> bool {
        (self.ns.is_empty() || meta_str(o, "namespace") == self.ns)
            && self.ls.matches(o)
            && self.fs.matches(o)
    }

    /// What a watcher with this filter sees of an event.
    fn translate<'a>(&self, ev: &'a Event) -> Option<(&'static str, &'a Value)> {
        let now = self.matches(&ev.obj);
        let before = ev.prev.as_ref().is_some_and(|p| self.matches(p));
        match ev.kind {
            EventType::Added => now.then_some(("ADDED", &*ev.obj)),
            EventType::Deleted => (now || before).then_some(("DELETED", &*ev.obj)),
            EventType::Modified => match (before, now) {
                (true, true) => Some(("MODIFIED", &*ev.obj)),
                (false, true) => Some(("ADDED", &*ev.obj)),
                (true, false) => Some(("DELETED", &*ev.obj)),
                (false, false) => None,
            },
        }
    }
}

fn event_line(
    kind: &str,
    obj: &Value,
    meta_only: bool,
    av: &str,
    table: Option<&ResourceInfo>,
) -> Bytes {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\",\"object\":");
    let r = if let Some(info) = table {
        let rv = meta_str(obj, "resourceVersion").to_string();
        let t = crate::table::table(info, &[Arc::new(obj.clone())], &rv, "Metadata", None);
        serde_json::to_writer(&mut out, &t)
    } else if meta_only {
        serde_json::to_writer(&mut out, &to_metadata(obj))
    } else if av == events::EVENTS_V1 {
        // the events.k8s.io view of the core Events' storage
        serde_json::to_writer(&mut out, &events::to_view(obj))
    } else if obj["apiVersion"].as_str().is_none_or(|a| a == av) {
        serde_json::to_writer(&mut out, obj)
    } else {
        let mut o = obj.clone();
        o["apiVersion"] = json!(av);
        serde_json::to_writer(&mut out, &o)
    };
    if r.is_err() {
        out.clear();
    }
    out.extend_from_slice(b"}\n");
    Bytes::from(out)
}

fn expired_line(rv: u64, compacted: u64) -> Bytes {
    let v = crate::faults::expired_watch_event(rv, compacted);
    let mut b = serde_json::to_vec(&v).unwrap_or_default();
    b.push(b'\n');
    Bytes::from(b)
}

fn bookmark(info: &ResourceInfo, rv: u64, initial_end: bool, meta_only: bool) -> Bytes {
    let mut meta = json!({"resourceVersion": rv.to_string(), "creationTimestamp": null});
    if initial_end {
        meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    let (kind, av) = if meta_only {
        (
            "PartialObjectMetadata".to_string(),
            "meta.k8s.io/v1".to_string(),
        )
    } else {
        (info.kind.clone(), info.api_version())
    };
    let v =
        json!({"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": av, "metadata": meta}});
    let mut b = serde_json::to_vec(&v).unwrap_or_default();
    b.push(b'\n');
    Bytes::from(b)
}

/// Serves a watch request.
pub(super) fn watch(ctx: Ctx) -> Response {
    let (ls, fs) = match ctx.selectors() {
        Ok(x) => x,
        Err(e) => return error_response(&e),
    };
    let filter = Filter {
        ns: ctx.ns().to_string(),
        ls,
        fs,
    };
    let q = &ctx.q;
    let send_initial = truthy(q, "sendInitialEvents");
    let bookmarks = truthy(q, "allowWatchBookmarks");
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|t| *t > 0)
        .unwrap_or(1800);
    let rv_param = q.get("resourceVersion").cloned().unwrap_or_default();
    let start = if send_initial || rv_param.is_empty() || rv_param == "0" {
        WatchStart::Current
    } else {
        match rv_param.parse::<u64>() {
            Ok(n) => WatchStart::After(n),
            Err(_) => {
                return error_response(&ApiError::bad_request(format!(
                    "invalid resource version: {rv_param}"
                )))
            }
        }
    };
    let from = if let WatchStart::After(n) = start {
        n
    } else {
        0
    };
    let init = if ctx.app.faults.take_forced_gone() {
        let rv = ctx.app.store.lock().rv;
        Err(rv)
    } else {
        ctx.app.store.lock().watch(&ctx.info.table_key(), start)
    };
    let cut_at = ctx.app.faults.watch_deadline();
    let meta_only = metadata_only(&ctx.headers);
    let table_info = ctx.wants_table().then(|| ctx.info.clone());
    let av = ctx.api_info().api_version();
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let body_stream =
        tokio_stream::wrappers::ReceiverStream::new(rx).map(Ok::<_, std::convert::Infallible>);
    let response = Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(body_stream))
        .unwrap_or_default();
    let init = match init {
        Ok(i) => i,
        Err(compacted) => {
            tokio::spawn(async move {
                let _ = tx.send(expired_line(from, compacted)).await;
            });
            return response;
        }
    };
    let info = ctx.api_info().clone();
    let interval = ctx.app.bookmark_interval;
    let store = ctx.app.store.clone();
    tokio::spawn(async move {
        let mut last_rv = init.start_rv;
        for ev in &init.initial {
            if let Some((k, o)) = filter.translate(ev) {
                if tx
                    .send(event_line(k, o, meta_only, &av, table_info.as_deref()))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
        if send_initial
            && tx
                .send(bookmark(&info, last_rv, true, meta_only))
                .await
                .is_err()
        {
            return;
        }
        let mut rx = init.rx;
        let mut deadline_at = tokio::time::Instant::now() + Duration::from_secs(timeout);
        if let Some(cut) = cut_at {
            deadline_at = deadline_at.min(tokio::time::Instant::from_std(cut));
        }
        let deadline = tokio::time::sleep_until(deadline_at);
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval(interval);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = tx.closed() => return,
                _ = tick.tick(), if bookmarks => {
                    let rv = store.lock().rv.max(last_rv);
                    if tx.send(bookmark(&info, rv, false, meta_only)).await.is_err() { return; }
                }
                ev = rx.recv() => match ev {
                    Ok(ev) => {
                        if ev.rv <= last_rv { continue; }
                        last_rv = ev.rv;
                        if let Some((k, o)) = filter.translate(&ev) {
                            if tx.send(event_line(k, o, meta_only, &av, table_info.as_deref())).await.is_err() { return; }
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        }
    });
    response
}
