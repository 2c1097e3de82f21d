/// WAIT_EE (RFC 8446 §A.1): the handshake keys, the transcript through the ServerHello, what the ClientHello
/// offered, and whether the session was resumed (with its 0-RTT data awaiting the server's answer).
struct ExpectEncryptedExtensions: ~Copyable {
    let keys: HandshakeKeySchedule
    let transcript: TranscriptHash
    let offered: OfferedFacts
    /// The ALPN protocol names the ClientHello offered.
    let offeredProtocols: [[UInt8]]
    let mode: HandshakeMode

    /// EncryptedExtensions (§4.3.1): the server's answers to the extensions that are not about the key exchange —
    /// ALPN, SNI acknowledged, record_size_limit, and whether it took the early data.
    consuming func handle(_ ee: EncryptedExtensions, bytes: [UInt8], _ cx: inout ClientContext) throws(TLSError) -> ClientState {
        for ext in ee.extensions {
            try ExtensionRules.check(ext.extensionType, in: .encryptedExtensions, offered: offered.extensions)
            switch ext {
            case .applicationLayerProtocolNegotiation(let name):
                guard offeredProtocols.contains(name) else {
                    throw TLSError.illegalParameter("server selected ALPN protocol \"\(String(decoding: name, as: UTF8.self))\", which was not offered")
                }
                cx.info.applicationProtocol = String(decoding: name, as: UTF8.self)
            case .serverName:
                guard offered.extensions.contains(.serverName) else {
                    throw TLSError.protocolViolation(alert: .unsupportedExtension, reason: "server_name in EncryptedExtensions without SNI")
                }
            case .recordSizeLimit(let limit):
                try cx.applyRecordSizeLimit(serverLimit: Int(limit))
            default:
                break
            }
        }
        switch mode {
        case .full:
            guard !ee.earlyDataAccepted else { throw Self.earlyDataNotSent }
            transcript.update(bytes)
            return .waitCertificateOrRequest(ExpectCertificateOrRequest(keys: keys, transcript: transcript, offered: offered))
        case .resumed(var session):
            if ee.earlyDataAccepted {
                // §4.2.10: only for the first PSK, with the ticket's suite and ALPN.
                guard session.earlyData.isAwaitingAnswer else { throw Self.earlyDataNotSent }
                guard cx.info.cipherSuite == session.session.cipherSuite else {
                    throw TLSError.illegalParameter("server accepted early data with suite \(cx.info.cipherSuite), not the ticket's \(session.session.cipherSuite)")
                }
                guard cx.info.applicationProtocol == session.session.applicationProtocol else {
                    throw TLSError.illegalParameter("server accepted early data with another ALPN protocol than the ticket's")
                }
                session.earlyData.accept(&cx)
            } else if session.earlyData.reject(.declinedByServer, &cx) {
                // The client's flight goes under its handshake keys after all.
                try cx.installWriteKeys(try keys.clientKeys(), keys.suite, epoch: .handshake)
            }
            transcript.update(bytes)
            // A PSK handshake has no server Certificate or CertificateVerify.
            return .waitFinished(ExpectFinished(
                keys: keys, transcript: transcript, clientRandom: offered.clientRandom,
                offeredExtensions: offered.extensions, authentication: .resumed(session)))
        }
    }

    private static let earlyDataNotSent = TLSError.protocolViolation(
        alert: .unsupportedExtension, reason: "server accepted early data that was not sent")
}

extension ClientContext {
    /// RFC 8449 §4: the server's record_size_limit (64 or more) caps the TLSInnerPlaintext of our records — content
    /// plus the content type byte (and padding) in TLS 1.3 — and, both sides having sent the extension, ours now binds
    /// the server's records. A value above the protocol's 2^14 + 1 allows no more than that.
    mutating func applyRecordSizeLimit(serverLimit: Int) throws(TLSError) {
        guard serverLimit >= 64 else {
            throw TLSError.illegalParameter("record_size_limit \(serverLimit) is below the minimum of 64")
        }
        info.peerRecordSizeLimit = serverLimit
        records.applyPeerRecordSizeLimit(serverLimit)
        if let ours = configuration.recordSizeLimit {
            records.maxInboundInnerPlaintext = ours
        }
    }
}
