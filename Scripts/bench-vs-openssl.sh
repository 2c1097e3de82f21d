#!/usr/bin/env bash
# Our client against OpenSSL's libssl client, the same work measured the same way, interleaved rep by rep.
#
# Usage: Scripts/bench-vs-openssl.sh [--reps 5] [-n 1000] [--mib 256] [--connections 1000] [--hybrid-n 100]
#                                     [--no-s-time] [--no-hybrid]
#
# Builds the release CLI (Scripts/build-release.sh) and the C programs in Benchmarks/ (into Benchmarks/bin/),
# starts Benchmarks/bench-server (libssl; ECDSA P-256 leaf + intermediate from Certs/), nginx with TLS 1.3
# (Benchmarks/nginx/start-nginx.sh, for the idle connections), `openssl s_server -www` (first contact) and two
# tlslite-ng servers in their bench mode (Tests/TLS13Tests/Support/tlslite_server.py --bench: one negotiates
# X25519MLKEM768, one x25519), then for each rep runs every measurement once with `tls13 bench` and once with
# Benchmarks/openssl-client (who goes first alternates from rep to rep):
#   full    -n N handshakes under /usr/bin/time -v  -> client CPU per full handshake, peak RSS for N
#   full    -n N, ours only, --verified-chain-cache -> the same with the verified-chain cache (on by default)
#   full    -n N, ours only, default configuration   -> the same as a user gets it: X25519MLKEM768 offered, its
#                                                       share sent on the first connection only (the server picks
#                                                       x25519, remembered by the key-share hint), chain cache on
#   resume  -n N handshakes (ours: also default)     -> client CPU per resumed handshake
#   bulk    --mib M on one connection (ours: also default) -> client CPU per GiB
#   full    -n 1 under /usr/bin/time -v              -> peak RSS for 1 (plus the warm-up connection)
#   idle    --connections C against nginx            -> heap (mallinfo2) and RSS per idle connection
#   first   one `tls13 connect … --quiet` / `openssl s_client … -quiet` process, three alternating pairs
#           (Benchmarks/bin/run-usage)                -> whole-process CPU, wall and peak RSS
#   hybrid  ours, default groups, -n H against tlslite-ng picking X25519MLKEM768 and picking x25519
#                                                     -> the client CPU a negotiated hybrid adds
# and prints a Markdown table: medians of each side and the median of the paired ratios ours / OpenSSL
# (ratio < 1: ours uses less), then the targets of issues P6 and P13. Exits non-zero if any run fails or any
# connection was not ok / not resumed / not of the expected group. All servers are stopped by PID on exit.
source "$(dirname "$0")/lib.sh"

reps=5 n=1000 mib=256 connections=1000 s_time=1 hybrid=1 hybrid_n=100
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) reps="$2"; shift 2 ;;
        -n) n="$2"; shift 2 ;;
        --mib) mib="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --hybrid-n) hybrid_n="$2"; shift 2 ;;
        --no-s-time) s_time=0; shift ;;
        --no-hybrid) hybrid=0; shift ;;
        *) echo "usage: $0 [--reps N] [-n N] [--mib M] [--connections C] [--hybrid-n H] [--no-s-time] [--no-hybrid]" >&2
           exit 2 ;;
    esac
done

Scripts/install-deps.sh
[ -x /usr/bin/time ] || { echo "bench-vs-openssl: installing time" >&2; apt-get install -y -qq time >/dev/null; }

nginx_pid="" # nginx itself (a child of start-nginx.sh, which stops it on SIGTERM): stopped last if still there
cleanup_hooks+=('if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then kill "$nginx_pid"; fi')

echo "== building (Scripts/build-release.sh; cc -O2)" >&2
if ! Scripts/build-release.sh >"$work/build.log" 2>&1; then
    grep -E "error" "$work/build.log" >&2 || tail -20 "$work/build.log" >&2
    fail "release build failed"
fi
tls13="$(Scripts/build-release.sh --show-bin-path)/tls13"
mkdir -p Benchmarks/bin
for prog in bench-server openssl-client; do
    cc -O2 -Wall -Wextra -o "Benchmarks/bin/$prog" "Benchmarks/$prog.c" -lssl -lcrypto
done
cc -O2 -Wall -Wextra -o Benchmarks/bin/run-usage Benchmarks/run-usage.c
ossl="$root/Benchmarks/bin/openssl-client"
runusage="$root/Benchmarks/bin/run-usage"

# Waits for "ACCEPT 127.0.0.1:PORT" in $1 (written by the process $2) and prints 127.0.0.1:PORT.
wait_accept() {
    local port
    port="$(wait_for_port "$1" "$2")" || return 1
    echo "127.0.0.1:$port"
}

Benchmarks/bin/bench-server -cert Certs/leaf-ecdsa-p256.pem -key Certs/leaf-ecdsa-p256.key \
    -chain Certs/intermediate.pem >"$work/bench-server.out" 2>"$work/bench-server.out.err" &
pids+=($!)
server="$(wait_accept "$work/bench-server.out" "${pids[-1]}")"

Benchmarks/nginx/start-nginx.sh >"$work/nginx.out" 2>"$work/nginx.out.err" &
pids+=($!)
nginx="$(wait_accept "$work/nginx.out" "${pids[-1]}")"
nginx_pid="$(awk '/^nginx pid/{print $3; exit}' "$work/nginx.out.err" | tr -d ,)"

# First contact: OpenSSL's own server, as a person would try the CLI (Scripts/bench-first-contact.sh).
openssl s_server -accept 127.0.0.1:0 -www -tls1_3 -cert Certs/leaf-ecdsa-p256.pem -key Certs/leaf-ecdsa-p256.key \
    -cert_chain Certs/intermediate.pem </dev/null >"$work/s_server.out" 2>"$work/s_server.out.err" &
pids+=($!)
www="$(wait_accept "$work/s_server.out" "${pids[-1]}")"

# The hybrid for real: tlslite-ng (the only server here with X25519MLKEM768), once picking it, once picking x25519.
python="$root/.build-venv/bin/python3"
if [ "$hybrid" = 1 ]; then
    "$python" -u Tests/TLS13Tests/Support/tlslite_server.py --certs Certs --bench \
        >"$work/tlslite-hybrid.out" 2>"$work/tlslite-hybrid.out.err" &
    pids+=($!)
    tlslite_hybrid="$(wait_accept "$work/tlslite-hybrid.out" "${pids[-1]}")"
    "$python" -u Tests/TLS13Tests/Support/tlslite_server.py --certs Certs --bench --group x25519 --group secp256r1 \
        >"$work/tlslite-x25519.out" 2>"$work/tlslite-x25519.out.err" &
    pids+=($!)
    tlslite_x25519="$(wait_accept "$work/tlslite-x25519.out" "${pids[-1]}")"
fi

# The same offer as Benchmarks/openssl-client.c (X25519:P-256:P-384, one X25519 key share): without it ours would
# also generate an ML-KEM-768 key per handshake for the X25519MLKEM768 share OpenSSL 3.0 cannot offer (that cost is
# measured on its own: Docs/Benchmarks.md, "X25519MLKEM768").
# (The C client takes OpenSSL's own group syntax and already defaults to X25519:P-256:P-384: only ours gets --groups.)
# And every chain verified in full, as OpenSSL's client does (our verified-chain cache is on by default).
tls=(--servername localhost --cafile Certs/ca.pem)
ours_tls=("${tls[@]}" --groups x25519,secp256r1,secp384r1)
full_verification=(--no-verified-chain-cache)

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
    for what in full fullcache fulldefault resume resumedefault bulk bulkdefault full1 idle first hybrid; do
        for side in "${order[@]}"; do
            case "$what" in
                full | resume)
                    if [ "$side" = ours ]; then c=("$tls13" bench "$what" "$server" "${ours_tls[@]}" "${full_verification[@]}" -n "$n")
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
                fulldefault | resumedefault | bulkdefault)
                    # Ours in the default configuration (no --groups, chain cache and key-share hints on): the
                    # X25519MLKEM768 share is generated and sent on the warm-up connection; the bench server
                    # (OpenSSL 3.0, no ML-KEM) picks x25519, and later hellos send that share. Paired with OpenSSL's.
                    [ "$side" = ours ] || continue
                    mode="${what%default}"
                    if [ "$mode" = bulk ]; then c=("$tls13" bench bulk "$server" "${tls[@]}" --mib "$mib")
                    else c=("$tls13" bench "$mode" "$server" "${tls[@]}" -n "$n"); fi
                    run ours "$what" 0 "${c[@]}"
                    out="$work/$what.ours.out"
                    if [ "$mode" = bulk ]; then
                        record cpu_s_per_gib_default ours "$(field cpu_s_per_gib "$out")"
                    else
                        [ "$(field ok "$out")" = "$n" ] || fail "ours $what: ok=$(field ok "$out") of $n"
                        record "cpu_ms_${mode}_default" ours "$(field cpu_ms_per_hs "$out")"
                        if [ "$mode" = resume ]; then
                            [ "$(json resumed "$work/$what.ours.json")" = "$n" ] || fail "ours $what: not all resumed"
                        fi
                    fi
                    ;;
                first)
                    # Whole processes, three alternating pairs: the median of the three per side.
                    [ "$side" = ours ] || continue
                    for k in 1 2 3; do
                        for s in ours openssl; do
                            [ $((k % 2)) = 0 ] && s=$([ "$s" = ours ] && echo openssl || echo ours)
                            if [ "$s" = ours ]; then
                                c=("$tls13" connect "$www" --servername localhost --cafile Certs/ca.pem --quiet)
                            else
                                c=(openssl s_client -connect "$www" -servername localhost -CAfile Certs/ca.pem
                                    -verify_return_error -verify_hostname localhost -tls1_3 -quiet -no_ign_eof)
                            fi
                            line="$("$runusage" "${c[@]}")"
                            [ "${line##* }" = 0 ] || fail "first contact, $s: exit ${line##* } (rep $rep)"
                            echo "$line" >>"$work/first.$s.$rep"
                        done
                    done
                    for s in ours openssl; do
                        record first_cpu_ms "$s" "$(awk '{print $2}' "$work/first.$s.$rep" | sort -n | sed -n 2p)"
                        record first_wall_ms "$s" "$(awk '{print $1}' "$work/first.$s.$rep" | sort -n | sed -n 2p)"
                        record first_rss_kib "$s" "$(awk '{print $3}' "$work/first.$s.$rep" | sort -n | sed -n 2p)"
                    done
                    ;;
                hybrid)
                    # Ours (default groups) against tlslite-ng: the hybrid negotiated, then x25519 (order alternates).
                    [ "$side" = ours ] && [ "$hybrid" = 1 ] || continue
                    if [ $((rep % 2)) = 1 ]; then kinds=(hybrid x25519); else kinds=(x25519 hybrid); fi
                    for kind in "${kinds[@]}"; do
                        if [ "$kind" = hybrid ]; then address="$tlslite_hybrid"; expect=X25519MLKEM768
                        else address="$tlslite_x25519"; expect=X25519; fi
                        run ours "tl-$kind" 0 "$tls13" bench full "$address" "${tls[@]}" -n "$hybrid_n"
                        out="$work/tl-$kind.ours.out"
                        [ "$(field ok "$out")" = "$hybrid_n" ] || fail "ours against tlslite ($kind): ok=$(field ok "$out")"
                        grep -q "negotiated: $expect\$" "$work/tl-$kind.ours.err" ||
                            fail "ours against tlslite ($kind) did not negotiate $expect: $(grep negotiated "$work/tl-$kind.ours.err")"
                        record "cpu_ms_tl_$kind" ours "$(field cpu_ms_per_hs "$out")"
                    done
                    ;;
                fullcache)
                    # Ours with the verified-chain cache (OpenSSL's client has none: its row is `full`).
                    [ "$side" = ours ] || continue
                    run ours fullcache 0 "$tls13" bench full "$server" "${ours_tls[@]}" -n "$n" --verified-chain-cache 3600
                    out="$work/fullcache.ours.out"
                    [ "$(field ok "$out")" = "$n" ] || fail "ours fullcache: ok=$(field ok "$out") of $n"
                    record cpu_ms_fullcache ours "$(field cpu_ms_per_hs "$out")"
                    record hs_per_s_fullcache ours "$(field hs_per_s "$out")"
                    ;;
                bulk)
                    if [ "$side" = ours ]; then c=("$tls13" bench bulk "$server" "${ours_tls[@]}" "${full_verification[@]}" --mib "$mib")
                    else c=("$ossl" bulk "$server" "${tls[@]}" --mib "$mib"); fi
                    run "$side" bulk 0 "${c[@]}"
                    record cpu_s_per_gib "$side" "$(field cpu_s_per_gib "$work/bulk.$side.out")"
                    record mb_per_s "$side" "$(field mb_per_s "$work/bulk.$side.out")"
                    ;;
                full1)
                    if [ "$side" = ours ]; then c=("$tls13" bench full "$server" "${ours_tls[@]}" "${full_verification[@]}" -n 1)
                    else c=("$ossl" full "$server" "${tls[@]}" -n 1); fi
                    run "$side" full1 1 "${c[@]}"
                    record peak_rss_1 "$side" "$(maxrss "$work/full1.$side.time")"
                    ;;
                idle)
                    if [ "$side" = ours ]; then c=("$tls13" bench idle "$nginx" "${ours_tls[@]}" "${full_verification[@]}" --connections "$connections")
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
row(f"client CPU per full handshake, ms, ours in the **default configuration** (X25519MLKEM768 offered; x25519 chosen and remembered; chain cache on)",
    "cpu_ms_full_default", 3, base="cpu_ms_full")
row(f"client CPU per full handshake, ms, ours: default configuration / x25519-only groups, both with the chain cache "
    f"(the OpenSSL column is ours)", "cpu_ms_full_default", 3, base="cpu_ms_fullcache", base_side="ours")
row(f"client CPU per resumed handshake, ms (user+sys, -n {n})", "cpu_ms_resume", 3)
row(f"client CPU per resumed handshake, ms, ours in the default configuration", "cpu_ms_resume_default", 3,
    base="cpu_ms_resume")
row(f"client CPU per GiB, s (bulk, {mib} MiB, one connection)", "cpu_s_per_gib", 3)
row(f"client CPU per GiB, s, ours in the default configuration", "cpu_s_per_gib_default", 3, base="cpu_s_per_gib")
row("first contact: whole-process CPU, ms (`tls13 connect … --quiet` / `openssl s_client … -quiet`, s_server -www)",
    "first_cpu_ms", 1)
row("first contact: whole-process wall, ms", "first_wall_ms", 1)
row("first contact: peak RSS, KiB", "first_rss_kib", 0)
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
def diff(a, b):
    x, y = values.get((a, "ours"), {}), values.get((b, "ours"), {})
    d = [x[k] - y[k] for k in sorted(x) if k in y]
    return (statistics.median(d), " ".join(f"{e:+.3f}" for e in d)) if d else (None, "–")
hyb, hyb_spread = diff("cpu_ms_tl_hybrid", "cpu_ms_tl_x25519")
if hyb is not None:
    print(f"| client CPU per full handshake against tlslite-ng, ms, ours (default groups): X25519MLKEM768 negotiated "
          f"| {fmt(med('cpu_ms_tl_hybrid', 'ours'), 3)} | {fmt(med('cpu_ms_tl_x25519', 'ours'), 3)} (x25519 negotiated) "
          f"| **{hyb:+.3f} ms** (median paired difference) | {hyb_spread} |")
off, off_spread = diff("cpu_ms_full_default", "cpu_ms_fullcache")
if off is not None:
    print(f"| offering the hybrid: ours default − ours with the C client's groups (both with the chain cache), ms per full handshake "
          f"| {fmt(med('cpu_ms_full_default', 'ours'), 3)} | {fmt(med('cpu_ms_fullcache', 'ours'), 3)} "
          f"| **{off:+.3f} ms** (median paired difference) | {off_spread} |")
s = med("s_time_user_ms", "openssl")
if s is not None:
    print(f"| `openssl s_time -new` user CPU per handshake, ms (user only, **no verification**; not comparable) "
          f"| | {s:.3f} | | |")

def ratio(metric, base, base_side="openssl"):
    ours, other = values.get((metric, "ours"), {}), values.get((base, base_side), {})
    r = [ours[k] / other[k] for k in sorted(ours) if k in other and other[k] > 0]
    return statistics.median(r) if r else None

print()
print("| target | limit | this run (median of paired ratios) | met |")
print("| --- | ---: | ---: | --- |")
for label, metric, base, side, limit in [
    ("P6: client CPU per full handshake / OpenSSL's", "cpu_ms_full", "cpu_ms_full", "openssl", 0.55),
    ("P6: … with the verified-chain cache / OpenSSL's", "cpu_ms_fullcache", "cpu_ms_full", "openssl", 0.40),
    ("P6: client CPU per resumed handshake / our full handshake", "cpu_ms_resume", "cpu_ms_full", "ours", 0.35),
    ("P6: client CPU per GiB / OpenSSL's", "cpu_s_per_gib", "cpu_s_per_gib", "openssl", 0.70),
    ("P13: first contact, whole-process CPU / `openssl s_client`", "first_cpu_ms", "first_cpu_ms", "openssl", 1.0),
    ("P13: first contact, whole-process wall / `openssl s_client`", "first_wall_ms", "first_wall_ms", "openssl", 1.0),
    ("P13: full handshake, default configuration / OpenSSL's", "cpu_ms_full_default", "cpu_ms_full", "openssl", 0.45),
    ("P13: full handshake, default configuration / ours with x25519-only groups", "cpu_ms_full_default",
     "cpu_ms_fullcache", "ours", 1.05),
    ("P13: resumed handshake, default configuration / OpenSSL's resumed", "cpu_ms_resume_default", "cpu_ms_resume",
     "openssl", 0.75),
    ("P13: client CPU per GiB, default configuration / OpenSSL's", "cpu_s_per_gib_default", "cpu_s_per_gib", "openssl", 0.80),
]:
    r = ratio(metric, base, side)
    met = "–" if r is None else ("yes" if r <= limit else "**no**")
    print(f"| {label} | ≤ {limit:.2f} | {fmt(r, 2)} | {met} |")
rss = med("first_rss_kib", "ours")
if rss is not None:
    print(f"| P13: first contact, peak RSS | ≤ 16 MiB | {rss / 1024:.1f} MiB | {'yes' if rss <= 16 * 1024 else '**no**'} |")
if hyb is not None:
    print(f"| P13: a negotiated X25519MLKEM768 over an x25519 handshake (client CPU) | ≤ +0.080 ms | {hyb:+.3f} ms "
          f"| {'yes' if hyb <= 0.08 else '**no**'} |")
EOF
echo
echo "Negotiated with the bench server: ours $negotiated_ours; OpenSSL $negotiated_openssl."
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
