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

//! Waking a controller's resources from outside its own watches.
//!
//! A reconciler that depends on an object it does not own (the Whisk on the ingress controller's
//! LoadBalancer Service) watches it itself and calls [`Wakeup::wake_all`] when it changes; the
//! controller reconciles every resource of the reconciler then (kube-runtime's
//! `reconcile_all_on`). This replaces polling for such objects.

use futures::Stream;
use std::sync::Arc;
use tokio::sync::watch;

/// A wake-up signal shared by a reconciler and its controller.
#[derive(Clone, Debug)]
pub struct Wakeup {
    tx: Arc<watch::Sender<u64>>,
}

impl Default for Wakeup {
    fn default() -> Self {
        let (tx, _) = watch::channel(0);
        Self { tx: Arc::new(tx) }
    }
}

impl Wakeup {
    /// Asks for a reconcile of every resource of the controller.
    pub fn wake_all(&self) {
        self.tx.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// One item per [`Wakeup::wake_all`] (wake-ups in quick succession may merge).
    pub fn stream(&self) -> impl Stream<Item = ()> + Send + 'static {
        let rx = self.tx.subscribe();
        futures::stream::unfold(rx, |mut rx| async move {
            rx.changed().await.ok()?;
            Some(((), rx))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    #[tokio::test]
    async fn a_wake_up_reaches_the_stream() {
        let w = Wakeup::default();
        let mut s = Box::pin(w.stream());
        w.wake_all();
        assert_eq!(
            tokio::time::timeout(std::time::Duration::from_secs(5), s.next())
                .await
                .unwrap(),
            Some(())
        );
    }
}
