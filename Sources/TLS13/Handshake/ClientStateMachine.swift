/// The TLS 1.3 client, sans-I/O: bytes in (``receive(_:)``), bytes out (``startHandshake()``,
/// ``takePendingOutput()``, ``sealApplicationData(_:)``) and events out. No sockets, no clocks, no threads:
/// the current time, randomness, key shares and the verifiers are injected.
///
/// Not thread-safe. A driver that reads and writes from two threads serializes calls and performs
/// sealing and the transport write of the result under one write lock, so records leave in sequence
/// order (see `TLSConnection`).
///
/// Every failure is thrown as a ``TLSError``; the machine then refuses further input, and
/// ``alertRecord(for:)`` gives the alert record to send (under the current write keys).
final class ClientStateMachine {
    /// The checks the handshake makes that are not pure protocol logic.
    struct Dependencies {
        /// Verifies the chain and name; `nil` skips both (`--insecure`), never the CertificateVerify signature.
        var certificateVerifier: CertificateVerifier?
        var signatureVerifier: SignatureVerifier
        var random: RandomSource
        /// Creates a key share for a group (tests inject fixed private keys).
        var makeKeyShare: (NamedGroup) throws(TLSError) -> KeyShare
        /// Parsed certificates: the server's leaf (its keyUsage, the CertificateVerify signature) and the trace's
        /// description of the chain. The connection layer passes the process-wide one (`CertificateCache.shared`).
        var certificateCache: CertificateCache
        /// Lays out the ClientHellos from what the handshake put in them.
        var clientHelloBuilder: any ClientHelloBuilder
        /// Seconds since 1970-01-01 UTC: certificate validity is checked at this time.
        var now: Int64
        /// Milliseconds since 1970-01-01 UTC, read when a ticket arrives and when one is offered (ticket
        /// age). `nil` uses ``now``.
        var clockMilliseconds: (@Sendable () -> Int64)?
        /// Receives the trace (``TLSEvent``) as things happen; `nil` (no listener): nothing is built.
        var tracer: ((TLSEvent) -> Void)?
        /// A monotonic clock in nanoseconds, for the crypto step timings of the trace (only read when tracing).
        var monotonicNanoseconds: (() -> Int64)?
        /// Whether key-schedule events carry the secret's value (``TLSClientConfiguration/traceIncludesSecrets``).
        var traceIncludesSecrets: Bool

        /// - Parameters:
        ///   - signatureVerifier: `nil`: libcrypto's, parsing through `certificateCache`.
        ///   - certificateCache: `nil`: a small cache of this handshake's own.
        init(
            certificateVerifier: CertificateVerifier?, signatureVerifier: SignatureVerifier? = nil,
            random: RandomSource = SystemRandom(),
            makeKeyShare: @escaping (NamedGroup) throws(TLSError) -> KeyShare = { (group) throws(TLSError) in
                try TLS13.makeKeyShare(group: group)
            },
            certificateCache: CertificateCache? = nil,
            clientHelloBuilder: any ClientHelloBuilder = StandardClientHelloBuilder(),
            now: Int64, clockMilliseconds: (@Sendable () -> Int64)? = nil, tracer: ((TLSEvent) -> Void)? = nil,
            monotonicNanoseconds: (() -> Int64)? = nil, traceIncludesSecrets: Bool = false
        ) {
            let cache = certificateCache ?? CertificateCache(capacity: 16)
            self.certificateVerifier = certificateVerifier
            self.signatureVerifier = signatureVerifier ?? OpenSSLSignatureVerifier(certificates: cache)
            self.random = random
            self.makeKeyShare = makeKeyShare
            self.certificateCache = cache
            self.clientHelloBuilder = clientHelloBuilder
            self.now = now
            self.clockMilliseconds = clockMilliseconds
            self.tracer = tracer
            self.monotonicNanoseconds = monotonicNanoseconds
            self.traceIncludesSecrets = traceIncludesSecrets
        }

        var nowMilliseconds: Int64 { clockMilliseconds?() ?? now.multipliedReportingOverflow(by: 1000).partialValue }
    }



    /// The name the server is addressed by.
    enum ServerIdentity: Equatable {
        /// A DNS name: sent as SNI and matched against the certificate's DNS names.
        case dnsName(String)
        /// An IP literal: no SNI; matched against the certificate's IP addresses.
        case ipAddress(String)
        /// No name: no SNI and no name check (tests, or a caller that checks the name itself).
        case none
    }

    let configuration: TLSClientConfiguration
    let identity: ServerIdentity
    private var deps: Dependencies

    private(set) var state: ClientState = .start
    private(set) var info = TLSSessionInfo()
    /// Whether the server's close_notify was received.
    private(set) var peerClosed = false
    /// Whether our close_notify was sent.
    private(set) var closeNotifySent = false

    private var records = RecordLayer()
    private var reassembler: HandshakeReassembler
    /// Sealed bytes waiting for the transport, in order.
    private var pendingOutput: [UInt8] = []
    /// A KeyUpdate(update_not_requested) owed to the server; sealed at the next output drain. However many
    /// update_requested KeyUpdates arrive before then, one reply answers them all (RFC 8446 §4.6.3).
    private(set) var keyUpdateReplyOwed = false

    /// The most consecutive warning-level user_canceled alerts accepted; one more is `unexpected_message`.
    /// RFC 8446 §6.1 makes user_canceled non-fatal, so without a bound a peer could keep the client reading
    /// alerts forever. Any other record resets the count. (BoringSSL's limit.)
    static let maxConsecutiveUserCanceledAlerts = 4
    /// The most KeyUpdates accepted without application data between them; one more is `unexpected_message`.
    /// Each one costs a key derivation, so a peer must not be able to send them without end. (BoringSSL's limit.)
    static let maxConsecutiveKeyUpdates = 32
    private var consecutiveUserCanceledAlerts = 0
    private var consecutiveKeyUpdates = 0

    // Handshake context. Cleared when the handshake completes.
    private var clientHello: ClientHello?
    private var clientHelloBytes: [UInt8] = []
    private var offeredExtensions: Set<ExtensionType> = []
    private var keyShares: [NamedGroup: KeyShare] = [:]
    private var helloRetry: HelloRetryRequest?
    /// The GREASE values of this connection's ClientHellos (nil with GREASE off).
    private var grease: GREASE?
    private var sentCompatibilityCCS = false
    private var suite: CipherSuiteParameters?
    private var schedule: KeySchedule?
    private var transcript: TranscriptHash?
    private var handshakeSecret: HandshakeSecret?
    private var clientHandshakeTrafficSecret: SecretBytes?
    private var serverHandshakeTrafficSecret: SecretBytes?
    /// The CertificateRequest received during the handshake, answered in the client's flight.
    private var certificateRequest: CertificateRequest?
    /// The transcript through the client Finished, kept when post-handshake authentication was offered:
    /// each post-handshake CertificateRequest is answered over it (§4.4.1).
    private var postHandshakeTranscript: TranscriptHash?

    // Resumption and 0-RTT.
    /// The session offered for resumption, if any.
    private var offeredSession: TLSSession?
    /// What checking the offered session's certificate chain again concluded (`nil`: nothing was checked, as
    /// verification is off and there is no handler).
    private var sessionCheck: ServerCertificateCheck.Outcome?
    /// What checking the server's Certificate concluded, on a full handshake.
    private var certificateCheck: ServerCertificateCheck.Outcome?
    private var earlyDataToSend: [UInt8]?
    private var pskAccepted = false
    private var earlyDataStatus: TLSEarlyDataStatus {
        get { info.earlyData }
        set { info.earlyData = newValue }
    }
    /// The early data that was sent (kept until the server's answer, so a caller may resend it).
    private(set) var earlyDataSent: [UInt8] = []
    /// Early data beyond the ticket's max_early_data_size: the driver sends it as ordinary application data
    /// after the handshake, if the server accepted the part sent as 0-RTT.
    private(set) var earlyDataRemainder: [UInt8] = []
    /// 0-RTT data went out and the server has not yet said whether it took it.
    private var awaitingEarlyDataAnswer = false
    /// The client handshake traffic keys, installed for writing once 0-RTT is over.
    private var clientHandshakeKeys: TrafficKeys?

    // Traffic secrets.
    private var clientTrafficSecret: SecretBytes?
    private var serverTrafficSecret: SecretBytes?
    private var exporterMasterSecret: SecretBytes?
    private(set) var resumptionMasterSecret: SecretBytes?

    /// - Parameters:
    ///   - session: a session to offer for resumption (used only if its suite's hash is among those offered).
    ///   - earlyData: 0-RTT data to send with the first flight, if `session` allows it. It may be replayed
    ///     by an attacker: send only idempotent requests.
    init(
        configuration: TLSClientConfiguration, identity: ServerIdentity, dependencies: Dependencies,
        session: TLSSession? = nil, earlyData: [UInt8]? = nil
    ) throws(TLSError) {
        try configuration.validate()
        self.configuration = configuration
        self.identity = identity
        self.deps = dependencies
        self.reassembler = HandshakeReassembler(maxMessageLength: configuration.maxHandshakeMessageSize)
        records.observing = dependencies.tracer != nil
        if let session {
            do throws(TLSError) {
                sessionCheck = try Self.checkOffer(
                    of: session, configuration: configuration, identity: identity, dependencies: dependencies)
                offeredSession = session
            } catch {
                // Not offered: the handshake is a full one, and says why.
                info.sessionNotOfferedReason = error.description
                trace(.note("session not offered: \(error.description)"))
            }
        }
        guard let earlyData else { return }
        guard let session = offeredSession else {
            info.earlyDataReason = .noSession
            return
        }
        if !session.allowsEarlyData {
            info.earlyDataReason = .sessionDoesNotAllowEarlyData
        } else if !configuration.cipherSuites.contains(session.cipherSuite) {
            info.earlyDataReason = .cipherSuiteNotOffered
        } else if !(session.applicationProtocol.map({ configuration.applicationProtocols.contains($0) }) ?? true) {
            info.earlyDataReason = .applicationProtocolMismatch
        } else {
            // Up to the ticket's limit as 0-RTT; the rest waits for the handshake (sent only if the early
            // part is accepted, see earlyDataRemainder).
            let limit = Int(session.maxEarlyDataSize)
            earlyDataToSend = Array(earlyData.prefix(limit))
            earlyDataRemainder = Array(earlyData.dropFirst(limit))
        }
    }

    /// Whether `session` may be offered on this connection, and what checking its server certificate again
    /// concluded: a session is trusted no more than a full handshake with its chain would be now.
    ///
    /// It must be within its lifetime, issued for this server name, usable with an offered suite's hash, and its
    /// saved chain and OCSP response must pass ``ServerCertificateCheck`` under this configuration at this time
    /// (trust roots, name, verification handler, validity, revocation). A session from a connection that did not
    /// verify certificates is never offered to one that does; with verification off and no handler there is
    /// nothing to check again.
    ///
    /// - Throws: why not (``TLSError/certificateRejected(alert:reason:)`` when the chain is not accepted now,
    ///   ``TLSError/invalidConfiguration(_:)`` for the other reasons); the session is then not offered.
    static func checkOffer(
        of session: TLSSession, configuration: TLSClientConfiguration, identity: ServerIdentity,
        dependencies: Dependencies
    ) throws(TLSError) -> ServerCertificateCheck.Outcome? {
        guard session.isValid(atMilliseconds: dependencies.nowMilliseconds) else {
            throw TLSError.invalidConfiguration("the session has expired (its lifetime was \(session.lifetime) s)")
        }
        guard session.serverName == sessionName(for: identity) else {
            throw TLSError.invalidConfiguration(
                "the session was issued for \"\(session.serverName)\", not \"\(sessionName(for: identity))\"")
        }
        guard session.ticket.count <= TLSSession.maxOfferedTicketLength else {
            throw TLSError.invalidConfiguration(
                "the session's ticket is \(session.ticket.count) bytes; tickets over \(TLSSession.maxOfferedTicketLength) are not offered")
        }
        guard let params = CipherSuiteParameters(session.cipherSuite),
            configuration.cipherSuites.contains(where: { CipherSuiteParameters($0)?.hash == params.hash })
        else {
            throw TLSError.invalidConfiguration("no offered cipher suite has the hash of the session's \(session.cipherSuite)")
        }
        let verifier = dependencies.certificateVerifier
        guard verifier != nil || configuration.certificateVerificationHandler != nil else { return nil }
        if verifier != nil, !session.certificateVerified {
            throw TLSError.invalidConfiguration(
                "the session comes from a connection that did not verify the server's certificate")
        }
        guard !session.peerCertificates.isEmpty else {
            throw TLSError.invalidConfiguration(
                "the session has no certificate chain to check again (saved by an older version of this library)")
        }
        if configuration.requestOCSPStapling, !session.ocspStaplingRequested {
            throw TLSError.invalidConfiguration(
                "the session was verified without asking for a stapled OCSP response, and this connection asks for one")
        }
        let check = ServerCertificateCheck(
            configuration: configuration, verifier: verifier, identity: identity, now: dependencies.now,
            isSessionReverification: true, certificates: dependencies.certificateCache)
        return try check.evaluate(
            chain: session.peerCertificates, ocspResponse: configuration.requestOCSPStapling ? session.ocspResponse : nil)
    }

    /// The server name as sessions record it.
    private var serverNameForSessions: String { Self.sessionName(for: identity) }

    private static func sessionName(for identity: ServerIdentity) -> String {
        switch identity {
        case .dnsName(let name), .ipAddress(let name): name
        case .none: ""
        }
    }

    var isHandshakeComplete: Bool { state == .connected }

    // MARK: - Driving

    /// Builds the first ClientHello and returns the record to send.
    func startHandshake() throws(TLSError) -> [UInt8] {
        guard state == .start else { throw TLSError.internalError("startHandshake called twice") }
        do throws(TLSError) {
            var hello = try buildClientHello()
            hello = try bindPSK(hello, transcriptPrefix: [])
            try adopt(clientHello: hello)
            records.allowsChangeCipherSpec = true
            state = .waitServerHello
            // legacy_record_version 0x0301 for the initial ClientHello, as middleboxes expect (§5.1); a hello longer
            // than a record (a large ticket, many ALPN names) is fragmented.
            var out: [UInt8] = []
            var offset = 0
            repeat {
                let end = min(offset + RecordLayer.maxPlaintext, clientHelloBytes.count)
                out += [ContentType.handshake.rawValue, 0x03, 0x01, UInt8((end - offset) >> 8), UInt8((end - offset) & 0xff)]
                out += clientHelloBytes[offset..<end]
                offset = end
            } while offset < clientHelloBytes.count
            records.noteRawRecords(out[...])
            traceMessage(.clientHello(hello), .sent, length: clientHelloBytes.count)
            if let data = earlyDataToSend, hello.extension(.earlyData) != nil, let session = offeredSession {
                try sendEarlyData(data, session: session, into: &out)
            }
            flushRecordEvents()
            return out
        } catch {
            state = .failed
            throw error
        }
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
        guard state != .failed else { throw TLSError.closed }
        records.receive(bytes)
        return try processRecords(applicationDataLimit: applicationDataLimit)
    }

    /// Whether bytes given to ``receive(_:applicationDataLimit:)`` are still unprocessed (it stopped at its limit).
    var hasUnprocessedInput: Bool { records.hasUnprocessedInput }

    /// Goes on processing the bytes a ``receive(_:applicationDataLimit:)`` call left unprocessed.
    func receiveUnprocessedInput(applicationDataLimit: Int = .max) throws(TLSError) -> [ClientEvent] {
        guard state != .failed else { throw TLSError.closed }
        return try processRecords(applicationDataLimit: applicationDataLimit)
    }

    private func processRecords(applicationDataLimit: Int) throws(TLSError) -> [ClientEvent] {
        var events: [ClientEvent] = []
        var applicationDataBytes = 0
        var stoppedAtLimit = false
        defer {
            if !stoppedAtLimit { records.releaseInput() }  // keep no reference to the caller's array
        }
        do throws(TLSError) {
            while !peerClosed {
                if applicationDataBytes >= applicationDataLimit, records.hasUnprocessedInput {
                    stoppedAtLimit = true
                    break
                }
                guard let record = try records.nextRecord() else { break }
                flushRecordEvents()
                if reassembler.hasPartialMessage, record.contentType != .handshake {
                    throw TLSError.unexpected("\(record.contentType) record inside a fragmented handshake message")
                }
                if record.contentType != .alert { consecutiveUserCanceledAlerts = 0 }
                switch record.contentType {
                case .handshake:
                    try reassembler.append(record.payload)
                    while let item = try reassembler.next() {
                        try handle(item, events: &events)
                    }
                case .alert:
                    try handleAlert(record.payload, events: &events)
                case .applicationData:
                    guard state == .connected else {
                        throw TLSError.unexpected("application data before the handshake completed")
                    }
                    consecutiveKeyUpdates = 0
                    applicationDataBytes += record.payload.count
                    events.append(.applicationData(record.payload))
                default:
                    throw TLSError.unexpected("record of content type \(record.contentType)")
                }
            }
        } catch {
            flushRecordEvents()
            state = .failed
            throw error
        }
        flushRecordEvents()
        return events
    }

    /// Sealed records waiting to be sent, oldest first. Also seals a KeyUpdate reply if one is owed.
    func takePendingOutput() throws(TLSError) -> [UInt8] {
        if !postHandshakeAuthReplies.isEmpty, state == .connected, !closeNotifySent {
            for reply in postHandshakeAuthReplies {
                try records.write(.handshake, payload: reply[...], into: &pendingOutput)
            }
            postHandshakeAuthReplies = []
        }
        if keyUpdateReplyOwed, state == .connected, !closeNotifySent {
            keyUpdateReplyOwed = false
            try sendKeyUpdate(request: .updateNotRequested)
        }
        let out = pendingOutput
        pendingOutput = []
        flushRecordEvents()
        return out
    }

    /// Seals application data (fragmented to records of at most 2^14 bytes), after any pending output.
    /// Before the sending key reaches its record limit, a KeyUpdate switches to the next key.
    func sealApplicationData(_ data: ArraySlice<UInt8>) throws(TLSError) -> [UInt8] {
        guard state == .connected, !closeNotifySent else { throw TLSError.closed }
        var out = try takePendingOutput()
        var offset = data.startIndex
        repeat {
            // The KeyUpdate goes out under the old key too: update while one record is left, so no key
            // ever protects more than the limit.
            if let sequence = records.writeProtection?.sequenceNumber, sequence + 1 >= keyUpdateRecordLimit {
                try sendKeyUpdate(request: .updateNotRequested)
                out += pendingOutput
                pendingOutput = []
                automaticKeyUpdates += 1
            }
            let end = min(offset + records.maxOutboundPlaintext, data.endIndex)
            try records.write(.applicationData, payload: data[offset..<end], into: &out)
            offset = end
        } while offset < data.endIndex
        flushRecordEvents()
        return out
    }

    /// How many KeyUpdates this side sent because a key reached its record limit.
    private(set) var automaticKeyUpdates = 0

    /// Sends a KeyUpdate and switches to new sending keys; with `requestPeerUpdate` the server is asked to
    /// update its keys too (RFC 8446 §4.6.3). Returns the bytes to send.
    func updateKeys(requestPeerUpdate: Bool) throws(TLSError) -> [UInt8] {
        guard state == .connected, !closeNotifySent else { throw TLSError.closed }
        try sendKeyUpdate(request: requestPeerUpdate ? .updateRequested : .updateNotRequested)
        keyUpdateReplyOwed = false  // one update of ours answers a pending request as well
        return try takePendingOutput()
    }

    /// The close_notify record (after any pending output). Writing is over afterwards; reading may continue.
    func closeNotify() throws(TLSError) -> [UInt8] {
        guard !closeNotifySent, state != .failed, state != .start else { return [] }
        var out = state == .connected ? try takePendingOutput() : []
        closeNotifySent = true
        trace(.closeNotify(.sent))
        try records.write(.alert, payload: Alert(.closeNotify).encoded[...], into: &out)
        flushRecordEvents()
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
        sendCompatibilityCCSIfDue()
        var out = pendingOutput
        pendingOutput = []
        trace(.alert(direction: .sent, description: alert, fatal: true))
        do {
            try records.write(.alert, payload: Alert(alert).encoded[...], into: &out)
        } catch {
            return nil
        }
        flushRecordEvents()
        return out
    }

    /// Queues the middlebox-compatibility change_cipher_spec (RFC 8446 §D.4) when the ClientHello carried a
    /// non-empty legacy_session_id and none was sent yet: it goes right before the client's first protected
    /// record — the early data, the Finished flight, or an alert under the handshake keys. An alert sent in
    /// the clear (before the ServerHello) needs none.
    private func sendCompatibilityCCSIfDue() {
        guard clientHello?.legacySessionID.isEmpty == false, !sentCompatibilityCCS, records.writeProtection != nil
        else { return }
        pendingOutput += RecordLayer.changeCipherSpecRecord
        records.noteRawRecords(RecordLayer.changeCipherSpecRecord[...])
        sentCompatibilityCCS = true
    }

    /// RFC 8446 §7.5 exporter.
    func exportKeyingMaterial(label: String, context: [UInt8], length: Int) throws(TLSError) -> [UInt8] {
        guard state == .connected, let schedule, let exporterMasterSecret else {
            throw TLSError.invalidConfiguration("keying material can be exported only after the handshake")
        }
        guard length >= 0, length <= 255 * schedule.hash.length else {
            throw TLSError.invalidConfiguration(
                "exporter length \(length) out of range (0 ... \(255 * schedule.hash.length) with this suite's hash)")
        }
        guard label.utf8.count <= HKDF.maxLabelLength else {
            throw TLSError.invalidConfiguration(
                "exporter label must be at most \(HKDF.maxLabelLength) bytes (RFC 8446 §7.1), not \(label.utf8.count)")
        }
        return try schedule.exportKeyingMaterial(
            exporterSecret: exporterMasterSecret, label: label, context: context, length: length)
    }

    // MARK: - ClientHello

    /// The first ClientHello: the randoms, key shares and PSK chosen here, laid out by the injected builder.
    private func buildClientHello() throws(TLSError) -> ClientHello {
        let random = try deps.random.bytes(32)
        let sessionID = try deps.random.bytes(32)  // middlebox compatibility mode (§D.4)
        let grease = configuration.grease ? GREASE(random: try deps.random.bytes(6)) : nil
        self.grease = grease
        // One X25519 key pair serves both X25519MLKEM768 and x25519 when both are offered (HybridKeyShare).
        let groups = configuration.effectiveKeyShareGroups
        let made = try timed("key generation", groups.map(\.displayName).joined(separator: ", ")) { () throws(TLSError) in
            try makeKeyShares(for: groups, using: deps.makeKeyShare)
        }
        for share in made { keyShares[share.group] = share }
        if configuration.requestOCSPStapling { info.ocspStatus = .none }
        var psk: OfferedPSKs? = nil
        if let session = offeredSession, let params = CipherSuiteParameters(session.cipherSuite) {
            // The binder is filled in by bindPSK once the hello is final.
            psk = OfferedPSKs(
                identities: [OfferedPSKs.Identity(
                    identity: session.ticket, obfuscatedTicketAge: session.obfuscatedAge(atMilliseconds: deps.nowMilliseconds))],
                binders: [[UInt8](repeating: 0, count: params.hash.length)])
        }
        return try deps.clientHelloBuilder.firstClientHello(ClientHelloContent(
            configuration: configuration, identity: identity, random: random, legacySessionID: sessionID, grease: grease,
            keyShares: made.map { KeyShareEntry(group: $0.group, keyExchange: $0.publicKey) }, psk: psk,
            offersEarlyData: psk != nil && earlyDataToSend != nil))
    }

    /// Records what a ClientHello offers and its bytes (the first hello's for the transcript).
    private func adopt(clientHello hello: ClientHello) throws(TLSError) {
        let bytes = try HandshakeMessage.clientHello(hello).encoded
        clientHello = hello
        clientHelloBytes = bytes
        // A GREASE extension was never offered: one echoed back is unsolicited (RFC 8701 §3.2).
        offeredExtensions = Set(hello.extensions.map(\.extensionType).filter { !GREASE.isGREASE($0.rawValue) })
        for entry in hello.keyShares
        where !GREASE.isGREASE(entry.group.rawValue) && keyShares[entry.group]?.publicKey != entry.keyExchange {
            throw TLSError.internalError("ClientHello key share for \(entry.group) has no private key")
        }
    }

    /// Fills in the PSK binder of `hello` (if it offers a PSK): HMAC over the transcript so far (`prefix`:
    /// empty for the first ClientHello; message_hash ‖ HelloRetryRequest for the second) and the hello
    /// truncated before the binders (§4.2.11.2).
    private func bindPSK(_ hello: ClientHello, transcriptPrefix: [UInt8]) throws(TLSError) -> ClientHello {
        guard let offer = hello.offeredPSKs, let session = offeredSession,
            let params = CipherSuiteParameters(session.cipherSuite)
        else { return hello }
        let schedule = try KeySchedule(hash: params.hash)
        let binderKey = try schedule.earlySecret(psk: session.psk).binderKey(resumption: true)
        let t = try TranscriptHash(params.hash)
        t.update(transcriptPrefix)
        t.update(try hello.truncatedForBinders())
        let binder = try schedule.verifyData(secret: binderKey, transcriptHash: try t.current())
        return hello.settingBinders(offer.binders.map { _ in binder })
    }

    /// Sends `data` as 0-RTT application data under client_early_traffic_secret, after a change_cipher_spec
    /// (middlebox compatibility: with early data it follows the first ClientHello at once, §D.4).
    private func sendEarlyData(_ data: [UInt8], session: TLSSession, into out: inout [UInt8]) throws(TLSError) {
        guard let params = CipherSuiteParameters(session.cipherSuite) else { return }
        let schedule = try KeySchedule(hash: params.hash)
        let chHash = try params.hash.hash(clientHelloBytes)
        let secret = try schedule.earlySecret(psk: session.psk).clientEarlyTrafficSecret(transcriptHash: chHash)
        logSecret("CLIENT_EARLY_TRAFFIC_SECRET", secret)
        if clientHello?.legacySessionID.isEmpty == false {
            out += RecordLayer.changeCipherSpecRecord
            records.noteRawRecords(RecordLayer.changeCipherSpecRecord[...])
            sentCompatibilityCCS = true
        }
        records.writeProtection = try RecordProtection(
            keys: schedule.trafficKeys(secret: secret, aead: params.aead), algorithm: params.aead, sealing: true)
        records.writeProtection?.epoch = .early
        // Nothing to send (an empty request, or a ticket limit of 0 bytes... not offered then): the early_data
        // extension alone, which the server answers as usual.
        if !data.isEmpty { try records.write(.applicationData, payload: data[...], into: &out) }
        earlyDataSent = data
        awaitingEarlyDataAnswer = true
    }

    private var offeredGroups: [NamedGroup] {
        for case .supportedGroups(let groups) in clientHello?.extensions ?? [] { return groups }
        return []
    }

    private var offeredSignatureAlgorithms: [SignatureScheme] {
        for case .signatureAlgorithms(let schemes) in clientHello?.extensions ?? [] { return schemes }
        return []
    }

    private var offeredProtocols: [[UInt8]] {
        for case .applicationLayerProtocolNegotiation(let names) in clientHello?.extensions ?? [] { return names }
        return []
    }

    private var sentServerName: Bool { offeredExtensions.contains(.serverName) }

    // MARK: - Dispatch

    private func handle(_ item: HandshakeReassembler.Item, events: inout [ClientEvent]) throws(TLSError) {
        traceMessage(item.message, .received, length: item.bytes.count)
        try checkExtensionCount(item.message)
        switch (state, item.message) {
        case (.waitServerHello, .serverHello(let sh)):
            try handleServerHello(sh, bytes: item.bytes)
        case (.waitServerHello, .helloRetryRequest(let hrr)):
            try handleHelloRetryRequest(hrr, bytes: item.bytes)
        case (.waitEncryptedExtensions, .encryptedExtensions(let ee)):
            try handleEncryptedExtensions(ee, bytes: item.bytes)
        case (.waitCertificateOrRequest, .certificateRequest(let cr)):
            try handleCertificateRequest(cr, bytes: item.bytes)
        case (.waitCertificateOrRequest, .certificate(let cert)), (.waitCertificate, .certificate(let cert)):
            try handleCertificate(cert, bytes: item.bytes)
        case (.waitCertificateVerify, .certificateVerify(let cv)):
            try handleCertificateVerify(cv, bytes: item.bytes)
        case (.waitFinished, .finished(let fin)):
            try handleFinished(fin, bytes: item.bytes)
            events.append(.handshakeComplete)
        case (.connected, .newSessionTicket(var ticket)):
            for ext in ticket.extensions {
                try ExtensionRules.check(ext.extensionType, in: .newSessionTicket, offered: offeredExtensions)
            }
            // §4.6.1: servers MUST NOT use a lifetime over 7 days; clients cap it.
            ticket.ticketLifetime = min(ticket.ticketLifetime, TLSSession.maxLifetime)
            trace(.sessionTicket(lifetime: ticket.ticketLifetime, maxEarlyData: ticket.maxEarlyDataSize ?? 0,
                                 ticketLength: ticket.ticket.count))
            events.append(.newSessionTicket(ticket, try makeSession(from: ticket)))
        case (.connected, .certificateRequest(let cr)):
            try handlePostHandshakeCertificateRequest(cr, bytes: item.bytes)
            events.append(.postHandshakeAuthentication)
        case (.connected, .keyUpdate(let update)):
            try reassembler.requireMessageBoundary("KeyUpdate")
            consecutiveKeyUpdates += 1
            guard consecutiveKeyUpdates <= Self.maxConsecutiveKeyUpdates else {
                throw TLSError.unexpected(
                    "more than \(Self.maxConsecutiveKeyUpdates) consecutive KeyUpdates without application data")
            }
            try handlePeerKeyUpdate(update)
            events.append(.peerKeyUpdate(replyQueued: update.requestUpdate == .updateRequested))
        default:
            throw TLSError.unexpected("\(item.message.name) received in state \(state)")
        }
    }

    /// The configured bound on extensions in one server message (a CertificateEntry counts on its own).
    private func checkExtensionCount(_ message: HandshakeMessage) throws(TLSError) {
        let counts: [Int]
        switch message {
        case .serverHello(let m): counts = [m.extensions.count]
        case .helloRetryRequest(let m): counts = [m.extensions.count]
        case .encryptedExtensions(let m): counts = [m.extensions.count]
        case .certificateRequest(let m): counts = [m.extensions.count]
        case .newSessionTicket(let m): counts = [m.extensions.count]
        case .certificate(let m): counts = m.entries.map(\.extensions.count)
        default: counts = []
        }
        let limit = configuration.maxExtensionsPerMessage
        if let count = counts.first(where: { $0 > limit }) {
            throw TLSError.illegalParameter("\(message.name) has \(count) extensions; the limit is \(limit)")
        }
    }

    private func handleAlert(_ payload: [UInt8], events: inout [ClientEvent]) throws(TLSError) {
        let alert = try Alert(bytes: payload)
        if alert.description == .closeNotify {
            trace(.closeNotify(.received))
        } else {
            trace(.alert(direction: .received, description: alert.description, fatal: alert.description != .userCanceled))
        }
        switch alert.description {
        case .closeNotify:
            guard state == .connected else {
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

    // MARK: - ServerHello and HelloRetryRequest

    private func checkCommonHello(
        legacyVersion: ProtocolVersion, selectedVersion: ProtocolVersion?, sessionIDEcho: [UInt8],
        cipherSuite: CipherSuite, what: String
    ) throws(TLSError) {
        guard let hello = clientHello else { throw TLSError.internalError("no ClientHello") }
        guard let selectedVersion else {
            throw TLSError.protocolViolation(
                alert: .protocolVersion, reason: "server negotiated \(legacyVersion); only TLS 1.3 is supported")
        }
        // RFC 8701 §3.2: a GREASE value selected by the server is an error.
        guard !GREASE.isGREASE(selectedVersion.rawValue) else {
            throw TLSError.illegalParameter("\(what) selected the GREASE version \(selectedVersion)")
        }
        guard !GREASE.isGREASE(cipherSuite.rawValue) else {
            throw TLSError.illegalParameter("\(what) selected the GREASE cipher suite \(cipherSuite)")
        }
        guard selectedVersion == .tls13 else {
            throw TLSError.illegalParameter("\(what) selected version \(selectedVersion), which was not offered")
        }
        guard legacyVersion == .tls12 else {
            throw TLSError.illegalParameter("\(what) legacy_version is \(legacyVersion), not TLSv1.2")
        }
        guard sessionIDEcho == hello.legacySessionID else {
            throw TLSError.illegalParameter("\(what) legacy_session_id_echo does not match the ClientHello's")
        }
        guard hello.cipherSuites.contains(cipherSuite) else {
            throw TLSError.illegalParameter("\(what) selected cipher suite \(cipherSuite), which was not offered")
        }
    }

    private func handleServerHello(_ sh: ServerHello, bytes: [UInt8]) throws(TLSError) {
        if sh.selectedVersion == nil, sh.hasDowngradeSentinel {
            // §4.1.3: a TLS 1.2-or-older ServerHello carrying the sentinel is a downgrade attack.
            throw TLSError.illegalParameter("ServerHello random carries a downgrade sentinel")
        }
        try checkCommonHello(
            legacyVersion: sh.legacyVersion, selectedVersion: sh.selectedVersion,
            sessionIDEcho: sh.legacySessionIDEcho, cipherSuite: sh.cipherSuite, what: "ServerHello")
        for ext in sh.extensions {
            try ExtensionRules.check(ext.extensionType, in: .serverHello, offered: offeredExtensions)
        }
        if let hrr = helloRetry {
            guard sh.cipherSuite == hrr.cipherSuite else {
                throw TLSError.illegalParameter("ServerHello cipher suite \(sh.cipherSuite) differs from the HelloRetryRequest's \(hrr.cipherSuite)")
            }
            guard sh.selectedVersion == hrr.selectedVersion else {
                throw TLSError.illegalParameter("ServerHello selected_version differs from the HelloRetryRequest's")
            }
        }
        guard let share = sh.keyShare else {
            throw TLSError.protocolViolation(alert: .missingExtension, reason: "ServerHello has no key_share")
        }
        guard !GREASE.isGREASE(share.group.rawValue) else {
            throw TLSError.illegalParameter("ServerHello key share for the GREASE group \(share.group)")
        }
        guard offeredGroups.contains(share.group) else {
            throw TLSError.illegalParameter("ServerHello key share for \(share.group), which was not offered")
        }
        if let requested = helloRetry?.selectedGroup, requested != share.group {
            throw TLSError.illegalParameter("ServerHello key share for \(share.group), but the HelloRetryRequest asked for \(requested)")
        }
        guard let ours = keyShares[share.group] else {
            throw TLSError.illegalParameter("ServerHello key share for \(share.group), for which no share was sent")
        }
        guard let params = CipherSuiteParameters(sh.cipherSuite) else {
            throw TLSError.internalError("offered a suite without parameters")
        }
        var psk: SecretBytes? = nil
        if let selected = sh.selectedPSKIdentity {
            guard let session = offeredSession, let offer = clientHello?.offeredPSKs else {
                throw TLSError.protocolViolation(alert: .unsupportedExtension, reason: "server selected a PSK, but none was offered")
            }
            guard Int(selected) < offer.identities.count else {
                throw TLSError.illegalParameter("server selected PSK identity \(selected) of \(offer.identities.count)")
            }
            guard CipherSuiteParameters(session.cipherSuite)?.hash == params.hash else {
                throw TLSError.illegalParameter("server selected a PSK with a suite of another hash (\(sh.cipherSuite))")
            }
            psk = session.psk
            pskAccepted = true
            info.resumed = true
            // The authentication of a resumed connection is the session's, checked again before it was offered:
            // report its chain, that check's outcome and its stapled data.
            info.peerCertificates = session.peerCertificates
            info.certificateVerified = sessionCheck.map { $0.verification != .notVerified } ?? false
            info.ocspResponse = configuration.requestOCSPStapling ? session.ocspResponse : nil
            if let sessionCheck, configuration.requestOCSPStapling { info.ocspStatus = sessionCheck.ocspStatus }
            info.signedCertificateTimestamps =
                configuration.requestSignedCertificateTimestamps ? session.signedCertificateTimestamps : nil
        }
        let shared = try timed("key exchange", share.group.displayName) { () throws(TLSError) in
            try ours.sharedSecret(peerPublicKey: share.keyExchange)
        }
        keyShares = [:]  // drop the private keys

        try reassembler.requireMessageBoundary("ServerHello")
        if helloRetry == nil {
            suite = params
            schedule = try KeySchedule(hash: params.hash)
            let t = try TranscriptHash(params.hash)
            t.update(clientHelloBytes)
            transcript = t
        }
        guard let schedule, let transcript else { throw TLSError.internalError("no transcript") }
        transcript.update(bytes)
        let thSH = try transcript.current()
        let hs = try schedule.earlySecret(psk: psk).handshakeSecret(sharedSecret: shared)
        let chts = try hs.clientTrafficSecret(transcriptHash: thSH)
        let shts = try hs.serverTrafficSecret(transcriptHash: thSH)
        logSecret("CLIENT_HANDSHAKE_TRAFFIC_SECRET", chts)
        logSecret("SERVER_HANDSHAKE_TRAFFIC_SECRET", shts)
        records.readProtection = try RecordProtection(
            keys: schedule.trafficKeys(secret: shts, aead: params.aead), algorithm: params.aead, sealing: false)
        records.readProtection?.epoch = .handshake
        let clientKeys = try schedule.trafficKeys(secret: chts, aead: params.aead)
        if awaitingEarlyDataAnswer, !pskAccepted {
            // Without the PSK the server cannot read 0-RTT data: it is rejected.
            awaitingEarlyDataAnswer = false
            earlyDataStatus = .rejected
            info.earlyDataReason = .sessionNotResumed
            trace(.earlyData(.rejected, reason: .sessionNotResumed))
        }
        if awaitingEarlyDataAnswer {
            // Keep sending under the early keys until EncryptedExtensions says whether 0-RTT was taken.
            clientHandshakeKeys = clientKeys
        } else {
            records.writeProtection = try RecordProtection(keys: clientKeys, algorithm: params.aead, sealing: true)
        }
        handshakeSecret = hs
        clientHandshakeTrafficSecret = chts
        serverHandshakeTrafficSecret = shts
        info.cipherSuite = sh.cipherSuite
        info.group = share.group
        state = .waitEncryptedExtensions
    }

    private func handleHelloRetryRequest(_ hrr: HelloRetryRequest, bytes: [UInt8]) throws(TLSError) {
        guard helloRetry == nil else { throw TLSError.unexpected("second HelloRetryRequest") }
        try checkCommonHello(
            legacyVersion: hrr.legacyVersion, selectedVersion: hrr.selectedVersion,
            sessionIDEcho: hrr.legacySessionIDEcho, cipherSuite: hrr.cipherSuite, what: "HelloRetryRequest")
        for ext in hrr.extensions {
            try ExtensionRules.check(ext.extensionType, in: .helloRetryRequest, offered: offeredExtensions)
        }
        if let group = hrr.selectedGroup {
            guard !GREASE.isGREASE(group.rawValue) else {
                throw TLSError.illegalParameter("HelloRetryRequest asks for the GREASE group \(group)")
            }
            guard offeredGroups.contains(group) else {
                throw TLSError.illegalParameter("HelloRetryRequest asks for \(group), which was not offered")
            }
            guard keyShares[group] == nil else {
                throw TLSError.illegalParameter("HelloRetryRequest asks for \(group), for which a share was already sent")
            }
        }
        guard hrr.selectedGroup != nil || hrr.cookie != nil else {
            throw TLSError.illegalParameter("HelloRetryRequest would not change the ClientHello")
        }
        guard let params = CipherSuiteParameters(hrr.cipherSuite), var hello = clientHello else {
            throw TLSError.internalError("no ClientHello")
        }
        try reassembler.requireMessageBoundary("HelloRetryRequest")
        helloRetry = hrr
        info.usedHelloRetryRequest = true

        // Transcript: message_hash(ClientHello1) ‖ HelloRetryRequest ‖ ClientHello2 (§4.4.1).
        suite = params
        schedule = try KeySchedule(hash: params.hash)
        let t = try TranscriptHash(params.hash)
        t.update(HandshakeMessage.messageHash(try params.hash.hash(clientHelloBytes)))
        t.update(bytes)
        transcript = t

        // The second ClientHello: the requested share, the cookie, no early_data (§4.1.2).
        var newShare: KeyShareEntry? = nil
        if let group = hrr.selectedGroup {
            let share = try deps.makeKeyShare(group)
            keyShares = [group: share]
            newShare = KeyShareEntry(group: group, keyExchange: share.publicKey)
        }
        if awaitingEarlyDataAnswer {
            // A HelloRetryRequest rejects 0-RTT; the second ClientHello goes in the clear.
            awaitingEarlyDataAnswer = false
            earlyDataStatus = .rejected
            info.earlyDataReason = .helloRetryRequest
            trace(.earlyData(.rejected, reason: .helloRetryRequest))
            records.writeProtection = nil
        }
        var keepsPSK = true
        if let session = offeredSession, CipherSuiteParameters(session.cipherSuite)?.hash != params.hash {
            // The PSK cannot be used with the suite the server chose (§4.1.4): stop offering it.
            keepsPSK = false
            offeredSession = nil
        }
        hello = try deps.clientHelloBuilder.secondClientHello(HelloRetryContent(
            configuration: configuration, firstHello: hello, retry: hrr, keyShare: newShare, keepsPSK: keepsPSK,
            grease: grease))
        var prefix = HandshakeMessage.messageHash(try params.hash.hash(clientHelloBytes))
        prefix += bytes
        hello = try bindPSK(hello, transcriptPrefix: prefix)
        try adopt(clientHello: hello)
        t.update(clientHelloBytes)

        if !hello.legacySessionID.isEmpty, !sentCompatibilityCCS {
            pendingOutput += RecordLayer.changeCipherSpecRecord
            records.noteRawRecords(RecordLayer.changeCipherSpecRecord[...])
            sentCompatibilityCCS = true
        }
        traceMessage(.clientHello(hello), .sent, length: clientHelloBytes.count)
        try records.write(.handshake, payload: clientHelloBytes[...], into: &pendingOutput)
        state = .waitServerHello
    }

    // MARK: - Server's encrypted flight

    private func handleEncryptedExtensions(_ ee: EncryptedExtensions, bytes: [UInt8]) throws(TLSError) {
        for ext in ee.extensions {
            try ExtensionRules.check(ext.extensionType, in: .encryptedExtensions, offered: offeredExtensions)
            switch ext {
            case .applicationLayerProtocolNegotiation(let name):
                guard offeredProtocols.contains(name) else {
                    throw TLSError.illegalParameter("server selected ALPN protocol \"\(String(decoding: name, as: UTF8.self))\", which was not offered")
                }
                info.applicationProtocol = String(decoding: name, as: UTF8.self)
            case .serverName:
                guard sentServerName else {
                    throw TLSError.protocolViolation(alert: .unsupportedExtension, reason: "server_name in EncryptedExtensions without SNI")
                }
            case .recordSizeLimit(let limit):
                try applyRecordSizeLimit(serverLimit: Int(limit))
            default:
                break
            }
        }
        if ee.earlyDataAccepted {
            // §4.2.10: only for the first PSK, with the ticket's suite and ALPN.
            guard awaitingEarlyDataAnswer, pskAccepted, let session = offeredSession else {
                throw TLSError.protocolViolation(alert: .unsupportedExtension, reason: "server accepted early data that was not sent")
            }
            guard info.cipherSuite == session.cipherSuite else {
                throw TLSError.illegalParameter("server accepted early data with suite \(info.cipherSuite), not the ticket's \(session.cipherSuite)")
            }
            guard info.applicationProtocol == session.applicationProtocol else {
                throw TLSError.illegalParameter("server accepted early data with another ALPN protocol than the ticket's")
            }
            earlyDataStatus = .accepted
            info.earlyDataReason = .accepted
            trace(.earlyData(.accepted, reason: .accepted))
        } else if awaitingEarlyDataAnswer {
            awaitingEarlyDataAnswer = false
            earlyDataStatus = .rejected
            info.earlyDataReason = .declinedByServer
            trace(.earlyData(.rejected, reason: .declinedByServer))
            if let keys = clientHandshakeKeys, let suite {
                records.writeProtection = try RecordProtection(keys: keys, algorithm: suite.aead, sealing: true)
            }
        }
        transcript?.update(bytes)
        // A PSK handshake has no server Certificate or CertificateVerify.
        state = pskAccepted ? .waitFinished : .waitCertificateOrRequest
    }

    /// RFC 8449 §4: the server's record_size_limit (64 or more) caps the TLSInnerPlaintext of our records — content
    /// plus the content type byte (and padding) in TLS 1.3 — and, both sides having sent the extension, ours
    /// now binds the server's records. A value above the protocol's 2^14 + 1 allows no more than that.
    private func applyRecordSizeLimit(serverLimit: Int) throws(TLSError) {
        guard serverLimit >= 64 else {
            throw TLSError.illegalParameter("record_size_limit \(serverLimit) is below the minimum of 64")
        }
        info.peerRecordSizeLimit = serverLimit
        records.applyPeerRecordSizeLimit(serverLimit)
        if let ours = configuration.recordSizeLimit {
            records.maxInboundInnerPlaintext = ours
        }
    }

    private func handleCertificateRequest(_ cr: CertificateRequest, bytes: [UInt8]) throws(TLSError) {
        for ext in cr.extensions {
            try ExtensionRules.check(ext.extensionType, in: .certificateRequest, offered: offeredExtensions)
        }
        guard cr.certificateRequestContext.isEmpty else {
            throw TLSError.illegalParameter("CertificateRequest in the handshake has a non-empty context")
        }
        certificateRequest = cr
        info.clientCertificateRequested = true
        recordCertificateRequest(cr)
        transcript?.update(bytes)
        state = .waitCertificate
    }

    private func handleCertificate(_ message: CertificateMessage, bytes: [UInt8]) throws(TLSError) {
        guard message.certificateRequestContext.isEmpty else {
            throw TLSError.illegalParameter("server Certificate has a non-empty certificate_request_context")
        }
        guard !message.entries.isEmpty else {
            throw TLSError.decode(reason: "server sent an empty Certificate message")
        }
        guard message.entries.count <= configuration.maxCertificateChainLength else {
            throw TLSError.certificateRejected(
                alert: .badCertificate,
                reason: "chain of \(message.entries.count) certificates exceeds the limit of \(configuration.maxCertificateChainLength)")
        }
        for entry in message.entries {
            for ext in entry.extensions {
                try ExtensionRules.check(ext.extensionType, in: .certificate, offered: offeredExtensions)
            }
        }
        let chain = message.certificates
        // Only the leaf's status and SCTs count; an intermediate's are ignored (§4.4.2.1).
        let leafExtensions = message.entries.first?.extensions ?? []
        var stapled: [UInt8]? = nil
        if let staple = leafExtensions.first(where: { $0.extensionType == .statusRequest }) {
            stapled = try CertificateStatus(body: staple.body).ocspResponse
            info.ocspResponse = stapled
        }
        if let sct = leafExtensions.first(where: { $0.extensionType == .signedCertificateTimestamp }) {
            info.signedCertificateTimestamps = try SignedCertificateTimestampList(body: sct.body).bytes
        }
        let check = ServerCertificateCheck(
            configuration: configuration, verifier: deps.certificateVerifier, identity: identity, now: deps.now,
            isSessionReverification: false, certificates: deps.certificateCache)
        let outcome = try timed("certificate checks", "chain of \(chain.count)\(stapled == nil ? "" : ", stapled OCSP response")") {
            () throws(TLSError) in try check.evaluate(chain: chain, ocspResponse: stapled)
        }
        certificateCheck = outcome
        info.certificateVerified = outcome.verification != .notVerified
        info.ocspStatus = outcome.ocspStatus
        info.peerCertificates = chain
        transcript?.update(bytes)
        state = .waitCertificateVerify
    }

    private func handleCertificateVerify(_ cv: CertificateVerify, bytes: [UInt8]) throws(TLSError) {
        guard offeredSignatureAlgorithms.contains(cv.algorithm) else {
            throw TLSError.illegalParameter("CertificateVerify uses \(cv.algorithm), which was not offered")
        }
        guard let transcript, let leaf = info.peerCertificates.first else { throw TLSError.internalError("no transcript") }
        let content = CertificateVerify.signedContent(signer: .server, transcriptHash: try transcript.current())
        let valid = try timed("signature verification", "\(cv.algorithm)") { () throws(TLSError) in
            try deps.signatureVerifier.verify(scheme: cv.algorithm, certificate: leaf, message: content, signature: cv.signature)
        }
        guard valid else {
            throw TLSError.protocolViolation(alert: .decryptError, reason: "server CertificateVerify signature is invalid")
        }
        transcript.update(bytes)
        info.signatureScheme = cv.algorithm
        state = .waitFinished
    }

    private func handleFinished(_ fin: Finished, bytes: [UInt8]) throws(TLSError) {
        guard let schedule, let transcript, let suite, let hs = handshakeSecret,
            let shts = serverHandshakeTrafficSecret, let chts = clientHandshakeTrafficSecret
        else { throw TLSError.internalError("handshake secrets missing") }
        guard fin.verifyData.count == schedule.hash.length else {
            throw TLSError.decode(reason: "Finished verify_data is \(fin.verifyData.count) bytes, not \(schedule.hash.length)")
        }
        let expected = try schedule.verifyData(secret: shts, transcriptHash: try transcript.current())
        guard constantTimeEqual(expected, fin.verifyData) else {
            throw TLSError.protocolViolation(alert: .decryptError, reason: "server Finished does not verify")
        }
        try reassembler.requireMessageBoundary("Finished")
        transcript.update(bytes)
        records.allowsChangeCipherSpec = false

        let master = try hs.masterSecret()
        let thSF = try transcript.current()
        let cats = try master.clientTrafficSecret(transcriptHash: thSF)
        let sats = try master.serverTrafficSecret(transcriptHash: thSF)
        exporterMasterSecret = try master.exporterMasterSecret(transcriptHash: thSF)
        logSecret("CLIENT_TRAFFIC_SECRET_0", cats)
        logSecret("SERVER_TRAFFIC_SECRET_0", sats)
        if let exporterMasterSecret { logSecret("EXPORTER_SECRET", exporterMasterSecret) }
        records.readProtection = try RecordProtection(
            keys: schedule.trafficKeys(secret: sats, aead: suite.aead), algorithm: suite.aead, sealing: false)
        records.readProtection?.epoch = .application

        // 0-RTT accepted: EndOfEarlyData under the early keys ends it (§4.5), then the handshake keys.
        if awaitingEarlyDataAnswer, earlyDataStatus == .accepted, let keys = clientHandshakeKeys {
            let eoed = try HandshakeMessage.endOfEarlyData.encoded
            traceMessage(.endOfEarlyData, .sent, length: eoed.count)
            try records.write(.handshake, payload: eoed[...], into: &pendingOutput)
            transcript.update(eoed)
            records.writeProtection = try RecordProtection(keys: keys, algorithm: suite.aead, sealing: true)
            awaitingEarlyDataAnswer = false
        }
        clientHandshakeKeys = nil

        // Our flight: [change_cipher_spec] [Certificate] Finished, under the handshake keys.
        sendCompatibilityCCSIfDue()
        var flight = ByteWriter(reservingCapacity: 64)
        if let request = certificateRequest {
            flight.writeBytes(try clientAuthentication(answering: request, transcript: transcript))
        }
        let verifyData = try schedule.verifyData(secret: chts, transcriptHash: try transcript.current())
        let finished = try HandshakeMessage.finished(Finished(verifyData: verifyData)).encoded
        transcript.update(finished)
        flight.writeBytes(finished)
        traceMessage(.finished(Finished(verifyData: verifyData)), .sent, length: finished.count)
        try records.write(.handshake, payload: flight.bytes[...], into: &pendingOutput)

        resumptionMasterSecret = try master.resumptionMasterSecret(transcriptHash: try transcript.current())
        if let resumptionMasterSecret { logSecret("RESUMPTION_MASTER_SECRET", resumptionMasterSecret) }
        if offeredExtensions.contains(.postHandshakeAuth) {
            postHandshakeTranscript = transcript
        }
        records.writeProtection = try RecordProtection(
            keys: schedule.trafficKeys(secret: cats, aead: suite.aead), algorithm: suite.aead, sealing: true)
        records.writeProtection?.epoch = .application
        clientTrafficSecret = cats
        serverTrafficSecret = sats
        state = .connected

        // The handshake context is no longer needed; release its secrets now.
        handshakeSecret = nil
        clientHandshakeTrafficSecret = nil
        serverHandshakeTrafficSecret = nil
        self.transcript = nil
        clientHelloBytes = []
    }

    /// The session a ticket stands for: PSK = HKDF-Expand-Label(resumption_master_secret, "resumption",
    /// ticket_nonce, Hash.length) (§4.6.1).
    private func makeSession(from ticket: NewSessionTicket) throws(TLSError) -> TLSSession {
        guard let schedule, let rms = resumptionMasterSecret else { throw TLSError.internalError("no resumption secret") }
        let psk = try schedule.resumptionPSK(resumptionMasterSecret: rms, ticketNonce: ticket.ticketNonce)
        // A resumed connection has no certificate of its own: it passes on the session's chain, as checked again
        // before it was offered.
        let check = info.resumed ? sessionCheck : certificateCheck
        return TLSSession(
            ticket: ticket.ticket, cipherSuite: info.cipherSuite, lifetime: ticket.ticketLifetime,
            ageAdd: ticket.ticketAgeAdd, receivedAtMilliseconds: deps.nowMilliseconds,
            maxEarlyDataSize: ticket.maxEarlyDataSize ?? 0, applicationProtocol: info.applicationProtocol,
            serverName: serverNameForSessions, certificateVerification: check?.verification ?? .notVerified,
            peerCertificates: info.peerCertificates,
            // A resumed connection passes on the staple only when it asked for one itself (see info.ocspResponse).
            ocspStaplingRequested: configuration.requestOCSPStapling
                && (!info.resumed || offeredSession?.ocspStaplingRequested == true),
            psk: psk,
            ocspResponse: info.ocspResponse, signedCertificateTimestamps: info.signedCertificateTimestamps)
    }

    // MARK: - Client authentication

    /// Certificate and CertificateVerify answering `request` (or an empty Certificate when no suitable
    /// certificate is configured), appended to `transcript`; returns their bytes.
    private func clientAuthentication(answering request: CertificateRequest, transcript: TranscriptHash) throws(TLSError) -> [UInt8] {
        var out: [UInt8] = []
        let credential = configuration.clientCertificate
        let scheme = credential?.scheme(acceptedBy: request.signatureAlgorithms)
        let entries = scheme == nil ? [] : (credential?.chain ?? []).map { CertificateMessage.Entry(certData: $0) }
        let certificate = try HandshakeMessage.certificate(
            CertificateMessage(certificateRequestContext: request.certificateRequestContext, entries: entries))
            .encoded
        transcript.update(certificate)
        traceMessage(.certificate(CertificateMessage(certificateRequestContext: request.certificateRequestContext, entries: entries)),
                     .sent, length: certificate.count)
        out += certificate
        if let scheme, let credential {
            let content = CertificateVerify.signedContent(signer: .client, transcriptHash: try transcript.current())
            let signature = try timed("signing", "\(scheme)") { () throws(TLSError) in
                try credential.signer.sign(scheme: scheme, content: content)
            }
            let verify = try HandshakeMessage.certificateVerify(CertificateVerify(algorithm: scheme, signature: signature)).encoded
            traceMessage(.certificateVerify(CertificateVerify(algorithm: scheme, signature: signature)), .sent, length: verify.count)
            transcript.update(verify)
            out += verify
            info.clientCertificateSent = true
        }
        return out
    }

    /// One NSS key log line to ``TLSClientConfiguration/keyLog``, if set, and the secret's trace event.
    private func logSecret(_ label: String, _ secret: SecretBytes) {
        if deps.tracer != nil, let names = Self.secretNames[label] {
            trace(.secretDerived(TLSSecretInfo(
                label: names.label, name: names.name, protects: names.protects, epoch: names.epoch,
                value: deps.traceIncludesSecrets ? secret.hexForKeyLog() : nil)))
        }
        // The NSS key log format has no line for the resumption master secret (nobody needs it to decrypt).
        guard label != "RESUMPTION_MASTER_SECRET", let keyLog = configuration.keyLog, let random = clientHello?.random
        else { return }
        let randomHex = SecretBytes(random).hexForKeyLog()  // not a secret; the same formatting
        keyLog("\(label) \(randomHex) \(secret.hexForKeyLog())")
    }

    /// The RFC 8446 label and name of each secret, by its NSS key log label (and two the key log has no line for).
    private static let secretNames: [String: (label: String, name: String, protects: TLSDirection?, epoch: TLSEpoch?)] = [
        "CLIENT_EARLY_TRAFFIC_SECRET": ("c e traffic", "client_early_traffic_secret", .sent, .early),
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET": ("c hs traffic", "client_handshake_traffic_secret", .sent, .handshake),
        "SERVER_HANDSHAKE_TRAFFIC_SECRET": ("s hs traffic", "server_handshake_traffic_secret", .received, .handshake),
        "CLIENT_TRAFFIC_SECRET_0": ("c ap traffic", "client_application_traffic_secret_0", .sent, .application),
        "SERVER_TRAFFIC_SECRET_0": ("s ap traffic", "server_application_traffic_secret_0", .received, .application),
        "EXPORTER_SECRET": ("exp master", "exporter_master_secret", nil, nil),
        "RESUMPTION_MASTER_SECRET": ("res master", "resumption_master_secret", nil, nil),
    ]

    // MARK: - Trace

    /// Hands `event` to the trace, if someone listens (the autoclosure builds nothing otherwise).
    private func trace(_ event: @autoclosure () -> TLSEvent) {
        guard let tracer = deps.tracer else { return }
        tracer(event())
    }

    /// A handshake message sent or received, with its essentials.
    private func traceMessage(_ message: HandshakeMessage, _ direction: TLSDirection, length: Int) {
        guard deps.tracer != nil else { return }
        let protection = direction == .sent ? records.writeProtection : records.readProtection
        trace(.handshakeMessage(TLSHandshakeMessageInfo(
            direction: direction, epoch: protection?.epoch ?? .plaintext, name: message.displayName, length: length,
            fields: TraceDescription.fields(of: message, certificates: deps.certificateCache))))
    }

    /// The records the record layer noted since the last call, as events.
    private func flushRecordEvents() {
        guard deps.tracer != nil else { return }
        for o in records.drainObservations() {
            trace(.record(TLSRecordInfo(
                direction: o.direction, epoch: o.epoch, outerContentType: o.outerType, innerContentType: o.innerType,
                plaintextLength: o.plaintextLength, wireLength: o.wireLength, streamOffset: o.streamOffset,
                keyGeneration: o.generation)))
        }
    }

    /// Runs `body`, and when tracing, reports its duration as a crypto step.
    private func timed<T>(_ step: String, _ algorithm: String, _ body: () throws(TLSError) -> T) throws(TLSError) -> T {
        guard deps.tracer != nil, let clock = deps.monotonicNanoseconds else { return try body() }
        let start = clock()
        let result = try body()
        trace(.cryptoOperation(TLSCryptoOperation(
            step: step, algorithm: algorithm, duration: .nanoseconds(max(0, clock() - start)))))
        return result
    }

    /// What the server's (latest) CertificateRequest asked for, for ``TLSSessionInfo``.
    private func recordCertificateRequest(_ cr: CertificateRequest) {
        info.certificateRequestSignatureAlgorithms = cr.signatureAlgorithms
        info.certificateRequestAuthorities = []
        for case .certificateAuthorities(let names) in cr.extensions { info.certificateRequestAuthorities = names }
    }

    /// Post-handshake authentication (§4.6.2): Certificate, CertificateVerify and Finished over the handshake
    /// transcript plus this CertificateRequest, under the current application keys.
    private func handlePostHandshakeCertificateRequest(_ cr: CertificateRequest, bytes: [UInt8]) throws(TLSError) {
        guard let base = postHandshakeTranscript, let schedule, let secret = clientTrafficSecret else {
            throw TLSError.unexpected("post-handshake CertificateRequest, but post_handshake_auth was not offered")
        }
        guard !cr.certificateRequestContext.isEmpty else {
            throw TLSError.illegalParameter("post-handshake CertificateRequest has an empty context")
        }
        for ext in cr.extensions {
            try ExtensionRules.check(ext.extensionType, in: .certificateRequest, offered: offeredExtensions)
        }
        let transcript = try base.copy()
        transcript.update(bytes)
        info.clientCertificateRequested = true
        recordCertificateRequest(cr)
        var flight = try clientAuthentication(answering: cr, transcript: transcript)
        let verifyData = try schedule.verifyData(secret: secret, transcriptHash: try transcript.current())
        let finished = try HandshakeMessage.finished(Finished(verifyData: verifyData)).encoded
        traceMessage(.finished(Finished(verifyData: verifyData)), .sent, length: finished.count)
        flight += finished
        postHandshakeAuthReplies.append(flight)
    }

    /// Sealed at the next output drain, in order with application data.
    private var postHandshakeAuthReplies: [[UInt8]] = []

    // MARK: - Key updates

    /// Records sent under one key before this side updates it: the configured limit, or the AEAD's
    /// confidentiality limit (RFC 8446 §5.5, RFC 9147 §4.5.3).
    private var keyUpdateRecordLimit: UInt64 {
        configuration.keyUpdateRecordLimit ?? suite?.aead.confidentialityRecordLimit ?? .max
    }

    private func handlePeerKeyUpdate(_ update: KeyUpdate) throws(TLSError) {
        guard let schedule, let suite, let current = serverTrafficSecret else { throw TLSError.internalError("no traffic secret") }
        let next = try schedule.nextTrafficSecret(current)
        let generation = (records.readProtection?.generation ?? 0) + 1
        records.readProtection = try RecordProtection(
            keys: schedule.trafficKeys(secret: next, aead: suite.aead), algorithm: suite.aead, sealing: false)
        records.readProtection?.epoch = .application
        records.readProtection?.generation = generation
        serverTrafficSecret = next
        trace(.keyUpdate(direction: .received, updateRequested: update.requestUpdate == .updateRequested))
        trace(.secretDerived(TLSSecretInfo(
            label: "traffic upd", name: "server_application_traffic_secret_\(generation)", protects: .received,
            epoch: .application, value: deps.traceIncludesSecrets ? next.hexForKeyLog() : nil)))
        if update.requestUpdate == .updateRequested {
            keyUpdateReplyOwed = true
        }
    }

    private func sendKeyUpdate(request: KeyUpdateRequest) throws(TLSError) {
        guard let schedule, let suite, let current = clientTrafficSecret else { throw TLSError.internalError("no traffic secret") }
        let message = try HandshakeMessage.keyUpdate(KeyUpdate(requestUpdate: request)).encoded
        traceMessage(.keyUpdate(KeyUpdate(requestUpdate: request)), .sent, length: message.count)
        try records.write(.handshake, payload: message[...], into: &pendingOutput)
        let next = try schedule.nextTrafficSecret(current)
        let generation = (records.writeProtection?.generation ?? 0) + 1
        records.writeProtection = try RecordProtection(
            keys: schedule.trafficKeys(secret: next, aead: suite.aead), algorithm: suite.aead, sealing: true)
        records.writeProtection?.epoch = .application
        records.writeProtection?.generation = generation
        clientTrafficSecret = next
        trace(.keyUpdate(direction: .sent, updateRequested: request == .updateRequested))
        trace(.secretDerived(TLSSecretInfo(
            label: "traffic upd", name: "client_application_traffic_secret_\(generation)", protects: .sent,
            epoch: .application, value: deps.traceIncludesSecrets ? next.hexForKeyLog() : nil)))
    }
}
