/// EncryptedExtensions (RFC 8446 §4.3.1): `Extension extensions<0..2^16-1>`.
struct EncryptedExtensions: Hashable, Sendable {
    var extensions: [EncryptedExtension]

    init(extensions: [EncryptedExtension]) {
        self.extensions = extensions
    }

    init(from reader: inout ByteReader) throws(TLSError) {
        extensions = try ExtensionBlock.read(EncryptedExtension.self, from: &reader)
    }

    func encode(into writer: inout ByteWriter) throws(EncodingError) {
        try ExtensionBlock.write(extensions, into: &writer)
    }

    /// The protocol the server selected with ALPN, if any.
    var selectedProtocol: [UInt8]? {
        for case .applicationLayerProtocolNegotiation(let name) in extensions { return name }
        return nil
    }

    /// Whether the server accepted early data.
    var earlyDataAccepted: Bool {
        extensions.contains { $0.extensionType == .earlyData }
    }

    /// The server's `record_size_limit`, if sent.
    var recordSizeLimit: UInt16? {
        for case .recordSizeLimit(let limit) in extensions { return limit }
        return nil
    }
}
