/// The one error type of this library.
///
/// Every failure reaches the caller as one of these cases. Cases that correspond to a TLS alert carry it:
/// ``alert`` is the alert this side sent (for locally detected failures) or received (``alertReceived(_:)``).
/// ``description`` is a one-line human message suitable for a CLI, e.g.
/// `certificate verify failed: certificate has expired (alert certificate_expired, 45)`.
public enum TLSError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The peer sent bytes that could not be decoded (bad length, truncation, trailing data, duplicate
    /// extension). The alert sent is `decode_error` unless stated otherwise.
    case decode(reason: String, alert: AlertDescription = .decodeError)
    /// The peer's message parsed but broke the protocol; `alert` is the alert this side sent.
    case protocolViolation(alert: AlertDescription, reason: String)
    /// The peer's certificate chain or name was rejected; `alert` is the alert this side sent.
    case certificateRejected(alert: AlertDescription, reason: String)
    /// The peer sent a fatal alert (any alert but `close_notify` and `user_canceled`).
    case alertReceived(AlertDescription)
    /// A network step failed (name resolution, connect, read, write); `reason` names the step.
    case network(step: NetworkStep, reason: String)
    /// A deadline passed (TCP connect, the whole handshake, or one read/write).
    case timedOut(String)
    /// The transport ended without a `close_notify` alert: the data received may be truncated.
    case truncated
    /// The connection was already closed by this side or by a fatal error.
    case closed
    /// A configuration value is invalid or names something this library does not implement.
    case invalidConfiguration(String)
    /// libcrypto failed in a way unrelated to the peer; alert `internal_error` is sent.
    case internalError(String)

    /// The step of connection setup or I/O at which a ``network(step:reason:)`` error happened.
    public enum NetworkStep: String, Hashable, Sendable {
        /// Reading the address given (`host:port`, a bad port, a host name that is not one).
        case parseAddress = "address"
        /// Name resolution (`getaddrinfo`).
        case resolve = "DNS lookup"
        /// The TCP connect.
        case connect = "connect"
        /// Reading from the transport.
        case read = "read"
        /// Writing to the transport.
        case write = "write"
    }

    /// The alert sent (for failures detected here) or received, if the failure is tied to one.
    public var alert: AlertDescription? {
        switch self {
        case .decode(_, let alert): return alert
        case .protocolViolation(let alert, _), .certificateRejected(let alert, _): return alert
        case .alertReceived(let alert): return alert
        case .internalError: return .internalError
        case .network, .timedOut, .truncated, .closed, .invalidConfiguration: return nil
        }
    }

    /// The alert this side must send to the peer for this failure, if any (never for received alerts).
    public var alertToSend: AlertDescription? {
        if case .alertReceived = self { return nil }
        return alert
    }

    /// One line for a person, e.g. `certificate verify failed: certificate has expired (alert certificate_expired, 45)`.
    public var description: String {
        switch self {
        case .decode(let reason, let alert):
            return "malformed message from peer: \(reason) (alert \(alert))"
        case .protocolViolation(let alert, let reason):
            return "protocol violation: \(reason) (alert \(alert))"
        case .certificateRejected(let alert, let reason):
            return "certificate verify failed: \(reason) (alert \(alert))"
        case .alertReceived(let alert):
            return "peer sent fatal alert \(alert.name) (\(alert.rawValue))"
        case .network(let step, let reason):
            return "\(step.rawValue) failed: \(reason)"
        case .timedOut(let what):
            return "timed out: \(what)"
        case .truncated:
            return "connection closed by peer without close_notify (data may be truncated)"
        case .closed:
            return "connection is closed"
        case .invalidConfiguration(let reason):
            return "invalid configuration: \(reason)"
        case .internalError(let reason):
            return "internal error: \(reason) (alert internal_error, 80)"
        }
    }
}

extension TLSError {
    /// Shorthand for a protocol violation with `unexpected_message`.
    static func unexpected(_ reason: String) -> TLSError {
        .protocolViolation(alert: .unexpectedMessage, reason: reason)
    }
    /// Shorthand for a protocol violation with `illegal_parameter`.
    static func illegalParameter(_ reason: String) -> TLSError {
        .protocolViolation(alert: .illegalParameter, reason: reason)
    }
}
