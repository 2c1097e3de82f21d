import Foundation
import Glibc

/// Starts a test server process with its stdout and stderr in one pipe, and reads that output until a line names
/// the port it listens on (at most 10 s). A server that does not say is killed.
///
/// - Parameters:
///   - process: the server, its executable and arguments set.
///   - what: its name, for the error.
///   - port: the port named in one output line, or `nil` for any other line.
/// - Returns: the port, everything it printed so far, and its output (still open: keep draining it, e.g. with an
///   ``OutputCollector``, or the server blocks once the pipe is full).
public func launchServer(
    _ process: Process, what: String, port: (Substring) -> UInt16?
) throws -> (port: UInt16, text: String, output: FileHandle) {
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
        for line in text.split(separator: "\n") {
            if let p = port(line) { found = p }
        }
    }
    guard let found else {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        throw VectorError(description: "\(what) did not start: \(text)")
    }
    return (found, text, handle)
}

/// A server's output, collected as it arrives (so the server never blocks on a full pipe), for assertions.
final class OutputCollector: @unchecked Sendable {
    // @unchecked Sendable: `data` is only touched with `lock` held.
    private let lock = NSLock()
    private var data: Data

    /// Collects what `handle` delivers after `initial`, until its end of file.
    init(_ handle: FileHandle, initial: String) {
        data = Data(initial.utf8)
        handle.readabilityHandler = { [weak self] h in
            let chunk = h.availableData
            if chunk.isEmpty {
                h.readabilityHandler = nil
                return
            }
            self?.lock.withLock { self?.data.append(chunk) }
        }
    }

    /// Runs `body` on everything collected so far.
    func withData<R>(_ body: (Data) -> R) -> R { lock.withLock { body(data) } }

    /// Everything collected so far, as text.
    var text: String { withData { String(decoding: $0, as: UTF8.self) } }
}
