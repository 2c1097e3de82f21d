#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A blocking TLS 1.3 client connection: a ``TLSClientEngine`` driven over a socket — one it connects itself
/// (``connect(host:port:configuration:session:earlyData:resendRejectedEarlyData:)``), a descriptor you connected
/// (``connect(fileDescriptor:ownership:serverName:port:configuration:session:earlyData:resendRejectedEarlyData:)``,
/// e.g. after a STARTTLS exchange or through a proxy), or any byte stream of yours
/// (``connect(over:serverName:port:configuration:session:earlyData:resendRejectedEarlyData:)``).
///
/// ```swift
/// var config = TLSClientConfiguration()
/// config.trustRoots = .pemFile("Certs/ca.pem")
/// let connection = try TLSConnection.connect(host: "localhost", port: 4433, configuration: config)
/// try connection.write(Array("GET / HTTP/1.0\r\n\r\n".utf8))
/// while case let chunk = try connection.read(), !chunk.isEmpty { print(String(decoding: chunk, as: UTF8.self)) }
/// connection.close()
/// ```
///
/// ## Threads
/// One thread may read while another writes. Reads are serialized among themselves, and so are writes;
/// records are sealed and sent under one write lock, so they leave in sequence order even when the
/// reading thread answers a KeyUpdate.
///
/// ## Closing
/// - ``closeWrite()`` sends close_notify: no more writing, but reading continues until the server closes.
/// - The server's close_notify ends reading: ``read(maxCount:)`` then returns an empty array. Writing may
///   continue (half-close).
/// - A TCP end without close_notify is never a clean end: ``read(maxCount:)`` throws ``TLSError/truncated``.
/// - ``close()`` sends close_notify (if not sent) and releases the socket (a borrowed descriptor is left to the
///   caller; a ``TLSTransport`` is closed).
public final class TLSConnection: @unchecked Sendable {
    // @unchecked Sendable: all mutable state is guarded by `stateLock`, `readLock` or `writeLock` as noted.

    /// The configuration the connection was made with.
    public let configuration: TLSClientConfiguration
    /// The address actually connected to, e.g. `127.0.0.1:4433` or `[::1]:4433`.
    public let remoteAddress: String
    /// This side's address, e.g. `127.0.0.1:51514` (`?` if the socket could not say).
    public let localAddress: String
    /// How long name resolution and the TCP connect took.
    public let tcpConnectDuration: Duration
    /// How long the TLS handshake took, from ClientHello to verified server Finished.
    public private(set) var handshakeDuration: Duration = .zero

    /// What the records travel over: a socket (connected here or handed over) or a caller's ``TLSTransport``.
    let transport: any DeadlineTransport
    /// The socket, when the connection has one whose TCP state it may observe for the trace (not a borrowed one).
    let observedSocket: TCPSocket?
    /// The TLS client: handshake, records, the decrypted data not yet read (one array per record, handed to the
    /// caller without a copy when it fits), the sessions received. Guarded by stateLock.
    let engine: TLSClientEngine
    let stateLock = Lock()
    private let writeLock = Lock()
    private let readLock = Lock()
    /// Where the socket reads to: the record layer decrypts whole records straight out of it. Released after
    /// the handshake (an idle connection holds no read buffer) and sized by `readWindow`. Guarded by readLock.
    private var scratch: [UInt8] = []
    /// Bytes asked of the socket per read: starts at ``initialReadSize`` and doubles, up to ``readSize``, while
    /// reads fill it (bulk transfers then make few system calls). Guarded by readLock.
    private var readWindow = TLSConnection.initialReadSize
    /// Set by ``closeWrite()`` and ``close()``: writes that have not started yet give up at once, so the close
    /// gets its turn on the write lock even while another thread writes in a loop. Guarded by stateLock.
    var closing = false
    /// Where the trace goes, when someone listens (``TLSClientConfiguration/eventHandler``, ``TLSClientConfiguration/logger``).
    let relay: EventRelay?

    /// Connects to `host:port` and performs the TLS handshake.
    ///
    /// - Parameters:
    ///   - host: a DNS name or an IPv4/IPv6 literal (without brackets).
    ///   - port: the TCP port.
    ///   - configuration: what to offer and whom to trust.
    ///   - session: a session to resume; `nil` takes one from ``TLSClientConfiguration/sessionCache``
    ///     (if set) for this server, port and trust setting. A session is used only if it is still valid,
    ///     was issued for this server name, and (when certificates are verified) came from a verified
    ///     connection; otherwise the handshake is a full one (``TLSSessionInfo/resumed`` is `false`).
    ///   - earlyData: data to send as 0-RTT with the first flight when the session allows it.
    ///     **0-RTT data can be replayed by an attacker** (RFC 8446 §8): send only requests that are safe to
    ///     repeat. Whether the server took it is ``TLSSessionInfo/earlyData`` (and why,
    ///     ``TLSSessionInfo/earlyDataReason``). At most the ticket's `max_early_data_size` bytes go out as
    ///     0-RTT; the rest is written as ordinary application data right after the handshake if the server
    ///     accepted the early part (if it rejected it, nothing more is sent unless `resendRejectedEarlyData`).
    ///     An empty array offers 0-RTT (the early_data extension) without sending any.
    ///   - resendRejectedEarlyData: when the server rejects the early data, send it again as ordinary
    ///     application data right after the handshake.
    /// - Returns: an established connection.
    /// - Throws: ``TLSError``: `.network` for DNS/connect failures, `.timedOut` past
    ///   ``TLSClientConfiguration/connectTimeout`` or ``TLSClientConfiguration/handshakeTimeout``,
    ///   `.certificateRejected`, `.protocolViolation`, `.alertReceived` and so on for TLS failures (the
    ///   alert, if any, has been sent to the server).
    public static func connect(
        host: String, port: UInt16, configuration: TLSClientConfiguration = TLSClientConfiguration(),
        session: TLSSession? = nil, earlyData: [UInt8]? = nil, resendRejectedEarlyData: Bool = false
    ) throws(TLSError) -> TLSConnection {
        try configuration.validate()
        try Endpoint.validateHost(host)
        guard port > 0 else { throw TLSError.network(step: .parseAddress, reason: "port 0 is out of range 1...65535") }
        if let earlyData, earlyData.count > TLSClientEngine.maxEarlyDataLength {
            throw TLSError.invalidConfiguration("earlyData is \(earlyData.count) bytes; at most \(maxEarlyDataLength)")
        }
        let verifier = try TrustStoreCache.verifier(for: configuration)
        // The trace's time 0: name resolution starts.
        let relay = EventRelay(configuration: configuration, peer: Endpoint.display(host: host, port: port))
        let socket = try TCPSocket.connect(
            host: host, port: port, timeout: configuration.connectTimeout, observer: relay.map { relay in { relay.emit($0) } })
        return try TLSConnection(
            socket: socket, host: host, port: port, configuration: configuration, verifier: verifier,
            session: session, earlyData: earlyData, resendRejectedEarlyData: resendRejectedEarlyData, relay: relay)
    }

    /// Connects to an address written `host:port`, `[v6]:port`, or a bare host (then `defaultPort`), and performs
    /// the TLS handshake.
    ///
    /// - Parameters:
    ///   - address: `host:port`, `[v6]:port`, or a host alone.
    ///   - defaultPort: the port when `address` names none.
    ///   - configuration: what to offer and whom to trust.
    ///   - session: a session to resume (see ``connect(host:port:configuration:session:earlyData:resendRejectedEarlyData:)``).
    ///   - earlyData: 0-RTT data (**replayable**: only requests that are safe to repeat).
    ///   - resendRejectedEarlyData: send rejected early data again after the handshake.
    /// - Returns: an established connection.
    /// - Throws: ``TLSError/network(step:reason:)`` (step `.parseAddress`) for an address that does not parse, and
    ///   as ``connect(host:port:configuration:session:earlyData:resendRejectedEarlyData:)``.
    public static func connect(
        to address: String, defaultPort: UInt16 = 443, configuration: TLSClientConfiguration = TLSClientConfiguration(),
        session: TLSSession? = nil, earlyData: [UInt8]? = nil, resendRejectedEarlyData: Bool = false
    ) throws(TLSError) -> TLSConnection {
        let endpoint = try Endpoint.parse(address, defaultPort: defaultPort)
        return try connect(
            host: endpoint.host, port: endpoint.port, configuration: configuration, session: session,
            earlyData: earlyData, resendRejectedEarlyData: resendRejectedEarlyData)
    }

    /// Runs TLS over a descriptor the caller connected: a plain TCP (or Unix-domain) stream socket, for instance
    /// after a STARTTLS exchange in plaintext, or a socket handed over by a service manager.
    ///
    /// ```swift
    /// // SMTP: the plaintext preamble on the caller's socket, then TLS on the same socket.
    /// try send(fd, "EHLO client.example\r\n"); try readReply(fd)
    /// try send(fd, "STARTTLS\r\n"); try readReply(fd)   // 220 Ready to start TLS
    /// let tls = try TLSConnection.connect(fileDescriptor: fd, ownership: .borrow, serverName: "mail.example")
    /// ```
    ///
    /// - Parameters:
    ///   - fileDescriptor: a connected `SOCK_STREAM` socket, with nothing unread that belongs to TLS still in the
    ///     caller's buffers (read the plaintext preamble byte-exactly up to where TLS starts).
    ///   - ownership: who closes the descriptor (see ``TLSDescriptorOwnership``). `TCP_NODELAY` is set either way.
    ///   - serverName: the DNS name or IP literal the certificate must match (sent as SNI unless an IP literal;
    ///     ``TLSClientConfiguration/serverName`` overrides it).
    ///   - port: the server's port: only part of the key of ``TLSClientConfiguration/sessionCache``.
    ///   - configuration: what to offer and whom to trust.
    ///   - session: a session to resume (see ``connect(host:port:configuration:session:earlyData:resendRejectedEarlyData:)``).
    ///   - earlyData: 0-RTT data (**replayable**: only requests that are safe to repeat).
    ///   - resendRejectedEarlyData: send rejected early data again after the handshake.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` for a descriptor that is not a connected stream socket, and as
    ///   ``connect(host:port:configuration:session:earlyData:resendRejectedEarlyData:)`` for the handshake. With
    ///   ``TLSDescriptorOwnership/takeOwnership`` the descriptor is closed when this throws.
    public static func connect(
        fileDescriptor: Int32, ownership: TLSDescriptorOwnership, serverName: String, port: UInt16 = 443,
        configuration: TLSClientConfiguration = TLSClientConfiguration(), session: TLSSession? = nil,
        earlyData: [UInt8]? = nil, resendRejectedEarlyData: Bool = false
    ) throws(TLSError) -> TLSConnection {
        let release = { if ownership == .takeOwnership, fileDescriptor >= 0 { _ = Glibc.close(fileDescriptor) } }
        let verifier: CertificateVerifier?
        do throws(TLSError) {
            try validate(serverName: serverName, configuration: configuration, earlyData: earlyData)
            verifier = try TrustStoreCache.verifier(for: configuration)
        } catch {
            release()
            throw error
        }
        let socket = try TCPSocket.adopting(fileDescriptor: fileDescriptor, ownership: ownership)
        return try TLSConnection(
            transport: socket, observedSocket: ownership == .takeOwnership ? socket : nil, host: serverName, port: port,
            remoteAddress: socket.remoteAddress, localAddress: TCPObservation.address(fd: fileDescriptor, peer: false) ?? "?",
            connectDuration: .zero, configuration: configuration, verifier: verifier, session: session,
            earlyData: earlyData, resendRejectedEarlyData: resendRejectedEarlyData, relay: nil)
    }

    /// Runs TLS over a byte stream of the caller's: anything that implements ``TLSTransport`` (a tunnel, a channel of
    /// another protocol, an in-memory pipe).
    ///
    /// - Parameters:
    ///   - transport: the stream; the connection calls ``TLSTransport/close()`` when it is closed, aborted or fails.
    ///   - serverName: the DNS name or IP literal the certificate must match (sent as SNI unless an IP literal;
    ///     ``TLSClientConfiguration/serverName`` overrides it).
    ///   - port: the server's port: only part of the key of ``TLSClientConfiguration/sessionCache``.
    ///   - configuration: what to offer and whom to trust.
    ///   - session: a session to resume (see ``connect(host:port:configuration:session:earlyData:resendRejectedEarlyData:)``).
    ///   - earlyData: 0-RTT data (**replayable**: only requests that are safe to repeat).
    ///   - resendRejectedEarlyData: send rejected early data again after the handshake.
    /// - Throws: as ``connect(host:port:configuration:session:earlyData:resendRejectedEarlyData:)``, and whatever
    ///   the transport throws. The transport is closed when this throws.
    public static func connect(
        over transport: any TLSTransport, serverName: String, port: UInt16 = 443,
        configuration: TLSClientConfiguration = TLSClientConfiguration(), session: TLSSession? = nil,
        earlyData: [UInt8]? = nil, resendRejectedEarlyData: Bool = false
    ) throws(TLSError) -> TLSConnection {
        let verifier: CertificateVerifier?
        do throws(TLSError) {
            try validate(serverName: serverName, configuration: configuration, earlyData: earlyData)
            verifier = try TrustStoreCache.verifier(for: configuration)
        } catch {
            transport.close()
            throw error
        }
        return try TLSConnection(
            transport: CustomTransport(transport), observedSocket: nil, host: serverName, port: port,
            remoteAddress: Endpoint.display(host: serverName, port: port), localAddress: "?", connectDuration: .zero,
            configuration: configuration, verifier: verifier, session: session, earlyData: earlyData,
            resendRejectedEarlyData: resendRejectedEarlyData, relay: nil)
    }

    /// The checks every entry point makes before it touches the transport.
    static func validate(
        serverName: String, configuration: TLSClientConfiguration, earlyData: [UInt8]?
    ) throws(TLSError) {
        try configuration.validate()
        try Endpoint.validateServerName(serverName)
        if let earlyData, earlyData.count > TLSClientEngine.maxEarlyDataLength {
            throw TLSError.invalidConfiguration("earlyData is \(earlyData.count) bytes; at most \(maxEarlyDataLength)")
        }
    }

    /// Runs the handshake over a socket connected here.
    convenience init(
        socket: TCPSocket, host: String, port: UInt16, configuration: TLSClientConfiguration,
        verifier: CertificateVerifier?, session: TLSSession? = nil, earlyData: [UInt8]? = nil,
        resendRejectedEarlyData: Bool = false, relay: EventRelay? = nil,
        dependencies: ((inout ClientStateMachine.Dependencies) -> Void)? = nil
    ) throws(TLSError) {
        try self.init(
            transport: socket, observedSocket: socket, host: host, port: port, remoteAddress: socket.remoteAddress,
            localAddress: TCPObservation.address(fd: socket.fileDescriptor, peer: false) ?? "?",
            connectDuration: socket.connectDuration, configuration: configuration, verifier: verifier,
            session: session, earlyData: earlyData, resendRejectedEarlyData: resendRejectedEarlyData, relay: relay,
            dependencies: dependencies)
    }

    /// Runs the handshake over a connected transport.
    private init(
        transport: any DeadlineTransport, observedSocket: TCPSocket?, host: String, port: UInt16, remoteAddress: String,
        localAddress: String, connectDuration: Duration, configuration: TLSClientConfiguration,
        verifier: CertificateVerifier?, session: TLSSession?, earlyData: [UInt8]?, resendRejectedEarlyData: Bool,
        relay: EventRelay?, dependencies: ((inout ClientStateMachine.Dependencies) -> Void)? = nil
    ) throws(TLSError) {
        self.transport = transport
        self.observedSocket = observedSocket
        self.relay = relay ?? EventRelay(configuration: configuration, peer: Endpoint.display(host: host, port: port))
        self.configuration = configuration
        self.remoteAddress = remoteAddress
        self.localAddress = localAddress
        self.tcpConnectDuration = connectDuration
        let start = Deadline.now
        do throws(TLSError) {
            // Queues the ClientHello. The engine seals the early data owed after the handshake (a rejected part
            // sent again when asked, the part beyond the ticket's max_early_data_size) into the handshake's last
            // output.
            engine = try TLSClientEngine(
                serverName: host, port: port, configuration: configuration, verifier: verifier, session: session,
                earlyData: earlyData, resendRejectedEarlyData: resendRejectedEarlyData, relay: self.relay,
                dependencies: dependencies)
        } catch {
            transport.close()
            throw error
        }
        try handshake(start: start)
    }

    /// A connection whose handshake ran elsewhere — ``AsyncTLSConnection``'s, waiting on the ``ReadinessLoop`` — over a
    /// socket connected there. Its blocking methods work too (the socket is non-blocking and they wait with `poll`).
    init(
        established engine: TLSClientEngine, socket: TCPSocket, observed: Bool = true,
        configuration: TLSClientConfiguration, handshakeDuration: Duration, relay: EventRelay?
    ) {
        transport = socket
        observedSocket = observed ? socket : nil
        self.relay = relay
        self.configuration = configuration
        remoteAddress = socket.remoteAddress
        localAddress = TCPObservation.address(fd: socket.fileDescriptor, peer: false) ?? "?"
        tcpConnectDuration = socket.connectDuration
        self.handshakeDuration = handshakeDuration
        self.engine = engine
    }

    deinit { transport.close() }

    /// The most bytes asked of the socket per read: several full records, so bulk transfers make few system calls.
    static let readSize = 1 << 18
    /// The first read size (a server's first flight usually fits; it doubles when a read fills it).
    static let initialReadSize = 1 << 14

    /// The most early data `connect` takes (it is held in memory until the server answers): 16 MiB.
    public static let maxEarlyDataLength = TLSClientEngine.maxEarlyDataLength

    /// How long ``close()`` (and the alert sent on a failure) waits, in all, for a write in progress on another
    /// thread to finish and for its own record to be taken by the peer, in seconds.
    public static let closeTimeout: Double = 2

    /// One socket read into `scratch` (its storage written directly: no copy). Returns the byte count, 0 at EOF.
    /// Caller holds `readLock` (or is the handshake, before the connection is shared).
    private func readIntoScratch(deadline: Deadline) throws(TLSError) -> Int {
        if scratch.count < readWindow { scratch = [UInt8](repeating: 0, count: readWindow) }
        let window = readWindow
        let result: Result<Int, TLSError> = scratch.withUnsafeMutableBytes { raw in
            do throws(TLSError) {
                return .success(try transport.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<window]), deadline: deadline))
            } catch {
                return .failure(error)
            }
        }
        let n = try result.get()
        if n == window, window < Self.readSize { readWindow = window * 2 }
        return n
    }



    /// Sends the ClientHello and runs the handshake (before the connection is shared: no lock is needed).
    private func handshake(start: Deadline) throws(TLSError) {
        let deadline = Deadline.after(seconds: configuration.handshakeTimeout)
        do throws(TLSError) {
            try transport.write(try engine.takeOutput(), deadline: deadline)
            while !engine.isHandshakeComplete {
                let n = try readIntoScratch(deadline: deadline)
                guard n > 0 else {
                    try engine.receiveEndOfStream()  // throws: the handshake is not complete
                    throw TLSError.network(step: .read, reason: "server closed the connection during the handshake")
                }
                try engine.receive(scratch[0..<n], applicationDataLimit: .max)
                _ = engine.takeEvents()
                let out = try engine.takeOutput()
                // The last flight may carry early data owed after the handshake: it gets the write timeout.
                if !out.isEmpty { try transport.write(out, deadline: engine.isHandshakeComplete ? writeDeadline : deadline) }
            }
        } catch {
            var error = error
            if case .timedOut = error {
                error = .timedOut("TLS handshake with \(remoteAddress) did not finish in \(formatSeconds(configuration.handshakeTimeout)) s")
            }
            throw fail(error)
        }
        handshakeDuration = Deadline.now.duration(since: start)
        scratch = []  // an idle connection keeps no read buffer
        readWindow = Self.initialReadSize
    }

    /// Sends the alert for `error` (if the protocol calls for one), shuts the socket, and returns `error`.
    private func fail(_ error: TLSError) -> TLSError {
        let alert: [UInt8] = stateLock.withLock {
            engine.fail(error)  // the first failure is kept; its alert was queued by the engine
            return (try? engine.takeOutput()) ?? []
        }
        if !alert.isEmpty {
            // Bounded: a write stuck on another thread (a peer that stopped reading) must not hold us here.
            let deadline = Deadline.after(seconds: 1)
            _ = writeLock.withLock(before: deadline) { try? transport.write(alert, deadline: deadline) }
        }
        transport.close()
        return error
    }

    /// When a read gives up waiting for data (``TLSClientConfiguration/ioTimeout``).
    var ioDeadline: Deadline {
        configuration.ioTimeout.map { Deadline.after(seconds: $0) } ?? .distantFuture
    }

    /// When a write gives up waiting for the peer to take bytes: ``TLSClientConfiguration/writeTimeout``, or
    /// ``TLSClientConfiguration/ioTimeout`` when smaller.
    var writeDeadline: Deadline {
        Deadline.after(seconds: min(configuration.writeTimeout, configuration.ioTimeout ?? .infinity))
    }

    // MARK: - Public API

    /// What was negotiated.
    public var sessionInfo: TLSSessionInfo { stateLock.withLock { engine.sessionInfo } }

    /// A summary of the server's end-entity certificate.
    public var peerCertificate: CertificateSummary? {
        sessionInfo.peerCertificates.first.flatMap { CertificateSummary(der: $0) }
    }

    /// How many KeyUpdates this side sent because its key reached the record limit
    /// (``TLSClientConfiguration/keyUpdateRecordLimit``).
    public var automaticKeyUpdateCount: Int { stateLock.withLock { engine.automaticKeyUpdateCount } }

    /// How many NewSessionTicket messages the server has sent so far.
    public var receivedTicketCount: Int { stateLock.withLock { engine.receivedTicketCount } }

    /// The most sessions a connection keeps for ``receivedSessions`` (the newest; older ones are dropped, and the
    /// session cache bounds what it stores on its own): a server that sends NewSessionTickets without end cannot
    /// make the client's memory grow.
    public static let maxKeptSessions = TLSClientEngine.maxKeptSessions

    /// The newest sessions (tickets) received on this connection, at most ``maxKeptSessions``, oldest first;
    /// ``receivedTicketCount`` counts them all. Each is also stored in
    /// ``TLSClientConfiguration/sessionCache`` when one is configured.
    public var receivedSessions: [TLSSession] { stateLock.withLock { engine.receivedSessions } }

    /// Waits until at least one ticket has arrived or `timeout` seconds pass, reading (and buffering for
    /// ``read(maxCount:)``) whatever application data arrives meanwhile. Servers send tickets right after
    /// the handshake; this lets a caller that wants to save or reuse the session wait a bounded time.
    ///
    /// - Returns: whether a ticket is available.
    public func waitForSessionTicket(timeout: Double) throws(TLSError) -> Bool {
        let deadline = Deadline.after(seconds: timeout)
        return try readLock.withLock { () throws(TLSError) -> Bool in
            while receivedTicketCount == 0 {
                let (closed, buffered) = stateLock.withLock {
                    (engine.isPeerClosed || engine.failure != nil, engine.bufferedApplicationDataCount)
                }
                // Do not buffer without bound for a caller that is not reading.
                let full = buffered >= configuration.maxBufferedApplicationData
                if closed || full || deadline.hasPassed() { break }
                do throws(TLSError) {
                    try readOnce(deadline: deadline)
                } catch {
                    if case .timedOut = error { break }
                    throw error
                }
            }
            return receivedTicketCount > 0
        }
    }

    /// Reads decrypted application data: at most `maxCount` bytes (above 0), waiting for at least one.
    ///
    /// - Returns: the bytes read; an empty array once the server has sent close_notify (clean end).
    /// - Throws: ``TLSError/truncated`` if the TCP connection ended without close_notify; any TLS failure
    ///   (after sending the alert it calls for); ``TLSError/timedOut(_:)`` past
    ///   ``TLSClientConfiguration/ioTimeout``; ``TLSError/closed`` after ``close()``.
    public func read(maxCount: Int = 1 << 14) throws(TLSError) -> [UInt8] {
        guard maxCount > 0 else { throw TLSError.invalidConfiguration("read maxCount must be above 0, not \(maxCount)") }
        return try readLock.withLock { () throws(TLSError) -> [UInt8] in
            while true {
                let (chunk, replyOwed) = stateLock.withLock {
                    (engine.takeBufferedApplicationData(maxCount), engine.machine.keyUpdateReplyOwed)
                }
                if let chunk {
                    // A KeyUpdate reply owed to the server goes out now (or with the next write, if sooner):
                    // however many update requests this read went through, one reply answers them (§4.6.3).
                    if replyOwed { try flushPendingOutput() }
                    return chunk
                }
                let (closed, failed) = stateLock.withLock { (engine.isPeerClosed, engine.failure) }
                if closed { return [] }
                if let failed { throw failed }
                // Decrypt about what this read returns, not the whole socket read (up to ``readSize``, 16
                // records): the plaintext alive at once stays near `maxCount`. A burst of 256 KiB of record
                // buffers allocated and freed on every socket read straddles glibc's heap trim threshold, and
                // then each read grows and shrinks the heap (brk, page faults) — a cost that came and went with
                // the heap's layout after the handshake, i.e. with the groups offered (Docs/Benchmarks.md, "Bulk").
                try readOnce(deadline: ioDeadline, applicationDataLimit: maxCount)
            }
        }
    }

    /// Like ``read(maxCount:)``, but leaves the bytes to be read again: the next `peek` or `read` (with at least
    /// as large a `maxCount`) returns the same bytes first. Waits, ends and fails as `read` does.
    public func peek(maxCount: Int = 1 << 14) throws(TLSError) -> [UInt8] {
        guard maxCount > 0 else { throw TLSError.invalidConfiguration("peek maxCount must be above 0, not \(maxCount)") }
        return try readLock.withLock { () throws(TLSError) -> [UInt8] in
            while true {
                if let chunk = stateLock.withLock({ engine.peekBufferedApplicationData(maxCount) }) {
                    return chunk
                }
                let (closed, failed) = stateLock.withLock { (engine.isPeerClosed, engine.failure) }
                if closed { return [] }
                if let failed { throw failed }
                try readOnce(deadline: ioDeadline, applicationDataLimit: maxCount)
            }
        }
    }

    /// One transport read, fed to the state machine; events recorded. Caller holds `readLock`.
    ///
    /// With an `applicationDataLimit`, the state machine stops decrypting once that much application data is
    /// queued and keeps the rest of `scratch` for the next call, which then reads no socket: one large read,
    /// few plaintext buffers alive at a time.
    private func readOnce(deadline: Deadline, applicationDataLimit: Int = .max) throws(TLSError) {
        let unprocessed = stateLock.withLock { engine.machine.hasUnprocessedInput }
        var n = 0
        if !unprocessed {
            do throws(TLSError) {
                n = try readIntoScratch(deadline: deadline)
            } catch {
                if case .timedOut = error { throw error }  // a read timeout does not break the connection
                throw fail(error)
            }
            guard n > 0 else { throw fail(.truncated) }
        }
        let result: Result<Bool, TLSError> = stateLock.withLock {
            do throws(TLSError) {
                if unprocessed {
                    try engine.processUnprocessedInput(applicationDataLimit: applicationDataLimit)
                } else {
                    try engine.receive(scratch[0..<n], applicationDataLimit: applicationDataLimit)
                }
                // Post-handshake authentication is answered at once; nothing else here needs the events.
                return .success(engine.takeEvents().contains(.postHandshakeAuthentication))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let mustReply):
            if mustReply { try flushPendingOutput() }
        case .failure(let error):
            throw fail(error)
        }
    }

    /// Sends pending handshake output (a KeyUpdate reply) in order with application data.
    private func flushPendingOutput() throws(TLSError) {
        try writeLock.withLock { () throws(TLSError) in
            let out = try stateLock.withLock { () throws(TLSError) in try engine.takeOutput() }
            if !out.isEmpty {
                do throws(TLSError) { try transport.write(out, deadline: writeDeadline) } catch { throw fail(error) }
            }
        }
    }

    /// Encrypts and sends `bytes` as application data (in records of at most 16 KiB).
    ///
    /// Large writes are sealed and sent ``writeChunkSize`` bytes at a time, so neither the ciphertext of the whole
    /// write nor the connection's state lock is held for long. Each part waits at most
    /// ``TLSClientConfiguration/writeTimeout`` for the peer to take it: a peer that stops reading cannot block the
    /// caller for longer than that; a timed-out write fails the connection. ``close()`` on another thread stops a
    /// write between parts (``TLSError/closed``).
    ///
    /// - Throws: ``TLSError/closed`` after ``closeWrite()``, ``close()`` or ``abort()``; network errors;
    ///   ``TLSError/timedOut(_:)``.
    public func write(_ bytes: [UInt8]) throws(TLSError) {
        try writeLock.withLock { () throws(TLSError) in
            var offset = 0
            repeat {
                let end = min(offset + Self.writeChunkSize, bytes.count)
                let out = try stateLock.withLock { () throws(TLSError) in
                    if let failure = engine.failure { throw failure }
                    if closing { throw TLSError.closed }
                    try engine.write(bytes[offset..<end])
                    return try engine.takeOutput()
                }
                do throws(TLSError) { try transport.write(out, deadline: writeDeadline) } catch { throw fail(error) }
                offset = end
            } while offset < bytes.count
        }
    }

    /// How much of a write is sealed and sent at a time: 16 full records.
    public static let writeChunkSize = 1 << 18

    /// Sends close_notify: this side writes no more; reading continues until the server closes.
    ///
    /// Bounded by ``closeTimeout``: if a write on another thread does not finish in time, or the peer does not
    /// take the record, this throws ``TLSError/timedOut(_:)`` and nothing was sent.
    public func closeWrite() throws(TLSError) {
        let deadline = Deadline.after(seconds: Self.closeTimeout)
        stateLock.withLock { closing = true }
        let done: Void? = try writeLock.withLock(before: deadline) { () throws(TLSError) in
            let out = try stateLock.withLock { () throws(TLSError) in
                engine.close()
                return try engine.takeOutput()
            }
            if !out.isEmpty { try transport.write(out, deadline: deadline) }
        }
        if done == nil {
            throw TLSError.timedOut("close_notify: a write in progress did not finish in \(formatSeconds(Self.closeTimeout)) s")
        }
    }

    /// Sends close_notify (if not yet sent) and closes the TCP connection (a borrowed descriptor: stops using it;
    /// a ``TLSTransport``: calls its ``TLSTransport/close()``). A read or write blocked on another thread wakes with
    /// ``TLSError/closed``.
    ///
    /// Returns within ``closeTimeout`` (2 s) whatever the peer does: when a write on another thread is stuck on a
    /// peer that stopped reading, close_notify is not sent (it could not get through) and the socket is shut down,
    /// which ends that write.
    public func close() {
        // The state before this side closes: ESTABLISHED, or CLOSE_WAIT when the server sent its FIN first.
        let before = relay.flatMap { _ in observedSocket.flatMap { TCPObservation.state(fd: $0.fileDescriptor) } }
        try? closeWrite()
        transport.close()
        if let relay, let socket = observedSocket {
            // The teardown as the kernel sees it: the socket's states until TIME_WAIT or CLOSE (or a quarter second).
            var states = before.map { [$0] } ?? []
            for state in TCPObservation.teardownStates(fd: socket.fileDescriptor, window: 0.25) where states.last != state {
                states.append(state)
            }
            if !states.isEmpty { relay.emit(.tcpClosed(states: states, source: "TCP_INFO")) }
        }
    }

    /// Closes the TCP connection at once, without close_notify (the server will see a truncated
    /// connection; a borrowed descriptor is only no longer used). A read or write blocked on another thread wakes
    /// with ``TLSError/closed``.
    public func abort() {
        stateLock.withLock { _ = engine.fail(.closed) }  // no alert; the first failure is kept
        transport.close()
    }

    /// Sends a fatal alert and closes the TCP connection: for an application that gives up on the server
    /// and wants to say why (e.g. `AlertDescription(rawValue: 30)`, decompression_failure, for content it
    /// cannot decode). Nothing is sent if the connection has already failed or sent its close_notify; later
    /// reads and writes throw ``TLSError/closed``.
    public func abort(sending alert: AlertDescription) {
        let record: [UInt8] = stateLock.withLock {
            guard engine.failure == nil else { return [] }
            engine.abort(sending: alert)
            return (try? engine.takeOutput()) ?? []
        }
        if !record.isEmpty {
            let deadline = Deadline.after(seconds: 1)
            _ = writeLock.withLock(before: deadline) { try? transport.write(record, deadline: deadline) }
        }
        transport.close()
    }

    /// Sends a KeyUpdate and switches to new sending keys (RFC 8446 §4.6.3).
    /// - Parameter requestPeerUpdate: also ask the server to update its sending keys.
    public func updateKeys(requestPeerUpdate: Bool) throws(TLSError) {
        try writeLock.withLock { () throws(TLSError) in
            let out = try stateLock.withLock { () throws(TLSError) in
                if let failure = engine.failure { throw failure }
                if closing { throw TLSError.closed }
                try engine.updateKeys(requestPeerUpdate: requestPeerUpdate)
                return try engine.takeOutput()
            }
            do throws(TLSError) { try transport.write(out, deadline: writeDeadline) } catch { throw fail(error) }
        }
    }

    /// Keying material exported from the session (RFC 8446 §7.5, RFC 5705).
    /// - Parameters:
    ///   - label: the exporter label, e.g. `EXPORTER-my-protocol`.
    ///   - context: the context value (an empty array is a zero-length context, not "no context").
    ///   - length: how many bytes to export.
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` for a label over 249 bytes (RFC 8446 §7.1) or
    ///   a length over 255 × the hash length; ``TLSError/closed`` (or the failure) once the connection failed or was
    ///   aborted.
    public func exportKeyingMaterial(label: String, context: [UInt8], length: Int) throws(TLSError) -> [UInt8] {
        try stateLock.withLock { () throws(TLSError) in
            try engine.exportKeyingMaterial(label: label, context: context, length: length)
        }
    }
}

