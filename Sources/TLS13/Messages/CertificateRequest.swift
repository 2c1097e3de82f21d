/// CertificateRequest (RFC 8446 §4.3.2).
///
/// ```
/// struct {
///     opaque certificate_request_context<0..2^8-1>;
///     Extension extensions<2..2^16-1>;
/// } CertificateRequest;
/// ```
///
/// A request without `signature_algorithms` is rejected with `missing_extension`.
struct CertificateRequest: Hashable, Sendable {
    /// Empty during the handshake; echoed in the client's Certificate.
    var certificateRequestContext: [UInt8]
    var extensions: [CertificateRequestExtension]

    init(certificateRequestContext: [UInt8] = [], extensions: [CertificateRequestExtension]) {
        self.certificateRequestContext = certificateRequestContext
        self.extensions = extensions
    }

    init(from reader: inout ByteReader) throws(TLSError) {
        certificateRequestContext = try reader.readVector(
            lengthBytes: 1, range: 0...0xFF, "certificate_request_context")
        extensions = try ExtensionBlock.read(CertificateRequestExtension.self, from: &reader, range: 2...0xFFFF)
        guard extensions.contains(where: { $0.extensionType == .signatureAlgorithms }) else {
            throw TLSError.protocolViolation(
                alert: .missingExtension, reason: "CertificateRequest without signature_algorithms")
        }
    }

    func encode(into writer: inout ByteWriter) throws(EncodingError) {
        try writer.writeVector(1, certificateRequestContext)
        try ExtensionBlock.write(extensions, into: &writer)
    }

    /// The schemes the server accepts in the client's CertificateVerify.
    var signatureAlgorithms: [SignatureScheme] {
        for case .signatureAlgorithms(let schemes) in extensions { return schemes }
        return []
    }
}
