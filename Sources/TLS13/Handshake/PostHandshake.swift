/// The connection after the handshake (RFC 8446 §4.6): application data under the current traffic keys, the server's
/// NewSessionTickets, KeyUpdates both ways, and post-handshake authentication.
///
/// Its own small state: the KeyUpdate reply owed, the run of KeyUpdates without application data, the
/// authentication answers waiting to be sealed, and the part of the early data owed after the handshake. The two
/// ends of the record streams (close_notify sent, received) are the driver's: they outlive a failure.
///
/// A class, so the driver works on it in place for every record sealed or opened.
final class PostHandshake {
    /// The application traffic secrets of the current generation, the exporter and resumption secrets.
    private var keys: TrafficKeySchedule
    /// What the ClientHello offered: NewSessionTicket extensions and post-handshake CertificateRequests are checked
    /// against it.
    private let offeredExtensions: Set<ExtensionType>
    /// The transcript through the client Finished, when post_handshake_auth was offered: each post-handshake
    /// CertificateRequest is answered over a copy of it plus the request (§4.4.1). `nil`: not offered.
    private let authenticationTranscript: TranscriptHash?
    private let tickets: TicketFacts

    /// A KeyUpdate(update_not_requested) owed to the server; sealed at the next output drain. However many
    /// update_requested KeyUpdates arrive before then, one reply answers them all (§4.6.3).
    private(set) var keyUpdateReplyOwed = false
    private var consecutiveKeyUpdates = 0
    /// Post-handshake authentication answers (Certificate, CertificateVerify, Finished), sealed at the next output
    /// drain, in order with application data.
    private var authenticationReplies: [[UInt8]] = []
    /// Early data beyond the ticket's max_early_data_size, owed to the server as application data now that it
    /// accepted the 0-RTT part (empty otherwise); the driver takes it.
    private(set) var earlyDataRemainder: [UInt8]

    /// The most KeyUpdates accepted without application data between them; one more is `unexpected_message`.
    /// Each one costs a key derivation, so a peer must not be able to send them without end. (BoringSSL's limit.)
    static let maxConsecutiveKeyUpdates = 32

    init(
        keys: TrafficKeySchedule, offeredExtensions: Set<ExtensionType>, authenticationTranscript: TranscriptHash?,
        tickets: TicketFacts, earlyDataRemainder: [UInt8]
    ) {
        self.keys = keys
        self.offeredExtensions = offeredExtensions
        self.authenticationTranscript = authenticationTranscript
        self.tickets = tickets
        self.earlyDataRemainder = earlyDataRemainder
    }

    /// The resumption master secret (for tests).
    var resumptionMasterSecret: SecretBytes { keys.resumptionMasterSecret }

    /// Hands over the early data owed after the handshake (once).
    func takeEarlyDataRemainder() -> [UInt8] {
        defer { earlyDataRemainder = [] }
        return earlyDataRemainder
    }

    // MARK: - Messages from the server

    /// A handshake message after the handshake: NewSessionTicket, KeyUpdate or CertificateRequest; anything else is
    /// `unexpected_message`.
    func handle(_ item: HandshakeReassembler.Item, _ cx: inout ClientContext, events: inout [ClientEvent]) throws(TLSError) {
        switch item.message {
        case .newSessionTicket(let ticket):
            events.append(try receiveTicket(ticket, &cx))
        case .certificateRequest(let cr):
            try answerCertificateRequest(cr, bytes: item.bytes, &cx)
            events.append(.postHandshakeAuthentication)
        case .keyUpdate(let update):
            try cx.reassembler.requireMessageBoundary("KeyUpdate")
            consecutiveKeyUpdates += 1
            guard consecutiveKeyUpdates <= Self.maxConsecutiveKeyUpdates else {
                throw TLSError.unexpected(
                    "more than \(Self.maxConsecutiveKeyUpdates) consecutive KeyUpdates without application data")
            }
            try receiveKeyUpdate(update, &cx)
            events.append(.peerKeyUpdate(replyQueued: update.requestUpdate == .updateRequested))
        default:
            throw TLSError.unexpected("\(item.message.name) received in state \(ClientPhase.connected)")
        }
    }

    /// Application data arrived: the run of KeyUpdates is over.
    func applicationDataReceived() { consecutiveKeyUpdates = 0 }

    /// NewSessionTicket (§4.6.1): the session it stands for, lifetime capped at 7 days.
    private func receiveTicket(_ received: NewSessionTicket, _ cx: inout ClientContext) throws(TLSError) -> ClientEvent {
        var ticket = received
        for ext in ticket.extensions {
            try ExtensionRules.check(ext.extensionType, in: .newSessionTicket, offered: offeredExtensions)
        }
        // §4.6.1: servers MUST NOT use a lifetime over 7 days; clients cap it.
        ticket.ticketLifetime = min(ticket.ticketLifetime, TLSSession.maxLifetime)
        cx.trace(.sessionTicket(lifetime: ticket.ticketLifetime, maxEarlyData: ticket.maxEarlyDataSize ?? 0,
                                ticketLength: ticket.ticket.count))
        // PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length).
        let psk = try keys.resumptionPSK(ticketNonce: ticket.ticketNonce)
        let info = cx.info
        // A resumed connection has no certificate of its own: it passes on the session's chain, as checked again
        // before it was offered.
        let session = TLSSession(
            ticket: ticket.ticket, cipherSuite: info.cipherSuite, lifetime: ticket.ticketLifetime,
            ageAdd: ticket.ticketAgeAdd, receivedAtMilliseconds: cx.deps.nowMilliseconds,
            maxEarlyDataSize: ticket.maxEarlyDataSize ?? 0, applicationProtocol: info.applicationProtocol,
            serverName: tickets.serverName, certificateVerification: tickets.certificateVerification,
            peerCertificates: info.peerCertificates, ocspStaplingRequested: tickets.ocspStaplingRequested, psk: psk,
            ocspResponse: info.ocspResponse, signedCertificateTimestamps: info.signedCertificateTimestamps)
        return .newSessionTicket(ticket, session)
    }

    /// Post-handshake authentication (§4.6.2): Certificate, CertificateVerify and Finished over the handshake
    /// transcript plus this CertificateRequest, under the current application keys.
    private func answerCertificateRequest(_ cr: CertificateRequest, bytes: [UInt8], _ cx: inout ClientContext)
        throws(TLSError)
    {
        guard let base = authenticationTranscript else {
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
        cx.recordCertificateRequest(cr)
        var flight = try cx.clientAuthentication(answering: cr, transcript: transcript)
        let verifyData = try keys.schedule.verifyData(
            secret: keys.clientTrafficSecret, transcriptHash: try transcript.current())
        let finished = try HandshakeMessage.finished(Finished(verifyData: verifyData)).encoded
        cx.traceMessage(.finished(Finished(verifyData: verifyData)), .sent, length: finished.count)
        flight += finished
        authenticationReplies.append(flight)
    }

    /// The server's KeyUpdate (§4.6.3): its next traffic secret for reading; a reply owed if it asked for one.
    private func receiveKeyUpdate(_ update: KeyUpdate, _ cx: inout ClientContext) throws(TLSError) {
        let next = try keys.updateServerTrafficSecret()
        let generation = (cx.records.readProtection?.generation ?? 0) + 1
        try cx.installReadKeys(try keys.keys(next), keys.suite, epoch: .application, generation: generation)
        cx.trace(.keyUpdate(direction: .received, updateRequested: update.requestUpdate == .updateRequested))
        cx.traceUpdatedSecret(next, client: false, generation: generation)
        if update.requestUpdate == .updateRequested {
            keyUpdateReplyOwed = true
        }
    }

    // MARK: - What the client sends

    /// Whether ``sealOwedMessages(_:)`` has something to seal (an authentication answer or a KeyUpdate reply).
    var hasOwedMessages: Bool { keyUpdateReplyOwed || !authenticationReplies.isEmpty }

    /// Seals what is owed to the server: post-handshake authentication answers, then a KeyUpdate reply.
    func sealOwedMessages(_ cx: inout ClientContext) throws(TLSError) {
        if !authenticationReplies.isEmpty {
            for reply in authenticationReplies {
                try cx.records.write(.handshake, payload: reply[...], into: &cx.output)
            }
            authenticationReplies = []
        }
        if keyUpdateReplyOwed {
            keyUpdateReplyOwed = false
            try sendKeyUpdate(request: .updateNotRequested, &cx)
        }
    }

    /// Records sent under one key before this side updates it: the configured limit, or the AEAD's
    /// confidentiality limit (RFC 8446 §5.5, RFC 9147 §4.5.3).
    private func keyUpdateRecordLimit(_ cx: ClientContext) -> UInt64 {
        cx.configuration.keyUpdateRecordLimit ?? keys.suite.aead.confidentialityRecordLimit
    }

    /// Seals application data into `out` (fragmented to records the server takes). Before the sending key reaches its
    /// record limit, a KeyUpdate switches to the next key; returns how many it sent.
    func seal(_ data: ArraySlice<UInt8>, into out: inout [UInt8], _ cx: inout ClientContext) throws(TLSError) -> Int {
        var updates = 0
        let limit = keyUpdateRecordLimit(cx)
        var offset = data.startIndex
        repeat {
            // The KeyUpdate goes out under the old key too: update while one record is left, so no key ever
            // protects more than the limit.
            if let sequence = cx.records.writeProtection?.sequenceNumber, sequence + 1 >= limit {
                try sendKeyUpdate(request: .updateNotRequested, &cx)
                out += cx.output
                cx.output = []
                updates += 1
            }
            let end = min(offset + cx.records.maxOutboundPlaintext, data.endIndex)
            try cx.records.write(.applicationData, payload: data[offset..<end], into: &out)
            offset = end
        } while offset < data.endIndex
        return updates
    }

    /// Sends a KeyUpdate and switches to new sending keys; with `requestPeerUpdate` the server is asked to update its
    /// keys too (§4.6.3). One update of ours answers a pending request as well.
    func updateKeys(requestPeerUpdate: Bool, _ cx: inout ClientContext) throws(TLSError) {
        try sendKeyUpdate(request: requestPeerUpdate ? .updateRequested : .updateNotRequested, &cx)
        keyUpdateReplyOwed = false
    }

    private func sendKeyUpdate(request: KeyUpdateRequest, _ cx: inout ClientContext) throws(TLSError) {
        let message = KeyUpdate(requestUpdate: request)
        try cx.send(.keyUpdate(message), encoded: try HandshakeMessage.keyUpdate(message).encoded)
        let next = try keys.updateClientTrafficSecret()
        let generation = (cx.records.writeProtection?.generation ?? 0) + 1
        try cx.installWriteKeys(try keys.keys(next), keys.suite, epoch: .application, generation: generation)
        cx.trace(.keyUpdate(direction: .sent, updateRequested: request == .updateRequested))
        cx.traceUpdatedSecret(next, client: true, generation: generation)
    }

    /// RFC 8446 §7.5 exporter.
    func exportKeyingMaterial(label: String, context: [UInt8], length: Int) throws(TLSError) -> [UInt8] {
        let hashLength = keys.schedule.hash.length
        guard length >= 0, length <= 255 * hashLength else {
            throw TLSError.invalidConfiguration(
                "exporter length \(length) out of range (0 ... \(255 * hashLength) with this suite's hash)")
        }
        guard label.utf8.count <= HKDF.maxLabelLength else {
            throw TLSError.invalidConfiguration(
                "exporter label must be at most \(HKDF.maxLabelLength) bytes (RFC 8446 §7.1), not \(label.utf8.count)")
        }
        return try keys.exportKeyingMaterial(label: label, context: context, length: length)
    }
}

/// What the sessions made from a connection's tickets inherit from its handshake.
struct TicketFacts {
    /// The server name, as sessions record it.
    let serverName: String
    /// How the server's certificate was checked (on a resumed connection: the session's, as checked again).
    let certificateVerification: TLSSession.CertificateVerification
    /// Whether a stapled OCSP response was asked for (a resumed connection: only if its session's was too).
    let ocspStaplingRequested: Bool
}
