#if TLS13_FUZZING
/// Fuzzing builds only: the message-parser fuzz target (`Fuzz/Targets/messages`).
///
/// Input: a selector byte, then the bytes to parse. `selector % 24` picks:
///
/// | selector | parser |
/// | --- | --- |
/// | 0–9 | ``HandshakeMessage/decode(type:body:)`` for client_hello, server_hello (and HelloRetryRequest), new_session_ticket, end_of_early_data, encrypted_extensions, certificate, certificate_request, certificate_verify, finished, key_update |
/// | 10 | the same with the type taken from the first byte (unknown types, message_hash) |
/// | 11 | ``HandshakeMessage/decode(_:)`` (header included) |
/// | 12 | ``Alert/init(bytes:)`` |
/// | 13–19 | an extension block of ClientHello, ServerHello, HelloRetryRequest, EncryptedExtensions, CertificateRequest, NewSessionTicket, Certificate entries (raw) |
/// | 20 | ``HandshakeReassembler``: fragments of the first byte's size + 1 |
/// | 21 | ``TLSSession/init(serialized:)`` (a session file) |
/// | 22 | ``ECHConfigList/init(bytes:)`` (`--ech-config`, `retry_configs`), then the choice of a config |
/// | 23 | ``CompressedCertificate/init(body:)``, then decompression with the library's algorithms (zstd, brotli, zlib) |
///
/// Every value that parses must re-encode to bytes that parse to an equal value; messages and extension blocks
/// must re-encode to exactly the bytes they were parsed from (TLS encodings are canonical), except a
/// ServerHello without an extensions block, which TLS 1.2 allows and we re-encode with an empty one.
public func _fuzzMessages(_ data: UnsafeRawBufferPointer) {
    var input = FuzzInput(data)
    let selector = Int(input.byte()) % 24
    let body = input.rest()
    switch selector {
    case 0..<10: FuzzMessages.handshake(type: FuzzMessages.types[selector], body: body)
    case 10:
        guard let type = body.first else { return }
        FuzzMessages.handshake(type: HandshakeType(rawValue: type), body: Array(body.dropFirst()))
    case 11: FuzzMessages.framedHandshake(body)
    case 12: FuzzMessages.alert(body)
    case 13: FuzzMessages.extensionBlock(ClientHelloExtension.self, body)
    case 14: FuzzMessages.extensionBlock(ServerHelloExtension.self, body)
    case 15: FuzzMessages.extensionBlock(HelloRetryRequestExtension.self, body)
    case 16: FuzzMessages.extensionBlock(EncryptedExtension.self, body)
    case 17: FuzzMessages.extensionBlock(CertificateRequestExtension.self, body)
    case 18: FuzzMessages.extensionBlock(NewSessionTicketExtension.self, body)
    case 19: FuzzMessages.extensionBlock(RawExtension.self, body)
    case 20: FuzzMessages.reassemble(body)
    case 21: FuzzMessages.session(body)
    case 22: FuzzMessages.echConfigList(body)
    default: FuzzMessages.compressedCertificate(body)
    }
}

/// The pieces of ``_fuzzMessages(_:)``.
enum FuzzMessages {
    static let types: [HandshakeType] = [
        .clientHello, .serverHello, .newSessionTicket, .endOfEarlyData, .encryptedExtensions, .certificate,
        .certificateRequest, .certificateVerify, .finished, .keyUpdate,
    ]

    /// The wire form of a message of `type` with `body`.
    static func framed(type: HandshakeType, body: [UInt8]) -> [UInt8] {
        [type.rawValue, UInt8(truncatingIfNeeded: body.count >> 16), UInt8(truncatingIfNeeded: body.count >> 8),
         UInt8(truncatingIfNeeded: body.count)] + body
    }

    static func handshake(type: HandshakeType, body: [UInt8]) {
        guard body.count < 1 << 24, let message = try? HandshakeMessage.decode(type: type, body: body) else { return }
        fuzzCheck(message.type == type, "\(type) body parsed as \(message.name)")
        checkRoundTrip(message, original: framed(type: type, body: body), body: body)
    }

    static func framedHandshake(_ bytes: [UInt8]) {
        guard let message = try? HandshakeMessage.decode(bytes) else { return }
        checkRoundTrip(message, original: bytes, body: Array(bytes.dropFirst(HandshakeMessage.headerLength)))
    }

    static func checkRoundTrip(_ message: HandshakeMessage, original: [UInt8], body: [UInt8]) {
        let encoded: [UInt8]
        do {
            encoded = try message.encoded
        } catch {
            fuzzCheck(false, "parsed \(message.name) does not encode again: \(error); original \(original.fuzzHex)")
            return
        }
        let again: HandshakeMessage
        do {
            again = try HandshakeMessage.decode(encoded)
        } catch {
            fuzzCheck(false, "re-encoded \(message.name) does not parse: \(error); original \(original.fuzzHex), re-encoded \(encoded.fuzzHex)")
            return
        }
        fuzzCheck(again == message, "re-encoded \(message.name) parses to another value: original \(original.fuzzHex), re-encoded \(encoded.fuzzHex)")
        if encoded != original {
            fuzzCheck(isServerHelloWithoutExtensions(message, body: body),
                      "\(message.name) re-encodes to other bytes: original \(original.fuzzHex), re-encoded \(encoded.fuzzHex)")
        }
    }

    /// A TLS 1.2-style ServerHello that ends after the compression method (RFC 5246 §7.4.1.3).
    static func isServerHelloWithoutExtensions(_ message: HandshakeMessage, body: [UInt8]) -> Bool {
        guard case .serverHello(let hello) = message, hello.extensions.isEmpty else { return false }
        return body.count == 2 + 32 + 1 + hello.legacySessionIDEcho.count + 2 + 1
    }

    static func alert(_ bytes: [UInt8]) {
        guard let alert = try? Alert(bytes: bytes) else { return }
        fuzzCheck(alert.encoded == bytes, "alert re-encodes to other bytes")
        var writer = ByteWriter()
        alert.encode(into: &writer)
        fuzzCheck(writer.bytes == bytes, "Alert.encode(into:) differs from Alert.encoded")
        fuzzCheck((try? Alert(bytes: alert.encoded)) == alert, "re-encoded alert does not parse back")
    }

    static func extensionBlock<E: TLSExtension>(_: E.Type, _ bytes: [UInt8]) {
        var reader = ByteReader(bytes)
        guard let extensions = try? ExtensionBlock.read(E.self, from: &reader) else { return }
        let consumed = Array(bytes.prefix(bytes.count - reader.remaining))
        var writer = ByteWriter()
        guard (try? ExtensionBlock.write(extensions, into: &writer)) != nil else {
            fuzzCheck(false, "parsed \(E.self) block does not encode again: \(consumed.fuzzHex)")
            return
        }
        var again = ByteReader(writer.bytes)
        do {
            let parsed = try ExtensionBlock.read(E.self, from: &again)
            fuzzCheck(again.isEmpty, "re-encoded \(E.self) block leaves \(again.remaining) bytes")
            fuzzCheck(parsed == extensions, "re-encoded \(E.self) block parses to another value: \(consumed.fuzzHex)")
        } catch {
            fuzzCheck(false, "re-encoded \(E.self) block does not parse: \(error); original \(consumed.fuzzHex)")
        }
        fuzzCheck(writer.bytes == consumed,
                  "\(E.self) block re-encodes to other bytes: original \(consumed.fuzzHex), re-encoded \(writer.bytes.fuzzHex)")
        for ext in extensions {
            var one = ByteWriter()
            fuzzCheck((try? ext.encodeBody(into: &one)) != nil, "parsed \(E.self) \(ext.extensionType) body does not encode")
            var body = ByteReader(one.bytes)
            fuzzCheck((try? E(type: ext.extensionType, body: &body)) == ext && body.isEmpty,
                      "\(E.self) \(ext.extensionType) body does not round-trip")
        }
    }

    static func reassemble(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let step = Int(first) + 1
        let stream = Array(bytes.dropFirst())
        var reassembler = HandshakeReassembler(maxMessageLength: 1024 + Int(first) * 256)
        var offset = 0
        var returned = 0
        do {
            while offset < stream.count {
                let end = min(offset + step, stream.count)
                try reassembler.append(Array(stream[offset..<end]))
                offset = end
                while let item = try reassembler.next() {
                    fuzzCheck(item.bytes.count >= HandshakeMessage.headerLength, "item of \(item.bytes.count) bytes")
                    fuzzCheck(returned + item.bytes.count <= offset, "reassembler returned bytes not yet appended")
                    fuzzCheck(Array(stream[returned..<(returned + item.bytes.count)]) == item.bytes,
                              "reassembled bytes differ from the stream")
                    fuzzCheck((try? HandshakeMessage.decode(item.bytes)) == item.message, "item bytes do not parse to its message")
                    returned += item.bytes.count
                }
                fuzzCheck(returned + reassembler.bufferedByteCount == offset, "reassembler lost or invented bytes")
            }
        } catch {
            return
        }
    }

    static func session(_ bytes: [UInt8]) {
        guard let session = try? TLSSession(serialized: bytes) else { return }
        // A crasher found here (non-UTF-8 ALPN growing past its length prefix on re-save) is fixed in
        // TLSSession(serialized:); FuzzRegressionTests.savedSessionWithNonUTF8ALPN replays it.
        let encoded = session.serialized()
        guard let again = try? TLSSession(serialized: encoded) else {
            fuzzCheck(false, "re-serialized session does not parse: \(bytes.fuzzHex)")
            return
        }
        fuzzCheck(again == session && again.lifetime == session.lifetime && again.ageAdd == session.ageAdd
                  && again.maxEarlyDataSize == session.maxEarlyDataSize
                  && again.applicationProtocol == session.applicationProtocol
                  && again.certificateVerified == session.certificateVerified,
                  "re-serialized session parses to another value: \(bytes.fuzzHex)")
    }
}

extension FuzzMessages {
    /// An ECHConfigList must re-encode to exactly its bytes (unknown versions are kept opaque), and the config the
    /// client would take must be the first entry ``ECHConfigList/problems(publicKeyLength:supportsSuite:)`` finds
    /// nothing wrong with: the explanation `tls13 connect` prints and the choice can never disagree.
    static func echConfigList(_ bytes: [UInt8]) {
        guard let list = try? ECHConfigList(bytes: bytes) else { return }
        guard let encoded = try? list.encoded else {
            fuzzCheck(false, "parsed ECHConfigList does not encode again: \(bytes.fuzzHex)")
            return
        }
        fuzzCheck(encoded == bytes, "ECHConfigList re-encodes to other bytes: \(bytes.fuzzHex)")
        fuzzCheck((try? ECHConfigList(bytes: encoded)) == list, "re-encoded ECHConfigList parses to another value")
        let problems = list.problems(publicKeyLength: HPKESuite.publicKeyLength(kem:), supportsSuite: HPKESuite.supports(_:))
        fuzzCheck(problems.count == list.entries.count, "one explanation per entry")
        let chosen = ECHClientOffer.select(from: list)
        let firstUsable = problems.firstIndex(where: { $0 == nil })
        switch (chosen, firstUsable) {
        case (nil, nil): break
        case (let (config, suite)?, let index?):
            fuzzCheck(list.entries[index] == .config(config), "chose another config than the first usable one")
            fuzzCheck(config.cipherSuites.contains(suite) && HPKESuite.supports(suite), "chose a suite the config does not list or we lack")
            fuzzCheck(config.structuralProblem == nil && HPKESuite.publicKeyLength(kem: config.kemID) == config.publicKey.count,
                      "chose a config with a problem")
        default:
            fuzzCheck(false, "choice (\(chosen == nil ? "none" : "one")) and explanations disagree: \(bytes.fuzzHex)")
        }
    }

    /// A CompressedCertificate body must re-encode to its bytes; decompressed with the library's algorithms under a
    /// 64 KiB limit it either is refused (`bad_certificate`, `illegal_parameter`, `decode_error`) or yields a
    /// Certificate of exactly the declared length that re-encodes to what was decompressed.
    static func compressedCertificate(_ body: [UInt8]) {
        let decompressors = TLSCertificateDecompressor.builtIn
        fuzzCheck(decompressors.count == 3, "the fuzz build links zstd, brotli and zlib")
        guard let message = try? CompressedCertificate(body: body) else { return }
        var writer = ByteWriter()
        fuzzCheck((try? message.encode(into: &writer)) != nil && writer.bytes == body,
                  "CompressedCertificate re-encodes to other bytes: \(body.fuzzHex)")
        let limit = 1 << 16
        let certificate: CertificateMessage
        do throws(TLSError) {
            certificate = try message.decompressedCertificate(offered: decompressors, maximumLength: limit)
        } catch {
            let allowed: Set<AlertDescription> = [.badCertificate, .illegalParameter, .decodeError]
            fuzzCheck(error.alert.map(allowed.contains) == true,
                      "CompressedCertificate refused with \(error): \(body.fuzzHex)")
            return
        }
        fuzzCheck(message.uncompressedLength <= limit, "a declared length over the limit was decompressed")
        var again = ByteWriter()
        fuzzCheck((try? certificate.encode(into: &again)) != nil && again.bytes.count == message.uncompressedLength,
                  "decompressed Certificate does not re-encode to its declared length: \(body.fuzzHex)")
    }
}

/// Fuzzing builds only, for the seed generator: the messages-target inputs (selector 23) for the Certificate message
/// body `certificateBody` compressed with zstd, brotli and zlib in turn, with the algorithm's name.
public func _fuzzCompressedCertificateSeeds(certificateBody: [UInt8]) -> [(name: String, input: [UInt8])] {
    var reader = ByteReader(certificateBody)
    guard let certificate = try? CertificateMessage(from: &reader), reader.isEmpty else { return [] }
    return TLSCertificateDecompressor.builtIn.compactMap { decompressor in
        var writer = ByteWriter()
        guard let compressed = try? CertificateCompressor.compressedCertificate(certificate, algorithm: decompressor.algorithm),
              (try? compressed.encode(into: &writer)) != nil else { return nil }
        return (decompressor.description, [23] + writer.bytes)
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hex, for fuzz failure messages.
    var fuzzHex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
#endif
