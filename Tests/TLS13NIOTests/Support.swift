import Foundation
import NIOCore
import NIOPosix
import NIOTLS
import Synchronization
import TLS13
import TLS13NIO
import TLS13TestSupport
@testable import TLS13CLI

/// What reached the handlers above ``TLS13ClientHandler``: user events, errors, and whether the channel went
/// inactive. Shared between the event loop (``Recorder``) and the test.
final class PipelineLog: Sendable {
    private let state = Mutex<(events: [String], tlsEvents: [TLSUserEvent], errors: [any Error], inactive: Bool)>(
        ([], [], [], false))

    private let handshakeFuture = Mutex<EventLoopFuture<TLSSessionInfo>?>(nil)
    /// The handler's `handshakeCompleted(on:)`, taken when the channel was set up.
    var handshake: EventLoopFuture<TLSSessionInfo>? {
        get { handshakeFuture.withLock { $0 } }
        set { handshakeFuture.withLock { $0 = newValue } }
    }

    func record(event: Any) {
        state.withLock {
            if let tls = event as? TLSUserEvent { $0.tlsEvents.append(tls) }
            $0.events.append(String(describing: event))
        }
    }
    func record(error: any Error) { state.withLock { $0.errors.append(error) } }
    func recordInactive() { state.withLock { $0.inactive = true } }

    var tlsEvents: [TLSUserEvent] { state.withLock { $0.tlsEvents } }
    var events: [String] { state.withLock { $0.events } }
    var errors: [any Error] { state.withLock { $0.errors } }
    var tlsErrors: [TLSError] { errors.compactMap { $0 as? TLSError } }
    var inactive: Bool { state.withLock { $0.inactive } }

    /// Waits (polling, at most `timeout` seconds) until `condition` holds; returns whether it did.
    func wait(timeout: Double = 10, until condition: @Sendable (PipelineLog) -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition(self) {
            if Date() >= deadline { return false }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return true
    }
}

/// Sits above the TLS handler, writes down what passes, and passes everything on.
final class Recorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let log: PipelineLog
    init(_ log: PipelineLog) { self.log = log }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        log.record(event: event)
        context.fireUserInboundEventTriggered(event)
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        log.record(error: error)
        context.fireErrorCaught(error)
    }
    func channelInactive(context: ChannelHandlerContext) {
        log.recordInactive()
        context.fireChannelInactive()
    }
}

enum NIOTestSupport {
    static var group: any EventLoopGroup { MultiThreadedEventLoopGroup.singleton }

    /// The test PKI's CA, `localhost`, short timeouts.
    static func configuration(alpn: [String] = []) -> TLSClientConfiguration {
        var c = TLSClientConfiguration()
        c.trustRoots = .pemFile(CertPaths.path("ca.pem"))
        c.applicationProtocols = alpn
        c.handshakeTimeout = 10
        return c
    }

    /// Connects to 127.0.0.1:`port` with a ``TLS13ClientHandler`` and a ``Recorder``, wrapped in an
    /// `NIOAsyncChannel`. The channel is closed after `limit` seconds whatever happens, so no test can hang on it.
    static func connect(
        port: UInt16, configuration: TLSClientConfiguration = configuration(), serverName: String = "localhost",
        log: PipelineLog, halfClosure: Bool = false, limit: Int64 = 20
    ) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: group)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: halfClosure)
            .connect(host: "127.0.0.1", port: Int(port)) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tls = try TLS13ClientHandler(configuration: configuration, serverName: serverName)
                    try channel.pipeline.syncOperations.addHandler(tls)
                    try channel.pipeline.syncOperations.addHandler(Recorder(log))
                    log.handshake = tls.handshakeCompleted(on: channel.eventLoop)
                    channel.eventLoop.scheduleTask(in: .seconds(limit)) { channel.close(promise: nil) }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(isOutboundHalfClosureEnabled: halfClosure))
                }
            }
    }

    /// Reads from `inbound` until `text` has arrived (or the stream ends); returns everything read.
    static func read(
        _ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, until text: String
    ) async throws -> String {
        var got = ""
        for try await var buffer in inbound {
            got += buffer.readString(length: buffer.readableBytes) ?? ""
            if got.contains(text) { break }
        }
        return got
    }

    /// Everything until the stream ends.
    static func readAll(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>) async throws -> String {
        var got = ""
        for try await var buffer in inbound {
            got += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        return got
    }

    /// Waits (polling) until the channel is inactive; returns whether it became so within `timeout` seconds.
    static func waitClosed(_ channel: any Channel, timeout: Double = 10) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while channel.isActive {
            if Date() >= deadline { return false }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return true
    }

    /// `gnutls-serv` on a free port (found from /proc: it prints "port 0"), TLS 1.3 only, serving the ECDSA leaf
    /// with its intermediate. Stop it with `stop()` in a `defer`.
    static func startGnuTLS(_ arguments: [String] = ["--echo"]) async throws -> InteropProcess {
        try await runBlocking {
            do {
                return try InteropProcess(
                    executable: "/usr/bin/gnutls-serv",
                    arguments: [
                        "-p", "0", "--x509certfile", CertPaths.path("leaf-ecdsa-p256-chain.pem"),
                        "--x509keyfile", CertPaths.path("leaf-ecdsa-p256.key"),
                        "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3",
                    ] + arguments,
                    portSource: .listeningSocket)
            } catch {
                throw VectorError(description: "\(error)")
            }
        }
    }
}

/// A TCP server (NIO, in process) that answers the first bytes it receives with `reply`, and keeps what the
/// client sends afterwards.
final class RawReplyServer: Sendable {
    let channel: any Channel
    private let afterReply: Bytes
    var port: UInt16 { UInt16(channel.localAddress?.port ?? 0) }
    /// What the client sent after the reply (its alert, say).
    var receivedAfterReply: [UInt8] { afterReply.value.withLock { $0 } }

    final class Bytes: Sendable {
        let value = Mutex<[UInt8]>([])
    }

    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let reply: [UInt8]
        let afterReply: Bytes
        var answered = false
        init(reply: [UInt8], afterReply: Bytes) {
            self.reply = reply
            self.afterReply = afterReply
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = unwrapInboundIn(data).readableBytesView
            if answered {
                afterReply.value.withLock { $0 += bytes }
                return
            }
            answered = true
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: reply)), promise: nil)
        }
    }

    private init(channel: any Channel, afterReply: Bytes) {
        self.channel = channel
        self.afterReply = afterReply
    }

    static func start(reply: [UInt8]) async throws -> RawReplyServer {
        let afterReply = Bytes()
        let channel = try await ServerBootstrap(group: NIOTestSupport.group)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(Responder(reply: reply, afterReply: afterReply))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return RawReplyServer(channel: channel, afterReply: afterReply)
    }

    func stop() async { try? await channel.close() }
}
