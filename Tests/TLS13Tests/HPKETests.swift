import Crypto
import Foundation
import Testing
@testable import TLS13

/// HPKE base mode (RFC 9180) as ECH uses it: the sender against RFC 9180's known answers for every implemented
/// suite (Vectors/hpke/), and against swift-crypto's independent `HPKE.Recipient` for the suites the RFC has no
/// vectors for (HKDF-SHA384).
@Suite struct HPKETests {
    struct Case: Decodable, Sendable, CustomStringConvertible {
        struct Encryption: Decodable, Sendable {
            var seq: UInt64
            var aad: String
            var pt: String
            var ct: String
            var nonce: String
        }
        var mode: Int
        var kem_id: UInt16
        var kdf_id: UInt16
        var aead_id: UInt16
        var info: String
        var skEm: String
        var pkEm: String
        var pkRm: String
        var skRm: String
        var enc: String
        var shared_secret: String
        var key_schedule_context: String
        var key: String
        var base_nonce: String
        var exporter_secret: String
        var encryptions: [Encryption]

        var description: String { "kem 0x\(String(kem_id, radix: 16)) kdf \(kdf_id) aead \(aead_id)" }

        func suite() throws -> HPKESuite {
            try HPKESuite(kem: HPKEKEMID(rawValue: kem_id), kdf: HPKEKDFID(rawValue: kdf_id),
                          aead: HPKEAEADID(rawValue: aead_id))
        }
    }

    static let cases: [Case] = {
        do {
            return try JSONDecoder().decode([Case].self, from: VectorPaths.load("hpke/rfc9180-base.json"))
        } catch {
            Issue.record("cannot load the HPKE vectors: \(error)")
            return []
        }
    }()

    @Test func theVectorsCoverEveryImplementedKEMAndAEAD() {
        let suites = Set(Self.cases.map { "\($0.kem_id)/\($0.kdf_id)/\($0.aead_id)" })
        #expect(suites == ["16/1/1", "16/1/2", "16/1/3", "32/1/1", "32/1/2", "32/1/3"])
        #expect(Self.cases.allSatisfy { $0.mode == 0 && $0.encryptions.map(\.seq) == [0, 1, 2, 255, 256] })
    }

    @Test(arguments: cases) func encapsulationAndKeyScheduleMatchRFC9180(_ v: Case) throws {
        let suite = try v.suite()
        let (sharedSecret, enc) = try HPKE.encapsulate(
            suite: suite, recipientPublicKey: try [UInt8](hex: v.pkRm), ephemeralPrivateKey: try [UInt8](hex: v.skEm))
        #expect(enc == (try [UInt8](hex: v.enc)))
        #expect(enc == (try [UInt8](hex: v.pkEm)))
        #expect(sharedSecret.withUnsafeBytes { [UInt8]($0) } == (try [UInt8](hex: v.shared_secret)))
        let schedule = try HPKE.keySchedule(suite: suite, sharedSecret: sharedSecret, info: try [UInt8](hex: v.info))
        #expect(schedule.context == (try [UInt8](hex: v.key_schedule_context)))
        #expect(schedule.key.withUnsafeBytes { [UInt8]($0) } == (try [UInt8](hex: v.key)))
        #expect(schedule.baseNonce.withUnsafeBytes { [UInt8]($0) } == (try [UInt8](hex: v.base_nonce)))
        #expect(schedule.exporterSecret.withUnsafeBytes { [UInt8]($0) } == (try [UInt8](hex: v.exporter_secret)))
    }

    /// Seal with the counting sequence number: the ciphertexts at 0, 1, 2, 255 and 256 of 257 seals.
    @Test(arguments: cases) func sealMatchesRFC9180AtEachSequenceNumber(_ v: Case) throws {
        let context = try HPKE.setupBaseSender(
            suite: try v.suite(), recipientPublicKey: try [UInt8](hex: v.pkRm), info: try [UInt8](hex: v.info),
            ephemeralPrivateKey: try [UInt8](hex: v.skEm))
        #expect(context.encapsulatedKey == (try [UInt8](hex: v.enc)))
        let wanted = Dictionary(uniqueKeysWithValues: v.encryptions.map { ($0.seq, $0) })
        // All 257 encryptions share the plaintext; the AAD is "Count-<seq>".
        let plaintext = try [UInt8](hex: try #require(v.encryptions.first).pt)
        for seq in UInt64(0)...256 {
            #expect(context.sequenceNumber == seq)
            let aad = Array("Count-\(seq)".utf8)
            let sealed = try context.seal(aad: aad, plaintext: plaintext)
            if let e = wanted[seq] {
                #expect(aad == (try [UInt8](hex: e.aad)))
                #expect(sealed == (try [UInt8](hex: e.ct)), "\(v) seq \(seq)")
            }
        }
    }

    @Test(arguments: cases) func theRecipientOpensTheVectorsCiphertexts(_ v: Case) throws {
        let recipient = try HPKE.setupBaseRecipient(
            suite: try v.suite(), encapsulatedKey: try [UInt8](hex: v.enc), recipientPrivateKey: try [UInt8](hex: v.skRm),
            info: try [UInt8](hex: v.info))
        let first = try #require(v.encryptions.first)
        #expect(try recipient.open(aad: try [UInt8](hex: first.aad), ciphertext: try [UInt8](hex: first.ct))
                == (try [UInt8](hex: first.pt)))
        // The second ciphertext under sequence 1; a flipped bit is refused and the sequence number stays.
        let second = v.encryptions[1]
        var tampered = try [UInt8](hex: second.ct)
        tampered[0] ^= 1
        #expect(throws: TLSError.protocolViolation(alert: .decryptError, reason: "HPKE Open: authentication failed")) {
            try recipient.open(aad: try [UInt8](hex: second.aad), ciphertext: tampered)
        }
        #expect(recipient.sequenceNumber == 1)
        #expect(try recipient.open(aad: try [UInt8](hex: second.aad), ciphertext: try [UInt8](hex: second.ct))
                == (try [UInt8](hex: second.pt)))
    }

    /// The suites RFC 9180 has no vectors for (HKDF-SHA384), and all the others too: what the library seals,
    /// swift-crypto's `HPKE.Recipient` (BoringSSL primitives, its own key schedule) opens, twice in sequence.
    @Test(arguments: [HPKEKDFID.hkdfSHA256, .hkdfSHA384], [HPKEAEADID.aes128GCM, .aes256GCM, .chacha20Poly1305])
    func swiftCryptoOpensWhatTheLibrarySeals(kdf: HPKEKDFID, aead: HPKEAEADID) throws {
        let kdfs: [HPKEKDFID: Crypto.HPKE.KDF] = [.hkdfSHA256: .HKDF_SHA256, .hkdfSHA384: .HKDF_SHA384]
        let aeads: [HPKEAEADID: Crypto.HPKE.AEAD] = [
            .aes128GCM: .AES_GCM_128, .aes256GCM: .AES_GCM_256, .chacha20Poly1305: .chaChaPoly,
        ]
        let info = Array("tls ech".utf8) + [0] + Array(repeating: 0x42, count: 70)
        let messages = [Array("ClientHelloInner 1".utf8), Array("ClientHelloInner 2, after HelloRetryRequest".utf8)]
        let aads = [Array(repeating: 1, count: 300), Array(repeating: 2, count: 310)] as [[UInt8]]

        // X25519
        let x25519 = Curve25519.KeyAgreement.PrivateKey()
        let x = try TLS13.HPKE.setupBaseSender(
            suite: try HPKESuite(kem: .x25519HKDFSHA256, kdf: kdf, aead: aead),
            recipientPublicKey: [UInt8](x25519.publicKey.rawRepresentation), info: info)
        var xr = try Crypto.HPKE.Recipient(
            privateKey: x25519,
            ciphersuite: .init(kem: .Curve25519_HKDF_SHA256, kdf: try #require(kdfs[kdf]), aead: try #require(aeads[aead])),
            info: Data(info), encapsulatedKey: Data(x.encapsulatedKey))
        for (message, aad) in zip(messages, aads) {
            let sealed = try x.seal(aad: aad, plaintext: message)
            #expect([UInt8](try xr.open(Data(sealed), authenticating: Data(aad))) == message)
        }

        // P-256 (uncompressed point)
        let p256 = P256.KeyAgreement.PrivateKey()
        let p = try TLS13.HPKE.setupBaseSender(
            suite: try HPKESuite(kem: .p256HKDFSHA256, kdf: kdf, aead: aead),
            recipientPublicKey: [UInt8](p256.publicKey.x963Representation), info: info)
        #expect(p.encapsulatedKey.count == 65 && p.encapsulatedKey.first == 4)
        var pr = try Crypto.HPKE.Recipient(
            privateKey: p256,
            ciphersuite: .init(kem: .P256_HKDF_SHA256, kdf: try #require(kdfs[kdf]), aead: try #require(aeads[aead])),
            info: Data(info), encapsulatedKey: Data(p.encapsulatedKey))
        for (message, aad) in zip(messages, aads) {
            let sealed = try p.seal(aad: aad, plaintext: message)
            #expect([UInt8](try pr.open(Data(sealed), authenticating: Data(aad))) == message)
        }
    }

    /// And the other way: swift-crypto seals, the library's recipient opens (SHA-384 included).
    @Test func theLibraryOpensWhatSwiftCryptoSeals() throws {
        let skR = Curve25519.KeyAgreement.PrivateKey()
        let info = Array("info".utf8)
        var sender = try Crypto.HPKE.Sender(
            recipientKey: skR.publicKey,
            ciphersuite: .init(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA384, aead: .chaChaPoly), info: Data(info))
        let recipient = try TLS13.HPKE.setupBaseRecipient(
            suite: try HPKESuite(kem: .x25519HKDFSHA256, kdf: .hkdfSHA384, aead: .chacha20Poly1305),
            encapsulatedKey: [UInt8](sender.encapsulatedKey), recipientPrivateKey: [UInt8](skR.rawRepresentation),
            info: info)
        for i in 0..<3 {
            let message = Array("message \(i)".utf8)
            let sealed = try sender.seal(Data(message), authenticating: Data([UInt8(i)]))
            #expect(try recipient.open(aad: [UInt8(i)], ciphertext: [UInt8](sealed)) == message)
        }
    }

    @Test func unsupportedAlgorithmsAndBadKeysAreRefused() throws {
        #expect(throws: TLSError.self) { try HPKESuite(kem: .x448HKDFSHA512, kdf: .hkdfSHA256, aead: .aes128GCM) }
        #expect(throws: TLSError.self) { try HPKESuite(kem: .x25519HKDFSHA256, kdf: .hkdfSHA512, aead: .aes128GCM) }
        #expect(throws: TLSError.self) { try HPKESuite(kem: .x25519HKDFSHA256, kdf: .hkdfSHA256, aead: .exportOnly) }
        #expect(HPKESuite.supports(kem: .p256HKDFSHA256) && !HPKESuite.supports(kem: .p384HKDFSHA384))
        #expect(HPKESuite.publicKeyLength(kem: .x25519HKDFSHA256) == 32)
        #expect(HPKESuite.publicKeyLength(kem: .p256HKDFSHA256) == 65)

        let x = try HPKESuite(kem: .x25519HKDFSHA256, kdf: .hkdfSHA256, aead: .aes128GCM)
        // Wrong length, and a small-order X25519 point (all-zero DH output).
        #expect(throws: TLSError.self) { try HPKE.setupBaseSender(suite: x, recipientPublicKey: [1, 2, 3], info: []) }
        #expect(throws: TLSError.self) {
            try HPKE.setupBaseSender(suite: x, recipientPublicKey: [UInt8](repeating: 0, count: 32), info: [])
        }
        let p = try HPKESuite(kem: .p256HKDFSHA256, kdf: .hkdfSHA256, aead: .aes128GCM)
        // 65 bytes but not a point on P-256.
        #expect(throws: TLSError.self) {
            try HPKE.setupBaseSender(suite: p, recipientPublicKey: [4] + [UInt8](repeating: 7, count: 64), info: [])
        }
    }

    @Test func everySetupHasItsOwnEphemeralKey() throws {
        let skR = Curve25519.KeyAgreement.PrivateKey()
        let suite = try HPKESuite(kem: .x25519HKDFSHA256, kdf: .hkdfSHA256, aead: .aes128GCM)
        let a = try HPKE.setupBaseSender(suite: suite, recipientPublicKey: [UInt8](skR.publicKey.rawRepresentation), info: [])
        let b = try HPKE.setupBaseSender(suite: suite, recipientPublicKey: [UInt8](skR.publicKey.rawRepresentation), info: [])
        #expect(a.encapsulatedKey != b.encapsulatedKey)
        #expect(try a.seal(aad: [], plaintext: [1]) != (try b.seal(aad: [], plaintext: [1])))
    }
}
