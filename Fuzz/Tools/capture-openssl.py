#!/usr/bin/env python3
"""Records what `openssl s_server` sends in real TLS 1.3 handshakes, as seed material for the fuzzers.

Runs s_server with `-msg` on loopback (Certs/ test PKI), connects `openssl s_client` to it, and keeps the
plaintext of every handshake message the server sent (s_server prints each before encrypting it). Writes one
file per scenario to Fuzz/SeedSources/openssl-<scenario>.txt: a comment header, then one line per message,
`handshake <hex>` (header included) or `ccs`, in the order they were sent. Fuzz/Tools/seedgen.swift turns
these into corpus inputs.

Usage: Fuzz/Tools/capture-openssl.py   (from anywhere; needs the openssl CLI; loopback only)
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CERTS = os.path.join(ROOT, "Certs")
OUT = os.path.join(ROOT, "Fuzz", "SeedSources")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_accept(server, timeout=10):
    """Reads s_server's output up to its ACCEPT line (it listens from then on); returns what was read."""
    seen = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = server.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith("ACCEPT"):
            return "".join(seen)
    raise RuntimeError("s_server did not start: " + "".join(seen))


def parse_sent_messages(log):
    """The handshake messages and change_cipher_spec records s_server sent, in order (from its -msg output)."""
    out = []
    lines = log.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r">>> TLS [0-9.]+, (Handshake|ChangeCipherSpec) \[length ([0-9a-f]+)\]", line)
        i += 1
        if not m:
            continue
        data = []
        while i < len(lines) and lines[i].startswith("    "):
            data += lines[i].split()
            i += 1
        blob = bytes(int(x, 16) for x in data)
        assert len(blob) == int(m.group(2), 16), line
        out.append(("handshake", blob) if m.group(1) == "Handshake" else ("ccs", blob))
    return out


def run(name, leaf, server_args=(), client_args=(), connections=1, note=""):
    port = free_port()
    cert = os.path.join(CERTS, f"leaf-{leaf}.pem")
    key = os.path.join(CERTS, f"leaf-{leaf}.key")
    server = subprocess.Popen(
        ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert, "-key", key,
         "-cert_chain", os.path.join(CERTS, "intermediate.pem"), "-tls1_3", "-msg",
         "-naccept", str(connections), *server_args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_accept(server)
        with tempfile.TemporaryDirectory() as tmp:
            sess = os.path.join(tmp, "sess.pem")
            early = os.path.join(tmp, "early.txt")
            with open(early, "w") as f:
                f.write("GET / HTTP/1.1\r\n\r\n")
            for n in range(connections):
                args = [a.replace("{sess}", sess).replace("{early}", early) for a in client_args]
                if n < connections - 1:
                    args = [a for a in args if not a.startswith("-early_data") and a != early]
                    args = ["-sess_out", sess] + [a for a in args if a not in ("-sess_in", sess)]
                client = subprocess.Popen(
                    ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_3", *args],
                    stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
                client.stdin.write("hello\n")
                client.stdin.flush()
                time.sleep(1)  # long enough to receive the tickets (saved with -sess_out)
                client.stdin.close()
                client.wait(timeout=10)
        time.sleep(0.5)
    finally:
        server.terminate()
        log, _ = server.communicate(timeout=10)
    # With several connections, keep the last one's messages: from the last ClientHello on (no HelloRetryRequest
    # there, so that is the only ClientHello of that connection).
    parts = re.split(r"(?m)^<<< TLS [0-9.]+, Handshake \[length [0-9a-f]+\], ClientHello$", log)
    messages = parse_sent_messages(log if connections == 1 else parts[-1])
    if not messages:
        sys.exit(f"{name}: no messages captured:\n{log[-2000:]}")
    path = os.path.join(OUT, f"openssl-{name}.txt")
    with open(path, "w") as f:
        f.write(f"# openssl s_server ({subprocess.run(['openssl', 'version'], capture_output=True, text=True).stdout.strip()}),"
                f" leaf {leaf}, server args {' '.join(server_args) or '-'}, client args {' '.join(client_args) or '-'}\n")
        if note:
            f.write(f"# {note}\n")
        for kind, blob in messages:
            f.write(f"{kind} {blob.hex()}\n" if kind == "handshake" else "ccs\n")
    print(f"{path}: {len(messages)} messages")


def main():
    os.makedirs(OUT, exist_ok=True)
    run("ecdsa-p256", "ecdsa-p256")
    run("rsa2048-alpn", "rsa2048", server_args=["-alpn", "h2"], client_args=["-alpn", "h2,http/1.1"])
    run("ed25519-hrr", "ed25519", server_args=["-groups", "P-256"], client_args=["-groups", "X25519:P-256"],
        note="the client's first key share is x25519; the server wants P-256: HelloRetryRequest")
    run("p384-certificate-request", "ecdsa-p384", server_args=["-verify", "1"],
        note="the server asks for a client certificate (the client has none)")
    run("chacha20", "ecdsa-p256", server_args=["-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"])
    run("resumption-early-data", "ecdsa-p256", server_args=["-early_data", "-ciphersuites", "TLS_AES_128_GCM_SHA256"],
        client_args=["-sess_in", "{sess}", "-early_data", "{early}"], connections=2,
        note="second connection: resumed with the first one's ticket, 0-RTT data accepted")


if __name__ == "__main__":
    main()
