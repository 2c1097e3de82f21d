#!/usr/bin/env python3
"""Runs the SERVER cases of an x509-limbo test suite (limbo.json) through `tls13 verify-chain` and through
`openssl verify`, and compares each verdict with limbo's expected result.

Called by Scripts/limbo.sh, which builds tls13 and finds or regenerates limbo.json; see Docs/Security.md,
"x509-limbo". Standard library only.

  limbo.py --limbo FILE --tls13 PATH [--openssl PATH] [--include GLOB] [--quiet]
           [--exceptions Docs/Security.md] [--export-vectors FILE]

Each case is one line: `<verdict> <id>` with the tls13 result (and openssl's), then totals. Verdicts:
agree, ACCEPTED-WRONGLY (limbo expects a rejection), REJECTED-WRONGLY (limbo expects acceptance), skipped
(with the reason). A case listed in the exceptions table of Docs/Security.md is marked `(listed exception)`.
Exit status 1 when tls13 accepts a chain limbo rejects and the case is not a listed exception.
"""

import argparse
import datetime
import fnmatch
import json
import os
import re
import subprocess
import sys
import tempfile

# Cases the verifier cannot run as limbo means them, and why.
SKIP_FEATURES = {
    "has-crl": "CRLs: the verifier checks no certificate revocation lists (OCSP stapling only)",
    "max-chain-depth": "max_chain_depth: no such setting (the chain-length limit counts the certificates sent)",
}

# The committed CI subset leaves out the largest denial-of-service cases (100 intermediates, thousands of
# names); one of each kind stays.
EXPORT_LEAVE_OUT = {
    "pathological::nc-dos-1",
    "pathological::nc-dos-3",
    "pathological::pathological-chain-distinct-subject-distinct-key",
    "pathological::pathological-chain-same-subject-distinct-key",
    "pathological::pathological-chain-distinct-subject-same-key",
}

EXCEPTIONS_BEGIN = "<!-- limbo-exceptions:begin -->"
EXCEPTIONS_END = "<!-- limbo-exceptions:end -->"


def skip_reason(case):
    if case["validation_kind"] != "SERVER":
        return "not a server-validation case"
    for feature in case.get("features") or []:
        if feature in SKIP_FEATURES:
            return SKIP_FEATURES[feature]
    eku = case.get("extended_key_usage") or []
    if eku and eku != ["serverAuth"]:
        return f"extended key usage {eku}: the verifier checks serverAuth only"
    if case.get("expected_peer_names"):
        return "several expected peer names"
    name = case.get("expected_peer_name")
    if name and name["kind"] not in ("DNS", "IP"):
        return f"peer name of kind {name['kind']}"
    return None


def validation_seconds(case):
    """The case's validation time in whole seconds (rounded down), or None for "now"."""
    text = case.get("validation_time")
    if not text:
        return None
    when = datetime.datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    whole = when.replace(microsecond=0)
    return int(whole.timestamp())


def write(path, pems):
    with open(path, "w") as f:
        for pem in pems:
            f.write(pem if pem.endswith("\n") else pem + "\n")


def run_tls13(tls13, case, folder):
    leaf = os.path.join(folder, "leaf.pem")
    roots = os.path.join(folder, "roots.pem")
    untrusted = os.path.join(folder, "untrusted.pem")
    write(leaf, [case["peer_certificate"]])
    write(roots, case["trusted_certs"])
    args = [tls13, "verify-chain", "--cafile", roots]
    if case["untrusted_intermediates"]:
        write(untrusted, case["untrusted_intermediates"])
        args += ["--untrusted", untrusted]
    name = case.get("expected_peer_name")
    if name:
        args += ["--name" if name["kind"] == "DNS" else "--ip", name["value"]]
    seconds = validation_seconds(case)
    if seconds is not None:
        args += ["--time", str(seconds)]
    args.append(leaf)
    result = subprocess.run(args, capture_output=True, text=True)
    text = (result.stdout.strip() or result.stderr.strip()).replace("\n", " ")
    if result.returncode == 0:
        return True, text
    if result.returncode == 1 and text.startswith("rejected: "):
        return False, text[len("rejected: "):]
    return None, f"exit {result.returncode}: {text}"


def run_openssl(openssl, case, folder):
    """`openssl verify` with the case's roots, intermediates, time and name, purpose sslserver."""
    leaf = os.path.join(folder, "leaf.pem")
    roots = os.path.join(folder, "roots.pem")
    untrusted = os.path.join(folder, "untrusted.pem")
    args = [openssl, "verify", "-no-CApath", "-no-CAstore", "-CAfile", roots, "-purpose", "sslserver"]
    if case["untrusted_intermediates"]:
        args += ["-untrusted", untrusted]
    name = case.get("expected_peer_name")
    if name:
        args += ["-verify_hostname" if name["kind"] == "DNS" else "-verify_ip", name["value"]]
    seconds = validation_seconds(case)
    if seconds is not None:
        args += ["-attime", str(seconds)]
    args.append(leaf)
    result = subprocess.run(args, capture_output=True, text=True)
    text = " ".join((result.stdout + result.stderr).split())
    return result.returncode == 0, text


def listed_exceptions(path):
    """Case ids in the first column of the exceptions table of Docs/Security.md."""
    if not path or not os.path.exists(path):
        return set()
    text = open(path, encoding="utf-8").read()
    begin, end = text.find(EXCEPTIONS_BEGIN), text.find(EXCEPTIONS_END)
    if begin < 0 or end < 0:
        return set()
    ids = set()
    for line in text[begin:end].splitlines():
        match = re.match(r"^\|\s*`([^`]+)`", line)
        if match:
            ids.add(match.group(1))
    return ids


def verdict(expected_success, accepted):
    if accepted is None:
        return "ERROR"
    if accepted == expected_success:
        return "agree"
    return "ACCEPTED-WRONGLY" if accepted else "REJECTED-WRONGLY"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limbo", required=True)
    parser.add_argument("--tls13", required=True)
    parser.add_argument("--openssl", default="openssl")
    parser.add_argument("--include", help="only case ids matching this glob")
    parser.add_argument("--exceptions", help="Docs/Security.md, for the listed exceptions")
    parser.add_argument("--export-vectors", help="write the runnable cases (the CI subset) to this file")
    parser.add_argument("--quiet", action="store_true", help="print disagreements and totals only")
    args = parser.parse_args()

    with open(args.limbo, encoding="utf-8") as f:
        suite = json.load(f)
    exceptions = listed_exceptions(args.exceptions)
    totals = {
        tool: {"agree": 0, "ACCEPTED-WRONGLY": 0, "REJECTED-WRONGLY": 0, "ERROR": 0, "listed": 0}
        for tool in ("tls13", "openssl")
    }
    skipped = {}
    runnable = 0
    exported = []
    unlisted_wrong_acceptances = []

    for case in suite["testcases"]:
        if case["validation_kind"] != "SERVER":
            continue
        if args.include and not fnmatch.fnmatch(case["id"], args.include):
            continue
        reason = skip_reason(case)
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
            if not args.quiet:
                print(f"skipped          {case['id']}: {reason}")
            continue
        runnable += 1
        expected_success = case["expected_result"] == "SUCCESS"
        with tempfile.TemporaryDirectory(prefix="limbo.") as folder:
            ours, ours_text = run_tls13(args.tls13, case, folder)
            theirs, theirs_text = run_openssl(args.openssl, case, folder)
        mine = verdict(expected_success, ours)
        baseline = verdict(expected_success, theirs)
        totals["tls13"][mine] += 1
        totals["openssl"][baseline] += 1
        listed = case["id"] in exceptions
        if listed and mine != "agree":
            totals["tls13"]["listed"] += 1
        if mine == "ACCEPTED-WRONGLY" and not listed:
            unlisted_wrong_acceptances.append(case["id"])
        if not args.quiet or mine != "agree":
            note = " (listed exception)" if listed else ""
            print(f"{mine:<16} {case['id']}{note}: expected {case['expected_result']}; "
                  f"tls13: {ours_text}; openssl verify: {baseline}")
        if args.export_vectors and case["id"] not in EXPORT_LEAVE_OUT:
            exported.append({
                "id": case["id"],
                "expected_result": case["expected_result"],
                "expected_peer_name": case.get("expected_peer_name"),
                "validation_time": validation_seconds(case),
                "peer_certificate": case["peer_certificate"],
                "untrusted_intermediates": case["untrusted_intermediates"],
                "trusted_certs": case["trusted_certs"],
            })

    print()
    for reason, count in sorted(skipped.items()):
        print(f"skipped {count}: {reason}")
    for tool in ("tls13", "openssl"):
        t = totals[tool]
        label = "tls13 verify-chain" if tool == "tls13" else "openssl verify"
        extra = f" ({t['listed']} of the disagreements are listed exceptions)" if tool == "tls13" else ""
        errors = f", errors {t['ERROR']}" if t["ERROR"] else ""
        print(f"{label}: {runnable} runnable server cases: agree {t['agree']}, "
              f"accepted wrongly {t['ACCEPTED-WRONGLY']}, rejected wrongly {t['REJECTED-WRONGLY']}{errors}"
              f"{extra}; skipped {sum(skipped.values())}")

    if args.export_vectors:
        with open(args.export_vectors, "w", encoding="utf-8") as f:
            # One case per line, so a regenerated file diffs case by case.
            f.write('{"source": "C2SP/x509-limbo, generated by its own generator (Apache-2.0)", "testcases": [\n')
            f.write(",\n".join(json.dumps(case, sort_keys=True) for case in exported))
            f.write("\n]}\n")
        print(f"wrote {len(exported)} cases to {args.export_vectors}")

    if unlisted_wrong_acceptances:
        print("accepted although limbo rejects, and not a listed exception: " + ", ".join(unlisted_wrong_acceptances))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
