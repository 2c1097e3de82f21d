import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import TLS13

/// A ``ScriptedServer`` behind a real TCP listener on `127.0.0.1` and an ephemeral port, served on its own
/// thread, so the real blocking ``TLSConnection`` can be tested against one named mutation at a time.
///
/// The thread accepts one connection and then loops: read the client's bytes → ``ScriptedServer/receive(_:)`` →
/// write ``ScriptedServer/takeOutput()`` (cut short, closed or reset as ``Transport`` says). Once the server has
/// verified the client's Finished it runs `afterHandshake` (KeyUpdate, tickets, bad messages…), then sends
/// ``greeting``; every application-data record the client sends afterwards is echoed back. It stops when the
/// client closes, on a server-side failure, or after ``idleTimeout`` without a byte from the client.
///
/// The ``ScriptedServer`` belongs to the serving thread between ``start()`` and ``finish(timeout:)``; configure
/// it before `start()` and read it (or the ``Report``) after `finish`. Blocking: call `finish` inside
/// ``runBlocking(_:)``.
final class LoopbackScriptedServer: @unchecked Sendable {
    // @unchecked Sendable: `server` and `report` are touched by the serving thread only between `start()` and the
    // `done` signal, and by the caller only before `start()` and after `finish` has seen that signal.

    /// What the server does to the TCP connection.
    enum Transport: Sendable, Equatable, CustomStringConvertible {
        /// Writes everything the scripted server produces.
        case normal
        /// Writes only the first `bytes` bytes of its output, then half-closes (FIN) and waits for the client to
        /// close.
        case closeAfter(bytes: Int)
        /// Writes only the first `bytes` bytes of its output, then closes with an RST (SO_LINGER 0).
        case resetAfter(bytes: Int)
        /// Writes the plaintext records that open the first flight (the ServerHello) and then nothing ever
        /// again, while still reading: a stalled server.
        case stallAfterServerHello
        /// Writes `bytes` bytes at a time with a pause of `interval` seconds between writes: a server that
        /// trickles its flight.
        case trickle(bytes: Int, interval: Double)
        /// Writes the whole server flight (up to its Finished), then half-closes (FIN) without close_notify.
        case closeAfterServerFinished

        var description: String {
            switch self {
            case .normal: "normal"
            case .closeAfter(let n): "FIN after \(n) bytes"
            case .resetAfter(let n): "RST after \(n) bytes"
            case .stallAfterServerHello: "stall after ServerHello"
            case .trickle(let n, let interval): "\(n) bytes every \(interval) s"
            case .closeAfterServerFinished: "FIN after the server Finished"
            }
        }
    }

    /// What the serving thread saw.
    struct Report {
        /// Alerts from the client, decrypted with the server's view of the client's keys.
        var receivedAlerts: [ScriptedServer.ReceivedAlert] = []
        /// Application data from the client (only possible after its Finished: ``ScriptedServer`` fails otherwise).
        var applicationData: [[UInt8]] = []
        /// KeyUpdates from the client.
        var keyUpdates: [KeyUpdate] = []
        /// Whether the server verified the client's Finished.
        var handshakeComplete = false
        /// How many bytes the client sent in all.
        var bytesFromClient = 0
        /// How many bytes the server wrote.
        var bytesToClient = 0
        /// Whether the client closed the TCP connection (EOF or reset) before the server stopped.
        var clientClosed = false
        /// A failure on the server side: the script threw, the client sent something the server rejects, a
        /// socket call failed, or the client went quiet. `nil` when all went to plan.
        var failure: String?
    }

    /// The bytes sent as application data once the handshake is complete (after `afterHandshake`), unless
    /// `greets` is false.
    static let greeting = Array("hello from the scripted server".utf8)

    let server: ScriptedServer
    let transport: Transport
    /// How long the thread waits for the client's next bytes before giving up.
    let idleTimeout: Double
    /// Whether ``greeting`` is sent after the handshake.
    let greets: Bool
    var port: UInt16 { listener.port }

    private let listener: LoopbackListener
    private let afterHandshake: (ScriptedServer) throws -> Void
    private let done = DispatchSemaphore(value: 0)
    private var report = Report()
    private var started = false

    /// Binds the listener. Configure `server` (hooks, configuration) before calling ``start()``.
    init(
        _ server: ScriptedServer, transport: Transport = .normal, idleTimeout: Double = 5, greets: Bool = true,
        afterHandshake: @escaping (ScriptedServer) throws -> Void = { _ in }
    ) throws {
        self.server = server
        self.greets = greets
        self.transport = transport
        self.idleTimeout = idleTimeout
        self.afterHandshake = afterHandshake
        listener = try LoopbackListener(.v4)
        if transport == .stallAfterServerHello {
            let edit = server.editRecords
            var flights = 0
            server.editRecords = { records in
                edit?(&records)
                flights += 1
                guard flights == 1 else { return }
                records = Array(records.prefix { $0.epoch == .plaintext || $0.epoch == nil })
            }
        }
    }

    /// Starts the serving thread.
    func start() {
        precondition(!started, "start() twice")
        started = true
        let thread = Thread { [self] in
            serve()
            done.signal()
        }
        thread.name = "LoopbackScriptedServer"
        thread.start()
    }

    /// Waits for the serving thread to end (at most `timeout` seconds) and returns what it saw. Blocking.
    func finish(timeout: Double = 10) -> Report {
        guard started else { return report }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            // Cannot happen while serve()'s own timeouts hold; report it rather than hang the suite.
            var partial = Report()
            partial.failure = "the serving thread did not end within \(timeout) s"
            return partial
        }
        started = false
        return report
    }

    // MARK: - The serving thread

    private func serve() {
        defer {
            report.receivedAlerts = server.receivedAlerts
            report.applicationData = server.receivedApplicationData
            report.keyUpdates = server.receivedKeyUpdates
            report.handshakeComplete = server.isHandshakeComplete
        }
        let connection: TestConnection
        do {
            connection = try listener.accept(timeout: 5)
        } catch {
            report.failure = "accept: \(error)"
            return
        }
        defer { connection.close() }

        var greeted = false
        var echoed = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            // Read what the client sent.
            var pfd = pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(idleTimeout * 1000))
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else {
                report.failure = "the client sent nothing for \(idleTimeout) s"
                return
            }
            let n = recv(connection.fd, &buffer, buffer.count, 0)
            if n < 0 {
                if errno == EINTR { continue }
                report.clientClosed = true  // ECONNRESET: the client is gone
                return
            }
            if n == 0 {
                report.clientClosed = true
                return
            }
            report.bytesFromClient += n

            // Let the scripted server answer.
            do {
                try server.receive(Array(buffer[0..<n]))
                if server.isHandshakeComplete, !greeted {
                    greeted = true
                    try afterHandshake(server)
                    if greets { try server.sendApplicationData(Self.greeting) }
                }
                while echoed < server.receivedApplicationData.count {
                    try server.sendApplicationData(server.receivedApplicationData[echoed])
                    echoed += 1
                }
            } catch {
                report.failure = "scripted server: \(error)"
                return
            }

            // Write the answer, as the transport allows.
            let output = server.takeOutput()
            guard !output.isEmpty else { continue }
            do {
                switch transport {
                case .normal, .stallAfterServerHello:
                    try connection.writeAll(output)
                    report.bytesToClient += output.count
                case .trickle(let size, let interval):
                    var offset = 0
                    while offset < output.count {
                        let end = min(offset + size, output.count)
                        try connection.writeAll(Array(output[offset..<end]))
                        report.bytesToClient += end - offset
                        offset = end
                        // Stop once the client has given up (it closes its socket).
                        var pfd = pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0)
                        if poll(&pfd, 1, Int32(interval * 1000)) > 0 {
                            drain(connection)
                            return
                        }
                    }
                case .closeAfterServerFinished:
                    try connection.writeAll(output)
                    report.bytesToClient += output.count
                    if server.sentMessages.contains(where: { $0.message == .finished }) {
                        shutdown(connection.fd, Int32(SHUT_WR))
                        drain(connection)
                        return
                    }
                case .closeAfter(let limit), .resetAfter(let limit):
                    let allowed = max(0, limit - report.bytesToClient)
                    try connection.writeAll(Array(output.prefix(allowed)))
                    report.bytesToClient += min(allowed, output.count)
                    if report.bytesToClient >= limit {
                        if case .resetAfter = transport {
                            connection.resetAndClose()
                            return
                        }
                        // FIN, then read until the client closes so the close is not turned into an RST.
                        shutdown(connection.fd, Int32(SHUT_WR))
                        drain(connection)
                        return
                    }
                }
            } catch {
                report.failure = "write: \(error)"
                return
            }
        }
    }

    /// Reads and feeds the scripted server (so alerts are still recorded) until the client closes.
    private func drain(_ connection: TestConnection) {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            var pfd = pollfd(fd: connection.fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(idleTimeout * 1000))
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else {
                report.failure = "the client did not close within \(idleTimeout) s of the server's FIN"
                return
            }
            let n = recv(connection.fd, &buffer, buffer.count, 0)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                report.clientClosed = true
                return
            }
            report.bytesFromClient += n
            do { try server.receive(Array(buffer[0..<n])) } catch {
                report.failure = "scripted server: \(error)"
                return
            }
        }
    }
}
