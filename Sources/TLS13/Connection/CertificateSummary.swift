/// A readable summary of a certificate, for display (the CLI's `peer:`/`issuer:`/`expires:` lines).
public struct CertificateSummary: Sendable, Hashable {
    /// The subject, one line (e.g. `CN = localhost`).
    public var subject: String
    /// The issuer, one line.
    public var issuer: String
    /// The end of the validity period, ISO 8601 (e.g. `2099-12-31T23:59:59Z`).
    public var notAfter: String
    /// The subjectAltName DNS names.
    public var dnsNames: [String]
    /// The subjectAltName IP addresses.
    public var ipAddresses: [String]

    /// Summarizes a DER certificate; `nil` if it cannot be parsed.
    public init?(der: [UInt8]) {
        guard let cert = try? X509Certificate(der: der) else { return nil }
        subject = cert.subject
        issuer = cert.issuer
        notAfter = cert.notAfter
        dnsNames = cert.dnsNames
        ipAddresses = cert.ipAddresses
    }
}
