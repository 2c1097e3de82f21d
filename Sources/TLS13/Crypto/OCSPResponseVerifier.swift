internal import COpenSSL

/// What a stapled OCSP response says about a certificate, once checked (see
/// ``CertificateVerifier/checkOCSPResponse(_:chain:now:)``).
struct OCSPCheckResult: Equatable, Sendable {
    enum Status: Equatable, Sendable {
        /// The responder says the certificate is not revoked.
        case good
        /// The responder does not know the certificate.
        case unknown
        /// The verifier does not check OCSP responses (a test fake).
        case notChecked
    }

    var status: Status
    /// thisUpdate, seconds since 1970-01-01 UTC.
    var thisUpdate: Int64?
    /// nextUpdate, seconds since 1970-01-01 UTC, when the response has one.
    var nextUpdate: Int64?
}

extension OpenSSLCertificateVerifier {
    /// How far thisUpdate may lie in the future and nextUpdate in the past, for clock skew (seconds; OpenSSL's
    /// `OCSP_check_validity` callers commonly allow 5 minutes).
    static let ocspClockSkew: Int64 = 300

    /// Checks a stapled OCSP response as RFC 6960 §3.2 asks:
    /// 1. it parses (`d2i_OCSP_RESPONSE`, nothing left over) and its responseStatus is successful;
    /// 2. its signature verifies (`OCSP_basic_verify` with `OCSP_NOVERIFY`: the signature only) with the key of
    ///    the signer it names, found among the certificates in the response, the chain and the leaf's issuer;
    /// 3. the signer is the leaf's issuer, or a certificate the issuer signed with extendedKeyUsage
    ///    id-kp-OCSPSigning whose own path to a trusted root verifies at `now` (a delegated responder);
    /// 4. it has a SingleResponse for the leaf (`OCSP_resp_find_status` with the leaf's CertID under SHA-1, then
    ///    SHA-256), whose thisUpdate is not after `now` and whose nextUpdate, if any, is not before `now`
    ///    (with ``ocspClockSkew``);
    /// 5. that status is good or unknown; revoked is `certificate_revoked`.
    ///
    /// Steps 2–4 do by hand what `OCSP_basic_verify` and `OCSP_check_validity` do, because both read the
    /// system clock and the handshake's time is injected.
    func checkOCSPResponse(_ der: [UInt8], chain: [[UInt8]], now: Int64) throws(TLSError) -> OCSPCheckResult {
        guard let leafDER = chain.first else { throw .decode(reason: "OCSP response without a certificate") }
        let leaf = try X509Certificate(der: leafDER)
        var intermediates: [X509Certificate] = []
        for der in chain.dropFirst() { intermediates.append(try X509Certificate(der: der)) }

        let response = try OCSPResponse(der: der)
        let responseStatus = OCSP_response_status(response.pointer)
        guard responseStatus == OCSP_RESPONSE_STATUS_SUCCESSFUL else {
            let text = OCSP_response_status_str(Int(responseStatus)).map { String(cString: $0) } ?? "?"
            throw Self.badResponse("OCSP response status is \(responseStatus) (\(text)), not successful")
        }
        guard let basicPointer = OCSP_response_get1_basic(response.pointer) else {
            throw Self.badResponse(openSSLErrorString("OCSP response is not a basic response"))
        }
        let basic = OCSPBasicResponse(takingOwnership: basicPointer)

        // The leaf's path (verify(chain:…) accepted it): its issuer is the certificate after it.
        let leafPath = try verifiedPath(of: leaf, untrusted: intermediates, purpose: nil, now: now)
        let issuer = leafPath.count > 1 ? leafPath[1] : leafPath[0]

        // 2. The signature, with the signer's key.
        let pool = try CertificateStack(intermediates + [issuer])
        guard OCSP_basic_verify(basic.pointer, pool.pointer, trustStore.pointer, UInt(OCSP_NOVERIFY)) == 1 else {
            throw Self.badResponse(openSSLErrorString("OCSP response signature does not verify"))
        }
        var signerPointer: OpaquePointer?  // <X509>, owned by `basic` or `pool`
        guard OCSP_resp_get0_signer(basic.pointer, &signerPointer, pool.pointer) == 1, let signerPointer else {
            throw Self.badResponse(openSSLErrorString("OCSP response signer certificate not found"))
        }
        let signer = X509Certificate(retaining: signerPointer)

        // 3. The signer may speak for the issuer.
        if X509_cmp(signer.pointer, issuer.pointer) != 0 {
            try checkDelegatedResponder(signer, issuer: issuer, untrusted: intermediates, now: now)
        }

        // 4. The leaf's status and the response's validity.
        let single = try Self.findStatus(basic, leaf: leaf, issuer: issuer)
        guard let thisUpdate = single.thisUpdate else {
            throw Self.badResponse("OCSP response has no thisUpdate")
        }
        let notYet = ASN1_TIME_cmp_time_t(thisUpdate, time_t(truncatingIfNeeded: now + Self.ocspClockSkew))
        guard notYet != -2 else { throw Self.badResponse(openSSLErrorString("OCSP thisUpdate is malformed")) }
        guard notYet <= 0 else {
            throw Self.badResponse("OCSP response is not yet valid (thisUpdate \(Self.text(thisUpdate)))")
        }
        if let nextUpdate = single.nextUpdate {
            let expired = ASN1_TIME_cmp_time_t(nextUpdate, time_t(truncatingIfNeeded: now - Self.ocspClockSkew))
            guard expired != -2 else { throw Self.badResponse(openSSLErrorString("OCSP nextUpdate is malformed")) }
            guard expired >= 0 else {
                throw Self.badResponse("OCSP response has expired (nextUpdate \(Self.text(nextUpdate)))")
            }
            guard ASN1_TIME_compare(thisUpdate, nextUpdate) <= 0 else {
                throw Self.badResponse("OCSP response nextUpdate is before its thisUpdate")
            }
        }
        let result = OCSPCheckResult(
            status: .good, thisUpdate: Self.epochSeconds(thisUpdate), nextUpdate: single.nextUpdate.flatMap(Self.epochSeconds))

        // 5. What it says.
        switch single.status {
        case V_OCSP_CERTSTATUS_GOOD:
            return result
        case V_OCSP_CERTSTATUS_UNKNOWN:
            return OCSPCheckResult(status: .unknown, thisUpdate: result.thisUpdate, nextUpdate: result.nextUpdate)
        case V_OCSP_CERTSTATUS_REVOKED:
            let when = single.revocationTime.map { " on \(Self.text($0))" } ?? ""
            let why = single.reason >= 0 ? OCSP_crl_reason_str(Int(single.reason)).map { " (\(String(cString: $0)))" } ?? "" : ""
            throw .certificateRejected(
                alert: .certificateRevoked, reason: "certificate was revoked\(when)\(why) (\(leaf.subject))")
        default:
            throw Self.badResponse("OCSP certificate status \(single.status) is unknown to this library")
        }
    }

    /// A delegated responder (RFC 6960 §4.2.2.2): issued directly by `issuer`, with id-kp-OCSPSigning in its
    /// extendedKeyUsage, and with a path to a trusted root at `now` through `issuer`.
    private func checkDelegatedResponder(
        _ signer: X509Certificate, issuer: X509Certificate, untrusted: [X509Certificate], now: Int64
    ) throws(TLSError) {
        guard X509_check_issued(issuer.pointer, signer.pointer) == X509_V_OK else {
            throw Self.badResponse(
                "OCSP response is signed by \(signer.subject), which neither is nor was issued by the certificate's "
                    + "issuer \(issuer.subject)")
        }
        let hasEKU = X509_get_extension_flags(signer.pointer) & UInt32(EXFLAG_XKUSAGE) != 0
        guard hasEKU, X509_get_extended_key_usage(signer.pointer) & UInt32(XKU_OCSP_SIGN) != 0 else {
            throw Self.badResponse("OCSP responder \(signer.subject) lacks extendedKeyUsage OCSPSigning")
        }
        let path: [X509Certificate]
        do {
            path = try verifiedPath(of: signer, untrusted: untrusted + [issuer], purpose: X509_PURPOSE_OCSP_HELPER, now: now)
        } catch {
            throw Self.badResponse("OCSP responder certificate does not verify: \(error)")
        }
        guard path.count > 1, X509_cmp(path[1].pointer, issuer.pointer) == 0 else {
            throw Self.badResponse("OCSP responder certificate does not chain to the certificate's issuer")
        }
    }

    /// The path `X509_verify_cert` builds from `certificate` to a trusted root at `now` (security level 2), with
    /// `purpose` (`nil`: the `ssl_server` defaults, as ``verify(chain:hostname:ipAddress:now:)`` uses).
    private func verifiedPath(
        of certificate: X509Certificate, untrusted: [X509Certificate], purpose: Int32?, now: Int64
    ) throws(TLSError) -> [X509Certificate] {
        let stack = try CertificateStack(untrusted)
        let context = try StoreContext()
        try check(X509_STORE_CTX_init(context.pointer, trustStore.pointer, certificate.pointer, stack.pointer),
                  "X509_STORE_CTX_init")
        if let purpose {
            try check(X509_STORE_CTX_set_purpose(context.pointer, purpose), "X509_STORE_CTX_set_purpose")
        } else {
            try check(X509_STORE_CTX_set_default(context.pointer, "ssl_server"), "X509_STORE_CTX_set_default")
        }
        guard let param = X509_STORE_CTX_get0_param(context.pointer) else {
            throw .internalError("X509_STORE_CTX_get0_param returned NULL")
        }
        X509_VERIFY_PARAM_set_auth_level(param, 2)
        X509_VERIFY_PARAM_set_time(param, time_t(truncatingIfNeeded: now))
        guard X509_verify_cert(context.pointer) == 1 else {
            let code = X509_STORE_CTX_get_error(context.pointer)
            ERR_clear_error()
            let text = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "error \(code)"
            throw .certificateRejected(
                alert: Self.alert(forVerifyError: code) ?? .internalError, reason: "\(text) (\(certificate.subject))")
        }
        guard let chain = X509_STORE_CTX_get0_chain(context.pointer) else {
            throw .internalError("X509_STORE_CTX_get0_chain returned NULL")
        }
        var path: [X509Certificate] = []
        for index in 0..<COpenSSL_sk_X509_num(chain) {
            guard let entry = COpenSSL_sk_X509_value(chain, index) else { continue }
            path.append(X509Certificate(retaining: entry))
        }
        withExtendedLifetime((stack, certificate, untrusted)) {}
        return path
    }

    /// One SingleResponse's fields; the time pointers belong to the basic response.
    private struct SingleStatus {
        var status: Int32
        var reason: Int32
        var revocationTime: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        var thisUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        var nextUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
    }

    /// The SingleResponse for `leaf`, its CertID hashed with SHA-1 (what responders and `openssl ocsp` use) or
    /// SHA-256.
    private static func findStatus(_ basic: OCSPBasicResponse, leaf: X509Certificate, issuer: X509Certificate)
        throws(TLSError) -> SingleStatus
    {
        for digest in [EVP_sha1(), EVP_sha256()] {
            guard let id = OCSP_cert_to_id(digest, leaf.pointer, issuer.pointer) else {
                throw openSSLError("OCSP_cert_to_id")
            }
            var status: Int32 = -1
            var reason: Int32 = -1
            var revoked: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
            var thisUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
            var nextUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
            let found = OCSP_resp_find_status(basic.pointer, id, &status, &reason, &revoked, &thisUpdate, &nextUpdate)
            OCSP_CERTID_free(id)
            if found == 1 {
                return SingleStatus(
                    status: status, reason: reason, revocationTime: revoked, thisUpdate: thisUpdate, nextUpdate: nextUpdate)
            }
        }
        ERR_clear_error()
        throw badResponse("OCSP response has no status for the server certificate (\(leaf.subject))")
    }

    private static func badResponse(_ reason: String) -> TLSError {
        .certificateRejected(alert: .badCertificateStatusResponse, reason: reason)
    }

    /// `ASN1_TIME_print`'s form, e.g. `Jan  1 00:00:00 2126 GMT`.
    private static func text(_ time: UnsafePointer<ASN1_TIME>) -> String {
        guard let bio = try? OpenSSLBIO.memory() else { return "?" }
        guard ASN1_TIME_print(bio.pointer, time) == 1 else {
            ERR_clear_error()
            return "?"
        }
        return bio.readAllText()
    }

    /// Seconds since 1970-01-01 UTC.
    private static func epochSeconds(_ time: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>) -> Int64? {
        guard let epoch = ASN1_TIME_set(nil, 0) else {
            ERR_clear_error()
            return nil
        }
        defer { ASN1_TIME_free(epoch) }
        var days: Int32 = 0
        var seconds: Int32 = 0
        guard ASN1_TIME_diff(&days, &seconds, epoch, time) == 1 else {
            ERR_clear_error()
            return nil
        }
        return Int64(days) * 86_400 + Int64(seconds)
    }
}

/// Owns one `OCSP_RESPONSE`; `OCSP_RESPONSE_free` in `deinit`.
private final class OCSPResponse {
    let pointer: OpaquePointer  // <OCSP_RESPONSE>

    /// Parses a DER OCSPResponse; the whole input must be consumed.
    init(der: [UInt8]) throws(TLSError) {
        var consumed = 0
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            let result = d2i_OCSP_RESPONSE(nil, &cursor, buffer.count)
            if let cursor { consumed = cursor - base }
            return result
        }
        guard let parsed else {
            throw .certificateRejected(
                alert: .badCertificateStatusResponse, reason: openSSLErrorString("stapled OCSP response does not parse"))
        }
        pointer = parsed
        guard consumed == der.count else {
            throw .certificateRejected(
                alert: .badCertificateStatusResponse,
                reason: "stapled OCSP response has \(der.count - consumed) trailing bytes")
        }
    }

    deinit { OCSP_RESPONSE_free(pointer) }
}

/// Owns one `OCSP_BASICRESP`; `OCSP_BASICRESP_free` in `deinit`.
private final class OCSPBasicResponse {
    let pointer: OpaquePointer  // <OCSP_BASICRESP>

    init(takingOwnership pointer: OpaquePointer) { self.pointer = pointer }

    deinit { OCSP_BASICRESP_free(pointer) }
}
