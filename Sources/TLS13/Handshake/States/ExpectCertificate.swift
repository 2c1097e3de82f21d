/// WAIT_CERT_CR (RFC 8446 §A.1), in a full handshake after EncryptedExtensions: the handshake keys, the transcript,
/// what the ClientHello offered.
struct ExpectCertificateOrRequest: ~Copyable {
    let keys: HandshakeKeySchedule
    let transcript: TranscriptHash
    let offered: OfferedFacts

    /// CertificateRequest (§4.3.2): the server asks for the client's certificate; it is answered in the client's flight.
    consuming func handle(_ cr: CertificateRequest, bytes: [UInt8], _ cx: inout ClientContext) throws(TLSError) -> ClientState {
        for ext in cr.extensions {
            try ExtensionRules.check(ext.extensionType, in: .certificateRequest, offered: offered.extensions)
        }
        guard cr.certificateRequestContext.isEmpty else {
            throw TLSError.illegalParameter("CertificateRequest in the handshake has a non-empty context")
        }
        cx.recordCertificateRequest(cr)
        transcript.update(bytes)
        return .waitCertificate(ExpectCertificate(keys: keys, transcript: transcript, offered: offered, certificateRequest: cr))
    }

    /// Certificate, with no CertificateRequest before it.
    consuming func handle(_ certificate: CertificateMessage, bytes: [UInt8], _ cx: inout ClientContext) throws(TLSError)
        -> ClientState
    {
        try acceptCertificate(
            certificate, bytes: bytes, keys: keys, transcript: transcript, offered: offered, certificateRequest: nil, &cx)
    }
}

/// WAIT_CERT: as WAIT_CERT_CR, with the server's CertificateRequest to answer in the client's flight.
struct ExpectCertificate: ~Copyable {
    let keys: HandshakeKeySchedule
    let transcript: TranscriptHash
    let offered: OfferedFacts
    let certificateRequest: CertificateRequest

    consuming func handle(_ certificate: CertificateMessage, bytes: [UInt8], _ cx: inout ClientContext) throws(TLSError)
        -> ClientState
    {
        try acceptCertificate(
            certificate, bytes: bytes, keys: keys, transcript: transcript, offered: offered,
            certificateRequest: certificateRequest, &cx)
    }
}

/// The server's Certificate (§4.4.2): the chain, its leaf's stapled OCSP response and SCTs, checked by
/// ``ServerCertificateCheck`` (chain and name, revocation, the application's handler, keyUsage).
private func acceptCertificate(
    _ message: CertificateMessage, bytes: [UInt8], keys: HandshakeKeySchedule, transcript: TranscriptHash,
    offered: OfferedFacts, certificateRequest: CertificateRequest?, _ cx: inout ClientContext
) throws(TLSError) -> ClientState {
    guard message.certificateRequestContext.isEmpty else {
        throw TLSError.illegalParameter("server Certificate has a non-empty certificate_request_context")
    }
    guard let leaf = message.entries.first?.certData else {
        throw TLSError.decode(reason: "server sent an empty Certificate message")
    }
    let configuration = cx.configuration
    guard message.entries.count <= configuration.maxCertificateChainLength else {
        throw TLSError.certificateRejected(
            alert: .badCertificate,
            reason: "chain of \(message.entries.count) certificates exceeds the limit of \(configuration.maxCertificateChainLength)")
    }
    for entry in message.entries {
        for ext in entry.extensions {
            try ExtensionRules.check(ext.extensionType, in: .certificate, offered: offered.extensions)
        }
    }
    let chain = message.certificates
    // Only the leaf's status and SCTs count; an intermediate's are ignored (§4.4.2.1).
    let leafExtensions = message.entries.first?.extensions ?? []
    var stapled: [UInt8]? = nil
    if let staple = leafExtensions.first(where: { $0.extensionType == .statusRequest }) {
        stapled = try CertificateStatus(body: staple.body).ocspResponse
        cx.info.ocspResponse = stapled
    }
    if let sct = leafExtensions.first(where: { $0.extensionType == .signedCertificateTimestamp }) {
        cx.info.signedCertificateTimestamps = try SignedCertificateTimestampList(body: sct.body).bytes
    }
    let check = ServerCertificateCheck(
        configuration: configuration, verifier: cx.deps.certificateVerifier, identity: cx.identity, now: cx.deps.now,
        isSessionReverification: false, certificates: cx.deps.certificateCache)
    let outcome = try cx.timed("certificate checks", "chain of \(chain.count)\(stapled == nil ? "" : ", stapled OCSP response")") {
        () throws(TLSError) in try check.evaluate(chain: chain, ocspResponse: stapled)
    }
    cx.info.certificateVerified = outcome.verification != .notVerified
    cx.info.ocspStatus = outcome.ocspStatus
    cx.info.peerCertificates = chain
    transcript.update(bytes)
    return .waitCertificateVerify(ExpectCertificateVerify(
        keys: keys, transcript: transcript, offered: offered, certificateRequest: certificateRequest, leaf: leaf,
        certificateCheck: outcome))
}

/// WAIT_CV: the server's certificate accepted; its leaf must sign the transcript.
struct ExpectCertificateVerify: ~Copyable {
    let keys: HandshakeKeySchedule
    let transcript: TranscriptHash
    let offered: OfferedFacts
    /// The server's CertificateRequest, if it sent one.
    let certificateRequest: CertificateRequest?
    /// The server's end-entity certificate (DER).
    let leaf: [UInt8]
    /// What checking the chain concluded (for the sessions this connection's tickets make).
    let certificateCheck: ServerCertificateCheck.Outcome

    /// CertificateVerify (§4.4.3): the leaf's signature over the transcript through the Certificate, with a scheme the
    /// client offered.
    consuming func handle(_ cv: CertificateVerify, bytes: [UInt8], _ cx: inout ClientContext) throws(TLSError) -> ClientState {
        guard offered.signatureAlgorithms.contains(cv.algorithm) else {
            throw TLSError.illegalParameter("CertificateVerify uses \(cv.algorithm), which was not offered")
        }
        let content = CertificateVerify.signedContent(signer: .server, transcriptHash: try transcript.current())
        let verifier = cx.deps.signatureVerifier
        let leaf = self.leaf
        let valid = try cx.timed("signature verification", "\(cv.algorithm)") { () throws(TLSError) in
            try verifier.verify(scheme: cv.algorithm, certificate: leaf, message: content, signature: cv.signature)
        }
        guard valid else {
            throw TLSError.protocolViolation(alert: .decryptError, reason: "server CertificateVerify signature is invalid")
        }
        transcript.update(bytes)
        cx.info.signatureScheme = cv.algorithm
        return .waitFinished(ExpectFinished(
            keys: keys, transcript: transcript, clientRandom: offered.clientRandom, offeredExtensions: offered.extensions,
            authentication: .certificate(certificateCheck, certificateRequest: certificateRequest)))
    }
}
