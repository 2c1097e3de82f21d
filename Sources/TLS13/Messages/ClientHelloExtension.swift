/// An extension in a ClientHello (RFC 8446 §4.2, RFC 6066, RFC 7301, RFC 8449, RFC 7685, RFC 8701).
///
/// The client builds these; parsing them back exists for tests and byte-for-byte round trips. Types this
/// library does not model keep their raw body in ``unknown(_:_:)`` and re-encode unchanged.
enum ClientHelloExtension: TLSExtension {
    /// `server_name` with one `host_name` entry (RFC 6066 §3): ASCII, no trailing dot, no IP literal.
    case serverName(String)
    /// `supported_groups`: the groups the client can do key exchange in, most preferred first.
    case supportedGroups([NamedGroup])
    /// `signature_algorithms`: schemes accepted in CertificateVerify (and certificates, absent `_cert`).
    case signatureAlgorithms([SignatureScheme])
    /// `signature_algorithms_cert`: schemes accepted in certificate signatures.
    case signatureAlgorithmsCert([SignatureScheme])
    /// `supported_versions`: `ProtocolVersion versions<2..254>`.
    case supportedVersions([ProtocolVersion])
    /// `key_share`: `KeyShareEntry client_shares<0..2^16-1>`, at most one per group.
    case keyShare([KeyShareEntry])
    /// `psk_key_exchange_modes`: `PskKeyExchangeMode ke_modes<1..255>`.
    case pskKeyExchangeModes([PSKKeyExchangeMode])
    /// `application_layer_protocol_negotiation`: protocol names, most preferred first.
    case applicationLayerProtocolNegotiation([[UInt8]])
    /// `cookie`, echoed from a HelloRetryRequest: `opaque cookie<1..2^16-1>`.
    case cookie([UInt8])
    /// `early_data` (empty body): the client sends 0-RTT data.
    case earlyData
    /// `pre_shared_key`; MUST be the last extension (RFC 8446 §4.2.11).
    case preSharedKey(OfferedPSKs)
    /// `post_handshake_auth` (empty body).
    case postHandshakeAuth
    /// `record_size_limit` (RFC 8449): the largest record plaintext the client will accept, 64...2^14+1.
    case recordSizeLimit(UInt16)
    /// `padding` (RFC 7685): this many zero bytes.
    case padding(Int)
    /// `status_request` (RFC 6066 §8) asking for an OCSP response, with no responder IDs and no request
    /// extensions: `01 0000 0000`. Any other body parses as ``unknown(_:_:)``.
    case statusRequest
    /// `signed_certificate_timestamp` (RFC 6962 §3.3.1, empty body): asks for the leaf's SCT list.
    case signedCertificateTimestamp
    /// Any other extension, body kept as received.
    case unknown(ExtensionType, [UInt8])

    var extensionType: ExtensionType {
        switch self {
        case .serverName: .serverName
        case .supportedGroups: .supportedGroups
        case .signatureAlgorithms: .signatureAlgorithms
        case .signatureAlgorithmsCert: .signatureAlgorithmsCert
        case .supportedVersions: .supportedVersions
        case .keyShare: .keyShare
        case .pskKeyExchangeModes: .pskKeyExchangeModes
        case .applicationLayerProtocolNegotiation: .applicationLayerProtocolNegotiation
        case .cookie: .cookie
        case .earlyData: .earlyData
        case .preSharedKey: .preSharedKey
        case .postHandshakeAuth: .postHandshakeAuth
        case .recordSizeLimit: .recordSizeLimit
        case .padding: .padding
        case .statusRequest: .statusRequest
        case .signedCertificateTimestamp: .signedCertificateTimestamp
        case .unknown(let type, _): type
        }
    }

    init(type: ExtensionType, body: inout ByteReader) throws(TLSError) {
        switch type {
        case .serverName:
            var list = try body.readVectorReader(lengthBytes: 2, range: 1...0xFFFF, "server_name_list")
            let nameType = try list.readUInt8("NameType")
            guard nameType == 0 else { throw TLSError.decode(reason: "server_name: unknown NameType \(nameType)") }
            let name = try list.readVector(lengthBytes: 2, range: 1...0xFFFF, "HostName")
            try list.expectEmpty("server_name_list (one host_name only)")
            guard name.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw TLSError.decode(reason: "server_name: HostName is not printable ASCII")
            }
            self = .serverName(String(decoding: name, as: UTF8.self))
        case .supportedGroups:
            self = .supportedGroups(try body.readNamedGroups())
        case .signatureAlgorithms:
            self = .signatureAlgorithms(try body.readSignatureSchemes())
        case .signatureAlgorithmsCert:
            self = .signatureAlgorithmsCert(try body.readSignatureSchemes())
        case .supportedVersions:
            self = .supportedVersions(
                try body.readUInt16List(lengthBytes: 1, range: 2...254, "versions").map(ProtocolVersion.init(rawValue:))
            )
        case .keyShare:
            var list = try body.readVectorReader(lengthBytes: 2, range: 0...0xFFFF, "client_shares")
            var shares: [KeyShareEntry] = []
            while !list.isEmpty {
                let entry = try KeyShareEntry(from: &list)
                guard !shares.contains(where: { $0.group == entry.group }) else {
                    throw TLSError.illegalParameter("key_share: two shares for group \(entry.group)")
                }
                shares.append(entry)
            }
            self = .keyShare(shares)
        case .pskKeyExchangeModes:
            self = .pskKeyExchangeModes(
                try body.readVector(lengthBytes: 1, range: 1...255, "ke_modes").map(PSKKeyExchangeMode.init(rawValue:)))
        case .applicationLayerProtocolNegotiation:
            self = .applicationLayerProtocolNegotiation(try body.readProtocolNameList())
        case .cookie:
            self = .cookie(try body.readVector(lengthBytes: 2, range: 1...0xFFFF, "cookie"))
        case .earlyData:
            self = .earlyData
        case .preSharedKey:
            self = .preSharedKey(try OfferedPSKs(from: &body))
        case .postHandshakeAuth:
            self = .postHandshakeAuth
        case .recordSizeLimit:
            self = .recordSizeLimit(try body.readUInt16("record_size_limit"))
        case .statusRequest:
            let request = body.readRest()
            self = request == Self.ocspStatusRequestBody ? .statusRequest : .unknown(.statusRequest, request)
        case .signedCertificateTimestamp:
            let body = body.readRest()
            self = body.isEmpty ? .signedCertificateTimestamp : .unknown(.signedCertificateTimestamp, body)
        case .padding:
            let zeros = body.readRest()
            guard zeros.allSatisfy({ $0 == 0 }) else { throw TLSError.illegalParameter("padding: non-zero byte") }
            self = .padding(zeros.count)
        default:
            self = .unknown(type, body.readRest())
        }
    }

    func encodeBody(into writer: inout ByteWriter) throws(EncodingError) {
        switch self {
        case .serverName(let host):
            try writer.withLengthPrefix(2) { (w) throws(EncodingError) in
                w.writeUInt8(0)  // host_name
                try w.writeVector(2, Array(host.utf8))
            }
        case .supportedGroups(let groups):
            try writer.writeUInt16List(lengthBytes: 2, groups.map(\.rawValue))
        case .signatureAlgorithms(let schemes), .signatureAlgorithmsCert(let schemes):
            try writer.writeUInt16List(lengthBytes: 2, schemes.map(\.rawValue))
        case .supportedVersions(let versions):
            try writer.writeUInt16List(lengthBytes: 1, versions.map(\.rawValue))
        case .keyShare(let shares):
            try writer.withLengthPrefix(2) { (w) throws(EncodingError) in
                for share in shares { try share.encode(into: &w) }
            }
        case .pskKeyExchangeModes(let modes):
            try writer.writeVector(1, modes.map(\.rawValue))
        case .applicationLayerProtocolNegotiation(let names):
            try writer.writeProtocolNameList(names)
        case .cookie(let cookie):
            try writer.writeVector(2, cookie)
        case .earlyData, .postHandshakeAuth, .signedCertificateTimestamp:
            break
        case .preSharedKey(let offer):
            try offer.encode(into: &writer)
        case .recordSizeLimit(let limit):
            writer.writeUInt16(limit)
        case .padding(let count):
            writer.writeBytes(repeatElement(0, count: count))
        case .statusRequest:
            writer.writeBytes(Self.ocspStatusRequestBody)
        case .unknown(_, let body):
            writer.writeBytes(body)
        }
    }

    /// CertificateStatusRequest { status_type ocsp(1); OCSPStatusRequest { responder_id_list<0..2^16-1> = [];
    /// request_extensions<0..2^16-1> = [] } }.
    static let ocspStatusRequestBody: [UInt8] = [1, 0, 0, 0, 0]
}
