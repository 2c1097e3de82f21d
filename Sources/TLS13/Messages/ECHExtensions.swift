// The bodies of the Encrypted Client Hello extensions (RFC 9849 §5), as Messages-level types. Each converts to and
// from the generic extension enums (`.unknown(type, body)` there), so that the message enums stay as they are.

/// The `encrypted_client_hello` extension of a ClientHello (RFC 9849 §5):
///
/// ```
/// enum { outer(0), inner(1) } ECHClientHelloType;
/// struct {
///    ECHClientHelloType type;
///    select (ECHClientHello.type) {
///        case outer:
///            HpkeSymmetricCipherSuite cipher_suite;
///            uint8 config_id;
///            opaque enc<0..2^16-1>;
///            opaque payload<1..2^16-1>;
///        case inner:
///            Empty;
///    };
/// } ECHClientHello;
/// ```
enum ECHClientHello: Hashable, Sendable {
    /// In ClientHelloOuter (or a GREASE extension): `enc` is empty in the second ClientHelloOuter after a
    /// HelloRetryRequest (§5); `payload` is the sealed EncodedClientHelloInner.
    case outer(cipherSuite: HPKESymmetricCipherSuite, configID: UInt8, enc: [UInt8], payload: [UInt8])
    /// In ClientHelloInner: the one-byte marker.
    case inner

    static let outerType: UInt8 = 0
    static let innerType: UInt8 = 1

    /// Parses an extension body; all of it must be consumed.
    ///
    /// - Throws: `decode_error` for a short or long body, an empty payload, or an unknown type.
    init(body: [UInt8]) throws(TLSError) {
        var reader = ByteReader(body)
        switch try reader.readUInt8("ECHClientHello type") {
        case Self.outerType:
            let kdf = HPKEKDFID(rawValue: try reader.readUInt16("ECHClientHello kdf_id"))
            let aead = HPKEAEADID(rawValue: try reader.readUInt16("ECHClientHello aead_id"))
            let configID = try reader.readUInt8("ECHClientHello config_id")
            let enc = try reader.readVector(lengthBytes: 2, range: 0...0xFFFF, "ECHClientHello enc")
            let payload = try reader.readVector(lengthBytes: 2, range: 1...0xFFFF, "ECHClientHello payload")
            self = .outer(cipherSuite: HPKESymmetricCipherSuite(kdf: kdf, aead: aead), configID: configID, enc: enc,
                          payload: payload)
        case Self.innerType:
            self = .inner
        case let type:
            throw TLSError.decode(reason: "encrypted_client_hello: unknown ECHClientHelloType \(type)")
        }
        try reader.expectEmpty("encrypted_client_hello")
    }

    /// The extension's body (`extension_data`).
    var body: [UInt8] {
        get throws(TLSError) {
            try ByteWriter.encoding("encrypted_client_hello") { (writer) throws(EncodingError) in
                switch self {
                case .outer(let suite, let configID, let enc, let payload):
                    writer.writeUInt8(Self.outerType)
                    writer.writeUInt16(suite.kdf.rawValue)
                    writer.writeUInt16(suite.aead.rawValue)
                    writer.writeUInt8(configID)
                    try writer.writeVector(2, enc)
                    try writer.writeVector(2, payload)
                case .inner:
                    writer.writeUInt8(Self.innerType)
                }
            }
        }
    }

    /// As a ClientHello extension.
    var clientHelloExtension: ClientHelloExtension {
        get throws(TLSError) { .unknown(.encryptedClientHello, try body) }
    }

    /// The ECH extension of `hello`, parsed, or `nil` when it has none.
    init?(in hello: ClientHello) throws(TLSError) {
        guard case .unknown(.encryptedClientHello, let body)? = hello.extension(.encryptedClientHello) else {
            return nil
        }
        try self.init(body: body)
    }

    /// The length of `payload` of an outer extension (0 for the inner one).
    var payloadLength: Int {
        if case .outer(_, _, _, let payload) = self { return payload.count }
        return 0
    }
}

/// The `encrypted_client_hello` extension of EncryptedExtensions (RFC 9849 §5): `struct { ECHConfigList
/// retry_configs; } ECHEncryptedExtensions;` — the server rejected ECH and offers these configs for a retry.
struct ECHEncryptedExtensions: Hashable, Sendable {
    var retryConfigs: ECHConfigList

    init(retryConfigs: ECHConfigList) {
        self.retryConfigs = retryConfigs
    }

    /// - Throws: `decode_error` when the body is not exactly one well-formed ECHConfigList (§6.1.6: "the client MUST
    ///   check that it is syntactically valid and ... abort the connection with a "decode_error" alert otherwise").
    init(body: [UInt8]) throws(TLSError) {
        retryConfigs = try ECHConfigList(bytes: body)
    }

    var body: [UInt8] {
        get throws(TLSError) { try retryConfigs.encoded }
    }

    var encryptedExtension: EncryptedExtension {
        get throws(TLSError) { .unknown(.encryptedClientHello, try body) }
    }

    /// The ECH extension of `extensions`, parsed, or `nil` when there is none.
    init?(in extensions: EncryptedExtensions) throws(TLSError) {
        for case .unknown(.encryptedClientHello, let body) in extensions.extensions {
            try self.init(body: body)
            return
        }
        return nil
    }
}

/// The `encrypted_client_hello` extension of a HelloRetryRequest (RFC 9849 §5): `struct { opaque confirmation[8]; }
/// ECHHelloRetryRequest;` — the backend server's `hrr_accept_confirmation`.
struct ECHHelloRetryRequest: Hashable, Sendable {
    static let confirmationLength = 8
    var confirmation: [UInt8]

    init(confirmation: [UInt8]) {
        self.confirmation = confirmation
    }

    /// - Throws: `decode_error` when the body is not exactly 8 bytes (§6.1.4: "if it has a length other than 8, the
    ///   client aborts the handshake with a "decode_error" alert").
    init(body: [UInt8]) throws(TLSError) {
        guard body.count == Self.confirmationLength else {
            throw TLSError.decode(reason: "encrypted_client_hello in HelloRetryRequest: \(body.count) bytes, not 8")
        }
        confirmation = body
    }

    var helloRetryRequestExtension: HelloRetryRequestExtension { .unknown(.encryptedClientHello, confirmation) }

    /// The ECH extension of `hrr`, parsed, or `nil` when there is none.
    init?(in hrr: HelloRetryRequest) throws(TLSError) {
        for case .unknown(.encryptedClientHello, let body) in hrr.extensions {
            try self.init(body: body)
            return
        }
        return nil
    }
}

/// `ech_outer_extensions` (RFC 9849 §5.1): `ExtensionType OuterExtensions<2..254>;` — in EncodedClientHelloInner
/// only, the extensions to copy from ClientHelloOuter, in order.
struct ECHOuterExtensions: Hashable, Sendable {
    var types: [ExtensionType]

    init(types: [ExtensionType]) {
        self.types = types
    }

    /// - Throws: `decode_error` for a length outside 2...254, an odd length, or trailing bytes.
    init(body: [UInt8]) throws(TLSError) {
        var reader = ByteReader(body)
        types = try reader.readUInt16List(lengthBytes: 1, range: 2...254, "OuterExtensions").map(ExtensionType.init)
        try reader.expectEmpty("ech_outer_extensions")
    }

    var body: [UInt8] {
        get throws(TLSError) {
            try ByteWriter.encoding("ech_outer_extensions") { (w) throws(EncodingError) in
                try w.writeUInt16List(lengthBytes: 1, types.map(\.rawValue))
            }
        }
    }

    var clientHelloExtension: ClientHelloExtension {
        get throws(TLSError) { .unknown(.echOuterExtensions, try body) }
    }
}
