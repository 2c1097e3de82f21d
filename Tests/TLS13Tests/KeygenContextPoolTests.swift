import Testing
@testable import TLS13

/// Key generation through the reused contexts of `KeygenContextPool`: every key is fresh and usable.
@Suite struct KeygenContextPoolTests {
    @Test(arguments: [NamedGroup.x25519, .secp256r1, .secp384r1])
    func reusedContextsGiveFreshWorkingKeys(_ group: NamedGroup) throws {
        // More keys than the pool keeps, so contexts are both reused and created.
        let shares = try (0..<6).map { _ in try makeKeyShare(group: group) }
        #expect(Set(shares.map(\.publicKey)).count == shares.count)
        for (a, b) in zip(shares, shares.dropFirst()) {
            let ab = try a.sharedSecret(peerPublicKey: b.publicKey)
            let ba = try b.sharedSecret(peerPublicKey: a.publicKey)
            #expect(ab.testBytes == ba.testBytes)
        }
    }

    @Test func concurrentGenerationIsSafe() async throws {
        let keys = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<16 {
                group.addTask { try makeKeyShare(group: .x25519).publicKey }
            }
            var all: [[UInt8]] = []
            for try await key in group { all.append(key) }
            return all
        }
        #expect(Set(keys).count == 16)
    }
}
