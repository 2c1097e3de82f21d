internal import COpenSSL

// Owning wrappers for the libcrypto objects that key exchange and signature verification use.
// Each owns exactly one C object and frees it in `deinit`; the C pointer never leaves `Crypto/`.

/// Owns one `EVP_PKEY` (public key or key pair of any type); `EVP_PKEY_free` in `deinit`.
///
/// `@unchecked Sendable`: libcrypto allows concurrent read-only use of an `EVP_PKEY` (derive, verify,
/// export); this wrapper never mutates the key after construction.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer  // <EVP_PKEY>

    /// Takes ownership of `pointer`: it is freed with this object.
    init(takingOwnership pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_free(pointer) }

    /// Whether the key is of the libcrypto key type `name` ("RSA", "RSA-PSS", "EC", "ED25519", "X25519", …).
    func isA(_ name: String) -> Bool { EVP_PKEY_is_a(pointer, name) == 1 }

    /// Size of the key in bits (`EVP_PKEY_get_bits`), e.g. 2048 for RSA-2048, 256 for P-256.
    var bits: Int { Int(EVP_PKEY_get_bits(pointer)) }

    /// The NID of the key's named curve (EC keys only), or nil when it has none or is not EC.
    var curveNID: Int32? {
        var buffer = [CChar](repeating: 0, count: 80)
        var length = 0
        guard EVP_PKEY_get_group_name(pointer, &buffer, buffer.count, &length) == 1 else {
            ERR_clear_error()
            return nil
        }
        let nid = OBJ_sn2nid(buffer)
        return nid == NID_undef ? nil : nid
    }

    /// A short human description of the key, e.g. `RSA-2048`, `EC P-256`, `Ed25519`.
    var typeDescription: String {
        if isA("RSA") { return "RSA-\(bits)" }
        if isA("RSA-PSS") { return "RSA-PSS-\(bits)" }
        if isA("EC") {
            switch curveNID {
            case NID_X9_62_prime256v1: return "EC P-256"
            case NID_secp384r1: return "EC P-384"
            case NID_secp521r1: return "EC P-521"
            default: return "EC (\(bits) bits)"
            }
        }
        if isA("ED25519") { return "Ed25519" }
        if isA("ED448") { return "Ed448" }
        if isA("X25519") { return "X25519" }
        guard let name = EVP_PKEY_get0_type_name(pointer) else { return "unknown key type" }
        return String(cString: name)
    }
}

/// Owns one `EVP_PKEY_CTX`; `EVP_PKEY_CTX_free` in `deinit`.
final class EVPKeyContext {
    let pointer: OpaquePointer  // <EVP_PKEY_CTX>

    /// A context for an algorithm by name (`EVP_PKEY_CTX_new_from_name`), e.g. "X25519", "EC".
    init(algorithm name: String) throws(TLSError) {
        pointer = try checkNotNull(EVP_PKEY_CTX_new_from_name(nil, name, nil), "EVP_PKEY_CTX_new_from_name(\(name))")
    }

    /// A context for operations with `key` (`EVP_PKEY_CTX_new_from_pkey`); `key` must outlive the context.
    init(key: EVPKey) throws(TLSError) {
        pointer = try checkNotNull(EVP_PKEY_CTX_new_from_pkey(nil, key.pointer, nil), "EVP_PKEY_CTX_new_from_pkey")
    }

    deinit { EVP_PKEY_CTX_free(pointer) }
}

/// Owns one `EVP_MD_CTX`; `EVP_MD_CTX_free` in `deinit`.
final class EVPDigestContext {
    let pointer: OpaquePointer  // <EVP_MD_CTX>

    init() throws(TLSError) {
        pointer = try checkNotNull(EVP_MD_CTX_new(), "EVP_MD_CTX_new")
    }

    deinit { EVP_MD_CTX_free(pointer) }
}

/// Owns one `BIGNUM`, possibly secret; `BN_clear_free` (wipes, then frees) in `deinit`.
final class BigNumber {
    let pointer: OpaquePointer  // <BIGNUM>

    /// The big-endian unsigned integer `bytes` (`BN_bin2bn`).
    init(bigEndian bytes: [UInt8]) throws(TLSError) {
        pointer = try checkNotNull(BN_bin2bn(bytes, Int32(bytes.count), nil), "BN_bin2bn")
    }

    deinit { BN_clear_free(pointer) }
}

/// Owns one `OSSL_PARAM_BLD` and the `OSSL_PARAM` array built from it; frees both in `deinit`.
///
/// `OSSL_PARAM_BLD_push_*` store their key, string, octet and `BIGNUM` arguments *by reference*, and the built
/// array keeps pointing at the keys, so this class copies every key and value into memory it owns until `deinit`
/// (values wiped first: they may be a private key).
final class ParamBuilder {
    private let builder: OpaquePointer  // <OSSL_PARAM_BLD>
    private var params: UnsafeMutablePointer<OSSL_PARAM>?  // <OSSL_PARAM[]>, owned once built
    private var buffers: [UnsafeMutableRawBufferPointer] = []
    private var numbers: [BigNumber] = []

    init() throws(TLSError) {
        builder = try checkNotNull(OSSL_PARAM_BLD_new(), "OSSL_PARAM_BLD_new")
    }

    deinit {
        if let params {
            // OpenSSL 3.0 has no OSSL_PARAM_clear_free: wipe every value, then free. The array ends with an
            // entry whose key is NULL.
            var entry = params
            while entry.pointee.key != nil {
                if let data = entry.pointee.data, entry.pointee.data_size > 0 {
                    OPENSSL_cleanse(data, entry.pointee.data_size)
                }
                entry += 1
            }
            OSSL_PARAM_free(params)
        }
        OSSL_PARAM_BLD_free(builder)
        for buffer in buffers {
            if let base = buffer.baseAddress { OPENSSL_cleanse(base, buffer.count) }
            buffer.deallocate()
        }
    }

    /// A NUL-terminated copy of `text` that lives as long as this builder.
    private func cString(_ text: String) -> UnsafePointer<CChar> {
        let utf8 = Array(text.utf8) + [0]
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
        for (index, byte) in utf8.enumerated() { pointer[index] = CChar(bitPattern: byte) }
        buffers.append(UnsafeMutableRawBufferPointer(start: pointer, count: utf8.count))
        return UnsafePointer(pointer)
    }

    func pushUTF8(_ key: String, _ value: String) throws(TLSError) {
        try check(OSSL_PARAM_BLD_push_utf8_string(builder, cString(key), cString(value), 0),
                  "OSSL_PARAM_BLD_push_utf8_string(\(key))")
    }

    func pushBigNumber(_ key: String, _ value: BigNumber) throws(TLSError) {
        numbers.append(value)
        try check(OSSL_PARAM_BLD_push_BN(builder, cString(key), value.pointer), "OSSL_PARAM_BLD_push_BN(\(key))")
    }

    func pushOctets(_ key: String, _ value: [UInt8]) throws(TLSError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(value.count, 1), alignment: 1)
        buffer.copyBytes(from: value)
        buffers.append(buffer)
        try check(OSSL_PARAM_BLD_push_octet_string(builder, cString(key), buffer.baseAddress, value.count),
                  "OSSL_PARAM_BLD_push_octet_string(\(key))")
    }

    /// The built parameter array; valid while this object lives.
    func build() throws(TLSError) -> UnsafeMutablePointer<OSSL_PARAM> {
        if let params { return params }
        let built = try checkNotNull(OSSL_PARAM_BLD_to_param(builder), "OSSL_PARAM_BLD_to_param")
        params = built
        return built
    }
}
