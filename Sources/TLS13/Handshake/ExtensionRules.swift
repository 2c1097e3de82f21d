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
    ]

    /// Checks one extension of a server message against the rules of RFC 8446 §4.2:
    /// - a recognized extension not specified for this message: `illegal_parameter`;
    /// - an extension in a ServerHello, HelloRetryRequest, EncryptedExtensions or Certificate that the
    ///   ClientHello did not offer (the cookie in a HelloRetryRequest excepted): `unsupported_extension`.
    ///
    /// CertificateRequest and NewSessionTicket may carry extensions the client never heard of; those are
    /// ignored (§4.3.2, §4.6.1), so unknown types pass there.
    static func check(_ type: ExtensionType, in message: ServerMessageKind, offered: Set<ExtensionType>) throws(TLSError) {
        if let places = allowed[type] {
            guard places.contains(message) else {
                throw TLSError.illegalParameter("\(type) is not allowed in \(message)")
            }
        } else if message == .certificateRequest || message == .newSessionTicket {
            return
        }
        switch message {
        case .certificateRequest, .newSessionTicket:
            return
        case .helloRetryRequest where type == .cookie:
            return
        default:
            guard offered.contains(type) else {
                throw TLSError.protocolViolation(
                    alert: .unsupportedExtension, reason: "server sent \(type) in \(message), which the client did not offer")
            }
        }
    }
}
