#!/usr/bin/env bash
# The `tls13` CLI under valgrind's memcheck against a local `openssl s_server`, looking for memory errors and
# definite leaks (of OpenSSL objects above all: EVP_*, X509*, BIO, stacks).
#
# Usage: Scripts/valgrind.sh [scenario...]     (default: all; see SCENARIOS below)
#
# Each scenario starts its own s_server on a free loopback port, runs
#   valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 tls13 connect …
# and checks the CLI's exit status and output as well. "possibly lost" and "still reachable" blocks are reported
# by valgrind but are not errors: they are the Swift runtime's metadata caches, thread stacks and the process-wide
# trust store, alive until exit (Docs/Security.md, "Sanitizers and leaks"). No suppression file is needed;
# VALGRIND_SUPPRESSIONS=file adds one.
#
# Logs go to $VALGRIND_OUT (default .build/valgrind/<scenario>.log). Exits non-zero on any memory error, any
# definite leak, or a CLI result other than the expected one. Debug build only (no release builds here).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

if ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind.sh: installing valgrind" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq valgrind >/dev/null
fi

swift build --product tls13
OUT="${VALGRIND_OUT:-$ROOT/.build/valgrind}"
mkdir -p "$OUT"
# Valgrind 3.19 (Debian 12) cannot read the DWARF 5 that clang writes for swift-crypto's C code ("unhandled
# dwarf2 abbrev form code 0x25 … Possibly corrupted debuginfo file. I can't recover.") and gives up before
# running anything. Run a copy without the DWARF sections instead: stacks keep their function names (the
# symbol table stays), they lose file:line.
BIN="$OUT/tls13"
objcopy --strip-debug "$(swift build --show-bin-path)/tls13" "$BIN"

VALGRIND=(valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite
          --error-exitcode=99 --num-callers=40 --track-fds=no)
VALGRIND+=("--suppressions=$ROOT/Scripts/valgrind.supp")
[[ -n "${VALGRIND_SUPPRESSIONS:-}" ]] && VALGRIND+=("--suppressions=$VALGRIND_SUPPRESSIONS")

SERVER_PID=""
PORT=""
stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
trap stop_server EXIT

# start_server <leaf stem> <s_server args...>: s_server on an ephemeral port in Certs/, PORT set from its ACCEPT line.
# Always with -rev: in its default mode s_server quits at the end of its stdin (here /dev/null) before anyone connects.
start_server() {
  local leaf="$1"; shift
  local log="$OUT/$SCENARIO.s_server.log"
  (cd "$ROOT/Certs" && exec openssl s_server -tls1_3 -accept 0 -cert "leaf-$leaf.pem" -key "leaf-$leaf.key" \
    -cert_chain "$( [[ $leaf == unknown-ca ]] && echo unknown-ca-intermediate.pem || echo intermediate.pem )" \
    "$@" < /dev/null > "$log" 2>&1) &
  SERVER_PID=$!
  local i
  for i in $(seq 1 100); do
    PORT="$(grep -oE '^ACCEPT .*:[0-9]+$' "$log" 2>/dev/null | grep -oE '[0-9]+$' || true)"
    [[ -n "$PORT" ]] && return 0
    sleep 0.1
  done
  echo "valgrind.sh: s_server did not start:" >&2; cat "$log" >&2; return 1
}

PASSED=0
FAILED=0
TOTAL_DEFINITE=0
TOTAL_INDIRECT=0
RESULTS=()

# run <expected exit> <expected output (grep -E, stdout+stderr)> <stdin> <tls13 args...>
run() {
  local expected_status="$1" expected_output="$2" input="$3"; shift 3
  local vlog="$OUT/$SCENARIO.log" output status=0
  output="$(printf '%s' "$input" | "${VALGRIND[@]}" --log-file="$vlog" "$BIN" "$@" 2>&1)" || status=$?
  local definite indirect possibly reachable errors
  definite="$(grep -oE 'definitely lost: [0-9,]+ bytes' "$vlog" | grep -oE '[0-9,]+' | tr -d , | tail -1)"
  indirect="$(grep -oE 'indirectly lost: [0-9,]+ bytes' "$vlog" | grep -oE '[0-9,]+' | tr -d , | tail -1)"
  possibly="$(grep -oE 'possibly lost: [0-9,]+ bytes' "$vlog" | grep -oE '[0-9,]+' | tr -d , | tail -1)"
  reachable="$(grep -oE 'still reachable: [0-9,]+ bytes' "$vlog" | grep -oE '[0-9,]+' | tr -d , | tail -1)"
  errors="$(grep -oE 'ERROR SUMMARY: [0-9,]+ errors' "$vlog" | grep -oE '[0-9,]+' | tr -d , | tail -1)"
  # "All heap blocks were freed -- no leaks are possible" prints no per-kind lines.
  definite="${definite:-0}" indirect="${indirect:-0}" possibly="${possibly:-0}" reachable="${reachable:-0}"
  errors="${errors:-?}"
  TOTAL_DEFINITE=$((TOTAL_DEFINITE + definite))
  TOTAL_INDIRECT=$((TOTAL_INDIRECT + indirect))
  local verdict=pass problems=()
  [[ "$status" -eq 99 ]] && problems+=("valgrind errors (exit 99)")
  [[ "$errors" != 0 ]] && problems+=("$errors valgrind errors")
  [[ "$definite" -ne 0 ]] && problems+=("$definite bytes definitely lost")
  [[ "$status" -ne 99 && "$status" -ne "$expected_status" ]] && problems+=("exit $status, expected $expected_status")
  grep -qE -- "$expected_output" <<< "$output" || problems+=("output does not match /$expected_output/")
  if [[ ${#problems[@]} -gt 0 ]]; then
    verdict=FAIL; FAILED=$((FAILED + 1))
    printf '%s\n' "--- $SCENARIO output:" "$output" >&2
  else
    PASSED=$((PASSED + 1))
  fi
  local line
  line="$(printf '%-4s %-18s definite %6s B  indirect %6s B  possibly %7s B  reachable %8s B  errors %s%s' \
    "$verdict" "$SCENARIO" "$definite" "$indirect" "$possibly" "$reachable" "$errors" \
    "${problems[*]:+  (${problems[*]})}")"
  RESULTS+=("$line")
  echo "$line"
}

CA=(--cafile "$ROOT/Certs/ca.pem" --timeout 120)

scenario_echo_ecdsa() {
  start_server ecdsa-p256 -rev -naccept 1
  run 0 '^ih$' $'hi\n' connect "localhost:$PORT" "${CA[@]}" --quiet
}

scenario_echo_rsa() {
  # RSA-PSS CertificateVerify, AES-256-GCM, P-384 key exchange.
  start_server rsa2048 -rev -naccept 1
  run 0 '^ih$' $'hi\n' connect "localhost:$PORT" "${CA[@]}" --quiet --ciphers TLS_AES_256_GCM_SHA384 \
    --groups secp384r1
}

scenario_unknown_ca() {
  # The certificate is rejected: the error path (alert sent, connection torn down).
  start_server unknown-ca -rev -naccept 1
  run 1 'unknown_ca' $'hi\n' connect "localhost:$PORT" "${CA[@]}" --quiet
}

scenario_reconnect() {
  # Two connections: a ticket from the first, PSK resumption in the second.
  start_server ecdsa-p256 -rev -naccept 2
  run 0 'resumed: yes' '' connect "localhost:$PORT" "${CA[@]}" --reconnect
}

SCENARIOS=(echo_ecdsa echo_rsa unknown_ca reconnect)
[[ $# -gt 0 ]] && SCENARIOS=("$@")
echo "== valgrind $(valgrind --version | sed 's/valgrind-//') on $BIN; logs in $OUT"
for SCENARIO in "${SCENARIOS[@]}"; do
  declare -F "scenario_$SCENARIO" >/dev/null || { echo "unknown scenario $SCENARIO" >&2; exit 2; }
  "scenario_$SCENARIO"
  stop_server
done
echo "== definitely lost: $TOTAL_DEFINITE bytes, indirectly lost: $TOTAL_INDIRECT bytes (all scenarios)"
echo "valgrind: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
