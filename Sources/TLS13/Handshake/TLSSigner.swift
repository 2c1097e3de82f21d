/// Makes the client's CertificateVerify signature (RFC 8446 §4.4.3) with the private key of its certificate.
///
/// The handshake never touches the key itself: it picks a scheme the server accepts from ``signatureSchemes``, builds
/// the content to sign, and asks the signer. The library's own signer is a ``PrivateKey`` loaded from a PEM file
/// (``TLSClientCertificate/init(certificateChainFile:privateKeyFile:)``); a key held elsewhere (a hardware token, a
/// remote signing service) is another conforming type, given with ``TLSClientCertificate/init(chain:signer:)``.
/// Tests sign through the same seam (the RFC 8448 tests supply the trace's signature this way).
///
/// Internal for now; it is written to become public unchanged when the sans-I/O engine does.
protocol TLSSigner: Sendable {
    /// The TLS 1.3 signature schemes this key can sign with, most preferred first (the first one the server's
    /// CertificateRequest lists is used, unless ``TLSClientCertificate/signatureAlgorithms`` says otherwise).
    var signatureSchemes: [SignatureScheme] { get }

    /// The signature over `content` with `scheme`, as it goes in `CertificateVerify.signature`.
    ///
    /// - Parameters:
    ///   - scheme: one of ``signatureSchemes``, and one the server accepts.
    ///   - content: what RFC 8446 §4.4.3 signs: 64 bytes of 0x20, the context string
    ///     `"TLS 1.3, client CertificateVerify"`, a zero byte, and the transcript hash. The scheme's hash (if it has
    ///     one) is applied by the signer, as with any signature.
    /// - Throws: a ``TLSError``; the handshake fails with it (a `TLSError.internalError` sends `internal_error`).
    func sign(scheme: SignatureScheme, content: [UInt8]) throws(TLSError) -> [UInt8]
}

extension PrivateKey: TLSSigner {
    func sign(scheme: SignatureScheme, content: [UInt8]) throws(TLSError) -> [UInt8] {
        try sign(scheme: scheme, message: content)
    }
}
