import Testing
@testable import TLS13

/// A sealing/opening pair over the same fresh key, for building test records.
func makeProtectionPair(_ algorithm: AEADAlgorithm = .aes128GCM) throws -> (seal: RecordProtection, open: RecordProtection) {
    let key = SecretBytes([UInt8](repeating: 0x42, count: algorithm.keyLength))
    let iv = SecretBytes([UInt8](repeating: 0x24, count: 12))
    let keys = TrafficKeys(key: key, iv: iv)
    return (try RecordProtection(keys: keys, algorithm: algorithm, sealing: true),
            try RecordProtection(keys: keys, algorithm: algorithm, sealing: false))
}

@Suite struct RFC8448RecordTests {
    @Test(arguments: KeyScheduleTests.traces)
    func everyRecordDecryptsAndReencryptsByteForByte(_ name: String) throws {
        let t = try RFC8448Trace.load(name)
        var sealers: [String: RecordProtection] = [:]
        var openers: [String: RecordProtection] = [:]
        var encrypted = 0
        for (index, r) in t.records.enumerated() {
            let record = try [UInt8](hex: r.record)
            let payload = try [UInt8](hex: r.payload)
            guard r.encrypted, let keyName = r.key, let ivName = r.iv, let seq = r.seq else {
                // Plaintext record: header ‖ payload.
                #expect(Array(record.dropFirst(5)) == payload, "record \(index)")
                continue
            }
            let keys = TrafficKeys(key: SecretBytes(try t.bytes(keyName)), iv: SecretBytes(try t.bytes(ivName)))
            if sealers[keyName] == nil {
                sealers[keyName] = try RecordProtection(keys: keys, algorithm: .aes128GCM, sealing: true)
                openers[keyName] = try RecordProtection(keys: keys, algorithm: .aes128GCM, sealing: false)
            }
            let opener = try #require(openers[keyName])
            let sealer = try #require(sealers[keyName])
            #expect(opener.sequenceNumber == seq, "record \(index) sequence")

            // Decrypt in place.
            var buffer = record
            let (type, content) = try opener.open(buffer: &buffer, range: 5..<buffer.count)
            #expect(Int(type.rawValue) == r.inner_content_type, "record \(index) inner type")
            #expect(Array(buffer[content]) == payload, "record \(index) plaintext")

            // Re-encrypt: AEAD is deterministic given key, nonce and AAD.
            var out: [UInt8] = []
            try sealer.seal(contentType: type, payload: payload[...], into: &out)
            #expect(out == record, "record \(index) re-encryption")
            encrypted += 1
        }
        #expect(encrypted >= 3)
    }

    @Test func serverFlightOfSection3ThroughTheRecordLayer() throws {
        let t = try RFC8448Trace.load("section3_simple_1rtt")
        var layer = RecordLayer()
        var reassembler = HandshakeReassembler()
        layer.allowsChangeCipherSpec = true
        layer.receive(try [UInt8](hex: t.records[1].record))  // ServerHello, in the clear
        let sh = try #require(try layer.nextRecord())
        #expect(sh.contentType == .handshake && !sh.wasEncrypted)
        try reassembler.append(sh.payload)
        let shMessage = try #require(try reassembler.next())
        #expect(shMessage.bytes == (try t.bytes("server_hello")))
        try reassembler.requireMessageBoundary("ServerHello")

        let keys = TrafficKeys(key: SecretBytes(try t.bytes("server_handshake_key")), iv: SecretBytes(try t.bytes("server_handshake_iv")))
        layer.readProtection = try RecordProtection(keys: keys, algorithm: .aes128GCM, sealing: false)
        // Feed the encrypted flight one byte at a time: the record layer must wait for the whole record.
        let flight = try [UInt8](hex: t.records[2].record)
        var record: InboundRecord?
        for b in flight {
            #expect(record == nil)
            layer.receive([b])
            record = try layer.nextRecord()
        }
        let r = try #require(record)
        #expect(r.contentType == .handshake && r.wasEncrypted)
        try reassembler.append(r.payload)
        var messages: [[UInt8]] = []
        while let m = try reassembler.next() { messages.append(m.bytes) }
        #expect(messages == [
            try t.bytes("encrypted_extensions"), try t.bytes("server_certificate"),
            try t.bytes("server_certificate_verify"), try t.bytes("server_finished"),
        ])
    }

    @Test func compatibilityModeRecordsOfSection7() throws {
        // Section 7 interleaves change_cipher_spec records; they are dropped only while allowed.
        let t = try RFC8448Trace.load("section7_compatibility_mode")
        let ccs = t.records.filter { !$0.encrypted && $0.inner_content_type == 20 }
        #expect(!ccs.isEmpty)
        for r in ccs {
            var allowed = RecordLayer()
            allowed.allowsChangeCipherSpec = true
            allowed.receive(try [UInt8](hex: r.record))
            #expect(try allowed.nextRecord() == nil)
            #expect(allowed.bufferedByteCount == 0)
            var refused = RecordLayer()
            refused.receive(try [UInt8](hex: r.record))
            #expect(throws: TLSError.unexpected("unexpected change_cipher_spec record")) { try refused.nextRecord() }
        }
    }
}

@Suite struct RecordLayerLimitTests {
    func alert(_ body: () throws -> Void) -> AlertDescription? {
        do { try body() } catch let e as TLSError { return e.alert } catch { return nil }
        return nil
    }

    @Test func plaintextRecordOverflow() {
        var layer = RecordLayer()
        layer.receive([22, 3, 3, 0x40, 0x01])  // 2^14 + 1
        #expect(alert { _ = try layer.nextRecord() } == .recordOverflow)
        var ok = RecordLayer()
        ok.receive([22, 3, 3, 0x40, 0x00] + [UInt8](repeating: 1, count: 1 << 14))
        #expect(alert { _ = try ok.nextRecord() } == nil)
    }

    @Test func ciphertextRecordOverflow() throws {
        var layer = RecordLayer()
        layer.readProtection = try makeProtectionPair().open
        layer.receive([23, 3, 3, 0x41, 0x01])  // 2^14 + 257
        #expect(alert { _ = try layer.nextRecord() } == .recordOverflow)
    }

    @Test func decryptedContentOverflow() throws {
        let (seal, open) = try makeProtectionPair()
        var out: [UInt8] = []
        try seal.seal(contentType: .applicationData, payload: [UInt8](repeating: 9, count: (1 << 14) + 1)[...], into: &out)
        var layer = RecordLayer()
        layer.readProtection = open
        layer.receive(out)
        #expect(alert { _ = try layer.nextRecord() } == .recordOverflow)
    }

    @Test func paddingIsStrippedAndAllZeroIsRejected() throws {
        let (seal, open) = try makeProtectionPair()
        var out: [UInt8] = []
        try seal.seal(contentType: .applicationData, payload: [1, 2, 3][...], padding: 100, into: &out)
        try seal.seal(contentType: .applicationData, payload: [][...], padding: 0, into: &out)
        var layer = RecordLayer()
        layer.readProtection = open
        layer.receive(out)
        #expect(try layer.nextRecord() == InboundRecord(contentType: .applicationData, payload: [1, 2, 3], wasEncrypted: true))
        #expect(try layer.nextRecord() == InboundRecord(contentType: .applicationData, payload: [], wasEncrypted: true))

        // All-zero TLSInnerPlaintext: seal "type 0" with padding so the plaintext is all zeros.
        let (seal2, open2) = try makeProtectionPair()
        var zeros: [UInt8] = []
        try seal2.seal(contentType: .invalid, payload: [][...], padding: 5, into: &zeros)
        var layer2 = RecordLayer()
        layer2.readProtection = open2
        layer2.receive(zeros)
        #expect(alert { _ = try layer2.nextRecord() } == .unexpectedMessage)
    }

    @Test func tamperedRecordIsBadRecordMAC() throws {
        for position in [0, 3, 5, 10, 20] {
            let (seal, open) = try makeProtectionPair()
            var out: [UInt8] = []
            try seal.seal(contentType: .applicationData, payload: [UInt8](repeating: 5, count: 16)[...], into: &out)
            out[5 + position] ^= 0x01
            var layer = RecordLayer()
            layer.readProtection = open
            layer.receive(out)
            #expect(alert { _ = try layer.nextRecord() } == .badRecordMAC, "flip at \(position)")
        }
        // A record shorter than the tag.
        var layer = RecordLayer()
        layer.readProtection = try makeProtectionPair().open
        layer.receive([23, 3, 3, 0, 4, 1, 2, 3, 4])
        #expect(alert { _ = try layer.nextRecord() } == .badRecordMAC)
    }

    @Test func contentTypeRules() throws {
        // Unknown outer type.
        var a = RecordLayer()
        a.receive([99, 3, 3, 0, 1, 0])
        #expect(alert { _ = try a.nextRecord() } == .unexpectedMessage)
        // Application data before keys.
        var b = RecordLayer()
        b.receive([23, 3, 3, 0, 1, 0])
        #expect(alert { _ = try b.nextRecord() } == .unexpectedMessage)
        // Plaintext handshake after keys.
        var c = RecordLayer()
        c.readProtection = try makeProtectionPair().open
        c.receive([22, 3, 3, 0, 1, 0])
        #expect(alert { _ = try c.nextRecord() } == .unexpectedMessage)
        // Zero-length handshake record.
        var d = RecordLayer()
        d.receive([22, 3, 3, 0, 0])
        #expect(alert { _ = try d.nextRecord() } == .unexpectedMessage)
        // Alert of the wrong size.
        var e = RecordLayer()
        e.receive([21, 3, 3, 0, 3, 2, 40, 0])
        #expect(alert { _ = try e.nextRecord() } == .decodeError)
        // A CCS that is not exactly 0x01, even while CCS is allowed.
        var f = RecordLayer()
        f.allowsChangeCipherSpec = true
        f.receive([20, 3, 3, 0, 1, 2])
        #expect(alert { _ = try f.nextRecord() } == .unexpectedMessage)
        // An encrypted CCS.
        let (seal, open) = try makeProtectionPair()
        var out: [UInt8] = []
        try seal.seal(contentType: .changeCipherSpec, payload: [1][...], into: &out)
        var g = RecordLayer()
        g.allowsChangeCipherSpec = true
        g.readProtection = open
        g.receive(out)
        #expect(alert { _ = try g.nextRecord() } == .unexpectedMessage)
        // Not TLS at all.
        var h = RecordLayer()
        h.receive(Array("HTTP/1.1 400".utf8))
        #expect(alert { _ = try h.nextRecord() } == .decodeError)
    }

    @Test func writeFragmentsAndRoundTrips() throws {
        let (seal, open) = try makeProtectionPair(.chacha20Poly1305)
        var writer = RecordLayer()
        writer.writeProtection = seal
        let payload = (0..<40_000).map { UInt8(truncatingIfNeeded: $0) }
        var out: [UInt8] = []
        try writer.write(.applicationData, payload: payload[...], into: &out)
        var reader = RecordLayer()
        reader.readProtection = open
        reader.receive(out)
        var got: [UInt8] = []
        var count = 0
        while let r = try reader.nextRecord() {
            #expect(r.payload.count <= RecordLayer.maxPlaintext)
            got += r.payload
            count += 1
        }
        #expect(count == 3)
        #expect(got == payload)
        #expect(seal.sequenceNumber == 3 && open.sequenceNumber == 3)
    }

    @Test(arguments: [AEADAlgorithm.aes128GCM, .aes256GCM, .chacha20Poly1305, .aes128CCM, .aes128CCM8])
    func everyAEADRoundTripsAndRejectsTampering(_ algorithm: AEADAlgorithm) throws {
        let (seal, open) = try makeProtectionPair(algorithm)
        for size in [0, 1, 15, 16, 17, 1000] {
            var out: [UInt8] = []
            let payload = [UInt8](repeating: UInt8(size & 0xff), count: size)
            try seal.seal(contentType: .applicationData, payload: payload[...], into: &out)
            #expect(out.count == 5 + size + 1 + algorithm.tagLength)
            var copy = out
            let (type, range) = try open.open(buffer: &copy, range: 5..<copy.count)
            #expect(type == .applicationData && Array(copy[range]) == payload)
        }
        var out: [UInt8] = []
        try seal.seal(contentType: .applicationData, payload: [1, 2, 3][...], into: &out)
        out[out.count - 1] ^= 0x80
        #expect(throws: TLSError.protocolViolation(alert: .badRecordMAC, reason: "record authentication failed")) {
            _ = try open.open(buffer: &out, range: 5..<out.count)
        }
    }
}
