import Foundation
import Glibc

/// A test server process that announces itself on its output: started with stdout and stderr collected, ready once it
/// prints `ACCEPT host:port` (as `openssl s_server -accept 127.0.0.1:0` does), killed by PID on ``stop()`` and `deinit`.
///
/// The base of the launchers of servers written for the tests (``ECHServer``, ``TLSLiteCompressionServer``,
/// ``ErlangTLSServer``). Blocking: create it inside ``runBlocking(_:)``.
public final class TestServerProcess: @unchecked Sendable {
    // @unchecked Sendable: immutable after init, or thread-safe (Process, OutputCollector).
    public let process = Process()
    public let host: String
    public let port: UInt16
    private let collected: OutputCollector

    /// Starts `executable arguments…` and waits up to `timeout` seconds for its `ACCEPT` line.
    ///
    /// - Throws: ``VectorError`` when it cannot start, exits, or says nothing in time (with what it printed).
    public init(executable: String, arguments: [String], environment: [String: String]? = nil,
                currentDirectory: URL? = nil, timeout: Double = 30) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let collected = OutputCollector(out.fileHandleForReading)
        self.collected = collected
        let deadline = Date().addingTimeInterval(timeout)
        var accept: (String, UInt16)?
        while accept == nil, Date() < deadline {
            let ended = collected.hasEnded  // read before the text, so the last words are in it
            accept = Self.acceptLine(in: collected.text)
            if accept == nil {
                if ended { break }
                usleep(10_000)
            }
        }
        guard let (host, port) = accept else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let said = collected.text
            throw VectorError(description: "\(executable) \(arguments.joined(separator: " ")) did not start listening: "
                + String(said.suffix(2000)))
        }
        self.host = host
        self.port = port
    }

    private static func acceptLine(in text: String) -> (String, UInt16)? {
        for line in text.split(separator: "\n") where line.hasPrefix("ACCEPT ") {
            let address = line.dropFirst("ACCEPT ".count).trimmingCharacters(in: .whitespaces)
            if let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) {
                var host = String(address[..<colon])
                if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
                return (host, port)
            }
        }
        return nil
    }

    /// Everything the process printed so far.
    public var output: String { collected.text }

    /// The value after `prefix` on the first output line that starts with it (e.g. `ECHCONFIG `).
    public func value(afterPrefix prefix: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    /// The output lines that start with `prefix`.
    public func lines(withPrefix prefix: String) -> [String] {
        output.split(separator: "\n").filter { $0.hasPrefix(prefix) }.map(String.init)
    }

    /// Waits (blocking) until ``output`` holds `count` lines starting with `prefix`, or `timeout` seconds pass.
    public func waitForLines(withPrefix prefix: String, count: Int = 1, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while lines(withPrefix: prefix).count < count {
            if Date() >= deadline || !process.isRunning { return lines(withPrefix: prefix).count >= count }
            usleep(10_000)
        }
        return true
    }

    /// Kills the process by PID (SIGKILL); harmless when it already exited.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit { stop() }

    /// The package root (the folder that holds `Package.swift`).
    public static var packageRoot: URL { CertPaths.root.deletingLastPathComponent() }

    /// Runs a command to completion (blocking) and returns its exit status and merged output.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           timeout: Double = 600) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("tls13-run-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: tmp.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let handle = try FileHandle(forWritingTo: tmp)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try handle.close()
        let text = (try? String(contentsOf: tmp, encoding: .utf8)) ?? ""
        return (process.terminationStatus, text)
    }
}
