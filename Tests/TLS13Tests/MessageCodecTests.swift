import Testing

@testable import TLS13

/// Every handshake message of every RFC 8448 trace parses into the expected type and re-encodes byte for
/// byte; selected fields match the values the RFC prints separately.
@Suite struct MessageCodecTests {
    /// Trace name → (value name, expected message name) for each handshake message in `values`.
    static let traceMessages: [(trace: String, messages: [(value: String, name: String)])] = [
        (
            "section3_simple_1rtt",
            [
                ("client_hello", "client_hello"), ("server_hello", "server_hello"),
                ("encrypted_extensions", "encrypted_extensions"), ("server_certificate", "certificate"),
                ("server_certificate_verify", "certificate_verify"), ("server_finished", "finished"),
                ("client_finished", "finished"), ("new_session_ticket", "new_session_ticket"),
            ]
        ),
        (
            "section4_resumed_0rtt",
            [
                ("client_hello", "client_hello"), ("server_hello", "server_hello"),
                ("encrypted_extensions", "encrypted_extensions"), ("server_finished", "finished"),
                ("end_of_early_data", "end_of_early_data"), ("client_finished", "finished"),
            ]
        ),
        (
            "section5_hello_retry_request",
            [
                ("client_hello_1", "client_hello"), ("hello_retry_request", "hello_retry_request"),
                ("client_hello_2", "client_hello"), ("server_hello", "server_hello"),
                ("encrypted_extensions", "encrypted_extensions"), ("server_certificate", "certificate"),
                ("server_certificate_verify", "certificate_verify"), ("server_finished", "finished"),
                ("client_finished", "finished"),
            ]
        ),
        (
            "section6_client_authentication",
            [
                ("client_hello", "client_hello"), ("server_hello", "server_hello"),
                ("encrypted_extensions", "encrypted_extensions"), ("certificate_request", "certificate_request"),
                ("server_certificate", "certificate"), ("server_certificate_verify", "certificate_verify"),
                ("server_finished", "finished"), ("client_certificate", "certificate"),
                ("client_certificate_verify", "certificate_verify"), ("client_finished", "finished"),
            ]
        ),
        (
            "section7_compatibility_mode",
            [
                ("client_hello", "client_hello"), ("server_hello", "server_hello"),
                ("encrypted_extensions", "encrypted_extensions"), ("server_certificate", "certificate"),
                ("server_certificate_verify", "certificate_verify"), ("server_finished", "finished"),
                ("client_finished", "finished"),
            ]
        ),
    ]

    @Test func everyTraceMessageRoundTrips() throws {
        var count = 0
        for (traceName, messages) in Self.traceMessages {
            let trace = try RFC8448Trace.load(traceName)
            for (value, name) in messages {
                let bytes = try trace.bytes(value)
                let message = try HandshakeMessage.decode(bytes)
                #expect(message.name == name, "\(traceName) \(value)")
                #expect(try message.encoded == bytes, "\(traceName) \(value) re-encodes differently")
                count += 1
            }
        }
        #expect(count == 40)
    }

    private func decode(_ trace: RFC8448Trace, _ value: String) throws -> HandshakeMessage {
        try HandshakeMessage.decode(trace.bytes(value))
    }

    @Test func simpleHandshakeFields() throws {
        let trace = try RFC8448Trace.load("section3_simple_1rtt")

        guard case .clientHello(let ch) = try decode(trace, "client_hello") else {
            Issue.record("not a ClientHello")
            return
        }
        #expect(ch.legacyVersion == .tls12)
        #expect(ch.random == (try trace.bytes("client_random")))
        #expect(ch.legacySessionID.isEmpty)
        #expect(ch.cipherSuites == [.aes128GCMSHA256, .chacha20Poly1305SHA256, .aes256GCMSHA384])
        #expect(ch.legacyCompressionMethods == [0])
        #expect(ch.extension(.serverName) == .serverName("server"))
        #expect(ch.extension(.supportedVersions) == .supportedVersions([.tls13]))
        #expect(ch.extension(.pskKeyExchangeModes) == .pskKeyExchangeModes([.pskDHEKE]))
        #expect(ch.extension(.recordSizeLimit) == .recordSizeLimit(0x4001))
        #expect(ch.extension(.renegotiationInfo) == .unknown(.renegotiationInfo, [0]))
        #expect(ch.extension(.sessionTicket) == .unknown(.sessionTicket, []))
        #expect(
            ch.keyShares == [KeyShareEntry(group: .x25519, keyExchange: try trace.bytes("client_x25519_public_key"))])
        if case .supportedGroups(let groups)? = ch.extension(.supportedGroups) {
            #expect(groups.first == .x25519)
            #expect(groups.contains(.ffdhe2048))
        } else {
            Issue.record("no supported_groups")
        }
        if case .signatureAlgorithms(let schemes)? = ch.extension(.signatureAlgorithms) {
            #expect(schemes.contains(.rsaPSSRSAESHA256))
            #expect(schemes.count == 15)
        } else {
            Issue.record("no signature_algorithms")
        }
        #expect(ch.offeredPSKs == nil)

        guard case .serverHello(let sh) = try decode(trace, "server_hello") else {
            Issue.record("not a ServerHello")
            return
        }
        #expect(sh.random == (try trace.bytes("server_random")))
        #expect(sh.cipherSuite == .aes128GCMSHA256)
        #expect(sh.selectedVersion == .tls13)
        #expect(sh.keyShare == KeyShareEntry(group: .x25519, keyExchange: try trace.bytes("server_x25519_public_key")))
        #expect(sh.selectedPSKIdentity == nil)
        #expect(!sh.hasDowngradeSentinel)

        guard case .encryptedExtensions(let ee) = try decode(trace, "encrypted_extensions") else {
            Issue.record("not EncryptedExtensions")
            return
        }
        #expect(ee.extensions.map(\.extensionType) == [.supportedGroups, .recordSizeLimit, .serverName])
        #expect(ee.recordSizeLimit == 0x4001)
        #expect(!ee.earlyDataAccepted)
        #expect(ee.selectedProtocol == nil)

        guard case .certificate(let cert) = try decode(trace, "server_certificate") else {
            Issue.record("not Certificate")
            return
        }
        #expect(cert.certificateRequestContext.isEmpty)
        #expect(cert.entries.count == 1)
        #expect(cert.certificates.first?.prefix(2) == [0x30, 0x82])  // DER SEQUENCE, two-byte length
        #expect(cert.entries.first?.extensions == [])

        guard case .certificateVerify(let cv) = try decode(trace, "server_certificate_verify") else {
            Issue.record("not CertificateVerify")
            return
        }
        #expect(cv.algorithm == .rsaPSSRSAESHA256)
        #expect(cv.signature.count == 128)  // RSA-1024

        guard case .finished(let sf) = try decode(trace, "server_finished"),
            case .finished(let cf) = try decode(trace, "client_finished")
        else {
            Issue.record("not Finished")
            return
        }
        #expect(sf.verifyData == (try trace.bytes("server_finished_verify_data")))
        #expect(cf.verifyData == (try trace.bytes("client_finished_verify_data")))

        guard case .newSessionTicket(let nst) = try decode(trace, "new_session_ticket") else {
            Issue.record("not NewSessionTicket")
            return
        }
        #expect(nst.ticketLifetime == 0x1e)
        #expect(nst.ticketAgeAdd == 0xfad6_aac5)
        #expect(nst.ticketNonce == (try trace.bytes("ticket_nonce")))
        #expect(nst.ticket == (try trace.bytes("ticket")))
        #expect(nst.maxEarlyDataSize == 0x400)
        var w = ByteWriter()
        try ExtensionBlock.write(nst.extensions, into: &w)
        #expect(w.bytes == [0x00, 0x08] + (try trace.bytes("new_session_ticket_extensions")))
    }

    @Test func resumptionBindersAndTruncatedHello() throws {
        let trace = try RFC8448Trace.load("section4_resumed_0rtt")
        let ticket = try RFC8448Trace.load("section3_simple_1rtt").bytes("ticket")
        guard case .clientHello(let ch) = try decode(trace, "client_hello") else {
            Issue.record("not a ClientHello")
            return
        }
        let offer = try #require(ch.offeredPSKs)
        #expect(ch.extensions.last?.extensionType == .preSharedKey)
        #expect(offer.identities.count == 1)
        #expect(offer.identities.first?.identity == ticket)
        #expect(offer.binders == [try trace.bytes("psk_binder")])
        #expect(offer.bindersEncodedLength == 2 + 1 + 32)
        #expect(ch.extension(.earlyData) == .earlyData)
        #expect(try ch.truncatedForBinders() == (try trace.bytes("client_hello_truncated")))

        // Placeholder binders keep the truncated hello unchanged; putting the real binder back restores the bytes.
        let placeholder = ch.settingBinders([[UInt8](repeating: 0, count: 32)])
        #expect(try placeholder.truncatedForBinders() == ch.truncatedForBinders())
        #expect(placeholder != ch)
        let restored = placeholder.settingBinders([try trace.bytes("psk_binder")])
        #expect(try HandshakeMessage.clientHello(restored).encoded == (try trace.bytes("client_hello")))

        guard case .serverHello(let sh) = try decode(trace, "server_hello") else {
            Issue.record("not a ServerHello")
            return
        }
        #expect(sh.selectedPSKIdentity == 0)
        guard case .encryptedExtensions(let ee) = try decode(trace, "encrypted_extensions") else {
            Issue.record("not EncryptedExtensions")
            return
        }
        #expect(ee.earlyDataAccepted)
        #expect(try decode(trace, "end_of_early_data") == .endOfEarlyData)
        #expect(try HandshakeMessage.endOfEarlyData.encoded == [5, 0, 0, 0])
    }

    @Test func helloRetryRequestFields() throws {
        let trace = try RFC8448Trace.load("section5_hello_retry_request")
        guard case .helloRetryRequest(let hrr) = try decode(trace, "hello_retry_request") else {
            Issue.record("not a HelloRetryRequest")
            return
        }
        #expect(hrr.cipherSuite == .aes128GCMSHA256)
        #expect(hrr.selectedVersion == .tls13)
        #expect(hrr.selectedGroup == .secp256r1)
        let cookie = try #require(hrr.cookie)
        #expect(cookie.count == 0x72)
        #expect(HandshakeMessage.helloRetryRequest(hrr).type == .serverHello)

        guard case .clientHello(let ch1) = try decode(trace, "client_hello_1"),
            case .clientHello(let ch2) = try decode(trace, "client_hello_2")
        else {
            Issue.record("not ClientHellos")
            return
        }
        #expect(ch1.keyShares.map(\.group) == [.x25519])
        #expect(
            ch2.keyShares == [KeyShareEntry(group: .secp256r1, keyExchange: try trace.bytes("client_p256_public_key"))])
        #expect(ch2.extension(.cookie) == .cookie(cookie))
        #expect(ch1.random == ch2.random)

        guard case .serverHello(let sh) = try decode(trace, "server_hello") else {
            Issue.record("not a ServerHello")
            return
        }
        #expect(sh.keyShare?.group == .secp256r1)
        #expect(sh.keyShare?.keyExchange == (try trace.bytes("server_p256_public_key")))
    }

    @Test func clientAuthenticationFields() throws {
        let trace = try RFC8448Trace.load("section6_client_authentication")
        guard case .certificateRequest(let cr) = try decode(trace, "certificate_request") else {
            Issue.record("not a CertificateRequest")
            return
        }
        #expect(cr.certificateRequestContext.isEmpty)
        #expect(cr.signatureAlgorithms.first == .ecdsaSecp256r1SHA256)
        #expect(cr.signatureAlgorithms.count == 15)
        guard case .certificate(let clientCert) = try decode(trace, "client_certificate"),
            case .certificateVerify(let clientCV) = try decode(trace, "client_certificate_verify"),
            case .certificateVerify(let serverCV) = try decode(trace, "server_certificate_verify")
        else {
            Issue.record("wrong message types")
            return
        }
        #expect(clientCert.entries.count == 1)
        #expect(clientCV.algorithm == .rsaPSSRSAESHA256)
        #expect(serverCV.algorithm == .ecdsaSecp256r1SHA256)
    }

    @Test func compatibilityModeSessionID() throws {
        let trace = try RFC8448Trace.load("section7_compatibility_mode")
        guard case .clientHello(let ch) = try decode(trace, "client_hello"),
            case .serverHello(let sh) = try decode(trace, "server_hello")
        else {
            Issue.record("wrong message types")
            return
        }
        #expect(ch.legacySessionID.count == 32)
        #expect(sh.legacySessionIDEcho == ch.legacySessionID)
    }

    /// The handshake records of every trace, reassembled per sender, give back the same messages and bytes;
    /// the alert records parse as close_notify.
    @Test func traceRecordsReassemble() throws {
        for (traceName, _) in Self.traceMessages {
            let trace = try RFC8448Trace.load(traceName)
            var reassemblers = ["client": HandshakeReassembler(), "server": HandshakeReassembler()]
            var received: [String: [UInt8]] = [:]
            var returned: [String: [UInt8]] = [:]
            var messageCount = 0
            for record in trace.records {
                let payload = try [UInt8](hex: record.payload)
                switch record.inner_content_type {
                case 22:
                    try reassemblers[record.sender, default: HandshakeReassembler()].append(payload)
                    received[record.sender, default: []] += payload
                    while let item = try reassemblers[record.sender]?.next() {
                        #expect(try item.message.encoded == item.bytes, "\(traceName) \(item.message.name)")
                        returned[record.sender, default: []] += item.bytes
                        messageCount += 1
                    }
                case 21:
                    let alert = try Alert(bytes: payload)
                    #expect(alert == Alert(.closeNotify))
                    #expect(alert.isClosure)
                    #expect(alert.encoded == payload)
                default:
                    continue
                }
            }
            #expect(received == returned, "\(traceName)")
            #expect(reassemblers.values.allSatisfy { !$0.hasPartialMessage })
            #expect(messageCount >= 6, "\(traceName)")
        }
    }

    @Test func constructedMessagesRoundTrip() throws {
        let offer = OfferedPSKs(
            identities: [.init(identity: [1, 2, 3], obfuscatedTicketAge: 0xdead_beef)],
            binders: [[UInt8](repeating: 7, count: 48)])
        let ch = ClientHello(
            random: [UInt8](repeating: 0xAB, count: 32), legacySessionID: [UInt8](repeating: 1, count: 32),
            cipherSuites: [.aes256GCMSHA384, .aes128GCMSHA256],
            extensions: [
                .serverName("example.com"), .supportedGroups([.x25519, .secp256r1]),
                .signatureAlgorithms([.ed25519, .ecdsaSecp256r1SHA256]),
                .signatureAlgorithmsCert([.rsaPKCS1SHA256]), .supportedVersions([.tls13]),
                .keyShare([KeyShareEntry(group: .x25519, keyExchange: [UInt8](repeating: 9, count: 32))]),
                .pskKeyExchangeModes([.pskDHEKE, .pskKE]),
                .applicationLayerProtocolNegotiation([Array("h2".utf8), Array("http/1.1".utf8)]),
                .cookie([1, 2, 3]), .earlyData, .postHandshakeAuth, .recordSizeLimit(16385), .padding(17),
                .unknown(ExtensionType(rawValue: 0x1234), [5, 6]), .preSharedKey(offer),
            ])
        let messages: [HandshakeMessage] = [
            .clientHello(ch),
            .serverHello(
                ServerHello(
                    random: [UInt8](repeating: 2, count: 32), cipherSuite: .chacha20Poly1305SHA256,
                    extensions: [
                        .supportedVersions(.tls13), .keyShare(KeyShareEntry(group: .secp256r1, keyExchange: [4, 5])),
                        .preSharedKey(3),
                    ])),
            .helloRetryRequest(
                HelloRetryRequest(
                    legacySessionIDEcho: [3, 3], cipherSuite: .aes128GCMSHA256,
                    extensions: [.keyShare(.secp384r1), .cookie([8]), .supportedVersions(.tls13)])),
            .encryptedExtensions(
                EncryptedExtensions(extensions: [
                    .serverName, .supportedGroups([.x448, .ffdhe2048]),
                    .applicationLayerProtocolNegotiation(Array("h2".utf8)),
                    .earlyData, .recordSizeLimit(1024), .unknown(.heartbeat, [1]),
                ])),
            .encryptedExtensions(EncryptedExtensions(extensions: [])),
            .certificateRequest(
                CertificateRequest(
                    certificateRequestContext: [1],
                    extensions: [
                        .signatureAlgorithms([.rsaPSSRSAESHA256]), .signatureAlgorithmsCert([.ed25519]),
                        .certificateAuthorities([[0x30, 0x00], [0x30, 0x01, 0x00]]),
                        .unknown(.oidFilters, [0, 0]),
                    ])),
            .certificate(
                CertificateMessage(entries: [
                    .init(certData: [0x30, 1, 2], extensions: [RawExtension(.statusRequest, [1, 0, 0, 1, 9])]),
                    .init(certData: [0x30]),
                ])),
            .certificate(CertificateMessage(certificateRequestContext: [7], entries: [])),
            .certificateVerify(CertificateVerify(algorithm: .ed25519, signature: [UInt8](repeating: 1, count: 64))),
            .certificateVerify(CertificateVerify(algorithm: .ed25519, signature: [])),
            .finished(Finished(verifyData: [UInt8](repeating: 0xF, count: 48))),
            .newSessionTicket(
                NewSessionTicket(
                    ticketLifetime: 604_800, ticketAgeAdd: 1, ticketNonce: [], ticket: [1],
                    extensions: [.earlyData(0xFFFF_FFFF), .unknown(ExtensionType(rawValue: 0xAAAA), [])])),
            .keyUpdate(KeyUpdate(requestUpdate: .updateRequested)),
            .keyUpdate(KeyUpdate(requestUpdate: .updateNotRequested)),
            .endOfEarlyData,
        ]
        for message in messages {
            let bytes = try message.encoded
            #expect(bytes.first == message.type.rawValue)
            #expect(bytes.count == 4 + (Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])))
            #expect(try HandshakeMessage.decode(bytes) == message, "\(message.name)")
        }
        #expect(try HandshakeMessage.keyUpdate(KeyUpdate(requestUpdate: .updateRequested)).encoded == [24, 0, 0, 1, 1])
    }

    @Test func helpers() {
        let digest = [UInt8](repeating: 0x5A, count: 32)
        #expect(HandshakeMessage.messageHash(digest) == [254, 0, 0, 32] + digest)

        let content = CertificateVerify.signedContent(signer: .server, transcriptHash: [1, 2])
        #expect(content.count == 64 + 33 + 1 + 2)
        #expect(content.prefix(64).allSatisfy { $0 == 0x20 })
        #expect(Array(content[64..<97]) == Array("TLS 1.3, server CertificateVerify".utf8))
        #expect(content.suffix(3) == [0, 1, 2])
        let client = CertificateVerify.signedContent(signer: .client, transcriptHash: [])
        #expect(Array(client[64..<97]) == Array("TLS 1.3, client CertificateVerify".utf8))

        #expect(Alert(.closeNotify).level == .warning)
        #expect(Alert(.userCanceled).level == .warning)
        #expect(Alert(.handshakeFailure).level == .fatal)
        #expect(Alert(.handshakeFailure).encoded == [2, 40])
        #expect(!Alert(.handshakeFailure).isClosure)

        var random = [UInt8](repeating: 0, count: 24) + ServerHello.downgradeSentinelTLS12
        #expect(ServerHello(random: random, cipherSuite: .aes128GCMSHA256, extensions: []).hasDowngradeSentinel)
        random = [UInt8](repeating: 0, count: 24) + ServerHello.downgradeSentinelTLS11
        #expect(ServerHello(random: random, cipherSuite: .aes128GCMSHA256, extensions: []).hasDowngradeSentinel)
    }
}
