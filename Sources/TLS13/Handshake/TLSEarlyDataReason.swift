/// Why 0-RTT early data was or was not sent, and what the server did with it (``TLSSessionInfo/earlyDataReason``).
///
/// The first group explains ``TLSEarlyDataStatus/notSent``, the second ``TLSEarlyDataStatus/rejected``;
/// ``accepted`` goes with ``TLSEarlyDataStatus/accepted``.
public enum TLSEarlyDataReason: String, Sendable, Hashable {
    /// The caller gave no early data.
    case notRequested = "not requested"
    /// No session was offered (none given or cached, or the one given was expired, for another server name,
    /// from an unverified connection, or of a hash no configured suite has).
    case noSession = "no session"
    /// The session's ticket does not allow early data (its max_early_data_size is 0).
    case sessionDoesNotAllowEarlyData = "session does not allow early data"
    /// The session's cipher suite is not among ``TLSClientConfiguration/cipherSuites`` (0-RTT must use it).
    case cipherSuiteNotOffered = "session cipher suite not offered"
    /// The session's ALPN protocol is not among ``TLSClientConfiguration/applicationProtocols`` (0-RTT must
    /// use it, RFC 8446 §4.2.10).
    case applicationProtocolMismatch = "ALPN mismatch"
    /// The server took the early data.
    case accepted
    /// The server answered with a HelloRetryRequest, which rejects early data.
    case helloRetryRequest = "HelloRetryRequest"
    /// The server did not accept the session (a full handshake), so it could not read the early data.
    case sessionNotResumed = "session not resumed"
    /// The server resumed the session but declined the early data (no early_data in EncryptedExtensions).
    case declinedByServer = "declined by server"
    /// The session and its early data went in ClientHelloInner, and the server rejected ECH (RFC 9849): it used
    /// ClientHelloOuter, which offers no session.
    case echRejected = "ECH rejected"
}
