import Foundation
import Glibc

/// A real `openssl s_server` on a free loopback port, for interop tests.
///
/// Started with `-accept 127.0.0.1:0` (or `[::1]:0`); the port is read from its `ACCEPT host:port` line.
/// The process is killed by PID when the object is released (`deinit`) or ``stop()`` is called, so a
/// failing test never leaves a server behind. Everything it prints (stdout and stderr) is kept in ``output``
/// for assertions and diagnostics.
///
/// Modes (the `mode` argument):
/// * `[]`: s_server's default mode. Data from the client is printed to stdout; lines written to its stdin
///   (``send(_:)``) go to the client, except one-letter commands (`k\n` / `K\n`: send a KeyUpdate without /
///   with update_requested; `q\n`: close_notify). It does **not** echo.
/// * `["-rev"]`: reads lines from the client and writes each back reversed (a line of just `\n` comes back as
///   `\n`); lines are read into a 16 KiB buffer, so keep lines shorter than that.
/// * `["-www"]`: answers one HTTP GET with a status page, then sends close_notify.
/// * `["-WWW"]`: answers `GET /name HTTP/1.0` with the file `name` from `workingDirectory`, then close_notify.
public final class OpenSSLServer: @unchecked Sendable {
    // @unchecked Sendable: immutable after init, or thread-safe (Process, Pipe, OutputCollector).
    public let process = Process()
    public let port: UInt16
    public let host: String
    private let stdinPipe = Pipe()
    private let collected: OutputCollector

    /// - Parameters:
    ///   - leaf: the certificate stem in `Certs/` (`leaf-ecdsa-p256`, `leaf-rsa2048`, `leaf-expired`, …): uses
    ///     `<leaf>.pem` and `<leaf>.key`.
    ///   - chain: a PEM file in `Certs/` sent after the leaf (`-cert_chain`), or `nil` to send the leaf alone.
    ///   - mode: extra s_server arguments selecting the mode, e.g. `["-www"]`, `["-rev"]`, or `[]` (default).
    ///   - arguments: further arguments (`-ciphersuites`, `-groups`, `-alpn`, `-msg`, …).
    ///   - versions: the protocol version arguments; `["-tls1_2"]` for a TLS 1.2-only server.
    ///   - ipv6: listen on `[::1]` instead of `127.0.0.1`.
    ///   - workingDirectory: the server's current directory (what `-WWW` serves files from).
    public init(leaf: String = "leaf-ecdsa-p256", chain: String? = "intermediate.pem", mode: [String] = ["-rev"],
         arguments: [String] = [], versions: [String] = ["-tls1_3"], ipv6: Bool = false,
         workingDirectory: URL? = nil) throws {
        host = ipv6 ? "::1" : "127.0.0.1"
        process.executableURL = URL(fileURLWithPath: Self.opensslPath)
        var args = ["s_server", "-accept", ipv6 ? "[::1]:0" : "127.0.0.1:0"] + versions + [
            "-cert", CertPaths.path("\(leaf).pem"), "-key", CertPaths.path("\(leaf).key"),
            "-no_ign_eof",
        ]
        if let chain { args += ["-cert_chain", CertPaths.path(chain)] }
        args += mode + arguments
        process.arguments = args
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        process.standardInput = stdinPipe
        let started = try launchServer(process, what: "openssl s_server \(args.joined(separator: " "))") { line in
            guard line.hasPrefix("ACCEPT "), let colon = line.lastIndex(of: ":") else { return nil }
            return UInt16(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        port = started.port
        collected = started.output  // still draining, so it never blocks on a full pipe
    }

    /// Starts a server off the Swift-concurrency pool (``init`` blocks until s_server prints its port).
    /// Same parameters as ``init(leaf:chain:mode:arguments:versions:ipv6:workingDirectory:)``.
    public static func start(
        leaf: String = "leaf-ecdsa-p256", chain: String? = "intermediate.pem", mode: [String] = ["-rev"],
        arguments: [String] = [], versions: [String] = ["-tls1_3"], ipv6: Bool = false, workingDirectory: URL? = nil
    ) async throws -> OpenSSLServer {
        try await runBlocking {
            try OpenSSLServer(leaf: leaf, chain: chain, mode: mode, arguments: arguments, versions: versions,
                              ipv6: ipv6, workingDirectory: workingDirectory)
        }
    }

    /// Everything the server printed so far.
    public var output: String {
        collected.text
    }

    /// Waits (blocking: call from ``runBlocking(_:)``) until ``output`` contains `text` at least `count` times,
    /// or `timeout` seconds pass.
    /// - Returns: whether it appeared.
    public func waitForOutput(_ text: String, count: Int = 1, timeout: Double = 3) -> Bool {
        let needle = Data(text.utf8)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if occurrences(of: needle, atLeast: count) { return true }
            if Date() >= deadline { return false }
            usleep(10_000)
        }
    }

    /// Whether the output holds `needle` at least `count` times (searched in bytes: cheap on megabytes).
    private func occurrences(of needle: Data, atLeast count: Int) -> Bool {
        collected.withData { collected in
            var found = 0
            var from = collected.startIndex
            while found < count, let range = collected.range(of: needle, in: from..<collected.endIndex) {
                found += 1
                from = range.upperBound
            }
            return found >= count
        }
    }

    /// Waits (blocking) until at least `count` bytes of output have arrived, or `timeout` seconds pass.
    /// - Returns: whether they did.
    public func waitForOutputBytes(atLeast count: Int, timeout: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let have = collected.withData(\.count)
            if have >= count { return true }
            if Date() >= deadline { return false }
            usleep(10_000)
        }
    }

    /// Writes to the server's stdin (s_server's interactive commands, e.g. `K\n` for a KeyUpdate).
    public func send(_ text: String) {
        stdinPipe.fileHandleForWriting.write(Data(text.utf8))
    }

    /// Kills the server (SIGKILL by PID); harmless when already stopped. Does not block unless `wait` is true
    /// (then call it from ``runBlocking(_:)``): Foundation reaps the process on its own thread.
    public func stop(wait: Bool = false) {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            if wait { process.waitUntilExit() }
        }
    }

    deinit { stop() }

    public static var opensslPath: String {
        for p in ["/usr/bin/openssl", "/usr/local/bin/openssl"] where FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        return "/usr/bin/openssl"
    }
}
