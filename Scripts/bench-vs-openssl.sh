#!/usr/bin/env bash
# Our client against OpenSSL's libssl client, the same work measured the same way, interleaved rep by rep.
#
# Usage: Scripts/bench-vs-openssl.sh [--reps 5] [-n 1000] [--mib 256] [--connections 1000] [--no-s-time]
#
# Builds the release CLI (swift build -c release) and the C programs in Benchmarks/ (into Benchmarks/bin/),
# starts Benchmarks/bench-server (libssl; ECDSA P-256 leaf + intermediate from Certs/) and nginx with TLS 1.3
# (Benchmarks/nginx/start-nginx.sh, for the idle connections), then for each rep runs every measurement once
# with `tls13 bench` and once with Benchmarks/openssl-client (who goes first alternates from rep to rep):
#   full    -n N handshakes under /usr/bin/time -v  -> client CPU per full handshake, peak RSS for N
#   full    -n N, ours only, --verified-chain-cache -> the same with the opt-in verified-chain cache
#   resume  -n N handshakes                          -> client CPU per resumed handshake
#   bulk    --mib M on one connection                -> client CPU per GiB
#   full    -n 1 under /usr/bin/time -v              -> peak RSS for 1 (plus the warm-up connection)
#   idle    --connections C against nginx            -> heap (mallinfo2) and RSS per idle connection
# and prints a Markdown table: medians of each side and the median of the paired ratios ours / OpenSSL
# (ratio < 1: ours uses less). Exits non-zero if any run fails or any connection was not ok / not resumed.
# All servers are stopped by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

reps=5 n=1000 mib=256 connections=1000 s_time=1
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) reps="$2"; shift 2 ;;
        -n) n="$2"; shift 2 ;;
        --mib) mib="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --no-s-time) s_time=0; shift ;;
        *) echo "usage: $0 [--reps N] [-n N] [--mib M] [--connections C] [--no-s-time]" >&2; exit 2 ;;
    esac
done

Scripts/install-deps.sh
[ -x /usr/bin/time ] || { echo "bench-vs-openssl: installing time" >&2; apt-get install -y -qq time >/dev/null; }

work="$(mktemp -d /tmp/tls13-bench.XXXXXX)"
pids=()       # servers started here, stopped by PID on exit
nginx_pid="" # nginx itself (a child of start-nginx.sh, which stops it on SIGTERM): stopped last if still there
cleanup() {
    trap "" TERM INT
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then kill "$nginx_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "bench-vs-openssl: $*" >&2; exit 1; }

echo "== building (swift build -c release; cc -O2)" >&2
if ! swift build -c release >"$work/build.log" 2>&1; then
    grep -E "error" "$work/build.log" >&2 || tail -20 "$work/build.log" >&2
    fail "swift build -c release failed"
fi
tls13="$(swift build -c release --show-bin-path)/tls13"
mkdir -p Benchmarks/bin
for prog in bench-server openssl-client; do
    cc -O2 -Wall -Wextra -o "Benchmarks/bin/$prog" "Benchmarks/$prog.c" -lssl -lcrypto
done
ossl="$root/Benchmarks/bin/openssl-client"

# Waits for "ACCEPT host:port" in $1 (written by the process $2) and prints host:port.
wait_accept() {
    for _ in $(seq 300); do
        if grep -q '^ACCEPT ' "$1" 2>/dev/null; then awk '/^ACCEPT /{print $2; exit}' "$1"; return 0; fi
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench-vs-openssl: server did not start:" >&2
    cat "$1" "$1.err" >&2 2>/dev/null || true
    return 1
}

Benchmarks/bin/bench-server -cert Certs/leaf-ecdsa-p256.pem -key Certs/leaf-ecdsa-p256.key \
    -chain Certs/intermediate.pem >"$work/bench-server.out" 2>"$work/bench-server.out.err" &
pids+=($!)
server="$(wait_accept "$work/bench-server.out" "${pids[-1]}")"

Benchmarks/nginx/start-nginx.sh >"$work/nginx.out" 2>"$work/nginx.out.err" &
pids+=($!)
nginx="$(wait_accept "$work/nginx.out" "${pids[-1]}")"
nginx_pid="$(awk '/^nginx pid/{print $3; exit}' "$work/nginx.out.err" | tr -d ,)"

# The same offer as Benchmarks/openssl-client.c (X25519:P-256:P-384, one X25519 key share): without it ours would
# also generate an ML-KEM-768 key per handshake for the X25519MLKEM768 share OpenSSL 3.0 cannot offer (that cost is
# measured on its own: Docs/Benchmarks.md, "X25519MLKEM768").
# (The C client takes OpenSSL's own group syntax and already defaults to X25519:P-256:P-384: only ours gets --groups.)
tls=(--servername localhost --cafile Certs/ca.pem)
ours_tls=("${tls[@]}" --groups x25519,secp256r1,secp384r1)

# What each side negotiates with the bench server (both should say TLS_AES_128_GCM_SHA256 over X25519).
printf 'GET /0\n' | timeout 20 "$tls13" connect "$server" "${ours_tls[@]}" >/dev/null 2>"$work/negotiated.ours" ||
    fail "tls13 connect to the bench server failed: $(cat "$work/negotiated.ours")"
"$ossl" bulk "$server" "${tls[@]}" --mib 1 >/dev/null 2>"$work/negotiated.openssl" || fail "openssl-client bulk failed"
negotiated() { echo "$(sed -n 's/^cipher: //p' "$1" | head -1) over $(sed -n 's/^group: //p' "$1" | head -1)"; }
negotiated_ours="$(negotiated "$work/negotiated.ours")"
negotiated_openssl="$(negotiated "$work/negotiated.openssl")"
results="$work/results.tsv" # rep, metric, side, value
: >"$results"
record() { printf '%s\t%s\t%s\t%s\n' "$rep" "$1" "$2" "$3" >>"$results"; }
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" "$2" | tail -1; }             # key=value in a RESULT line
json() { sed -n "s/.*\"$1\" *: *\([0-9.eE+-]*\).*/\1/p" "$2" | head -1; }     # a number in a JSON file
maxrss() { sed -n 's/.*Maximum resident set size (kbytes): *//p' "$1"; }

# run SIDE NAME TIMED COMMAND...: runs one measurement, RESULT line in $work/NAME.SIDE.out, JSON in .json,
# /usr/bin/time -v in .time when TIMED=1. SIDE is ours or openssl.
run() {
    local side="$1" name="$2" timed="$3"; shift 3
    local base="$work/$name.$side"
    local cmd=("$@" --json "$base.json")
    [ "$timed" = 1 ] && cmd=(/usr/bin/time -v -o "$base.time" "${cmd[@]}")
    if ! "${cmd[@]}" >"$base.out" 2>"$base.err"; then
        cat "$base.err" >&2
        fail "$side $name failed (rep $rep)"
    fi
    grep -q '^RESULT ' "$base.out" || fail "$side $name printed no RESULT line"
}

echo "== $reps reps: full -n $n, resume -n $n, bulk --mib $mib, full -n 1, idle --connections $connections" >&2
echo "   bench server $server, nginx $nginx, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for rep in $(seq "$reps"); do
    if [ $((rep % 2)) = 1 ]; then order=(ours openssl); else order=(openssl ours); fi
    for what in full fullcache resume bulk full1 idle; do
        for side in "${order[@]}"; do
            case "$what" in
                full | resume)
                    if [ "$side" = ours ]; then c=("$tls13" bench "$what" "$server" "${ours_tls[@]}" -n "$n")
                    else c=("$ossl" "$what" "$server" "${tls[@]}" -n "$n"); fi
                    timed=0; [ "$what" = full ] && timed=1
                    run "$side" "$what" "$timed" "${c[@]}"
                    out="$work/$what.$side.out"
                    [ "$(field ok "$out")" = "$n" ] || fail "$side $what: ok=$(field ok "$out") of $n"
                    record "cpu_ms_$what" "$side" "$(field cpu_ms_per_hs "$out")"
                    record "hs_per_s_$what" "$side" "$(field hs_per_s "$out")"
                    if [ "$what" = resume ]; then
                        resumed="$(json resumed "$work/$what.$side.json")"
                        [ "$resumed" = "$n" ] || fail "$side resume: only $resumed of $n resumed"
                    else
                        record peak_rss_n "$side" "$(maxrss "$work/$what.$side.time")"
                        record first_hs_wall_ms "$side" "$(json first_hs_wall_ms "$work/$what.$side.json")"
                        record first_hs_cpu_ms "$side" "$(json first_hs_cpu_ms "$work/$what.$side.json")"
                    fi
                    ;;
                fullcache)
                    # Ours with the opt-in verified-chain cache (OpenSSL's client has none: its row is `full`).
                    [ "$side" = ours ] || continue
                    run ours fullcache 0 "$tls13" bench full "$server" "${ours_tls[@]}" -n "$n" --verified-chain-cache 3600
                    out="$work/fullcache.ours.out"
                    [ "$(field ok "$out")" = "$n" ] || fail "ours fullcache: ok=$(field ok "$out") of $n"
                    record cpu_ms_fullcache ours "$(field cpu_ms_per_hs "$out")"
                    record hs_per_s_fullcache ours "$(field hs_per_s "$out")"
                    ;;
                bulk)
                    if [ "$side" = ours ]; then c=("$tls13" bench bulk "$server" "${ours_tls[@]}" --mib "$mib")
                    else c=("$ossl" bulk "$server" "${tls[@]}" --mib "$mib"); fi
                    run "$side" bulk 0 "${c[@]}"
                    record cpu_s_per_gib "$side" "$(field cpu_s_per_gib "$work/bulk.$side.out")"
                    record mb_per_s "$side" "$(field mb_per_s "$work/bulk.$side.out")"
                    ;;
                full1)
                    if [ "$side" = ours ]; then c=("$tls13" bench full "$server" "${ours_tls[@]}" -n 1)
                    else c=("$ossl" full "$server" "${tls[@]}" -n 1); fi
                    run "$side" full1 1 "${c[@]}"
                    record peak_rss_1 "$side" "$(maxrss "$work/full1.$side.time")"
                    ;;
                idle)
                    if [ "$side" = ours ]; then c=("$tls13" bench idle "$nginx" "${ours_tls[@]}" --connections "$connections")
                    else c=("$ossl" idle "$nginx" "${tls[@]}" --connections "$connections"); fi
                    run "$side" idle 0 "${c[@]}"
                    record heap_kib_idle "$side" "$(field heap_kib_per_conn "$work/idle.$side.out")"
                    record rss_kib_idle "$side" "$(field rss_kib_per_conn "$work/idle.$side.out")"
                    ;;
            esac
        done
    done
    # Extras (not paired with ours): OpenSSL with SSL_MODE_RELEASE_BUFFERS, and `openssl s_time`.
    run openssl idle-rb 0 "$ossl" idle "$nginx" "${tls[@]}" --connections "$connections" --release-buffers
    record heap_kib_idle_rb openssl "$(field heap_kib_per_conn "$work/idle-rb.openssl.out")"
    record rss_kib_idle_rb openssl "$(field rss_kib_per_conn "$work/idle-rb.openssl.out")"
    if [ "$s_time" = 1 ]; then
        openssl s_time -connect "$server" -new -time 3 -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 \
            >"$work/s_time.out" 2>&1 || fail "openssl s_time failed"
        # "305 connections in 0.57s; 535.09 connections/user sec, ..." (0.57 s = user CPU only)
        line="$(grep 'connections/user sec' "$work/s_time.out")"
        conns="${line%% connections in*}"
        user="$(echo "$line" | sed -n 's/.*connections in \([0-9.]*\)s;.*/\1/p')"
        record s_time_user_ms openssl "$(awk -v u="$user" -v c="$conns" 'BEGIN { printf "%.4f", u * 1000 / c }')"
    fi
    echo "   rep $rep of $reps done (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
done

python3 - "$results" "$reps" "$n" "$mib" "$connections" <<'EOF'
import statistics, sys
from collections import defaultdict

path, reps, n, mib, conns = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
values = defaultdict(dict)  # (metric, side) -> {rep: value}
for line in open(path):
    rep, metric, side, value = line.rstrip("\n").split("\t")
    values[(metric, side)][int(rep)] = float(value)

def med(metric, side):
    v = values.get((metric, side))
    return statistics.median(v.values()) if v else None

def fmt(x, digits):
    return "–" if x is None else f"{x:.{digits}f}"

def row(label, metric, digits, base=None, base_side="openssl", base_label=None):
    ours = values.get((metric, "ours"), {})
    other = values.get((base or metric, base_side), {})
    ratios = [ours[r] / other[r] for r in sorted(ours) if r in other and other[r] > 0]
    ratio = fmt(statistics.median(ratios), 2) if ratios else "–"
    spread = " ".join(f"{x:.2f}" for x in ratios) if ratios else "–"
    print(f"| {label} | {fmt(med(metric, 'ours'), digits)} | {fmt(med(base or metric, base_side), digits)} "
          f"| **{ratio}** | {spread} |")

print(f"| measurement ({reps} reps, medians) | ours | OpenSSL | ours / OpenSSL (median of paired ratios) | paired ratios, rep by rep |")
print("| --- | ---: | ---: | ---: | --- |")
row(f"client CPU per full handshake, ms (user+sys, -n {n})", "cpu_ms_full", 3)
row(f"client CPU per full handshake, ms, ours with `--verified-chain-cache 3600` (OpenSSL: its default, as above)",
    "cpu_ms_fullcache", 3, base="cpu_ms_full")
row(f"client CPU per resumed handshake, ms (user+sys, -n {n})", "cpu_ms_resume", 3)
row(f"client CPU per GiB, s (bulk, {mib} MiB, one connection)", "cpu_s_per_gib", 3)
row("peak RSS, KiB, `full -n 1` (warm-up + 1 handshake; /usr/bin/time -v)", "peak_rss_1", 0)
row(f"peak RSS, KiB, `full -n {n}` (warm-up + {n} handshakes; /usr/bin/time -v)", "peak_rss_n", 0)
row(f"heap per idle connection, KiB (mallinfo2; {conns} held open against nginx)", "heap_kib_idle", 2)
row(f"RSS per idle connection, KiB ({conns} held open against nginx)", "rss_kib_idle", 2)
print("| *extras* | | | | |")
row("full handshakes per second (wall; server on the same cores)", "hs_per_s_full", 1)
row("resumed handshakes per second (wall)", "hs_per_s_resume", 1)
row(f"bulk MB/s (wall, {mib} MiB)", "mb_per_s", 1)
row("first handshake of the process, ms wall (`first_hs_wall_ms`)", "first_hs_wall_ms", 2)
row("first handshake of the process, ms CPU (`first_hs_cpu_ms`)", "first_hs_cpu_ms", 2)
row("heap per idle connection, KiB, vs OpenSSL with SSL_MODE_RELEASE_BUFFERS", "heap_kib_idle", 2, base="heap_kib_idle_rb")
row("RSS per idle connection, KiB, vs OpenSSL with SSL_MODE_RELEASE_BUFFERS", "rss_kib_idle", 2, base="rss_kib_idle_rb")
print(f"| *ours against ours* | | | | |")
row("client CPU per resumed handshake / per full handshake (ours; the OpenSSL column is our full)",
    "cpu_ms_resume", 3, base="cpu_ms_full", base_side="ours")
s = med("s_time_user_ms", "openssl")
if s is not None:
    print(f"| `openssl s_time -new` user CPU per handshake, ms (user only, **no verification**; not comparable) "
          f"| | {s:.3f} | | |")

def ratio(metric, base, base_side="openssl"):
    ours, other = values.get((metric, "ours"), {}), values.get((base, base_side), {})
    r = [ours[k] / other[k] for k in sorted(ours) if k in other and other[k] > 0]
    return statistics.median(r) if r else None

print()
print("| target (issue P6) | limit | this run (median of paired ratios) | met |")
print("| --- | ---: | ---: | --- |")
for label, metric, base, side, limit in [
    ("client CPU per full handshake / OpenSSL's", "cpu_ms_full", "cpu_ms_full", "openssl", 0.55),
    ("… with the verified-chain cache / OpenSSL's", "cpu_ms_fullcache", "cpu_ms_full", "openssl", 0.40),
    ("client CPU per resumed handshake / our full handshake", "cpu_ms_resume", "cpu_ms_full", "ours", 0.35),
    ("client CPU per GiB / OpenSSL's", "cpu_s_per_gib", "cpu_s_per_gib", "openssl", 0.70),
]:
    r = ratio(metric, base, side)
    met = "–" if r is None else ("yes" if r <= limit else "**no**")
    print(f"| {label} | ≤ {limit:.2f} | {fmt(r, 2)} | {met} |")
EOF
echo
echo "Negotiated with the bench server: ours $negotiated_ours; OpenSSL $negotiated_openssl."
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
