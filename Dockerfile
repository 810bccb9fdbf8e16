# Build stage: the Rust toolchain, release build of the onboard binary.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY catalog catalog
COPY tests tests
RUN cargo build --release --locked --bin onboard

# Runtime stage: a slim image with CA certificates, running as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home --home-dir /home/onboard onboard
COPY --from=build /src/target/release/onboard /usr/local/bin/onboard
USER onboard
WORKDIR /home/onboard
ENTRYPOINT ["onboard"]
