/// What every step of the client works with besides its own state (rustls's `Context` and `CommonState`): the
/// configuration and injected dependencies, the record layer with the keys in force each way, the bytes waiting to
/// be sent, what has been negotiated so far, and the trace.
///
/// Nothing here belongs to one handshake state: the states (``ClientState``) hold the rest.
struct ClientContext {
    let configuration: TLSClientConfiguration
    let identity: ClientStateMachine.ServerIdentity
    let deps: ClientStateMachine.Dependencies
    /// The record layer: framing, the protection each way, the trace's record notes.
    var records = RecordLayer()
    /// Handshake messages across and within records.
    var reassembler: HandshakeReassembler
    /// Sealed records waiting for the transport, in order.
    var output: [UInt8] = []
    /// What has been negotiated so far: the connection's ``TLSSessionInfo``.
    var info = TLSSessionInfo()
    /// The middlebox-compatibility change_cipher_spec (RFC 8446 §D.4).
    var compatibilityCCS = CompatibilityCCS.notUsed

    init(configuration: TLSClientConfiguration, identity: ClientStateMachine.ServerIdentity,
         dependencies: ClientStateMachine.Dependencies) {
        self.configuration = configuration
        self.identity = identity
        self.deps = dependencies
        reassembler = HandshakeReassembler(maxMessageLength: configuration.maxHandshakeMessageSize)
        records.observing = dependencies.tracer != nil
    }

    /// RFC 8446 §D.4: a ClientHello with a non-empty legacy_session_id promises one change_cipher_spec before the
    /// client's first protected record (or its second ClientHello).
    enum CompatibilityCCS {
        /// The ClientHello's legacy_session_id is empty: none is sent.
        case notUsed
        /// Promised and not yet sent.
        case owed
        case sent
    }

    /// Notes what the ClientHello just sent promises (the second ClientHello's session id is what counts after it).
    mutating func noteCompatibilityMode(of hello: ClientHello) {
        guard compatibilityCCS != .sent else { return }
        compatibilityCCS = hello.legacySessionID.isEmpty ? .notUsed : .owed
    }

    /// The change_cipher_spec record if one is owed (then it counts as sent), or nothing.
    mutating func owedCompatibilityCCS() -> [UInt8] {
        guard compatibilityCCS == .owed else { return [] }
        records.noteRawRecords(RecordLayer.changeCipherSpecRecord[...])
        compatibilityCCS = .sent
        return RecordLayer.changeCipherSpecRecord
    }

    /// Queues the owed change_cipher_spec before the client's first protected record: the Finished flight, or an
    /// alert under the handshake keys. An alert sent in the clear (before the ServerHello) needs none.
    mutating func queueCompatibilityCCSBeforeProtectedRecord() {
        guard records.writeProtection != nil else { return }
        let ccs = owedCompatibilityCCS()
        output += ccs
    }

    // MARK: - Keys

    /// Protects what the client receives with `keys` from now on.
    mutating func installReadKeys(_ keys: TrafficKeys, _ suite: CipherSuiteParameters, epoch: TLSEpoch, generation: Int = 0)
        throws(TLSError)
    {
        records.readProtection = try RecordProtection(keys: keys, algorithm: suite.aead, sealing: false)
        records.readProtection?.epoch = epoch
        records.readProtection?.generation = generation
    }

    /// Protects what the client sends with `keys` from now on.
    mutating func installWriteKeys(_ keys: TrafficKeys, _ suite: CipherSuiteParameters, epoch: TLSEpoch, generation: Int = 0)
        throws(TLSError)
    {
        records.writeProtection = try RecordProtection(keys: keys, algorithm: suite.aead, sealing: true)
        records.writeProtection?.epoch = epoch
        records.writeProtection?.generation = generation
    }

    /// Sends a handshake message of ours: traced, then written as records under the current write keys.
    mutating func send(_ message: HandshakeMessage, encoded bytes: [UInt8]) throws(TLSError) {
        traceMessage(message, .sent, length: bytes.count)
        try records.write(.handshake, payload: bytes[...], into: &output)
    }

    // MARK: - Trace

    /// Hands `event` to the trace, if someone listens (the autoclosure builds nothing otherwise).
    func trace(_ event: @autoclosure () -> TLSEvent) {
        guard let tracer = deps.tracer else { return }
        tracer(event())
    }

    // The checks made on every message are inlined (`@inline(__always)`): the driver keeps the context in a stored
    // property of a class, and an out-of-line call on it copies the whole context (its configuration and
    // dependencies: some forty retains and releases) to read one field. Measured with callgrind: two such copies per
    // message were 0.3% of a resumed handshake's instructions.

    /// A handshake message sent or received, with its essentials.
    ///
    /// - Parameters:
    ///   - name: the name shown instead of the message's (`ClientHelloInner`, `ClientHelloOuter` with ECH).
    ///   - extra: fields added to the message's own.
    @inline(__always)
    func traceMessage(
        _ message: HandshakeMessage, _ direction: TLSDirection, length: Int, name: String? = nil,
        extra: @autoclosure () -> [TLSTraceField] = []
    ) {
        guard deps.tracer != nil else { return }
        traceMessageWithFields(message, direction, length: length, name: name, extra: extra())
    }

    private func traceMessageWithFields(
        _ message: HandshakeMessage, _ direction: TLSDirection, length: Int, name: String?, extra: [TLSTraceField]
    ) {
        let protection = direction == .sent ? records.writeProtection : records.readProtection
        trace(.handshakeMessage(TLSHandshakeMessageInfo(
            direction: direction, epoch: protection?.epoch ?? .plaintext, name: name ?? message.displayName,
            length: length, fields: TraceDescription.fields(of: message, certificates: deps.certificateCache) + extra)))
    }

    /// The records the record layer noted since the last call, as events.
    mutating func flushRecordEvents() {
        guard deps.tracer != nil else { return }
        for o in records.drainObservations() {
            trace(.record(TLSRecordInfo(
                direction: o.direction, epoch: o.epoch, outerContentType: o.outerType, innerContentType: o.innerType,
                plaintextLength: o.plaintextLength, wireLength: o.wireLength, streamOffset: o.streamOffset,
                keyGeneration: o.generation)))
        }
    }

    /// Runs `body`, and when tracing, reports its duration as a crypto step (`algorithm` is only built then).
    @inline(__always)
    func timed<T>(
        _ step: String, _ algorithm: @autoclosure () -> String, _ body: () throws(TLSError) -> T
    ) throws(TLSError) -> T {
        guard deps.tracer != nil, let clock = deps.monotonicNanoseconds else { return try body() }
        let start = clock()
        let result = try body()
        trace(.cryptoOperation(TLSCryptoOperation(
            step: step, algorithm: algorithm(), duration: .nanoseconds(max(0, clock() - start)))))
        return result
    }

    /// One NSS key log line to ``TLSClientConfiguration/keyLog``, if set (keyed by the ClientHello's random), and the
    /// secret's trace event.
    func logSecret(_ label: String, _ secret: SecretBytes, clientRandom: [UInt8]) {
        if deps.tracer != nil, let names = Self.secretNames[label] {
            trace(.secretDerived(TLSSecretInfo(
                label: names.label, name: names.name, protects: names.protects, epoch: names.epoch,
                value: deps.traceIncludesSecrets ? secret.hexForKeyLog() : nil)))
        }
        // The NSS key log format has no line for the resumption master secret (nobody needs it to decrypt).
        guard label != "RESUMPTION_MASTER_SECRET", let keyLog = configuration.keyLog else { return }
        let randomHex = SecretBytes(clientRandom).hexForKeyLog()  // not a secret; the same formatting
        keyLog("\(label) \(randomHex) \(secret.hexForKeyLog())")
    }

    /// A KeyUpdate's new secret, for the trace (the key log has no line for it).
    func traceUpdatedSecret(_ secret: SecretBytes, client: Bool, generation: Int) {
        trace(.secretDerived(TLSSecretInfo(
            label: "traffic upd", name: "\(client ? "client" : "server")_application_traffic_secret_\(generation)",
            protects: client ? .sent : .received, epoch: .application,
            value: deps.traceIncludesSecrets ? secret.hexForKeyLog() : nil)))
    }

    /// The RFC 8446 label and name of each secret, by its NSS key log label (and two the key log has no line for).
    private static let secretNames: [String: (label: String, name: String, protects: TLSDirection?, epoch: TLSEpoch?)] = [
        "CLIENT_EARLY_TRAFFIC_SECRET": ("c e traffic", "client_early_traffic_secret", .sent, .early),
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET": ("c hs traffic", "client_handshake_traffic_secret", .sent, .handshake),
        "SERVER_HANDSHAKE_TRAFFIC_SECRET": ("s hs traffic", "server_handshake_traffic_secret", .received, .handshake),
        "CLIENT_TRAFFIC_SECRET_0": ("c ap traffic", "client_application_traffic_secret_0", .sent, .application),
        "SERVER_TRAFFIC_SECRET_0": ("s ap traffic", "server_application_traffic_secret_0", .received, .application),
        "EXPORTER_SECRET": ("exp master", "exporter_master_secret", nil, nil),
        "RESUMPTION_MASTER_SECRET": ("res master", "resumption_master_secret", nil, nil),
    ]

    /// The configured bound on extensions in one server message (a CertificateEntry counts on its own).
    @inline(__always)
    func checkExtensionCount(_ message: HandshakeMessage) throws(TLSError) {
        try Self.checkExtensionCount(message, limit: configuration.maxExtensionsPerMessage)
    }

    private static func checkExtensionCount(_ message: HandshakeMessage, limit: Int) throws(TLSError) {
        let counts: [Int]
        switch message {
        case .serverHello(let m): counts = [m.extensions.count]
        case .helloRetryRequest(let m): counts = [m.extensions.count]
        case .encryptedExtensions(let m): counts = [m.extensions.count]
        case .certificateRequest(let m): counts = [m.extensions.count]
        case .newSessionTicket(let m): counts = [m.extensions.count]
        case .certificate(let m): counts = m.entries.map(\.extensions.count)
        default: counts = []
        }
        if let count = counts.first(where: { $0 > limit }) {
            throw TLSError.illegalParameter("\(message.name) has \(count) extensions; the limit is \(limit)")
        }
    }

    /// What the server's (latest) CertificateRequest asked for, for ``TLSSessionInfo``.
    mutating func recordCertificateRequest(_ cr: CertificateRequest) {
        info.clientCertificateRequested = true
        info.certificateRequestSignatureAlgorithms = cr.signatureAlgorithms
        info.certificateRequestAuthorities = []
        for case .certificateAuthorities(let names) in cr.extensions { info.certificateRequestAuthorities = names }
    }
}
