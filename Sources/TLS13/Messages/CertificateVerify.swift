/// CertificateVerify (RFC 8446 §4.4.3): `SignatureScheme algorithm; opaque signature<0..2^16-1>;`.
struct CertificateVerify: Hashable, Sendable {
    var algorithm: SignatureScheme
    var signature: [UInt8]

    init(algorithm: SignatureScheme, signature: [UInt8]) {
        self.algorithm = algorithm
        self.signature = signature
    }

    init(from reader: inout ByteReader) throws(TLSError) {
        algorithm = SignatureScheme(rawValue: try reader.readUInt16("algorithm"))
        signature = try reader.readVector(lengthBytes: 2, range: 0...0xFFFF, "signature")
    }

    func encode(into writer: inout ByteWriter) throws(EncodingError) {
        writer.writeUInt16(algorithm.rawValue)
        try writer.writeVector(2, signature)
    }

    /// Which side signed: selects the context string of the signed content.
    enum Signer: Sendable {
        case server
        case client
    }

    /// The bytes that are signed (RFC 8446 §4.4.3): 64 spaces, the context string
    /// ("TLS 1.3, server CertificateVerify" or "TLS 1.3, client CertificateVerify"), one zero byte, and the
    /// transcript hash up to and including the Certificate message.
    static func signedContent(signer: Signer, transcriptHash: [UInt8]) -> [UInt8] {
        let context: String =
            switch signer {
            case .server: "TLS 1.3, server CertificateVerify"
            case .client: "TLS 1.3, client CertificateVerify"
            }
        var content = [UInt8](repeating: 0x20, count: 64)
        content.append(contentsOf: context.utf8)
        content.append(0)
        content.append(contentsOf: transcriptHash)
        return content
    }
}
