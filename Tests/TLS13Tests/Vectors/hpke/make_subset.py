#!/usr/bin/env python3
"""Writes rfc9180-base.json: the base-mode (mode 0) cases of RFC 9180's test vectors for the suites the library
implements (KEM 0x0010 DHKEM(P-256, HKDF-SHA256) and 0x0020 DHKEM(X25519, HKDF-SHA256); KDF 0x0001
HKDF-SHA256; AEAD 0x0001 AES-128-GCM, 0x0002 AES-256-GCM, 0x0003 ChaCha20-Poly1305), with the encryptions at
sequence numbers 0, 1, 2, 255 and 256 (the first, the wrap of the low byte, the last of the 257 given).

Usage: make_subset.py test-vectors.json > rfc9180-base.json
The input is the CFRG's test-vectors.json (see README.md for where it came from).
"""
import json
import sys

KEMS = {0x0010, 0x0020}
KDFS = {0x0001}
AEADS = {0x0001, 0x0002, 0x0003}
SEQUENCES = [0, 1, 2, 255, 256]
FIELDS = ["mode", "kem_id", "kdf_id", "aead_id", "info", "ikmE", "skEm", "pkEm", "pkRm", "skRm", "enc",
          "shared_secret", "key_schedule_context", "secret", "key", "base_nonce", "exporter_secret"]

vectors = json.load(open(sys.argv[1]))
out = []
for v in vectors:
    if v["mode"] != 0 or v["kem_id"] not in KEMS or v["kdf_id"] not in KDFS or v["aead_id"] not in AEADS:
        continue
    case = {k: v[k] for k in FIELDS}
    case["encryptions"] = [dict(v["encryptions"][s], seq=s) for s in SEQUENCES]
    out.append(case)
out.sort(key=lambda c: (c["kem_id"], c["kdf_id"], c["aead_id"]))
json.dump(out, sys.stdout, indent=1)
sys.stdout.write("\n")
