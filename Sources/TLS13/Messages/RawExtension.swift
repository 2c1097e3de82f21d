/// An extension kept as its type and raw body, for contexts where this library interprets them later or not
/// at all (`CertificateEntry.extensions`: the OCSP status, read with ``CertificateStatus``; SCTs, never asked for).
struct RawExtension: TLSExtension {
    var extensionType: ExtensionType
    var body: [UInt8]

    init(_ type: ExtensionType, _ body: [UInt8]) {
        self.extensionType = type
        self.body = body
    }

    init(type: ExtensionType, body: inout ByteReader) throws(TLSError) {
        self.extensionType = type
        self.body = body.readRest()
    }

    func encodeBody(into writer: inout ByteWriter) throws(EncodingError) {
        writer.writeBytes(body)
    }
}
