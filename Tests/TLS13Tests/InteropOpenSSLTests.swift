import Foundation
import Testing
@testable import TLS13

/// The library against real `openssl s_server` processes on loopback: what gets negotiated, and data.
/// Failures are in ``InteropOpenSSLFailureTests``, post-handshake messages in ``InteropOpenSSLPostHandshakeTests``.
/// Docs/Interop.md lists every scenario.
@Suite(.serialized) struct InteropOpenSSLTests {
    static func config() -> TLSClientConfiguration { Interop.config() }

    @Test func handshakeAndReverseEcho() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let reply = try await runBlocking {
            let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: Self.config())
            defer { conn.close() }
            try conn.write(Array("hello\n".utf8))
            var got: [UInt8] = []
            while !got.contains(UInt8(ascii: "\n")) {
                let chunk = try conn.read()
                if chunk.isEmpty { break }
                got += chunk
            }
            return (String(decoding: got, as: UTF8.self), conn.sessionInfo)
        }
        #expect(reply.0 == "olleh\n")
        #expect(reply.1.cipherSuite == .aes128GCMSHA256)
        #expect(reply.1.group == .x25519)
        #expect(reply.1.signatureScheme == .ecdsaSecp256r1SHA256)
        #expect(reply.1.certificateVerified)
    }

    // MARK: - Cipher suites

    static let suites: [CipherSuite] = [.aes128GCMSHA256, .aes256GCMSHA384, .chacha20Poly1305SHA256]

    /// The server allows one suite (`-ciphersuites NAME`); the client offers all three and must end up with it,
    /// and the server must report the same suite.
    @Test(arguments: suites) func cipherSuite(_ suite: CipherSuite) async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-ciphersuites", suite.description])
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server) }
        #expect(info.cipherSuite == suite)
        #expect(info.protocolVersion == .tls13)
        // `-rev` prints a summary per connection: "Ciphersuite: NAME".
        try await Interop.expectServerPrinted(server, "Ciphersuite: \(suite.description)\n")
    }

    /// The client offers only one suite, the server allows all: the server must take it.
    @Test(arguments: suites) func cipherSuiteChosenByClientOffer(_ suite: CipherSuite) async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let info = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config { $0.cipherSuites = [suite] })
        }
        #expect(info.cipherSuite == suite)
    }

    // MARK: - Groups and HelloRetryRequest

    static let groups: [(NamedGroup, String)] = [(.x25519, "X25519"), (.secp256r1, "P-256"), (.secp384r1, "P-384")]

    /// `-groups NAME` on the server; the client's default key shares are X25519MLKEM768 and x25519, so P-256 and P-384 need a
    /// HelloRetryRequest.
    @Test(arguments: groups) func groupWithDefaultKeyShare(_ group: NamedGroup, _ opensslName: String) async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-groups", opensslName])
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server) }
        #expect(info.group == group)
        #expect(info.usedHelloRetryRequest == (group != .x25519))
    }

    /// The same with the client sending a key share for exactly that group: never a HelloRetryRequest.
    @Test(arguments: groups) func groupWithMatchingKeyShare(_ group: NamedGroup, _ opensslName: String) async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-groups", opensslName])
        defer { server.stop() }
        let info = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config { $0.keyShareGroups = [group] })
        }
        #expect(info.group == group)
        #expect(!info.usedHelloRetryRequest)
    }

    /// Key shares for both P-256 and x25519 against a server that prefers P-384 then P-256: no retry, P-256.
    @Test func serverPicksAmongSeveralKeyShares() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-groups", "P-384:P-256"])
        defer { server.stop() }
        let info = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config { $0.keyShareGroups = [.x25519, .secp256r1] })
        }
        #expect(info.group == .secp256r1)
        #expect(!info.usedHelloRetryRequest)
    }

    // MARK: - Server certificate key types

    static let leaves: [(String, SignatureScheme)] = [
        ("leaf-ecdsa-p256", .ecdsaSecp256r1SHA256),
        ("leaf-ecdsa-p384", .ecdsaSecp384r1SHA384),
        ("leaf-rsa2048", .rsaPSSRSAESHA256),
        ("leaf-ed25519", .ed25519),
    ]

    /// Each good leaf (with the intermediate) verifies, and its CertificateVerify uses the expected scheme.
    @Test(arguments: leaves) func leafKeyType(_ leaf: String, _ scheme: SignatureScheme) async throws {
        let server = try await OpenSSLServer.start(leaf: leaf, mode: ["-rev"])
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server) }
        #expect(info.signatureScheme == scheme)
        #expect(info.certificateVerified)
        #expect(info.peerCertificates.count == 2)  // leaf + intermediate
        let expectedLeaf = try PEM.certificates(fromFile: CertPaths.path("\(leaf).pem"))
        #expect(info.peerCertificates.first == expectedLeaf.first?.der)
    }

    // MARK: - Data

    /// One byte there and back: `-rev` answers a bare `\n` with `\n`.
    @Test func oneByteRoundTrip() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let reply = try await runBlocking {
            let conn = try Interop.connect(server)
            defer { conn.close() }
            try conn.write([UInt8(ascii: "\n")])
            return try Interop.read(conn, count: 1)
        }
        #expect(reply == [UInt8(ascii: "\n")])
    }

    /// 1 MiB there and back through `-rev`, written on one thread while another reads: 1024 lines of 1023
    /// letters + `\n`, each coming back reversed. Exercises many full-size records both ways.
    @Test func oneMebibyteRoundTrip() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        // Line i: 1023 letters starting at a different point of the alphabet, so every line differs from its
        // neighbours and from its own reversal. (Slices and appends: element-wise generics are slow in debug.)
        let letters = Array([[UInt8]](repeating: Array("abcdefghijklmnopqrstuvwxyz".utf8), count: 41).joined())
        let reversedLetters = Array(letters.reversed())
        var payload: [UInt8] = []
        var expected: [UInt8] = []
        payload.reserveCapacity(1 << 20)
        expected.reserveCapacity(1 << 20)
        for i in 0..<1024 {
            let shift = (i * 7) % 26
            payload.append(contentsOf: letters[shift..<(shift + 1023)])
            payload.append(UInt8(ascii: "\n"))
            // reversed(letters[shift ..< shift+1023]) == reversedLetters[(n - shift - 1023) ..< (n - shift)]
            let end = reversedLetters.count - shift
            expected.append(contentsOf: reversedLetters[(end - 1023)..<end])
            expected.append(UInt8(ascii: "\n"))
        }
        #expect(payload.count == 1 << 20)
        let conn = try await runBlocking { try Interop.connect(server) }
        let toSend = payload
        let outcome: Result<[UInt8], any Error>
        do {
            async let written: Void = runBlocking { try conn.write(toSend) }
            let received = try await runBlocking { try Interop.read(conn, count: 1 << 20) }
            try await written
            outcome = .success(received)
        } catch {
            outcome = .failure(error)
        }
        try await runBlocking { conn.close() }
        let received = try outcome.get()
        #expect(received.count == expected.count)
        #expect(received == expected)
    }

    /// `-www`: one GET, the status page, then close_notify: `read()` returns `[]` (a clean end, not `.truncated`).
    @Test func wwwPageAndCleanClose() async throws {
        let server = try await OpenSSLServer.start(mode: ["-www"])
        defer { server.stop() }
        let (page, info, afterEnd) = try await runBlocking {
            let conn = try Interop.connect(server)
            defer { conn.close() }
            try conn.write(Array("GET / HTTP/1.0\r\n\r\n".utf8))
            let page = try Interop.readToEnd(conn)
            let again = try conn.read()  // still the clean end
            return (String(decoding: page, as: UTF8.self), conn.sessionInfo, again)
        }
        #expect(page.hasPrefix("HTTP/1.0 200 ok\r\n"))
        #expect(page.contains("New, TLSv1.3, Cipher is \(info.cipherSuite.description)"))
        #expect(page.contains("Protocol  : TLSv1.3"))
        #expect(page.hasSuffix("</pre></BODY></HTML>\r\n\r\n"))
        #expect(afterEnd == [])
    }

    // MARK: - IPv6

    /// The server on `[::1]:0`, the client connecting to `::1` and naming `localhost`.
    @Test func ipv6Loopback() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], ipv6: true)
        defer { server.stop() }
        #expect(server.host == "::1")
        let (info, remote) = try await runBlocking {
            let conn = try TLSConnection.connect(host: "::1", port: server.port, configuration: Interop.config())
            defer { conn.close() }
            try conn.write(Array("v6\n".utf8))
            let reply = try Interop.readLine(conn)
            guard reply == Array("6v\n".utf8) else { throw VectorError(description: "bad reply \(reply)") }
            return (conn.sessionInfo, conn.remoteAddress)
        }
        #expect(remote == "[::1]:\(server.port)")
        #expect(info.certificateVerified)
    }

    /// Connecting to `::1` by address only (no serverName): the certificate's `IP:::1` SAN must match.
    @Test func ipv6LiteralVerifiedAgainstIPAddressSAN() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], ipv6: true)
        defer { server.stop() }
        let info = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config { $0.serverName = nil })
        }
        #expect(info.certificateVerified)
    }

    // MARK: - ALPN

    /// `-alpn http/1.1`, client offers `h2, http/1.1`: the server picks http/1.1.
    @Test func alpnNegotiated() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-alpn", "http/1.1"])
        defer { server.stop() }
        let info = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config { $0.applicationProtocols = ["h2", "http/1.1"] })
        }
        #expect(info.applicationProtocol == "http/1.1")
    }

    /// No ALPN offered by the client: none selected even though the server has `-alpn`.
    @Test func alpnNotOffered() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-alpn", "h2"])
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server) }
        #expect(info.applicationProtocol == nil)
    }

    // MARK: - Signature schemes the server picks

    /// The RSA leaf with `-sigalgs` restricted to one RSA-PSS scheme: the client accepts each.
    @Test(arguments: [
        ("rsa_pss_rsae_sha256", SignatureScheme.rsaPSSRSAESHA256),
        ("rsa_pss_rsae_sha384", .rsaPSSRSAESHA384),
        ("rsa_pss_rsae_sha512", .rsaPSSRSAESHA512),
    ])
    func rsaPSSSchemeChosenByServer(_ opensslName: String, _ scheme: SignatureScheme) async throws {
        let server = try await OpenSSLServer.start(leaf: "leaf-rsa2048", mode: ["-rev"], arguments: ["-sigalgs", opensslName])
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server) }
        #expect(info.signatureScheme == scheme)
        #expect(info.certificateVerified)
    }

    /// The client offering only rsa_pss_rsae_sha512 for CertificateVerify: the server must use it.
    @Test func rsaPSSSchemeChosenByClientOffer() async throws {
        let server = try await OpenSSLServer.start(leaf: "leaf-rsa2048", mode: ["-rev"])
        defer { server.stop() }
        let info = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config { $0.signatureAlgorithms = [.rsaPSSRSAESHA512] })
        }
        #expect(info.signatureScheme == .rsaPSSRSAESHA512)
    }

    // MARK: - HelloRetryRequest with a cookie

    /// `-stateless` (default mode only) makes s_server answer the first ClientHello with a HelloRetryRequest
    /// carrying a cookie, through `SSL_stateless()`. Our client always uses middlebox compatibility mode and sends
    /// its ChangeCipherSpec right before the second ClientHello (RFC 8446 §D.4 allows that or before the
    /// second flight). s_server 3.0 cannot take a CCS there: `SSL_stateless()` starts over from a clean state,
    /// libssl reports the CCS as "not yet", and s_server treats that as fatal (`ERROR`) and drops the TCP
    /// connection without an alert. OpenSSL's own `s_client` fails the same way unless run with `-no_middlebox`.
    /// So this asserts the real outcome: the HRR with a cookie arrives, the CCS goes out, the server hangs up.
    @Test func statelessServerDropsCompatibilityCCS() async throws {
        let server = try await OpenSSLServer.start(mode: [], arguments: ["-stateless", "-msg"])
        defer { server.stop() }
        let error = try await runBlocking { Interop.connectError(server) }
        guard case .network(step: .read, _) = error else {
            Issue.record("expected the server to hang up during the handshake, got \(String(describing: error))")
            return
        }
        // The HRR (a ServerHello record) and s_server's own CCS, then "DELAY" (waiting for the second
        // ClientHello), then our CCS record and "ERROR".
        try await Interop.expectServerPrinted(
            server, ">>> TLS 1.3, ChangeCipherSpec [length 0001]\n    01\nDELAY\n"
                + "<<< TLS 1.2, RecordHeader [length 0005]\n    14 03 03 00 01\nERROR\n")
    }

    // MARK: - Cipher suite preference

    /// `-serverpref` with ChaCha20 first on the server: the server's choice wins over the client's order.
    @Test func serverPreferredCipherSuite() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: [
            "-serverpref", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
        ])
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server) }
        #expect(info.cipherSuite == .chacha20Poly1305SHA256)
    }

    // MARK: - Record layer variations

    /// `-max_send_frag 512`: every server record, handshake ones included, carries at most 512 bytes, so the
    /// Certificate (RSA chain) spans several records; then 64 KiB of echo in 512-byte records.
    @Test func smallServerRecords() async throws {
        let server = try await OpenSSLServer.start(leaf: "leaf-rsa2048", mode: ["-rev"], arguments: ["-max_send_frag", "512"])
        defer { server.stop() }
        let (info, ok) = try await runBlocking { () throws -> (TLSSessionInfo, Bool) in
            let conn = try Interop.connect(server)
            defer { conn.close() }
            let line = Array(repeating: UInt8(ascii: "z"), count: 4095) + [UInt8(ascii: "\n")]
            let payload = Array([[UInt8]](repeating: line, count: 16).joined())
            try conn.write(payload)
            return (conn.sessionInfo, try Interop.read(conn, count: payload.count) == payload)
        }
        #expect(info.signatureScheme == .rsaPSSRSAESHA256)
        #expect(ok)
    }

    /// `-record_padding 4096`: every server record is padded to a multiple of 4096 bytes with zeros after the
    /// content type; the client strips the padding (handshake and data).
    @Test func paddedServerRecords() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-record_padding", "4096"])
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server) }
        #expect(info.certificateVerified)
    }

    /// Middlebox compatibility (RFC 8446 §D.4): s_server sends a ChangeCipherSpec after its ServerHello unless
    /// `-no_middlebox`; the client accepts both. `-msg` shows whether it was sent.
    @Test(arguments: [true, false]) func middleboxCompatibility(_ compat: Bool) async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-msg"] + (compat ? [] : ["-no_middlebox"]))
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server) }
        #expect(info.certificateVerified)
        // The client always sends its own CCS (it sends a legacy_session_id); libssl drops it silently, so -msg
        // shows only its record header. It comes after the server's CCS would have been logged.
        try await Interop.expectServerPrinted(server, "<<< TLS 1.2, RecordHeader [length 0005]\n    14 03 03 00 01\n")
        let output = server.output
        #expect(output.contains(">>> TLS 1.3, ChangeCipherSpec [length 0001]") == compat, "\(output)")
    }

    // MARK: - SNI

    /// `-servername localhost -cert2 <P-384 leaf>`: a client that sends SNI `localhost` gets the P-384 leaf;
    /// one that connects to 127.0.0.1 without a serverName sends no SNI and gets the default P-256 leaf
    /// (verified against the certificate's IP address). `-cert2` is sent without its intermediate, so the
    /// client trusts a bundle of root + intermediate.
    @Test func sniSelectsCertificate() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: [
            "-servername", "localhost",
            "-cert2", CertPaths.path("leaf-ecdsa-p384.pem"), "-key2", CertPaths.path("leaf-ecdsa-p384.key"),
        ])
        defer { server.stop() }
        let bundle = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString).pem")
        try (CertPaths.load("ca.pem") + CertPaths.load("intermediate.pem")).write(to: bundle)
        defer { try? FileManager.default.removeItem(at: bundle) }
        let trust = TLSClientConfiguration.TrustRoots.pemFile(bundle.path)

        let withSNI = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config { $0.trustRoots = trust })
        }
        #expect(withSNI.signatureScheme == .ecdsaSecp384r1SHA384)
        #expect(withSNI.peerCertificates.count == 1)
        #expect(withSNI.certificateVerified)

        let withoutSNI = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config {
                $0.trustRoots = trust
                $0.serverName = nil
            })
        }
        #expect(withoutSNI.signatureScheme == .ecdsaSecp256r1SHA256)
        #expect(withoutSNI.peerCertificates.count == 2)
        #expect(withoutSNI.certificateVerified)
    }

    /// A chain with an extra, unrelated CA certificate before the real intermediate (RFC 8446 §4.4.2 lets
    /// servers send extras in any order after the leaf): the client still builds the path.
    @Test func extraAndReorderedChainCertificates() async throws {
        let chain = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString).pem")
        try (CertPaths.load("unknown-ca-intermediate.pem") + CertPaths.load("ca.pem") + CertPaths.load("intermediate.pem"))
            .write(to: chain)
        defer { try? FileManager.default.removeItem(at: chain) }
        let server = try await OpenSSLServer.start(chain: nil, mode: ["-rev"], arguments: ["-cert_chain", chain.path])
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server) }
        #expect(info.peerCertificates.count == 4)
        #expect(info.certificateVerified)
    }

    /// Server names differing only in case are the same name (RFC 4343): `LocalHost` is sent as SNI, s_server
    /// (`strcasecmp`) switches to its `-cert2` certificate, and the certificate's `localhost` matches.
    @Test func serverNameIsCaseInsensitive() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: [
            "-servername", "localhost", "-servername_fatal",
            "-cert2", CertPaths.path("leaf-ecdsa-p384.pem"), "-key2", CertPaths.path("leaf-ecdsa-p384.key"),
        ])
        defer { server.stop() }
        let bundle = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString).pem")
        try (CertPaths.load("ca.pem") + CertPaths.load("intermediate.pem")).write(to: bundle)
        defer { try? FileManager.default.removeItem(at: bundle) }
        let info = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config {
                $0.serverName = "LocalHost"
                $0.trustRoots = .pemFile(bundle.path)
            })
        }
        #expect(info.signatureScheme == .ecdsaSecp384r1SHA384)
        #expect(info.certificateVerified)
    }

    /// An absolute name `localhost.` (trailing dot): RFC 6066 §3 says SNI carries the name "without a trailing
    /// dot", so the client should send `localhost`, which s_server (`-servername localhost -servername_fatal`)
    /// accepts. Certificate matching already ignores the dot.
    @Test func serverNameTrailingDotNotSentInSNI() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: [
            "-servername", "localhost", "-servername_fatal",
            "-cert2", CertPaths.path("leaf-ecdsa-p384.pem"), "-key2", CertPaths.path("leaf-ecdsa-p384.key"),
        ])
        defer { server.stop() }
        let result = try await runBlocking { () -> Result<TLSSessionInfo, any Error> in
            Result { try Interop.handshakeAndRoundTrip(server, Interop.config {
                $0.serverName = "localhost."
                $0.verifyCertificates = false
            }) }
        }
        // SNI goes without the trailing dot (RFC 6066 §3): s_server matches it and picks the second certificate.
        let info = try result.get()
        #expect(info.signatureScheme == .ecdsaSecp384r1SHA384)
    }

    // MARK: - File download

    /// `-WWW` serves a 300 000-byte file (a pattern that shifts every 256 bytes, so loss or reordering shows), then sends
    /// close_notify: the body arrives intact and the read ends cleanly.
    @Test func wwwFileDownload() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var body = [UInt8](repeating: 0, count: 300_000)
        for i in body.indices { body[i] = UInt8(truncatingIfNeeded: i &* 7 &+ i >> 8) }
        try Data(body).write(to: directory.appendingPathComponent("blob.bin"))
        let server = try await OpenSSLServer.start(mode: ["-WWW"], workingDirectory: directory)
        defer { server.stop() }
        let response = try await runBlocking {
            let conn = try Interop.connect(server)
            defer { conn.close() }
            try conn.write(Array("GET /blob.bin HTTP/1.0\r\n\r\n".utf8))
            return try Interop.readToEnd(conn)
        }
        let separator = Array("\r\n\r\n".utf8)
        let headerEnd = (0...max(0, response.count - 4)).first { Array(response[$0..<min($0 + 4, response.count)]) == separator }
        let head = headerEnd.map { String(decoding: response[..<$0], as: UTF8.self) } ?? ""
        #expect(head.hasPrefix("HTTP/1.0 200 ok"), "\(head)")
        let received = headerEnd.map { Array(response[($0 + 4)...]) } ?? []
        #expect(received.count == body.count)
        #expect(received == body)
    }
}
