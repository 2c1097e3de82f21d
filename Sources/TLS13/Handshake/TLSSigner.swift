/// Makes the client's CertificateVerify signature (RFC 8446 §4.4.3) with the private key of its certificate, wherever
/// that key lives.
///
/// The handshake never touches the key itself: it picks a scheme the server accepts from ``signatureSchemes``, builds
/// the content to sign, and asks the signer. The library's own signer is the key loaded by
/// ``TLSClientCertificate/init(certificateChainFile:privateKeyFile:)`` (or from memory); a key held elsewhere — a
/// hardware token, a secure enclave, a remote signing service — is a type of yours, given with
/// ``TLSClientCertificate/init(certificateChain:signer:)``:
///
/// ```swift
/// struct HSMSigner: TLSSigner {
///     let signatureSchemes: [SignatureScheme] = [.ecdsaSecp256r1SHA256]
///     func sign(scheme: SignatureScheme, content: [UInt8]) throws(TLSError) -> [UInt8] {
///         // ECDSA P-256 over SHA-256 of `content`, DER-encoded (ECDSA-Sig-Value), as the HSM returns it.
///         try hsm.sign(sha256: content)
///     }
/// }
/// ```
///
/// `sign` is called on the thread doing the handshake, inside the engine's call (``TLSClientEngine/receive(_:)-([UInt8])``
/// or a ``TLSConnection`` read): it may block, but the handshake's timeout keeps running.
public protocol TLSSigner: Sendable {
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
    /// - Returns: the signature exactly as it goes on the wire: DER `ECDSA-Sig-Value` for ECDSA, the raw signature
    ///   for RSA-PSS and EdDSA.
    /// - Throws: a ``TLSError``; the handshake fails with it (a `TLSError.internalError` sends `internal_error`).
    func sign(scheme: SignatureScheme, content: [UInt8]) throws(TLSError) -> [UInt8]
}

extension PrivateKey: TLSSigner {
    func sign(scheme: SignatureScheme, content: [UInt8]) throws(TLSError) -> [UInt8] {
        try sign(scheme: scheme, message: content)
    }
}
