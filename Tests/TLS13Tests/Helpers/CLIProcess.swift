import Foundation
import Testing

/// What a finished `tls13` run left behind.
struct CLIResult: Sendable, CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    var stdoutBytes: Data

    /// The stderr lines, without empty ones.
    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }

    var description: String { "exit \(status)\n--- stdout\n\(stdout.prefix(2000))\n--- stderr\n\(stderr)" }
}

/// The built `tls13` executable run as a child process, its stdout and stderr captured in temporary files.
///
/// Its path comes from `TLS13_CLI` (set by `Scripts/test.sh` to `$(swift build --show-bin-path)/tls13`), else
/// `.build/debug/tls13` under the package root. A missing binary fails the test (it is never skipped). Every
/// method blocks: call them inside ``runBlocking(_:)``. The process is killed by PID on `deinit` if it still runs.
final class CLIProcess: @unchecked Sendable {
    // @unchecked Sendable: used from one test thread at a time; Process is thread-safe for these calls.
    let process = Process()
    private let stdinPipe = Pipe()
    private let outURL: URL
    private let errURL: URL
    private let exited = DispatchSemaphore(value: 0)

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Helpers
            .deletingLastPathComponent()  // TLS13Tests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package root
    }

    /// The binary under test; throws (failing the test) when it does not exist.
    static func binaryPath() throws -> String {
        let path = ProcessInfo.processInfo.environment["TLS13_CLI"]
            ?? packageRoot.appendingPathComponent(".build/debug/tls13").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw VectorError(description: "the tls13 executable is not at \(path): build it with `swift build` "
                + "(or set TLS13_CLI; Scripts/test.sh does)")
        }
        return path
    }

    /// Starts `tls13 arguments…`. `stdin` is written and then closed unless `keepStdinOpen`.
    init(_ arguments: [String], stdin: String? = nil, keepStdinOpen: Bool = false,
         currentDirectory: URL? = nil, environment: [String: String] = [:]) throws
    {
        let tmp = FileManager.default.temporaryDirectory
        let id = UUID().uuidString
        outURL = tmp.appendingPathComponent("tls13-cli-\(id).out")
        errURL = tmp.appendingPathComponent("tls13-cli-\(id).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: try Self.binaryPath())
        process.arguments = arguments
        process.currentDirectoryURL = currentDirectory ?? Self.packageRoot
        if !environment.isEmpty {
            // Only the child's: setenv in the test process would leak into tests running beside it.
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = stdinPipe
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        if let stdin { stdinPipe.fileHandleForWriting.write(Data(stdin.utf8)) }
        if !keepStdinOpen { try? stdinPipe.fileHandleForWriting.close() }
    }

    /// Runs `tls13 arguments…` to the end (at most `timeout` seconds, then it is killed and the test fails).
    static func run(_ arguments: [String], stdin: String? = nil, timeout: Double = 20,
                    currentDirectory: URL? = nil, environment: [String: String] = [:]) async throws -> CLIResult
    {
        try await runBlocking {
            let cli = try CLIProcess(arguments, stdin: stdin, currentDirectory: currentDirectory, environment: environment)
            return try cli.wait(timeout: timeout)
        }
    }

    /// What the process wrote to stderr so far.
    var stderrSoFar: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

    /// Polls stderr until it contains `text`; false after `timeout` seconds or if the process ended first.
    func waitForStderr(containing text: String, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stderrSoFar.contains(text) { return true }
            if !process.isRunning { return stderrSoFar.contains(text) }
            usleep(20_000)
        }
        return false
    }

    func closeStdin() { try? stdinPipe.fileHandleForWriting.close() }

    /// Waits for the exit; kills the process and throws after `timeout` seconds.
    func wait(timeout: Double) throws -> CLIResult {
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw VectorError(description: "tls13 \(process.arguments ?? []) did not finish in \(timeout) s; "
                + "stderr: \(stderrSoFar)")
        }
        process.waitUntilExit()
        let out = (try? Data(contentsOf: outURL)) ?? Data()
        return CLIResult(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                         stderr: stderrSoFar, stdoutBytes: out)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
}
