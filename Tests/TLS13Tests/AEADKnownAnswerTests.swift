import Testing
@testable import TLS13

/// Known answers computed independently with pyca/cryptography (OpenSSL-backed, but through its own
/// AEAD API), for the suites RFC 8448 does not cover. Key = 00 01 02 …, nonce = 64 65 … 6f,
/// AAD = 17 03 03 00 20, plaintext = "hello, TLS 1.3 record layer!" ‖ 0x17.
@Suite struct AEADKnownAnswerTests {
    static let plaintext = Array("hello, TLS 1.3 record layer!".utf8) + [0x17]
    static let nonce = (100..<112).map { UInt8($0) }
    static let aad: [UInt8] = [0x17, 0x03, 0x03, 0x00, 0x20]

    static let cases: [(AEADAlgorithm, String)] = [
        (.aes128CCM, "c82cfb4dd237dbb39cab9ad893f284381b5afb81e17d9e97552ccf550c7b9e26e9d0e4184ff571c6b6a19a4083"),
        (.aes128CCM8, "c82cfb4dd237dbb39cab9ad893f284381b5afb81e17d9e97552ccf550c3446b9618277f4f9"),
        (.aes256GCM, "207eb20a16c576ca72317fd9f4564a8f27a16978ef4c9f13deb4de69eceb1a49547f809ef1a461ee0415f3d5d1"),
        (.chacha20Poly1305, "5c74d7a6f7895606b78d354edcbaf8e115a5fd46fb7087ccbf5a8493ed0cd59d3f43b1eb8680a1e062886e0756"),
    ]

    @Test(arguments: 0..<4)
    func sealAndOpenMatchKnownAnswer(_ index: Int) throws {
        let (algorithm, expectedHex) = Self.cases[index]
        let key = (0..<algorithm.keyLength).map { UInt8($0) }
        let expected = try [UInt8](hex: expectedHex)

        let sealer = try EVPAEAD(algorithm, key: key, sealing: true)
        var buffer = [0xAA] + Self.plaintext  // seal from an offset, as the record layer does
        try sealer.seal(nonce: Self.nonce, aad: Self.aad, buffer: &buffer, from: 1)
        #expect(Array(buffer.dropFirst()) == expected)

        // The same context keeps working for the next record (keyed once, re-IV'd per record).
        var again = Self.plaintext
        try sealer.seal(nonce: Self.nonce, aad: Self.aad, buffer: &again, from: 0)
        #expect(again == expected)

        let opener = try EVPAEAD(algorithm, key: key, sealing: false)
        var ct = expected
        let n = try opener.open(nonce: Self.nonce, aad: Self.aad, buffer: &ct, range: 0..<ct.count)
        #expect(Array(ct[..<n]) == Self.plaintext)

        // Wrong AAD fails, and the buffer does not keep unauthenticated plaintext.
        var bad = expected
        #expect(throws: TLSError.self) {
            _ = try opener.open(nonce: Self.nonce, aad: [0x17, 0x03, 0x03, 0x00, 0x21], buffer: &bad, range: 0..<bad.count)
        }
        #expect(bad.allSatisfy { $0 == 0 })
        // And the context recovers for a good record afterwards.
        var good = expected
        _ = try opener.open(nonce: Self.nonce, aad: Self.aad, buffer: &good, range: 0..<good.count)
        #expect(Array(good[..<n]) == Self.plaintext)
    }
}
