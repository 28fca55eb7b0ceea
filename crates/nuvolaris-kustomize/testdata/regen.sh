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

# Regenerates the expectations of the differential corpus with the pinned kubectl
# (v1.37.1, kustomize v5.8.1): for each testdata/corpus/<case>/ folder,
#  - without expected-error.txt: expected.yaml = stdout of `kubectl kustomize <case>`
#    (kubectl must succeed);
#  - with expected-error.txt: kubectl must fail and its stderr must contain every line of
#    expected-error.txt (case-insensitive); the file itself is written by hand.
# Usage: testdata/regen.sh [case-name...]   (kubectl from $NUVOLARIS_KUBECTL, else PATH)
set -euo pipefail

KUBECTL="${NUVOLARIS_KUBECTL:-kubectl}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WANT_CLIENT="v1.37.1"
WANT_KUSTOMIZE="v5.8.1"

version="$("$KUBECTL" version --client 2>/dev/null || true)"
if ! grep -q "Client Version: $WANT_CLIENT" <<<"$version" || ! grep -q "Kustomize Version: $WANT_KUSTOMIZE" <<<"$version"; then
  echo "regen.sh: need kubectl $WANT_CLIENT with kustomize $WANT_KUSTOMIZE, got: ${version:-no kubectl at '$KUBECTL'}" >&2
  exit 2
fi

cd "$HERE/corpus"
if [ "$#" -gt 0 ]; then cases=("$@"); else cases=(*/); fi
failed=0
for c in "${cases[@]}"; do
  c="${c%/}"
  err="$(mktemp)"
  if [ -f "$c/expected-error.txt" ]; then
    if "$KUBECTL" kustomize "$c" >/dev/null 2>"$err"; then
      echo "FAIL $c: kubectl succeeded but expected-error.txt says it fails" >&2
      failed=1
    else
      while IFS= read -r want; do
        [ -z "$want" ] && continue
        if ! grep -qiF -- "$want" "$err"; then
          echo "FAIL $c: kubectl error does not contain '$want': $(cat "$err")" >&2
          failed=1
        fi
      done <"$c/expected-error.txt"
      echo "ok   $c (error)"
    fi
  else
    if "$KUBECTL" kustomize "$c" >"$c/expected.yaml.tmp" 2>"$err"; then
      mv "$c/expected.yaml.tmp" "$c/expected.yaml"
      echo "ok   $c"
    else
      rm -f "$c/expected.yaml.tmp"
      echo "FAIL $c: kubectl failed: $(cat "$err")" >&2
      failed=1
    fi
  fi
  rm -f "$err"
done
exit "$failed"
