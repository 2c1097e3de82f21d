#!/usr/bin/env bash
# First contact: what one run of the `tls13` command costs as a whole process, against the C tools a person
# would otherwise type, in paired, alternating runs (Docs/Benchmarks.md, "First contact").
#
# Usage: Scripts/bench-first-contact.sh [--runs 15] [--tls13 PATH]
#
# Builds the release CLI (Scripts/build-release.sh, unless --tls13 names a binary) and Benchmarks/run-usage.c,
# starts `openssl s_server -www -tls1_3` on a loopback port (ECDSA P-256 leaf + intermediate from Certs/), and
# runs each pair below --runs times, who goes first alternating from run to run:
#   connect  tls13 connect 127.0.0.1:PORT --servername localhost --cafile Certs/ca.pem --quiet  </dev/null
#            openssl s_client -connect 127.0.0.1:PORT -servername localhost -CAfile Certs/ca.pem
#                -verify_return_error -verify_hostname localhost -tls1_3 -quiet -no_ign_eof   </dev/null
#   get      tls13 get https://127.0.0.1:PORT/ --cafile Certs/ca.pem
#            curl -s -o /dev/null --tlsv1.3 --cacert Certs/ca.pem https://127.0.0.1:PORT/
#   version  tls13 --version  /  openssl version   (the cost of starting the process at all)
# Each run is one whole process under Benchmarks/bin/run-usage (fork, exec, wait4): wall time, user+sys CPU and
# peak RSS, at microsecond resolution. Prints a Markdown table of the medians, the median of the paired ratios
# ours / theirs with the per-run ratios' quartiles, and the targets of issue P13 (CPU and wall <= 1.0x openssl
# s_client, peak RSS <= 16 MiB), plus the shared libraries the release binary needs. Exits non-zero if any run
# fails. The server is stopped by PID on exit.
source "$(dirname "$0")/lib.sh"

runs=15 tls13=""
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --tls13) tls13="$2"; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--tls13 PATH]" >&2; exit 2 ;;
    esac
done

Scripts/install-deps.sh
command -v curl >/dev/null 2>&1 || { echo "bench-first-contact: installing curl" >&2; apt-get install -y -qq curl >/dev/null; }

if [ -z "$tls13" ]; then
    echo "== building (Scripts/build-release.sh; cc -O2)" >&2
    Scripts/build-release.sh >"$work/build.log" 2>&1 || { tail -20 "$work/build.log" >&2; fail "release build failed"; }
    tls13="$(Scripts/build-release.sh --show-bin-path)/tls13"
fi
[ -x "$tls13" ] || fail "no executable at $tls13"
mkdir -p Benchmarks/bin
cc -O2 -Wall -Wextra -o Benchmarks/bin/run-usage Benchmarks/run-usage.c
runusage="$root/Benchmarks/bin/run-usage"

openssl s_server -accept 127.0.0.1:0 -www -tls1_3 -cert Certs/leaf-ecdsa-p256.pem -key Certs/leaf-ecdsa-p256.key \
    -cert_chain Certs/intermediate.pem </dev/null >"$work/server.out" 2>"$work/server.out.err" &
pids+=($!)
port="$(wait_for_port "$work/server.out" "${pids[-1]}")" || fail "openssl s_server did not start"

ours_connect=("$tls13" connect "127.0.0.1:$port" --servername localhost --cafile Certs/ca.pem --quiet)
theirs_connect=(openssl s_client -connect "127.0.0.1:$port" -servername localhost -CAfile Certs/ca.pem
    -verify_return_error -verify_hostname localhost -tls1_3 -quiet -no_ign_eof)
ours_get=("$tls13" get "https://127.0.0.1:$port/" --cafile Certs/ca.pem)
theirs_get=(curl -s -o /dev/null --tlsv1.3 --cacert Certs/ca.pem "https://127.0.0.1:$port/")
ours_version=("$tls13" --version)
theirs_version=(openssl version)

# Each command once, checked: it must succeed against the server.
for c in ours_connect theirs_connect ours_get theirs_get ours_version theirs_version; do
    declare -n cmd="$c"
    line="$("$runusage" "${cmd[@]}")"
    [ "${line##* }" = 0 ] || fail "$c failed (exit ${line##* }): ${cmd[*]}"
done

results="$work/results.tsv" # pair, run, side, wall, cpu, rss
: >"$results"
echo "== $runs alternating runs of connect, get, version; s_server on 127.0.0.1:$port" >&2
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "   load average $load_start" >&2
for run in $(seq "$runs"); do
    if [ $((run % 2)) = 1 ]; then order=(ours theirs); else order=(theirs ours); fi
    for pair in connect get version; do
        for side in "${order[@]}"; do
            declare -n cmd="${side}_${pair}"
            line="$("$runusage" "${cmd[@]}")"
            read -r wall cpu rss status <<<"$line"
            [ "$status" = 0 ] || fail "$side $pair failed in run $run (exit $status): ${cmd[*]}"
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$pair" "$run" "$side" "$wall" "$cpu" "$rss" >>"$results"
        done
    done
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$results" "$runs" <<'EOF'
import statistics, sys
from collections import defaultdict
path, runs = sys.argv[1], int(sys.argv[2])
v = defaultdict(dict)  # (pair, side, metric) -> {run: value}
for line in open(path):
    pair, run, side, wall, cpu, rss = line.rstrip("\n").split("\t")
    for metric, value in (("wall", float(wall)), ("cpu", float(cpu)), ("rss", float(rss))):
        v[(pair, side, metric)][int(run)] = value

def med(pair, side, metric): return statistics.median(v[(pair, side, metric)].values())
def ratios(pair, metric):
    a, b = v[(pair, "ours", metric)], v[(pair, "theirs", metric)]
    return sorted(a[r] / b[r] for r in a if r in b and b[r] > 0)
def quartiles(xs):
    q = statistics.quantiles(xs, n=4) if len(xs) > 1 else [xs[0]] * 3
    return q[0], q[2]

names = {"connect": ("`tls13 connect … --quiet`", "`openssl s_client … -quiet`"),
         "get": ("`tls13 get https://…/`", "`curl --cacert … https://…/`"),
         "version": ("`tls13 --version`", "`openssl version`")}
units = {"wall": ("wall, ms", 1), "cpu": ("CPU (user+sys), ms", 1), "rss": ("peak RSS, MiB", 1)}
print(f"| whole process ({runs} alternating runs, medians) | ours | theirs | ours / theirs (median of paired ratios) | quartiles of the paired ratios |")
print("| --- | ---: | ---: | ---: | --- |")
for pair in ("connect", "get", "version"):
    ours, theirs = names[pair]
    for metric in ("cpu", "wall", "rss"):
        label, digits = units[metric]
        scale = 1 / 1024 if metric == "rss" else 1
        rs = ratios(pair, metric)
        lo, hi = quartiles(rs)
        print(f"| {ours} vs {theirs}: {label} | {med(pair, 'ours', metric) * scale:.{digits}f} "
              f"| {med(pair, 'theirs', metric) * scale:.{digits}f} | **{statistics.median(rs):.2f}** | {lo:.2f}–{hi:.2f} |")

print()
print("| target (issue P13) | limit | this run | met |")
print("| --- | ---: | ---: | --- |")
for label, value, limit, unit in [
    ("`connect` whole-process CPU / `openssl s_client`", statistics.median(ratios("connect", "cpu")), 1.0, "×"),
    ("`connect` whole-process wall / `openssl s_client`", statistics.median(ratios("connect", "wall")), 1.0, "×"),
    ("`connect` peak RSS", med("connect", "ours", "rss") / 1024, 16.0, " MiB"),
]:
    print(f"| {label} | ≤ {limit:.1f}{unit} | {value:.2f}{unit} | {'yes' if value <= limit else '**no**'} |")
EOF
echo
echo "Load average: $load_start at the start, $load_end at the end (1, 5, 15 minutes; $(nproc) cores)."
echo "Shared libraries of the release tls13 (ldd): $(ldd "$tls13" | awk '{print $1}' | grep -v '^linux-vdso' | tr '\n' ' ')"
