/// A certificate chain and private key the client presents when the server asks for one
/// (RFC 8446 §4.4.2, §4.4.3), during the handshake or after it (post-handshake authentication).
public struct TLSClientCertificate: Sendable {
    /// DER certificates, end-entity first.
    public let chain: [[UInt8]]
    /// Signs CertificateVerify with the leaf's private key (a ``PrivateKey`` loaded from PEM, or another signer).
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
        let certificates = try PEM.certificates(fromFile: certificateChainFile)
        guard let leaf = certificates.first else {
            throw TLSError.invalidConfiguration("\(certificateChainFile) holds no certificate")
        }
        let key = try PrivateKey(pemFile: privateKeyFile)
        guard try leaf.publicKey().matches(try key.publicKey()) else {
            throw TLSError.invalidConfiguration("the private key in \(privateKeyFile) does not match the certificate")
        }
        guard !key.signatureSchemes.isEmpty else {
            throw TLSError.invalidConfiguration("a \(key.typeDescription) key cannot sign TLS 1.3 CertificateVerify")
        }
        // The chain travels in one Certificate message: 3-byte lengths, 5 bytes of framing per certificate.
        let size = certificates.reduce(0) { $0 + $1.der.count + 5 }
        guard size < Self.maxChainBytes else {
            throw TLSError.invalidConfiguration(
                "the chain in \(certificateChainFile) is \(size) bytes; a Certificate message holds at most \(Self.maxChainBytes)")
        }
        chain = certificates.map(\.der)
        signer = key
    }

    /// The most bytes a chain may take in the Certificate message (its certificate_list is a 24-bit vector).
    static let maxChainBytes = 0xFF_FFFF - 16

    init(chain: [[UInt8]], privateKey: PrivateKey) {
        self.init(chain: chain, signer: privateKey)
    }

    /// A chain whose key signs through `signer` (the key itself need not be in this process).
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
