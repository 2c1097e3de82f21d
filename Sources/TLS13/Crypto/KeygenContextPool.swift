internal import COpenSSL

/// Key-generation contexts (`EVP_PKEY_CTX`, keygen-initialised, group set) for one curve, kept for reuse.
///
/// Creating the context (`EVP_PKEY_CTX_new_from_name`, which fetches the key manager by name, then
/// `EVP_PKEY_keygen_init`) costs about a tenth of an X25519 key generation in OpenSSL 3.0; every handshake
/// generates at least one key. A context holds no key material (only the algorithm and group), and one thread
/// at a time uses it: ``withContext(_:)`` takes one out of the pool under the lock, generates outside it, and
/// puts it back. At most ``capacity`` idle contexts are kept; they are never freed (a few hundred bytes each).
final class KeygenContextPool: @unchecked Sendable {
    // @unchecked Sendable: `idle` is only touched with `lock` held; a context is used by one thread at a time.
    let curve: KeyExchangeCurve
    let capacity = 4
    private let lock = CryptoLock()
    private var idle: [EVPKeyContext] = []

    init(curve: KeyExchangeCurve) { self.curve = curve }

    /// Calls `body` with a keygen-initialised context for this pool's curve.
    func withContext<R>(_ body: (EVPKeyContext) throws(TLSError) -> R) throws(TLSError) -> R {
        let context: EVPKeyContext
        if let reused = lock.withLock({ idle.popLast() }) {
            context = reused
        } else {
            context = try makeContext()
        }
        let result = try body(context)
        lock.withLock {
            if idle.count < capacity { idle.append(context) }
        }
        return result
    }

    private func makeContext() throws(TLSError) -> EVPKeyContext {
        let context = try EVPKeyContext(algorithm: curve.openSSLKeyType)
        try check(EVP_PKEY_keygen_init(context.pointer), "EVP_PKEY_keygen_init")
        if !curve.isMontgomery {
            try check(EVP_PKEY_CTX_set_group_name(context.pointer, curve.openSSLGroupName),
                      "EVP_PKEY_CTX_set_group_name(\(curve.openSSLGroupName))")
        }
        return context
    }

    /// One pool per curve, for the whole process.
    static func shared(for curve: KeyExchangeCurve) -> KeygenContextPool {
        switch curve {
        case .x25519: x25519
        case .x448: x448
        case .secp256r1: p256
        case .secp384r1: p384
        case .secp521r1: p521
        }
    }

    private static let x25519 = KeygenContextPool(curve: .x25519)
    private static let x448 = KeygenContextPool(curve: .x448)
    private static let p256 = KeygenContextPool(curve: .secp256r1)
    private static let p384 = KeygenContextPool(curve: .secp384r1)
    private static let p521 = KeygenContextPool(curve: .secp521r1)
}
