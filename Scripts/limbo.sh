#!/usr/bin/env bash
# Runs the x509-limbo path-validation suite (C2SP/x509-limbo) against the client's certificate verifier
# (`tls13 verify-chain`) and against `openssl verify`, and prints a verdict per server case and totals.
#
#   Scripts/limbo.sh [--include GLOB] [--quiet] [--export-vectors FILE]
#
# Where the cases come from (one of):
#   LIMBO_JSON=/path/to/limbo.json   a compiled suite, used as is;
#   LIMBO_DIR=/path/to/x509-limbo    a checkout of C2SP/x509-limbo: limbo.json is regenerated from it, offline,
#                                    with its own generator (`limbo compile`) into .build/limbo/limbo.json. Needs
#                                    python3 >= 3.11 and pip; the generator's PyPI packages (pydantic,
#                                    cryptography, pyyaml, jinja2, requests, certifi, pyOpenSSL) go into
#                                    .build/limbo/venv. The BetterTLS cases need limbo/_assets/bettertls.json;
#                                    when the checkout lacks it (a large asset some snapshots leave out), they
#                                    are left out and the script says so.
# Exit status: 0 when no chain that limbo rejects is accepted (apart from the exceptions listed in
# Docs/Security.md, "x509-limbo"); 1 otherwise; 2 on a setup problem. See Docs/Security.md for the counts.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK="$ROOT/.build/limbo"
mkdir -p "$WORK"

if [[ -n "${LIMBO_JSON:-}" ]]; then
    SUITE=$LIMBO_JSON
    [[ -r "$SUITE" ]] || { echo "limbo.sh: cannot read LIMBO_JSON=$SUITE" >&2; exit 2; }
elif [[ -n "${LIMBO_DIR:-}" ]]; then
    [[ -f "$LIMBO_DIR/limbo/_cli.py" ]] || { echo "limbo.sh: $LIMBO_DIR is not an x509-limbo checkout" >&2; exit 2; }
    PY="$WORK/venv/bin/python"
    if [[ ! -x "$PY" ]]; then
        echo "== creating $WORK/venv for limbo's generator"
        python3 -m venv "$WORK/venv"
        "$PY" -m pip install --quiet "pydantic~=2.13" "cryptography~=46.0" "pyyaml~=6.0" pyOpenSSL certifi \
            "requests~=2.33" Jinja2
    fi
    SUITE="$WORK/limbo.json"
    echo "== regenerating limbo.json from $LIMBO_DIR"
    if [[ ! -f "$LIMBO_DIR/limbo/_assets/bettertls.json" ]]; then
        echo "   note: limbo/_assets/bettertls.json is missing from the checkout: the BetterTLS cases are left out"
    fi
    (cd "$LIMBO_DIR" && LIMBO_LOGLEVEL=WARNING "$PY" - "$SUITE" <<'EOF'
import sys
from limbo.assets import ASSETS_PATH
from limbo.testcases import bettertls
if not (ASSETS_PATH / "bettertls.json").exists():
    bettertls.register_testcases = lambda: None
sys.argv = ["limbo", "compile", "--force", "-o", sys.argv[1]]
from limbo._cli import main
main()
EOF
    )
else
    echo "usage: LIMBO_JSON=limbo.json Scripts/limbo.sh … or LIMBO_DIR=x509-limbo-checkout Scripts/limbo.sh …" >&2
    exit 2
fi

swift build --product tls13 2>&1 | grep -E "error|warning:" || true
TLS13="$(swift build --show-bin-path)/tls13"
[[ -x "$TLS13" ]] || { echo "limbo.sh: tls13 build failed" >&2; exit 2; }

echo "== $(openssl version); limbo suite $SUITE"
exec python3 Scripts/limbo.py --limbo "$SUITE" --tls13 "$TLS13" --exceptions Docs/Security.md "$@"
