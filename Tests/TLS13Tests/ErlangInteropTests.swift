import Foundation
import Testing
@testable import TLS13

/// Erlang/OTP 25's ssl server (Debian 12), with stateless tickets: a full handshake and a resumption. OTP 25 crashes
/// resuming a session whose ClientHello carries GREASE in `signature_algorithms`, where browsers never sent it
/// (Docs/Security.md, "GREASE"); the client sends GREASE only where BoringSSL does, so resumption works with GREASE
/// on (the default) and off.
@Suite(.serialized) struct ErlangInteropTests {
    static func config(grease: Bool, cache: InMemorySessionCache) -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        config.trustRoots = .pemFile(CertPaths.path("ca.pem"))
        config.serverName = "localhost"
        config.grease = grease
        config.sessionCache = cache
        config.handshakeTimeout = 20
        return config
    }

    /// Connects, echoes a line, waits for a ticket when `waitForTicket`; returns whether the session was resumed.
    static func echo(port: UInt16, _ config: TLSClientConfiguration, waitForTicket: Bool) async throws -> Bool {
        try await runBlocking {
            let connection = try TLSConnection.connect(host: "127.0.0.1", port: port, configuration: config)
            defer { connection.close() }
            let line = Array("erlang\n".utf8)
            try connection.write(line)
            var reply: [UInt8] = []
            while reply.count < line.count { reply += try connection.read() }
            guard reply == line else { throw VectorError(description: "echo: \(reply)") }
            if waitForTicket, !(try connection.waitForSessionTicket(timeout: 10)) {
                throw VectorError(description: "no session ticket from the Erlang server")
            }
            return connection.sessionInfo.resumed
        }
    }

    @Test func withoutGREASEAFullHandshakeAndAResumptionSucceed() async throws {
        let server = try await ErlangTLSServer.start()
        defer { server.stop() }
        let config = Self.config(grease: false, cache: InMemorySessionCache())
        #expect(try await Self.echo(port: server.port, config, waitForTicket: true) == false)
        #expect(try await Self.echo(port: server.port, config, waitForTicket: false) == true)
        // The server logs each handshake after it, so its line may trail the client's return.
        _ = try await runBlocking { server.waitForLines(withPrefix: "HANDSHAKE ", count: 2, timeout: 10) }
        #expect(ErlangTLSServer.resumptions(server) == [false, true], "\(server.output.suffix(2000))")
    }

    /// The default ClientHello (GREASE on, extensions permuted): a full handshake and a resumption, and OTP's server
    /// does not crash (before the GREASE set was BoringSSL's, it died with `function_clause` on the resumption).
    @Test func theDefaultClientHelloResumesAgainstOTP25() async throws {
        let server = try await ErlangTLSServer.start()
        defer { server.stop() }
        let config = Self.config(grease: true, cache: InMemorySessionCache())
        #expect(config.grease)
        #expect(try await Self.echo(port: server.port, config, waitForTicket: true) == false)
        #expect(try await Self.echo(port: server.port, config, waitForTicket: false) == true)
        // The server logs each handshake after it, so its line may trail the client's return.
        _ = try await runBlocking { server.waitForLines(withPrefix: "HANDSHAKE ", count: 2, timeout: 10) }
        #expect(ErlangTLSServer.resumptions(server) == [false, true], "\(server.output.suffix(2000))")
        #expect(!server.output.contains("function_clause"), "\(server.output.suffix(1500))")
    }
}
