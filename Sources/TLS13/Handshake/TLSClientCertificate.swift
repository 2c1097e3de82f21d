/// A certificate chain and private key the client presents when the server asks for one
/// (RFC 8446 §4.4.2, §4.4.3), during the handshake or after it (post-handshake authentication).
///
/// The key can come from a PEM file, from PEM or DER bytes in memory, or stay outside the process: a ``TLSSigner``
/// (an HSM, a secure enclave, a remote signing service) is handed the CertificateVerify content and returns the
/// signature.
///
/// ```swift
/// config.clientCertificate = try TLSClientCertificate(certificateChainPEM: chainPEM, privateKeyPEM: keyPEM)
/// config.clientCertificate = try TLSClientCertificate(certificateChain: [leafDER], signer: myHSMSigner)
/// ```
public struct TLSClientCertificate: Sendable {
    /// DER certificates, end-entity first.
    public let chain: [[UInt8]]
    /// Signs CertificateVerify with the leaf's private key (a ``PrivateKey`` loaded here, or the caller's signer).
    let signer: any TLSSigner

    /// The signature schemes the key may sign CertificateVerify with, most preferred first; the first one the
    /// server's CertificateRequest lists is used. `nil` (the default): every TLS 1.3 scheme the key supports, in
    /// the library's order. Schemes the key cannot make are ignored; when none is left that the server accepts,
    /// the client answers with an empty Certificate (the server then decides whether to continue).
    public var signatureAlgorithms: [SignatureScheme]? = nil

    /// Loads a PEM certificate chain (end-entity first) and a PEM private key (unencrypted).
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when a file cannot be read or parsed, the chain is
    ///   empty, or the key does not belong to the certificate.
    public init(certificateChainFile: String, privateKeyFile: String) throws(TLSError) {
        try self.init(
            certificates: try PEM.certificates(fromFile: certificateChainFile),
            key: try PrivateKey(pemFile: privateKeyFile), source: certificateChainFile)
    }

    /// A PEM certificate chain (end-entity first) and a PEM private key (unencrypted: PKCS#8 `PRIVATE KEY`, or the
    /// traditional `EC PRIVATE KEY` / `RSA PRIVATE KEY`), from memory.
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when either does not parse, the chain is empty, or the key
    ///   does not belong to the certificate.
    public init(certificateChainPEM: [UInt8], privateKeyPEM: [UInt8]) throws(TLSError) {
        try self.init(
            certificates: try PEM.certificates(fromPEM: certificateChainPEM), key: try PrivateKey(pem: privateKeyPEM),
            source: "the PEM chain")
    }

    /// DER certificates (end-entity first) and a DER private key (PKCS#8 `PrivateKeyInfo`, or the traditional RSA
    /// or EC form, unencrypted), from memory.
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when either does not parse, the chain is empty, or the key
    ///   does not belong to the certificate.
    public init(certificateChain: [[UInt8]], privateKeyDER: [UInt8]) throws(TLSError) {
        try self.init(
            certificates: try Self.parse(certificateChain), key: try PrivateKey(der: privateKeyDER),
            source: "the DER chain")
    }

    /// DER certificates (end-entity first) whose private key signs through `signer`: the key itself need not be in
    /// this process.
    ///
    /// - Parameters:
    ///   - certificateChain: DER certificates, end-entity first.
    ///   - signer: signs CertificateVerify with the leaf's key; its ``TLSSigner/signatureSchemes`` must include one
    ///     that fits the leaf's key type.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when a certificate does not parse, the chain is empty or too
    ///   large for a Certificate message, or none of the signer's schemes fits the leaf's key.
    public init(certificateChain: [[UInt8]], signer: any TLSSigner) throws(TLSError) {
        let certificates = try Self.parse(certificateChain)
        guard let leaf = certificates.first else { throw TLSError.invalidConfiguration("the certificate chain is empty") }
        try Self.checkSize(certificates, source: "the DER chain")
        let key = try leaf.publicKey().key
        let fitting = signer.signatureSchemes.filter { SignatureSchemeParameters($0)?.keyType.matches(key) == true }
        guard !fitting.isEmpty else {
            throw TLSError.invalidConfiguration(
                "none of the signer's schemes (\(signer.signatureSchemes.map(\.description).joined(separator: ", "))) "
                    + "fits the certificate's \(key.typeDescription) key")
        }
        self.init(chain: certificateChain, signer: signer)
    }

    /// The checks every key-in-hand initializer makes: a chain, a key that belongs to its leaf and can sign TLS 1.3
    /// CertificateVerify, and a size that fits a Certificate message.
    private init(certificates: [X509Certificate], key: PrivateKey, source: String) throws(TLSError) {
        guard let leaf = certificates.first else { throw TLSError.invalidConfiguration("\(source) holds no certificate") }
        guard try leaf.publicKey().matches(try key.publicKey()) else {
            throw TLSError.invalidConfiguration("the private key does not match the certificate in \(source)")
        }
        guard !key.signatureSchemes.isEmpty else {
            throw TLSError.invalidConfiguration("a \(key.typeDescription) key cannot sign TLS 1.3 CertificateVerify")
        }
        try Self.checkSize(certificates, source: source)
        self.init(chain: certificates.map(\.der), signer: key)
    }

    private static func parse(_ chain: [[UInt8]]) throws(TLSError) -> [X509Certificate] {
        var certificates: [X509Certificate] = []
        for (index, der) in chain.enumerated() {
            do throws(TLSError) {
                certificates.append(try X509Certificate(der: der))
            } catch {
                throw TLSError.invalidConfiguration("certificate \(index) of the chain does not parse: \(error)")
            }
        }
        guard !certificates.isEmpty else { throw TLSError.invalidConfiguration("the certificate chain is empty") }
        return certificates
    }

    /// The chain travels in one Certificate message: 3-byte lengths, 5 bytes of framing per certificate.
    private static func checkSize(_ certificates: [X509Certificate], source: String) throws(TLSError) {
        let size = certificates.reduce(0) { $0 + $1.der.count + 5 }
        guard size < Self.maxChainBytes else {
            throw TLSError.invalidConfiguration(
                "the chain in \(source) is \(size) bytes; a Certificate message holds at most \(Self.maxChainBytes)")
        }
    }

    /// The most bytes a chain may take in the Certificate message (its certificate_list is a 24-bit vector).
    static let maxChainBytes = 0xFF_FFFF - 16

    init(chain: [[UInt8]], privateKey: PrivateKey) {
        self.init(chain: chain, signer: privateKey)
    }

    /// A chain whose key signs through `signer`, unchecked (tests: the RFC 8448 trace's certificate and signature).
    init(chain: [[UInt8]], signer: any TLSSigner) {
        self.chain = chain
        self.signer = signer
    }

    /// The scheme to sign with: the first of ``signatureAlgorithms`` (or of the signer's schemes) that the signer
    /// supports and the server listed, or `nil`.
    func scheme(acceptedBy serverSchemes: [SignatureScheme]) -> SignatureScheme? {
        let supported = signer.signatureSchemes
        let preferred = signatureAlgorithms ?? supported
        return preferred.first { supported.contains($0) && serverSchemes.contains($0) }
    }
}
