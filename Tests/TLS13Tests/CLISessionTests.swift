import Foundation
import Testing
@testable import TLS13

/// `tls13 connect/get` with `--sess-out`/`--sess-in`, `--reconnect`, `--early-data` and `--cert`/`--key`, run as
/// the built binary against `openssl s_server`. An extension of ``CLITests`` so that it shares its serialization.
extension CLITests {
    static func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("tls13-\(name)-\(UUID().uuidString)")
    }

    static func values(_ result: CLIResult) -> [String: String] {
        Dictionary(summary(result.stderrLines.filter { !$0.hasPrefix("tls13: note:") }), uniquingKeysWith: { a, _ in a })
    }

    static func client(_ type: String) -> [String] {
        ["--cert", CertPaths.path("client-\(type)-chain.pem"), "--key", CertPaths.path("client-\(type).key")]
    }

    /// Saves a session from `server` into a new file (connect with empty stdin and `--sess-out`).
    static func saveSession(from server: OpenSSLServer, extra: [String] = []) async throws -> URL {
        let file = temporaryFile("session")
        let result = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--cafile", ca, "--servername", "localhost", "--quiet",
             "--sess-out", file.path] + extra, stdin: "")
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")
        return file
    }

    // MARK: - --sess-out / --sess-in

    @Test func sessionOutThenInResumes() async throws {
        let server = try OpenSSLServer(mode: ["-rev"])
        defer { server.stop() }
        let file = Self.temporaryFile("session")
        defer { try? FileManager.default.removeItem(at: file) }
        // An existing world-readable file is replaced by a 0600 one.
        #expect(FileManager.default.createFile(atPath: file.path, contents: Data("old\n".utf8),
                                                attributes: [.posixPermissions: 0o644]))
        let first = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--cafile", Self.ca, "--servername", "localhost",
             "--sess-out", file.path], stdin: "one\n")
        #expect(first.status == 0, "\(first)")
        #expect(first.stdout.contains("eno"))
        #expect(Self.values(first)["resumed"] == "no")
        #expect(!first.stderr.contains("note:"), "\(first)")

        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let text = try String(contentsOf: file, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "-----BEGIN TLS13 SESSION-----", "\(text)")
        #expect(lines.last == "-----END TLS13 SESSION-----", "\(text)")
        #expect(lines.dropFirst().dropLast().allSatisfy { $0.count <= 64 }, "\(text)")
        let body = lines.dropFirst().dropLast().joined()
        let session = try TLSSession(serialized: [UInt8](try #require(Data(base64Encoded: body))))
        #expect(session.serverName == "localhost")
        #expect(session.certificateVerified)

        let second = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--cafile", Self.ca, "--servername", "localhost",
             "--sess-in", file.path], stdin: "two\n")
        #expect(second.status == 0, "\(second)")
        #expect(second.stdout.contains("owt"))
        #expect(Self.summary(second.stderrLines).map(\.0) == Self.summaryKeys, "\(second)")
        let values = Self.values(second)
        #expect(values["resumed"] == "yes", "\(second)")
        #expect(values["signature"] == "none")
        // The session's certificate, checked again before the session was offered.
        #expect(values["peer"] == "O = swift-tls13 tests, CN = localhost")
        #expect(values["issuer"] == "O = swift-tls13 tests, CN = swift-tls13 Test Intermediate CA")
        #expect(values["expires"] == "2099-12-31T23:59:59Z")
        #expect(values["verified"] == "yes (resumed: the session's certificate, checked again now)")
    }

    @Test func getSavesAndResumesASession() async throws {
        let server = try OpenSSLServer(mode: ["-www"])
        defer { server.stop() }
        let file = Self.temporaryFile("session")
        defer { try? FileManager.default.removeItem(at: file) }
        let first = try await CLIProcess.run(
            ["get", "https://localhost:\(server.port)/", "--cafile", Self.ca, "--sess-out", file.path])
        #expect(first.status == 0, "\(first)")
        #expect(first.stdout.contains("New, TLSv1.3"), "\(first)")
        #expect(first.stderr.isEmpty, "\(first)")
        #expect(try String(contentsOf: file, encoding: .utf8).hasPrefix("-----BEGIN TLS13 SESSION-----\n"))

        let second = try await CLIProcess.run(
            ["get", "https://localhost:\(server.port)/", "--cafile", Self.ca, "--sess-in", file.path, "-v"])
        #expect(second.status == 0, "\(second)")
        #expect(second.stdout.contains("Reused, TLSv1.3"), "s_server's page says the session was reused: \(second)")
        #expect(Self.values(second)["resumed"] == "yes", "\(second)")
    }

    @Test func reconnectPrintsTwoSummariesAndReadsNoStdin() async throws {
        let server = try OpenSSLServer(mode: ["-rev"])
        defer { server.stop() }
        let result = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--cafile", Self.ca, "--servername", "localhost", "--reconnect"],
            stdin: "not sent\n")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.isEmpty, "stdin is not pumped with --reconnect: \(result)")
        let lines = result.stderrLines
        let first = try #require(lines.firstIndex(of: "--- connection 1"), "\(result)")
        let second = try #require(lines.firstIndex(of: "--- connection 2"), "\(result)")
        #expect(first == 0)
        let summary1 = Self.summary(Array(lines[(first + 1)..<second]))
        let summary2 = Self.summary(Array(lines[(second + 1)...]))
        #expect(summary1.map(\.0) == Self.summaryKeys, "\(result)")
        #expect(summary2.map(\.0) == Self.summaryKeys, "\(result)")
        #expect(summary1.first { $0.0 == "resumed" }?.1 == "no")
        #expect(summary2.first { $0.0 == "resumed" }?.1 == "yes")
        #expect(summary1.first { $0.0 == "verified" }?.1 == "yes")
        #expect(summary2.first { $0.0 == "peer" }?.1 == "O = swift-tls13 tests, CN = localhost")
    }

    @Test func noTicketIsReportedAndNothingIsWritten() async throws {
        let server = try OpenSSLServer(mode: ["-rev"], arguments: ["-num_tickets", "0"])
        defer { server.stop() }
        let file = Self.temporaryFile("session")
        defer { try? FileManager.default.removeItem(at: file) }
        let saved = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--cafile", Self.ca, "--servername", "localhost", "--quiet",
             "--sess-out", file.path, "--ticket-wait", "0.3"], stdin: "x\n")
        #expect(saved.status == 0, "\(saved)")
        #expect(saved.stderrLines == ["tls13: note: no session ticket arrived (waited 0.3 s); \(file.path) was not written"],
                "\(saved)")
        #expect(!FileManager.default.fileExists(atPath: file.path))

        let twice = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--cafile", Self.ca, "--servername", "localhost", "--reconnect",
             "--ticket-wait", "0.3"], stdin: "")
        #expect(twice.status == 0, "a second full handshake is not a failure: \(twice)")
        #expect(twice.stderrLines.contains(
            "tls13: note: no session ticket arrived within 0.3 s: connection 2 does a full handshake"), "\(twice)")
        #expect(twice.stderrLines.filter { $0.hasPrefix("resumed: ") } == ["resumed: no", "resumed: no"], "\(twice)")
    }

    @Test func sessionFileProblemsAreUsageErrors() async throws {
        // All refused before any connection is made (port 1 is never reached).
        let garbage = Self.temporaryFile("garbage")
        try Data("not a session\n".utf8).write(to: garbage)
        let corrupt = Self.temporaryFile("corrupt")
        try Data("-----BEGIN TLS13 SESSION-----\nAAAA\n-----END TLS13 SESSION-----\n".utf8).write(to: corrupt)
        let unverified = Self.temporaryFile("unverified")
        let session = TLSSession(
            ticket: [1, 2, 3], cipherSuite: .aes128GCMSHA256, lifetime: 7200, ageAdd: 0,
            receivedAtMilliseconds: Int64(Date().timeIntervalSince1970 * 1000), maxEarlyDataSize: 0,
            applicationProtocol: nil, serverName: "localhost", certificateVerification: .notVerified, peerCertificates: [],
            psk: SecretBytes([UInt8](repeating: 7, count: 32)))
        try Data(Self.armor(session.serialized()).utf8).write(to: unverified)
        defer {
            for file in [garbage, corrupt, unverified] { try? FileManager.default.removeItem(at: file) }
        }
        let cases: [([String], String)] = [
            (["--sess-in", "/nonexistent/session.pem"], "tls13: cannot read --sess-in file /nonexistent/session.pem"),
            (["--sess-in", garbage.path], "holds no -----BEGIN TLS13 SESSION----- block"),
            (["--sess-in", corrupt.path], "saved session is malformed"),
            (["--sess-in", unverified.path, "--servername", "other.example"],
             "was issued for 'localhost', not 'other.example'"),
            (["--sess-in", unverified.path, "--servername", "localhost"], "can only be resumed with --insecure"),
            (["--sess-out", "/nonexistent/dir/session.pem"], "cannot create a file in /nonexistent/dir"),
            (["--ticket-wait=-1"], "--ticket-wait must be"),
            (["--ticket-wait", "61"], "--ticket-wait must be"),
        ]
        for (arguments, message) in cases {
            let result = try await CLIProcess.run(["connect", "127.0.0.1:1", "--quiet"] + arguments, stdin: "")
            #expect(result.status == 2, "\(arguments): \(result)")
            #expect(result.stderr.contains(message), "\(arguments): \(result)")
        }
    }

    /// The armor as the CLI writes it (kept here so a test can write a session file without the CLI).
    static func armor(_ bytes: [UInt8]) -> String {
        "-----BEGIN TLS13 SESSION-----\n"
            + Data(bytes).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            + "\n-----END TLS13 SESSION-----\n"
    }

    // MARK: - --early-data

    @Test func earlyDataIsAccepted() async throws {
        // s_server's default mode prints what it reads (and -early_data cannot be combined with -rev or -www).
        let server = try OpenSSLServer(mode: [], arguments: ["-early_data"])
        defer { server.stop() }
        let session = try await Self.saveSession(from: server)
        defer { try? FileManager.default.removeItem(at: session) }
        let early = Self.temporaryFile("early")
        try Data("EARLY-HELLO-0RTT\n".utf8).write(to: early)
        defer { try? FileManager.default.removeItem(at: early) }

        let result = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--cafile", Self.ca, "--servername", "localhost",
             "--sess-in", session.path, "--early-data", early.path], stdin: "")
        #expect(result.status == 0, "\(result)")
        let values = Self.values(result)
        #expect(values["resumed"] == "yes", "\(result)")
        #expect(values["early data"] == "accepted", "\(result)")
        #expect(!result.stderr.contains("note:"), "\(result)")
        let seen = try await runBlocking {
            server.waitForOutput("EARLY-HELLO-0RTT") && server.waitForOutput("Early data received")
        }
        #expect(seen, "s_server printed the early data: \(server.output)")
    }

    @Test(arguments: [false, true])
    func earlyDataRejectedByAnotherServer(resend: Bool) async throws {
        // A ticket from one s_server process is unknown to another: full handshake, 0-RTT rejected.
        let issuer = try OpenSSLServer(mode: [], arguments: ["-early_data"])
        let session = try await Self.saveSession(from: issuer)
        defer { try? FileManager.default.removeItem(at: session) }
        issuer.stop()
        let other = try OpenSSLServer(mode: [], arguments: ["-early_data"])
        defer { other.stop() }
        let early = Self.temporaryFile("early")
        try Data("replay-me-\(resend)\n".utf8).write(to: early)
        defer { try? FileManager.default.removeItem(at: early) }

        let result = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(other.port)", "--cafile", Self.ca, "--servername", "localhost",
             "--sess-in", session.path, "--early-data", early.path] + (resend ? ["--resend-early-data"] : []),
            stdin: "")
        #expect(result.status == 0, "\(result)")
        let values = Self.values(result)
        #expect(values["resumed"] == "no", "\(result)")
        #expect(values["early data"] == "rejected", "\(result)")
        #expect(values["verified"] == "yes", "the fallback is a full, verified handshake")
        let note = "tls13: note: the server rejected the early data: it was not delivered "
            + "(--resend-early-data sends it after the handshake)"
        #expect(result.stderrLines.contains(note) == !resend, "\(result)")
        if resend {
            let seen = try await runBlocking { other.waitForOutput("replay-me-true") }
            #expect(seen, "resent after the handshake: \(other.output)")
        } else {
            #expect(!other.output.contains("replay-me"), "\(other.output)")
        }
    }

    @Test func earlyDataOptionsNeedTheirCompanions() async throws {
        let early = Self.temporaryFile("early")
        try Data("x".utf8).write(to: early)
        defer { try? FileManager.default.removeItem(at: early) }
        let cases: [([String], String)] = [
            (["--early-data", early.path], "--early-data needs --sess-in"),
            (["--resend-early-data"], "--resend-early-data needs --early-data"),
            (["--early-data", early.path, "--sess-in", early.path, "--reconnect"], "cannot be combined with --reconnect"),
        ]
        for (arguments, message) in cases {
            let result = try await CLIProcess.run(["connect", "127.0.0.1:1"] + arguments, stdin: "")
            #expect(result.status == 2, "\(arguments): \(result)")
            #expect(result.stderr.contains(message), "\(arguments): \(result)")
        }
    }

    // MARK: - --cert / --key

    @Test func clientCertificateIsVerifiedByTheServer() async throws {
        let server = try OpenSSLServer(mode: ["-rev"], arguments: ["-Verify", "2", "-CAfile", Self.ca])
        defer { server.stop() }
        let result = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--cafile", Self.ca, "--servername", "localhost"]
                + Self.client("ecdsa-p256"), stdin: "mtls\n")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("sltm"), "\(result)")
        #expect(Self.summary(result.stderrLines).map(\.0) == Self.summaryKeys, "\(result)")
        #expect(Self.values(result)["client certificate"] == "sent", "\(result)")
        let seen = try await runBlocking {
            server.waitForOutput("Verification: OK")
                && server.waitForOutput("CN = swift-tls13 test client (ecdsa-p256)")
        }
        #expect(seen, "s_server verified the client certificate: \(server.output)")
    }

    @Test func missingClientCertificateIsCertificateRequired() async throws {
        let server = try OpenSSLServer(mode: ["-rev"], arguments: ["-Verify", "2", "-CAfile", Self.ca])
        defer { server.stop() }
        // stdin stays open: the client writes nothing after its Finished, so the server's alert is read cleanly.
        let result = try await runBlocking {
            let cli = try CLIProcess(
                ["connect", "127.0.0.1:\(server.port)", "--cafile", Self.ca, "--servername", "localhost"],
                keepStdinOpen: true)
            return try cli.wait(timeout: 10)
        }
        #expect(result.status == 1, "\(result)")
        #expect(Self.values(result)["client certificate"] == "not sent", "\(result)")
        // The alert, then what it means for this command (ErrorExplanation), on the same line.
        #expect(result.stderrLines.last
            == "tls13: peer sent fatal alert certificate_required (116): "
            + "the server requires a client certificate (--cert and --key)", "\(result)")
    }

    @Test func certificateAndKeyOptionsGoTogether() async throws {
        let cases: [([String], String)] = [
            (["--cert", CertPaths.path("client-ecdsa-p256-chain.pem")], "--cert needs --key"),
            (["--key", CertPaths.path("client-ecdsa-p256.key")], "--key needs --cert"),
            (["--cert", CertPaths.path("client-ecdsa-p256-chain.pem"), "--key", CertPaths.path("client-rsa2048.key")],
             "does not match the certificate"),
            (["--cert", "/nonexistent.pem", "--key", CertPaths.path("client-rsa2048.key")], "/nonexistent.pem"),
        ]
        for (arguments, message) in cases {
            let result = try await CLIProcess.run(["connect", "127.0.0.1:1"] + arguments, stdin: "")
            #expect(result.status == 2, "\(arguments): \(result)")
            #expect(result.stderr.contains(message), "\(arguments): \(result)")
        }
    }

    @Test func helpDocumentsTheSessionOptions() async throws {
        let connect = try await CLIProcess.run(["connect", "--help"])
        #expect(connect.status == 0, "\(connect)")
        let text = connect.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for option in ["--sess-out", "--sess-in", "--ticket-wait", "--reconnect", "--early-data", "--resend-early-data",
                       "--cert", "--key"] {
            #expect(text.contains(option), "\(option)")
        }
        #expect(text.contains("default 1"), "the ticket wait is stated")
        #expect(text.contains("mode 0600"))
        #expect(text.contains("can be replayed"))
        #expect(text.contains("client certificate"))
        let get = try await CLIProcess.run(["get", "--help"])
        for option in ["--sess-out", "--sess-in", "--ticket-wait", "--cert", "--key"] {
            #expect(get.stdout.contains(option), "get \(option)")
        }
        #expect(!get.stdout.contains("--early-data <file>"), "0-RTT is a connect option")
    }
}
