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

//! The standalone `nuvolaris-apiserver` binary: prints its URL, writes a kubeconfig, serves,
//! refuses a non-loopback address, and exits cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kc.yaml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nuvolaris-apiserver"))
        .arg("--kubeconfig")
        .arg(&kc)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let kubeconfig = std::fs::read_to_string(&kc).unwrap();
    assert!(
        kubeconfig.contains(&url) && kubeconfig.contains("current-context: embedded"),
        "{kubeconfig}"
    );
    let v: serde_json::Value = reqwest::get(format!("{url}/version"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["major"], "1");
    let st = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(st.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
}

#[test]
fn refuses_non_loopback() {
    let out = Command::new(env!("CARGO_BIN_EXE_nuvolaris-apiserver"))
        .args(["--addr", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a loopback address"));
}

#[tokio::test]
async fn rbac_flag_and_service_account_kubeconfig() {
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("admin.yaml");
    let sa = dir.path().join("sa.yaml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nuvolaris-apiserver"))
        .arg("--rbac")
        .arg("--kubeconfig")
        .arg(&kc)
        .arg("--sa-kubeconfig")
        .arg(format!("nuvolaris/nuvolaris-operator={}", sa.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_string();
    let token = |path: &std::path::Path| -> String {
        let text = std::fs::read_to_string(path).unwrap();
        text.lines()
            .find_map(|l| l.trim().strip_prefix("token: "))
            .unwrap()
            .to_string()
    };
    let sa_kc = std::fs::read_to_string(&sa).unwrap();
    assert!(sa_kc.contains("namespace: nuvolaris"), "{sa_kc}");
    let http = reqwest::Client::new();
    let get = |t: String| {
        http.get(format!("{url}/api/v1/namespaces"))
            .bearer_auth(t)
            .send()
    };
    assert_eq!(get(token(&kc)).await.unwrap().status().as_u16(), 200);
    assert_eq!(get(token(&sa)).await.unwrap().status().as_u16(), 403);
    assert_eq!(get("forged".into()).await.unwrap().status().as_u16(), 401);
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn bad_sa_kubeconfig_spec_is_an_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_nuvolaris-apiserver"))
        .args(["--rbac", "--sa-kubeconfig", "no-slash"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected NAMESPACE/NAME=PATH"));
}
