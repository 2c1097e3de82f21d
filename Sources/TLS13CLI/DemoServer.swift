import Foundation

/// The PID of the running demo server, for the signal handler (which may only touch globals).
nonisolated(unsafe) private var demoServerPID: pid_t = 0

/// An `openssl s_server` child process on a free loopback port, stopped by PID on ``stop()``, on `deinit`,
/// and on SIGINT/SIGTERM/SIGHUP.
final class DemoServer {
    let process = Process()
    let port: UInt16
    var pid: pid_t { process.processIdentifier }

    /// Starts `openssl arguments…` (which must `-accept` on port 0) and waits up to 10 s for its
    /// `ACCEPT host:port` line.
    init(openssl: String, arguments: [String]) throws(CLIFailure) {
        process.executableURL = URL(fileURLWithPath: openssl)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw CLIFailure(.tlsFailure, "demo: cannot start \(openssl): \(error.localizedDescription)")
        }
        demoServerPID = process.processIdentifier
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig) { received in
                if demoServerPID > 0 { kill(demoServerPID, SIGKILL) }
                _exit(128 + received)
            }
        }

        let handle = output.fileHandleForReading
        let deadline = Date().addingTimeInterval(10)
        var text = ""
        var found: UInt16?
        while found == nil, Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }  // the process ended
            text += String(decoding: chunk, as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("ACCEPT ") {
                if let colon = line.lastIndex(of: ":"),
                   let port = UInt16(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
                {
                    found = port
                }
            }
        }
        guard let found else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            demoServerPID = 0
            throw CLIFailure(.tlsFailure, "demo: openssl s_server did not start: "
                + text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        port = found
        // Keep draining its output so it never blocks on a full pipe.
        let drain = Thread { while !handle.availableData.isEmpty {} }
        drain.start()
    }

    /// Kills the server (SIGKILL by PID) and waits for it; idempotent.
    func stop() {
        guard demoServerPID != 0 else { return }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        demoServerPID = 0
    }

    deinit { stop() }
}
