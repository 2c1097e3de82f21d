/// A TLS 1.3 handshake message with its framing (RFC 8446 §4):
///
/// ```
/// struct {
///     HandshakeType msg_type;
///     uint24 length;
///     select (Handshake.msg_type) { … };
/// } Handshake;
/// ```
///
/// ``decode(type:body:)`` dispatches on `msg_type` and requires the body to be consumed exactly
/// (`decode_error` for trailing bytes). A `msg_type` that TLS 1.3 does not define, or `message_hash`
/// (which exists only inside the transcript), is `unexpected_message`. Whether a message is allowed in the
/// current state is the Handshake layer's decision.
enum HandshakeMessage: Hashable, Sendable {
    case clientHello(ClientHello)
    case serverHello(ServerHello)
    case helloRetryRequest(HelloRetryRequest)
    case newSessionTicket(NewSessionTicket)
    case endOfEarlyData
    case encryptedExtensions(EncryptedExtensions)
    case certificate(CertificateMessage)
    case certificateRequest(CertificateRequest)
    case certificateVerify(CertificateVerify)
    case finished(Finished)
    case keyUpdate(KeyUpdate)

    /// Size of `msg_type` plus `length`.
    static let headerLength = 4

    /// `msg_type` on the wire (`server_hello` for a HelloRetryRequest).
    var type: HandshakeType {
        switch self {
        case .clientHello: .clientHello
        case .serverHello, .helloRetryRequest: .serverHello
        case .newSessionTicket: .newSessionTicket
        case .endOfEarlyData: .endOfEarlyData
        case .encryptedExtensions: .encryptedExtensions
        case .certificate: .certificate
        case .certificateRequest: .certificateRequest
        case .certificateVerify: .certificateVerify
        case .finished: .finished
        case .keyUpdate: .keyUpdate
        }
    }

    /// The message's name as RFC 8446 writes it in prose: `ClientHello`, `HelloRetryRequest`, `CertificateVerify`.
    var displayName: String {
        switch self {
        case .clientHello: "ClientHello"
        case .serverHello: "ServerHello"
        case .helloRetryRequest: "HelloRetryRequest"
        case .newSessionTicket: "NewSessionTicket"
        case .endOfEarlyData: "EndOfEarlyData"
        case .encryptedExtensions: "EncryptedExtensions"
        case .certificate: "Certificate"
        case .certificateRequest: "CertificateRequest"
        case .certificateVerify: "CertificateVerify"
        case .finished: "Finished"
        case .keyUpdate: "KeyUpdate"
        }
    }

    /// A short name for error messages and logs, e.g. `hello_retry_request`, `certificate_verify`.
    var name: String {
        if case .helloRetryRequest = self { return "hello_retry_request" }
        return type.description
    }

    /// Parses the body of a message of type `type`; the whole of `body` must be consumed.
    static func decode(type: HandshakeType, body: [UInt8]) throws(TLSError) -> HandshakeMessage {
        var reader = ByteReader(body)
        let message: HandshakeMessage
        switch type {
        case .clientHello: message = .clientHello(try ClientHello(from: &reader))
        case .serverHello:
            message =
                HelloRetryRequest.isHelloRetryRequest(reader)
                ? .helloRetryRequest(try HelloRetryRequest(from: &reader))
                : .serverHello(try ServerHello(from: &reader))
        case .newSessionTicket: message = .newSessionTicket(try NewSessionTicket(from: &reader))
        case .endOfEarlyData: message = .endOfEarlyData
        case .encryptedExtensions: message = .encryptedExtensions(try EncryptedExtensions(from: &reader))
        case .certificate: message = .certificate(try CertificateMessage(from: &reader))
        case .certificateRequest: message = .certificateRequest(try CertificateRequest(from: &reader))
        case .certificateVerify: message = .certificateVerify(try CertificateVerify(from: &reader))
        case .finished: message = .finished(try Finished(from: &reader))
        case .keyUpdate: message = .keyUpdate(try KeyUpdate(from: &reader))
        default: throw TLSError.unexpected("handshake message of unknown type \(type)")
        }
        guard reader.isEmpty else {
            throw TLSError.decode(reason: "\(type): \(reader.remaining) trailing bytes")
        }
        return message
    }

    /// Parses one complete message, header included; `bytes` must hold exactly that message.
    static func decode(_ bytes: [UInt8]) throws(TLSError) -> HandshakeMessage {
        var reader = ByteReader(bytes)
        let type = HandshakeType(rawValue: try reader.readUInt8("msg_type"))
        let body = try reader.readVector(lengthBytes: 3, range: 0...0xFF_FFFF, "handshake body")
        try reader.expectEmpty("handshake message")
        return try decode(type: type, body: body)
    }

    /// Writes the message, header included.
    func encode(into writer: inout ByteWriter) throws(EncodingError) {
        writer.writeUInt8(type.rawValue)
        try writer.withLengthPrefix(3) { (w) throws(EncodingError) in
            switch self {
            case .clientHello(let m): try m.encode(into: &w)
            case .serverHello(let m): try m.encode(into: &w)
            case .helloRetryRequest(let m): try m.encode(into: &w)
            case .newSessionTicket(let m): try m.encode(into: &w)
            case .endOfEarlyData: break
            case .encryptedExtensions(let m): try m.encode(into: &w)
            case .certificate(let m): try m.encode(into: &w)
            case .certificateRequest(let m): try m.encode(into: &w)
            case .certificateVerify(let m): try m.encode(into: &w)
            case .finished(let m): try m.encode(into: &w)
            case .keyUpdate(let m): try m.encode(into: &w)
            }
        }
    }

    /// The message as it goes on the wire and into the transcript hash, header included.
    ///
    /// - Throws: `invalidConfiguration` when some vector is too long for its length prefix (only a message whose
    ///   sizes the application or the peer chose can be: the ClientHello with its ALPN names and ticket, the
    ///   client's chain).
    var encoded: [UInt8] {
        get throws(TLSError) {
            var writer = ByteWriter(reservingCapacity: 512)
            do throws(EncodingError) {
                try encode(into: &writer)
            } catch {
                throw TLSError.invalidConfiguration("\(name) too large to encode (a length does not fit its field)")
            }
            return writer.bytes
        }
    }

    /// The synthetic `message_hash` message that replaces ClientHello1 in the transcript after a
    /// HelloRetryRequest (RFC 8446 §4.4.1): `fe 00 00 Hash.length ‖ Hash(ClientHello1)`.
    static func messageHash(_ digest: [UInt8]) -> [UInt8] {
        precondition(digest.count < 256, "a hash output fits one length byte")
        return [HandshakeType.messageHash.rawValue, 0, 0, UInt8(truncatingIfNeeded: digest.count)] + digest
    }
}
