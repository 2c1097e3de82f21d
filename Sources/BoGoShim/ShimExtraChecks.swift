import TLS13

/// Configuration and checks for the flags of ``ExtraConnectionFlags``.
extension ShimTest {
    /// Applies the extra flags to a connection's configuration (after the original ones).
    static func applyExtras(_ c: ConnectionFlags, to config: inout TLSClientConfiguration) {
        // BoringSSL asks for neither unless told to (SSL_enable_ocsp_stapling, SSL_enable_signed_cert_timestamps).
        config.requestOCSPStapling = c.extra.enableOCSPStapling
        config.requestSignedCertificateTimestamps = c.extra.enableSignedCertTimestamps
        c.extra.policy?.apply(to: &config)
    }

    /// Checks the extra expectations after the handshake (`CheckAuthProperties`, `CheckHandshakeProperties`).
    static func checkExtras(_ info: TLSSessionInfo, flags c: ConnectionFlags) throws(ShimOutcome) {
        if let expected = c.extra.expectOCSPResponse, info.ocspResponse != expected {
            throw .failed("OCSP response mismatch: got \(info.ocspResponse.map { "\($0.count) bytes" } ?? "none")")
        }
        if let expected = c.extra.expectSignedCertTimestamps, info.signedCertificateTimestamps != expected {
            throw .failed("SCT list mismatch: got \(info.signedCertificateTimestamps.map { "\($0.count) bytes" } ?? "none")")
        }
        if let expected = c.extra.expectEarlyDataReason, boringSSLName(info.earlyDataReason) != expected {
            throw .failed(
                "Early data reason was \"\(boringSSLName(info.earlyDataReason))\" (\(info.earlyDataReason.rawValue)), expected \"\(expected)\"")
        }
        if c.expectNoOfferEarlyData, info.earlyData != .notSent {
            throw .failed("early data was offered (\(info.earlyData.rawValue)), but we expected it not to be")
        }
    }

    /// BoringSSL's `SSL_early_data_reason_string` for a reason.
    static func boringSSLName(_ reason: TLSEarlyDataReason) -> String {
        switch reason {
        case .notRequested: "disabled"
        case .noSession: "no_session_offered"
        case .sessionDoesNotAllowEarlyData, .cipherSuiteNotOffered: "unsupported_for_session"
        case .applicationProtocolMismatch: "alpn_mismatch"
        case .accepted: "accept"
        case .helloRetryRequest: "hello_retry_request"
        case .sessionNotResumed: "session_not_resumed"
        case .declinedByServer: "peer_declined"
        }
    }
}
