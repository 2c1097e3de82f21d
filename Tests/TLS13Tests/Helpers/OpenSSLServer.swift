import Foundation
import Glibc

/// A real `openssl s_server` on a free loopback port, for interop tests.
///
/// Started with `-accept 127.0.0.1:0` (or `[::1]:0`); the port is read from its `ACCEPT host:port` line.
/// The process is killed by PID when the object is released (`deinit`) or ``stop()`` is called, so a
/// failing test never leaves a server behind. Everything it prints is kept in ``output`` for diagnostics.
final class OpenSSLServer: @unchecked Sendable {
    let process = Process()
    let port: UInt16
    let host: String
    private let stdinPipe = Pipe()
    private let lock = NSLock()
    private var collected = Data()

    /// - Parameters:
    ///   - leaf: the leaf name in `Certs/` (`leaf-ecdsa-p256`, `leaf-rsa2048`, `expired`, …): uses
    ///     `<leaf>.pem`, `<leaf>.key` and, when present, `intermediate.pem` as the chain.
    ///   - mode: extra s_server arguments selecting the mode, e.g. `["-www"]`, `["-rev"]`, or `[]` (echo).
    ///   - arguments: further arguments (`-ciphersuites`, `-groups`, …).
    init(leaf: String = "leaf-ecdsa-p256", chain: String? = "intermediate.pem", mode: [String] = ["-rev"],
         arguments: [String] = [], ipv6: Bool = false) throws {
        host = ipv6 ? "::1" : "127.0.0.1"
        process.executableURL = URL(fileURLWithPath: Self.opensslPath)
        var args = [
            "s_server", "-accept", ipv6 ? "[::1]:0" : "127.0.0.1:0", "-tls1_3",
            "-cert", CertPaths.path("\(leaf).pem"), "-key", CertPaths.path("\(leaf).key"),
            "-no_ign_eof",
        ]
        if let chain { args += ["-cert_chain", CertPaths.path(chain)] }
        args += mode + arguments
        process.arguments = args
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = stdinPipe
        try process.run()

        // Read until the ACCEPT line (or the process dies / 10 s pass).
        let handle = out.fileHandleForReading
        let deadline = Date().addingTimeInterval(10)
        var found: UInt16?
        var text = ""
        while found == nil, Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("ACCEPT ") {
                if let colon = line.lastIndex(of: ":"), let p = UInt16(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)) {
                    found = p
                }
            }
        }
        guard let found else {
            process.terminate()
            throw VectorError(description: "openssl s_server did not start: \(text)")
        }
        port = found
        collected = Data(text.utf8)
        // Keep draining its output so it never blocks on a full pipe.
        handle.readabilityHandler = { [weak self] h in
            let data = h.availableData
            guard let self else { return }
            self.lock.lock()
            self.collected.append(data)
            self.lock.unlock()
        }
    }

    /// Everything the server printed so far.
    var output: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: collected, as: UTF8.self)
    }

    /// Waits up to `timeout` seconds for the server to have printed `text` (its output is read in the
    /// background); returns whether it did. Blocks: call it from a blocking context or a test body.
    @discardableResult
    func waitForOutput(containing text: String, timeout: Double = 3) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if output.contains(text) { return true }
            usleep(20_000)
        }
        return output.contains(text)
    }

    /// Writes to the server's stdin (s_server's interactive commands, e.g. `k\n` for a KeyUpdate).
    func send(_ text: String) {
        stdinPipe.fileHandleForWriting.write(Data(text.utf8))
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }

    static var opensslPath: String {
        for p in ["/usr/bin/openssl", "/usr/local/bin/openssl"] where FileManager.default.isExecutableFile(atPath: p) {
            return p
        }
        return "/usr/bin/openssl"
    }
}
