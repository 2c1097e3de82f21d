import Glibc

/// A plain mutex (`pthread_mutex_t`). Never held across a blocking system call except where a type
/// documents it (the connection's write lock covers seal + send so records leave in sequence order).
final class Lock: @unchecked Sendable {
    // @unchecked Sendable: the mutex is the synchronization.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let rc = pthread_mutex_init(mutex, nil)
        precondition(rc == 0, "pthread_mutex_init failed")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
