import Foundation
import Glibc
import TLS13
import TLS13TestSupport
import Testing

/// TLS over what the caller has, through the public API only: a socket it connected and spoke plaintext on first
/// (SMTP STARTTLS), a tunnel through an HTTP CONNECT proxy (written here), and any byte stream through
/// ``TLSTransport``; descriptors that are not connected stream sockets are refused with a typed error, and the
/// ownership rules hold (a borrowed descriptor stays open and untouched; an owned one is closed, also on failure).
@Suite struct OwnTransportTests {
    /// Reads from `connection` until a line (ending `\n`) is complete.
    static func readLine(_ connection: TLSConnection) throws -> String {
        var bytes: [UInt8] = []
        while bytes.last != UInt8(ascii: "\n") {
            let chunk = try connection.read()
            guard !chunk.isEmpty else { break }
            bytes += chunk
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads SMTP reply lines until the last one (`250 ` rather than `250-`).
    static func readReply(_ socket: PlainSocket) throws -> String {
        var lines = ""
        while true {
            let line = try socket.readLine()
            lines += line
            if line.count < 4 || Array(line)[3] != "-" { return lines }
        }
    }

    // MARK: - STARTTLS

    @Test func smtpStartTLSOverTheCallersSocket() async throws {
        let server = try await runBlocking { try StartTLSServer() }
        defer { server.stop() }
        let (greeting, ehlo, ready, insideEHLO, bye, end, flags, before) = try await runBlocking {
            let socket = try PlainSocket(port: server.port)
            let before = fcntl(socket.fd, F_GETFL)
            let greeting = try Self.readReply(socket)
            try socket.write("EHLO client.test\r\n")
            let ehlo = try Self.readReply(socket)
            try socket.write("STARTTLS\r\n")
            let ready = try Self.readReply(socket)
            // TLS on the same socket, which stays the caller's.
            let tls = try TLSConnection.connect(
                fileDescriptor: socket.fd, ownership: .borrow, serverName: "localhost", port: server.port,
                configuration: API.config())
            try tls.write(Array("EHLO client.test\r\n".utf8))
            let insideEHLO = try Self.readLine(tls)
            try tls.write(Array("QUIT\r\n".utf8))
            let bye = try Self.readLine(tls)
            let end = try tls.read()  // the server's close_notify
            tls.close()
            // Borrowed: still open, its flags as they were; the caller closes it.
            let flags = fcntl(socket.fd, F_GETFL)
            socket.close()
            return (greeting, ehlo, ready, insideEHLO, bye, end, flags, before)
        }
        #expect(greeting.hasPrefix("220 "))
        #expect(ehlo.contains("250 STARTTLS"))
        #expect(ready.hasPrefix("220 2.0.0"))
        #expect(insideEHLO == "250 localhost over TLSv1.3\r\n")
        #expect(bye.hasPrefix("221 "))
        #expect(end.isEmpty)
        #expect(flags >= 0 && flags == before)
        #expect(server.waitForOutput("INSIDE QUIT"))
        #expect(server.output.contains("TLS TLSv1.3"))
    }

    @Test func startTLSWithOwnershipShutsTheSocketDownOnClose() async throws {
        let server = try await runBlocking { try StartTLSServer() }
        defer { server.stop() }
        let (reply, afterClose) = try await runBlocking {
            let socket = try PlainSocket(port: server.port)
            _ = try Self.readReply(socket)
            try socket.write("EHLO client.test\r\n")
            _ = try Self.readReply(socket)
            try socket.write("STARTTLS\r\n")
            _ = try Self.readReply(socket)
            // A second descriptor for the same socket: it sees the shutdown that close() makes.
            let watcher = dup(socket.fd)
            defer { Glibc.close(watcher) }
            let tls = try TLSConnection.connect(
                fileDescriptor: socket.release(), ownership: .takeOwnership, serverName: "localhost",
                configuration: API.config())
            try tls.write(Array("EHLO client.test\r\n".utf8))
            let reply = try Self.readLine(tls)
            tls.close()
            var byte: UInt8 = 0
            let afterClose = send(watcher, &byte, 1, Int32(MSG_NOSIGNAL))  // -1 (EPIPE): shut down for writing
            return (reply, afterClose)
        }
        #expect(reply.hasPrefix("250 localhost"))
        #expect(afterClose == -1)
    }

    // MARK: - Descriptors that are not connected stream sockets

    @Test func descriptorsThatAreNotConnectedStreamSocketsAreRefused() async throws {
        // A pipe is not a socket. Owned: closed even though refused (its read end sees the end of file).
        var pipeEnds: [Int32] = [-1, -1]
        #expect(pipe(&pipeEnds) == 0)
        let owned = API.error("pipe, owned") {
            _ = try TLSConnection.connect(fileDescriptor: pipeEnds[1], ownership: .takeOwnership, serverName: "localhost")
        }
        #expect(owned.map { if case .invalidConfiguration = $0 { true } else { false } } == true)
        var byte: UInt8 = 0
        #expect(read(pipeEnds[0], &byte, 1) == 0)
        Glibc.close(pipeEnds[0])

        // Borrowed: refused, and left open.
        #expect(pipe(&pipeEnds) == 0)
        API.error("pipe, borrowed") {
            _ = try TLSConnection.connect(fileDescriptor: pipeEnds[1], ownership: .borrow, serverName: "localhost")
        }
        #expect(write(pipeEnds[1], "x", 1) == 1)
        Glibc.close(pipeEnds[0])
        Glibc.close(pipeEnds[1])

        // A socket that is not connected; a datagram socket; no descriptor at all.
        let unconnected = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(unconnected) }
        API.error("unconnected") {
            _ = try TLSConnection.connect(fileDescriptor: unconnected, ownership: .borrow, serverName: "localhost")
        }
        let datagram = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { Glibc.close(datagram) }
        API.error("datagram") {
            _ = try TLSConnection.connect(fileDescriptor: datagram, ownership: .borrow, serverName: "localhost")
        }
        API.error("negative") { _ = try TLSConnection.connect(fileDescriptor: -1, ownership: .borrow, serverName: "localhost") }
        // A bad name or configuration is refused before the descriptor is used (and an owned one is closed).
        #expect(pipe(&pipeEnds) == 0)
        API.error("bad server name") {
            _ = try TLSConnection.connect(fileDescriptor: pipeEnds[1], ownership: .takeOwnership, serverName: "a b")
        }
        #expect(read(pipeEnds[0], &byte, 1) == 0)
        Glibc.close(pipeEnds[0])
    }

    // MARK: - HTTP CONNECT

    @Test func httpConnectTunnelWithTheDescriptor() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let proxy = try await runBlocking { try ConnectProxy() }
        defer { proxy.stop() }
        let (reply, status) = try await runBlocking {
            let socket = try PlainSocket(port: proxy.port)
            defer { socket.close() }
            let status = try ConnectProxy.open(socket, target: "localhost:\(server.port)")
            let tls = try TLSConnection.connect(
                fileDescriptor: socket.fd, ownership: .borrow, serverName: "localhost", port: server.port,
                configuration: API.config())
            defer { tls.close() }
            try tls.write(Array("through the tunnel\n".utf8))
            return (try Self.readLine(tls), status)
        }
        #expect(status == "HTTP/1.1 200 Connection established")
        #expect(reply == "lennut eht hguorht\n")
        #expect(proxy.targets == ["localhost:\(server.port)"])
        #expect(proxy.relayedBytes > 1000)  // the server's flight, certificates included, went through the proxy
    }

    @Test func httpConnectTunnelWithATransport() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let proxy = try await runBlocking { try ConnectProxy() }
        defer { proxy.stop() }
        let (reply, info, closed) = try await runBlocking {
            let socket = try PlainSocket(port: proxy.port)
            _ = try ConnectProxy.open(socket, target: "localhost:\(server.port)")
            let transport = SocketTransport(fd: socket.release())
            let tls = try TLSConnection.connect(
                over: transport, serverName: "localhost", port: server.port, configuration: API.config())
            try tls.write(Array("over a transport\n".utf8))
            let reply = try Self.readLine(tls)
            tls.close()
            return (reply, tls.sessionInfo, transport.isClosed)
        }
        #expect(reply == "tropsnart a revo\n")
        #expect(info.certificateVerified)
        #expect(closed)
    }

    // MARK: - Transports that misbehave

    @Test func aTransportThatClaimsTooManyBytesFailsTheConnection() async throws {
        let error = try await runBlocking { () -> TLSError? in
            do {
                _ = try TLSConnection.connect(over: LyingTransport(), serverName: "localhost", configuration: API.config())
                return nil
            } catch let error as TLSError {
                return error
            }
        }
        guard case .network(.read, let reason) = error else {
            Issue.record("expected a read failure, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("bytes read into a"))
    }

    @Test func aSilentTransportTimesOutTheHandshake() async throws {
        let transport = SilentTransport()
        let error = try await runBlocking { () -> TLSError? in
            do {
                _ = try TLSConnection.connect(
                    over: transport, serverName: "localhost", configuration: API.config { $0.handshakeTimeout = 0.3 })
                return nil
            } catch let error as TLSError {
                return error
            }
        }
        guard case .timedOut(let what) = error else {
            Issue.record("expected a timeout, got \(String(describing: error))")
            return
        }
        #expect(what.contains("did not finish in 0.3 s"))
        #expect(transport.closed)
        #expect(transport.written > 100)  // the ClientHello went out
    }
}

// MARK: - Test transports and the proxy

/// A duration in seconds.
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// A ``TLSTransport`` over a socket descriptor it owns, with `poll` for the timeouts.
final class SocketTransport: TLSTransport, @unchecked Sendable {
    // @unchecked Sendable: `fd` is immutable; `closedFlag` is only read and set atomically enough for a test
    // (a lock guards it).
    private let fd: Int32
    private let lock = NSLock()
    private var closedFlag = false

    init(fd: Int32) { self.fd = fd }
    deinit { Glibc.close(fd) }

    var isClosed: Bool { lock.withLock { closedFlag } }

    private func wait(_ events: Int16, _ timeout: Duration?) throws(TLSError) {
        var pfd = pollfd(fd: fd, events: events, revents: 0)
        let ms: Int32 = timeout.map { Int32(min(seconds($0) * 1000 + 1, 60_000)) } ?? -1
        let n = poll(&pfd, 1, ms)
        if isClosed { throw TLSError.closed }
        if n == 0 { throw TLSError.timedOut("socket transport") }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TLSError) -> Int {
        try wait(Int16(POLLIN), timeout)
        let n = recv(fd, buffer.baseAddress, buffer.count, 0)
        guard n >= 0 else { throw TLSError.network(step: .read, reason: String(cString: strerror(errno))) }
        return n
    }

    func write(_ bytes: UnsafeRawBufferPointer, timeout: Duration?) throws(TLSError) {
        var offset = 0
        while offset < bytes.count {
            try wait(Int16(POLLOUT), timeout)
            let n = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            guard n > 0 else { throw TLSError.network(step: .write, reason: String(cString: strerror(errno))) }
            offset += n
        }
    }

    func close() {
        lock.withLock { closedFlag = true }
        shutdown(fd, Int32(SHUT_RDWR))
    }
}

/// Claims to have read one byte more than the buffer holds.
final class LyingTransport: TLSTransport {
    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TLSError) -> Int { buffer.count + 1 }
    func write(_ bytes: UnsafeRawBufferPointer, timeout: Duration?) throws(TLSError) {}
    func close() {}
}

/// Takes everything written and never answers: each read waits out its timeout.
final class SilentTransport: TLSTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var writtenCount = 0
    private var closedFlag = false
    var written: Int { lock.withLock { writtenCount } }
    var closed: Bool { lock.withLock { closedFlag } }

    func read(into buffer: UnsafeMutableRawBufferPointer, timeout: Duration?) throws(TLSError) -> Int {
        usleep(UInt32(min(timeout.map(seconds) ?? 10, 10) * 1_000_000))
        throw TLSError.timedOut("silent transport")
    }

    func write(_ bytes: UnsafeRawBufferPointer, timeout: Duration?) throws(TLSError) {
        lock.withLock { writtenCount += bytes.count }
    }

    func close() { lock.withLock { closedFlag = true } }
}

/// A small HTTP CONNECT proxy on `127.0.0.1:0`: one thread per tunnel, relaying both ways until both ends close.
/// Records each target and counts the bytes it relayed from the target to the client.
final class ConnectProxy: @unchecked Sendable {
    // @unchecked Sendable: the counters are guarded by `lock`; the listener is immutable.
    private let listener: PlainListener
    private let lock = NSLock()
    private var targetList: [String] = []
    private var relayed = 0
    private var stopped = false

    var port: UInt16 { listener.port }
    var targets: [String] { lock.withLock { targetList } }
    var relayedBytes: Int { lock.withLock { relayed } }

    init() throws {
        listener = try PlainListener()
        let thread = Thread { [self] in
            while !lock.withLock({ stopped }) {
                guard let client = try? listener.accept(timeout: 0.2) else { continue }
                Thread { self.serve(client) }.start()
            }
        }
        thread.start()
    }

    func stop() { lock.withLock { stopped = true } }

    /// Sends `CONNECT target` on `socket` and reads the proxy's answer up to the blank line, byte by byte (nothing
    /// of the tunnel is consumed). Returns the status line.
    static func open(_ socket: PlainSocket, target: String) throws -> String {
        try socket.write("CONNECT \(target) HTTP/1.1\r\nHost: \(target)\r\n\r\n")
        let status = try socket.readLine().trimmingCharacters(in: .whitespacesAndNewlines)
        while try socket.readLine() != "\r\n" {}
        return status
    }

    private func serve(_ client: PlainSocket) {
        do {
            var request = ""
            while !request.hasSuffix("\r\n\r\n") { request += try client.readLine() }
            let words = request.split(separator: " ")
            guard words.count >= 3, words[0] == "CONNECT", let colon = words[1].lastIndex(of: ":"),
                  let port = UInt16(words[1][words[1].index(after: colon)...])
            else {
                try client.write("HTTP/1.1 400 Bad Request\r\n\r\n")
                return
            }
            lock.withLock { targetList.append(String(words[1])) }
            let upstream = try PlainSocket(port: port)
            try client.write("HTTP/1.1 200 Connection established\r\n\r\n")
            relay(client, upstream)
        } catch {
            return
        }
    }

    /// Copies bytes both ways, forwarding each direction's end with `shutdown(SHUT_WR)`, until both ended.
    private func relay(_ client: PlainSocket, _ upstream: PlainSocket) {
        var open = (toUpstream: true, toClient: true)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while open.toUpstream || open.toClient {
            var fds = [
                pollfd(fd: open.toUpstream ? client.fd : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: open.toClient ? upstream.fd : -1, events: Int16(POLLIN), revents: 0),
            ]
            guard poll(&fds, 2, 10_000) > 0 else { return }
            if open.toUpstream, fds[0].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
                if n > 0, (try? upstream.write(Array(buffer[0..<n]))) != nil {
                } else {
                    open.toUpstream = false
                    upstream.shutdownWrite()
                }
            }
            if open.toClient, fds[1].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { recv(upstream.fd, $0.baseAddress, $0.count, 0) }
                if n > 0, (try? client.write(Array(buffer[0..<n]))) != nil {
                    lock.withLock { relayed += n }
                } else {
                    open.toClient = false
                    client.shutdownWrite()
                }
            }
        }
    }
}
