import Foundation
import Testing
@testable import TLS13

/// Certificate compression below the state machine (RFC 8879): the `compress_certificate` extension, the
/// CompressedCertificate message, round trips through each system library, every way a peer's data can be wrong, and
/// decompression bombs refused quickly with bounded memory.
@Suite struct CertificateCompressionTests {
    static let algorithms: [CertificateCompressionAlgorithm] = [.zlib, .brotli, .zstd]

    /// The test PKI's ECDSA chain as a server's Certificate message.
    static func certificate(_ chainFile: String = "leaf-ecdsa-p256-chain.pem") throws -> CertificateMessage {
        let pem = String(decoding: try CertPaths.load(chainFile), as: UTF8.self)
        let ders = pem.components(separatedBy: "-----BEGIN CERTIFICATE-----").dropFirst().map { block -> [UInt8] in
            let body = block.components(separatedBy: "-----END CERTIFICATE-----")[0]
            return [UInt8](Data(base64Encoded: body.filter { !$0.isWhitespace }) ?? Data())
        }
        return CertificateMessage(entries: ders.map { CertificateMessage.Entry(certData: $0) })
    }

    static func encoded(_ certificate: CertificateMessage) throws -> [UInt8] {
        var w = ByteWriter()
        try certificate.encode(into: &w)
        return w.bytes
    }

    /// The error `body` threw, or `nil` when it returned.
    static func thrown(_ body: () throws(TLSError) -> Void) -> TLSError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    // MARK: Messages

    @Test func theExtensionRoundTripsAndRefusesBadLengths() throws {
        let ext = CompressCertificateExtension(algorithms: [.zstd, .brotli, .zlib])
        #expect(try ext.body == [6, 0, 3, 0, 2, 0, 1])
        #expect(try CompressCertificateExtension(body: ext.body) == ext)
        let hello = ClientHello(random: [UInt8](repeating: 0, count: 32), cipherSuites: [.aes128GCMSHA256],
                                extensions: [.supportedVersions([.tls13]), try ext.clientHelloExtension])
        #expect(try CompressCertificateExtension(in: hello) == ext)
        #expect(ExtensionType.compressCertificate.description == "compress_certificate")
        for bad: [UInt8] in [[], [0], [1, 0], [2, 0], [3, 0, 1, 0], [2, 0, 1, 0], [0xFF] + [UInt8](repeating: 0, count: 255)] {
            #expect(throws: TLSError.self, "\(bad)") { try CompressCertificateExtension(body: bad) }
        }
    }

    @Test func theMessageRoundTripsAndEveryTruncationFails() throws {
        let message = CompressedCertificate(algorithm: .brotli, uncompressedLength: 0x012345,
                                            compressedCertificateMessage: [1, 2, 3])
        var w = ByteWriter()
        try message.encode(into: &w)
        #expect(w.bytes == [0, 2, 0x01, 0x23, 0x45, 0, 0, 3, 1, 2, 3])
        #expect(try CompressedCertificate(body: w.bytes) == message)
        #expect(try message.handshakeMessage == [25, 0, 0, 11] + w.bytes)
        #expect(HandshakeType.compressedCertificate.description == "compressed_certificate")
        for n in 0..<w.count {
            #expect(throws: TLSError.self) { try CompressedCertificate(body: Array(w.bytes[..<n])) }
        }
        #expect(throws: TLSError.self) { try CompressedCertificate(body: w.bytes + [0]) }
        // compressed_certificate_message<1..2^24-1>: empty is malformed.
        #expect(throws: TLSError.self) { try CompressedCertificate(body: [0, 1, 0, 0, 5, 0, 0, 0]) }
    }

    // MARK: Round trips

    @Test(arguments: algorithms) func eachAlgorithmRoundTripsTheTestChain(_ algorithm: CertificateCompressionAlgorithm) throws {
        for chain in ["leaf-ecdsa-p256-chain.pem", "leaf-realworld-rsa2048-chain.pem"] {
            let certificate = try Self.certificate(chain)
            let compressed = try CertificateCompressor.compressedCertificate(certificate, algorithm: algorithm)
            #expect(try compressed.uncompressedLength == Self.encoded(certificate).count)
            #expect(compressed.compressedCertificateMessage.count < compressed.uncompressedLength, "\(algorithm) \(chain)")
            // Through the wire form and back.
            let parsed = try CompressedCertificate(body: Array(compressed.handshakeMessage.dropFirst(4)))
            let back = try parsed.decompressedCertificate(offered: TLSCertificateDecompressor.builtIn, maximumLength: 1 << 16)
            #expect(back == certificate)
        }
        #expect(CertificateDecompressor.supportedAlgorithms == [.zstd, .brotli, .zlib])
    }

    // MARK: What a peer can get wrong

    @Test(arguments: algorithms) func aWrongDeclaredLengthIsBadCertificate(_ algorithm: CertificateCompressionAlgorithm) throws {
        let body = try Self.encoded(try Self.certificate())
        let data = try CertificateCompressor.compress(algorithm, body)
        for declared in [body.count - 1, body.count + 1, 0, 1] {
            let error = Self.thrown { () throws(TLSError) in
                _ = try CertificateDecompressor.decompress(algorithm, data, uncompressedLength: declared, limit: 1 << 16)
            }
            #expect(error?.alert == .badCertificate, "\(algorithm) declared \(declared): \(String(describing: error))")
        }
        #expect(try CertificateDecompressor.decompress(algorithm, data, uncompressedLength: body.count, limit: 1 << 16) == body)
    }

    @Test(arguments: algorithms) func corruptTruncatedOrTrailingDataIsBadCertificate(_ algorithm: CertificateCompressionAlgorithm) throws {
        let body = try Self.encoded(try Self.certificate())
        let data = try CertificateCompressor.compress(algorithm, body)
        var cases: [(String, [UInt8])] = [
            ("truncated", Array(data.dropLast(3))), ("trailing byte", data + [0x55]), ("trailing copy", data + data),
            ("garbage", [UInt8](repeating: 0xA5, count: 64)), ("one byte", [0x01]),
        ]
        var flipped = data
        flipped[data.count / 2] ^= 0xFF
        cases.append(("flipped byte", flipped))
        for (what, input) in cases {
            var out: [UInt8]?
            let error = Self.thrown { () throws(TLSError) in
                out = try CertificateDecompressor.decompress(algorithm, input, uncompressedLength: body.count, limit: 1 << 16)
            }
            if let out {
                // A flipped byte in a literal can still decode to the right length; never to the original.
                #expect(what == "flipped byte" && out != body, "\(algorithm) \(what) was accepted")
            } else {
                #expect(error?.alert == .badCertificate, "\(algorithm) \(what): \(String(describing: error))")
            }
        }
        #expect(throws: TLSError.self) { try CertificateDecompressor.decompress(algorithm, [], uncompressedLength: 1, limit: 16) }
    }

    @Test func anAlgorithmNotOfferedIsIllegalParameter() throws {
        let compressed = try CertificateCompressor.compressedCertificate(try Self.certificate(), algorithm: .brotli)
        #expect(throws: TLSError.illegalParameter("CompressedCertificate with brotli, which the client did not offer")) {
            try compressed.decompressedCertificate(offered: [TLSCertificateDecompressor.zlib, .zstd], maximumLength: 1 << 16)
        }
        var unknown = compressed
        unknown.algorithm = CertificateCompressionAlgorithm(rawValue: 0x1234)
        #expect(Self.thrown { () throws(TLSError) in _ = try unknown.decompressedCertificate(offered: [TLSCertificateDecompressor(algorithm: unknown.algorithm, implementation: .system)], maximumLength: 1 << 16) }?
                    .alert == .illegalParameter)
        // Decompressed, but not a Certificate message: decode_error.
        let junk = CompressedCertificate(algorithm: .zlib, uncompressedLength: 5,
                                         compressedCertificateMessage: try CertificateCompressor.compress(.zlib, [9, 9, 9, 9, 9]))
        #expect(Self.thrown { () throws(TLSError) in _ = try junk.decompressedCertificate(offered: [TLSCertificateDecompressor.zlib], maximumLength: 100) }?.alert
                == .decodeError)
    }

    @Test func aDeclaredLengthOverTheLimitIsRefusedBeforeDecompressing() throws {
        // The data is garbage: only the length check can have refused it.
        for algorithm in Self.algorithms {
            #expect(throws: TLSError.protocolViolation(
                alert: .badCertificate,
                reason: "CompressedCertificate: uncompressed_length 16385 is over the limit of 16384 bytes")
            ) {
                try CertificateDecompressor.decompress(algorithm, [1, 2, 3], uncompressedLength: 16385, limit: 16384)
            }
            // The uint24 ceiling holds whatever the configured limit.
            #expect(throws: TLSError.self) {
                try CertificateDecompressor.decompress(algorithm, [1], uncompressedLength: 1 << 24, limit: Int.max)
            }
        }
    }

    // MARK: Bombs

    /// 1 GiB (zlib: 64 MiB) of zeros declared as 16 MiB − 1 (the largest a uint24 holds) or as 1 KiB: refused, and
    /// quickly, since decoding stops at the declared length plus one byte.
    @Test(arguments: algorithms) func bombsAreRefusedQuickly(_ algorithm: CertificateCompressionAlgorithm) throws {
        let bomb = CompressionBomb.bomb(algorithm)
        #expect(bomb.count * 64 < CompressionBomb.expandedSize(algorithm), "\(algorithm): \(bomb.count) bytes is a bomb")
        for declared in [CertificateDecompressor.maximumLength, 1024] {
            let start = ContinuousClock.now
            #expect(throws: TLSError.protocolViolation(
                alert: .badCertificate,
                reason: "CompressedCertificate: \(algorithm) data decompresses to more than the declared \(declared) bytes")
            ) {
                try CertificateDecompressor.decompress(algorithm, bomb, uncompressedLength: declared,
                                                       limit: CertificateDecompressor.maximumLength)
            }
            // Generous: decoding 16 MiB of zeros takes milliseconds; the whole bomb would take seconds.
            #expect(ContinuousClock.now - start < .seconds(10), "\(algorithm) declared \(declared)")
        }
    }

    /// Peak memory, measured in a child process (GNU time's maximum RSS) that runs only
    /// ``bombChild()``: decompressing each bomb declared as 16 MiB − 1 raises the peak by about the 16 MiB output
    /// buffer (plus brotli's ring buffer), never by the bomb's expansion (64 MiB / 1 GiB).
    @Test func bombsCostBoundedMemory() async throws {
        let time = "/usr/bin/time"
        #expect(FileManager.default.isExecutableFile(atPath: time), "GNU time is installed by Scripts/install-deps.sh")
        let binary = try #require(ProcessInfo.processInfo.arguments.first)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls13-bombs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let small = try CertificateCompressor.compress(.zlib, try Self.encoded(try Self.certificate()))
        var runs: [(String, CertificateCompressionAlgorithm, [UInt8], Int)] = [
            ("baseline", .zlib, small, try Self.encoded(try Self.certificate()).count),
        ]
        for algorithm in Self.algorithms {
            runs.append(("bomb", algorithm, CompressionBomb.bomb(algorithm), CertificateDecompressor.maximumLength))
        }
        var peaks: [String: Int] = [:]
        for (kind, algorithm, data, declared) in runs {
            let file = dir.appendingPathComponent("\(kind)-\(algorithm)")
            try Data(data).write(to: file)
            let result = try await runBlocking {
                try TestServerProcess.run(time, ["-f", "peak-rss-kib %M", binary, "--testing-library", "swift-testing",
                                                 "--filter", "bombChild"],
                                          environment: ProcessInfo.processInfo.environment.merging([
                                              "TLS13_BOMB_FILE": file.path, "TLS13_BOMB_ALGORITHM": "\(algorithm.rawValue)",
                                              "TLS13_BOMB_DECLARED": "\(declared)",
                                          ]) { $1 }, timeout: 300)
            }
            let expected = kind == "baseline" ? "BOMB-RESULT accepted" : "BOMB-RESULT refused"
            #expect(result.output.contains(expected), "\(kind) \(algorithm): \(result.output.suffix(1500))")
            let line = result.output.split(separator: "\n").last { $0.hasPrefix("peak-rss-kib ") }
            peaks["\(kind)-\(algorithm)"] = line.flatMap { Int($0.dropFirst("peak-rss-kib ".count)) }
        }
        let baseline = try #require(peaks["baseline-zlib"])
        for algorithm in Self.algorithms {
            let peak = try #require(peaks["bomb-\(algorithm)"])
            let growthMiB = Double(peak - baseline) / 1024
            // The output buffer is 16 MiB; brotli may add its ring buffer (at most 16 MiB). Far below the expansion.
            #expect(growthMiB < 40, "\(algorithm): peak \(peak) KiB vs baseline \(baseline) KiB")
            Swift.print("bomb \(algorithm): peak RSS +\(Int(growthMiB)) MiB over the baseline (\(baseline / 1024) MiB)")
        }
    }

    /// The child of ``bombsCostBoundedMemory()``: decompresses the file named by `TLS13_BOMB_FILE` and prints the
    /// verdict. Run by itself (no environment), it checks the small case so that it still asserts something.
    @Test func bombChild() throws {
        let env = ProcessInfo.processInfo.environment
        guard let path = env["TLS13_BOMB_FILE"], let raw = env["TLS13_BOMB_ALGORITHM"].flatMap(UInt16.init),
            let declared = env["TLS13_BOMB_DECLARED"].flatMap(Int.init)
        else {
            let body = try Self.encoded(try Self.certificate())
            let data = try CertificateCompressor.compress(.zstd, body)
            #expect(try CertificateDecompressor.decompress(.zstd, data, uncompressedLength: body.count, limit: 1 << 16) == body)
            return
        }
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        do {
            let out = try CertificateDecompressor.decompress(
                CertificateCompressionAlgorithm(rawValue: raw), data, uncompressedLength: declared,
                limit: CertificateDecompressor.maximumLength)
            Swift.print("BOMB-RESULT accepted \(out.count)")
        } catch {
            Swift.print("BOMB-RESULT refused \(error)")
        }
    }
}

/// The bytes certificate compression saves on the test PKI's chains and on a chain of real-world size (Docs/Interop.md,
/// "Certificate compression"): printed as the table's rows; each algorithm must save something on every chain.
@Suite struct CertificateCompressionSizeTests {
    static let chains = [
        "leaf-ecdsa-p256-chain.pem", "leaf-ecdsa-p384-chain.pem", "leaf-ed25519-chain.pem", "leaf-rsa2048-chain.pem",
        "leaf-rsa-pkcs1-chain.pem", "leaf-realworld-rsa2048-chain.pem",
    ]

    @Test func everyAlgorithmSavesBytesOnEveryChain() throws {
        var rows: [String] = []
        for chain in Self.chains {
            let certificate = try CertificateCompressionTests.certificate(chain)
            // The handshake message as sent: Certificate (4-byte header + body) against CompressedCertificate.
            let plain = try HandshakeMessage.certificate(certificate).encoded.count
            var cells: [String] = []
            for algorithm in CertificateCompressionTests.algorithms {
                let compressed = try CertificateCompressor.compressedCertificate(certificate, algorithm: algorithm)
                let sent = try compressed.handshakeMessage.count
                #expect(sent < plain, "\(algorithm) on \(chain): \(sent) ≥ \(plain)")
                cells.append("\(sent) (−\(plain - sent), \(Int((Double(plain - sent) / Double(plain) * 100).rounded()))%)")
            }
            rows.append("| `\(chain)` | \(certificate.entries.count) | \(plain) | " + cells.joined(separator: " | ") + " |")
        }
        Swift.print((["| chain | certificates | Certificate | zlib | brotli | zstd |",
                      "| --- | --- | --- | --- | --- | --- |"] + rows).joined(separator: "\n"))
    }
}
