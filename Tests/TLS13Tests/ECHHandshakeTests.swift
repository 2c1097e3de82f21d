import Foundation
import Testing
@testable import TLS13

/// Encrypted Client Hello (RFC 9849) through `TLSConnection`, against Go's `crypto/tls` server
/// (`Interop/ech-server`): accepted, rejected with retry configs (and the retry), across a HelloRetryRequest,
/// resumed inside ECH, GREASE, and the server's view of each (the SNI it saw: inner or outer).
@Suite(.serialized) struct ECHHandshakeTests {
    static func config(_ list: [UInt8]?, _ edit: (inout TLSClientConfiguration) -> Void = { _ in }) -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        config.trustRoots = .pemFile(CertPaths.path("ca.pem"))
        config.serverName = "localhost"
        config.echConfigList = list
        config.handshakeTimeout = 20
        config.ioTimeout = 20
        edit(&config)
        return config
    }

    /// What one connection showed: the library's view, the page the server answered with, the tickets.
    struct Seen {
        var info: TLSSessionInfo
        var page: String
        var sessions: [TLSSession]
    }

    /// Connects, asks for the page (the server's facts as `key=value` lines), reads to close_notify.
    static func fetch(_ server: ECHServer, _ config: TLSClientConfiguration, session: TLSSession? = nil,
                      waitForTicket: Bool = false) async throws -> Seen {
        try await runBlocking {
            let connection = try TLSConnection.connect(host: server.host, port: server.port, configuration: config,
                                                       session: session)
            defer { connection.close() }
            try connection.write(Array("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n".utf8))
            var page: [UInt8] = []
            while true {
                let chunk = try connection.read()
                if chunk.isEmpty { break }
                page += chunk
            }
            if waitForTicket { _ = try connection.waitForSessionTicket(timeout: 5) }
            return Seen(info: connection.sessionInfo, page: String(decoding: page, as: UTF8.self),
                        sessions: connection.receivedSessions)
        }
    }

    /// The error `body` throws.
    static func failure(_ server: ECHServer, _ config: TLSClientConfiguration) async throws -> TLSError? {
        try await runBlocking { () -> TLSError? in
            do {
                let connection = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
                connection.close()
                return nil
            } catch let error as TLSError {
                return error
            }
        }
    }

    /// The server's `CONNECTION` lines once it has printed `count` (they may trail the client), or its `ERROR` lines.
    static func lines(_ server: ECHServer, _ prefix: String, count: Int) async throws -> [String] {
        _ = try await runBlocking { server.server.waitForLines(withPrefix: prefix, count: count, timeout: 10) }
        return server.server.lines(withPrefix: prefix)
    }

    static func connections(_ server: ECHServer, count: Int) async throws -> [ECHServer.Connection] {
        _ = try await lines(server, "CONNECTION ", count: count)
        return server.connections
    }

    @Test func acceptedTheServerSeesTheInnerNameAndTheOuterHidesIt() async throws {
        let server = try await ECHServer.start()
        defer { server.stop() }
        let seen = try await Self.fetch(server, Self.config(server.echConfigList) { $0.applicationProtocols = ["http/1.1"] })
        #expect(seen.info.ech == .accepted(publicName: "ech-public.example"))
        #expect(seen.info.certificateVerified && seen.info.peerCertificates.count == 2)
        #expect(seen.page.contains("ech_accepted=true\nserver_name=localhost\n"), "\(seen.page)")
        #expect(seen.info.applicationProtocol == nil || seen.page.contains("alpn=http/1.1"))
        let connection = try #require(try await Self.connections(server, count: 1).first)
        #expect(connection.echAccepted && connection.serverName == "localhost" && !connection.helloRetryRequest)
    }

    /// -reject: the server cannot decrypt; the client authenticates it as the public name, refuses the connection
    /// with ech_required and hands over exactly the server's retry configs, with which a second connection succeeds.
    @Test func rejectedWithRetryConfigsThenTheRetrySucceeds() async throws {
        var options = ECHServer.Options()
        options.reject = true
        let server = try await ECHServer.start(options)
        defer { server.stop() }
        let error = try await Self.failure(server, Self.config(server.echConfigList))
        guard case .echRejected(let publicName, let retry)? = error else {
            Issue.record("expected echRejected, got \(String(describing: error))")
            return
        }
        #expect(retry == server.retryConfigList && publicName == "ech-public.example")
        #expect(error?.alertToSend == .echRequired)
        // Go's handshake completed on ClientHelloOuter (it read the client's Finished), then the alert came.
        let outer = try #require(try await Self.connections(server, count: 1).first)
        #expect(!outer.echAccepted && outer.serverName == "ech-public.example")

        let seen = try await Self.fetch(server, Self.config(retry))
        #expect(seen.info.ech == .accepted(publicName: "ech-public.example"))
        let connections = try await Self.connections(server, count: 2)
        #expect(connections.count == 2 && connections[1].echAccepted && connections[1].serverName == "localhost")
    }

    /// A rejection is refused whatever the certificate says, but a certificate that is not the public name's fails the
    /// handshake on the certificate first (RFC 9849 §6.1.7): the public name is what is verified.
    @Test func aRejectionIsAuthenticatedAsThePublicName() async throws {
        var options = ECHServer.Options()
        options.reject = true
        options.publicName = "other-public.example"  // the server still serves ech-public.example's certificate
        let server = try await ECHServer.start(options)
        defer { server.stop() }
        let error = try await Self.failure(server, Self.config(server.echConfigList))
        guard case .certificateRejected? = error else {
            Issue.record("expected the certificate to be rejected for other-public.example, got \(String(describing: error))")
            return
        }
    }

    @Test func acceptedAcrossAHelloRetryRequest() async throws {
        var options = ECHServer.Options()
        options.helloRetryRequest = true
        let server = try await ECHServer.start(options)
        defer { server.stop() }
        let seen = try await Self.fetch(server, Self.config(server.echConfigList))
        #expect(seen.info.ech == .accepted(publicName: "ech-public.example"))
        #expect(seen.info.usedHelloRetryRequest && seen.info.group == .secp256r1)
        let connection = try #require(try await Self.connections(server, count: 1).first)
        #expect(connection.echAccepted && connection.helloRetryRequest && connection.serverName == "localhost")
    }

    @Test func rejectedAcrossAHelloRetryRequest() async throws {
        var options = ECHServer.Options()
        options.helloRetryRequest = true
        options.reject = true
        let server = try await ECHServer.start(options)
        defer { server.stop() }
        let error = try await Self.failure(server, Self.config(server.echConfigList))
        #expect(error == .echRejected(publicName: "ech-public.example", retryConfigs: server.retryConfigList))
        let outer = try #require(try await Self.connections(server, count: 1).first)
        #expect(!outer.echAccepted && outer.helloRetryRequest && outer.serverName == "ech-public.example")
    }

    /// A ticket from a connection made inside ECH resumes inside ECH: the session goes in ClientHelloInner only.
    @Test func resumedInsideECH() async throws {
        let server = try await ECHServer.start()
        defer { server.stop() }
        let config = Self.config(server.echConfigList)
        let first = try await Self.fetch(server, config, waitForTicket: true)
        let ticket = try #require(first.sessions.last, "no ticket")
        let second = try await Self.fetch(server, config, session: ticket)
        #expect(second.info.resumed && second.info.ech == .accepted(publicName: "ech-public.example"))
        let connections = try await Self.connections(server, count: 2)
        #expect(connections.map(\.resumed) == [false, true])
        #expect(connections.allSatisfy { $0.echAccepted && $0.serverName == "localhost" })
    }

    @Test(arguments: ["p256"]) func theP256KEM(_ kem: String) async throws {
        var options = ECHServer.Options()
        options.kem = kem
        let server = try await ECHServer.start(options)
        defer { server.stop() }
        let seen = try await Self.fetch(server, Self.config(server.echConfigList))
        #expect(seen.info.ech == .accepted(publicName: "ech-public.example"))
    }

    /// Without a config: GREASE ECH by default (Go cannot decrypt it, sends its retry configs, which are checked and
    /// ignored), nothing with `echGREASE` off; the handshake is the ordinary one either way.
    @Test func greaseAndNotOffered() async throws {
        let server = try await ECHServer.start()
        defer { server.stop() }
        let grease = try await Self.fetch(server, Self.config(nil))
        #expect(grease.info.ech == .grease && grease.info.certificateVerified)
        let off = try await Self.fetch(server, Self.config(nil) { $0.echGREASE = false })
        #expect(off.info.ech == .notOffered)
        let connections = try await Self.connections(server, count: 2)
        #expect(connections.map(\.serverName) == ["localhost", "localhost"])
        #expect(connections.allSatisfy { !$0.echAccepted })
    }

    @Test func aConfigListThatDoesNotParseIsRefusedBeforeConnecting() async throws {
        var config = Self.config([0, 5, 0xfe, 0x0d, 0, 1, 0])
        #expect(throws: TLSError.self) { try config.validate() }
        // Parses, but nothing usable (an unknown version only): GREASE, as RFC 9849 §6.1 says.
        config.echConfigList = [0, 6, 0xfe, 0x0c, 0, 2, 1, 2]
        try config.validate()
        #expect(try ClientStateMachine.planECH(config).isGREASE)
    }
}

/// What the network sees of an ECH offer (the ClientHelloOuter the client sends, decoded byte by byte, no server
/// needed): the public name, no ALPN, a GREASE `pre_shared_key` with the inner identity's length but not its bytes,
/// the shared extensions identical to the inner ones, and the HPKE-sealed payload; GREASE ECH sized like a real one.
@Suite struct ECHOuterHelloTests {
    static func config() throws -> [UInt8] {
        let config = ECHConfig(
            configID: 7, kemID: .x25519HKDFSHA256, publicKey: try EVPKeyShare(curve: .x25519).publicKey,
            cipherSuites: [HPKESymmetricCipherSuite(kdf: .hkdfSHA256, aead: .aes128GCM)], maximumNameLength: 64,
            publicName: Array("public.example".utf8))
        return try ECHConfigList(configs: [config]).encoded
    }

    /// The first record's ClientHello.
    static func outerHello(_ client: ClientStateMachine) throws -> ClientHello {
        let record = try client.startHandshake()
        guard case .clientHello(let hello) = try HandshakeMessage.decode(Array(record.dropFirst(5))) else {
            throw VectorError(description: "no ClientHello")
        }
        return hello
    }

    @Test func theOuterHelloShowsOnlyWhatItMay() throws {
        let ticket = [UInt8](repeating: 0x5A, count: 48)
        let session = TLSSession(
            ticket: ticket, cipherSuite: .aes128GCMSHA256, lifetime: 7200, ageAdd: 0,
            receivedAtMilliseconds: ScriptedPKI.now * 1000 - 1000, maxEarlyDataSize: 0, applicationProtocol: nil,
            serverName: "secret.example", certificateVerification: .notVerified, peerCertificates: [],
            psk: SecretBytes([UInt8](repeating: 7, count: 32)))
        var configuration = TLSClientConfiguration()
        configuration.verifyCertificates = false
        configuration.applicationProtocols = ["h2"]
        configuration.echConfigList = try Self.config()
        let client = try ClientStateMachine(
            configuration: configuration, identity: .dnsName("secret.example"),
            dependencies: .init(certificateVerifier: nil, now: ScriptedPKI.now), session: session)
        let outer = try Self.outerHello(client)
        #expect(outer.extension(.serverName) == .serverName("public.example"))
        #expect(outer.extension(.applicationLayerProtocolNegotiation) == nil, "ALPN hidden by default")
        // The session went inside; outside, a GREASE pre_shared_key of the same shape (RFC 9849 §6.1.2).
        let psk = try #require(outer.offeredPSKs)
        #expect(psk.identities.count == 1 && psk.identities[0].identity.count == ticket.count)
        #expect(psk.identities[0].identity != ticket)
        #expect(psk.binders.map(\.count) == [32])
        #expect(outer.extension(.pskKeyExchangeModes) == .pskKeyExchangeModes([.pskDHEKE]))
        #expect(outer.extensions.last?.extensionType == .preSharedKey)
        // The sealed inner hello: config 7, the suite, a 32-byte X25519 enc, padded to a multiple of 32 (+16 tag).
        guard case .outer(let suite, let configID, let enc, let payload)? = try ECHClientHello(in: outer) else {
            Issue.record("no outer encrypted_client_hello")
            return
        }
        #expect(configID == 7 && suite == HPKESymmetricCipherSuite(kdf: .hkdfSHA256, aead: .aes128GCM) && enc.count == 32)
        #expect((payload.count - 16) % 32 == 0)
        #expect(!outer.extensions.contains { $0.extensionType == .echOuterExtensions }, "only inside")
        #expect(outer.extension(.keyShare) != nil && outer.extension(.supportedGroups) != nil)
    }

    /// GREASE ECH's payload has the length a real offer of this client would have (compressed, padded to 32).
    @Test func greaseLooksLikeARealOffer() throws {
        let grease = try Self.outerHello(try makeTestClient())
        guard case .outer(_, _, let enc, let payload)? = try ECHClientHello(in: grease) else {
            Issue.record("no GREASE encrypted_client_hello")
            return
        }
        #expect(enc.count == 32 && (payload.count - 16) % 32 == 0)
        #expect(payload.count < 400, "sized like a compressed inner hello, not the whole hello: \(payload.count)")
    }
}

/// The CLI's ECH options against Go's server: `--ech-config` (base64 and @FILE), the summary's `ECH:` line, a
/// rejection's error and `--ech-retry`, `--no-ech-grease`, a resumed connection inside ECH, and the trace's inner and
/// outer ClientHello.
@Suite(.serialized) struct ECHCLITests {
    static let request = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n"

    static func connect(_ server: ECHServer, _ extra: [String]) async throws -> CLIResult {
        try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--cafile", CertPaths.path("ca.pem"), "--servername", "localhost",
             "--timeout", "20"] + extra, stdin: request, timeout: 60)
    }

    static func value(_ key: String, in result: CLIResult) -> [String] {
        result.stderrLines.filter { $0.hasPrefix("\(key): ") }.map { String($0.dropFirst(key.count + 2)) }
    }

    @Test func acceptedGreaseAndNotOffered() async throws {
        let server = try await ECHServer.start()
        defer { server.stop() }
        let base64 = Data(server.echConfigList).base64EncodedString()
        let accepted = try await Self.connect(server, ["--ech-config", base64])
        #expect(accepted.status == 0, "\(accepted)")
        #expect(Self.value("ECH", in: accepted) == ["accepted (public name ech-public.example)"], "\(accepted)")
        #expect(accepted.stdout.contains("ech_accepted=true") && accepted.stdout.contains("server_name=localhost"))

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tls13-ech-\(UUID().uuidString)")
        try Data(server.echConfigList).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let fromFile = try await Self.connect(server, ["--ech-config", "@" + file.path])
        #expect(Self.value("ECH", in: fromFile) == ["accepted (public name ech-public.example)"], "\(fromFile)")

        let grease = try await Self.connect(server, [])
        #expect(grease.status == 0 && Self.value("ECH", in: grease) == ["GREASE"], "\(grease)")
        let off = try await Self.connect(server, ["--no-ech-grease"])
        #expect(off.status == 0 && Self.value("ECH", in: off) == ["not offered"], "\(off)")

        let bad = try await Self.connect(server, ["--ech-config", "not base64!"])
        #expect(bad.status == 2, "\(bad)")
        let retryAlone = try await Self.connect(server, ["--ech-retry"])
        #expect(retryAlone.status == 2 && retryAlone.stderr.contains("--ech-retry needs --ech-config"), "\(retryAlone)")
    }

    @Test func aRejectionFailsAndEchRetrySucceeds() async throws {
        var options = ECHServer.Options()
        options.reject = true
        let server = try await ECHServer.start(options)
        defer { server.stop() }
        let base64 = Data(server.echConfigList).base64EncodedString()
        let rejected = try await Self.connect(server, ["--ech-config", base64])
        #expect(rejected.status == 1, "\(rejected)")
        #expect(rejected.stderr.contains("ECH rejected") && rejected.stderr.contains("ech-public.example"), "\(rejected)")
        #expect(rejected.stderr.contains("--ech-config \(Data(server.retryConfigList).base64EncodedString())"), "\(rejected)")
        #expect(rejected.stdout.isEmpty)

        let retried = try await Self.connect(server, ["--ech-config", base64, "--ech-retry"])
        #expect(retried.status == 0, "\(retried)")
        #expect(retried.stderr.contains("ECH: rejected (public name ech-public.example): retrying with the server's retry configs"))
        #expect(Self.value("ECH", in: retried) == ["accepted (public name ech-public.example)"], "\(retried)")
        #expect(retried.stdout.contains("ech_accepted=true"))
    }

    @Test func helloRetryRequestAndResumption() async throws {
        var options = ECHServer.Options()
        options.helloRetryRequest = true
        let server = try await ECHServer.start(options)
        defer { server.stop() }
        let result = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--cafile", CertPaths.path("ca.pem"), "--servername", "localhost",
             "--ech-config", Data(server.echConfigList).base64EncodedString(), "--reconnect", "--groups", "x25519,P-256"],
            timeout: 60)
        #expect(result.status == 0, "\(result)")
        #expect(Self.value("ECH", in: result) == Array(repeating: "accepted (public name ech-public.example)", count: 2))
        #expect(Self.value("resumed", in: result) == ["no", "yes"], "\(result)")
        #expect(Self.value("group", in: result) == ["P-256", "P-256"], "\(result)")
    }

    @Test func theTraceShowsTheInnerAndOuterClientHello() async throws {
        let server = try await ECHServer.start()
        defer { server.stop() }
        let result = try await CLIProcess.run(
            ["trace", "127.0.0.1:\(server.port)", "--cafile", CertPaths.path("ca.pem"), "--servername", "localhost",
             "--ech-config", Data(server.echConfigList).base64EncodedString(), "--format", "text", "--no-packets"],
            timeout: 60)
        #expect(result.status == 0, "\(result)")
        let text = result.stdout
        let inner = try #require(text.range(of: "ClientHelloInner"), "\(text.prefix(3000))")
        let outer = try #require(text.range(of: "ClientHelloOuter"), "\(text.prefix(3000))")
        #expect(inner.lowerBound < outer.lowerBound, "the inner hello is traced first, then the outer one that carries it")
        #expect(text.contains("ECH: accepted (public name ech-public.example)"), "\(text.suffix(1500))")
    }
}

extension ClientStateMachine.ECHPlan {
    var isGREASE: Bool {
        if case .grease = self { return true }
        return false
    }
}
