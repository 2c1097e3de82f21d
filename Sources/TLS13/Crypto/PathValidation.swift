internal import COpenSSL

/// Path building and the Web PKI profile around `X509_verify_cert` (``OpenSSLCertificateVerifier/verifyPath``).
///
/// 1. `X509_verify_cert` with every certificate the server sent as untrusted, `X509_V_FLAG_TRUSTED_FIRST`
///    (libcrypto's default) and `X509_V_FLAG_PARTIAL_CHAIN`: a certificate of the trust store is an anchor
///    even when it is not self-signed (RFC 5280 §6.1.1(d): the anchor is the configured name and key — an
///    intermediate or a cross-signed root in the store ends the path). The path must still end at a certificate
///    from the store: that is checked on every accepted path (`X509_STORE_CTX_get_num_untrusted`), so nothing
///    the server sent can be its own anchor.
/// 2. notAfter is inclusive (RFC 5280 §4.1.2.5), libcrypto's check is not: a certificate whose notAfter is
///    exactly `now` fails there, and the attempt is repeated at `now - 1`; every accepted path is then checked
///    against `notBefore <= now <= notAfter` for each of its certificates.
/// 3. ``WebPKIProfile`` on the accepted path.
/// 4. When step 1 or 3 fails for a reason that another path might not have (an intermediate, the anchor, name
///    constraints — not the leaf's own faults), other paths are tried: the sent intermediates are searched,
///    breadth first, for chains from the leaf to a certificate that a trust-store certificate issued
///    (`X509_check_issued`, `X509_STORE_CTX_get1_issuer`), and each is verified on its own as in steps 1–3.
///    This finds a path that libcrypto's single-path builder misses (a cross-signed root, an intermediate whose
///    other issuer excludes the name). The search is bounded: at most ``maxAlternativePaths`` paths of at most
///    ``maxAlternativeDepth`` intermediates, from at most ``maxSearchSteps`` issuer checks.
/// 5. If no path passes, the error reported is the first attempt's, or, if some path passed libcrypto's checks
///    and failed only the profile, the first such profile error.
extension OpenSSLCertificateVerifier {
    static let maxAlternativePaths = 8
    static let maxAlternativeDepth = 6
    static let maxSearchSteps = 400

    private struct Failure {
        var error: TLSError
        /// Whether libcrypto accepted the path and the profile rejected it.
        var afterLibrary: Bool
        var pathDependent: Bool
    }

    private enum Attempt {
        case verified([X509Certificate])
        case failed(Failure)
    }

    /// A verified path (leaf first, anchor last), or the error to report.
    ///
    /// - Parameters:
    ///   - chain: the DER certificates as sent; `leaf` is `chain[0]` parsed, `intermediates` the rest.
    func validatedPath(chain: [[UInt8]], leaf: X509Certificate, intermediates: [X509Certificate], hostname: String?,
                       ipAddress: String?, now: Int64) throws(TLSError) -> [X509Certificate] {
        let sent = Sent(chain: chain, leaf: leaf, intermediates: intermediates)
        let first = try attempt(leaf: leaf, untrusted: intermediates, sent: sent, hostname: hostname,
                                ipAddress: ipAddress, now: now)
        guard case .failed(let failure) = first else {
            if case .verified(let path) = first { return path }
            return []
        }
        guard failure.pathDependent else { throw failure.error }
        var report = failure
        for candidate in try alternativePaths(leaf: leaf, intermediates: intermediates) {
            switch try attempt(leaf: leaf, untrusted: candidate, sent: sent, hostname: hostname,
                               ipAddress: ipAddress, now: now) {
            case .verified(let path):
                return path
            case .failed(let other):
                if other.afterLibrary && !report.afterLibrary { report = other }
            }
        }
        throw report.error
    }

    /// One `X509_verify_cert` run with `untrusted` as the untrusted certificates, then the checks on its path.
    private func attempt(leaf: X509Certificate, untrusted: [X509Certificate], sent: Sent,
                         hostname: String?, ipAddress: String?, now: Int64) throws(TLSError) -> Attempt {
        var run = try verify(leaf: leaf, untrusted: untrusted, hostname: hostname, ipAddress: ipAddress, time: now)
        if run.result != 1, run.code == X509_V_ERR_CERT_HAS_EXPIRED,
           let culprit = X509_STORE_CTX_get_current_cert(run.context.pointer),
           X509Certificate(retaining: culprit).notAfterSeconds == now {
            // The certificate expires at this very second: still valid (RFC 5280 §4.1.2.5).
            let retry = try verify(leaf: leaf, untrusted: untrusted, hostname: hostname, ipAddress: ipAddress,
                                   time: now - 1)
            if retry.result == 1 { run = retry }
        }
        let context = run.context
        guard run.result == 1 else {
            if run.result < 0 || run.code == X509_V_OK { throw openSSLError("X509_verify_cert") }
            ERR_clear_error()
            let depth = X509_STORE_CTX_get_error_depth(context.pointer)
            if run.code == X509_V_ERR_UNSPECIFIED, let reason = Self.nameConstraintsTooLarge(context) {
                return .failed(Failure(error: .certificateRejected(alert: .certificateUnknown, reason: reason),
                                       afterLibrary: false, pathDependent: true))
            }
            let error = Self.rejection(code: run.code, context: context, leaf: leaf, hostname: hostname,
                                       ipAddress: ipAddress)
            return .failed(Failure(error: error, afterLibrary: false,
                                   pathDependent: Self.isPathDependent(code: run.code, depth: depth)))
        }
        var path: [X509Certificate] = []
        if let chain = X509_STORE_CTX_get0_chain(context.pointer) {
            for index in 0..<COpenSSL_sk_X509_num(chain) {
                guard let certificate = COpenSSL_sk_X509_value(chain, index) else { continue }
                path.append(X509Certificate(retaining: certificate))
            }
        }
        // PARTIAL_CHAIN ends a path at any trust-store certificate; it must end at one.
        let fromServer = Int(X509_STORE_CTX_get_num_untrusted(context.pointer))
        guard !path.isEmpty, fromServer < path.count else {
            return .failed(Failure(
                error: .certificateRejected(alert: .unknownCA,
                                            reason: "the verified path does not end at a trusted certificate"),
                afterLibrary: false, pathDependent: true))
        }
        for (depth, certificate) in path.enumerated() {
            let where_ = Self.describe(certificate, depth: Int32(depth))
            if let notBefore = certificate.notBeforeSeconds, notBefore > now {
                return .failed(Failure(
                    error: .certificateRejected(alert: .certificateExpired, reason: "certificate is not yet valid "
                                                + "(notBefore \(certificate.notBefore), \(where_))"),
                    afterLibrary: false, pathDependent: depth > 0))
            }
            if let notAfter = certificate.notAfterSeconds, notAfter < now {
                return .failed(Failure(
                    error: .certificateRejected(alert: .certificateExpired, reason: "certificate has expired "
                                                + "(notAfter \(certificate.notAfter), \(where_))"),
                    afterLibrary: false, pathDependent: depth > 0))
            }
        }
        let entries = path.enumerated().map { depth, certificate in
            // The bytes the server sent, where the certificate is one of them (an anchor is re-encoded).
            let der = sent.der(of: certificate) ?? certificate.der
            return WebPKIProfile.Entry(fields: Result { () throws(DERError) in try ParsedCertificate(der: der) },
                                       label: Self.describe(certificate, depth: Int32(depth)),
                                       subject: certificate.subject)
        }
        var reference = hostname?.lowercased()
        if reference?.hasSuffix(".") == true { reference?.removeLast() }
        do throws(ProfileViolation) {
            try WebPKIProfile.check(path: entries, hostname: reference)
        } catch {
            return .failed(Failure(error: .certificateRejected(alert: error.alert, reason: error.reason),
                                   afterLibrary: true, pathDependent: error.pathDependent))
        }
        withExtendedLifetime((untrusted, sent)) {}
        return .verified(path)
    }

    /// The certificates as the server sent them, to read the profile's fields from the original bytes.
    private struct Sent {
        var chain: [[UInt8]]
        var certificates: [X509Certificate]

        init(chain: [[UInt8]], leaf: X509Certificate, intermediates: [X509Certificate]) {
            self.chain = chain
            certificates = [leaf] + intermediates
        }

        func der(of certificate: X509Certificate) -> [UInt8]? {
            guard let index = certificates.firstIndex(where: { $0.pointer == certificate.pointer }),
                  index < chain.count
            else { return nil }
            return chain[index]
        }
    }

    private struct Run {
        var context: StoreContext
        var result: Int32
        var code: Int32
    }

    private func verify(leaf: X509Certificate, untrusted: [X509Certificate], hostname: String?, ipAddress: String?,
                        time: Int64) throws(TLSError) -> Run {
        let stack = try CertificateStack(untrusted)
        let context = try StoreContext()
        try check(X509_STORE_CTX_init(context.pointer, trustStore.pointer, leaf.pointer, stack.pointer),
                  "X509_STORE_CTX_init")
        // The "ssl_server" defaults (purpose and trust sslserver), as libssl's ssl_verify_cert_chain starts.
        try check(X509_STORE_CTX_set_default(context.pointer, "ssl_server"), "X509_STORE_CTX_set_default")
        guard let param = X509_STORE_CTX_get0_param(context.pointer) else {
            throw .internalError("X509_STORE_CTX_get0_param returned NULL")
        }
        try configure(param, hostname: hostname, ipAddress: ipAddress, now: time)
        try check(X509_VERIFY_PARAM_set_flags(param, UInt(X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_TRUSTED_FIRST)),
                  "X509_VERIFY_PARAM_set_flags")
        let result = X509_verify_cert(context.pointer)
        let code = X509_STORE_CTX_get_error(context.pointer)
        withExtendedLifetime((leaf, stack)) {}
        return Run(context: context, result: result, code: code)
    }

    /// Whether a path through other intermediates could avoid error `code` found at `depth`.
    private static func isPathDependent(code: Int32, depth: Int32) -> Bool {
        if depth > 0 { return true }
        switch code {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
             X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_CERT_SIGNATURE_FAILURE,
             X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE, X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY,
             X509_V_ERR_PERMITTED_VIOLATION, X509_V_ERR_EXCLUDED_VIOLATION, X509_V_ERR_SUBTREE_MINMAX,
             X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE, X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX,
             X509_V_ERR_UNSUPPORTED_NAME_SYNTAX, X509_V_ERR_CERT_UNTRUSTED, X509_V_ERR_CERT_REJECTED:
            return true
        default:
            return false
        }
    }

    /// libcrypto gives up on name constraints whose names × constraints exceed its limit with
    /// `X509_V_ERR_UNSPECIFIED` (`NAME_CONSTRAINTS_check`): a rejection of the chain, not a failure of ours.
    /// The reason, when the partial path holds name constraints; nil otherwise.
    private static func nameConstraintsTooLarge(_ context: StoreContext) -> String? {
        guard let chain = X509_STORE_CTX_get0_chain(context.pointer) else { return nil }
        for index in 0..<COpenSSL_sk_X509_num(chain) {
            guard let certificate = COpenSSL_sk_X509_value(chain, index),
                  X509_get_ext_by_NID(certificate, NID_name_constraints, -1) >= 0
            else { continue }
            let holder = X509Certificate(retaining: certificate)
            return "name constraints too large to check: libcrypto's limit on names × constraints was reached "
                + "(constraints of \(describe(holder, depth: index)))"
        }
        return nil
    }

    /// Lists of intermediates that each lead from the leaf to a certificate some trust-store certificate issued,
    /// shortest first, other than the whole set that was sent (already tried).
    private func alternativePaths(leaf: X509Certificate, intermediates: [X509Certificate]) throws(TLSError)
        -> [[X509Certificate]]
    {
        var unique: [X509Certificate] = []
        for certificate in intermediates
        where certificate.pointer != leaf.pointer && !unique.contains(where: { $0.pointer == certificate.pointer }) {
            unique.append(certificate)
        }
        let context = try StoreContext()
        try check(X509_STORE_CTX_init(context.pointer, trustStore.pointer, leaf.pointer, nil), "X509_STORE_CTX_init")
        defer { ERR_clear_error() }
        func issuedByTrusted(_ certificate: X509Certificate) -> Bool {
            var issuer: OpaquePointer?
            let found = X509_STORE_CTX_get1_issuer(&issuer, context.pointer, certificate.pointer)
            if let issuer { X509_free(issuer) }
            return found == 1
        }
        var results: [[X509Certificate]] = []
        var queue: [[X509Certificate]] = [[]]
        var head = 0
        var steps = 0
        while head < queue.count, results.count < Self.maxAlternativePaths, steps < Self.maxSearchSteps {
            let partial = queue[head]
            head += 1
            let tip = partial.last ?? leaf
            if issuedByTrusted(tip), partial.count < unique.count || unique.isEmpty {
                results.append(partial)
            }
            guard partial.count < Self.maxAlternativeDepth else { continue }
            for candidate in unique where !partial.contains(where: { $0.pointer == candidate.pointer }) {
                steps += 1
                if steps > Self.maxSearchSteps { break }
                if X509_check_issued(candidate.pointer, tip.pointer) == X509_V_OK {
                    queue.append(partial + [candidate])
                }
            }
        }
        return results
    }
}
