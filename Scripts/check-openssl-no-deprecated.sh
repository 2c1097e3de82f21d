#!/usr/bin/env bash
# Build hygiene for the hand-written HMAC and the SHA states in Sources/COpenSSL/shim.h (Docs/Security.md,
# "Build hygiene"): the library must also build against an OpenSSL without its deprecated API, where only the EVP
# path exists, and both paths must give the known answers.
#
#   1. type-checks the whole TLS13 module with -DOPENSSL_API_COMPAT=0x30000000L -DOPENSSL_NO_DEPRECATED, as a
#      libcrypto without the low-level SHA functions would compile it (swift-crypto is left out, as in the fuzz
#      build: `#if canImport(Crypto)`);
#   2. compiles shim.h alone in that mode with -Werror;
#   3. runs the RFC 4231 (HMAC, both backends in-process) and RFC 8448 / key-schedule tests again with
#      TLS13_DIGEST_BACKEND=evp, so every trace secret is also derived through EVP.
# Needs a prior `swift build --build-tests` (Scripts/test.sh does it). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
FLAGS=(-Xcc -DOPENSSL_API_COMPAT=0x30000000L -Xcc -DOPENSSL_NO_DEPRECATED)

echo "check-openssl-no-deprecated: type-checking Sources/TLS13 without the deprecated API" >&2
mapfile -t SOURCES < <(find Sources/TLS13 -name '*.swift' | sort)
swiftc -typecheck -swift-version 6 -parse-as-library -module-name TLS13 -package-name swift_tls13 -I Sources/COpenSSL -I Sources/CEpoll "${FLAGS[@]}" \
    "${SOURCES[@]}"

echo "check-openssl-no-deprecated: compiling shim.h alone (-Werror)" >&2
CC=${CC:-clang}
command -v "$CC" >/dev/null 2>&1 || CC=gcc
echo '#include "shim.h"
int main(void) { return COpenSSL_SHA_lowlevel_available(); }' |
    "$CC" -x c -Werror -Wall -DOPENSSL_API_COMPAT=0x30000000L -DOPENSSL_NO_DEPRECATED -I Sources/COpenSSL \
        -o /dev/null - -lcrypto
echo '#include "shim.h"
int main(void) { return !COpenSSL_SHA_lowlevel_available(); }' |
    "$CC" -x c -Werror -Wall -I Sources/COpenSSL -o /dev/null - -lcrypto

echo "check-openssl-no-deprecated: RFC 4231 and RFC 8448 through the EVP backend" >&2
TLS13_DIGEST_BACKEND=evp swift test --skip-build \
    --filter 'HMACKnownAnswerTests|KeyScheduleTests|RFC8448RecordTests|ClientRFC8448Tests|KeyLogTests|EarlyDataReasonTests' 2>&1 | tail -3
echo "check-openssl-no-deprecated: ok" >&2
