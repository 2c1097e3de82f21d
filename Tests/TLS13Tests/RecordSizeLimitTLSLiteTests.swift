import Foundation
import Testing
@testable import TLS13
@testable import TLS13CLI

/// record_size_limit (RFC 8449) in both directions against tlslite-ng, the second server that implements it
/// beside gnutls-serv (`ParameterInteropTests`); OpenSSL 3.0 does not.
@Suite(.serialized) struct RecordSizeLimitTLSLiteTests {
    /// Writes `count` bytes (a line) in one call and reads the echo back; returns what was negotiated.
    static func echo(port: UInt16, count: Int, _ edit: (inout TLSClientConfiguration) -> Void = { _ in })
        async throws -> TLSSessionInfo
    {
        let config = Interop.config {
            $0.handshakeTimeout = 20
            $0.keyShareGroups = [.x25519]
            edit(&$0)
        }
        let data = (0..<(count - 1)).map { UInt8(ascii: "a") + UInt8($0 % 26) } + [UInt8(ascii: "\n")]
        return try await runBlocking {
            let connection = try TLSConnection.connect(host: "127.0.0.1", port: port, configuration: config)
            defer { connection.close() }
            try connection.write(data)
            let back = try Interop.read(connection, count: count)
            guard back == data else { throw VectorError(description: "echo differs (\(back.count) bytes)") }
            return connection.sessionInfo
        }
    }

    /// tlslite-ng announces 512: the client learns it and cuts its 10 000-byte write into records tlslite
    /// accepts (it answers a longer one with record_overflow).
    @Test func serversLimitIsHonored() async throws {
        let server = try await HybridInteropTests.startTLSLite(["--record-size-limit", "512"])
        defer { server.stop() }
        let info = try await Self.echo(port: server.port, count: 10_000)
        #expect(info.peerRecordSizeLimit == 512)
        let closed = try await runBlocking { server.waitForOutput("CLOSED") }
        #expect(closed, "\(server.output)")
        #expect(!server.output.contains("ERROR"), "\(server.output)")
    }

    /// The client asks for 256: tlslite-ng cuts its echo into records of at most 255 bytes of content, or the
    /// client fails the connection with record_overflow.
    @Test func clientsLimitIsHonored() async throws {
        let server = try await HybridInteropTests.startTLSLite()
        defer { server.stop() }
        let info = try await Self.echo(port: server.port, count: 10_000) { $0.recordSizeLimit = 256 }
        #expect(info.peerRecordSizeLimit == 16385, "tlslite-ng's own (default) limit")
    }
}
