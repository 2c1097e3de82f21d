import Testing
@testable import TLS13

/// GREASE (RFC 8701) and ClientHello padding (RFC 7685), seen from the scripted server, which records every
/// ClientHello (parsed and as bytes).
@Suite struct GREASEAndPaddingTests {
    static func isGREASE(_ value: UInt16) -> Bool { GREASE.isGREASE(value) }

    /// The GREASE values a ClientHello carries, one per place (nil where there is none).
    struct Seen: Equatable {
        var suite: UInt16?
        var version: UInt16?
        var group: UInt16?
        var keyShare: KeyShareEntry?
        var scheme: UInt16?
        var extensions: [ClientHelloExtension]

        init(_ hello: ClientHello) {
            let isGREASE = GREASE.isGREASE
            suite = hello.cipherSuites.map(\.rawValue).first(where: isGREASE)
            var versions: [ProtocolVersion] = []
            var groups: [NamedGroup] = []
            var schemes: [SignatureScheme] = []
            for ext in hello.extensions {
                switch ext {
                case .supportedVersions(let v): versions = v
                case .supportedGroups(let g): groups = g
                case .signatureAlgorithms(let s): schemes = s
                default: break
                }
            }
            version = versions.map(\.rawValue).first(where: isGREASE)
            group = groups.map(\.rawValue).first(where: isGREASE)
            keyShare = hello.keyShares.first { isGREASE($0.group.rawValue) }
            scheme = schemes.map(\.rawValue).first(where: isGREASE)
            extensions = hello.extensions.filter { isGREASE($0.extensionType.rawValue) }
        }
    }

    @Test func greaseValuesAreRecognized() {
        let all = (0..<16).map { GREASE.value(UInt8($0)) }
        #expect(all.first == 0x0A0A && all.last == 0xFAFA)
        #expect(all.allSatisfy(GREASE.isGREASE))
        #expect(Set(all).count == 16)
        for value: UInt16 in [0x0A1A, 0x1A0A, 0x0B0B, 0x0A0B, 0x1301, 0x001D, 0x0304] {
            #expect(!GREASE.isGREASE(value), "\(value)")
        }
        // The two GREASE extensions always differ.
        for first in 0..<16 {
            let grease = GREASE(random: [0, 0, 0, UInt8(first), UInt8(first)])
            #expect(grease.firstExtension != grease.secondExtension)
        }
    }

    @Test func everyClientHelloCarriesGREASEByDefault() throws {
        let server = ScriptedServer()
        expectSuccess(runHandshake(client: try makeTestClient(), server: server), server: server)
        let hello = try #require(server.clientHellos.first)
        let seen = Seen(hello)
        #expect(hello.cipherSuites.first.map { Self.isGREASE($0.rawValue) } == true, "GREASE cipher suite first")
        #expect(seen.version != nil && seen.group != nil, "\(hello)")
        #expect(seen.scheme == nil, "no GREASE in signature_algorithms (Erlang/OTP 25 crashes on it)")
        #expect(seen.keyShare?.keyExchange == [0], "a one-byte GREASE key share")
        #expect(hello.keyShares.first.map { Self.isGREASE($0.group.rawValue) } == true)
        // Two GREASE extensions: an empty one first, a one-byte one after the real extensions.
        try #require(seen.extensions.count == 2)
        guard case .unknown(let firstType, let firstBody) = seen.extensions[0],
            case .unknown(let secondType, let secondBody) = seen.extensions[1]
        else {
            Issue.record("GREASE extensions parsed as \(seen.extensions)")
            return
        }
        #expect(firstBody == [] && secondBody == [0])
        #expect(firstType != secondType)
        #expect(hello.extensions.first?.extensionType == firstType)
        #expect(hello.extensions.last?.extensionType == secondType)
        // The server took the real values.
        #expect(server.selectedSuite == .aes128GCMSHA256 && server.selectedGroup == .x25519)
    }

    /// The set BoringSSL sends by default (Docs/Security.md, "GREASE"), and nothing else: one GREASE cipher suite
    /// (first), version (first), group (first in supported_groups and as the first key share, one zero byte), two
    /// extensions (an empty one first, `00` after the real ones); none in any other list. Checked on every extension
    /// the default configuration sends, and on a hello with everything optional on (ALPN, a client certificate, a
    /// session, certificate compression, SCTs).
    @Test func theGREASESetIsBoringSSLs() throws {
        let isGREASE = GREASE.isGREASE
        let server = ScriptedServer()
        expectSuccess(runHandshake(client: try makeTestClient {
            $0.applicationProtocols = ["h2", "http/1.1"]
            $0.requestSignedCertificateTimestamps = true
        }, server: server), server: server)
        let hello = try #require(server.clientHellos.first)
        #expect(hello.cipherSuites.map(\.rawValue).filter(isGREASE).count == 1)
        #expect(hello.cipherSuites.first.map { isGREASE($0.rawValue) } == true)
        let greaseExtensions = hello.extensions.indices.filter { isGREASE(hello.extensions[$0].extensionType.rawValue) }
        #expect(greaseExtensions.count == 2)
        #expect(greaseExtensions.first == 0)
        for ext in hello.extensions {
            switch ext {
            case .supportedVersions(let versions):
                #expect(versions.map(\.rawValue).filter(isGREASE).count == 1 && isGREASE(versions[0].rawValue))
            case .supportedGroups(let groups):
                #expect(groups.map(\.rawValue).filter(isGREASE).count == 1 && isGREASE(groups[0].rawValue))
            case .keyShare(let shares):
                let grease = shares.filter { isGREASE($0.group.rawValue) }
                #expect(grease.count == 1 && grease.first == shares.first && grease.first?.keyExchange == [0])
            case .signatureAlgorithms(let schemes), .signatureAlgorithmsCert(let schemes):
                #expect(!schemes.map(\.rawValue).contains(where: isGREASE), "\(ext.extensionType)")
            case .pskKeyExchangeModes(let modes):
                #expect(modes == [.pskDHEKE])
            case .applicationLayerProtocolNegotiation(let names):
                #expect(names == [Array("h2".utf8), Array("http/1.1".utf8)])
            case .unknown(.compressCertificate, let body):
                let algorithms = try CompressCertificateExtension(body: body).algorithms
                #expect(!algorithms.map(\.rawValue).contains(where: isGREASE))
            case .unknown(let type, let body) where isGREASE(type.rawValue):
                #expect(body == (type == hello.extensions[0].extensionType ? [] : [0]))
            default:
                break
            }
        }
    }

    @Test func greaseIsIdenticalInTheSecondClientHello() throws {
        let server = ScriptedServer()
        server.configuration.groups = [.secp256r1]
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        try #require(server.clientHellos.count == 2)
        let (first, second) = (server.clientHellos[0], server.clientHellos[1])
        var firstSeen = Seen(first)
        let secondSeen = Seen(second)
        #expect(firstSeen.keyShare != nil)
        // §4.1.2: the retried key_share holds exactly the requested group's share; every GREASE value stays.
        #expect(second.keyShares.map(\.group) == [.secp256r1])
        firstSeen.keyShare = nil
        #expect(firstSeen == secondSeen)
        #expect(second.cipherSuites == first.cipherSuites)
        #expect(second.extensions.map(\.extensionType) == first.extensions.map(\.extensionType))
    }

    @Test func cookieOnlyRetryKeepsTheWholeHelloButTheCookie() throws {
        let server = ScriptedServer()
        server.configuration.cookie = [1, 2, 3]
        expectSuccess(runHandshake(client: try makeTestClient(), server: server), server: server)
        try #require(server.clientHellos.count == 2)
        let (first, second) = (server.clientHellos[0], server.clientHellos[1])
        #expect(second.extensions.filter { $0.extensionType != .cookie } == first.extensions)
        // The cookie goes with the real extensions, before the trailing GREASE extension.
        let types = second.extensions.map(\.extensionType)
        #expect(types.firstIndex(of: .cookie) == types.count - 2)
    }

    @Test func greaseValuesChangeBetweenConnections() throws {
        var suites: Set<UInt16> = []
        for _ in 0..<12 {
            let server = ScriptedServer()
            _ = runHandshake(client: try makeTestClient(), server: server)
            if let suite = server.clientHellos.first.flatMap({ Seen($0).suite }) { suites.insert(suite) }
        }
        #expect(suites.count > 1, "12 connections drew the same GREASE cipher suite: \(suites)")
    }

    @Test func greaseCanBeTurnedOff() throws {
        let server = ScriptedServer()
        server.configuration.groups = [.secp256r1]
        expectSuccess(runHandshake(client: try makeTestClient { $0.grease = false }, server: server), server: server)
        for hello in server.clientHellos {
            let seen = Seen(hello)
            #expect(seen.suite == nil && seen.version == nil && seen.group == nil && seen.keyShare == nil)
            #expect(seen.scheme == nil && seen.extensions.isEmpty)
        }
    }

    // MARK: A server that selects a GREASE value

    @Test func serverSelectingTheGREASECipherSuite() throws {
        let server = ScriptedServer()
        server.mutateServerHello = { [unowned server] sh in
            sh.cipherSuite = server.clientHellos[0].cipherSuites[0]
        }
        let outcome = runHandshake(client: try makeTestClient(), server: server)
        #expect(Self.isGREASE(server.clientHellos[0].cipherSuites[0].rawValue))
        expectAlert(outcome, .illegalParameter, encrypted: false)
    }

    @Test func serverSelectingTheGREASEGroup() throws {
        let server = ScriptedServer()
        server.mutateServerHello = { [unowned server] sh in
            guard let grease = Seen(server.clientHellos[0]).keyShare else { return }
            sh.extensions = sh.extensions.map { $0.extensionType == .keyShare ? .keyShare(grease) : $0 }
        }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .illegalParameter, encrypted: false)
    }

    @Test func serverSelectingTheGREASEVersion() throws {
        let server = ScriptedServer()
        server.mutateServerHello = { [unowned server] sh in
            guard let grease = Seen(server.clientHellos[0]).version else { return }
            sh.extensions = sh.extensions.map {
                $0.extensionType == .supportedVersions ? .supportedVersions(ProtocolVersion(rawValue: grease)) : $0
            }
        }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .illegalParameter, encrypted: false)
    }

    @Test func helloRetryRequestForTheGREASEGroup() throws {
        let server = ScriptedServer()
        server.configuration.groups = [.secp256r1]
        server.mutateHelloRetryRequest = { [unowned server] hrr in
            guard let grease = Seen(server.clientHellos[0]).group else { return }
            hrr.extensions = hrr.extensions.map {
                $0.extensionType == .keyShare ? .keyShare(NamedGroup(rawValue: grease)) : $0
            }
        }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .illegalParameter, encrypted: false)
        #expect(server.clientHellos.count == 1)
    }

    @Test func greaseExtensionEchoedInEncryptedExtensions() throws {
        let server = ScriptedServer()
        server.mutateEncryptedExtensions = { [unowned server] ee in
            guard let type = Seen(server.clientHellos[0]).extensions.first?.extensionType else { return }
            ee.extensions.append(.unknown(type, []))
        }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .unsupportedExtension, encrypted: true)
    }

    @Test func greaseExtensionEchoedInServerHello() throws {
        let server = ScriptedServer()
        server.mutateServerHello = { [unowned server] sh in
            guard let type = Seen(server.clientHellos[0]).extensions.last?.extensionType else { return }
            sh.extensions.append(.unknown(type, [0]))
        }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .unsupportedExtension, encrypted: false)
    }

    @Test func greaseExtensionEchoedInTheCertificate() throws {
        let server = ScriptedServer()
        server.mutateCertificate = { [unowned server] certificate in
            guard let type = Seen(server.clientHellos[0]).extensions.first?.extensionType else { return }
            certificate.entries[0].extensions = [RawExtension(type, [])]
        }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .unsupportedExtension, encrypted: true)
    }

    /// Servers may GREASE too: an unknown (GREASE) extension in a CertificateRequest is ignored (§4.3.2).
    @Test func greaseFromTheServerInACertificateRequestIsIgnored() throws {
        let server = ScriptedServer()
        server.configuration.certificateRequest = CertificateRequest(extensions: [
            .unknown(ExtensionType(rawValue: 0x3A3A), []), .signatureAlgorithms([.ecdsaSecp256r1SHA256]),
        ])
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.clientCertificateRequested)
    }

    // MARK: Padding (RFC 7685)

    /// The ClientHello handshake message, header included, of a handshake with `configure`.
    func helloLengths(server: ScriptedServer = ScriptedServer(), _ configure: (inout TLSClientConfiguration) -> Void)
        throws -> [Int]
    {
        expectSuccess(runHandshake(client: try makeTestClient(configure), server: server), server: server)
        return server.clientHelloBytes.map(\.count)
    }

    // The padding tests send an x25519 share only: with the default X25519MLKEM768 share the ClientHello is
    // already about 1.6 KB, past the sizes padding is meant for (RFC 7685's 512).

    @Test func paddingBringsTheClientHelloToTheConfiguredSize() throws {
        let server = ScriptedServer()
        #expect(try helloLengths(server: server) { $0.keyShareGroups = [.x25519]; $0.clientHelloPadding = 512 } == [512])
        let hello = try #require(server.clientHellos.first)
        // Padding last here (no pre_shared_key), after the second GREASE extension.
        #expect(hello.extensions.last?.extensionType == .padding)
        #expect(Self.isGREASE(hello.extensions[hello.extensions.count - 2].extensionType.rawValue))
        #expect(try helloLengths { $0.clientHelloPadding = 2000 } == [2000])
    }

    @Test func noPaddingByDefaultOrWhenTheHelloIsLongEnough() throws {
        let server = ScriptedServer()
        let natural = try helloLengths(server: server) { _ in }
        #expect(server.clientHellos.first?.extension(.padding) == nil)
        let longEnough = ScriptedServer()
        #expect(try helloLengths(server: longEnough) { $0.clientHelloPadding = natural[0] } == natural)
        #expect(longEnough.clientHellos.first?.extension(.padding) == nil)
    }

    @Test func aShortfallUnderFourBytesOvershoots() throws {
        let natural = try helloLengths { _ in }[0]
        // An extension header alone is 4 bytes: 2 short gives an empty padding extension, 2 bytes over.
        let server = ScriptedServer()
        #expect(try helloLengths(server: server) { $0.clientHelloPadding = natural + 2 } == [natural + 4])
        #expect(server.clientHellos.first?.extension(.padding) == .padding(0))
        #expect(try helloLengths { $0.clientHelloPadding = natural + 4 } == [natural + 4])
    }

    @Test func paddingIsRecomputedForTheSecondClientHello() throws {
        let server = ScriptedServer()
        server.configuration.groups = [.secp256r1]  // HelloRetryRequest: the P-256 share is longer than x25519's
        #expect(try helloLengths(server: server) { $0.keyShareGroups = [.x25519]; $0.clientHelloPadding = 600 } == [600, 600])
    }

    /// With a PSK offered: … GREASE, padding, pre_shared_key — last (§4.2.11).
    @Test func paddingAndGREASEComeBeforePreSharedKey() throws {
        var config = TLSClientConfiguration()
        config.keyShareGroups = [.x25519]
        config.clientHelloPadding = 700
        let session = TLSSession(
            ticket: [1, 2, 3, 4], cipherSuite: .aes128GCMSHA256, lifetime: 3600, ageAdd: 7,
            receivedAtMilliseconds: ScriptedPKI.now * 1000, maxEarlyDataSize: 0, applicationProtocol: nil,
            serverName: "localhost", certificateVerification: .verified,
            peerCertificates: try PEM.certificates(fromFile: CertPaths.path("leaf-ecdsa-p256-chain.pem")).map(\.der),
            psk: SecretBytes([UInt8](repeating: 9, count: 32)))
        let client = try ClientStateMachine(
            configuration: config, identity: .dnsName("localhost"),
            dependencies: .init(certificateVerifier: try ScriptedPKI.verifier(), now: ScriptedPKI.now), session: session)
        let record = try client.startHandshake()
        let message = Array(record.dropFirst(5))
        #expect(message.count == 700)
        guard case .clientHello(let hello) = try HandshakeMessage.decode(message) else {
            Issue.record("not a ClientHello")
            return
        }
        let types = hello.extensions.map(\.extensionType)
        #expect(types.last == .preSharedKey)
        #expect(types[types.count - 2] == .padding)
        #expect(Self.isGREASE(types[types.count - 3].rawValue))
        #expect(Self.isGREASE(types[0].rawValue))
    }
}
