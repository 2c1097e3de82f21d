import Foundation
@testable import TLS13

/// Replays inputs of the libFuzzer targets (`Fuzz/`, see `Docs/Fuzzing.md`) through the normal build: real
/// AEADs, no `TLS13_FUZZING` code. Used by `FuzzRegressionTests` for crashers and for the committed corpus.
///
/// The fuzz build protects records with a null AEAD (`body = TLSInnerPlaintext ‖ tag`). To reach the same code
/// here, ``FuzzReplay/client(_:)`` acts as the server's record layer: it follows the key schedule the client
/// follows (fixed key shares, the input's ServerHello, PSK, HelloRetryRequest, Finished, KeyUpdate) and seals
/// each protected record's TLSInnerPlaintext under the real key the client expects. It also recomputes the
/// server Finished when the input asks for it (option bit 0), as the fuzz target's Finished fixer does.
enum FuzzReplay {
    /// The chain saved in the fuzz client's session, as the fuzz target's (`FuzzFixtures.clientCertificate`):
    /// `Certs/client-ed25519.pem`.
    static let sessionChain: [[UInt8]] =
        (try? PEM.certificates(fromFile: CertPaths.path("client-ed25519.pem")).map(\.der)) ?? []
    /// The path of `Fuzz/` in this checkout.
    static var fuzzRoot: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Helpers
            .deletingLastPathComponent()  // TLS13Tests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // root
            .appendingPathComponent("Fuzz")
    }

    /// Files in `directory`, sorted by name (none if it does not exist).
    static func files(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && !$0.hasSuffix(".md") }.sorted().map { directory.appendingPathComponent($0) }
    }

    // MARK: - Fixtures (the same as Sources/TLS13/Fuzzing/FuzzDependencies.swift)

    struct FixedRandom: RandomSource {
        func bytes(_ count: Int) throws(TLSError) -> [UInt8] {
            (0..<max(0, count)).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 7) }
        }
    }

    struct AcceptAllSignatures: SignatureVerifier {
        func verify(scheme: SignatureScheme, certificate: [UInt8], message: [UInt8], signature: [UInt8])
            throws(TLSError) -> Bool
        {
            true
        }
    }

    static func keyShare(_ group: NamedGroup) throws(TLSError) -> KeyShare {
        switch group {
        case .x25519:
            return try makeKeyShare(
                group: group, privateKey: try! [UInt8](hex: "49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005"))
        case .secp256r1:
            return try makeKeyShare(
                group: group, privateKey: try! [UInt8](hex: "ab5473467e19346ceb0a0414e41da21d4d2445bc3025afe97c4e8dc8d513da39"))
        case .secp384r1:
            return try makeKeyShare(group: group, privateKey: [UInt8](repeating: 0x5A, count: 48))
        default:
            return try makeKeyShare(group: group)
        }
    }

    static let now: Int64 = 1_700_000_000
    static let sessionPSK = [UInt8](repeating: 0x33, count: 32)

    /// The client of a client-target input: options bytes 0–2 as `FuzzClientOptions` reads them.
    struct ClientOptions {
        var config: UInt8
        var chunk: UInt8
        var actions: UInt8

        var fixFinished: Bool { config & 0x01 != 0 }
        var earlyData: [UInt8]? { config & 0x18 == 0x18 ? Array("GET / HTTP/1.1\r\n\r\n".utf8) : nil }
        var session: TLSSession? {
            guard config & 0x08 != 0 else { return nil }
            return TLSSession(
                ticket: Array("fuzz-ticket".utf8), cipherSuite: .aes128GCMSHA256, lifetime: 7200, ageAdd: 0x0102_0304,
                receivedAtMilliseconds: now * 1000 - 1000, maxEarlyDataSize: config & 0x10 != 0 ? 16384 : 0,
                applicationProtocol: config & 0x02 != 0 ? "h2" : nil,
                // A session is offered only to the server name it was issued for: follow the identity.
                serverName: actions & 0x01 != 0 ? "example.com" : "", certificateVerification: .verified,
                // Checked again before it is offered (a parseable leaf that may sign): the fuzz target's chain.
                peerCertificates: FuzzReplay.sessionChain,
                psk: SecretBytes(sessionPSK))
        }
        var identity: ClientStateMachine.ServerIdentity { actions & 0x01 != 0 ? .dnsName("example.com") : .none }

        func configuration() throws -> TLSClientConfiguration {
            var c = TLSClientConfiguration()
            // Pinned to the ClientHello the committed seeds were recorded with (a ClientHello change alters the
            // transcript and so every later record); GREASE, OCSP, record_size_limit, the extension order, GREASE ECH
            // and certificate compression are tested elsewhere.
            c.grease = false
            c.permuteExtensions = false
            c.echGREASE = false
            c.certificateDecompressors = []
            c.requestOCSPStapling = false
            c.recordSizeLimit = nil
            c.supportedGroups = [.x25519, .secp256r1, .secp384r1]
            if config & 0x02 != 0 { c.applicationProtocols = ["h2", "http/1.1"] }
            if config & 0x04 != 0 {
                c.clientCertificate = try TLSClientCertificate(
                    certificateChainFile: CertPaths.path("client-ed25519.pem"), privateKeyFile: CertPaths.path("client-ed25519.key"))
            }
            c.keyShareGroups = config & 0x20 != 0 ? [.x25519, .secp256r1] : [.x25519]
            switch config >> 6 {
            case 1: c.cipherSuites = [.aes128GCMSHA256, .aes128CCMSHA256, .aes128CCM8SHA256]
            case 2: c.cipherSuites = [.aes256GCMSHA384]
            case 3: c.cipherSuites = [.chacha20Poly1305SHA256, .aes256GCMSHA384]
            default: break
            }
            if actions & 0x40 != 0 { c.maxHandshakeMessageSize = 1024 }
            if actions & 0x80 != 0 { c.keyUpdateRecordLimit = 2 }
            return c
        }

        func makeClient() throws -> ClientStateMachine {
            let deps = ClientStateMachine.Dependencies(
                certificateVerifier: AcceptAnyCertificate(), signatureVerifier: AcceptAllSignatures(), random: FixedRandom(),
                makeKeyShare: { (group) throws(TLSError) in try FuzzReplay.keyShare(group) }, now: now)
            return try ClientStateMachine(
                configuration: try configuration(), identity: identity, dependencies: deps, session: session, earlyData: earlyData)
        }
    }

    /// How a client-target replay ended.
    struct ClientOutcome {
        var state: ClientPhase = .start
        /// The error that ended the connection, if one did.
        var error: TLSError?
        var events: [ClientEvent] = []
        /// Every byte the client wrote.
        var output: [UInt8] = []
    }

    // MARK: - Client target

    /// Replays a client-target input (3 option bytes, then the server's bytes as the fuzz build frames them).
    static func client(_ input: [UInt8]) throws -> ClientOutcome {
        let bytes = input + [0, 0, 0].dropFirst(min(3, input.count))
        let options = ClientOptions(config: bytes[0], chunk: bytes[1], actions: bytes[2])
        let stream = Array(input.dropFirst(3))
        var outcome = ClientOutcome()
        let client = try options.makeClient()
        let first = try client.startHandshake()
        outcome.output += first
        var server = ServerMirror(firstFlight: first, psk: options.session == nil ? nil : sessionPSK, fixFinished: options.fixFinished)
        var updatedKeys = false
        var exported = false

        /// One `receive` and what the fuzz target does after it; false once the client failed.
        func feed(_ bytes: ArraySlice<UInt8>) -> Bool {
            do throws(TLSError) {
                outcome.events += try client.receive(bytes)
                var out = try client.takePendingOutput()
                if client.phase == .connected, !client.closeNotifySent {
                    if options.actions & 0x02 != 0 {
                        out += try client.sealApplicationData(Array(repeating: 0x61, count: 100)[...])
                    }
                    if options.actions & 0x04 != 0, !updatedKeys {
                        updatedKeys = true
                        out += try client.updateKeys(requestPeerUpdate: options.actions & 0x08 != 0)
                    }
                    if options.actions & 0x10 != 0, !exported {
                        exported = true
                        _ = try client.exportKeyingMaterial(label: "EXPORTER-fuzz", context: [1, 2, 3], length: 32)
                    }
                }
                outcome.output += out
                server.observe(clientOutput: out)
                return true
            } catch {
                outcome.error = error
                outcome.output += client.alertRecord(for: error) ?? []
                return false
            }
        }

        // Server records are translated one by one (the keys of one depend on the messages before it, and
        // after a HelloRetryRequest on the client's answer), then fed as the fuzz target feeds them.
        let (records, consumed) = splitRecords(stream)
        var translated: [UInt8] = []
        var fed = 0
        let step = options.fixFinished ? Int.max : (options.chunk == 0 ? Int.max : Int(options.chunk))
        var alive = true
        for range in records where alive {
            if server.needsClientOutput, fed < translated.count {
                alive = feed(translated[fed...])
                fed = translated.count
                if !alive { break }
            }
            translated += server.translate(Array(stream[range]))
            if options.fixFinished {
                alive = feed(translated[fed...])
                fed = translated.count
            } else {
                while alive, step != .max, translated.count - fed >= step {
                    alive = feed(translated[fed..<(fed + step)])
                    fed += step
                }
            }
        }
        translated += stream[consumed...]
        if alive {
            if step == .max || options.fixFinished {
                if fed < translated.count { alive = feed(translated[fed...]) }
            } else {
                while alive, fed < translated.count {
                    let end = min(fed + step, translated.count)
                    alive = feed(translated[fed..<end])
                    fed = end
                }
            }
        }
        if alive, options.actions & 0x20 != 0 {
            do throws(TLSError) {
                outcome.output += try client.closeNotify()
            } catch {
                outcome.error = error
            }
        }
        outcome.state = client.phase
        return outcome
    }

    static func splitRecords(_ stream: [UInt8]) -> (records: [Range<Int>], consumed: Int) {
        var records: [Range<Int>] = []
        var offset = 0
        while stream.count - offset >= 5 {
            let end = offset + 5 + (Int(stream[offset + 3]) << 8 | Int(stream[offset + 4]))
            guard end <= stream.count else { break }
            records.append(offset..<end)
            offset = end
        }
        return (records, offset)
    }

    /// The server side of the key schedule, as far as a replay needs it: which keys protect the next record.
    struct ServerMirror {
        let clientHello1: [UInt8]
        var clientHello2: [UInt8]?
        let psk: [UInt8]?
        let fixFinished: Bool
        var messages: [[UInt8]] = []
        var helloRetryIndex: Int?
        var serverHelloIndex: Int?
        var pending: [UInt8] = []
        var awaitingSecondClientHello = false
        var finishedSeen = false

        var suite: CipherSuiteParameters?
        var schedule: KeySchedule?
        var handshakeSecret: HandshakeSecret?
        var serverHandshakeSecret: SecretBytes?
        /// The current read secret of the client and the sequence number under it; nil before the ServerHello.
        var secret: SecretBytes?
        var sequence: UInt64 = 0
        /// Set by the ServerHello: the next protected record starts the handshake keys.
        var handshakeKeysDue = false
        /// A key change after the current record (server Finished, KeyUpdate).
        var nextSecret: SecretBytes?

        init(firstFlight: [UInt8], psk: [UInt8]?, fixFinished: Bool) {
            let (records, _) = FuzzReplay.splitRecords(firstFlight)
            clientHello1 = records.first.map { Array(firstFlight[($0.lowerBound + 5)..<$0.upperBound]) } ?? []
            self.psk = psk
            self.fixFinished = fixFinished
        }

        /// Whether translating more needs the client's answer to a HelloRetryRequest first.
        var needsClientOutput: Bool { awaitingSecondClientHello }

        mutating func observe(clientOutput: [UInt8]) {
            guard awaitingSecondClientHello else { return }
            let (records, _) = FuzzReplay.splitRecords(clientOutput)
            for range in records where clientOutput[range.lowerBound] == ContentType.handshake.rawValue {
                clientHello2 = Array(clientOutput[(range.lowerBound + 5)..<range.upperBound])
                awaitingSecondClientHello = false
                return
            }
        }

        /// The record as the normal build's server would send it.
        mutating func translate(_ record: [UInt8]) -> [UInt8] {
            guard record.count >= 5 else { return record }
            if handshakeKeysDue {
                handshakeKeysDue = false
                installHandshakeKeys()
            }
            guard let suite, let schedule, let secret else {
                // In the clear: only follow the handshake messages.
                if record[0] == ContentType.handshake.rawValue {
                    var copy = record
                    scan(&copy, content: 5..<copy.count)
                }
                return record
            }
            let tagLength = suite.aead.tagLength
            guard record[0] == ContentType.applicationData.rawValue, record.count - 5 >= tagLength else { return record }
            var inner = Array(record[5..<(record.count - tagLength)])
            var end = inner.count
            while end > 0, inner[end - 1] == 0 { end -= 1 }
            if end > 0, inner[end - 1] == ContentType.handshake.rawValue {
                scan(&inner, content: 0..<(end - 1))
            }
            guard let keys = try? schedule.trafficKeys(secret: secret, aead: suite.aead),
                let aead = try? EVPAEAD(suite.aead, key: keys.key.testBytes, sealing: true)
            else { return record }
            var nonce = keys.iv.testBytes
            for i in 0..<8 { nonce[nonce.count - 1 - i] ^= UInt8(truncatingIfNeeded: sequence >> (8 * UInt64(i))) }
            sequence += 1
            var out = Array(record[0..<5])
            out += inner
            do {
                try aead.seal(nonce: nonce, aad: Array(record[0..<5]), buffer: &out, from: 5)
            } catch {
                return record
            }
            if let next = nextSecret {
                self.secret = next
                sequence = 0
                nextSecret = nil
            }
            return out
        }

        /// Follows the handshake messages in `bytes[content]` (and fixes the Finished if asked to).
        private mutating func scan(_ bytes: inout [UInt8], content: Range<Int>) {
            let combined = pending + bytes[content]
            var position = 0
            while combined.count - position >= 4 {
                let length = Int(combined[position + 1]) << 16 | Int(combined[position + 2]) << 8 | Int(combined[position + 3])
                let end = position + 4 + length
                guard end <= combined.count else { break }
                var message = Array(combined[position..<end])
                switch HandshakeType(rawValue: message[0]) {
                case .serverHello where serverHelloIndex == nil:
                    if message.count >= 38, Array(message[6..<38]) == ServerHello.helloRetryRequestRandom {
                        if helloRetryIndex == nil {
                            helloRetryIndex = messages.count
                            awaitingSecondClientHello = true
                        }
                    } else {
                        serverHelloIndex = messages.count
                        handshakeKeysDue = true
                    }
                case .finished where serverHelloIndex != nil && !finishedSeen && secret != nil:
                    finishedSeen = true
                    if fixFinished, position >= pending.count, let expected = expectedVerifyData(), expected.count == length {
                        let start = content.lowerBound + (position - pending.count) + 4
                        bytes.replaceSubrange(start..<(start + length), with: expected)
                        message.replaceSubrange(4..., with: expected)
                    }
                    messages.append(message)
                    nextSecret = applicationSecret()
                    position = end
                    continue
                case .keyUpdate where finishedSeen:
                    if let schedule, let current = nextSecret ?? secret {
                        nextSecret = try? schedule.nextTrafficSecret(current)
                    }
                default:
                    break
                }
                messages.append(message)
                position = end
            }
            pending = Array(combined[position...])
        }

        private func transcript(through index: Int) throws(TLSError) -> TranscriptHash? {
            guard let suite, let serverHelloIndex else { return nil }
            let t = try TranscriptHash(suite.hash)
            if let helloRetryIndex {
                guard let clientHello2 else { return nil }
                t.update(HandshakeMessage.messageHash(try suite.hash.hash(clientHello1)))
                t.update(messages[helloRetryIndex])
                t.update(clientHello2)
            } else {
                t.update(clientHello1)
            }
            for message in messages[serverHelloIndex...index] { t.update(message) }
            return t
        }

        private mutating func installHandshakeKeys() {
            guard let serverHelloIndex, case .serverHello(let hello)? = try? HandshakeMessage.decode(messages[serverHelloIndex]),
                let params = CipherSuiteParameters(hello.cipherSuite), let share = hello.keyShare
            else { return }
            suite = params
            do throws(TLSError) {
                let schedule = try KeySchedule(hash: params.hash)
                guard let t = try transcript(through: serverHelloIndex) else { return }
                let shared = try FuzzReplay.keyShare(share.group).sharedSecret(peerPublicKey: share.keyExchange)
                let hs = try schedule.earlySecret(psk: hello.selectedPSKIdentity == nil ? nil : psk.map { SecretBytes($0) }).handshakeSecret(sharedSecret: shared)
                let shts = try hs.serverTrafficSecret(transcriptHash: try t.current())
                self.schedule = schedule
                handshakeSecret = hs
                serverHandshakeSecret = shts
                secret = shts
                sequence = 0
            } catch {
                return
            }
        }

        private func expectedVerifyData() -> [UInt8]? {
            guard let schedule, let shts = serverHandshakeSecret, !messages.isEmpty,
                let t = try? transcript(through: messages.count - 1)
            else { return nil }
            return try? schedule.verifyData(secret: shts, transcriptHash: try t.current())
        }

        /// server_application_traffic_secret_0, once ``messages`` ends with the server Finished.
        private func applicationSecret() -> SecretBytes? {
            guard let hs = handshakeSecret, let t = try? transcript(through: messages.count - 1),
                let master = try? hs.masterSecret(), let hash = try? t.current()
            else { return nil }
            return try? master.serverTrafficSecret(transcriptHash: hash)
        }
    }
}

// MARK: - Messages and record targets

extension FuzzReplay {
    static let messageTypes: [HandshakeType] = [
        .clientHello, .serverHello, .newSessionTicket, .endOfEarlyData, .encryptedExtensions, .certificate,
        .certificateRequest, .certificateVerify, .finished, .keyUpdate,
    ]

    /// Replays a messages-target input: the parser the selector byte picks, then the re-encoding of what parsed.
    /// Returns a description of the value, or throws the parser's ``TLSError``.
    static func messages(_ input: [UInt8]) throws(TLSError) -> String {
        guard let first = input.first else { return "empty" }
        let body = Array(input.dropFirst())
        func extensions<E: TLSExtension>(_: E.Type) throws(TLSError) -> String {
            var reader = ByteReader(body)
            let parsed = try ExtensionBlock.read(E.self, from: &reader)
            var writer = ByteWriter()
            do throws(EncodingError) {
                try ExtensionBlock.write(parsed, into: &writer)
            } catch {
                throw TLSError.invalidConfiguration("\(error)")
            }
            var again = ByteReader(writer.bytes)
            return "\(try ExtensionBlock.read(E.self, from: &again))"
        }
        switch Int(first) % 24 {
        case let i where i < 10:
            let message = try HandshakeMessage.decode(type: messageTypes[i], body: body)
            return "\(try HandshakeMessage.decode(try message.encoded))"
        case 10:
            guard let type = body.first else { return "empty" }
            let message = try HandshakeMessage.decode(type: HandshakeType(rawValue: type), body: Array(body.dropFirst()))
            return "\(try HandshakeMessage.decode(try message.encoded))"
        case 11: return "\(try HandshakeMessage.decode(try HandshakeMessage.decode(body).encoded))"
        case 12: return "\(try Alert(bytes: try Alert(bytes: body).encoded))"
        case 13: return try extensions(ClientHelloExtension.self)
        case 14: return try extensions(ServerHelloExtension.self)
        case 15: return try extensions(HelloRetryRequestExtension.self)
        case 16: return try extensions(EncryptedExtension.self)
        case 17: return try extensions(CertificateRequestExtension.self)
        case 18: return try extensions(NewSessionTicketExtension.self)
        case 19: return try extensions(RawExtension.self)
        case 20:
            guard let size = body.first else { return "empty" }
            var reassembler = HandshakeReassembler(maxMessageLength: 1024 + Int(size) * 256)
            let stream = Array(body.dropFirst())
            var items: [HandshakeReassembler.Item] = []
            var offset = 0
            while offset < stream.count {
                let end = min(offset + Int(size) + 1, stream.count)
                try reassembler.append(Array(stream[offset..<end]))
                offset = end
                while let item = try reassembler.next() { items.append(item) }
            }
            return "\(items.count) messages"
        case 21:
            let session = try TLSSession(serialized: body)
            return "\(try TLSSession(serialized: session.serialized()))"
        case 22:
            let list = try ECHConfigList(bytes: body)
            let chosen = ECHClientOffer.select(from: list)
            return "\(try ECHConfigList(bytes: try list.encoded)), chosen: \(chosen.map { "\($0.config.configID) \($0.suite)" } ?? "none")"
        default:
            let compressed = try CompressedCertificate(body: body)
            let certificate = try compressed.decompressedCertificate(offered: TLSCertificateDecompressor.builtIn, maximumLength: 1 << 16)
            return "\(certificate.entries.count) certificates"
        }
    }

    /// Replays a record-target input: mode 1's null-AEAD records are sealed for real (AES-GCM etc. under a fixed
    /// key) and read back through a ``RecordLayer`` with ``EVPAEAD`` read protection. Returns the records read
    /// before the end or the first error, and that error.
    static func record(_ input: [UInt8]) -> (records: [InboundRecord], error: TLSError?) {
        let mode = input.first ?? 0
        let chunk = input.count > 1 ? input[1] : 0
        let algorithms: [AEADAlgorithm] = [.aes128GCM, .aes256GCM, .chacha20Poly1305, .aes128CCM, .aes128CCM8]
        let algorithm = algorithms[Int(mode >> 3) % algorithms.count]
        var stream = Array(input.dropFirst(2))
        let iv = [UInt8](repeating: 0x11, count: 12)
        func aead(sealing: Bool, key: UInt8) -> EVPAEAD? {
            try? EVPAEAD(algorithm, key: [UInt8](repeating: key, count: algorithm.keyLength), sealing: sealing)
        }
        var layer = RecordLayer()
        layer.allowsChangeCipherSpec = mode & 0x04 != 0
        switch mode % 4 {
        case 1:
            // Seal each null-AEAD record's inner plaintext under the key the reader uses.
            guard let sealer = aead(sealing: true, key: 0x33), let opener = aead(sealing: false, key: 0x33) else { return ([], nil) }
            let (ranges, consumed) = splitRecords(stream)
            var out: [UInt8] = []
            var sequence: UInt64 = 0
            for range in ranges {
                let record = Array(stream[range])
                guard record[0] == ContentType.applicationData.rawValue, record.count - 5 >= algorithm.tagLength else {
                    out += record
                    continue
                }
                var nonce = iv
                for i in 0..<8 { nonce[11 - i] ^= UInt8(truncatingIfNeeded: sequence >> (8 * UInt64(i))) }
                sequence += 1
                var sealed = Array(record[0..<(record.count - algorithm.tagLength)])
                guard (try? sealer.seal(nonce: nonce, aad: Array(record[0..<5]), buffer: &sealed, from: 5)) != nil else { return ([], nil) }
                out += sealed
            }
            stream = out + stream[consumed...]
            layer.readProtection = RecordProtection(aead: opener, iv: SecretBytes(iv))
        case 2:
            guard let opener = aead(sealing: false, key: 0x22) else { return ([], nil) }
            layer.readProtection = RecordProtection(aead: opener, iv: SecretBytes(iv))
        case 3:
            return ([], nil)  // the write path has no peer input
        default:
            break
        }
        let step = chunk == 255 ? max(1, stream.count) : Int(chunk) + 1
        var records: [InboundRecord] = []
        var offset = 0
        while offset < stream.count {
            let end = min(offset + step, stream.count)
            layer.receive(stream[offset..<end])
            offset = end
            do throws(TLSError) {
                while let record = try layer.nextRecord() { records.append(record) }
            } catch {
                return (records, error)
            }
        }
        return (records, nil)
    }
}
