internal import COpenSSL

/// Validates the server's certificate chain and name (RFC 8446 §4.4.2.4, RFC 5280, RFC 6125).
///
/// The handshake holds one so tests can substitute a fake; the library's implementation is
/// ``OpenSSLCertificateVerifier``.
protocol CertificateVerifier: Sendable {
    /// Accepts `chain` for the server named `hostname` (or at `ipAddress`) at time `now`, or throws why not.
    ///
    /// - Parameters:
    ///   - chain: DER certificates as sent in the Certificate message, end-entity first. The others are
    ///     untrusted intermediates (any order, extras allowed); trust comes only from the verifier's store.
    ///   - hostname: the DNS name to match against the leaf's subjectAltName dNSName entries; nil to skip.
    ///   - ipAddress: an IPv4/IPv6 literal to match against the leaf's iPAddress entries; nil to skip. Pass one
    ///     of `hostname` or `ipAddress` — both nil disables the name check.
    ///   - now: the current time in seconds since 1970-01-01 UTC (injected so tests can move the clock).
    /// - Throws: ``TLSError/certificateRejected(alert:reason:)`` with the alert to send and a one-line reason
    ///   (`certificate for other.example does not match localhost`, `certificate has expired (…)`);
    ///   `decode_error` for an empty chain; ``TLSError/invalidConfiguration(_:)`` for an unusable `hostname` /
    ///   `ipAddress`; ``TLSError/internalError(_:)`` when libcrypto fails.
    /// - Returns: what was verified: the path (for public-key pins).
    @discardableResult
    func verify(chain: [[UInt8]], hostname: String?, ipAddress: String?, now: Int64) throws(TLSError) -> VerifiedPath

    /// Checks a stapled OCSP response (DER `OCSPResponse`, RFC 6960) about the leaf of `chain`, which
    /// ``verify(chain:hostname:ipAddress:now:)`` accepted, at time `now`.
    ///
    /// - Returns: what the response says (good or unknown) and its validity period.
    /// - Throws: `certificate_revoked` (``TLSError/certificateRejected(alert:reason:)``) when the response says
    ///   the certificate is revoked; `bad_certificate_status_response` when it does not parse, is not a
    ///   successful response, is not signed by the certificate's issuer or an OCSP responder the issuer
    ///   authorized, has no status for the certificate, or is outside its validity period at `now`.
    func checkOCSPResponse(_ response: [UInt8], chain: [[UInt8]], now: Int64) throws(TLSError) -> OCSPCheckResult
}

/// The certificate path a ``CertificateVerifier`` accepted.
struct VerifiedPath: Sendable, Equatable {
    /// The SHA-256 digests of the SubjectPublicKeyInfo of every certificate on the path — leaf, intermediates, the
    /// trust anchor — leaf first (what public-key pins are matched against, RFC 7469 §2.6).
    var keyDigests: [[UInt8]]
}

// No default implementations here, on purpose: a verifier (or a wrapper such as ``VerifiedChainCache``) that
// forgot one of the checks must not compile. A default `checkOCSPResponse` answering "not checked" once let the
// verified-chain cache skip revocation entirely (Docs/Security.md, "Options never change a verdict").

/// ``CertificateVerifier`` over libcrypto's `X509_verify_cert`.
///
/// Checks, with an `X509_VERIFY_PARAM` per call:
/// * a path from the leaf through the sent intermediates to a certificate of ``trustStore``;
/// * signatures, validity at `now` (`X509_VERIFY_PARAM_set_time`), basicConstraints, pathLen, name constraints;
/// * security level 2 (`X509_VERIFY_PARAM_set_auth_level(param, 2)`): RSA/DSA keys ≥ 2048 bits, EC ≥ 224 bits,
///   no SHA-1 or MD5 signatures anywhere in the chain;
/// * purpose `sslserver` (`X509_PURPOSE_SSL_SERVER`): extendedKeyUsage, when present, contains serverAuth;
/// * the name: `X509_VERIFY_PARAM_set1_host` with `X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
///   X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS` (subjectAltName only, the CN is never used; `*.example.com` matches
///   one label, `f*.example.com` matches nothing), or `X509_VERIFY_PARAM_set1_ip_asc` for an IP literal; a
///   `hostname` that is not a plain DNS name (a leading dot, an empty label, a `*`) is a configuration error;
/// * `X509_V_FLAG_PARTIAL_CHAIN`: any certificate of ``trustStore`` is an anchor, self-signed or not; the path
///   must end at one (checked after `X509_verify_cert`). notBefore and notAfter are both inclusive (RFC 5280
///   §4.1.2.5; libcrypto's notAfter is exclusive and is compensated). When a path fails for a reason another path
///   might avoid, other paths through the sent intermediates are tried (bounded); see `PathValidation.swift`;
/// * then, on the accepted path, the Web PKI profile (``WebPKIProfile``, CA/B Forum BR and RFC 5280): on the leaf,
///   keyUsage includes digitalSignature when present (RFC 8446 §4.4.2.2), it is no CA certificate (cA=TRUE,
///   keyCertSign), its extendedKeyUsage is present, non-critical, with serverAuth and without
///   anyExtendedKeyUsage, it has no nameConstraints and a subjectAltName of the right criticality, the dNSName
///   that matches is a host name and no wildcard over a public suffix, its CN spells no SAN entry otherwise;
///   issued certificates are v3 with a positive serial of at most 20 octets, a non-empty issuer and an
///   authorityKeyIdentifier; intermediates have a critical basicConstraints and a subjectKeyIdentifier; the
///   anchor is a CA, a root has no extendedKeyUsage and an AKI naming itself only; no certificate has a DSA key, an
///   RSA modulus that is not a multiple of 8, an explicit EC curve, a duplicate or malformed extension, or a
///   non-critical policyConstraints; name constraints are well-formed, hold for every name a leaf wildcard
///   matches, and require valid dNSNames. Each rejection names its rule; the rules and their alerts are listed
///   in `Docs/Security.md`, "Certificate checks".
///
/// ## Alerts
///
/// `X509_V_ERR_*` codes map to alerts as OpenSSL's libssl does (`ssl_verify_alarm_type` in
/// `ssl/statem/statem_lib.c`), except where marked † (RFC 8446 §6.2 wording, or this task's choice):
///
/// | X509_V_ERR_…                                                           | alert                     |
/// |------------------------------------------------------------------------|---------------------------|
/// | CERT_HAS_EXPIRED, CRL_HAS_EXPIRED                                      | certificate_expired       |
/// | CERT_NOT_YET_VALID † (1)                                               | certificate_expired       |
/// | UNABLE_TO_GET_ISSUER_CERT, UNABLE_TO_GET_ISSUER_CERT_LOCALLY,           | unknown_ca                |
/// | UNABLE_TO_VERIFY_LEAF_SIGNATURE, DEPTH_ZERO_SELF_SIGNED_CERT,          |                           |
/// | SELF_SIGNED_CERT_IN_CHAIN, CERT_CHAIN_TOO_LONG, INVALID_CA,            |                           |
/// | PATH_LENGTH_EXCEEDED, UNABLE_TO_GET_CRL, UNABLE_TO_GET_CRL_ISSUER      |                           |
/// | CERT_UNTRUSTED † (2)                                                   | unknown_ca                |
/// | HOSTNAME_MISMATCH, IP_ADDRESS_MISMATCH, EMAIL_MISMATCH                 | bad_certificate           |
/// | CERT_SIGNATURE_FAILURE, CRL_SIGNATURE_FAILURE † (3)                    | bad_certificate           |
/// | UNABLE_TO_DECRYPT_CERT_SIGNATURE, UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY,  | bad_certificate           |
/// | ERROR_IN_CERT_NOT_BEFORE_FIELD, ERROR_IN_CERT_NOT_AFTER_FIELD,         |                           |
/// | CERT_REJECTED, EE_KEY_TOO_SMALL, CA_KEY_TOO_SMALL, CA_MD_TOO_WEAK,     |                           |
/// | EC_KEY_EXPLICIT_PARAMS, CRL_NOT_YET_VALID, DANE_NO_MATCH               |                           |
/// | INVALID_PURPOSE (no serverAuth); leaf keyUsage without digitalSignature | unsupported_certificate  |
/// | PERMITTED_VIOLATION, EXCLUDED_VIOLATION (name constraints),            | certificate_unknown       |
/// | UNHANDLED_CRITICAL_EXTENSION (not in libssl's table either)            |                           |
/// | CERT_REVOKED                                                           | certificate_revoked       |
/// | APPLICATION_VERIFICATION                                               | handshake_failure         |
/// | OUT_OF_MEM, INVALID_CALL, STORE_LOOKUP, UNSPECIFIED † (5)              | internal_error (4)        |
/// | anything else                                                          | certificate_unknown       |
/// | (leaf or intermediate DER that does not parse)                         | bad_certificate           |
///
/// (1) libssl sends bad_certificate; RFC 8446: certificate_expired is "expired or is not currently valid".
/// (2) libssl sends bad_certificate; the root is present but not trusted for serverAuth, i.e. no usable anchor.
/// (3) libssl sends decrypt_error; RFC 8446: bad_certificate covers "signatures that did not verify correctly".
/// (4) thrown as ``TLSError/internalError(_:)``.
/// (5) except UNSPECIFIED from libcrypto's name-constraint size limit, a rejection: certificate_unknown.
///
/// The Web PKI profile's own rejections carry their own alerts: unsupported_certificate (not a server
/// certificate: CA, extendedKeyUsage, DSA key), bad_certificate (encodings, names, keys), certificate_unknown
/// (name constraints), unknown_ca (an unusable CA or anchor).
struct OpenSSLCertificateVerifier: CertificateVerifier {
    let trustStore: X509TrustStore
    /// Where parsed certificates are looked up and kept; `nil` parses each one anew.
    let certificates: CertificateCache?

    init(trustStore: X509TrustStore, certificates: CertificateCache? = nil) {
        self.trustStore = trustStore
        self.certificates = certificates
    }

    @discardableResult
    func verify(chain: [[UInt8]], hostname: String?, ipAddress: String?, now: Int64) throws(TLSError) -> VerifiedPath {
        try verifyPath(chain: chain, hostname: hostname, ipAddress: ipAddress, now: now).path
    }

    /// Verifies like ``verify(chain:hostname:ipAddress:now:)`` and returns, with the path, its validity window (the
    /// latest notBefore and the earliest notAfter of every certificate in it, the anchor included).
    func verifyPath(chain: [[UInt8]], hostname: String?, ipAddress: String?, now: Int64) throws(TLSError)
        -> (window: ClosedRange<Int64>, path: VerifiedPath)
    {
        guard let leafDER = chain.first else {
            throw .decode(reason: "server sent an empty certificate chain")
        }
        let leaf = try certificates.certificate(der: leafDER)
        var intermediates: [X509Certificate] = []
        for der in chain.dropFirst() { intermediates.append(try certificates.certificate(der: der)) }
        // Path building, X509_verify_cert and the Web PKI profile (PathValidation.swift, WebPKIProfile.swift).
        let path = try validatedPath(chain: chain, leaf: leaf, intermediates: intermediates, hostname: hostname,
                                     ipAddress: ipAddress, now: now)
        var window: ClosedRange<Int64>? = Int64.min...Int64.max
        var digests: [[UInt8]] = []
        for c in path {
            digests.append(try c.subjectPublicKeyInfoSHA256())
            guard let current = window else { continue }
            let notBefore = c.notBeforeSeconds ?? Int64.max
            let notAfter = c.notAfterSeconds ?? Int64.min
            let low = max(current.lowerBound, notBefore)
            let high = min(current.upperBound, notAfter)
            window = low <= high ? low...high : nil  // inconsistent dates: valid at this instant only
        }
        withExtendedLifetime((leaf, intermediates)) {}
        return (window ?? now...now, VerifiedPath(keyDigests: digests))
    }

    func configure(_ param: OpaquePointer, hostname: String?, ipAddress: String?, now: Int64)
        throws(TLSError)
    {
        X509_VERIFY_PARAM_set_auth_level(param, 2)
        try check(X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_SSL_SERVER), "X509_VERIFY_PARAM_set_purpose")
        X509_VERIFY_PARAM_set_time(param, time_t(truncatingIfNeeded: now))
        if var name = hostname {
            if name.hasSuffix(".") { name.removeLast() }  // absolute DNS name "example.com."
            // A reference name is a plain DNS name. libcrypto would treat a leading "." as "any subdomain
            // of" (".example.com" accepts a certificate for www.example.com) and match a "*" in it against
            // the certificate's wildcards, so neither may reach X509_VERIFY_PARAM_set1_host.
            guard !name.isEmpty, !name.utf8.contains(0), !name.hasPrefix("."), !name.hasSuffix("."),
                  !name.contains(".."), !name.contains("*")
            else {
                throw .invalidConfiguration("invalid server name \"\(hostname ?? "")\"")
            }
            X509_VERIFY_PARAM_set_hostflags(
                param, UInt32(X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
            try check(X509_VERIFY_PARAM_set1_host(param, name, name.utf8.count), "X509_VERIFY_PARAM_set1_host")
        }
        if let ipAddress {
            guard X509_VERIFY_PARAM_set1_ip_asc(param, ipAddress) == 1 else {
                ERR_clear_error()
                throw .invalidConfiguration("invalid IP address \"\(ipAddress)\"")
            }
        }
    }

    /// The alert for an `X509_V_ERR_*` code (see the table on ``OpenSSLCertificateVerifier``); nil means
    /// internal_error.
    static func alert(forVerifyError code: Int32) -> AlertDescription? {
        switch code {
        case X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_CRL_HAS_EXPIRED:
            return .certificateExpired
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
             X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
             X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_CERT_CHAIN_TOO_LONG, X509_V_ERR_INVALID_CA,
             X509_V_ERR_PATH_LENGTH_EXCEEDED, X509_V_ERR_UNABLE_TO_GET_CRL, X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER,
             X509_V_ERR_CERT_UNTRUSTED:
            return .unknownCA
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH, X509_V_ERR_EMAIL_MISMATCH,
             X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_CRL_SIGNATURE_FAILURE,
             X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE, X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE,
             X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD,
             X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD, X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD,
             X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD, X509_V_ERR_CERT_REJECTED, X509_V_ERR_EE_KEY_TOO_SMALL,
             X509_V_ERR_CA_KEY_TOO_SMALL, X509_V_ERR_CA_MD_TOO_WEAK, X509_V_ERR_EC_KEY_EXPLICIT_PARAMS,
             X509_V_ERR_CRL_NOT_YET_VALID, X509_V_ERR_DANE_NO_MATCH:
            return .badCertificate
        case X509_V_ERR_INVALID_PURPOSE:
            return .unsupportedCertificate
        case X509_V_ERR_CERT_REVOKED:
            return .certificateRevoked
        case X509_V_ERR_APPLICATION_VERIFICATION:
            return .handshakeFailure
        case X509_V_ERR_OUT_OF_MEM, X509_V_ERR_INVALID_CALL, X509_V_ERR_STORE_LOOKUP, X509_V_ERR_UNSPECIFIED:
            return nil
        default:
            return .certificateUnknown
        }
    }

    /// The error for a failed `X509_verify_cert`, with a one-line reason naming the certificate at fault.
    static func rejection(code: Int32, context: StoreContext, leaf: X509Certificate, hostname: String?,
                                  ipAddress: String?) -> TLSError
    {
        let text = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "error \(code)"
        guard let alert = alert(forVerifyError: code) else {
            return .internalError("certificate verification: \(text)")
        }
        let depth = X509_STORE_CTX_get_error_depth(context.pointer)
        let culprit = X509_STORE_CTX_get_current_cert(context.pointer).map(X509Certificate.init(retaining:)) ?? leaf
        let reason: String
        switch code {
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
            let isIP = code == X509_V_ERR_IP_ADDRESS_MISMATCH
            let wanted = isIP ? (ipAddress ?? "") : (hostname ?? "")
            let (dnsNames, ipAddresses) = (leaf.dnsNames, leaf.ipAddresses)
            let names = dnsNames + ipAddresses
            if names.isEmpty {
                reason = "certificate has no subjectAltName DNS or IP names, so it does not match \(wanted) "
                    + "(subject \(leaf.subject); the CN is not used)"
            } else if isIP && ipAddresses.isEmpty {
                reason = "certificate for \(names.joined(separator: ", ")) does not match \(wanted): an IP address "
                    + "matches only iPAddress names, and the certificate has DNS names only"
            } else if !isIP && dnsNames.isEmpty {
                reason = "certificate for \(names.joined(separator: ", ")) does not match \(wanted): a host name "
                    + "matches only DNS names, and the certificate has IP addresses only (the CN is not used)"
            } else {
                reason = "certificate for \(names.joined(separator: ", ")) does not match \(wanted)"
            }
        case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
            let oids = unsupportedCriticalExtensions(culprit)
            reason = "\(text)\(oids.isEmpty ? "" : " " + oids.joined(separator: ", ")) (\(describe(culprit, depth: depth)))"
        case X509_V_ERR_PERMITTED_VIOLATION, X509_V_ERR_EXCLUDED_VIOLATION:
            let names = culprit.dnsNames + culprit.ipAddresses
            reason = "\(text): \(names.isEmpty ? "the subject" : names.joined(separator: ", ")) of "
                + "\(describe(culprit, depth: depth)) is outside an issuing CA's name constraints"
        case X509_V_ERR_CERT_HAS_EXPIRED:
            reason = "certificate has expired (notAfter \(culprit.notAfter), \(describe(culprit, depth: depth)))"
        case X509_V_ERR_CERT_NOT_YET_VALID:
            reason = "certificate is not yet valid (notBefore \(culprit.notBefore), \(describe(culprit, depth: depth)))"
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
            reason = "\(text): issuer \(culprit.issuer) is not trusted and was not sent "
                + "(\(describe(culprit, depth: depth)))"
        default:
            reason = "\(text) (\(describe(culprit, depth: depth)))"
        }
        return .certificateRejected(alert: alert, reason: reason)
    }

    /// The OIDs of `certificate`'s critical extensions that libcrypto does not process.
    private static func unsupportedCriticalExtensions(_ certificate: X509Certificate) -> [String] {
        var oids: [String] = []
        let count = X509_get_ext_count(certificate.pointer)
        var index: Int32 = 0
        while index < count {
            defer { index += 1 }
            guard let ext = X509_get_ext(certificate.pointer, index), X509_EXTENSION_get_critical(ext) == 1,
                  X509_supported_extension(ext) == 0, let object = X509_EXTENSION_get_object(ext)
            else { continue }
            var buffer = [CChar](repeating: 0, count: 128)
            let length = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
            guard length > 0 else { continue }
            oids.append(String(decoding: buffer.prefix(min(Int(length), buffer.count - 1)).map(UInt8.init(bitPattern:)),
                               as: UTF8.self))
        }
        ERR_clear_error()
        return oids
    }

    static func describe(_ certificate: X509Certificate, depth: Int32) -> String {
        depth == 0 ? "server certificate \(certificate.subject)" : "chain certificate \(depth): \(certificate.subject)"
    }
}

/// Owns one `X509_STORE_CTX`; `X509_STORE_CTX_free` in `deinit`.
final class StoreContext {
    let pointer: OpaquePointer  // <X509_STORE_CTX>

    init() throws(TLSError) {
        pointer = try checkNotNull(X509_STORE_CTX_new(), "X509_STORE_CTX_new")
    }

    deinit { X509_STORE_CTX_free(pointer) }
}

/// Owns one `STACK_OF(X509)` holding (without owning) the `X509`s of `certificates`, which it keeps alive.
final class CertificateStack {
    let pointer: OpaquePointer  // <STACK_OF(X509)>
    private let certificates: [X509Certificate]

    init(_ certificates: [X509Certificate]) throws(TLSError) {
        self.certificates = certificates
        pointer = try checkNotNull(COpenSSL_sk_X509_new_null(), "sk_X509_new_null")
        for certificate in certificates {
            guard COpenSSL_sk_X509_push(pointer, certificate.pointer) > 0 else {
                throw openSSLError("sk_X509_push")
            }
        }
    }

    deinit { COpenSSL_sk_X509_free(pointer) }  // frees the stack only; the X509s belong to `certificates`
}

/// An opt-in cache of verified chains in front of ``OpenSSLCertificateVerifier``
/// (``TLSClientConfiguration/verifiedChainCacheLifetime``).
///
/// A chain is remembered only after it verified, keyed by its exact DER certificates, the name checked and the
/// trust store (one cache per store). A hit skips the path building and signature checks of
/// `X509_verify_cert`, but the validity dates of the whole verified path are rechecked against `now` every
/// time, and an entry is dropped after `lifetime` seconds. It caches nothing about the handshake itself:
/// the server's CertificateVerify signature is checked on every connection. Failures are never cached.
final class VerifiedChainCache: CertificateVerifier, @unchecked Sendable {
    // @unchecked Sendable: `entries` and `order` are only touched with `lock` held.
    private struct Key: Hashable {
        var chain: [BytesKey]
        var hostname: String?
        var ipAddress: String?
    }

    private struct Entry {
        var verifiedAt: Int64
        var validity: ClosedRange<Int64>
        var path: VerifiedPath
    }

    let inner: OpenSSLCertificateVerifier
    let lifetime: Int64
    let capacity: Int
    private let lock = CryptoLock()
    private var entries: [Key: Entry] = [:]
    private var order: [Key] = []
    private(set) var hits = 0

    init(inner: OpenSSLCertificateVerifier, lifetime: Int64, capacity: Int = 128) {
        self.inner = inner
        self.lifetime = lifetime
        self.capacity = capacity
    }

    private func locked<R>(_ body: () -> R) -> R { lock.withLock(body) }

    /// Revocation is never cached: every stapled response is checked by the inner verifier, in full.
    func checkOCSPResponse(_ response: [UInt8], chain: [[UInt8]], now: Int64) throws(TLSError) -> OCSPCheckResult {
        try inner.checkOCSPResponse(response, chain: chain, now: now)
    }

    @discardableResult
    func verify(chain: [[UInt8]], hostname: String?, ipAddress: String?, now: Int64) throws(TLSError) -> VerifiedPath {
        let key = Key(chain: chain.map(BytesKey.init), hostname: hostname, ipAddress: ipAddress)
        let cached = locked { () -> VerifiedPath? in
            guard let entry = entries[key] else { return nil }
            guard now - entry.verifiedAt < lifetime, now >= entry.verifiedAt, entry.validity.contains(now) else {
                entries[key] = nil
                order.removeAll { $0 == key }
                return nil
            }
            hits += 1
            return entry.path
        }
        if let cached { return cached }
        let (validity, path) = try inner.verifyPath(chain: chain, hostname: hostname, ipAddress: ipAddress, now: now)
        locked {
            if entries[key] == nil { order.append(key) }
            entries[key] = Entry(verifiedAt: now, validity: validity, path: path)
            if order.count > capacity { entries[order.removeFirst()] = nil }
        }
        return path
    }
}
