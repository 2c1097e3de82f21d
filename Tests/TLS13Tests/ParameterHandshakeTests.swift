import Foundation
import Testing
@testable import TLS13

/// Every standard group, cipher suite and signature scheme through a whole handshake with the scripted server
/// (the same against real servers is in ``ParameterInteropTests``).
@Suite struct ParameterHandshakeTests {
    static let groups: [NamedGroup] = [.x25519, .x448, .secp256r1, .secp384r1, .secp521r1, .ffdhe2048, .ffdhe3072, .ffdhe4096]

    @Test(arguments: groups)
    func groupWithItsKeyShare(_ group: NamedGroup) throws {
        let server = ScriptedServer()
        server.configuration.groups = [group]
        let client = try makeTestClient {
            if !$0.supportedGroups.contains(group) { $0.supportedGroups.append(group) }
            $0.keyShareGroups = [group]
        }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.group == group)
        #expect(!client.info.usedHelloRetryRequest)
        try expectTrafficBothWays(client, server)
    }

    @Test(arguments: [NamedGroup.x448, .secp521r1, .ffdhe2048])
    func groupThroughHelloRetryRequest(_ group: NamedGroup) throws {
        let server = ScriptedServer()
        server.configuration.groups = [group]
        let client = try makeTestClient { $0.supportedGroups = [.x25519, group] }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.group == group)
        #expect(client.info.usedHelloRetryRequest)
        #expect(server.clientHellos.last?.keyShares.map(\.group) == [group])
    }

    /// 300 ffdhe2048 handshakes in a row (the other side of the ffdhe padding check: about one in 256 has a
    /// shared secret with a leading zero byte; ``KeyExchangeGroupsTests`` looks for such a secret explicitly and
    /// ``ParameterInteropTests`` runs the same loop against OpenSSL, whose secret is padded independently).
    @Test func threeHundredFFDHE2048Handshakes() throws {
        var completed = 0
        for _ in 0..<300 {
            let server = ScriptedServer()
            server.configuration.groups = [.ffdhe2048]
            let client = try makeTestClient(verifyChain: false) {
                $0.supportedGroups = [.ffdhe2048]
                $0.keyShareGroups = [.ffdhe2048]
            }
            let outcome = runHandshake(client: client, server: server)
            if outcome.error == nil, outcome.serverError == nil, server.isHandshakeComplete { completed += 1 }
        }
        #expect(completed == 300)
    }

    static let suites: [CipherSuite] = [
        .aes128GCMSHA256, .aes256GCMSHA384, .chacha20Poly1305SHA256, .aes128CCMSHA256, .aes128CCM8SHA256,
    ]

    @Test(arguments: suites)
    func cipherSuite(_ suite: CipherSuite) throws {
        let server = ScriptedServer()
        server.configuration.cipherSuites = [suite]
        let client = try makeTestClient { $0.cipherSuites = [suite] }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.cipherSuite == suite)
        try expectTrafficBothWays(client, server)
    }

    @Test func ccmSuitesAreNotOfferedByDefault() throws {
        let server = ScriptedServer()
        server.configuration.cipherSuites = [.aes128CCMSHA256, .aes128GCMSHA256]
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.cipherSuite == .aes128GCMSHA256)
    }

    struct LeafCase: Sendable, CustomStringConvertible {
        var chain: ScriptedServer.Chain
        var scheme: SignatureScheme
        var description: String { "\(chain.rawValue) / \(scheme)" }
    }

    static let leaves: [LeafCase] = [
        LeafCase(chain: .ecdsaP521, scheme: .ecdsaSecp521r1SHA512),
        LeafCase(chain: .ed448, scheme: .ed448),
        LeafCase(chain: .rsaPSS, scheme: .rsaPSSPSSSHA256),
        LeafCase(chain: .rsaPSS, scheme: .rsaPSSPSSSHA384),
        LeafCase(chain: .rsaPSS, scheme: .rsaPSSPSSSHA512),
        LeafCase(chain: .rsa2048, scheme: .rsaPSSRSAESHA384),
        LeafCase(chain: .rsa2048, scheme: .rsaPSSRSAESHA512),
        // An ECDSA leaf whose certificate an RSA intermediate signed with rsa_pkcs1_sha256.
        LeafCase(chain: .rsaPKCS1Signed, scheme: .ecdsaSecp256r1SHA256),
    ]

    @Test(arguments: leaves)
    func leafAndScheme(_ leaf: LeafCase) throws {
        let server = ScriptedServer(.init(chain: leaf.chain))
        server.configuration.signatureScheme = leaf.scheme
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.signatureScheme == leaf.scheme)
        #expect(client.info.certificateVerified)
    }

    /// rsa_pss_pss needs an RSA-PSS key; the client refuses an rsa_pss_rsae signature from one (the scheme does not
    /// fit the key) and rsa_pss_pss when it did not offer it.
    @Test func rsaPSSKeyChecks() throws {
        let rsae = ScriptedServer(.init(chain: .rsaPSS))
        rsae.mutateCertificateVerify = { $0.algorithm = .rsaPSSRSAESHA256 }
        expectAlert(runHandshake(client: try makeTestClient(), server: rsae), .illegalParameter, encrypted: true)
        let notOffered = ScriptedServer(.init(chain: .rsaPSS))
        let client = try makeTestClient { $0.signatureAlgorithms = [.ecdsaSecp256r1SHA256, .rsaPSSRSAESHA256] }
        expectAlert(runHandshake(client: client, server: notOffered), .illegalParameter, encrypted: true)
    }

    @Test func everySchemeIsOfferedByDefault() throws {
        let server = ScriptedServer()
        expectSuccess(runHandshake(client: try makeTestClient(), server: server), server: server)
        guard case .signatureAlgorithms(let offered)? = server.clientHellos.first?.extension(.signatureAlgorithms),
            case .signatureAlgorithmsCert(let certs)? = server.clientHellos.first?.extension(.signatureAlgorithmsCert)
        else {
            Issue.record("no signature_algorithms")
            return
        }
        let standard: [SignatureScheme] = [
            .ecdsaSecp256r1SHA256, .ecdsaSecp384r1SHA384, .ecdsaSecp521r1SHA512, .ed25519, .ed448,
            .rsaPSSRSAESHA256, .rsaPSSRSAESHA384, .rsaPSSRSAESHA512, .rsaPSSPSSSHA256, .rsaPSSPSSSHA384, .rsaPSSPSSSHA512,
        ]
        #expect(offered.filter { !GREASE.isGREASE($0.rawValue) } == standard)
        #expect(Set(certs).isSuperset(of: [.rsaPKCS1SHA256, .rsaPKCS1SHA384, .rsaPKCS1SHA512]))
        #expect(!offered.contains(.rsaPKCS1SHA256), "rsa_pkcs1 never for CertificateVerify (§4.2.3)")
    }
}
