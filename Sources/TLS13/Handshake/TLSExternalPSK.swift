/// An external pre-shared key (RFC 8446 §2.2, §4.2.11): a key both sides got some other way (provisioned, or derived
/// by another protocol), offered with its identity in `pre_shared_key` instead of a session ticket
/// (``TLSClientConfiguration/externalPSK``). **An expert feature**: the key is the server's whole authentication, so
/// it must be a real secret of enough entropy (RFC 9257: never a password), unique to this client and server pair,
/// and used with one hash only.
///
/// The handshake is psk_dhe_ke (a fresh (EC)DHE exchange on top of the PSK, so forward secrecy holds) with the binder
/// keyed with "ext binder" (§7.1). When the server accepts the PSK it sends no certificate; the connection is then
/// authenticated by the key alone (``TLSSessionInfo/externalPSK``). When it does not, the handshake fails, unless
/// ``allowsCertificateFallback`` lets it go on as an ordinary certificate-authenticated handshake. No 0-RTT data is
/// sent with an external PSK, and the tickets of such a connection make no sessions (they would stand for a
/// connection no certificate authenticated).
public struct TLSExternalPSK: Sendable, CustomStringConvertible {
    /// The hash the PSK is used with: the connection's cipher suite must have it.
    public enum Hash: Sendable, Hashable {
        /// SHA-256: the suites TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256, the CCM ones.
        case sha256
        /// SHA-384: TLS_AES_256_GCM_SHA384.
        case sha384
    }

    /// The PSK identity sent in `pre_shared_key` (in the clear, unless Encrypted Client Hello hides it): 1 to
    /// 65,535 bytes.
    public let identity: [UInt8]
    /// The hash the PSK is used with (its binder and key schedule; the suite the server picks must have it).
    public let hash: Hash
    /// Whether a server that does not accept the PSK may authenticate with its certificate instead (an ordinary full
    /// handshake, verified as any). `false` (the default): the handshake fails with `handshake_failure`.
    public var allowsCertificateFallback: Bool
    let key: SecretBytes

    /// An external PSK with its identity and hash (checked by the configuration's validation: a bad one is
    /// ``TLSError/invalidConfiguration(_:)`` before anything is sent).
    ///
    /// - Parameters:
    ///   - identity: the PSK identity, 1 to 65,535 bytes.
    ///   - key: the PSK: not empty, and in practice 32 random bytes (RFC 9257 §4: at least 128 bits of entropy; the
    ///     library cannot check that). It is wiped with this value's last copy.
    ///   - hash: the hash the PSK is used with (SHA-256 unless both sides agreed on SHA-384).
    ///   - allowsCertificateFallback: whether a server that does not accept the PSK may authenticate with its
    ///     certificate instead (``allowsCertificateFallback``).
    public init(identity: [UInt8], key: [UInt8], hash: Hash = .sha256, allowsCertificateFallback: Bool = false) {
        self.identity = identity
        self.key = SecretBytes(key)
        self.hash = hash
        self.allowsCertificateFallback = allowsCertificateFallback
    }

    /// The identity and hash; never the key.
    public var description: String { "external PSK (identity of \(identity.count) bytes, \(hash))" }

    var hashAlgorithm: HashAlgorithm { hash == .sha384 ? .sha384 : .sha256 }

    /// Why this PSK cannot be offered with `configuration`, or `nil`.
    func problem(in configuration: TLSClientConfiguration) -> String? {
        guard (1...0xFFFF).contains(identity.count) else {
            return "the identity must be 1 ... 65535 bytes, not \(identity.count)"
        }
        guard key.count > 0 else { return "the key is empty" }
        guard configuration.cipherSuites.contains(where: { CipherSuiteParameters($0)?.hash == hashAlgorithm }) else {
            return "no configured cipher suite has its hash (\(hash))"
        }
        return nil
    }

    /// The PSK as the handshake offers it: a session-shaped value (identity as the ticket, the first configured suite
    /// of its hash) that never leaves the library.
    func offerableSession(configuration: TLSClientConfiguration, identity server: String, now: Int64) -> TLSSession? {
        guard let suite = configuration.cipherSuites.first(where: { CipherSuiteParameters($0)?.hash == hashAlgorithm })
        else { return nil }
        return TLSSession(
            ticket: identity, cipherSuite: suite, lifetime: TLSSession.maxLifetime, ageAdd: 0,
            receivedAtMilliseconds: now, maxEarlyDataSize: 0, applicationProtocol: nil, serverName: server,
            certificateVerification: .notVerified, peerCertificates: [], psk: key)
    }
}
