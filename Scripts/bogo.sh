#!/usr/bin/env bash
# Runs BoringSSL's TLS test suite (BoGo) against the TLS 1.3 client through tls13-bogo-shim.
#
#   Scripts/bogo.sh RUNNER_BINARY [EXTRA_RUNNER_ARGS...]
#
# RUNNER_BINARY is BoringSSL's ssl/test/runner built as a Go test binary (`go test -c`), outside this
# repository (see Docs/Interop.md, "BoGo"). Only the TLS 1.3 client tests listed in
# BoGo/tls13-client-tests.txt are run; BoGo/config.json disables some (with reasons) and maps the
# runner's expected BoringSSL error codes to our error texts.
# Environment: BOGO_TEST='pattern;pattern' runs only those tests (glob, within the list);
# BOGO_WORKERS (default 2); BOGO_OUT (default a temporary directory) keeps the runner's output.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [[ $# -lt 1 || ! -x "$1" ]]; then
    echo "usage: Scripts/bogo.sh RUNNER_BINARY [EXTRA_RUNNER_ARGS...]" >&2
    exit 2
fi
RUNNER=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift

swift build --product tls13-bogo-shim 2>&1 | grep -E "error|warning:" || true
SHIM="$ROOT/.build/debug/tls13-bogo-shim"
[[ -x "$SHIM" ]] || { echo "bogo.sh: shim build failed" >&2; exit 1; }

OUT=${BOGO_OUT:-$(mktemp -d -t bogo.XXXXXX)}
mkdir -p "$OUT"
: > "$OUT/unimplemented.log"
export BOGO_SHIM_LOG="$OUT/unimplemented.log"

if [[ -n "${BOGO_TEST:-}" ]]; then
    TESTS=$BOGO_TEST
else
    TESTS=$(grep -v '^#' BoGo/tls13-client-tests.txt | paste -sd ';')
fi

# The runner writes its temporary certificates under $TMPDIR and reads nothing from the cwd.
(cd "$OUT" && "$RUNNER" \
    -shim-path "$SHIM" \
    -shim-config "$ROOT/BoGo/config.json" \
    -test "$TESTS" \
    -num-workers "${BOGO_WORKERS:-2}" \
    -allow-unimplemented \
    -pipe \
    -json-output "$OUT/results.json" \
    "$@" > "$OUT/runner.log" 2>&1) || true

PASS=$(grep -c '^PASSED (' "$OUT/runner.log" || true)
FAIL=$(grep -c '^FAILED (' "$OUT/runner.log" || true)
UNIMPL=$(grep -c '^UNIMPLEMENTED (' "$OUT/runner.log" || true)
LISTED=$(grep -vc '^#' BoGo/tls13-client-tests.txt)

grep '^FAILED (' "$OUT/runner.log" | sed 's/^FAILED (\(.*\))$/  FAIL \1/' || true
echo "Unimplemented, by reason (count):"
sort "$OUT/unimplemented.log" | uniq -c | sort -rn | sed 's/^/  /'
echo "BoGo TLS 1.3 client tests: $LISTED listed; PASS $PASS, FAIL $FAIL, UNIMPLEMENTED $UNIMPL, disabled or not run $((LISTED - PASS - FAIL - UNIMPL))"
echo "Runner output: $OUT/runner.log"
[[ $FAIL -eq 0 ]]
