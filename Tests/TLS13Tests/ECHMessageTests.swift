import Crypto
import Foundation
import Testing
@testable import TLS13

/// Encrypted Client Hello below the state machine (RFC 9849): ECHConfigList parsing and selection, the extension
/// bodies, EncodedClientHelloInner with outer-extension compression and padding, ClientHelloOuterAAD, sealing the
/// inner hello (opened again by HPKE's recipient and the server-side decoder), and the acceptance confirmation.
@Suite struct ECHMessageTests {
    // MARK: Fixtures

    static let x25519Key = Curve25519.KeyAgreement.PrivateKey()

    static func config(
        id: UInt8 = 7, kem: HPKEKEMID = .x25519HKDFSHA256, publicKey: [UInt8]? = nil,
        suites: [HPKESymmetricCipherSuite] = [.init(kdf: .hkdfSHA256, aead: .aes128GCM)], maximumNameLength: UInt8 = 0,
        publicName: String = "public.example", extensions: [ECHConfig.Extension] = []
    ) -> ECHConfig {
        ECHConfig(configID: id, kemID: kem, publicKey: publicKey ?? [UInt8](x25519Key.publicKey.rawRepresentation),
                  cipherSuites: suites, maximumNameLength: maximumNameLength, publicName: Array(publicName.utf8),
                  extensions: extensions)
    }

    static func hello(
        random: UInt8 = 1, sessionID: [UInt8] = [], serverName: String? = "secret.example", extra: [ClientHelloExtension] = []
    ) -> ClientHello {
        var extensions: [ClientHelloExtension] = []
        if let serverName { extensions.append(.serverName(serverName)) }
        extensions += [
            .supportedVersions([.tls13]), .supportedGroups([.x25519, .secp256r1]),
            .keyShare([KeyShareEntry(group: .x25519, keyExchange: [UInt8](repeating: 9, count: 32))]),
            .signatureAlgorithms([.ecdsaSecp256r1SHA256, .rsaPSSRSAESHA256]),
        ]
        extensions += extra
        return ClientHello(random: [UInt8](repeating: random, count: 32), legacySessionID: sessionID,
                           cipherSuites: [.aes128GCMSHA256], extensions: extensions)
    }

    static let hpkeLengths = HPKESuite.publicKeyLength(kem:)
    static let hpkeSuites = HPKESuite.supports(_:)

    // MARK: ECHConfig / ECHConfigList

    @Test func aConfigListRoundTripsByteForByte() throws {
        let list = ECHConfigList(entries: [
            .unknownVersion(0xfe0c, contents: [1, 2, 3]),
            .config(Self.config(suites: [.init(kdf: .hkdfSHA256, aead: .aes128GCM), .init(kdf: .hkdfSHA384, aead: .chacha20Poly1305)],
                                maximumNameLength: 42, extensions: [.init(type: 0x0a0a, data: [5, 5])])),
            .config(Self.config(id: 8, kem: .p256HKDFSHA256, publicKey: [4] + [UInt8](repeating: 1, count: 64))),
        ])
        let bytes = try list.encoded
        let parsed = try ECHConfigList(bytes: bytes)
        #expect(parsed == list)
        #expect(try parsed.encoded == bytes)
        #expect(parsed.configs.count == 2)
        // The HPKE info is "tls ech" ‖ 0 ‖ the config as encoded in the list.
        let first = try #require(parsed.configs.first)
        #expect(try first.hpkeInfo == Array("tls ech".utf8) + [0] + first.encoded)
        #expect(try first.encoded.prefix(2) == [0xfe, 0x0d])
        #expect(try Int(first.encoded[2]) << 8 | Int(first.encoded[3]) == first.encoded.count - 4)
    }

    /// Every strict prefix of a valid list, and the list with each byte incremented, never crashes: a prefix is
    /// `decode_error`, a mutation either fails to parse or parses to something that re-encodes to the mutated bytes.
    @Test func truncatedAndMutatedListsFailCleanly() throws {
        let list = ECHConfigList(entries: [
            .config(Self.config(maximumNameLength: 3, extensions: [.init(type: 1, data: [9])])),
            .unknownVersion(0x1234, contents: [0xAA]),
        ])
        let bytes = try list.encoded
        for n in 0..<bytes.count {
            #expect(throws: TLSError.self) { try ECHConfigList(bytes: Array(bytes[..<n])) }
        }
        for i in bytes.indices {
            var mutated = bytes
            mutated[i] &+= 1
            if let parsed = try? ECHConfigList(bytes: mutated) {
                #expect(try parsed.encoded == mutated, "byte \(i)")
            }
        }
        #expect(throws: TLSError.self) { try ECHConfigList(bytes: bytes + [0]) }
    }

    @Test func malformedContentsAreDecodeErrors() throws {
        func list(_ contents: [UInt8]) throws -> [UInt8] {
            var w = ByteWriter()
            try w.withLengthPrefix(2) { (w) throws(EncodingError) in
                w.writeUInt16(0xfe0d)
                try w.writeVector(2, contents)
            }
            return w.bytes
        }
        var good = ByteWriter()
        try Self.config().encodeContents(into: &good)
        _ = try ECHConfigList(bytes: list(good.bytes))
        // config_id, kem_id, public_key<1..>, cipher_suites<4..> of a multiple of 4, max len, public_name<1..255>, extensions
        let key = [UInt8](repeating: 1, count: 32)
        func contents(key: [UInt8] = key, suites: [UInt8] = [0, 1, 0, 1], name: [UInt8] = Array("a.b".utf8),
                      extensions: [UInt8] = [0, 0]) throws -> [UInt8] {
            var w = ByteWriter()
            w.writeUInt8(1)
            w.writeUInt16(0x20)
            try w.writeVector(2, key)
            try w.writeVector(2, suites)
            w.writeUInt8(0)
            try w.writeVector(1, name)
            w.writeBytes(extensions)
            return w.bytes
        }
        _ = try ECHConfigList(bytes: list(contents()))
        let bad: [(String, [UInt8])] = [
            ("empty public key", try contents(key: [])),
            ("no cipher suites", try contents(suites: [])),
            ("cipher suites of 6 bytes", try contents(suites: [0, 1, 0, 1, 0, 1])),
            ("empty public_name", try contents(name: [])),
            ("extensions length past the end", try contents(extensions: [0, 5, 0, 1])),
            ("duplicate extension", try contents(extensions: [0, 8, 0, 1, 0, 0, 0, 1, 0, 0])),
            ("trailing byte in contents", try contents() + [0]),
        ]
        for (what, c) in bad {
            #expect(throws: TLSError.self, "\(what)") { try ECHConfigList(bytes: list(c)) }
        }
        // An empty list, and one shorter than 4 bytes, are refused (ECHConfigList<4..2^16-1>).
        #expect(throws: TLSError.self) { try ECHConfigList(bytes: [0, 0]) }
        #expect(throws: TLSError.self) { try ECHConfigList(bytes: [0, 3, 0xfe, 0x0d, 0]) }
    }

    @Test func selectionSkipsWhatTheRFCSaysToIgnore() throws {
        let good = Self.config(id: 9)
        let configs: [ECHConfigList.Entry] = [
            .unknownVersion(0xfe0c, contents: [0]),
            .config(Self.config(id: 1, extensions: [.init(type: 0x8001, data: [])])),  // mandatory: ignore
            .config(Self.config(id: 2, publicName: "192.168.0.1")),  // IPv4 literal
            .config(Self.config(id: 3, kem: .x448HKDFSHA512, publicKey: [UInt8](repeating: 1, count: 56))),
            .config(Self.config(id: 4, suites: [.init(kdf: .hkdfSHA512, aead: .aes128GCM), .init(kdf: .hkdfSHA256, aead: .exportOnly)])),
            .config(Self.config(id: 5, publicKey: [1, 2, 3])),  // wrong length for X25519
            .config(good),
            .config(Self.config(id: 10)),
        ]
        let list = ECHConfigList(entries: configs)
        let selected = try #require(list.select(publicKeyLength: Self.hpkeLengths, supportsSuite: Self.hpkeSuites))
        #expect(selected.config == good)
        #expect(selected.suite == .init(kdf: .hkdfSHA256, aead: .aes128GCM))
        let problems = list.problems(publicKeyLength: Self.hpkeLengths, supportsSuite: Self.hpkeSuites)
        #expect(problems.map { $0 == nil } == [false, false, false, false, false, false, true, true])
        #expect(problems[0]?.contains("version") == true)
        #expect(problems[1]?.contains("mandatory") == true)
        #expect(problems[2]?.contains("IPv4") == true)
        #expect(problems[3]?.contains("KEM") == true)
        #expect(problems[4]?.contains("cipher suite") == true)
        #expect(problems[5]?.contains("public key") == true)
        // A non-mandatory unknown extension does not disqualify.
        let benign = ECHConfigList(configs: [Self.config(extensions: [.init(type: 0x0001, data: [1])])])
        #expect(benign.select(publicKeyLength: Self.hpkeLengths, supportsSuite: Self.hpkeSuites) != nil)
        // None usable: nil, and the offer says why.
        let none = ECHConfigList(entries: Array(configs.prefix(6)))
        #expect(none.select(publicKeyLength: Self.hpkeLengths, supportsSuite: Self.hpkeSuites) == nil)
        #expect(throws: TLSError.self) { try ECHClientOffer(list: none) }
    }

    @Test func theClientsSuitePreferenceAppliesWithinAConfig() throws {
        let config = Self.config(suites: [
            .init(kdf: .hkdfSHA384, aead: .aes256GCM), .init(kdf: .hkdfSHA256, aead: .chacha20Poly1305),
        ])
        let list = ECHConfigList(configs: [config])
        #expect(ECHClientOffer.select(from: list)?.suite == .init(kdf: .hkdfSHA256, aead: .chacha20Poly1305))
        #expect(list.select(publicKeyLength: Self.hpkeLengths, supportsSuite: Self.hpkeSuites)?.suite
                == .init(kdf: .hkdfSHA384, aead: .aes256GCM))
    }

    @Test(arguments: [
        ("public.example", true), ("a", true), ("xn--bcher-kva.example", true), ("a-b.c0", true),
        ("example.com.", false), (".example.com", false), ("a..b", false), ("-a.com", false), ("a-.com", false),
        ("under_score.com", false), ("space .com", false), ("1.2.3.4", false), ("example.123", false),
        ("example.0x1F", false), ("example.0X", false), ("example.0xg", true), (String(repeating: "a", count: 63), true),
        (String(repeating: "a", count: 64) + ".com", false), ("caf\u{e9}.example", false),
    ])
    func publicNameValidation(name: String, valid: Bool) {
        #expect((ECHConfig.publicNameProblem(Array(name.utf8)) == nil) == valid, "\(name)")
    }

    // MARK: Extension bodies

    @Test func echClientHelloBodies() throws {
        let outer = ECHClientHello.outer(cipherSuite: .init(kdf: .hkdfSHA256, aead: .chacha20Poly1305), configID: 0xAB,
                                         enc: [1, 2, 3], payload: [4, 5])
        #expect(try outer.body == [0, 0, 1, 0, 3, 0xAB, 0, 3, 1, 2, 3, 0, 2, 4, 5])
        #expect(try ECHClientHello(body: outer.body) == outer)
        #expect(try ECHClientHello.inner.body == [1])
        #expect(try ECHClientHello(body: [1]) == .inner)
        // The second outer hello after HRR has an empty enc.
        let second = ECHClientHello.outer(cipherSuite: .init(kdf: .hkdfSHA256, aead: .aes128GCM), configID: 1, enc: [],
                                          payload: [0])
        #expect(try ECHClientHello(body: second.body) == second)
        for bad: [UInt8] in [[], [2], [1, 0], [0, 0, 1, 0, 1, 5, 0, 0, 0, 0], [0, 0, 1, 0, 1, 5, 0, 0, 0, 1, 9, 9],
                             [0, 0, 1, 0, 1, 5, 0, 1]] {
            #expect(throws: TLSError.self, "\(bad)") { try ECHClientHello(body: bad) }
        }
        let hello = Self.hello(extra: [try outer.clientHelloExtension])
        #expect(try ECHClientHello(in: hello) == outer)
        #expect(try ECHClientHello(in: Self.hello()) == nil)
        // Through the ClientHello codec and back.
        var w = ByteWriter()
        try hello.encode(into: &w)
        var r = ByteReader(w.bytes)
        #expect(try ECHClientHello(in: try ClientHello(from: &r)) == outer)
    }

    @Test func retryConfigsAndHelloRetryRequestBodies() throws {
        let list = ECHConfigList(configs: [Self.config()])
        let ee = EncryptedExtensions(extensions: [.serverName, try ECHEncryptedExtensions(retryConfigs: list).encryptedExtension])
        var w = ByteWriter()
        try ee.encode(into: &w)
        var r = ByteReader(w.bytes)
        #expect(try ECHEncryptedExtensions(in: try EncryptedExtensions(from: &r))?.retryConfigs == list)
        #expect(try ECHEncryptedExtensions(in: EncryptedExtensions(extensions: [])) == nil)
        #expect(throws: TLSError.self) { try ECHEncryptedExtensions(body: [0, 1, 0]) }
        #expect(throws: TLSError.self) { try ECHEncryptedExtensions(body: list.encoded + [0]) }

        let confirmation: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let hrr = HelloRetryRequest(cipherSuite: .aes128GCMSHA256, extensions: [
            .supportedVersions(.tls13), ECHHelloRetryRequest(confirmation: confirmation).helloRetryRequestExtension,
        ])
        #expect(try ECHHelloRetryRequest(in: hrr)?.confirmation == confirmation)
        #expect(throws: TLSError.decode(reason: "encrypted_client_hello in HelloRetryRequest: 7 bytes, not 8")) {
            try ECHHelloRetryRequest(body: [1, 2, 3, 4, 5, 6, 7])
        }
        #expect(throws: TLSError.self) { try ECHHelloRetryRequest(body: [UInt8](repeating: 0, count: 9)) }

        let outer = ECHOuterExtensions(types: [.supportedGroups, .keyShare])
        #expect(try outer.body == [4, 0, 10, 0, 51])
        #expect(try ECHOuterExtensions(body: outer.body) == outer)
        for bad: [UInt8] in [[0], [1, 0], [3, 0, 1, 0], [2, 0, 1, 0], [0xFF] + [UInt8](repeating: 0, count: 255)] {
            #expect(throws: TLSError.self, "\(bad)") { try ECHOuterExtensions(body: bad) }
        }
    }

    // MARK: EncodedClientHelloInner

    @Test func paddingFollowsRFC9849Section6_1_3() {
        // Name of 14 bytes under maximum_name_length 32: 18 bytes, then up to a multiple of 32.
        #expect(EncodedClientHelloInner.paddingLength(unpaddedLength: 100, serverNameLength: 14, maximumNameLength: 32) == 18 + 10)
        // Longer name than the maximum: only the rounding.
        #expect(EncodedClientHelloInner.paddingLength(unpaddedLength: 100, serverNameLength: 40, maximumNameLength: 32) == 28)
        // No server_name: L + 9.
        #expect(EncodedClientHelloInner.paddingLength(unpaddedLength: 100, serverNameLength: nil, maximumNameLength: 32) == 41 + 19)
        // Already a multiple of 32: nothing.
        #expect(EncodedClientHelloInner.paddingLength(unpaddedLength: 128, serverNameLength: 10, maximumNameLength: 0) == 0)
        #expect(EncodedClientHelloInner.paddingLength(unpaddedLength: 129, serverNameLength: 10, maximumNameLength: 0) == 31)
    }

    @Test func encodedInnerHidesTheNameLengthAndRoundsTo32() throws {
        let marker = try ECHClientHello.inner.clientHelloExtension
        var sizes = Set<Int>()
        for name in ["a.example", "much-longer-name.example", "x.y"] {
            let inner = Self.hello(sessionID: [UInt8](repeating: 3, count: 32), serverName: name, extra: [marker])
            let encoded = try EncodedClientHelloInner.encode(inner: inner, maximumNameLength: 40)
            #expect(encoded.count % 32 == 0)
            sizes.insert(encoded.count)
            // The session ID is emptied in the encoding (§5.1).
            var r = ByteReader(encoded)
            #expect(try ClientHello(from: &r).legacySessionID.isEmpty)
            #expect(r.readRest().allSatisfy { $0 == 0 })
        }
        #expect(sizes.count == 1, "names up to maximum_name_length give one size: \(sizes)")
    }

    @Test func outerExtensionCompressionRoundTripsThroughTheServersDecoder() throws {
        let marker = try ECHClientHello.inner.clientHelloExtension
        let inner = Self.hello(sessionID: [UInt8](repeating: 3, count: 32), extra: [marker])
        let compressed: [ExtensionType] = [.supportedGroups, .keyShare, .signatureAlgorithms]
        let encoded = try EncodedClientHelloInner.encode(inner: inner, outerExtensions: compressed, maximumNameLength: 0)
        let plain = try EncodedClientHelloInner.encode(inner: inner, maximumNameLength: 0)
        #expect(encoded.count < plain.count || encoded.count == plain.count)
        // The encoding names the compressed types in one ech_outer_extensions, where they were.
        var r = ByteReader(encoded)
        let wire = try ClientHello(from: &r)
        #expect(wire.extensions.map(\.extensionType) == [.serverName, .supportedVersions, .echOuterExtensions, .encryptedClientHello])
        guard case .unknown(_, let body)? = wire.extension(.echOuterExtensions) else { Issue.record("no marker"); return }
        #expect(try ECHOuterExtensions(body: body).types == compressed)

        // The outer hello has them in the same relative order, not contiguous.
        let outer = ClientHello(random: [UInt8](repeating: 2, count: 32), legacySessionID: inner.legacySessionID,
                                cipherSuites: [.aes128GCMSHA256], extensions: [
                                    .supportedGroups([.x25519, .secp256r1]), .serverName("public.example"),
                                    .keyShare(inner.keyShares), .supportedVersions([.tls13]),
                                    .signatureAlgorithms([.ecdsaSecp256r1SHA256, .rsaPSSRSAESHA256]),
                                ])
        #expect(try EncodedClientHelloInner.decode(encoded, outer: outer) == inner)

        // The server's checks (§5.1): missing, out of order, non-zero padding.
        var missing = outer
        missing.extensions.removeAll { $0.extensionType == .keyShare }
        #expect(throws: TLSError.self) { try EncodedClientHelloInner.decode(encoded, outer: missing) }
        var reordered = outer
        reordered.extensions.swapAt(0, 2)
        #expect(throws: TLSError.self) { try EncodedClientHelloInner.decode(encoded, outer: reordered) }
        var padded = encoded
        padded[padded.count - 1] = 1
        #expect(throws: TLSError.illegalParameter("EncodedClientHelloInner: non-zero padding")) {
            try EncodedClientHelloInner.decode(padded, outer: outer)
        }
    }

    @Test func theServersDecoderRefusesBadReferences() throws {
        func encoded(_ references: [ExtensionType]) throws -> [UInt8] {
            var hello = Self.hello(serverName: nil, extra: [try ECHClientHello.inner.clientHelloExtension])
            hello.extensions = [try ECHOuterExtensions(types: references).clientHelloExtension] + hello.extensions.filter {
                !references.contains($0.extensionType)
            }
            var w = ByteWriter()
            try hello.encode(into: &w)
            return w.bytes
        }
        let outer = Self.hello(extra: [try ECHClientHello.outer(cipherSuite: ECHGrease.cipherSuite, configID: 0, enc: [],
                                                            payload: [1]).clientHelloExtension])
        #expect(throws: TLSError.illegalParameter("ech_outer_extensions names encrypted_client_hello")) {
            try EncodedClientHelloInner.decode(try encoded([.encryptedClientHello]), outer: outer)
        }
        #expect(throws: TLSError.illegalParameter("ech_outer_extensions names an extension twice")) {
            try EncodedClientHelloInner.decode(try encoded([.keyShare, .keyShare]), outer: outer)
        }
        // A reference to an extension the inner hello also has: a duplicate after decompression.
        var both = Self.hello(serverName: nil, extra: [try ECHClientHello.inner.clientHelloExtension])
        both.extensions.insert(try ECHOuterExtensions(types: [.keyShare]).clientHelloExtension, at: 0)
        var w = ByteWriter()
        try both.encode(into: &w)
        #expect(throws: TLSError.self) { try EncodedClientHelloInner.decode(w.bytes, outer: outer) }
    }

    @Test func theEncoderRefusesABuildersMistakes() throws {
        let inner = Self.hello(extra: [try ECHClientHello.inner.clientHelloExtension])
        // Not contiguous in the inner hello (server_name … key_share with supported_versions between).
        #expect(throws: TLSError.self) {
            try EncodedClientHelloInner.encode(inner: inner, outerExtensions: [.serverName, .supportedGroups], maximumNameLength: 0)
        }
        #expect(throws: TLSError.self) {
            try EncodedClientHelloInner.encode(inner: inner, outerExtensions: [.encryptedClientHello], maximumNameLength: 0)
        }
        #expect(throws: TLSError.self) {
            try EncodedClientHelloInner.encode(inner: inner, outerExtensions: [.cookie], maximumNameLength: 0)
        }
    }

    // MARK: ClientHelloOuterAAD and sealing

    @Test func theAADZeroesOnlyThePayload() throws {
        let ext = ECHClientHello.outer(cipherSuite: ECHGrease.cipherSuite, configID: 3, enc: [7, 7], payload: [1, 2, 3, 4])
        let outer = Self.hello(extra: [try ext.clientHelloExtension])
        let aad = try ClientHelloOuterAAD.bytes(outer)
        var w = ByteWriter()
        try outer.encode(into: &w)
        #expect(aad.count == w.count)
        let differing = zip(aad, w.bytes).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(differing == Array((w.count - 4)..<w.count), "only the payload (the last extension's tail) differs")
        #expect(throws: TLSError.self) { try ClientHelloOuterAAD.bytes(Self.hello()) }
    }

    /// The whole client side (RFC 9849 §6.1) opened by the server's side: HPKE recipient with the config's private key
    /// and the ClientHelloOuterAAD, then the EncodedClientHelloInner decoder; twice, as after a HelloRetryRequest.
    @Test(arguments: [HPKESymmetricCipherSuite(kdf: .hkdfSHA256, aead: .aes128GCM), .init(kdf: .hkdfSHA384, aead: .chacha20Poly1305)])
    func aSealedOuterHelloOpensToTheInnerHello(suite: HPKESymmetricCipherSuite) throws {
        let config = Self.config(suites: [suite], maximumNameLength: 32)
        let offer = try ECHClientOffer(config: config, suite: suite)
        let marker = try ECHClientHello.inner.clientHelloExtension
        let session = [UInt8](repeating: 5, count: 32)
        let compressed: [ExtensionType] = [.supportedGroups, .keyShare]
        func outerTemplate(random: UInt8) -> ClientHello {
            // A placeholder ECH extension fixes the position (here: first).
            ClientHello(random: [UInt8](repeating: random, count: 32), legacySessionID: session,
                        cipherSuites: [.aes128GCMSHA256], extensions: [
                            .unknown(.encryptedClientHello, []), .serverName(config.publicNameString),
                            .supportedVersions([.tls13]), .supportedGroups([.x25519, .secp256r1]),
                            .keyShare([KeyShareEntry(group: .x25519, keyExchange: [UInt8](repeating: 9, count: 32))]),
                        ])
        }
        let inner1 = Self.hello(random: 0x11, sessionID: session, extra: [marker])
        let outer1 = try offer.sealOuter(inner: inner1, outer: outerTemplate(random: 0x21), compressing: compressed)
        #expect(outer1.extensions.first?.extensionType == .encryptedClientHello)
        guard case .outer(let s, let id, let enc, let payload)? = try ECHClientHello(in: outer1) else {
            Issue.record("no outer ECH")
            return
        }
        #expect(s == suite && id == config.configID && enc.count == 32)
        #expect((payload.count - 16) % 32 == 0)
        let recipient = try HPKE.setupBaseRecipient(
            suite: try HPKESuite(kem: .x25519HKDFSHA256, kdf: suite.kdf, aead: suite.aead), encapsulatedKey: enc,
            recipientPrivateKey: [UInt8](Self.x25519Key.rawRepresentation), info: config.hpkeInfo)
        let opened1 = try recipient.open(aad: try ClientHelloOuterAAD.bytes(outer1), ciphertext: payload)
        #expect(try EncodedClientHelloInner.decode(opened1, outer: outer1) == inner1)

        // A tampered outer hello (another SNI) breaks the AAD: the server cannot open it.
        var tampered = outer1
        tampered.extensions[1] = .serverName("other.example")
        let recipient2 = try HPKE.setupBaseRecipient(
            suite: try HPKESuite(kem: .x25519HKDFSHA256, kdf: suite.kdf, aead: suite.aead), encapsulatedKey: enc,
            recipientPrivateKey: [UInt8](Self.x25519Key.rawRepresentation), info: config.hpkeInfo)
        #expect(throws: TLSError.self) { try recipient2.open(aad: try ClientHelloOuterAAD.bytes(tampered), ciphertext: payload) }

        // After a HelloRetryRequest: same offer, empty enc, sequence number 1.
        let inner2 = Self.hello(random: 0x11, sessionID: session, extra: [
            marker, .cookie([1, 2, 3]),
        ])
        let outer2 = try offer.sealOuter(inner: inner2, outer: outerTemplate(random: 0x21), compressing: compressed)
        guard case .outer(_, let id2, let enc2, let payload2)? = try ECHClientHello(in: outer2) else {
            Issue.record("no outer ECH")
            return
        }
        #expect(id2 == config.configID && enc2.isEmpty && offer.sealedCount == 2)
        let opened2 = try recipient.open(aad: try ClientHelloOuterAAD.bytes(outer2), ciphertext: payload2)
        #expect(try EncodedClientHelloInner.decode(opened2, outer: outer2) == inner2)
    }

    @Test func sealOuterRefusesAnInnerWithoutItsMarkerOrAMismatchedCompression() throws {
        let offer = try ECHClientOffer(list: ECHConfigList(configs: [Self.config()]))
        #expect(throws: TLSError.self) { try offer.sealOuter(inner: Self.hello(), outer: Self.hello(random: 2)) }
        let inner = Self.hello(extra: [try ECHClientHello.inner.clientHelloExtension])
        var outer = Self.hello(random: 2, serverName: "public.example")
        outer.extensions.removeAll { $0.extensionType == .keyShare }
        #expect(throws: TLSError.self) { try offer.sealOuter(inner: inner, outer: outer, compressing: [.keyShare]) }
        // Without compression it goes through, and the ECH extension lands before pre_shared_key.
        let psk = OfferedPSKs(identities: [.init(identity: [1, 2, 3, 4], obfuscatedTicketAge: 5)],
                              binders: [[UInt8](repeating: 0, count: 32)])
        outer.extensions.append(.preSharedKey(try ECHGrease.pskExtension(mirroring: psk, random: SystemRandom())))
        let sealed = try offer.sealOuter(inner: inner, outer: outer)
        #expect(sealed.extensions.suffix(2).map(\.extensionType) == [.encryptedClientHello, .preSharedKey])
    }

    @Test func greaseLooksLikeARealOffer() throws {
        let hello = Self.hello(extra: [])
        let length = try ECHGrease.payloadLength(for: hello)
        #expect((length - 16) % 32 == 0)
        let a = try ECHGrease.makeExtension(payloadLength: length, random: SystemRandom())
        let b = try ECHGrease.makeExtension(payloadLength: length, random: SystemRandom())
        guard case .outer(let suite, _, let enc, let payload) = a, case .outer(_, _, let enc2, let payload2) = b else {
            Issue.record("GREASE ECH must be an outer extension")
            return
        }
        #expect(suite == ECHGrease.cipherSuite && enc.count == 32 && payload.count == length)
        #expect(enc != enc2 && payload != payload2)
        #expect(try ECHClientHello(body: a.body) == a)
        #expect(throws: TLSError.self) { try ECHGrease.makeExtension(payloadLength: 0, random: SystemRandom()) }

        let inner = OfferedPSKs(identities: [.init(identity: [UInt8](repeating: 1, count: 100), obfuscatedTicketAge: 7)],
                                binders: [[UInt8](repeating: 2, count: 48)])
        let grease = try ECHGrease.pskExtension(mirroring: inner, random: SystemRandom())
        #expect(grease.identities.map(\.identity.count) == [100] && grease.binders.map(\.count) == [48])
        #expect(grease.identities[0].identity != inner.identities[0].identity)
    }

    // MARK: Acceptance confirmation

    /// Checked against swift-crypto's HKDF with the HkdfLabel built by hand (an independent path).
    @Test(arguments: [false, true]) func acceptanceConfirmationMatchesAnIndependentHKDF(hrr: Bool) throws {
        let random = (0..<32).map { UInt8($0) }
        for (hash, transcript) in [(HashAlgorithm.sha256, [UInt8](repeating: 0xAB, count: 32)),
                                   (.sha384, [UInt8](repeating: 0xCD, count: 48))] {
            let ours = try ECHAcceptance.confirmation(hash: hash, innerRandom: random, transcriptHash: transcript,
                                                      helloRetryRequest: hrr)
            let label = Array("tls13 \(hrr ? "hrr " : "")ech accept confirmation".utf8)
            let info = [0, 8, UInt8(label.count)] + label + [UInt8(transcript.count)] + transcript
            let theirs: [UInt8]
            if hash == .sha256 {
                let prk = Crypto.HKDF<SHA256>.extract(inputKeyMaterial: SymmetricKey(data: random), salt: [UInt8](repeating: 0, count: 32))
                theirs = Crypto.HKDF<SHA256>.expand(pseudoRandomKey: prk, info: info, outputByteCount: 8).withUnsafeBytes { [UInt8]($0) }
            } else {
                let prk = Crypto.HKDF<SHA384>.extract(inputKeyMaterial: SymmetricKey(data: random), salt: [UInt8](repeating: 0, count: 48))
                theirs = Crypto.HKDF<SHA384>.expand(pseudoRandomKey: prk, info: info, outputByteCount: 8).withUnsafeBytes { [UInt8]($0) }
            }
            #expect(ours == theirs)
            #expect(ours.count == 8)
            #expect(ECHAcceptance.matches(expected: ours, received: theirs))
            #expect(!ECHAcceptance.matches(expected: ours, received: [UInt8](repeating: 0, count: 8)))
        }
        let plain = try ECHAcceptance.confirmation(hash: .sha256, innerRandom: random, transcriptHash: [1], helloRetryRequest: false)
        let retry = try ECHAcceptance.confirmation(hash: .sha256, innerRandom: random, transcriptHash: [1], helloRetryRequest: true)
        #expect(plain != retry)
    }

    @Test func theConfirmationIsCutFromTheRightBytes() throws {
        let random = (0..<32).map { UInt8(0x40 + $0) }
        let sh = ServerHello(random: random, cipherSuite: .aes128GCMSHA256,
                             extensions: [.supportedVersions(.tls13)])
        let message = try HandshakeMessage.serverHello(sh).encoded
        let (zeroed, confirmation) = try ECHAcceptance.serverHelloForConfirmation(message)
        #expect(confirmation == Array(random[24...]))
        #expect(zeroed.count == message.count)
        #expect(Array(zeroed[6..<30]) == Array(random[..<24]) && zeroed[30..<38].allSatisfy { $0 == 0 })
        #expect(zeroed[38...] == message[38...])
        #expect(throws: TLSError.self) { try ECHAcceptance.serverHelloForConfirmation(Array(message.prefix(37))) }

        let payload: [UInt8] = [9, 8, 7, 6, 5, 4, 3, 2]
        let hrr = HelloRetryRequest(legacySessionIDEcho: [1, 2, 3], cipherSuite: .aes128GCMSHA256, extensions: [
            .supportedVersions(.tls13), ECHHelloRetryRequest(confirmation: payload).helloRetryRequestExtension, .cookie([1]),
        ])
        let hrrBytes = try HandshakeMessage.helloRetryRequest(hrr).encoded
        let split = try #require(try ECHAcceptance.helloRetryRequestForConfirmation(hrrBytes))
        #expect(split.confirmation == payload)
        var expected = hrr
        expected.extensions[1] = ECHHelloRetryRequest(confirmation: [UInt8](repeating: 0, count: 8)).helloRetryRequestExtension
        #expect(try split.zeroed == HandshakeMessage.helloRetryRequest(expected).encoded)
        let without = HelloRetryRequest(cipherSuite: .aes128GCMSHA256, extensions: [.supportedVersions(.tls13)])
        #expect(try ECHAcceptance.helloRetryRequestForConfirmation(HandshakeMessage.helloRetryRequest(without).encoded) == nil)
        var short = hrr
        short.extensions[1] = .unknown(.encryptedClientHello, [1, 2, 3])
        #expect(throws: TLSError.self) {
            try ECHAcceptance.helloRetryRequestForConfirmation(HandshakeMessage.helloRetryRequest(short).encoded)
        }
        for n in 0..<hrrBytes.count {
            #expect(throws: TLSError.self) { try ECHAcceptance.helloRetryRequestForConfirmation(Array(hrrBytes[..<n])) }
        }
    }
}
