#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TLS 1.3 client connection without I/O: bytes from the server go in, bytes for the server come out, and
/// application data is sealed and opened in between. You move the bytes — over a socket you connected yourself,
/// after a plaintext STARTTLS preamble, through a proxy tunnel, in a SwiftNIO pipeline, or between two arrays in a
/// test. ``TLSConnection`` is this engine driven over a socket.
///
/// ```swift
/// let engine = try TLSClientEngine(serverName: "example.com", configuration: config)
/// try send(engine.takeOutput())                       // the ClientHello
/// while !engine.isHandshakeComplete {
///     let bytes = try receiveSome()                   // whatever the transport has: any amount
///     if bytes.isEmpty { try engine.receiveEndOfStream() }
///     do { try engine.receive(bytes) } catch { try? send(engine.takeOutput()); throw error }  // the alert
///     try send(engine.takeOutput())                   // the client's Finished (and anything owed)
/// }
/// try engine.write(Array("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".utf8))
/// try send(engine.takeOutput())
/// ```
///
/// ## Who calls what, when
///
/// - **Output.** The engine never sends anything itself: whatever it has to say — the ClientHello (queued by
///   ``init(serverName:port:configuration:session:earlyData:resendRejectedEarlyData:)``), the client's Finished,
///   sealed application data, a KeyUpdate or its reply, post-handshake authentication answers, close_notify, the
///   alert for a failure — waits until ``takeOutput()`` hands it over. Send those bytes, in order, before any
///   bytes taken later. Check ``hasPendingOutput`` after every call into the engine.
/// - **Input.** Give every byte the server sends to ``receive(_:)-([UInt8])``, in order, in pieces of any size
///   (a record split over many calls, or many records in one). When the transport reports the end of the stream,
///   call ``receiveEndOfStream()``. ``wantsInput`` says whether the engine can use more bytes now.
/// - **Application data.** ``write(_:)-([UInt8])`` seals (encrypts) data into the output, once
///   ``isHandshakeComplete``. Received data is read with ``readApplicationData(maxCount:)``: records are
///   decrypted as they are read, so a large burst from the server is not turned into plaintext all at once.
/// - **Events.** ``takeEvents()`` returns what happened since it was last called (handshake complete, a session
///   ticket, a KeyUpdate, post-handshake authentication, the server's close_notify). The state is also always
///   readable: ``isHandshakeComplete``, ``sessionInfo``, ``isPeerClosed``, ``failure``.
/// - **Closing.** ``close()`` queues close_notify: send ``takeOutput()``, then keep reading until
///   ``isPeerClosed`` if you want the server's close_notify too (TLS 1.3 allows half-closed connections).
/// - **Failures.** Every failure is a thrown ``TLSError``. The engine then queues the alert the protocol calls for
///   (if any): send ``takeOutput()`` and close the transport. A failed engine refuses further input and output
///   (``failure`` says why); application data decrypted before the failure can still be read.
///
/// ## What it owns
///
/// The engine owns its keys (wiped when it is released), the received bytes that do not yet form a whole record,
/// the ciphertext received but not yet decrypted, the decrypted data not yet read, and the output not yet taken.
/// It keeps no reference to the arrays you pass in. It owns no socket, thread, timer or lock: timeouts are yours
/// (``TLSClientConfiguration/handshakeTimeout`` and the other timeouts are applied by ``TLSConnection``, not here).
/// It reads the wall clock once, when it is created (certificate validity, ticket age), and again when a ticket
/// arrives — or ``TLSClientConfiguration/wallClockMilliseconds`` when set.
///
/// ## Threads
///
/// Not thread-safe, and not `Sendable`: use an engine from one thread (or one task, actor or event loop) at a
/// time, or guard every call with one lock. ``TLSConnection`` wraps it in locks so one thread can read while
/// another writes; the callbacks of the configuration (``TLSClientConfiguration/eventHandler``,
/// ``TLSClientConfiguration/certificateVerificationHandler``, …) run on the thread that called into the engine,
/// inside that call.
///
/// ## Memory
///
/// Output accumulates until taken, and decrypted data until read. ``receive(_:)-([UInt8])`` decrypts application
/// data only while less than ``receiveDecryptLimit`` bytes of it are waiting to be read; the rest of the input is
/// kept as ciphertext (``wantsInput`` is then `false`) and decrypted by ``readApplicationData(maxCount:)`` as the
/// reader catches up. A caller that stops reading should stop feeding input: bytes given to `receive` are always
/// accepted.
public final class TLSClientEngine {
    /// The configuration the engine was made with.
    public let configuration: TLSClientConfiguration
    /// The name the server is addressed by: ``TLSClientConfiguration/serverName`` if set, else the `serverName`
    /// given to the initializer. Sent as SNI and checked against the certificate (an IP literal is checked against
    /// the certificate's IP addresses and not sent).
    public let serverName: String

    let machine: ClientStateMachine
    private var output: [UInt8] = []
    private var plaintext = PlaintextQueue()
    private var events: [Event] = []
    private(set) var droppedEventCount = 0
    /// The newest ``maxKeptSessions`` sessions received, oldest first.
    private(set) var sessions: [TLSSession] = []
    private(set) var ticketCount = 0
    /// Set by the first failure; the engine then refuses input and output.
    public private(set) var failure: TLSError?
    private let cacheKey: TLSSessionCacheKey
    /// The server's port (the session cache and the key-share hints are kept per name and port).
    private let port: UInt16
    /// 0-RTT data, kept until the handshake completes when it may have to be sent again after a rejection.
    private var earlyDataToResend: [UInt8]?

    /// What happened, in order, as ``takeEvents()`` reports it.
    public enum Event: Sendable, Hashable {
        /// The server's Finished verified and the client's Finished is in the output: application data may flow.
        case handshakeComplete
        /// A NewSessionTicket arrived: the session it stands for, ready to resume (it is also in
        /// ``TLSClientConfiguration/sessionCache`` when one is configured).
        case sessionReceived(TLSSession)
        /// The server updated its sending keys; `replyQueued` when it asked this side to update too (the
        /// KeyUpdate reply is then in the output).
        case peerKeyUpdate(replyQueued: Bool)
        /// The server asked for a client certificate after the handshake; the answer (a certificate or an empty
        /// one, per ``TLSClientConfiguration/clientCertificate``) is in the output.
        case postHandshakeAuthentication
        /// The server sent close_notify: it sends nothing more. Writing may continue (half-close).
        case peerClosed
    }

    /// The most sessions an engine keeps for ``receivedSessions`` (the newest): a server that sends
    /// NewSessionTickets without end cannot make the client's memory grow.
    public static let maxKeptSessions = 8

    /// The most events kept for ``takeEvents()``; older ones are dropped when nobody takes them (a server sending
    /// tickets without end must not grow the client's memory). The state properties stay exact regardless.
    public static let maxQueuedEvents = 64

    /// How much decrypted application data ``receive(_:)-([UInt8])`` prepares before it leaves the rest of its
    /// input as ciphertext: 64 KiB.
    public static let receiveDecryptLimit = 1 << 16

    /// The most early data an engine takes (it is held in memory until the server answers): 16 MiB.
    public static let maxEarlyDataLength = 1 << 24

    // MARK: - Starting

    /// Makes a client for `serverName` and queues its ClientHello (take it with ``takeOutput()``).
    ///
    /// - Parameters:
    ///   - serverName: the DNS name or IP literal the server is addressed by (``TLSClientConfiguration/serverName``
    ///     overrides it); an IPv6 literal without brackets.
    ///   - port: the server's port: only part of the key sessions are stored under in
    ///     ``TLSClientConfiguration/sessionCache``.
    ///   - configuration: what to offer and whom to trust.
    ///   - session: a session to resume; `nil` takes one from ``TLSClientConfiguration/sessionCache`` (if set).
    ///     Used only if still valid, issued for this server name and (when certificates are verified) from a
    ///     verified connection whose chain is still accepted; otherwise the handshake is a full one.
    ///   - earlyData: data to send as 0-RTT in the first flight, when the session allows it (at most
    ///     ``maxEarlyDataLength`` bytes). **0-RTT data can be replayed by an attacker** (RFC 8446 §8): send only
    ///     requests that are safe to repeat. Up to the ticket's `max_early_data_size` goes out as 0-RTT; the rest is
    ///     sealed as ordinary application data right after the handshake if the server accepted the early part.
    ///     An empty array offers 0-RTT without sending any.
    ///   - resendRejectedEarlyData: when the server rejects the early data, seal it again as ordinary application
    ///     data right after the handshake.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` for a configuration, name or early data this library cannot
    ///   use, or a trust store that cannot be loaded; ``TLSError/internalError(_:)`` when libcrypto fails.
    public convenience init(
        serverName: String, port: UInt16 = 443, configuration: TLSClientConfiguration = TLSClientConfiguration(),
        session: TLSSession? = nil, earlyData: [UInt8]? = nil, resendRejectedEarlyData: Bool = false
    ) throws(TLSError) {
        try configuration.validate()
        try Endpoint.validateServerName(serverName)
        let relay = EventRelay(configuration: configuration, peer: Endpoint.display(host: serverName, port: port))
        try self.init(
            serverName: serverName, port: port, configuration: configuration,
            verifier: try TrustStoreCache.verifier(for: configuration), session: session, earlyData: earlyData,
            resendRejectedEarlyData: resendRejectedEarlyData, relay: relay)
    }

    /// The engine with the connection layer's (or a test's) verifier, trace relay and dependencies.
    init(
        serverName host: String, port: UInt16, configuration: TLSClientConfiguration, verifier: CertificateVerifier?,
        session: TLSSession? = nil, earlyData: [UInt8]? = nil, resendRejectedEarlyData: Bool = false,
        relay: EventRelay?, dependencies: ((inout ClientStateMachine.Dependencies) -> Void)? = nil
    ) throws(TLSError) {
        if let earlyData, earlyData.count > Self.maxEarlyDataLength {
            throw TLSError.invalidConfiguration("earlyData is \(earlyData.count) bytes; at most \(Self.maxEarlyDataLength)")
        }
        self.configuration = configuration
        let name = configuration.serverName ?? host
        serverName = name
        self.port = port
        cacheKey = TLSSessionCacheKey(
            serverName: name, port: port, verified: configuration.verifyCertificates, trustRoots: configuration.trustRoots)
        var deps = ClientStateMachine.Dependencies(
            certificateVerifier: verifier, certificateCache: .shared, now: Int64(time(nil)),
            clockMilliseconds: { wallClockMilliseconds() })
        if let clock = configuration.wallClockMilliseconds {
            // Seconds, rounded down (towards the past for times before 1970), for any Int64.
            let (seconds, remainder) = clock().quotientAndRemainder(dividingBy: 1000)
            deps.now = remainder < 0 ? seconds - 1 : seconds
            deps.clockMilliseconds = clock
        }
        if let relay {
            deps.tracer = { relay.emit($0) }
            deps.monotonicNanoseconds = { Deadline.now.nanoseconds }
            deps.traceIncludesSecrets = configuration.traceIncludesSecrets
        }
        deps.keyShareHint = configuration.keyShareHints?.group(forServer: name, port: port)
        dependencies?(&deps)
        let offered = session ?? configuration.sessionCache?.take(for: cacheKey, atMilliseconds: deps.nowMilliseconds)
        // The state machine cannot suspend: an async handler is waited for (at most the handshake timeout).
        var effective = configuration
        if let handler = configuration.asyncCertificateVerificationHandler, configuration.certificateVerificationHandler == nil {
            effective.certificateVerificationHandler = AsyncVerdictBridge.synchronous(
                handler, timeout: configuration.handshakeTimeout)
            effective.asyncCertificateVerificationHandler = nil
        }
        machine = try ClientStateMachine(
            configuration: effective, identity: Self.identity(for: name), dependencies: deps, session: offered,
            earlyData: earlyData)
        if resendRejectedEarlyData, let earlyData, !earlyData.isEmpty { earlyDataToResend = earlyData }
        do throws(TLSError) {
            output = try machine.startHandshake()
        } catch {
            throw fail(error)
        }
    }

    /// How a name is checked: an IPv4 or IPv6 literal against the certificate's IP addresses (and no SNI), anything
    /// else as a DNS name.
    static func identity(for name: String) -> ClientStateMachine.ServerIdentity {
        if Endpoint.isIPv4Literal(name) { return .ipAddress(name) }
        if Endpoint.isIPv6Literal(name) {
            // A zone (`fe80::1%eth0`) names the local interface, not part of the address a certificate names.
            return .ipAddress(String(name.prefix { $0 != "%" }))
        }
        return .dnsName(name)
    }

    // MARK: - State

    /// Whether the handshake has completed: the server is authenticated and application data may flow.
    public var isHandshakeComplete: Bool { machine.isHandshakeComplete }

    /// What has been negotiated so far (complete once ``isHandshakeComplete``).
    public var sessionInfo: TLSSessionInfo { machine.info }

    /// Whether the server's close_notify has been received: it sends nothing more.
    public var isPeerClosed: Bool { machine.peerClosed }

    /// Whether this side has finished writing: close_notify (``close()``) or a fatal alert is in the output.
    public var isWriteClosed: Bool { machine.closeNotifySent }

    /// Whether ``takeOutput()`` has bytes to send.
    public var hasPendingOutput: Bool { !output.isEmpty || (failure == nil && machine.hasPendingOutput) }

    /// Whether the engine can use more input now: it has not failed, the server has not closed, and every byte
    /// received so far has been processed (none is waiting, as ciphertext, for ``readApplicationData(maxCount:)``).
    public var wantsInput: Bool { failure == nil && !machine.peerClosed && !machine.hasUnprocessedInput }

    /// Decrypted application data waiting for ``readApplicationData(maxCount:)``, in bytes.
    public var bufferedApplicationDataCount: Int { plaintext.count }

    /// The newest sessions (tickets) received, at most ``maxKeptSessions``, oldest first; ``receivedTicketCount``
    /// counts them all.
    public var receivedSessions: [TLSSession] { sessions }

    /// How many NewSessionTicket messages the server has sent.
    public var receivedTicketCount: Int { ticketCount }

    /// How many KeyUpdates this side sent because its key reached the record limit
    /// (``TLSClientConfiguration/keyUpdateRecordLimit``).
    public var automaticKeyUpdateCount: Int { machine.automaticKeyUpdates }

    // MARK: - Input

    /// Processes bytes received from the server: handshake messages, alerts, post-handshake messages, and
    /// application data (decrypted up to ``receiveDecryptLimit`` bytes waiting to be read; the rest later, as it
    /// is read). Any amount, any split: a partial record waits for the rest.
    ///
    /// Afterwards, send ``takeOutput()`` if ``hasPendingOutput``, and look at ``takeEvents()``.
    ///
    /// - Throws: the ``TLSError`` the bytes caused (``TLSError/decode(reason:alert:)``,
    ///   ``TLSError/protocolViolation(alert:reason:)``, ``TLSError/certificateRejected(alert:reason:)``,
    ///   ``TLSError/alertReceived(_:)``, …); the alert for it is then in the output. After a failure, every call
    ///   throws that failure again.
    public func receive(_ bytes: [UInt8]) throws(TLSError) {
        try receive(bytes[...], applicationDataLimit: Self.receiveDecryptLimit)
    }

    /// Processes bytes received from the server; see ``receive(_:)-([UInt8])``.
    public func receive(_ bytes: ArraySlice<UInt8>) throws(TLSError) {
        try receive(bytes, applicationDataLimit: Self.receiveDecryptLimit)
    }

    /// The connection layer's entry point: stops decrypting once `applicationDataLimit` bytes of application data
    /// came out of this call, keeping the rest of `bytes` (a reference to the caller's array) unprocessed.
    func receive(_ bytes: ArraySlice<UInt8>, applicationDataLimit: Int) throws(TLSError) {
        if let failure { throw failure }
        guard !bytes.isEmpty else { return }
        let limit = max(0, applicationDataLimit - plaintext.count)
        do throws(TLSError) {
            try absorb(try machine.receive(bytes, applicationDataLimit: max(1, limit)))
        } catch {
            throw fail(error)
        }
    }

    /// Tells the engine the transport's stream has ended (a read returned end of file).
    ///
    /// - Throws: nothing after the server's close_notify (a clean end); otherwise the engine fails with
    ///   ``TLSError/truncated`` (after the handshake: data may be missing) or
    ///   ``TLSError/network(step:reason:)`` (during the handshake), and throws it.
    public func receiveEndOfStream() throws(TLSError) {
        if let failure { throw failure }
        if machine.peerClosed { return }
        throw fail(machine.isHandshakeComplete
            ? .truncated : .network(step: .read, reason: "server closed the connection during the handshake"))
    }

    /// Takes the events since the last call, oldest first (at most ``maxQueuedEvents``).
    public func takeEvents() -> [Event] {
        defer { events = [] }
        return events
    }

    // MARK: - Application data

    /// Decrypted application data: at most `maxCount` bytes, decrypting more of the received records as needed.
    ///
    /// - Parameter maxCount: the most bytes to return, above 0.
    /// - Returns: the bytes (never empty); `nil` when none is available yet (receive more input); an empty array
    ///   once the server has sent close_notify and everything before it was read (a clean end).
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` for `maxCount` ≤ 0; once the engine failed and nothing
    ///   decrypted before the failure is left, the failure; a failure met while decrypting (its alert is then in
    ///   the output).
    public func readApplicationData(maxCount: Int = .max) throws(TLSError) -> [UInt8]? {
        guard maxCount > 0 else { throw TLSError.invalidConfiguration("read maxCount must be above 0, not \(maxCount)") }
        return try nextApplicationData(maxCount) { plaintext.take($0) }
    }

    /// Like ``readApplicationData(maxCount:)``, but the bytes stay: the next `peek` or read (with at least as large
    /// a `maxCount`) returns them again.
    public func peekApplicationData(maxCount: Int = .max) throws(TLSError) -> [UInt8]? {
        guard maxCount > 0 else { throw TLSError.invalidConfiguration("peek maxCount must be above 0, not \(maxCount)") }
        return try nextApplicationData(maxCount) { plaintext.peek($0) }
    }

    /// What `get` finds in the decrypted data, decrypting more of the input first when there is none; `[]` at the
    /// server's clean end, `nil` when more input is needed.
    private func nextApplicationData(_ maxCount: Int, _ get: (Int) -> [UInt8]?) throws(TLSError) -> [UInt8]? {
        if let chunk = get(maxCount) { return chunk }
        if let failure { throw failure }
        if machine.hasUnprocessedInput {
            try processUnprocessedInput(applicationDataLimit: maxCount)
            if let chunk = get(maxCount) { return chunk }
        }
        return machine.peerClosed ? [] : nil
    }

    /// Up to `maxCount` bytes of the data already decrypted, or `nil` when there is none.
    func takeBufferedApplicationData(_ maxCount: Int) -> [UInt8]? { plaintext.take(maxCount) }

    /// What ``takeBufferedApplicationData(_:)`` would return, left in place.
    func peekBufferedApplicationData(_ maxCount: Int) -> [UInt8]? { plaintext.peek(maxCount) }

    /// Goes on with the input a `receive` left unprocessed (it stopped at its limit of decrypted data).
    func processUnprocessedInput(applicationDataLimit: Int) throws(TLSError) {
        if let failure { throw failure }
        do throws(TLSError) {
            try absorb(try machine.receiveUnprocessedInput(applicationDataLimit: applicationDataLimit))
        } catch {
            throw fail(error)
        }
    }

    /// Seals `data` as application data into the output (records of at most 16 KiB, or the server's
    /// record_size_limit), after anything already owed. Before the sending key reaches its record limit, a KeyUpdate
    /// switches to the next key.
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` before the handshake is complete (0-RTT data is given to the
    ///   initializer instead); ``TLSError/closed`` after ``close()``; the failure, once the engine failed.
    public func write(_ data: [UInt8]) throws(TLSError) {
        try write(data[...])
    }

    /// Seals `data` as application data into the output; see ``write(_:)-([UInt8])``.
    public func write(_ data: ArraySlice<UInt8>) throws(TLSError) {
        if let failure { throw failure }
        if machine.closeNotifySent { throw TLSError.closed }
        guard machine.isHandshakeComplete else {
            throw TLSError.invalidConfiguration("application data can be written only once the handshake is complete")
        }
        let sealed: [UInt8]
        do throws(TLSError) {
            sealed = try machine.sealApplicationData(data)
        } catch {
            throw fail(error)
        }
        append(sealed)
    }

    // MARK: - Output

    /// Everything to send to the server, oldest first; empty when there is nothing. Seals what is owed first (a
    /// KeyUpdate reply, post-handshake authentication answers).
    ///
    /// - Throws: a failure while sealing what is owed (its alert is then what is returned by the next call).
    public func takeOutput() throws(TLSError) -> [UInt8] {
        // After a failure only what `fail` queued goes out (the alert, after the records it follows).
        if failure == nil, machine.hasPendingOutput {
            let pending: [UInt8]
            do throws(TLSError) {
                pending = try machine.takePendingOutput()
            } catch {
                throw fail(error)
            }
            append(pending)
        }
        defer { output = [] }
        return output
    }

    private func append(_ bytes: [UInt8]) {
        if output.isEmpty { output = bytes } else { output.append(contentsOf: bytes) }
    }

    // MARK: - After the handshake

    /// Queues close_notify: this side writes no more. Reading may continue until the server closes. Does nothing
    /// when already closed, failed, or before the handshake started.
    public func close() {
        guard failure == nil, !machine.closeNotifySent else { return }
        do throws(TLSError) {
            append(try machine.closeNotify())
        } catch {
            _ = fail(error)
        }
    }

    /// Fails the connection and queues a fatal alert: for an application that gives up and wants to say why.
    /// Nothing is queued if the engine already failed or sent close_notify. ``failure`` becomes
    /// ``TLSError/closed``.
    public func abort(sending alert: AlertDescription) {
        guard failure == nil else { return }
        failure = .closed
        if let record = machine.alertRecord(for: .protocolViolation(alert: alert, reason: "closed by the application")) {
            append(record)
        }
    }

    /// Seals a KeyUpdate into the output and switches to new sending keys (RFC 8446 §4.6.3).
    ///
    /// - Parameter requestPeerUpdate: also ask the server to update its sending keys.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` before the handshake is complete; ``TLSError/closed`` after
    ///   ``close()``; the failure, once the engine failed.
    public func updateKeys(requestPeerUpdate: Bool) throws(TLSError) {
        if let failure { throw failure }
        if machine.closeNotifySent { throw TLSError.closed }
        guard machine.isHandshakeComplete else {
            throw TLSError.invalidConfiguration("keys can be updated only once the handshake is complete")
        }
        do throws(TLSError) {
            append(try machine.updateKeys(requestPeerUpdate: requestPeerUpdate))
        } catch {
            throw fail(error)
        }
    }

    /// Keying material exported from the session (RFC 8446 §7.5, RFC 5705).
    ///
    /// - Parameters:
    ///   - label: the exporter label, e.g. `EXPORTER-my-protocol`, at most 249 bytes.
    ///   - context: the context value (an empty array is a zero-length context, not "no context").
    ///   - length: how many bytes to export, at most 255 × the hash length.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` for an argument out of range or before the handshake is
    ///   complete; the failure, once the engine failed.
    public func exportKeyingMaterial(label: String, context: [UInt8], length: Int) throws(TLSError) -> [UInt8] {
        if let failure { throw failure }
        return try machine.exportKeyingMaterial(label: label, context: context, length: length)
    }

    // MARK: - Internals

    /// Records a failure (the first one wins) and queues the alert it calls for, if any. Returns `error`.
    @discardableResult
    func fail(_ error: TLSError) -> TLSError {
        if failure == nil { failure = error }
        if let alert = machine.alertRecord(for: error) { append(alert) }
        return error
    }

    /// Takes the state machine's events: plaintext to the queue, tickets to the sessions, the rest to ``events``.
    private func absorb(_ clientEvents: [ClientEvent]) throws(TLSError) {
        for event in clientEvents {
            switch event {
            case .applicationData(let data):
                plaintext.append(data)
            case .newSessionTicket(_, let session):
                // A server may send tickets without end: keep the newest few, count them all.
                ticketCount += 1
                sessions.append(session)
                if sessions.count > Self.maxKeptSessions {
                    sessions.removeFirst(sessions.count - Self.maxKeptSessions)
                }
                configuration.sessionCache?.store(session, for: cacheKey)
                queue(.sessionReceived(session))
            case .handshakeComplete:
                queue(.handshakeComplete)
                if let hints = configuration.keyShareHints, let group = machine.info.group {
                    hints.remember(group, forServer: serverName, port: port)
                }
                try sendEarlyDataOwed()
            case .peerClosed:
                queue(.peerClosed)
            case .peerKeyUpdate(let replyQueued):
                queue(.peerKeyUpdate(replyQueued: replyQueued))
            case .postHandshakeAuthentication:
                queue(.postHandshakeAuthentication)
            }
        }
    }

    private func queue(_ event: Event) {
        if events.count >= Self.maxQueuedEvents {
            events.removeFirst()
            droppedEventCount += 1
        }
        events.append(event)
    }

    /// Right after the handshake: rejected 0-RTT data sent again (when asked), then the part beyond the ticket's
    /// max_early_data_size that follows an accepted 0-RTT part.
    private func sendEarlyDataOwed() throws(TLSError) {
        if let resend = earlyDataToResend, machine.info.earlyData == .rejected {
            append(try machine.sealApplicationData(resend[...]))
        }
        earlyDataToResend = nil
        let remainder = machine.takeEarlyDataRemainder()
        if !remainder.isEmpty { append(try machine.sealApplicationData(remainder[...])) }
    }
}

@available(*, unavailable, message: "TLSClientEngine is not thread-safe: use it from one thread at a time")
extension TLSClientEngine: Sendable {}
