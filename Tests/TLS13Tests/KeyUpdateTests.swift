import Foundation
import Testing
@testable import TLS13

/// KeyUpdate before the AEAD limit (RFC 8446 §5.5). The real limit (2^24.5 records for AES-GCM, about
/// 362 GiB of full records) is out of reach in a test, so the limit is injected.
@Suite struct KeyUpdateTests {
    @Test func automaticKeyUpdateAtTheInjectedLimit() throws {
        let server = ScriptedServer()
        let client = try makeTestClient { $0.keyUpdateRecordLimit = 3 }
        expectSuccess(runHandshake(client: client, server: server), server: server)

        // Ten one-record writes with at most 3 records per key, the KeyUpdate included: each key carries
        // 2 data records and then the KeyUpdate, so 10 records need 5 keys and 4 updates.
        for i in 0..<10 {
            try server.receive(try client.sealApplicationData(Array("record \(i)".utf8)[...]))
        }
        #expect(server.receivedApplicationData == (0..<10).map { Array("record \($0)".utf8) })
        #expect(server.receivedKeyUpdates.count == 4)
        #expect(server.receivedKeyUpdates.allSatisfy { $0.requestUpdate == .updateNotRequested })
        #expect(client.automaticKeyUpdates == 4)
    }

    @Test func oneLargeWriteUpdatesKeysBetweenItsRecords() throws {
        let server = ScriptedServer()
        let client = try makeTestClient { $0.keyUpdateRecordLimit = 2 }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        let data = (0..<(5 * 16_384)).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try server.receive(try client.sealApplicationData(data[...]))
        #expect(server.receivedApplicationData.flatMap { $0 } == data)
        #expect(server.receivedKeyUpdates.count >= 3)
    }

    @Test func defaultLimitsAreTheAEADConfidentialityLimits() {
        #expect(AEADAlgorithm.aes128GCM.confidentialityRecordLimit == 23_726_566)  // 2^24.5
        #expect(AEADAlgorithm.aes256GCM.confidentialityRecordLimit == 23_726_566)
        #expect(AEADAlgorithm.aes128CCM.confidentialityRecordLimit == 11_863_283)  // 2^23.5
        #expect(AEADAlgorithm.chacha20Poly1305.confidentialityRecordLimit > 1 << 62)
    }

    @Test func automaticKeyUpdateAgainstOpenSSL() async throws {
        // s_server's default mode with -msg: it prints the data it decrypts and logs every KeyUpdate it reads.
        // (Its -rev mode stalls about a second after each KeyUpdate.)
        let server = try OpenSSLServer(mode: ["-msg"])
        defer { server.stop() }
        var config = InteropOpenSSLTests.config()
        config.keyUpdateRecordLimit = 2
        let frozen = config
        let updates = try await runBlocking {
            let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: frozen)
            defer { conn.close() }
            for i in 0..<6 { try conn.write(Array("auto-line-\(i)\n".utf8)) }
            return conn.automaticKeyUpdateCount
        }
        // Six one-record writes, at most 2 records per key: 1 data record + the KeyUpdate per key.
        #expect(updates == 5)
        let seen = try await runBlocking {
            server.waitForOutput("auto-line-5") && server.waitForOutput("<<< TLS 1.3, Handshake [length 0005], KeyUpdate", count: 5)
        }
        #expect(seen, "s_server read every line under five successive keys: \(server.output.suffix(400))")
        #expect((0..<6).allSatisfy { server.output.contains("auto-line-\($0)") })
    }
}
