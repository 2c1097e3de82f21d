import Testing

@testable import TLS13

@Suite struct HandshakeReassemblerTests {
    private func thrownAlert(_ body: () throws(TLSError) -> Void) -> AlertDescription? {
        do throws(TLSError) {
            try body()
        } catch {
            return error.alert
        }
        Issue.record("expected a TLSError")
        return nil
    }

    /// The server's encrypted flight of RFC 8448 §3 (EE, Certificate, CertificateVerify, Finished), fed one
    /// byte at a time, comes out as the four messages with their exact bytes.
    @Test func reassemblesByteByByte() throws {
        let trace = try RFC8448Trace.load("section3_simple_1rtt")
        let expected = try [
            "encrypted_extensions", "server_certificate", "server_certificate_verify", "server_finished",
        ]
        .map { try trace.bytes($0) }
        var r = HandshakeReassembler()
        var items: [HandshakeReassembler.Item] = []
        var fed = 0
        for byte in expected.joined() {
            try r.append([byte])
            fed += 1
            while let item = try r.next() { items.append(item) }
            let returned = items.reduce(0) { $0 + $1.bytes.count }
            #expect(r.bufferedByteCount == fed - returned)
            #expect(r.hasPartialMessage == (fed != returned))
        }
        #expect(items.map(\.bytes) == expected)
        #expect(items.map(\.message.name) == ["encrypted_extensions", "certificate", "certificate_verify", "finished"])
        #expect(!r.hasPartialMessage)
        #expect(r.bufferedByteCount == 0)
        try r.requireMessageBoundary("after server Finished")
    }

    @Test func manyMessagesInOneFragment() throws {
        let update = try HandshakeMessage.keyUpdate(KeyUpdate(requestUpdate: .updateNotRequested)).encoded
        let ticket = try HandshakeMessage.newSessionTicket(
            NewSessionTicket(
                ticketLifetime: 1, ticketAgeAdd: 2, ticketNonce: [3], ticket: [UInt8](repeating: 4, count: 3000))
        ).encoded
        var blob: [UInt8] = []
        for i in 0..<3000 { blob += i % 100 == 0 ? ticket : update }
        var r = HandshakeReassembler()
        try r.append(blob + Array(update.prefix(2)))
        var count = 0
        var tickets = 0
        while let item = try r.next() {
            count += 1
            if case .newSessionTicket = item.message { tickets += 1 }
        }
        #expect(count == 3000)
        #expect(tickets == 30)
        #expect(r.bufferedByteCount == 2)
        #expect(
            thrownAlert { () throws(TLSError) in try r.requireMessageBoundary("at KeyUpdate") } == .unexpectedMessage)
        try r.append(Array(update.dropFirst(2)))
        #expect(try r.next()?.bytes == update)
        #expect(try r.next() == nil)
    }

    @Test func rejectsOversizeMessagesFromTheHeader() throws {
        var small = HandshakeReassembler(maxMessageLength: 100)
        #expect(thrownAlert { () throws(TLSError) in try small.append([11, 0, 0, 101]) } == .illegalParameter)
        var exact = HandshakeReassembler(maxMessageLength: 100)
        try exact.append([20, 0, 0, 100])
        #expect(try exact.next() == nil)
        try exact.append([UInt8](repeating: 1, count: 100))
        #expect(try exact.next()?.message == .finished(Finished(verifyData: [UInt8](repeating: 1, count: 100))))

        var standard = HandshakeReassembler()
        #expect(standard.maxMessageLength == 1 << 16)
        #expect(thrownAlert { () throws(TLSError) in try standard.append([11, 0x01, 0x00, 0x01]) } == .illegalParameter)
        // The header may arrive split across records; the check happens once it is complete.
        var split = HandshakeReassembler()
        try split.append([11, 0xFF])
        #expect(try split.next() == nil)
        #expect(thrownAlert { () throws(TLSError) in try split.append([0xFF, 0xFF]) } == .illegalParameter)
    }

    @Test func rejectsEmptyFragmentsAndBadMessages() throws {
        var r = HandshakeReassembler()
        #expect(thrownAlert { () throws(TLSError) in try r.append([]) } == .unexpectedMessage)
        try r.append([99, 0, 0, 0])
        #expect(thrownAlert { () throws(TLSError) in _ = try r.next() } == .unexpectedMessage)
        var k = HandshakeReassembler()
        try k.append([24, 0, 0, 1, 7])
        #expect(thrownAlert { () throws(TLSError) in _ = try k.next() } == .illegalParameter)
    }
}
