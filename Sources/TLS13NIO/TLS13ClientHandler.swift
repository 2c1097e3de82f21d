import NIOCore
import NIOTLS
import TLS13

/// Adds a TLS 1.3 client to a SwiftNIO channel pipeline: ciphertext below it, plaintext above it.
///
/// Put it first in the pipeline of a client channel, before any handler that reads or writes application data:
///
/// ```swift
/// var configuration = TLSClientConfiguration()
/// configuration.applicationProtocols = ["http/1.1"]
/// let channel = try await ClientBootstrap(group: group).connect(host: "example.com", port: 443) { channel in
///     channel.eventLoop.makeCompletedFuture {
///         let tls = try TLS13ClientHandler(configuration: configuration, serverName: "example.com")
///         try channel.pipeline.syncOperations.addHandler(tls)
///         return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
///     }
/// }
/// ```
///
/// It behaves as swift-nio-ssl's `NIOSSLClientHandler` does:
///
/// - **Handshake.** Starts when the channel becomes active (or when the handler is added to an active channel).
///   Completion is announced with the user event `TLSUserEvent.handshakeCompleted(negotiatedProtocol:)` from
///   NIOTLS, carrying the ALPN protocol the server chose (`nil` when none), so NIOTLS's
///   `ApplicationProtocolNegotiationHandler` works above it. What else was negotiated is ``sessionInfo`` (or
///   `Channel.tls13SessionInfo()` from off the event loop). The handshake must finish within
///   `TLSClientConfiguration.handshakeTimeout` seconds, or it fails with `TLSError.timedOut`.
/// - **Writes before the handshake completes** are held (and so are flushes) and sealed, in order, once it has
///   completed; nothing is sent unencrypted. If the handshake fails, their promises fail with the error.
/// - **Reads.** Only application data from an authenticated server is passed on, as `ByteBuffer`s, one per
///   record or less; no application data reaches the next handler before the handshake completes.
/// - **Errors** are `TLSError`s, fired with `fireErrorCaught`: the alert the protocol calls for is written, and
///   the channel is closed. Writes still held fail with the same error.
/// - **Close.** `close(mode: .all)` sends close_notify and waits for the server's close_notify (at most
///   `shutdownTimeout`, as swift-nio-ssl waits) before closing the channel; the user event
///   `TLSUserEvent.shutdownCompleted` is fired when both close_notify alerts were exchanged.
///   `close(mode: .output)` sends close_notify and half-closes the TCP connection (TLS 1.3 allows reading on).
///   `close(mode: .input)` fails with `ChannelError.operationUnsupported`.
/// - **The server's close_notify.** With the channel option `ChannelOptions.allowRemoteHalfClosure`, the handler
///   fires `ChannelEvent.inputClosed` and writing may go on; without it (the default), the handler answers with
///   its own close_notify and closes the channel, firing `TLSUserEvent.shutdownCompleted`.
/// - **End of stream without close_notify.** The transport ending after the handshake without the server's
///   close_notify fires `TLSError.truncated` (swift-nio-ssl's `NIOSSLError.uncleanShutdown`): data may have
///   been cut off by an attacker or a middlebox. During the handshake it fires
///   `TLSError.network` (step `read`; swift-nio-ssl's `handshakeFailed`). Protocols that delimit
///   their own messages (HTTP with a Content-Length, say) may treat `truncated` after a complete message as
///   harmless, as they do with `uncleanShutdown`.
///
/// ## On the event loop
///
/// Everything runs on the channel's event loop, including certificate verification (chain building and
/// signature checks are CPU work of a millisecond or so per handshake, as with swift-nio-ssl's default
/// verification) and `TLSClientConfiguration.certificateVerificationHandler`, which must not block. An
/// `TLSClientConfiguration.asyncCertificateVerificationHandler` is waited for on the event loop thread (up to
/// the handshake timeout), stalling every channel of that loop meanwhile: use the synchronous handler here.
/// The handler is not `Sendable`: make it inside the channel initializer, on the channel's event loop.
///
/// Not supported here: 0-RTT early data (use `TLSConnection`), removing the handler to go on in plaintext
/// (`stopTLS`), and server mode.
public final class TLS13ClientHandler: ChannelDuplexHandler {
    /// Ciphertext from the network.
    public typealias InboundIn = ByteBuffer
    /// Plaintext for the handlers above.
    public typealias InboundOut = ByteBuffer
    /// Plaintext from the handlers above.
    public typealias OutboundIn = ByteBuffer
    /// Ciphertext for the network.
    public typealias OutboundOut = ByteBuffer

    private enum State {
        /// Added, the channel not yet active.
        case idle
        /// The ClientHello sent; waiting for the server.
        case handshaking
        /// Application data flows (both ways, or only outbound after the server's close_notify with half-closure).
        case active
        /// close_notify sent by `close(mode: .output)`: reading goes on, writing is over.
        case outputClosed
        /// close_notify sent by `close(mode: .all)`: waiting (at most the shutdown timeout) for the server's.
        case closing
        /// Closed, failed or inactive: nothing more happens.
        case closed
    }

    private let engine: TLSClientEngine
    private var state = State.idle
    /// Writes made before the handshake completed, sealed once it has.
    private var heldWrites: [(data: ByteBuffer, promise: EventLoopPromise<Void>?)] = []
    /// A flush asked for before the handshake completed.
    private var heldFlush = false
    /// `close(mode: .output)` asked for before the handshake completed: done after the held writes.
    private var heldCloseOutput: (requested: Bool, promise: EventLoopPromise<Void>?) = (false, nil)
    /// The promise of `close(mode: .all)` while waiting for the server's close_notify.
    private var closePromise: EventLoopPromise<Void>?
    private var handshakeTimer: Scheduled<Void>?
    private var shutdownTimer: Scheduled<Void>?
    /// The server's close_notify has been handled (the inbound side is over).
    private var peerCloseHandled = false
    /// Application data was passed on since the last `channelReadComplete`.
    private var deliveredData = false
    private let shutdownTimeout: TimeAmount
    /// How the handshake ended, once it has; and the promise of ``handshakeCompleted(on:)`` until then.
    private var handshakeResult: Result<TLSSessionInfo, any Error>?
    private var handshakePromise: EventLoopPromise<TLSSessionInfo>?

    /// Makes the handler and its ClientHello (sent when the channel is active).
    ///
    /// - Parameters:
    ///   - configuration: what to offer and whom to trust (`TLSClientConfiguration.applicationProtocols` for
    ///     ALPN, `TLSClientConfiguration.sessionCache` for resumption, …).
    ///   - serverName: the DNS name or IP literal the server is addressed by: sent as SNI (not an IP literal) and
    ///     checked against its certificate. `TLSClientConfiguration.serverName` overrides it.
    ///   - port: the server's port: only part of the key sessions are kept under in
    ///     `TLSClientConfiguration.sessionCache`.
    ///   - session: a session to resume; `nil` takes one from the configuration's session cache, if any.
    ///   - shutdownTimeout: how long `close(mode: .all)` waits for the server's close_notify before closing the
    ///     channel anyway (swift-nio-ssl's default is 5 seconds too). At least 0.
    /// - Throws: `TLSError.invalidConfiguration` for a configuration, name or timeout this library cannot
    ///   use; `TLSError.internalError` when libcrypto fails.
    public init(
        configuration: TLSClientConfiguration = TLSClientConfiguration(), serverName: String, port: UInt16 = 443,
        session: TLSSession? = nil, shutdownTimeout: TimeAmount = .seconds(5)
    ) throws(TLSError) {
        guard shutdownTimeout.nanoseconds >= 0 else {
            throw TLSError.invalidConfiguration("shutdownTimeout must not be negative")
        }
        engine = try TLSClientEngine(serverName: serverName, port: port, configuration: configuration, session: session)
        self.shutdownTimeout = shutdownTimeout
    }

    /// What has been negotiated: `nil` until the handshake has completed. Read it on the channel's event loop
    /// (from a handler, or through `Channel.tls13SessionInfo()`).
    public var sessionInfo: TLSSessionInfo? {
        engine.isHandshakeComplete ? engine.sessionInfo : nil
    }

    /// The sessions (tickets) the server has sent on this connection so far, newest last (at most
    /// `TLSClientEngine.maxKeptSessions`). Read it on the channel's event loop.
    public var receivedSessions: [TLSSession] { engine.receivedSessions }

    /// Keying material exported from the session (RFC 8446 §7.5); see
    /// `TLSClientEngine.exportKeyingMaterial`. Call it on the channel's event loop, after
    /// the handshake.
    public func exportKeyingMaterial(label: String, context: [UInt8], length: Int) throws(TLSError) -> [UInt8] {
        try engine.exportKeyingMaterial(label: label, context: context, length: length)
    }

    /// Completes when the handshake ends: with what was negotiated, or with the error that ended it (a `TLSError`,
    /// or `ChannelError.ioOnClosedChannel` when the channel closed first). Unlike ``sessionInfo``, it can be
    /// looked at after the channel has closed: get it in the channel initializer, right after adding the handler,
    /// and keep the future.
    ///
    /// - Parameter eventLoop: the channel's event loop; call this on it.
    public func handshakeCompleted(on eventLoop: any EventLoop) -> EventLoopFuture<TLSSessionInfo> {
        if let handshakeResult { return eventLoop.makeCompletedFuture(handshakeResult) }
        let promise = handshakePromise ?? eventLoop.makePromise(of: TLSSessionInfo.self)
        handshakePromise = promise
        return promise.futureResult
    }

    /// Records how the handshake ended (the first call wins) and completes ``handshakeCompleted(on:)``'s future.
    private func settleHandshake(_ result: Result<TLSSessionInfo, any Error>) {
        guard handshakeResult == nil else { return }
        handshakeResult = result
        let promise = handshakePromise
        handshakePromise = nil
        promise?.completeWith(result)
    }

    // MARK: - Lifecycle

    /// Starts the handshake if the channel is already active.
    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startHandshake(context: context) }
    }

    /// Cancels the timers and fails the writes still held.
    public func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimers()
        failHeld(ChannelError.ioOnClosedChannel)
        settleHandshake(.failure(ChannelError.ioOnClosedChannel))
    }

    /// Passes the event on, then starts the handshake.
    public func channelActive(context: ChannelHandlerContext) {
        // Fired first (as swift-nio-ssl does), so that a failure during the first step, which closes the channel,
        // is seen by the handlers above after they saw the channel active.
        context.fireChannelActive()
        startHandshake(context: context)
    }

    /// Fires `TLSError.truncated` (or the handshake's failure) when the transport ended without the server's
    /// close_notify, fails what is pending, and passes the event on.
    public func channelInactive(context: ChannelHandlerContext) {
        let previous = state
        state = .closed
        cancelTimers()
        var error: Error = ChannelError.ioOnClosedChannel
        switch previous {
        case .idle, .closed:
            break
        case .handshaking, .active, .outputClosed, .closing:
            if !engine.isPeerClosed {
                let ended = endOfStreamError()
                error = ended
                context.fireErrorCaught(ended)
            }
        }
        let promise = closePromise
        closePromise = nil
        if engine.isPeerClosed { promise?.succeed() } else { promise?.fail(error) }
        failHeld(error)
        settleHandshake(.failure(error))
        context.fireChannelInactive()
    }

    // MARK: - Inbound

    /// Gives the bytes to the engine, sends what it answers, and passes on the application data.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .handshaking, .active, .outputClosed, .closing:
            break
        case .idle, .closed:
            return  // nothing is expected (idle) or wanted (closed) any more
        }
        let buffer = unwrapInboundIn(data)
        let bytes = buffer.withUnsafeReadableBytes { Array($0) }
        do throws(TLSError) {
            try engine.receive(bytes)
        } catch {
            fail(context: context, error)
            return
        }
        pump(context: context)
    }

    /// Fires `channelReadComplete` if application data was passed on; otherwise, with `autoRead` off, asks for
    /// another read (the bytes read were all TLS's own).
    public func channelReadComplete(context: ChannelHandlerContext) {
        if deliveredData {
            deliveredData = false
            context.fireChannelReadComplete()
        } else if state != .closed, let autoRead = try? context.channel.syncOptions?.getOption(ChannelOptions.autoRead),
            !autoRead
        {
            context.read()
        }
    }

    /// `ChannelEvent.inputClosed` (the TCP stream ended, with `allowRemoteHalfClosure`): swallowed after the
    /// server's close_notify (already announced), an error without it. Other events pass on.
    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let channelEvent = event as? ChannelEvent, channelEvent == .inputClosed else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch state {
        case .idle, .closed:
            context.fireUserInboundEventTriggered(event)
        case .handshaking, .active, .outputClosed, .closing:
            if !engine.isPeerClosed { fail(context: context, endOfStreamError()) }
        }
    }

    /// The error the end of the stream is, for the engine (`truncated` after the handshake, a network read error
    /// during it); the engine has then failed.
    private func endOfStreamError() -> TLSError {
        do throws(TLSError) {
            try engine.receiveEndOfStream()
            return .truncated  // not reached: only called before the server's close_notify
        } catch {
            return error
        }
    }

    /// Handles the engine's events, passes its application data on and sends what it has to send, until it has
    /// nothing more to say. Handlers above may write or close the channel from `channelRead`: the state is looked
    /// at again after each.
    private func pump(context: ChannelHandlerContext) {
        while state != .closed {
            for event in engine.takeEvents() {
                if case .handshakeComplete = event { completeHandshake(context: context) }
                if state == .closed { return }
            }
            guard engine.isHandshakeComplete else { break }
            let chunk: [UInt8]?
            do throws(TLSError) {
                chunk = try engine.readApplicationData()
            } catch {
                fail(context: context, error)
                return
            }
            guard let chunk, !chunk.isEmpty else { break }
            deliveredData = true
            context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: chunk)))
        }
        guard state != .closed else { return }
        writeOutput(context: context)
        if engine.isPeerClosed, !peerCloseHandled, state != .closed, engine.bufferedApplicationDataCount == 0 {
            peerCloseHandled = true
            peerClosed(context: context)
        }
    }

    private func completeHandshake(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        handshakeTimer = nil
        guard state == .handshaking else { return }
        state = .active
        settleHandshake(.success(engine.sessionInfo))
        // The client's Finished goes out before anything sealed after it.
        writeOutput(context: context)
        context.fireUserInboundEventTriggered(
            TLSUserEvent.handshakeCompleted(negotiatedProtocol: engine.sessionInfo.applicationProtocol))
        releaseHeld(context: context)
    }

    /// The server sent close_notify (and everything before it was passed on).
    private func peerClosed(context: ChannelHandlerContext) {
        switch state {
        case .closing:
            // Both close_notify alerts exchanged: done.
            finishClose(context: context)
        case .active, .outputClosed:
            let halfClosure = (try? context.channel.syncOptions?.getOption(ChannelOptions.allowRemoteHalfClosure)) ?? false
            if halfClosure == true, state == .active {
                context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            } else {
                // Answer with close_notify (if not sent yet) and close, as swift-nio-ssl does.
                engine.close()
                writeOutput(context: context)
                finishClose(context: context)
            }
        case .idle, .handshaking, .closed:
            break
        }
    }

    /// Fires `shutdownCompleted` and closes the channel (completing the promise of `close(mode: .all)`).
    private func finishClose(context: ChannelHandlerContext) {
        cancelTimers()
        state = .closed
        let promise = closePromise
        closePromise = nil
        failHeld(ChannelError.ioOnClosedChannel)
        settleHandshake(.failure(ChannelError.ioOnClosedChannel))
        context.fireUserInboundEventTriggered(TLSUserEvent.shutdownCompleted)
        context.close(promise: promise)
    }

    // MARK: - Outbound

    /// Seals the data and writes the records (held until the handshake completes).
    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        switch state {
        case .idle, .handshaking:
            heldWrites.append((buffer, promise))
        case .active:
            seal(context: context, buffer, promise: promise)
        case .outputClosed, .closing:
            promise?.fail(ChannelError.outputClosed)
        case .closed:
            promise?.fail(engine.failure.map { $0 as any Error } ?? ChannelError.ioOnClosedChannel)
        }
    }

    /// Flushes (held until the handshake completes).
    public func flush(context: ChannelHandlerContext) {
        switch state {
        case .idle, .handshaking:
            heldFlush = true
        case .active, .outputClosed, .closing, .closed:
            context.flush()
        }
    }

    /// `.all`: close_notify, then (bounded) the server's close_notify, then the channel is closed. `.output`:
    /// close_notify and a TCP half-close. `.input`: unsupported.
    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch mode {
        case .input:
            promise?.fail(ChannelError.operationUnsupported)
        case .output:
            closeOutput(context: context, promise: promise)
        case .all:
            closeAll(context: context, promise: promise)
        }
    }

    private func closeOutput(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        switch state {
        case .idle, .handshaking:
            // After the writes held before it.
            if let held = heldCloseOutput.promise, let promise {
                held.futureResult.cascade(to: promise)
            } else if let promise {
                heldCloseOutput.promise = promise
            }
            heldCloseOutput.requested = true
        case .active where engine.isPeerClosed:
            // The server's close_notify came before: closing output too is a full close (as in swift-nio-ssl).
            closeAll(context: context, promise: promise)
        case .active:
            state = .outputClosed
            engine.close()
            writeOutput(context: context)
            context.close(mode: .output, promise: promise)
        case .outputClosed, .closing, .closed:
            context.close(mode: .output, promise: promise)
        }
    }

    private func closeAll(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        switch state {
        case .idle:
            state = .closed
            failHeld(ChannelError.ioOnClosedChannel)
            settleHandshake(.failure(ChannelError.ioOnClosedChannel))
            context.close(promise: promise)
        case .handshaking:
            // No application data has flowed: say close_notify (RFC 8446 §6.1) and close without waiting.
            state = .closed
            cancelTimers()
            engine.close()
            writeOutput(context: context)
            failHeld(ChannelError.ioOnClosedChannel)
            settleHandshake(.failure(ChannelError.ioOnClosedChannel))
            context.close(promise: promise)
        case .active, .outputClosed:
            if engine.isPeerClosed {
                // The server already said close_notify (half-closure): ours, and done.
                engine.close()
                writeOutput(context: context)
                closePromise = promise
                finishClose(context: context)
                return
            }
            state = .closing
            closePromise = promise
            engine.close()
            writeOutput(context: context)
            shutdownTimer = context.eventLoop.assumeIsolated().scheduleTask(in: shutdownTimeout) { [self] in
                // The server did not answer in time: close anyway (as swift-nio-ssl does).
                guard state == .closing else { return }
                state = .closed
                let pending = closePromise
                closePromise = nil
                context.close(promise: pending)
            }
        case .closing:
            if let closePromise, let promise {
                closePromise.futureResult.cascade(to: promise)
            } else if let promise {
                closePromise = promise
            }
        case .closed:
            context.close(promise: promise)
        }
    }

    // MARK: - Internals

    private func startHandshake(context: ChannelHandlerContext) {
        guard state == .idle else { return }
        state = .handshaking
        let seconds = engine.configuration.handshakeTimeout
        let timeout = TimeAmount.nanoseconds(Int64(min(seconds, 1e9) * 1e9))
        handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            guard state == .handshaking else { return }
            fail(context: context, TLSError.timedOut("TLS handshake did not finish in \(seconds) s"))
        }
        writeOutput(context: context)  // the ClientHello
    }

    /// Seals one write and passes the records on (not flushed).
    private func seal(context: ChannelHandlerContext, _ buffer: ByteBuffer, promise: EventLoopPromise<Void>?) {
        do throws(TLSError) {
            if buffer.readableBytes > 0 {
                try engine.write(buffer.withUnsafeReadableBytes { Array($0) })
            }
            let out = try engine.takeOutput()
            context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: out)), promise: promise)
        } catch {
            promise?.fail(error)
            fail(context: context, error)
        }
    }

    /// After the handshake: the held writes sealed in order, the held flush and half-close done.
    private func releaseHeld(context: ChannelHandlerContext) {
        let writes = heldWrites
        heldWrites = []
        for (index, write) in writes.enumerated() {
            guard state == .active else {
                let error = engine.failure.map { $0 as any Error } ?? ChannelError.ioOnClosedChannel
                for rest in writes[index...] { rest.promise?.fail(error) }
                return
            }
            seal(context: context, write.data, promise: write.promise)
        }
        if heldFlush {
            heldFlush = false
            context.flush()
        }
        if heldCloseOutput.requested, state == .active {
            let promise = heldCloseOutput.promise
            heldCloseOutput = (false, nil)
            closeOutput(context: context, promise: promise)
        }
    }

    /// Writes and flushes whatever the engine has to send.
    private func writeOutput(context: ChannelHandlerContext) {
        let out: [UInt8]
        do throws(TLSError) {
            out = try engine.takeOutput()
        } catch {
            fail(context: context, error)
            return
        }
        guard !out.isEmpty else { return }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: out)), promise: nil)
    }

    /// Sends the alert for `error` (if any), fires the error, fails what is pending, and closes the channel.
    private func fail(context: ChannelHandlerContext, _ error: TLSError) {
        guard state != .closed else { return }
        state = .closed
        cancelTimers()
        if let alert = try? engine.takeOutput(), !alert.isEmpty {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: alert)), promise: nil)
        }
        settleHandshake(.failure(error))
        context.fireErrorCaught(error)
        failHeld(error)
        let promise = closePromise
        closePromise = nil
        context.close(promise: promise)
    }

    private func failHeld(_ error: Error) {
        let writes = heldWrites
        heldWrites = []
        heldFlush = false
        for write in writes { write.promise?.fail(error) }
        let closeOutput = heldCloseOutput.promise
        heldCloseOutput = (false, nil)
        closeOutput?.fail(error)
    }

    private func cancelTimers() {
        handshakeTimer?.cancel()
        handshakeTimer = nil
        shutdownTimer?.cancel()
        shutdownTimer = nil
    }
}

@available(*, unavailable, message: "TLS13ClientHandler is not thread-safe: use it on its channel's event loop")
extension TLS13ClientHandler: Sendable {}

extension Channel {
    /// What the channel's ``TLS13ClientHandler`` negotiated: `nil` before its handshake has completed; fails when
    /// the pipeline has no such handler. Callable from any thread.
    public func tls13SessionInfo() -> EventLoopFuture<TLSSessionInfo?> {
        eventLoop.submit {
            try self.pipeline.syncOperations.handler(type: TLS13ClientHandler.self).sessionInfo
        }
    }
}
