/// A pinned public key: the SHA-256 digest of a DER SubjectPublicKeyInfo, as HTTP Public Key Pinning writes it
/// (RFC 7469 §2.4, `pin-sha256="base64"`), for ``TLSClientConfiguration/pinnedPublicKeys``.
///
/// Make one from the base64 text (what `openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der
/// | openssl dgst -sha256 -binary | base64` prints), from a certificate, or from the digest bytes:
///
/// ```swift
/// config.pinnedPublicKeys = [
///     try TLSPublicKeyPin(base64: "r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E="),   // the current key
///     try TLSPublicKeyPin(certificate: backupCertificateDER),                         // a backup key
/// ]
/// ```
public struct TLSPublicKeyPin: Sendable, Hashable, CustomStringConvertible {
    /// The SHA-256 digest of the DER SubjectPublicKeyInfo: 32 bytes.
    public let sha256: [UInt8]

    /// A pin from the digest itself.
    ///
    /// - Parameter sha256: 32 bytes.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` for any other length.
    public init(sha256: [UInt8]) throws(TLSError) {
        guard sha256.count == 32 else {
            throw TLSError.invalidConfiguration("a SHA-256 public-key pin is 32 bytes, not \(sha256.count)")
        }
        self.sha256 = sha256
    }

    /// A pin from its base64 text (RFC 7469's `pin-sha256` value; a leading `sha256/`, as some tools write it, is
    /// accepted).
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when the text is not padded base64 of 32 bytes.
    public init(base64 text: String) throws(TLSError) {
        var value = Substring(text)
        if value.hasPrefix("sha256/") { value = value.dropFirst("sha256/".count) }
        guard let digest = Base64.decode(String(value)) else {
            throw TLSError.invalidConfiguration("public-key pin \"\(text)\" is not base64")
        }
        try self.init(sha256: digest)
    }

    /// The pin of a certificate's public key.
    ///
    /// - Parameter certificate: a DER X.509 certificate.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when it does not parse.
    public init(certificate: [UInt8]) throws(TLSError) {
        do throws(TLSError) {
            try self.init(sha256: try X509Certificate(der: certificate).subjectPublicKeyInfoSHA256())
        } catch {
            throw TLSError.invalidConfiguration("cannot pin the key of a certificate that does not parse: \(error)")
        }
    }

    /// The pin of a public key given as its DER SubjectPublicKeyInfo (hashed as given: no parsing).
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` for empty input.
    public init(subjectPublicKeyInfo: [UInt8]) throws(TLSError) {
        guard !subjectPublicKeyInfo.isEmpty else { throw TLSError.invalidConfiguration("empty SubjectPublicKeyInfo") }
        try self.init(sha256: try HashAlgorithm.sha256.hash(subjectPublicKeyInfo))
    }

    /// The digest in base64, as `pin-sha256` writes it.
    public var base64: String { Base64.encode(sha256) }

    /// `pin-sha256="…"`.
    public var description: String { "pin-sha256=\"\(base64)\"" }
}
