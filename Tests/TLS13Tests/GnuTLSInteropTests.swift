import Foundation
import Testing
@testable import TLS13

/// The library against real GnuTLS `gnutls-serv` processes on loopback: a second, independent TLS 1.3
/// implementation next to OpenSSL's s_server (see `Docs/Interop-GnuTLS.md`).
///
/// gnutls-serv asks for a client certificate by default (optional: the client answers with an empty
/// Certificate), so every handshake here also exercises the CertificateRequest path.
@Suite(.serialized) struct GnuTLSInteropTests {
    static func config(clientCertificate client: String? = nil) throws -> TLSClientConfiguration {
        var c = TLSClientConfiguration()
        c.trustRoots = .pemFile(CertPaths.path("ca.pem"))
        c.serverName = "localhost"
        c.handshakeTimeout = 5
        c.ioTimeout = 5
        if let client {
            c.clientCertificate = try TLSClientCertificate(
                certificateChainFile: CertPaths.path("client-\(client)-chain.pem"),
                privateKeyFile: CertPaths.path("client-\(client).key"))
        }
        return c
    }

    /// Writes `line` and reads until a newline (or the end of the stream).
    static func roundTrip(_ conn: TLSConnection, _ line: String) throws -> String {
        try conn.write(Array(line.utf8))
        var got: [UInt8] = []
        while !got.contains(UInt8(ascii: "\n")) {
            let chunk = try conn.read()
            if chunk.isEmpty { break }
            got += chunk
        }
        return String(decoding: got, as: UTF8.self)
    }

    /// Connects to `server`, echoes one line through it and returns the reply and the session.
    static func echo(
        _ server: GnuTLSServer, _ config: TLSClientConfiguration, line: String = "hello gnutls\n",
        waitForTicket: Bool = false
    ) async throws -> (reply: String, info: TLSSessionInfo, tickets: [TLSSession]) {
        try await runBlocking {
            let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
            defer { conn.close() }
            let reply = try roundTrip(conn, line)
            if waitForTicket { _ = try conn.waitForSessionTicket(timeout: 2) }
            return (reply, conn.sessionInfo, conn.receivedSessions)
        }
    }

    /// Connects and returns the TLS error the connection ends with (`nil` if a read succeeds).
    static func failure(_ server: GnuTLSServer, _ config: TLSClientConfiguration) async throws -> TLSError? {
        try await runBlocking {
            do {
                let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
                defer { conn.close() }
                _ = try roundTrip(conn, "x\n")
                return nil
            } catch let e as TLSError {
                return e
            }
        }
    }

    // MARK: - Handshake

    @Test func handshakeAndEcho() async throws {
        let server = try GnuTLSServer()
        defer { server.stop() }
        let (reply, info, _) = try await Self.echo(server, try Self.config())
        #expect(reply == "hello gnutls\n")
        #expect(info.protocolVersion == .tls13)
        #expect(info.group == .x25519, "the client's x25519 share is acceptable: no HelloRetryRequest")
        #expect(!info.usedHelloRetryRequest)
        #expect(info.signatureScheme == .ecdsaSecp256r1SHA256)
        #expect(info.certificateVerified)
        #expect(info.peerCertificates.count == 2, "gnutls-serv sends leaf + intermediate")
        #expect(!info.resumed)
        #expect(!info.clientCertificateSent, "an optional CertificateRequest answered with an empty Certificate")
        // gnutls-serv's own view of the same connection.
        let seen = try await runBlocking { server.waitForOutput(containing: "- Version: TLS1.3") }
        #expect(seen, "\(server.output)")
        #expect(server.output.contains("- Given server name[1]: localhost"), "the client sent SNI")
    }

    @Test(arguments: [(NamedGroup.secp256r1, "SECP256R1"), (.secp384r1, "SECP384R1")])
    func helloRetryRequestToTheServersGroup(_ group: NamedGroup, _ name: String) async throws {
        // The client sends only an x25519 share; the server accepts only `group`.
        let server = try GnuTLSServer(priority: GnuTLSServer.priority(groups: [name]))
        defer { server.stop() }
        let config = try Self.config()
        #expect(config.keyShareGroups == [.x25519])
        let (reply, info, _) = try await Self.echo(server, config)
        #expect(reply == "hello gnutls\n")
        #expect(info.usedHelloRetryRequest)
        #expect(info.group == group)
        #expect(info.certificateVerified)
    }

    @Test(arguments: [
        (CipherSuite.aes128GCMSHA256, "AES-128-GCM"), (.aes256GCMSHA384, "AES-256-GCM"),
        (.chacha20Poly1305SHA256, "CHACHA20-POLY1305"),
    ])
    func cipherSuite(_ suite: CipherSuite, _ cipher: String) async throws {
        let server = try GnuTLSServer(priority: GnuTLSServer.priority(ciphers: [cipher]))
        defer { server.stop() }
        let (reply, info, _) = try await Self.echo(server, try Self.config())
        #expect(reply == "hello gnutls\n")
        #expect(info.cipherSuite == suite)
    }

    @Test(arguments: [
        ("ecdsa-p256", SignatureScheme.ecdsaSecp256r1SHA256), ("ecdsa-p384", .ecdsaSecp384r1SHA384),
        ("rsa2048", .rsaPSSRSAESHA256), ("ed25519", .ed25519),
    ])
    func leafType(_ leaf: String, _ scheme: SignatureScheme) async throws {
        let server = try GnuTLSServer(leaf: leaf)
        defer { server.stop() }
        let (reply, info, _) = try await Self.echo(server, try Self.config())
        #expect(reply == "hello gnutls\n")
        #expect(info.signatureScheme == scheme)
        #expect(info.certificateVerified)
    }

    @Test func httpPageDescribesTheSession() async throws {
        let server = try GnuTLSServer(mode: .http)
        defer { server.stop() }
        let config = try Self.config()
        let (page, info) = try await runBlocking {
            let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
            defer { conn.close() }
            try conn.write(Array("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n".utf8))
            var got: [UInt8] = []
            while true {
                let chunk = try conn.read()
                if chunk.isEmpty { break }  // close_notify after the page
                got += chunk
            }
            return (String(decoding: got, as: UTF8.self), conn.sessionInfo)
        }
        #expect(page.hasPrefix("HTTP/1.0 200 OK"))
        #expect(page.contains("<TD>Protocol version:</TD><TD>TLS1.3</TD>"))
        #expect(page.contains("<p>Server Name: localhost</p>"))
        let cipher = info.cipherSuite == .aes256GCMSHA384 ? "AES-256-GCM" : info.cipherSuite == .aes128GCMSHA256 ? "AES-128-GCM" : "CHACHA20-POLY1305"
        #expect(page.contains("<TD>Cipher</TD><TD>\(cipher)</TD>"), "the server's page names the suite the client negotiated")
    }

    // MARK: - Post-handshake

    @Test func keyUpdateBothWays() async throws {
        let server = try GnuTLSServer()
        defer { server.stop() }
        let config = try Self.config()
        let replies = try await runBlocking {
            let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
            defer { conn.close() }
            let before = try Self.roundTrip(conn, "before\n")
            // update_requested: gnutls answers with its own KeyUpdate before the echo.
            try conn.updateKeys(requestPeerUpdate: true)
            let after = try Self.roundTrip(conn, "after\n")
            try conn.updateKeys(requestPeerUpdate: false)
            let again = try Self.roundTrip(conn, "again\n")
            return [before, after, again]
        }
        #expect(replies == ["before\n", "after\n", "again\n"])
    }

    @Test func exportedKeyingMaterialMatchesTheServers() async throws {
        let label = "EXPERIMENTAL-swift-tls13"
        let server = try GnuTLSServer(arguments: ["--keymatexport", label, "--keymatexportsize", "32"])
        defer { server.stop() }
        let config = try Self.config()
        let exported = try await runBlocking {
            let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
            defer { conn.close() }
            _ = try Self.roundTrip(conn, "x\n")
            // gnutls-serv exports with no context, which in TLS 1.3 is the same as an empty context.
            return try conn.exportKeyingMaterial(label: label, context: [], length: 32)
        }
        let line = "- Key material: \(exported.hexString)"
        let seen = try await runBlocking { server.waitForOutput(containing: "- Key material: ") }
        #expect(seen)
        #expect(server.output.contains(line), "server printed: \(server.output.split(separator: "\n").filter { $0.contains("Key material") })")
    }

    @Test func alpnSelectedByTheServer() async throws {
        let server = try GnuTLSServer(arguments: ["--alpn", "http/1.1"])
        defer { server.stop() }
        var config = try Self.config()
        config.applicationProtocols = ["h2", "http/1.1"]
        let (reply, info, _) = try await Self.echo(server, config)
        #expect(reply == "hello gnutls\n")
        #expect(info.applicationProtocol == "http/1.1")
    }

    @Test func alpnMismatchIsNoApplicationProtocol() async throws {
        let server = try GnuTLSServer(arguments: ["--alpn", "http/1.1", "--alpn-fatal"])
        defer { server.stop() }
        var config = try Self.config()
        config.applicationProtocols = ["h2"]
        let error = try await Self.failure(server, config)
        #expect(error == .alertReceived(.noApplicationProtocol))
    }

    // MARK: - Resumption

    @Test func resumesWithATicketFromTheCache() async throws {
        let server = try GnuTLSServer()
        defer { server.stop() }
        var config = try Self.config()
        config.sessionCache = InMemorySessionCache()
        let first = try await Self.echo(server, config, line: "one\n", waitForTicket: true)
        #expect(first.reply == "one\n")
        #expect(!first.info.resumed && first.info.certificateVerified)
        #expect(first.tickets.count >= 1, "gnutls-serv sends a NewSessionTicket after the handshake")
        #expect(first.tickets.allSatisfy { $0.certificateVerified && $0.serverName == "localhost" })

        let second = try await Self.echo(server, config, line: "two\n")
        #expect(second.reply == "two\n")
        #expect(second.info.resumed)
        #expect(second.info.peerCertificates.isEmpty, "a resumed handshake carries no certificate")
        #expect(second.info.signatureScheme == nil)
        #expect(second.info.group == .x25519, "psk_dhe_ke: still an (EC)DHE exchange")
        #expect(second.info.cipherSuite == first.info.cipherSuite)
    }

    @Test func noTicketMeansNoResumption() async throws {
        let server = try GnuTLSServer(arguments: ["--noticket"])
        defer { server.stop() }
        var config = try Self.config()
        config.sessionCache = InMemorySessionCache()
        let first = try await Self.echo(server, config, line: "one\n", waitForTicket: true)
        #expect(first.tickets.isEmpty, "--noticket: no NewSessionTicket")
        let second = try await Self.echo(server, config, line: "two\n")
        #expect(second.reply == "two\n")
        #expect(!second.info.resumed)
        #expect(second.info.certificateVerified)
    }

    // MARK: - Client authentication

    @Test(arguments: ["ecdsa-p256", "rsa2048", "ed25519"])
    func requiredClientCertificate(_ type: String) async throws {
        let server = try GnuTLSServer(arguments: [
            "--require-client-cert", "--verify-client-cert", "--x509cafile", CertPaths.path("ca.pem"),
        ])
        defer { server.stop() }
        let (reply, info, _) = try await Self.echo(server, try Self.config(clientCertificate: type), line: "mtls\n")
        #expect(reply == "mtls\n")
        #expect(info.clientCertificateSent)
        // gnutls-serv verified our chain against ca.pem and our CertificateVerify.
        let seen = try await runBlocking { server.waitForOutput(containing: "- Status: The certificate is trusted.") }
        #expect(seen, "\(server.output)")
        #expect(server.output.contains("Subject: CN=swift-tls13 test client (\(type))"))
    }

    @Test func requiredCertificateMissingIsCertificateRequired() async throws {
        let server = try GnuTLSServer(arguments: [
            "--require-client-cert", "--verify-client-cert", "--x509cafile", CertPaths.path("ca.pem"),
        ])
        defer { server.stop() }
        // The client answers with an empty Certificate; the server's alert arrives after our Finished.
        let error = try await Self.failure(server, try Self.config())
        #expect(error == .alertReceived(.certificateRequired))
        let seen = try await runBlocking { server.waitForOutput(containing: "Error in handshake: Certificate is required.") }
        #expect(seen, "\(server.output)")
    }
}
