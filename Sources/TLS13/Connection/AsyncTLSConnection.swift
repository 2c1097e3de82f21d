#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `async` variant of ``TLSConnection`` for Swift-concurrency callers, without a thread per connection.
///
/// Every connection waits on one shared readiness loop: a single thread, started on first use, that waits in
/// Linux's `epoll_wait` for sockets to become readable or writable and for deadlines to pass, and resumes the
/// waiting task. The loop does nothing else: `recv`, `send`, the handshake, certificate verification, decryption
/// and sealing all run in the calling task. Sockets are non-blocking; a DNS name is resolved by `getaddrinfo` on one
/// of two resolver threads shared by the process (an IP literal needs none). So however many connections are open,
/// the process has the same few threads: the Swift-concurrency pool, the loop thread, and — once a name was
/// resolved — the two resolver threads.
///
/// ```swift
/// let connection = try await AsyncTLSConnection.connect(host: "localhost", port: 4433, configuration: config)
/// try await connection.write(Array("ping".utf8))
/// for try await chunk in connection.inboundData { print(chunk) }   // until close_notify
/// await connection.close()
/// ```
///
/// ## Deadlines and cancellation
/// Every wait has a deadline from the configuration: ``TLSClientConfiguration/connectTimeout`` for name resolution
/// and TCP connect, ``TLSClientConfiguration/handshakeTimeout`` for the handshake,
/// ``TLSClientConfiguration/ioTimeout`` for a read (none by default: a read waits for data), and
/// ``TLSClientConfiguration/writeTimeout`` for a write; past it the operation throws ``TLSError/timedOut(_:)`` (a read
/// timeout leaves the connection usable; a write timeout fails it). Cancelling the task of any operation — connect,
/// read, write, ``closeWrite()``, ``updateKeys(requestPeerUpdate:)`` — ends it at once with ``TLSError/closed`` and
/// aborts the connection (``TLSConnection/abort()``: a record may have been half sent), as a ``close()`` in a
/// cancelled task closes at once without close_notify.
///
/// ## Threads and tasks
/// One task may read while another writes; reads wait for each other, and so do writes (in arrival order). Use
/// either this type's methods or the blocking ones of ``connection``, not both at once.
public final class AsyncTLSConnection: Sendable {
    /// The connection's state: what was negotiated, the sessions received, the addresses, the durations (its
    /// properties are safe to read from any thread). Its blocking methods also work on this connection, but do not
    /// mix them with this type's `async` ones.
    public let connection: TLSConnection
    private let socket: TCPSocket
    /// The loop this connection waits on.
    let loop: ReadinessLoop
    private let reading = AsyncSerializer()
    private let writing = AsyncSerializer()
    /// Where reads land; held only while data flows (released whenever a read has to wait). Touched by the task that
    /// holds `reading`.
    private let readBuffer = Locked(ReadBuffer())

    private struct ReadBuffer {
        var scratch: [UInt8] = []
        var window = TLSConnection.initialReadSize
    }

    private init(connection: TLSConnection, socket: TCPSocket, loop: ReadinessLoop) {
        self.connection = connection
        self.socket = socket
        self.loop = loop
    }

    private var io: SocketIO { SocketIO(socket: socket, loop: loop) }

    // MARK: - Connecting

    /// Connects and performs the handshake, waiting on the shared readiness loop; the parameters, the session and
    /// early-data options and the errors are those of
    /// ``TLSConnection/connect(host:port:configuration:session:earlyData:resendRejectedEarlyData:)``.
    ///
    /// - Parameters:
    ///   - host: a DNS name (resolved on a resolver thread) or an IPv4/IPv6 literal without brackets.
    ///   - port: the TCP port.
    ///   - configuration: what to offer and whom to trust.
    ///   - session: a session to resume; `nil` takes one from ``TLSClientConfiguration/sessionCache`` (if set).
    ///   - earlyData: 0-RTT data (**replayable**: only requests that are safe to repeat).
    ///   - resendRejectedEarlyData: send rejected early data again after the handshake.
    /// - Throws: as the blocking `connect`; ``TLSError/closed`` when the task is cancelled.
    public static func connect(
        host: String, port: UInt16, configuration: TLSClientConfiguration = TLSClientConfiguration(),
        session: TLSSession? = nil, earlyData: [UInt8]? = nil, resendRejectedEarlyData: Bool = false
    ) async throws(TLSError) -> AsyncTLSConnection {
        try await connect(
            host: host, port: port, configuration: configuration, session: session, earlyData: earlyData,
            resendRejectedEarlyData: resendRejectedEarlyData, loop: .shared)
    }

    /// Connects to `host:port`, `[v6]:port` or a bare host (then `defaultPort`); see
    /// ``connect(host:port:configuration:session:earlyData:resendRejectedEarlyData:)``.
    ///
    /// - Parameters:
    ///   - address: `host:port`, `[v6]:port`, or a host alone.
    ///   - defaultPort: the port when `address` names none.
    ///   - configuration: what to offer and whom to trust.
    ///   - session: a session to resume.
    ///   - earlyData: 0-RTT data (**replayable**).
    ///   - resendRejectedEarlyData: send rejected early data again after the handshake.
    public static func connect(
        to address: String, defaultPort: UInt16 = 443, configuration: TLSClientConfiguration = TLSClientConfiguration(),
        session: TLSSession? = nil, earlyData: [UInt8]? = nil, resendRejectedEarlyData: Bool = false
    ) async throws(TLSError) -> AsyncTLSConnection {
        let endpoint = try Endpoint.parse(address, defaultPort: defaultPort)
        return try await connect(
            host: endpoint.host, port: endpoint.port, configuration: configuration, session: session,
            earlyData: earlyData, resendRejectedEarlyData: resendRejectedEarlyData)
    }

    /// Runs TLS over a descriptor the caller connected (after a STARTTLS exchange, through a proxy, handed over by a
    /// service manager), waiting on the shared readiness loop; see
    /// ``TLSConnection/connect(fileDescriptor:ownership:serverName:port:configuration:session:earlyData:resendRejectedEarlyData:)``
    /// for the parameters and ownership rules.
    ///
    /// - Parameters:
    ///   - fileDescriptor: a connected `SOCK_STREAM` socket with nothing unread that belongs to TLS in the caller's
    ///     buffers.
    ///   - ownership: who closes the descriptor. A borrowed one is read and written with `MSG_DONTWAIT` (its flags are
    ///     left alone); ``close()`` or ``abort()`` wake a task waiting on it.
    ///   - serverName: the DNS name or IP literal the certificate must match.
    ///   - port: the server's port (part of the session cache's key).
    ///   - configuration: what to offer and whom to trust.
    ///   - session: a session to resume.
    ///   - earlyData: 0-RTT data (**replayable**).
    ///   - resendRejectedEarlyData: send rejected early data again after the handshake.
    public static func connect(
        fileDescriptor: Int32, ownership: TLSDescriptorOwnership, serverName: String, port: UInt16 = 443,
        configuration: TLSClientConfiguration = TLSClientConfiguration(), session: TLSSession? = nil,
        earlyData: [UInt8]? = nil, resendRejectedEarlyData: Bool = false
    ) async throws(TLSError) -> AsyncTLSConnection {
        try await connect(
            fileDescriptor: fileDescriptor, ownership: ownership, serverName: serverName, port: port,
            configuration: configuration, session: session, earlyData: earlyData,
            resendRejectedEarlyData: resendRejectedEarlyData, loop: .shared)
    }

    /// ``connect(fileDescriptor:ownership:serverName:port:configuration:session:earlyData:resendRejectedEarlyData:)``
    /// on a given loop.
    static func connect(
        fileDescriptor: Int32, ownership: TLSDescriptorOwnership, serverName: String, port: UInt16 = 443,
        configuration: TLSClientConfiguration, session: TLSSession? = nil, earlyData: [UInt8]? = nil,
        resendRejectedEarlyData: Bool = false, loop: ReadinessLoop, pool: BlockingPool = .shared
    ) async throws(TLSError) -> AsyncTLSConnection {
        let verifier: CertificateVerifier?
        do throws(TLSError) {
            try TLSConnection.validate(serverName: serverName, configuration: configuration, earlyData: earlyData)
            verifier = try TrustStoreCache.verifier(for: configuration)
        } catch {
            if ownership == .takeOwnership, fileDescriptor >= 0 { _ = Glibc.close(fileDescriptor) }
            throw error
        }
        let socket = try TCPSocket.adopting(fileDescriptor: fileDescriptor, ownership: ownership)
        let relay = EventRelay(configuration: configuration, peer: Endpoint.display(host: serverName, port: port))
        return try await establish(
            socket: socket, host: serverName, port: port, configuration: configuration, verifier: verifier,
            session: session, earlyData: earlyData, resendRejectedEarlyData: resendRejectedEarlyData, relay: relay,
            loop: loop, pool: pool)
    }

    /// ``connect(host:port:configuration:session:earlyData:resendRejectedEarlyData:)`` on a given loop and pool
    /// (tests use loops of their own).
    static func connect(
        host: String, port: UInt16, configuration: TLSClientConfiguration, session: TLSSession? = nil,
        earlyData: [UInt8]? = nil, resendRejectedEarlyData: Bool = false, loop: ReadinessLoop,
        pool: BlockingPool = .shared
    ) async throws(TLSError) -> AsyncTLSConnection {
        try configuration.validate()
        try Endpoint.validateHost(host)
        guard port > 0 else { throw TLSError.network(step: .parseAddress, reason: "port 0 is out of range 1...65535") }
        if let earlyData, earlyData.count > TLSClientEngine.maxEarlyDataLength {
            throw TLSError.invalidConfiguration(
                "earlyData is \(earlyData.count) bytes; at most \(TLSClientEngine.maxEarlyDataLength)")
        }
        let verifier = try TrustStoreCache.verifier(for: configuration)
        // The trace's time 0: name resolution starts.
        let relay = EventRelay(configuration: configuration, peer: Endpoint.display(host: host, port: port))
        let socket = try await connectSocket(
            host: host, port: port, timeout: configuration.connectTimeout, relay: relay, loop: loop, pool: pool)
        return try await establish(
            socket: socket, host: host, port: port, configuration: configuration, verifier: verifier, session: session,
            earlyData: earlyData, resendRejectedEarlyData: resendRejectedEarlyData, relay: relay, loop: loop, pool: pool)
    }

    /// The handshake over a connected socket, and the connection around it.
    private static func establish(
        socket: TCPSocket, host: String, port: UInt16, configuration: TLSClientConfiguration,
        verifier: CertificateVerifier?, session: TLSSession?, earlyData: [UInt8]?, resendRejectedEarlyData: Bool,
        relay: EventRelay?, loop: ReadinessLoop, pool: BlockingPool
    ) async throws(TLSError) -> AsyncTLSConnection {
        let start = Deadline.now
        let engine: TLSClientEngine
        do throws(TLSError) {
            engine = try TLSClientEngine(
                serverName: host, port: port, configuration: configuration, verifier: verifier, session: session,
                earlyData: earlyData, resendRejectedEarlyData: resendRejectedEarlyData, relay: relay)
        } catch {
            socket.close()
            throw error
        }
        try await handshake(engine, over: SocketIO(socket: socket, loop: loop), configuration: configuration, pool: pool)
        let connection = TLSConnection(
            established: engine, socket: socket, observed: !socket.isBorrowed, configuration: configuration,
            handshakeDuration: Deadline.now.duration(since: start), relay: relay)
        return AsyncTLSConnection(connection: connection, socket: socket, loop: loop)
    }

    /// Resolves `host` (on the pool unless it is an IP literal) and connects to its addresses in order, all within
    /// `timeout` seconds, as ``TCPSocket/connect(host:port:timeout:observer:)`` does without blocking.
    private static func connectSocket(
        host: String, port: UInt16, timeout: Double, relay: EventRelay?, loop: ReadinessLoop, pool: BlockingPool
    ) async throws(TLSError) -> TCPSocket {
        let start = Deadline.now
        let deadline = Deadline.after(seconds: timeout)
        let label = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let observer: ((TLSEvent) -> Void)? = relay.map { relay in { relay.emit($0) } }
        let addresses: [SocketAddress]
        if Endpoint.isIPv4Literal(host) || Endpoint.isIPv6Literal(host) {
            addresses = try TCPSocket.resolve(host: host, port: port, numericOnly: true)
        } else {
            let (result, outcome) = await pool.run(on: loop, until: deadline) { () -> Result<[SocketAddress], TLSError> in
                do throws(TLSError) {
                    return .success(try TCPSocket.resolve(host: host, port: port))
                } catch {
                    return .failure(error)
                }
            }
            guard let result else {
                if outcome == .timedOut {
                    throw TLSError.timedOut("DNS lookup of \(host) did not finish in \(formatSeconds(timeout)) s")
                }
                throw TLSError.closed
            }
            addresses = try result.get()
        }
        observer?(.nameResolved(host: host, addresses: addresses.map(\.description), duration: Deadline.now.duration(since: start)))
        var failures: [String] = []
        for address in addresses {
            if deadline.hasPassed() { break }
            let fd: Int32
            switch TCPSocket.startConnect(address, observer: observer) {
            case .connected(let connected):
                return established(connected, address: address, start: start, observer: observer)
            case .failed(let reason):
                failures.append("\(address): \(reason)")
                continue
            case .inProgress(let pending):
                fd = pending
            }
            var outcome = ReadinessLoop.Outcome.ready
            repeat {
                outcome = await loop.wait(token: loop.makeToken(), for: .writable, fd: fd, until: deadline)
            } while outcome == .ready && TCPSocket.isConnecting(fd)
            switch outcome {
            case .ready:
                if let reason = TCPSocket.finishConnect(fd) {
                    failures.append("\(address): \(reason)")
                    continue
                }
                return established(fd, address: address, start: start, observer: observer)
            case .timedOut:
                _ = Glibc.close(fd)
                throw TLSError.timedOut("TCP connect to \(label) after \(formatSeconds(timeout)) s")
            case .cancelled, .shutDown:
                _ = Glibc.close(fd)
                throw TLSError.closed
            }
        }
        throw TCPSocket.connectFailure(failures, label: label, timeout: timeout)
    }

    private static func established(
        _ fd: Int32, address: SocketAddress, start: Deadline, observer: ((TLSEvent) -> Void)?
    ) -> TCPSocket {
        if let observer, let info = TCPObservation.info(fd: fd) { observer(.tcpEstablished(info)) }
        return TCPSocket.connected(
            fileDescriptor: fd, remoteAddress: address.description, connectDuration: Deadline.now.duration(since: start))
    }

    /// Sends the ClientHello and runs the handshake within ``TLSClientConfiguration/handshakeTimeout``.
    private static func handshake(
        _ engine: TLSClientEngine, over io: SocketIO, configuration: TLSClientConfiguration, pool: BlockingPool
    ) async throws(TLSError) {
        let deadline = Deadline.after(seconds: configuration.handshakeTimeout)
        // The state machine cannot suspend: a handshake that waits for an async verification handler waits on a
        // pool thread, never on a Swift-concurrency thread (whose task may be the one computing the verdict).
        let waitsForHandler = configuration.asyncCertificateVerificationHandler != nil
            && configuration.certificateVerificationHandler == nil
        do throws(TLSError) {
            try await io.send(try engine.takeOutput(), until: deadline)
            var buffer = [UInt8](repeating: 0, count: TLSConnection.initialReadSize)
            while !engine.isHandshakeComplete {
                let n = try await io.receive(into: &buffer, until: deadline)
                guard n > 0 else {
                    try engine.receiveEndOfStream()  // throws: the handshake is not complete
                    throw TLSError.network(step: .read, reason: "server closed the connection during the handshake")
                }
                if waitsForHandler {
                    let box = EngineBox(engine)
                    let bytes = buffer[0..<n]
                    let (result, outcome) = await pool.run(on: io.loop, until: .distantFuture) { () -> Result<Void, TLSError> in
                        do throws(TLSError) {
                            try box.engine.receive(bytes, applicationDataLimit: .max)
                            return .success(())
                        } catch {
                            return .failure(error)
                        }
                    }
                    guard let result else {
                        // The job may still be using the engine: leave it alone, only close the socket.
                        io.socket.close()
                        throw outcome == .timedOut ? TLSError.timedOut("TLS handshake") : TLSError.closed
                    }
                    try result.get()
                } else {
                    try engine.receive(buffer[0..<n], applicationDataLimit: .max)
                }
                _ = engine.takeEvents()
                let out = try engine.takeOutput()
                // The last flight may carry early data owed after the handshake: it gets the write timeout.
                let writeDeadline = Deadline.after(seconds: min(configuration.writeTimeout, configuration.ioTimeout ?? .infinity))
                if !out.isEmpty { try await io.send(out, until: engine.isHandshakeComplete ? writeDeadline : deadline) }
            }
        } catch {
            if io.socket.isClosed { throw error }
            var error = error
            if case .timedOut = error {
                error = .timedOut("TLS handshake with \(io.socket.remoteAddress) did not finish in \(formatSeconds(configuration.handshakeTimeout)) s")
            }
            engine.fail(error)
            if let alert = try? engine.takeOutput(), !alert.isEmpty {
                try? await io.send(alert, until: Deadline.after(seconds: 1))
            }
            io.socket.close()
            throw error
        }
    }

    // MARK: - Reading

    /// Reads application data: at most `maxCount` bytes (above 0), waiting for at least one.
    ///
    /// - Returns: the bytes read; an empty array once the server has sent close_notify (clean end).
    /// - Throws: as ``TLSConnection/read(maxCount:)``: ``TLSError/truncated`` for a TCP end without close_notify, a
    ///   TLS failure (after sending its alert), ``TLSError/timedOut(_:)`` past ``TLSClientConfiguration/ioTimeout``
    ///   (the connection stays usable), ``TLSError/closed`` after ``close()`` or when the task is cancelled.
    public func read(maxCount: Int = 1 << 14) async throws(TLSError) -> [UInt8] {
        guard maxCount > 0 else { throw TLSError.invalidConfiguration("read maxCount must be above 0, not \(maxCount)") }
        try await acquire(reading, until: connection.ioDeadline, what: "read")
        defer { reading.release(on: loop) }
        let engine = connection.engine
        while true {
            let (chunk, replyOwed, closed, failed) = connection.stateLock.withLock {
                (engine.takeBufferedApplicationData(maxCount), engine.machine.keyUpdateReplyOwed, engine.isPeerClosed,
                 engine.failure)
            }
            if let chunk {
                // A KeyUpdate reply owed to the server goes out now (or with the next write, if sooner).
                if replyOwed { try await flushPendingOutput() }
                return chunk
            }
            if closed { return [] }
            if let failed { throw failed }
            try await receiveOnce(until: connection.ioDeadline, applicationDataLimit: maxCount)
        }
    }

    /// The data read by ``read(maxCount:)`` as an asynchronous sequence of chunks (at most 16 KiB each): it ends at
    /// the server's close_notify and throws what `read` throws (``TLSError/truncated`` for a TCP end without
    /// close_notify). One iteration at a time per connection.
    ///
    /// ```swift
    /// for try await chunk in connection.inboundData { body += chunk }
    /// ```
    public var inboundData: some AsyncSequence<[UInt8], TLSError> & Sendable { InboundData(connection: self) }

    /// The chunks of application data a connection receives; see ``AsyncTLSConnection/inboundData``.
    struct InboundData: AsyncSequence, Sendable {
        /// One chunk of decrypted application data (never empty).
        public typealias Element = [UInt8]
        /// Reading fails with a ``TLSError``.
        public typealias Failure = TLSError
        let connection: AsyncTLSConnection

        /// An iterator over the chunks.
        public func makeAsyncIterator() -> Iterator { Iterator(connection: connection) }

        /// Reads the next chunk with ``AsyncTLSConnection/read(maxCount:)``.
        public struct Iterator: AsyncIteratorProtocol {
            let connection: AsyncTLSConnection
            var finished = false

            /// The next chunk; `nil` after the server's close_notify (and after an error was thrown once).
            public mutating func next() async throws(TLSError) -> [UInt8]? {
                guard !finished else { return nil }
                finished = true  // until the read succeeds with data
                let chunk = try await connection.read()
                if chunk.isEmpty { return nil }
                finished = false
                return chunk
            }

            /// The next chunk; see ``next()``.
            public mutating func next(isolation actor: isolated (any Actor)?) async throws(TLSError) -> [UInt8]? {
                guard !finished else { return nil }
                finished = true
                let chunk = try await connection.read()
                if chunk.isEmpty { return nil }
                finished = false
                return chunk
            }
        }
    }

    /// Waits until at least one session ticket has arrived or `timeout` seconds pass, buffering for
    /// ``read(maxCount:)`` whatever application data arrives meanwhile; see
    /// ``TLSConnection/waitForSessionTicket(timeout:)``.
    ///
    /// - Returns: whether a ticket is available (``TLSConnection/receivedSessions`` of ``connection``).
    public func waitForSessionTicket(timeout: Double) async throws(TLSError) -> Bool {
        let deadline = Deadline.after(seconds: timeout)
        do throws(TLSError) {
            try await acquire(reading, until: deadline, what: "read")
        } catch {
            if case .timedOut = error { return connection.receivedTicketCount > 0 }
            throw error
        }
        defer { reading.release(on: loop) }
        let engine = connection.engine
        while connection.receivedTicketCount == 0 {
            let (closed, buffered) = connection.stateLock.withLock {
                (engine.isPeerClosed || engine.failure != nil, engine.bufferedApplicationDataCount)
            }
            // Do not buffer without bound for a caller that is not reading.
            if closed || buffered >= connection.configuration.maxBufferedApplicationData || deadline.hasPassed() { break }
            do throws(TLSError) {
                try await receiveOnce(until: deadline)
            } catch {
                if case .timedOut = error { break }
                throw error
            }
        }
        return connection.receivedTicketCount > 0
    }

    /// One step of input: the rest of what an earlier read left unprocessed, or one socket read (waiting on the loop
    /// until `deadline` when nothing is there), fed to the engine. Caller holds `reading`.
    private func receiveOnce(until deadline: Deadline, applicationDataLimit: Int = .max) async throws(TLSError) {
        let engine = connection.engine
        let lock = connection.stateLock
        if lock.withLock({ engine.machine.hasUnprocessedInput }) {
            let result: Result<Bool, TLSError> = lock.withLock {
                do throws(TLSError) {
                    try engine.processUnprocessedInput(applicationDataLimit: applicationDataLimit)
                    return .success(engine.takeEvents().contains(.postHandshakeAuthentication))
                } catch {
                    return .failure(error)
                }
            }
            return try await settle(result)
        }
        while true {
            let step: ReadStep = readBuffer.withLock { buffer in
                if buffer.scratch.count < buffer.window { buffer.scratch = [UInt8](repeating: 0, count: buffer.window) }
                let window = buffer.window
                let attempt: Result<Int?, TLSError> = buffer.scratch.withUnsafeMutableBytes { raw in
                    do throws(TLSError) {
                        return .success(try socket.readNow(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<window])))
                    } catch {
                        return .failure(error)
                    }
                }
                switch attempt {
                case .failure(let error):
                    return .failed(error)
                case .success(nil):
                    // Idle from here on: hold no read buffer while waiting.
                    buffer.scratch = []
                    buffer.window = TLSConnection.initialReadSize
                    return .wouldBlock
                case .success(0):
                    return .failed(.truncated)
                case .success(let n?):
                    if n == window, window < TLSConnection.readSize { buffer.window = window * 2 }
                    let bytes = buffer.scratch[0..<n]
                    return lock.withLock {
                        do throws(TLSError) {
                            try engine.receive(bytes, applicationDataLimit: applicationDataLimit)
                            return .fed(mustReply: engine.takeEvents().contains(.postHandshakeAuthentication))
                        } catch {
                            return .failed(error)
                        }
                    }
                }
            }
            switch step {
            case .fed(let mustReply):
                return try await settle(.success(mustReply))
            case .failed(let error):
                return try await settle(.failure(error))
            case .wouldBlock:
                do throws(TLSError) {
                    try await io.waitUntil(.readable, until: deadline)
                } catch {
                    if case .timedOut = error { throw error }  // a read timeout does not break the connection
                    throw await fail(error)
                }
            }
        }
    }

    private enum ReadStep {
        case fed(mustReply: Bool)
        case wouldBlock
        case failed(TLSError)
    }

    /// After input was processed: answers post-handshake authentication at once, or fails the connection.
    private func settle(_ result: Result<Bool, TLSError>) async throws(TLSError) {
        switch result {
        case .success(let mustReply):
            if mustReply { try await flushPendingOutput() }
        case .failure(let error):
            throw await fail(error)
        }
    }

    // MARK: - Writing

    /// Encrypts and sends `bytes` as application data, as ``TLSConnection/write(_:)``: sealed and sent
    /// ``TLSConnection/writeChunkSize`` bytes at a time, each part waiting at most
    /// ``TLSClientConfiguration/writeTimeout`` for the peer to take it (a timed-out write fails the connection).
    ///
    /// - Throws: ``TLSError/closed`` after ``closeWrite()`` or ``close()``, or when the task is cancelled (the
    ///   connection is then aborted); network errors; ``TLSError/timedOut(_:)``.
    public func write(_ bytes: [UInt8]) async throws(TLSError) {
        if Task.isCancelled {
            abort()
            throw TLSError.closed
        }
        try await acquire(writing, until: connection.writeDeadline, what: "write")
        defer { writing.release(on: loop) }
        let engine = connection.engine
        var offset = 0
        repeat {
            let end = min(offset + TLSConnection.writeChunkSize, bytes.count)
            let out = try connection.stateLock.withLock { () throws(TLSError) in
                if let failure = engine.failure { throw failure }
                if connection.closing { throw TLSError.closed }
                try engine.write(bytes[offset..<end])
                return try engine.takeOutput()
            }
            do throws(TLSError) {
                try await io.send(out, until: connection.writeDeadline)
            } catch {
                throw await fail(error, holdingWriter: true)
            }
            offset = end
        } while offset < bytes.count
    }

    /// Sends a KeyUpdate and switches to new sending keys (RFC 8446 §4.6.3); see
    /// ``TLSConnection/updateKeys(requestPeerUpdate:)``.
    /// - Parameter requestPeerUpdate: also ask the server to update its sending keys.
    public func updateKeys(requestPeerUpdate: Bool) async throws(TLSError) {
        try await acquire(writing, until: connection.writeDeadline, what: "write")
        defer { writing.release(on: loop) }
        let engine = connection.engine
        let out = try connection.stateLock.withLock { () throws(TLSError) in
            if let failure = engine.failure { throw failure }
            if connection.closing { throw TLSError.closed }
            try engine.updateKeys(requestPeerUpdate: requestPeerUpdate)
            return try engine.takeOutput()
        }
        do throws(TLSError) {
            try await io.send(out, until: connection.writeDeadline)
        } catch {
            throw await fail(error, holdingWriter: true)
        }
    }

    /// Sends pending handshake output (a KeyUpdate reply, a post-handshake authentication answer) in order with
    /// application data.
    private func flushPendingOutput() async throws(TLSError) {
        try await acquire(writing, until: connection.writeDeadline, what: "write")
        defer { writing.release(on: loop) }
        let engine = connection.engine
        let out = try connection.stateLock.withLock { () throws(TLSError) in try engine.takeOutput() }
        guard !out.isEmpty else { return }
        do throws(TLSError) {
            try await io.send(out, until: connection.writeDeadline)
        } catch {
            throw await fail(error, holdingWriter: true)
        }
    }

    // MARK: - Closing

    /// Sends close_notify: this side writes no more; reading continues until the server closes.
    ///
    /// Bounded by ``TLSConnection/closeTimeout``: if a write in progress in another task does not finish in time, or
    /// the peer does not take the record, this throws ``TLSError/timedOut(_:)`` and nothing was sent.
    public func closeWrite() async throws(TLSError) {
        let deadline = Deadline.after(seconds: TLSConnection.closeTimeout)
        connection.stateLock.withLock { connection.closing = true }
        switch await writing.acquire(on: loop, until: deadline) {
        case .ready:
            break
        case .timedOut:
            throw TLSError.timedOut(
                "close_notify: a write in progress did not finish in \(formatSeconds(TLSConnection.closeTimeout)) s")
        case .cancelled, .shutDown:
            abort()
            throw TLSError.closed
        }
        defer { writing.release(on: loop) }
        let engine = connection.engine
        let out = try connection.stateLock.withLock { () throws(TLSError) in
            engine.close()
            return try engine.takeOutput()
        }
        if !out.isEmpty { try await io.send(out, until: deadline) }
    }

    /// Sends close_notify (if not yet sent) and closes the TCP connection; returns within
    /// ``TLSConnection/closeTimeout`` whatever the peer does (see ``TLSConnection/close()``). A read or write waiting
    /// in another task wakes with ``TLSError/closed``. In a cancelled task, closes at once without close_notify.
    public func close() async {
        if Task.isCancelled {
            abort()
            return
        }
        let before = connection.relay.flatMap { _ in TCPObservation.state(fd: socket.fileDescriptor) }
        try? await closeWrite()
        socket.close()
        loop.interrupt(fd: socket.fileDescriptor)  // a borrowed descriptor is not shut down: wake its waits
        if let relay = connection.relay {
            // The states seen without waiting (the blocking close watches the teardown for a quarter second).
            var states = before.map { [$0] } ?? []
            if let after = TCPObservation.state(fd: socket.fileDescriptor), states.last != after { states.append(after) }
            if !states.isEmpty { relay.emit(.tcpClosed(states: states, source: "TCP_INFO")) }
        }
    }

    /// Closes the connection at once, without close_notify (see ``TLSConnection/abort()``); a read or write waiting in
    /// another task wakes with ``TLSError/closed``.
    public func abort() {
        connection.abort()
        loop.interrupt(fd: socket.fileDescriptor)
    }

    // MARK: - Internals

    /// Waits for `serializer`: a timeout is ``TLSError/timedOut(_:)``, a cancellation aborts the connection.
    private func acquire(_ serializer: AsyncSerializer, until deadline: Deadline, what: String) async throws(TLSError) {
        switch await serializer.acquire(on: loop, until: deadline) {
        case .ready:
            return
        case .timedOut:
            throw TLSError.timedOut("waiting for another \(what) on \(connection.remoteAddress) to finish")
        case .cancelled, .shutDown:
            abort()
            throw TLSError.closed
        }
    }

    /// Fails the connection with `error` (the first failure is kept): sends the alert it calls for, if any, within a
    /// second, and shuts the socket. Returns `error`.
    private func fail(_ error: TLSError, holdingWriter: Bool = false) async -> TLSError {
        let engine = connection.engine
        let alert: [UInt8] = connection.stateLock.withLock {
            engine.fail(error)
            return (try? engine.takeOutput()) ?? []
        }
        if !alert.isEmpty, !socket.isClosed {
            let deadline = Deadline.after(seconds: 1)
            if holdingWriter {
                try? await io.send(alert, until: deadline)
            } else if await writing.acquire(on: loop, until: deadline) == .ready {
                try? await io.send(alert, until: deadline)
                writing.release(on: loop)
            }
        }
        socket.close()
        loop.interrupt(fd: socket.fileDescriptor)
        return error
    }
}

/// A connected socket's waits on a ``ReadinessLoop``.
struct SocketIO {
    let socket: TCPSocket
    let loop: ReadinessLoop

    /// Waits until the socket is ready; a cancelled task or a loop shut down closes the socket and throws
    /// ``TLSError/closed``.
    func waitUntil(_ interest: ReadinessLoop.Interest, until deadline: Deadline) async throws(TLSError) {
        let socket = self.socket
        // A close that came first (it may not wake the loop: a borrowed descriptor is never shut down) ends the wait.
        let outcome = await loop.wait(token: loop.makeToken(), for: interest, fd: socket.fileDescriptor, until: deadline) {
            _ in socket.isClosed
        }
        switch outcome {
        case .ready:
            return
        case .timedOut:
            let what = interest == .readable ? "read from" : "write to"
            throw TLSError.timedOut("waiting to \(what) \(socket.remoteAddress)")
        case .cancelled, .shutDown:
            socket.close()
            loop.interrupt(fd: socket.fileDescriptor)
            throw TLSError.closed
        }
    }

    /// Reads at least one byte into `buffer` (0 at EOF), waiting until `deadline`.
    func receive(into buffer: inout [UInt8], until deadline: Deadline) async throws(TLSError) -> Int {
        while true {
            let attempt: Result<Int?, TLSError> = buffer.withUnsafeMutableBytes { raw in
                do throws(TLSError) { return .success(try socket.readNow(into: raw)) } catch { return .failure(error) }
            }
            if let n = try attempt.get() { return n }
            try await waitUntil(.readable, until: deadline)
        }
    }

    /// Sends all of `bytes`, waiting until `deadline` whenever the send buffer is full.
    func send(_ bytes: [UInt8], until deadline: Deadline) async throws(TLSError) {
        var offset = 0
        while offset < bytes.count {
            let attempt: Result<Int?, TLSError> = bytes.withUnsafeBytes { raw in
                do throws(TLSError) {
                    return .success(try socket.writeNow(UnsafeRawBufferPointer(rebasing: raw[offset...])))
                } catch {
                    return .failure(error)
                }
            }
            if let n = try attempt.get() {
                offset += n
            } else {
                try await waitUntil(.writable, until: deadline)
            }
        }
    }
}

/// An engine handed to a ``BlockingPool`` thread while the task that owns it waits for the job (so one thread at a
/// time uses it; if the task stops waiting, it never touches the engine again).
private final class EngineBox: @unchecked Sendable {
    let engine: TLSClientEngine
    init(_ engine: TLSClientEngine) { self.engine = engine }
}

/// A first-come, first-served lock for tasks: `acquire` suspends (on the ``ReadinessLoop``, with a deadline and
/// cancellation) instead of blocking a thread; `release` hands the lock to the longest waiter.
final class AsyncSerializer: Sendable {
    private struct State {
        var busy = false
        var waiters: [UInt64] = []
    }

    private let state = Locked(State())

    /// Takes the lock, waiting until `deadline`; anything but `.ready` means the lock was not taken.
    func acquire(on loop: ReadinessLoop, until deadline: Deadline) async -> ReadinessLoop.Outcome {
        let free = state.withLock { s in
            if s.busy { return false }
            s.busy = true
            return true
        }
        if free { return .ready }
        let token = loop.makeToken()
        let outcome = await loop.wait(token: token, for: .handoff, until: deadline) { token in
            // Under the loop's lock: a release cannot slip between this check and the registration.
            self.state.withLock { s in
                if !s.busy {
                    s.busy = true
                    return true
                }
                s.waiters.append(token)
                return false
            }
        }
        if outcome != .ready { state.withLock { $0.waiters.removeAll { $0 == token } } }
        return outcome
    }

    /// Releases the lock: to the longest waiter still waiting, or free.
    func release(on loop: ReadinessLoop) {
        while true {
            let next: UInt64? = state.withLock { s in
                if s.waiters.isEmpty {
                    s.busy = false
                    return nil
                }
                return s.waiters.removeFirst()
            }
            guard let next else { return }
            if loop.complete(next) { return }  // handed over: stays busy
        }
    }
}
