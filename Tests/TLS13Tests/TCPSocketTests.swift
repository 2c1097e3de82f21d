import Foundation
import Testing
@testable import TLS13

/// Runs `body` with ``runBlocking(_:)`` and returns the `TLSError` it threw, or records an issue if it threw
/// nothing or something else.
/// The error `body` throws and how long `body` ran, measured on the blocking thread itself (not including
/// the wait for a Swift-concurrency thread to resume the test, which CPU-bound suites can stretch).
private func timedBlockingError(
    _ body: @escaping @Sendable () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) async -> (TLSError?, Double) {
    let elapsed = ElapsedBox()
    let error = await blockingError({
        let start = Deadline.now
        defer { elapsed.seconds = seconds(Deadline.now.duration(since: start)) }
        try body()
    }, sourceLocation: sourceLocation)
    return (error, elapsed.seconds)
}

private final class ElapsedBox: @unchecked Sendable {
    // @unchecked: written once by the blocking thread before the continuation resumes, read after.
    var seconds: Double = -1
}

private func blockingError(
    _ body: @escaping @Sendable () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) async -> TLSError? {
    do {
        try await runBlocking(body)
        Issue.record("expected a TLSError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as TLSError {
        return error
    } catch {
        Issue.record("expected a TLSError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

private func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// A non-blocking connect that is left pending or completed; the caller closes the descriptor.
/// Returns the descriptor and whether the handshake completed within `wait` seconds.
private func rawConnect(_ address: SocketAddress, wait: Double) -> (fd: Int32, completed: Bool) {
    let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    guard fd >= 0 else { return (-1, false) }
    _ = address.withSockAddr { Glibc.connect(fd, $0, $1) }
    var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
    let n = poll(&pfd, 1, Int32(wait * 1000))
    return (fd, n > 0)
}

/// Two sockets on one port number, one per family. The ephemeral port picked for the first may be taken on the
/// other family; then try again with a new one.
private func pairOnOnePort(
    _ first: LoopbackListener.Family, _ second: LoopbackListener.Family,
    firstListens: Bool = true, secondListens: Bool
) throws -> (LoopbackListener, LoopbackListener) {
    var lastError: Error?
    for _ in 0..<10 {
        let a = try LoopbackListener(first, listen: firstListens)
        do {
            return (a, try LoopbackListener(second, port: a.port, listen: secondListens))
        } catch {
            lastError = error
        }
    }
    throw lastError ?? SocketTestError("pairOnOnePort", errno: EADDRINUSE)
}

@Suite struct TCPSocketTests {
    @Test(arguments: LoopbackListener.Family.allCases)
    func echoesBytesBothWays(_ family: LoopbackListener.Family) async throws {
        let listener = try LoopbackListener(family)
        try await runBlocking {
            let client = try TCPSocket.connect(host: family.rawValue, port: listener.port, timeout: 5)
            let server = try listener.accept()
            let expectedRemote = family == .v4 ? "127.0.0.1:\(listener.port)" : "[::1]:\(listener.port)"
            #expect(client.remoteAddress == expectedRemote)
            #expect(client.connectDuration > .zero && client.connectDuration < .seconds(5))

            let ping: [UInt8] = Array("ping \(family)".utf8)
            try client.write(ping, deadline: .after(seconds: 5))
            #expect(try server.readExactly(ping.count) == ping)

            let pong: [UInt8] = [0x00, 0xff, 0x16, 0x03, 0x03] + Array("pong".utf8)
            try server.writeAll(pong)
            var buffer: [UInt8] = [0xaa]  // read appends after existing content
            var total = 0
            while total < pong.count {
                let n = try client.read(into: &buffer, maxCount: 64, deadline: .after(seconds: 5))
                #expect(n > 0)
                total += n
            }
            #expect(buffer == [0xaa] + pong)

            // maxCount bounds one read.
            try server.writeAll([1, 2, 3, 4, 5])
            Thread.sleep(forTimeInterval: 0.05)
            var small: [UInt8] = []
            #expect(try client.read(into: &small, maxCount: 2, deadline: .after(seconds: 5)) == 2)
            #expect(small == [1, 2])
        }
    }

    @Test func oneReaderAndOneWriterThreadAtOnce() async throws {
        // 2 MiB each way is more than the loopback socket buffers hold at first, so writes wait in poll while
        // the other thread reads on the same socket.
        let listener = try LoopbackListener(.v4)
        let block: [UInt8] = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ ($0 >> 11)) }
        var bytes: [UInt8] = []
        for i in 0..<32 {  // blocks made distinct so that reordering would show
            var b = block
            b[0] = UInt8(i)
            bytes += b
        }
        let payload = bytes
        let (client, server) = try await runBlocking {
            (try TCPSocket.connect(host: "127.0.0.1", port: listener.port, timeout: 5), try listener.accept())
        }
        async let echo: Void = runBlocking {
            var left = payload.count
            while left > 0 {
                let chunk = try server.readExactly(min(left, 65536))
                try server.writeAll(chunk)
                left -= chunk.count
            }
        }
        async let written: Void = runBlocking {
            var offset = 0
            while offset < payload.count {
                let end = min(offset + 100_000, payload.count)
                try client.write(Array(payload[offset..<end]), deadline: .after(seconds: 20))
                offset = end
            }
        }
        async let received: [UInt8] = runBlocking {
            var buffer: [UInt8] = []
            buffer.reserveCapacity(payload.count)
            while buffer.count < payload.count {
                let n = try client.read(into: &buffer, maxCount: 32768, deadline: .after(seconds: 20))
                if n == 0 { break }
            }
            return buffer
        }
        try await echo
        try await written
        let got = try await received
        #expect(got.count == payload.count)
        #expect(got == payload)
    }

    @Test func localhostReachesTheIPv4OnlyListener() async throws {
        // Whatever order the resolver gives (::1 first or 127.0.0.1 only), the IPv4 listener must be reached.
        let listener = try LoopbackListener(.v4)
        let remote = try await runBlocking {
            let client = try TCPSocket.connect(host: "localhost", port: listener.port, timeout: 5)
            _ = try listener.accept()
            return client.remoteAddress
        }
        #expect(remote == "127.0.0.1:\(listener.port)")
    }

    @Test func localhostResolvesToLoopback() throws {
        // getaddrinfo path, no socket: every address of localhost must be loopback.
        let addresses = try TCPSocket.resolve(host: "localhost", port: 443)
        #expect(!addresses.isEmpty)
        for a in addresses {
            #expect(a.host == "127.0.0.1" || a.host == "::1", "localhost resolved to \(a)")
            #expect(a.port == 443)
        }
    }

    /// This machine's /etc/hosts maps `localhost` to 127.0.0.1 only, so the ::1 -> 127.0.0.1 and
    /// 127.0.0.1 -> ::1 fallbacks are exercised on explicit address lists, in both orders.
    @Test(arguments: [LoopbackListener.Family.v4, .v6])
    func fallsBackToTheAddressThatListens(_ listening: LoopbackListener.Family) async throws {
        let other: LoopbackListener.Family = listening == .v4 ? .v6 : .v4
        // Hold the same port number on the other family bound but not listening, so it refuses for sure.
        let (listener, refuser) = try pairOnOnePort(listening, other, secondListens: false)
        let dead = try #require(SocketAddress(ip: refuser.family.rawValue, port: listener.port))
        let live = try #require(SocketAddress(ip: listening.rawValue, port: listener.port))
        let remote = try await runBlocking {
            let client = try TCPSocket.connect(
                to: [dead, live], label: "localhost:\(listener.port)", timeout: 5, deadline: .after(seconds: 5))
            _ = try listener.accept()
            return client.remoteAddress
        }
        #expect(remote == live.description)
    }

    @Test func refusedConnectionNamesAddressAndCause() async throws {
        // A bound socket that does not listen answers SYN with RST; keeping it bound means no one else gets
        // the port in the meantime.
        let refuser = try LoopbackListener(.v4, listen: false)
        let error = await blockingError {
            _ = try TCPSocket.connect(host: "127.0.0.1", port: refuser.port, timeout: 5)
        }
        #expect(error == .network(step: .connect, reason: "127.0.0.1:\(refuser.port): connection refused"))
        #expect(error?.description == "connect failed: 127.0.0.1:\(refuser.port): connection refused")
    }

    @Test func everyFailedAddressIsReported() async throws {
        let (v4, v6) = try pairOnOnePort(.v4, .v6, firstListens: false, secondListens: false)
        let addresses = [
            try #require(SocketAddress(ip: "::1", port: v6.port)),
            try #require(SocketAddress(ip: "127.0.0.1", port: v4.port)),
        ]
        let error = await blockingError {
            _ = try TCPSocket.connect(to: addresses, label: "localhost:\(v4.port)", timeout: 5, deadline: .after(seconds: 5))
        }
        let p = v4.port
        #expect(error == .network(step: .connect, reason: "[::1]:\(p): connection refused; 127.0.0.1:\(p): connection refused"))
    }

    @Test func readTimesOutAgainstASilentPeer() async throws {
        let listener = try LoopbackListener(.v4)
        let (error, elapsed) = await timedBlockingError {
            let client = try TCPSocket.connect(host: "127.0.0.1", port: listener.port, timeout: 5)
            let server = try listener.accept()
            var buffer: [UInt8] = []
            defer { withExtendedLifetime(server) {} }
            _ = try client.read(into: &buffer, maxCount: 100, deadline: .after(seconds: 0.2))
        }
        #expect(error == .timedOut("waiting to read from 127.0.0.1:\(listener.port)"))
        #expect(elapsed >= 0.2 && elapsed < 2, "took \(elapsed) s")
    }

    @Test func writeTimesOutWhenThePeerDoesNotRead() async throws {
        let listener = try LoopbackListener(.v4)
        let (error, elapsed) = await timedBlockingError {
            let client = try TCPSocket.connect(host: "127.0.0.1", port: listener.port, timeout: 5)
            let server = try listener.accept()
            defer { withExtendedLifetime(server) {} }
            var small: Int32 = 4096
            _ = setsockopt(client.fileDescriptor, SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            // Far more than the peer's receive buffer plus our send buffer: the write must block in poll.
            try client.write([UInt8](repeating: 0x17, count: 8 << 20), deadline: .after(seconds: 0.3))
        }
        #expect(error == .timedOut("waiting to write to 127.0.0.1:\(listener.port)"))
        #expect(elapsed >= 0.3 && elapsed < 3, "took \(elapsed) s")
    }

    @Test func peerCloseReadsAsEOF() async throws {
        let listener = try LoopbackListener(.v4)
        try await runBlocking {
            let client = try TCPSocket.connect(host: "127.0.0.1", port: listener.port, timeout: 5)
            let server = try listener.accept()
            try server.writeAll([7, 8, 9])
            server.close()
            var buffer: [UInt8] = []
            var reads = 0
            while try client.read(into: &buffer, maxCount: 16, deadline: .after(seconds: 5)) > 0 { reads += 1 }
            #expect(buffer == [7, 8, 9])
            #expect(reads >= 1)
            // EOF is sticky and leaves the buffer alone.
            #expect(try client.read(into: &buffer, maxCount: 16, deadline: .after(seconds: 5)) == 0)
            #expect(buffer == [7, 8, 9])
        }
    }

    @Test func shutdownWriteSendsFINButKeepsReading() async throws {
        let listener = try LoopbackListener(.v4)
        try await runBlocking {
            let client = try TCPSocket.connect(host: "127.0.0.1", port: listener.port, timeout: 5)
            let server = try listener.accept()
            try client.write([1, 2], deadline: .after(seconds: 5))
            client.shutdownWrite()
            #expect(try server.readExactly(2) == [1, 2])
            #expect(throws: SocketTestError.self) { try server.readExactly(1) }  // EOF
            try server.writeAll([3])
            var buffer: [UInt8] = []
            #expect(try client.read(into: &buffer, maxCount: 8, deadline: .after(seconds: 5)) == 1)
            #expect(buffer == [3])
        }
    }

    @Test func peerResetFailsTheRead() async throws {
        let listener = try LoopbackListener(.v4)
        let error = await blockingError {
            let client = try TCPSocket.connect(host: "127.0.0.1", port: listener.port, timeout: 5)
            let server = try listener.accept()
            server.resetAndClose()
            var buffer: [UInt8] = []
            _ = try client.read(into: &buffer, maxCount: 16, deadline: .after(seconds: 5))
        }
        #expect(error == .network(step: .read, reason: "connection reset by peer"))
    }

    @Test func peerResetFailsTheWrite() async throws {
        let listener = try LoopbackListener(.v4)
        let error = await blockingError {
            let client = try TCPSocket.connect(host: "127.0.0.1", port: listener.port, timeout: 5)
            let server = try listener.accept()
            server.resetAndClose()
            // The RST may land after the first send was queued; keep writing until the error surfaces.
            let stop = Deadline.after(seconds: 2)
            while !stop.hasPassed() {
                try client.write([UInt8](repeating: 0x42, count: 1024), deadline: .after(seconds: 2))
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        guard case .network(let step, let reason) = error else {
            Issue.record("expected a network write error, got \(String(describing: error))")
            return
        }
        #expect(step == .write)
        #expect(reason == "connection reset by peer" || reason == "broken pipe")
    }

    @Test func closeWakesABlockedReaderAndFailsLaterIO() async throws {
        let listener = try LoopbackListener(.v4)
        let (client, server) = try await runBlocking {
            (try TCPSocket.connect(host: "127.0.0.1", port: listener.port, timeout: 5), try listener.accept())
        }
        async let read = timedBlockingError {
            var buffer: [UInt8] = []
            _ = try client.read(into: &buffer, maxCount: 16, deadline: .after(seconds: 10))
        }
        try await Task.sleep(for: .milliseconds(100))
        client.close()
        client.close()  // idempotent
        // .closed, not .timedOut: close() woke the read, well before its 10 s deadline.
        let (readError, elapsed) = await read
        #expect(readError == .closed)
        #expect(elapsed < 9, "took \(elapsed) s")
        #expect(client.isClosed)
        let writeError = await blockingError { try client.write([1], deadline: .after(seconds: 1)) }
        #expect(writeError == .closed)
        // The peer sees an orderly FIN.
        let peerSawEOF = try await runBlocking { () -> Bool in
            do { _ = try server.readExactly(1, timeout: 2); return false } catch { return "\(error)".contains("EOF") }
        }
        #expect(peerSawEOF)
    }

    @Test func closeWakesABlockedWriter() async throws {
        let listener = try LoopbackListener(.v4)
        let (client, server) = try await runBlocking {
            (try TCPSocket.connect(host: "127.0.0.1", port: listener.port, timeout: 5), try listener.accept())
        }
        var small: Int32 = 4096
        _ = setsockopt(client.fileDescriptor, SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        async let write = timedBlockingError {
            try client.write([UInt8](repeating: 0x17, count: 8 << 20), deadline: .after(seconds: 10))
        }
        try await Task.sleep(for: .milliseconds(150))
        client.close()
        // .closed, not .timedOut: close() woke the write, well before its 10 s deadline.
        let (writeError, elapsed) = await write
        #expect(writeError == .closed)
        #expect(elapsed < 9, "took \(elapsed) s")
        withExtendedLifetime(server) {}
    }

    /// A DNS failure that never leaves the machine: a 64-byte label cannot be encoded in a DNS query, so glibc's
    /// resolver refuses the name before sending anything (checked with strace: no packet to the name server).
    /// A name under `.invalid` (RFC 6761) is *not* used: glibc still sends that query to the configured
    /// resolver, which breaks "loopback only" and would hang on a machine whose resolver drops packets.
    @Test func dnsFailureNamesHostAndResolverMessage() async throws {
        let name = String(repeating: "a", count: 64) + ".example"
        let (error, elapsed) = await timedBlockingError { _ = try TCPSocket.connect(host: name, port: 443, timeout: 5) }
        #expect(error == .network(step: .resolve, reason: "\(name): Name or service not known"))
        #expect(error?.description == "DNS lookup failed: \(name): Name or service not known")
        #expect(elapsed < 1, "took \(elapsed) s")
    }

    @Test func connectTimesOutWhenTheAcceptQueueIsFull() async throws {
        // Linux drops SYNs to a listener whose accept queue is full (tcp_abort_on_overflow = 0), so the client
        // keeps retransmitting and the connect times out. Backlog 0 holds one connection; fill it first.
        let listener = try LoopbackListener(.v4, backlog: 0)
        let address = try #require(SocketAddress(ip: "127.0.0.1", port: listener.port))
        let filled = try await runBlocking { () -> Bool in
            var fds: [Int32] = []
            defer { for fd in fds { _ = close(fd) } }
            var full = false
            for _ in 0..<16 where !full {
                let (fd, completed) = rawConnect(address, wait: 0.2)
                if fd >= 0 { fds.append(fd) }
                full = !completed
            }
            guard full else { return false }
            let start = Deadline.now
            do {
                _ = try TCPSocket.connect(host: "127.0.0.1", port: listener.port, timeout: 0.3)
                Issue.record("connect succeeded although the accept queue is full")
            } catch {
                #expect((error as? TLSError) == .timedOut("TCP connect to 127.0.0.1:\(listener.port) after 0.3 s"))
                let elapsed = seconds(Deadline.now.duration(since: start))
                #expect(elapsed >= 0.29 && elapsed < 2, "took \(elapsed) s")
            }
            return true
        }
        #expect(filled, "could not fill the accept queue of a backlog-0 listener")
    }

    @Test func deadlineAlreadyPassedTimesOutWithoutConnecting() async throws {
        let listener = try LoopbackListener(.v4)
        let address = try #require(SocketAddress(ip: "127.0.0.1", port: listener.port))
        let error = await blockingError {
            _ = try TCPSocket.connect(to: [address], label: "x:1", timeout: 0, deadline: .after(seconds: -1))
        }
        #expect(error == .timedOut("TCP connect to x:1 after 0.0 s"))
    }

    @Test func adoptsASocketPair() async throws {
        var fds: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        let a = try TCPSocket.adopting(fileDescriptor: fds[0], remoteAddress: "pair-b")
        let b = try TCPSocket.adopting(fileDescriptor: fds[1], remoteAddress: "pair-a")
        #expect(fcntl(fds[0], F_GETFL) & O_NONBLOCK != 0)
        try await runBlocking {
            try a.write([1, 2, 3], deadline: .after(seconds: 5))
            var buffer: [UInt8] = []
            while buffer.count < 3 { _ = try b.read(into: &buffer, maxCount: 8, deadline: .after(seconds: 5)) }
            #expect(buffer == [1, 2, 3])
            var none: [UInt8] = []
            #expect(throws: TLSError.timedOut("waiting to read from pair-a")) {
                try b.read(into: &none, maxCount: 8, deadline: .after(seconds: 0.05))
            }
        }
        #expect(throws: TLSError.self) { try TCPSocket.adopting(fileDescriptor: -1, remoteAddress: "none") }
    }

    @Test func socketAddressFormatting() throws {
        #expect(SocketAddress(ip: "127.0.0.1", port: 4433)?.description == "127.0.0.1:4433")
        #expect(SocketAddress(ip: "::1", port: 443)?.description == "[::1]:443")
        #expect(SocketAddress(ip: "::1", port: 443)?.family == AF_INET6)
        #expect(SocketAddress(ip: "localhost", port: 443) == nil)
        #expect(errnoMessage(ECONNREFUSED) == "connection refused")
    }
}
