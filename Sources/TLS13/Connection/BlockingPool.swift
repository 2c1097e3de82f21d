#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A small, bounded set of POSIX threads (two, started on first use) for the few calls ``AsyncTLSConnection`` cannot
/// make without blocking: `getaddrinfo` for a DNS name (a numeric host needs none), and a handshake step that waits
/// for ``TLSClientConfiguration/asyncCertificateVerificationHandler`` (the state machine cannot suspend, and blocking a
/// Swift-concurrency thread for it could starve the very task that computes the verdict).
///
/// The waiting task is suspended on the ``ReadinessLoop`` with a deadline and honours cancellation: when either comes
/// first it goes on at once, and the job's result, when it is ready, is dropped. Jobs run in order, two at a time.
final class BlockingPool: Sendable {
    /// The pool ``AsyncTLSConnection`` uses.
    static let shared = BlockingPool(threadCount: 2)

    private let threadCount: Int
    private let queue = JobQueue()
    private let started = Atomic<Bool>(false)

    init(threadCount: Int) { self.threadCount = max(1, threadCount) }

    /// Runs `body` on one of the pool's threads and returns its result; `nil` when `deadline` passed, the task was
    /// cancelled or the loop shut down first (``ReadinessLoop/Outcome`` in `outcome`).
    func run<T: Sendable>(
        on loop: ReadinessLoop, until deadline: Deadline, _ body: @escaping @Sendable () -> T
    ) async -> (result: T?, outcome: ReadinessLoop.Outcome) {
        startIfNeeded()
        let box = Locked<T?>(nil)
        let queue = self.queue
        let token = loop.makeToken()
        let outcome = await loop.wait(token: token, for: .handoff, until: deadline) { token in
            queue.enqueue {
                let value = body()
                box.withLock { $0 = value }
                loop.complete(token)
            }
            return false
        }
        return (outcome == .ready ? box.withLock { $0 } : nil, outcome)
    }

    private func startIfNeeded() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let queue = self.queue
        for _ in 0..<threadCount {
            _ = startDetachedThread(named: "tls13-resolver") {
                while let job = queue.next() { job() }
            }
        }
    }
}

/// Starts a detached POSIX thread named `name` (at most 15 bytes) that runs `body`; `false` when the thread could not
/// be made (the process's thread limit).
func startDetachedThread(named name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
    final class Start: Sendable {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
    let retained = Unmanaged.passRetained(Start(name: name, body: body))
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        guard let raw else { return nil }
        let start = Unmanaged<Start>.fromOpaque(raw).takeRetainedValue()
        nameThisThread(start.name)
        start.body()
        return nil
    }, retained.toOpaque())
    guard rc == 0 else {
        retained.release()
        return false
    }
    pthread_detach(thread)
    return true
}

/// Names the calling thread (what `/proc/PID/task/TID/comm`, `top -H` and debuggers show; at most 15 bytes).
/// (`pthread_setname_np` is a GNU extension Swift's Glibc module does not export.)
func nameThisThread(_ name: String) {
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = Array(name.utf8.prefix(15)).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    _ = Glibc.close(fd)
}

/// The jobs waiting for a ``BlockingPool`` thread.
private final class JobQueue: @unchecked Sendable {
    // @unchecked Sendable: `jobs` is only touched with `mutex` held.
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
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

    /// The next job, waiting for one (the pool's threads live as long as the process).
    func next() -> (@Sendable () -> Void)? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while head == jobs.count { pthread_cond_wait(condition, mutex) }
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        return job
    }
}
