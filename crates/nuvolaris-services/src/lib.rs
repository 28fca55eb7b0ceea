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

//! Native clients for the Whisk side effects, run in the operator process (the image is
//! distroless: no `redis-cli`, `mc` or `psql`): Redis ACL users, S3 buckets, policies and objects,
//! the MinIO admin API (users, canned policies, attachments, quotas) with madmin's encrypted
//! bodies, the service [`resolver`] and input [`fingerprint`]s for "rerun only when the inputs
//! change". No Kubernetes code here; every call has a timeout and fails with a
//! [`ServiceError`] that names the service, the address and the operation, never a password.

pub mod error;
pub mod fingerprint;
pub mod redis;
pub mod resolver;
pub mod sio;
#[cfg(feature = "stand-in")]
pub mod testing;

pub use error::{ErrorKind, Service, ServiceError};
pub use fingerprint::{fingerprint, Secret};
pub use resolver::{ServiceResolver, ENV_SERVICE_OVERRIDES};
