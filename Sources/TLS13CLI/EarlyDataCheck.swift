import TLS13

/// Why 0-RTT data cannot go with a session, so `connect` can say why the summary shows `early data: not sent`.
///
/// Mirrors the library's conditions for sending early data (RFC 8446 §4.2.10): a session that allows it, data
/// within its max_early_data_size, the session's exact cipher suite offered, and its ALPN protocol offered.
enum EarlyDataCheck {
    /// The reason `size` bytes cannot be sent as 0-RTT with `session` under `configuration`, or `nil` when
    /// nothing on this side prevents it.
    static func obstacle(session: TLSSession?, size: Int, configuration: TLSClientConfiguration) -> String? {
        guard let session else { return "no usable session (0-RTT needs a resumed session)" }
        guard session.allowsEarlyData else {
            return "the session does not allow 0-RTT (the server's ticket had no early_data extension)"
        }
        // Data beyond the ticket's max_early_data_size is no obstacle: the library sends the first
        // max_early_data_size bytes as 0-RTT and the rest right after the handshake.
        guard configuration.cipherSuites.contains(session.cipherSuite) else {
            return "the session's cipher suite \(session.cipherSuite) is not offered (--ciphers)"
        }
        if let alpn = session.applicationProtocol, !configuration.applicationProtocols.contains(alpn) {
            return "0-RTT needs the session's ALPN protocol '\(alpn)' offered (--alpn)"
        }
        return nil
    }
}
