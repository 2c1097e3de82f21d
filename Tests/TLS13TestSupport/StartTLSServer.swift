import Foundation
import Glibc

/// A tiny SMTP server with STARTTLS (RFC 3207), for tests of TLS over a socket the client connected itself: the
/// greeting, EHLO and STARTTLS in plaintext, then TLS 1.3 on the same socket (Python's `ssl`, `wrap_socket` of the
/// accepted socket), then EHLO and QUIT inside TLS, then close_notify.
///
/// (`openssl s_server` has no `-starttls` option — only `s_client` has one — so the server side of STARTTLS is
/// written here.) Listens on `127.0.0.1:0`, serves `Certs/leaf-ecdsa-p256-chain.pem`; prints `PORT n`, then for each
/// session `TLS <version> <cipher>` and `INSIDE <line>` for each line read inside TLS (see ``output``). Killed by
/// PID in ``stop()`` and `deinit`.
public final class StartTLSServer: @unchecked Sendable {
    // @unchecked Sendable: `collected` is guarded by `lock`; the rest is immutable after init.
    public let process = Process()
    public let port: UInt16
    private let lock = NSLock()
    private var collected = ""

    static let script = """
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
            while not data.endswith(b"\\n"):
                ch = read(1)
                if not ch:
                    raise EOFError("end of stream in a line")
                data += ch
            return data

        while True:
            c, _ = s.accept()
            try:
                c.sendall(b"220 localhost ESMTP starttls-test\\r\\n")
                if not line(c.recv).upper().startswith(b"EHLO "):
                    c.sendall(b"503 EHLO first\\r\\n"); c.close(); continue
                c.sendall(b"250-localhost\\r\\n250 STARTTLS\\r\\n")
                if line(c.recv).strip().upper() != b"STARTTLS":
                    c.sendall(b"503 STARTTLS expected\\r\\n"); c.close(); continue
                c.sendall(b"220 2.0.0 Ready to start TLS\\r\\n")
                t = ctx.wrap_socket(c, server_side=True)
                print("TLS", t.version(), t.cipher()[0], flush=True)
                while True:
                    request = line(t.recv)
                    print("INSIDE", request.decode().strip(), flush=True)
                    if request.upper().startswith(b"EHLO "):
                        t.sendall(("250 localhost over " + t.version() + "\\r\\n").encode())
                    elif request.strip().upper() == b"QUIT":
                        t.sendall(b"221 2.0.0 Bye\\r\\n")
                        break
                    else:
                        t.sendall(b"502 not implemented\\r\\n")
                try:
                    t.unwrap()
                except Exception as e:
                    print("unwrap:", e, flush=True)
                c.close()
            except Exception as e:
                print("session failed:", e, flush=True)
        """

    /// Starts the server (blocking until it prints its port: call from ``runBlocking(_:)``).
    public init() throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c", Self.script, CertPaths.path("leaf-ecdsa-p256-chain.pem"), CertPaths.path("leaf-ecdsa-p256.key"),
        ]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let handle = out.fileHandleForReading
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        var found: UInt16?
        while found == nil, Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("PORT ") {
                found = UInt16(line.dropFirst(5))
            }
        }
        guard let found else {
            kill(process.processIdentifier, SIGKILL)
            throw VectorError(description: "the STARTTLS server did not start: \(text)")
        }
        port = found
        collected = text
        handle.readabilityHandler = { [weak self] h in
            let data = h.availableData
            if data.isEmpty {
                h.readabilityHandler = nil
                return
            }
            guard let self else { return }
            self.lock.lock()
            self.collected += String(decoding: data, as: UTF8.self)
            self.lock.unlock()
        }
    }

    /// Everything the server printed so far.
    public var output: String {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }

    /// Waits (blocking) until ``output`` contains `text`, or `timeout` seconds pass.
    public func waitForOutput(_ text: String, timeout: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !output.contains(text) {
            if Date() >= deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// Kills the server (SIGKILL by PID); harmless when already stopped.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit { stop() }
}
