import Synchronization
import Testing
@testable import TLS13

/// ``SecretBytes`` owns its storage and wipes it: checked through the release observer (the storage as it is
/// released, after the wipe and before it is freed), never by reading freed memory.
@Suite(.serialized) struct SecretBytesTests {
    /// What the observer saw: how many secrets were released, and how many of them still held a non-zero byte.
    final class Releases: Sendable {
        let counts = Mutex<(released: Int, nonZero: Int)>((0, 0))

        func record(_ bytes: UnsafeRawBufferPointer) {
            let dirty = bytes.contains { $0 != 0 }
            counts.withLock { $0.released += 1; if dirty { $0.nonZero += 1 } }
        }
    }

    /// Runs `body` with every release observed (by any test running meanwhile too: every secret anywhere must be
    /// zero when released, so that only strengthens the check).
    func observingReleases(_ body: () throws -> Void) rethrows -> (released: Int, nonZero: Int) {
        let releases = Releases()
        SecretBytes.observeReleases { releases.record($0) }
        defer { SecretBytes.observeReleases(nil) }
        try body()
        return releases.counts.withLock { $0 }
    }

    @Test func storageIsZeroWhenReleased() {
        let counts = observingReleases {
            _ = SecretBytes([UInt8](repeating: 0xA5, count: 48))
            var array = [UInt8](repeating: 0x5A, count: 32)
            let consumed = SecretBytes(consuming: &array)
            #expect(array.isEmpty, "init(consuming:) takes the bytes and empties the caller's array")
            #expect(consumed.withUnsafeBytes { $0.allSatisfy { $0 == 0x5A } })
            #expect(consumed.description == "SecretBytes(32 bytes, redacted)")
        }
        #expect(counts.released >= 2)
        #expect(counts.nonZero == 0)
    }

    /// A whole RFC 8448 handshake, its session and the client released: every secret it derived (early, handshake,
    /// master, traffic, finished keys, traffic keys and IVs, the PSK) reads zero as it goes.
    @Test func aHandshakesSecretsAreAllWiped() throws {
        let counts = try observingReleases {
            let session = try RFC8448Trace.section3Session(receivedAtMilliseconds: 1_700_000_000_000)
            #expect(session.psk.count == 32)
        }
        #expect(counts.released >= 20, "released \(counts.released) secrets")
        #expect(counts.nonZero == 0, "\(counts.nonZero) secrets still held their bytes when released")
    }

    @Test func constantTimeComparisonAndKeyLogHex() {
        let a = SecretBytes([0x01, 0xab, 0xff])
        #expect(a.constantTimeEquals(SecretBytes([0x01, 0xab, 0xff])))
        #expect(!a.constantTimeEquals(SecretBytes([0x01, 0xab, 0xfe])))
        #expect(!a.constantTimeEquals(SecretBytes([0x01, 0xab])))
        #expect(a.hexForKeyLog() == "01abff")
        #expect(SecretBytes([]).hexForKeyLog() == "")
    }
}
