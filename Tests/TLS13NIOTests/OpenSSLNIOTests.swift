import Foundation
import NIOCore
import NIOPosix
import NIOTLS
import Testing
import TLS13
import TLS13NIO
import TLS13TestSupport

/// The handler in a real NIO pipeline (NIOPosix, `NIOAsyncChannel`) against `openssl s_server` on loopback.
@Suite(.serialized) struct OpenSSLNIOTests {
    @Test func handshakeAndEchoThroughNIOAsyncChannel() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let log = PipelineLog()
        let channel = try await NIOTestSupport.connect(port: server.port, log: log)
        let (reply, info) = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "hello nio\n"))
            let reply = try await NIOTestSupport.read(inbound, until: "\n")
            return (reply, try await channel.channel.tls13SessionInfo().get())
        }
        #expect(reply == "oin olleh\n")
        #expect(log.tlsEvents.first == .handshakeCompleted(negotiatedProtocol: nil))
        #expect(info?.certificateVerified == true)
        #expect(info?.peerCertificates.count == 2, "leaf + intermediate")
        #expect(log.tlsErrors.isEmpty, "\(log.errors)")
    }

    @Test func writesBeforeTheHandshakeAreSentAfterIt() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let log = PipelineLog()
        let first = NIOTestSupport.configuration()
        // Written in the channel initializer: before the channel is even connected, so before any handshake.
        let channel = try await ClientBootstrap(group: NIOTestSupport.group)
            .connect(host: "127.0.0.1", port: Int(server.port)) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        TLS13ClientHandler(configuration: first, serverName: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(Recorder(log))
                    channel.eventLoop.scheduleTask(in: .seconds(20)) { channel.close(promise: nil) }
                    let async = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    channel.writeAndFlush(ByteBuffer(string: "one\n"), promise: nil)
                    channel.write(ByteBuffer(string: "two\n"), promise: nil)
                    channel.flush()
                    return async
                }
            }
        let reply = try await channel.executeThenClose { inbound, _ in
            try await NIOTestSupport.read(inbound, until: "owt\n")
        }
        #expect(reply == "eno\nowt\n")
        #expect(log.tlsEvents.first == .handshakeCompleted(negotiatedProtocol: nil))
    }

    @Test func alpnIsInTheHandshakeEvent() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-alpn", "h2,http/1.1"])
        defer { server.stop() }
        let log = PipelineLog()
        let channel = try await NIOTestSupport.connect(
            port: server.port, configuration: NIOTestSupport.configuration(alpn: ["http/1.1", "spdy/1"]), log: log)
        let info = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "x\n"))
            _ = try await NIOTestSupport.read(inbound, until: "\n")
            return try await channel.channel.tls13SessionInfo().get()
        }
        #expect(log.tlsEvents.first == .handshakeCompleted(negotiatedProtocol: "http/1.1"))
        #expect(info?.applicationProtocol == "http/1.1")
        // After the close, the pipeline is gone but the handshake's future still says what was negotiated.
        #expect(await NIOTestSupport.waitClosed(channel.channel))
        let handshake = try #require(log.handshake)
        #expect(try await handshake.get().applicationProtocol == "http/1.1")
    }

    @Test func closeSendsCloseNotifyAndWaitsForTheServers() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-msg"])
        defer { server.stop() }
        let log = PipelineLog()
        let channel = try await NIOTestSupport.connect(port: server.port, log: log)
        try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "x\n"))
            _ = try await NIOTestSupport.read(inbound, until: "\n")
        }
        // executeThenClose closed the channel: close_notify went out and the server's came back.
        #expect(await log.wait { $0.tlsEvents.contains(.shutdownCompleted) }, "\(log.events)")
        #expect(await NIOTestSupport.waitClosed(channel.channel))
        let saw = try await runBlocking { server.waitForOutput("close_notify", timeout: 5) }
        #expect(saw, "s_server -msg shows the client's close_notify: \(server.output.suffix(600))")
        #expect(log.tlsErrors.isEmpty, "\(log.errors)")
    }

    @Test func serversCloseNotifyEndsTheStreamCleanly() async throws {
        let server = try await OpenSSLServer.start(mode: ["-www"])
        defer { server.stop() }
        let log = PipelineLog()
        let channel = try await NIOTestSupport.connect(port: server.port, log: log)
        let page = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "GET / HTTP/1.0\r\n\r\n"))
            return try await NIOTestSupport.readAll(inbound)
        }
        #expect(page.hasPrefix("HTTP/1.0 200 ok"))
        #expect(log.tlsEvents == [.handshakeCompleted(negotiatedProtocol: nil), .shutdownCompleted])
        #expect(log.tlsErrors.isEmpty, "\(log.errors)")
        #expect(await NIOTestSupport.waitClosed(channel.channel))
    }

    @Test func serversCloseNotifyWithHalfClosureKeepsTheChannelOpen() async throws {
        let server = try await OpenSSLServer.start(mode: ["-www"])
        defer { server.stop() }
        let log = PipelineLog()
        let channel = try await NIOTestSupport.connect(port: server.port, log: log, halfClosure: true)
        let page = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "GET / HTTP/1.0\r\n\r\n"))
            let page = try await NIOTestSupport.readAll(inbound)  // ends at the server's close_notify
            #expect(log.events.contains("inputClosed"), "\(log.events)")
            #expect(channel.channel.isActive, "half-closed: this side may still write")
            return page
        }
        #expect(page.hasPrefix("HTTP/1.0 200 ok"))
        #expect(await log.wait { $0.tlsEvents.contains(.shutdownCompleted) }, "\(log.events)")
        #expect(log.tlsErrors.isEmpty, "\(log.errors)")
    }

    @Test func badCertificateIsATLSErrorThroughThePipeline() async throws {
        let server = try await OpenSSLServer.start(leaf: "leaf-expired", mode: ["-rev"])
        defer { server.stop() }
        let log = PipelineLog()
        let channel = try await NIOTestSupport.connect(port: server.port, log: log)
        let thrown = await #expect(throws: TLSError.self) {
            try await channel.executeThenClose { inbound, _ in _ = try await NIOTestSupport.readAll(inbound) }
        }
        guard case .certificateRejected(alert: .certificateExpired, _) = thrown else {
            Issue.record("expected certificate_expired, got \(String(describing: thrown))")
            return
        }
        #expect(log.tlsEvents.isEmpty, "no handshake completed")
        #expect(await NIOTestSupport.waitClosed(channel.channel))
        let saw = try await runBlocking { server.waitForOutput("certificate expired", timeout: 5) }
        #expect(saw, "the server got the alert: \(server.output.suffix(600))")
    }

    @Test func hostileServerBytesAreATypedErrorAndAnAlert() async throws {
        // A whole ServerHello message of 2 bytes: its version, then nothing (no random, no session id, …).
        let reply: [UInt8] = [22, 3, 3, 0, 6, 2, 0, 0, 2, 3, 3]
        let server = try await RawReplyServer.start(reply: reply)
        let log = PipelineLog()
        let channel = try await NIOTestSupport.connect(port: server.port, log: log)
        let thrown = await #expect(throws: TLSError.self) {
            try await channel.executeThenClose { inbound, _ in _ = try await NIOTestSupport.readAll(inbound) }
        }
        guard case .decode(_, alert: .decodeError) = thrown else {
            Issue.record("expected decode_error, got \(String(describing: thrown))")
            return
        }
        #expect(await NIOTestSupport.waitClosed(channel.channel))
        let deadline = Date().addingTimeInterval(5)
        while server.receivedAfterReply.isEmpty, Date() < deadline { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(server.receivedAfterReply.first == 21, "an alert record: \(server.receivedAfterReply)")
        await server.stop()
    }

    @Test func endOfStreamWithoutCloseNotifyIsTruncated() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let log = PipelineLog()
        let channel = try await NIOTestSupport.connect(port: server.port, log: log)
        let thrown = await #expect(throws: (any Error).self) {
            try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "x\n"))
                var iterator = inbound.makeAsyncIterator()
                _ = try await iterator.next()
                server.stop()  // SIGKILL: the kernel ends the TCP stream, no close_notify
                while try await iterator.next() != nil {}
            }
        }
        #expect(log.tlsErrors.contains(.truncated), "\(log.errors); thrown \(String(describing: thrown))")
    }
}
