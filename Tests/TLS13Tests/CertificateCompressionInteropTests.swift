import Foundation
import Testing
@testable import TLS13

/// The tlslite-ng side of certificate compression (RFC 8879), ready for the client: tlslite-ng 0.8.2 with `brotli`
/// and `zstandard` compresses its Certificate with each algorithm, as its own client confirms — and the library
/// decompresses what tlslite-ng's compressors (Python's zlib, brotli, zstandard bindings) produce.
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
        #expect(try message.decompressedCertificate(offered: [algorithmID], maximumLength: 1 << 16) == certificate)
    }
}
