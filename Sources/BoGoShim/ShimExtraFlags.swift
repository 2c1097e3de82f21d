import Foundation

/// Per-connection settings added for OCSP/SCT, compliance policies, early-data reasons and the I/O flags
/// (kept apart from ``ConnectionFlags``'s original fields; stored there as `extra`).
struct ExtraConnectionFlags: Equatable {
    /// `-fips-202205` / `-wpa-202304`.
    var policy: ShimCompliancePolicy?
    var enableOCSPStapling = false
    var expectOCSPResponse: [UInt8]?
    var enableSignedCertTimestamps = false
    var expectSignedCertTimestamps: [UInt8]?
    /// BoringSSL's `SSL_early_data_reason_string` value expected after the handshake.
    var expectEarlyDataReason: String?

    /// The kind of each flag handled here.
    static let kinds: [String: ShimFlags.Kind] = [
        "-fips-202205": .bool,
        "-wpa-202304": .bool,
        "-enable-ocsp-stapling": .bool,
        "-expect-ocsp-response": .string,
        "-enable-signed-cert-timestamps": .bool,
        "-expect-signed-cert-timestamps": .string,
        "-expect-early-data-reason": .string,
    ]

    /// Applies one flag (already stripped of its prefix): `nil` if the flag is not one of these, else the
    /// error message for a bad value (empty for success).
    mutating func apply(_ name: String, value: String?) -> String?? {
        let string = value ?? ""
        func base64() -> [UInt8]? { Data(base64Encoded: string).map { Array($0) } }
        switch name {
        case "-fips-202205": policy = .fips202205
        case "-wpa-202304": policy = .wpa202304
        case "-enable-ocsp-stapling": enableOCSPStapling = true
        case "-expect-ocsp-response":
            guard let bytes = base64() else { return .some("bad base64 for \(name)") }
            expectOCSPResponse = bytes
        case "-enable-signed-cert-timestamps": enableSignedCertTimestamps = true
        case "-expect-signed-cert-timestamps":
            guard let bytes = base64() else { return .some("bad base64 for \(name)") }
            expectSignedCertTimestamps = bytes
        case "-expect-early-data-reason": expectEarlyDataReason = string
        default: return nil
        }
        return .some(nil)
    }
}
