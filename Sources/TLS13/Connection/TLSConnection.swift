import Glibc

/// A blocking TLS 1.3 client connection over TCP.
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
/// - ``close()`` sends close_notify (if not sent) and releases the socket.
public final class TLSConnection: @unchecked Sendable {
    // @unchecked Sendable: all mutable state is guarded by `stateLock`, `readLock` or `writeLock` as noted.

    /// The configuration the connection was made with.
    public let configuration: TLSClientConfiguration
    /// The address actually connected to, e.g. `127.0.0.1:4433` or `[::1]:4433`.
    public let remoteAddress: String
    /// How long name resolution and the TCP connect took.
    public let tcpConnectDuration: Duration
    /// How long the TLS handshake took, from ClientHello to verified server Finished.
    public private(set) var handshakeDuration: Duration = .zero

    private let socket: TCPSocket
    private let machine: ClientStateMachine  // guarded by stateLock
    private let stateLock = Lock()
    private let writeLock = Lock()
    private let readLock = Lock()
    private var plaintext: [UInt8] = []  // guarded by readLock
    private var plaintextOffset = 0  // guarded by readLock
    private var scratch: [UInt8] = []  // guarded by readLock
    private var failure: TLSError?  // guarded by stateLock
    private var ticketCount = 0  // guarded by stateLock

    /// Connects to `host:port` and performs the TLS handshake.
    ///
    /// - Parameters:
    ///   - host: a DNS name or an IPv4/IPv6 literal (without brackets).
    ///   - port: the TCP port.
    ///   - configuration: what to offer and whom to trust.
    /// - Returns: an established connection.
    /// - Throws: ``TLSError``: `.network` for DNS/connect failures, `.timedOut` past
    ///   ``TLSClientConfiguration/connectTimeout`` or ``TLSClientConfiguration/handshakeTimeout``,
    ///   `.certificateRejected`, `.protocolViolation`, `.alertReceived` and so on for TLS failures (the
    ///   alert, if any, has been sent to the server).
    public static func connect(
        host: String, port: UInt16, configuration: TLSClientConfiguration = TLSClientConfiguration()
    ) throws(TLSError) -> TLSConnection {
        try configuration.validate()
        let verifier = try TrustStoreCache.verifier(for: configuration)
        let socket = try TCPSocket.connect(host: host, port: port, timeout: configuration.connectTimeout)
        return try TLSConnection(socket: socket, host: host, configuration: configuration, verifier: verifier)
    }

    /// Connects to an address written `host:port`, `[v6]:port`, or a bare host (then `defaultPort`).
    public static func connect(
        to address: String, defaultPort: UInt16 = 443, configuration: TLSClientConfiguration = TLSClientConfiguration()
    ) throws(TLSError) -> TLSConnection {
        let endpoint = try Endpoint.parse(address, defaultPort: defaultPort)
        return try connect(host: endpoint.host, port: endpoint.port, configuration: configuration)
    }

    /// Runs the handshake over an already connected socket.
    init(
        socket: TCPSocket, host: String, configuration: TLSClientConfiguration, verifier: CertificateVerifier?,
        dependencies: ((inout ClientStateMachine.Dependencies) -> Void)? = nil
    ) throws(TLSError) {
        self.socket = socket
        self.configuration = configuration
        self.remoteAddress = socket.remoteAddress
        self.tcpConnectDuration = socket.connectDuration
        let name = configuration.serverName ?? host
        let identity: ClientStateMachine.ServerIdentity =
            Endpoint.isIPv4Literal(name) || Endpoint.isIPv6Literal(name) ? .ipAddress(name) : .dnsName(name)
        var deps = ClientStateMachine.Dependencies(certificateVerifier: verifier, now: Int64(time(nil)))
        dependencies?(&deps)
        do throws(TLSError) {
            machine = try ClientStateMachine(configuration: configuration, identity: identity, dependencies: deps)
        } catch {
            socket.close()
            throw error
        }
        try handshake()
    }

    deinit { socket.close() }

    private func handshake() throws(TLSError) {
        let start = Deadline.now
        let deadline = Deadline.after(seconds: configuration.handshakeTimeout)
        do throws(TLSError) {
            try socket.write(try machine.startHandshake(), deadline: deadline)
            while !machine.isHandshakeComplete {
                scratch.removeAll(keepingCapacity: true)
                let n = try socket.read(into: &scratch, maxCount: 1 << 16, deadline: deadline)
                guard n > 0 else {
                    throw TLSError.network(step: .read, reason: "server closed the connection during the handshake")
                }
                let events = try machine.receive(scratch[...])
                record(events)
                let out = try machine.takePendingOutput()
                if !out.isEmpty { try socket.write(out, deadline: deadline) }
            }
        } catch {
            var error = error
            if case .timedOut = error {
                error = .timedOut("TLS handshake with \(remoteAddress) did not finish in \(formatSeconds(configuration.handshakeTimeout)) s")
            }
            throw fail(error)
        }
        handshakeDuration = Deadline.now.duration(since: start)
    }

    /// Takes events from the state machine (under the reader's control or during the handshake).
    private func record(_ events: [ClientEvent]) {
        for event in events {
            switch event {
            case .applicationData(let data):
                if plaintextOffset == plaintext.count {
                    plaintext = data
                    plaintextOffset = 0
                } else {
                    plaintext += data
                }
            case .newSessionTicket:
                ticketCount += 1
            case .handshakeComplete, .peerClosed, .peerKeyUpdate:
                break
            }
        }
    }

    /// Sends the alert for `error` (if the protocol calls for one), shuts the socket, and returns `error`.
    private func fail(_ error: TLSError) -> TLSError {
        let alert: [UInt8]? = stateLock.withLock {
            if failure == nil { failure = error }
            return machine.alertRecord(for: error)
        }
        if let alert {
            writeLock.withLock { try? socket.write(alert, deadline: .after(seconds: 1)) }
        }
        socket.close()
        return error
    }

    private var ioDeadline: Deadline {
        configuration.ioTimeout.map { Deadline.after(seconds: $0) } ?? .distantFuture
    }

    // MARK: - Public API

    /// What was negotiated.
    public var sessionInfo: TLSSessionInfo { stateLock.withLock { machine.info } }

    /// A summary of the server's end-entity certificate.
    public var peerCertificate: CertificateSummary? {
        sessionInfo.peerCertificates.first.flatMap { CertificateSummary(der: $0) }
    }

    /// How many NewSessionTicket messages the server has sent so far.
    public var receivedTicketCount: Int { stateLock.withLock { ticketCount } }

    /// Reads decrypted application data: at most `maxCount` bytes, waiting for at least one.
    ///
    /// - Returns: the bytes read; an empty array once the server has sent close_notify (clean end).
    /// - Throws: ``TLSError/truncated`` if the TCP connection ended without close_notify; any TLS failure
    ///   (after sending the alert it calls for); ``TLSError/timedOut(_:)`` past
    ///   ``TLSClientConfiguration/ioTimeout``; ``TLSError/closed`` after ``close()``.
    public func read(maxCount: Int = 1 << 14) throws(TLSError) -> [UInt8] {
        precondition(maxCount > 0, "maxCount must be positive")
        return try readLock.withLock { () throws(TLSError) -> [UInt8] in
            while true {
                if plaintextOffset < plaintext.count {
                    let end = min(plaintext.count, plaintextOffset + maxCount)
                    let chunk = Array(plaintext[plaintextOffset..<end])
                    plaintextOffset = end
                    return chunk
                }
                let (closed, failed) = stateLock.withLock { (machine.peerClosed, failure) }
                if closed { return [] }
                if let failed { throw failed }
                scratch.removeAll(keepingCapacity: true)
                let n: Int
                do throws(TLSError) {
                    n = try socket.read(into: &scratch, maxCount: 1 << 16, deadline: ioDeadline)
                } catch {
                    if case .timedOut = error { throw error }  // a read timeout does not break the connection
                    throw fail(error)
                }
                guard n > 0 else { throw fail(.truncated) }
                let result: Result<([ClientEvent], Bool), TLSError> = stateLock.withLock {
                    do throws(TLSError) {
                        let events = try machine.receive(scratch[...])
                        return .success((events, events.contains { if case .peerKeyUpdate(true) = $0 { true } else { false } }))
                    } catch {
                        return .failure(error)
                    }
                }
                switch result {
                case .success(let (events, mustReply)):
                    stateLock.withLock { record(events) }
                    if mustReply { try flushPendingOutput() }
                case .failure(let error):
                    throw fail(error)
                }
            }
        }
    }

    /// Sends pending handshake output (a KeyUpdate reply) in order with application data.
    private func flushPendingOutput() throws(TLSError) {
        try writeLock.withLock { () throws(TLSError) in
            let out = try stateLock.withLock { () throws(TLSError) in try machine.takePendingOutput() }
            if !out.isEmpty {
                do throws(TLSError) { try socket.write(out, deadline: ioDeadline) } catch { throw fail(error) }
            }
        }
    }

    /// Encrypts and sends `bytes` as application data (in records of at most 16 KiB).
    ///
    /// - Throws: ``TLSError/closed`` after ``closeWrite()`` or ``close()``; network errors; timeouts.
    public func write(_ bytes: [UInt8]) throws(TLSError) {
        try writeLock.withLock { () throws(TLSError) in
            let out = try stateLock.withLock { () throws(TLSError) in
                if let failure { throw failure }
                return try machine.sealApplicationData(bytes[...])
            }
            do throws(TLSError) { try socket.write(out, deadline: ioDeadline) } catch { throw fail(error) }
        }
    }

    /// Sends close_notify: this side writes no more; reading continues until the server closes.
    public func closeWrite() throws(TLSError) {
        try writeLock.withLock { () throws(TLSError) in
            let out = try stateLock.withLock { () throws(TLSError) in try machine.closeNotify() }
            if !out.isEmpty { try socket.write(out, deadline: .after(seconds: 5)) }
        }
    }

    /// Sends close_notify (if not yet sent) and closes the TCP connection. A read blocked on another
    /// thread wakes with ``TLSError/closed``.
    public func close() {
        try? closeWrite()
        socket.close()
    }

    /// Closes the TCP connection at once, without close_notify (the server will see a truncated
    /// connection). A read or write blocked on another thread wakes with ``TLSError/closed``.
    public func abort() {
        stateLock.withLock { if failure == nil { failure = .closed } }
        socket.close()
    }

    /// Sends a KeyUpdate and switches to new sending keys (RFC 8446 §4.6.3).
    /// - Parameter requestPeerUpdate: also ask the server to update its sending keys.
    public func updateKeys(requestPeerUpdate: Bool) throws(TLSError) {
        try writeLock.withLock { () throws(TLSError) in
            let out = try stateLock.withLock { () throws(TLSError) in try machine.updateKeys(requestPeerUpdate: requestPeerUpdate) }
            do throws(TLSError) { try socket.write(out, deadline: ioDeadline) } catch { throw fail(error) }
        }
    }

    /// Keying material exported from the session (RFC 8446 §7.5, RFC 5705).
    /// - Parameters:
    ///   - label: the exporter label, e.g. `EXPORTER-my-protocol`.
    ///   - context: the context value (an empty array is a zero-length context, not "no context").
    ///   - length: how many bytes to export.
    public func exportKeyingMaterial(label: String, context: [UInt8], length: Int) throws(TLSError) -> [UInt8] {
        try stateLock.withLock { () throws(TLSError) in
            try machine.exportKeyingMaterial(label: label, context: context, length: length)
        }
    }
}
