import Foundation
import Testing
@testable import TLS13

/// A TLS 1.3 server for tests: sans-I/O, built from the library's own Messages, KeySchedule, Record and Crypto
/// types, with a hook at every step so a test can break exactly one thing.
///
/// It answers a ClientHello with a correct flight (optionally a HelloRetryRequest first): ServerHello,
/// EncryptedExtensions, [CertificateRequest], Certificate (a `Certs/` chain), CertificateVerify (signed with the
/// leaf's key), Finished; then verifies the client's Finished, and can send application data,
/// NewSessionTicket, KeyUpdate and alerts. Bytes in with ``receive(_:)``, bytes out with ``takeOutput()``.
///
/// Each message is built in this order, so a change is also in the transcript and later messages stay
/// consistent with it: build the struct → `mutate…` hook → encode → ``mutateMessageBytes`` → transcript. The
/// whole flight is then a list of ``Item``s that ``editFlight`` may reorder, drop, duplicate or add to; it is
/// cut into records by ``Configuration/framing`` and sealed; ``editRecords`` sees the sealed records last.
///
/// ```swift
/// let server = ScriptedServer(.init(chain: .ecdsaP256))
/// server.mutateServerHello = { $0.cipherSuite = CipherSuite(rawValue: 0x1399) }
/// let outcome = runHandshake(client: try makeTestClient(), server: server)
/// ```
final class ScriptedServer {
    /// A `Certs/` leaf: `leaf-<rawValue>-chain.pem` is sent, `leaf-<rawValue>.key` signs.
    enum Chain: String, CaseIterable, Sendable {
        case ecdsaP256 = "ecdsa-p256"
        case ecdsaP384 = "ecdsa-p384"
        case rsa2048 = "rsa2048"
        case ed25519 = "ed25519"
        case expired = "expired"
        case notYetValid = "not-yet-valid"
        case wrongHost = "wrong-host"
        case selfSigned = "self-signed"
        case unknownCA = "unknown-ca"
        case ecdsaP521 = "ecdsa-p521"
        case ed448 = "ed448"
        /// An RSA-PSS key (id-RSASSA-PSS): rsa_pss_pss_* signatures.
        case rsaPSS = "rsa-pss"
        /// An ECDSA leaf signed with sha256WithRSAEncryption by `intermediate-rsa.pem`.
        case rsaPKCS1Signed = "rsa-pkcs1"
        /// A good leaf that `ocsp-revoked.der` says is revoked.
        case revoked = "revoked"
    }

    /// Which keys protect a record.
    enum Epoch: Sendable, Hashable {
        /// No protection (ServerHello, HelloRetryRequest, alerts before the keys).
        case plaintext
        /// The server handshake traffic keys.
        case handshake
        /// The current server application traffic keys.
        case application
    }

    /// The server's handshake messages.
    enum Message: Sendable, Hashable {
        case helloRetryRequest, serverHello, encryptedExtensions, certificateRequest, certificate,
            certificateVerify, finished
    }

    /// One thing to send, before framing.
    enum Item: Equatable {
        /// Handshake bytes (one message, several, or a fragment) sent in `epoch`. `message` names the server
        /// message they are (nil for injected bytes, which are not in the transcript). Consecutive handshake
        /// items of one epoch may share a record, as the framing decides.
        case handshake([UInt8], epoch: Epoch, message: Message? = nil)
        /// One record of `ContentType` carrying exactly this content, protected per `epoch`; never coalesced.
        case record(ContentType, [UInt8], epoch: Epoch)
        /// Bytes written to the wire unchanged.
        case raw([UInt8])

        /// A change_cipher_spec record (middlebox compatibility).
        static let changeCipherSpec = Item.raw(RecordLayer.changeCipherSpecRecord)

        /// An alert record.
        static func alert(_ description: AlertDescription, level: AlertLevel = .fatal, epoch: Epoch) -> Item {
            .record(.alert, [level.rawValue, description.rawValue], epoch: epoch)
        }

        /// An extra handshake message (not in the transcript).
        static func message(_ message: HandshakeMessage, epoch: Epoch) -> Item {
            .handshake(message.scriptEncoded, epoch: epoch)
        }
    }

    /// How handshake items become records. Records also end wherever the epoch changes, at any non-handshake
    /// item, and at 2^14 bytes.
    enum Framing: Equatable {
        /// Each handshake item in its own record(s).
        case recordPerMessage
        /// Consecutive handshake items of one epoch share records.
        case coalesced
        /// Records of at most this many handshake bytes.
        case fragments(Int)
        /// Records end at these offsets, counted over all handshake bytes of one send (one flight).
        case split(at: Set<Int>)
    }

    /// A sealed record, as ``editRecords`` sees it.
    struct OutboundRecord: Equatable {
        /// `nil` for ``Item/raw(_:)`` bytes.
        var epoch: Epoch?
        /// The content type inside (the outer type is application_data when protected); `nil` for raw bytes.
        var contentType: ContentType?
        /// The record on the wire, header included.
        var bytes: [UInt8]
    }

    /// An alert the client sent, as decoded from the wire with the server's view of the client's keys.
    struct ReceivedAlert: Equatable, CustomStringConvertible {
        var alert: Alert
        /// Whether it arrived in a protected record.
        var encrypted: Bool
        var description: String {
            "\(alert.level == .fatal ? "fatal" : "warning(\(alert.level.rawValue))") \(alert.description)"
                + (encrypted ? " (encrypted)" : " (plaintext)")
        }
    }

    /// The server detected a problem with the client (or with a test's script).
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    struct Configuration {
        var chain: Chain
        /// Server preference: the first one the client offers is selected.
        var cipherSuites: [CipherSuite] = [.aes128GCMSHA256, .aes256GCMSHA384, .chacha20Poly1305SHA256]
        /// Server preference: the first one in the client's supported_groups is selected; a HelloRetryRequest
        /// asks for it when the client sent no share for it.
        var groups: [NamedGroup] = [.x25519, .secp256r1, .secp384r1]
        /// CertificateVerify scheme; `nil`: the key's usual one (see ``PrivateKey/defaultScheme``).
        var signatureScheme: SignatureScheme?
        /// The context string CertificateVerify is signed with (`.client` is a test of the client's check).
        var certificateVerifySigner: CertificateVerify.Signer = .server
        /// ALPN, server preference: the first the client offered is selected.
        var applicationProtocols: [String] = []
        /// When set, the first ClientHello gets a HelloRetryRequest with this cookie, which the second must echo.
        var cookie: [UInt8]?
        /// Answer this many ClientHellos with a HelloRetryRequest even when not needed (2: a second HRR).
        var helloRetryRequests = 0
        /// Send change_cipher_spec after the first ServerHello or HelloRetryRequest (§D.4).
        var compatibilityChangeCipherSpec = false
        /// Ask for a client certificate.
        var certificateRequest: CertificateRequest?
        var framing: Framing = .recordPerMessage
        /// Zero bytes of TLSInnerPlaintext padding in each protected record.
        var recordPadding = 0
        /// When set and the client offered record_size_limit, sent in EncryptedExtensions (RFC 8449); the
        /// extension is then negotiated: a protected record from the client with a longer TLSInnerPlaintext is a
        /// ``Failure``, and the server's records respect the client's limit (unless told not to).
        var recordSizeLimit: Int?
        /// With a negotiated record_size_limit, cut the server's protected records to the client's limit.
        var honorClientRecordSizeLimit = true
        /// When set and the client sent status_request, stapled to the leaf's CertificateEntry as a
        /// CertificateStatus (RFC 8446 §4.4.2.1).
        var ocspResponse: [UInt8]?
        /// Serve this chain and key instead of ``chain`` (e.g. from ``ScriptedServer/loadChain(certificates:key:)``).
        var customChain: LoadedChain?

        init(chain: Chain = .ecdsaP256) { self.chain = chain }

        init(customChain: LoadedChain) {
            self.chain = .ecdsaP256
            self.customChain = customChain
        }
    }

    // MARK: - Hooks

    var configuration: Configuration
    var mutateHelloRetryRequest: ((inout HelloRetryRequest) -> Void)?
    var mutateServerHello: ((inout ServerHello) -> Void)?
    var mutateEncryptedExtensions: ((inout EncryptedExtensions) -> Void)?
    var mutateCertificateRequest: ((inout CertificateRequest) -> Void)?
    var mutateCertificate: ((inout CertificateMessage) -> Void)?
    var mutateCertificateVerify: ((inout CertificateVerify) -> Void)?
    var mutateFinished: ((inout Finished) -> Void)?
    /// Each server message's encoding (header included), after its struct hook and before the transcript.
    var mutateMessageBytes: ((Message, inout [UInt8]) -> Void)?
    /// The flight as items, before framing: reorder, drop, duplicate, inject.
    var editFlight: ((inout [Item]) -> Void)?
    /// The sealed records of every send, last.
    var editRecords: ((inout [OutboundRecord]) -> Void)?

    // MARK: - What happened (for assertions)

    /// Every ClientHello received, in order.
    private(set) var clientHellos: [ClientHello] = []
    /// Every server message produced, in transcript order (before ``editFlight``).
    private(set) var sentMessages: [(message: Message, bytes: [UInt8])] = []
    private(set) var receivedAlerts: [ReceivedAlert] = []
    private(set) var receivedApplicationData: [[UInt8]] = []
    private(set) var receivedKeyUpdates: [KeyUpdate] = []
    private(set) var receivedChangeCipherSpecs = 0
    /// The client's Certificate, when one was requested.
    private(set) var clientCertificate: CertificateMessage?
    /// Whether the client's Finished verified.
    private(set) var isHandshakeComplete = false
    private(set) var selectedSuite: CipherSuite?
    private(set) var selectedGroup: NamedGroup?
    /// The record_size_limit the client offered (from its last ClientHello).
    private(set) var clientRecordSizeLimit: Int?
    /// The longest TLSInnerPlaintext of any protected record the client sent.
    private(set) var largestReceivedInnerPlaintext = 0
    /// The longest TLSInnerPlaintext of any protected record the server sent.
    private(set) var largestSentInnerPlaintext = 0
    /// Every ClientHello as received (the handshake message, header included).
    private(set) var clientHelloBytes: [[UInt8]] = []

    /// Whether record_size_limit was negotiated: the client offered it and the server answered.
    var recordSizeLimitNegotiated: Bool { configuration.recordSizeLimit != nil && clientRecordSizeLimit != nil }

    // MARK: - State

    private enum State { case waitClientHello, waitClientCertificate, waitClientFinished, connected }
    private var state = State.waitClientHello
    private var helloRetryRequestsSent = 0
    private var inbound: [UInt8] = []
    private var reassembler = HandshakeReassembler()
    private var output: [UInt8] = []

    private var suite: CipherSuiteParameters?
    private var schedule: KeySchedule?
    private var transcript: TranscriptHash?
    private var clientHandshakeSecret: SecretBytes?
    private var clientApplicationSecret: SecretBytes?
    private var serverApplicationSecret: SecretBytes?
    private var readProtection: RecordProtection?
    private var handshakeWrite: RecordProtection?
    private var applicationWrite: RecordProtection?

    init(_ configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Bytes to deliver to the client, oldest first.
    func takeOutput() -> [UInt8] {
        defer { output = [] }
        return output
    }

    // MARK: - Sending after the handshake

    /// Sends `items` now (framed and sealed as a flight is).
    func send(_ items: [Item]) throws { try emit(items) }

    func sendApplicationData(_ data: [UInt8]) throws {
        try emit([.record(.applicationData, data, epoch: .application)])
    }

    func sendNewSessionTicket(_ ticket: NewSessionTicket = NewSessionTicket(
        ticketLifetime: 7200, ticketAgeAdd: 0x1234_5678, ticketNonce: [0], ticket: Array("ticket".utf8))
    ) throws {
        try emit([.message(.newSessionTicket(ticket), epoch: .application)])
    }

    /// Sends KeyUpdate under the current keys, then switches to the next server application secret.
    func sendKeyUpdate(_ request: KeyUpdateRequest) throws {
        try emit([.message(.keyUpdate(KeyUpdate(requestUpdate: request)), epoch: .application)])
        guard let schedule, let suite, let secret = serverApplicationSecret else { throw Failure("no application keys") }
        let next = try schedule.nextTrafficSecret(secret)
        applicationWrite = try RecordProtection(
            keys: schedule.trafficKeys(secret: next, aead: suite.aead), algorithm: suite.aead, sealing: true)
        serverApplicationSecret = next
    }

    /// An alert under the newest keys the server has (application, else handshake, else none).
    func sendAlert(_ description: AlertDescription, level: AlertLevel = .fatal) throws {
        try emit([.alert(description, level: level, epoch: currentEpoch)])
    }

    var currentEpoch: Epoch {
        applicationWrite != nil ? .application : handshakeWrite != nil ? .handshake : .plaintext
    }

    // MARK: - Receiving

    /// Consumes the client's bytes; answers (a HelloRetryRequest, the server flight, a KeyUpdate) are queued
    /// for ``takeOutput()``. Alerts are logged in ``receivedAlerts``, plaintext or protected, whatever the state.
    func receive(_ bytes: [UInt8]) throws {
        inbound += bytes
        var position = 0
        defer { inbound.removeFirst(position) }
        while inbound.count - position >= RecordLayer.headerLength {
            let type = ContentType(rawValue: inbound[position])
            let length = Int(inbound[position + 3]) << 8 | Int(inbound[position + 4])
            let end = position + RecordLayer.headerLength + length
            guard inbound.count >= end else { break }
            var body = Array(inbound[(position + RecordLayer.headerLength)..<end])
            position = end
            switch type {
            case .changeCipherSpec:
                guard body == [1] else { throw Failure("bad change_cipher_spec record \(body)") }
                receivedChangeCipherSpecs += 1
            case .applicationData:
                guard let readProtection else { throw Failure("protected record before the client has keys") }
                let innerLength = body.count - readProtection.aead.algorithm.tagLength
                largestReceivedInnerPlaintext = max(largestReceivedInnerPlaintext, innerLength)
                if recordSizeLimitNegotiated, let limit = configuration.recordSizeLimit, innerLength > limit {
                    throw Failure("client record with \(innerLength) bytes of TLSInnerPlaintext exceeds the limit \(limit)")
                }
                let (inner, range) = try readProtection.open(buffer: &body, range: 0..<body.count)
                try handleRecord(inner, Array(body[range]), encrypted: true)
            default:
                try handleRecord(type, body, encrypted: false)
            }
        }
    }

    private func handleRecord(_ type: ContentType, _ payload: [UInt8], encrypted: Bool) throws {
        switch type {
        case .alert:
            receivedAlerts.append(ReceivedAlert(alert: try Alert(bytes: payload), encrypted: encrypted))
        case .handshake:
            try reassembler.append(payload)
            while let item = try reassembler.next() { try handle(item) }
        case .applicationData:
            guard state == .connected else { throw Failure("client sent application data before its Finished") }
            receivedApplicationData.append(payload)
        default:
            throw Failure("client sent a record of content type \(type)")
        }
    }

    private func handle(_ item: HandshakeReassembler.Item) throws {
        switch (state, item.message) {
        case (.waitClientHello, .clientHello(let hello)):
            try handleClientHello(hello, bytes: item.bytes)
        case (.waitClientCertificate, .certificate(let certificate)):
            clientCertificate = certificate
            transcript?.update(item.bytes)
            state = .waitClientFinished
        case (.waitClientFinished, .finished(let finished)):
            guard let schedule, let suite, let transcript, let clientHandshakeSecret, let clientApplicationSecret else {
                throw Failure("no handshake secrets")
            }
            let expected = try schedule.verifyData(secret: clientHandshakeSecret, transcriptHash: try transcript.current())
            guard finished.verifyData == expected else { throw Failure("client Finished does not verify") }
            transcript.update(item.bytes)
            readProtection = try RecordProtection(
                keys: schedule.trafficKeys(secret: clientApplicationSecret, aead: suite.aead), algorithm: suite.aead,
                sealing: false)
            isHandshakeComplete = true
            state = .connected
        case (.connected, .keyUpdate(let update)):
            guard let schedule, let suite, let secret = clientApplicationSecret else { throw Failure("no traffic keys") }
            receivedKeyUpdates.append(update)
            let next = try schedule.nextTrafficSecret(secret)
            readProtection = try RecordProtection(
                keys: schedule.trafficKeys(secret: next, aead: suite.aead), algorithm: suite.aead, sealing: false)
            clientApplicationSecret = next
            if update.requestUpdate == .updateRequested { try sendKeyUpdate(.updateNotRequested) }
        default:
            throw Failure("server got \(item.message.name) in state \(state)")
        }
    }

    // MARK: - ClientHello → HelloRetryRequest or ServerHello

    private func handleClientHello(_ hello: ClientHello, bytes: [UInt8]) throws {
        clientHellos.append(hello)
        clientHelloBytes.append(bytes)
        if case .recordSizeLimit(let limit)? = hello.extension(.recordSizeLimit) {
            clientRecordSizeLimit = Int(limit)
        } else {
            clientRecordSizeLimit = nil
        }
        guard case .supportedVersions(let versions)? = hello.extension(.supportedVersions), versions.contains(.tls13)
        else { throw Failure("ClientHello does not offer TLS 1.3") }
        guard let chosenSuite = configuration.cipherSuites.first(where: hello.cipherSuites.contains),
            let parameters = CipherSuiteParameters(chosenSuite)
        else { throw Failure("no common cipher suite in \(hello.cipherSuites)") }
        guard case .supportedGroups(let clientGroups)? = hello.extension(.supportedGroups),
            let group = configuration.groups.first(where: clientGroups.contains)
        else { throw Failure("no common group") }
        if let selectedSuite, selectedSuite != chosenSuite { throw Failure("second ClientHello changed the suites") }
        selectedSuite = chosenSuite
        selectedGroup = group
        suite = parameters
        let clientShare = hello.keyShares.first { $0.group == group }

        if clientHellos.count > 1 {
            // The second ClientHello: it must echo the cookie and carry the requested share.
            guard let transcript else { throw Failure("no transcript after HelloRetryRequest") }
            transcript.update(bytes)
            if let cookie = configuration.cookie, hello.extension(.cookie) != .cookie(cookie) {
                throw Failure("second ClientHello does not echo the cookie")
            }
        } else {
            let t = try TranscriptHash(parameters.hash)
            t.update(bytes)
            transcript = t
        }

        let retryNeeded = clientShare == nil || (configuration.cookie != nil && helloRetryRequestsSent == 0)
        if helloRetryRequestsSent < max(configuration.helloRetryRequests, retryNeeded ? 1 : 0) {
            try sendHelloRetryRequest(hello, bytes: bytes, group: group, clientHasShare: clientShare != nil)
            return
        }
        guard let clientShare else { throw Failure("no key share for \(group) after HelloRetryRequest") }
        try sendServerFlight(hello, clientShare: clientShare)
    }

    private func sendHelloRetryRequest(_ hello: ClientHello, bytes: [UInt8], group: NamedGroup, clientHasShare: Bool)
        throws
    {
        guard let suite, let selectedSuite else { throw Failure("no suite") }
        var extensions: [HelloRetryRequestExtension] = [.supportedVersions(.tls13)]
        // Without a cookie, a forced HelloRetryRequest names the group anyway (so it is not empty).
        if !clientHasShare || configuration.cookie == nil { extensions.append(.keyShare(group)) }
        if let cookie = configuration.cookie { extensions.append(.cookie(cookie)) }
        var hrr = HelloRetryRequest(
            legacySessionIDEcho: hello.legacySessionID, cipherSuite: selectedSuite, extensions: extensions)
        mutateHelloRetryRequest?(&hrr)
        if helloRetryRequestsSent == 0 {
            // Transcript: message_hash(ClientHello1) replaces ClientHello1 (§4.4.1).
            let fresh = try TranscriptHash(suite.hash)
            fresh.update(HandshakeMessage.messageHash(try suite.hash.hash(bytes)))
            transcript = fresh
        }
        var items: [Item] = []
        try add(.helloRetryRequest, HandshakeMessage.helloRetryRequest(hrr), epoch: .plaintext, to: &items)
        if configuration.compatibilityChangeCipherSpec, helloRetryRequestsSent == 0 { items.append(.changeCipherSpec) }
        helloRetryRequestsSent += 1
        editFlight?(&items)
        try emit(items)
    }

    private func sendServerFlight(_ hello: ClientHello, clientShare: KeyShareEntry) throws {
        guard let suite, let selectedSuite, let transcript else { throw Failure("no suite") }
        let loaded = try configuration.customChain ?? Self.loadChain(configuration.chain)
        let (share, shared) = try ServerKeyExchange.respond(to: clientShare)
        var items: [Item] = []

        var serverHello = ServerHello(
            random: try SystemRandom().bytes(32), legacySessionIDEcho: hello.legacySessionID, cipherSuite: selectedSuite,
            extensions: [.supportedVersions(.tls13), .keyShare(share)])
        mutateServerHello?(&serverHello)
        try add(.serverHello, .serverHello(serverHello), epoch: .plaintext, to: &items)
        if configuration.compatibilityChangeCipherSpec, helloRetryRequestsSent == 0 { items.append(.changeCipherSpec) }

        let schedule = try KeySchedule(hash: suite.hash)
        self.schedule = schedule
        let handshakeSecret = try schedule.earlySecret().handshakeSecret(sharedSecret: shared)
        let thSH = try transcript.current()
        let chts = try handshakeSecret.clientTrafficSecret(transcriptHash: thSH)
        let shts = try handshakeSecret.serverTrafficSecret(transcriptHash: thSH)
        handshakeWrite = try RecordProtection(
            keys: schedule.trafficKeys(secret: shts, aead: suite.aead), algorithm: suite.aead, sealing: true)
        readProtection = try RecordProtection(
            keys: schedule.trafficKeys(secret: chts, aead: suite.aead), algorithm: suite.aead, sealing: false)
        clientHandshakeSecret = chts

        var extensions: [EncryptedExtension] = []
        var offered: [[UInt8]] = []
        if case .applicationLayerProtocolNegotiation(let names)? = hello.extension(.applicationLayerProtocolNegotiation) {
            offered = names
        }
        if let chosen = configuration.applicationProtocols.first(where: { offered.contains(Array($0.utf8)) }) {
            extensions.append(.applicationLayerProtocolNegotiation(Array(chosen.utf8)))
        }
        if let limit = configuration.recordSizeLimit, clientRecordSizeLimit != nil {
            extensions.append(.recordSizeLimit(UInt16(limit)))
        }
        var encryptedExtensions = EncryptedExtensions(extensions: extensions)
        mutateEncryptedExtensions?(&encryptedExtensions)
        try add(.encryptedExtensions, .encryptedExtensions(encryptedExtensions), epoch: .handshake, to: &items)

        if var request = configuration.certificateRequest {
            mutateCertificateRequest?(&request)
            try add(.certificateRequest, .certificateRequest(request), epoch: .handshake, to: &items)
        }

        var certificate = CertificateMessage(entries: loaded.certificates.map { CertificateMessage.Entry(certData: $0) })
        if let response = configuration.ocspResponse, hello.extension(.statusRequest) != nil, !certificate.entries.isEmpty {
            certificate.entries[0].extensions.append(
                RawExtension(.statusRequest, try CertificateStatus(ocspResponse: response).encoded))
        }
        mutateCertificate?(&certificate)
        try add(.certificate, .certificate(certificate), epoch: .handshake, to: &items)

        guard let scheme = configuration.signatureScheme ?? loaded.key.defaultScheme else {
            throw Failure("no signature scheme for the \(loaded.key.typeDescription) key")
        }
        let content = CertificateVerify.signedContent(
            signer: configuration.certificateVerifySigner, transcriptHash: try transcript.current())
        var certificateVerify = CertificateVerify(
            algorithm: scheme, signature: try loaded.key.sign(scheme: scheme, message: content))
        mutateCertificateVerify?(&certificateVerify)
        try add(.certificateVerify, .certificateVerify(certificateVerify), epoch: .handshake, to: &items)

        var finished = Finished(verifyData: try schedule.verifyData(secret: shts, transcriptHash: try transcript.current()))
        mutateFinished?(&finished)
        try add(.finished, .finished(finished), epoch: .handshake, to: &items)

        let master = try handshakeSecret.masterSecret()
        let thSF = try transcript.current()
        clientApplicationSecret = try master.clientTrafficSecret(transcriptHash: thSF)
        let sats = try master.serverTrafficSecret(transcriptHash: thSF)
        serverApplicationSecret = sats
        applicationWrite = try RecordProtection(
            keys: schedule.trafficKeys(secret: sats, aead: suite.aead), algorithm: suite.aead, sealing: true)
        state = configuration.certificateRequest == nil ? .waitClientFinished : .waitClientCertificate

        editFlight?(&items)
        try emit(items)
    }

    /// Encodes `message`, applies ``mutateMessageBytes``, adds it to the transcript and to `items`.
    private func add(_ kind: Message, _ message: HandshakeMessage, epoch: Epoch, to items: inout [Item]) throws {
        var bytes = try message.encoded
        mutateMessageBytes?(kind, &bytes)
        guard let transcript else { throw Failure("no transcript") }
        transcript.update(bytes)
        sentMessages.append((kind, bytes))
        items.append(.handshake(bytes, epoch: epoch, message: kind))
    }

    // MARK: - Framing and sealing

    private func emit(_ items: [Item]) throws {
        var lengths: [Int] = []
        for case .handshake(let bytes, _, _) in items { lengths.append(bytes.count) }
        let total = lengths.reduce(0, +)
        let cuts: Set<Int>
        switch configuration.framing {
        case .recordPerMessage:
            var ends = Set<Int>()
            var end = 0
            for length in lengths {
                end += length
                ends.insert(end)
            }
            cuts = ends
        case .coalesced:
            cuts = []
        case .fragments(let size):
            precondition(size > 0, "fragment size")
            cuts = Set(stride(from: size, to: total, by: size))
        case .split(let offsets):
            cuts = offsets
        }

        var records: [OutboundRecord] = []
        var pending: [UInt8] = []
        var pendingEpoch = Epoch.plaintext
        func flush() throws {
            var start = 0
            let size = maxContent(pendingEpoch)
            while start < pending.count {
                let end = min(start + size, pending.count)
                records.append(try seal(.handshake, pending[start..<end], epoch: pendingEpoch))
                start = end
            }
            pending = []
        }
        var offset = 0
        for item in items {
            switch item {
            case .handshake(let bytes, let epoch, _):
                if epoch != pendingEpoch {
                    try flush()
                    pendingEpoch = epoch
                }
                for byte in bytes {
                    pending.append(byte)
                    offset += 1
                    if cuts.contains(offset) { try flush() }
                }
            case .record(let type, let payload, let epoch):
                try flush()
                // Cut to the client's record_size_limit when that applies (an empty record stays one record);
                // otherwise one record, whatever its size (tests of oversize records rely on it).
                let size = maxContent(epoch) < RecordLayer.maxPlaintext ? maxContent(epoch) : max(payload.count, 1)
                var start = 0
                repeat {
                    let end = min(start + size, payload.count)
                    records.append(try seal(type, payload[start..<end], epoch: epoch))
                    start = end
                } while start < payload.count
            case .raw(let bytes):
                try flush()
                records.append(OutboundRecord(epoch: nil, contentType: nil, bytes: bytes))
            }
        }
        try flush()
        editRecords?(&records)
        for record in records { output += record.bytes }
    }

    /// The most content one record of `epoch` carries: 2^14, or (protected, with a negotiated record_size_limit
    /// honored) the client's limit less the content type byte and the padding.
    private func maxContent(_ epoch: Epoch) -> Int {
        guard epoch != .plaintext, recordSizeLimitNegotiated, configuration.honorClientRecordSizeLimit,
            let limit = clientRecordSizeLimit
        else { return RecordLayer.maxPlaintext }
        return max(1, min(RecordLayer.maxPlaintext, limit - 1 - configuration.recordPadding))
    }

    private func seal(_ type: ContentType, _ payload: ArraySlice<UInt8>, epoch: Epoch) throws -> OutboundRecord {
        if epoch != .plaintext {
            largestSentInnerPlaintext = max(largestSentInnerPlaintext, payload.count + 1 + configuration.recordPadding)
        }
        var bytes: [UInt8] = []
        switch epoch {
        case .plaintext:
            bytes = [type.rawValue, 0x03, 0x03, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)] + payload
        case .handshake:
            guard let handshakeWrite else { throw Failure("no handshake keys yet") }
            try handshakeWrite.seal(contentType: type, payload: payload, padding: configuration.recordPadding, into: &bytes)
        case .application:
            guard let applicationWrite else { throw Failure("no application keys yet") }
            try applicationWrite.seal(contentType: type, payload: payload, padding: configuration.recordPadding, into: &bytes)
        }
        return OutboundRecord(epoch: epoch, contentType: type, bytes: bytes)
    }

    // MARK: - Certificates

    /// A chain's DER certificates (leaf first) and the leaf's key.
    struct LoadedChain: Sendable {
        var certificates: [[UInt8]]
        var key: PrivateKey
    }

    private static let chains: [Chain: Result<LoadedChain, Failure>] = {
        var result: [Chain: Result<LoadedChain, Failure>] = [:]
        for chain in Chain.allCases {
            do {
                let certificates = try PEM.certificates(fromFile: CertPaths.path("leaf-\(chain.rawValue)-chain.pem"))
                let key = try PrivateKey(pemFile: CertPaths.path("leaf-\(chain.rawValue).key"))
                result[chain] = .success(LoadedChain(certificates: certificates.map(\.der), key: key))
            } catch {
                result[chain] = .failure(Failure("loading \(chain.rawValue): \(error)"))
            }
        }
        return result
    }()

    static func loadChain(_ chain: Chain) throws -> LoadedChain {
        guard let loaded = chains[chain] else { throw Failure("unknown chain \(chain)") }
        return try loaded.get()
    }

    /// Any chain: the certificates of the PEM files `certificates` (paths under `Certs/`, in the order given,
    /// leaf first) and the leaf's key from `key`.
    static func loadChain(certificates: [String], key: String) throws -> LoadedChain {
        var ders: [[UInt8]] = []
        for file in certificates { ders += try PEM.certificates(fromFile: CertPaths.path(file)).map(\.der) }
        return LoadedChain(certificates: ders, key: try PrivateKey(pemFile: CertPaths.path(key)))
    }
}

// MARK: - Editing a flight

extension Array where Element == ScriptedServer.Item {
    /// The index of the server message `message`.
    func index(of message: ScriptedServer.Message) -> Int? {
        firstIndex {
            if case .handshake(_, _, let m) = $0 { return m == message }
            return false
        }
    }

    private func require(_ message: ScriptedServer.Message) -> Int {
        guard let index = index(of: message) else { preconditionFailure("\(message) is not in the flight") }
        return index
    }

    mutating func remove(_ message: ScriptedServer.Message) {
        remove(at: require(message))
    }

    mutating func insert(_ item: ScriptedServer.Item, before message: ScriptedServer.Message) {
        insert(item, at: require(message))
    }

    mutating func insert(_ item: ScriptedServer.Item, after message: ScriptedServer.Message) {
        insert(item, at: require(message) + 1)
    }

    /// Moves `message` to just before `other`.
    mutating func move(_ message: ScriptedServer.Message, before other: ScriptedServer.Message) {
        let item = remove(at: require(message))
        insert(item, before: other)
    }

    /// Moves `message` to just after `other`.
    mutating func move(_ message: ScriptedServer.Message, after other: ScriptedServer.Message) {
        let item = remove(at: require(message))
        insert(item, after: other)
    }

    /// Sends `message` twice in a row.
    mutating func duplicate(_ message: ScriptedServer.Message) {
        let index = require(message)
        insert(self[index], at: index + 1)
    }

    /// Sends `message` under other keys.
    mutating func setEpoch(of message: ScriptedServer.Message, to epoch: ScriptedServer.Epoch) {
        let index = require(message)
        guard case .handshake(let bytes, _, let m) = self[index] else { return }
        self[index] = .handshake(bytes, epoch: epoch, message: m)
    }

    /// The bytes of server message `message`.
    func bytes(of message: ScriptedServer.Message) -> [UInt8] {
        guard case .handshake(let bytes, _, _) = self[require(message)] else { return [] }
        return bytes
    }
}

extension HandshakeMessage {
    /// ``encoded``, for a message a test script made (where a closure cannot throw): a message that does not
    /// encode is recorded as a test issue and comes out empty.
    var scriptEncoded: [UInt8] {
        do {
            return try encoded
        } catch {
            Issue.record("a scripted \(name) does not encode: \(error)")
            return []
        }
    }
}
