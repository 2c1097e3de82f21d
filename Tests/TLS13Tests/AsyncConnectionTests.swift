import Foundation
import Glibc
import Synchronization
import Testing
import TLS13TestSupport
@testable import TLS13

/// `AsyncTLSConnection` on the readiness loop: the operations against real servers, cancellation and deadlines (each
/// ends promptly with its typed error and leaves no registration in the loop), many connections on few threads.
///
/// Tests that look at the loop's registrations use a loop of their own (`ReadinessLoop()`, shut down at the end):
/// the shared one serves the other tests running in parallel.
@Suite(.serialized) struct AsyncConnectionTests {
    static func config(_ adjust: (inout TLSClientConfiguration) -> Void = { _ in }) -> TLSClientConfiguration {
        var config = InteropOpenSSLTests.config()
        adjust(&config)
        return config
    }

    /// Connects on `loop` to `127.0.0.1:port`.
    static func connect(
        port: UInt16, loop: ReadinessLoop, _ config: TLSClientConfiguration = config(), session: TLSSession? = nil,
        earlyData: [UInt8]? = nil
    ) async throws(TLSError) -> AsyncTLSConnection {
        try await AsyncTLSConnection.connect(
            host: "127.0.0.1", port: port, configuration: config, session: session, earlyData: earlyData, loop: loop)
    }

    /// Reads until a newline (or the end).
    static func readLine(_ c: AsyncTLSConnection) async throws -> String {
        var got: [UInt8] = []
        while !got.contains(UInt8(ascii: "\n")) {
            let chunk = try await c.read()
            if chunk.isEmpty { break }
            got += chunk
        }
        return String(decoding: got, as: UTF8.self)
    }

    /// The error `body` throws (`nil` if none) and how long it took.
    static func outcome(_ body: () async throws -> Void) async -> (TLSError?, Duration) {
        let start = ContinuousClock.now
        do {
            try await body()
            return (nil, ContinuousClock.now - start)
        } catch let error as TLSError {
            return (error, ContinuousClock.now - start)
        } catch {
            Issue.record("not a TLSError: \(error)")
            return (nil, ContinuousClock.now - start)
        }
    }

    /// Starts `operation` in a task, waits until it waits on `loop`, then `interrupt`s it (cancels the task, aborts the
    /// connection), and expects it to end promptly with `.closed`, leaving nothing registered.
    static func expectClosedWhenInterrupted(
        on loop: ReadinessLoop, _ what: String, _ operation: @escaping @Sendable () async throws -> Void,
        interrupt: (Task<(TLSError?, Duration), Never>) -> Void, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let task = Task { await Self.outcome(operation) }
        var waited = 0
        while loop.registrationCount == 0 && waited < 600 {
            try await Task.sleep(for: .milliseconds(25))
            waited += 1
        }
        #expect(loop.registrationCount == 1, "\(what) waits on the loop", sourceLocation: sourceLocation)
        let interrupted = ContinuousClock.now
        interrupt(task)
        let (error, _) = await task.value
        #expect(error == .closed, "\(what) ended with \(String(describing: error))", sourceLocation: sourceLocation)
        #expect(ContinuousClock.now - interrupted < .seconds(15), sourceLocation: sourceLocation)
        #expect(loop.registrationCount == 0, sourceLocation: sourceLocation)
    }

    // MARK: - Against openssl s_server

    @Test func readsDoNotBlockTheCooperativePool() async throws {
        // Three reads wait for data at once. If they blocked Swift-concurrency threads (two on this machine),
        // the writes that unblock them could never run and the test would hang.
        var servers: [OpenSSLServer] = []
        defer { servers.forEach { $0.stop() } }
        for _ in 0..<3 { servers.append(try await OpenSSLServer.start(mode: ["-rev"])) }
        var connections: [AsyncTLSConnection] = []
        for server in servers {
            connections.append(try await AsyncTLSConnection.connect(
                host: server.host, port: server.port, configuration: Self.config()))
        }
        let replies = try await withThrowingTaskGroup(of: String.self) { group in
            for c in connections {
                group.addTask { try await Self.readLine(c) }
            }
            for (i, c) in connections.enumerated() {
                try await c.write(Array("async \(i)\n".utf8))
            }
            var all: [String] = []
            for try await r in group { all.append(r) }
            return all.sorted()
        }
        #expect(replies == ["0 cnysa\n", "1 cnysa\n", "2 cnysa\n"])
        for c in connections {
            #expect(c.connection.sessionInfo.certificateVerified)
            await c.close()
        }
    }

    @Test func handshakeEchoAndKeyUpdate() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let loop = ReadinessLoop()
        defer { loop.shutDown() }
        let c = try await Self.connect(port: server.port, loop: loop)
        #expect(c.connection.sessionInfo.certificateVerified)
        try await c.write(Array("hello\n".utf8))
        #expect(try await Self.readLine(c) == "olleh\n")
        // A KeyUpdate asking for the server's: the server's reply is read (and the echo decrypts) under new keys.
        try await c.updateKeys(requestPeerUpdate: true)
        try await c.write(Array("after update\n".utf8))
        #expect(try await Self.readLine(c) == "etadpu retfa\n")
        await c.close()
        #expect(loop.registrationCount == 0)
        // After close: typed errors, no hang.
        let (error, _) = await Self.outcome { _ = try await c.read() }
        #expect(error == .closed)
    }

    /// The AsyncSequence reads to the server's close_notify (s_server `-www` answers one GET, then closes).
    @Test func inboundDataEndsAtCloseNotify() async throws {
        let server = try await OpenSSLServer.start(mode: ["-www"])
        defer { server.stop() }
        let c = try await AsyncTLSConnection.connect(host: server.host, port: server.port, configuration: Self.config())
        try await c.write(Array("GET / HTTP/1.0\r\n\r\n".utf8))
        var body: [UInt8] = []
        for try await chunk in c.inboundData {
            #expect(!chunk.isEmpty)
            body += chunk
        }
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.0 200 ok"), "got \(text.prefix(80))")
        // The sequence ended cleanly: another read says the same.
        #expect(try await c.read() == [])
        await c.close()
    }

    /// closeWrite sends close_notify; s_server answers with its own: the next read is the clean end, and writing
    /// after closeWrite throws `.closed`.
    @Test func closeWriteThenServerCloses() async throws {
        let server = try await OpenSSLServer.start(mode: [], arguments: ["-msg"])
        defer { server.stop() }
        let c = try await AsyncTLSConnection.connect(host: server.host, port: server.port, configuration: Self.config())
        try await c.write(Array("last-words\n".utf8))
        try await c.closeWrite()
        #expect(try await c.read() == [])
        let (error, _) = await Self.outcome { try await c.write([1]) }
        #expect(error == .closed)
        await c.close()
        try await Interop.expectServerPrinted(server, "<<< TLS 1.3, Alert [length 0002], warning close_notify\n")
    }

    /// A session from the first connection resumes the second, with 0-RTT data the server accepts.
    @Test func sessionResumptionAndEarlyData() async throws {
        let server = try await OpenSSLServer.start(mode: [], arguments: ["-early_data"])
        defer { server.stop() }
        let config = Self.config()
        let first = try await AsyncTLSConnection.connect(host: server.host, port: server.port, configuration: config)
        #expect(try await first.waitForSessionTicket(timeout: 5))
        let session = try #require(first.connection.receivedSessions.last)
        await first.close()
        #expect(session.allowsEarlyData)
        let second = try await AsyncTLSConnection.connect(
            host: server.host, port: server.port, configuration: config, session: session,
            earlyData: Array("EARLY-HELLO\n".utf8))
        #expect(second.connection.sessionInfo.resumed)
        #expect(second.connection.sessionInfo.earlyData == .accepted)
        await second.close()
        #expect(try await runBlocking { server.waitForOutput("EARLY-HELLO") }, "s_server prints the early data it read")
    }

    /// TLS over a socket the caller connected, owned or borrowed; a read waiting on it wakes when the connection is
    /// aborted from another task (a borrowed descriptor is never shut down, so the loop is told), and a borrowed
    /// descriptor stays open.
    @Test(arguments: [TLSDescriptorOwnership.takeOwnership, .borrow])
    func overTheCallersDescriptor(ownership: TLSDescriptorOwnership) async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let plain = try await runBlocking { try PlainSocket(port: server.port) }
        let fd = ownership == .takeOwnership ? plain.release() : plain.fd
        let loop = ReadinessLoop()
        defer { loop.shutDown() }
        let c = try await AsyncTLSConnection.connect(
            fileDescriptor: fd, ownership: ownership, serverName: "localhost", configuration: Self.config(), loop: loop)
        try await c.write(Array("over fd\n".utf8))
        #expect(try await Self.readLine(c) == "df revo\n")
        try await Self.expectClosedWhenInterrupted(on: loop, "a read", { _ = try await c.read() }) { _ in c.abort() }
        if ownership == .borrow {
            #expect(fcntl(fd, F_GETFD) >= 0, "the borrowed descriptor is still open")
            plain.close()
        }
    }

    // MARK: - Cancellation and deadlines

    @Test func cancellingAPendingReadClosesTheConnection() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let loop = ReadinessLoop()
        defer { loop.shutDown() }
        let c = try await Self.connect(port: server.port, loop: loop)
        try await Self.expectClosedWhenInterrupted(on: loop, "a read", { _ = try await c.read() }) { $0.cancel() }
    }

    @Test func cancellingAPendingWriteClosesTheConnection() async throws {
        let server = try await runBlocking { try StallingTLSServer() }
        defer { server.stop() }
        let loop = ReadinessLoop()
        defer { loop.shutDown() }
        let c = try await Self.connect(port: server.port, loop: loop, Self.config { $0.serverName = "localhost" })
        let bulk = [UInt8](repeating: 0x61, count: 16 << 20)  // far more than the socket buffers hold
        try await Self.expectClosedWhenInterrupted(on: loop, "a write to a peer that does not read", {
            try await c.write(bulk)
        }) { $0.cancel() }
        await c.close()
    }

    /// A listener whose accept queue is full and never accepted: further SYNs are dropped, so a connect stays in
    /// progress.
    final class Blackhole: @unchecked Sendable {
        let listener: PlainListener
        var fillers: [Int32] = []
        var port: UInt16 { listener.port }

        init() throws {
            listener = try PlainListener(backlog: 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            addr.sin_port = listener.port.bigEndian
            // Fill the accept queue (backlog 0 holds one) and a little more.
            for _ in 0..<3 {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
                _ = withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                fillers.append(fd)
            }
            usleep(200_000)
        }

        deinit { fillers.forEach { _ = Glibc.close($0) } }
    }

    @Test func cancellingAPendingConnectIsPromptAndTyped() async throws {
        let hole = try await runBlocking { try Blackhole() }
        let loop = ReadinessLoop()
        defer { loop.shutDown() }
        try await Self.expectClosedWhenInterrupted(on: loop, "a connect in progress", {
            _ = try await Self.connect(port: hole.port, loop: loop, Self.config { $0.connectTimeout = 60 })
        }) { $0.cancel() }
    }

    /// Expects `connect` (on a loop of its own) to time out within a few seconds, leaving no registration.
    static func expectTimeout(
        _ connect: @escaping (ReadinessLoop) async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        let loop = ReadinessLoop()
        defer { loop.shutDown() }
        let (error, elapsed) = await Self.outcome { try await connect(loop) }
        guard case .timedOut = error else {
            Issue.record("expected a timeout, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        #expect(elapsed < .seconds(15), sourceLocation: sourceLocation)
        #expect(loop.registrationCount == 0, sourceLocation: sourceLocation)
    }

    @Test func connectDeadline() async throws {
        let hole = try await runBlocking { try Blackhole() }
        await Self.expectTimeout { loop in
            _ = try await Self.connect(port: hole.port, loop: loop, Self.config { $0.connectTimeout = 0.5 })
        }
    }

    @Test func connectFailureIsTyped() async throws {
        let (error, _) = await Self.outcome {
            _ = try await AsyncTLSConnection.connect(to: "127.0.0.1:1", configuration: Self.config { $0.connectTimeout = 2 })
        }
        guard case .network(step: .connect, _) = error else {
            Issue.record("unexpected error \(String(describing: error))")
            return
        }
    }

    /// A server that accepts TCP and never answers the ClientHello: the handshake deadline.
    @Test func handshakeDeadline() async throws {
        let listener = try PlainListener()
        await Self.expectTimeout { loop in
            _ = try await Self.connect(port: listener.port, loop: loop, Self.config { $0.handshakeTimeout = 0.5 })
        }
    }

    /// A server that completes the handshake and stays silent: the read deadline (`ioTimeout`) fires, and the
    /// connection stays usable (a second read times out the same way, a write works).
    @Test func readDeadlineAgainstASilentServer() async throws {
        let server = try await runBlocking { try StallingTLSServer() }
        defer { server.stop() }
        let loop = ReadinessLoop()
        defer { loop.shutDown() }
        let c = try await Self.connect(port: server.port, loop: loop, Self.config { $0.ioTimeout = 0.3 })
        for _ in 0..<2 {
            let (error, elapsed) = await Self.outcome { _ = try await c.read() }
            guard case .timedOut = error else {
                Issue.record("expected a timeout, got \(String(describing: error))")
                return
            }
            #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(15), "timed out after \(elapsed)")
        }
        try await c.write(Array("still usable\n".utf8))
        #expect(loop.registrationCount == 0)
        await c.close()
    }

    /// A "server" that answers the ClientHello with garbage: a typed TLS error at once, no hang.
    @Test func garbageFromTheServerIsATypedError() async throws {
        let listener = try PlainListener()
        let serving = Task {
            try await runBlocking {
                let peer = try listener.accept()
                _ = try? peer.read(timeout: 5)
                try peer.write(Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8) + [UInt8](repeating: 0xFF, count: 64))
                _ = try? peer.read(timeout: 5)  // until the client closes
            }
        }
        let loop = ReadinessLoop()
        defer { loop.shutDown() }
        let (error, elapsed) = await Self.outcome { _ = try await Self.connect(port: listener.port, loop: loop) }
        let typed = try #require(error)
        if case .timedOut = typed { Issue.record("timed out instead of rejecting the garbage") }
        #expect(elapsed < .seconds(15))
        #expect(loop.registrationCount == 0)
        _ = try? await serving.value
    }

    // MARK: - Many connections, few threads

    /// The process's thread count (`Threads:` in /proc/self/status).
    static func threadCount() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix("Threads:") {
            return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) ?? -1
        }
        return -1
    }

    /// Threads named `name` (their `comm`).
    static func threads(named name: String) -> Int {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return -1 }
        return tasks.filter {
            (try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) == name
        }.count
    }

    /// A TLS 1.3 echo server (Python asyncio) that holds any number of connections at once.
    final class ConcurrentEchoServer: @unchecked Sendable {
        let process = Process()
        let port: UInt16
        let output: OutputCollector
        static let script = """
            import asyncio, ssl, sys
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
            ctx.load_cert_chain(certfile=sys.argv[1], keyfile=sys.argv[2])
            ctx.num_tickets = 0
            async def handle(reader, writer):
                try:
                    while True:
                        line = await reader.readline()
                        if not line:
                            break
                        writer.write(line)
                        await writer.drain()
                except Exception:
                    pass
                writer.close()
            async def main():
                server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx, backlog=1024)
                print("PORT", server.sockets[0].getsockname()[1], flush=True)
                await server.serve_forever()
            asyncio.run(main())
            """

        init() throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", "-c", Self.script, CertPaths.path("leaf-ecdsa-p256-chain.pem"),
                CertPaths.path("leaf-ecdsa-p256.key"),
            ]
            (port, output) = try launchServer(process, what: "the asyncio TLS echo server") { line in
                line.hasPrefix("PORT ") ? UInt16(line.dropFirst(5)) : nil
            }
        }

        func stop() { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        deinit { stop() }
    }

    /// A DNS name is resolved on the two resolver threads (an IP literal never starts them), then connected.
    @Test func aDNSNameIsResolvedOffThePool() async throws {
        let server = try await runBlocking { try ConcurrentEchoServer() }
        defer { server.stop() }
        let c = try await AsyncTLSConnection.connect(
            host: "localhost", port: server.port, configuration: Self.config { $0.serverName = "localhost" })
        try await c.write(Array("by name\n".utf8))
        #expect(try await Self.readLine(c) == "by name\n")
        #expect(Self.threads(named: "tls13-resolver") == 2)
        await c.close()
    }

    /// Handshakes whose verdict comes from an async handler: more at once than the cooperative pool has threads, so
    /// if a handshake waited for its handler on a pool thread, the handlers' tasks could not run (until the handshake
    /// timeout rejected them all).
    @Test func asyncVerificationHandlersDoNotStarveThePool() async throws {
        let server = try await runBlocking { try ConcurrentEchoServer() }
        defer { server.stop() }
        let calls = Mutex(0)
        let config = Self.config {
            $0.serverName = "localhost"
            $0.handshakeTimeout = 20
            $0.asyncCertificateVerificationHandler = { context in
                try? await Task.sleep(for: .milliseconds(50))  // a lookup elsewhere
                calls.withLock { $0 += 1 }
                return context.defaultResult == .verified ? .accept : .reject(alert: .badCertificate, reason: "default")
            }
        }
        let count = 6
        let verified = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<count {
                group.addTask {
                    let c = try await AsyncTLSConnection.connect(host: "127.0.0.1", port: server.port, configuration: config)
                    defer { Task { await c.close() } }
                    return c.connection.sessionInfo.certificateVerified
                }
            }
            var ok = 0
            for try await good in group where good { ok += 1 }
            return ok
        }
        #expect(verified == count)
        #expect(calls.withLock { $0 } == count)
    }

    /// 200 connections open at once, each echoing a line: the process gains no thread per connection (the old
    /// design parked two per connection), and exactly one readiness-loop thread serves them all.
    @Test func twoHundredConnectionsOnFewThreads() async throws {
        let server = try await runBlocking { try ConcurrentEchoServer() }
        defer { server.stop() }
        let config = Self.config { $0.serverName = "localhost" }
        let before = Self.threadCount()
        let count = 200
        let connections = try await withThrowingTaskGroup(of: AsyncTLSConnection.self) { group in
            for _ in 0..<count {
                group.addTask {
                    try await AsyncTLSConnection.connect(host: "127.0.0.1", port: server.port, configuration: config)
                }
            }
            var all: [AsyncTLSConnection] = []
            for try await c in group { all.append(c) }
            return all
        }
        #expect(connections.count == count)
        let echoes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for (i, c) in connections.enumerated() {
                group.addTask {
                    try await c.write(Array("line \(i)\n".utf8))
                    return try await Self.readLine(c) == "line \(i)\n"
                }
            }
            var ok = 0
            for try await good in group where good { ok += 1 }
            return ok
        }
        #expect(echoes == count)
        let during = Self.threadCount()
        // Other suites run in parallel and start threads of their own (runBlocking): the bound is loose, but a
        // thread per connection would add at least 200.
        #expect(during - before < 100, "\(before) threads before, \(during) with \(count) connections open")
        #expect(Self.threads(named: "tls13-loop") == 1)
        await withTaskGroup(of: Void.self) { group in
            for c in connections { group.addTask { await c.close() } }
        }
    }
}
