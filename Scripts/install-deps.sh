#!/usr/bin/env bash
# Installs what building and testing need, only when it is missing (Debian 12).
# gnutls-serv (gnutls-bin) is the second TLS 1.3 server the interop tests run against.
set -euo pipefail
need=()
pkg-config --exists libcrypto 2>/dev/null || need+=(libssl-dev pkg-config)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v gnutls-serv >/dev/null 2>&1 || need+=(gnutls-bin)
if [ ${#need[@]} -gt 0 ]; then
    echo "install-deps: installing ${need[*]}" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
