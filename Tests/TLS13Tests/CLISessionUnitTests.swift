import Foundation
import Testing
@testable import TLS13
@testable import TLS13CLI

/// The pure parts of the CLI's session, early-data and summary handling.
@Suite struct CLISessionUnitTests {
    static func session(maxEarlyData: UInt32 = 16384, alpn: String? = nil, suite: CipherSuite = .aes128GCMSHA256,
                        receivedAt: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) -> TLSSession {
        TLSSession(
            ticket: Array(repeating: 0xA5, count: 100), cipherSuite: suite, lifetime: 7200, ageAdd: 42,
            receivedAtMilliseconds: receivedAt, maxEarlyDataSize: maxEarlyData, applicationProtocol: alpn,
            serverName: "localhost", certificateVerification: .verified,
            peerCertificates: [Array(repeating: 0x30, count: 300)],
            psk: SecretBytes(Array(repeating: 1, count: suite == .aes256GCMSHA384 ? 48 : 32)))
    }

    @Test func armorRoundTrip() throws {
        let bytes = Self.session().serialized()
        let text = SessionFile.armor(bytes)
        let lines = text.split(separator: "\n")
        #expect(lines.first == "-----BEGIN TLS13 SESSION-----")
        #expect(lines.last == "-----END TLS13 SESSION-----")
        #expect(lines.count > 3, "a 200-byte session spans several 64-character lines")
        #expect(lines.dropFirst().dropLast().allSatisfy { $0.count <= 64 })
        #expect(text.hasSuffix("\n"))
        #expect(SessionFile.dearmor(text) == bytes)
        // Surrounding text, CRLF line ends and indentation are tolerated.
        let noisy = "saved by tls13\r\n" + text.replacingOccurrences(of: "\n", with: "\r\n  ") + "trailer\n"
        #expect(SessionFile.dearmor(noisy) == bytes)
    }

    @Test(arguments: [
        "",
        "no armor at all",
        "-----BEGIN TLS13 SESSION-----\nAAAA\n",
        "-----BEGIN TLS13 SESSION-----\n-----END TLS13 SESSION-----\n",
        "-----BEGIN TLS13 SESSION-----\n!!!!\n-----END TLS13 SESSION-----\n",
        "-----END TLS13 SESSION-----\nAAAA\n-----BEGIN TLS13 SESSION-----\n",
    ])
    func dearmorRejects(text: String) {
        #expect(SessionFile.dearmor(text) == nil)
    }

    @Test func writeReplacesAFileWithMode0600() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls13-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("s.pem")
        #expect(FileManager.default.createFile(atPath: file.path, contents: Data("old".utf8),
                                                attributes: [.posixPermissions: 0o666]))
        let session = Self.session()
        try SessionFile.write(session, to: file.path)
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        #expect(try SessionFile.read(file.path) == session)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["s.pem"], "no temporary file left")
        #expect(SessionFile.directory(of: "s.pem") == ".")
        #expect(SessionFile.directory(of: "/s.pem") == "/")
        #expect(SessionFile.directory(of: "a/b/s.pem") == "a/b")
    }

    @Test(arguments: [
        ("localhost", "localhost"), ("localhost:4433", "localhost"), ("127.0.0.1:4433", "127.0.0.1"),
        ("[::1]:4433", "::1"), ("[::1]", "::1"), ("::1", "::1"), ("example.com", "example.com"),
    ])
    func hostOfAddress(address: String, host: String) {
        #expect(ConnectCommand.host(of: address) == host)
    }

    @Test func earlyDataObstacles() {
        var config = TLSClientConfiguration()
        #expect(EarlyDataCheck.obstacle(session: Self.session(), size: 100, configuration: config) == nil)
        #expect(EarlyDataCheck.obstacle(session: nil, size: 1, configuration: config)?.contains("no usable session") == true)
        #expect(EarlyDataCheck.obstacle(session: Self.session(maxEarlyData: 0), size: 1, configuration: config)?
            .contains("does not allow 0-RTT") == true)
        // Larger than the ticket allows: the rest follows the handshake, so nothing prevents 0-RTT.
        #expect(EarlyDataCheck.obstacle(session: Self.session(maxEarlyData: 10), size: 11, configuration: config) == nil)
        #expect(EarlyDataCheck.obstacle(session: Self.session(alpn: "h2"), size: 1, configuration: config)?
            .contains("'h2'") == true)
        config.applicationProtocols = ["h2"]
        #expect(EarlyDataCheck.obstacle(session: Self.session(alpn: "h2"), size: 1, configuration: config) == nil)
        config.cipherSuites = [.aes256GCMSHA384]
        #expect(EarlyDataCheck.obstacle(session: Self.session(alpn: "h2"), size: 1, configuration: config)?
            .contains("not offered (--ciphers)") == true)
    }

    @Test func resumedSummary() {
        var info = TLSSessionInfo()
        info.cipherSuite = .aes128GCMSHA256
        info.group = .x25519
        info.resumed = true
        info.earlyData = .accepted
        info.clientCertificateSent = false
        let lines = SessionSummary.lines(info: info, certificate: nil, verificationRequested: true,
                                         tcpConnect: .milliseconds(1), handshake: .milliseconds(2))
        #expect(lines == [
            "protocol: TLSv1.3", "cipher: TLS_AES_128_GCM_SHA256", "group: X25519", "signature: none", "ALPN: none",
            "resumed: yes", "early data: accepted", "peer: (resumed, no certificate)",
            "issuer: (resumed, no certificate)", "expires: (resumed, no certificate)",
            "verified: no", "client certificate: not requested",
            "OCSP: not requested", "certificate compression: none", "ECH: not offered", "tcp connect: 1.0 ms", "tls handshake: 2.0 ms",
        ])
        info.certificateVerified = true
        #expect(SessionSummary.lines(info: info, certificate: nil, verificationRequested: true, tcpConnect: .zero,
                                     handshake: .zero).contains("verified: yes (resumed: the session's certificate, checked again now)"))
        info.certificateVerified = false
        info.resumed = false
        info.earlyData = .rejected
        info.clientCertificateSent = true
        let full = SessionSummary.lines(info: info, certificate: nil, verificationRequested: true,
                                        tcpConnect: .zero, handshake: .zero)
        #expect(full.contains("early data: rejected"))
        #expect(full.contains("peer: none"))
        #expect(full.contains("verified: no"))
        #expect(full.contains("client certificate: sent"))
        info.resumed = true
        let insecure = SessionSummary.lines(info: info, certificate: nil, verificationRequested: false,
                                            tcpConnect: .zero, handshake: .zero)
        #expect(insecure.contains("verified: no (--insecure)"))
    }
}
