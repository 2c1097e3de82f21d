import Foundation
import Glibc
import Testing
@testable import TLS13

/// The local ECH server (`Interop/ech-server`, Go's standard library) before the client has ECH: Go's own client
/// connects to it with ECH accepted, resumed, through a HelloRetryRequest and rejected with retry configs; and the
/// library's ECH building blocks speak to it at the byte level — a ClientHelloOuter sealed by `ECHClientOffer` is
/// decrypted by Go, whose ServerHello then carries the acceptance confirmation `ECHAcceptance` computes (also after a
/// HelloRetryRequest, with the same HPKE context), and a config the server has no key for is not accepted.
@Suite(.serialized) struct ECHServerTests {
    // MARK: Go's client against the Go server

    @Test func goClientConnectsWithECHAcceptedAndResumes() async throws {
        let server = try await ECHServer.start()
        defer { server.stop() }
        let result = try await runBlocking { try server.goClient(resume: true) }
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("RESULT ech_accepted=true resumed=false server_name=localhost"), "\(result.output)")
        #expect(result.output.contains("RESULT ech_accepted=true resumed=true server_name=localhost"), "\(result.output)")
        let seen = server.connections
        #expect(seen.map(\.echAccepted) == [true, true], "\(server.server.output)")
        #expect(seen.map(\.serverName) == ["localhost", "localhost"])
        #expect(seen.map(\.resumed) == [false, true])
    }

    @Test func goClientIsRejectedWithTheRetryConfigs() async throws {
        var options = ECHServer.Options()
        options.reject = true
        let server = try await ECHServer.start(options)
        defer { server.stop() }
        #expect(server.echConfigList != server.retryConfigList)
        let result = try await runBlocking { try server.goClient() }
        #expect(result.status == 3, "\(result.output)")
        #expect(result.output.contains("REJECTED retry_configs=\(Data(server.retryConfigList).base64EncodedString())"),
                "\(result.output)")
        let logged = try await runBlocking { server.server.waitForLines(withPrefix: "CONNECTION ") }
        #expect(logged)
        #expect(server.connections.first?.echAccepted == false)
        #expect(server.connections.first?.serverName == "ech-public.example", "the outer SNI is the public name")
        // And the retry configs work.
        let retried = try await runBlocking { try server.goClient(echConfigList: server.retryConfigList) }
        #expect(retried.output.contains("RESULT ech_accepted=true"), "\(retried.output)")
    }

    @Test func goClientGoesThroughAHelloRetryRequest() async throws {
        var options = ECHServer.Options()
        options.helloRetryRequest = true
        let server = try await ECHServer.start(options)
        defer { server.stop() }
        let result = try await runBlocking { try server.goClient() }
        #expect(result.output.contains("RESULT ech_accepted=true"), "\(result.output)")
        #expect(server.connections.first?.helloRetryRequest == true)
        #expect(server.connections.first?.group == "0x0017")
    }

    @Test(arguments: ["x25519", "p256"]) func theServersConfigListParsesAndIsSelected(kem: String) async throws {
        var options = ECHServer.Options()
        options.kem = kem
        options.suites = ["2:2", "1:3"]
        options.maximumNameLength = 42
        let server = try await ECHServer.start(options)
        defer { server.stop() }
        let list = try ECHConfigList(bytes: server.echConfigList)
        #expect(try list.encoded == server.echConfigList)
        let config = try #require(list.configs.first)
        #expect(config.publicNameString == "ech-public.example" && config.configID == 0x42 && config.maximumNameLength == 42)
        #expect(config.kemID == (kem == "p256" ? .p256HKDFSHA256 : .x25519HKDFSHA256))
        let selected = try #require(ECHClientOffer.select(from: list))
        #expect(selected.suite == .init(kdf: .hkdfSHA256, aead: .chacha20Poly1305), "the client's preference among both")
        if kem == "p256" {
            // Go's client with a P-256 config, as a check of the server.
            let result = try await runBlocking { try server.goClient() }
            #expect(result.output.contains("RESULT ech_accepted=true"), "\(result.output)")
        }
    }

    // MARK: The library's ECH pieces against Go, at the byte level

    /// ClientHelloInner and ClientHelloOuter as a browser-like client builds them, the key share (and groups and
    /// signature algorithms) compressed into ech_outer_extensions.
    struct Hellos {
        var inner: ClientHello
        var outer: ClientHello
        static let compressed: [ExtensionType] = [.supportedGroups, .keyShare, .signatureAlgorithms]

        init(share: KeyShare, publicName: String, innerRandom: [UInt8], outerRandom: [UInt8], sessionID: [UInt8],
             cookie: [UInt8]? = nil) throws {
            let groups: [NamedGroup] = [.x25519, .secp256r1]
            let schemes: [SignatureScheme] = [.ecdsaSecp256r1SHA256, .rsaPSSRSAESHA256, .ed25519]
            let common: [ClientHelloExtension] = [
                .supportedGroups(groups), .keyShare([KeyShareEntry(group: share.group, keyExchange: share.publicKey)]),
                .signatureAlgorithms(schemes),
            ]
            let tail: [ClientHelloExtension] = [.supportedVersions([.tls13])] + (cookie.map { [.cookie($0)] } ?? [])
            inner = ClientHello(random: innerRandom, legacySessionID: sessionID,
                                cipherSuites: [.aes128GCMSHA256, .chacha20Poly1305SHA256],
                                extensions: [.serverName("localhost")] + common + tail
                                    + [try ECHClientHello.inner.clientHelloExtension])
            outer = ClientHello(random: outerRandom, legacySessionID: sessionID,
                                cipherSuites: [.aes128GCMSHA256, .chacha20Poly1305SHA256],
                                extensions: [.serverName(publicName)] + common + tail)
        }
    }

    /// A blocking TCP connection to the server that sends handshake records and reads the handshake messages back.
    final class RawConnection: @unchecked Sendable {
        // @unchecked Sendable: used by one test, from one thread at a time.
        let fd: Int32
        private var buffer: [UInt8] = []

        init(port: UInt16) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw VectorError(description: "socket failed") }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard rc == 0 else {
                close(fd)
                throw VectorError(description: "connect failed")
            }
        }

        deinit { close(fd) }

        /// Sends `message` in one handshake record: legacy_record_version 0x0301 for the first ClientHello, 0x0303 after
        /// a HelloRetryRequest (RFC 8446 §5.1; Go's server refuses 0x0301 then with protocol_version).
        func send(_ message: [UInt8], afterHelloRetryRequest: Bool = false) throws {
            let minor: UInt8 = afterHelloRetryRequest ? 3 : 1
            var record: [UInt8] = [22, 3, minor, UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
            while !record.isEmpty {
                let n = record.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                guard n > 0 else { throw VectorError(description: "write failed") }
                record.removeFirst(n)
            }
        }

        private func fill(_ count: Int) throws {
            var chunk = [UInt8](repeating: 0, count: 16384)
            while buffer.count < count {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard n > 0 else { throw VectorError(description: "the server closed or timed out (\(n))") }
                buffer += chunk[..<n]
            }
        }

        /// The next plaintext handshake message (header included), skipping change_cipher_spec; an alert throws.
        func readHandshakeMessage() throws -> [UInt8] {
            while true {
                try fill(5)
                let type = buffer[0], length = Int(buffer[3]) << 8 | Int(buffer[4])
                try fill(5 + length)
                let body = Array(buffer[5..<(5 + length)])
                buffer.removeFirst(5 + length)
                switch type {
                case 20: continue
                case 22:
                    // One message per record from Go's server in these flights.
                    guard body.count >= 4, Int(body[1]) << 16 | Int(body[2]) << 8 | Int(body[3]) == body.count - 4 else {
                        throw VectorError(description: "a handshake record that is not one whole message")
                    }
                    return body
                case 21: throw VectorError(description: "alert \(body)")
                default: throw VectorError(description: "record of type \(type)")
                }
            }
        }
    }

    static func hash(_ suite: CipherSuite) -> HashAlgorithm { suite == .aes256GCMSHA384 ? .sha384 : .sha256 }

    static func transcriptHash(_ hash: HashAlgorithm, _ messages: [[UInt8]]) throws -> [UInt8] {
        let transcript = try TranscriptHash(hash)
        for message in messages { transcript.update(message) }
        return try transcript.current()
    }

    /// Seals a fresh pair of hellos for the server's advertised config, sends ClientHelloOuter raw, and returns the
    /// ServerHello with whether its random carries the `accept_confirmation` of the inner transcript.
    static func sealSendAndCheck(_ server: ECHServer) async throws -> (serverHello: ServerHello, inner: ClientHello,
                                                                       confirmed: Bool) {
        let offer = try ECHClientOffer(list: try ECHConfigList(bytes: server.echConfigList))
        let random = SystemRandom()
        let hellos = try Hellos(share: try EVPKeyShare(curve: .x25519), publicName: offer.config.publicNameString,
                            innerRandom: try random.bytes(32), outerRandom: try random.bytes(32),
                            sessionID: try random.bytes(32))
        let outer = try offer.sealOuter(inner: hellos.inner, outer: hellos.outer, compressing: Hellos.compressed)
        let serverHello = try await runBlocking { () -> [UInt8] in
            let connection = try RawConnection(port: server.port)
            try connection.send(try HandshakeMessage.clientHello(outer).encoded)
            return try connection.readHandshakeMessage()
        }
        guard case .serverHello(let sh) = try HandshakeMessage.decode(serverHello) else {
            throw VectorError(description: "expected a ServerHello")
        }
        let hash = Self.hash(sh.cipherSuite)
        let (zeroed, received) = try ECHAcceptance.serverHelloForConfirmation(serverHello)
        let expected = try ECHAcceptance.confirmation(
            hash: hash, innerRandom: hellos.inner.random,
            transcriptHash: try Self.transcriptHash(hash, [HandshakeMessage.clientHello(hellos.inner).encoded, zeroed]),
            helloRetryRequest: false)
        return (sh, hellos.inner, ECHAcceptance.matches(expected: expected, received: received))
    }

    @Test func goAcceptsAClientHelloOuterSealedByTheLibrary() async throws {
        let server = try await ECHServer.start()
        defer { server.stop() }
        let (sh, inner, confirmed) = try await Self.sealSendAndCheck(server)
        #expect(confirmed, "Go accepted ECH and confirmed it")
        #expect(sh.legacySessionIDEcho == inner.legacySessionID)
    }

    @Test func aConfigTheServerCannotDecryptIsNotConfirmed() async throws {
        var options = ECHServer.Options()
        options.reject = true
        let server = try await ECHServer.start(options)
        defer { server.stop() }
        let (_, _, confirmed) = try await Self.sealSendAndCheck(server)
        #expect(!confirmed, "rejected: no confirmation")
    }

    /// Through a HelloRetryRequest: the HRR's confirmation over `message_hash(ClientHelloInner1) ‖ HRR`, then the
    /// second ClientHelloOuter sealed with the same HPKE context (sequence 1, empty `enc`), and the ServerHello's
    /// confirmation over the whole inner transcript.
    @Test func goAcceptsBothSealsAcrossAHelloRetryRequest() async throws {
        var options = ECHServer.Options()
        options.helloRetryRequest = true
        let server = try await ECHServer.start(options)
        defer { server.stop() }
        let offer = try ECHClientOffer(list: try ECHConfigList(bytes: server.echConfigList))
        let random = SystemRandom()
        let innerRandom = try random.bytes(32), outerRandom = try random.bytes(32), sessionID = try random.bytes(32)
        let first = try Hellos(share: try EVPKeyShare(curve: .x25519), publicName: offer.config.publicNameString,
                           innerRandom: innerRandom, outerRandom: outerRandom, sessionID: sessionID)
        let outer1 = try offer.sealOuter(inner: first.inner, outer: first.outer, compressing: Hellos.compressed)
        let inner1Message = try HandshakeMessage.clientHello(first.inner).encoded
        let connection = try await runBlocking { try RawConnection(port: server.port) }
        let hrrMessage = try await runBlocking { () -> [UInt8] in
            try connection.send(try HandshakeMessage.clientHello(outer1).encoded)
            return try connection.readHandshakeMessage()
        }
        guard case .helloRetryRequest(let hrr) = try HandshakeMessage.decode(hrrMessage) else {
            Issue.record("expected a HelloRetryRequest")
            return
        }
        #expect(hrr.selectedGroup == .secp256r1)
        let hash = Self.hash(hrr.cipherSuite)
        let messageHash = HandshakeMessage.messageHash(try hash.hash(inner1Message))
        let split = try #require(try ECHAcceptance.helloRetryRequestForConfirmation(hrrMessage))
        let hrrExpected = try ECHAcceptance.confirmation(
            hash: hash, innerRandom: innerRandom,
            transcriptHash: try Self.transcriptHash(hash, [messageHash, split.zeroed]), helloRetryRequest: true)
        #expect(ECHAcceptance.matches(expected: hrrExpected, received: split.confirmation), "the HRR confirms ECH")

        let second = try Hellos(share: try EVPKeyShare(curve: .secp256r1), publicName: offer.config.publicNameString,
                            innerRandom: innerRandom, outerRandom: outerRandom, sessionID: sessionID, cookie: hrr.cookie)
        let outer2 = try offer.sealOuter(inner: second.inner, outer: second.outer, compressing: Hellos.compressed)
        guard case .outer(_, _, let enc2, _)? = try ECHClientHello(in: outer2) else {
            Issue.record("no outer ECH extension")
            return
        }
        #expect(enc2.isEmpty && offer.sealedCount == 2)
        let serverHello = try await runBlocking { () -> [UInt8] in
            try connection.send(try HandshakeMessage.clientHello(outer2).encoded, afterHelloRetryRequest: true)
            return try connection.readHandshakeMessage()
        }
        guard case .serverHello(let sh) = try HandshakeMessage.decode(serverHello) else {
            Issue.record("expected a ServerHello")
            return
        }
        #expect(sh.cipherSuite == hrr.cipherSuite)
        let (zeroed, received) = try ECHAcceptance.serverHelloForConfirmation(serverHello)
        let expected = try ECHAcceptance.confirmation(
            hash: hash, innerRandom: innerRandom,
            transcriptHash: try Self.transcriptHash(hash, [messageHash, hrrMessage,
                                                           HandshakeMessage.clientHello(second.inner).encoded, zeroed]),
            helloRetryRequest: false)
        #expect(ECHAcceptance.matches(expected: expected, received: received), "the ServerHello confirms ECH")
    }
}
