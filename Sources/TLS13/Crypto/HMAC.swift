internal import COpenSSL

/// HMAC over one reusable `EVP_MAC_CTX`, re-keyed per call.
///
/// The key schedule makes a dozen HMAC calls per handshake; creating and configuring a context each time
/// costs more than the HMAC itself, so one context per hash is created and only the key changes.
/// Not thread-safe: each key schedule owns its own.
final class HMAC {
    let algorithm: HashAlgorithm
    private let ctx: OpaquePointer  // <EVP_MAC_CTX>

    init(_ algorithm: HashAlgorithm) throws(TLSError) {
        self.algorithm = algorithm
        ctx = try checkNotNull(EVP_MAC_CTX_new(FetchedAlgorithms.hmac), "EVP_MAC_CTX_new")
        let rc: Int32 = "digest".withCString { key in
            algorithm.openSSLName.withCString { value in
                var params = [
                    OSSL_PARAM_construct_utf8_string(key, UnsafeMutablePointer(mutating: value), 0),
                    OSSL_PARAM_construct_end(),
                ]
                return EVP_MAC_CTX_set_params(ctx, &params)
            }
        }
        guard rc == 1 else {
            EVP_MAC_CTX_free(ctx)
            throw openSSLError("EVP_MAC_CTX_set_params(digest)")
        }
    }

    deinit { EVP_MAC_CTX_free(ctx) }

    /// HMAC(key, parts[0] || parts[1] || ...).
    func authenticate(key: UnsafeRawBufferPointer, _ parts: [UInt8]...) throws(TLSError) -> [UInt8] {
        try authenticate(key: key, parts: parts)
    }

    func authenticate(key: [UInt8], _ parts: [UInt8]...) throws(TLSError) -> [UInt8] {
        var result: Result<[UInt8], TLSError> = .success([])
        key.withUnsafeBytes { k in
            do throws(TLSError) { result = .success(try authenticate(key: k, parts: parts)) } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    func authenticate(key: UnsafeRawBufferPointer, parts: [[UInt8]]) throws(TLSError) -> [UInt8] {
        // A zero-length key is legal HMAC (RFC 2104) but EVP_MAC_init needs a non-NULL pointer.
        var zero: UInt8 = 0
        let rc: Int32 = withUnsafePointer(to: &zero) { z in
            EVP_MAC_init(ctx, key.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? z, key.count, nil)
        }
        try check(rc, "EVP_MAC_init")
        for part in parts where !part.isEmpty {
            let rc = part.withUnsafeBytes { EVP_MAC_update(ctx, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count) }
            try check(rc, "EVP_MAC_update")
        }
        var out = [UInt8](repeating: 0, count: algorithm.length)
        var outLength = 0
        let frc = out.withUnsafeMutableBytes {
            EVP_MAC_final(ctx, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), &outLength, $0.count)
        }
        try check(frc, "EVP_MAC_final")
        precondition(outLength == algorithm.length, "HMAC output length")
        return out
    }
}
