import Foundation
import Testing
@testable import TLS13

/// ``TLSConnection/peek(maxCount:)``, ``TLSConnection/abort(sending:)`` and the CertificateRequest fields of
/// ``TLSSessionInfo``, against the scripted server over loopback TCP.
@Suite struct ConnectionPeekAbortTests {
    static func connect(_ loopback: LoopbackScriptedServer) throws(TLSError) -> TLSConnection {
        try TLSConnection.connect(host: "127.0.0.1", port: loopback.port, configuration: MalformedServerTests.clientConfiguration())
    }

    @Test func peekLeavesTheBytesForTheNextRead() async throws {
        let loopback = try LoopbackScriptedServer(ScriptedServer())
        loopback.start()
        let (first, second, small, read, rest) = try await runBlocking {
            let connection = try Self.connect(loopback)
            defer { connection.close() }
            let first = try connection.peek()
            let second = try connection.peek()
            let small = try connection.peek(maxCount: 5)
            let read = try connection.read(maxCount: 5)
            let rest = try connection.read()
            return (first, second, small, read, rest)
        }
        _ = try await runBlocking { loopback.finish() }
        #expect(first == LoopbackScriptedServer.greeting)
        #expect(second == first, "a second peek returns the same bytes")
        #expect(small == Array(first.prefix(5)) && read == small)
        #expect(read + rest == LoopbackScriptedServer.greeting, "the read after the peeks consumed them in order")
    }

    @Test func abortSendsTheAlertThenCloses() async throws {
        let loopback = try LoopbackScriptedServer(ScriptedServer())
        loopback.start()
        let (after, second) = try await runBlocking {
            let connection = try Self.connect(loopback)
            connection.abort(sending: AlertDescription(rawValue: 30))
            connection.abort(sending: .internalError)  // nothing more: already closed
            var after: TLSError?
            do throws(TLSError) { try connection.write([1]) } catch { after = error }
            return (after, connection.sessionInfo.protocolVersion)
        }
        let report = try await runBlocking { loopback.finish() }
        #expect(report.receivedAlerts.map(\.alert) == [Alert(level: .fatal, description: AlertDescription(rawValue: 30))])
        #expect(report.receivedAlerts.first?.encrypted == true)
        #expect(after == .closed)
        #expect(second == .tls13)
    }

    @Test func theCertificateRequestIsReported() throws {
        let names: [[UInt8]] = [[0x30, 0x00], [0x30, 0x03, 0x31, 0x01, 0x00]]
        let server = ScriptedServer()
        server.configuration.certificateRequest = CertificateRequest(extensions: [
            .signatureAlgorithms([.rsaPSSRSAESHA256, .ed25519, .ecdsaSecp256r1SHA256]),
            .certificateAuthorities(names),
        ])
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.certificateRequestSignatureAlgorithms == [.rsaPSSRSAESHA256, .ed25519, .ecdsaSecp256r1SHA256])
        #expect(client.info.certificateRequestAuthorities == names)
    }

    @Test func noCertificateRequestLeavesThemEmpty() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.certificateRequestSignatureAlgorithms.isEmpty)
        #expect(client.info.certificateRequestAuthorities.isEmpty)
    }
}
