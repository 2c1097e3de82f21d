#!/usr/bin/env bash
# Builds the DocC documentation of the TLS13 library (Sources/TLS13/TLS13.docc and every public symbol's comment) and
# of the TLS13NIO library (Sources/TLS13NIO/TLS13NIO.docc) with swift-docc-plugin, one target after the other, and
# fails on any DocC warning (a broken ``link``, a parameter documented that does not exist or missing beside
# documented ones, an ambiguous reference) and on any public symbol declared without a doc comment. Members the compiler synthesizes for a conformance (`!=`, `hash(into:)`, `hashValue`, a raw-value enum's
# `init(rawValue:)`) and the helpers TLS13ClientHandler inherits from NIOCore's ChannelHandler protocols
# (`wrapInboundOut(_:)`, `unwrapInboundIn(_:)`, …) have no source here to document and are not counted.
#
#   Scripts/docc.sh            # the archives: .build/plugins/Swift-DocC/outputs/TLS13.doccarchive, TLS13NIO.doccarchive
#
# Scripts/test.sh runs it after the test suite (about 40 s once the library is built).
set -euo pipefail
cd "$(dirname "$0")/.."

log="$(mktemp "${TMPDIR:-/tmp}/tls13-docc.XXXXXX")"
trap 'rm -f "$log"' EXIT

for target in TLS13 TLS13NIO; do
if ! swift package generate-documentation --target "$target" \
    --experimental-documentation-coverage --coverage-summary-level detailed >"$log" 2>&1; then
    cat "$log" >&2
    echo "docc.sh: swift package generate-documentation --target $target failed" >&2
    exit 1
fi

warnings="$(grep -c 'warning:' "$log" || true)"
if [ "$warnings" -ne 0 ]; then
    grep -B2 -A6 'warning:' "$log" >&2
    echo "docc.sh: $target: $warnings DocC warning(s)" >&2
    exit 1
fi

# The coverage table: Symbol Name | Kind | Abstract? | Curated? | Code Listing? | Parameters | Language | Reference Path
undocumented="$(python3 - "$log" "$target" <<'PY'
import sys
synthesized = ("/!=(_:_:)", "/hash(into:)", "/hashValue", "/init(rawValue:)",
               # Default implementations TLS13ClientHandler inherits from NIOCore's handler protocols.
               "/wrapInboundOut(_:)", "/unwrapInboundIn(_:)", "/wrapOutboundOut(_:)", "/unwrapOutboundIn(_:)")
prefix = f"doc://{sys.argv[2]}/documentation/{sys.argv[2]}/"
for line in open(sys.argv[1], encoding="utf-8"):
    cols = [c.strip() for c in line.split("|")]
    if len(cols) < 8 or not cols[-1].startswith("doc://"):
        continue
    kind, abstract, path = cols[1], cols[2], cols[-1]
    if kind in ("CollectionGroup", "Article") or abstract != "false" or path.endswith(synthesized):
        continue
    print(f"  {kind}: {path.replace(prefix, '')}")
PY
)"
if [ -n "$undocumented" ]; then
    echo "docc.sh: $target: public symbols without a doc comment:" >&2
    echo "$undocumented" >&2
    exit 1
fi
echo "docc.sh: $target documentation built, 0 warnings, every public symbol documented"
done
