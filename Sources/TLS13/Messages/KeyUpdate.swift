/// KeyUpdate (RFC 8446 §4.6.3): `KeyUpdateRequest request_update;`. Values other than
/// `update_not_requested` (0) and `update_requested` (1) are `illegal_parameter`.
struct KeyUpdate: Hashable, Sendable {
    var requestUpdate: KeyUpdateRequest

    init(requestUpdate: KeyUpdateRequest) {
        self.requestUpdate = requestUpdate
    }

    init(from reader: inout ByteReader) throws(TLSError) {
        let raw = try reader.readUInt8("request_update")
        let request = KeyUpdateRequest(rawValue: raw)
        guard request == .updateNotRequested || request == .updateRequested else {
            throw TLSError.illegalParameter("KeyUpdate request_update is \(raw)")
        }
        requestUpdate = request
    }

    func encode(into writer: inout ByteWriter) throws(EncodingError) {
        writer.writeUInt8(requestUpdate.rawValue)
    }
}
