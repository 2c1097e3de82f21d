#!/usr/bin/env python3
"""Connects to a TLS 1.3 server on loopback with tlslite-ng, offering certificate compression (RFC 8879), and prints
`CLIENT cert_compression=<algorithm or ->`: checks that tlslite_server.py compresses before swift-tls13's client
does (CertificateCompressionInteropTests).

Usage: tlslite_compression_client.py PORT ALGORITHM...   (ALGORITHM: zlib, brotli, zstd; offered in that order)
"""
import socket
import sys

from tlslite.api import HandshakeSettings, TLSConnection


def main():
    port, algorithms = int(sys.argv[1]), sys.argv[2:]
    settings = HandshakeSettings()
    settings.minVersion = (3, 4)
    settings.maxVersion = (3, 4)
    settings.certificate_compression_receive = list(algorithms)
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    conn = TLSConnection(sock)
    conn.handshakeClientCert(settings=settings)
    print("CLIENT cert_compression=%s certificates=%d" % (
        conn.server_cert_compression_algo or "-", conn.session.serverCertChain.getNumCerts()), flush=True)
    conn.write(b"ping\n")
    conn.read()
    conn.close()


if __name__ == "__main__":
    main()
