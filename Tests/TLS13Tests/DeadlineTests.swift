import Testing
@testable import TLS13

@Suite struct DeadlineTests {
    @Test func pollTimeoutRoundsUpAndClamps() {
        let now = Deadline(nanoseconds: 1_000_000_000)
        #expect(Deadline(nanoseconds: 1_000_000_001).pollTimeoutMilliseconds(now: now) == 1)
        #expect(Deadline(nanoseconds: 1_002_000_000).pollTimeoutMilliseconds(now: now) == 2)
        #expect(Deadline(nanoseconds: 1_002_000_001).pollTimeoutMilliseconds(now: now) == 3)
        #expect(Deadline(nanoseconds: 1_000_000_000).pollTimeoutMilliseconds(now: now) == 0)
        #expect(Deadline(nanoseconds: 5).pollTimeoutMilliseconds(now: now) == 0)
        #expect(Deadline.distantFuture.pollTimeoutMilliseconds(now: now) == -1)
        #expect(Deadline(nanoseconds: Int64.max - 1).pollTimeoutMilliseconds(now: now) == Int32.max)
    }

    @Test func afterAndHasPassed() {
        #expect(Deadline.after(seconds: -1).hasPassed())
        #expect(Deadline.after(seconds: .nan).hasPassed())
        #expect(!Deadline.after(seconds: 60).hasPassed())
        #expect(Deadline.after(seconds: .infinity) == .distantFuture)
        #expect(!Deadline.distantFuture.hasPassed())
        let a = Deadline.now
        let b = Deadline.now
        #expect(a <= b)
        #expect(Deadline(nanoseconds: 3_000_000_000).duration(since: Deadline(nanoseconds: 1_000_000_000)) == .seconds(2))
    }

    @Test func formatsSeconds() {
        #expect(formatSeconds(5) == "5.0")
        #expect(formatSeconds(0.3) == "0.3")
        #expect(formatSeconds(0.25) == "0.25")
        #expect(formatSeconds(0.001) == "0.001")
        #expect(formatSeconds(12.5) == "12.5")
    }
}
