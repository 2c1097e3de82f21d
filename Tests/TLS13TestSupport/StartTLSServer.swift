import Foundation
import Glibc

/// A tiny SMTP server with STARTTLS (RFC 3207), `Scripts/smtp-starttls-server.py`, for tests of TLS over a socket
/// the client connected itself: the greeting, EHLO and STARTTLS in plaintext, then TLS 1.3 on the same socket
/// (Python's `ssl`, `wrap_socket` of the accepted socket), then EHLO and QUIT inside TLS, then close_notify.
///
/// (`openssl s_server` has no `-starttls` option — only `s_client` has one — so the server side of STARTTLS is
/// written here.) Listens on `127.0.0.1:0`, serves `Certs/leaf-ecdsa-p256-chain.pem`; prints `PORT n`, then for each
/// session `TLS <version> <cipher>` and `INSIDE <line>` for each line read inside TLS (see ``output``). Killed by
/// PID in ``stop()`` and `deinit`.
public final class StartTLSServer: @unchecked Sendable {
    // @unchecked Sendable: immutable after init, or thread-safe (Process, OutputCollector).
    public let process = Process()
    public let port: UInt16
    private let collected: OutputCollector

    /// The server script (shared with `Scripts/examples.sh`).
    static var scriptPath: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Scripts/smtp-starttls-server.py").path
    }

    /// Starts the server (blocking until it prints its port: call from ``runBlocking(_:)``).
    public init() throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Self.scriptPath, CertPaths.path("leaf-ecdsa-p256-chain.pem"), CertPaths.path("leaf-ecdsa-p256.key"),
        ]
        let started = try launchServer(process, what: "the STARTTLS server") { line in
            line.hasPrefix("PORT ") ? UInt16(line.dropFirst(5)) : nil
        }
        port = started.port
        collected = started.output
    }

    /// Everything the server printed so far.
    public var output: String { collected.text }

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
