import Foundation

/// Runs `body` on a fresh `Thread` and suspends until it finishes.
///
/// Blocking socket and process calls must not sit on a Swift-concurrency thread: the cooperative pool has only
/// as many threads as cores (two here), so two blocked tests would stall every other test. Use this for any
/// `connect`, `accept`, `poll`, `recv` or `Process.waitUntilExit` in a test; make the test `async`.
public func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
        let thread = Thread {
            do {
                continuation.resume(returning: try body())
            } catch {
                continuation.resume(throwing: error)
            }
        }
        thread.name = "runBlocking"
        thread.start()
    }
}
