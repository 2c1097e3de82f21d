#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer (see Docs/Fuzzing.md).
#
#   Scripts/fuzz.sh TARGET SECONDS [libFuzzer options…]   build if needed, run TARGET for SECONDS
#   Scripts/fuzz.sh build [TARGET…]                       build the fuzz binaries only
#   Scripts/fuzz.sh replay TARGET FILE…                   run inputs once (e.g. a crasher)
#   Scripts/fuzz.sh minimize TARGET FILE                  minimize a crasher (writes FILE.min)
#   Scripts/fuzz.sh seeds                                 regenerate the generated seeds under Fuzz/Corpus/
#
# TARGET: record | messages | client | certificate.
#
# The library is compiled here, with swiftc, as a separate module with -DTLS13_FUZZING and
# -sanitize=fuzzer,address into .build-fuzz/ (gitignored); `swift build` / `swift test` never see the flag
# or the fuzz targets. A run reads the committed corpus Fuzz/Corpus/TARGET/ and writes new inputs only to
# .build-fuzz/corpus/TARGET/, so the committed corpus does not grow. A crash leaves the input in
# Fuzz/Crashes/ (gitignored) and makes this script exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=.build-fuzz
TARGETS=(record messages client certificate)
SWIFTC=${SWIFTC:-swiftc}
# The library's C modules (system-library targets: a module map and a header each).
INCLUDES=(-I Sources/COpenSSL -I Sources/CEpoll -I Sources/CZlib -I Sources/CBrotli -I Sources/CZstd)
# -package-name: the module has `package` declarations (the connection layer's lock, shared with the CLI).
COMMON=(-swift-version 6 -O -g -DTLS13_FUZZING -sanitize=fuzzer,address -package-name swift_tls13 "${INCLUDES[@]}")
# The system libraries the module links (its C modules' `link` lines, given explicitly).
LIBS=(-lcrypto -lz -lbrotlidec -lbrotlienc -lzstd)

max_len() {
    case "$1" in
        record) echo 17408 ;;   # a full-size protected record is 5 + 2^14 + 256 bytes
        messages) echo 4096 ;;
        client) echo 8192 ;;    # a flight with a certificate chain
        certificate) echo 4096 ;;
    esac
}

is_target() {
    local t
    for t in "${TARGETS[@]}"; do [[ "$t" == "$1" ]] && return 0; done
    return 1
}

usage() {
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# Newest modification time among the files given (0 if none).
newest() {
    local newest=0 t f
    for f in "$@"; do
        t=$(stat -c %Y "$f")
        ((t > newest)) && newest=$t
    done
    echo "$newest"
}

mtime() { [[ -e "$1" ]] && stat -c %Y "$1" || echo 0; }

# Runs a link command, hiding gold's harmless "Cannot export local symbol '__asan_…'" warnings.
quiet_link() {
    local log="$OUT/link.log" status=0
    "$@" >"$log" 2>&1 || status=$?
    grep -v "Cannot export local symbol" "$log" >&2 || true
    return "$status"
}

build_module() {
    mkdir -p "$OUT/modules"
    local sources
    mapfile -t sources < <(find Sources/TLS13 -name '*.swift' | sort)
    local flags="${COMMON[*]} $("$SWIFTC" --version 2>&1 | head -n 1)"
    if (($(newest "${sources[@]}") < $(mtime "$OUT/TLS13.o"))) && [[ "$(cat "$OUT/TLS13.flags" 2>/dev/null)" == "$flags" ]]; then
        return
    fi
    echo "fuzz.sh: compiling TLS13 with -DTLS13_FUZZING -sanitize=fuzzer,address…" >&2
    "$SWIFTC" "${COMMON[@]}" -module-name TLS13 -parse-as-library -whole-module-optimization \
        -c "${sources[@]}" -o "$OUT/TLS13.o.tmp" \
        -emit-module -emit-module-path "$OUT/modules/TLS13.swiftmodule"
    mv "$OUT/TLS13.o.tmp" "$OUT/TLS13.o"
    echo "$flags" >"$OUT/TLS13.flags"
}

build_target() {
    local target=$1
    build_module
    if (($(newest Fuzz/Targets/"$target".swift "$OUT/TLS13.o") < $(mtime "$OUT/fuzz-$target"))); then
        return
    fi
    echo "fuzz.sh: linking $OUT/fuzz-$target…" >&2
    quiet_link "$SWIFTC" "${COMMON[@]}" -parse-as-library -I "$OUT/modules" \
        Fuzz/Targets/"$target".swift "$OUT/TLS13.o" "${LIBS[@]}" -o "$OUT/fuzz-$target"
}

# The seed generator: a normal program (no libFuzzer main) over the same instrumented module.
build_seedgen() {
    build_module
    if (($(newest Fuzz/Tools/seedgen.swift "$OUT/TLS13.o") < $(mtime "$OUT/seedgen"))); then
        return
    fi
    local rt
    rt=$(ls /opt/swift/usr/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | head -n 1 || true)
    [[ -n "$rt" ]] || rt=$("$SWIFTC" -print-target-info | sed -n 's/.*"runtimeResourcePath": "\(.*\)".*/\1/p')/clang/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a
    echo "fuzz.sh: linking $OUT/seedgen…" >&2
    quiet_link "$SWIFTC" -swift-version 5 -O -g -DTLS13_FUZZING -sanitize=address "${INCLUDES[@]}" -I "$OUT/modules" \
        Fuzz/Tools/seedgen.swift "$OUT/TLS13.o" "${LIBS[@]}" -Xlinker "$rt" -lstdc++ -o "$OUT/seedgen"
}

# Prints the figures of a libFuzzer log: executions, coverage, features, corpus, duration.
summarize() {
    local target=$1 log=$2 seconds=$3 status=$4
    local execs cov ft corp
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
    corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -n 1 | cut -d' ' -f2)
    echo "fuzz.sh: target=$target seconds=$seconds executions=${execs:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?} exit=$status date=$(date -u +%Y-%m-%dT%H:%MZ)"
}

run_target() {
    local target=$1 seconds=$2
    shift 2
    build_target "$target"
    local scratch="$OUT/corpus/$target"
    mkdir -p "$scratch" Fuzz/Crashes "$OUT/logs"
    local log="$OUT/logs/$target-$(date -u +%Y%m%dT%H%M%S).log"
    echo "fuzz.sh: running $target for ${seconds}s (log: $log)" >&2
    local dict=()
    [[ "$target" != certificate && -f Fuzz/Dictionaries/tls.dict ]] && dict=(-dict=Fuzz/Dictionaries/tls.dict)
    local status=0
    # Without the Swift runtime's backtracer libFuzzer's own handler saves the input at once (replay shows the
    # Swift stack).
    SWIFT_BACKTRACE=enable=no "$OUT/fuzz-$target" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$(max_len "$target")" \
        -timeout=10 -print_final_stats=1 -artifact_prefix="Fuzz/Crashes/$target-" "${dict[@]}" "$@" \
        "$scratch" "Fuzz/Corpus/$target" >"$log" 2>&1 || status=$?
    if ((status != 0)); then
        tail -n 60 "$log" >&2
        echo "fuzz.sh: $target stopped with status $status; crasher(s):" >&2
        ls -t Fuzz/Crashes/"$target"-* 2>/dev/null | head -n 5 >&2 || true
    fi
    summarize "$target" "$log" "$seconds" "$status"
    return "$status"
}

[[ $# -ge 1 ]] || usage
case "$1" in
    build)
        shift
        if [[ $# -eq 0 ]]; then set -- "${TARGETS[@]}"; fi
        for t in "$@"; do
            is_target "$t" || usage
            build_target "$t"
        done
        ;;
    replay)
        [[ $# -ge 3 ]] && is_target "$2" || usage
        target=$2
        shift 2
        build_target "$target"
        # The Swift runtime prints the stack; not interactive, so it never waits for a terminal.
        SWIFT_BACKTRACE=interactive=no "$OUT/fuzz-$target" -rss_limit_mb=2048 "$@" </dev/null
        ;;
    minimize)
        [[ $# -eq 3 ]] && is_target "$2" || usage
        build_target "$2"
        SWIFT_BACKTRACE=enable=no "$OUT/fuzz-$2" -rss_limit_mb=2048 -minimize_crash=1 -max_total_time=120 \
            -exact_artifact_path="$3.min" "$3" </dev/null
        ;;
    seeds)
        build_seedgen
        ASAN_OPTIONS=detect_leaks=0 "$OUT/seedgen" "$(pwd)"
        ;;
    *)
        [[ $# -ge 2 ]] && is_target "$1" && [[ "$2" =~ ^[0-9]+$ ]] || usage
        run_target "$@"
        ;;
esac
