import Foundation
import Glibc
@testable import TLS13CLI

/// A real GnuTLS `gnutls-serv` on a free port, for interop tests.
///
/// gnutls-serv (3.7) has no option for the listening address: it binds `0.0.0.0` and `::`. Tests connect to
/// ``host`` (127.0.0.1). Given `-p 0` it binds a kernel-chosen port but prints "port 0", so the port is read
/// back from the kernel: the listening IPv4 socket among the process's descriptors (`/proc/<pid>/fd`) is
/// looked up in `/proc/<pid>/net/tcp`. That is race-free, unlike picking a free port and passing it.
/// A socket in the LISTEN state accepts connections, so the server is ready once the port is known.
///
/// The process is killed by PID when the object is released (`deinit`) or ``stop()`` is called, so a
/// failing test never leaves a server behind. Everything it prints is kept in ``output`` for diagnostics.
final class GnuTLSServer: @unchecked Sendable {
    /// What the server does with a connection once the handshake is done.
    enum Mode {
        /// `--echo`: sends back every record it reads.
        case echo
        /// `--http`: answers a request with an HTML page describing the session.
        case http
        /// Neither: prints what it reads (this is gnutls-serv's default).
        case plain

        var arguments: [String] {
            switch self {
            case .echo: ["--echo"]
            case .http: ["--http"]
            case .plain: []
            }
        }
    }

    let process = Process()
    let port: UInt16
    let host = "127.0.0.1"
    private let collected: OutputCollector

    /// The priority string for TLS 1.3 only, optionally restricted to some groups (`SECP384R1`, `X25519`, …)
    /// and ciphers (`AES-128-GCM`, `AES-256-GCM`, `CHACHA20-POLY1305`), as `gnutls-cli --priority … --list`
    /// names them.
    static func priority(groups: [String]? = nil, ciphers: [String]? = nil) -> String {
        var p = "NORMAL:-VERS-ALL:+VERS-TLS1.3"
        if let groups { p += ":-GROUP-ALL" + groups.map { ":+GROUP-\($0)" }.joined() }
        if let ciphers { p += ":-CIPHER-ALL" + ciphers.map { ":+\($0)" }.joined() }
        return p
    }

    /// - Parameters:
    ///   - leaf: the leaf type in `Certs/` (`ecdsa-p256`, `ecdsa-p384`, `rsa2048`, `ed25519`, …): serves
    ///     `leaf-<type>-chain.pem` (leaf + intermediate) with `leaf-<type>.key`.
    ///   - priority: the `--priority` string; TLS 1.3 only by default.
    ///   - mode: echo, HTTP or plain.
    ///   - arguments: further gnutls-serv arguments (`--require-client-cert`, `--noticket`, …).
    init(leaf: String = "ecdsa-p256", priority: String = GnuTLSServer.priority(), mode: Mode = .echo,
         arguments: [String] = []) throws {
        try Self.validate(priority: priority)
        process.executableURL = URL(fileURLWithPath: Self.path)
        process.arguments = [
            "-p", "0",
            "--x509certfile", CertPaths.path("leaf-\(leaf)-chain.pem"),
            "--x509keyfile", CertPaths.path("leaf-\(leaf).key"),
            "--priority", priority,
        ] + mode.arguments + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain its output from the start so it never blocks on a full pipe.
        let collected = OutputCollector(out.fileHandleForReading)
        self.collected = collected

        let deadline = Date().addingTimeInterval(10)
        var found: UInt16?
        while found == nil, process.isRunning, Date() < deadline {
            found = InteropProcess.listeningIPv4Port(pid: process.processIdentifier)  // the CLI's /proc scan
            if found == nil { usleep(10_000) }
        }
        guard let found else {
            let running = process.isRunning
            if running { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            usleep(100_000)  // let the reader take its last words
            throw VectorError(
                description: "gnutls-serv did not start listening (\(running ? "timed out" : "exited")): \(collected.text)")
        }
        port = found
    }

    /// Starts a server off the Swift-concurrency threads (starting one waits for it to listen).
    static func start(
        leaf: String = "ecdsa-p256", priority: String = GnuTLSServer.priority(), mode: Mode = .echo,
        arguments: [String] = []
    ) async throws -> GnuTLSServer {
        try await runBlocking { try GnuTLSServer(leaf: leaf, priority: priority, mode: mode, arguments: arguments) }
    }

    private static let validatedLock = NSLock()
    nonisolated(unsafe) private static var validated: Set<String> = []

    /// gnutls-serv reports a bad priority string only when a client connects; `gnutls-cli --list` reports it
    /// at once ("Syntax error at: +GROUP-SECP999"). Each string is checked once per test run.
    private static func validate(priority: String) throws {
        validatedLock.lock()
        let known = validated.contains(priority)
        validatedLock.unlock()
        if known { return }
        let cli = Process()
        cli.executableURL = URL(fileURLWithPath: path.replacingOccurrences(of: "gnutls-serv", with: "gnutls-cli"))
        cli.arguments = ["--priority", priority, "--list"]
        let out = Pipe()
        cli.standardOutput = FileHandle.nullDevice
        cli.standardError = out
        try cli.run()
        let errors = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        cli.waitUntilExit()
        guard cli.terminationStatus == 0 else {
            throw VectorError(description: "bad gnutls priority string \(priority): \(errors)")
        }
        validatedLock.lock()
        validated.insert(priority)
        validatedLock.unlock()
    }

    /// Everything the server printed so far.
    var output: String { collected.text }

    /// Waits up to `timeout` seconds for the server to have printed `text` (its output is read in the
    /// background); returns whether it did. Blocks: call it inside `runBlocking`.
    @discardableResult
    func waitForOutput(containing text: String, timeout: Double = 3) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if output.contains(text) { return true }
            usleep(20_000)
        }
        return output.contains(text)
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    static var path: String {
        for p in ["/usr/bin/gnutls-serv", "/usr/local/bin/gnutls-serv"] where FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        return "/usr/bin/gnutls-serv"
    }
}
