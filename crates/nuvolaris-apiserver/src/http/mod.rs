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

//! HTTP front end: routes every request by path, like the real API server's handler chain.
//!
//! - [`router`]: the single entry point ([`handle`]): authentication and authorization,
//!   discovery and OpenAPI, then the resource handlers;
//! - [`crate::request`]: what a request addresses and asks for;
//! - [`handlers`]: get, list, create, update, patch and delete of objects;
//! - [`watch`]: watch streams (initial events, bookmarks, filters);
//! - [`response`]: the bodies and headers answers are made of;
//! - [`state`]: what the handlers share ([`App`]).

mod handlers;
mod response;
mod router;
mod state;
mod watch;

pub use router::handle;
pub use state::App;
