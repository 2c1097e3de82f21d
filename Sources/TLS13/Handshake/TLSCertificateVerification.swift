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
    /// extendedKeyUsage) concluded.
    public let defaultResult: TLSDefaultVerificationResult

    /// Makes a context (the library builds these; public for tests of an application's handler).
    public init(certificateChain: [[UInt8]], serverName: String?, defaultResult: TLSDefaultVerificationResult) {
        self.certificateChain = certificateChain
        self.serverName = serverName
        self.defaultResult = defaultResult
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
