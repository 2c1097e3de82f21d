// The client's side of Encrypted Client Hello (RFC 9849 §6.1) that sits between the message formats (Messages/),
// HPKE (Crypto/) and the state machine (Handshake/): choosing a config, sealing ClientHelloInner into
// ClientHelloOuter (also for the second ClientHello after a HelloRetryRequest), GREASE ECH, and the GREASE
// `pre_shared_key` of the outer hello. The state machine builds both ClientHellos and decides acceptance with
// `ECHAcceptance` (KeySchedule/).

/// One ECH offer: the selected ECHConfig, its cipher suite, and the HPKE context that seals every ClientHelloInner of
/// the connection (RFC 9849 §6.1: `enc, context = SetupBaseS(pkR, "tls ech" ‖ 0x00 ‖ ECHConfig)`; §6.1.5: the same
/// context, with `enc` empty, for the second ClientHelloOuter after a HelloRetryRequest).
final class ECHClientOffer {
    let config: ECHConfig
    let cipherSuite: HPKESymmetricCipherSuite
    private let context: HPKESenderContext

    /// The suites this library implements, in its preference: AES-128-GCM (the RFC's mandatory one), then
    /// ChaCha20-Poly1305, then AES-256-GCM; HKDF-SHA256 before HKDF-SHA384.
    static let preferredSuites: [HPKESymmetricCipherSuite] = [
        .init(kdf: .hkdfSHA256, aead: .aes128GCM), .init(kdf: .hkdfSHA256, aead: .chacha20Poly1305),
        .init(kdf: .hkdfSHA256, aead: .aes256GCM), .init(kdf: .hkdfSHA384, aead: .aes128GCM),
        .init(kdf: .hkdfSHA384, aead: .chacha20Poly1305), .init(kdf: .hkdfSHA384, aead: .aes256GCM),
    ]

    /// The first usable config of `list` (``ECHConfigList/select(publicKeyLength:supportsSuite:preferredSuites:)``
    /// with what ``HPKESuite`` implements), or `nil` when none is usable (then send GREASE ECH, §6.1).
    static func select(from list: ECHConfigList) -> (config: ECHConfig, suite: HPKESymmetricCipherSuite)? {
        list.select(publicKeyLength: HPKESuite.publicKeyLength(kem:), supportsSuite: HPKESuite.supports(_:),
                    preferredSuites: preferredSuites)
    }

    /// Sets up HPKE for `config` with `suite` (from ``select(from:)``).
    ///
    /// - Parameter ephemeralPrivateKey: HPKE's `skE`, for known-answer tests only.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when the config's key is not usable (HPKE refuses it).
    init(config: ECHConfig, suite: HPKESymmetricCipherSuite, ephemeralPrivateKey: [UInt8]? = nil) throws(TLSError) {
        guard config.cipherSuites.contains(suite) else {
            throw .invalidConfiguration("cipher suite \(suite) is not offered by ECHConfig \(config.configID)")
        }
        let hpkeSuite = try HPKESuite(kem: config.kemID, kdf: suite.kdf, aead: suite.aead)
        self.config = config
        self.cipherSuite = suite
        context = try HPKE.setupBaseSender(
            suite: hpkeSuite, recipientPublicKey: config.publicKey, info: config.hpkeInfo,
            ephemeralPrivateKey: ephemeralPrivateKey)
    }

    /// Sets up an offer for the first usable config of `list`.
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when no config is usable, with each config's reason.
    convenience init(list: ECHConfigList) throws(TLSError) {
        guard let (config, suite) = Self.select(from: list) else {
            let reasons = list.problems(publicKeyLength: HPKESuite.publicKeyLength(kem:), supportsSuite: HPKESuite.supports(_:))
                .map { $0 ?? "usable" }
            throw .invalidConfiguration("no usable ECHConfig in the list (\(reasons.joined(separator: "; ")))")
        }
        try self.init(config: config, suite: suite)
    }

    /// How many ClientHelloInners were sealed (0, 1, or 2 after a HelloRetryRequest).
    var sealedCount: UInt64 { context.sequenceNumber }

    /// The outer `encrypted_client_hello` with `payload` and `enc`.
    private func outerExtension(enc: [UInt8], payload: [UInt8]) -> ECHClientHello {
        .outer(cipherSuite: cipherSuite, configID: config.configID, enc: enc, payload: payload)
    }

    /// ClientHelloOuter for `inner` (RFC 9849 §6.1.1): encodes `inner` as EncodedClientHelloInner (compressing
    /// `compressing`, padding for this config), completes `outer` with the `encrypted_client_hello` extension, and
    /// seals the inner hello with ClientHelloOuterAAD as associated data.
    ///
    /// Call it once for the first ClientHello and once more, on the same offer, for the second after a
    /// HelloRetryRequest (`enc` is then empty, the sequence number 1).
    ///
    /// - Parameters:
    ///   - inner: ClientHelloInner, carrying `encrypted_client_hello` of type `inner` (``ECHClientHello/inner``).
    ///   - outer: ClientHelloOuter as built, everything but the ECH payload: if it has an `encrypted_client_hello`
    ///     extension (any body: a placeholder for its position, e.g. from the extension permutation), that one is
    ///     replaced in place; otherwise the extension is inserted before `pre_shared_key`, or last. Its `server_name`
    ///     should be the config's public name (§6.1 step 5), its `random` fresh, its `legacy_session_id` the inner's.
    ///   - compressing: extension types sent as `ech_outer_extensions` (contiguous in `inner`, in that order, and
    ///     present in `outer` in the same relative order with the same bodies).
    /// - Returns: the finished ClientHelloOuter.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when the inner hello lacks its marker, `compressing` breaks the
    ///   rules, or the outer hello does not carry the compressed extensions identically and in order.
    func sealOuter(inner: ClientHello, outer: ClientHello, compressing: [ExtensionType] = []) throws(TLSError)
        -> ClientHello
    {
        guard case .inner? = try ECHClientHello(in: inner) else {
            throw .invalidConfiguration("ClientHelloInner must carry encrypted_client_hello of type inner")
        }
        // The outer hello must hold the compressed extensions, identical and in the same relative order (§6.1 step 2).
        var next = outer.extensions.startIndex
        for type in compressing {
            while next < outer.extensions.endIndex, outer.extensions[next].extensionType != type { next += 1 }
            guard next < outer.extensions.endIndex, outer.extensions[next] == inner.extension(type) else {
                throw .invalidConfiguration("compressed extension \(type) is not in ClientHelloOuter as in the inner "
                    + "hello, in the same order")
            }
            next += 1
        }
        let encoded = try EncodedClientHelloInner.encode(
            inner: inner, outerExtensions: compressing, maximumNameLength: config.maximumNameLength)
        let sealedLength = encoded.count + 16  // every AEAD here has a 16-byte tag
        var hello = outer
        // `enc` as §5 says: the encapsulated key in the first ClientHelloOuter, empty in the second.
        let enc = context.sequenceNumber == 0 ? context.encapsulatedKey : []
        let placeholder = try outerExtension(enc: enc, payload: [UInt8](repeating: 0, count: sealedLength))
            .clientHelloExtension
        let index: Int
        if let existing = hello.extensions.firstIndex(where: { $0.extensionType == .encryptedClientHello }) {
            index = existing
            hello.extensions[index] = placeholder
        } else if let psk = hello.extensions.firstIndex(where: { $0.extensionType == .preSharedKey }) {
            index = psk
            hello.extensions.insert(placeholder, at: index)
        } else {
            index = hello.extensions.count
            hello.extensions.append(placeholder)
        }
        let aad = try ClientHelloOuterAAD.bytes(hello)
        let payload = try context.seal(aad: aad, plaintext: encoded)
        guard payload.count == sealedLength else { throw .internalError("HPKE ciphertext of unexpected length") }
        hello.extensions[index] = try outerExtension(enc: enc, payload: payload).clientHelloExtension
        return hello
    }
}

/// GREASE ECH (RFC 9849 §6.2.1): an `encrypted_client_hello` that looks like a real offer to an observer, sent when the
/// client has no usable config. The server ignores it (or sends retry configs, which the client checks for syntax and
/// then ignores: it "MUST NOT save the retry_configs value").
enum ECHGrease {
    /// The cipher suite GREASE ECH claims: HKDF-SHA256 with AES-128-GCM, the mandatory-to-implement one (§9).
    static let cipherSuite = HPKESymmetricCipherSuite(kdf: .hkdfSHA256, aead: .aes128GCM)

    /// The payload length of a GREASE extension for a ClientHello that, as an inner hello, would be `hello` (its
    /// `server_name` included): L + 16, with L the EncodedClientHelloInner length padded as §6.1.3 says with a
    /// `maximum_name_length` of 0 (no config), as BoringSSL sizes its own.
    ///
    /// - Parameter compressed: the extensions a real offer would compress into `ech_outer_extensions` (they are then
    ///   counted as that one extension, as a real ClientHelloInner of this client would be sized).
    static func payloadLength(
        for hello: ClientHello, compressed: (ClientHelloExtension) -> Bool = { _ in false }
    ) throws(TLSError) -> Int {
        var inner = hello
        inner.extensions.removeAll { $0.extensionType == .encryptedClientHello }
        let shared = inner.extensions.filter(compressed).map(\.extensionType)
        if !shared.isEmpty {
            inner.extensions.removeAll(where: compressed)
            let at = inner.extensions.firstIndex { $0.extensionType == .preSharedKey } ?? inner.extensions.count
            inner.extensions.insert(try ECHOuterExtensions(types: shared).clientHelloExtension, at: at)
        }
        let markerIndex = inner.extensions.firstIndex { $0.extensionType == .preSharedKey } ?? inner.extensions.count
        inner.extensions.insert(try ECHClientHello.inner.clientHelloExtension, at: markerIndex)
        return try EncodedClientHelloInner.encode(inner: inner, maximumNameLength: 0).count + 16
    }

    /// A GREASE `encrypted_client_hello`: a random `config_id`, ``cipherSuite``, `enc` a fresh X25519 public key (a
    /// valid KEM output), and `payloadLength` random bytes.
    static func makeExtension(payloadLength: Int, random: RandomSource) throws(TLSError) -> ECHClientHello {
        guard (1...0xFFFF).contains(payloadLength) else {
            throw .invalidConfiguration("GREASE ECH payload of \(payloadLength) bytes")
        }
        guard let configID = try random.bytes(1).first else { throw .internalError("no random byte") }
        let enc = try EVPKeyShare(curve: .x25519).publicKey
        return .outer(cipherSuite: cipherSuite, configID: configID, enc: enc, payload: try random.bytes(payloadLength))
    }

    /// The GREASE `pre_shared_key` for ClientHelloOuter when ClientHelloInner offers `inner` (RFC 9849 §6.1.2): per
    /// identity a random identity of the same length and a random `obfuscated_ticket_age`, per binder random bytes of
    /// the same length. (The outer hello must then also copy `psk_key_exchange_modes`.)
    static func pskExtension(mirroring inner: OfferedPSKs, random: RandomSource) throws(TLSError) -> OfferedPSKs {
        var identities: [OfferedPSKs.Identity] = []
        for identity in inner.identities {
            let age = try random.bytes(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            identities.append(.init(identity: try random.bytes(identity.identity.count), obfuscatedTicketAge: age))
        }
        var binders: [[UInt8]] = []
        for binder in inner.binders { binders.append(try random.bytes(binder.count)) }
        return OfferedPSKs(identities: identities, binders: binders)
    }
}
