import Testing
@testable import TLS13

@Suite struct ByteReaderTests {
    @Test func readsIntegersBigEndian() throws {
        var r = ByteReader([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a])
        #expect(try r.readUInt8() == 0x01)
        #expect(try r.readUInt16() == 0x0203)
        #expect(try r.readUInt24() == 0x040506)
        #expect(try r.readUInt32() == 0x0708090a)
        #expect(r.isEmpty)
        try r.expectEmpty()
    }

    @Test func everyReadFailsWithDecodeErrorWhenShort() {
        for n in 0..<4 {
            let bytes = [UInt8](repeating: 0xff, count: n)
            var r = ByteReader(bytes)
            if n < 1 { #expect(throws: TLSError.self) { try r.readUInt8() } }
            r = ByteReader(bytes)
            if n < 2 { #expect(throws: TLSError.self) { try r.readUInt16() } }
            r = ByteReader(bytes)
            if n < 3 { #expect(throws: TLSError.self) { try r.readUInt24() } }
            r = ByteReader(bytes)
            #expect(throws: TLSError.self) { try r.readUInt32() }
        }
        var r = ByteReader([1, 2])
        do {
            _ = try r.readBytes(3)
            Issue.record("expected a throw")
        } catch {
            #expect(error.alert == .decodeError)
        }
    }

    @Test func vectorLengthBounds() throws {
        // <2..4> with a 1-byte length
        var ok = ByteReader([3, 9, 9, 9])
        #expect(try ok.readVector(lengthBytes: 1, range: 2...4) == [9, 9, 9])
        var tooShort = ByteReader([1, 9])
        #expect(throws: TLSError.self) { try tooShort.readVector(lengthBytes: 1, range: 2...4) }
        var tooLong = ByteReader([5, 1, 2, 3, 4, 5])
        #expect(throws: TLSError.self) { try tooLong.readVector(lengthBytes: 1, range: 2...4) }
        var overrun = ByteReader([0, 4, 1, 2, 3])
        #expect(throws: TLSError.self) { try overrun.readVector(lengthBytes: 2, range: 0...100) }
        var trailing = ByteReader([1, 7, 0])
        _ = try trailing.readVector(lengthBytes: 1, range: 0...1)
        #expect(throws: TLSError.self) { try trailing.expectEmpty() }
    }

    @Test func subReaderIsBounded() throws {
        var r = ByteReader([0, 2, 0xaa, 0xbb, 0xcc])
        var sub = try r.readVectorReader(lengthBytes: 2, range: 0...10)
        #expect(try sub.readUInt16() == 0xaabb)
        #expect(throws: TLSError.self) { try sub.readUInt8() }
        #expect(try r.readUInt8() == 0xcc)
    }
}

@Suite struct ByteWriterTests {
    @Test func backPatchesLengthPrefixes() throws {
        var w = ByteWriter()
        w.writeUInt8(1)
        try w.withLengthPrefix(3) { (w) throws(EncodingError) in
            w.writeUInt16(0x0203)
            try w.withLengthPrefix(1) { $0.writeBytes([9, 9]) }
        }
        w.writeUInt32(0xdeadbeef)
        #expect(w.bytes == [1, 0, 0, 5, 2, 3, 2, 9, 9, 0xde, 0xad, 0xbe, 0xef])
    }

    @Test func roundTripsThroughReader() throws {
        var w = ByteWriter()
        try w.writeVector(2, [UInt8](repeating: 7, count: 300))
        try w.writeUInt24(0x123456)
        var r = ByteReader(w.bytes)
        #expect(try r.readVector(lengthBytes: 2, range: 0...65535).count == 300)
        #expect(try r.readUInt24() == 0x123456)
        try r.expectEmpty()
    }
}

@Suite struct CodepointTests {
    @Test func alertNamesAndNumbers() {
        #expect(AlertDescription.certificateExpired.description == "certificate_expired, 45")
        #expect(AlertDescription.noApplicationProtocol.rawValue == 120)
        #expect(AlertDescription(rawValue: 200).name == "alert(200)")
        #expect(CipherSuite.aes128GCMSHA256.description == "TLS_AES_128_GCM_SHA256")
        #expect(CipherSuite(rawValue: 0xabcd).description == "cipher_suite(0xabcd)")
        #expect(NamedGroup.x25519.description == "x25519")
        #expect(SignatureScheme.rsaPSSRSAESHA256.description == "rsa_pss_rsae_sha256")
    }
}
