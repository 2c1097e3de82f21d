/// WAIT_SH (RFC 8446 §A.1), after the first ClientHello: the hello as sent with the private halves of its key shares,
/// and the session offered (its 0-RTT data sent or not).
struct ExpectServerHello: ~Copyable {
    let hello: SentClientHello
    let resumption: ResumptionOffer?

    /// ServerHello: the key exchange, the handshake secrets; the server's flight is protected from here on.
    consuming func handle(_ sh: ServerHello, bytes: [UInt8], _ cx: inout ClientContext) throws(TLSError) -> ClientState {
        try acceptServerHello(sh, bytes: bytes, hello: hello, resumption: resumption, retry: nil, &cx)
    }

    /// HelloRetryRequest (§4.1.4): the server wants another key share or a cookie echoed; the second ClientHello
    /// goes out, and the transcript starts as message_hash(ClientHello1) ‖ HelloRetryRequest ‖ ClientHello2.
    consuming func handle(_ hrr: HelloRetryRequest, bytes: [UInt8], _ cx: inout ClientContext) throws(TLSError) -> ClientState {
        let suite = try checkCommonHello(
            legacyVersion: hrr.legacyVersion, selectedVersion: hrr.selectedVersion, sessionIDEcho: hrr.legacySessionIDEcho,
            cipherSuite: hrr.cipherSuite, what: "HelloRetryRequest", hello: hello)
        for ext in hrr.extensions {
            try ExtensionRules.check(ext.extensionType, in: .helloRetryRequest, offered: hello.extensions)
        }
        if let group = hrr.selectedGroup {
            guard !GREASE.isGREASE(group.rawValue) else {
                throw TLSError.illegalParameter("HelloRetryRequest asks for the GREASE group \(group)")
            }
            guard hello.groups.contains(group) else {
                throw TLSError.illegalParameter("HelloRetryRequest asks for \(group), which was not offered")
            }
            guard hello.keyShares[group] == nil else {
                throw TLSError.illegalParameter("HelloRetryRequest asks for \(group), for which a share was already sent")
            }
        }
        guard hrr.selectedGroup != nil || hrr.cookie != nil else {
            throw TLSError.illegalParameter("HelloRetryRequest would not change the ClientHello")
        }
        try cx.reassembler.requireMessageBoundary("HelloRetryRequest")
        cx.info.usedHelloRetryRequest = true

        // Transcript: message_hash(ClientHello1) ‖ HelloRetryRequest ‖ ClientHello2 (§4.4.1).
        let schedule = try KeySchedule(hash: suite.hash)
        let transcript = try TranscriptHash(suite.hash)
        let prefix = HandshakeMessage.messageHash(try suite.hash.hash(hello.bytes)) + bytes
        transcript.update(prefix)

        // The second ClientHello: the requested share, the cookie, no early_data (§4.1.2).
        var keyShares = hello.keyShares
        var newShare: KeyShareEntry? = nil
        if let group = hrr.selectedGroup {
            let share = try cx.deps.makeKeyShare(group)
            keyShares = [group: share]
            newShare = KeyShareEntry(group: group, keyExchange: share.publicKey)
        }
        var resumption = self.resumption
        if resumption?.earlyData.reject(.helloRetryRequest, &cx) == true {
            // A HelloRetryRequest rejects 0-RTT; the second ClientHello goes in the clear.
            cx.records.writeProtection = nil
        }
        if let offer = resumption, CipherSuiteParameters(offer.session.cipherSuite)?.hash != suite.hash {
            // The PSK cannot be used with the suite the server chose (§4.1.4): stop offering it.
            resumption = nil
        }
        var second = try cx.deps.clientHelloBuilder.secondClientHello(HelloRetryContent(
            configuration: cx.configuration, firstHello: hello.hello, retry: hrr, keyShare: newShare,
            keepsPSK: resumption != nil, grease: hello.grease))
        if let resumption { second = try resumption.bind(second, transcriptPrefix: prefix) }
        let sent = try SentClientHello(second, keyShares: keyShares, grease: hello.grease)
        transcript.update(sent.bytes)

        cx.noteCompatibilityMode(of: second)
        let ccs = cx.owedCompatibilityCCS()
        cx.output += ccs
        try cx.send(.clientHello(second), encoded: sent.bytes)
        return .waitServerHelloAfterRetry(ExpectServerHelloAfterRetry(
            hello: sent, resumption: resumption,
            retry: HelloRetry(request: hrr, suite: suite, schedule: schedule, transcript: transcript)))
    }
}

/// WAIT_SH after a HelloRetryRequest: the second ClientHello as sent, the session still offered, and what the
/// HelloRetryRequest fixed and started.
struct ExpectServerHelloAfterRetry: ~Copyable {
    let hello: SentClientHello
    /// The session still offered (its hash is the suite's), its early data rejected.
    let resumption: ResumptionOffer?
    let retry: HelloRetry

    consuming func handle(_ sh: ServerHello, bytes: [UInt8], _ cx: inout ClientContext) throws(TLSError) -> ClientState {
        try acceptServerHello(sh, bytes: bytes, hello: hello, resumption: resumption, retry: retry, &cx)
    }
}

/// What a HelloRetryRequest fixed (the suite, the version, the group) and started (the transcript, the key schedule).
struct HelloRetry {
    let request: HelloRetryRequest
    let suite: CipherSuiteParameters
    let schedule: KeySchedule
    /// message_hash(ClientHello1) ‖ HelloRetryRequest ‖ ClientHello2.
    let transcript: TranscriptHash
}

/// The checks a ServerHello and a HelloRetryRequest share (§4.1.3, §4.1.4); returns the selected suite's parameters.
private func checkCommonHello(
    legacyVersion: ProtocolVersion, selectedVersion: ProtocolVersion?, sessionIDEcho: [UInt8], cipherSuite: CipherSuite,
    what: String, hello sent: SentClientHello
) throws(TLSError) -> CipherSuiteParameters {
    let hello = sent.hello
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
    guard let suite = sent.suites[cipherSuite] else {
        throw TLSError.illegalParameter("\(what) selected cipher suite \(cipherSuite), which was not offered")
    }
    return suite
}

/// The ServerHello (§4.1.3), after the first ClientHello or the second: checks it against what was offered (and what
/// a HelloRetryRequest fixed), takes the PSK if the server selected it, does the key exchange and derives the
/// handshake secrets. The server's flight is read under its handshake keys from here; the client writes under its
/// own unless 0-RTT data waits for the server's answer.
private func acceptServerHello(
    _ sh: ServerHello, bytes: [UInt8], hello: SentClientHello, resumption: ResumptionOffer?, retry: HelloRetry?,
    _ cx: inout ClientContext
) throws(TLSError) -> ClientState {
    if sh.selectedVersion == nil, sh.hasDowngradeSentinel {
        // §4.1.3: a TLS 1.2-or-older ServerHello carrying the sentinel is a downgrade attack.
        throw TLSError.illegalParameter("ServerHello random carries a downgrade sentinel")
    }
    let suite = try checkCommonHello(
        legacyVersion: sh.legacyVersion, selectedVersion: sh.selectedVersion, sessionIDEcho: sh.legacySessionIDEcho,
        cipherSuite: sh.cipherSuite, what: "ServerHello", hello: hello)
    for ext in sh.extensions {
        try ExtensionRules.check(ext.extensionType, in: .serverHello, offered: hello.extensions)
    }
    if let hrr = retry?.request {
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
    guard hello.groups.contains(share.group) else {
        throw TLSError.illegalParameter("ServerHello key share for \(share.group), which was not offered")
    }
    if let requested = retry?.request.selectedGroup, requested != share.group {
        throw TLSError.illegalParameter("ServerHello key share for \(share.group), but the HelloRetryRequest asked for \(requested)")
    }
    guard let ours = hello.keyShares[share.group] else {
        throw TLSError.illegalParameter("ServerHello key share for \(share.group), for which no share was sent")
    }

    // The PSK: the server either takes the session offered, or the handshake is a full one.
    var mode = HandshakeMode.full
    if let selected = sh.selectedPSKIdentity {
        guard let offer = resumption, let offered = hello.hello.offeredPSKs else {
            throw TLSError.protocolViolation(alert: .unsupportedExtension, reason: "server selected a PSK, but none was offered")
        }
        guard Int(selected) < offered.identities.count else {
            throw TLSError.illegalParameter("server selected PSK identity \(selected) of \(offered.identities.count)")
        }
        guard CipherSuiteParameters(offer.session.cipherSuite)?.hash == suite.hash else {
            throw TLSError.illegalParameter("server selected a PSK with a suite of another hash (\(sh.cipherSuite))")
        }
        mode = .resumed(offer)
        cx.reportResumption(of: offer)
    }
    let shared = try cx.timed("key exchange", share.group.displayName) { () throws(TLSError) in
        try ours.sharedSecret(peerPublicKey: share.keyExchange)
    }
    try cx.reassembler.requireMessageBoundary("ServerHello")

    let schedule: KeySchedule
    let transcript: TranscriptHash
    if let retry {
        schedule = retry.schedule
        transcript = retry.transcript
    } else {
        schedule = try KeySchedule(hash: suite.hash)
        transcript = try TranscriptHash(suite.hash)
        transcript.update(hello.bytes)
    }
    transcript.update(bytes)
    let psk: SecretBytes?
    if case .resumed(let offer) = mode { psk = offer.session.psk } else { psk = nil }
    let keys = try HandshakeKeySchedule(
        suite: suite, schedule: schedule, psk: psk, sharedSecret: shared, transcriptHash: try transcript.current())
    cx.logSecret("CLIENT_HANDSHAKE_TRAFFIC_SECRET", keys.clientTrafficSecret, clientRandom: hello.hello.random)
    cx.logSecret("SERVER_HANDSHAKE_TRAFFIC_SECRET", keys.serverTrafficSecret, clientRandom: hello.hello.random)
    try cx.installReadKeys(try keys.serverKeys(), suite, epoch: .handshake)

    // 0-RTT: without the PSK the server cannot read it (rejected); with it, keep sending under the early keys until
    // EncryptedExtensions says whether it was taken.
    var earlyDataPending = false
    switch mode {
    case .resumed(let offer):
        earlyDataPending = offer.earlyData.isAwaitingAnswer
    case .full:
        if var offer = resumption { offer.earlyData.reject(.sessionNotResumed, &cx) }  // if 0-RTT data went out
    }
    if !earlyDataPending {
        try cx.installWriteKeys(try keys.clientKeys(), suite, epoch: .handshake)
    }
    cx.info.cipherSuite = sh.cipherSuite
    cx.info.group = share.group
    return .waitEncryptedExtensions(ExpectEncryptedExtensions(
        keys: keys, transcript: transcript, offered: hello.offered, offeredProtocols: hello.applicationProtocols,
        mode: mode))
}

/// Whether the server resumed the session offered; a resumed handshake has no server Certificate or
/// CertificateVerify (the session's authentication stands, checked again before it was offered).
enum HandshakeMode {
    case full
    /// The server selected the PSK: the session, and what became of its early data.
    case resumed(ResumptionOffer)
}

extension ClientContext {
    /// A resumed connection's authentication is the session's, checked again before it was offered: report its
    /// chain, that check's outcome and its stapled data.
    mutating func reportResumption(of offer: ResumptionOffer) {
        let session = offer.session
        info.resumed = true
        info.peerCertificates = session.peerCertificates
        info.certificateVerified = offer.check.map { $0.verification != .notVerified } ?? false
        info.ocspResponse = configuration.requestOCSPStapling ? session.ocspResponse : nil
        if let check = offer.check, configuration.requestOCSPStapling { info.ocspStatus = check.ocspStatus }
        info.signedCertificateTimestamps =
            configuration.requestSignedCertificateTimestamps ? session.signedCertificateTimestamps : nil
    }
}
