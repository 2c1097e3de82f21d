/// ClientHello (RFC 8446 §4.1.2).
///
/// ```
/// struct {
///     ProtocolVersion legacy_version = 0x0303;
///     Random random;
///     opaque legacy_session_id<0..32>;
///     CipherSuite cipher_suites<2..2^16-2>;
///     opaque legacy_compression_methods<1..2^8-1>;
///     Extension extensions<8..2^16-1>;
/// } ClientHello;
/// ```
struct ClientHello: Hashable, Sendable {
    var legacyVersion: ProtocolVersion
    /// 32 bytes from a secure random source.
    var random: [UInt8]
    /// Empty, or 32 random bytes in middlebox compatibility mode (RFC 8446 §D.4).
    var legacySessionID: [UInt8]
    var cipherSuites: [CipherSuite]
    /// Exactly `[0]` ("null") in TLS 1.3.
    var legacyCompressionMethods: [UInt8]
    /// In the order they go on the wire; `pre_shared_key`, if present, is last.
    var extensions: [ClientHelloExtension]

    init(
        random: [UInt8], legacySessionID: [UInt8] = [], cipherSuites: [CipherSuite],
        extensions: [ClientHelloExtension]
    ) {
        self.legacyVersion = .tls12
        self.random = random
        self.legacySessionID = legacySessionID
        self.cipherSuites = cipherSuites
        self.legacyCompressionMethods = [0]
        self.extensions = extensions
    }

    init(from reader: inout ByteReader) throws(TLSError) {
        legacyVersion = ProtocolVersion(rawValue: try reader.readUInt16("legacy_version"))
        random = try reader.readBytes(32, "random")
        legacySessionID = try reader.readVector(lengthBytes: 1, range: 0...32, "legacy_session_id")
        cipherSuites = try reader.readUInt16List(lengthBytes: 2, range: 2...0xFFFE, "cipher_suites")
            .map(CipherSuite.init(rawValue:))
        legacyCompressionMethods = try reader.readVector(lengthBytes: 1, range: 1...0xFF, "legacy_compression_methods")
        extensions = try ExtensionBlock.read(ClientHelloExtension.self, from: &reader, range: 8...0xFFFF)
        if let index = extensions.firstIndex(where: { $0.extensionType == .preSharedKey }),
            index != extensions.count - 1
        {
            throw TLSError.illegalParameter("pre_shared_key is not the last ClientHello extension")
        }
    }

    func encode(into writer: inout ByteWriter) throws(EncodingError) {
        precondition(random.count == 32, "ClientHello.random must be 32 bytes")
        precondition(legacySessionID.count <= 32, "legacy_session_id<0..32>")
        precondition(!cipherSuites.isEmpty, "cipher_suites<2..2^16-2>")
        writer.writeUInt16(legacyVersion.rawValue)
        writer.writeBytes(random)
        try writer.writeVector(1, legacySessionID)
        try writer.writeUInt16List(lengthBytes: 2, cipherSuites.map(\.rawValue))
        try writer.writeVector(1, legacyCompressionMethods)
        try ExtensionBlock.write(extensions, into: &writer)
    }

    /// The first extension of type `type`, if any.
    func `extension`(_ type: ExtensionType) -> ClientHelloExtension? {
        extensions.first { $0.extensionType == type }
    }

    /// The key shares offered (empty if there is no `key_share` extension).
    var keyShares: [KeyShareEntry] {
        if case .keyShare(let shares)? = `extension`(.keyShare) { return shares }
        return []
    }

    /// The `pre_shared_key` offer, if any.
    var offeredPSKs: OfferedPSKs? {
        if case .preSharedKey(let offer)? = extensions.last { return offer }
        return nil
    }

    /// The whole handshake message (header included, with the length of the *full* message) up to but not
    /// including the binder list: the input to the PSK binder's transcript hash (RFC 8446 §4.2.11.2).
    ///
    /// Precondition: the last extension is `pre_shared_key`.
    func truncatedForBinders() throws(TLSError) -> [UInt8] {
        guard let offer = offeredPSKs else { preconditionFailure("truncatedForBinders needs a pre_shared_key offer") }
        let full = try HandshakeMessage.clientHello(self).encoded
        return Array(full.dropLast(offer.bindersEncodedLength))
    }

    /// This ClientHello with the PSK binders replaced. Each new binder must have the length of the one it
    /// replaces, so that the truncated hello (and thus the binder input) is unchanged.
    func settingBinders(_ binders: [[UInt8]]) -> ClientHello {
        guard var offer = offeredPSKs else { preconditionFailure("settingBinders needs a pre_shared_key offer") }
        precondition(binders.map(\.count) == offer.binders.map(\.count), "binder lengths must not change")
        offer.binders = binders
        var copy = self
        copy.extensions[copy.extensions.count - 1] = .preSharedKey(offer)
        return copy
    }
}
