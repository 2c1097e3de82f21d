internal import COpenSSL

/// The finite-field Diffie-Hellman groups of RFC 7919 this library implements (RFC 8446 §4.2.7).
enum FFDHEGroup: Sendable, Hashable {
    case ffdhe2048
    case ffdhe3072
    case ffdhe4096

    init?(_ group: NamedGroup) {
        switch group {
        case .ffdhe2048: self = .ffdhe2048
        case .ffdhe3072: self = .ffdhe3072
        case .ffdhe4096: self = .ffdhe4096
        default: return nil
        }
    }

    var group: NamedGroup {
        switch self {
        case .ffdhe2048: .ffdhe2048
        case .ffdhe3072: .ffdhe3072
        case .ffdhe4096: .ffdhe4096
        }
    }

    /// The size of p in bytes: the length of every `key_exchange` value and of the shared secret.
    var primeLength: Int {
        switch self {
        case .ffdhe2048: 256
        case .ffdhe3072: 384
        case .ffdhe4096: 512
        }
    }

    /// libcrypto's name for the group (`EVP_PKEY_CTX_set_group_name`, `OSSL_PKEY_PARAM_GROUP_NAME`).
    fileprivate var openSSLGroupName: String {
        switch self {
        case .ffdhe2048: "ffdhe2048"
        case .ffdhe3072: "ffdhe3072"
        case .ffdhe4096: "ffdhe4096"
        }
    }
}

/// A ``KeyShare`` for an RFC 7919 group over libcrypto's `DH` `EVP_PKEY`.
///
/// RFC 8446 §4.2.8.1: the `key_exchange` value is Y = g^X mod p, big-endian, left-padded with zeros to the size
/// of p; the peer's Y must satisfy 1 < Y < p-1 (checked here; `EVP_PKEY_derive_set_peer` then also runs
/// libcrypto's full public-key check, which refuses values outside the prime-order subgroup). §7.4.1: the shared secret Z is likewise left-padded to the size
/// of p — libcrypto strips leading zero bytes unless `EVP_PKEY_CTX_set_dh_pad(ctx, 1)` is set, which would break
/// about one handshake in 256.
final class FFDHEKeyShare: KeyShare {
    let ffdhe: FFDHEGroup
    let publicKey: [UInt8]
    private let key: EVPKey

    var group: NamedGroup { ffdhe.group }

    init(group: FFDHEGroup) throws(TLSError) {
        ffdhe = group
        let context = try EVPKeyContext(algorithm: "DH")
        try check(EVP_PKEY_keygen_init(context.pointer), "EVP_PKEY_keygen_init(DH)")
        try check(EVP_PKEY_CTX_set_group_name(context.pointer, group.openSSLGroupName),
                  "EVP_PKEY_CTX_set_group_name(\(group.openSSLGroupName))")
        var generated: OpaquePointer?
        try check(EVP_PKEY_generate(context.pointer, &generated), "EVP_PKEY_generate(\(group.group))")
        key = EVPKey(takingOwnership: try checkNotNull(generated, "EVP_PKEY_generate(\(group.group))"))
        publicKey = try Self.bigNumberParameter(key, OSSL_PKEY_PARAM_PUB_KEY, paddedTo: group.primeLength)
    }

    func sharedSecret(peerPublicKey: [UInt8]) throws(TLSError) -> SecretBytes {
        let peer = try importPeerKey(peerPublicKey)
        let context = try EVPKeyContext(key: key)
        try check(EVP_PKEY_derive_init(context.pointer), "EVP_PKEY_derive_init")
        // §7.4.1: Z keeps its leading zero bytes.
        try check(EVP_PKEY_CTX_set_dh_pad(context.pointer, 1), "EVP_PKEY_CTX_set_dh_pad")
        guard EVP_PKEY_derive_set_peer(context.pointer, peer.pointer) == 1 else {
            throw .illegalParameter(openSSLErrorString("\(group) key share rejected"))
        }
        var length = 0
        try check(EVP_PKEY_derive(context.pointer, nil, &length), "EVP_PKEY_derive(length)")
        guard length == ffdhe.primeLength else {
            throw .internalError("EVP_PKEY_derive: \(length)-byte secret for \(group)")
        }
        var secret = [UInt8](repeating: 0, count: length)
        guard EVP_PKEY_derive(context.pointer, &secret, &length) == 1 else {
            wipe(&secret)
            throw openSSLError("EVP_PKEY_derive(\(group))")
        }
        guard length == ffdhe.primeLength else {
            wipe(&secret)
            throw .internalError("EVP_PKEY_derive: \(length)-byte secret for \(group), not \(ffdhe.primeLength)")
        }
        return SecretBytes(consuming: &secret)
    }

    /// The peer's Y as a public key of this group, after the checks of §4.2.8.1: exactly the size of p, and
    /// 1 < Y < p-1 (which rules out the values of small order, 1 and p-1, and 0).
    private func importPeerKey(_ share: [UInt8]) throws(TLSError) -> EVPKey {
        guard share.count == ffdhe.primeLength else {
            throw .illegalParameter("\(group) key share must be \(ffdhe.primeLength) bytes, got \(share.count)")
        }
        let y = try BigNumber(bigEndian: share)
        var prime: OpaquePointer?  // <BIGNUM>, ours to free
        try check(EVP_PKEY_get_bn_param(key.pointer, OSSL_PKEY_PARAM_FFC_P, &prime), "EVP_PKEY_get_bn_param(p)")
        guard let prime else { throw .internalError("EVP_PKEY_get_bn_param(p) returned NULL") }
        defer { BN_free(prime) }
        let pMinusOne = try checkNotNull(BN_dup(prime), "BN_dup")
        defer { BN_free(pMinusOne) }
        try check(BN_sub_word(pMinusOne, 1), "BN_sub_word")
        guard BN_is_zero(y.pointer) == 0, BN_is_one(y.pointer) == 0, BN_cmp(y.pointer, pMinusOne) < 0 else {
            throw .illegalParameter("\(group) key share is not in 1 < Y < p-1")
        }
        let params = try ParamBuilder()
        try params.pushUTF8(OSSL_PKEY_PARAM_GROUP_NAME, ffdhe.openSSLGroupName)
        try params.pushBigNumber(OSSL_PKEY_PARAM_PUB_KEY, y)
        let context = try EVPKeyContext(algorithm: "DH")
        try check(EVP_PKEY_fromdata_init(context.pointer), "EVP_PKEY_fromdata_init(DH)")
        var imported: OpaquePointer?
        guard EVP_PKEY_fromdata(context.pointer, &imported, COpenSSL_EVP_PKEY_PUBLIC_KEY(), try params.build()) == 1,
            let imported
        else {
            throw .illegalParameter(openSSLErrorString("\(group) key share could not be imported"))
        }
        return EVPKey(takingOwnership: imported)
    }

    /// A `BIGNUM` parameter of `key`, big-endian, left-padded to `length` bytes.
    private static func bigNumberParameter(_ key: EVPKey, _ name: String, paddedTo length: Int) throws(TLSError)
        -> [UInt8]
    {
        var value: OpaquePointer?  // <BIGNUM>, ours to free
        try check(EVP_PKEY_get_bn_param(key.pointer, name, &value), "EVP_PKEY_get_bn_param(\(name))")
        guard let value else { throw .internalError("EVP_PKEY_get_bn_param(\(name)) returned NULL") }
        defer { BN_free(value) }
        var out = [UInt8](repeating: 0, count: length)
        guard BN_bn2binpad(value, &out, Int32(length)) == Int32(length) else {
            throw openSSLError("BN_bn2binpad(\(name), \(length))")
        }
        return out
    }
}
