#!/usr/bin/env bash
# A trace's HTML page, screenshotted by headless Chromium: how Docs/trace-sample.png is made.
#
#   Scripts/trace-screenshot.sh TRACE.json|TRACE.html OUT.png [FRAGMENT]
#
# TRACE.json (what `tls13 trace --format json` writes) is rendered first, by the CLI's own renderer
# (Sources/TLS13CLI/Trace/TraceHTML.swift) compiled with swiftc into .build/trace-html-render; TRACE.html (what
# `--format html` writes) is used as it is. FRAGMENT picks the event whose panel is open: `kind=tls.handshake`
# (the default: the first handshake message, the ClientHello) or `ev-N` (event N). The window is 1400×1800 unless
# WIDTH / HEIGHT say otherwise; TRACE_HTML=FILE keeps the rendered page.
#
# Offline: names resolve nowhere and a proxy on a closed port takes everything else; the browser profile and HOME
# are a temporary directory, removed at the end. Needs Debian's chromium (Scripts/install-deps.sh installs it).
#
# The docs' screenshot:
#   Scripts/trace-screenshot.sh Tests/TLS13Tests/Vectors/trace/sample.json Docs/trace-sample.png
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    sed -n '2,/^set /p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
input=$(realpath "$1")
output=$(realpath -m "$2")
fragment=${3:-kind=tls.handshake}
width=${WIDTH:-1400}
height=${HEIGHT:-1800}
cd "$(dirname "$0")/.."
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$chromium" ] || { echo "trace-screenshot: no chromium (Scripts/install-deps.sh installs it)" >&2; exit 1; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/tls13-trace-screenshot.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

case "$input" in
*.html) html=$input ;;
*)
    renderer=.build/trace-html-render
    sources=(Sources/TLS13CLI/Trace/JSONValue.swift Sources/TLS13CLI/Trace/JSONParser.swift
             Sources/TLS13CLI/Trace/TraceHTML.swift Sources/TLS13CLI/Trace/TraceHTMLAssets.swift
             Scripts/trace-html-render.swift)
    stale=0
    [ -x "$renderer" ] || stale=1
    for s in "${sources[@]}"; do [ "$s" -nt "$renderer" ] && stale=1; done
    if [ $stale -eq 1 ]; then
        echo "trace-screenshot: compiling the renderer into $renderer" >&2
        mkdir -p .build
        swiftc -parse-as-library -swift-version 6 -O -o "$renderer" "${sources[@]}"
    fi
    html=$scratch/trace.html
    "$renderer" < "$input" > "$html"
    ;;
esac
[ -z "${TRACE_HTML:-}" ] || cp "$html" "$TRACE_HTML"
# The file URL: the characters a path may hold that a URL would read otherwise, percent-encoded.
url="file://$(printf '%s' "$html" | sed 's/%/%25/g; s/ /%20/g; s/#/%23/g; s/?/%3F/g')#$fragment"

HOME=$scratch XDG_CONFIG_HOME=$scratch/config XDG_CACHE_HOME=$scratch/cache \
timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --no-default-browser-check --disable-extensions --disable-background-networking --disable-component-update \
    --disable-sync --disable-default-apps --mute-audio \
    --host-resolver-rules='MAP * ~NOTFOUND' --proxy-server=http://127.0.0.1:9 \
    --user-data-dir="$scratch/profile" --hide-scrollbars --force-device-scale-factor=1 \
    --window-size="$width,$height" --screenshot="$output" "$url" 2>"$scratch/chromium.log" || {
    echo "trace-screenshot: chromium failed:" >&2; tail -20 "$scratch/chromium.log" >&2; exit 1; }
[ -s "$output" ] || { echo "trace-screenshot: no screenshot written" >&2; exit 1; }
echo "trace-screenshot: wrote $output" >&2
