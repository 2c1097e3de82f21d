import Glibc
import TLS13

/// The PIDs of the servers `tls13 interop` is running, for the signal handler (which may only touch memory
/// allocated beforehand): a fixed table of slots, 0 = free.
private enum RunningServers {
    static let capacity = 8
    nonisolated(unsafe) static let pids: UnsafeMutablePointer<pid_t> = {
        let table = UnsafeMutablePointer<pid_t>.allocate(capacity: capacity)
        table.initialize(repeating: 0, count: capacity)
        return table
    }()
    static let handlersInstalled = Locked(false)

    static func add(_ pid: pid_t) {
        handlersInstalled.withLock { installed in
            if !installed {
                installed = true
                _ = pids  // allocate the table before any signal can arrive
                for sig in [SIGINT, SIGTERM, SIGHUP] {
                    signal(sig) { received in
                        for i in 0..<RunningServers.capacity where RunningServers.pids[i] > 0 {
                            kill(RunningServers.pids[i], SIGKILL)
                        }
                        _exit(128 + received)
                    }
                }
            }
            for i in 0..<capacity where pids[i] == 0 {
                pids[i] = pid
                return
            }
        }
    }

    static func remove(_ pid: pid_t) {
        handlersInstalled.withLock { _ in
            for i in 0..<capacity where pids[i] == pid { pids[i] = 0 }
        }
    }
}

/// One server process for `tls13 interop` (and `tls13 demo`): started with its output collected, its listening
/// port found, killed by PID on ``stop()``, on `deinit`, and on SIGINT/SIGTERM/SIGHUP of `tls13`.
final class InteropProcess: Sendable {
    /// How the listening port is learnt.
    enum PortSource {
        /// From a line `ACCEPT host:port` on the output (`openssl s_server`, the tlslite script).
        case acceptLine
        /// From the kernel: the process's listening IPv4 socket (`gnutls-serv -p 0` prints "port 0").
        case listeningSocket
    }

    let process: ChildProcess
    let port: UInt16
    let commandLine: String
    var pid: pid_t { process.pid }

    init(executable: String, arguments: [String], portSource: PortSource, timeout: Double = 15) throws(CLIFailure) {
        commandLine = ([executable] + arguments).joined(separator: " ")
        guard let process = ChildProcess(executable: executable, arguments: arguments, stdinPipe: true) else {
            throw CLIFailure(.tlsFailure, "cannot start \(executable): \(Posix.errorText())")
        }
        self.process = process
        RunningServers.add(process.pid)

        let deadline = Posix.monotonicSeconds() + timeout
        var found: UInt16?
        while found == nil, process.isRunning, Posix.monotonicSeconds() < deadline {
            switch portSource {
            case .acceptLine: found = Self.acceptPort(in: process.output.text)
            case .listeningSocket: found = Self.listeningIPv4Port(pid: process.pid)
            }
            if found == nil { usleep(10_000) }
        }
        if found == nil, case .acceptLine = portSource {
            found = Self.acceptPort(in: process.output.text)
        }
        guard let found else {
            let running = process.isRunning
            process.kill()
            process.wait()
            RunningServers.remove(process.pid)
            process.waitForOutputEnd(timeout: 1)  // let the reader take the last words
            let said = Substring(process.output.text).trimmingWhitespace()
            throw CLIFailure(.tlsFailure, "\(executable) did not start listening (\(running ? "timed out" : "exited")): "
                + String(said.suffix(300)))
        }
        port = found
    }

    private static func acceptPort(in text: String) -> UInt16? {
        for line in text.split(separator: "\n") where line.hasPrefix("ACCEPT ") {
            if let colon = line.lastIndex(of: ":"),
                let port = UInt16(line[line.index(after: colon)...].trimmingWhitespace())
            {
                return port
            }
        }
        return nil
    }

    /// The port of the IPv4 socket `pid` listens on (bound to 0.0.0.0), from `/proc`: the socket inodes among
    /// `/proc/<pid>/fd`, matched against the LISTEN rows (state 0A) of `/proc/<pid>/net/tcp`. `nil` when there is
    /// none (yet). (gnutls-serv given `-p 0` prints "port 0", not the port it got.)
    static func listeningIPv4Port(pid: Int32) -> UInt16? {
        guard let fds = Posix.directoryEntries("/proc/\(pid)/fd") else { return nil }
        var inodes: Set<Substring> = []
        for fd in fds {
            guard let target = Posix.readLink("/proc/\(pid)/fd/\(fd)"), target.hasPrefix("socket:[") else { continue }
            inodes.insert(Substring(target).dropFirst("socket:[".count).dropLast())
        }
        guard !inodes.isEmpty, let bytes = StandardStreams.readFile("/proc/\(pid)/net/tcp") else { return nil }
        let table = String(decoding: bytes, as: UTF8.self)
        // "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 9, fields[1].hasPrefix("00000000:"), fields[3] == "0A", inodes.contains(fields[9]),
                let colon = fields[1].lastIndex(of: ":"),
                let port = UInt16(fields[1][fields[1].index(after: colon)...], radix: 16)
            else { continue }
            return port
        }
        return nil
    }

    /// Everything the process printed so far (stdout and stderr).
    var output: String { process.output.text }

    /// Waits up to `timeout` seconds until ``output`` contains `text`; returns whether it did.
    func waitForOutput(_ text: String, timeout: Double = 3) -> Bool {
        let deadline = Posix.monotonicSeconds() + timeout
        while Posix.monotonicSeconds() < deadline {
            if output.contains(text) { return true }
            usleep(10_000)
        }
        return output.contains(text)
    }

    /// Writes to the process's standard input (s_server's one-letter commands).
    func send(_ text: String) {
        process.send(Array(text.utf8))
    }

    /// Kills the process (SIGKILL by PID) and waits for it; idempotent.
    func stop() {
        process.kill()
        process.wait()
        RunningServers.remove(process.pid)
    }

    deinit {
        stop()
    }
}
