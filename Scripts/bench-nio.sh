#!/usr/bin/env bash
# TLS13ClientHandler (TLS13NIO) against swift-nio-ssl's NIOSSLClientHandler: the same work through the same NIO
# pipeline, interleaved rep by rep (who goes first alternates), against Benchmarks/bench-server (libssl; ECDSA P-256
# leaf + intermediate from Certs/).
#
# Usage: Scripts/bench-nio.sh [--reps 5] [-n 1000] [--mib 1024]
#
# Builds Benchmarks/NIOBench in release (a package of its own: swift-nio-ssl vendors BoringSSL and takes minutes to
# build, so it stays out of the root package and CI), then per rep runs Benchmarks/NIOBench's nio-bench:
#   full  -n N sequential full handshakes (verification on, same CA and name, groups x25519/P-256/P-384 with an
#         x25519 share, no session reuse), ours with the verified-chain cache off      -> client CPU per handshake
#   full  the same, ours with the verified-chain cache on (the library's default)      -> client CPU per handshake
#   bulk  --mib M read on one connection                                               -> client CPU per GiB
# Client CPU is getrusage(RUSAGE_SELF) user + sys of the nio-bench process (all its threads), around the measured
# connections only (one warm-up connection first). Prints a Markdown table: medians of each side and the median of
# the paired ratios ours / swift-nio-ssl (< 1: ours uses less). Exits non-zero if a run or a connection fails.
source "$(dirname "$0")/lib.sh"

reps=5 n=1000 mib=1024
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) reps="$2"; shift 2 ;;
        -n) n="$2"; shift 2 ;;
        --mib) mib="$2"; shift 2 ;;
        *) echo "usage: $0 [--reps N] [-n N] [--mib M]" >&2; exit 2 ;;
    esac
done

echo "== building Benchmarks/NIOBench (release) and Benchmarks/bench-server" >&2
if ! (cd Benchmarks/NIOBench && swift build -c release) >"$work/build.log" 2>&1; then
    grep -E "error" "$work/build.log" >&2 || tail -20 "$work/build.log" >&2
    fail "release build failed"
fi
bench="$(cd Benchmarks/NIOBench && swift build -c release --show-bin-path)/nio-bench"
mkdir -p Benchmarks/bin
cc -O2 -Wall -Wextra -o Benchmarks/bin/bench-server Benchmarks/bench-server.c -lssl -lcrypto

Benchmarks/bin/bench-server -cert Certs/leaf-ecdsa-p256.pem -key Certs/leaf-ecdsa-p256.key \
    -chain Certs/intermediate.pem >"$work/server.log" 2>&1 &
pids+=("$!")
port="$(wait_for_port "$work/server.log" "$!")" || fail "bench-server did not start"
ca="$root/Certs/ca.pem"

# Runs one measurement and prints its figure (the value of key $1 in nio-bench's output line).
measure() {
    local key="$1"; shift
    local line
    line="$("$bench" "$@")" || fail "nio-bench $* failed: $line"
    echo "$line" >>"$work/lines"
    sed -n "s/.* $key=\([0-9.e+-]*\).*/\1/p" <<<"$line"
}

rows=(full full_cache bulk)
declare -A ours theirs
for rep in $(seq 1 "$reps"); do
    echo "== rep $rep/$reps" >&2
    for row in "${rows[@]}"; do
        case "$row" in
            full) a=(full tls13 "$port" "$n" "$ca"); b=(full nio-ssl "$port" "$n" "$ca"); key=cpu_ms_per_handshake ;;
            full_cache) a=(full tls13 "$port" "$n" "$ca" --chain-cache); b=(full nio-ssl "$port" "$n" "$ca")
                        key=cpu_ms_per_handshake ;;
            bulk) a=(bulk tls13 "$port" "$mib" "$ca"); b=(bulk nio-ssl "$port" "$mib" "$ca"); key=cpu_s_per_gib ;;
        esac
        if [ $((rep % 2)) -eq 1 ]; then
            x="$(measure "$key" "${a[@]}")"; y="$(measure "$key" "${b[@]}")"
        else
            y="$(measure "$key" "${b[@]}")"; x="$(measure "$key" "${a[@]}")"
        fi
        ours[$row]+="$x "; theirs[$row]+="$y "
    done
done

python3 - "$reps" "$n" "$mib" "${ours[full]}" "${theirs[full]}" "${ours[full_cache]}" "${theirs[full_cache]}" \
    "${ours[bulk]}" "${theirs[bulk]}" <<'PY'
import statistics, sys
reps, n, mib = sys.argv[1:4]
vals = [list(map(float, a.split())) for a in sys.argv[4:]]
names = [f"client CPU per full handshake, ms (user+sys, -n {n}; ours: verified-chain cache off)",
         f"client CPU per full handshake, ms (-n {n}; ours: verified-chain cache on, the library default)",
         f"client CPU per GiB, s (bulk, {mib} MiB on one connection)"]
print(f"| measurement ({reps} reps, medians) | TLS13ClientHandler | NIOSSLClientHandler | ours / swift-nio-ssl "
      "(median of paired ratios) | paired ratios, rep by rep |")
print("| --- | ---: | ---: | ---: | --- |")
for i, name in enumerate(names):
    a, b = vals[2 * i], vals[2 * i + 1]
    ratios = [x / y for x, y in zip(a, b)]
    print(f"| {name} | {statistics.median(a):.3f} | {statistics.median(b):.3f} | "
          f"**{statistics.median(ratios):.2f}** | {' '.join(f'{r:.2f}' for r in ratios)} |")
PY
echo "bench-nio: every connection ok ($(wc -l <"$work/lines") runs)" >&2
