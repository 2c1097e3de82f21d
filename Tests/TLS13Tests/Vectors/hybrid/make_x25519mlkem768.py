#!/usr/bin/env python3
"""Writes x25519mlkem768.json: X25519MLKEM768 known answers computed with two implementations that share no
code with swift-crypto (BoringSSL) or libcrypto's X25519:

* ML-KEM-768: kyber-py (pure Python, FIPS 203), cross-checked against pyca/cryptography's ML-KEM;
* X25519: pyca/cryptography.

Run with the venv Scripts/install-deps.sh makes, plus `pip install cryptography>=46` (ML-KEM):
    .build-venv/bin/python3 Tests/TLS13Tests/Vectors/hybrid/make_x25519mlkem768.py > x25519mlkem768.json
"""
import json
import sys

from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from kyber_py.ml_kem import ML_KEM_768

cases = []
for n in range(3):
    seed = bytes((n * 64 + i) % 256 for i in range(64))              # d || z
    client_x = bytes((0x40 + n * 32 + i) % 256 for i in range(32))
    server_x = bytes((0x90 + n * 32 + i) % 256 for i in range(32))
    m = bytes((0xC0 + n + 7 * i) % 256 for i in range(32))           # the encapsulation's randomness

    ek, dk = ML_KEM_768.key_derive(seed)
    kem_secret, ciphertext = ML_KEM_768._encaps_internal(ek, m)
    assert ML_KEM_768.decaps(dk, ciphertext) == kem_secret
    try:  # a second ML-KEM implementation (OpenSSL 3.5 inside the cryptography wheel)
        from cryptography.hazmat.primitives.asymmetric import mlkem
        other = mlkem.MLKEM768PrivateKey.from_seed_bytes(seed)
        assert other.public_key().public_bytes_raw() == ek
        assert other.decapsulate(ciphertext) == kem_secret
        checked = True
    except ImportError:
        checked = False

    cx = x25519.X25519PrivateKey.from_private_bytes(client_x)
    sx = x25519.X25519PrivateKey.from_private_bytes(server_x)
    raw = lambda k: k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    ecdh = cx.exchange(sx.public_key())
    assert ecdh == sx.exchange(cx.public_key())

    cases.append({
        "mlkem_seed": seed.hex(),
        "client_x25519_private_key": client_x.hex(),
        "client_share": (ek + raw(cx)).hex(),
        "server_share": (ciphertext + raw(sx)).hex(),
        "shared_secret": (kem_secret + ecdh).hex(),
        "cross_checked_with_cryptography": checked,
    })

json.dump({"group": "X25519MLKEM768", "codepoint": "0x11EC", "cases": cases}, sys.stdout, indent=1)
print()
