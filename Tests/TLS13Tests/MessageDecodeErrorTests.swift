import Testing

@testable import TLS13

/// Malformed handshake messages: every truncation and every trailing byte is `decode_error`, the
/// context-free semantic checks give their RFC 8446 alerts, and random mutations never crash.
@Suite struct MessageDecodeErrorTests {
    /// The alert of the `TLSError` thrown by `body`, or `nil` (and a recorded issue) if it did not throw.
    private func alert(
        _ body: () throws(TLSError) -> Void, sourceLocation: SourceLocation = #_sourceLocation
    ) -> AlertDescription? {
        do throws(TLSError) {
            try body()
        } catch {
            return error.alert
        }
        Issue.record("expected a TLSError", sourceLocation: sourceLocation)
        return nil
    }

    private func decodeAlert(
        _ type: HandshakeType, _ body: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
    ) -> AlertDescription? {
        alert(
            { () throws(TLSError) in _ = try HandshakeMessage.decode(type: type, body: body) },
            sourceLocation: sourceLocation)
    }

    /// All handshake messages of the RFC 8448 traces, with their bytes.
    private func traceMessages() throws -> [(name: String, bytes: [UInt8])] {
        var all: [(String, [UInt8])] = []
        for (traceName, messages) in MessageCodecTests.traceMessages {
            let trace = try RFC8448Trace.load(traceName)
            for (value, _) in messages { all.append(("\(traceName) \(value)", try trace.bytes(value))) }
        }
        return all
    }

    @Test func everyTruncationIsDecodeError() throws {
        var checked = 0
        for (name, bytes) in try traceMessages() {
            // The framed message cut anywhere: the header's length no longer matches.
            for n in 0..<bytes.count {
                #expect(
                    alert({ () throws(TLSError) in _ = try HandshakeMessage.decode(Array(bytes.prefix(n))) })
                        == .decodeError, "\(name) cut at \(n)")
            }
            // The body cut anywhere, header consistent: the inner vectors overrun. Finished and
            // EndOfEarlyData have no inner structure to overrun.
            let type = HandshakeType(rawValue: bytes[0])
            guard type != .finished, type != .endOfEarlyData else { continue }
            let body = Array(bytes.dropFirst(4))
            // A ServerHello may legally end right before its extensions (a TLS 1.2-or-older ServerHello):
            // that cut decodes, with no extensions and so no TLS 1.3 version (the client answers protocol_version).
            // (Not a HelloRetryRequest: that is TLS 1.3 only, and its extensions are required.)
            let isHRR = body.count > 34 && Array(body[2..<34]) == ServerHello.helloRetryRequestRandom
            let legacyEnd = type == .serverHello && !isHRR && body.count > 34 ? 35 + Int(body[34]) + 3 : -1
            for n in 0..<body.count {
                if n == legacyEnd {
                    let decoded = try HandshakeMessage.decode(type: type, body: Array(body.prefix(n)))
                    guard case .serverHello(let sh) = decoded else {
                        Issue.record("\(name) cut before its extensions is not a ServerHello")
                        continue
                    }
                    #expect(sh.extensions.isEmpty && sh.selectedVersion == nil, "\(name) cut at \(n)")
                } else {
                    #expect(decodeAlert(type, Array(body.prefix(n))) == .decodeError, "\(name) body cut at \(n)")
                }
                checked += 1
            }
        }
        #expect(checked > 3000)
    }

    @Test func everyTrailingByteIsDecodeError() throws {
        for (name, bytes) in try traceMessages() {
            #expect(
                alert({ () throws(TLSError) in _ = try HandshakeMessage.decode(bytes + [0]) }) == .decodeError,
                "\(name)")
            let type = HandshakeType(rawValue: bytes[0])
            guard type != .finished else { continue }
            #expect(decodeAlert(type, Array(bytes.dropFirst(4)) + [0]) == .decodeError, "\(name)")
        }
    }

    @Test func unknownHandshakeTypesAreUnexpected() {
        for raw: UInt8 in [0, 3, 6, 12, 14, 16, 21, 22, 23, 25, 99, 254, 255] {
            #expect(decodeAlert(HandshakeType(rawValue: raw), [0]) == .unexpectedMessage, "type \(raw)")
        }
        #expect(decodeAlert(.endOfEarlyData, [0]) == .decodeError)
    }

    /// A ServerHello body with the given session id, compression method and extension block.
    private func serverHelloBody(
        random: [UInt8] = [UInt8](repeating: 1, count: 32), sessionID: [UInt8] = [], compression: UInt8 = 0,
        extensions: [UInt8] = [0x00, 0x2b, 0x00, 0x02, 0x03, 0x04]
    ) -> [UInt8] {
        var w = ByteWriter()
        w.writeUInt16(0x0303)
        w.writeBytes(random)
        try? w.writeVector(1, sessionID)
        w.writeUInt16(0x1301)
        w.writeUInt8(compression)
        try? w.writeVector(2, extensions)
        return w.bytes
    }

    @Test func serverHelloChecks() throws {
        #expect(try HandshakeMessage.decode(type: .serverHello, body: serverHelloBody()).name == "server_hello")
        #expect(decodeAlert(.serverHello, serverHelloBody(compression: 1)) == .illegalParameter)
        #expect(decodeAlert(.serverHello, serverHelloBody(sessionID: [UInt8](repeating: 0, count: 33))) == .decodeError)
        // supported_versions with a trailing byte inside its body
        #expect(
            decodeAlert(.serverHello, serverHelloBody(extensions: [0x00, 0x2b, 0x00, 0x03, 0x03, 0x04, 0x00]))
                == .decodeError)
        // the same extension twice
        let twice: [UInt8] = [0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04]
        #expect(decodeAlert(.serverHello, serverHelloBody(extensions: twice)) == .decodeError)
        // extension block shorter than its minimum of 6
        #expect(decodeAlert(.serverHello, serverHelloBody(extensions: [0x00, 0x2b, 0x00, 0x00])) == .decodeError)
        // key_share with an empty key_exchange
        #expect(
            decodeAlert(.serverHello, serverHelloBody(extensions: [0x00, 0x33, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x00]))
                == .decodeError)
        // an unknown extension parses and is kept for the Handshake layer to reject
        let unknown = try HandshakeMessage.decode(
            type: .serverHello, body: serverHelloBody(extensions: [0x12, 0x34, 0x00, 0x02, 0xAA, 0xBB]))
        guard case .serverHello(let sh) = unknown else {
            Issue.record("not a ServerHello")
            return
        }
        #expect(sh.extensions == [.unknown(ExtensionType(rawValue: 0x1234), [0xAA, 0xBB])])
        // The HelloRetryRequest random selects the HRR extension set: a key_share is then a bare group.
        let hrr = try HandshakeMessage.decode(
            type: .serverHello,
            body: serverHelloBody(
                random: ServerHello.helloRetryRequestRandom, extensions: [0x00, 0x33, 0x00, 0x02, 0x00, 0x17]))
        guard case .helloRetryRequest(let retry) = hrr else {
            Issue.record("not a HelloRetryRequest")
            return
        }
        #expect(retry.selectedGroup == .secp256r1)
        var reader = ByteReader(serverHelloBody())
        #expect(alert({ () throws(TLSError) in _ = try HelloRetryRequest(from: &reader) }) == .decodeError)
        reader = ByteReader(serverHelloBody(random: ServerHello.helloRetryRequestRandom))
        #expect(alert({ () throws(TLSError) in _ = try ServerHello(from: &reader) }) == .decodeError)
    }

    private func clientHelloBody(_ extensions: [ClientHelloExtension]) -> [UInt8] {
        var w = ByteWriter()
        try? ClientHello(random: [UInt8](repeating: 0, count: 32), cipherSuites: [.aes128GCMSHA256], extensions: extensions)
            .encode(into: &w)
        return w.bytes
    }

    @Test func clientHelloChecks() throws {
        let offer = OfferedPSKs(
            identities: [.init(identity: [1], obfuscatedTicketAge: 0)], binders: [[UInt8](repeating: 0, count: 32)])
        let good = clientHelloBody([.supportedVersions([.tls13]), .preSharedKey(offer)])
        #expect(try HandshakeMessage.decode(type: .clientHello, body: good).name == "client_hello")
        #expect(
            decodeAlert(.clientHello, clientHelloBody([.preSharedKey(offer), .supportedVersions([.tls13])]))
                == .illegalParameter)
        let mismatch = OfferedPSKs(identities: offer.identities + offer.identities, binders: offer.binders)
        #expect(
            decodeAlert(.clientHello, clientHelloBody([.supportedVersions([.tls13]), .preSharedKey(mismatch)]))
                == .illegalParameter)
        let share = KeyShareEntry(group: .x25519, keyExchange: [1])
        #expect(decodeAlert(.clientHello, clientHelloBody([.keyShare([share, share])])) == .illegalParameter)
        // supported_versions<2..254>: one byte of versions is too short
        #expect(
            decodeAlert(.clientHello, clientHelloBody([.unknown(.supportedVersions, [1, 3]), .earlyData]))
                == .decodeError)
        // signature_algorithms with an odd-length list
        #expect(
            decodeAlert(.clientHello, clientHelloBody([.unknown(.signatureAlgorithms, [0, 3, 4, 3, 5])]))
                == .decodeError)
        #expect(
            decodeAlert(.clientHello, clientHelloBody([.earlyData, .unknown(.padding, [0, 0, 1])])) == .illegalParameter
        )
        #expect(
            decodeAlert(.clientHello, clientHelloBody([.unknown(.serverName, [0, 4, 0, 0, 1, 0xC3])])) == .decodeError)
        #expect(
            decodeAlert(.clientHello, clientHelloBody([.unknown(.serverName, [0, 4, 1, 0, 1, 0x41])])) == .decodeError)
        // cookie<1..2^16-1>
        #expect(decodeAlert(.clientHello, clientHelloBody([.unknown(.cookie, [0, 0]), .earlyData])) == .decodeError)
        // extensions<8..2^16-1>: a single empty extension is only 4 bytes
        #expect(decodeAlert(.clientHello, clientHelloBody([.earlyData])) == .decodeError)
        // binder shorter than 32 bytes
        var w = ByteWriter()
        try w.writeVector(2, [0, 1, 9, 0, 0, 0, 0])  // one identity
        try w.writeVector(2, [31] + [UInt8](repeating: 0, count: 31) + [0, 0])
        #expect(
            decodeAlert(
                .clientHello, clientHelloBody([.supportedVersions([.tls13]), .unknown(.preSharedKey, w.bytes)]))
                == .decodeError)
    }

    @Test func otherMessageChecks() {
        // EncryptedExtensions: duplicate type, ALPN with two names, a body longer than its content.
        #expect(decodeAlert(.encryptedExtensions, [0, 8, 0, 0, 0, 0, 0, 0, 0, 0]) == .decodeError)
        #expect(
            decodeAlert(.encryptedExtensions, [0, 12, 0, 16, 0, 8, 0, 6, 2, 0x68, 0x32, 1, 0x61, 0]) == .decodeError)
        #expect(decodeAlert(.encryptedExtensions, [0, 10, 0, 16, 0, 6, 0, 4, 1, 0x61, 1, 0x62]) == .decodeError)
        #expect(decodeAlert(.encryptedExtensions, [0, 5, 0, 28, 0, 1, 0]) == .decodeError)
        // CertificateRequest without signature_algorithms.
        #expect(decodeAlert(.certificateRequest, [0, 0, 4, 0xAA, 0xAA, 0, 0]) == .missingExtension)
        // Certificate: empty cert_data; certificate_request_context overrun.
        #expect(decodeAlert(.certificate, [0, 0, 0, 5, 0, 0, 0, 0, 0]) == .decodeError)
        #expect(decodeAlert(.certificate, [2, 0, 0, 0, 0]) == .decodeError)
        // CertificateVerify: signature length overrun.
        #expect(decodeAlert(.certificateVerify, [8, 4, 0, 2, 1]) == .decodeError)
        // Finished: empty.
        #expect(decodeAlert(.finished, []) == .decodeError)
        // NewSessionTicket: empty ticket; extension block of 0xFFFF (over 2^16-2).
        #expect(decodeAlert(.newSessionTicket, [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0]) == .decodeError)
        #expect(decodeAlert(.newSessionTicket, [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 1, 7, 0xFF, 0xFF]) == .decodeError)
        // early_data with a 2-byte body in NewSessionTicket.
        #expect(
            decodeAlert(.newSessionTicket, [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 1, 7, 0, 6, 0, 42, 0, 2, 0, 0])
                == .decodeError)
        // KeyUpdate: values other than 0 and 1; empty body.
        #expect(decodeAlert(.keyUpdate, [2]) == .illegalParameter)
        #expect(decodeAlert(.keyUpdate, [255]) == .illegalParameter)
        #expect(decodeAlert(.keyUpdate, []) == .decodeError)
        // Alerts are exactly two bytes.
        #expect(alert({ () throws(TLSError) in _ = try Alert(bytes: [2]) }) == .decodeError)
        #expect(alert({ () throws(TLSError) in _ = try Alert(bytes: [2, 40, 0]) }) == .decodeError)
    }

    /// Random byte mutations, cuts and insertions of the trace messages: each either throws a `TLSError` or
    /// parses into a message that re-encodes to exactly the input (parsing is canonical and lossless).
    @Test func mutationsNeverCrash() throws {
        let corpus = try traceMessages().map(\.bytes)
        var rng = SplitMix64(seed: 0x7153_1303)
        var accepted = 0
        var rejected = 0
        for _ in 0..<4000 {
            var bytes = corpus[Int(rng.next() % UInt64(corpus.count))]
            switch rng.next() % 4 {
            case 0, 1:
                for _ in 0..<(1 + rng.next() % 3) {
                    let i = Int(rng.next() % UInt64(bytes.count))
                    bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                }
            case 2:
                bytes.removeSubrange(Int(rng.next() % UInt64(bytes.count))...)
            default:
                bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: Int(rng.next() % UInt64(bytes.count + 1)))
            }
            do throws(TLSError) {
                let message = try HandshakeMessage.decode(bytes)
                #expect(try message.encoded == bytes)
                accepted += 1
            } catch {
                #expect(error.alert != nil)
                rejected += 1
            }
        }
        #expect(accepted > 0)
        #expect(rejected > 1000)
    }
}

/// A small deterministic PRNG (SplitMix64) for reproducible mutation tests.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
