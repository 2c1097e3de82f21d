#!/usr/bin/env python3
# A tiny SMTP server with STARTTLS (RFC 3207), for the STARTTLS test (Tests/TLS13TestSupport/StartTLSServer.swift)
# and example (Examples/Sources/starttls): the greeting, EHLO and STARTTLS in plaintext, then TLS 1.3 on the same
# socket (Python's ssl, wrap_socket of the accepted socket), then EHLO and QUIT inside TLS, then close_notify.
# `openssl s_server` has no -starttls option (only s_client has one), hence this script.
#
#   smtp-starttls-server.py CERT_CHAIN_PEM KEY_PEM
#
# Listens on 127.0.0.1:0 and prints `PORT n`; then per session `TLS <version> <cipher>` and `INSIDE <line>` for each
# line read inside TLS. Runs until killed.
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_cert_chain(certfile=sys.argv[1], keyfile=sys.argv[2])
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
print("PORT", s.getsockname()[1], flush=True)

def line(read):
    # One byte at a time: nothing after the line (the ClientHello) may be consumed in plaintext.
    data = b""
    while not data.endswith(b"\n"):
        ch = read(1)
        if not ch:
            raise EOFError("end of stream in a line")
        data += ch
    return data

while True:
    c, _ = s.accept()
    try:
        c.sendall(b"220 localhost ESMTP starttls-test\r\n")
        if not line(c.recv).upper().startswith(b"EHLO "):
            c.sendall(b"503 EHLO first\r\n"); c.close(); continue
        c.sendall(b"250-localhost\r\n250 STARTTLS\r\n")
        if line(c.recv).strip().upper() != b"STARTTLS":
            c.sendall(b"503 STARTTLS expected\r\n"); c.close(); continue
        c.sendall(b"220 2.0.0 Ready to start TLS\r\n")
        t = ctx.wrap_socket(c, server_side=True)
        print("TLS", t.version(), t.cipher()[0], flush=True)
        while True:
            request = line(t.recv)
            print("INSIDE", request.decode().strip(), flush=True)
            if request.upper().startswith(b"EHLO "):
                t.sendall(("250 localhost over " + t.version() + "\r\n").encode())
            elif request.strip().upper() == b"QUIT":
                t.sendall(b"221 2.0.0 Bye\r\n")
                break
            else:
                t.sendall(b"502 not implemented\r\n")
        try:
            t.unwrap()
        except Exception as e:
            print("unwrap:", e, flush=True)
        c.close()
    except Exception as e:
        print("session failed:", e, flush=True)
