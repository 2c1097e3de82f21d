/// The messages a server may put an extension in (RFC 8446 §4.2's table, plus RFC 8449 record_size_limit).
enum ServerMessageKind: CustomStringConvertible {
    case serverHello, helloRetryRequest, encryptedExtensions, certificate, certificateRequest, newSessionTicket

    var description: String {
        switch self {
        case .serverHello: "ServerHello"
        case .helloRetryRequest: "HelloRetryRequest"
        case .encryptedExtensions: "EncryptedExtensions"
        case .certificate: "Certificate"
        case .certificateRequest: "CertificateRequest"
        case .newSessionTicket: "NewSessionTicket"
        }
    }
}

enum ExtensionRules {
    /// Where each extension this library recognizes may appear in a server's message.
    private static let allowed: [ExtensionType: Set<ServerMessageKind>] = [
        .serverName: [.encryptedExtensions],
        .maxFragmentLength: [.encryptedExtensions],
        .statusRequest: [.certificateRequest, .certificate],
        .supportedGroups: [.encryptedExtensions],
        .signatureAlgorithms: [.certificateRequest],
        .useSRTP: [.encryptedExtensions],
        .heartbeat: [.encryptedExtensions],
        .applicationLayerProtocolNegotiation: [.encryptedExtensions],
        .signedCertificateTimestamp: [.certificateRequest, .certificate],
        .clientCertificateType: [.encryptedExtensions],
        .serverCertificateType: [.encryptedExtensions],
        .padding: [],
        .keyShare: [.serverHello, .helloRetryRequest],
        .preSharedKey: [.serverHello],
        .pskKeyExchangeModes: [],
        .earlyData: [.encryptedExtensions, .newSessionTicket],
        .cookie: [.helloRetryRequest],
        .supportedVersions: [.serverHello, .helloRetryRequest],
        .certificateAuthorities: [.certificateRequest],
        .oidFilters: [.certificateRequest],
        .postHandshakeAuth: [],
        .signatureAlgorithmsCert: [.certificateRequest],
        .recordSizeLimit: [.encryptedExtensions],
        // RFC 8879 §3: the server's own list, in a CertificateRequest (the client does not compress its certificate).
        .compressCertificate: [.certificateRequest],
        // RFC 9849 §5: retry_configs (EncryptedExtensions) and the confirmation (HelloRetryRequest).
        .encryptedClientHello: [.encryptedExtensions, .helloRetryRequest],
    ]

    /// Checks one extension of a server message against the rules of RFC 8446 §4.2:
    /// - an extension in a ServerHello, HelloRetryRequest, EncryptedExtensions or Certificate that the
    ///   ClientHello did not offer (the cookie in a HelloRetryRequest excepted): `unsupported_extension`;
    /// - an offered extension that the §4.2 table does not list for this message: `illegal_parameter`.
    ///
    /// CertificateRequest and NewSessionTicket may carry extensions the client never heard of; those are
    /// ignored (§4.3.2, §4.6.1); known ones in the wrong message are still `illegal_parameter`.
    static func check(_ type: ExtensionType, in message: ServerMessageKind, offered: Set<ExtensionType>) throws(TLSError) {
        switch message {
        case .certificateRequest, .newSessionTicket:
            // The server may send extensions the client never heard of here; unknown ones are ignored.
            guard let places = allowed[type] else { return }
            guard places.contains(message) else {
                throw TLSError.illegalParameter("\(type) is not allowed in \(message)")
            }
        case .helloRetryRequest where type == .cookie:
            return
        default:
            // An answer to something the ClientHello did not ask is unsolicited, whatever it is
            // (as BoringSSL and rustls decide); a known extension the client did offer but that does
            // not belong in this message is misplaced.
            guard offered.contains(type) else {
                throw TLSError.protocolViolation(
                    alert: .unsupportedExtension, reason: "unsolicited extension: server sent \(type) in \(message), which the client did not offer")
            }
            guard allowed[type]?.contains(message) == true else {
                throw TLSError.illegalParameter("\(type) is not allowed in \(message)")
            }
        }
    }
}
