# syntax=docker/dockerfile:1
# The schemagate image: a static (musl) binary on Debian slim with the PostgreSQL and MariaDB
# servers, so disposable databases run inside the Action without job services. Multi-arch:
# the build stage runs on the build machine's platform and cross-compiles for each target
# (cargo-zigbuild: zig is the C cross compiler for ring and the bundled SQLite), so an arm64
# image needs no emulation. Dependencies are built in a layer of their own, cached until
# Cargo.toml or Cargo.lock change.
FROM --platform=$BUILDPLATFORM rust:1.95-slim-bookworm AS build
ARG TARGETARCH
WORKDIR /src
# hadolint ignore=DL3008,DL3013
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3-pip \
 && rm -rf /var/lib/apt/lists/* \
 && pip3 install --no-cache-dir --break-system-packages ziglang==0.13.0 cargo-zigbuild==0.19.8
RUN case "$TARGETARCH" in \
      amd64) echo x86_64-unknown-linux-musl > /target ;; \
      arm64) echo aarch64-unknown-linux-musl > /target ;; \
      *) echo "unsupported TARGETARCH $TARGETARCH" >&2; exit 1 ;; \
    esac \
 && rustup target add "$(cat /target)"
# Manifests first: the dependency layer is rebuilt only when they change.
COPY Cargo.toml Cargo.lock ./
COPY benches ./benches
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && cargo zigbuild --release --locked --target "$(cat /target)" \
 && rm -rf src
COPY src ./src
COPY policies ./policies
RUN touch src/main.rs src/lib.rs \
 && cargo zigbuild --release --locked --target "$(cat /target)" --bin schemagate \
 && cp "target/$(cat /target)/release/schemagate" /schemagate

# Runtime: no compiler, no sources; a non-root user with the runner's uid (1001), so files the
# Action writes in the mounted workspace and GITHUB_OUTPUT belong to the job.
FROM debian:bookworm-slim
# Not pinning package versions (DL3008) is deliberate: Debian's security updates must not be
# pinned away; the Debian release itself is pinned by the base image tag.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql mariadb-server ca-certificates git \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 1001 --create-home --shell /usr/sbin/nologin schemagate
COPY --from=build /schemagate /usr/local/bin/schemagate
COPY policies /usr/share/schemagate/policies
USER 1001
ENTRYPOINT ["/usr/local/bin/schemagate"]
CMD ["action"]
