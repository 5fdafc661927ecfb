# syntax=docker/dockerfile:1
# Build stage: compile the release binary once, dependencies cached in their own layer.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Manifests first so dependency builds are cached across source changes.
COPY Cargo.toml Cargo.lock ./
COPY benches ./benches
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && cargo build --release --locked && rm -rf src
COPY src ./src
COPY policies ./policies
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin schemagate

# Runtime: Debian slim with the PostgreSQL and MariaDB servers, so disposable databases can run
# inside the action without job services, and a non-root user to run them.
FROM debian:bookworm-slim
# Not pinning package versions (DL3008) is deliberate: Debian's security updates must not be
# pinned away; the Debian release itself is pinned by the base image tag.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql mariadb-server ca-certificates git \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --shell /usr/sbin/nologin schemagate
COPY --from=build /src/target/release/schemagate /usr/local/bin/schemagate
COPY policies /usr/share/schemagate/policies
# GitHub runs container actions as root with the workspace mounted; the entrypoint is the binary.
ENTRYPOINT ["/usr/local/bin/schemagate"]
CMD ["action"]
