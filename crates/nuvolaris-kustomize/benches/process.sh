#!/usr/bin/env bash
# Licensed to the Apache Software Foundation (ASF) under one
# or more contributor license agreements.  See the NOTICE file
# distributed with this work for additional information
# regarding copyright ownership.  The ASF licenses this file
# to you under the Apache License, Version 2.0 (the
# "License"); you may not use this file except in compliance
# with the License.  You may obtain a copy of the License at
#
#   http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing,
# software distributed under the License is distributed on an
# "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY
# KIND, either express or implied.  See the License for the
# specific language governing permissions and limitations
# under the License.

# Whole-process speed, side by side: `nuvolaris-operator kustomize DIR` versus
# `kubectl kustomize DIR` (pinned v1.37.1 / kustomize v5.8.1) over every corpus case,
# ROUNDS runs each, interleaved, in one run. Prints per-case means, totals and the ratio,
# and whether both printed the same bytes.
#
# Usage: crates/nuvolaris-kustomize/benches/process.sh [ROUNDS]   (default 10)
#   NUVOLARIS_OPERATOR  operator binary (default: <target>/release/nuvolaris-operator)
#   NUVOLARIS_KUBECTL   kubectl (default: kubectl on PATH)
# Build the operator first: cargo build --release -p nuvolaris-operator
set -euo pipefail

ROUNDS="${1:-10}"
HERE="$(cd "$(dirname "$0")" && pwd)"
CORPUS="$HERE/../testdata/corpus"
WS="$(cd "$HERE/../../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$WS/target}"
OP="${NUVOLARIS_OPERATOR:-$TARGET/release/nuvolaris-operator}"
KUBECTL="${NUVOLARIS_KUBECTL:-$(command -v kubectl || true)}"

if [ ! -x "$OP" ]; then
  echo "SKIPPED: operator binary not found at $OP (build it: cargo build --release -p nuvolaris-operator, or set NUVOLARIS_OPERATOR)"
  exit 0
fi
if [ -z "$KUBECTL" ] || ! "$KUBECTL" version --client 2>/dev/null | grep -q "Kustomize Version: v5.8.1"; then
  echo "SKIPPED: pinned kubectl (v1.37.1, kustomize v5.8.1) not found (set NUVOLARIS_KUBECTL)"
  exit 0
fi

now_ns() { date +%s%N; }

printf '%-52s %10s %10s %8s %s\n' "case" "op ms" "kubectl ms" "ratio" "same output"
op_total=0
k_total=0
cases=0
same_count=0
for dir in "$CORPUS"/*/; do
  dir="${dir%/}"
  name="$(basename "$dir")"
  [ -f "$dir/expected-error.txt" ] && continue
  op_ns=0
  k_ns=0
  for _ in $(seq "$ROUNDS"); do
    t0=$(now_ns); "$OP" kustomize "$dir" >/dev/null 2>&1 || true; t1=$(now_ns)
    "$KUBECTL" kustomize "$dir" >/dev/null 2>&1 || true; t2=$(now_ns)
    op_ns=$((op_ns + t1 - t0))
    k_ns=$((k_ns + t2 - t1))
  done
  if cmp -s <("$OP" kustomize "$dir" 2>/dev/null) <("$KUBECTL" kustomize "$dir" 2>/dev/null); then
    same=yes; same_count=$((same_count + 1))
  else
    same=NO
  fi
  op_total=$((op_total + op_ns))
  k_total=$((k_total + k_ns))
  cases=$((cases + 1))
  awk -v n="$name" -v o="$op_ns" -v k="$k_ns" -v r="$ROUNDS" -v s="$same" \
    'BEGIN { printf "%-52s %10.2f %10.2f %7.1fx %s\n", n, o/r/1e6, k/r/1e6, k/o, s }'
done
awk -v o="$op_total" -v k="$k_total" -v c="$cases" -v r="$ROUNDS" -v s="$same_count" 'BEGIN {
  printf "\n%d cases x %d rounds: nuvolaris-operator %.2f ms/run, kubectl %.2f ms/run: operator %.1fx faster; identical output in %d/%d cases\n",
    c, r, o/(c*r)/1e6, k/(c*r)/1e6, k/o, s, c }'
