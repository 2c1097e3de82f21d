/// Where the client is in the handshake (RFC 8446 §A.1), and everything it holds there.
///
/// Each case carries one struct with exactly what that state's handlers read or hand to the next state: the key
/// schedule stage, the transcript, what the ClientHello offered, the resumption attempt, the server's verified
/// certificate, the pending CertificateRequest. A field a state does not have cannot be read in it. Handlers
/// consume their state and return the next one (rustls's `handle(self: Box<Self>, …) -> Box<dyn State>`); the
/// type is noncopyable, so the state a handler consumed cannot be used again.
///
/// Read the handshake in the order it happens:
/// `States/ClientStart.swift` → `States/ExpectServerHello.swift` → `States/ExpectEncryptedExtensions.swift` →
/// `States/ExpectCertificate.swift` → `States/ExpectFinished.swift` → `PostHandshake.swift`. The transitions are
/// listed once, in ``ClientState/transitions``; `Docs/Architecture.md` draws them (checked by a test).
enum ClientState: ~Copyable {
    /// Nothing sent yet: the session to offer and the 0-RTT data to send with it.
    case start(ClientStart)
    /// The first ClientHello is out.
    case waitServerHello(ExpectServerHello)
    /// The server answered with a HelloRetryRequest; the second ClientHello is out.
    case waitServerHelloAfterRetry(ExpectServerHelloAfterRetry)
    case waitEncryptedExtensions(ExpectEncryptedExtensions)
    /// After EncryptedExtensions of a full handshake: a CertificateRequest or the server's Certificate.
    case waitCertificateOrRequest(ExpectCertificateOrRequest)
    /// After a CertificateRequest: the server's Certificate.
    case waitCertificate(ExpectCertificate)
    case waitCertificateVerify(ExpectCertificateVerify)
    case waitFinished(ExpectFinished)
    /// Handshake complete; application data flows. Tickets, KeyUpdates, post-handshake authentication.
    case connected(PostHandshake)
    /// A fatal error happened; nothing more is processed.
    case failed

    /// The state without its data: for messages, tests and the transition table.
    var phase: ClientPhase {
        switch self {
        case .start: .start
        case .waitServerHello: .waitServerHello
        case .waitServerHelloAfterRetry: .waitServerHelloAfterRetry
        case .waitEncryptedExtensions: .waitEncryptedExtensions
        case .waitCertificateOrRequest: .waitCertificateOrRequest
        case .waitCertificate: .waitCertificate
        case .waitCertificateVerify: .waitCertificateVerify
        case .waitFinished: .waitFinished
        case .connected: .connected
        case .failed: .failed
        }
    }

    /// Hands a handshake message to the state that expects it and returns the next state; a message the state
    /// does not expect is `unexpected_message`, decided here for the handshake (and by ``PostHandshake`` after it).
    consuming func handle(_ item: HandshakeReassembler.Item, _ cx: inout ClientContext) throws(TLSError) -> ClientState {
        let phase = self.phase
        let bytes = item.bytes
        switch consume self {
        case .waitServerHello(let state):
            switch item.message {
            case .serverHello(let sh): return try state.handle(sh, bytes: bytes, &cx)
            case .helloRetryRequest(let hrr): return try state.handle(hrr, bytes: bytes, &cx)
            default: break
            }
        case .waitServerHelloAfterRetry(let state):
            switch item.message {
            case .serverHello(let sh): return try state.handle(sh, bytes: bytes, &cx)
            case .helloRetryRequest: throw TLSError.unexpected("second HelloRetryRequest")
            default: break
            }
        case .waitEncryptedExtensions(let state):
            if case .encryptedExtensions(let ee) = item.message { return try state.handle(ee, bytes: bytes, &cx) }
        case .waitCertificateOrRequest(let state):
            switch item.message {
            case .certificateRequest(let cr): return try state.handle(cr, bytes: bytes, &cx)
            case .certificate(let certificate): return try state.handle(certificate, bytes: bytes, &cx)
            default: break
            }
        case .waitCertificate(let state):
            if case .certificate(let certificate) = item.message { return try state.handle(certificate, bytes: bytes, &cx) }
        case .waitCertificateVerify(let state):
            if case .certificateVerify(let cv) = item.message { return try state.handle(cv, bytes: bytes, &cx) }
        case .waitFinished(let state):
            if case .finished(let finished) = item.message { return try state.handle(finished, bytes: bytes, &cx) }
        default:
            // START (a message before the ClientHello); CONNECTED and FAILED are not reached: the driver hands
            // post-handshake messages to PostHandshake and feeds nothing after a failure.
            break
        }
        throw TLSError.unexpected("\(item.message.name) received in state \(phase)")
    }
}

/// The client's states without their data (RFC 8446 §A.1's names in ``description``).
enum ClientPhase: String, CaseIterable, CustomStringConvertible {
    case start
    case waitServerHello
    case waitServerHelloAfterRetry
    case waitEncryptedExtensions
    case waitCertificateOrRequest
    case waitCertificate
    case waitCertificateVerify
    case waitFinished
    case connected
    case failed

    /// RFC 8446 §A.1's name (after a HelloRetryRequest the client is in WAIT_SH again).
    var description: String {
        switch self {
        case .start: "START"
        case .waitServerHello, .waitServerHelloAfterRetry: "WAIT_SH"
        case .waitEncryptedExtensions: "WAIT_EE"
        case .waitCertificateOrRequest: "WAIT_CERT_CR"
        case .waitCertificate: "WAIT_CERT"
        case .waitCertificateVerify: "WAIT_CV"
        case .waitFinished: "WAIT_FINISHED"
        case .connected: "CONNECTED"
        case .failed: "FAILED"
        }
    }
}

/// One step the client takes: from a state, on a handshake message received (or the client's own first step), to a
/// state.
struct ClientTransition: Hashable {
    var from: ClientPhase
    /// The message received, as ``HandshakeMessage/displayName`` spells it; or ``start``.
    var on: String
    /// What decides between two transitions on the same message, or `nil`.
    var condition: String?
    var to: ClientPhase

    init(_ from: ClientPhase, on: String, _ condition: String? = nil, to: ClientPhase) {
        self.from = from
        self.on = on
        self.condition = condition
        self.to = to
    }

    /// The client's own first step (``ClientStateMachine/startHandshake()``), not a message received.
    static let start = "startHandshake"

    /// The edge's label in the state diagram.
    var label: String { condition.map { "\(on) (\($0))" } ?? on }
}

extension ClientState {
    /// Every transition the client makes, in the order a handshake meets them; any state goes to `failed` on an
    /// error. The driver checks each transition it takes against this table (`assert`, in debug builds: the whole
    /// test suite runs through it), and `Docs/Architecture.md` draws it (`StateDiagramTests` renders this table and
    /// compares).
    static let transitions: [ClientTransition] = [
        ClientTransition(.start, on: ClientTransition.start, "ClientHello sent", to: .waitServerHello),
        ClientTransition(.waitServerHello, on: "HelloRetryRequest", "second ClientHello sent", to: .waitServerHelloAfterRetry),
        ClientTransition(.waitServerHello, on: "ServerHello", to: .waitEncryptedExtensions),
        ClientTransition(.waitServerHelloAfterRetry, on: "ServerHello", to: .waitEncryptedExtensions),
        ClientTransition(.waitEncryptedExtensions, on: "EncryptedExtensions", "full handshake", to: .waitCertificateOrRequest),
        ClientTransition(.waitEncryptedExtensions, on: "EncryptedExtensions", "PSK accepted", to: .waitFinished),
        ClientTransition(.waitCertificateOrRequest, on: "CertificateRequest", to: .waitCertificate),
        ClientTransition(.waitCertificateOrRequest, on: "Certificate", to: .waitCertificateVerify),
        ClientTransition(.waitCertificate, on: "Certificate", to: .waitCertificateVerify),
        ClientTransition(.waitCertificateVerify, on: "CertificateVerify", to: .waitFinished),
        ClientTransition(.waitFinished, on: "Finished", "client Finished sent", to: .connected),
        ClientTransition(.connected, on: "NewSessionTicket", to: .connected),
        ClientTransition(.connected, on: "KeyUpdate", to: .connected),
        ClientTransition(.connected, on: "CertificateRequest", "post-handshake authentication", to: .connected),
    ]

    /// Whether ``transitions`` lists a step from `from` on `message` to `to`.
    static func allows(from: ClientPhase, on message: String, to: ClientPhase) -> Bool {
        transitions.contains { $0.from == from && $0.on == message && $0.to == to }
    }
}

/// What the state machine reports to its driver after consuming bytes.
enum ClientEvent: Equatable {
    /// The server's Finished verified and the client's Finished is queued: application data may flow.
    case handshakeComplete
    /// Authenticated application data from the server.
    case applicationData([UInt8])
    /// The server sent close_notify: no more data will be read (writing may continue).
    case peerClosed
    /// A NewSessionTicket arrived (lifetime already capped at 7 days), and the session it stands for.
    case newSessionTicket(NewSessionTicket, TLSSession)
    /// The server updated its sending keys; `replyQueued` when it asked us to update ours too.
    case peerKeyUpdate(replyQueued: Bool)
    /// The server asked for post-handshake authentication; the answer is queued.
    case postHandshakeAuthentication
}
