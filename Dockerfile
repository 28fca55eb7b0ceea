# syntax=docker/dockerfile:1
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

# The Nuvolaris operator image: a release build of `nuvolaris-operator` on a distroless,
# non-root runtime. Build: `docker build -t nuvolaris-operator:dev .`

# ---- build -------------------------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
# The registry and target folders are cache mounts: rebuilds reuse downloaded crates and
# compiled dependencies. The binary is copied out of the cache mount to /out.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p nuvolaris-operator \
 && mkdir -p /out \
 && cp target/release/nuvolaris-operator /out/nuvolaris-operator

# ---- runtime -----------------------------------------------------------------------------
# glibc and libgcc only, no shell, no package manager; runs as uid/gid 65532 (nonroot).
FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.title="nuvolaris-operator" \
      org.opencontainers.image.description="The Nuvolaris Kubernetes operator, in Rust" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/nuvolaris/nuvolaris-operator-rs"
COPY --from=build /out/nuvolaris-operator /usr/local/bin/nuvolaris-operator
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/nuvolaris-operator"]
CMD ["run"]
