import NIOCore
import NIOTLS
import Testing
import TLS13
import TLS13NIO
import TLS13TestSupport
@testable import TLS13CLI

/// The handler against GnuTLS's `gnutls-serv --echo`: a second TLS 1.3 implementation. gnutls-serv asks for a
/// client certificate (optionally), so the handshake also goes through the CertificateRequest path.
@Suite(.serialized) struct GnuTLSNIOTests {
    @Test func handshakeEchoAndClose() async throws {
        let server = try await NIOTestSupport.startGnuTLS()
        defer { server.stop() }
        let log = PipelineLog()
        let channel = try await NIOTestSupport.connect(port: server.port, log: log)
        let (reply, info) = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "hello gnutls\n"))
            let reply = try await NIOTestSupport.read(inbound, until: "\n")
            return (reply, try await channel.channel.tls13SessionInfo().get())
        }
        #expect(reply == "hello gnutls\n")
        #expect(info?.certificateVerified == true)
        #expect(log.tlsEvents.first == .handshakeCompleted(negotiatedProtocol: nil))
        #expect(await NIOTestSupport.waitClosed(channel.channel))
        #expect(log.tlsErrors.isEmpty, "\(log.errors)")
    }

    @Test func alpnIsInTheHandshakeEvent() async throws {
        let server = try await NIOTestSupport.startGnuTLS(["--echo", "--alpn=http/1.1"])
        defer { server.stop() }
        let log = PipelineLog()
        let channel = try await NIOTestSupport.connect(
            port: server.port, configuration: NIOTestSupport.configuration(alpn: ["h2", "http/1.1"]), log: log)
        let reply = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "alpn\n"))
            return try await NIOTestSupport.read(inbound, until: "\n")
        }
        #expect(reply == "alpn\n")
        #expect(log.tlsEvents.first == .handshakeCompleted(negotiatedProtocol: "http/1.1"))
    }

    @Test func manyWritesAndALargeEcho() async throws {
        let server = try await NIOTestSupport.startGnuTLS()
        defer { server.stop() }
        let log = PipelineLog()
        let channel = try await NIOTestSupport.connect(port: server.port, log: log)
        // 100 lines of 1000 bytes: many records each way, read back in order.
        let lines = (0..<100).map { i in String(repeating: String(i % 10), count: 999) + "\n" }
        let reply = try await channel.executeThenClose { inbound, outbound in
            for line in lines { try await outbound.write(ByteBuffer(string: line)) }
            var got = ""
            for try await var buffer in inbound {
                got += buffer.readString(length: buffer.readableBytes) ?? ""
                if got.utf8.count >= 100_000 { break }
            }
            return got
        }
        #expect(reply == lines.joined())
        #expect(log.tlsErrors.isEmpty, "\(log.errors)")
    }
}
