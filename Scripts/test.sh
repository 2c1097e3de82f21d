#!/usr/bin/env bash
# The full test suite. Installs the system packages the tests need when they are missing, then runs
# `swift test`. Usage: Scripts/test.sh [extra swift test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
swift build --build-tests
# Integration tests drive the built CLI; they find it through TLS13_CLI.
export TLS13_CLI="$(swift build --show-bin-path)/tls13"
swift test --skip-build "$@"
# With no filter (the whole suite, as CI runs it): the build without OpenSSL's deprecated API, and the key
# schedule through the EVP digest backend (Docs/Security.md, "Build hygiene").
if [ $# -eq 0 ]; then Scripts/check-openssl-no-deprecated.sh; fi
# The DocC documentation: zero warnings, every public symbol documented (Scripts/docc.sh, about 30 s).
if [ $# -eq 0 ]; then Scripts/docc.sh; fi
