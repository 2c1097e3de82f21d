import Foundation
import Testing
@testable import TLS13

@Suite struct VerifiedChainCacheTests {
    static func chain(_ leaf: String = "leaf-ecdsa-p256.pem") throws -> [[UInt8]] {
        [try CertificateCacheTests.der(leaf), try CertificateCacheTests.der("intermediate.pem")]
    }

    static func cache(lifetime: Int64 = 3600) throws -> VerifiedChainCache {
        VerifiedChainCache(
            inner: OpenSSLCertificateVerifier(trustStore: try X509TrustStore(caFile: CertPaths.path("ca.pem"))),
            lifetime: lifetime)
    }

    @Test func hitsOnlyForTheSameChainAndName() throws {
        let cache = try Self.cache()
        let chain = try Self.chain()
        try cache.verify(chain: chain, hostname: "localhost", ipAddress: nil, now: 1_800_000_000)
        try cache.verify(chain: chain, hostname: "localhost", ipAddress: nil, now: 1_800_000_001)
        #expect(cache.hits == 1)
        // Another name is another key, verified in full (and here rejected).
        #expect(throws: TLSError.self) {
            try cache.verify(chain: chain, hostname: "other.example", ipAddress: nil, now: 1_800_000_002)
        }
        try cache.verify(chain: chain, hostname: nil, ipAddress: "127.0.0.1", now: 1_800_000_003)
        #expect(cache.hits == 1)
        // Another chain (a different leaf) is another key.
        try cache.verify(chain: try Self.chain("leaf-ecdsa-p384.pem"), hostname: "localhost", ipAddress: nil, now: 1_800_000_004)
        #expect(cache.hits == 1)
    }

    @Test func datesAreRecheckedOnEveryHit() throws {
        let cache = try Self.cache(lifetime: 10_000_000_000)
        let chain = try Self.chain()
        try cache.verify(chain: chain, hostname: "localhost", ipAddress: nil, now: 1_800_000_000)
        // Within the entry's lifetime but after the leaf's notAfter (2099): a full check, which fails.
        do {
            try cache.verify(chain: chain, hostname: "localhost", ipAddress: nil, now: 4_200_000_000)
            Issue.record("an expired chain was accepted from the cache")
        } catch {
            #expect(error.alert == .certificateExpired)
        }
        #expect(cache.hits == 0)
    }

    @Test func entriesExpireAfterTheirLifetime() throws {
        let cache = try Self.cache(lifetime: 100)
        let chain = try Self.chain()
        try cache.verify(chain: chain, hostname: "localhost", ipAddress: nil, now: 1_800_000_000)
        try cache.verify(chain: chain, hostname: "localhost", ipAddress: nil, now: 1_800_000_099)
        #expect(cache.hits == 1)
        try cache.verify(chain: chain, hostname: "localhost", ipAddress: nil, now: 1_800_000_100)
        #expect(cache.hits == 1, "past the lifetime the chain is verified in full again")
    }

    @Test func failuresAreNotCached() throws {
        let cache = try Self.cache()
        let wrong = try Self.chain("leaf-wrong-host.pem")
        for _ in 0..<2 {
            #expect(throws: TLSError.self) {
                try cache.verify(chain: wrong, hostname: "localhost", ipAddress: nil, now: 1_800_000_000)
            }
        }
        #expect(cache.hits == 0)
    }

    @Test func certificateVerifyIsStillCheckedOnACachedChain() throws {
        let cache = try Self.cache()
        func client() throws -> ClientStateMachine {
            try ClientStateMachine(
                configuration: TLSClientConfiguration(), identity: .dnsName("localhost"),
                dependencies: .init(certificateVerifier: cache, now: ScriptedPKI.now))
        }
        let good = ScriptedServer()
        expectSuccess(runHandshake(client: try client(), server: good), server: good)
        // Same chain again (a cache hit), but the server cannot sign: the handshake must fail.
        let forger = ScriptedServer()
        forger.mutateCertificateVerify = { $0.signature[8] ^= 0x40 }
        let outcome = runHandshake(client: try client(), server: forger)
        expectAlert(outcome, .decryptError, encrypted: true)
        #expect(cache.hits == 1, "the second handshake did hit the cache")
    }
}
