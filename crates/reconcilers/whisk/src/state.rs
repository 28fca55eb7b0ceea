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

//! Where one component stands: what readiness checks return and the status is made of.

/// Where one component stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Switched off in the spec.
    Disabled,
    /// Applied and ready.
    Ready,
    /// Making progress that is polled (reason, message): requeued with backoff.
    Progressing(&'static str, String),
    /// Waiting for something a watch reports (a load balancer address) or that only a change
    /// can fix (a failed dependency): not requeued (reason, message).
    Waiting(&'static str, String),
    /// Failed (reason, message).
    Failed(&'static str, String),
}
