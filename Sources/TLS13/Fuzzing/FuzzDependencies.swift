#if TLS13_FUZZING
// Fuzzing builds only (`-DTLS13_FUZZING`): the injected dependencies that make the client deterministic and
// let fuzz inputs past the checks they cannot satisfy (a chain that validates, a signature that verifies).

/// Accepts every certificate chain: fuzz inputs carry arbitrary bytes as certificates.
struct FuzzAcceptAllCertificates: CertificateVerifier {
    func verify(chain: [[UInt8]], hostname: String?, ipAddress: String?, now: Int64) throws(TLSError) -> VerifiedPath {
        VerifiedPath(keyDigests: [])
    }
    func checkOCSPResponse(_ response: [UInt8], chain: [[UInt8]], now: Int64) throws(TLSError) -> OCSPCheckResult {
        OCSPCheckResult(status: .notChecked, thisUpdate: nil, nextUpdate: nil)
    }
}

/// Accepts every CertificateVerify signature, so inputs reach the Finished check and beyond.
struct FuzzAcceptAllSignatures: SignatureVerifier {
    func verify(scheme: SignatureScheme, certificate: [UInt8], message: [UInt8], signature: [UInt8])
        throws(TLSError) -> Bool
    {
        true
    }
}

/// The same "random" bytes on every call: ClientHello.random and legacy_session_id are fixed, so a recorded
/// server flight (its session id echo) stays valid from run to run.
struct FuzzFixedRandom: RandomSource {
    func bytes(_ count: Int) throws(TLSError) -> [UInt8] {
        (0..<max(0, count)).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 7) }
    }
}

/// Fixed key-exchange private keys and the other fixed material of a fuzzing client.
enum FuzzFixtures {
    /// RFC 8448 §3's client x25519 private key.
    static let x25519PrivateKey: [UInt8] = fuzzHex("49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005")
    /// RFC 8448 §5's client P-256 private key.
    static let p256PrivateKey: [UInt8] = fuzzHex("ab5473467e19346ceb0a0414e41da21d4d2445bc3025afe97c4e8dc8d513da39")
    /// An arbitrary P-384 scalar below the group order.
    static let p384PrivateKey: [UInt8] = [UInt8](repeating: 0x5A, count: 48)

    /// The key share the client creates for `group` (deterministic for the implemented groups).
    static func keyShare(_ group: NamedGroup) throws(TLSError) -> KeyShare {
        switch group {
        case .x25519: return try makeKeyShare(group: group, privateKey: x25519PrivateKey)
        case .secp256r1: return try makeKeyShare(group: group, privateKey: p256PrivateKey)
        case .secp384r1: return try makeKeyShare(group: group, privateKey: p384PrivateKey)
        default: return try makeKeyShare(group: group)
        }
    }

    /// Seconds since 1970 the fuzzing client believes it is.
    static let now: Int64 = 1_700_000_000

    /// The dependencies of a fuzzing client.
    static var dependencies: ClientStateMachine.Dependencies {
        ClientStateMachine.Dependencies(
            certificateVerifier: FuzzAcceptAllCertificates(),
            signatureVerifier: FuzzAcceptAllSignatures(),
            random: FuzzFixedRandom(),
            makeKeyShare: { (group) throws(TLSError) in try keyShare(group) },
            now: now)
    }

    /// The resumption PSK of ``session(earlyData:alpn:)``.
    static let sessionPSK: [UInt8] = [UInt8](repeating: 0x33, count: 32)

    /// A session to offer for resumption (TLS_AES_128_GCM_SHA256, received a second before ``now``).
    static func session(earlyData: Bool, alpn: String?, serverName: String = "example.com") -> TLSSession {
        TLSSession(
            ticket: Array("fuzz-ticket".utf8), cipherSuite: .aes128GCMSHA256, lifetime: 7200, ageAdd: 0x0102_0304,
            receivedAtMilliseconds: now * 1000 - 1000, maxEarlyDataSize: earlyData ? 16384 : 0,
            applicationProtocol: alpn, serverName: serverName, certificateVerification: .verified,
            // Checked again before it is offered: a parseable leaf whose keyUsage allows signing.
            peerCertificates: clientCertificate?.chain ?? [],
            psk: SecretBytes(sessionPSK))
    }

    /// An Ed25519 client certificate (`Certs/client-ed25519.*`; test-only key), `nil` if it fails to load.
    static let clientCertificate: TLSClientCertificate? = {
        let key = """
            -----BEGIN PRIVATE KEY-----
            MC4CAQAwBQYDK2VwBCIEIOw0j2pTv8Gm+kRRgF4ypisabBa3wVotO5qnIfI9IbGl
            -----END PRIVATE KEY-----

            """
        let certificate = """
            -----BEGIN CERTIFICATE-----
            MIIB1jCCAXugAwIBAgIQfToozlCXm5sNe2poqPacmTAKBggqhkjOPQQDAjBHMRow
            GAYDVQQKDBFzd2lmdC10bHMxMyB0ZXN0czEpMCcGA1UEAwwgc3dpZnQtdGxzMTMg
            VGVzdCBJbnRlcm1lZGlhdGUgQ0EwIBcNMjQwMTAxMDAwMDAwWhgPMjA5OTEyMzEy
            MzU5NTlaMEgxGjAYBgNVBAoMEXN3aWZ0LXRsczEzIHRlc3RzMSowKAYDVQQDDCFz
            d2lmdC10bHMxMyB0ZXN0IGNsaWVudCAoZWQyNTUxOSkwKjAFBgMrZXADIQDZUma7
            PVfTb27IPhH9+XTn1ShJBt8ljox8Tx+CPLtXCaN1MHMwDAYDVR0TAQH/BAIwADAO
            BgNVHQ8BAf8EBAMCB4AwEwYDVR0lBAwwCgYIKwYBBQUHAwIwHQYDVR0OBBYEFBw+
            jzRlTAtW0AC73++72sNuSXjWMB8GA1UdIwQYMBaAFEBMh5877+hl5NfwH39cMFQt
            K5zSMAoGCCqGSM49BAMCA0kAMEYCIQCi7QGGbQqKamnIFxUQ/uRitPDTUu4glXjM
            NQz3G4AVFAIhAPl7Uum19dhzk91cZa6J7XXYOQERv1GdSAIhXGDC7otm
            -----END CERTIFICATE-----

            """
        guard let privateKey = try? PrivateKey(pem: Array(key.utf8)),
            let chain = try? PEM.certificates(fromPEM: Array(certificate.utf8)), !chain.isEmpty
        else { return nil }
        return TLSClientCertificate(chain: chain.map(\.der), privateKey: privateKey)
    }()
}

/// Decodes lowercase hex written in this source; traps on a typo (our own constant, not input).
func fuzzHex(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    precondition(digits.count % 2 == 0, "odd hex length")
    func value(_ c: UInt8) -> UInt8 {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        default: preconditionFailure("not a hex digit")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
}
#endif
