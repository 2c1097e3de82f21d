internal import COpenSSL

/// One parsed X.509 certificate (libcrypto `X509`), for chain validation and the peer's public key.
///
/// `@unchecked Sendable`: the `X509` is only read after parsing. (libcrypto caches decoded extensions inside
/// the object on first use, under its own lock.)
final class X509Certificate: @unchecked Sendable, CustomStringConvertible {
    let pointer: OpaquePointer  // <X509>

    /// Parses one DER certificate (`d2i_X509`); the whole input must be one certificate.
    ///
    /// - Throws: `bad_certificate` (``TLSError/certificateRejected(alert:reason:)``) when the bytes do not parse
    ///   or have trailing data.
    init(der: [UInt8]) throws(TLSError) {
        var consumed = 0
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, !buffer.isEmpty else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            let result = d2i_X509(nil, &cursor, buffer.count)
            if let cursor { consumed = cursor - base }
            return result
        }
        guard let parsed else {
            throw .certificateRejected(alert: .badCertificate,
                                       reason: openSSLErrorString("cannot parse certificate (\(der.count) bytes)"))
        }
        pointer = parsed
        guard consumed == der.count else {
            throw .certificateRejected(alert: .badCertificate,
                                       reason: "certificate has \(der.count - consumed) trailing bytes")
        }
    }

    /// Takes ownership of `pointer` (one reference).
    init(takingOwnership pointer: OpaquePointer) { self.pointer = pointer }

    /// Shares `pointer` with libcrypto: takes a new reference (`X509_up_ref`) that this object releases.
    init(retaining pointer: OpaquePointer) {
        X509_up_ref(pointer)
        self.pointer = pointer
    }

    deinit { X509_free(pointer) }

    /// The DER encoding (`i2d_X509`).
    var der: [UInt8] {
        let length = i2d_X509(pointer, nil)
        guard length > 0 else { ERR_clear_error(); return [] }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_X509(pointer, &cursor)
        }
        return written == length ? out : []
    }

    /// The DER SubjectPublicKeyInfo (`i2d_X509_PUBKEY` of the certificate's key, as encoded in it).
    func subjectPublicKeyInfo() throws(TLSError) -> [UInt8] {
        guard let key = X509_get_X509_PUBKEY(pointer) else { throw openSSLError("X509_get_X509_PUBKEY") }
        let length = i2d_X509_PUBKEY(key, nil)
        guard length > 0 else { throw openSSLError("i2d_X509_PUBKEY") }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_X509_PUBKEY(key, &cursor)
        }
        guard written == length else { throw openSSLError("i2d_X509_PUBKEY") }
        return out
    }

    /// The SHA-256 digest of ``subjectPublicKeyInfo()``: what a public-key pin names (RFC 7469 §2.4).
    func subjectPublicKeyInfoSHA256() throws(TLSError) -> [UInt8] {
        try HashAlgorithm.sha256.hash(try subjectPublicKeyInfo())
    }

    /// Subject as one line, e.g. `C = US, O = Example, CN = localhost`.
    var subject: String { Self.oneLine(X509_get_subject_name(pointer)) }

    /// Issuer as one line, e.g. `CN = Test Intermediate CA`.
    var issuer: String { Self.oneLine(X509_get_issuer_name(pointer)) }

    /// notBefore as ISO 8601 UTC, e.g. `2026-01-31T12:00:00Z` (empty if unreadable).
    var notBefore: String { Self.isoDate(X509_get0_notBefore(pointer)) ?? "" }

    /// notAfter as ISO 8601 UTC, e.g. `2027-01-31T12:00:00Z` (empty if unreadable).
    var notAfter: String { Self.isoDate(X509_get0_notAfter(pointer)) ?? "" }

    /// notAfter in seconds since 1970-01-01 UTC, or nil if unreadable.
    var notAfterSeconds: Int64? { Self.epochSeconds(X509_get0_notAfter(pointer)) }

    /// notBefore in seconds since 1970-01-01 UTC, or nil if unreadable.
    var notBeforeSeconds: Int64? { Self.epochSeconds(X509_get0_notBefore(pointer)) }

    /// The subjectAltName dNSName entries, in certificate order.
    var dnsNames: [String] {
        subjectAltNames { entry in
            var length: Int32 = 0
            guard let data = COpenSSL_GENERAL_NAME_dns(entry, &length), length >= 0 else { return nil }
            return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
        }
    }

    /// The subjectAltName iPAddress entries as text (`127.0.0.1`, `::1` style without compression: `0:0:…:1`).
    var ipAddresses: [String] {
        subjectAltNames { entry in
            var length: Int32 = 0
            guard let data = COpenSSL_GENERAL_NAME_ip(entry, &length) else { return nil }
            let bytes = Array(UnsafeBufferPointer(start: data, count: Int(max(length, 0))))
            switch bytes.count {
            case 4: return bytes.map { String($0) }.joined(separator: ".")
            case 16:
                return stride(from: 0, to: 16, by: 2)
                    .map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
                    .joined(separator: ":")
            default: return nil
            }
        }
    }

    /// The subject public key.
    ///
    /// - Throws: `bad_certificate` when it cannot be decoded.
    func publicKey() throws(TLSError) -> PublicKey { try PublicKey(certificate: self) }

    /// Whether the key may sign handshake messages: no keyUsage extension, or one that includes
    /// digitalSignature (RFC 5280 §4.2.1.3; RFC 8446 §4.4.2.2 requires it of a TLS 1.3 certificate).
    /// A keyUsage extension that does not parse allows nothing.
    var allowsDigitalSignature: Bool {
        // X509_get_key_usage returns every bit when the certificate has no keyUsage extension.
        X509_get_key_usage(pointer) & UInt32(KU_DIGITAL_SIGNATURE) != 0
    }

    /// `subject` and validity, for logs and the CLI.
    var description: String { "X509Certificate(\(subject); issuer \(issuer); notAfter \(notAfter))" }

    // MARK: - Helpers

    private func subjectAltNames(_ convert: (UnsafePointer<GENERAL_NAME>) -> String?) -> [String] {
        // X509_get_ext_d2i returns a new GENERAL_NAMES stack (or NULL when there is no SAN extension).
        guard let raw = X509_get_ext_d2i(pointer, NID_subject_alt_name, nil, nil) else {
            ERR_clear_error()
            return []
        }
        let names = OpaquePointer(raw)  // <STACK_OF(GENERAL_NAME)>
        defer { COpenSSL_GENERAL_NAMES_free(names) }
        var result: [String] = []
        let count = COpenSSL_sk_GENERAL_NAME_num(names)
        var index: Int32 = 0
        while index < count {
            if let entry = COpenSSL_sk_GENERAL_NAME_value(names, index), let text = convert(UnsafePointer(entry)) {
                result.append(text)
            }
            index += 1
        }
        return result
    }

    /// An `X509_NAME` printed with `XN_FLAG_ONELINE` (`C = US, CN = x`); empty if it cannot be printed.
    static func oneLine(_ name: OpaquePointer?) -> String {
        guard let name, let bio = try? OpenSSLBIO.memory() else { return "" }
        guard X509_NAME_print_ex(bio.pointer, name, 0, COpenSSL_XN_FLAG_ONELINE()) >= 0 else {
            ERR_clear_error()
            return ""
        }
        return bio.readAllText()
    }

    private static func brokenDown(_ time: UnsafePointer<ASN1_TIME>?) -> tm? {
        guard let time else { return nil }
        var value = tm()
        guard ASN1_TIME_to_tm(time, &value) == 1 else { ERR_clear_error(); return nil }
        return value
    }

    private static func isoDate(_ time: UnsafePointer<ASN1_TIME>?) -> String? {
        guard let t = brokenDown(time) else { return nil }
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(t.tm_year + 1900, 4))-\(pad(t.tm_mon + 1, 2))-\(pad(t.tm_mday, 2))T"
            + "\(pad(t.tm_hour, 2)):\(pad(t.tm_min, 2)):\(pad(t.tm_sec, 2))Z"
    }

    private static func epochSeconds(_ time: UnsafePointer<ASN1_TIME>?) -> Int64? {
        guard let t = brokenDown(time) else { return nil }
        // Days from 1970-01-01 to the civil date (Howard Hinnant's days_from_civil).
        let year = Int64(t.tm_year) + 1900 - (t.tm_mon < 2 ? 1 : 0)
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let month = Int64(t.tm_mon) + 1
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + Int64(t.tm_mday) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + Int64(t.tm_hour) * 3_600 + Int64(t.tm_min) * 60 + Int64(t.tm_sec)
    }
}
