internal import COpenSSL

/// A mutex from libcrypto (`CRYPTO_RWLOCK`, used exclusively), for the process-wide caches in `Crypto/`, which
/// may not import Glibc.
final class CryptoLock: @unchecked Sendable {
    // @unchecked Sendable: the lock is the synchronization.
    private let lock: UnsafeMutableRawPointer  // <CRYPTO_RWLOCK>

    init() {
        guard let lock = CRYPTO_THREAD_lock_new() else { preconditionFailure("CRYPTO_THREAD_lock_new failed") }
        self.lock = lock
    }

    deinit { CRYPTO_THREAD_lock_free(lock) }

    func withLock<R>(_ body: () -> R) -> R {
        CRYPTO_THREAD_write_lock(lock)
        defer { CRYPTO_THREAD_unlock(lock) }
        return body()
    }
}
