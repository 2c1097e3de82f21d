/// `KeyShareEntry` (RFC 8446 §4.2.8): a group and a public value in that group's wire encoding
/// (32 bytes for x25519, an uncompressed point for the NIST curves).
struct KeyShareEntry: Hashable, Sendable {
    var group: NamedGroup
    /// `opaque key_exchange<1..2^16-1>`.
    var keyExchange: [UInt8]

    init(group: NamedGroup, keyExchange: [UInt8]) {
        self.group = group
        self.keyExchange = keyExchange
    }

    init(from reader: inout ByteReader) throws(TLSError) {
        group = NamedGroup(rawValue: try reader.readUInt16("key share group"))
        keyExchange = try reader.readVector(lengthBytes: 2, range: 1...0xFFFF, "key_exchange")
    }

    func encode(into writer: inout ByteWriter) throws(EncodingError) {
        precondition(!keyExchange.isEmpty && keyExchange.count <= 0xFFFF, "key_exchange<1..2^16-1>")
        writer.writeUInt16(group.rawValue)
        try writer.writeVector(2, keyExchange)
    }
}
