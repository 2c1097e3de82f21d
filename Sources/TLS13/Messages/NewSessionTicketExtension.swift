/// An extension in NewSessionTicket (RFC 8446 §4.6.1).
enum NewSessionTicketExtension: TLSExtension {
    /// `early_data`: `uint32 max_early_data_size`.
    case earlyData(UInt32)
    /// Any other extension, body kept as received (unknown ones are ignored, RFC 8446 §4.2).
    case unknown(ExtensionType, [UInt8])

    var extensionType: ExtensionType {
        switch self {
        case .earlyData: .earlyData
        case .unknown(let type, _): type
        }
    }

    init(type: ExtensionType, body: inout ByteReader) throws(TLSError) {
        switch type {
        case .earlyData: self = .earlyData(try body.readUInt32("max_early_data_size"))
        default: self = .unknown(type, body.readRest())
        }
    }

    func encodeBody(into writer: inout ByteWriter) throws(EncodingError) {
        switch self {
        case .earlyData(let size): writer.writeUInt32(size)
        case .unknown(_, let body): writer.writeBytes(body)
        }
    }
}
