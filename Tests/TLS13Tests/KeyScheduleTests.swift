import Testing
@testable import TLS13

/// RFC 8448 known answers for the key schedule: every secret, key, IV and verify_data of each trace,
/// computed from the trace's inputs (PSK, (EC)DHE shared secret, handshake messages) alone.
@Suite struct KeyScheduleTests {
    static let traces = [
        "section3_simple_1rtt", "section4_resumed_0rtt", "section5_hello_retry_request",
        "section6_client_authentication", "section7_compatibility_mode",
    ]

    @Test func hkdfLabelMatchesTraceSteps() throws {
        // Every "derive secret" step of the trace prints the full HkdfLabel as `info`.
        let data = try VectorPaths.load("rfc8448/section3_simple_1rtt.json")
        struct Steps: Decodable {
            struct Step: Decodable {
                struct Value: Decodable { var label: String; var hex: String }
                var action: String
                var values: [Value]
            }
            var steps: [Step]
        }
        let steps = try JSONDecoderShim.decode(Steps.self, from: data).steps
        var checked = 0
        for step in steps {
            guard let info = step.values.first(where: { $0.label == "info" }),
                let hash = step.values.first(where: { $0.label == "hash" }),
                let expanded = step.values.first(where: { $0.label == "expanded" }),
                let range = step.action.range(of: "\"tls13 ")
            else { continue }
            let label = String(step.action[range.upperBound...].prefix { $0 != "\"" })
            let context = try [UInt8](hex: hash.hex)
            let length = try [UInt8](hex: expanded.hex).count
            #expect(try HKDF.hkdfLabel(label: label, context: context, length: length).hexString == info.hex, "\(label)")
            checked += 1
        }
        #expect(checked >= 8)
    }

    @Test(arguments: traces)
    func reproducesEverySecret(_ name: String) throws {
        let t = try RFC8448Trace.load(name)
        let schedule = try KeySchedule(hash: .sha256)
        let aead = AEADAlgorithm.aes128GCM

        // Transcript: ClientHello1 is replaced by message_hash after a HelloRetryRequest (§4.4.1).
        let transcript = try TranscriptHash(.sha256)
        if t.values["client_hello_1"] != nil {
            let ch1Hash = try HashAlgorithm.sha256.hash(t.bytes("client_hello_1"))
            transcript.update([HandshakeType.messageHash.rawValue, 0, 0, UInt8(ch1Hash.count)] + ch1Hash)
            transcript.update(try t.bytes("hello_retry_request"))
            transcript.update(try t.bytes("client_hello_2"))
        } else {
            transcript.update(try t.bytes("client_hello"))
        }

        // Early secret (PSK in section 4).
        let early = try schedule.earlySecret(psk: t.values["psk"] != nil ? SecretBytes(try t.bytes("psk")) : nil)
        #expect(early.secret.testBytes == (try t.bytes("early_secret")))
        if t.values["transcript_hash_ch"] != nil {
            let thCH = try transcript.current()
            #expect(thCH == (try t.bytes("transcript_hash_ch")))
            #expect(try early.clientEarlyTrafficSecret(transcriptHash: thCH).testBytes == t.bytes("client_early_traffic_secret"))
            #expect(try early.earlyExporterMasterSecret(transcriptHash: thCH).testBytes == t.bytes("early_exporter_master_secret"))
            let keys = try schedule.trafficKeys(secret: early.clientEarlyTrafficSecret(transcriptHash: thCH), aead: aead)
            #expect(keys.key.testBytes == (try t.bytes("client_early_key")))
            #expect(keys.iv.testBytes == (try t.bytes("client_early_iv")))
        }

        transcript.update(try t.bytes("server_hello"))
        let thSH = try transcript.current()
        #expect(thSH == (try t.bytes("transcript_hash_ch_sh")))

        let hs = try early.handshakeSecret(sharedSecret: SecretBytes(t.bytes("ecdhe_shared_secret")))
        #expect(hs.secret.testBytes == (try t.bytes("handshake_secret")))
        let chts = try hs.clientTrafficSecret(transcriptHash: thSH)
        let shts = try hs.serverTrafficSecret(transcriptHash: thSH)
        #expect(chts.testBytes == (try t.bytes("client_handshake_traffic_secret")))
        #expect(shts.testBytes == (try t.bytes("server_handshake_traffic_secret")))
        let serverHS = try schedule.trafficKeys(secret: shts, aead: aead)
        let clientHS = try schedule.trafficKeys(secret: chts, aead: aead)
        #expect(serverHS.key.testBytes == (try t.bytes("server_handshake_key")))
        #expect(serverHS.iv.testBytes == (try t.bytes("server_handshake_iv")))
        #expect(clientHS.key.testBytes == (try t.bytes("client_handshake_key")))
        #expect(clientHS.iv.testBytes == (try t.bytes("client_handshake_iv")))

        for m in ["encrypted_extensions", "certificate_request", "server_certificate", "server_certificate_verify"]
        where t.values[m] != nil {
            transcript.update(try t.bytes(m))
        }
        // Server Finished: verify_data over the transcript before it.
        #expect(try schedule.finishedKey(secret: shts).testBytes == t.bytes("server_finished_key"))
        let serverVerify = try schedule.verifyData(secret: shts, transcriptHash: transcript.current())
        #expect(serverVerify == (try t.bytes("server_finished_verify_data")))
        #expect(try t.bytes("server_finished") == [20, 0, 0, 32] + serverVerify)
        transcript.update(try t.bytes("server_finished"))
        let thSF = try transcript.current()
        #expect(thSF == (try t.bytes("transcript_hash_ch_sf")))

        let master = try hs.masterSecret()
        #expect(master.secret.testBytes == (try t.bytes("master_secret")))
        let cats = try master.clientTrafficSecret(transcriptHash: thSF)
        let sats = try master.serverTrafficSecret(transcriptHash: thSF)
        #expect(cats.testBytes == (try t.bytes("client_application_traffic_secret_0")))
        #expect(sats.testBytes == (try t.bytes("server_application_traffic_secret_0")))
        #expect(try master.exporterMasterSecret(transcriptHash: thSF).testBytes == t.bytes("exporter_master_secret"))
        let serverAP = try schedule.trafficKeys(secret: sats, aead: aead)
        let clientAP = try schedule.trafficKeys(secret: cats, aead: aead)
        #expect(serverAP.key.testBytes == (try t.bytes("server_application_key")))
        #expect(serverAP.iv.testBytes == (try t.bytes("server_application_iv")))
        #expect(clientAP.key.testBytes == (try t.bytes("client_application_key")))
        #expect(clientAP.iv.testBytes == (try t.bytes("client_application_iv")))

        for m in ["end_of_early_data", "client_certificate", "client_certificate_verify"] where t.values[m] != nil {
            transcript.update(try t.bytes(m))
        }
        #expect(try schedule.finishedKey(secret: chts).testBytes == t.bytes("client_finished_key"))
        let clientVerify = try schedule.verifyData(secret: chts, transcriptHash: transcript.current())
        #expect(clientVerify == (try t.bytes("client_finished_verify_data")))
        transcript.update(try t.bytes("client_finished"))
        let thCF = try transcript.current()
        #expect(thCF == (try t.bytes("transcript_hash_ch_cf")))
        let rms = try master.resumptionMasterSecret(transcriptHash: thCF)
        #expect(rms.testBytes == (try t.bytes("resumption_master_secret")))

        if t.values["ticket_nonce"] != nil {
            let psk = try schedule.resumptionPSK(resumptionMasterSecret: rms, ticketNonce: t.bytes("ticket_nonce"))
            #expect(psk.testBytes == (try t.bytes("resumption_psk")))
        }
    }

    @Test func pskBinderOfSection4() throws {
        let t = try RFC8448Trace.load("section4_resumed_0rtt")
        let schedule = try KeySchedule(hash: .sha256)
        let early = try schedule.earlySecret(psk: SecretBytes(t.bytes("psk")))
        let binderKey = try early.binderKey(resumption: true)
        #expect(binderKey.testBytes == (try t.bytes("binder_key")))
        #expect(try schedule.finishedKey(secret: binderKey).testBytes == t.bytes("binder_finished_key"))
        let binderHash = try HashAlgorithm.sha256.hash(t.bytes("client_hello_truncated"))
        #expect(binderHash == (try t.bytes("binder_hash")))
        #expect(try schedule.verifyData(secret: binderKey, transcriptHash: binderHash) == t.bytes("psk_binder"))
    }

    @Test func sectionThreePSKFeedsSectionFour() throws {
        // The resumption PSK derived in section 3 is the PSK section 4 starts from.
        let s3 = try RFC8448Trace.load("section3_simple_1rtt")
        let s4 = try RFC8448Trace.load("section4_resumed_0rtt")
        #expect(try s3.bytes("resumption_psk") == s4.bytes("psk"))
    }

    @Test func keyUpdateAndExporterAreDeterministicAndDistinct() throws {
        let schedule = try KeySchedule(hash: .sha256)
        let secret = SecretBytes([UInt8](repeating: 7, count: 32))
        let next = try schedule.nextTrafficSecret(secret)
        #expect(next.count == 32)
        #expect(next.testBytes != secret.testBytes)
        #expect(try schedule.nextTrafficSecret(secret).testBytes == next.testBytes)
        let a = try schedule.exportKeyingMaterial(exporterSecret: secret, label: "EXPORTER-test", context: [], length: 40)
        let b = try schedule.exportKeyingMaterial(exporterSecret: secret, label: "EXPORTER-test", context: [1], length: 40)
        #expect(a.count == 40 && b.count == 40 && a != b)
    }

    @Test func sha384ScheduleHasSha384Lengths() throws {
        let schedule = try KeySchedule(hash: .sha384)
        let early = try schedule.earlySecret()
        #expect(early.secret.count == 48)
        let keys = try schedule.trafficKeys(secret: early.secret, aead: .aes256GCM)
        #expect(keys.key.count == 32 && keys.iv.count == 12)
    }
}
