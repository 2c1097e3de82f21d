#!/usr/bin/env bash
# The whole test suite under a sanitizer. Usage: Scripts/sanitize.sh address|thread [extra swift test args]
#
# Builds into its own scratch path (.build-address / .build-thread) so the normal .build stays usable, and
# points the CLI tests (TLS13_CLI) at a normally built `tls13`: the executable they spawn is not itself
# instrumented (see Docs/Security.md, "Sanitizers and leaks").
#
# Nothing is excluded. Environment:
#   ASAN_OPTIONS / TSAN_OPTIONS   appended to the defaults below
#   SANITIZE_LOG                  where to copy the test output (default: .build-<kind>/sanitize.log)
set -euo pipefail
cd "$(dirname "$0")/.."

KIND="${1:-}"
case "$KIND" in
  address | thread) shift ;;
  *) echo "usage: $0 address|thread [swift test arguments]" >&2; exit 2 ;;
esac
SCRATCH=".build-$KIND"
LOG="${SANITIZE_LOG:-$SCRATCH/sanitize.log}"

# The CLI the integration tests run: a normal debug build.
swift build --product tls13
export TLS13_CLI="$(swift build --show-bin-path)/tls13"

# A sanitizer report fails the run: ASan stops at the first error, TSan at the first race (halt_on_error=1).
# LeakSanitizer (part of ASan on Linux) runs at exit; Scripts/lsan.supp suppresses the XCTest runner's own leaks.
# SWIFT_BACKTRACE=enable=no: the sanitizers print their own reports; Swift's backtracer, attaching to a process
# that a sanitizer aborted, can spend minutes symbolicating an instrumented binary.
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$PWD/Scripts/lsan.supp:print_suppressions=1${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
export SWIFT_BACKTRACE="enable=no"

swift build --build-tests --sanitize="$KIND" --scratch-path "$SCRATCH"
mkdir -p "$(dirname "$LOG")"
set +e
swift test --skip-build --sanitize="$KIND" --scratch-path "$SCRATCH" "$@" 2>&1 | tee "$LOG"
STATUS=${PIPESTATUS[0]}
set -e

# A sanitizer report in the log fails the run even if the runner said otherwise.
if grep -qE "^(==[0-9]+==ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|SUMMARY: (Address|Leak|Thread)Sanitizer)" "$LOG"; then
  echo "sanitize.sh: $KIND sanitizer reported a problem (see $LOG)" >&2
  [[ $STATUS -ne 0 ]] || STATUS=1
fi
echo "sanitize.sh: $KIND: $(grep -E '^. Test run with' "$LOG" | tail -1 || echo 'no summary line') (exit $STATUS)"
exit "$STATUS"
