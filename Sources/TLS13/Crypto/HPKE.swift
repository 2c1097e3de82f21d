internal import COpenSSL

// Hybrid Public Key Encryption (RFC 9180), base mode, for Encrypted Client Hello (RFC 9849 §6.1): the client seals
// the ClientHelloInner to the public key of an ECHConfig. Built here on libcrypto's primitives — this library's own
// HKDF (``HKDF``, ``HMAC``), X25519 / P-256 (``EVPKeyShare``) and AEADs (``EVPAEAD``) — rather than on swift-crypto's
// `HPKE`; Docs/Architecture.md ("HPKE") says why. Checked against RFC 9180's test vectors (Tests/TLS13Tests/Vectors/hpke/)
// and against swift-crypto's `HPKE.Recipient` (HPKETests).
//
// Implemented: KEMs DHKEM(X25519, HKDF-SHA256) and DHKEM(P-256, HKDF-SHA256); KDFs HKDF-SHA256 and HKDF-SHA384;
// AEADs AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305. Not implemented (a config naming only these is skipped):
// the P-384, P-521 and X448 KEMs, HKDF-SHA512, export-only.

/// An HPKE cipher suite this library implements: a KEM, a KDF and an AEAD (RFC 9180 §5.1).
struct HPKESuite: Hashable, Sendable, CustomStringConvertible {
    let kem: HPKEKEMID
    let kdf: HPKEKDFID
    let aead: HPKEAEADID

    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when one of the three is not implemented here.
    init(kem: HPKEKEMID, kdf: HPKEKDFID, aead: HPKEAEADID) throws(TLSError) {
        guard Self.supports(kem: kem) else { throw .invalidConfiguration("HPKE KEM \(kem) is not supported") }
        guard Self.supports(HPKESymmetricCipherSuite(kdf: kdf, aead: aead)) else {
            throw .invalidConfiguration("HPKE suite \(kdf), \(aead) is not supported")
        }
        self.kem = kem
        self.kdf = kdf
        self.aead = aead
    }

    /// Whether `kem` is implemented.
    static func supports(kem: HPKEKEMID) -> Bool {
        kem == .x25519HKDFSHA256 || kem == .p256HKDFSHA256
    }

    /// Whether the KDF and AEAD of `suite` are implemented.
    static func supports(_ suite: HPKESymmetricCipherSuite) -> Bool {
        (suite.kdf == .hkdfSHA256 || suite.kdf == .hkdfSHA384)
            && (suite.aead == .aes128GCM || suite.aead == .aes256GCM || suite.aead == .chacha20Poly1305)
    }

    /// `Npk` = `Nenc` of the KEM: the length of a serialized public key and of `enc` (RFC 9180 §7.1).
    static func publicKeyLength(kem: HPKEKEMID) -> Int? {
        switch kem {
        case .x25519HKDFSHA256: 32
        case .p256HKDFSHA256: 65
        default: nil
        }
    }

    var description: String { "\(kem), \(kdf), \(aead)" }

    // MARK: Parameters (internal to the construction)

    /// The KEM's Diffie-Hellman group.
    var curve: KeyExchangeCurve { kem == .p256HKDFSHA256 ? .secp256r1 : .x25519 }
    /// `Npk` = `Nenc`.
    var encLength: Int { curve.shareLength }
    /// The hash of the KEM's own HKDF: SHA-256 for both KEMs here.
    var kemHash: HashAlgorithm { .sha256 }
    /// `Nsecret`: the KEM shared secret's length (RFC 9180 §7.1: 32 for both).
    var sharedSecretLength: Int { 32 }
    /// The hash of the suite's KDF (`Nh` = its length).
    var kdfHash: HashAlgorithm { kdf == .hkdfSHA384 ? .sha384 : .sha256 }
    /// The AEAD (`Nk` = its key length, `Nn` = 12, `Nt` = 16).
    var aeadAlgorithm: AEADAlgorithm {
        switch aead {
        case .aes256GCM: .aes256GCM
        case .chacha20Poly1305: .chacha20Poly1305
        default: .aes128GCM
        }
    }

    /// `suite_id` of the KEM: `"KEM" ‖ I2OSP(kem_id, 2)` (RFC 9180 §4.1).
    var kemSuiteID: [UInt8] { Array("KEM".utf8) + Self.i2osp2(kem.rawValue) }
    /// `suite_id` of the key schedule and AEAD: `"HPKE" ‖ I2OSP(kem_id, 2) ‖ I2OSP(kdf_id, 2) ‖ I2OSP(aead_id, 2)`
    /// (RFC 9180 §5.1).
    var hpkeSuiteID: [UInt8] {
        Array("HPKE".utf8) + Self.i2osp2(kem.rawValue) + Self.i2osp2(kdf.rawValue) + Self.i2osp2(aead.rawValue)
    }

    static func i2osp2(_ v: UInt16) -> [UInt8] { [UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
}

/// RFC 9180's functions, base mode only (mode_base = 0x00: no PSK, no sender authentication).
enum HPKE {
    /// The secrets of one base-mode key schedule (RFC 9180 §5.1); exposed for the known-answer tests.
    struct KeyScheduleOutput {
        let key: SecretBytes
        let baseNonce: SecretBytes
        let exporterSecret: SecretBytes
        /// `key_schedule_context` = mode ‖ psk_id_hash ‖ info_hash (public).
        let context: [UInt8]

        /// An AEAD context keyed with ``key`` (the copy handed to libcrypto is wiped at once; libcrypto keeps its own).
        func cipher(_ algorithm: AEADAlgorithm, sealing: Bool) throws(TLSError) -> EVPAEAD {
            var bytes = key.withUnsafeBytes { [UInt8]($0) }
            defer { wipe(&bytes) }
            return try EVPAEAD(algorithm, key: bytes, sealing: sealing)
        }
    }

    /// `SetupBaseS(pkR, info)` (RFC 9180 §5.1.1): encapsulates to `recipientPublicKey` and returns the sender's
    /// context, whose ``HPKESenderContext/encapsulatedKey`` goes on the wire (ECH: `enc` of the first
    /// ClientHelloOuter) and whose ``HPKESenderContext/seal(aad:plaintext:)`` is called once per ClientHelloInner
    /// (twice after a HelloRetryRequest: the same context, sequence number 1; RFC 9849 §6.1.5).
    ///
    /// - Parameters:
    ///   - recipientPublicKey: `pkR` serialized (`SerializePublicKey`): 32 bytes for X25519, the 65-byte uncompressed
    ///     point for P-256.
    ///   - info: the application's info string (ECH: `"tls ech" ‖ 0x00 ‖ ECHConfig`).
    ///   - ephemeralPrivateKey: `skE` for known-answer tests; `nil` (always, outside tests) generates a fresh one.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when `recipientPublicKey` has the wrong length or is not a
    ///   valid key of the KEM's group (a bad ECHConfig), or ``TLSError/internalError(_:)`` on a libcrypto failure.
    static func setupBaseSender(
        suite: HPKESuite, recipientPublicKey: [UInt8], info: [UInt8], ephemeralPrivateKey: [UInt8]? = nil
    ) throws(TLSError) -> HPKESenderContext {
        let (sharedSecret, enc) = try encapsulate(
            suite: suite, recipientPublicKey: recipientPublicKey, ephemeralPrivateKey: ephemeralPrivateKey)
        let schedule = try keySchedule(suite: suite, sharedSecret: sharedSecret, info: info)
        return try HPKESenderContext(suite: suite, encapsulatedKey: enc, schedule: schedule)
    }

    /// `SetupBaseR(enc, skR, info)` (RFC 9180 §5.1.1): the recipient's side, for tests and test servers.
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` for a malformed private key,
    ///   ``TLSError/protocolViolation(alert:reason:)`` (`decrypt_error`) when `enc` is not a valid public key.
    static func setupBaseRecipient(
        suite: HPKESuite, encapsulatedKey: [UInt8], recipientPrivateKey: [UInt8], info: [UInt8]
    ) throws(TLSError) -> HPKERecipientContext {
        guard encapsulatedKey.count == suite.encLength else {
            throw .protocolViolation(alert: .decryptError, reason: "HPKE enc is \(encapsulatedKey.count) bytes, "
                + "not \(suite.encLength)")
        }
        let recipient: EVPKeyShare
        do throws(TLSError) {
            recipient = try EVPKeyShare(curve: suite.curve, privateKey: recipientPrivateKey)
        } catch {
            throw .invalidConfiguration("HPKE recipient private key: \(error)")
        }
        let dh: SecretBytes
        do throws(TLSError) {
            dh = try recipient.sharedSecret(peerPublicKey: encapsulatedKey)
        } catch {
            throw .protocolViolation(alert: .decryptError, reason: "HPKE Decap: \(error)")
        }
        let sharedSecret = try extractAndExpand(
            suite: suite, dh: dh, kemContext: encapsulatedKey + recipient.publicKey)
        let schedule = try keySchedule(suite: suite, sharedSecret: sharedSecret, info: info)
        return try HPKERecipientContext(suite: suite, schedule: schedule)
    }

    /// `Encap(pkR)` of DHKEM (RFC 9180 §4.1): the KEM shared secret and `enc`.
    static func encapsulate(
        suite: HPKESuite, recipientPublicKey: [UInt8], ephemeralPrivateKey: [UInt8]? = nil
    ) throws(TLSError) -> (sharedSecret: SecretBytes, enc: [UInt8]) {
        guard recipientPublicKey.count == suite.encLength else {
            throw .invalidConfiguration("HPKE public key for \(suite.kem) is \(recipientPublicKey.count) bytes, "
                + "not \(suite.encLength)")
        }
        let ephemeral = try EVPKeyShare(curve: suite.curve, privateKey: ephemeralPrivateKey)
        let dh: SecretBytes
        do throws(TLSError) {
            dh = try ephemeral.sharedSecret(peerPublicKey: recipientPublicKey)
        } catch {
            // A public key not on the curve, or an X25519 key of small order: the config is unusable.
            throw .invalidConfiguration("HPKE public key for \(suite.kem) rejected: \(error)")
        }
        let enc = ephemeral.publicKey
        let sharedSecret = try extractAndExpand(suite: suite, dh: dh, kemContext: enc + recipientPublicKey)
        return (sharedSecret, enc)
    }

    /// `ExtractAndExpand(dh, kem_context)` of DHKEM (RFC 9180 §4.1), with the KEM's own suite_id.
    private static func extractAndExpand(
        suite: HPKESuite, dh: SecretBytes, kemContext: [UInt8]
    ) throws(TLSError) -> SecretBytes {
        let hkdf = try HKDF(suite.kemHash)
        let suiteID = suite.kemSuiteID
        let prk = try dh.withUnsafeBytes { (ikm) throws(TLSError) in
            try labeledExtract(hkdf, suiteID: suiteID, salt: nil, label: "eae_prk", ikm: ikm)
        }
        var secret = try labeledExpand(
            hkdf, suiteID: suiteID, prk: prk, label: "shared_secret", info: kemContext,
            length: suite.sharedSecretLength)
        return SecretBytes(consuming: &secret)
    }

    /// `KeySchedule<ROLE>(mode_base, shared_secret, info, default_psk, default_psk_id)` (RFC 9180 §5.1).
    static func keySchedule(suite: HPKESuite, sharedSecret: SecretBytes, info: [UInt8]) throws(TLSError)
        -> KeyScheduleOutput
    {
        let hkdf = try HKDF(suite.kdfHash)
        let suiteID = suite.hpkeSuiteID
        let none = UnsafeRawBufferPointer(start: nil, count: 0)  // default_psk, default_psk_id: empty
        let pskIDHash = try labeledExtract(hkdf, suiteID: suiteID, salt: nil, label: "psk_id_hash", ikm: none)
        let infoHash = try labeledExtract(hkdf, suiteID: suiteID, salt: nil, label: "info_hash", ikm: info)
        // Both hashes are of public inputs.
        let context = [0x00] + pskIDHash.withUnsafeBytes { [UInt8]($0) } + infoHash.withUnsafeBytes { [UInt8]($0) }
        let secret = try sharedSecret.withUnsafeBytes { (salt) throws(TLSError) in
            try labeledExtract(hkdf, suiteID: suiteID, salt: salt, label: "secret", ikm: none)
        }
        let aead = suite.aeadAlgorithm
        var key = try labeledExpand(hkdf, suiteID: suiteID, prk: secret, label: "key", info: context,
                                    length: aead.keyLength)
        var nonce = try labeledExpand(hkdf, suiteID: suiteID, prk: secret, label: "base_nonce", info: context,
                                      length: aead.nonceLength)
        var exporter = try labeledExpand(hkdf, suiteID: suiteID, prk: secret, label: "exp", info: context,
                                         length: suite.kdfHash.length)
        return KeyScheduleOutput(
            key: SecretBytes(consuming: &key), baseNonce: SecretBytes(consuming: &nonce),
            exporterSecret: SecretBytes(consuming: &exporter), context: context)
    }

    /// `LabeledExtract(salt, label, ikm)` = `Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm)` (RFC 9180 §4); a
    /// `nil` (or empty) salt is `Nh` zero bytes (RFC 5869 §2.2; the same HMAC key).
    private static func labeledExtract(
        _ hkdf: HKDF, suiteID: [UInt8], salt: UnsafeRawBufferPointer?, label: StaticString,
        ikm: UnsafeRawBufferPointer
    ) throws(TLSError) -> SecretBytes {
        var copy = [UInt8](ikm)
        defer { wipe(&copy) }
        return try labeledExtract(hkdf, suiteID: suiteID, salt: salt, label: label, ikm: copy)
    }

    /// ``labeledExtract(_:suiteID:salt:label:ikm:)`` with the input as an array (wiped here, as it may be a secret).
    private static func labeledExtract(
        _ hkdf: HKDF, suiteID: [UInt8], salt: UnsafeRawBufferPointer?, label: StaticString, ikm: [UInt8]
    ) throws(TLSError) -> SecretBytes {
        var labeledIKM = versionLabel + suiteID + bytes(label)
        labeledIKM.append(contentsOf: ikm)
        defer { wipe(&labeledIKM) }
        var prk: [UInt8]
        if let salt, salt.count > 0 {
            prk = try hkdf.hmac.authenticate(key: salt, labeledIKM)
        } else {
            prk = try hkdf.hmac.authenticate(key: [UInt8](repeating: 0, count: hkdf.algorithm.length), labeledIKM)
        }
        return SecretBytes(consuming: &prk)
    }

    /// `LabeledExpand(prk, label, info, L)` = `Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ label ‖ info, L)`.
    private static func labeledExpand(
        _ hkdf: HKDF, suiteID: [UInt8], prk: SecretBytes, label: StaticString, info: [UInt8], length: Int
    ) throws(TLSError) -> [UInt8] {
        guard (0...0xFFFF).contains(length) else { throw .internalError("HPKE LabeledExpand length \(length)") }
        let labeledInfo = HPKESuite.i2osp2(UInt16(length)) + versionLabel + suiteID + bytes(label) + info
        return try hkdf.expand(prk: prk, info: labeledInfo, length: length)
    }

    private static let versionLabel = Array("HPKE-v1".utf8)

    private static func bytes(_ s: StaticString) -> [UInt8] {
        s.withUTF8Buffer { Array($0) }
    }

    /// `ComputeNonce(seq)` = base_nonce XOR I2OSP(seq, Nn) (RFC 9180 §5.2).
    static func nonce(base: SecretBytes, sequence: UInt64) -> [UInt8] {
        var nonce = base.withUnsafeBytes { [UInt8]($0) }
        for i in 0..<8 where nonce.count - 1 - i >= 0 {
            nonce[nonce.count - 1 - i] ^= UInt8(truncatingIfNeeded: sequence >> (8 * UInt64(i)))
        }
        return nonce
    }
}

/// The sender's HPKE context (RFC 9180 §5.2): `enc`, and `Seal` with a sequence number that counts up.
///
/// Not thread-safe: one handshake owns it. The AEAD key lives only inside libcrypto's cipher context (wiped when it is
/// freed); the base nonce is a ``SecretBytes``.
final class HPKESenderContext {
    let suite: HPKESuite
    /// `enc`: the serialized ephemeral public key to send with the first ciphertext.
    let encapsulatedKey: [UInt8]
    private let cipher: EVPAEAD
    private let baseNonce: SecretBytes
    /// The sequence number the next ``seal(aad:plaintext:)`` uses (0 for the first).
    private(set) var sequenceNumber: UInt64 = 0

    fileprivate init(suite: HPKESuite, encapsulatedKey: [UInt8], schedule: HPKE.KeyScheduleOutput) throws(TLSError) {
        self.suite = suite
        self.encapsulatedKey = encapsulatedKey
        baseNonce = schedule.baseNonce
        cipher = try schedule.cipher(suite.aeadAlgorithm, sealing: true)
    }

    /// `ContextS.Seal(aad, pt)`: the ciphertext with its 16-byte tag; increments the sequence number.
    func seal(aad: [UInt8], plaintext: [UInt8]) throws(TLSError) -> [UInt8] {
        guard sequenceNumber < UInt64.max else { throw .internalError("HPKE message limit reached") }
        var buffer = plaintext
        try cipher.seal(nonce: HPKE.nonce(base: baseNonce, sequence: sequenceNumber), aad: aad, buffer: &buffer, from: 0)
        sequenceNumber += 1
        return buffer
    }
}

/// The recipient's HPKE context (RFC 9180 §5.2), for tests and test servers: `Open` with a counting sequence number.
final class HPKERecipientContext {
    let suite: HPKESuite
    private let cipher: EVPAEAD
    private let baseNonce: SecretBytes
    private(set) var sequenceNumber: UInt64 = 0

    fileprivate init(suite: HPKESuite, schedule: HPKE.KeyScheduleOutput) throws(TLSError) {
        self.suite = suite
        baseNonce = schedule.baseNonce
        cipher = try schedule.cipher(suite.aeadAlgorithm, sealing: false)
    }

    /// `ContextR.Open(aad, ct)`: the plaintext; `decrypt_error` when authentication fails (the sequence number then
    /// stays, as RFC 9180 §5.2 says).
    func open(aad: [UInt8], ciphertext: [UInt8]) throws(TLSError) -> [UInt8] {
        var buffer = ciphertext
        let count: Int
        do throws(TLSError) {
            count = try cipher.open(nonce: HPKE.nonce(base: baseNonce, sequence: sequenceNumber), aad: aad,
                                    buffer: &buffer, range: 0..<buffer.count)
        } catch {
            throw .protocolViolation(alert: .decryptError, reason: "HPKE Open: authentication failed")
        }
        sequenceNumber += 1
        return Array(buffer[..<count])
    }
}
