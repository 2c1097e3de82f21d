/// Everything the client decides about the server's certificate chain, in one place.
///
/// It runs on the Certificate message of a full handshake, and again — on the chain and stapled OCSP response
/// a session saved — before that session is offered for resumption, under the configuration of the new
/// connection and at its time. One function for both, so a resumed connection is trusted exactly as much as a
/// full handshake with the same chain would be now (Docs/Security.md, "Options never change a verdict").
///
/// The steps, in order:
/// 1. **Chain and name** (``CertificateVerifier/verify(chain:hostname:ipAddress:now:)``), unless verification
///    is off (`verifier` is `nil`).
/// 2. **Stapled OCSP response** (``CertificateVerifier/checkOCSPResponse(_:chain:now:)``), when one is given
///    and the chain verified: revoked is `certificate_revoked`, an invalid response
///    `bad_certificate_status_response`. When the chain did not verify (an application handler will decide on
///    it) the response cannot be authenticated against the trust roots: its status is
///    ``TLSOCSPStatus/notVerified`` and the handler gets the bytes.
/// 3. **The application's handler** (``TLSClientConfiguration/certificateVerificationHandler``), which gets the
///    outcome of 1 and 2 as ``TLSCertificateVerificationContext/defaultResult`` (the first failure) and
///    ``TLSCertificateVerificationContext/ocspStatus``, and decides. Without a handler the first failure ends
///    the handshake.
/// 4. **The leaf's keyUsage** must allow digitalSignature (it signs CertificateVerify, RFC 8446 §4.4.2.2),
///    whatever the handler said and even with verification off.
/// 5. **The application's OCSP check** (``TLSClientConfiguration/ocspResponseCheck``), when stapling was asked for.
struct ServerCertificateCheck {
    /// What the checks concluded, when they accepted the chain.
    struct Outcome: Equatable {
        var verification: TLSSession.CertificateVerification
        var ocspStatus: TLSOCSPStatus
    }

    let configuration: TLSClientConfiguration
    /// The chain-and-name verifier; `nil` when verification is off (`--insecure`).
    let verifier: CertificateVerifier?
    let identity: ClientStateMachine.ServerIdentity
    /// Seconds since 1970-01-01 UTC: the time the chain and the OCSP response are checked at.
    let now: Int64
    /// Whether the chain comes from a saved session about to be offered, rather than from a Certificate message
    /// (told to the handler: ``TLSCertificateVerificationContext/isSessionReverification``).
    let isSessionReverification: Bool
    /// Where the leaf is parsed (for its keyUsage): the handshake's certificate cache.
    let certificates: CertificateCache

    /// Runs the checks on `chain` (DER, leaf first, as the server sent it) and `ocspResponse` (the DER
    /// `OCSPResponse` stapled to the leaf; `nil` when none was stapled or stapling was not asked for).
    ///
    /// - Throws: the ``TLSError`` the handshake fails with (the alert it sends is the error's).
    func evaluate(chain: [[UInt8]], ocspResponse: [UInt8]?) throws(TLSError) -> Outcome {
        guard let leaf = chain.first else {
            throw TLSError.decode(reason: "server sent an empty certificate chain")
        }
        let handler = configuration.certificateVerificationHandler
        var defaultResult = TLSDefaultVerificationResult.skipped
        var ocspStatus: TLSOCSPStatus = configuration.requestOCSPStapling ? .none : .notRequested

        // 1. Chain and name.
        if let verifier {
            do throws(TLSError) {
                try verifier.verify(chain: chain, hostname: hostname, ipAddress: ipAddress, now: now)
                defaultResult = .verified
            } catch {
                // Without a handler the failure ends the handshake; a handler gets to decide on it. Failures that
                // are not about the certificate (libcrypto, configuration) always end it.
                guard handler != nil, case .certificateRejected = error else { throw error }
                defaultResult = .failed(error)
            }
        }

        // 2. The stapled OCSP response.
        if let ocspResponse {
            if let verifier, defaultResult == .verified {
                do throws(TLSError) {
                    let result = try verifier.checkOCSPResponse(ocspResponse, chain: chain, now: now)
                    switch result.status {
                    case .good: ocspStatus = .good(nextUpdate: result.nextUpdate)
                    case .unknown: ocspStatus = .unknown(nextUpdate: result.nextUpdate)
                    case .notChecked: ocspStatus = .notVerified
                    }
                } catch {
                    guard handler != nil, case .certificateRejected = error else { throw error }
                    defaultResult = .failed(error)
                    ocspStatus = .rejected(error)
                }
            } else {
                // Verification off, or a chain the trust roots do not vouch for: nothing to check it against.
                ocspStatus = .notVerified
            }
        }

        // 3. The application's verdict.
        let verification: TLSSession.CertificateVerification
        if let handler {
            let context = TLSCertificateVerificationContext(
                certificateChain: chain, serverName: serverName, defaultResult: defaultResult,
                ocspResponse: ocspResponse, ocspStatus: ocspStatus, isSessionReverification: isSessionReverification)
            switch handler(context) {
            case .accept:
                switch defaultResult {
                case .verified: verification = .verified
                case .failed: verification = .acceptedByHandler
                case .skipped: verification = .notVerified
                }
            case .reject(let alert, let reason):
                throw TLSError.certificateRejected(alert: alert, reason: "rejected by the application: \(reason)")
            }
        } else {
            verification = defaultResult == .verified ? .verified : .notVerified
        }

        // 4. The leaf signs CertificateVerify: its keyUsage must allow that (the verifier checks it too, after the
        // chain; this covers verification off and a handler's acceptance).
        if !(try certificates.certificate(der: leaf).allowsDigitalSignature) {
            throw TLSError.certificateRejected(
                alert: .unsupportedCertificate, reason: "certificate keyUsage does not allow digitalSignature")
        }

        // 5. The application's own look at the staple.
        if configuration.requestOCSPStapling, let check = configuration.ocspResponseCheck, !check(ocspResponse, chain) {
            throw TLSError.certificateRejected(
                alert: .badCertificateStatusResponse, reason: "the application's check rejected the stapled OCSP response")
        }
        return Outcome(verification: verification, ocspStatus: ocspStatus)
    }

    private var hostname: String? {
        if case .dnsName(let name) = identity { return name }
        return nil
    }

    private var ipAddress: String? {
        if case .ipAddress(let address) = identity { return address }
        return nil
    }

    private var serverName: String? {
        switch identity {
        case .dnsName(let name), .ipAddress(let name): name
        case .none: nil
        }
    }
}
