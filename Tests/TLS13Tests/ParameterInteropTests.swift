import Foundation
import Testing
@testable import TLS13

/// Every standard group, suite and signature scheme, OCSP stapling and GREASE against `openssl s_server`, and
/// record_size_limit against `gnutls-serv` (OpenSSL 3.0 does not implement RFC 8449). See Docs/Interop.md.
@Suite(.serialized) struct ParameterInteropTests {
    // MARK: - Groups

    static let groups: [(NamedGroup, String)] = [
        (.x448, "X448"), (.secp521r1, "P-521"), (.ffdhe2048, "ffdhe2048"), (.ffdhe3072, "ffdhe3072"),
        (.ffdhe4096, "ffdhe4096"),
    ]

    /// The client shares x25519 only: every one of these groups takes a HelloRetryRequest; then again with the
    /// group's own share. ffdhe is offered only when configured.
    @Test(arguments: groups)
    func group(_ group: NamedGroup, _ opensslName: String) async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-groups", opensslName])
        defer { server.stop() }
        let config = Interop.config { if !$0.supportedGroups.contains(group) { $0.supportedGroups.append(group) } }
        let retried = try await runBlocking { try Interop.handshakeAndRoundTrip(server, config) }
        #expect(retried.group == group)
        #expect(retried.usedHelloRetryRequest)
        let direct = Interop.config {
            if !$0.supportedGroups.contains(group) { $0.supportedGroups.append(group) }
            $0.keyShareGroups = [group]
        }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server, direct) }
        #expect(info.group == group)
        #expect(!info.usedHelloRetryRequest)
    }

    /// RFC 8446 §7.4.1 leaves the ffdhe shared secret left-padded to the size of p: about one handshake in
    /// 256 has a leading zero byte, and a client that strips it derives other keys than OpenSSL and fails.
    /// 300 handshakes in a row make that case all but certain to come up (1 - (255/256)^300 ≈ 69% per run;
    /// ``KeyExchangeGroupsTests/ffdheSecretsKeepLeadingZeros()`` forces it).
    @Test func threeHundredFFDHE2048HandshakesAgainstOpenSSL() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-groups", "ffdhe2048"])
        defer { server.stop() }
        let config = Interop.config {
            $0.supportedGroups = [.ffdhe2048]
            $0.keyShareGroups = [.ffdhe2048]
        }
        let (completed, failures) = try await runBlocking {
            var completed = 0
            var failures: [String] = []
            for _ in 0..<300 {
                do {
                    let connection = try Interop.connect(server, config)
                    if connection.sessionInfo.group == .ffdhe2048 { completed += 1 }
                    connection.close()
                } catch {
                    failures.append("\(error)")
                }
            }
            return (completed, failures)
        }
        #expect(completed == 300, "failures: \(failures.prefix(3))")
    }

    // MARK: - Cipher suites

    static let suites: [CipherSuite] = [
        .aes128GCMSHA256, .aes256GCMSHA384, .chacha20Poly1305SHA256, .aes128CCMSHA256, .aes128CCM8SHA256,
    ]

    @Test(arguments: suites)
    func cipherSuite(_ suite: CipherSuite) async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-ciphersuites", suite.description])
        defer { server.stop() }
        let info = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config { $0.cipherSuites = [suite] })
        }
        #expect(info.cipherSuite == suite)
        try await Interop.expectServerPrinted(server, "Ciphersuite: \(suite.description)\n")
    }

    // MARK: - Certificates and signature schemes

    struct Leaf: Sendable, CustomStringConvertible {
        var leaf: String
        var chain: String
        var serverSigalgs: String?
        var scheme: SignatureScheme
        var description: String { "\(leaf) \(scheme)" }
    }

    static let leaves: [Leaf] = [
        Leaf(leaf: "leaf-ecdsa-p521", chain: "intermediate.pem", scheme: .ecdsaSecp521r1SHA512),
        Leaf(leaf: "leaf-ed448", chain: "intermediate.pem", scheme: .ed448),
        Leaf(leaf: "leaf-ed25519", chain: "intermediate.pem", scheme: .ed25519),
        Leaf(leaf: "leaf-rsa-pss", chain: "intermediate.pem", scheme: .rsaPSSPSSSHA256),
        Leaf(leaf: "leaf-rsa-pss", chain: "intermediate.pem", serverSigalgs: "rsa_pss_pss_sha384", scheme: .rsaPSSPSSSHA384),
        Leaf(leaf: "leaf-rsa-pss", chain: "intermediate.pem", serverSigalgs: "rsa_pss_pss_sha512", scheme: .rsaPSSPSSSHA512),
        Leaf(leaf: "leaf-rsa2048", chain: "intermediate.pem", serverSigalgs: "rsa_pss_rsae_sha512", scheme: .rsaPSSRSAESHA512),
        // The certificate is signed with rsa_pkcs1_sha256 by an RSA intermediate.
        Leaf(leaf: "leaf-rsa-pkcs1", chain: "intermediate-rsa.pem", scheme: .ecdsaSecp256r1SHA256),
    ]

    @Test(arguments: leaves)
    func leafAndScheme(_ leaf: Leaf) async throws {
        let server = try await OpenSSLServer.start(
            leaf: leaf.leaf, chain: leaf.chain, mode: ["-rev"], arguments: leaf.serverSigalgs.map { ["-sigalgs", $0] } ?? [])
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server) }
        #expect(info.signatureScheme == leaf.scheme)
        #expect(info.certificateVerified)
    }

    // MARK: - OCSP stapling (s_server -status_file)

    @Test func goodStapleIsVerified() async throws {
        let server = try await OpenSSLServer.start(
            mode: ["-rev"], arguments: ["-status_file", CertPaths.path("ocsp-good.der")])
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server) }
        guard case .good(let next?) = info.ocspStatus else {
            Issue.record("\(info.ocspStatus)")
            return
        }
        #expect(next > Int64(Date().timeIntervalSince1970) + 90 * 365 * 86_400)
    }

    @Test func noStapleWithoutStatusRequest() async throws {
        let server = try await OpenSSLServer.start(
            mode: ["-rev"], arguments: ["-status_file", CertPaths.path("ocsp-good.der")])
        defer { server.stop() }
        let info = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config { $0.requestOCSPStapling = false })
        }
        #expect(info.ocspStatus == .notRequested)
    }

    @Test func revokedStapleIsCertificateRevoked() async throws {
        let server = try await OpenSSLServer.start(
            leaf: "leaf-revoked", mode: ["-rev"], arguments: ["-status_file", CertPaths.path("ocsp-revoked.der")])
        defer { server.stop() }
        let error = try await runBlocking { Interop.connectError(server) }
        #expect(error?.alert == .certificateRevoked, "\(String(describing: error))")
        try await Interop.expectServerPrinted(server, "certificate revoked")
    }

    /// s_server sends only what parses as an OCSPResponse (with a file of random bytes it fails the handshake
    /// itself with internal_error), so the invalid staples here are well-formed DER that says the wrong thing:
    /// a tryLater response, a response about another certificate, and one from an unauthorized signer.
    static let invalidStaples: [(String, [UInt8]?)] = [
        ("tryLater", [0x30, 0x03, 0x0A, 0x01, 0x03]),
        ("ocsp-revoked.der", nil),
        ("ocsp-unauthorized.der", nil),
    ]

    @Test(arguments: invalidStaples)
    func invalidStapleIsBadCertificateStatusResponse(_ name: String, _ bytes: [UInt8]?) async throws {
        var path = CertPaths.path(name)
        let temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("tls13-ocsp-\(name)-\(ProcessInfo.processInfo.processIdentifier).der")
        if let bytes {
            try Data(bytes).write(to: temporary)
            path = temporary.path
        }
        defer { try? FileManager.default.removeItem(at: temporary) }
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-status_file", path])
        defer { server.stop() }
        let error = try await runBlocking { Interop.connectError(server) }
        #expect(error?.alert == .badCertificateStatusResponse, "\(name): \(String(describing: error))")
        try await Interop.expectServerPrinted(server, "bad certificate status response")
    }

    // MARK: - GREASE and padding, as s_server -msg sees the ClientHello

    /// The ClientHellos in s_server's `-msg` output (`<<< TLS 1.3, Handshake [length 012d], ClientHello` and the
    /// hex lines after it).
    static func clientHellos(in output: String) throws -> [(bytes: [UInt8], hello: ClientHello)] {
        var result: [(bytes: [UInt8], hello: ClientHello)] = []
        var hex: String?
        func finish() throws {
            guard let text = hex else { return }
            let bytes = try [UInt8](hex: text)
            guard case .clientHello(let hello) = try HandshakeMessage.decode(bytes) else {
                throw VectorError(description: "not a ClientHello")
            }
            result.append((bytes, hello))
            hex = nil
        }
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("<<< "), line.hasSuffix("ClientHello") {
                try finish()
                hex = ""
            } else if hex != nil, line.hasPrefix("    ") {
                hex? += line.filter { !$0.isWhitespace }
            } else {
                try finish()
            }
        }
        try finish()
        return result
    }

    @Test func greaseInEveryClientHelloAndIdenticalAfterHelloRetryRequest() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-groups", "P-256", "-msg"])
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server) }
        #expect(info.usedHelloRetryRequest)
        // s_server's -msg trace can lag behind the handshake: wait until it has printed what follows the second
        // ClientHello (its ServerHello; the HelloRetryRequest prints as a ServerHello too).
        let traced = try await runBlocking { server.waitForOutput("ServerHello", count: 2) }
        #expect(traced)
        let hellos = try Self.clientHellos(in: server.output)
        try #require(hellos.count == 2, "\(server.output.prefix(2000))")
        let (first, second) = (hellos[0].hello, hellos[1].hello)
        for hello in [first, second] {
            #expect(hello.cipherSuites.first.map { GREASE.isGREASE($0.rawValue) } == true)
            #expect(hello.extensions.filter { GREASE.isGREASE($0.extensionType.rawValue) }.count == 2)
        }
        #expect(first.cipherSuites == second.cipherSuites)
        for type in [ExtensionType.supportedGroups, .supportedVersions, .signatureAlgorithms] {
            #expect(first.extension(type) == second.extension(type), "\(type)")
        }
        #expect(first.extensions.filter { GREASE.isGREASE($0.extensionType.rawValue) }
            == second.extensions.filter { GREASE.isGREASE($0.extensionType.rawValue) })
        #expect(first.keyShares.first.map { GREASE.isGREASE($0.group.rawValue) } == true)
        #expect(second.keyShares.map(\.group) == [.secp256r1])
    }

    @Test func paddedClientHello() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-msg"])
        defer { server.stop() }
        _ = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config {
                // The default hybrid share alone makes the hello longer than this; GREASE ECH adds about 200 bytes.
                $0.keyShareGroups = [.x25519]
                $0.clientHelloPadding = 768
            })
        }
        let traced = try await runBlocking { server.waitForOutput("ServerHello") }  // the trace can lag
        #expect(traced)
        let hellos = try Self.clientHellos(in: server.output)
        #expect(hellos.map(\.bytes.count) == [768])
        #expect(server.output.contains("Handshake [length 0300], ClientHello"))
    }

    // MARK: - record_size_limit (gnutls-serv)

    static func gnutlsConfig(_ edit: (inout TLSClientConfiguration) -> Void = { _ in }) throws -> TLSClientConfiguration {
        var config = try GnuTLSInteropTests.config()
        edit(&config)
        return config
    }

    /// Sends a line of `count` bytes (newline included: gnutls-serv echoes lines) in one write and reads it back.
    static func echo(_ server: GnuTLSServer, _ config: TLSClientConfiguration, count: Int) async throws
        -> (data: [UInt8], info: TLSSessionInfo)
    {
        let data = (0..<(count - 1)).map { UInt8(ascii: "a") + UInt8($0 % 26) } + [UInt8(ascii: "\n")]
        return try await runBlocking {
            let connection = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
            defer { connection.close() }
            try connection.write(data)
            let back = try Interop.read(connection, count: count)
            guard back == data else { throw VectorError(description: "echo differs (\(back.count) bytes)") }
            return (back, connection.sessionInfo)
        }
    }

    /// gnutls-serv `--recordsize 512` announces its limit; the client's records then carry at most that many
    /// bytes (gnutls would fail the connection with record_overflow otherwise).
    @Test func serversLimitIsHonored() async throws {
        let server = try await GnuTLSServer.start(arguments: ["--recordsize", "512", "-d", "4"])
        defer { server.stop() }
        let (data, info) = try await Self.echo(server, try Self.gnutlsConfig(), count: 10_000)
        #expect(data.count == 10_000)
        let limit = try #require(info.peerRecordSizeLimit)
        #expect((512...513).contains(limit), "\(limit)")
        // gnutls-serv's debug output can lag behind the echo: wait for the line.
        let logged = try await runBlocking { server.waitForOutput(containing: "record_size_limit 16385 negotiated") }
        #expect(logged, "the client's default limit")
    }

    /// The client asks for 600: gnutls cuts the echo of one 10 000-byte record into records the client accepts
    /// (a larger one would be record_overflow).
    @Test func clientsLimitIsHonored() async throws {
        let server = try await GnuTLSServer.start(arguments: ["-d", "4"])
        defer { server.stop() }
        let (data, info) = try await Self.echo(server, try Self.gnutlsConfig { $0.recordSizeLimit = 600 }, count: 10_000)
        #expect(data.count == 10_000)
        #expect(info.peerRecordSizeLimit != nil, "gnutls answers with its own limit")
        #expect(server.output.contains("record_size_limit 600 negotiated"), "\(server.output.suffix(3000))")
    }

    @Test func bothLimitsAtOnce() async throws {
        let server = try await GnuTLSServer.start(arguments: ["--recordsize", "1000"])
        defer { server.stop() }
        let (data, _) = try await Self.echo(server, try Self.gnutlsConfig { $0.recordSizeLimit = 256 }, count: 20_000)
        #expect(data.count == 20_000)
    }
}
