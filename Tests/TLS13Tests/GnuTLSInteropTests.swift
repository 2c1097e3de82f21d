import Foundation
import Testing
@testable import TLS13

/// The library against real GnuTLS `gnutls-serv` processes on loopback: a second, independent TLS 1.3
/// implementation next to OpenSSL's s_server (see `Docs/Interop.md`).
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
        waitForTicket: Bool = false, ticketTimeout: Double = 2
    ) async throws -> (reply: String, info: TLSSessionInfo, tickets: [TLSSession]) {
        try await runBlocking {
            let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
            defer { conn.close() }
            let reply = try roundTrip(conn, line)
            if waitForTicket { _ = try conn.waitForSessionTicket(timeout: ticketTimeout) }
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

    @Test func badPriorityStringIsReportedAtStart() async throws {
        // gnutls-serv itself would start and fail only when a client connects.
        let error = await #expect(throws: VectorError.self) {
            _ = try await GnuTLSServer.start(priority: GnuTLSServer.priority(groups: ["SECP999R1"]))
        }
        #expect(error?.description.contains("Syntax error at: +GROUP-SECP999R1") == true, "\(String(describing: error))")
    }

    @Test func handshakeAndEcho() async throws {
        let server = try await GnuTLSServer.start()
        defer { server.stop() }
        let (reply, info, _) = try await Self.echo(server, try Self.config())
        #expect(reply == "hello gnutls\n")
        #expect(info.protocolVersion == .tls13)
        #expect(info.cipherSuite == .aes128GCMSHA256, "gnutls follows the client's order (AES-128-GCM first)")
        #expect(info.group == .x25519, "the client's x25519 share is acceptable: no HelloRetryRequest")
        #expect(!info.usedHelloRetryRequest)
        #expect(info.signatureScheme == .ecdsaSecp256r1SHA256)
        #expect(info.certificateVerified)
        #expect(info.peerCertificates.count == 2, "gnutls-serv sends leaf + intermediate")
        #expect(!info.resumed)
        #expect(!info.clientCertificateSent, "an optional CertificateRequest answered with an empty Certificate")
        // gnutls-serv's own view of the same connection.
        let seen = try await runBlocking {
            server.waitForOutput(containing: "- Version: TLS1.3") && server.waitForOutput(containing: "- Given server name[1]: localhost")
        }
        #expect(seen, "gnutls-serv saw TLS 1.3 and our SNI: \(server.output)")
    }

    @Test(arguments: [(NamedGroup.secp256r1, "SECP256R1"), (.secp384r1, "SECP384R1")])
    func helloRetryRequestToTheServersGroup(_ group: NamedGroup, _ name: String) async throws {
        // The client sends X25519MLKEM768 and x25519 shares (the default); the server accepts only `group`.
        let server = try await GnuTLSServer.start(priority: GnuTLSServer.priority(groups: [name]))
        defer { server.stop() }
        let config = try Self.config()
        #expect(config.keyShareGroups == [.x25519MLKEM768, .x25519])
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
        let server = try await GnuTLSServer.start(priority: GnuTLSServer.priority(ciphers: [cipher]))
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
        let server = try await GnuTLSServer.start(leaf: leaf)
        defer { server.stop() }
        let (reply, info, _) = try await Self.echo(server, try Self.config())
        #expect(reply == "hello gnutls\n")
        #expect(info.signatureScheme == scheme)
        #expect(info.certificateVerified)
    }

    @Test func largeEchoSpansManyRecords() async throws {
        // 100 000 bytes: at least seven full 16 KiB records each way.
        let server = try await GnuTLSServer.start()
        defer { server.stop() }
        let config = try Self.config()
        var line = (0..<100_000).map { UInt8(ascii: "a") + UInt8($0 % 26) }
        line.append(UInt8(ascii: "\n"))
        let sent = line
        let echoed = try await runBlocking {
            let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
            defer { conn.close() }
            try conn.write(sent)
            var got: [UInt8] = []
            while got.count < sent.count {
                let chunk = try conn.read()
                if chunk.isEmpty { break }
                got += chunk
            }
            return got
        }
        #expect(echoed.count == sent.count)
        #expect(echoed == sent)
    }

    @Test func sniMismatchIsUnrecognizedName() async throws {
        // The server knows only example.com and rejects any other name with a fatal alert.
        let server = try await GnuTLSServer.start(arguments: ["--sni-hostname", "example.com", "--sni-hostname-fatal"])
        defer { server.stop() }
        let error = try await Self.failure(server, try Self.config())
        #expect(error == .alertReceived(.unrecognizedName))
    }

    @Test func httpPageDescribesTheSession() async throws {
        let server = try await GnuTLSServer.start(mode: .http)
        defer { server.stop() }
        let config = try Self.config()
        let (page, info) = try await runBlocking {
            let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
            defer { conn.close() }
            try conn.write(Array("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n".utf8))
            var got: [UInt8] = []
            while true {
                let chunk = try conn.read()
                if chunk.isEmpty { break }  // close_notify after the page (a bare TCP close would throw)
                got += chunk
            }
            return (String(decoding: got, as: UTF8.self), conn.sessionInfo)
        }
        #expect(page.hasPrefix("HTTP/1.0 200 OK"))
        #expect(page.contains("<TD>Protocol version:</TD><TD>TLS1.3</TD>"))
        #expect(page.contains("<p>Server Name: localhost</p>"))
        #expect(info.cipherSuite == .aes128GCMSHA256)
        #expect(page.contains("<TD>Cipher</TD><TD>AES-128-GCM</TD>"), "the server's page names the same suite")
    }

    // MARK: - Post-handshake

    @Test func keyUpdateBothWays() async throws {
        // `-d 4`: gnutls logs each handshake message, KeyUpdates included.
        let server = try await GnuTLSServer.start(arguments: ["-d", "4"])
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
        // The server's log is drained in the background: wait for its last line before reading it.
        _ = try await runBlocking { server.waitForOutput(containing: "received TLS 1.3 key update (0)") }
        let log = server.output
        #expect(log.contains("received TLS 1.3 key update (1)"), "the client's update_requested KeyUpdate")
        #expect(log.contains("sending key update (0)"), "gnutls's answer, which the client read the echo under")
        #expect(log.contains("received TLS 1.3 key update (0)"), "the client's second, plain KeyUpdate")
    }

    @Test func exportedKeyingMaterialMatchesTheServers() async throws {
        let label = "EXPERIMENTAL-swift-tls13"
        let server = try await GnuTLSServer.start(arguments: ["--keymatexport", label, "--keymatexportsize", "32"])
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
        let seen = try await runBlocking { server.waitForOutput(containing: line) }
        #expect(seen, "server printed: \(server.output.split(separator: "\n").filter { $0.contains("Key material") })")
    }

    @Test func alpnSelectedByTheServer() async throws {
        let server = try await GnuTLSServer.start(arguments: ["--alpn", "http/1.1"])
        defer { server.stop() }
        var config = try Self.config()
        config.applicationProtocols = ["h2", "http/1.1"]
        let (reply, info, _) = try await Self.echo(server, config)
        #expect(reply == "hello gnutls\n")
        #expect(info.applicationProtocol == "http/1.1")
    }

    @Test func alpnMismatchIsNoApplicationProtocol() async throws {
        let server = try await GnuTLSServer.start(arguments: ["--alpn", "http/1.1", "--alpn-fatal"])
        defer { server.stop() }
        var config = try Self.config()
        config.applicationProtocols = ["h2"]
        let error = try await Self.failure(server, config)
        #expect(error == .alertReceived(.noApplicationProtocol))
    }

    @Test func serverKeyUpdateIsAnsweredWhenRequested() async throws {
        // In TLS 1.3 the **REHANDSHAKE** command (gnutls_rehandshake) sends a KeyUpdate with
        // update_requested; the client must switch its read keys and answer with its own KeyUpdate.
        let server = try await GnuTLSServer.start(arguments: ["-d", "4"])
        defer { server.stop() }
        let config = try Self.config()
        let replies = try await runBlocking {
            let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
            defer { conn.close() }
            // The reply is sent under gnutls's new keys.
            var replies = [try Self.roundTrip(conn, "**REHANDSHAKE**\n")]
            replies.append(try Self.roundTrip(conn, "after\n"))
            return replies
        }
        #expect(replies == ["Successfully executed command\n", "after\n"])
        _ = try await runBlocking { server.waitForOutput(containing: "received TLS 1.3 key update (0)") }
        let log = server.output.components(separatedBy: "*** Sending rehandshake request").last ?? ""
        #expect(log.contains("sending key update (1)"))
        #expect(log.contains("received TLS 1.3 key update (0)"), "the client answered: \(log)")
    }

    // MARK: - Resumption

    @Test func resumesWithATicketFromTheCache() async throws {
        let server = try await GnuTLSServer.start()
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
        #expect(second.info.peerCertificates == first.info.peerCertificates, "the session's chain, checked again")
        #expect(second.info.signatureScheme == nil)
        #expect(second.info.group == .x25519, "psk_dhe_ke: still an (EC)DHE exchange")
        #expect(second.info.cipherSuite == first.info.cipherSuite)
    }

    @Test func noTicketMeansNoResumption() async throws {
        let server = try await GnuTLSServer.start(arguments: ["--noticket"])
        defer { server.stop() }
        var config = try Self.config()
        config.sessionCache = InMemorySessionCache()
        let first = try await Self.echo(server, config, line: "one\n", waitForTicket: true, ticketTimeout: 0.5)
        #expect(first.tickets.isEmpty, "--noticket: no NewSessionTicket")
        let second = try await Self.echo(server, config, line: "two\n")
        #expect(second.reply == "two\n")
        #expect(!second.info.resumed)
        #expect(second.info.certificateVerified)
    }

    @Test func earlyDataAccepted() async throws {
        // --earlydata: tickets allow 0-RTT. gnutls-serv 3.7.9 never hands early data to its echo loop (serv.c
        // reads it with gnutls_record_recv_early_data() and then overwrites the result with a
        // gnutls_record_recv() call), so its record log (`-d 5`) is what shows it decrypted the data.
        let server = try await GnuTLSServer.start(arguments: ["--earlydata", "-d", "5"])
        defer { server.stop() }
        let config = try Self.config()
        let first = try await Self.echo(server, config, line: "one\n", waitForTicket: true)
        let session = try #require(first.tickets.last)
        #expect(session.allowsEarlyData, "gnutls-serv --earlydata advertises max_early_data_size")
        let (reply, info) = try await runBlocking {
            let conn = try TLSConnection.connect(
                host: server.host, port: server.port, configuration: config, session: session,
                earlyData: Array("EARLY-HELLO\n".utf8))
            defer { conn.close() }
            return (try Self.roundTrip(conn, "after\n"), conn.sessionInfo)
        }
        #expect(info.resumed)
        #expect(info.earlyData == .accepted)
        #expect(reply == "after\n")
        _ = try await runBlocking { server.waitForOutput(containing: "END OF EARLY DATA (5) was received") }
        let log = server.output.components(separatedBy: "early data accepted").dropFirst().joined()
        #expect(log.contains("decrypted early data with length: 12, in epoch 1"), "the 12 bytes of 0-RTT data")
        #expect(log.contains("END OF EARLY DATA (5) was received"))
    }

    @Test func ticketFromAnotherServerFallsBackToAFullHandshake() async throws {
        // Each gnutls-serv process has its own ticket key: its tickets mean nothing to another one.
        let issuer = try await GnuTLSServer.start(arguments: ["--earlydata"])
        let config = try Self.config()
        let first = try await Self.echo(issuer, config, line: "one\n", waitForTicket: true)
        issuer.stop()
        let session = try #require(first.tickets.last)
        let other = try await GnuTLSServer.start(arguments: ["--earlydata"])
        defer { other.stop() }
        let (reply, info) = try await runBlocking {
            let conn = try TLSConnection.connect(
                host: other.host, port: other.port, configuration: config, session: session,
                earlyData: Array("replay-me\n".utf8))
            defer { conn.close() }
            return (try Self.roundTrip(conn, "after\n"), conn.sessionInfo)
        }
        #expect(!info.resumed)
        #expect(info.earlyData == .rejected)
        #expect(info.certificateVerified, "the fallback is a full, verified handshake")
        #expect(reply == "after\n", "rejected early data is not delivered (nor resent unasked)")
    }

    // MARK: - Client authentication

    @Test(arguments: ["ecdsa-p256", "rsa2048", "ed25519"])
    func requiredClientCertificate(_ type: String) async throws {
        let server = try await GnuTLSServer.start(arguments: [
            "--require-client-cert", "--verify-client-cert", "--x509cafile", CertPaths.path("ca.pem"),
        ])
        defer { server.stop() }
        let (reply, info, _) = try await Self.echo(server, try Self.config(clientCertificate: type), line: "mtls\n")
        #expect(reply == "mtls\n")
        #expect(info.clientCertificateSent)
        // gnutls-serv verified our chain against ca.pem and our CertificateVerify.
        let seen = try await runBlocking {
            server.waitForOutput(containing: "- Status: The certificate is trusted.")
                && server.waitForOutput(containing: "Subject: CN=swift-tls13 test client (\(type))")
        }
        #expect(seen, "\(server.output)")
    }

    @Test func postHandshakeAuthentication() async throws {
        // `-a`: no CertificateRequest in the handshake; the **REAUTH** command makes gnutls-serv send one
        // after it (gnutls_reauth), which needs the client's post_handshake_auth extension.
        let server = try await GnuTLSServer.start(arguments: ["-a", "--verify-client-cert", "--x509cafile", CertPaths.path("ca.pem")])
        defer { server.stop() }
        var mutableConfig = try Self.config(clientCertificate: "ecdsa-p256")
        mutableConfig.ioTimeout = 0.5
        let config = mutableConfig
        let (before, after, reauthReply) = try await runBlocking {
            let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
            defer { conn.close() }
            let before = conn.sessionInfo.clientCertificateSent
            try conn.write(Array("**REAUTH**\n".utf8))
            // Reading processes the CertificateRequest and answers Certificate, CertificateVerify, Finished.
            var reply: [UInt8] = []
            do { reply = try conn.read() } catch TLSError.timedOut(_) {}
            let echoed = try Self.roundTrip(conn, "after\n")
            #expect(echoed == "after\n")
            return (before, conn.sessionInfo.clientCertificateSent, String(decoding: reply, as: UTF8.self))
        }
        #expect(!before, "-a: the handshake asked for no certificate")
        #expect(after)
        // gnutls_reauth() returned success: it checked our CertificateVerify and Finished.
        #expect(reauthReply == "Successfully executed command\n")
        #expect(!server.output.contains("reauth:"), "gnutls_reauth failed: \(server.output)")
    }

    @Test func requiredCertificateMissingIsCertificateRequired() async throws {
        let server = try await GnuTLSServer.start(arguments: [
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
