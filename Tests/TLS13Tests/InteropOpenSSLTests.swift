import Foundation
import Testing
@testable import TLS13

/// The library against real `openssl s_server` processes on loopback: what gets negotiated, and data.
/// Failures are in ``InteropOpenSSLFailureTests``, post-handshake messages in ``InteropOpenSSLPostHandshakeTests``.
/// Docs/Interop.md lists every scenario.
@Suite(.serialized) struct InteropOpenSSLTests {
    static func config() -> TLSClientConfiguration { Interop.config() }

    @Test func handshakeAndReverseEcho() async throws {
        let server = try OpenSSLServer(mode: ["-rev"])
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
        let server = try OpenSSLServer(mode: ["-rev"], arguments: ["-ciphersuites", suite.description])
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server) }
        #expect(info.cipherSuite == suite)
        #expect(info.protocolVersion == .tls13)
        // `-rev` prints a summary per connection: "Ciphersuite: NAME".
        let serverSaw = try await runBlocking { server.waitForOutput("Ciphersuite: \(suite.description)\n") }
        #expect(serverSaw, "s_server output: \(server.output)")
    }

    /// The client offers only one suite, the server allows all: the server must take it.
    @Test(arguments: suites) func cipherSuiteChosenByClientOffer(_ suite: CipherSuite) async throws {
        let server = try OpenSSLServer(mode: ["-rev"])
        defer { server.stop() }
        let info = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config { $0.cipherSuites = [suite] })
        }
        #expect(info.cipherSuite == suite)
    }

    // MARK: - Groups and HelloRetryRequest

    static let groups: [(NamedGroup, String)] = [(.x25519, "X25519"), (.secp256r1, "P-256"), (.secp384r1, "P-384")]

    /// `-groups NAME` on the server; the client's default key share is x25519 only, so P-256 and P-384 need a
    /// HelloRetryRequest.
    @Test(arguments: groups) func groupWithDefaultKeyShare(_ group: NamedGroup, _ opensslName: String) async throws {
        let server = try OpenSSLServer(mode: ["-rev"], arguments: ["-groups", opensslName])
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server) }
        #expect(info.group == group)
        #expect(info.usedHelloRetryRequest == (group != .x25519))
    }

    /// The same with the client sending a key share for exactly that group: never a HelloRetryRequest.
    @Test(arguments: groups) func groupWithMatchingKeyShare(_ group: NamedGroup, _ opensslName: String) async throws {
        let server = try OpenSSLServer(mode: ["-rev"], arguments: ["-groups", opensslName])
        defer { server.stop() }
        let info = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config { $0.keyShareGroups = [group] })
        }
        #expect(info.group == group)
        #expect(!info.usedHelloRetryRequest)
    }

    /// Key shares for both P-256 and x25519 against a server that prefers P-384 then P-256: no retry, P-256.
    @Test func serverPicksAmongSeveralKeyShares() async throws {
        let server = try OpenSSLServer(mode: ["-rev"], arguments: ["-groups", "P-384:P-256"])
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
        let server = try OpenSSLServer(leaf: leaf, mode: ["-rev"])
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
        let server = try OpenSSLServer(mode: ["-rev"])
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
        let server = try OpenSSLServer(mode: ["-rev"])
        defer { server.stop() }
        let lineLength = 1024
        var payload: [UInt8] = []
        var expected: [UInt8] = []
        payload.reserveCapacity(1 << 20)
        for i in 0..<(1 << 20) / lineLength {
            let line = (0..<lineLength - 1).map { j in UInt8(ascii: "a") + UInt8((i * 7 + j * 13) % 26) }
            payload += line + [UInt8(ascii: "\n")]
            expected += line.reversed() + [UInt8(ascii: "\n")]
        }
        #expect(payload.count == 1 << 20)
        let conn = try await runBlocking { try Interop.connect(server) }
        defer { conn.close() }
        let toSend = payload
        async let written: Void = runBlocking { try conn.write(toSend) }
        let received = try await runBlocking { try Interop.read(conn, count: 1 << 20) }
        try await written
        #expect(received.count == expected.count)
        #expect(received == expected)
    }

    /// `-www`: one GET, the status page, then close_notify: `read()` returns `[]` (a clean end, not `.truncated`).
    @Test func wwwPageAndCleanClose() async throws {
        let server = try OpenSSLServer(mode: ["-www"])
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
        let server = try OpenSSLServer(mode: ["-rev"], ipv6: true)
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
        let server = try OpenSSLServer(mode: ["-rev"], ipv6: true)
        defer { server.stop() }
        let info = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config { $0.serverName = nil })
        }
        #expect(info.certificateVerified)
    }

    // MARK: - ALPN

    /// `-alpn http/1.1`, client offers `h2, http/1.1`: the server picks http/1.1.
    @Test func alpnNegotiated() async throws {
        let server = try OpenSSLServer(mode: ["-rev"], arguments: ["-alpn", "http/1.1"])
        defer { server.stop() }
        let info = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config { $0.applicationProtocols = ["h2", "http/1.1"] })
        }
        #expect(info.applicationProtocol == "http/1.1")
    }

    /// No ALPN offered by the client: none selected even though the server has `-alpn`.
    @Test func alpnNotOffered() async throws {
        let server = try OpenSSLServer(mode: ["-rev"], arguments: ["-alpn", "h2"])
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server) }
        #expect(info.applicationProtocol == nil)
    }
}
