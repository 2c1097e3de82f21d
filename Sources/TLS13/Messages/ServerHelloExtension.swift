/// An extension in a ServerHello (RFC 8446 §4.2): only those that establish the keys appear here; the rest
/// go in EncryptedExtensions.
enum ServerHelloExtension: TLSExtension {
    /// `supported_versions`: `ProtocolVersion selected_version`.
    case supportedVersions(ProtocolVersion)
    /// `key_share`: `KeyShareEntry server_share`.
    case keyShare(KeyShareEntry)
    /// `pre_shared_key`: `uint16 selected_identity`, an index into the client's identities.
    case preSharedKey(UInt16)
    /// Any other extension, body kept as received (the Handshake layer rejects it as unsolicited).
    case unknown(ExtensionType, [UInt8])

    var extensionType: ExtensionType {
        switch self {
        case .supportedVersions: .supportedVersions
        case .keyShare: .keyShare
        case .preSharedKey: .preSharedKey
        case .unknown(let type, _): type
        }
    }

    init(type: ExtensionType, body: inout ByteReader) throws(TLSError) {
        switch type {
        case .supportedVersions:
            self = .supportedVersions(ProtocolVersion(rawValue: try body.readUInt16("selected_version")))
        case .keyShare: self = .keyShare(try KeyShareEntry(from: &body))
        case .preSharedKey: self = .preSharedKey(try body.readUInt16("selected_identity"))
        default: self = .unknown(type, body.readRest())
        }
    }

    func encodeBody(into writer: inout ByteWriter) throws(EncodingError) {
        switch self {
        case .supportedVersions(let version): writer.writeUInt16(version.rawValue)
        case .keyShare(let share): try share.encode(into: &writer)
        case .preSharedKey(let index): writer.writeUInt16(index)
        case .unknown(_, let body): writer.writeBytes(body)
        }
    }
}

/// An extension in a HelloRetryRequest (RFC 8446 §4.1.4).
enum HelloRetryRequestExtension: TLSExtension {
    /// `supported_versions`: `ProtocolVersion selected_version`.
    case supportedVersions(ProtocolVersion)
    /// `key_share`: `NamedGroup selected_group`, the group the client must send a share for.
    case keyShare(NamedGroup)
    /// `cookie`: `opaque cookie<1..2^16-1>`, to echo in the second ClientHello.
    case cookie([UInt8])
    /// Any other extension, body kept as received (the Handshake layer rejects it as unsolicited).
    case unknown(ExtensionType, [UInt8])

    var extensionType: ExtensionType {
        switch self {
        case .supportedVersions: .supportedVersions
        case .keyShare: .keyShare
        case .cookie: .cookie
        case .unknown(let type, _): type
        }
    }

    init(type: ExtensionType, body: inout ByteReader) throws(TLSError) {
        switch type {
        case .supportedVersions:
            self = .supportedVersions(ProtocolVersion(rawValue: try body.readUInt16("selected_version")))
        case .keyShare: self = .keyShare(NamedGroup(rawValue: try body.readUInt16("selected_group")))
        case .cookie: self = .cookie(try body.readVector(lengthBytes: 2, range: 1...0xFFFF, "cookie"))
        default: self = .unknown(type, body.readRest())
        }
    }

    func encodeBody(into writer: inout ByteWriter) throws(EncodingError) {
        switch self {
        case .supportedVersions(let version): writer.writeUInt16(version.rawValue)
        case .keyShare(let group): writer.writeUInt16(group.rawValue)
        case .cookie(let cookie): try writer.writeVector(2, cookie)
        case .unknown(_, let body): writer.writeBytes(body)
        }
    }
}
