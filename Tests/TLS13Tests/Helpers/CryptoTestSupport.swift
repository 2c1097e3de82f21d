import Foundation
import Testing
@testable import TLS13

/// Runs `body`, expecting a ``TLSError``; records an issue (at the caller) when it does not throw one, or when
/// `alert` is given and differs. Returns the error for further checks.
@discardableResult
func expectTLSError(
    alert: AlertDescription? = nil,
    _ what: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> TLSError? {
    do {
        try body()
        Issue.record("expected a TLSError\(alert.map { " (\($0))" } ?? "") but nothing was thrown \(what())",
                     sourceLocation: sourceLocation)
        return nil
    } catch let error as TLSError {
        if let alert, error.alert != alert {
            Issue.record("expected alert \(alert), got \(error) \(what())", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected a TLSError, got \(error) \(what())", sourceLocation: sourceLocation)
        return nil
    }
}

/// A fresh temporary directory, removed when the value is released.
final class TemporaryDirectory {
    let url: URL

    init(_ prefix: String) throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: url.appendingPathComponent(name))
    }

    func read(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url.appendingPathComponent(name)))
    }
}

/// The `openssl` command-line tool (installed by `Scripts/install-deps.sh`), for making test keys, signatures
/// and certificates. Never touches the network.
enum OpenSSLTool {
    static var executable: String {
        for candidate in ["/usr/bin/openssl", "/usr/local/bin/openssl", "/bin/openssl"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return "/usr/bin/openssl"
    }

    /// Runs `openssl args…` in `directory`; throws with its stderr when it exits non-zero.
    @discardableResult
    static func run(_ arguments: [String], in directory: TemporaryDirectory) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory.url
        var environment = ProcessInfo.processInfo.environment
        environment["OPENSSL_CONF"] = "/dev/null"  // no site config: defaults only
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw VectorError(description: "openssl \(arguments.joined(separator: " ")) failed: "
                + String(decoding: err, as: UTF8.self))
        }
        return String(decoding: out, as: UTF8.self)
    }
}


extension SecretBytes {
    /// A copy of the secret for comparisons in tests (the library itself reads secrets only in `withUnsafeBytes`).
    var testBytes: [UInt8] { withUnsafeBytes { [UInt8]($0) } }
}
