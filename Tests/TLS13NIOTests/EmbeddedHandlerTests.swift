import NIOCore
import NIOEmbedded
import NIOTLS
import Testing
import TLS13
import TLS13NIO
import TLS13TestSupport

/// The handler in an `EmbeddedChannel`: no network, no server — what it writes, holds and fires, step by step.
@Suite struct EmbeddedHandlerTests {
    static func configuration(handshakeTimeout: Double = 10) -> TLSClientConfiguration {
        var c = TLSClientConfiguration()
        c.trustRoots = .pemFile(CertPaths.path("ca.pem"))
        c.handshakeTimeout = handshakeTimeout
        return c
    }

    /// An embedded channel with the handler and a recorder above it (not yet active).
    static func channel(
        _ configuration: TLSClientConfiguration = configuration(), log: PipelineLog
    ) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            TLS13ClientHandler(configuration: configuration, serverName: "localhost"))
        try channel.pipeline.syncOperations.addHandler(Recorder(log))
        return channel
    }

    static func activate(_ channel: EmbeddedChannel) throws {
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
    }

    /// Everything written to the network so far, as bytes.
    static func outbound(_ channel: EmbeddedChannel) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { bytes += buffer.readableBytesView }
        return bytes
    }

    @Test func clientHelloOnActiveAndWritesHeldUntilTheHandshake() throws {
        let log = PipelineLog()
        let channel = try Self.channel(log: log)
        #expect(try Self.outbound(channel).isEmpty, "nothing before the channel is active")
        try Self.activate(channel)
        let hello = try Self.outbound(channel)
        // A handshake record (22) holding a ClientHello (1).
        #expect(hello.count > 100 && hello[0] == 22 && hello[5] == 1, "\(hello.prefix(8))")

        let handshake = try channel.pipeline.syncOperations.handler(type: TLS13ClientHandler.self)
            .handshakeCompleted(on: channel.eventLoop)
        let written = channel.writeAndFlush(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n"))
        #expect(try Self.outbound(channel).isEmpty, "application data is held until the handshake completes")
        #expect(log.tlsEvents.isEmpty)

        // The server answers with something that is not TLS: a typed error, an alert, the channel closed, the
        // held write failed with the same error, nothing passed up as data.
        #expect(throws: TLSError.self) {
            try channel.writeInbound(ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\n\r\n"))
        }
        let alert = try Self.outbound(channel)
        #expect(alert.first == 21, "an alert record follows: \(alert)")
        #expect(!channel.isActive)
        #expect(throws: TLSError.self) { try written.wait() }
        #expect(throws: TLSError.self) { try handshake.wait() }
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        #expect(log.tlsEvents.isEmpty)
    }

    @Test func addedToAnActiveChannelStartsAtOnce() throws {
        let channel = EmbeddedChannel()
        try Self.activate(channel)
        try channel.pipeline.syncOperations.addHandler(
            TLS13ClientHandler(configuration: Self.configuration(), serverName: "localhost"))
        let hello = try Self.outbound(channel)
        #expect(hello.count > 100 && hello[0] == 22 && hello[5] == 1)
        _ = try? channel.finish()
    }

    @Test func endOfStreamDuringTheHandshakeIsANetworkError() throws {
        let log = PipelineLog()
        let channel = try Self.channel(log: log)
        try Self.activate(channel)
        _ = try Self.outbound(channel)
        channel.pipeline.fireChannelInactive()
        let error = log.tlsErrors.first
        guard case .network(step: .read, _) = error else {
            Issue.record("expected a read error, got \(String(describing: error))")
            return
        }
        #expect(log.inactive)
    }

    @Test func closeDuringTheHandshakeFailsHeldWritesAndSaysCloseNotify() throws {
        let log = PipelineLog()
        let channel = try Self.channel(log: log)
        try Self.activate(channel)
        _ = try Self.outbound(channel)
        let written = channel.writeAndFlush(ByteBuffer(string: "never sent"))
        try channel.close().wait()
        // close_notify: a plaintext alert record (no keys yet), level warning (1), description 0.
        #expect(try Self.outbound(channel) == [21, 3, 3, 0, 2, 1, 0])
        #expect(throws: ChannelError.ioOnClosedChannel) { try written.wait() }
        #expect(!channel.isActive)
        #expect(log.tlsErrors.isEmpty)
    }

    @Test func handshakeTimeoutIsATypedErrorAndCloses() throws {
        let log = PipelineLog()
        let channel = try Self.channel(Self.configuration(handshakeTimeout: 2), log: log)
        try Self.activate(channel)
        _ = try Self.outbound(channel)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1900))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        let error = log.tlsErrors.first
        guard case .timedOut = error else {
            Issue.record("expected a timeout, got \(String(describing: error))")
            return
        }
        #expect(!channel.isActive)
    }

    @Test func closeInputIsUnsupported() throws {
        let log = PipelineLog()
        let channel = try Self.channel(log: log)
        try Self.activate(channel)
        #expect(throws: ChannelError.operationUnsupported) { try channel.close(mode: .input).wait() }
        _ = try? channel.finish()
    }

    @Test func invalidArgumentsThrow() {
        #expect(throws: TLSError.self) { _ = try TLS13ClientHandler(serverName: "") }
        #expect(throws: TLSError.self) {
            _ = try TLS13ClientHandler(serverName: "localhost", shutdownTimeout: .seconds(-1))
        }
        var bad = TLSClientConfiguration()
        bad.handshakeTimeout = -1
        #expect(throws: TLSError.self) { _ = try TLS13ClientHandler(configuration: bad, serverName: "localhost") }
    }
}
