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
        let server = try OpenSSLServer(mode: ["-rev"])
        defer { server.stop() }
        var config = InteropOpenSSLTests.config()
        config.keyUpdateRecordLimit = 2
        let frozen = config
        let replies = try await runBlocking {
            let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: frozen)
            defer { conn.close() }
            var replies: [String] = []
            for i in 0..<6 {
                try conn.write(Array("line \(i)\n".utf8))
                var got: [UInt8] = []
                while !got.contains(UInt8(ascii: "\n")) {
                    let chunk = try conn.read()
                    if chunk.isEmpty { break }
                    got += chunk
                }
                replies.append(String(decoding: got, as: UTF8.self))
            }
            return (replies, conn.automaticKeyUpdateCount)
        }
        // OpenSSL decrypted every record under each new key and answered.
        #expect(replies.0 == (0..<6).map { "\($0) enil\n" })
        #expect(replies.1 >= 2)
    }
}
