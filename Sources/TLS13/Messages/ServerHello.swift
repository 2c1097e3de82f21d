/// ServerHello (RFC 8446 §4.1.3), when its random is not the HelloRetryRequest value.
///
/// ```
/// struct {
///     ProtocolVersion legacy_version = 0x0303;
///     Random random;
///     opaque legacy_session_id_echo<0..32>;
///     CipherSuite cipher_suite;
///     uint8 legacy_compression_method = 0;
///     Extension extensions<6..2^16-1>;
/// } ServerHello;
/// ```
///
/// Parsing checks only what needs no context: field bounds, the compression method (`illegal_parameter`
/// if not 0) and the random (a HelloRetryRequest parses as ``HelloRetryRequest``). The version, the session
/// id echo, the cipher suite and the extensions are checked against the ClientHello by the Handshake layer.
struct ServerHello: Hashable, Sendable {
    var legacyVersion: ProtocolVersion
    var random: [UInt8]
    var legacySessionIDEcho: [UInt8]
    var cipherSuite: CipherSuite
    var extensions: [ServerHelloExtension]

    /// The `random` that marks a ServerHello as a HelloRetryRequest: SHA-256("HelloRetryRequest").
    static let helloRetryRequestRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    /// The last 8 bytes of a TLS 1.3 server's random when it negotiates TLS 1.2 ("DOWNGRD" 01) or
    /// below ("DOWNGRD" 00) (RFC 8446 §4.1.3).
    static let downgradeSentinelTLS12: [UInt8] = [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01]
    static let downgradeSentinelTLS11: [UInt8] = [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x00]

    init(
        random: [UInt8], legacySessionIDEcho: [UInt8] = [], cipherSuite: CipherSuite,
        extensions: [ServerHelloExtension]
    ) {
        self.legacyVersion = .tls12
        self.random = random
        self.legacySessionIDEcho = legacySessionIDEcho
        self.cipherSuite = cipherSuite
        self.extensions = extensions
    }

    init(from reader: inout ByteReader) throws(TLSError) {
        let common = try ServerHelloCommonFields(from: &reader)
        guard common.random != Self.helloRetryRequestRandom else {
            throw TLSError.decode(reason: "HelloRetryRequest parsed as ServerHello")
        }
        legacyVersion = common.legacyVersion
        random = common.random
        legacySessionIDEcho = common.legacySessionIDEcho
        cipherSuite = common.cipherSuite
        // A TLS 1.2-or-older ServerHello may end here, without an extensions block (RFC 5246 §7.4.1.3); the
        // client must then answer protocol_version (no supported_versions), not decode_error.
        extensions = reader.isEmpty ? [] : try ExtensionBlock.read(ServerHelloExtension.self, from: &reader, range: 0...0xFFFF)
    }

    func encode(into writer: inout ByteWriter) throws(EncodingError) {
        try ServerHelloCommonFields(
            legacyVersion: legacyVersion, random: random, legacySessionIDEcho: legacySessionIDEcho,
            cipherSuite: cipherSuite
        ).encode(into: &writer)
        try ExtensionBlock.write(extensions, into: &writer)
    }

    /// `supported_versions.selected_version`, if the extension is present.
    var selectedVersion: ProtocolVersion? {
        for case .supportedVersions(let v) in extensions { return v }
        return nil
    }

    /// The server's key share, if present.
    var keyShare: KeyShareEntry? {
        for case .keyShare(let share) in extensions { return share }
        return nil
    }

    /// `pre_shared_key.selected_identity`, if the server accepted a PSK.
    var selectedPSKIdentity: UInt16? {
        for case .preSharedKey(let index) in extensions { return index }
        return nil
    }

    /// Whether the random ends in a downgrade sentinel (the client must then abort with `illegal_parameter`).
    var hasDowngradeSentinel: Bool {
        let tail = Array(random.suffix(8))
        return tail == Self.downgradeSentinelTLS12 || tail == Self.downgradeSentinelTLS11
    }
}

/// HelloRetryRequest (RFC 8446 §4.1.4): a ServerHello whose random is
/// ``ServerHello/helloRetryRequestRandom``, with its own extension set.
struct HelloRetryRequest: Hashable, Sendable {
    var legacyVersion: ProtocolVersion
    var legacySessionIDEcho: [UInt8]
    var cipherSuite: CipherSuite
    var extensions: [HelloRetryRequestExtension]

    init(legacySessionIDEcho: [UInt8] = [], cipherSuite: CipherSuite, extensions: [HelloRetryRequestExtension]) {
        self.legacyVersion = .tls12
        self.legacySessionIDEcho = legacySessionIDEcho
        self.cipherSuite = cipherSuite
        self.extensions = extensions
    }

    init(from reader: inout ByteReader) throws(TLSError) {
        let common = try ServerHelloCommonFields(from: &reader)
        guard common.random == ServerHello.helloRetryRequestRandom else {
            throw TLSError.decode(reason: "ServerHello parsed as HelloRetryRequest")
        }
        legacyVersion = common.legacyVersion
        legacySessionIDEcho = common.legacySessionIDEcho
        cipherSuite = common.cipherSuite
        extensions = try ExtensionBlock.read(HelloRetryRequestExtension.self, from: &reader, range: 6...0xFFFF)
    }

    func encode(into writer: inout ByteWriter) throws(EncodingError) {
        try ServerHelloCommonFields(
            legacyVersion: legacyVersion, random: ServerHello.helloRetryRequestRandom,
            legacySessionIDEcho: legacySessionIDEcho, cipherSuite: cipherSuite
        ).encode(into: &writer)
        try ExtensionBlock.write(extensions, into: &writer)
    }

    /// `supported_versions.selected_version`, if present.
    var selectedVersion: ProtocolVersion? {
        for case .supportedVersions(let v) in extensions { return v }
        return nil
    }

    /// The group the server asks the client to send a key share for, if present.
    var selectedGroup: NamedGroup? {
        for case .keyShare(let group) in extensions { return group }
        return nil
    }

    /// The cookie to echo in the second ClientHello, if present.
    var cookie: [UInt8]? {
        for case .cookie(let cookie) in extensions { return cookie }
        return nil
    }

    /// Whether the random of a ServerHello body (`legacy_version` then `random`) is the HelloRetryRequest
    /// value. Does not consume `reader`; short input answers `false` and fails in the real parse.
    static func isHelloRetryRequest(_ reader: ByteReader) -> Bool {
        var peek = reader
        do {
            _ = try peek.readUInt16()
            return try peek.readBytes(32) == ServerHello.helloRetryRequestRandom
        } catch {
            return false
        }
    }
}

/// The fields ServerHello and HelloRetryRequest share, up to the extensions.
private struct ServerHelloCommonFields {
    var legacyVersion: ProtocolVersion
    var random: [UInt8]
    var legacySessionIDEcho: [UInt8]
    var cipherSuite: CipherSuite

    init(legacyVersion: ProtocolVersion, random: [UInt8], legacySessionIDEcho: [UInt8], cipherSuite: CipherSuite) {
        self.legacyVersion = legacyVersion
        self.random = random
        self.legacySessionIDEcho = legacySessionIDEcho
        self.cipherSuite = cipherSuite
    }

    init(from reader: inout ByteReader) throws(TLSError) {
        legacyVersion = ProtocolVersion(rawValue: try reader.readUInt16("legacy_version"))
        random = try reader.readBytes(32, "random")
        legacySessionIDEcho = try reader.readVector(lengthBytes: 1, range: 0...32, "legacy_session_id_echo")
        cipherSuite = CipherSuite(rawValue: try reader.readUInt16("cipher_suite"))
        let compression = try reader.readUInt8("legacy_compression_method")
        guard compression == 0 else {
            throw TLSError.illegalParameter("ServerHello legacy_compression_method is \(compression), not 0")
        }
    }

    func encode(into writer: inout ByteWriter) throws(EncodingError) {
        precondition(random.count == 32, "ServerHello.random must be 32 bytes")
        precondition(legacySessionIDEcho.count <= 32, "legacy_session_id_echo<0..32>")
        writer.writeUInt16(legacyVersion.rawValue)
        writer.writeBytes(random)
        try writer.writeVector(1, legacySessionIDEcho)
        writer.writeUInt16(cipherSuite.rawValue)
        writer.writeUInt8(0)
    }
}
