/// A TLS alert description (RFC 8446 §6).
///
/// Modelled as a struct over the raw byte so that values this library does not name
/// still parse and round-trip; the named values are the RFC 8446 registry.
public struct AlertDescription: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The alert's code on the wire.
    public var rawValue: UInt8
    /// The alert for a code (any value: unknown ones are kept, and named by their number).
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// "This alert notifies the recipient that the sender will not send any more messages on this connection." (§6.1)
    public static let closeNotify = AlertDescription(rawValue: 0)
    /// "An inappropriate message (e.g., the wrong handshake message, premature Application Data, etc.) was received." (§6.2)
    public static let unexpectedMessage = AlertDescription(rawValue: 10)
    /// "This alert is returned if a record is received which cannot be deprotected." (§6.2)
    public static let badRecordMAC = AlertDescription(rawValue: 20)
    /// "A TLSCiphertext record was received that had a length more than 2^14 + 256 bytes, or a record decrypted
    /// to a TLSPlaintext record with more than 2^14 bytes." (§6.2)
    public static let recordOverflow = AlertDescription(rawValue: 22)
    /// "Receipt of a handshake_failure alert message indicates that the sender was unable to negotiate an
    /// acceptable set of security parameters given the options available." (§6.2)
    public static let handshakeFailure = AlertDescription(rawValue: 40)
    /// "A certificate was corrupt, contained signatures that did not verify correctly, etc." (§6.2)
    public static let badCertificate = AlertDescription(rawValue: 42)
    /// "A certificate was of an unsupported type." (§6.2)
    public static let unsupportedCertificate = AlertDescription(rawValue: 43)
    /// "A certificate was revoked by its signer." (§6.2)
    public static let certificateRevoked = AlertDescription(rawValue: 44)
    /// "A certificate has expired or is not currently valid." (§6.2)
    public static let certificateExpired = AlertDescription(rawValue: 45)
    /// "Some other (unspecified) issue arose in processing the certificate, rendering it unacceptable." (§6.2)
    public static let certificateUnknown = AlertDescription(rawValue: 46)
    /// "A field in the handshake was incorrect or inconsistent with other fields." (§6.2)
    public static let illegalParameter = AlertDescription(rawValue: 47)
    /// "A valid certificate chain or partial chain was received, but the certificate was not accepted because
    /// the CA certificate could not be located or could not be matched with a known trust anchor." (§6.2)
    public static let unknownCA = AlertDescription(rawValue: 48)
    /// "A valid certificate or PSK was received, but when access control was applied, the sender decided not
    /// to proceed with negotiation." (§6.2)
    public static let accessDenied = AlertDescription(rawValue: 49)
    /// "A message could not be decoded because some field was out of the specified range or the length of
    /// the message was incorrect." (§6.2)
    public static let decodeError = AlertDescription(rawValue: 50)
    /// "A handshake (not record layer) cryptographic operation failed, including being unable to correctly
    /// verify a signature or validate a Finished message or a PSK binder." (§6.2)
    public static let decryptError = AlertDescription(rawValue: 51)
    /// "The protocol version the peer has attempted to negotiate is recognized but not supported." (§6.2)
    public static let protocolVersion = AlertDescription(rawValue: 70)
    /// "Returned instead of handshake_failure when a negotiation has failed specifically because the server
    /// requires parameters more secure than those supported by the client." (§6.2)
    public static let insufficientSecurity = AlertDescription(rawValue: 71)
    /// "An internal error unrelated to the peer or the correctness of the protocol makes it impossible to
    /// continue." (§6.2)
    public static let internalError = AlertDescription(rawValue: 80)
    /// "Sent by a server in response to an invalid connection retry attempt from a client." (§6.2)
    public static let inappropriateFallback = AlertDescription(rawValue: 86)
    /// "This alert notifies the recipient that the sender is canceling the handshake for some reason unrelated
    /// to a protocol failure." (§6.1)
    public static let userCanceled = AlertDescription(rawValue: 90)
    /// "Sent by endpoints that receive a handshake message not containing an extension that is mandatory to
    /// send for the offered TLS version or other negotiated parameters." (§6.2)
    public static let missingExtension = AlertDescription(rawValue: 109)
    /// "Sent by endpoints receiving any handshake message containing an extension known to be prohibited for
    /// inclusion in the given handshake message, or including any extensions in a ServerHello or Certificate
    /// not first offered in the corresponding ClientHello or CertificateRequest." (§6.2)
    public static let unsupportedExtension = AlertDescription(rawValue: 110)
    /// "Sent by servers when no server exists identified by the name provided by the client via the
    /// server_name extension." (§6.2)
    public static let unrecognizedName = AlertDescription(rawValue: 112)
    /// "Sent by clients when an invalid or unacceptable OCSP response is provided by the server via the
    /// status_request extension." (§6.2)
    public static let badCertificateStatusResponse = AlertDescription(rawValue: 113)
    /// "Sent by servers when PSK key establishment is desired but no acceptable PSK identity is provided by
    /// the client." (§6.2)
    public static let unknownPSKIdentity = AlertDescription(rawValue: 115)
    /// "Sent by servers when a client certificate is desired but none was provided by the client." (§6.2)
    public static let certificateRequired = AlertDescription(rawValue: 116)
    /// "Sent by servers when a client "application_layer_protocol_negotiation" extension advertises only
    /// protocols that the server does not support." (§6.2)
    public static let noApplicationProtocol = AlertDescription(rawValue: 120)

    private static let names: [UInt8: String] = [
        0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
        40: "handshake_failure", 42: "bad_certificate", 43: "unsupported_certificate",
        44: "certificate_revoked", 45: "certificate_expired", 46: "certificate_unknown",
        47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied", 50: "decode_error",
        51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security", 80: "internal_error",
        86: "inappropriate_fallback", 90: "user_canceled", 109: "missing_extension",
        110: "unsupported_extension", 112: "unrecognized_name", 113: "bad_certificate_status_response",
        115: "unknown_psk_identity", 116: "certificate_required", 120: "no_application_protocol",
    ]

    /// The RFC name, e.g. `certificate_expired`, or `alert(N)` for an unnamed value.
    public var name: String { Self.names[rawValue] ?? "alert(\(rawValue))" }

    /// `name` and number, e.g. `certificate_expired, 45`.
    public var description: String { "\(name), \(rawValue)" }
}

/// A TLS alert level (RFC 8446 §6). In TLS 1.3 the level is ignored on receipt: every alert except
/// `close_notify` and `user_canceled` is fatal.
struct AlertLevel: RawRepresentable, Hashable, Sendable {
    var rawValue: UInt8
    init(rawValue: UInt8) { self.rawValue = rawValue }
    static let warning = AlertLevel(rawValue: 1)
    static let fatal = AlertLevel(rawValue: 2)
}
