import TLS13

/// What an error means, in words a user can act on, added to the one-line failure of every command: an alert's
/// name alone ("peer sent fatal alert protocol_version (70)") does not say that the server speaks only TLS 1.2.
enum ErrorExplanation {
    /// What the command offered and trusted, for explanations that name it (set before connecting).
    private static let offered = Locked<TLSClientConfiguration?>(nil)

    /// Remembers the configuration a command connects with.
    static func remember(_ configuration: TLSClientConfiguration) {
        offered.withLock { $0 = configuration }
    }

    /// The explanation of `error`, or `nil` when its own text says it all.
    static func explain(_ error: TLSError) -> String? {
        let config = offered.withLock { $0 } ?? TLSClientConfiguration()
        switch error {
        case .alertReceived(.protocolVersion):
            return "the server does not offer TLS 1.3, and this client speaks only TLS 1.3"
        case .protocolViolation(.protocolVersion, _):
            return "the server chose an older protocol version; this client speaks only TLS 1.3"
        case .alertReceived(.handshakeFailure), .alertReceived(.insufficientSecurity):
            let groups = config.supportedGroups.map(\.displayName).joined(separator: ", ")
            let suites = config.cipherSuites.map { "\($0)" }.joined(separator: ", ")
            return "the server accepts none of what this client offered: groups \(groups); cipher suites \(suites); "
                + "\(config.signatureAlgorithms.count) signature algorithms (see --groups, --ciphers, --sigalgs)"
        case .alertReceived(.certificateRequired):
            return "the server requires a client certificate (--cert and --key)"
        case .alertReceived(.unrecognizedName):
            return "the server does not serve the name \(config.serverName.map { "'\($0)'" } ?? "asked for") (see --servername)"
        case .alertReceived(.noApplicationProtocol):
            let offered = config.applicationProtocols.isEmpty ? "none" : config.applicationProtocols.joined(separator: ", ")
            return "the server supports none of the ALPN protocols offered (\(offered))"
        case .alertReceived(.badCertificate), .alertReceived(.unsupportedCertificate), .alertReceived(.unknownCA),
             .alertReceived(.certificateExpired), .alertReceived(.certificateUnknown):
            return config.clientCertificate == nil
                ? nil : "the server rejected this client's certificate (--cert)"
        case .certificateRejected(.unknownCA, let reason):
            let store: String
            switch config.trustRoots {
            case .pemFile(let path): store = "the roots in \(path) (--cafile)"
            default: store = "the system's trust store (SSL_CERT_FILE / SSL_CERT_DIR, or --cafile)"
            }
            return reason.contains("self-signed")
                ? "the server's certificate is self-signed and not among \(store)"
                : "no certificate the server sent leads to \(store); if the issuer is right, trust its root with --cafile, "
                    + "or check that the server sends its intermediate certificates"
        case .certificateRejected(.badCertificate, let reason) where reason.contains("does not match"):
            return "the certificate is for other names (see --servername to check another name)"
        case .certificateRejected(.certificateExpired, _):
            return "check the server's certificate dates, and this machine's clock"
        case .decode(let reason, _) where reason.contains("record header has version 0x5454")
            || reason.contains("record header has version 0x2f31"):
            return "the server answered in plain text (HTTP?), not TLS: is this the right port?"
        case .network(.connect, let reason) where reason.contains("refused"):
            return "nothing listens on that port"
        case .echRejected(_, let retry?):
            return "the server's ECH config differs from the one given; connect again with --ech-retry, or with "
                + "--ech-config \(Base64.encode(retry))"
        case .echRejected(_, nil):
            return "the server does not do ECH (any more): connect without --ech-config to go on in clear"
        case .timedOut(let what) where what.contains("TLS handshake"):
            return "the server accepted the TCP connection but did not complete a TLS handshake: is it a TLS server?"
        default:
            return nil
        }
    }

    /// `error`'s one line with its explanation appended: `<description>: <explanation>`.
    static func line(for error: TLSError) -> String {
        guard let explanation = explain(error) else { return error.description }
        return "\(error.description): \(explanation)"
    }
}
