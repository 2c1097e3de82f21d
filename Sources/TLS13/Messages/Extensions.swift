// Extension blocks (RFC 8446 §4.2): the shared wire format of every extension list, and the rules that do
// not depend on the message carrying the block. Each message has its own extension enum (a client's
// `key_share` is a list, a server's is one entry, a HelloRetryRequest's is a group), as rustls keeps
// `ClientExtension`, `ServerExtension`, `HelloRetryExtension` and so on apart.
//
// Whether an extension may appear in a given message at all, and whether the client offered it, is the
// Handshake layer's decision (it sees the ClientHello); here every type parses, unknown ones as `.unknown`.

/// One extension of one message context: parsed from, and encoded to, the `extension_data` body.
protocol TLSExtension: Hashable, Sendable {
    /// The extension's code point.
    var extensionType: ExtensionType { get }
    /// Parses `extension_data` of an extension of type `type`. `body` is bounded to the extension; the caller
    /// checks that it was fully consumed.
    init(type: ExtensionType, body: inout ByteReader) throws(TLSError)
    /// Writes `extension_data` (without the type and length).
    func encodeBody(into writer: inout ByteWriter) throws(EncodingError)
}

/// Reading and writing `Extension extensions<min..2^16-1>`.
enum ExtensionBlock {
    /// Reads an extension block whose length lies in `range`. Every extension body must be consumed exactly;
    /// a type that appears twice is `decode_error` (RFC 8446 §4.2: "There MUST NOT be more than one
    /// extension of the same type in a given extension block").
    static func read<E: TLSExtension>(
        _: E.Type, from reader: inout ByteReader, range: ClosedRange<Int> = 0...0xFFFF
    ) throws(TLSError) -> [E] {
        var block = try reader.readVectorReader(lengthBytes: 2, range: range, "extensions")
        var seen = Set<UInt16>()
        var result: [E] = []
        while !block.isEmpty {
            let type = ExtensionType(rawValue: try block.readUInt16("extension type"))
            var body = try block.readVectorReader(lengthBytes: 2, range: 0...0xFFFF, "extension_data")
            guard seen.insert(type.rawValue).inserted else {
                throw TLSError.decode(reason: "duplicate extension \(type)")
            }
            let ext = try E(type: type, body: &body)
            try body.expectEmpty("extension body")
            result.append(ext)
        }
        return result
    }

    /// Writes `extensions` as a block (two-byte length, then type, length and body of each, in order).
    static func write<E: TLSExtension>(_ extensions: [E], into writer: inout ByteWriter) throws(EncodingError) {
        try writer.withLengthPrefix(2) { (w) throws(EncodingError) in
            for ext in extensions {
                w.writeUInt16(ext.extensionType.rawValue)
                try w.withLengthPrefix(2) { (body) throws(EncodingError) in try ext.encodeBody(into: &body) }
            }
        }
    }
}

// MARK: - Field codecs shared by several extension contexts

extension ByteReader {
    /// Reads a `<lengthBytes>`-prefixed list of 16-bit code points, length in `range` (bytes), which must be even.
    mutating func readUInt16List(
        lengthBytes: Int, range: ClosedRange<Int>, _ what: StaticString
    ) throws(TLSError) -> [UInt16] {
        var list = try readVectorReader(lengthBytes: lengthBytes, range: range, what)
        guard list.remaining % 2 == 0 else {
            throw TLSError.decode(reason: "\(what): odd length \(list.remaining)")
        }
        var values: [UInt16] = []
        values.reserveCapacity(list.remaining / 2)
        while !list.isEmpty { values.append(try list.readUInt16(what)) }
        return values
    }

    /// Reads `opaque ProtocolName<1..2^8-1>; ProtocolName protocol_name_list<2..2^16-1>` (RFC 7301).
    mutating func readProtocolNameList() throws(TLSError) -> [[UInt8]] {
        var list = try readVectorReader(lengthBytes: 2, range: 2...0xFFFF, "protocol_name_list")
        var names: [[UInt8]] = []
        while !list.isEmpty { names.append(try list.readVector(lengthBytes: 1, range: 1...0xFF, "ProtocolName")) }
        return names
    }

    /// Reads `SignatureScheme supported_signature_algorithms<2..2^16-2>`.
    mutating func readSignatureSchemes() throws(TLSError) -> [SignatureScheme] {
        try readUInt16List(lengthBytes: 2, range: 2...0xFFFE, "supported_signature_algorithms")
            .map(SignatureScheme.init(rawValue:))
    }

    /// Reads `NamedGroup named_group_list<2..2^16-1>`.
    mutating func readNamedGroups() throws(TLSError) -> [NamedGroup] {
        try readUInt16List(lengthBytes: 2, range: 2...0xFFFF, "named_group_list").map(NamedGroup.init(rawValue:))
    }
}

extension ByteWriter {
    /// Writes a list of 16-bit code points with a `lengthBytes`-byte length prefix.
    mutating func writeUInt16List(lengthBytes: Int, _ values: [UInt16]) throws(EncodingError) {
        try withLengthPrefix(lengthBytes) { (w) throws(EncodingError) in
            for v in values { w.writeUInt16(v) }
        }
    }

    /// Writes a `ProtocolName protocol_name_list<2..2^16-1>`.
    mutating func writeProtocolNameList(_ names: [[UInt8]]) throws(EncodingError) {
        try withLengthPrefix(2) { (w) throws(EncodingError) in
            for name in names { try w.writeVector(1, name) }
        }
    }
}
