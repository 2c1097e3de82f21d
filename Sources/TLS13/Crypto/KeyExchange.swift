internal import COpenSSL

/// One ephemeral (EC)DHE key pair for a `key_share` entry (RFC 8446 §4.2.8).
///
/// The handshake creates one per offered group with ``makeKeyShare(group:privateKey:)``, sends ``publicKey``
/// in the ClientHello and, once the ServerHello picks the group, calls ``sharedSecret(peerPublicKey:)`` with the
/// server's share. A reference type so the private key exists once and is freed (by libcrypto, which wipes it)
/// when the handshake drops it.
protocol KeyShare: AnyObject {
    /// The group this key pair belongs to.
    var group: NamedGroup { get }
    /// The `key_exchange` bytes of this side's KeyShareEntry: 32 bytes for x25519, 56 for x448, the uncompressed
    /// X9.62 point (`04 ‖ X ‖ Y`) for the NIST curves, Y left-padded to the size of p for ffdhe (§4.2.8.1).
    var publicKey: [UInt8] { get }
    /// The (EC)DHE shared secret with the peer's `key_exchange` bytes.
    ///
    /// - Throws: `illegal_parameter` (``TLSError/protocolViolation(alert:reason:)``) when the peer's share has the
    ///   wrong length or encoding, is not on the curve, or gives the all-zero x25519 secret (RFC 8446 §4.2.8.2,
    ///   §7.4.2); ``TLSError/internalError(_:)`` when libcrypto fails otherwise.
    func sharedSecret(peerPublicKey: [UInt8]) throws(TLSError) -> SecretBytes
}

/// Creates a key pair for `group`: a fresh random one, or (for known-answer tests such as RFC 8448) the one
/// whose private key is `privateKey` — 32 bytes for x25519, 56 for x448, the big-endian scalar of the field
/// length (32 / 48 / 66 bytes) for secp256r1 / secp384r1 / secp521r1, the 64-byte ML-KEM seed followed by the
/// 32-byte X25519 key for X25519MLKEM768 (``HybridKeyShare``; a fresh one has its own X25519 key — the
/// ClientHello shares one X25519 key between the hybrid and the plain x25519 share through
/// ``makeKeyShares(for:using:)``). The ffdhe groups take no injected key.
///
/// - Throws: ``TLSError/invalidConfiguration(_:)`` for a group this library does not implement (ffdhe6144,
///   ffdhe8192, unknown values) or a malformed `privateKey`; ``TLSError/internalError(_:)`` on a libcrypto
///   failure.
func makeKeyShare(group: NamedGroup, privateKey: [UInt8]? = nil) throws(TLSError) -> KeyShare {
    if group == .x25519MLKEM768 {
        #if canImport(CMLKEM) && canImport(Crypto)
        return try HybridKeyShare(privateKey: privateKey)
        #else
        throw .invalidConfiguration("group \(group) is not supported in this build (no swift-crypto)")
        #endif
    }
    if let curve = KeyExchangeCurve(group) {
        return try EVPKeyShare(curve: curve, privateKey: privateKey)
    }
    if let ffdhe = FFDHEGroup(group) {
        guard privateKey == nil else {
            throw .invalidConfiguration("\(group) key shares cannot be made from an injected private key")
        }
        return try FFDHEKeyShare(group: ffdhe)
    }
    throw .invalidConfiguration("group \(group) is not supported yet")
}

/// The elliptic-curve groups implemented over libcrypto's `EVP_PKEY` and their parameters.
enum KeyExchangeCurve: Sendable, Hashable {
    case x25519
    case x448
    case secp256r1
    case secp384r1
    case secp521r1

    init?(_ group: NamedGroup) {
        switch group {
        case .x25519: self = .x25519
        case .x448: self = .x448
        case .secp256r1: self = .secp256r1
        case .secp384r1: self = .secp384r1
        case .secp521r1: self = .secp521r1
        default: return nil
        }
    }

    var group: NamedGroup {
        switch self {
        case .x25519: .x25519
        case .x448: .x448
        case .secp256r1: .secp256r1
        case .secp384r1: .secp384r1
        case .secp521r1: .secp521r1
        }
    }

    /// Whether this is a Montgomery curve of RFC 7748 (raw 32 / 56-byte keys, no points).
    var isMontgomery: Bool { self == .x25519 || self == .x448 }

    /// Field element / scalar length in bytes; also the shared secret's length.
    var fieldLength: Int {
        switch self {
        case .x25519, .secp256r1: 32
        case .secp384r1: 48
        case .x448: 56
        case .secp521r1: 66
        }
    }

    /// Length of a `key_exchange` value: the raw key for x25519 / x448, `1 + 2 * fieldLength` for an
    /// uncompressed point.
    var shareLength: Int { isMontgomery ? fieldLength : 1 + 2 * fieldLength }

    /// libcrypto's key type (`EVP_PKEY_CTX_new_from_name`).
    var openSSLKeyType: String {
        switch self {
        case .x25519: "X25519"
        case .x448: "X448"
        case .secp256r1, .secp384r1, .secp521r1: "EC"
        }
    }

    /// libcrypto's group name for `EVP_PKEY_CTX_set_group_name` / `OSSL_PKEY_PARAM_GROUP_NAME`.
    var openSSLGroupName: String {
        switch self {
        case .x25519: "X25519"
        case .x448: "X448"
        case .secp256r1: "P-256"
        case .secp384r1: "P-384"
        case .secp521r1: "P-521"
        }
    }

    /// The process-wide `EC_GROUP` (NIST curves only), used to compute a public point from an injected scalar.
    fileprivate var ecGroup: OpaquePointer? {  // <EC_GROUP>
        switch self {
        case .x25519, .x448: nil
        case .secp256r1: ECGroups.p256
        case .secp384r1: ECGroups.p384
        case .secp521r1: ECGroups.p521
        }
    }
}

/// `EC_GROUP` objects created once per process and never freed.
///
/// `nonisolated(unsafe)`: an `EC_GROUP` is immutable after creation and libcrypto allows it to be shared
/// between threads for point arithmetic.
private enum ECGroups {
    nonisolated(unsafe) static let p256: OpaquePointer? = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)
    nonisolated(unsafe) static let p384: OpaquePointer? = EC_GROUP_new_by_curve_name(NID_secp384r1)
    nonisolated(unsafe) static let p521: OpaquePointer? = EC_GROUP_new_by_curve_name(NID_secp521r1)
}

/// Owns one `EC_POINT`; `EC_POINT_free` in `deinit`.
private final class ECPoint {
    let pointer: OpaquePointer  // <EC_POINT>

    init(group: OpaquePointer) throws(TLSError) {
        pointer = try checkNotNull(EC_POINT_new(group), "EC_POINT_new")
    }

    deinit { EC_POINT_free(pointer) }
}

/// A ``KeyShare`` over an `EVP_PKEY` key pair (X25519, X448, or EC on P-256 / P-384 / P-521).
final class EVPKeyShare: KeyShare {
    let curve: KeyExchangeCurve
    let publicKey: [UInt8]
    private let key: EVPKey

    var group: NamedGroup { curve.group }

    init(curve: KeyExchangeCurve, privateKey: [UInt8]? = nil) throws(TLSError) {
        self.curve = curve
        let key: EVPKey
        if let privateKey {
            key = try Self.importPrivateKey(privateKey, curve: curve)
        } else {
            key = try Self.generate(curve: curve)
        }
        self.key = key
        publicKey = try Self.encodePublicKey(key, curve: curve)
    }

    func sharedSecret(peerPublicKey: [UInt8]) throws(TLSError) -> SecretBytes {
        let peer = try Self.importPeerKey(peerPublicKey, curve: curve)
        let context = try EVPKeyContext(key: key)
        try check(EVP_PKEY_derive_init(context.pointer), "EVP_PKEY_derive_init")
        // validate_peer 0: `importPeerKey` has already run the full public-key check for the NIST curves, and
        // libcrypto's check of a raw X25519 / X448 key is a no-op (the all-zero secret is refused below), so
        // the validation context libcrypto would create here is pure cost.
        guard EVP_PKEY_derive_set_peer_ex(context.pointer, peer.pointer, 0) == 1 else {
            throw .illegalParameter(openSSLErrorString("\(curve.group) key share rejected"))
        }
        var length = 0
        try check(EVP_PKEY_derive(context.pointer, nil, &length), "EVP_PKEY_derive(length)")
        guard length == curve.fieldLength else {
            throw .internalError("EVP_PKEY_derive: \(length)-byte secret for \(curve.group)")
        }
        var secret = [UInt8](repeating: 0, count: length)
        guard EVP_PKEY_derive(context.pointer, &secret, &length) == 1 else {
            wipe(&secret)
            if curve.isMontgomery {
                // libcrypto's X25519 / X448 refuse an all-zero result (a low-order peer point); RFC 8446 §7.4.2
                // makes that the peer's fault.
                throw .illegalParameter(openSSLErrorString("\(curve.group) shared secret is all zeros"))
            }
            throw openSSLError("EVP_PKEY_derive")
        }
        guard length == curve.fieldLength else {
            wipe(&secret)
            throw .internalError("EVP_PKEY_derive: \(length)-byte secret for \(curve.group)")
        }
        if curve.isMontgomery {
            // Belt and braces for RFC 8446 §7.4.2, whatever libcrypto's own check does. (Not for the NIST
            // curves: there an x-coordinate of 0 is a legitimate point; Wycheproof ecdh tcId 3.)
            var accumulator: UInt8 = 0
            for byte in secret { accumulator |= byte }
            guard accumulator != 0 else {
                throw .illegalParameter("\(curve.group) shared secret is all zeros")
            }
        }
        return SecretBytes(consuming: &secret)
    }

    // MARK: - Key construction

    private static func generate(curve: KeyExchangeCurve) throws(TLSError) -> EVPKey {
        try KeygenContextPool.shared(for: curve).withContext { (context) throws(TLSError) in
            var generated: OpaquePointer?
            try check(EVP_PKEY_generate(context.pointer, &generated), "EVP_PKEY_generate(\(curve.group))")
            return EVPKey(takingOwnership: try checkNotNull(generated, "EVP_PKEY_generate(\(curve.group))"))
        }
    }

    private static func importPrivateKey(_ scalar: [UInt8], curve: KeyExchangeCurve) throws(TLSError) -> EVPKey {
        guard scalar.count == curve.fieldLength else {
            throw .invalidConfiguration(
                "\(curve.group) private key must be \(curve.fieldLength) bytes, got \(scalar.count)")
        }
        if curve.isMontgomery {
            let raw = EVP_PKEY_new_raw_private_key_ex(nil, curve.openSSLKeyType, nil, scalar, scalar.count)
            return EVPKey(takingOwnership: try checkNotNull(raw, "EVP_PKEY_new_raw_private_key_ex(\(curve.group))"))
        }
        guard let group = curve.ecGroup else { throw openSSLError("EC_GROUP_new_by_curve_name(\(curve.group))") }
        let privateScalar = try BigNumber(bigEndian: scalar)
        guard let order = EC_GROUP_get0_order(group) else { throw openSSLError("EC_GROUP_get0_order") }
        guard BN_is_zero(privateScalar.pointer) == 0, BN_cmp(privateScalar.pointer, order) < 0 else {
            throw .invalidConfiguration("\(curve.group) private key is not in [1, n-1]")
        }
        // OpenSSL 3.0's EC import does not derive the public point from the scalar; compute it here.
        let point = try ECPoint(group: group)
        try check(EC_POINT_mul(group, point.pointer, privateScalar.pointer, nil, nil, nil), "EC_POINT_mul")
        var encodedPoint = [UInt8](repeating: 0, count: curve.shareLength)
        let written = EC_POINT_point2oct(group, point.pointer, POINT_CONVERSION_UNCOMPRESSED,
                                         &encodedPoint, encodedPoint.count, nil)
        guard written == curve.shareLength else { throw openSSLError("EC_POINT_point2oct") }

        let params = try ParamBuilder()
        try params.pushUTF8(OSSL_PKEY_PARAM_GROUP_NAME, curve.openSSLGroupName)
        try params.pushBigNumber(OSSL_PKEY_PARAM_PRIV_KEY, privateScalar)
        try params.pushOctets(OSSL_PKEY_PARAM_PUB_KEY, encodedPoint)
        return try fromData(params, selection: COpenSSL_EVP_PKEY_KEYPAIR(), curve: curve)
    }

    private static func fromData(_ params: ParamBuilder, selection: Int32, curve: KeyExchangeCurve)
        throws(TLSError) -> EVPKey
    {
        let context = try EVPKeyContext(algorithm: "EC")
        try check(EVP_PKEY_fromdata_init(context.pointer), "EVP_PKEY_fromdata_init")
        var imported: OpaquePointer?
        try check(EVP_PKEY_fromdata(context.pointer, &imported, selection, try params.build()),
                  "EVP_PKEY_fromdata(\(curve.group))")
        return EVPKey(takingOwnership: try checkNotNull(imported, "EVP_PKEY_fromdata(\(curve.group))"))
    }

    private static func encodePublicKey(_ key: EVPKey, curve: KeyExchangeCurve) throws(TLSError) -> [UInt8] {
        var encoded = [UInt8](repeating: 0, count: curve.shareLength)
        var length = encoded.count
        if curve.isMontgomery {
            try check(EVP_PKEY_get_raw_public_key(key.pointer, &encoded, &length), "EVP_PKEY_get_raw_public_key")
        } else {
            try check(EVP_PKEY_get_octet_string_param(key.pointer, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                      &encoded, encoded.count, &length),
                      "EVP_PKEY_get_octet_string_param(encoded-pub-key)")
        }
        guard length == curve.shareLength, curve.isMontgomery || encoded.first == 0x04 else {
            throw .internalError("\(curve.group) public key encoded as \(length) bytes")
        }
        return encoded
    }

    /// The peer's `key_exchange` bytes as a public key, checked as RFC 8446 §4.2.8.2 requires.
    private static func importPeerKey(_ share: [UInt8], curve: KeyExchangeCurve) throws(TLSError) -> EVPKey {
        guard share.count == curve.shareLength else {
            throw .illegalParameter(
                "\(curve.group) key share must be \(curve.shareLength) bytes, got \(share.count)")
        }
        if curve.isMontgomery {
            let raw = EVP_PKEY_new_raw_public_key_ex(nil, curve.openSSLKeyType, nil, share, share.count)
            return EVPKey(takingOwnership: try checkNotNull(raw, "EVP_PKEY_new_raw_public_key_ex(\(curve.group))"))
        }
        // Only the uncompressed form is allowed in TLS 1.3; libcrypto would also take compressed/hybrid points.
        guard share.first == 0x04 else {
            throw .illegalParameter("\(curve.group) key share is not an uncompressed point (first byte "
                + "0x\(String(share.first ?? 0, radix: 16)), want 0x04)")
        }
        let params = try ParamBuilder()
        try params.pushUTF8(OSSL_PKEY_PARAM_GROUP_NAME, curve.openSSLGroupName)
        try params.pushOctets(OSSL_PKEY_PARAM_PUB_KEY, share)
        let peer: EVPKey
        do {
            peer = try fromData(params, selection: COpenSSL_EVP_PKEY_PUBLIC_KEY(), curve: curve)
        } catch {
            throw .illegalParameter("\(curve.group) key share is not a point on the curve")
        }
        // Full public-key validation (on the curve, not infinity, in the prime-order subgroup).
        let context = try EVPKeyContext(key: peer)
        guard EVP_PKEY_public_check(context.pointer) == 1 else {
            ERR_clear_error()
            throw .illegalParameter("\(curve.group) key share is not a valid point on the curve")
        }
        return peer
    }
}
