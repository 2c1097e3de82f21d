import Testing
@testable import TLS13

/// The whole client driven through RFC 8448 traces: with the trace's ClientHello and key shares injected,
/// every record the client writes must equal the trace's, byte for byte, and every server record must be
/// accepted and decrypted.
@Suite struct ClientRFC8448Tests {
    func record(_ t: RFC8448Trace, _ i: Int) throws -> [UInt8] { try [UInt8](hex: t.records[i].record) }

    @Test func simpleOneRTTHandshakeOfSection3() throws {
        let t = try RFC8448Trace.load("section3_simple_1rtt")
        let client = try t.makeClient()
        #expect(try client.startHandshake() == record(t, 0))

        // ServerHello, then the encrypted server flight.
        #expect(try client.receive(record(t, 1)[...]).isEmpty)
        #expect(client.phase == .waitEncryptedExtensions)
        #expect(try client.takePendingOutput().isEmpty)
        let events = try client.receive(record(t, 2)[...])
        #expect(events == [.handshakeComplete])
        #expect(client.phase == .connected)
        // The client's Finished, under the client handshake key.
        #expect(try client.takePendingOutput() == record(t, 3))
        #expect(client.resumptionMasterSecret?.testBytes == (try t.bytes("resumption_master_secret")))
        #expect(client.info.cipherSuite == .aes128GCMSHA256)
        #expect(client.info.group == .x25519)
        #expect(client.info.signatureScheme == .rsaPSSRSAESHA256)
        #expect(client.info.certificateVerified)

        // NewSessionTicket under the server application key.
        let ticketEvents = try client.receive(record(t, 4)[...])
        guard case .newSessionTicket(let ticket, let session)? = ticketEvents.first else {
            Issue.record("expected a NewSessionTicket, got \(ticketEvents)")
            return
        }
        #expect(ticket.ticket == (try t.bytes("ticket")))
        #expect(ticket.ticketNonce == (try t.bytes("ticket_nonce")))
        // The session carries the PSK the RFC derives from it.
        #expect(session.psk.testBytes == (try t.bytes("resumption_psk")))
        #expect(session.ticket == ticket.ticket)
        #expect(session.lifetime == 30)
        #expect(session.maxEarlyDataSize == 1024)

        // Application data both ways.
        let clientData = try [UInt8](hex: t.records[5].payload)
        #expect(try client.sealApplicationData(clientData[...]) == record(t, 5))
        let serverData = try [UInt8](hex: t.records[6].payload)
        #expect(try client.receive(record(t, 6)[...]) == [.applicationData(serverData)])

        // close_notify both ways.
        #expect(try client.closeNotify() == record(t, 7))
        #expect(try client.receive(record(t, 8)[...]) == [.peerClosed])
        #expect(client.peerClosed)
    }

    @Test func serverFlightByteByByte() throws {
        // The same handshake with every server byte delivered alone.
        let t = try RFC8448Trace.load("section3_simple_1rtt")
        let client = try t.makeClient()
        _ = try client.startHandshake()
        var events: [ClientEvent] = []
        for b in try record(t, 1) + record(t, 2) {
            events += try client.receive([b][...])
        }
        #expect(events == [.handshakeComplete])
        #expect(try client.takePendingOutput() == record(t, 3))
    }

    @Test func helloRetryRequestOfSection5() throws {
        let t = try RFC8448Trace.load("section5_hello_retry_request")
        let client = try t.makeClient()
        let ch1 = try client.startHandshake()
        #expect(Array(ch1.dropFirst(5)) == (try t.bytes("client_hello_1")))

        // Find the trace's records by what they carry.
        let hrrRecord = try #require(t.records.firstIndex { !$0.encrypted && $0.sender == "server" })
        #expect(try client.receive(record(t, hrrRecord)[...]).isEmpty)
        #expect(client.info.usedHelloRetryRequest)
        // The trace's second ClientHello (NSS's, with padding) goes out, in a record of its own.
        let ch2 = try client.takePendingOutput()
        #expect(Array(ch2.dropFirst(5)) == (try t.bytes("client_hello_2")))
        #expect(ch2 == (try record(t, hrrRecord + 1)))

        #expect(try client.receive(record(t, hrrRecord + 2)[...]).isEmpty)  // ServerHello
        #expect(client.info.group == .secp256r1)
        #expect(try client.receive(record(t, hrrRecord + 3)[...]) == [.handshakeComplete])
        #expect(try client.takePendingOutput() == record(t, hrrRecord + 4))
        #expect(client.resumptionMasterSecret?.testBytes == (try t.bytes("resumption_master_secret")))
    }

    @Test func ourSecondClientHelloAfterTheHRRofSection5() throws {
        // Our own second ClientHello: the first one with the requested share and the cookie, nothing else.
        let t = try RFC8448Trace.load("section5_hello_retry_request")
        let client = try t.makeClient(replacingRetry: false)
        _ = try client.startHandshake()
        let hrrRecord = try #require(t.records.firstIndex { !$0.encrypted && $0.sender == "server" })
        _ = try client.receive(record(t, hrrRecord)[...])
        let out = try client.takePendingOutput()
        #expect(Array(out.prefix(5)) == [22, 3, 3, UInt8((out.count - 5) >> 8), UInt8((out.count - 5) & 0xff)])
        guard case .clientHello(let ours) = try HandshakeMessage.decode(Array(out.dropFirst(5))),
            case .helloRetryRequest(let hrr) = try HandshakeMessage.decode(t.bytes("hello_retry_request"))
        else {
            Issue.record("not a ClientHello")
            return
        }
        let first = try t.firstClientHello()
        #expect(ours.random == first.random)
        #expect(ours.legacySessionID == first.legacySessionID)
        #expect(ours.cipherSuites == first.cipherSuites)
        #expect(ours.keyShares == [KeyShareEntry(group: .secp256r1, keyExchange: try t.bytes("client_p256_public_key"))])
        let cookie = try #require(hrr.cookie)
        var expected = first.extensions.map { ext -> ClientHelloExtension in
            if case .keyShare = ext { return .keyShare(ours.keyShares) }
            return ext
        }
        expected.append(.cookie(cookie))
        #expect(ours.extensions == expected)
    }

    @Test func compatibilityModeOfSection7() throws {
        let t = try RFC8448Trace.load("section7_compatibility_mode")
        let client = try t.makeClient()
        #expect(try client.startHandshake() == record(t, 0))
        // Feed every server record up to the client's next one (CCS records included).
        var i = 1
        var events: [ClientEvent] = []
        while i < t.records.count, t.records[i].sender == "server" {
            events += try client.receive(record(t, i)[...])
            i += 1
        }
        #expect(events == [.handshakeComplete])
        // The client's flight: its change_cipher_spec, then Finished.
        var expected: [UInt8] = []
        while i < t.records.count, t.records[i].sender == "client", t.records[i].key != "client_application_key" {
            expected += try record(t, i)
            i += 1
        }
        #expect(try client.takePendingOutput() == expected)
        #expect(expected.starts(with: RecordLayer.changeCipherSpecRecord))
        // Then the trace's close_notify, under the client application key.
        #expect(try client.closeNotify() == record(t, i))
        #expect(try client.receive(record(t, i + 1)[...]) == [.peerClosed])
    }

    @Test func exporterMatchesKeySchedule() throws {
        let t = try RFC8448Trace.load("section3_simple_1rtt")
        let client = try t.makeClient()
        _ = try client.startHandshake()
        _ = try client.receive((try record(t, 1) + record(t, 2))[...])
        let schedule = try KeySchedule(hash: .sha256)
        let expected = try schedule.exportKeyingMaterial(
            exporterSecret: SecretBytes(t.bytes("exporter_master_secret")), label: "EXPORTER-Test", context: [1, 2], length: 42)
        #expect(try client.exportKeyingMaterial(label: "EXPORTER-Test", context: [1, 2], length: 42) == expected)
    }

    // MARK: - Section 4: resumed 0-RTT handshake, from section 3's ticket

    /// When section 3's client receives its ticket (ms since 1970); section 4's client runs 6 ms later: the
    /// trace's obfuscated_ticket_age 0xfad6aacb minus section 3's ticket_age_add 0xfad6aac5.
    static let ticketReceivedAt: Int64 = 1_700_000_000_000
    static let resumedAt: Int64 = ticketReceivedAt + 6

    @Test func resumedZeroRTTHandshakeOfSection4() throws {
        let session = try RFC8448Trace.section3Session(receivedAtMilliseconds: Self.ticketReceivedAt)
        let s3 = try RFC8448Trace.load("section3_simple_1rtt")
        #expect(session.psk.testBytes == (try s3.bytes("resumption_psk")))
        // The 30 s lifetime: valid 6 ms later, expired at 30 s.
        #expect(session.isValid(atMilliseconds: Self.resumedAt))
        #expect(!session.isValid(atMilliseconds: Self.ticketReceivedAt + 30_000))

        let t = try RFC8448Trace.load("section4_resumed_0rtt")
        let earlyData = try [UInt8](hex: t.records[1].payload)
        #expect(earlyData == Array("ABCDEF".utf8))
        // The trace's ClientHello, but with the client's own pre_shared_key (ticket, age, binder).
        let client = try t.makeClient(
            session: session, earlyData: earlyData, clockMilliseconds: Self.resumedAt, ownPSKOffer: true)
        let traceOffer = try #require(try t.firstClientHello().offeredPSKs)
        #expect(traceOffer.identities == [OfferedPSKs.Identity(
            identity: session.ticket, obfuscatedTicketAge: session.obfuscatedAge(atMilliseconds: Self.resumedAt))])
        #expect(traceOffer.binders == [try t.bytes("psk_binder")])

        // First flight: ClientHello (binder computed by the client), then "ABCDEF" under client_early_key.
        #expect(try client.startHandshake() == record(t, 0) + record(t, 1))
        #expect(client.earlyDataSent == earlyData)

        #expect(try client.receive(record(t, 2)[...]).isEmpty)  // ServerHello, PSK accepted
        #expect(client.info.resumed)
        #expect(try client.receive(record(t, 3)[...]) == [.handshakeComplete])  // EncryptedExtensions, Finished
        #expect(client.info.earlyData == .accepted)
        #expect(client.phase == .connected)
        // EndOfEarlyData under the early key, then Finished under the client handshake key.
        #expect(try client.takePendingOutput() == record(t, 4) + record(t, 5))
        #expect(client.resumptionMasterSecret?.testBytes == (try t.bytes("resumption_master_secret")))
        #expect(client.info.cipherSuite == .aes128GCMSHA256)
        #expect(client.info.group == .x25519)

        // Application data both ways, then close_notify both ways.
        let clientData = try [UInt8](hex: t.records[6].payload)
        #expect(try client.sealApplicationData(clientData[...]) == record(t, 6))
        let serverData = try [UInt8](hex: t.records[7].payload)
        #expect(try client.receive(record(t, 7)[...]) == [.applicationData(serverData)])
        #expect(try client.closeNotify() == record(t, 8))
        #expect(try client.receive(record(t, 9)[...]) == [.peerClosed])
    }

    @Test func section4BinderIsComputedOverTheFinalHello() throws {
        // The trace's whole ClientHello with its binder zeroed: the client must put the right one back.
        let session = try RFC8448Trace.section3Session(receivedAtMilliseconds: Self.ticketReceivedAt)
        let t = try RFC8448Trace.load("section4_resumed_0rtt")
        let traceHello = try t.firstClientHello()
        let client = try t.makeClient(
            session: session, earlyData: Array("ABCDEF".utf8), clockMilliseconds: Self.resumedAt,
            clientHello: { hello, _ in hello = traceHello.settingBinders([[UInt8](repeating: 0, count: 32)]) })
        let out = try client.startHandshake()
        #expect(out == (try record(t, 0) + record(t, 1)))
        #expect(Array(out[5..<(5 + 512)]) == (try t.bytes("client_hello")))
    }

    @Test func section4TicketAgeFollowsTheClock() throws {
        // 7 ms instead of 6: the client's own offer carries another age, so hello and binder differ.
        let session = try RFC8448Trace.section3Session(receivedAtMilliseconds: Self.ticketReceivedAt)
        let t = try RFC8448Trace.load("section4_resumed_0rtt")
        let client = try t.makeClient(
            session: session, earlyData: Array("ABCDEF".utf8), clockMilliseconds: Self.resumedAt + 1, ownPSKOffer: true)
        let out = try client.startHandshake()
        let hello = Array(out[5..<(5 + 512)])
        let expected = try t.bytes("client_hello")
        #expect(hello != expected)
        guard case .clientHello(let sent) = try HandshakeMessage.decode(hello) else {
            Issue.record("not a ClientHello")
            return
        }
        #expect(sent.offeredPSKs?.identities.first?.obfuscatedTicketAge == 0xfad6_aacc)
        // Only the age and the binder differ: the truncated hello up to the age, and what follows the binder.
        #expect(hello.count == expected.count)
        #expect(zip(hello, expected).filter { $0 != $1 }.count <= 1 + 32)
    }

    @Test func section4SessionExpiredAfterThirtySeconds() throws {
        // At 30 s the ticket has expired: the client offers neither it nor early data.
        let session = try RFC8448Trace.section3Session(receivedAtMilliseconds: Self.ticketReceivedAt)
        let t = try RFC8448Trace.load("section4_resumed_0rtt")
        final class Box: @unchecked Sendable { var offered: OfferedPSKs?? = nil }
        let box = Box()
        let traceHello = try t.firstClientHello()
        let client = try t.makeClient(
            session: session, earlyData: Array("ABCDEF".utf8), clockMilliseconds: Self.ticketReceivedAt + 30_000,
            clientHello: { hello, _ in
                box.offered = .some(hello.offeredPSKs)
                hello = traceHello
                hello.extensions.removeAll { $0.extensionType == .preSharedKey || $0.extensionType == .earlyData }
            })
        let out = try client.startHandshake()
        #expect(box.offered == .some(nil))
        #expect(out.first == ContentType.handshake.rawValue)
        #expect(out.count == 5 + Int(out[3]) << 8 + Int(out[4]))  // the ClientHello alone, no 0-RTT record
    }

    // MARK: - Section 6: client authentication

    /// The trace's client certificate with a stand-in key. RFC 8448 does not publish the key of section 6's
    /// client certificate (CN=client, RSA-1024): it is not section 2's key. Section 2's RSA-1024 key signs
    /// instead, so the CertificateVerify has the trace's length (128-byte signature) but not its content.
    ///
    /// With `recordedSignature`, the client's signer gives that CertificateVerify signature for its scheme.
    func section6Client(_ t: RFC8448Trace, recordedSignature: CertificateVerify? = nil) throws -> ClientStateMachine {
        let certificate = try clientCertificateDER(t)
        var config = TLSClientConfiguration()
        config.supportedGroups = [.x25519, .secp256r1]
        config.keyShareGroups = [.x25519]
        let key = try PrivateKey(pem: RFC8448RSAKey.pem())
        if let recordedSignature {
            config.clientCertificate = TLSClientCertificate(chain: [certificate], signer: RecordedSignatureSigner(
                key: key, scheme: recordedSignature.algorithm, signature: recordedSignature.signature))
        } else {
            config.clientCertificate = TLSClientCertificate(chain: [certificate], privateKey: key)
        }
        return try t.makeClient(configuration: config)
    }

    func clientCertificateDER(_ t: RFC8448Trace) throws -> [UInt8] {
        guard case .certificate(let message) = try HandshakeMessage.decode(t.bytes("client_certificate")),
            let leaf = message.certificates.first, message.certificates.count == 1
        else { throw VectorError(description: "client_certificate is not a one-certificate Certificate message") }
        return leaf
    }

    /// The handshake messages of section 6 from ClientHello through the server Finished.
    func section6ServerTranscript(_ t: RFC8448Trace) throws -> [UInt8] {
        try [
            "client_hello", "server_hello", "encrypted_extensions", "certificate_request", "server_certificate",
            "server_certificate_verify", "server_finished",
        ].flatMap { try t.bytes($0) }
    }

    /// Decrypts a client record under the trace's `client_handshake_key` (sequence 0).
    func openClientHandshakeRecord(_ t: RFC8448Trace, _ record: [UInt8]) throws -> [UInt8] {
        let keys = TrafficKeys(
            key: SecretBytes(try t.bytes("client_handshake_key")), iv: SecretBytes(try t.bytes("client_handshake_iv")))
        let opener = try RecordProtection(keys: keys, algorithm: .aes128GCM, sealing: false)
        var buffer = record
        let (type, range) = try opener.open(buffer: &buffer, range: 5..<buffer.count)
        #expect(type == .handshake)
        return Array(buffer[range])
    }

    /// Splits a byte string into handshake messages (each with its 4-byte header).
    func splitHandshakeMessages(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var messages: [[UInt8]] = []
        var rest = bytes[...]
        while !rest.isEmpty {
            guard rest.count >= 4 else { throw VectorError(description: "truncated handshake header") }
            let i = rest.startIndex
            let length = Int(rest[i + 1]) << 16 | Int(rest[i + 2]) << 8 | Int(rest[i + 3])
            guard rest.count >= 4 + length else { throw VectorError(description: "truncated handshake message") }
            messages.append(Array(rest.prefix(4 + length)))
            rest = rest.dropFirst(4 + length)
        }
        return messages
    }

    @Test func clientAuthenticationOfSection6() throws {
        let t = try RFC8448Trace.load("section6_client_authentication")
        let client = try section6Client(t)
        #expect(try client.startHandshake() == record(t, 0))
        #expect(try client.receive(record(t, 1)[...]).isEmpty)
        // EncryptedExtensions, CertificateRequest, Certificate (ECDSA P-256), CertificateVerify, Finished.
        #expect(try client.receive(record(t, 2)[...]) == [.handshakeComplete])
        #expect(client.info.signatureScheme == .ecdsaSecp256r1SHA256)
        #expect(client.info.clientCertificateSent)

        // The client's flight: one record, of the trace's length, holding Certificate, CertificateVerify, Finished.
        let flight = try client.takePendingOutput()
        let traceFlight = try record(t, 3)
        #expect(flight.count == traceFlight.count)
        #expect(Array(flight.prefix(5)) == Array(traceFlight.prefix(5)))
        let messages = try splitHandshakeMessages(try openClientHandshakeRecord(t, flight))
        try #require(messages.count == 3)
        // Certificate: the trace's, byte for byte.
        #expect(messages[0] == (try t.bytes("client_certificate")))

        // CertificateVerify: rsa_pss_rsae_sha256 over CH…server Finished ‖ client Certificate.
        let schedule = try KeySchedule(hash: .sha256)
        let transcript = try TranscriptHash(.sha256)
        transcript.update(try section6ServerTranscript(t))
        transcript.update(messages[0])
        let content = CertificateVerify.signedContent(signer: .client, transcriptHash: try transcript.current())
        guard case .certificateVerify(let ours) = try HandshakeMessage.decode(messages[1]),
            case .certificateVerify(let traces) = try HandshakeMessage.decode(t.bytes("client_certificate_verify"))
        else {
            Issue.record("not CertificateVerify messages")
            return
        }
        #expect(ours.algorithm == .rsaPSSRSAESHA256)
        #expect(traces.algorithm == .rsaPSSRSAESHA256)
        #expect(ours.signature.count == traces.signature.count)
        // Ours verifies under the stand-in key; the trace's under the trace's client certificate.
        let standIn = try PrivateKey(pem: RFC8448RSAKey.pem()).publicKey()
        #expect(try standIn.verify(scheme: ours.algorithm, message: content, signature: ours.signature))
        let certificate = try clientCertificateDER(t)
        #expect(try OpenSSLSignatureVerifier().verify(
            scheme: traces.algorithm, certificate: certificate, message: content, signature: traces.signature))
        #expect(!(try OpenSSLSignatureVerifier().verify(
            scheme: ours.algorithm, certificate: certificate, message: content, signature: ours.signature)))

        // Finished: HMAC(client finished_key, transcript through our CertificateVerify).
        let chts = SecretBytes(try t.bytes("client_handshake_traffic_secret"))
        let ourTranscript = try transcript.copy()
        ourTranscript.update(messages[1])
        let ourFinished = try HandshakeMessage.finished(Finished(
            verifyData: try schedule.verifyData(secret: chts, transcriptHash: try ourTranscript.current()))).encoded
        #expect(messages[2] == ourFinished)

        // Given the trace's CertificateVerify, the same computation gives the trace's Finished and record.
        let traceTranscript = try transcript.copy()
        traceTranscript.update(try t.bytes("client_certificate_verify"))
        let traceFinished = try schedule.verifyData(secret: chts, transcriptHash: try traceTranscript.current())
        #expect(traceFinished == (try t.bytes("client_finished_verify_data")))
        let keys = TrafficKeys(
            key: SecretBytes(try t.bytes("client_handshake_key")), iv: SecretBytes(try t.bytes("client_handshake_iv")))
        var resealed: [UInt8] = []
        let sealer = try RecordProtection(keys: keys, algorithm: .aes128GCM, sealing: true)
        let traceMessages = messages[0] + (try t.bytes("client_certificate_verify"))
            + (try HandshakeMessage.finished(Finished(verifyData: traceFinished)).encoded)
        try sealer.seal(contentType: .handshake, payload: traceMessages[...], into: &resealed)
        #expect(resealed == traceFlight)

        // resumption_master_secret follows our transcript (through our Finished).
        ourTranscript.update(ourFinished)
        let master = try schedule.earlySecret()
            .handshakeSecret(sharedSecret: SecretBytes(try t.bytes("ecdhe_shared_secret"))).masterSecret()
        #expect(master.secret.testBytes == (try t.bytes("master_secret")))
        #expect(client.resumptionMasterSecret?.testBytes
            == (try master.resumptionMasterSecret(transcriptHash: try ourTranscript.current())).testBytes)

        // Application keys do not depend on the client's flight: close_notify matches the trace both ways.
        #expect(try client.closeNotify() == record(t, 4))
        #expect(try client.receive(record(t, 5)[...]) == [.peerClosed])
    }

    @Test func clientFlightOfSection6ByteForByte() throws {
        // With the trace's CertificateVerify signature supplied (RSA-PSS is randomized and the trace's client
        // key is not published), the client's whole flight is the trace's, byte for byte.
        let t = try RFC8448Trace.load("section6_client_authentication")
        guard case .certificateVerify(let traceCV) = try HandshakeMessage.decode(t.bytes("client_certificate_verify")) else {
            Issue.record("not a CertificateVerify")
            return
        }
        let client = try section6Client(t, recordedSignature: traceCV)
        _ = try client.startHandshake()
        _ = try client.receive((try record(t, 1) + record(t, 2))[...])
        let flight = try client.takePendingOutput()
        let messages = try splitHandshakeMessages(try openClientHandshakeRecord(t, flight))
        try #require(messages.count == 3)
        #expect(messages[0] == (try t.bytes("client_certificate")))
        #expect(messages[1] == (try t.bytes("client_certificate_verify")))
        #expect(messages[2] == (try t.bytes("client_finished")))
        #expect(flight == (try record(t, 3)))
        #expect(client.resumptionMasterSecret?.testBytes == (try t.bytes("resumption_master_secret")))
        #expect(client.info.clientCertificateRequested && client.info.clientCertificateSent)
    }
}
