import Foundation
import Testing
@testable import TLS13

/// `Docs/Alerts.md` is the one table of failures and their alerts. This suite reads it and provokes every
/// row: the table and the code cannot drift apart.
@Suite struct AlertTableTests {
    struct Row: CustomStringConvertible, Sendable {
        var id: String
        var alert: String
        var description: String { "\(id) → \(alert)" }
    }

    /// The table's rows, parsed from the Markdown.
    static func rows() throws -> [Row] {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Docs/Alerts.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        var rows: [Row] = []
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3 else { continue }
            let strip = { (s: String) in s.trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
            rows.append(Row(id: strip(cells[0]), alert: strip(cells[2])))
        }
        return rows
    }

    /// What a scenario produced: the client's error, and the alert the server read off the wire (for
    /// failures inside a handshake against the scripted server).
    struct Result {
        var error: TLSError?
        var onWire: AlertDescription?
        var checksWire: Bool
    }

    static func handshake(
        client configure: (inout TLSClientConfiguration) -> Void = { _ in }, now: Int64 = ScriptedPKI.now,
        _ setUp: (ScriptedServer) -> Void
    ) throws -> Result {
        let server = ScriptedServer()
        setUp(server)
        let outcome = runHandshake(client: try makeTestClient(now: now, configure), server: server)
        return Result(error: outcome.error, onWire: outcome.alertOnWire?.alert.description, checksWire: true)
    }

    /// A handshake against the scripted server serving `Certs/edge/<name>`.
    static func edgeHandshake(_ name: String, identity: ClientStateMachine.ServerIdentity = .dnsName("localhost"))
        throws -> Result
    {
        let server = ScriptedServer(.init(customChain: try EdgePKI.served(name)))
        let outcome = runHandshake(client: try makeTestClient(identity: identity), server: server)
        return Result(error: outcome.error, onWire: outcome.alertOnWire?.alert.description, checksWire: true)
    }

    /// A completed handshake, then what `send` makes the server send; the client's answer to it.
    static func afterHandshake(_ send: (ScriptedServer) throws -> Void) throws -> Result {
        let server = ScriptedServer()
        let client = try makeTestClient()
        let handshake = runHandshake(client: client, server: server)
        guard handshake.error == nil else { return Result(error: handshake.error, onWire: nil, checksWire: false) }
        try send(server)
        let outcome = exchange(client: client, server: server)
        return Result(error: outcome.error, onWire: outcome.alertOnWire?.alert.description, checksWire: true)
    }

    static func local(_ body: () throws -> Void) -> Result {
        do {
            try body()
            return Result(error: nil, onWire: nil, checksWire: false)
        } catch let error as TLSError {
            return Result(error: error, onWire: nil, checksWire: false)
        } catch {
            return Result(error: .internalError("unexpected \(error)"), onWire: nil, checksWire: false)
        }
    }

    static func records(_ bytes: [UInt8], protected: Bool = false, allowCCS: Bool = false) throws -> Result {
        var layer = RecordLayer()
        if protected { layer.readProtection = try makeProtectionPair().open }
        layer.allowsChangeCipherSpec = allowCCS
        layer.receive(bytes)
        return local { while try layer.nextRecord() != nil {} }
    }

    static func sealed(_ type: ContentType, _ payload: [UInt8], padding: Int = 0, tamper: Bool = false) throws -> Result {
        let (seal, open) = try makeProtectionPair()
        var out: [UInt8] = []
        try seal.seal(contentType: type, payload: payload[...], padding: padding, into: &out)
        if tamper { out[out.count - 1] ^= 1 }
        var layer = RecordLayer()
        layer.readProtection = open
        layer.allowsChangeCipherSpec = true
        layer.receive(out)
        return local { while try layer.nextRecord() != nil {} }
    }

    static let tls12Extensions: [ServerHelloExtension] = [.unknown(.renegotiationInfo, [0])]

    /// One scenario per row of the table.
    static let scenarios: [String: @Sendable () throws -> Result] = [
        "wire.truncated": { local { _ = try HandshakeMessage.decode([8, 0, 0, 4, 0, 6]) } },
        "wire.trailing": { local { _ = try HandshakeMessage.decode([8, 0, 0, 3, 0, 0, 1]) } },
        "wire.vector_length": {
            local {
                var r = ByteReader([5, 1, 2, 3, 4, 5])
                _ = try r.readVector(lengthBytes: 1, range: 2...4)
            }
        },
        "ext.duplicate": {
            local {
                let ee = HandshakeMessage.encryptedExtensions(EncryptedExtensions(extensions: [
                    .supportedGroups([.x25519]), .supportedGroups([.x25519]),
                ]))
                _ = try HandshakeMessage.decode(ee.encoded)
            }
        },
        "record.overflow_plaintext": { try records([22, 3, 3, 0x40, 0x01]) },
        "record.overflow_ciphertext": { try records([23, 3, 3, 0x41, 0x01], protected: true) },
        "record.overflow_inner": { try sealed(.applicationData, [UInt8](repeating: 1, count: (1 << 14) + 1)) },
        "record.bad_mac": { try sealed(.applicationData, [1, 2, 3], tamper: true) },
        "record.all_zero_inner": { try sealed(.invalid, [], padding: 4) },
        "record.unknown_type": { try records([99, 3, 3, 0, 1, 0]) },
        "record.ccs_misuse": { try records([20, 3, 3, 0, 1, 2], allowCCS: true) },
        "record.plaintext_after_keys": { try records([22, 3, 3, 0, 1, 0], protected: true) },
        "record.zero_length_handshake": { try records([22, 3, 3, 0, 0]) },
        "record.interleaved": {
            try handshake { server in
                server.editFlight = { flight in
                    let bytes = flight.bytes(of: .certificate)
                    guard let index = flight.index(of: .certificate) else { return }
                    flight[index] = .handshake(Array(bytes.prefix(50)), epoch: .handshake)
                    flight.insert(.alert(.userCanceled, level: .warning, epoch: .handshake), at: index + 1)
                    flight.insert(.handshake(Array(bytes.dropFirst(50)), epoch: .handshake), at: index + 2)
                }
            }
        },
        "record.key_change_boundary": {
            try handshake { server in
                server.configuration.framing = .coalesced
                server.editFlight = { $0.setEpoch(of: .encryptedExtensions, to: .plaintext) }
            }
        },
        "hs.message_too_large": {
            try handshake(client: { $0.maxHandshakeMessageSize = 1024 }) { server in
                server.mutateCertificate = { $0.entries[0].certData += [UInt8](repeating: 0, count: 2000) }
            }
        },
        "hs.too_many_extensions": {
            try handshake(client: { $0.maxExtensionsPerMessage = 8 }) { server in
                server.mutateCertificate = { cert in
                    cert.entries[0].extensions = (0..<9).map { RawExtension(ExtensionType(rawValue: 0x7000 + UInt16($0)), []) }
                }
            }
        },
        "cert.chain_too_long": {
            try handshake(client: { $0.maxCertificateChainLength = 2 }) { server in
                server.mutateCertificate = { $0.entries.append($0.entries[1]) }
            }
        },
        "hs.unexpected_message": {
            try handshake { server in server.editFlight = { $0.remove(.encryptedExtensions) } }
        },
        "hs.app_data_before_finished": {
            try handshake { server in
                server.editFlight = { $0.insert(.record(.applicationData, [1, 2, 3], epoch: .handshake), before: .finished) }
            }
        },
        "sh.not_tls13": {
            try handshake { server in
                server.mutateServerHello = {
                    $0.extensions = tls12Extensions
                    $0.cipherSuite = CipherSuite(rawValue: 0xc02f)
                }
            }
        },
        "sh.downgrade_sentinel": {
            try handshake { server in
                server.mutateServerHello = {
                    $0.extensions = tls12Extensions
                    $0.cipherSuite = CipherSuite(rawValue: 0xc02f)
                    $0.random = Array($0.random.prefix(24)) + ServerHello.downgradeSentinelTLS12
                }
            }
        },
        "sh.selected_version": {
            try handshake { server in
                server.mutateServerHello = { sh in
                    sh.extensions = sh.extensions.map {
                        if case .supportedVersions = $0 { return .supportedVersions(.tls12) }
                        return $0
                    }
                }
            }
        },
        "sh.legacy_version": { try handshake { $0.mutateServerHello = { $0.legacyVersion = .tls13 } } },
        "sh.session_id_echo": { try handshake { $0.mutateServerHello = { $0.legacySessionIDEcho = [1, 2, 3] } } },
        "sh.cipher_suite": {
            try handshake(client: { $0.cipherSuites = [.aes128GCMSHA256] }) {
                $0.mutateServerHello = { $0.cipherSuite = .aes256GCMSHA384 }
            }
        },
        "sh.compression": {
            try handshake { server in
                server.mutateMessageBytes = { message, bytes in
                    guard message == .serverHello else { return }
                    let compression = 4 + 2 + 32 + 1 + Int(bytes[4 + 2 + 32]) + 2
                    bytes[compression] = 1
                }
            }
        },
        "sh.missing_key_share": {
            try handshake { $0.mutateServerHello = { $0.extensions.removeAll { $0.extensionType == .keyShare } } }
        },
        "sh.key_share_group": {
            try handshake { server in
                server.mutateServerHello = { sh in
                    sh.extensions = sh.extensions.map {
                        if case .keyShare(let entry) = $0 {
                            return .keyShare(KeyShareEntry(group: .secp384r1, keyExchange: entry.keyExchange))
                        }
                        return $0
                    }
                }
            }
        },
        "sh.bad_key_share": {
            try handshake { server in
                server.mutateServerHello = { sh in
                    sh.extensions = sh.extensions.map {
                        if case .keyShare = $0 { return .keyShare(KeyShareEntry(group: .x25519, keyExchange: [UInt8](repeating: 0, count: 32))) }
                        return $0
                    }
                }
            }
        },
        "sh.bad_ffdhe_share": {
            try handshake(client: {
                $0.supportedGroups = [.ffdhe2048]
                $0.keyShareGroups = [.ffdhe2048]
            }) { server in
                server.configuration.groups = [.ffdhe2048]
                server.mutateServerHello = { sh in
                    sh.extensions = sh.extensions.map {
                        guard case .keyShare = $0 else { return $0 }
                        return .keyShare(KeyShareEntry(group: .ffdhe2048, keyExchange: [UInt8](repeating: 0, count: 255) + [1]))
                    }
                }
            }
        },
        "grease.suite": {
            try handshake { server in
                server.mutateServerHello = { [unowned server] in $0.cipherSuite = server.clientHellos[0].cipherSuites[0] }
            }
        },
        "grease.group": {
            try handshake { server in
                server.mutateServerHello = { [unowned server] sh in
                    guard let grease = server.clientHellos[0].keyShares.first else { return }
                    sh.extensions = sh.extensions.map { $0.extensionType == .keyShare ? .keyShare(grease) : $0 }
                }
            }
        },
        "grease.version": {
            try handshake { server in
                server.mutateServerHello = { [unowned server] sh in
                    guard case .supportedVersions(let versions)? = server.clientHellos[0].extension(.supportedVersions),
                        let grease = versions.first
                    else { return }
                    sh.extensions = sh.extensions.map {
                        $0.extensionType == .supportedVersions ? .supportedVersions(grease) : $0
                    }
                }
            }
        },
        "grease.extension": {
            try handshake { server in
                server.mutateEncryptedExtensions = { [unowned server] ee in
                    guard let first = server.clientHellos[0].extensions.first else { return }
                    ee.extensions.append(.unknown(first.extensionType, []))
                }
            }
        },
        "ext.unsolicited": {
            try handshake { $0.mutateEncryptedExtensions = { $0.extensions.append(.applicationLayerProtocolNegotiation(Array("h2".utf8))) } }
        },
        "ext.not_allowed": {
            try handshake { $0.mutateEncryptedExtensions = { $0.extensions.append(.unknown(.supportedVersions, [3, 4])) } }
        },
        "hrr.second": {
            try handshake(client: { $0.keyShareGroups = [.x25519] }) { server in
                server.configuration.groups = [.secp256r1]
                server.configuration.helloRetryRequests = 2
            }
        },
        "hrr.group_not_offered": {
            try handshake(client: { $0.supportedGroups = [.x25519, .secp256r1]; $0.keyShareGroups = [.x25519] }) { server in
                server.configuration.groups = [.secp256r1]
                server.mutateHelloRetryRequest = { hrr in
                    hrr.extensions = hrr.extensions.map {
                        if case .keyShare = $0 { return .keyShare(.secp384r1) }
                        return $0
                    }
                }
            }
        },
        "hrr.group_already_shared": {
            try handshake { server in
                server.configuration.groups = [.secp256r1]
                server.mutateHelloRetryRequest = { hrr in
                    hrr.extensions = hrr.extensions.map {
                        if case .keyShare = $0 { return .keyShare(.x25519) }
                        return $0
                    }
                }
            }
        },
        "hrr.no_change": {
            try handshake { server in
                server.configuration.groups = [.secp256r1]
                server.mutateHelloRetryRequest = { $0.extensions.removeAll { $0.extensionType == .keyShare || $0.extensionType == .cookie } }
            }
        },
        "hrr.sh_mismatch": {
            try handshake { server in
                server.configuration.groups = [.secp256r1]
                server.configuration.helloRetryRequests = 1
                server.mutateServerHello = { $0.cipherSuite = .chacha20Poly1305SHA256 }
            }
        },
        "ee.alpn_not_offered": {
            try handshake(client: { $0.applicationProtocols = ["http/1.1"] }) {
                $0.mutateEncryptedExtensions = { $0.extensions.append(.applicationLayerProtocolNegotiation(Array("h2".utf8))) }
            }
        },
        "ee.record_size_limit_small": {
            try handshake { $0.mutateEncryptedExtensions = { $0.extensions.append(.recordSizeLimit(63)) } }
        },
        "record.size_limit": {
            let server = ScriptedServer()
            server.configuration.recordSizeLimit = 16385
            let client = try makeTestClient { $0.recordSizeLimit = 512 }
            let handshake = runHandshake(client: client, server: server)
            guard handshake.error == nil else { return Result(error: handshake.error, onWire: nil, checksWire: false) }
            server.configuration.honorClientRecordSizeLimit = false
            try server.sendApplicationData([UInt8](repeating: 7, count: 600))
            let outcome = exchange(client: client, server: server)
            return Result(error: outcome.error, onWire: outcome.alertOnWire?.alert.description, checksWire: true)
        },
        "cert.ocsp_revoked": {
            try handshake(now: OCSPStaplingTests.now) { server in
                server.configuration.chain = .revoked
                server.configuration.ocspResponse = try? OCSPStaplingTests.response("ocsp-revoked.der")
            }
        },
        "cert.ocsp_invalid": {
            try handshake(now: OCSPStaplingTests.now) { $0.configuration.ocspResponse = Array("garbage".utf8) }
        },
        "cert.ocsp_check": {
            try handshake(client: { $0.ocspResponseCheck = { response, _ in response != nil } }) { _ in }
        },
        "cert.sct_list": {
            try handshake(client: { $0.requestSignedCertificateTimestamps = true }) {
                $0.mutateCertificate = { $0.entries[0].extensions = [RawExtension(.signedCertificateTimestamp, [0, 0])] }
            }
        },
        "cert.empty": { try handshake { $0.mutateCertificate = { $0.entries = [] } } },
        "cert.context": { try handshake { $0.mutateCertificate = { $0.certificateRequestContext = [1] } } },
        // Every good certificate ends in 2099; a clock in 2103 finds the leaf expired.
        "cert.expired": { try handshake(now: 4_200_000_000) { _ in } },
        "cert.unknown_ca": { try handshake { $0.configuration.chain = .unknownCA } },
        "cert.bad_name": { try handshake { $0.configuration.chain = .wrongHost } },
        "cert.bad": { try handshake { $0.mutateCertificate = { $0.entries[0].certData.removeLast(10) } } },
        "cv.scheme_not_offered": {
            try handshake(client: { $0.signatureAlgorithms = [.ecdsaSecp256r1SHA256] }) {
                $0.mutateCertificateVerify = { $0.algorithm = .ecdsaSecp384r1SHA384 }
            }
        },
        "cv.bad_signature": { try handshake { $0.mutateCertificateVerify = { $0.signature[10] ^= 1 } } },
        "fin.length": { try handshake { $0.mutateFinished = { $0.verifyData.removeLast() } } },
        "fin.mismatch": { try handshake { $0.mutateFinished = { $0.verifyData[0] ^= 1 } } },
        "keyupdate.bad_request": { local { _ = try HandshakeMessage.decode([24, 0, 0, 1, 2]) } },
        "keyupdate.too_many": {
            try afterHandshake { server in
                for _ in 0...ClientStateMachine.maxConsecutiveKeyUpdates { try server.sendKeyUpdate(.updateNotRequested) }
            }
        },
        "alert.too_many_user_canceled": {
            try afterHandshake { server in
                for _ in 0...ClientStateMachine.maxConsecutiveUserCanceledAlerts {
                    try server.sendAlert(.userCanceled, level: .warning)
                }
            }
        },
        "record.too_many_empty": {
            try afterHandshake { server in
                for _ in 0...RecordLayer.maxConsecutiveEmptyRecords { try server.sendApplicationData([]) }
            }
        },
        "cert.profile_purpose": { try edgeHandshake("ca-true-leaf") },
        "cert.profile_encoding": { try edgeHandshake("serial-zero") },
        "cert.name_constraints": { try edgeHandshake("nc-wildcard", identity: .dnsName("www.allowed.example")) },
        "cert.profile_ca": { try edgeHandshake("noncritical-bc-int-leaf") },
        "cert.key_usage": {
            let pki = try TestPKI.shared.get()
            let server = ScriptedServer()
            server.mutateCertificate = { $0.entries = [CertificateMessage.Entry(certData: pki.keyAgreementOnly)] }
            let outcome = runHandshake(client: try makeTestClient(verifyChain: false), server: server)
            return Result(error: outcome.error, onWire: outcome.alertOnWire?.alert.description, checksWire: true)
        },
    ]

    @Test func everyRowHasAScenarioAndEveryScenarioARow() throws {
        let ids = Set(try Self.rows().map(\.id))
        #expect(ids.count >= 40)
        #expect(ids.subtracting(Self.scenarios.keys).sorted() == [], "rows without a scenario")
        #expect(Set(Self.scenarios.keys).subtracting(ids).sorted() == [], "scenarios without a row")
    }

    @Test(arguments: try AlertTableTests.rows())
    func rowMatchesTheCode(_ row: Row) throws {
        let scenario = try #require(Self.scenarios[row.id], "no scenario for \(row.id)")
        let result = try scenario()
        let error = try #require(result.error, "\(row.id): nothing failed")
        #expect(error.alert?.name == row.alert, "\(row.id): \(error)")
        if result.checksWire {
            #expect(result.onWire?.name == row.alert, "\(row.id): the server read \(String(describing: result.onWire))")
        }
    }
}
