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
/// session's.
///
/// Here the library's own chain and name check stays off (`verifyCertificates = false`: the runner's
/// certificates are for the name "test" and chain to no root we have), so the handler is the whole check, as
/// in bssl_shim; the leaf's keyUsage and the CertificateVerify signature are checked by the library regardless.
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
    private var result: Result?

    /// Installs the handler for connection flags `c`.
    func install(in config: inout TLSClientConfiguration, flags c: ConnectionFlags) {
        let verifyFail = c.verifyFail
        let hardFail = c.verifyPeer
        let alert: AlertDescription = c.useCustomVerifyCallback ? .certificateUnknown : .handshakeFailure
        config.certificateVerificationHandler = { [self] _ in
            lock.withLock {
                runs += 1
                result = verifyFail ? .applicationVerificationFailed : .ok
            }
            if verifyFail, hardFail {
                return .reject(alert: alert, reason: "the verify callback failed (-verify-fail)")
            }
            return .accept
        }
    }

    /// How often the handler ran on this connection (bssl_shim fails on a second run).
    var callbackRuns: Int { lock.withLock { runs } }

    /// The verify result of this connection: the handler's, or on a resumed connection where it did not run, the
    /// session's (`inherited`).
    func verifyResult(inherited: Result?) -> Result? {
        lock.withLock { result ?? inherited }
    }
}

extension ShimTest {
    /// Why the verification flags of `c` cannot be honoured on connection `index`, or `nil`.
    static func unsupportedVerification(_ c: ConnectionFlags, resumeCount: Int) -> String? {
        if c.reverifyOnResume, resumeCount > 0 {
            return "-reverify-on-resume: sessions do not keep the peer's chain, and the library does not verify it again on resumption"
        }
        return nil
    }

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
