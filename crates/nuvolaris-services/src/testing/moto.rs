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

//! `moto_server` (PyPI `moto[s3]`, a real S3 implementation) on loopback: the S3 server of the
//! tests. It enforces bucket policies for anonymous object reads, does not check signatures.

use super::{free_port, wait_for};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `moto_server`; killed on drop.
#[derive(Debug)]
pub struct MotoServer {
    port: u16,
    child: Child,
}

impl MotoServer {
    /// Starts `bin` on a free port of 127.0.0.1 and waits until it answers HTTP.
    pub async fn start(bin: &Path) -> Self {
        let port = free_port();
        let child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let server = Self { port, child };
        let url = format!("http://{}/", server.addr());
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("HTTP client");
        wait_for(
            "moto_server to answer HTTP",
            Duration::from_secs(60),
            || {
                let request = http.get(&url).send();
                async move {
                    request
                        .await
                        .ok()
                        .filter(|r| r.status().is_success())
                        .map(drop)
                }
            },
        )
        .await;
        server
    }

    /// `127.0.0.1:<port>`: the `minio` override.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
