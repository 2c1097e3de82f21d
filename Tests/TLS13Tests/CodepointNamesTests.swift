import Testing
@testable import TLS13

/// `init?(name:)` and `displayName` of the code point types (Wire/CodepointNames.swift).
@Suite struct CodepointNamesTests {
    @Test(arguments: [
        ("TLS_AES_128_GCM_SHA256", CipherSuite.aes128GCMSHA256),
        ("tls_aes_128_gcm_sha256", .aes128GCMSHA256),
        ("AES128-GCM-SHA256", .aes128GCMSHA256),
        ("aes_128_gcm_sha256", .aes128GCMSHA256),
        ("TLS13-AES128-GCM-SHA256", .aes128GCMSHA256),
        ("TLS_AES_256_GCM_SHA384", .aes256GCMSHA384),
        ("AES256-GCM-SHA384", .aes256GCMSHA384),
        ("TLS_CHACHA20_POLY1305_SHA256", .chacha20Poly1305SHA256),
        ("CHACHA20-POLY1305-SHA256", .chacha20Poly1305SHA256),
        ("TLS_AES_128_CCM_SHA256", .aes128CCMSHA256),
        ("TLS_AES_128_CCM_8_SHA256", .aes128CCM8SHA256),
    ])
    func cipherSuiteNames(name: String, expected: CipherSuite) {
        #expect(CipherSuite(name: name) == expected)
    }

    @Test func cipherSuiteIANANameRoundTrips() {
        for suite in [CipherSuite.aes128GCMSHA256, .aes256GCMSHA384, .chacha20Poly1305SHA256, .aes128CCMSHA256,
                      .aes128CCM8SHA256]
        {
            #expect(CipherSuite(name: suite.description) == suite, "\(suite)")
        }
    }

    @Test(arguments: ["", "TLS_", "AES128-SHA", "ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA384",
                      "TLS_AES_128_GCM", "0x1301", "TLS_AES_128_GCM_SHA256 ", "ＡＥＳ128-GCM-SHA256"])
    func unknownCipherSuiteNames(name: String) {
        #expect(CipherSuite(name: name) == nil)
    }

    @Test(arguments: [
        ("x25519", NamedGroup.x25519), ("X25519", .x25519),
        ("secp256r1", .secp256r1), ("P-256", .secp256r1), ("p256", .secp256r1), ("prime256v1", .secp256r1),
        ("SECP384R1", .secp384r1), ("P-384", .secp384r1),
        ("secp521r1", .secp521r1), ("P-521", .secp521r1),
        ("x448", .x448), ("X448", .x448),
        ("ffdhe2048", .ffdhe2048), ("FFDHE3072", .ffdhe3072), ("ffdhe4096", .ffdhe4096),
        ("ffdhe6144", .ffdhe6144), ("ffdhe8192", .ffdhe8192),
        ("X25519MLKEM768", .x25519MLKEM768),
    ])
    func groupNames(name: String, expected: NamedGroup) {
        #expect(NamedGroup(name: name) == expected)
    }

    @Test(arguments: ["", "x2551", "P-255", "curve25519", "secp256k1", "ffdhe1024", "P-256,X25519"])
    func unknownGroupNames(name: String) {
        #expect(NamedGroup(name: name) == nil)
    }

    @Test func groupDisplayNames() {
        #expect(NamedGroup.x25519.displayName == "X25519")
        #expect(NamedGroup.secp256r1.displayName == "P-256")
        #expect(NamedGroup.secp384r1.displayName == "P-384")
        #expect(NamedGroup.secp521r1.displayName == "P-521")
        #expect(NamedGroup.x448.displayName == "X448")
        #expect(NamedGroup.ffdhe2048.displayName == "ffdhe2048")
        #expect(NamedGroup(rawValue: 0x1234).displayName == "group(0x1234)")
        // Every display name and IANA name parses back.
        for group in [NamedGroup.x25519, .x448, .secp256r1, .secp384r1, .secp521r1, .ffdhe2048, .ffdhe8192] {
            #expect(NamedGroup(name: group.displayName) == group)
            #expect(NamedGroup(name: group.description) == group)
        }
    }

    @Test(arguments: [
        ("ecdsa_secp256r1_sha256", SignatureScheme.ecdsaSecp256r1SHA256),
        ("ECDSA_SECP256R1_SHA256", .ecdsaSecp256r1SHA256),
        ("ECDSA+SHA256", .ecdsaSecp256r1SHA256),
        ("ecdsa_secp384r1_sha384", .ecdsaSecp384r1SHA384), ("ECDSA+SHA384", .ecdsaSecp384r1SHA384),
        ("ecdsa_secp521r1_sha512", .ecdsaSecp521r1SHA512),
        ("rsa_pss_rsae_sha256", .rsaPSSRSAESHA256), ("RSA_PSS_RSAE_SHA384", .rsaPSSRSAESHA384),
        ("rsa-pss-rsae-sha512", .rsaPSSRSAESHA512),
        ("rsa_pss_pss_sha256", .rsaPSSPSSSHA256), ("rsa_pss_pss_sha512", .rsaPSSPSSSHA512),
        ("ed25519", .ed25519), ("Ed25519", .ed25519), ("ed448", .ed448),
        ("rsa_pkcs1_sha256", .rsaPKCS1SHA256), ("RSA+SHA384", .rsaPKCS1SHA384),
        ("rsa_pkcs1_sha1", .rsaPKCS1SHA1), ("ecdsa_sha1", .ecdsaSHA1),
    ])
    func signatureSchemeNames(name: String, expected: SignatureScheme) {
        #expect(SignatureScheme(name: name) == expected)
    }

    @Test func signatureSchemeIANANamesRoundTrip() {
        let all: [SignatureScheme] = [
            .rsaPKCS1SHA256, .rsaPKCS1SHA384, .rsaPKCS1SHA512, .ecdsaSecp256r1SHA256, .ecdsaSecp384r1SHA384,
            .ecdsaSecp521r1SHA512, .rsaPSSRSAESHA256, .rsaPSSRSAESHA384, .rsaPSSRSAESHA512, .ed25519, .ed448,
            .rsaPSSPSSSHA256, .rsaPSSPSSSHA384, .rsaPSSPSSSHA512, .rsaPKCS1SHA1, .ecdsaSHA1,
        ]
        for scheme in all {
            #expect(SignatureScheme(name: scheme.description) == scheme, "\(scheme)")
        }
    }

    @Test(arguments: ["", "ecdsa", "ecdsa_secp256r1_sha384", "rsa_pss_sha256", "ECDSA+SHA1", "ed25519ph"])
    func unknownSignatureSchemeNames(name: String) {
        #expect(SignatureScheme(name: name) == nil)
    }
}
