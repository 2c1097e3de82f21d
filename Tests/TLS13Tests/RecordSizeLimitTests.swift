import Testing
@testable import TLS13

/// record_size_limit (RFC 8449) both ways against the scripted server, which answers with its own limit when
/// configured, cuts its records to the client's, and fails on a client record over its own.
@Suite struct RecordSizeLimitTests {
    static func payload(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) } }

    @Test func offeredByDefaultAndConfigurable() throws {
        let server = ScriptedServer()
        expectSuccess(runHandshake(client: try makeTestClient(), server: server), server: server)
        #expect(server.clientHellos.first?.extension(.recordSizeLimit) == .recordSizeLimit(16385))
        let custom = ScriptedServer()
        expectSuccess(runHandshake(client: try makeTestClient { $0.recordSizeLimit = 1024 }, server: custom), server: custom)
        #expect(custom.clientHellos.first?.extension(.recordSizeLimit) == .recordSizeLimit(1024))
        let none = ScriptedServer()
        expectSuccess(runHandshake(client: try makeTestClient { $0.recordSizeLimit = nil }, server: none), server: none)
        #expect(none.clientHellos.first?.extension(.recordSizeLimit) == nil)
    }

    /// The server asks for 256: the client's records (its Finished included) carry at most 255 bytes of content
    /// plus the content type byte.
    @Test(arguments: [64, 256, 1000])
    func clientHonorsTheServersLimit(_ limit: Int) throws {
        let server = ScriptedServer()
        server.configuration.recordSizeLimit = limit
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.peerRecordSizeLimit == limit)
        let data = Self.payload(5000)
        try server.receive(try client.sealApplicationData(data[...]))
        #expect(server.receivedApplicationData.flatMap { $0 } == data)
        #expect(server.receivedApplicationData.count == (5000 + limit - 2) / (limit - 1))
        #expect(server.largestReceivedInnerPlaintext == limit)
    }

    @Test func serverHonorsTheClientsLimit() throws {
        let server = ScriptedServer()
        server.configuration.recordSizeLimit = 16385
        let client = try makeTestClient { $0.recordSizeLimit = 512 }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        let data = Self.payload(3000)
        try server.sendApplicationData(data)
        let outcome = exchange(client: client, server: server)
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        #expect(outcome.applicationData == data)
        #expect(server.largestSentInnerPlaintext == 512)
    }

    /// Both sides sent the extension: a server record over the client's limit is `record_overflow`.
    @Test func aServerRecordOverTheClientsLimitIsRecordOverflow() throws {
        let server = ScriptedServer()
        server.configuration.recordSizeLimit = 16385
        let client = try makeTestClient { $0.recordSizeLimit = 512 }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        server.configuration.honorClientRecordSizeLimit = false
        try server.sendApplicationData(Self.payload(511))  // 512 with the content type: allowed
        #expect(exchange(client: client, server: server).applicationData.count == 511)
        try server.sendApplicationData(Self.payload(512))
        let outcome = exchange(client: client, server: server)
        #expect(outcome.error?.alert == .recordOverflow, "\(String(describing: outcome.error))")
        #expect(outcome.alertOnWire?.alert.description == .recordOverflow)
    }

    /// A limit that was not negotiated (the server sent none) binds nobody (RFC 8449 §4).
    @Test func anUnansweredLimitIsNotEnforced() throws {
        let server = ScriptedServer()
        let client = try makeTestClient { $0.recordSizeLimit = 512 }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.peerRecordSizeLimit == nil)
        let data = Self.payload(4000)
        try server.sendApplicationData(data)
        #expect(exchange(client: client, server: server).applicationData == data)
        #expect(server.largestSentInnerPlaintext == 4001)
    }

    @Test(arguments: [0, 1, 63])
    func aServerLimitUnder64IsIllegalParameter(_ limit: Int) throws {
        let server = ScriptedServer()
        server.mutateEncryptedExtensions = { $0.extensions.append(.recordSizeLimit(UInt16(limit))) }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .illegalParameter, encrypted: true)
    }

    /// A limit above TLS 1.3's 2^14 + 1 does not allow larger records.
    @Test func aServerLimitAboveTheMaximumAllowsNoMore() throws {
        let server = ScriptedServer()
        server.configuration.recordSizeLimit = 40000
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.peerRecordSizeLimit == 40000)
        try server.receive(try client.sealApplicationData(Self.payload(20000)[...]))
        #expect(server.largestReceivedInnerPlaintext == 16385)
    }

    @Test func recordLayerCapsAndEnforces() throws {
        var layer = RecordLayer()
        layer.applyPeerRecordSizeLimit(100)
        #expect(layer.maxOutboundPlaintext == 99)
        layer.outboundPadding = 10
        layer.applyPeerRecordSizeLimit(100)
        #expect(layer.maxOutboundPlaintext == 89)
        layer.applyPeerRecordSizeLimit(1 << 20)
        #expect(layer.maxOutboundPlaintext == 1 << 14)

        // Inbound: exactly the limit passes, one more byte is record_overflow (before decrypting).
        for (inner, fails) in [(300, false), (301, true)] {
            let (seal, open) = try makeProtectionPair()
            var out: [UInt8] = []
            try seal.seal(contentType: .applicationData, payload: Self.payload(inner - 1)[...], into: &out)
            var reader = RecordLayer()
            reader.readProtection = open
            reader.maxInboundInnerPlaintext = 300
            reader.receive(out)
            if fails {
                expectTLSError(alert: .recordOverflow) { _ = try reader.nextRecord() }
            } else {
                #expect(try reader.nextRecord()?.payload.count == inner - 1)
            }
        }
    }
}
