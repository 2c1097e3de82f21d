import Foundation
import Testing
@testable import TLS13

/// Certificate compression (RFC 8879) against tlslite-ng 0.8.2 (with `brotli` and `zstandard`): the library's client
/// takes tlslite-ng's CompressedCertificate for each algorithm (the test PKI's chain and a real-world-size one), and
/// tlslite-ng's own client confirms what the server does; the library decompresses what Python's zlib, brotli and
/// zstandard bindings produce.
@Suite(.serialized) struct CertificateCompressionInteropTests {
    static func tlsliteClient(port: UInt16, offering algorithms: [String]) async throws -> String {
        let python = try TLSLiteServer.python()
        let result = try await runBlocking {
            try TestServerProcess.run(python, [TLSLiteServer.script("tlslite_compression_client.py"), "\(port)"] + algorithms,
                                      timeout: 60)
        }
        #expect(result.status == 0, "\(result.output)")
        return result.output
    }

    @Test(arguments: ["zlib", "brotli", "zstd"]) func tlsliteCompressesWithEachAlgorithm(_ algorithm: String) async throws {
        let server = try await TLSLiteServer.compressing([algorithm])
        defer { server.stop() }
        let output = try await Self.tlsliteClient(port: server.port, offering: ["zstd", "brotli", "zlib"])
        #expect(output.contains("CLIENT cert_compression=\(algorithm) certificates=2"), "\(output)")
        let logged = try await runBlocking { server.waitForLines(withPrefix: "HANDSHAKE ") }
        #expect(logged)
        #expect(TLSLiteServer.certificateCompressions(server) == [algorithm], "\(server.output)")
    }

    @Test func tlsliteSendsThePlainCertificateWhenToldNotToCompressOrNothingIsOffered() async throws {
        let never = try await TLSLiteServer.compressing([])
        defer { never.stop() }
        let output = try await Self.tlsliteClient(port: never.port, offering: ["zlib"])
        #expect(output.contains("CLIENT cert_compression=- certificates=2"), "\(output)")

        let any = try await TLSLiteServer.compressing(["zlib", "brotli", "zstd"], leaf: "realworld-rsa2048")
        defer { any.stop() }
        let offered = try await Self.tlsliteClient(port: any.port, offering: ["brotli"])
        #expect(offered.contains("CLIENT cert_compression=brotli certificates=3"), "\(offered)")
    }

    /// What Python's bindings compress, the library decompresses to the same Certificate message.
    @Test(arguments: ["zlib", "brotli", "zstd"]) func theLibraryDecompressesWhatPythonsBindingsCompress(_ algorithm: String) async throws {
        let certificate = try CertificateCompressionTests.certificate("leaf-realworld-rsa2048-chain.pem")
        let body = try CertificateCompressionTests.encoded(certificate)
        let python = try TLSLiteServer.python()
        let module = ["zlib": "zlib", "brotli": "brotli", "zstd": "zstandard"][algorithm] ?? ""
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls13-pycompress-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in"), output = dir.appendingPathComponent("out")
        try Data(body).write(to: input)
        let result = try await runBlocking {
            try TestServerProcess.run(python, ["-c", "import sys, \(module) as m; "
                + "open(sys.argv[2], 'wb').write(m.compress(open(sys.argv[1], 'rb').read()))", input.path, output.path])
        }
        #expect(result.status == 0, "\(result.output)")
        let compressed = [UInt8](try Data(contentsOf: output))
        let algorithmID: CertificateCompressionAlgorithm = ["zlib": .zlib, "brotli": .brotli, "zstd": .zstd][algorithm] ?? .zlib
        let message = CompressedCertificate(algorithm: algorithmID, uncompressedLength: body.count,
                                            compressedCertificateMessage: compressed)
        #expect(try message.decompressedCertificate(offered: TLSCertificateDecompressor.builtIn.filter { $0.algorithm == algorithmID }, maximumLength: 1 << 16) == certificate)
    }

    /// The library's client against tlslite-ng compressing with one algorithm: the handshake completes with the
    /// Certificate decompressed, the chain verified, data echoed, and both sides agree on the algorithm.
    @Test(arguments: ["zlib", "brotli", "zstd"]) func theClientTakesTlslitesCompressedCertificate(_ algorithm: String) async throws {
        for (leaf, roots, certificates) in [("ecdsa-p256", "ca.pem", 2), ("realworld-rsa2048", "realworld-root.pem", 3)] {
            let server = try await TLSLiteServer.compressing([algorithm], leaf: leaf)
            defer { server.stop() }
            let config = Interop.config {
                $0.trustRoots = .pemFile(CertPaths.path(roots))
                $0.handshakeTimeout = 20
                $0.ioTimeout = 20
            }
            let info = try await runBlocking {
                let connection = try TLSConnection.connect(host: "127.0.0.1", port: server.port, configuration: config)
                defer { connection.close() }
                let line = Array("compressed hello\n".utf8)
                try connection.write(line)
                guard try Interop.read(connection, count: line.count) == line else {
                    throw VectorError(description: "no echo")
                }
                return connection.sessionInfo
            }
            let compression = try #require(info.certificateCompression, "\(leaf): the Certificate came uncompressed")
            #expect(compression.algorithm.description == algorithm)
            #expect(compression.compressedLength < compression.uncompressedLength)
            #expect(info.peerCertificates.count == certificates && info.certificateVerified)
            let logged = try await runBlocking { server.waitForLines(withPrefix: "HANDSHAKE ") }
            #expect(logged)
            #expect(TLSLiteServer.certificateCompressions(server) == [algorithm], "\(server.output)")
        }
    }

    /// Offering only what the server does not have: an uncompressed Certificate, and no compression reported.
    @Test func noCommonAlgorithmMeansAPlainCertificate() async throws {
        let server = try await TLSLiteServer.compressing(["brotli"])
        defer { server.stop() }
        let config = Interop.config { $0.certificateDecompressors = [.zstd]; $0.handshakeTimeout = 20 }
        let info = try await runBlocking {
            let connection = try TLSConnection.connect(host: "127.0.0.1", port: server.port, configuration: config)
            defer { connection.close() }
            return connection.sessionInfo
        }
        #expect(info.certificateCompression == nil && info.certificateVerified)
        let logged = try await runBlocking { server.waitForLines(withPrefix: "HANDSHAKE ") }
        #expect(logged && TLSLiteServer.certificateCompressions(server) == ["-"], "\(server.output)")
    }

    /// The CLI: `--cert-compression` chooses what is offered, the summary says what came.
    @Test func theCLIOffersAndReportsIt() async throws {
        let server = try await TLSLiteServer.compressing(["zstd", "brotli"], leaf: "realworld-rsa2048")
        defer { server.stop() }
        let base = ["connect", "127.0.0.1:\(server.port)", "--cafile", CertPaths.path("realworld-root.pem"),
                    "--servername", "localhost", "--timeout", "20"]
        let brotli = try await CLIProcess.run(base + ["--cert-compression", "brotli,zlib"], stdin: "abc\n")
        #expect(brotli.status == 0, "\(brotli)")
        let line = brotli.stderrLines.first { $0.hasPrefix("certificate compression: ") } ?? ""
        #expect(line.hasPrefix("certificate compression: brotli (") && line.hasSuffix(" bytes)"), "\(brotli)")
        let none = try await CLIProcess.run(base + ["--cert-compression", "none"], stdin: "abc\n")
        #expect(none.status == 0, "\(none)")
        #expect(none.stderrLines.contains("certificate compression: none"), "\(none)")
        let logged = try await runBlocking { server.waitForLines(withPrefix: "HANDSHAKE ", count: 2) }
        #expect(logged && TLSLiteServer.certificateCompressions(server) == ["brotli", "-"], "\(server.output)")
        let bad = try await CLIProcess.run(base + ["--cert-compression", "lzma"])
        #expect(bad.status == 2 && bad.stderr.contains("unknown certificate compression"), "\(bad)")
    }
}
