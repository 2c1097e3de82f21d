import Foundation
import Testing
@testable import TLS13

/// The built `tls13` executable against real `openssl s_server` processes on loopback.
///
/// Serialized: each test runs two processes (s_server and tls13) on a two-core machine, and the timeout test
/// must not be starved.
@Suite(.serialized) struct CLITests {
    static let ca = CertPaths.path("ca.pem")
    static let summaryKeys = [
        "protocol", "cipher", "group", "signature", "ALPN", "resumed", "early data", "peer", "issuer", "expires",
        "verified", "client certificate", "OCSP", "certificate compression", "ECH", "tcp connect", "tls handshake",
    ]

    /// The summary as (key, value) pairs, in order; fails the test unless every line is `key: value`.
    static func summary(_ lines: [String]) -> [(String, String)] {
        lines.compactMap { line in
            guard let range = line.range(of: ": ") else {
                Issue.record("summary line without ': ': \(line)")
                return nil
            }
            return (String(line[..<range.lowerBound]), String(line[range.upperBound...]))
        }
    }

    static func isMilliseconds(_ value: String) -> Bool {
        guard value.hasSuffix(" ms"), let number = Double(value.dropLast(3)) else { return false }
        return number >= 0 && number < 60_000
    }

    // MARK: - connect

    @Test func connectReverseEchoAndSummary() async throws {
        let server = try OpenSSLServer(mode: ["-rev"])
        defer { server.stop() }
        let result = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--cafile", Self.ca, "--servername", "localhost"],
            stdin: "hello\n")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("olleh"), "\(result)")
        let summary = Self.summary(result.stderrLines)
        #expect(summary.map(\.0) == Self.summaryKeys, "\(result)")
        let values = Dictionary(summary, uniquingKeysWith: { a, _ in a })
        #expect(values["protocol"] == "TLSv1.3")
        #expect(values["cipher"] == "TLS_AES_128_GCM_SHA256")
        #expect(values["group"] == "X25519")
        #expect(values["signature"] == "ecdsa_secp256r1_sha256")
        #expect(values["ALPN"] == "none")
        #expect(values["resumed"] == "no")
        #expect(values["early data"] == "not sent")
        #expect(values["peer"]?.contains("CN = localhost") == true)
        #expect(values["issuer"]?.contains("swift-tls13 Test Intermediate CA") == true)
        #expect(values["expires"] == "2099-12-31T23:59:59Z")
        #expect(values["verified"] == "yes")
        #expect(values["client certificate"] == "not requested")
        #expect(values["tcp connect"].map(Self.isMilliseconds) == true, "\(values["tcp connect"] ?? "")")
        #expect(values["tls handshake"].map(Self.isMilliseconds) == true, "\(values["tls handshake"] ?? "")")
    }

    @Test func connectWithGroupsCiphersAndALPN() async throws {
        let server = try OpenSSLServer(mode: ["-rev"], arguments: ["-alpn", "http/1.1"])
        defer { server.stop() }
        // P-384 first: its key share is the one sent; ChaCha20 is the only suite offered.
        let result = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--cafile", Self.ca, "--servername", "localhost",
             "--groups", "P-384,x25519", "--ciphers", "TLS_CHACHA20_POLY1305_SHA256", "--alpn", "h2,http/1.1"],
            stdin: "abc\n")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("cba"))
        #expect(result.stderrLines.contains("group: P-384"), "\(result)")
        #expect(result.stderrLines.contains("cipher: TLS_CHACHA20_POLY1305_SHA256"), "\(result)")
        #expect(result.stderrLines.contains("ALPN: http/1.1"), "\(result)")
    }

    @Test func connectQuietOverIPv6() async throws {
        let server = try OpenSSLServer(mode: ["-rev"], ipv6: true)
        defer { server.stop() }
        // No --servername: the certificate is checked against the IP address ::1 (it has IP:::1).
        let result = try await CLIProcess.run(
            ["connect", "[::1]:\(server.port)", "--cafile", Self.ca, "--quiet"], stdin: "ipv6\n")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("6vpi"))
        #expect(result.stderr.isEmpty, "\(result)")
    }

    @Test(arguments: [
        ("leaf-expired", "intermediate.pem", "certificate_expired, 45"),
        ("leaf-not-yet-valid", "intermediate.pem", "certificate_expired, 45"),
        ("leaf-wrong-host", "intermediate.pem", "bad_certificate, 42"),
        ("leaf-self-signed", nil, "unknown_ca, 48"),
        ("leaf-unknown-ca", "unknown-ca-intermediate.pem", "unknown_ca, 48"),
    ] as [(String, String?, String)])
    func badCertificateExitsOneWithTheAlert(leaf: String, chain: String?, alert: String) async throws {
        let server = try OpenSSLServer(leaf: leaf, chain: chain, mode: ["-rev"])
        defer { server.stop() }
        let result = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--cafile", Self.ca, "--servername", "localhost"],
            stdin: "hello\n")
        #expect(result.status == 1, "\(result)")
        #expect(result.stderrLines.count == 1, "\(result)")
        let line = result.stderrLines.first ?? ""
        #expect(line.hasPrefix("tls13: certificate verify failed: "), "\(line)")
        // The alert, then a hint for what to check (ErrorExplanation), still one line.
        #expect(line.contains("(alert \(alert)): "), "\(line)")
        #expect(!line.hasSuffix("(alert \(alert)): "), "\(line)")
        #expect(result.stdout.isEmpty)
    }

    @Test func insecureAcceptsSelfSigned() async throws {
        let server = try OpenSSLServer(leaf: "leaf-self-signed", chain: nil, mode: ["-rev"])
        defer { server.stop() }
        let result = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--insecure"], stdin: "hello\n")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("olleh"))
        #expect(result.stderrLines.contains("verified: no (--insecure)"), "\(result)")
    }

    @Test func pinnedPublicKeys() async throws {
        let server = try OpenSSLServer(mode: ["-rev"])
        defer { server.stop() }
        let leafPin = try TLSPublicKeyPin(certificate: try PEM.certificates(fromFile: CertPaths.path("leaf-ecdsa-p256.pem"))[0].der)
        let otherPin = try TLSPublicKeyPin(certificate: try PEM.certificates(fromFile: CertPaths.path("leaf-rsa2048.pem"))[0].der)
        let base = ["connect", "127.0.0.1:\(server.port)", "--cafile", Self.ca, "--servername", "localhost"]
        // One of the pins is the server's key: accepted.
        let matching = try await CLIProcess.run(
            base + ["--pin-sha256", otherPin.base64, "--pin-sha256", leafPin.base64], stdin: "hello\n")
        #expect(matching.status == 0, "\(matching)")
        #expect(matching.stdout.contains("olleh"), "\(matching)")
        // None is: bad_certificate, exit 1.
        let wrong = try await CLIProcess.run(base + ["--pin-sha256", otherPin.base64], stdin: "hello\n")
        #expect(wrong.status == 1, "\(wrong)")
        #expect(wrong.stderr.contains("pinned public key") && wrong.stderr.contains("bad_certificate"), "\(wrong)")
        // Usage errors: with --insecure, or not a pin.
        let insecure = try await CLIProcess.run(base + ["--insecure", "--pin-sha256", leafPin.base64])
        #expect(insecure.status == 2, "\(insecure)")
        let garbage = try await CLIProcess.run(base + ["--pin-sha256", "not-a-pin"])
        #expect(garbage.status == 2, "\(garbage)")
    }

    @Test func serverVanishingWithoutCloseNotifyIsTruncation() async throws {
        let server = try OpenSSLServer(mode: ["-rev"])
        let result = try await runBlocking {
            let cli = try CLIProcess(
                ["connect", "127.0.0.1:\(server.port)", "--cafile", Self.ca, "--servername", "localhost"],
                stdin: "hello\n", keepStdinOpen: true)
            guard cli.waitForStderr(containing: "tls handshake:", timeout: 10) else {
                throw VectorError(description: "no handshake: \(cli.stderrSoFar)")
            }
            usleep(200_000)  // let "olleh" arrive
            server.stop()  // SIGKILL: the kernel closes the TCP connection, no close_notify is sent
            return try cli.wait(timeout: 10)
        }
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("olleh"))
        #expect(result.stderrLines.last == "tls13: connection closed by peer without close_notify (data may be truncated)",
                "\(result)")
    }

    @Test func connectionRefusedExitsThree() async throws {
        // A bound socket that does not listen answers SYN with RST.
        let closed = try LoopbackListener(listen: false)
        let result = try await CLIProcess.run(["connect", "127.0.0.1:\(closed.port)", "--quiet"], stdin: "")
        withExtendedLifetime(closed) {}
        #expect(result.status == 3, "\(result)")
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("tls13: connect failed"), "\(result)")
        #expect(result.stderr.contains("refused"), "\(result)")
    }

    @Test func silentServerTimesOutWithFour() async throws {
        // Listening, never accepting: TCP connects, the ClientHello is never answered.
        let silent = try LoopbackListener()
        let start = Date()
        let result = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(silent.port)", "--timeout", "0.5", "--quiet"], stdin: "")
        withExtendedLifetime(silent) {}
        #expect(result.status == 4, "\(result)")
        #expect(result.stderr.hasPrefix("tls13: timed out: "), "\(result)")
        #expect(Date().timeIntervalSince(start) < 8)
    }

    @Test func unknownGroupIsAUsageError() async throws {
        let result = try await CLIProcess.run(["connect", "127.0.0.1:1", "--groups", "x25519,curve9999"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("unknown group 'curve9999'"), "\(result)")
        let cipher = try await CLIProcess.run(["connect", "127.0.0.1:1", "--ciphers", "RC4-MD5"])
        #expect(cipher.status == 2, "\(cipher)")
        #expect(cipher.stderr.contains("unknown TLS 1.3 cipher suite 'RC4-MD5'"), "\(cipher)")
        let option = try await CLIProcess.run(["connect", "127.0.0.1:1", "--no-such-option"])
        #expect(option.status == 2, "\(option)")
    }

    @Test func unimplementedGroupGivesTheLibrarysMessage() async throws {
        // Refused by the configuration check before any connection is tried (port 1 is never reached).
        let result = try await CLIProcess.run(["connect", "127.0.0.1:1", "--groups", "ffdhe8192"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderrLines == ["tls13: invalid configuration: group ffdhe8192 is not supported yet"], "\(result)")
    }

    @Test func badAddressIsAUsageError() async throws {
        let result = try await CLIProcess.run(["connect", "localhost:99999"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.hasPrefix("tls13: address failed: "), "\(result)")
    }

    // MARK: - get

    @Test func getPrintsTheWWWPage() async throws {
        let server = try OpenSSLServer(mode: ["-www"])
        defer { server.stop() }
        let result = try await CLIProcess.run(["get", "https://localhost:\(server.port)/", "--cafile", Self.ca])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasPrefix("<HTML>"), "\(result)")
        #expect(result.stdout.contains("Ciphers supported in s_server binary"))
        #expect(result.stdout.contains("New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256"))
        #expect(result.stdout.contains("</HTML>"))
        #expect(result.stderr.isEmpty, "\(result)")
    }

    @Test func getIncludeVerboseAndOutputFile() async throws {
        let server = try OpenSSLServer(mode: ["-www"])
        defer { server.stop() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tls13-get-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await CLIProcess.run(
            ["get", "https://127.0.0.1:\(server.port)/", "--cafile", Self.ca, "-i", "-v", "-o", file.path])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n", "\(result)")
        #expect(Self.summary(result.stderrLines).map(\.0) == Self.summaryKeys, "\(result)")
        let body = try String(contentsOf: file, encoding: .utf8)
        #expect(body.hasPrefix("<HTML>"))
        #expect(body.contains("</HTML>"))
    }

    @Test func getNon2xxWritesTheBodyAndExits22() async throws {
        // s_server without -www/-rev sends its stdin to the client: a canned chunked 404 with a trailer.
        let server = try OpenSSLServer(mode: [])
        defer { server.stop() }
        server.send("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;ext=1\r\nnot f\r\n6\r\nound\r\n\r\n0\r\nX-Trailer: yes\r\n\r\n")
        let result = try await CLIProcess.run(
            ["get", "https://localhost:\(server.port)/missing", "--cafile", Self.ca, "-H", "X-Test: 1"])
        #expect(result.status == 22, "\(result)")
        #expect(result.stdout == "not found\r\n", "\(result)")
        #expect(result.stderrLines == ["tls13: HTTP 404 Not Found"], "\(result)")
        // The request as the server saw it (its output is collected asynchronously: wait for it).
        let seen = try await runBlocking { () -> String in
            let deadline = Date().addingTimeInterval(5)
            while !server.output.contains("X-Test: 1"), Date() < deadline { usleep(20_000) }
            return server.output
        }
        #expect(seen.contains("GET /missing HTTP/1.1\r\nHost: localhost:\(server.port)\r\n"), "\(seen)")
        #expect(seen.contains("Connection: close\r\n"))
        #expect(seen.contains("User-Agent: tls13/"))
        #expect(seen.contains("X-Test: 1\r\n"))
    }

    @Test func getRejectsPlainHTTP() async throws {
        let result = try await CLIProcess.run(["get", "http://localhost/"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("only https:// URLs are supported"), "\(result)")
    }

    @Test func getExpiredCertificate() async throws {
        let server = try OpenSSLServer(leaf: "leaf-expired", mode: ["-www"])
        defer { server.stop() }
        let result = try await CLIProcess.run(["get", "https://localhost:\(server.port)/", "--cafile", Self.ca])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("(alert certificate_expired, 45)"), "\(result)")
    }

    // MARK: - demo and help

    @Test func demoRunsEndToEnd() async throws {
        // From a directory without Certs/: the demo finds the PKI next to the executable's package.
        let result = try await CLIProcess.run(["demo"], timeout: 30,
                                              currentDirectory: FileManager.default.temporaryDirectory)
        #expect(result.status == 0, "\(result)")
        // The trace of one connection, then the GET, then what the user just saw.
        for step in ["tls13 trace 127.0.0.1:", "TCP ESTABLISHED", "ClientHello", "ServerHello", "Certificate", "Finished",
                     "close_notify", "tls handshake:", "TLSv1.3, TLS_AES_128_GCM_SHA256"] {
            #expect(result.stdout.contains(step), "\(step): \(result)")
        }
        #expect(result.stdout.contains("HTTP/1.0 200 ok"))
        #expect(result.stdout.contains("What you saw:"))
        #expect(result.stdout.contains("demo OK"))
    }

    @Test func helpDocumentsExitCodes() async throws {
        for command in [["--help"], ["connect", "--help"], ["get", "--help"]] {
            let result = try await CLIProcess.run(command)
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("Exit status:"), "\(command)")
            #expect(result.stdout.contains("22  get only"), "\(command)")
        }
    }
}
