#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs ``TLSClientConfiguration/asyncCertificateVerificationHandler`` for a handshake that cannot suspend: the
/// handler runs as a task, and the handshake's thread waits for its verdict on a condition variable, at most a given
/// time (then the verdict is `certificate_unknown` and the task is cancelled).
enum AsyncVerdictBridge {
    typealias AsyncHandler = @Sendable (TLSCertificateVerificationContext) async -> TLSCertificateVerdict
    typealias Handler = @Sendable (TLSCertificateVerificationContext) -> TLSCertificateVerdict

    /// A synchronous handler that waits at most `timeout` seconds for `handler`'s verdict.
    static func synchronous(_ handler: @escaping AsyncHandler, timeout: Double) -> Handler {
        { context in
            let box = VerdictBox()
            let task = Task { box.set(await handler(context)) }
            if let verdict = box.wait(until: Deadline.after(seconds: timeout)) { return verdict }
            task.cancel()
            return .reject(
                alert: .certificateUnknown,
                reason: "the certificate verification handler did not answer within \(formatSeconds(timeout)) s")
        }
    }
}

/// One verdict handed from a task to a waiting thread.
private final class VerdictBox: @unchecked Sendable {
    // @unchecked Sendable: `verdict` is only touched with `mutex` held.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var verdict: TLSCertificateVerdict?

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Waits are measured on the monotonic clock, as every deadline of the library.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func set(_ value: TLSCertificateVerdict) {
        pthread_mutex_lock(mutex)
        verdict = value
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// The verdict, or `nil` when `deadline` passes first.
    func wait(until deadline: Deadline) -> TLSCertificateVerdict? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while verdict == nil, !deadline.hasPassed() {
            if deadline.isDistantFuture {
                pthread_cond_wait(condition, mutex)
            } else {
                var until = timespec(
                    tv_sec: Int(deadline.nanoseconds / 1_000_000_000), tv_nsec: Int(deadline.nanoseconds % 1_000_000_000))
                _ = pthread_cond_timedwait(condition, mutex, &until)
            }
        }
        return verdict
    }
}
