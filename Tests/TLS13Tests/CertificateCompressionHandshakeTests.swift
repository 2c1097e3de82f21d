import Testing
@testable import TLS13

/// Certificate compression (RFC 8879) in the handshake, against the scripted server: what the ClientHello offers, the
/// CompressedCertificate accepted in place of the Certificate (in the transcript as sent: the server checks the
/// client's Finished over it), and every way it can be wrong.
@Suite struct CertificateCompressionHandshakeTests {
    static func server(_ algorithm: CertificateCompressionAlgorithm, chain: ScriptedServer.Chain = .ecdsaP256,
                       _ configure: (inout ScriptedServer.Configuration) -> Void = { _ in }) -> ScriptedServer {
        var configuration = ScriptedServer.Configuration(chain: chain)
        configuration.compressCertificate = algorithm
        configure(&configuration)
        return ScriptedServer(configuration)
    }

    static func offered(_ hello: ClientHello?) throws -> [CertificateCompressionAlgorithm]? {
        guard case .unknown(.compressCertificate, let body)? = hello?.extension(.compressCertificate) else { return nil }
        return try CompressCertificateExtension(body: body).algorithms
    }

    @Test func theDefaultClientHelloOffersZstdBrotliZlib() throws {
        let server = ScriptedServer()
        expectSuccess(runHandshake(client: try makeTestClient(), server: server), server: server)
        #expect(try Self.offered(server.clientHellos.first) == [.zstd, .brotli, .zlib])
    }

    @Test(arguments: [CertificateCompressionAlgorithm.zstd, .brotli, .zlib])
    func eachAlgorithmIsAccepted(_ algorithm: CertificateCompressionAlgorithm) throws {
        let server = Self.server(algorithm)
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        let info = try #require(client.info.certificateCompression)
        #expect(info.algorithm == algorithm)
        #expect(info.compressedLength < info.uncompressedLength)
        #expect(client.info.peerCertificates.count == 2 && client.info.certificateVerified)
        // The server sent a CompressedCertificate (type 25), and its transcript holds it as sent.
        #expect(server.sentMessages.contains { $0.bytes.first == HandshakeType.compressedCertificate.rawValue })
    }

    @Test func afterACertificateRequest() throws {
        let server = Self.server(.brotli) {
            $0.certificateRequest = CertificateRequest(extensions: [
                .signatureAlgorithms([.ecdsaSecp256r1SHA256]),
                .unknown(.compressCertificate, [2, 0, 1]),  // the server's own list (RFC 8879 §3): allowed here
            ])
        }
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.certificateCompression?.algorithm == .brotli && client.info.clientCertificateRequested)
    }

    @Test func turnedOffNothingIsOfferedAndACompressedCertificateIsUnexpected() throws {
        let plain = ScriptedServer()
        expectSuccess(runHandshake(client: try makeTestClient { $0.certificateDecompressors = [] }, server: plain),
                      server: plain)
        #expect(try Self.offered(plain.clientHellos.first) == nil)
        let server = Self.server(.zlib) { $0.compressEvenIfNotOffered = true }
        expectAlert(runHandshake(client: try makeTestClient { $0.certificateDecompressors = [] }, server: server),
                    .unexpectedMessage, encrypted: true)
    }

    @Test func anAlgorithmNotOfferedIsIllegalParameter() throws {
        let server = Self.server(.brotli) { $0.compressEvenIfNotOffered = true }
        let client = try makeTestClient { $0.certificateDecompressors = [.zlib] }
        expectAlert(runHandshake(client: client, server: server), .illegalParameter, encrypted: true)
        #expect(try Self.offered(server.clientHellos.first) == [.zlib])
    }

    @Test func aDeclaredLengthOverTheLimitOrWrongIsBadCertificate() throws {
        // Over maxHandshakeMessageSize (64 KiB by default): refused before decompressing.
        let huge = Self.server(.zstd)
        huge.mutateCompressedCertificate = { $0.uncompressedLength = 1 << 20 }
        expectAlert(runHandshake(client: try makeTestClient(), server: huge), .badCertificate, encrypted: true)
        for delta in [-1, 1] {
            let wrong = Self.server(.zlib)
            wrong.mutateCompressedCertificate = { $0.uncompressedLength += delta }
            expectAlert(runHandshake(client: try makeTestClient(), server: wrong), .badCertificate, encrypted: true)
        }
        let corrupt = Self.server(.brotli)
        corrupt.mutateCompressedCertificate = { $0.compressedCertificateMessage[4] ^= 0xFF }
        let outcome = runHandshake(client: try makeTestClient(), server: corrupt)
        #expect(outcome.error?.alert == .badCertificate || outcome.error?.alert == .decodeError, "\(String(describing: outcome.error))")
    }

    /// An application's own algorithm (a private code point): offered after the built-in ones' place, its closure
    /// gets the declared length, and what it returns is held to that length.
    @Test func aCustomDecompressorIsOfferedAndHeldToTheDeclaredLength() throws {
        let reversed = CertificateCompressionAlgorithm(rawValue: 0xFF77)
        let reverse = TLSCertificateDecompressor(algorithm: reversed) { data, length in
            data.count == length ? Array(data.reversed()) : nil
        }
        // The scripted server compresses with the library's compressor; swap in the reversal.
        func reversingServer() -> ScriptedServer {
            let server = Self.server(.zlib) { $0.compressEvenIfNotOffered = true }
            server.mutateCompressedCertificate = { message in
                let body = (try? CertificateDecompressor.decompress(
                    .zlib, message.compressedCertificateMessage, uncompressedLength: message.uncompressedLength,
                    limit: 1 << 16)) ?? []
                message = CompressedCertificate(algorithm: reversed, uncompressedLength: body.count,
                                                compressedCertificateMessage: Array(body.reversed()))
            }
            return server
        }
        let server = reversingServer()
        let client = try makeTestClient { $0.certificateDecompressors = [.zstd, reverse] }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(try Self.offered(server.clientHellos.first) == [.zstd, reversed])
        #expect(client.info.certificateCompression?.algorithm == reversed)

        let lying = TLSCertificateDecompressor(algorithm: reversed) { data, _ in Array(data.reversed()) + [0] }
        expectAlert(runHandshake(client: try makeTestClient { $0.certificateDecompressors = [lying] },
                                 server: reversingServer()), .badCertificate, encrypted: true)
    }

    @Test func configurationsThatCannotBeOfferedAreRefused() throws {
        var config = TLSClientConfiguration()
        config.certificateDecompressors = [.zlib, .zlib]
        #expect(throws: TLSError.self) { try config.validate() }
        config.certificateDecompressors = (0..<128).map { i in
            TLSCertificateDecompressor(algorithm: CertificateCompressionAlgorithm(rawValue: 0x8000 + UInt16(i))) { _, _ in nil }
        }
        #expect(throws: TLSError.self) { try config.validate() }
        config.certificateDecompressors = TLSCertificateDecompressor.builtIn
        try config.validate()
    }

    /// Compression changes no verdict: a chain the client rejects uncompressed it rejects compressed, with the same
    /// alert.
    @Test(arguments: [ScriptedServer.Chain.wrongHost, .expired, .unknownCA, .selfSigned, .ecdsaP384])
    func theVerdictIsTheSameCompressedOrNot(_ chain: ScriptedServer.Chain) throws {
        let plain = runHandshake(client: try makeTestClient(), server: ScriptedServer(ScriptedServer.Configuration(chain: chain)))
        let compressed = runHandshake(client: try makeTestClient(), server: Self.server(.zstd, chain: chain))
        #expect(plain.error?.alert == compressed.error?.alert, "\(chain): \(String(describing: plain.error)) vs \(String(describing: compressed.error))")
        #expect(plain.handshakeCompleted == compressed.handshakeCompleted)
    }

    @Test func theTraceShowsTheCompressedCertificate() throws {
        let events = EventBox()
        let server = Self.server(.brotli)
        let client = try ClientStateMachine(
            configuration: TLSClientConfiguration(), identity: .dnsName("localhost"),
            dependencies: ClientStateMachine.Dependencies(
                certificateVerifier: try ScriptedPKI.verifier(), now: ScriptedPKI.now, tracer: { events.append($0) },
                monotonicNanoseconds: { 0 }))
        expectSuccess(runHandshake(client: client, server: server), server: server)
        let messages = events.events.compactMap { event -> TLSHandshakeMessageInfo? in
            if case .handshakeMessage(let m) = event, m.direction == .received { return m }
            return nil
        }
        let compressed = try #require(messages.first { $0.name == "CompressedCertificate" })
        #expect(compressed.fields.contains(TLSTraceField("algorithm", .string("brotli"))))
        #expect(!messages.contains { $0.name == "Certificate" })
        #expect(events.events.contains { event in
            if case .cryptoOperation(let op) = event { return op.step == "certificate decompression" }
            return false
        })
    }

    final class EventBox: @unchecked Sendable {
        var events: [TLSEvent] = []
        func append(_ event: TLSEvent) { events.append(event) }
    }
}
