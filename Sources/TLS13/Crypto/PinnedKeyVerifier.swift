/// Public-key pinning on top of a verifier (``TLSClientConfiguration/pinnedPublicKeys``): the chain must verify as
/// before, and then some certificate on the verified path — leaf, intermediate or trust anchor — must have one of
/// the pinned SubjectPublicKeyInfo digests (RFC 7469 §2.6). Pinning only ever adds a rejection: a chain the inner
/// verifier refuses is refused with the inner verifier's error, whatever the pins say.
struct PinnedKeyVerifier: CertificateVerifier {
    let inner: any CertificateVerifier
    /// SHA-256 digests of pinned SubjectPublicKeyInfos (32 bytes each).
    let pins: Set<[UInt8]>

    @discardableResult
    func verify(chain: [[UInt8]], hostname: String?, ipAddress: String?, now: Int64) throws(TLSError) -> VerifiedPath {
        let path = try inner.verify(chain: chain, hostname: hostname, ipAddress: ipAddress, now: now)
        guard path.keyDigests.contains(where: pins.contains) else {
            throw TLSError.certificateRejected(
                alert: .badCertificate,
                reason: "no certificate on the verified path has a pinned public key (\(path.keyDigests.count) "
                    + "certificates, \(pins.count) pins)")
        }
        return path
    }

    func checkOCSPResponse(_ response: [UInt8], chain: [[UInt8]], now: Int64) throws(TLSError) -> OCSPCheckResult {
        try inner.checkOCSPResponse(response, chain: chain, now: now)
    }
}
