/// What an application's certificate check (``TLSClientConfiguration/certificateVerificationHandler``) is given:
/// the server's chain, the name it was addressed by, and what the library's own verification concluded.
///
/// ```swift
/// var config = TLSClientConfiguration()
/// config.certificateVerificationHandler = { context in
///     // Keep the library's verdict, and pin the leaf on top of it.
///     if case .failed(let error) = context.defaultResult {
///         return .reject(alert: error.alert ?? .badCertificate, reason: "\(error)")
///     }
///     return pinnedLeaves.contains(context.certificateChain[0])
///         ? .accept : .reject(alert: .badCertificate, reason: "leaf is not pinned")
/// }
/// ```
public struct TLSCertificateVerificationContext: Sendable {
    /// The server's certificates as sent in its Certificate message, DER, end-entity first (never empty).
    public let certificateChain: [[UInt8]]
    /// The name the client checks the certificate against: the DNS name (sent as SNI) or the IP literal the
    /// connection was made to (``TLSClientConfiguration/serverName`` or the host given to `connect`). `nil` when
    /// no name is checked.
    public let serverName: String?
    /// What the library's verification (chain to ``TLSClientConfiguration/trustRoots``, validity, name,
    /// extendedKeyUsage, then the stapled OCSP response) concluded: the first failure, if any. A chain that
    /// verified but whose staple says it is revoked (or whose staple does not verify) is `.failed` with that
    /// error (`certificate_revoked`, `bad_certificate_status_response`).
    public let defaultResult: TLSDefaultVerificationResult
    /// The OCSP response stapled to the leaf (DER `OCSPResponse`), exactly as received; `nil` when the server
    /// stapled none or ``TLSClientConfiguration/requestOCSPStapling`` is off.
    public let ocspResponse: [UInt8]?
    /// What the library made of ``ocspResponse``: ``TLSOCSPStatus/good(nextUpdate:)`` or
    /// ``TLSOCSPStatus/unknown(nextUpdate:)`` when it verified; ``TLSOCSPStatus/rejected(_:)`` when it says
    /// revoked or does not verify (then ``defaultResult`` is `.failed` too); ``TLSOCSPStatus/notVerified`` when
    /// the chain itself did not verify (a response can only be authenticated through a trusted issuer: judge
    /// the bytes yourself if revocation matters for a pinned certificate) or verification is off;
    /// ``TLSOCSPStatus/none`` / ``TLSOCSPStatus/notRequested`` when there is none. If the handler accepts, the
    /// connection reports this status as ``TLSSessionInfo/ocspStatus``.
    public let ocspStatus: TLSOCSPStatus
    /// `false` when the chain arrived in the server's Certificate message of a full handshake; `true` when it
    /// comes from a saved session that is about to be offered for resumption: the handler is asked again, under
    /// the current configuration, before the session is used (a rejection means the session is not offered and
    /// the handshake is a full one, which asks the handler about the chain the server sends then).
    public let isSessionReverification: Bool

    /// Makes a context (the library builds these; public for tests of an application's handler).
    public init(
        certificateChain: [[UInt8]], serverName: String?, defaultResult: TLSDefaultVerificationResult,
        ocspResponse: [UInt8]? = nil, ocspStatus: TLSOCSPStatus = .notRequested, isSessionReverification: Bool = false
    ) {
        self.certificateChain = certificateChain
        self.serverName = serverName
        self.defaultResult = defaultResult
        self.ocspResponse = ocspResponse
        self.ocspStatus = ocspStatus
        self.isSessionReverification = isSessionReverification
    }
}

/// The outcome of the library's own certificate verification, as given to a custom check.
public enum TLSDefaultVerificationResult: Sendable, Hashable {
    /// The chain leads to a trusted root and matches the server name.
    case verified
    /// The chain or name was rejected; the error is the ``TLSError/certificateRejected(alert:reason:)`` the
    /// handshake would have failed with (its alert is the one the library would have sent).
    case failed(TLSError)
    /// ``TLSClientConfiguration/verifyCertificates`` is `false`: the chain and name were not checked.
    case skipped
}

/// A custom certificate check's decision.
public enum TLSCertificateVerdict: Sendable, Hashable {
    /// Continue the handshake. The server must still prove possession of the leaf's key (CertificateVerify).
    case accept
    /// Fail the handshake: `alert` is sent to the server (RFC 8446 §6.2 suggests `bad_certificate`,
    /// `unsupported_certificate`, `certificate_expired`, `certificate_unknown` or `unknown_ca`), and the caller
    /// gets ``TLSError/certificateRejected(alert:reason:)`` with `reason`.
    case reject(alert: AlertDescription, reason: String)
}
