import Foundation
import Testing
@testable import TLS13

@Suite struct CertificateCacheTests {
    static func der(_ name: String) throws -> [UInt8] {
        let certs = try PEM.certificates(fromFile: CertPaths.path(name))
        return try #require(certs.first).der
    }

    @Test func sameBytesHitChangedBytesMiss() throws {
        let cache = CertificateCache(capacity: 4)
        let leaf = try Self.der("leaf-ecdsa-p256.pem")
        let first = try cache.certificate(der: leaf)
        let second = try cache.certificate(der: leaf)
        #expect(first === second, "the parsed object is reused for identical DER")
        #expect(cache.hits == 1 && cache.misses == 1)

        // One changed byte is another key (and here not a valid certificate, which is not cached).
        var tampered = leaf
        tampered[tampered.count - 3] ^= 0x01
        _ = try? cache.certificate(der: tampered)
        #expect(cache.misses == 2)
        #expect(cache.count == 1 || cache.count == 2)
        var garbage = leaf
        garbage.removeLast(20)
        #expect(throws: TLSError.self) { try cache.certificate(der: garbage) }
        #expect(cache.count <= 2, "a parse failure is not cached")
    }

    @Test func boundedByCapacity() throws {
        let cache = CertificateCache(capacity: 2)
        let names = ["leaf-ecdsa-p256.pem", "leaf-ecdsa-p384.pem", "leaf-rsa2048.pem", "leaf-ed25519.pem"]
        for name in names { _ = try cache.certificate(der: Self.der(name)) }
        #expect(cache.count == 2)
        // The oldest went first: the newest two are still hits.
        let hitsBefore = cache.hits
        _ = try cache.certificate(der: Self.der("leaf-ed25519.pem"))
        _ = try cache.certificate(der: Self.der("leaf-rsa2048.pem"))
        #expect(cache.hits == hitsBefore + 2)
    }

    @Test func verificationResultsAreNotCached() throws {
        // The cache holds parsed certificates only: a chain verified once is checked again, at the new time.
        let store = try X509TrustStore(caFile: CertPaths.path("ca.pem"))
        let verifier = OpenSSLCertificateVerifier(trustStore: store)
        let chain = [try Self.der("leaf-ecdsa-p256.pem"), try Self.der("intermediate.pem")]
        try verifier.verify(chain: chain, hostname: "localhost", ipAddress: nil, now: 1_800_000_000)
        #expect(throws: TLSError.self) {
            try verifier.verify(chain: chain, hostname: "localhost", ipAddress: nil, now: 4_200_000_000)
        }
        #expect(throws: TLSError.self) {
            try verifier.verify(chain: chain, hostname: "other.example", ipAddress: nil, now: 1_800_000_000)
        }
    }
}
