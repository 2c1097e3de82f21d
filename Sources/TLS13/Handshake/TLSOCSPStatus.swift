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
    /// A response arrived but certificate verification is off (``TLSClientConfiguration/verifyCertificates``),
    /// so it was not checked.
    case notVerified

    /// `not requested`, `none`, `good`, `unknown` or `not verified`.
    public var name: String {
        switch self {
        case .notRequested: "not requested"
        case .none: "none"
        case .good: "good"
        case .unknown: "unknown"
        case .notVerified: "not verified"
        }
    }

    /// The response's nextUpdate (seconds since 1970-01-01 UTC), when there is a verified response that has one.
    public var nextUpdate: Int64? {
        switch self {
        case .good(let next), .unknown(let next): next
        case .notRequested, .none, .notVerified: nil
        }
    }
}
