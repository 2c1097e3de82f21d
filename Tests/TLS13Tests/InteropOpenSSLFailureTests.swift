import Foundation
import Testing
@testable import TLS13

/// Failures against real `openssl s_server`: bad certificates (with the alert checked on both sides), ALPN
/// mismatch, a TLS 1.2-only server, a server that vanishes, a server that never answers.
@Suite(.serialized) struct InteropOpenSSLFailureTests {
    // MARK: - Bad certificates

    /// (certificate stem, chain sent after it, alert the client must send).
    /// The alerts are those of ``OpenSSLCertificateVerifier/alert(forVerifyError:)``: expired and not yet valid
    /// → certificate_expired (45); name mismatch → bad_certificate (42); self-signed leaf, unknown root and a
    /// missing intermediate → unknown_ca (48).
    static let badCertificates: [(String, String?, AlertDescription)] = [
        ("leaf-expired", "intermediate.pem", .certificateExpired),
        ("leaf-not-yet-valid", "intermediate.pem", .certificateExpired),
        ("leaf-wrong-host", "intermediate.pem", .badCertificate),
        ("leaf-self-signed", nil, .unknownCA),
        ("leaf-unknown-ca", "unknown-ca-intermediate.pem", .unknownCA),
        ("leaf-ecdsa-p256", nil, .unknownCA),  // a good leaf, but the server forgets its intermediate
    ]

    /// The client throws `.certificateRejected` with the expected alert, and s_server reports receiving exactly
    /// that alert (`...:SSL alert number NN`, printed by s_server on its error output).
    @Test(arguments: badCertificates)
    func badCertificateRejected(_ leaf: String, _ chain: String?, _ alert: AlertDescription) async throws {
        let server = try await OpenSSLServer.start(leaf: leaf, chain: chain, mode: ["-rev"])
        defer { server.stop() }
        let error = try await runBlocking { Interop.connectError(server) }
        guard case .certificateRejected(let sent, let reason) = error else {
            Issue.record("expected .certificateRejected, got \(String(describing: error))")
            return
        }
        #expect(sent == alert, "\(reason)")
        try await Interop.expectServerPrinted(server, "SSL alert number \(alert.rawValue)\n")
    }

    /// `verifyCertificates = false` accepts the self-signed leaf (the handshake is otherwise complete: data
    /// flows) and reports `certificateVerified == false`.
    @Test func insecureAcceptsSelfSigned() async throws {
        let server = try await OpenSSLServer.start(leaf: "leaf-self-signed", chain: nil, mode: ["-rev"])
        defer { server.stop() }
        let info = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config { $0.verifyCertificates = false })
        }
        #expect(!info.certificateVerified)
        #expect(info.signatureScheme == .ecdsaSecp256r1SHA256)
        #expect(info.peerCertificates.count == 1)
    }

    /// `verifyCertificates = false` also skips the name check (wrong-host leaf).
    @Test func insecureAcceptsWrongHost() async throws {
        let server = try await OpenSSLServer.start(leaf: "leaf-wrong-host", mode: ["-rev"])
        defer { server.stop() }
        let info = try await runBlocking {
            try Interop.handshakeAndRoundTrip(server, Interop.config { $0.verifyCertificates = false })
        }
        #expect(!info.certificateVerified)
    }

    // MARK: - ALPN mismatch

    /// `-alpn h2` while the client offers only http/1.1: OpenSSL 3.0's s_server callback fails the handshake
    /// with a fatal no_application_protocol alert, which the client reports as `.alertReceived`.
    @Test func alpnMismatchFailsWithNoApplicationProtocol() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-alpn", "h2"])
        defer { server.stop() }
        let error = try await runBlocking {
            Interop.connectError(server, Interop.config { $0.applicationProtocols = ["http/1.1"] })
        }
        #expect(error == .alertReceived(.noApplicationProtocol))
    }

    // MARK: - Protocol version

    /// A TLS 1.2-only server (`-tls1_2`) answers our TLS 1.3-only ClientHello with a protocol_version alert.
    @Test func tls12OnlyServer() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], versions: ["-tls1_2"])
        defer { server.stop() }
        let error = try await runBlocking { Interop.connectError(server) }
        #expect(error == .alertReceived(.protocolVersion))
        try await Interop.expectServerPrinted(server, "unsupported protocol")
    }

    // MARK: - Transport failures

    /// After a successful round trip the s_server process is killed: the kernel closes its socket with a FIN
    /// and no close_notify, so the next `read()` must throw `.truncated` (never return `[]`), and the
    /// connection stays failed.
    @Test func serverKilledWithoutCloseNotify() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let conn = try await runBlocking { () throws -> TLSConnection in
            let conn = try Interop.connect(server)
            try conn.write(Array("abc\n".utf8))
            let reply = try Interop.readLine(conn)
            guard reply == Array("cba\n".utf8) else { throw VectorError(description: "bad reply \(reply)") }
            return conn
        }
        try await runBlocking { server.stop(wait: true) }
        let (first, second) = try await runBlocking { () -> (TLSError?, TLSError?) in
            defer { conn.close() }
            func readError() -> TLSError? {
                do {
                    _ = try Interop.readToEnd(conn)
                    return nil
                } catch {
                    return error
                }
            }
            return (readError(), readError())
        }
        #expect(first == .truncated)
        #expect(second == .truncated)
    }

    /// A TCP listener that accepts (the kernel completes the TCP handshake from the backlog) and never answers:
    /// with `handshakeTimeout = 1`, `connect` throws `.timedOut` after about one second, and the listener did
    /// receive a TLS ClientHello record.
    @Test func handshakeTimeout() async throws {
        let listener = try LoopbackListener(.v4)
        let (error, elapsed, header) = try await runBlocking { () throws -> (TLSError?, Double, [UInt8]) in
            let start = Date()
            var failure: TLSError?
            do throws(TLSError) {
                let conn = try TLSConnection.connect(
                    host: "127.0.0.1", port: listener.port,
                    configuration: Interop.config { $0.handshakeTimeout = 1 })
                conn.close()
            } catch {
                failure = error
            }
            let elapsed = Date().timeIntervalSince(start)
            let peer = try listener.accept(timeout: 1)
            return (failure, elapsed, try peer.readExactly(5, timeout: 1))
        }
        guard case .timedOut = error else {
            Issue.record("expected .timedOut, got \(String(describing: error))")
            return
        }
        #expect(elapsed >= 0.9 && elapsed < 3, "took \(elapsed) s")
        #expect(header.prefix(3) == [0x16, 0x03, 0x01])  // handshake record, legacy version 0x0301
    }

    // MARK: - Nothing in common

    /// Server settings the client cannot meet: OpenSSL refuses the ClientHello with a handshake_failure alert
    /// (40), which the client reports as `.alertReceived(.handshakeFailure)`. Each row: (what is missing,
    /// s_server arguments, the error text s_server prints).
    static let nothingInCommon: [(String, [String], String)] = [
        ("only TLS_AES_128_CCM_SHA256", ["-ciphersuites", "TLS_AES_128_CCM_SHA256"], "no shared cipher"),
        ("only ffdhe2048", ["-groups", "ffdhe2048"], "no suitable key share"),
    ]

    @Test(arguments: nothingInCommon)
    func serverRefusesClientHello(_ what: String, _ arguments: [String], _ serverText: String) async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: arguments)
        defer { server.stop() }
        let error = try await runBlocking { Interop.connectError(server) }
        #expect(error == .alertReceived(.handshakeFailure), "\(what)")
        try await Interop.expectServerPrinted(server, serverText)
    }

    /// The client accepts only Ed25519 signatures but the server has an ECDSA P-256 certificate: OpenSSL finds
    /// no certificate it may use and fails the handshake.
    @Test func noUsableServerCertificateForClientSignatureAlgorithms() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let error = try await runBlocking {
            Interop.connectError(server, Interop.config { $0.signatureAlgorithms = [.ed25519] })
        }
        #expect(error == .alertReceived(.handshakeFailure))
    }

    // MARK: - Client certificates (the client has none)

    /// `-verify 1`: s_server asks for a client certificate but does not insist. The client answers the
    /// CertificateRequest with an empty Certificate and the connection works.
    @Test func optionalClientCertificateRequest() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-verify", "1", "-msg"])
        defer { server.stop() }
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server) }
        #expect(info.certificateVerified)
        // The client's empty Certificate: type 11, length 4, empty context, empty list.
        try await Interop.expectServerPrinted(
            server, "<<< TLS 1.3, Handshake [length 0008], Certificate\n    0b 00 00 04 00 00 00 00\n")
        let output = server.output
        #expect(output.split(separator: "\n").contains { $0.hasPrefix(">>> TLS 1.3, Handshake") && $0.hasSuffix("], CertificateRequest") },
                "\(output)")
    }

    /// `-Verify 1`: s_server requires a client certificate. In TLS 1.3 the client's handshake completes when it
    /// sends its Finished (with an empty Certificate); the server then sends certificate_required (116), which the
    /// client's first read reports.
    @Test func requiredClientCertificate() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-Verify", "1"])
        defer { server.stop() }
        let error = try await runBlocking { () -> TLSError? in
            do throws(TLSError) {
                let conn = try Interop.connect(server)
                defer { conn.close() }
                try conn.write(Array("x\n".utf8))
                _ = try Interop.readLine(conn)
                return nil
            } catch {
                return error
            }
        }
        #expect(error == .alertReceived(.certificateRequired))
    }

    // MARK: - SNI

    /// `-servername localhost -servername_fatal`: a client naming another server gets a fatal
    /// unrecognized_name alert (112). Without `-servername_fatal` OpenSSL only warns, which TLS 1.3 cannot
    /// express, so it says nothing and the handshake proceeds with the default certificate.
    @Test(arguments: [true, false]) func sniMismatch(_ fatal: Bool) async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: [
            "-servername", "localhost",
            "-cert2", CertPaths.path("leaf-ecdsa-p384.pem"), "-key2", CertPaths.path("leaf-ecdsa-p384.key"),
        ] + (fatal ? ["-servername_fatal"] : []))
        defer { server.stop() }
        let config = Interop.config {
            $0.serverName = "other.example"
            $0.verifyCertificates = false
        }
        if fatal {
            let error = try await runBlocking { Interop.connectError(server, config) }
            #expect(error == .alertReceived(.unrecognizedName))
        } else {
            let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server, config) }
            #expect(info.signatureScheme == .ecdsaSecp256r1SHA256)  // the default leaf, not cert2
        }
    }
}
