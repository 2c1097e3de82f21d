import Foundation
import Testing
@testable import TLS13

/// X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem): the key share itself (known answers from independent
/// implementations, lengths, errors), the ClientHello the default configuration sends, and handshakes with
/// the in-process server (which encapsulates with swift-crypto; `ServerKeyExchange`).
@Suite struct HybridKeyShareTests {
    struct Case: Decodable {
        let mlkem_seed: String
        let client_x25519_private_key: String
        let client_share: String
        let server_share: String
        let shared_secret: String
        let cross_checked_with_cryptography: Bool
    }

    struct Vectors: Decodable {
        let group: String
        let cases: [Case]
    }

    static func vectors() throws -> [Case] {
        try JSONDecoder().decode(Vectors.self, from: VectorPaths.load("hybrid/x25519mlkem768.json")).cases
    }

    // MARK: Known answers

    @Test func knownAnswersFromKyberPyAndPycaCryptography() throws {
        let cases = try Self.vectors()
        #expect(cases.count == 3)
        for c in cases {
            #expect(c.cross_checked_with_cryptography, "the vector was checked against a second ML-KEM")
            let privateKey = try [UInt8](hex: c.mlkem_seed) + [UInt8](hex: c.client_x25519_private_key)
            let share = try makeKeyShare(group: .x25519MLKEM768, privateKey: privateKey)
            #expect(share.group == .x25519MLKEM768)
            #expect(share.publicKey == (try [UInt8](hex: c.client_share)), "encapsulation key ‖ X25519 public key")
            let secret = try share.sharedSecret(peerPublicKey: try [UInt8](hex: c.server_share))
            #expect(secret.testBytes == (try [UInt8](hex: c.shared_secret)), "ML-KEM secret ‖ X25519 secret")
        }
    }

    @Test func x25519HalfIsTheRFC7748KeyPair() throws {
        // RFC 7748 §6.1: Alice's private key and public key.
        let alice = try [UInt8](hex: "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
        let alicePublic = try [UInt8](hex: "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        let seed = [UInt8](repeating: 7, count: 64)
        let share = try makeKeyShare(group: .x25519MLKEM768, privateKey: seed + alice)
        #expect(share.publicKey.count == 1184 + 32)
        #expect(Array(share.publicKey.suffix(32)) == alicePublic)
        let again = try makeKeyShare(group: .x25519MLKEM768, privateKey: seed + alice)
        #expect(again.publicKey == share.publicKey, "the seed fixes the encapsulation key")
    }

    @Test func freshKeyPairsAgreeWithTheEncapsulatingServer() throws {
        let a = try makeKeyShare(group: .x25519MLKEM768)
        let b = try makeKeyShare(group: .x25519MLKEM768)
        #expect(a.publicKey.count == 1216)
        #expect(a.publicKey.prefix(1184) != b.publicKey.prefix(1184))
        #expect(a.publicKey.suffix(32) != b.publicKey.suffix(32))
        let (serverShare, serverSecret) = try ServerKeyExchange.respond(
            to: KeyShareEntry(group: .x25519MLKEM768, keyExchange: a.publicKey))
        #expect(serverShare.keyExchange.count == 1088 + 32)
        let secret = try a.sharedSecret(peerPublicKey: serverShare.keyExchange)
        #expect(secret.count == 64)
        #expect(secret.testBytes == serverSecret.testBytes)
        // The other key pair derives something else from the same server share (ML-KEM implicit rejection:
        // no error, a different secret; the handshake then fails at the first record).
        let other = try b.sharedSecret(peerPublicKey: serverShare.keyExchange)
        #expect(other.testBytes != serverSecret.testBytes)
        #expect(other.testBytes.suffix(32) != serverSecret.testBytes.suffix(32))
    }

    // MARK: Errors

    @Test(arguments: [0, 32, 1087, 1088, 1119, 1121, 1216])
    func serverShareOfTheWrongLengthIsIllegalParameter(length: Int) throws {
        let share = try makeKeyShare(group: .x25519MLKEM768)
        let error = expectTLSError(alert: .illegalParameter) {
            _ = try share.sharedSecret(peerPublicKey: [UInt8](repeating: 9, count: length))
        }
        #expect(error?.description.contains("1120") == true, "\(String(describing: error))")
    }

    @Test func lowOrderX25519HalfIsIllegalParameter() throws {
        let share = try makeKeyShare(group: .x25519MLKEM768)
        let (serverShare, _) = try ServerKeyExchange.respond(
            to: KeyShareEntry(group: .x25519MLKEM768, keyExchange: share.publicKey))
        // The ciphertext is fine; the X25519 half is the all-zero point (the shared secret would be zero).
        let tampered = Array(serverShare.keyExchange.prefix(1088)) + [UInt8](repeating: 0, count: 32)
        expectTLSError(alert: .illegalParameter) { _ = try share.sharedSecret(peerPublicKey: tampered) }
    }

    @Test(arguments: [0, 64, 95, 97])
    func malformedInjectedPrivateKeysAreConfigurationErrors(length: Int) {
        let error = expectTLSError { _ = try makeKeyShare(group: .x25519MLKEM768, privateKey: [UInt8](repeating: 1, count: length)) }
        if case .invalidConfiguration = error {} else { Issue.record("\(length) bytes: \(String(describing: error))") }
    }

    @Test func hybridNeedsAnX25519Half() throws {
        let p256 = try makeKeyShare(group: .secp256r1)
        let error = expectTLSError { _ = try HybridKeyShare(x25519: p256) }
        if case .invalidConfiguration = error {} else { Issue.record("\(String(describing: error))") }
    }

    // MARK: One X25519 key for both shares

    @Test func hybridAndX25519SharesUseOneKeyPair() throws {
        var made: [NamedGroup] = []
        let shares = try makeKeyShares(for: [.x25519MLKEM768, .x25519]) { (group) throws(TLSError) in
            made.append(group)
            return try makeKeyShare(group: group)
        }
        #expect(made == [.x25519], "only the x25519 key pair comes from the factory; ML-KEM is added to it")
        try #require(shares.count == 2)
        #expect(shares.map(\.group) == [.x25519MLKEM768, .x25519])
        #expect(Array(shares[0].publicKey.suffix(32)) == shares[1].publicKey)
        #expect((shares[0] as? HybridKeyShare)?.x25519 === shares[1])
        // The x25519 share still works on its own (a server without the hybrid picks it).
        let server = try makeKeyShare(group: .x25519)
        #expect(try shares[1].sharedSecret(peerPublicKey: server.publicKey).testBytes
                == (try server.sharedSecret(peerPublicKey: shares[1].publicKey)).testBytes)
    }

    @Test func hybridAloneGetsItsOwnX25519Key() throws {
        var made: [NamedGroup] = []
        let shares = try makeKeyShares(for: [.x25519MLKEM768, .secp256r1]) { (group) throws(TLSError) in
            made.append(group)
            return try makeKeyShare(group: group)
        }
        #expect(made == [.x25519MLKEM768, .secp256r1])
        #expect(shares.map(\.group) == [.x25519MLKEM768, .secp256r1])
        #expect(shares.map(\.publicKey.count) == [1216, 65])
    }

    // MARK: The ClientHello

    @Test func defaultClientHelloOffersBothSharesWithOneX25519PublicValue() throws {
        let config = TLSClientConfiguration()
        let defaults: [NamedGroup] = [.x25519MLKEM768, .x25519, .secp256r1, .secp384r1, .secp521r1, .x448]
        #expect(config.supportedGroups == defaults)
        #expect(config.keyShareGroups == [.x25519MLKEM768, .x25519])
        let server = ScriptedServer(ScriptedServer.Configuration(chain: .ecdsaP256))
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        let hello = try #require(server.clientHellos.first)
        // A GREASE group (RFC 8701) comes first in both lists; the real entries follow.
        guard case .supportedGroups(let offered)? = hello.extension(.supportedGroups) else {
            Issue.record("no supported_groups")
            return
        }
        #expect(offered.filter { !GREASE.isGREASE($0.rawValue) } == defaults)
        let shares = hello.keyShares.filter { !GREASE.isGREASE($0.group.rawValue) }
        #expect(shares.map(\.group) == [.x25519MLKEM768, .x25519])
        #expect(shares.map(\.keyExchange.count) == [1216, 32])
        let hybrid = shares[0].keyExchange, plain = shares[1].keyExchange
        #expect(Array(hybrid.suffix(32)) == plain, "the hybrid's X25519 half is the x25519 share")
        // The scripted server prefers x25519 (it lists no hybrid): chosen at once.
        #expect(client.info.group == .x25519)
        #expect(!client.info.usedHelloRetryRequest)
    }

    @Test func hybridAddsExactly1222BytesToTheClientHello() throws {
        func helloLength(_ configure: (inout TLSClientConfiguration) -> Void) throws -> Int {
            // Without GREASE ECH, whose payload length follows the hello's in steps of 32 bytes.
            let client = try makeTestClient { $0.echGREASE = false; configure(&$0) }
            return try client.startHandshake().count
        }
        let withHybrid = try helloLength { _ in }
        let without = try helloLength {
            $0.supportedGroups.removeAll { $0 == .x25519MLKEM768 }
            $0.keyShareGroups = [.x25519]
        }
        // KeyShareEntry: group (2) + length (2) + 1184 + 32; supported_groups: one more code point (2).
        #expect(withHybrid - without == 1222, "\(withHybrid) vs \(without) bytes")
    }

    // MARK: Handshakes with the in-process server

    @Test func hybridNegotiatedWithoutHelloRetryRequest() throws {
        var config = ScriptedServer.Configuration(chain: .ecdsaP256)
        config.groups = [.x25519MLKEM768, .x25519]
        let server = ScriptedServer(config)
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.group == .x25519MLKEM768)
        #expect(!client.info.usedHelloRetryRequest)
        #expect(server.clientHellos.count == 1)
    }

    @Test func helloRetryRequestForTheHybrid() throws {
        var config = ScriptedServer.Configuration(chain: .ecdsaP256)
        config.groups = [.x25519MLKEM768]
        let server = ScriptedServer(config)
        let client = try makeTestClient { $0.keyShareGroups = [.x25519] }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.group == .x25519MLKEM768)
        #expect(client.info.usedHelloRetryRequest)
        try #require(server.clientHellos.count == 2)
        #expect(server.clientHellos[1].keyShares.map(\.group) == [.x25519MLKEM768])
        #expect(server.clientHellos[1].keyShares.first?.keyExchange.count == 1216)
    }

    @Test(arguments: [1, 32, 1088, 1119, 1121, 1216])
    func serverHelloHybridShareOfTheWrongLengthIsIllegalParameter(length: Int) throws {
        var config = ScriptedServer.Configuration(chain: .ecdsaP256)
        config.groups = [.x25519MLKEM768]
        let server = ScriptedServer(config)
        server.mutateServerHello = { hello in
            hello.extensions = hello.extensions.map {
                if case .keyShare = $0 {
                    return .keyShare(KeyShareEntry(group: .x25519MLKEM768, keyExchange: [UInt8](repeating: 3, count: length)))
                }
                return $0
            }
        }
        let client = try makeTestClient()
        expectAlert(runHandshake(client: client, server: server), .illegalParameter)
    }

    @Test func corruptedCiphertextFailsAtTheFirstEncryptedRecord() throws {
        var config = ScriptedServer.Configuration(chain: .ecdsaP256)
        config.groups = [.x25519MLKEM768]
        let server = ScriptedServer(config)
        server.mutateServerHello = { hello in
            hello.extensions = hello.extensions.map {
                if case .keyShare(var entry) = $0 {
                    entry.keyExchange[100] ^= 0x01  // inside the ML-KEM ciphertext
                    return .keyShare(entry)
                }
                return $0
            }
        }
        let client = try makeTestClient()
        let outcome = runHandshake(client: client, server: server)
        // Implicit rejection: decapsulation "succeeds" with another secret, so the server's records do not open.
        #expect(outcome.error?.alert == .badRecordMAC, "\(String(describing: outcome.error))")
        // The client's alert goes under its (different) handshake keys: the server cannot open it either.
        #expect(outcome.serverError.map { "\($0)" }?.contains("record authentication failed") == true,
                "\(String(describing: outcome.serverError))")
        #expect(!server.isHandshakeComplete)
    }
}
