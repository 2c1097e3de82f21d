import Foundation
import Testing
@testable import TLS13

/// Client certificate authentication against `openssl s_server`.
@Suite(.serialized) struct ClientAuthInteropTests {
    static func config(client: String?) throws -> TLSClientConfiguration {
        var c = InteropOpenSSLTests.config()
        if let client {
            c.clientCertificate = try TLSClientCertificate(
                certificateChainFile: CertPaths.path("client-\(client)-chain.pem"),
                privateKeyFile: CertPaths.path("client-\(client).key"))
        }
        return c
    }

    @Test(arguments: ["ecdsa-p256", "rsa2048", "ed25519"])
    func requiredClientCertificate(_ type: String) async throws {
        let server = try OpenSSLServer(mode: ["-rev"], arguments: ["-Verify", "2", "-CAfile", CertPaths.path("ca.pem")])
        defer { server.stop() }
        let config = try Self.config(client: type)
        let (reply, info) = try await runBlocking {
            let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
            defer { conn.close() }
            try conn.write(Array("mtls\n".utf8))
            var got: [UInt8] = []
            while !got.contains(UInt8(ascii: "\n")) {
                let chunk = try conn.read()
                if chunk.isEmpty { break }
                got += chunk
            }
            return (String(decoding: got, as: UTF8.self), conn.sessionInfo)
        }
        #expect(reply == "sltm\n")
        #expect(info.clientCertificateSent)
        // The server's view: it verified our chain and our CertificateVerify.
        let seen = try await runBlocking {
            server.waitForOutput("Peer certificate: O = swift-tls13 tests, CN = swift-tls13 test client (\(type))")
                && server.waitForOutput("Verification: OK")
        }
        #expect(seen, "s_server verified our chain and CertificateVerify")
    }

    @Test func requiredCertificateMissingIsCertificateRequired() async throws {
        let server = try OpenSSLServer(mode: ["-rev"], arguments: ["-Verify", "2", "-CAfile", CertPaths.path("ca.pem")])
        defer { server.stop() }
        let config = try Self.config(client: nil)
        let error: TLSError? = try await runBlocking {
            do {
                // The client answers with an empty Certificate; the server's alert arrives after our Finished.
                let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
                defer { conn.close() }
                #expect(!conn.sessionInfo.clientCertificateSent)
                _ = try conn.read()
                return nil
            } catch let e as TLSError {
                return e
            }
        }
        #expect(error == .alertReceived(.certificateRequired))
    }

    @Test func optionalCertificateMayBeOmitted() async throws {
        let server = try OpenSSLServer(mode: ["-rev"], arguments: ["-verify", "2", "-CAfile", CertPaths.path("ca.pem")])
        defer { server.stop() }
        let config = try Self.config(client: nil)
        let reply = try await runBlocking {
            let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
            defer { conn.close() }
            try conn.write(Array("anon\n".utf8))
            return String(decoding: try conn.read(), as: UTF8.self)
        }
        #expect(reply == "nona\n")
    }

    @Test func postHandshakeAuthentication() async throws {
        // s_server's `c` command (plain mode, with -verify) sends a post-handshake CertificateRequest.
        // (-verify also asks for a certificate during the handshake; s_server has no post-handshake-only mode.)
        let server = try OpenSSLServer(mode: [], arguments: ["-verify", "2", "-CAfile", CertPaths.path("ca.pem")])
        defer { server.stop() }
        var mutableConfig = try Self.config(client: "ecdsa-p256")
        mutableConfig.ioTimeout = 1
        let config = mutableConfig
        let info = try await runBlocking {
            let conn = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
            defer { conn.close() }
            try conn.write(Array("before\n".utf8))
            Thread.sleep(forTimeInterval: 0.2)
            server.send("c\n")
            // Reading processes the CertificateRequest and sends Certificate, CertificateVerify, Finished.
            do { _ = try conn.read() } catch TLSError.timedOut(_) {}
            try conn.write(Array("after\n".utf8))
            Thread.sleep(forTimeInterval: 0.3)
            return conn.sessionInfo
        }
        #expect(info.clientCertificateSent)
        #expect(try await runBlocking { server.waitForOutput("after") }, "the connection survives post-handshake authentication")
        // s_server verified the chain again after "before" and completed the post-handshake exchange.
        let afterCommand = server.output.components(separatedBy: "before").last ?? ""
        #expect(afterCommand.contains("CN = swift-tls13 test client (ecdsa-p256)"))
        #expect(afterCommand.contains("SSL_do_handshake -> 1"), "\(server.output)")
    }
}
