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

//! A real `redis-server` on loopback, started from a config text (e.g. the rendered `redis-cm`),
//! with `bind`, `port` and `dir` appended; restartable on the same port with the same config
//! (and, as in a pod restart, without the ACLs set at run time).

use super::{free_port, wait_for};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `redis-server`; killed on drop.
#[derive(Debug)]
pub struct RedisServer {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts `bin` with `config` plus `bind 127.0.0.1`, a free `port` and a temporary `dir`, and
    /// waits until it answers.
    pub async fn start(bin: &Path, config: &str) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory for redis-server");
        let port = free_port();
        let mut text = config.to_owned();
        text.push_str(&format!(
            "\nbind 127.0.0.1\nport {port}\ndir {}\nlogfile {}\n",
            dir.path().display(),
            dir.path().join("redis.log").display()
        ));
        std::fs::File::create(dir.path().join("redis.conf"))
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .expect("write redis.conf");
        let mut server = Self {
            bin: bin.to_owned(),
            dir,
            port,
            child: None,
        };
        server.spawn().await;
        server
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Kills the server and starts a new process on the same port with the same config: what a
    /// pod restart does (ACLs set at run time are gone).
    pub async fn restart(&mut self) {
        self.stop();
        self.spawn().await;
    }

    /// The server log so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn spawn(&mut self) {
        let child = Command::new(&self.bin)
            .arg(self.dir.path().join("redis.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.bin.display()));
        self.child = Some(child);
        let addr = self.addr();
        wait_for(
            "redis-server to answer PING",
            Duration::from_secs(30),
            || {
                let addr = addr.clone();
                async move { answers_ping(&addr).await.then_some(()) }
            },
        )
        .await;
    }
}

/// True when a RESP `PING` to `addr` gets any answer (`+PONG`, or `-NOAUTH` with `requirepass`).
async fn answers_ping(addr: &str) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return false;
    };
    if stream.write_all(b"PING\r\n").await.is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    matches!(stream.read(&mut buf).await, Ok(n) if n > 0 && (buf[0] == b'+' || buf[0] == b'-'))
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
