import Foundation
import TLS13

/// bssl_shim's certificate verification callbacks (`test_config.cc`), as a
/// ``TLSClientConfiguration/certificateVerificationHandler``.
///
/// bssl_shim always replaces BoringSSL's chain verification with its own callback, which only records that it
/// ran and then accepts, or fails with `-verify-fail`: `CertVerifyCallback` (X509_V_ERR_APPLICATION_VERIFICATION,
/// alert handshake_failure) by default, `CustomVerifyCallback` (ssl_verify_invalid, alert certificate_unknown)
/// with `-use-custom-verify-callback`. A failure ends the handshake only with `-verify-peer` (SSL_VERIFY_PEER);
/// otherwise the client "soft fails": the handshake goes on and `SSL_get_verify_result` reports the failure,
/// which `-expect-verify-result` checks. On resumption the callback does not run, and the result is the
/// session's — unless `-reverify-on-resume`, when it runs again on the session's chain before the session is
/// used (before any 0-RTT data).
///
/// Here the library's own chain and name check stays off (`verifyCertificates = false`: the runner's
/// certificates are for the name "test" and chain to no root we have), so the handler is the whole check, as
/// in bssl_shim; the leaf's keyUsage and the CertificateVerify signature are checked by the library regardless.
///
/// The library asks the handler about a saved session's chain before offering it
/// (``TLSCertificateVerificationContext/isSessionReverification``); without `-reverify-on-resume` the handler
/// accepts that check without recording a run, as BoringSSL does not call its callback then. When such a check
/// accepted the session (so it was offered) and the handler is then asked about a Certificate message, the server
/// declined the session: with 0-RTT offered, that is BoringSSL's "retry" at 1-RTT, and the `-on-retry-` flags
/// apply.
final class ShimVerifier: @unchecked Sendable {
    // @unchecked Sendable: the handler runs on the handshake thread while the shim waits in `connect`; every
    // access holds `lock`.

    /// `SSL_get_verify_result`, reduced to what bssl_shim can produce.
    enum Result: Equatable {
        case ok
        case applicationVerificationFailed
    }

    private let lock = NSLock()
    private var runs = 0
    private var reverifications = 0
    /// Whether the last check of a saved session accepted it (the session was then offered).
    private var sessionAccepted = false
    private var result: Result?

    /// Installs the handler for connection flags `c`; `retry` are the flags of a 1-RTT retry after rejected
    /// 0-RTT (used when `earlyDataOffered` and the session was declined).
    func install(
        in config: inout TLSClientConfiguration, flags c: ConnectionFlags, retry: ConnectionFlags? = nil,
        earlyDataOffered: Bool = false
    ) {
        config.certificateVerificationHandler = { [self] context in
            let flags: ConnectionFlags
            if context.isSessionReverification {
                guard c.reverifyOnResume else {
                    lock.withLock {
                        reverifications += 1
                        sessionAccepted = true
                    }
                    return .accept
                }
                flags = c
            } else if let retry, earlyDataOffered, lock.withLock({ sessionAccepted }) {
                flags = retry
            } else {
                flags = c
            }
            // bssl_shim checks SSL_get0_ech_name_override in its callback: with ECH rejected, the name verified is the
            // config's public name; otherwise the usual one (-host-name, or the address connected to: an IP literal).
            let name = context.serverName ?? ""
            let usual = flags.hostName.map { $0 == name } ?? name.allSatisfy { $0.isHexDigit || $0 == "." || $0 == ":" }
            if let expected = flags.extra.expectECHNameOverride, name != expected {
                return .reject(alert: .internalError, reason: "ECH name override is \(name), wanted \(expected)")
            }
            if flags.extra.expectNoECHNameOverride, !usual {
                return .reject(alert: .internalError, reason: "unexpected ECH name override \(name)")
            }
            let verifyFail = flags.verifyFail
            lock.withLock {
                if context.isSessionReverification { reverifications += 1 } else { runs += 1 }
                result = verifyFail ? .applicationVerificationFailed : .ok
            }
            let rejects = verifyFail && flags.verifyPeer
            if context.isSessionReverification { lock.withLock { sessionAccepted = !rejects } }
            if rejects {
                let alert: AlertDescription = flags.useCustomVerifyCallback ? .certificateUnknown : .handshakeFailure
                return .reject(alert: alert, reason: "the verify callback failed (-verify-fail)")
            }
            return .accept
        }
    }

    /// How often the handler ran on a Certificate message of this connection (bssl_shim fails on a second run).
    var callbackRuns: Int { lock.withLock { runs } }

    /// The verify result of this connection: the handler's, or on a resumed connection where it did not run, the
    /// session's (`inherited`).
    func verifyResult(inherited: Result?) -> Result? {
        lock.withLock { result ?? inherited }
    }
}

extension ShimTest {
    /// bssl_shim's checks after the handshake: the callback ran at most once, and `-expect-verify-result`.
    static func checkVerification(
        _ verifier: ShimVerifier, flags c: ConnectionFlags, resumed: Bool, inherited: ShimVerifier.Result?
    ) throws(ShimOutcome) -> ShimVerifier.Result? {
        if verifier.callbackRuns > 1 { throw .failed("Certificate verified twice.") }
        if !resumed, verifier.callbackRuns == 0 { throw .failed("the verify callback did not run") }
        let result = verifier.verifyResult(inherited: inherited)
        if c.expectVerifyResult {
            let expected: ShimVerifier.Result = c.verifyFail ? .applicationVerificationFailed : .ok
            if result != expected { throw .failed("Wrong certificate verification result") }
        }
        return result
    }
}
