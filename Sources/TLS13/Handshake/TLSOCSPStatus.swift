/// What the server's stapled OCSP response (RFC 6066 §8, RFC 8446 §4.4.2.1) said about its certificate.
///
/// A response saying the certificate is revoked, or one that does not verify (bad signature, unauthorized
/// responder, outside its validity period, not about this certificate), fails the handshake instead
/// (`certificate_revoked`, `bad_certificate_status_response`).
public enum TLSOCSPStatus: Sendable, Hashable {
    /// Stapling was not asked for (``TLSClientConfiguration/requestOCSPStapling`` is off).
    case notRequested
    /// Asked for, but the server sent no response (or sent no certificate: a resumed session).
    case none
    /// A verified response says the certificate is good. `nextUpdate` (seconds since 1970-01-01 UTC) is when
    /// newer information will be available, if the responder said.
    case good(nextUpdate: Int64?)
    /// A verified response says the responder does not know the certificate.
    case unknown(nextUpdate: Int64?)
    /// A response arrived but was not checked: certificate verification is off
    /// (``TLSClientConfiguration/verifyCertificates``), or the chain did not verify against the trust roots and
    /// the application's ``TLSClientConfiguration/certificateVerificationHandler`` accepted it (a pinned
    /// certificate): without a trusted issuer there is nothing to authenticate the response with. The handler
    /// gets the response's bytes (``TLSCertificateVerificationContext/ocspResponse``) to judge it itself.
    case notVerified
    /// The response did not pass — it says the certificate is revoked (`certificate_revoked`), or it does not
    /// verify (`bad_certificate_status_response`); the error says which and why — and the application's
    /// ``TLSClientConfiguration/certificateVerificationHandler``, which saw this status, accepted the certificate
    /// anyway. Without a handler (or when it rejects) such a response fails the handshake instead.
    case rejected(TLSError)

    /// `not requested`, `none`, `good`, `unknown`, `not verified` or `rejected`.
    public var name: String {
        switch self {
        case .notRequested: "not requested"
        case .none: "none"
        case .good: "good"
        case .unknown: "unknown"
        case .notVerified: "not verified"
        case .rejected: "rejected"
        }
    }

    /// The response's nextUpdate (seconds since 1970-01-01 UTC), when there is a verified response that has one.
    public var nextUpdate: Int64? {
        switch self {
        case .good(let next), .unknown(let next): next
        case .notRequested, .none, .notVerified, .rejected: nil
        }
    }
}
