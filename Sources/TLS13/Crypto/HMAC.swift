internal import COpenSSL

/// HMAC (RFC 2104) over libcrypto's SHA-256 / SHA-384, in one reused state.
///
/// The key schedule makes a dozen or more HMAC calls per handshake on inputs of a block or two; through
/// `EVP_MAC` each call costs several times the hashing itself (provider dispatch, digest-context set-up), so
/// this keys a C struct (`COpenSSL_HMAC_CTX`, see shim.h) instead, on the low-level SHA functions where they exist
/// (``DigestBackend``), wiped after every call. Not thread-safe: each key schedule owns its own.
final class HMAC {
    let algorithm: HashAlgorithm
    let backend: DigestBackend
    private let state: UnsafeMutablePointer<COpenSSL_HMAC_CTX>

    init(_ algorithm: HashAlgorithm, backend: DigestBackend = .current) throws(TLSError) {
        self.algorithm = algorithm
        self.backend = backend
        state = .allocate(capacity: 1)
        state.initialize(to: COpenSSL_HMAC_CTX())
    }

    deinit {
        OPENSSL_cleanse(state, MemoryLayout<COpenSSL_HMAC_CTX>.size)
        state.deallocate()
    }

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
        guard COpenSSL_HMAC_init(state, algorithm == .sha384 ? 1 : 0, backend.useEVP,
                                 key.baseAddress?.assumingMemoryBound(to: UInt8.self), key.count) == 1
        else { throw openSSLError("HMAC init") }
        for part in parts where !part.isEmpty {
            part.withUnsafeBytes { COpenSSL_HMAC_update(state, $0.baseAddress, $0.count) }
        }
        var ok: Int32 = 0
        let mac = [UInt8](unsafeUninitializedCapacity: algorithm.length) { out, initialized in
            ok = COpenSSL_HMAC_final(state, out.baseAddress)  // also wipes the state
            initialized = algorithm.length
        }
        guard ok == 1 else { throw openSSLError("HMAC final") }
        return mac
    }
}
