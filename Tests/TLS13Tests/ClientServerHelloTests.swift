import Foundation
import Testing
@testable import TLS13

/// Every check a client makes on the ServerHello (RFC 8446 §4.1.3, §4.2, §4.2.8), each broken alone by the
/// scripted server. The client fails before it has keys, so its alert goes out in plaintext.
@Suite struct ClientServerHelloTests {
    /// Runs a handshake whose ServerHello is changed by `mutate`.
    func run(
        client configure: (inout TLSClientConfiguration) -> Void = { _ in },
        server setUp: (ScriptedServer) -> Void = { _ in },
        _ mutate: @escaping (inout ServerHello) -> Void
    ) throws -> HandshakeOutcome {
        let server = ScriptedServer()
        setUp(server)
        server.mutateServerHello = mutate
        return runHandshake(client: try makeTestClient(configure), server: server)
    }

    /// A TLS 1.2 server's extensions: renegotiation_info and extended_master_secret (9 bytes).
    static let tls12Extensions: [ServerHelloExtension] = [
        .unknown(.renegotiationInfo, [0]), .unknown(.extendedMasterSecret, []),
    ]

    // MARK: Versions

    @Test(arguments: [UInt16(0x0304), 0x0301, 0x0302, 0x0300, 0x7f1c])
    func legacyVersionOtherThanTLS12(_ version: UInt16) throws {
        let outcome = try run { $0.legacyVersion = ProtocolVersion(rawValue: version) }
        expectAlert(outcome, .illegalParameter, encrypted: false)
    }

    @Test func tls12ServerHelloIsProtocolVersion() throws {
        // A TLS 1.2 server: no supported_versions, a TLS 1.2 suite, TLS 1.2 extensions.
        let outcome = try run {
            $0.extensions = Self.tls12Extensions
            $0.cipherSuite = CipherSuite(rawValue: 0xc02f)
        }
        expectAlert(outcome, .protocolVersion, encrypted: false)
    }

    @Test func tls13ServerHelloWithoutSupportedVersionsIsProtocolVersion() throws {
        let outcome = try run { $0.extensions.removeAll { $0.extensionType == .supportedVersions } }
        expectAlert(outcome, .protocolVersion, encrypted: false)
    }

    @Test(arguments: [ServerHello.downgradeSentinelTLS12, ServerHello.downgradeSentinelTLS11])
    func tls12ServerHelloWithDowngradeSentinel(_ sentinel: [UInt8]) throws {
        let outcome = try run {
            $0.extensions = Self.tls12Extensions
            $0.cipherSuite = CipherSuite(rawValue: 0xc02f)
            $0.random = Array($0.random.prefix(24)) + sentinel
        }
        expectAlert(outcome, .illegalParameter, encrypted: false)
    }

    @Test func downgradeSentinelInATLS13ServerHelloIsIgnored() throws {
        // The sentinel matters only when TLS 1.2 or below is negotiated (§4.1.3).
        let server = ScriptedServer()
        server.mutateServerHello = { $0.random = Array($0.random.prefix(24)) + ServerHello.downgradeSentinelTLS12 }
        expectSuccess(runHandshake(client: try makeTestClient(), server: server), server: server)
    }

    @Test func tls12ServerHelloWithoutAnyExtensionsIsProtocolVersion() throws {
        // A TLS 1.2 (or 1.1) ServerHello may end right after the compression method: no extensions block at
        // all. The client must still answer protocol_version, not decode_error.
        for version in [UInt16(0x0303), 0x0302] {
            let server = ScriptedServer()
            server.mutateServerHello = {
                $0.legacyVersion = ProtocolVersion(rawValue: version)
                $0.cipherSuite = CipherSuite(rawValue: 0xc02f)
            }
            server.mutateMessageBytes = { message, bytes in
                guard message == .serverHello else { return }
                // Cut the extensions block and fix the uint24 length.
                let sessionIDLength = Int(bytes[4 + 2 + 32])
                let end = 4 + 2 + 32 + 1 + sessionIDLength + 2 + 1
                bytes = Array(bytes[..<end])
                bytes[1] = 0
                bytes[2] = 0
                bytes[3] = UInt8(end - 4)
            }
            let outcome = runHandshake(client: try makeTestClient(), server: server)
            expectAlert(outcome, .protocolVersion, encrypted: false)
        }
    }

    @Test func tls12ServerHelloWithOnlyRenegotiationInfoIsProtocolVersion() throws {
        // Extensions of 5 bytes: too short for a TLS 1.3 ServerHello's <6..2^16-1>, normal for TLS 1.2.
        let outcome = try run {
            $0.extensions = [.unknown(.renegotiationInfo, [0])]
            $0.cipherSuite = CipherSuite(rawValue: 0xc02f)
        }
        expectAlert(outcome, .protocolVersion, encrypted: false)
    }

    @Test(arguments: [UInt16(0x0303), 0x7f1c, 0x0302, 0x0305, 0xfefd])
    func supportedVersionsSelectingAnythingButTLS13(_ version: UInt16) throws {
        let outcome = try run {
            $0.extensions = $0.extensions.map {
                $0.extensionType == .supportedVersions ? .supportedVersions(ProtocolVersion(rawValue: version)) : $0
            }
        }
        expectAlert(outcome, .illegalParameter, encrypted: false)
    }

    // MARK: Session id, suite, compression

    @Test func sessionIDEchoMismatch() throws {
        var outcome = try run { $0.legacySessionIDEcho[0] ^= 1 }
        expectAlert(outcome, .illegalParameter, encrypted: false)
        outcome = try run { $0.legacySessionIDEcho = [] }
        expectAlert(outcome, .illegalParameter, encrypted: false)
        outcome = try run { $0.legacySessionIDEcho.removeLast() }
        expectAlert(outcome, .illegalParameter, encrypted: false)
    }

    @Test(arguments: [UInt16(0x1399), 0xc02f, 0x1304, 0x1305, 0x0000, 0x00ff])
    func cipherSuiteNotOffered(_ suite: UInt16) throws {
        let outcome = try run { $0.cipherSuite = CipherSuite(rawValue: suite) }
        expectAlert(outcome, .illegalParameter, encrypted: false)
    }

    @Test func cipherSuiteOfferedButNotTheFirstIsFine() throws {
        let server = ScriptedServer()
        server.configuration.cipherSuites = [.chacha20Poly1305SHA256]
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.cipherSuite == .chacha20Poly1305SHA256)
    }

    @Test(arguments: [UInt8(1), 0xff])
    func compressionMethodNotNull(_ method: UInt8) throws {
        let server = ScriptedServer()
        server.mutateMessageBytes = { message, bytes in
            guard message == .serverHello else { return }
            let sessionIDLength = Int(bytes[4 + 2 + 32])
            bytes[4 + 2 + 32 + 1 + sessionIDLength + 2] = method
        }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .illegalParameter, encrypted: false)
    }

    // MARK: key_share

    @Test(arguments: [NamedGroup.secp521r1, .x448, .ffdhe2048, NamedGroup(rawValue: 0x1234)])
    func keyShareForAGroupNotOffered(_ group: NamedGroup) throws {
        let outcome = try run { hello in
            hello.extensions = hello.extensions.map {
                guard case .keyShare(var share) = $0 else { return $0 }
                share.group = group
                return .keyShare(share)
            }
        }
        expectAlert(outcome, .illegalParameter, encrypted: false)
    }

    @Test(arguments: [NamedGroup.secp256r1, .secp384r1])
    func keyShareForAnOfferedGroupWithoutAShareSent(_ group: NamedGroup) throws {
        let valid = try makeKeyShare(group: group).publicKey  // a real point, so only the group is wrong
        let outcome = try run { hello in
            hello.extensions = hello.extensions.map {
                $0.extensionType == .keyShare ? .keyShare(KeyShareEntry(group: group, keyExchange: valid)) : $0
            }
        }
        expectAlert(outcome, .illegalParameter, encrypted: false)
    }

    @Test func missingKeyShare() throws {
        let outcome = try run { $0.extensions.removeAll { $0.extensionType == .keyShare } }
        expectAlert(outcome, .missingExtension, encrypted: false)
    }

    static let x25519Invalid: [[UInt8]] = [
        [UInt8](repeating: 0, count: 32),  // all-zero point: all-zero shared secret
        // A point of order 8 (Wycheproof x25519 "low order" cases): also an all-zero secret.
        [0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
         0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00],
        [UInt8](repeating: 0x09, count: 31),  // wrong length
        [UInt8](repeating: 0x09, count: 33),
    ]

    @Test(arguments: x25519Invalid)
    func invalidX25519Share(_ share: [UInt8]) throws {
        let outcome = try run { hello in
            hello.extensions = hello.extensions.map {
                $0.extensionType == .keyShare ? .keyShare(KeyShareEntry(group: .x25519, keyExchange: share)) : $0
            }
        }
        expectAlert(outcome, .illegalParameter, encrypted: false)
    }

    enum BadPoint: String, CaseIterable, Sendable {
        case offCurve, compressed, infinity, truncated, hybrid
    }

    @Test(arguments: BadPoint.allCases)
    func invalidP256Share(_ kind: BadPoint) throws {
        let good = try makeKeyShare(group: .secp256r1).publicKey
        #expect(good.count == 65 && good[0] == 4)
        let bad: [UInt8]
        switch kind {
        case .offCurve: bad = Array(good.dropLast()) + [good[64] ^ 1]
        case .compressed: bad = [0x02 | (good[64] & 1)] + good[1...32]
        case .infinity: bad = [0x00]
        case .truncated: bad = Array(good.dropLast())
        case .hybrid: bad = [0x06 | (good[64] & 1)] + good[1...]
        }
        let server = ScriptedServer()
        server.configuration.groups = [.secp256r1]
        server.mutateServerHello = { hello in
            hello.extensions = hello.extensions.map {
                $0.extensionType == .keyShare ? .keyShare(KeyShareEntry(group: .secp256r1, keyExchange: bad)) : $0
            }
        }
        let client = try makeTestClient { $0.keyShareGroups = [.secp256r1] }
        expectAlert(runHandshake(client: client, server: server), .illegalParameter, encrypted: false)
    }

    // MARK: Other extensions

    @Test func unknownExtensionIsUnsupported() throws {
        let outcome = try run { $0.extensions.append(.unknown(ExtensionType(rawValue: 0x1234), [1, 2])) }
        expectAlert(outcome, .unsupportedExtension, encrypted: false)
    }

    @Test func alpnInServerHelloWhenNotOffered() throws {
        // §4.2: an extension response the client did not request is unsupported_extension.
        let outcome = try run { $0.extensions.append(.unknown(.applicationLayerProtocolNegotiation, [0, 3, 2, 0x68, 0x32])) }
        expectAlert(outcome, .unsupportedExtension, encrypted: false)
    }

    @Test func alpnInServerHelloWhenOfferedIsIllegal() throws {
        // Offered, but ALPN belongs in EncryptedExtensions.
        let outcome = try run(client: { $0.applicationProtocols = ["h2"] }) {
            $0.extensions.append(.unknown(.applicationLayerProtocolNegotiation, [0, 3, 2, 0x68, 0x32]))
        }
        expectAlert(outcome, .illegalParameter, encrypted: false)
    }

    @Test(arguments: [ExtensionType.signatureAlgorithms, .supportedGroups, .serverName, .pskKeyExchangeModes,
                      .signatureAlgorithmsCert])
    func offeredExtensionNotAllowedInServerHello(_ type: ExtensionType) throws {
        let outcome = try run { $0.extensions.append(.unknown(type, [])) }
        expectAlert(outcome, .illegalParameter, encrypted: false)
    }

    @Test func preSharedKeyWithoutOffering() throws {
        let outcome = try run { $0.extensions.append(.preSharedKey(0)) }
        expectAlert(outcome, .unsupportedExtension, encrypted: false)
    }

    @Test func cookieInServerHello() throws {
        // cookie is allowed only in a HelloRetryRequest; the client did not send one either.
        let outcome = try run { $0.extensions.append(.unknown(.cookie, [0, 1, 1])) }
        #expect(outcome.error?.alert == .illegalParameter || outcome.error?.alert == .unsupportedExtension)
        #expect(outcome.alertOnWire?.alert.description == outcome.error?.alert)
    }

    @Test func duplicateExtensionIsDecodeError() throws {
        let outcome = try run { $0.extensions.append(.supportedVersions(.tls13)) }
        expectAlert(outcome, .decodeError, encrypted: false)
    }

    @Test func trailingByteAfterServerHelloIsDecodeError() throws {
        let server = ScriptedServer()
        server.mutateMessageBytes = { message, bytes in
            guard message == .serverHello else { return }
            bytes.append(0)
            bytes[3] &+= 1
        }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .decodeError, encrypted: false)
    }

    @Test func afterAFailureTheClientRefusesInput() throws {
        let server = ScriptedServer()
        server.mutateServerHello = { $0.cipherSuite = CipherSuite(rawValue: 0x1399) }
        let client = try makeTestClient()
        expectAlert(runHandshake(client: client, server: server), .illegalParameter, encrypted: false)
        #expect(client.phase == .failed)
        #expect(throws: TLSError.closed) { _ = try client.receive([22, 3, 3, 0, 0][...]) }
        #expect(client.alertRecord(for: .internalError("again")) == nil)  // one alert only
    }
}
