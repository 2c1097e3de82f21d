#!/usr/bin/env bash
# Builds the tls13 command and runs its self-contained demo: a local `openssl s_server -www` with the test PKI in
# Certs/, a TLS 1.3 handshake summary, and an HTTPS GET of its page. Needs no network. Installs libssl-dev and
# openssl when they are missing. Usage: Scripts/demo.sh [extra `tls13 demo` options, e.g. --lines 30]
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
swift build --product tls13 >&2
exec "$(swift build --show-bin-path)/tls13" demo --certs Certs "$@"
