/// An extension in EncryptedExtensions (RFC 8446 §4.3.1): the server's answers that do not affect the keys.
enum EncryptedExtension: TLSExtension {
    /// `server_name` with an empty body: the server used the client's SNI (RFC 6066 §3).
    case serverName
    /// `supported_groups`: the server's preference, for use in later handshakes (RFC 8446 §4.2.7).
    case supportedGroups([NamedGroup])
    /// `application_layer_protocol_negotiation` with exactly one protocol name (RFC 7301 §3.1).
    case applicationLayerProtocolNegotiation([UInt8])
    /// `early_data` with an empty body: the server accepted 0-RTT data.
    case earlyData
    /// `record_size_limit` (RFC 8449): the largest record plaintext the server will accept.
    case recordSizeLimit(UInt16)
    /// Any other extension, body kept as received (the Handshake layer rejects it as unsolicited).
    case unknown(ExtensionType, [UInt8])

    var extensionType: ExtensionType {
        switch self {
        case .serverName: .serverName
        case .supportedGroups: .supportedGroups
        case .applicationLayerProtocolNegotiation: .applicationLayerProtocolNegotiation
        case .earlyData: .earlyData
        case .recordSizeLimit: .recordSizeLimit
        case .unknown(let type, _): type
        }
    }

    init(type: ExtensionType, body: inout ByteReader) throws(TLSError) {
        switch type {
        case .serverName:
            self = .serverName
        case .supportedGroups:
            self = .supportedGroups(try body.readNamedGroups())
        case .applicationLayerProtocolNegotiation:
            let names = try body.readProtocolNameList()
            guard names.count == 1, let name = names.first else {
                throw TLSError.decode(reason: "ALPN in EncryptedExtensions has \(names.count) protocol names, not 1")
            }
            self = .applicationLayerProtocolNegotiation(name)
        case .earlyData:
            self = .earlyData
        case .recordSizeLimit:
            self = .recordSizeLimit(try body.readUInt16("record_size_limit"))
        default:
            self = .unknown(type, body.readRest())
        }
    }

    func encodeBody(into writer: inout ByteWriter) throws(EncodingError) {
        switch self {
        case .serverName, .earlyData: break
        case .supportedGroups(let groups): try writer.writeUInt16List(lengthBytes: 2, groups.map(\.rawValue))
        case .applicationLayerProtocolNegotiation(let name): try writer.writeProtocolNameList([name])
        case .recordSizeLimit(let limit): writer.writeUInt16(limit)
        case .unknown(_, let body): writer.writeBytes(body)
        }
    }
}
