import Foundation
import Testing
@testable import TLS13

/// ``TLSClientConfiguration/keyLog``: NSS key log lines, checked against RFC 8448's published secrets.
@Suite struct KeyLogTests {
    final class Lines: @unchecked Sendable {
        // @unchecked Sendable: appended by the client on the test's own thread, read after.
        var all: [String] = []
    }

    @Test func section3SecretsAreLoggedInNSSFormat() throws {
        let t = try RFC8448Trace.load("section3_simple_1rtt")
        let lines = Lines()
        var config = TLSClientConfiguration()
        config.supportedGroups = [.x25519, .secp256r1]
        config.keyLog = { lines.all.append($0) }
        let client = try t.makeClient(configuration: config)
        _ = try client.startHandshake()
        _ = try client.receive(try [UInt8](hex: t.records[1].record)[...])
        _ = try client.receive(try [UInt8](hex: t.records[2].record)[...])
        #expect(client.phase == .connected)
        let random = try #require(t.values["client_random"])
        func line(_ label: String, _ value: String) throws -> String {
            "\(label) \(random) \(try #require(t.values[value]))".lowercased().replacingOccurrences(of: label.lowercased(), with: label)
        }
        #expect(lines.all == [
            try line("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "client_handshake_traffic_secret"),
            try line("SERVER_HANDSHAKE_TRAFFIC_SECRET", "server_handshake_traffic_secret"),
            try line("CLIENT_TRAFFIC_SECRET_0", "client_application_traffic_secret_0"),
            try line("SERVER_TRAFFIC_SECRET_0", "server_application_traffic_secret_0"),
            try line("EXPORTER_SECRET", "exporter_master_secret"),
        ])
    }

    @Test func theEarlyTrafficSecretIsLoggedFor0RTT() throws {
        let lines = Lines()
        let session = try EarlyDataReasonTests.session()
        let client = try EarlyDataReasonTests.client(session: session, earlyData: Array("ABCDEF".utf8)) {
            $0.keyLog = { lines.all.append($0) }
        }
        _ = try client.startHandshake()
        #expect(lines.all.count == 1)
        #expect(lines.all.first?.hasPrefix("CLIENT_EARLY_TRAFFIC_SECRET ") == true)
        #expect(lines.all.first?.split(separator: " ").map(\.count) == ["CLIENT_EARLY_TRAFFIC_SECRET".count, 64, 64])
    }

    @Test func nothingIsLoggedByDefault() throws {
        #expect(TLSClientConfiguration().keyLog == nil)
    }
}
