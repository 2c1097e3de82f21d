#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A dedicated POSIX thread that runs blocking jobs one at a time, so that `async` callers never block a
/// Swift-concurrency thread (the cooperative pool has one thread per core: two on a small machine).
///
/// The thread exits when the `IOThread` is released (after finishing the jobs already queued).
final class IOThread: Sendable {
    private let queue = JobQueue()

    init() {
        let retained = Unmanaged.passRetained(queue)
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let queue = Unmanaged<JobQueue>.fromOpaque(raw).takeRetainedValue()
            while let job = queue.next() { job() }
            return nil
        }, retained.toOpaque())
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_detach(thread)
    }

    deinit { queue.stop() }

    /// Runs `body` on the thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws(TLSError) -> T) async throws(TLSError) -> T {
        let result: Result<T, TLSError> = await withCheckedContinuation { continuation in
            queue.enqueue {
                do throws(TLSError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}

/// The job queue shared by an ``IOThread`` and its worker thread.
private final class JobQueue: @unchecked Sendable {
    // @unchecked Sendable: `jobs` and `stopping` are only touched with `mutex` held.
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func enqueue(_ job: @escaping @Sendable () -> Void) {
        pthread_mutex_lock(mutex)
        jobs.append(job)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// The next job, or `nil` once stopped and drained.
    func next() -> (@Sendable () -> Void)? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while jobs.isEmpty && !stopping { pthread_cond_wait(condition, mutex) }
        return jobs.isEmpty ? nil : jobs.removeFirst()
    }
}
