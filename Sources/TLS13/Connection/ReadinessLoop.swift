#if canImport(Glibc)
import Glibc
#endif
import CEpoll

/// The readiness loop under ``AsyncTLSConnection``: one thread (process-wide, started on first use) that waits in
/// `epoll_wait(2)` for sockets to become readable or writable and for deadlines to pass, and resumes the task that
/// waits for each. It does nothing else: every `recv`, `send`, decryption, signature check and sealing runs in the
/// calling task, on the Swift-concurrency pool. However many connections are open, the process has this one thread
/// (plus, for DNS names, the two threads of ``BlockingPool``).
///
/// ## Waits
/// A wait is one registration: a descriptor and a direction (or none: a hand-off, completed by ``complete(_:)``), a
/// ``Deadline``, and a continuation. Whoever removes the registration from the table resumes the continuation, and
/// only they: readiness (the loop thread), the deadline (the loop thread), task cancellation (the cancelling
/// thread), ``complete(_:)`` (a hand-off's owner) or ``shutDown()``. So every continuation is resumed exactly once,
/// whatever happens first, and the table holds nothing once the wait is over (``registrationCount``).
///
/// Descriptors are armed with `EPOLLONESHOT`: an event disarms the descriptor, the loop resumes the waiters it
/// concerns and re-arms it only for a direction still waited for. A wake-up may be spurious (an event already taken
/// from the kernel for a descriptor whose wait was cancelled, and whose number was reused): callers retry the system
/// call and wait again on `EAGAIN`.
///
/// Deadlines are kept in a binary heap; `epoll_wait`'s timeout is the nearest one. A registration with a nearer
/// deadline than the one the loop sleeps until wakes the loop through an `eventfd`.
final class ReadinessLoop: Sendable {
    /// What a wait waits for.
    enum Interest: Sendable {
        /// The descriptor is readable (or has an error or hang-up, which the next `recv` reports).
        case readable
        /// The descriptor is writable (or has an error or hang-up).
        case writable
        /// No descriptor: ``complete(_:)`` ends the wait (a lock handed over, a job done on another thread).
        case handoff
    }

    /// How a wait ended.
    enum Outcome: Sendable, Equatable {
        case ready
        case timedOut
        case cancelled
        case shutDown
    }

    /// The loop every ``AsyncTLSConnection`` uses unless it is given another (tests).
    static let shared = ReadinessLoop()

    private struct Waiter {
        let continuation: CheckedContinuation<Outcome, Never>
        let fd: Int32
        let interest: Interest
        let deadline: Deadline
    }

    /// The waits on one descriptor: at most one reader and one writer (0: none).
    private struct Armed {
        var reader: UInt64 = 0
        var writer: UInt64 = 0
        var isEmpty: Bool { reader == 0 && writer == 0 }
        var mask: UInt32 {
            var mask = EPOLLONESHOT.rawValue
            if reader != 0 { mask |= EPOLLIN.rawValue | EPOLLRDHUP.rawValue }
            if writer != 0 { mask |= EPOLLOUT.rawValue }
            return mask
        }
    }

    private struct State {
        var lastToken: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        var armed: [Int32: Armed] = [:]
        var timers = DeadlineHeap()
        /// What the loop thread's `epoll_wait` wakes at by itself; a nearer deadline must wake it through the eventfd.
        var wakeAt = Deadline.distantFuture
        var started = false
        var isShutDown = false
    }

    private let state = Locked(State())
    private let epollFD: Int32
    private let wakeFD: Int32
    /// The data word of the eventfd's epoll registration (descriptors are registered with their number, ≥ 0).
    private static let wakeData = UInt64.max

    /// A loop of its own (tests); its thread starts with the first wait and ends with ``shutDown()``.
    init() {
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        // Only when the process is out of descriptors; waits then end at once with `.shutDown` (see `register`).
        if epollFD >= 0, wakeFD >= 0 {
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.u64 = Self.wakeData
            _ = epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
        }
    }

    deinit {
        // The thread holds a reference while it runs: by now it has exited (or never started).
        if epollFD >= 0 { _ = Glibc.close(epollFD) }
        if wakeFD >= 0 { _ = Glibc.close(wakeFD) }
    }

    /// How many waits are registered (for tests: none is left behind once its operation is over).
    var registrationCount: Int { state.withLock { $0.waiters.count } }

    /// A new token for ``wait(token:for:fd:until:onRegistered:)``.
    func makeToken() -> UInt64 {
        state.withLock { s in
            s.lastToken += 1
            return s.lastToken
        }
    }

    /// Waits until `fd` is ready for `interest` (or, for ``Interest/handoff``, until ``complete(_:)``), until
    /// `deadline`, until the task is cancelled or the loop shuts down — whichever comes first.
    ///
    /// - Parameters:
    ///   - token: from ``makeToken()``, used once.
    ///   - onRegistered: called with the token while the registration is made (under the loop's lock, so a
    ///     ``complete(_:)`` cannot overtake it); returning `true` ends the wait at once as `.ready` (the thing waited
    ///     for is already there).
    func wait(
        token: UInt64, for interest: Interest, fd: Int32 = -1, until deadline: Deadline,
        onRegistered: (@Sendable (UInt64) -> Bool)? = nil
    ) async -> Outcome {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                register(
                    Waiter(continuation: continuation, fd: fd, interest: interest, deadline: deadline),
                    token: token, onRegistered: onRegistered)
            }
        } onCancel: {
            end(token, with: .cancelled)
        }
    }

    /// Ends a ``Interest/handoff`` wait as `.ready`. Returns `false` when the wait is already over (its deadline
    /// passed, its task was cancelled) or unknown.
    @discardableResult
    func complete(_ token: UInt64) -> Bool {
        end(token, with: .ready)
    }

    /// Ends the waits on `fd` as `.ready`: the waiting calls retry and find the socket closed. For a descriptor the
    /// connection does not own (it is never shut down, so the kernel reports nothing when it is closed).
    func interrupt(fd: Int32) {
        let woken: [CheckedContinuation<Outcome, Never>] = state.withLock { s in
            guard let armed = s.armed[fd] else { return [] }
            var woken: [CheckedContinuation<Outcome, Never>] = []
            for token in [armed.reader, armed.writer] where token != 0 {
                if let waiter = s.waiters.removeValue(forKey: token) {
                    disarm(waiter, token: token, in: &s)
                    woken.append(waiter.continuation)
                }
            }
            return woken
        }
        for continuation in woken { continuation.resume(returning: .ready) }
    }

    /// Ends every wait with `.shutDown` and stops the thread; later waits end at once with `.shutDown`.
    func shutDown() {
        let ended: [CheckedContinuation<Outcome, Never>] = state.withLock { s in
            s.isShutDown = true
            let all = s.waiters.values.map(\.continuation)
            s.waiters = [:]
            s.armed = [:]
            s.timers = DeadlineHeap()
            return all
        }
        wake()
        for continuation in ended { continuation.resume(returning: .shutDown) }
    }

    // MARK: - Registration

    private func register(_ waiter: Waiter, token: UInt64, onRegistered: (@Sendable (UInt64) -> Bool)?) {
        var mustWake = false
        var mustStart = false
        let immediate: Outcome? = state.withLock { s in
            if s.isShutDown || epollFD < 0 || wakeFD < 0 { return .shutDown }
            // The cancellation flag is set before the handler runs: either the handler finds this registration, or
            // this check sees the flag.
            if Task.isCancelled { return .cancelled }
            if waiter.deadline.hasPassed() { return .timedOut }
            if let onRegistered, onRegistered(token) { return .ready }
            if waiter.interest != .handoff {
                var armed = s.armed[waiter.fd] ?? Armed()
                if waiter.interest == .readable { armed.reader = token } else { armed.writer = token }
                // A descriptor this loop cannot watch (not a pollable file): the caller's next system call says why.
                guard arm(waiter.fd, armed.mask, known: s.armed[waiter.fd] != nil) else { return .ready }
                s.armed[waiter.fd] = armed
            }
            s.waiters[token] = waiter
            if !waiter.deadline.isDistantFuture {
                s.timers.push(waiter.deadline, token)
                if waiter.deadline < s.wakeAt {
                    s.wakeAt = waiter.deadline
                    mustWake = s.started
                }
            }
            if !s.started {
                s.started = true
                mustStart = true
            }
            return nil
        }
        if let immediate { waiter.continuation.resume(returning: immediate) }
        if mustStart { startThread() }
        if mustWake { wake() }
    }

    /// `epoll_ctl` MOD (or ADD) `fd` with `mask`. Called with the state locked.
    private func arm(_ fd: Int32, _ mask: UInt32, known: Bool) -> Bool {
        var event = epoll_event()
        event.events = mask
        event.data.u64 = UInt64(UInt32(bitPattern: fd))
        // A descriptor whose waits all ended stays in the epoll set, disarmed, until it is closed: try MOD first
        // for a known one, ADD first otherwise, and the other on ENOENT / EEXIST.
        let first = known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD
        if epoll_ctl(epollFD, first, fd, &event) == 0 { return true }
        let err = errno
        guard err == ENOENT || err == EEXIST else { return false }
        return epoll_ctl(epollFD, known ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event) == 0
    }

    /// Removes a wait (if still registered) and resumes it with `outcome`. Returns whether it was registered.
    @discardableResult
    private func end(_ token: UInt64, with outcome: Outcome) -> Bool {
        let continuation: CheckedContinuation<Outcome, Never>? = state.withLock { s in
            guard let waiter = s.waiters.removeValue(forKey: token) else { return nil }
            disarm(waiter, token: token, in: &s)
            return waiter.continuation
        }
        continuation?.resume(returning: outcome)
        return continuation != nil
    }

    /// Takes a removed waiter's direction off its descriptor: re-arms the other direction, or forgets the
    /// descriptor (DEL) when nothing waits on it. Called with the state locked.
    private func disarm(_ waiter: Waiter, token: UInt64, in s: inout State) {
        guard waiter.interest != .handoff, var armed = s.armed[waiter.fd] else { return }
        if armed.reader == token { armed.reader = 0 }
        if armed.writer == token { armed.writer = 0 }
        if armed.isEmpty {
            s.armed[waiter.fd] = nil
            var event = epoll_event()
            _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, waiter.fd, &event)  // EBADF / ENOENT: already gone
        } else {
            s.armed[waiter.fd] = armed
            _ = arm(waiter.fd, armed.mask, known: true)
        }
    }

    private func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)  // EAGAIN: the counter is already non-zero, the loop wakes anyway
    }

    // MARK: - The thread

    private func startThread() {
        // The thread holds the loop until it exits (after `shutDown`).
        let started = startDetachedThread(named: "tls13-loop") { self.run() }
        // No thread (the process's thread limit): end every wait rather than leave it hanging.
        if !started { shutDown() }
    }

    private func run() {
        let capacity = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        var ready: [(CheckedContinuation<Outcome, Never>, Outcome)] = []
        while true {
            let timeout: Int32? = state.withLock { s in
                if s.isShutDown { return nil }
                let next = s.timers.nearest(live: s.waiters) ?? .distantFuture
                s.wakeAt = next
                return next.pollTimeoutMilliseconds()
            }
            guard let timeout else { return }
            let n = epoll_wait(epollFD, events, Int32(capacity), timeout)
            if n < 0 && errno != EINTR {
                shutDown()  // the epoll descriptor is unusable: fail every wait rather than spin
                return
            }
            let now = Deadline.now
            state.withLock { s in
                for i in 0..<max(0, Int(n)) {
                    let event = events[i]
                    if event.data.u64 == Self.wakeData {
                        var count: UInt64 = 0
                        _ = Glibc.read(wakeFD, &count, 8)
                        continue
                    }
                    let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: event.data.u64))
                    guard var armed = s.armed[fd] else { continue }
                    let flags = event.events
                    let problem = EPOLLERR.rawValue | EPOLLHUP.rawValue
                    if armed.reader != 0, flags & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | problem) != 0 {
                        if let waiter = s.waiters.removeValue(forKey: armed.reader) { ready.append((waiter.continuation, .ready)) }
                        armed.reader = 0
                    }
                    if armed.writer != 0, flags & (EPOLLOUT.rawValue | problem) != 0 {
                        if let waiter = s.waiters.removeValue(forKey: armed.writer) { ready.append((waiter.continuation, .ready)) }
                        armed.writer = 0
                    }
                    if armed.isEmpty {
                        s.armed[fd] = nil  // stays in the epoll set, disarmed by EPOLLONESHOT
                    } else {
                        s.armed[fd] = armed
                        _ = arm(fd, armed.mask, known: true)
                    }
                }
                while let (deadline, token) = s.timers.peek(), deadline.hasPassed(now: now) {
                    s.timers.pop()
                    guard let waiter = s.waiters[token], waiter.deadline == deadline else { continue }
                    s.waiters[token] = nil
                    disarm(waiter, token: token, in: &s)
                    ready.append((waiter.continuation, .timedOut))
                }
                // Entries of waits that ended otherwise are dropped lazily; rebuild when they dominate.
                if s.timers.count > 64 && s.timers.count > 2 * s.waiters.count {
                    s.timers = DeadlineHeap(s.waiters.compactMap { $0.value.deadline.isDistantFuture ? nil : ($0.value.deadline, $0.key) })
                }
            }
            for (continuation, outcome) in ready { continuation.resume(returning: outcome) }
            ready.removeAll(keepingCapacity: true)
        }
    }
}

/// A binary min-heap of (deadline, token); entries of waits that ended are skipped when they reach the top.
struct DeadlineHeap {
    private var items: [(Deadline, UInt64)] = []

    init() {}

    init(_ entries: [(Deadline, UInt64)]) {
        for entry in entries { push(entry.0, entry.1) }
    }

    var count: Int { items.count }

    func peek() -> (Deadline, UInt64)? { items.first }

    mutating func push(_ deadline: Deadline, _ token: UInt64) {
        items.append((deadline, token))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].0 < items[parent].0 else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() {
        guard !items.isEmpty else { return }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count, items[left].0 < items[smallest].0 { smallest = left }
            if right < items.count, items[right].0 < items[smallest].0 { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
    }

    /// The nearest deadline of a wait still in `live`, dropping entries of waits that ended.
    mutating func nearest<V>(live: [UInt64: V]) -> Deadline? {
        while let (deadline, token) = peek() {
            if live[token] != nil { return deadline }
            pop()
        }
        return nil
    }
}
