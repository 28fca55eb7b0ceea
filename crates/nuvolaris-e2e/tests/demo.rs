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

//! `cargo xtask demo --exit-after-apply`, run as the `nuvolaris-e2e demo` binary: the examples are
//! applied (the Sample first), become Ready, the operator's Events and objects are printed, the
//! kubeconfig is written and the kubectl hint printed, and everything stops cleanly.

use std::process::Command;

#[test]
fn the_demo_applies_the_examples_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("demo.kubeconfig");
    let out = Command::new(env!("CARGO_BIN_EXE_nuvolaris-e2e"))
        .args(["demo", "--exit-after-apply", "--kubeconfig"])
        .arg(&kubeconfig)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "demo failed: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let pos = |s: &str| {
        stdout
            .find(s)
            .unwrap_or_else(|| panic!("{s:?} not in the output:\n{stdout}"))
    };
    // the Sample is applied first, then the Whisk (after its prerequisites)
    assert!(pos("applied Sample demo/obj") < pos("applied Whisk nuvolaris/controller"));
    assert!(
        pos("applied charts-free-kustomize/whisk-prerequisites")
            < pos("applied Whisk nuvolaris/controller")
    );
    pos("Sample demo/obj Ready after");
    pos("Whisk nuvolaris/controller Ready after");
    assert!(!stdout.contains("NOT READY"), "{stdout}");
    // what the operator did and what it made
    let events: usize = stdout
        .split("what the operator did (")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(events > 0, "no Events printed");
    pos("Deployment demo/obj-demo-deploy (ready replicas 2)");
    pos("StatefulSet nuvolaris/controller");
    pos(&format!(
        "export KUBECONFIG={}; kubectl get samples,deployments -A",
        kubeconfig.display()
    ));
    pos("stopped (operator exit: exit status: 0)");
    let kc = std::fs::read_to_string(&kubeconfig).unwrap();
    assert!(kc.contains("server: http://127.0.0.1:"), "{kc}");
}
