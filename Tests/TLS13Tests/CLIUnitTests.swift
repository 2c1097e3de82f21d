import Testing
import TLS13
@testable import TLS13CLI

/// The CLI's pure pieces: URL splitting, request bytes, name lists, exit codes, the summary format.
@Suite struct CLIUnitTests {
    @Test(arguments: [
        ("https://localhost/", "localhost", UInt16(443), "/", "localhost"),
        ("https://localhost", "localhost", 443, "/", "localhost"),
        ("HTTPS://Example.com:8443/a/b?q=1#frag", "Example.com", 8443, "/a/b?q=1", "Example.com:8443"),
        ("https://127.0.0.1:4433/x", "127.0.0.1", 4433, "/x", "127.0.0.1:4433"),
        ("https://[::1]:4433/", "::1", 4433, "/", "[::1]:4433"),
        ("https://[::1]/", "::1", 443, "/", "[::1]"),
        ("https://host?x=1", "host", 443, "/?x=1", "host"),
        ("https://host:/p", "host", 443, "/p", "host"),
    ])
    func urls(text: String, host: String, port: UInt16, target: String, hostHeader: String) throws {
        let url = try HTTPSURL(text)
        #expect(url.host == host)
        #expect(url.port == port)
        #expect(url.target == target)
        #expect(url.hostHeader == hostHeader)
        #expect(url.address == (host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"))
    }

    @Test(arguments: [
        ("http://localhost/", "only https://"),
        ("ftp://localhost/", "unsupported scheme"),
        ("localhost:443", "not a URL"),
        ("https:///path", "no host"),
        ("https://user:pw@host/", "user names"),
        ("https://[::1/", "missing ']'"),
        ("https://[::1]x/", "expected ':port'"),
        ("https://::1:443/", "brackets"),
        ("https://host:0/", "port"),
        ("https://host:65536/", "port"),
        ("https://host:44a/", "port"),
        ("https://host/a b", "spaces"),
        ("https://host/a\r\nX: y", "spaces"),
    ])
    func badURLs(text: String, message: String) {
        #expect {
            _ = try HTTPSURL(text)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func requestBytes() throws {
        let url = try HTTPSURL("https://[::1]:4433/index.html?x=1")
        let request = String(decoding: HTTPGet.request(for: url, extraHeaders: [
            HTTPHeaderField(name: "user-agent", value: "custom/1"),
            HTTPHeaderField(name: "X-Extra", value: "yes"),
        ]), as: UTF8.self)
        #expect(request == "GET /index.html?x=1 HTTP/1.1\r\nHost: [::1]:4433\r\nuser-agent: custom/1\r\n"
            + "Accept: */*\r\nConnection: close\r\nX-Extra: yes\r\n\r\n")
        let plain = String(decoding: HTTPGet.request(for: try HTTPSURL("https://example.com/"), extraHeaders: []),
                           as: UTF8.self)
        #expect(plain.hasPrefix("GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: tls13/\(TLS13.version)\r\n"))
    }

    @Test func headerOptions() throws {
        #expect(try GetCommand.parseHeader("X-A: b c") == HTTPHeaderField(name: "X-A", value: "b c"))
        #expect(try GetCommand.parseHeader("X-Empty:") == HTTPHeaderField(name: "X-Empty", value: ""))
        for bad in ["no colon", "X-A: b\r\nInjected: 1", ": v", "Bad Name: v"] {
            #expect(throws: (any Error).self) { try GetCommand.parseHeader(bad) }
        }
    }

    @Test func nameLists() throws {
        #expect(try NameLists.groups("X25519, P-256,secp384r1") == [.x25519, .secp256r1, .secp384r1])
        #expect(try NameLists.groups("X25519MLKEM768,x25519") == [.x25519MLKEM768, .x25519])
        // Key shares: the first group; with the hybrid first, x25519 too when listed (one X25519 key for both).
        #expect(NameLists.keyShareGroups(for: [.x25519MLKEM768, .x25519, .secp256r1]) == [.x25519MLKEM768, .x25519])
        #expect(NameLists.keyShareGroups(for: [.x25519MLKEM768, .secp256r1]) == [.x25519MLKEM768])
        #expect(NameLists.keyShareGroups(for: [.secp256r1, .x25519MLKEM768, .x25519]) == [.secp256r1])
        #expect(NameLists.keyShareGroups(for: []) == [])
        #expect(try NameLists.ciphers("TLS_AES_256_GCM_SHA384,AES128-GCM-SHA256")
            == [.aes256GCMSHA384, .aes128GCMSHA256])
        #expect(try NameLists.protocols("h2,http/1.1") == ["h2", "http/1.1"])
        #expect(throws: (any Error).self) { try NameLists.groups("x25519,bogus") }
        #expect(throws: (any Error).self) { try NameLists.groups("x25519,,P-256") }
        #expect(throws: (any Error).self) { try NameLists.ciphers("RC4-MD5") }
        #expect(throws: (any Error).self) { try NameLists.protocols(String(repeating: "a", count: 256)) }
    }

    @Test func exitStatuses() {
        #expect(ExitStatus.forError(.certificateRejected(alert: .certificateExpired, reason: "x")) == .tlsFailure)
        #expect(ExitStatus.forError(.alertReceived(.handshakeFailure)) == .tlsFailure)
        #expect(ExitStatus.forError(.decode(reason: "x")) == .tlsFailure)
        #expect(ExitStatus.forError(.protocolViolation(alert: .illegalParameter, reason: "x")) == .tlsFailure)
        #expect(ExitStatus.forError(.truncated) == .tlsFailure)
        #expect(ExitStatus.forError(.closed) == .tlsFailure)
        #expect(ExitStatus.forError(.internalError("x")) == .tlsFailure)
        #expect(ExitStatus.forError(.network(step: .connect, reason: "refused")) == .network)
        #expect(ExitStatus.forError(.network(step: .resolve, reason: "no such host")) == .network)
        #expect(ExitStatus.forError(.network(step: .read, reason: "reset")) == .network)
        #expect(ExitStatus.forError(.network(step: .parseAddress, reason: "bad")) == .usage)
        #expect(ExitStatus.forError(.invalidConfiguration("group x448 is not supported yet")) == .usage)
        #expect(ExitStatus.forError(.timedOut("handshake")) == .timeout)
        #expect([ExitStatus.success, .tlsFailure, .usage, .network, .timeout, .httpError].map(\.rawValue)
            == [0, 1, 2, 3, 4, 22])
    }

    @Test func summaryLines() {
        var info = TLSSessionInfo()
        info.cipherSuite = .aes256GCMSHA384
        info.group = .secp384r1
        info.signatureScheme = .rsaPSSRSAESHA256
        info.applicationProtocol = "h2"
        let lines = SessionSummary.lines(info: info, certificate: nil, verificationRequested: false,
                                         tcpConnect: .microseconds(210), handshake: .microseconds(1900))
        #expect(lines == [
            "protocol: TLSv1.3", "cipher: TLS_AES_256_GCM_SHA384", "group: P-384",
            "signature: rsa_pss_rsae_sha256", "ALPN: h2", "resumed: no", "early data: not sent", "peer: none",
            "issuer: none", "expires: none", "verified: no (--insecure)", "client certificate: not requested",
            "OCSP: not requested", "certificate compression: none", "ECH: not offered", "tcp connect: 0.21 ms",
            "tls handshake: 1.9 ms",
        ])
        #expect(SessionSummary.milliseconds(.milliseconds(23)) == "23 ms")
        #expect(SessionSummary.milliseconds(.seconds(2)) == "2000 ms")
    }
}
