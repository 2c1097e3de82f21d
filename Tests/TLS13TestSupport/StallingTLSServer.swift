import Foundation
import Glibc

/// A TLS 1.3 server (Python's `ssl`, an independent implementation) that completes each handshake and then
/// never reads again: the peer of a client whose writes must not block forever.
///
/// Listens on `127.0.0.1:0` with small socket buffers (so a writer fills them after a few hundred KiB), prints
/// its port, serves `Certs/leaf-ecdsa-p256-chain.pem` and keeps every accepted connection open without reading.
/// Killed by PID in ``stop()`` and `deinit`.
public final class StallingTLSServer: @unchecked Sendable {
    // @unchecked Sendable: immutable after init; Process is thread-safe.
    public let process = Process()
    public let port: UInt16
    /// What it printed (drained so that its prints never block or fail).
    public let output: OutputCollector

    static let script = """
        import socket, ssl, sys, time
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(certfile=sys.argv[1], keyfile=sys.argv[2])
        ctx.num_tickets = 0
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        print("PORT", s.getsockname()[1], flush=True)
        held = []
        while True:
            c, _ = s.accept()
            try:
                held.append(ctx.wrap_socket(c, server_side=True))
            except Exception as e:
                print("handshake failed:", e, flush=True)
        """

    /// Starts the server (blocking until it prints its port: call from ``runBlocking(_:)``).
    public init() throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c", Self.script, CertPaths.path("leaf-ecdsa-p256-chain.pem"), CertPaths.path("leaf-ecdsa-p256.key"),
        ]
        (port, output) = try launchServer(process, what: "the stalling TLS server") { line in
            line.hasPrefix("PORT ") ? UInt16(line.dropFirst(5)) : nil
        }
    }

    /// Kills the server (SIGKILL by PID); harmless when already stopped.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit { stop() }
}
