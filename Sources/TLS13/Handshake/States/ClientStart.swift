/// START (RFC 8446 §A.1): nothing sent yet. Holds the session to offer and its 0-RTT data, decided when the
/// connection was made (``ResumptionOffer/plan(session:earlyData:_:)``).
struct ClientStart: ~Copyable {
    let resumption: ResumptionOffer?

    /// Makes and sends the first ClientHello, then the 0-RTT data when it is offered: the bytes go to `out`
    /// (the first ClientHello goes out with legacy_record_version 0x0301, as middleboxes expect, §5.1).
    consuming func sendClientHello(into out: inout [UInt8], _ cx: inout ClientContext) throws(TLSError) -> ClientState {
        let configuration = cx.configuration
        let deps = cx.deps
        let random = try deps.random.bytes(32)
        let sessionID = try deps.random.bytes(32)  // middlebox compatibility mode (§D.4)
        let grease = configuration.grease ? GREASE(random: try deps.random.bytes(6)) : nil
        // One X25519 key pair serves both X25519MLKEM768 and x25519 when both are offered (HybridKeyShare).
        let groups = configuration.keyShareGroups(hint: deps.keyShareHint)
        let shares = try cx.timed("key generation", groups.map(\.displayName).joined(separator: ", ")) {
            () throws(TLSError) in try makeKeyShares(for: groups, using: deps.makeKeyShare)
        }
        if configuration.requestOCSPStapling { cx.info.ocspStatus = .none }

        var resumption = self.resumption
        var offersEarlyData = false
        if case .offered? = resumption?.earlyData { offersEarlyData = true }
        var hello = try deps.clientHelloBuilder.firstClientHello(ClientHelloContent(
            configuration: configuration, identity: cx.identity, random: random, legacySessionID: sessionID,
            grease: grease, keyShares: shares.map { KeyShareEntry(group: $0.group, keyExchange: $0.publicKey) },
            psk: try resumption?.pskOffer(atMilliseconds: deps.nowMilliseconds), offersEarlyData: offersEarlyData))
        if let resumption { hello = try resumption.bind(hello, transcriptPrefix: []) }
        let sent = try SentClientHello(
            hello, keyShares: Dictionary(shares.map { ($0.group, $0) }, uniquingKeysWith: { _, last in last }),
            grease: grease)

        cx.records.allowsChangeCipherSpec = true
        cx.noteCompatibilityMode(of: hello)
        // A hello longer than a record (a large ticket, many ALPN names) is fragmented.
        var offset = 0
        repeat {
            let end = min(offset + RecordLayer.maxPlaintext, sent.bytes.count)
            out += [ContentType.handshake.rawValue, 0x03, 0x01, UInt8((end - offset) >> 8), UInt8((end - offset) & 0xff)]
            out += sent.bytes[offset..<end]
            offset = end
        } while offset < sent.bytes.count
        cx.records.noteRawRecords(out[...])
        cx.traceMessage(.clientHello(hello), .sent, length: sent.bytes.count)

        if let offer = resumption, case .offered(let data, let remainder) = offer.earlyData {
            if hello.extension(.earlyData) != nil {
                try sendEarlyData(data, session: offer.session, hello: sent, into: &out, &cx)
                resumption?.earlyData = .sent(data: data, remainder: remainder)
            } else {
                resumption?.earlyData = .none  // the hello as built does not offer it
            }
        }
        return .waitServerHello(ExpectServerHello(hello: sent, resumption: resumption))
    }

    /// Sends `data` as 0-RTT application data under client_early_traffic_secret, after the compatibility
    /// change_cipher_spec (with early data it follows the first ClientHello at once, §D.4).
    private func sendEarlyData(
        _ data: [UInt8], session: TLSSession, hello: SentClientHello, into out: inout [UInt8], _ cx: inout ClientContext
    ) throws(TLSError) {
        guard let suite = CipherSuiteParameters(session.cipherSuite) else { return }
        let schedule = try KeySchedule(hash: suite.hash)
        let chHash = try suite.hash.hash(hello.bytes)
        let secret = try schedule.earlySecret(psk: session.psk).clientEarlyTrafficSecret(transcriptHash: chHash)
        cx.logSecret("CLIENT_EARLY_TRAFFIC_SECRET", secret, clientRandom: hello.hello.random)
        out += cx.owedCompatibilityCCS()
        try cx.installWriteKeys(schedule.trafficKeys(secret: secret, aead: suite.aead), suite, epoch: .early)
        // Nothing to send (an empty request): the early_data extension alone, which the server answers as usual.
        if !data.isEmpty { try cx.records.write(.applicationData, payload: data[...], into: &out) }
    }
}

/// A ClientHello as sent, and the private halves of its key shares (kept until the ServerHello).
struct SentClientHello {
    let hello: ClientHello
    /// Its bytes, header included: the transcript's first message.
    let bytes: [UInt8]
    /// The extension types offered; GREASE ones excluded (one echoed back is unsolicited, RFC 8701 §3.2).
    let extensions: Set<ExtensionType>
    let keyShares: [NamedGroup: KeyShare]
    /// The cipher suites offered (GREASE aside), with what the handshake needs to run each.
    let suites: [CipherSuite: CipherSuiteParameters]
    /// The connection's GREASE values (the second ClientHello keeps them, RFC 8701 §4).
    let grease: GREASE?

    /// Adopts `hello` as the one sent. The builder lays out what the handshake decided, so every key share it lists
    /// must be one the handshake holds the private key of, and every suite one it can run (the configuration offers
    /// no other): anything else is a builder's error, `internal_error`.
    init(_ hello: ClientHello, keyShares: [NamedGroup: KeyShare], grease: GREASE?) throws(TLSError) {
        bytes = try HandshakeMessage.clientHello(hello).encoded
        for entry in hello.keyShares
        where !GREASE.isGREASE(entry.group.rawValue) && keyShares[entry.group]?.publicKey != entry.keyExchange {
            throw TLSError.internalError("ClientHello key share for \(entry.group) has no private key")
        }
        var suites: [CipherSuite: CipherSuiteParameters] = [:]
        for suite in hello.cipherSuites where !GREASE.isGREASE(suite.rawValue) {
            guard let parameters = CipherSuiteParameters(suite) else {
                throw TLSError.internalError("ClientHello offers \(suite), which this library cannot run")
            }
            suites[suite] = parameters
        }
        self.suites = suites
        self.hello = hello
        extensions = Set(hello.extensions.map(\.extensionType).filter { !GREASE.isGREASE($0.rawValue) })
        self.keyShares = keyShares
        self.grease = grease
    }

    /// The supported_groups offered.
    var groups: [NamedGroup] {
        for case .supportedGroups(let groups) in hello.extensions { return groups }
        return []
    }

    /// What the server's messages after the ServerHello are checked against.
    var offered: OfferedFacts {
        var signatureAlgorithms: [SignatureScheme] = []
        for case .signatureAlgorithms(let schemes) in hello.extensions {
            signatureAlgorithms = schemes
            break
        }
        return OfferedFacts(extensions: extensions, signatureAlgorithms: signatureAlgorithms, clientRandom: hello.random)
    }

    /// The ALPN protocol names offered (EncryptedExtensions must choose one of them, or none).
    var applicationProtocols: [[UInt8]] {
        for case .applicationLayerProtocolNegotiation(let names) in hello.extensions { return names }
        return []
    }
}

/// What the final ClientHello offered, that the server's messages after the ServerHello are checked against.
struct OfferedFacts {
    /// Extension types (GREASE excluded): a server extension not among them is unsolicited.
    let extensions: Set<ExtensionType>
    /// signature_algorithms: the server's CertificateVerify must use one.
    let signatureAlgorithms: [SignatureScheme]
    /// ClientHello.random: the key log's key for this connection's secrets.
    let clientRandom: [UInt8]
}

extension ResumptionOffer {
    /// The pre_shared_key offer for the session: its ticket, its age now, and a placeholder binder of the hash's length
    /// (``bind(_:transcriptPrefix:)`` computes it once the hello is final).
    func pskOffer(atMilliseconds now: Int64) throws(TLSError) -> OfferedPSKs? {
        guard let suite = CipherSuiteParameters(session.cipherSuite) else { return nil }
        return OfferedPSKs(
            identities: [OfferedPSKs.Identity(identity: session.ticket, obfuscatedTicketAge: session.obfuscatedAge(atMilliseconds: now))],
            binders: [[UInt8](repeating: 0, count: suite.hash.length)])
    }

    /// Fills in the PSK binder of `hello` (if it offers a PSK): HMAC over the transcript so far (`prefix`: empty for
    /// the first ClientHello; message_hash ‖ HelloRetryRequest for the second) and the hello truncated before the
    /// binders (§4.2.11.2).
    func bind(_ hello: ClientHello, transcriptPrefix: [UInt8]) throws(TLSError) -> ClientHello {
        guard let offer = hello.offeredPSKs, let suite = CipherSuiteParameters(session.cipherSuite) else { return hello }
        let schedule = try KeySchedule(hash: suite.hash)
        let binderKey = try schedule.earlySecret(psk: session.psk).binderKey(resumption: true)
        let t = try TranscriptHash(suite.hash)
        t.update(transcriptPrefix)
        t.update(try hello.truncatedForBinders())
        let binder = try schedule.verifyData(secret: binderKey, transcriptHash: try t.current())
        return hello.settingBinders(offer.binders.map { _ in binder })
    }
}
