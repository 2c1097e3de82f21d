/// Encrypted Client Hello (RFC 9849) as the first ClientHello offered it; the WAIT_SH states hold it.
enum ECHOffered {
    /// No `encrypted_client_hello` sent.
    case none
    /// A GREASE extension (§6.2): nothing to decide. The server's ECH extensions are checked for syntax and ignored.
    case grease
    /// A real offer: the hello on the wire is ClientHelloOuter; ClientHelloInner went inside it.
    case real(RealECHOffer)
}

/// A real ECH offer: the HPKE context (it seals the second ClientHelloInner too, §6.1.5), ClientHelloInner as sent
/// inside the outer hello (with the same key shares), and the extensions compressed into `ech_outer_extensions`.
struct RealECHOffer {
    let offer: ECHClientOffer
    let inner: SentClientHello
    let compressed: [ExtensionType]

    var publicName: String { offer.config.publicNameString }

    /// Whether a ServerHello accepts ECH (§7.2): its random's last 8 bytes are `accept_confirmation` over the inner
    /// transcript so far (`before`: ClientHelloInner, or message_hash(ClientHelloInner1) ‖ HelloRetryRequest ‖
    /// ClientHelloInner2) and the ServerHello with those 8 bytes zeroed. `false` for a suite this client cannot run
    /// (the ServerHello's own checks then fail it).
    static func serverHelloConfirms(
        _ serverHello: [UInt8], suite: CipherSuite, innerRandom: [UInt8], before: (HashAlgorithm) throws(TLSError) -> TranscriptHash
    ) throws(TLSError) -> Bool {
        guard let parameters = CipherSuiteParameters(suite) else { return false }
        let split = try ECHAcceptance.serverHelloForConfirmation(serverHello)
        let transcript = try before(parameters.hash)
        transcript.update(split.zeroed)
        let expected = try ECHAcceptance.confirmation(
            hash: parameters.hash, innerRandom: innerRandom, transcriptHash: try transcript.current(),
            helloRetryRequest: false)
        return ECHAcceptance.matches(expected: expected, received: split.confirmation)
    }

    /// Whether a HelloRetryRequest accepts ECH (§7.2.1): its `encrypted_client_hello` is `hrr_accept_confirmation`
    /// over message_hash(ClientHelloInner1) ‖ the HelloRetryRequest with that extension zeroed. No extension: rejected.
    ///
    /// - Throws: `decode_error` when the extension is not 8 bytes (§6.1.4).
    func helloRetryRequestConfirms(_ bytes: [UInt8], suite: CipherSuite) throws(TLSError) -> Bool {
        guard let split = try ECHAcceptance.helloRetryRequestForConfirmation(bytes) else { return false }
        guard let parameters = CipherSuiteParameters(suite) else { return false }
        let transcript = try TranscriptHash(parameters.hash)
        transcript.update(HandshakeMessage.messageHash(try parameters.hash.hash(inner.bytes)))
        transcript.update(split.zeroed)
        let expected = try ECHAcceptance.confirmation(
            hash: parameters.hash, innerRandom: inner.hello.random, transcriptHash: try transcript.current(),
            helloRetryRequest: true)
        return ECHAcceptance.matches(expected: expected, received: split.confirmation)
    }
}

/// Where ECH stands once the server has answered; ``OfferedFacts`` carries it to the end of the handshake.
enum ECHOutcome: Equatable {
    case notOffered
    case grease
    /// The handshake runs on ClientHelloInner.
    case accepted
    /// The handshake runs on ClientHelloOuter: the server must authenticate as `publicName`, a CertificateRequest gets
    /// an empty Certificate, and the handshake ends in ``TLSError/echRejected(publicName:retryConfigs:)`` with the
    /// `retry_configs` of EncryptedExtensions.
    case rejected(publicName: String, retryConfigs: [UInt8]?)

    /// The public name to authenticate the server as, when ECH was rejected.
    var rejectedPublicName: String? {
        if case .rejected(let name, _) = self { return name }
        return nil
    }
}

/// ECH after a HelloRetryRequest: what the second ServerHello must show.
enum ECHAfterRetry {
    case none
    case grease
    /// The HelloRetryRequest accepted ECH: the ServerHello must confirm it too (else `illegal_parameter`, §6.1.5).
    /// `innerRandom` is ClientHelloInner1's (the second inner hello keeps it).
    case accepted(innerRandom: [UInt8])
    /// The HelloRetryRequest rejected ECH: the handshake runs on ClientHelloOuter.
    case rejected(publicName: String)
}

extension ECHOutcome {
    /// What `EncryptedExtensions` may say about ECH (§5, §6.1.6, §6.2.1), and the retry configs it gives.
    ///
    /// - Throws: `unsupported_extension` after ECH was accepted (retry configs answer only the outer hello);
    ///   `decode_error` for a body that is not one ECHConfigList.
    func readEncryptedExtensions(_ body: [UInt8]) throws(TLSError) -> ECHOutcome {
        switch self {
        case .accepted:
            throw TLSError.protocolViolation(
                alert: .unsupportedExtension,
                reason: "encrypted_client_hello (retry_configs) in EncryptedExtensions, but ECH was accepted")
        case .notOffered:
            throw TLSError.protocolViolation(
                alert: .unsupportedExtension, reason: "encrypted_client_hello in EncryptedExtensions, but none was offered")
        case .grease, .rejected:
            do throws(TLSError) {
                _ = try ECHEncryptedExtensions(body: body)
            } catch {
                let detail: String
                if case .decode(let reason, _) = error { detail = reason } else { detail = error.description }
                throw TLSError.decode(reason: "malformed extension: encrypted_client_hello: \(detail)")
            }
            // GREASE: checked, never kept (§6.2.1: the client "MUST NOT save the retry_configs value").
            if case .rejected(let name, _) = self { return .rejected(publicName: name, retryConfigs: body) }
            return self
        }
    }
}

extension ClientStateMachine {
    /// What the configuration asks of ECH for this connection: a real offer for the first usable config of
    /// ``TLSClientConfiguration/echConfigList``, else GREASE ECH when ``TLSClientConfiguration/echGREASE`` is on.
    static func planECH(_ configuration: TLSClientConfiguration) throws(TLSError) -> ECHPlan {
        if let bytes = configuration.echConfigList, let offer = try? ECHClientOffer(list: ECHConfigList(bytes: bytes)) {
            return .real(offer)
        }
        return configuration.echGREASE ? .grease : .none
    }

    enum ECHPlan {
        case none
        case grease
        case real(ECHClientOffer)
    }
}
