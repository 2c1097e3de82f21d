/// Finished (RFC 8446 §4.4.4): `opaque verify_data[Hash.length]`.
///
/// The body is the whole message; its length is checked against the negotiated hash by the Handshake
/// layer, which alone knows it (an empty body is rejected here). Compare `verifyData` only with
/// `constantTimeEqual`.
struct Finished: Hashable, Sendable {
    var verifyData: [UInt8]

    init(verifyData: [UInt8]) {
        self.verifyData = verifyData
    }

    init(from reader: inout ByteReader) throws(TLSError) {
        verifyData = reader.readRest()
        guard !verifyData.isEmpty else { throw TLSError.decode(reason: "Finished: empty verify_data") }
    }

    func encode(into writer: inout ByteWriter) throws(EncodingError) {
        writer.writeBytes(verifyData)
    }
}
