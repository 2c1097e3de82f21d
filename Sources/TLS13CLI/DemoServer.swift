/// An `openssl s_server` child process on a free loopback port, stopped by PID on ``stop()``, on `deinit`,
/// and on SIGINT/SIGTERM/SIGHUP (an ``InteropProcess``).
final class DemoServer {
    private let server: InteropProcess
    var port: UInt16 { server.port }
    var pid: Int32 { server.pid }

    /// Starts `openssl arguments…` (which must `-accept` on port 0) and waits up to 10 s for its
    /// `ACCEPT host:port` line.
    init(openssl: String, arguments: [String]) throws(CLIFailure) {
        do {
            server = try InteropProcess(executable: openssl, arguments: arguments, portSource: .acceptLine, timeout: 10)
        } catch {
            throw CLIFailure(error.status, "demo: \(error.message)")
        }
    }

    /// Kills the server (SIGKILL by PID) and waits for it; idempotent.
    func stop() {
        server.stop()
    }
}
