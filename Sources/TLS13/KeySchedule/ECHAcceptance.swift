/// The server's signal that it accepted Encrypted Client Hello (RFC 9849 §7.2, §7.2.1), as the client checks it.
///
/// ```
/// accept_confirmation = HKDF-Expand-Label(
///    HKDF-Extract(0, ClientHelloInner.random),
///    "ech accept confirmation",
///    transcript_ech_conf,
///    8)
/// hrr_accept_confirmation = HKDF-Expand-Label(
///    HKDF-Extract(0, ClientHelloInner1.random),
///    "hrr ech accept confirmation",
///    transcript_hrr_ech_conf,
///    8)
/// ```
///
/// `transcript_ech_conf` is the transcript hash of the **inner** handshake (ClientHelloInner …, after a
/// HelloRetryRequest `message_hash(ClientHelloInner1) ‖ HelloRetryRequest ‖ ClientHelloInner2`) up to and including
/// the ServerHello with the last 8 bytes of its random set to zero (``serverHelloForConfirmation(_:)``);
/// `transcript_hrr_ech_conf` that of ClientHelloInner1 and the HelloRetryRequest with its `encrypted_client_hello`
/// payload set to zero (``helloRetryRequestForConfirmation(_:)``) — ClientHelloInner1 already replaced by
/// `message_hash` as RFC 8446 §4.4.1 does on a HelloRetryRequest, i.e.
/// `Hash(message_hash(ClientHelloInner1) ‖ HelloRetryRequest_zeroed)`, as Go and BoringSSL compute it (checked against
/// Go's server in ECHServerTests). Hash is the cipher suite's the ServerHello / HelloRetryRequest selected.
enum ECHAcceptance {
    static let confirmationLength = 8

    /// `accept_confirmation` (or `hrr_accept_confirmation` when `helloRetryRequest`).
    ///
    /// - Parameters:
    ///   - hash: the hash of the cipher suite the ServerHello (or HelloRetryRequest) selected.
    ///   - innerRandom: ClientHelloInner.random (ClientHelloInner1's for both after a HelloRetryRequest: the second
    ///     inner ClientHello keeps the first one's random, RFC 8446 §4.1.2).
    ///   - transcriptHash: `transcript_ech_conf` / `transcript_hrr_ech_conf` as above.
    static func confirmation(
        hash: HashAlgorithm, innerRandom: [UInt8], transcriptHash: [UInt8], helloRetryRequest: Bool
    ) throws(TLSError) -> [UInt8] {
        let hkdf = try HKDF(hash)
        let secret = try hkdf.extract(salt: [], ikm: innerRandom)
        return try hkdf.expandLabel(
            secret: secret, label: helloRetryRequest ? "hrr ech accept confirmation" : "ech accept confirmation",
            context: transcriptHash, length: confirmationLength)
    }

    /// Whether `received` (the last 8 bytes of ServerHello.random, or the HelloRetryRequest's extension payload) is
    /// `expected`, compared in constant time.
    static func matches(expected: [UInt8], received: [UInt8]) -> Bool {
        expected.count == confirmationLength && constantTimeEqual(expected, received)
    }

    /// Offset of ServerHello.random's last 8 bytes in the whole handshake message: header (4), legacy_version (2),
    /// then the first 24 bytes of the random.
    private static let serverHelloConfirmationOffset = HandshakeMessage.headerLength + 2 + 24

    /// A ServerHello handshake message (header included, as it entered the transcript) split into the form that goes
    /// into `transcript_ech_conf` — the same bytes with the last 8 of `random` zeroed — and those 8 bytes.
    ///
    /// - Throws: `decode_error` when `message` is too short to be a ServerHello.
    static func serverHelloForConfirmation(_ message: [UInt8]) throws(TLSError) -> (zeroed: [UInt8], confirmation: [UInt8]) {
        let range = serverHelloConfirmationOffset..<(serverHelloConfirmationOffset + confirmationLength)
        guard message.count >= range.upperBound, message.first == HandshakeType.serverHello.rawValue else {
            throw TLSError.decode(reason: "ServerHello too short for an ECH confirmation")
        }
        var zeroed = message
        zeroed.replaceSubrange(range, with: repeatElement(0, count: confirmationLength))
        return (zeroed, Array(message[range]))
    }

    /// A HelloRetryRequest handshake message (header included, as received) split into the form that goes into
    /// `transcript_hrr_ech_conf` — the same bytes with the `encrypted_client_hello` payload zeroed — and that payload;
    /// `nil` when the HelloRetryRequest has no `encrypted_client_hello` (the server rejected ECH, §6.1.4).
    ///
    /// - Throws: `decode_error` when the message is malformed or the extension is not 8 bytes long (§6.1.4).
    static func helloRetryRequestForConfirmation(_ message: [UInt8]) throws(TLSError)
        -> (zeroed: [UInt8], confirmation: [UInt8])?
    {
        var reader = ByteReader(message)
        guard try reader.readUInt8("msg_type") == HandshakeType.serverHello.rawValue else {
            throw TLSError.decode(reason: "not a HelloRetryRequest")
        }
        var body = try reader.readVectorReader(lengthBytes: 3, range: 0...0xFF_FFFF, "HelloRetryRequest")
        try reader.expectEmpty("HelloRetryRequest")
        _ = try body.readBytes(2 + 32, "legacy_version, random")
        _ = try body.readVector(lengthBytes: 1, range: 0...32, "legacy_session_id_echo")
        _ = try body.readBytes(2 + 1, "cipher_suite, legacy_compression_method")
        var extensions = try body.readVectorReader(lengthBytes: 2, range: 0...0xFFFF, "extensions")
        try body.expectEmpty("HelloRetryRequest")
        var found: Range<Int>?
        while !extensions.isEmpty {
            let type = try extensions.readUInt16("extension type")
            let data = try extensions.readVectorReader(lengthBytes: 2, range: 0...0xFFFF, "extension_data")
            if type == ExtensionType.encryptedClientHello.rawValue {
                guard found == nil else { throw TLSError.decode(reason: "duplicate extension encrypted_client_hello") }
                guard data.remaining == confirmationLength else {
                    throw TLSError.decode(
                        reason: "encrypted_client_hello in HelloRetryRequest: \(data.remaining) bytes, not 8")
                }
                found = data.position..<data.end
            }
        }
        guard let range = found else { return nil }
        var zeroed = message
        zeroed.replaceSubrange(range, with: repeatElement(0, count: confirmationLength))
        return (zeroed, Array(message[range]))
    }
}
