import Foundation

/// Per-connection settings added for OCSP/SCT, compliance policies, early-data reasons, the I/O flags, extension
/// permutation, certificate compression, ECH and external PSKs (kept apart from ``ConnectionFlags``'s original fields;
/// stored there as `extra`).
struct ExtraConnectionFlags: Equatable {
    /// `-fips-202205` / `-wpa-202304`.
    var policy: ShimCompliancePolicy?
    var enableOCSPStapling = false
    var expectOCSPResponse: [UInt8]?
    var enableSignedCertTimestamps = false
    var expectSignedCertTimestamps: [UInt8]?
    /// BoringSSL's `SSL_early_data_reason_string` value expected after the handshake.
    var expectEarlyDataReason: String?
    /// Send a fatal decompression_failure alert right after the handshake (and exports), then stop.
    var sendAlert = false
    /// Read with `peek` twice, then `read`, and check all three agree.
    var peekThenRead = false
    var enableGREASE = false
    /// `-permute-extensions`: a random ClientHello extension order (BoringSSL's default is the fixed order).
    var permuteExtensions = false
    /// `-install-cert-compression-algs`: offer bssl_shim's three test algorithms (``ShimTest/certificateDecompressors``).
    var installCertCompressionAlgs = false
    /// `-ech-config-list`: the ECHConfigList to offer (base64).
    var echConfigList: [UInt8]?
    /// `-enable-ech-grease` (BoringSSL sends no GREASE ECH by default).
    var enableECHGREASE = false
    /// `-expect-ech-accept`: ECH accepted; without it, not accepted (BoringSSL's check is an equality).
    var expectECHAccept = false
    /// `-expect-ech-retry-configs` (base64) / `-expect-no-ech-retry-configs`: what a rejection carries.
    var expectECHRetryConfigs: [UInt8]?
    var expectNoECHRetryConfigs = false
    /// `-expect-ech-name-override` / `-expect-no-ech-name-override`: the name the certificate is verified for.
    var expectECHNameOverride: String?
    var expectNoECHNameOverride = false
    /// `-psk` / `-psk-identity`: an external PSK (the key as the flag's bytes, SHA-256).
    var psk: String?
    var pskIdentity: String?
    /// `-fail-cert-callback`: the client-certificate callback fails (``ShimTest/failingCertificate``).
    var failCertCallback = false
    /// `-expect-msg-callback`: what bssl_shim's message callback must have seen (``ShimMessageLog``).
    var expectMessageCallback: String?
    /// The suite expected when the machine has AES hardware (our preference is AES-GCM first regardless).
    var expectCipherAES: Int?
    var expectPeerVerifyPrefs: [Int] = []
    /// DER names, from comma-separated hex.
    var expectClientCAList: [[UInt8]]?
    /// `-use-ocsp-callback`: install ``TLSClientConfiguration/ocspResponseCheck``; `-fail-ocsp-callback`: it rejects.
    var useOCSPCallback = false
    /// Write the current traffic secrets (from the key log) to the runner after the handshake.
    var exportTrafficSecrets = false
    /// Seconds the shim's clock moves forward before each resuming connection.
    var resumptionDelay = 0
    var failOCSPCallback = false

    /// The kind of each flag handled here.
    static let kinds: [String: ShimFlags.Kind] = [
        "-fips-202205": .bool,
        "-wpa-202304": .bool,
        "-enable-ocsp-stapling": .bool,
        "-expect-ocsp-response": .string,
        "-enable-signed-cert-timestamps": .bool,
        "-expect-signed-cert-timestamps": .string,
        "-expect-early-data-reason": .string,
        "-send-alert": .bool,
        "-use-ocsp-callback": .bool,
        "-resumption-delay": .int,
        "-export-traffic-secrets": .bool,
        "-ocsp-response": .string,
        "-signed-cert-timestamps": .string,
        "-fail-ocsp-callback": .bool,
        "-peek-then-read": .bool,
        "-enable-grease": .bool,
        "-permute-extensions": .bool,
        "-install-cert-compression-algs": .bool,
        "-ech-config-list": .string,
        "-enable-ech-grease": .bool,
        "-expect-ech-accept": .bool,
        "-expect-ech-retry-configs": .string,
        "-expect-no-ech-retry-configs": .bool,
        "-expect-ech-name-override": .string,
        "-expect-no-ech-name-override": .bool,
        "-psk": .string,
        "-psk-identity": .string,
        "-expect-msg-callback": .string,
        "-fail-cert-callback": .bool,
        "-expect-cipher-aes": .int,
        "-expect-cipher-no-aes": .int,
        "-expect-peer-verify-pref": .intVector,
        "-expect-client-ca-list": .string,
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
        case "-send-alert": sendAlert = true
        case "-use-ocsp-callback": useOCSPCallback = true
        case "-resumption-delay": resumptionDelay = Int(string) ?? 0
        case "-export-traffic-secrets": exportTrafficSecrets = true
        case "-ocsp-response", "-signed-cert-timestamps":
            // What a shim staples to its *own* certificate. The client library has no such setting: its
            // Certificate entries never carry extensions, which is what the runner checks of a client
            // (SendNoClientCertificateExtensions-TLS13).
            break
        case "-fail-ocsp-callback": failOCSPCallback = true
        case "-peek-then-read": peekThenRead = true
        case "-enable-grease": enableGREASE = true
        case "-permute-extensions": permuteExtensions = true
        case "-install-cert-compression-algs": installCertCompressionAlgs = true
        case "-ech-config-list":
            guard let bytes = base64() else { return .some("bad base64 for \(name)") }
            echConfigList = bytes
        case "-enable-ech-grease": enableECHGREASE = true
        case "-expect-ech-accept": expectECHAccept = true
        case "-expect-ech-retry-configs":
            guard let bytes = base64() else { return .some("bad base64 for \(name)") }
            expectECHRetryConfigs = bytes
        case "-expect-no-ech-retry-configs": expectNoECHRetryConfigs = true
        case "-expect-ech-name-override": expectECHNameOverride = string
        case "-expect-no-ech-name-override": expectNoECHNameOverride = true
        case "-psk": psk = string
        case "-psk-identity": pskIdentity = string
        case "-expect-msg-callback": expectMessageCallback = string
        case "-fail-cert-callback": failCertCallback = true
        case "-expect-cipher-aes": expectCipherAES = Int(string)
        case "-expect-cipher-no-aes":
            // Only for machines without AES hardware in BoringSSL; the library's order (AES-GCM first) does
            // not depend on the hardware, so there is nothing different to check.
            break
        case "-expect-peer-verify-pref": expectPeerVerifyPrefs.append(Int(string) ?? -1)
        case "-expect-client-ca-list":
            var names: [[UInt8]] = []
            for part in string.split(separator: ",") {
                guard let name = Self.hex(String(part)) else { return .some("bad hex in \(name)") }
                names.append(name)
            }
            expectClientCAList = names
        default: return nil
        }
        return .some(nil)
    }

    static func hex(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var i = 0
        while i < digits.count {
            guard let byte = UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
            i += 2
        }
        return bytes
    }
}
