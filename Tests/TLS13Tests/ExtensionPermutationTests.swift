import Testing
@testable import TLS13

/// ClientHello extension permutation: a fresh random order per connection, with GREASE, padding and pre_shared_key in
/// their places and the ECH-compressed extensions kept together.
@Suite struct ExtensionPermutationTests {
    /// Random bytes from a fixed list, then zeros.
    struct Scripted: RandomSource {
        let values: [UInt8]
        let position = Counter()
        final class Counter: @unchecked Sendable { var n = 0 }
        func bytes(_ count: Int) throws(TLSError) -> [UInt8] {
            (0..<count).map { _ in
                defer { position.n += 1 }
                return position.n < values.count ? values[position.n] : 0
            }
        }
    }

    static let psk = OfferedPSKs(identities: [.init(identity: [1, 2, 3, 4, 5, 6, 7], obfuscatedTicketAge: 0)],
                                 binders: [[UInt8](repeating: 0, count: 32)])
    static let extensions: [ClientHelloExtension] = [
        .unknown(ExtensionType(rawValue: 0x2A2A), []), .serverName("example.com"), .supportedVersions([.tls13]),
        .supportedGroups([.x25519]), .keyShare([]), .signatureAlgorithms([.ed25519]), .pskKeyExchangeModes([.pskDHEKE]),
        .applicationLayerProtocolNegotiation([Array("h2".utf8)]), .recordSizeLimit(16385),
        .unknown(ExtensionType(rawValue: 0x9A9A), [0]), .padding(10), .preSharedKey(psk),
    ]

    @Test func theFixedPlacesStayAndTheRestIsAPermutation() throws {
        var orders = Set<[UInt16]>()
        for _ in 0..<50 {
            let permuted = try ExtensionPermutation.permute(Self.extensions, random: SystemRandom())
            #expect(permuted.count == Self.extensions.count)
            #expect(Set(permuted.map(\.extensionType.rawValue)) == Set(Self.extensions.map(\.extensionType.rawValue)))
            #expect(permuted.first == Self.extensions.first)
            #expect(Array(permuted.suffix(3)) == Array(Self.extensions.suffix(3)))
            orders.insert(permuted.map(\.extensionType.rawValue))
        }
        // 8 movable extensions: 40,320 orders; 50 draws repeat one only by a broken shuffle.
        #expect(orders.count > 40, "\(orders.count) distinct orders of 50")
        // Still a valid ClientHello, pre_shared_key last.
        let hello = ClientHello(random: [UInt8](repeating: 0, count: 32), cipherSuites: [.aes128GCMSHA256],
                                extensions: try ExtensionPermutation.permute(Self.extensions, random: SystemRandom()))
        var r = ByteReader(try HandshakeMessage.clientHello(hello).encoded.dropFirst(4))
        #expect(try ClientHello(from: &r) == hello)
    }

    @Test func theCompressedExtensionsStayTogetherInTheirOrder() throws {
        let together: [ExtensionType] = [.keyShare, .supportedGroups]
        for _ in 0..<50 {
            let permuted = try ExtensionPermutation.permute(Self.extensions, random: SystemRandom(), together: together)
            let types = permuted.map(\.extensionType)
            let start = try #require(types.firstIndex(of: .keyShare))
            #expect(types[start + 1] == .supportedGroups, "\(types)")
            // So the inner hello can be encoded with them compressed.
            var inner = ClientHello(random: [UInt8](repeating: 0, count: 32), cipherSuites: [.aes128GCMSHA256],
                                    extensions: permuted.filter { $0.extensionType != .preSharedKey })
            inner.extensions.append(try ECHClientHello.inner.clientHelloExtension)
            _ = try EncodedClientHelloInner.encode(inner: inner, outerExtensions: together, maximumNameLength: 0)
        }
    }

    @Test func everyOrderIsReachableAndTheDrawIsUnbiased() throws {
        // All-zero draws: Fisher–Yates swaps each element with position 0: a rotation, deterministic.
        let zeros = try ExtensionPermutation.permute(Self.extensions, random: Scripted(values: []))
        #expect(zeros.map(\.extensionType) == [
            ExtensionType(rawValue: 0x2A2A), .supportedVersions, .supportedGroups, .keyShare, .signatureAlgorithms,
            .pskKeyExchangeModes, .applicationLayerProtocolNegotiation, .recordSizeLimit, .serverName,
            ExtensionType(rawValue: 0x9A9A), .padding, .preSharedKey,
        ])
        // A draw at or over the largest multiple of the bound is rejected, the next one used.
        let bound = 3
        let limit = UInt32.max - UInt32.max % UInt32(bound)
        let rejected = withUnsafeBytes(of: limit.bigEndian) { Array($0) }
        #expect(try ExtensionPermutation.uniform(below: bound, random: Scripted(values: rejected + [0, 0, 0, 5])) == 2)
        #expect(throws: TLSError.self) { try ExtensionPermutation.uniform(below: 0, random: SystemRandom()) }
        // Each of 6 values comes up within 600 draws, about evenly.
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<600 { counts[try ExtensionPermutation.uniform(below: 6, random: SystemRandom())] += 1 }
        #expect(counts.allSatisfy { $0 > 50 }, "\(counts)")
        #expect(ExtensionType(rawValue: 0xFAFA).isGREASE && !ExtensionType(rawValue: 0xFA0A).isGREASE)
    }

    // MARK: - In the ClientHello

    /// What the library's builder lays out for a hello with GREASE, padding and a PSK, extensions permuted by `random`.
    static func built(permutation: RandomSource?) throws -> ClientHello {
        var configuration = TLSClientConfiguration()
        configuration.applicationProtocols = ["h2"]
        configuration.clientHelloPadding = 2000
        return try StandardClientHelloBuilder().firstClientHello(ClientHelloContent(
            configuration: configuration, identity: .dnsName("example.com"),
            random: [UInt8](repeating: 1, count: 32), legacySessionID: [UInt8](repeating: 2, count: 32),
            grease: GREASE(random: [1, 2, 3, 4, 5]),
            keyShares: [KeyShareEntry(group: .x25519, keyExchange: [UInt8](repeating: 3, count: 32))],
            psk: Self.psk, offersEarlyData: true, permutation: permutation))
    }

    @Test func theBuilderPermutesAndKeepsGREASEPaddingAndThePSKInPlace() throws {
        let fixed = try Self.built(permutation: nil).extensions.map(\.extensionType)
        var orders = Set<[ExtensionType]>()
        for _ in 0..<30 {
            let hello = try Self.built(permutation: SystemRandom())
            let types = hello.extensions.map(\.extensionType)
            #expect(Set(types) == Set(fixed) && types.count == fixed.count)
            #expect(types.first == ExtensionType(rawValue: GREASE.value(4)), "the empty GREASE extension first")
            #expect(Array(types.suffix(3)) == [ExtensionType(rawValue: GREASE.value(5)), .padding, .preSharedKey])
            #expect(try HandshakeMessage.clientHello(hello).encoded.count == 2000, "padded as without permutation")
            orders.insert(types)
        }
        #expect(orders.count > 20, "\(orders.count) distinct orders of 30")
        #expect(!orders.contains(fixed) || orders.count > 1)
    }

    @Test func handshakesPermuteByDefaultAndTheSecondHelloKeepsTheOrder() throws {
        var orders = Set<[ExtensionType]>()
        for _ in 0..<8 {
            let server = ScriptedServer()
            server.configuration.groups = [.secp256r1]  // a HelloRetryRequest
            server.configuration.cookie = [7, 7]
            expectSuccess(runHandshake(client: try makeTestClient(), server: server), server: server)
            try #require(server.clientHellos.count == 2)
            let first = server.clientHellos[0].extensions.map(\.extensionType)
            let second = server.clientHellos[1].extensions.map(\.extensionType)
            #expect(second.filter { $0 != .cookie } == first, "the second ClientHello keeps the first one's order")
            orders.insert(first)
        }
        #expect(orders.count > 4, "\(orders.count) distinct orders of 8")
    }

    @Test func permutationCanBeTurnedOff() throws {
        var orders = Set<[ExtensionType]>()
        for _ in 0..<3 {
            let server = ScriptedServer()
            expectSuccess(runHandshake(client: try makeTestClient { $0.permuteExtensions = false }, server: server),
                          server: server)
            let types = try #require(server.clientHellos.first).extensions.map(\.extensionType)
            orders.insert(types.filter { !$0.isGREASE })
        }
        #expect(orders == [[.serverName, .supportedVersions, .supportedGroups, .keyShare, .signatureAlgorithms,
                            .signatureAlgorithmsCert, .pskKeyExchangeModes, .statusRequest, .recordSizeLimit,
                            .compressCertificate, .encryptedClientHello]])
    }
}
