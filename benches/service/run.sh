#!/usr/bin/env bash
# The service-level benchmark with its peer: builds the jwt-authorizer 0.15 server (axum 0.7,
# benches/service/jwt-authorizer, release) and runs `cargo bench --bench service` with it.
# jwt-authorizer's reqwest uses native TLS, so the peer needs OpenSSL's headers (libssl-dev).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! pkg-config --exists openssl 2>/dev/null && ! [ -e /usr/include/openssl/ssl.h ]; then
  apt-get install -y libssl-dev pkg-config >/dev/null
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --quiet --manifest-path benches/service/jwt-authorizer/Cargo.toml
JWT_AUTHORIZER_PEER="$CARGO_TARGET_DIR/release/jwt-authorizer-peer" \
  cargo bench --all-features --bench service
