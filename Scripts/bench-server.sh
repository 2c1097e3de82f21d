#!/usr/bin/env bash
# Builds Benchmarks/bench-server (libssl, C) if needed and starts it on loopback.
# Usage: Scripts/bench-server.sh [leaf-type] [extra bench-server args]
#   leaf-type: ecdsa-p256 (default), ecdsa-p384, rsa2048, ed25519 — a leaf from Certs/.
# Prints "ACCEPT 127.0.0.1:PORT" and serves until killed.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
mkdir -p Benchmarks/bin
if [ ! -x Benchmarks/bin/bench-server ] || [ Benchmarks/bench-server.c -nt Benchmarks/bin/bench-server ]; then
    cc -O2 -Wall -Wextra -o Benchmarks/bin/bench-server Benchmarks/bench-server.c -lssl -lcrypto
fi
leaf="${1:-ecdsa-p256}"
shift || true
exec Benchmarks/bin/bench-server -cert "Certs/leaf-$leaf.pem" -key "Certs/leaf-$leaf.key" -chain Certs/intermediate.pem "$@"
