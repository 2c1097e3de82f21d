#!/usr/bin/env bash
# Our client at an older revision against our client now, and both against OpenSSL's libssl client: the same work,
# measured the same way, interleaved rep by rep (who goes first rotates).
#
# Usage: Scripts/bench-before-after.sh REV [--reps 5] [-n 1000]
#
# REV is any git revision (e.g. the commit before a change). It is built with Scripts/build-release.sh in a
# temporary worktree under $TMPDIR (removed at the end); the working tree is built the same way. Each rep runs
# `tls13 bench full` and `tls13 bench resume` (-n N) with both binaries and Benchmarks/openssl-client `full`
# against Benchmarks/bench-server, and the script prints the medians and the median of the paired ratios:
# now / before (1.00: unchanged) and each / OpenSSL. Client CPU is user+sys of the client process (getrusage, as
# `tls13 bench` reports it). Exits non-zero if any run fails or any handshake was not ok. Servers stopped by PID.
source "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || { sed -n '2,/^source /p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
rev="$1"; shift
reps=5 n=1000
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) reps="$2"; shift 2 ;;
        -n) n="$2"; shift 2 ;;
        *) echo "usage: $0 REV [--reps N] [-n N]" >&2; exit 2 ;;
    esac
done
commit="$(git rev-parse --verify "$rev^{commit}")"

cleanup_hooks+=('git -C "$root" worktree remove --force "$work/before" 2>/dev/null')

echo "== building $rev ($commit) and the working tree (swift build -c release)" >&2
git worktree add --detach "$work/before" "$commit" >/dev/null 2>&1 || fail "git worktree add failed"
# Both with the same flags: Scripts/build-release.sh of the working tree.
(cd "$work/before" && "$root/Scripts/build-release.sh" >"$work/build-before.log" 2>&1) ||
    { tail -20 "$work/build-before.log" >&2; fail "release build of $rev failed"; }
before="$(cd "$work/before" && "$root/Scripts/build-release.sh" --show-bin-path)/tls13"
Scripts/build-release.sh >"$work/build-now.log" 2>&1 || { tail -20 "$work/build-now.log" >&2; fail "release build failed"; }
now="$(Scripts/build-release.sh --show-bin-path)/tls13"
mkdir -p Benchmarks/bin
for prog in bench-server openssl-client; do
    cc -O2 -Wall -Wextra -o "Benchmarks/bin/$prog" "Benchmarks/$prog.c" -lssl -lcrypto
done
ossl="$root/Benchmarks/bin/openssl-client"

Benchmarks/bin/bench-server -cert Certs/leaf-ecdsa-p256.pem -key Certs/leaf-ecdsa-p256.key \
    -chain Certs/intermediate.pem >"$work/server.out" 2>"$work/server.out.err" &
pids+=($!)
server="127.0.0.1:$(wait_for_port "$work/server.out" "${pids[-1]}")" || fail "bench server did not start"

tls=(--servername localhost --cafile Certs/ca.pem)
# The C client's offer (X25519, P-256, P-384 with one X25519 share), as in Scripts/bench-vs-openssl.sh.
ours_tls=("${tls[@]}" --groups x25519,secp256r1,secp384r1)
# Every chain verified in full by both binaries, as OpenSSL's client does: a binary whose bench has the switch
# (the verified-chain cache is on by default since P13) gets --no-verified-chain-cache; older ones had no cache.
# The flag that turns the verified-chain cache off, when the binary has it (older revisions verify every chain).
# The help text is read whole first: `grep -q` closing the pipe early would fail the pipeline under pipefail.
full_verification() {
    local help
    help="$("$1" bench full --help 2>/dev/null || true)"
    case "$help" in *--no-verified-chain-cache*) echo --no-verified-chain-cache ;; esac
}
before_flags=($(full_verification "$before"))
now_flags=($(full_verification "$now"))
results="$work/results.tsv"
: >"$results"
field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" "$2" | tail -1; }

measure() { # side what
    local side="$1" what="$2" out="$work/$1.$2.out"
    case "$side" in
        before) c=("$before" bench "$what" "$server" "${ours_tls[@]}" "${before_flags[@]}" -n "$n") ;;
        now) c=("$now" bench "$what" "$server" "${ours_tls[@]}" "${now_flags[@]}" -n "$n") ;;
        openssl) c=("$ossl" "$what" "$server" "${tls[@]}" -n "$n") ;;
    esac
    "${c[@]}" >"$out" 2>"$out.err" || { cat "$out.err" >&2; fail "$side $what failed (rep $rep)"; }
    [ "$(field ok "$out")" = "$n" ] || fail "$side $what: ok=$(field ok "$out") of $n"
    printf '%s\t%s\t%s\t%s\n' "$rep" "$what" "$side" "$(field cpu_ms_per_hs "$out")" >>"$results"
}

echo "== $reps reps of full and resume -n $n; server $server; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
orders=("before now openssl" "now openssl before" "openssl before now")
for rep in $(seq "$reps"); do
    read -r -a order <<<"${orders[$(((rep - 1) % 3))]}"
    for what in full resume; do
        for side in "${order[@]}"; do
            [ "$side" = openssl ] && [ "$what" = resume ] && continue
            measure "$side" "$what"
        done
    done
    echo "   rep $rep of $reps done (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
done

python3 - "$results" "$rev" "$n" <<'EOF'
import statistics, sys
from collections import defaultdict
path, rev, n = sys.argv[1], sys.argv[2], sys.argv[3]
v = defaultdict(dict)
for line in open(path):
    rep, what, side, value = line.rstrip("\n").split("\t")
    v[(what, side)][int(rep)] = float(value)
def med(what, side): return statistics.median(v[(what, side)].values())
def ratio(what, a, b):
    rs = [v[(what, a)][r] / v[(what, b)][r] for r in sorted(v[(what, a)])]
    return statistics.median(rs), " ".join(f"{x:.2f}" for x in rs)
print(f"| client CPU per handshake, ms (user+sys, -n {n}; medians) | before ({rev}) | now | OpenSSL "
      "| now / before (paired) | before / OpenSSL | now / OpenSSL |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for what in ("full", "resume"):
    r, rs = ratio(what, "now", "before")
    if (what, "openssl") in v:
        rb, _ = ratio(what, "before", "openssl"); rn, _ = ratio(what, "now", "openssl")
        o, bo, no = f"{med(what, 'openssl'):.3f}", f"{rb:.2f}", f"**{rn:.2f}**"
    else:
        o = bo = no = "–"
    print(f"| {what} | {med(what, 'before'):.3f} | {med(what, 'now'):.3f} | {o} | **{r:.2f}** ({rs}) | {bo} | {no} |")
EOF
