import Testing
@testable import TLS13

@Suite struct KeyExchangeTests {
    // MARK: RFC 8448 known answers

    @Test func rfc8448Section3X25519() throws {
        let trace = try RFC8448Trace.load("section3_simple_1rtt")
        let client = try makeKeyShare(group: .x25519, privateKey: try trace.bytes("client_x25519_private_key"))
        let server = try makeKeyShare(group: .x25519, privateKey: try trace.bytes("server_x25519_private_key"))
        #expect(client.group == .x25519)
        #expect(client.publicKey == (try trace.bytes("client_x25519_public_key")))
        #expect(server.publicKey == (try trace.bytes("server_x25519_public_key")))
        let expected = try trace.bytes("ecdhe_shared_secret")
        #expect(try client.sharedSecret(peerPublicKey: server.publicKey).testBytes == expected)
        #expect(try server.sharedSecret(peerPublicKey: client.publicKey).testBytes == expected)
    }

    @Test func rfc8448Section5P256() throws {
        let trace = try RFC8448Trace.load("section5_hello_retry_request")
        let client = try makeKeyShare(group: .secp256r1, privateKey: try trace.bytes("client_p256_private_key"))
        let server = try makeKeyShare(group: .secp256r1, privateKey: try trace.bytes("server_p256_private_key"))
        #expect(client.group == .secp256r1)
        #expect(client.publicKey == (try trace.bytes("client_p256_public_key")))
        #expect(server.publicKey == (try trace.bytes("server_p256_public_key")))
        let expected = try trace.bytes("ecdhe_shared_secret")
        #expect(try client.sharedSecret(peerPublicKey: server.publicKey).testBytes == expected)
        #expect(try server.sharedSecret(peerPublicKey: client.publicKey).testBytes == expected)
    }

    // MARK: Fresh key pairs

    @Test(arguments: [
        (NamedGroup.x25519, 32, 32), (.secp256r1, 65, 32), (.secp384r1, 97, 48), (.x448, 56, 56), (.secp521r1, 133, 66),
        (.ffdhe2048, 256, 256), (.ffdhe3072, 384, 384), (.ffdhe4096, 512, 512),
    ])
    func freshKeyPairsAgree(group: NamedGroup, shareLength: Int, secretLength: Int) throws {
        let a = try makeKeyShare(group: group)
        let b = try makeKeyShare(group: group)
        #expect(a.group == group)
        #expect(a.publicKey.count == shareLength)
        #expect(b.publicKey.count == shareLength)
        #expect(a.publicKey != b.publicKey)
        // NIST curves: uncompressed points.
        if [.secp256r1, .secp384r1, .secp521r1].contains(group) { #expect(a.publicKey.first == 0x04) }
        let ab = try a.sharedSecret(peerPublicKey: b.publicKey)
        let ba = try b.sharedSecret(peerPublicKey: a.publicKey)
        #expect(ab.count == secretLength)
        #expect(ab.testBytes == ba.testBytes)
        // A third party gets a different secret with the same peer.
        let other = try makeKeyShare(group: group)
        #expect(try other.sharedSecret(peerPublicKey: a.publicKey).testBytes != ab.testBytes)
    }

    @Test func p384InjectedKeyMatchesOpenSSL() throws {
        // Scalar 1 gives the generator G of P-384 (SEC 2 §2.5.1).
        let one = [UInt8](repeating: 0, count: 47) + [1]
        let share = try makeKeyShare(group: .secp384r1, privateKey: one)
        let gx = try [UInt8](hex: "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b98"
            + "59f741e082542a385502f25dbf55296c3a545e3872760ab7")
        #expect(Array(share.publicKey[1...48]) == gx)
    }

    // MARK: Unsupported groups

    @Test(arguments: [NamedGroup.ffdhe6144, .ffdhe8192, NamedGroup(rawValue: 0x1234)])
    func unsupportedGroupsAreConfigurationErrors(group: NamedGroup) {
        let error = expectTLSError { _ = try makeKeyShare(group: group) }
        #expect(error == .invalidConfiguration("group \(group) is not supported yet"))
    }

    @Test func malformedInjectedPrivateKeysAreRejected() throws {
        expectTLSError { _ = try makeKeyShare(group: .x25519, privateKey: [UInt8](repeating: 1, count: 31)) }
        expectTLSError { _ = try makeKeyShare(group: .secp256r1, privateKey: [UInt8](repeating: 1, count: 33)) }
        let zero = expectTLSError {
            _ = try makeKeyShare(group: .secp256r1, privateKey: [UInt8](repeating: 0, count: 32))
        }
        if case .invalidConfiguration = zero {} else { Issue.record("zero scalar: \(String(describing: zero))") }
        // The group order n is out of range too.
        let order = try [UInt8](hex: "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")
        let atOrder = expectTLSError { _ = try makeKeyShare(group: .secp256r1, privateKey: order) }
        if case .invalidConfiguration = atOrder {} else { Issue.record("scalar n: \(String(describing: atOrder))") }
    }

    // MARK: Peer shares that RFC 8446 §4.2.8.2 forbids

    @Test func x25519PeerShareMustBe32Bytes() throws {
        let share = try makeKeyShare(group: .x25519)
        for length in [0, 1, 31, 33, 65] {
            let error = expectTLSError(alert: .illegalParameter) {
                _ = try share.sharedSecret(peerPublicKey: [UInt8](repeating: 9, count: length))
            }
            #expect(error?.description.contains("32 bytes, got \(length)") == true)
        }
    }

    @Test func x25519LowOrderPeerGivesIllegalParameter() throws {
        let share = try makeKeyShare(group: .x25519)
        // u = 0 and u = 1 are points of small order: the shared secret is all zeros (RFC 7748 §6.1).
        for u: UInt8 in [0, 1] {
            let peer = [u] + [UInt8](repeating: 0, count: 31)
            let error = expectTLSError(alert: .illegalParameter) { _ = try share.sharedSecret(peerPublicKey: peer) }
            #expect(error?.description.contains("all zeros") == true)
        }
    }

    @Test(arguments: [NamedGroup.secp256r1, .secp384r1])
    func ecPeerShareMustBeUncompressedAndOnCurve(group: NamedGroup) throws {
        let mine = try makeKeyShare(group: group)
        let peer = try makeKeyShare(group: group).publicKey
        let fieldLength = (peer.count - 1) / 2
        let x = Array(peer[1...fieldLength])
        let yIsOdd = (peer.last ?? 0) & 1 == 1

        // Compressed (libcrypto would accept it), hybrid, infinity, truncated, extended.
        let rejected: [(String, [UInt8])] = [
            ("compressed", [yIsOdd ? 0x03 : 0x02] + x),
            ("compressed, full length", [yIsOdd ? 0x03 : 0x02] + Array(peer.dropFirst())),
            ("hybrid", [yIsOdd ? 0x07 : 0x06] + Array(peer.dropFirst())),
            ("infinity", [0x00]),
            ("infinity, full length", [UInt8](repeating: 0, count: peer.count)),
            ("truncated", Array(peer.dropLast())),
            ("extended", peer + [0]),
            ("empty", []),
        ]
        for (name, bytes) in rejected {
            expectTLSError(alert: .illegalParameter, name) { _ = try mine.sharedSecret(peerPublicKey: bytes) }
        }

        // Not on the curve: change y.
        var offCurve = peer
        offCurve[offCurve.count - 1] ^= 0x01
        let error = expectTLSError(alert: .illegalParameter) { _ = try mine.sharedSecret(peerPublicKey: offCurve) }
        #expect(error?.description.contains("curve") == true)

        // Coordinates ≥ p are not field elements.
        let huge = [0x04] + [UInt8](repeating: 0xff, count: peer.count - 1)
        expectTLSError(alert: .illegalParameter) { _ = try mine.sharedSecret(peerPublicKey: huge) }

        // The unmodified share still works after all those failures (no stale libcrypto error).
        #expect(try mine.sharedSecret(peerPublicKey: peer).count == fieldLength)
    }

    @Test func sharedSecretIsRedactedInDescriptions() throws {
        let a = try makeKeyShare(group: .x25519)
        let secret = try a.sharedSecret(peerPublicKey: try makeKeyShare(group: .x25519).publicKey)
        #expect(!"\(secret)".contains(secret.testBytes.hexString))
        #expect("\(secret)".contains("redacted"))
    }
}
