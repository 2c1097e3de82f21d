/// Something that happened while a connection was made or used, for tracing, teaching and debugging
/// (``TLSClientConfiguration/eventHandler``, ``TLSClientConfiguration/logger``, `tls13 trace`).
///
/// The sans-I/O core reports records, handshake messages with their decoded essentials, key-schedule steps, crypto
/// step timings, tickets, key updates and alerts; the connection layer adds name resolution and the TCP socket's
/// states, and stamps each event with the time since the connection started (``TLSTraceEvent``). Nothing is built when
/// nobody listens.
public enum TLSEvent: Sendable, Hashable {
    /// The host name was resolved (`getaddrinfo`), to these addresses, in this time.
    case nameResolved(host: String, addresses: [String], duration: Duration)
    /// The non-blocking TCP connect to `remote` started: the socket's state right after it (`SYN_SENT`).
    case tcpConnecting(remote: String, state: String)
    /// The TCP connect completed (the three-way handshake is done), with the kernel's view of the connection.
    case tcpEstablished(TLSTCPInfo)
    /// The kernel's view of the connection at some later point (after the handshake, at close).
    case tcpInfo(TLSTCPInfo)
    /// The teardown as the kernel saw it: the socket's states after this side closed (`FIN_WAIT1`, `FIN_WAIT2`,
    /// `TIME_WAIT`, …), read with `TCP_INFO` while the socket was open and from the kernel's socket table (`source`)
    /// for the 4-tuple afterwards.
    case tcpClosed(states: [String], source: String)
    /// A record went out or came in.
    case record(TLSRecordInfo)
    /// A handshake message went out or came in, with its decoded essentials.
    case handshakeMessage(TLSHandshakeMessageInfo)
    /// A key-schedule secret was derived (RFC 8446 §7.1).
    case secretDerived(TLSSecretInfo)
    /// A cryptographic step and what it cost.
    case cryptoOperation(TLSCryptoOperation)
    /// An alert went out or came in (close_notify is ``closeNotify(_:)``).
    case alert(direction: TLSDirection, description: AlertDescription, fatal: Bool)
    /// close_notify went out or came in.
    case closeNotify(TLSDirection)
    /// A NewSessionTicket arrived.
    case sessionTicket(lifetime: UInt32, maxEarlyData: UInt32, ticketLength: Int)
    /// A KeyUpdate went out or came in.
    case keyUpdate(direction: TLSDirection, updateRequested: Bool)
    /// What became of 0-RTT data, once known.
    case earlyData(TLSEarlyDataStatus, reason: TLSEarlyDataReason)
    /// Something worth saying that is not a message (a session not offered, and why).
    case note(String)
}

/// An event and when it happened: the time since the connection started (monotonic clock).
public struct TLSTraceEvent: Sendable, Hashable {
    /// Time since `connect` was called.
    public let time: Duration
    /// What happened.
    public let event: TLSEvent

    /// An event stamped with its time (the library makes these; public for tests of an application's handler).
    public init(time: Duration, event: TLSEvent) {
        self.time = time
        self.event = event
    }
}

/// Which way something went, from the client's side.
public enum TLSDirection: String, Sendable, Hashable {
    /// From the client to the server.
    case sent
    /// From the server to the client.
    case received
}

/// Which keys protect a record (RFC 8446 §7.3).
public enum TLSEpoch: String, Sendable, Hashable {
    /// No protection: ClientHello, ServerHello, HelloRetryRequest, change_cipher_spec, an alert before the keys.
    case plaintext
    /// client_early_traffic_secret (0-RTT).
    case early
    /// The handshake traffic secrets.
    case handshake
    /// The application traffic secrets (after a KeyUpdate, the next generation: see ``TLSRecordInfo/keyGeneration``).
    case application
}

/// One record, as it went on the wire.
public struct TLSRecordInfo: Sendable, Hashable {
    /// Sent or received.
    public var direction: TLSDirection
    /// The keys that protect it.
    public var epoch: TLSEpoch
    /// The content type in the record header (`application_data` for every protected record).
    public var outerContentType: UInt8
    /// The real content type (TLSInnerPlaintext.type) of a protected record; the outer one otherwise.
    public var innerContentType: UInt8
    /// Content bytes (after deprotection, before padding).
    public var plaintextLength: Int
    /// Bytes on the wire, header included.
    public var wireLength: Int
    /// Where the record starts in its direction's TCP byte stream.
    public var streamOffset: Int
    /// Application traffic key generation (0 before any KeyUpdate).
    public var keyGeneration: Int

    /// `handshake`, `alert`, `application_data`, `change_cipher_spec`, or the number.
    public static func contentTypeName(_ type: UInt8) -> String {
        switch type {
        case 20: "change_cipher_spec"
        case 21: "alert"
        case 22: "handshake"
        case 23: "application_data"
        default: "content type \(type)"
        }
    }
}

/// A handshake message and its decoded essentials.
public struct TLSHandshakeMessageInfo: Sendable, Hashable {
    /// Sent or received.
    public var direction: TLSDirection
    /// The keys of the record that carried it.
    public var epoch: TLSEpoch
    /// `ClientHello`, `ServerHello`, `HelloRetryRequest`, `EncryptedExtensions`, `CertificateRequest`, `Certificate`,
    /// `CertificateVerify`, `Finished`, `EndOfEarlyData`, `NewSessionTicket`, `KeyUpdate`.
    public var name: String
    /// The message's length, its 4-byte header included.
    public var length: Int
    /// The essentials, by name (Docs/Trace.md lists them per message).
    public var fields: [TLSTraceField]
}

/// One named value of an event.
public struct TLSTraceField: Sendable, Hashable {
    /// The field's name, e.g. `cipher_suites`.
    public var name: String
    /// Its value.
    public var value: TLSTraceValue

    /// A field named `name`.
    public init(_ name: String, _ value: TLSTraceValue) {
        self.name = name
        self.value = value
    }
}

/// A value of a trace field.
public indirect enum TLSTraceValue: Sendable, Hashable {
    /// Text: a name, a hex string, a date.
    case string(String)
    /// A number.
    case integer(Int)
    /// A flag.
    case bool(Bool)
    /// Several values in order (the cipher suites offered, the certificates of a chain).
    case list([TLSTraceValue])
    /// Named values (an extension's content, a certificate's fields).
    case fields([TLSTraceField])
}

/// A key-schedule secret (RFC 8446 §7.1).
public struct TLSSecretInfo: Sendable, Hashable {
    /// The secret's label in the key schedule: `c e traffic`, `c hs traffic`, `s hs traffic`, `c ap traffic`,
    /// `s ap traffic`, `exp master`, `res master`, `traffic upd`.
    public var label: String
    /// Its name in RFC 8446: `client_handshake_traffic_secret` …
    public var name: String
    /// The records it protects from now on, if it is a traffic secret.
    public var protects: TLSDirection?
    /// The records it protects, if it is a traffic secret.
    public var epoch: TLSEpoch?
    /// The secret in hex, only when ``TLSClientConfiguration/traceIncludesSecrets`` is set (anyone with it can
    /// decrypt the connection).
    public var value: String?
}

/// A cryptographic step and its cost.
public struct TLSCryptoOperation: Sendable, Hashable {
    /// `key generation`, `key exchange`, `signature verification`, `chain verification`, `OCSP check`.
    public var step: String
    /// What it was done with: a group, a signature scheme, the chain's length…
    public var algorithm: String
    /// How long it took (the monotonic clock).
    public var duration: Duration
}

/// The kernel's view of a TCP connection (Linux `TCP_INFO`).
public struct TLSTCPInfo: Sendable, Hashable {
    /// `ESTABLISHED`, `FIN_WAIT1`, …
    public var state: String
    /// This side's address, e.g. `127.0.0.1:51514`.
    public var localAddress: String
    /// The server's address, e.g. `127.0.0.1:4433` or `[::1]:4433`.
    public var remoteAddress: String
    /// Smoothed round-trip time.
    public var roundTripTime: Duration
    /// Its variance.
    public var roundTripTimeVariance: Duration
    /// Maximum segment size for sending.
    public var sendMSS: Int
    /// Congestion window, in segments.
    public var congestionWindow: Int
    /// Retransmissions of the current segment.
    public var retransmits: Int
    /// Retransmissions in all.
    public var totalRetransmits: Int

    /// The values as read from `TCP_INFO` (the library makes these; public for tests).
    public init(
        state: String, localAddress: String, remoteAddress: String, roundTripTime: Duration,
        roundTripTimeVariance: Duration, sendMSS: Int, congestionWindow: Int, retransmits: Int, totalRetransmits: Int
    ) {
        self.state = state
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        self.roundTripTime = roundTripTime
        self.roundTripTimeVariance = roundTripTimeVariance
        self.sendMSS = sendMSS
        self.congestionWindow = congestionWindow
        self.retransmits = retransmits
        self.totalRetransmits = totalRetransmits
    }

    /// The initial congestion window in bytes (segments × MSS): a server flight larger than this needs another round
    /// trip before its last bytes can be sent.
    public var congestionWindowBytes: Int { congestionWindow * sendMSS }
}

extension TLSEvent {
    /// One line for a log (``TLSClientConfiguration/logger``): what happened, without secret values.
    public var summary: String {
        switch self {
        case .nameResolved(let host, let addresses, _): return "resolved \(host) to \(addresses.joined(separator: ", "))"
        case .tcpConnecting(let remote, let state): return "TCP connect to \(remote): \(state)"
        case .tcpEstablished(let info): return "TCP \(info.state) \(info.localAddress) -> \(info.remoteAddress)"
        case .tcpInfo(let info): return "TCP \(info.state)"
        case .tcpClosed(let states, _): return "TCP teardown: \(states.joined(separator: " -> "))"
        case .record(let r):
            return "record \(r.direction.rawValue) \(TLSRecordInfo.contentTypeName(r.innerContentType)) "
                + "\(r.plaintextLength) B (\(r.epoch.rawValue))"
        case .handshakeMessage(let m): return "\(m.name) \(m.direction.rawValue) (\(m.length) B, \(m.epoch.rawValue))"
        case .secretDerived(let s): return "derived \(s.label) (\(s.name))"
        case .cryptoOperation(let c): return "\(c.step) \(c.algorithm): \(c.duration)"
        case .alert(let direction, let description, let fatal):
            return "alert \(description.name) \(direction.rawValue)\(fatal ? " (fatal)" : "")"
        case .closeNotify(let direction): return "close_notify \(direction.rawValue)"
        case .sessionTicket(let lifetime, let maxEarlyData, let length):
            return "NewSessionTicket: lifetime \(lifetime) s, max early data \(maxEarlyData), \(length) B"
        case .keyUpdate(let direction, let requested):
            return "KeyUpdate \(direction.rawValue)\(requested ? " (update requested)" : "")"
        case .earlyData(let status, let reason): return "early data \(status.rawValue) (\(reason))"
        case .note(let text): return text
        }
    }
}
