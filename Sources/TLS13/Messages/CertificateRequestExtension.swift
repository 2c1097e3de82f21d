/// An extension in CertificateRequest (RFC 8446 §4.3.2).
enum CertificateRequestExtension: TLSExtension {
    /// `signature_algorithms` (required): schemes the server accepts in the client's CertificateVerify.
    case signatureAlgorithms([SignatureScheme])
    /// `signature_algorithms_cert`: schemes the server accepts in certificate signatures.
    case signatureAlgorithmsCert([SignatureScheme])
    /// `certificate_authorities`: `DistinguishedName authorities<3..2^16-1>`, each DER `<1..2^16-1>`.
    case certificateAuthorities([[UInt8]])
    /// Any other extension (e.g. `oid_filters`), body kept as received. Unknown ones MUST be ignored here.
    case unknown(ExtensionType, [UInt8])

    var extensionType: ExtensionType {
        switch self {
        case .signatureAlgorithms: .signatureAlgorithms
        case .signatureAlgorithmsCert: .signatureAlgorithmsCert
        case .certificateAuthorities: .certificateAuthorities
        case .unknown(let type, _): type
        }
    }

    init(type: ExtensionType, body: inout ByteReader) throws(TLSError) {
        switch type {
        case .signatureAlgorithms:
            self = .signatureAlgorithms(try body.readSignatureSchemes())
        case .signatureAlgorithmsCert:
            self = .signatureAlgorithmsCert(try body.readSignatureSchemes())
        case .certificateAuthorities:
            var list = try body.readVectorReader(lengthBytes: 2, range: 3...0xFFFF, "authorities")
            var names: [[UInt8]] = []
            while !list.isEmpty {
                names.append(try list.readVector(lengthBytes: 2, range: 1...0xFFFF, "DistinguishedName"))
            }
            self = .certificateAuthorities(names)
        default:
            self = .unknown(type, body.readRest())
        }
    }

    func encodeBody(into writer: inout ByteWriter) throws(EncodingError) {
        switch self {
        case .signatureAlgorithms(let schemes), .signatureAlgorithmsCert(let schemes):
            try writer.writeUInt16List(lengthBytes: 2, schemes.map(\.rawValue))
        case .certificateAuthorities(let names):
            try writer.withLengthPrefix(2) { (w) throws(EncodingError) in
                for name in names { try w.writeVector(2, name) }
            }
        case .unknown(_, let body):
            writer.writeBytes(body)
        }
    }
}
