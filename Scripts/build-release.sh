#!/usr/bin/env bash
# The release build of the package in the current directory, as every benchmark script builds it:
#   swift build -c release --static-swift-stdlib [ARGUMENTS...]
# The Swift runtime and standard libraries (and FoundationEssentials, which swift-crypto and
# swift-argument-parser import) are linked into `tls13` statically: a `tls13` process then maps no Swift shared
# library, and its start-up does no dynamic linking of them (Docs/Benchmarks.md, "First contact": measured both
# ways). `Scripts/build-release.sh --show-bin-path` prints the folder of the binaries.
set -euo pipefail
exec swift build -c release --static-swift-stdlib "$@"
