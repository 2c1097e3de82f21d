#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An absolute point in time on the monotonic clock (`CLOCK_MONOTONIC`), used to bound every wait.
///
/// Deadlines are absolute so that a sequence of waits (try several addresses, read a record in pieces) shares
/// one budget: each `poll` gets only the time that is left. Wall-clock changes do not move a deadline.
struct Deadline: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds since an unspecified start of `CLOCK_MONOTONIC`; `Int64.max` is "never".
    let nanoseconds: Int64

    init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The current monotonic time.
    static var now: Deadline {
        var ts = timespec()
        // CLOCK_MONOTONIC cannot fail on Linux with a valid pointer.
        let rc = clock_gettime(CLOCK_MONOTONIC, &ts)
        precondition(rc == 0, "clock_gettime(CLOCK_MONOTONIC) failed")
        return Deadline(nanoseconds: Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec))
    }

    /// A deadline that never passes: waits block until the event happens.
    static let distantFuture = Deadline(nanoseconds: .max)

    /// `seconds` from now. Negative or NaN values give a deadline that has already passed; huge or infinite
    /// values give ``distantFuture``.
    static func after(seconds: Double) -> Deadline {
        let start = now
        guard seconds == seconds else { return start }  // NaN
        if seconds <= 0 { return start }
        let ns = seconds * 1e9
        // Stay well below Int64.max so the addition cannot overflow.
        guard ns < Double(Int64.max / 2) else { return .distantFuture }
        return Deadline(nanoseconds: start.nanoseconds &+ Int64(ns))
    }

    var isDistantFuture: Bool { nanoseconds == .max }

    /// Whether the deadline is at or before `now`.
    func hasPassed(now: Deadline = .now) -> Bool { !isDistantFuture && nanoseconds <= now.nanoseconds }

    /// The timeout argument for `poll(2)`: `-1` (wait forever) for ``distantFuture``, `0` once passed, otherwise the
    /// remaining time rounded *up* to whole milliseconds (so a wait never returns just before the deadline and
    /// spins), capped at `Int32.max`.
    func pollTimeoutMilliseconds(now: Deadline = .now) -> Int32 {
        if isDistantFuture { return -1 }
        let remaining = nanoseconds &- now.nanoseconds
        if remaining <= 0 { return 0 }
        let ms = remaining / 1_000_000 + (remaining % 1_000_000 == 0 ? 0 : 1)
        return ms > Int64(Int32.max) ? Int32.max : Int32(ms)
    }

    /// The time from `earlier` to `self` (negative if `self` is earlier).
    func duration(since earlier: Deadline) -> Duration {
        .nanoseconds(nanoseconds &- earlier.nanoseconds)
    }

    static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    var description: String {
        isDistantFuture ? "Deadline(never)" : "Deadline(\(nanoseconds) ns monotonic)"
    }
}

/// Formats seconds for messages: at least one decimal, at most three, e.g. `5.0`, `0.25`, `0.001`.
func formatSeconds(_ seconds: Double) -> String {
    guard seconds == seconds, seconds.magnitude < 1e12 else { return "\(seconds)" }
    let ms = Int((seconds.magnitude * 1000).rounded())
    var fraction = String(ms % 1000)
    while fraction.count < 3 { fraction = "0" + fraction }
    while fraction.count > 1 && fraction.hasSuffix("0") { fraction.removeLast() }
    return (seconds < 0 && ms != 0 ? "-" : "") + "\(ms / 1000).\(fraction)"
}
