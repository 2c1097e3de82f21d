/// The TLS 1.3 client, sans-I/O: bytes in (``receive(_:applicationDataLimit:)``), bytes out (``startHandshake()``,
/// ``takePendingOutput()``, ``sealApplicationData(_:)``) and events out. No sockets, no clocks, no threads: the
/// current time, randomness, key shares and the verifiers are injected (``Dependencies``).
///
/// This driver only moves records: it feeds handshake messages to the current ``ClientState``, which returns the
/// next one, and hands the connection's own business to ``PostHandshake`` once the handshake is over. What every step
/// shares (the record layer, the output, the negotiated ``TLSSessionInfo``, the trace) is the ``ClientContext``.
///
/// Not thread-safe. A driver that reads and writes from two threads serializes calls and performs sealing and the
/// transport write of the result under one write lock, so records leave in sequence order (see `TLSConnection`).
///
/// Every failure is thrown as a ``TLSError``; the machine then refuses further input, and ``alertRecord(for:)``
/// gives the alert record to send (under the current write keys).
final class ClientStateMachine {
    private var cx: ClientContext
    private var state: ClientState
    /// Whether the server's close_notify was received (it ends the server's stream for good, even if this side fails
    /// afterwards).
    private(set) var peerClosed = false
    /// Whether our close_notify (or a fatal alert) was sent: nothing more is written.
    private(set) var closeNotifySent = false
    /// How many KeyUpdates this side sent because a key reached its record limit.
    private(set) var automaticKeyUpdates = 0

    /// The most consecutive warning-level user_canceled alerts accepted; one more is `unexpected_message`.
    /// RFC 8446 §6.1 makes user_canceled non-fatal, so without a bound a peer could keep the client reading
    /// alerts forever. Any other record resets the count. (BoringSSL's limit.)
    static let maxConsecutiveUserCanceledAlerts = 4
    /// The most KeyUpdates accepted without application data between them (``PostHandshake``).
    static let maxConsecutiveKeyUpdates = PostHandshake.maxConsecutiveKeyUpdates
    private var consecutiveUserCanceledAlerts = 0

    /// - Parameters:
    ///   - session: a session to offer for resumption (used only if its suite's hash is among those offered).
    ///   - earlyData: 0-RTT data to send with the first flight, if `session` allows it. It may be replayed
    ///     by an attacker: send only idempotent requests.
    init(
        configuration: TLSClientConfiguration, identity: ServerIdentity, dependencies: Dependencies,
        session: TLSSession? = nil, earlyData: [UInt8]? = nil
    ) throws(TLSError) {
        try configuration.validate()
        cx = ClientContext(configuration: configuration, identity: identity, dependencies: dependencies)
        let resumption = ResumptionOffer.plan(session: session, earlyData: earlyData, &cx)
        state = .start(ClientStart(resumption: resumption))
    }

    var configuration: TLSClientConfiguration { cx.configuration }
    var identity: ServerIdentity { cx.identity }
    /// What has been negotiated so far.
    var info: TLSSessionInfo { cx.info }
    /// Where the handshake is.
    var phase: ClientPhase { state.phase }
    var isHandshakeComplete: Bool { phase == .connected }

    /// The connection after the handshake, or `nil` before it (and after a failure).
    private var connection: PostHandshake? {
        switch state {
        case .connected(let post): post
        default: nil
        }
    }

    // MARK: - Driving

    /// Builds the first ClientHello and returns the record to send (and the 0-RTT data after it).
    func startHandshake() throws(TLSError) -> [UInt8] {
        guard phase == .start else { throw TLSError.internalError("startHandshake called twice") }
        var out: [UInt8] = []
        switch exchange(&state, with: .failed) {  // a failure leaves `.failed`
        case .start(let start):
            state = try start.sendClientHello(into: &out, &cx)
        default:
            break  // not reached: checked above
        }
        assert(ClientState.allows(from: .start, on: ClientTransition.start, to: phase), "start → \(phase)")
        cx.flushRecordEvents()
        return out
    }

    /// Consumes bytes from the transport and returns what happened. Bytes to send in response (the
    /// client's Finished flight, a second ClientHello, a KeyUpdate reply) are queued: call
    /// ``takePendingOutput()`` afterwards.
    ///
    /// - Parameter applicationDataLimit: stop once this many bytes of application data have come out of this
    ///   call and leave the rest of `bytes` unprocessed (``hasUnprocessedInput``; go on with
    ///   ``receiveUnprocessedInput(applicationDataLimit:)``). The record layer then keeps a reference to the
    ///   caller's array: do not modify it before the input is processed. Records are decrypted as the reader
    ///   asks for them, so a large read does not turn into many plaintext buffers at once. By default
    ///   everything is processed and no reference is kept.
    func receive(_ bytes: ArraySlice<UInt8>, applicationDataLimit: Int = .max) throws(TLSError) -> [ClientEvent] {
        guard phase != .failed else { throw TLSError.closed }
        cx.records.receive(bytes)
        return try processRecords(applicationDataLimit: applicationDataLimit)
    }

    /// Whether bytes given to ``receive(_:applicationDataLimit:)`` are still unprocessed (it stopped at its limit).
    var hasUnprocessedInput: Bool { cx.records.hasUnprocessedInput }

    /// Goes on processing the bytes a ``receive(_:applicationDataLimit:)`` call left unprocessed.
    func receiveUnprocessedInput(applicationDataLimit: Int = .max) throws(TLSError) -> [ClientEvent] {
        guard phase != .failed else { throw TLSError.closed }
        return try processRecords(applicationDataLimit: applicationDataLimit)
    }

    private func processRecords(applicationDataLimit: Int) throws(TLSError) -> [ClientEvent] {
        var events: [ClientEvent] = []
        var applicationDataBytes = 0
        var stoppedAtLimit = false
        defer {
            if !stoppedAtLimit { cx.records.releaseInput() }  // keep no reference to the caller's array
        }
        do throws(TLSError) {
            while !peerClosed {
                if applicationDataBytes >= applicationDataLimit, cx.records.hasUnprocessedInput {
                    stoppedAtLimit = true
                    break
                }
                guard let record = try cx.records.nextRecord() else { break }
                cx.flushRecordEvents()
                if cx.reassembler.hasPartialMessage, record.contentType != .handshake {
                    throw TLSError.unexpected("\(record.contentType) record inside a fragmented handshake message")
                }
                if record.contentType != .alert { consecutiveUserCanceledAlerts = 0 }
                switch record.contentType {
                case .handshake:
                    try cx.reassembler.append(record.payload)
                    while let item = try cx.reassembler.next() {
                        try handle(item, events: &events)
                    }
                case .alert:
                    try handleAlert(record.payload, events: &events)
                case .applicationData:
                    guard let connection else {
                        throw TLSError.unexpected("application data before the handshake completed")
                    }
                    connection.applicationDataReceived()
                    applicationDataBytes += record.payload.count
                    events.append(.applicationData(record.payload))
                default:
                    throw TLSError.unexpected("record of content type \(record.contentType)")
                }
            }
        } catch {
            cx.flushRecordEvents()
            state = .failed
            throw error
        }
        cx.flushRecordEvents()
        return events
    }

    /// One handshake message: to the handshake state that expects it, or after the handshake to ``PostHandshake``.
    private func handle(_ item: HandshakeReassembler.Item, events: inout [ClientEvent]) throws(TLSError) {
        try Self.admit(item, &cx)
        if let connection {
            try connection.handle(item, &cx, events: &events)
            assert(ClientState.allows(from: .connected, on: item.message.displayName, to: .connected))
            return
        }
        let from = phase
        state = try exchange(&state, with: .failed).handle(item, &cx)  // a failure leaves `.failed`
        assert(ClientState.allows(from: from, on: item.message.displayName, to: phase),
               "\(from) → \(phase) on \(item.message.displayName) is not in ClientState.transitions")
        if phase == .connected { events.append(.handshakeComplete) }
    }

    /// The trace of a message received and the bound on its extensions. On the context in place: a non-mutating call
    /// on the stored property would copy the whole context for each message.
    private static func admit(_ item: HandshakeReassembler.Item, _ cx: inout ClientContext) throws(TLSError) {
        cx.traceMessage(item.message, .received, length: item.bytes.count)
        try cx.checkExtensionCount(item.message)
    }

    private func handleAlert(_ payload: [UInt8], events: inout [ClientEvent]) throws(TLSError) {
        let alert = try Alert(bytes: payload)
        if alert.description == .closeNotify {
            cx.trace(.closeNotify(.received))
        } else {
            cx.trace(.alert(direction: .received, description: alert.description, fatal: alert.description != .userCanceled))
        }
        switch alert.description {
        case .closeNotify:
            guard connection != nil else {
                // A close before the handshake finished cannot be a clean end.
                throw TLSError.alertReceived(.closeNotify)
            }
            peerClosed = true
            events.append(.peerClosed)
        case .userCanceled:
            // §6.1: not fatal by itself; the peer should follow with close_notify. But not without end.
            consecutiveUserCanceledAlerts += 1
            guard consecutiveUserCanceledAlerts <= Self.maxConsecutiveUserCanceledAlerts else {
                throw TLSError.unexpected(
                    "more than \(Self.maxConsecutiveUserCanceledAlerts) consecutive user_canceled alerts")
            }
        default:
            // §6: every other alert is fatal, whatever level it claims.
            throw TLSError.alertReceived(alert.description)
        }
    }

    // MARK: - Output

    /// Sealed records waiting to be sent, oldest first. Also seals what is owed to the server after the handshake
    /// (post-handshake authentication answers, a KeyUpdate reply).
    func takePendingOutput() throws(TLSError) -> [UInt8] {
        if let connection, !closeNotifySent { try connection.sealOwedMessages(&cx) }
        let out = cx.output
        cx.output = []
        cx.flushRecordEvents()
        return out
    }

    /// Seals application data (fragmented to records of at most 2^14 bytes), after any pending output.
    /// Before the sending key reaches its record limit, a KeyUpdate switches to the next key.
    func sealApplicationData(_ data: ArraySlice<UInt8>) throws(TLSError) -> [UInt8] {
        guard let connection, !closeNotifySent else { throw TLSError.closed }
        var out = try takePendingOutput()
        automaticKeyUpdates += try connection.seal(data, into: &out, &cx)
        cx.flushRecordEvents()
        return out
    }

    /// Sends a KeyUpdate and switches to new sending keys; with `requestPeerUpdate` the server is asked to
    /// update its keys too (RFC 8446 §4.6.3). Returns the bytes to send.
    func updateKeys(requestPeerUpdate: Bool) throws(TLSError) -> [UInt8] {
        guard let connection, !closeNotifySent else { throw TLSError.closed }
        try connection.updateKeys(requestPeerUpdate: requestPeerUpdate, &cx)
        return try takePendingOutput()
    }

    /// The close_notify record (after any pending output). Writing is over afterwards; reading may continue.
    func closeNotify() throws(TLSError) -> [UInt8] {
        guard !closeNotifySent, phase != .failed, phase != .start else { return [] }
        var out = connection != nil ? try takePendingOutput() : []
        closeNotifySent = true
        cx.trace(.closeNotify(.sent))
        try cx.records.write(.alert, payload: Alert(.closeNotify).encoded[...], into: &out)
        cx.flushRecordEvents()
        return out
    }

    /// The bytes to send for `error`: any output already queued (e.g. the client's Finished, when the
    /// failure came later in the same batch of records, so the alert's keys match what the server expects),
    /// then the alert record under the current write keys. `nil` when the protocol sends no alert (a
    /// received alert, a transport error).
    func alertRecord(for error: TLSError) -> [UInt8]? {
        state = .failed
        guard let alert = error.alertToSend, !closeNotifySent else { return nil }
        closeNotifySent = true
        // Middlebox compatibility (§D.4): the dummy change_cipher_spec precedes our first protected record,
        // and an alert answering the server's first flight may be that record.
        cx.queueCompatibilityCCSBeforeProtectedRecord()
        var out = cx.output
        cx.output = []
        cx.trace(.alert(direction: .sent, description: alert, fatal: true))
        do {
            try cx.records.write(.alert, payload: Alert(alert).encoded[...], into: &out)
        } catch {
            return nil
        }
        cx.flushRecordEvents()
        return out
    }

    // MARK: - After the handshake

    /// RFC 8446 §7.5 exporter.
    func exportKeyingMaterial(label: String, context: [UInt8], length: Int) throws(TLSError) -> [UInt8] {
        guard let connection else {
            throw TLSError.invalidConfiguration("keying material can be exported only after the handshake")
        }
        return try connection.exportKeyingMaterial(label: label, context: context, length: length)
    }

    /// A KeyUpdate(update_not_requested) is owed to the server (sealed at the next ``takePendingOutput()``).
    var keyUpdateReplyOwed: Bool { connection?.keyUpdateReplyOwed ?? false }

    /// Whether ``takePendingOutput()`` would return bytes: records already sealed, or messages owed after the
    /// handshake (a KeyUpdate reply, post-handshake authentication answers) that it seals.
    var hasPendingOutput: Bool {
        !cx.output.isEmpty || (!closeNotifySent && (connection?.hasOwedMessages ?? false))
    }

    /// Early data beyond the ticket's max_early_data_size that goes out as ordinary application data after the
    /// handshake, because the server accepted the 0-RTT part; taken once.
    func takeEarlyDataRemainder() -> [UInt8] { connection?.takeEarlyDataRemainder() ?? [] }

    /// What ``takeEarlyDataRemainder()`` would give after the handshake; before it, the part beyond the ticket's
    /// limit while it may still go out.
    var earlyDataRemainder: [UInt8] {
        switch state {
        case .start(let s): s.resumption?.earlyData.remainder ?? []
        case .waitServerHello(let s): s.resumption?.earlyData.remainder ?? []
        case .connected(let post): post.earlyDataRemainder
        default: []
        }
    }

    /// The 0-RTT data sent with the first ClientHello, until the server answers.
    var earlyDataSent: [UInt8] {
        switch state {
        case .waitServerHello(let s): s.resumption?.earlyData.sentData ?? []
        default: []
        }
    }

    /// The resumption master secret, once the handshake is complete (tests).
    var resumptionMasterSecret: SecretBytes? { connection?.resumptionMasterSecret }
}
