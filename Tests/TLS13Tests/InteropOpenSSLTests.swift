import Foundation
import Testing
@testable import TLS13

/// The library against real `openssl s_server` processes on loopback.
@Suite(.serialized) struct InteropOpenSSLTests {
    static func config() -> TLSClientConfiguration {
        var c = TLSClientConfiguration()
        c.trustRoots = .pemFile(CertPaths.path("ca.pem"))
        c.serverName = "localhost"
        c.handshakeTimeout = 5
        c.ioTimeout = 5
        return c
    }

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
}
