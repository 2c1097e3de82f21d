import Foundation
import Testing
@testable import TLS13
@testable import TLS13CLI

/// The default X25519MLKEM768 + x25519 offer against real servers on loopback: tlslite-ng (the one with the
/// hybrid: ML-KEM from kyber-py, independent of swift-crypto) negotiates it; OpenSSL 3.0 and GnuTLS 3.7 (no
/// ML-KEM) pick x25519 from the same ClientHello without a HelloRetryRequest.
@Suite(.serialized) struct HybridInteropTests {
    /// The package root (the parent of Certs/).
    static var root: String { CertPaths.root.deletingLastPathComponent().path }

    /// `Tests/TLS13Tests/Support/tlslite_server.py` under the venv `Scripts/install-deps.sh` makes.
    static func startTLSLite(_ arguments: [String] = []) async throws -> InteropProcess {
        let python = "\(root)/.build-venv/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw VectorError(description: "\(python) is missing: run Scripts/install-deps.sh (installs tlslite-ng)")
        }
        let script = "\(root)/Tests/TLS13Tests/Support/tlslite_server.py"
        return try await runBlocking {
            try InteropProcess(executable: python, arguments: ["-u", script, "--certs", CertPaths.root.path] + arguments,
                               portSource: .acceptLine)
        }
    }

    /// Connects with `config`, sends a line, expects it echoed; returns what was negotiated.
    static func echo(port: UInt16, _ config: TLSClientConfiguration = Interop.config { $0.handshakeTimeout = 20 })
        async throws -> TLSSessionInfo
    {
        try await runBlocking {
            let connection = try TLSConnection.connect(host: "127.0.0.1", port: port, configuration: config)
            defer { connection.close() }
            let line = Array("post-quantum hello\n".utf8)
            try connection.write(line)
            let reply = try Interop.read(connection, count: line.count)
            guard reply == line else {
                throw VectorError(description: "echo: \(String(decoding: reply, as: UTF8.self).debugDescription)")
            }
            return connection.sessionInfo
        }
    }

    @Test func tlsliteNegotiatesTheHybridWithoutHelloRetryRequest() async throws {
        let server = try await Self.startTLSLite()
        defer { server.stop() }
        let info = try await Self.echo(port: server.port)
        #expect(info.group == .x25519MLKEM768)
        #expect(!info.usedHelloRetryRequest)
        #expect(info.certificateVerified)
        let printed = try await runBlocking { server.waitForOutput("group=x25519mlkem768") }
        #expect(printed, "the server reports the hybrid: \(server.output)")
    }

    @Test func tlsliteAsksForTheHybridByHelloRetryRequest() async throws {
        let server = try await Self.startTLSLite(["--group", "x25519mlkem768"])
        defer { server.stop() }
        let info = try await Self.echo(port: server.port, Interop.config {
            $0.handshakeTimeout = 20
            $0.keyShareGroups = [.x25519]
        })
        #expect(info.group == .x25519MLKEM768)
        #expect(info.usedHelloRetryRequest)
    }

    @Test func tlsliteWithoutTheHybridPicksTheSharedX25519Key() async throws {
        let server = try await Self.startTLSLite(["--group", "x25519", "--group", "secp256r1"])
        defer { server.stop() }
        let info = try await Self.echo(port: server.port)
        #expect(info.group == .x25519)
        #expect(!info.usedHelloRetryRequest)
    }

    @Test func cliConnectNegotiatesTheHybridWithGroupsOption() async throws {
        let server = try await Self.startTLSLite()
        defer { server.stop() }
        let result = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--cafile", CertPaths.path("ca.pem"), "--servername", "localhost",
             "--groups", "X25519MLKEM768", "--timeout", "20"],
            stdin: "hybrid\n")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("hybrid"), "\(result)")
        #expect(result.stderrLines.contains("group: X25519MLKEM768"), "\(result)")
    }

    @Test func openSSL30PicksX25519WithoutHelloRetryRequest() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let config = Interop.config()
        #expect(config.keyShareGroups == [.x25519MLKEM768, .x25519])
        let info = try await runBlocking { try Interop.handshakeAndRoundTrip(server, config) }
        #expect(info.group == .x25519)
        #expect(!info.usedHelloRetryRequest)
    }

    @Test func gnuTLSPicksX25519WithoutHelloRetryRequest() async throws {
        let server = try await GnuTLSServer.start()
        defer { server.stop() }
        let info = try await Self.echo(port: server.port)
        #expect(info.group == .x25519)
        #expect(!info.usedHelloRetryRequest)
    }
}
