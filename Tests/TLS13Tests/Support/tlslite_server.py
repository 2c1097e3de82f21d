#!/usr/bin/env python3
"""A TLS 1.3 echo server on loopback, built on tlslite-ng (pure Python, ML-KEM from kyber-py).

tlslite-ng is a TLS implementation independent of OpenSSL and GnuTLS, and it implements the post-quantum
hybrid X25519MLKEM768 (0x11EC), which OpenSSL 3.0 and GnuTLS 3.7 do not: the swift-tls13 tests and
`tls13 interop` use it to negotiate the hybrid for real.

Listens on 127.0.0.1:0 and prints `ACCEPT 127.0.0.1:PORT` (as `openssl s_server` does), then serves
connections one after another until killed: handshake, one `HANDSHAKE ...` line describing it, then every
record read is written back unchanged until the client closes. Errors are printed as `ERROR ...` lines and
the server goes on with the next connection.

Install (Scripts/install-deps.sh does it): pip install tlslite-ng==0.8.2 kyber-py ecdsa
"""
import argparse
import os
import socket
import sys

from tlslite.api import HandshakeSettings, TLSConnection, X509CertChain, parsePEMKey
from tlslite.constants import GroupName

ECC_GROUPS = ["x25519mlkem768", "x25519", "secp256r1", "secp384r1", "secp521r1", "x448"]
FFDHE_GROUPS = ["ffdhe2048", "ffdhe3072", "ffdhe4096"]
GROUPS = ECC_GROUPS + FFDHE_GROUPS
CIPHERS = ["aes128gcm", "aes256gcm", "chacha20-poly1305", "aes128ccm", "aes128ccm_8"]


def say(line):
    print(line, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--certs", required=True, help="the Certs/ folder")
    parser.add_argument("--leaf", default="ecdsa-p256", help="leaf type: serves leaf-TYPE-chain.pem, leaf-TYPE.key")
    parser.add_argument("--group", choices=sorted(GROUPS), action="append",
                        help="accept only these groups (repeatable; default: all tlslite offers)")
    parser.add_argument("--cipher", choices=sorted(CIPHERS), action="append",
                        help="accept only these ciphers (repeatable; default: all)")
    parser.add_argument("--client-auth", choices=["none", "optional", "required"], default="none",
                        help="request a client certificate; 'required' closes connections without one")
    parser.add_argument("--alpn", action="append", help="ALPN protocols to accept (repeatable)")
    parser.add_argument("--no-tickets", action="store_true", help="send no NewSessionTicket")
    parser.add_argument("--bench", action="store_true",
                        help="speak the `tls13 bench` protocol instead of echoing: answer 'GET /N\\n' with N bytes, "
                             "then close_notify (Scripts/bench-vs-openssl.sh, the X25519MLKEM768 rows)")
    parser.add_argument("--record-size-limit", type=int,
                        help="send record_size_limit with this value (RFC 8449; tlslite's default is 2^14+1)")
    args = parser.parse_args()

    with open(os.path.join(args.certs, "leaf-%s-chain.pem" % args.leaf)) as f:
        chain = X509CertChain()
        chain.parsePemList(f.read())
    with open(os.path.join(args.certs, "leaf-%s.key" % args.leaf)) as f:
        key = parsePEMKey(f.read(), private=True, implementations=["python"])

    settings = HandshakeSettings()
    settings.minVersion = (3, 4)
    settings.maxVersion = (3, 4)
    settings.versions = [(3, 4)]
    # tlslite's default curve list has brainpool curves that it refuses in TLS 1.3: name the TLS 1.3 ones.
    settings.eccCurves = list(ECC_GROUPS)
    settings.dhGroups = list(FFDHE_GROUPS)
    if args.group:
        settings.eccCurves = [g for g in args.group if g in ECC_GROUPS]
        settings.dhGroups = [g for g in args.group if g in FFDHE_GROUPS]
        settings.keyShares = list(args.group)
    if args.cipher:
        settings.cipherNames = list(args.cipher)
    if args.record_size_limit:
        settings.record_size_limit = args.record_size_limit
    if not args.no_tickets:
        settings.ticketKeys = [os.urandom(32)]  # per process: a ticket from another process does not resume
    alpn = [bytearray(p, "ascii") for p in args.alpn] if args.alpn else None

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    say("ACCEPT 127.0.0.1:%d" % listener.getsockname()[1])

    while True:
        sock, _ = listener.accept()
        sock.settimeout(30)
        conn = TLSConnection(sock)
        try:
            conn.handshakeServer(certChain=chain, privateKey=key, settings=settings,
                                 reqCert=args.client_auth != "none", alpn=alpn)
            session = conn.session
            client_chain = session.clientCertChain
            group = GroupName.toRepr(conn.ecdhCurve) if conn.ecdhCurve is not None else "-"
            say("HANDSHAKE version=%s cipher=%s group=%s resumed=%s alpn=%s client_certificates=%d" % (
                conn.getVersionName(), conn.getCipherName(), group, conn.resumed,
                (session.appProto or b"").decode("ascii", "replace") or "-",
                client_chain.getNumCerts() if client_chain else 0))
            if args.client_auth == "required" and not client_chain:
                say("ERROR no client certificate")
                conn.close()
                continue
            if args.bench:
                request = bytearray()
                while not request.endswith(b"\n") and len(request) < 64:
                    data = conn.read()
                    if not data:
                        break
                    request += data
                text = request.decode("ascii", "replace").strip()
                size = int(text[5:]) if text.startswith("GET /") and text[5:].isdigit() else 0
                while size > 0:
                    chunk = min(size, 16384)
                    conn.write(b"x" * chunk)
                    size -= chunk
                conn.close()
                continue
            while True:
                data = conn.read()
                if not data:
                    break
                conn.write(data)
            conn.close()
            say("CLOSED")
        except Exception as error:  # one failed connection does not stop the server
            say("ERROR %s: %s" % (type(error).__name__, error))
            try:
                sock.close()
            except OSError:
                pass


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
