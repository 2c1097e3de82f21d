import Testing
@testable import TLS13

/// The groups beyond x25519 / P-256 / P-384: x448, secp521r1 and the RFC 7919 ffdhe groups, at the key-share
/// level (handshakes with them are in ``ParameterHandshakeTests`` and ``ParameterInteropTests``; fresh key pairs
/// of every group agree in ``KeyExchangeTests/freshKeyPairsAgree(group:shareLength:secretLength:)``).
@Suite struct KeyExchangeGroupsTests {
    /// RFC 7919 ffdhe2048's p (checked when this test was written: a 2048-bit safe prime equal to
    /// 2^2048 - 2^1984 + (floor(2^1918 * e) + 560316) * 2^64 - 1).
    static let ffdhe2048Prime = try! [UInt8](hex: "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F619172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA886B423861285C97FFFFFFFFFFFFFFFF")

    /// RFC 7748 §6.2: Alice and Bob over X448 (checked against pyca/cryptography when written).
    @Test func x448KnownAnswer() throws {
        let alice = try makeKeyShare(group: .x448, privateKey: try [UInt8](hex:
            "9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b"))
        let bob = try makeKeyShare(group: .x448, privateKey: try [UInt8](hex:
            "1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d6927c120bb5ee8972b0d3e21374c9c921b09d1b0366f10b65173992d"))
        #expect(alice.publicKey.hexString
            == "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0")
        #expect(bob.publicKey.hexString
            == "3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609")
        let expected = "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a449a5037514a879d"
        #expect(try alice.sharedSecret(peerPublicKey: bob.publicKey).testBytes.hexString == expected)
        #expect(try bob.sharedSecret(peerPublicKey: alice.publicKey).testBytes.hexString == expected)
    }

    @Test func p521InjectedScalarOneGivesTheGenerator() throws {
        let one = [UInt8](repeating: 0, count: 65) + [1]
        let share = try makeKeyShare(group: .secp521r1, privateKey: one)
        // SEC 2 §2.6.1: G's x coordinate.
        #expect(Array(share.publicKey[1...66]).hexString
            == "00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66")
    }

    // MARK: Peer shares that must be refused

    @Test func x448LowOrderSharesAreIllegal() throws {
        let ours = try makeKeyShare(group: .x448)
        // 0 and 1 are the low-order u-coordinates of Curve448: the shared secret would be all zeros.
        for u: UInt8 in [0, 1] {
            let share = [u] + [UInt8](repeating: 0, count: 55)
            expectTLSError(alert: .illegalParameter, "u = \(u)") { _ = try ours.sharedSecret(peerPublicKey: share) }
        }
        expectTLSError(alert: .illegalParameter) { _ = try ours.sharedSecret(peerPublicKey: [UInt8](repeating: 9, count: 32)) }
    }

    @Test func p521BadSharesAreIllegal() throws {
        let ours = try makeKeyShare(group: .secp521r1)
        var offCurve = try makeKeyShare(group: .secp521r1).publicKey
        offCurve[100] ^= 1
        expectTLSError(alert: .illegalParameter) { _ = try ours.sharedSecret(peerPublicKey: offCurve) }
        expectTLSError(alert: .illegalParameter) { _ = try ours.sharedSecret(peerPublicKey: Array(offCurve.dropLast())) }
        var compressed = Array(try makeKeyShare(group: .secp521r1).publicKey.prefix(67))
        compressed[0] = 0x02
        expectTLSError(alert: .illegalParameter) { _ = try ours.sharedSecret(peerPublicKey: compressed) }
    }

    /// RFC 8446 §4.2.8.1: 1 < Y < p-1, and Y exactly the size of p.
    @Test func ffdheSharesOutsideTheRangeAreIllegal() throws {
        let ours = try makeKeyShare(group: .ffdhe2048)
        let p = Self.ffdhe2048Prime
        var pMinusOne = p
        pMinusOne[255] -= 1
        var pMinusTwo = p
        pMinusTwo[255] -= 2
        let zero = [UInt8](repeating: 0, count: 256)
        let one = [UInt8](repeating: 0, count: 255) + [1]
        for (name, y) in [("0", zero), ("1", one), ("p-1", pMinusOne), ("p", p), ("2^2048-1", [UInt8](repeating: 0xFF, count: 256))] {
            let error = expectTLSError(alert: .illegalParameter, name) { _ = try ours.sharedSecret(peerPublicKey: y) }
            #expect(error.map { "\($0)".contains("1 < Y < p-1") } == true, "\(name): \(String(describing: error))")
        }
        // p-2 is in the range but not in the prime-order subgroup: libcrypto's full public-key check (which
        // EVP_PKEY_derive_set_peer runs) refuses it too.
        expectTLSError(alert: .illegalParameter) { _ = try ours.sharedSecret(peerPublicKey: pMinusTwo) }
        // 255 or 257 bytes: not left-padded to the size of p.
        let real = try makeKeyShare(group: .ffdhe2048).publicKey
        expectTLSError(alert: .illegalParameter) { _ = try ours.sharedSecret(peerPublicKey: Array(real.dropFirst())) }
        expectTLSError(alert: .illegalParameter) { _ = try ours.sharedSecret(peerPublicKey: [0] + real) }
        // A share of another ffdhe group.
        let other = try makeKeyShare(group: .ffdhe3072).publicKey
        expectTLSError(alert: .illegalParameter) { _ = try ours.sharedSecret(peerPublicKey: other) }
    }

    /// RFC 8446 §7.4.1: Z keeps its leading zero bytes. Without `EVP_PKEY_CTX_set_dh_pad` about one secret in 256
    /// would come out a byte short (and differ from the peer's, whose libcrypto pads); look for such a secret
    /// and check that it is 256 bytes, starts with zero, and matches the other side's.
    @Test func ffdheSecretsKeepLeadingZeros() throws {
        let fixed = try makeKeyShare(group: .ffdhe2048)
        var found = false
        var tries = 0
        while !found, tries < 4000 {
            tries += 1
            let peer = try makeKeyShare(group: .ffdhe2048)
            let secret = try fixed.sharedSecret(peerPublicKey: peer.publicKey)
            #expect(secret.count == 256)
            if secret.testBytes.first == 0 {
                found = true
                #expect(try peer.sharedSecret(peerPublicKey: fixed.publicKey).testBytes == secret.testBytes)
            }
        }
        #expect(found, "no secret with a leading zero byte in \(tries) tries (expected about 1 in 256)")
    }

    @Test func ffdhePublicValuesAreLeftPadded() throws {
        // Y < p, so about one share in 256 starts with a zero byte; the length is always the size of p.
        var sawLeadingZero = false
        for _ in 0..<2000 where !sawLeadingZero {
            let share = try makeKeyShare(group: .ffdhe2048)
            #expect(share.publicKey.count == 256)
            sawLeadingZero = share.publicKey.first == 0
        }
        #expect(sawLeadingZero, "no public value with a leading zero byte in 2000 key pairs")
    }

    @Test func ffdheTakesNoInjectedKeyAndLargerGroupsAreNotImplemented() {
        let injected = expectTLSError { _ = try makeKeyShare(group: .ffdhe2048, privateKey: [1, 2, 3]) }
        if case .invalidConfiguration? = injected {} else { Issue.record("\(String(describing: injected))") }
        for group in [NamedGroup.ffdhe6144, .ffdhe8192] {
            let error = expectTLSError { _ = try makeKeyShare(group: group) }
            #expect(error == .invalidConfiguration("group \(group) is not supported yet"))
        }
    }

    // MARK: Configuration

    @Test func everyStandardGroupIsAccepted() throws {
        var config = TLSClientConfiguration()
        config.supportedGroups = [.x25519, .x448, .secp256r1, .secp384r1, .secp521r1, .ffdhe2048, .ffdhe3072, .ffdhe4096]
        config.keyShareGroups = [.x448, .ffdhe2048]
        try config.validate()
        #expect(!TLSClientConfiguration().supportedGroups.contains(.ffdhe2048), "ffdhe is off by default")
        #expect(TLSClientConfiguration().supportedGroups.contains(.x448))
        #expect(TLSClientConfiguration().supportedGroups.contains(.secp521r1))
        #expect(!TLSClientConfiguration().cipherSuites.contains(.aes128CCMSHA256), "CCM is off by default")
    }

    @Test func unknownSignatureSchemesAndBadLimitsAreConfigurationErrors() {
        var config = TLSClientConfiguration()
        config.signatureAlgorithms = [.ecdsaSecp256r1SHA256, SignatureScheme(rawValue: 0x0999)]
        expectTLSError { try config.validate() }
        for limit in [0, 63, 16386] {
            var c = TLSClientConfiguration()
            c.recordSizeLimit = limit
            let error = expectTLSError { try c.validate() }
            if case .invalidConfiguration? = error {} else { Issue.record("\(limit): \(String(describing: error))") }
        }
        var padding = TLSClientConfiguration()
        padding.clientHelloPadding = 0
        expectTLSError { try padding.validate() }
    }
}

/// RSA-PSS keys (id-RSASSA-PSS) sign with rsa_pss_pss_* — the test server and client certificates use this.
@Suite struct RSAPSSKeyTests {
    @Test func rsaPSSKeySignsWithRSAPSSPSSOnly() throws {
        let key = try PrivateKey(pemFile: CertPaths.path("leaf-rsa-pss.key"))
        #expect(key.defaultScheme == .rsaPSSPSSSHA256)
        #expect(key.signatureSchemes == [.rsaPSSPSSSHA256, .rsaPSSPSSSHA384, .rsaPSSPSSSHA512])
        let message = Array("content".utf8)
        let certificate = try PEM.certificates(fromFile: CertPaths.path("leaf-rsa-pss.pem"))[0]
        for scheme in key.signatureSchemes {
            let signature = try key.sign(scheme: scheme, message: message)
            #expect(try OpenSSLSignatureVerifier().verify(
                scheme: scheme, certificate: certificate.der, message: message, signature: signature))
        }
        expectTLSError { _ = try key.sign(scheme: .rsaPSSRSAESHA256, message: message) }
    }
}
