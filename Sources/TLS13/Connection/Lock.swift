#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain mutex (`pthread_mutex_t`). Never held across a blocking system call except where a type
/// documents it (the connection's write lock covers seal + send so records leave in sequence order).
/// `package`, like ``Locked``: the `tls13` CLI uses it too.
package final class Lock: @unchecked Sendable {
    // @unchecked Sendable: the mutex is the synchronization.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let rc = pthread_mutex_init(mutex, nil)
        precondition(rc == 0, "pthread_mutex_init failed")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    package func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Runs `body` with the lock held if it can be taken before `deadline` (on the monotonic clock), else returns
    /// `nil` without running it.
    func withLock<R, E: Error>(before deadline: Deadline, _ body: () throws(E) -> R) throws(E) -> R? {
        // glibc's pthread_mutex_clocklock is not exported to Swift, and pthread_mutex_timedlock reads the wall
        // clock: poll with trylock instead (only close and fatal-alert paths wait like this, rarely and briefly).
        var pause: Int32 = 200  // microseconds, doubling to 10 ms
        while pthread_mutex_trylock(mutex) != 0 {
            if deadline.hasPassed() { return nil }
            usleep(UInt32(pause))
            pause = min(pause * 2, 10_000)
        }
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// A value behind a ``Lock``: the connection layer's shared state (the readiness loop's table, the async
/// connection's buffers). Used instead of `Synchronization.Mutex` because ThreadSanitizer sees a `pthread_mutex_t`
/// (through its interceptors) but not the uninstrumented futex path of `Mutex` on Linux, where a contended lock
/// showed up as a race between two accesses made under it (`Scripts/sanitize.sh thread`, Docs/Security.md).
/// `package`, not public: the `tls13` CLI locks its own shared state with it for the same reason; it is no part of
/// the library's API.
package final class Locked<Value>: @unchecked Sendable {
    // @unchecked Sendable: every access to `value` goes through `lock`.
    private let lock = Lock()
    private var value: Value

    package init(_ value: Value) { self.value = value }

    package func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        try lock.withLock { () throws(E) -> R in try body(&value) }
    }
}
