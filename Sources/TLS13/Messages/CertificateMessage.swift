/// The Certificate handshake message (RFC 8446 §4.4.2), X.509 only (raw public keys are never negotiated).
///
/// ```
/// struct {
///     opaque cert_data<1..2^24-1>;
///     Extension extensions<0..2^16-1>;
/// } CertificateEntry;
///
/// struct {
///     opaque certificate_request_context<0..2^8-1>;
///     CertificateEntry certificate_list<0..2^24-1>;
/// } Certificate;
/// ```
///
/// Named `CertificateMessage` so that "certificate" stays free for the X.509 object. An empty list parses;
/// the Handshake layer rejects it from a server (`decode_error`, RFC 8446 §4.4.2.4).
struct CertificateMessage: Hashable, Sendable {
    /// One certificate (DER) and its per-certificate extensions.
    struct Entry: Hashable, Sendable {
        /// DER-encoded X.509 certificate.
        var certData: [UInt8]
        var extensions: [RawExtension]

        init(certData: [UInt8], extensions: [RawExtension] = []) {
            self.certData = certData
            self.extensions = extensions
        }
    }

    /// Empty from a server; from a client, the context of the CertificateRequest it answers.
    var certificateRequestContext: [UInt8]
    /// End-entity certificate first.
    var entries: [Entry]

    init(certificateRequestContext: [UInt8] = [], entries: [Entry]) {
        self.certificateRequestContext = certificateRequestContext
        self.entries = entries
    }

    init(from reader: inout ByteReader) throws(TLSError) {
        certificateRequestContext = try reader.readVector(
            lengthBytes: 1, range: 0...0xFF, "certificate_request_context")
        var list = try reader.readVectorReader(lengthBytes: 3, range: 0...0xFF_FFFF, "certificate_list")
        entries = []
        while !list.isEmpty {
            let certData = try list.readVector(lengthBytes: 3, range: 1...0xFF_FFFF, "cert_data")
            let extensions = try ExtensionBlock.read(RawExtension.self, from: &list)
            entries.append(Entry(certData: certData, extensions: extensions))
        }
    }

    func encode(into writer: inout ByteWriter) throws(EncodingError) {
        try writer.writeVector(1, certificateRequestContext)
        try writer.withLengthPrefix(3) { (w) throws(EncodingError) in
            for entry in entries {
                precondition(!entry.certData.isEmpty, "cert_data<1..2^24-1>")
                try w.writeVector(3, entry.certData)
                try ExtensionBlock.write(entry.extensions, into: &w)
            }
        }
    }

    /// The DER certificates, end-entity first.
    var certificates: [[UInt8]] { entries.map(\.certData) }
}
