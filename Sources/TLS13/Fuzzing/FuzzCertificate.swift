#if TLS13_FUZZING
/// Fuzzing builds only: the certificate fuzz target (`Fuzz/Targets/certificate`): what the client does with
/// the bytes of a server's CertificateEntry, which the client target skips with its accept-all verifiers.
///
/// Input: `flags`, a signature scheme (2 bytes), a signature length `n` (1 byte; `2n` bytes follow), the
/// signature, then the DER certificate. The certificate is parsed (``X509Certificate/init(der:)``), every
/// property the library reads is read (names, validity, subjectAltNames, DER), the CertificateVerify
/// path runs (``OpenSSLSignatureVerifier``: public key, scheme checks, signature verification), the CLI's
/// ``CertificateSummary`` is built, and the chain `[certificate, Certs/intermediate.pem]` is verified against
/// `Certs/ca.pem` (``OpenSSLCertificateVerifier``, files read from the working directory once) for
/// `localhost` (flags bit 0) or `127.0.0.1`.
public func _fuzzCertificate(_ data: UnsafeRawBufferPointer) {
    var input = FuzzInput(data)
    let flags = input.byte()
    let scheme = SignatureScheme(rawValue: UInt16(input.uint16()))
    let signature = input.bytes(upTo: Int(input.byte()) * 2)
    let der = input.rest()
    let message = CertificateVerify.signedContent(signer: .server, transcriptHash: [UInt8](repeating: 0x42, count: 32))
    _ = try? OpenSSLSignatureVerifier().verify(scheme: scheme, certificate: der, message: message, signature: signature)
    _ = CertificateSummary(der: der)
    if let certificate = try? X509Certificate(der: der) {
        _ = certificate.description + certificate.notBefore
        _ = (certificate.notAfterSeconds, certificate.notBeforeSeconds)
        _ = certificate.der
        if let key = try? certificate.publicKey() {
            _ = key.typeDescription
            _ = try? key.verify(scheme: scheme, message: message, signature: signature)
        }
    }
    if let verifier = FuzzCertificateFixtures.verifier {
        let (host, ip): (String?, String?) = flags & 0x01 != 0 ? ("localhost", nil) : (nil, "127.0.0.1")
        do {
            try verifier.verify(chain: [der] + FuzzCertificateFixtures.intermediate, hostname: host, ipAddress: ip, now: FuzzFixtures.now)
        } catch {
            if case .internalError(let reason) = error {
                fuzzCheck(false, "a peer certificate caused internal_error: \(reason)")
            }
        }
    }
}

/// The trust anchor and intermediate of ``_fuzzCertificate(_:)``, read once from `Certs/`.
enum FuzzCertificateFixtures {
    static let verifier: OpenSSLCertificateVerifier? = (try? X509TrustStore(caFile: "Certs/ca.pem")).map {
        OpenSSLCertificateVerifier(trustStore: $0)
    }
    static let intermediate: [[UInt8]] = ((try? PEM.certificates(fromFile: "Certs/intermediate.pem")) ?? []).map(\.der)
}
#endif
