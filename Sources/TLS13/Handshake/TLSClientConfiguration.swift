#if canImport(Logging)
public import Logging
#endif

/// How a client connection negotiates and what it trusts.
///
/// A value type: build one, adjust fields, and share it between connections. The trust store it names is
/// loaded once per ``TrustRoots`` value and reused (see ``TrustRoots``).
///
/// ```swift
/// var config = TLSClientConfiguration()
/// config.trustRoots = .pemFile("Certs/ca.pem")
/// config.applicationProtocols = ["http/1.1"]
/// let connection = try TLSConnection.connect(host: "localhost", port: 4433, configuration: config)
/// ```
public struct TLSClientConfiguration: Sendable {
    /// The name sent in SNI and checked against the certificate. `nil` uses the host given to `connect`.
    /// SNI is never sent for an IP literal; the certificate is then checked against its IP addresses.
    public var serverName: String?

    /// Where trusted root certificates come from.
    public var trustRoots: TrustRoots = .system

    /// Whether the certificate chain and name are verified. `false` (`--insecure`) skips only those two
    /// checks: the server must still prove possession of the certificate's key (CertificateVerify) and
    /// the handshake is otherwise just as strict.
    public var verifyCertificates = true

    /// An application's own certificate check, run once per full handshake when the server's Certificate
    /// arrives, after the library's verification, whose result it receives
    /// (``TLSCertificateVerificationContext/defaultResult``) instead of the handshake failing on it. Its verdict
    /// decides: ``TLSCertificateVerdict/accept`` continues (even when the default verification failed — e.g. to
    /// accept a pinned self-signed certificate), ``TLSCertificateVerdict/reject(alert:reason:)`` fails the
    /// handshake with that alert. `nil` (the default): the library's verification decides alone.
    ///
    /// Not called on a resumed handshake (the server sends no certificate). The leaf's keyUsage and the server's
    /// CertificateVerify signature are checked whatever the handler says. ``TLSSessionInfo/certificateVerified``
    /// is `true` after the handler accepted, unless ``verifyCertificates`` is `false`. The closure runs on the
    /// thread doing the handshake and must not block for long (the handshake timeout keeps running).
    public var certificateVerificationHandler: (@Sendable (TLSCertificateVerificationContext) -> TLSCertificateVerdict)? = nil

    /// The same as ``certificateVerificationHandler``, for a check that must wait for something (a lookup in a
    /// database, a call to a service): the handshake waits for its verdict, at most ``handshakeTimeout`` seconds
    /// (then it fails with `certificate_unknown` and the task running the handler is cancelled). Set one of the two
    /// handlers, not both.
    ///
    /// The handshake's thread blocks while it waits; the handler runs as a task on the Swift-concurrency pool.
    /// ``TLSConnection`` does its handshake on the caller's thread; ``AsyncTLSConnection`` moves the step that waits
    /// onto a thread of its own (one of two shared by the process), so this is safe with both; a ``TLSClientEngine``
    /// driven from a Swift-concurrency thread or an event loop would block that thread — use the synchronous handler
    /// there.
    public var asyncCertificateVerificationHandler: (@Sendable (TLSCertificateVerificationContext) async -> TLSCertificateVerdict)? = nil

    /// Public keys to pin (RFC 7469 style): when not empty, the server's chain must verify as usual **and** some
    /// certificate on the verified path — its own, an intermediate's, or the trust anchor's — must have one of these
    /// keys; otherwise the handshake fails with `bad_certificate`. Pinning is an additional check, never a
    /// replacement for chain verification: it needs ``verifyCertificates`` on, and a chain that does not verify is
    /// rejected for that reason whatever the pins say. A saved session is offered only if its chain still passes.
    /// Pin a backup key too: a server whose key changes is refused until the pins do. An application handler
    /// (``certificateVerificationHandler``) sees a pin mismatch as its ``TLSCertificateVerificationContext/defaultResult``
    /// and decides, as for any other failure of the default verification. Empty (the default): no pinning.
    public var pinnedPublicKeys: [TLSPublicKeyPin] = []

    /// ALPN protocol names to offer, most preferred first (e.g. `["h2", "http/1.1"]`). Empty: no ALPN.
    public var applicationProtocols: [String] = []

    /// Cipher suites to offer, most preferred first. TLS_AES_128_CCM_SHA256 and TLS_AES_128_CCM_8_SHA256 are
    /// implemented too but not offered unless added here (CCM_8's 8-byte tag is meant for constrained devices).
    public var cipherSuites: [CipherSuite] = [.aes128GCMSHA256, .aes256GCMSHA384, .chacha20Poly1305SHA256]

    /// Groups to offer in supported_groups, most preferred first. Implemented: the post-quantum hybrid
    /// X25519MLKEM768 (first by default), x25519, x448, secp256r1, secp384r1, secp521r1, and ffdhe2048 /
    /// ffdhe3072 / ffdhe4096 (RFC 7919), which are not offered unless added here: finite-field key shares are
    /// large (256–512 bytes) and slow next to the elliptic curves.
    public var supportedGroups: [NamedGroup] = [.x25519MLKEM768, .x25519, .secp256r1, .secp384r1, .secp521r1, .x448]

    /// Groups to send a key share for in the first ClientHello. A server that picks another offered group
    /// answers with a HelloRetryRequest. The default sends X25519MLKEM768 and x25519 (one X25519 key serves
    /// both), so a server without the hybrid picks x25519 at once; the hybrid share adds about 1.2 KB to the
    /// ClientHello.
    ///
    /// Groups that ``supportedGroups`` does not offer are skipped, and if none is left a share is sent for the
    /// first supported group — so setting only ``supportedGroups`` (say `[.secp256r1]`) just works.
    public var keyShareGroups: [NamedGroup] = [.x25519MLKEM768, .x25519]

    /// Where the group each server chose is remembered, so the next ClientHello to it sends only that share
    /// (``TLSKeyShareHints``). The default is a store of this configuration's own, shared by its copies; `nil`
    /// always sends ``keyShareGroups``.
    public var keyShareHints: TLSKeyShareHints? = TLSKeyShareHints()

    /// The groups the first ClientHello actually sends shares for: ``keyShareGroups`` that are offered, else
    /// the first offered group.
    var effectiveKeyShareGroups: [NamedGroup] {
        let offered = keyShareGroups.filter(supportedGroups.contains)
        if offered.isEmpty, let first = supportedGroups.first { return [first] }
        return offered
    }

    /// The groups the first ClientHello sends shares for when the server chose `hint` before: that group alone
    /// while it is still offered, else ``effectiveKeyShareGroups``.
    func keyShareGroups(hint: NamedGroup?) -> [NamedGroup] {
        if let hint, supportedGroups.contains(hint) { return [hint] }
        return effectiveKeyShareGroups
    }

    /// Signature schemes accepted in the server's CertificateVerify (signature_algorithms).
    /// rsa_pkcs1_* are never allowed here (RFC 8446 §4.2.3).
    public var signatureAlgorithms: [SignatureScheme] = [
        .ecdsaSecp256r1SHA256, .ecdsaSecp384r1SHA384, .ecdsaSecp521r1SHA512,
        .ed25519, .ed448,
        .rsaPSSRSAESHA256, .rsaPSSRSAESHA384, .rsaPSSRSAESHA512,
        .rsaPSSPSSSHA256, .rsaPSSPSSSHA384, .rsaPSSPSSSHA512,
    ]

    /// Signature schemes accepted in certificates (signature_algorithms_cert): ``signatureAlgorithms``
    /// plus rsa_pkcs1_sha256/384/512, since certificates signed with PKCS#1 v1.5 are still everywhere.
    public var certificateSignatureAlgorithms: [SignatureScheme] = [
        .ecdsaSecp256r1SHA256, .ecdsaSecp384r1SHA384, .ecdsaSecp521r1SHA512,
        .ed25519, .ed448,
        .rsaPSSRSAESHA256, .rsaPSSRSAESHA384, .rsaPSSRSAESHA512,
        .rsaPSSPSSSHA256, .rsaPSSPSSSHA384, .rsaPSSPSSSHA512,
        .rsaPKCS1SHA256, .rsaPKCS1SHA384, .rsaPKCS1SHA512,
    ]

    /// Seconds allowed for the TCP connect.
    public var connectTimeout: Double = 10
    /// Seconds allowed for the whole TLS handshake (not per read): a server that trickles one byte a
    /// second cannot hold the client past this.
    public var handshakeTimeout: Double = 10
    /// Seconds a single read may wait for data after the handshake; `nil` (the default) waits indefinitely. A read
    /// that times out throws ``TLSError/timedOut(_:)`` and leaves the connection usable. Writes are bounded by
    /// ``writeTimeout`` and, when it is smaller, by this.
    public var ioTimeout: Double? = nil
    /// Seconds a single write (or the KeyUpdate or post-handshake reply a read has to send) may wait for the peer
    /// to take the bytes: a server that stops reading cannot block the caller for longer. A write that times
    /// out fails the connection (part of a record may have been sent). Default 30.
    public var writeTimeout: Double = 30

    /// The largest handshake message accepted from the server, in bytes: this also bounds the whole
    /// certificate chain, which travels in one Certificate message. Exceeding it sends `illegal_parameter`.
    public var maxHandshakeMessageSize = 1 << 16

    /// The most certificates accepted in the server's chain. Exceeding it sends `bad_certificate`.
    public var maxCertificateChainLength = 10

    /// The most extensions accepted in one message from the server (each CertificateEntry counts on its
    /// own). Exceeding it sends `illegal_parameter`.
    public var maxExtensionsPerMessage = 32

    /// The most decrypted application data held for the caller while the connection reads for another
    /// reason (``TLSConnection/waitForSessionTicket(timeout:)``); reading pauses at this size.
    public var maxBufferedApplicationData = 1 << 20

    /// The most records sent under one key (its KeyUpdate included) before the client moves to the next
    /// key. `nil` (the default) uses
    /// the cipher's limit: 2^24.5 records for AES-GCM (RFC 8446 §5.5), 2^23.5 for AES-CCM; set a small value
    /// only to test, or for a stricter policy.
    public var keyUpdateRecordLimit: UInt64? = nil

    /// The certificate and key presented when the server asks for client authentication. `nil` answers a
    /// CertificateRequest with an empty Certificate. When set, post-handshake authentication is offered too.
    public var clientCertificate: TLSClientCertificate? = nil

    /// Remember chains that verified, for this many seconds (default one hour), and skip `X509_verify_cert`'s
    /// path building and signature checks when a server sends the exact same chain again, for the same name,
    /// under the same trust store. Everything else is checked on every connection, cached or not: the validity
    /// dates of the whole verified path against the current time, the stapled OCSP response in full, the leaf's
    /// keyUsage, the server's CertificateVerify signature and ``certificateVerificationHandler``. Failures are
    /// never cached, and changing the trust store (a new file, or the same file changed) starts empty caches.
    /// `VerdictMatrixTests` checks that every bad certificate in `Certs/` gets the same verdict and alert with the
    /// cache off, cold, warm and warm after the roots changed (the table in `Docs/Security.md`). `nil` verifies
    /// every chain in full.
    public var verifiedChainCacheLifetime: Double? = 3600

    /// Where tickets are stored and looked up for resumption; `nil` disables resumption unless a session is
    /// passed to `connect` explicitly.
    public var sessionCache: TLSSessionCache? = nil

    /// The record_size_limit offered (RFC 8449): the largest TLSInnerPlaintext (content, content type byte and
    /// padding) the client accepts in a protected record, 64 ... 16385. When the server agrees (it answers with
    /// its own limit), a larger record from it is `record_overflow`, and the client's records respect the
    /// server's limit. `nil` does not send the extension. Default 16385, the TLS 1.3 maximum: no restriction,
    /// but it tells the server it may ask for smaller records.
    public var recordSizeLimit: Int? = 16385

    /// Whether to ask for a stapled OCSP response (status_request, RFC 6066 §8). A response that arrives is
    /// checked against the trust roots at the time of the handshake: a revoked certificate fails the handshake
    /// with `certificate_revoked`, an invalid response with `bad_certificate_status_response`; the result is
    /// ``TLSSessionInfo/ocspStatus``. A server that sends none is accepted (stapling is optional).
    public var requestOCSPStapling = true

    /// Receives each traffic secret as one line of the NSS key log format (what `SSLKEYLOGFILE` files hold and
    /// Wireshark reads): `LABEL <client_random hex> <secret hex>`, with the labels
    /// `CLIENT_EARLY_TRAFFIC_SECRET`, `CLIENT_HANDSHAKE_TRAFFIC_SECRET`, `SERVER_HANDSHAKE_TRAFFIC_SECRET`,
    /// `CLIENT_TRAFFIC_SECRET_0`, `SERVER_TRAFFIC_SECRET_0` and `EXPORTER_SECRET`, as each is derived.
    /// **Anyone with these lines can decrypt the connection**: for debugging only. `nil` (the default): no
    /// secret ever leaves the library.
    public var keyLog: (@Sendable (String) -> Void)? = nil

    /// Receives every ``TLSEvent`` of a connection as it happens, stamped with the time since `connect` was called
    /// (``TLSTraceEvent``): name resolution and the TCP socket's states, each record and handshake message with its
    /// decoded essentials, key-schedule steps, crypto step timings, tickets, key updates, alerts, close_notify, the
    /// teardown. `tls13 trace` is built on it. The handler runs on the thread doing the work, inside the connection's
    /// lock: keep it short, and do not call back into the connection from it. `nil` (the default): no event is built.
    public var eventHandler: (@Sendable (TLSTraceEvent) -> Void)? = nil

    /// Whether key-schedule events (``TLSEvent/secretDerived(_:)``) carry the secrets' values. **Anyone with them can
    /// decrypt the connection**: for debugging only. Default off.
    public var traceIncludesSecrets = false

    #if canImport(Logging)
    /// A logger that gets the same events as ``eventHandler``, one line each at `debug` level (never secret values),
    /// with the connection's address as `tls.peer` metadata. `nil` (the default): nothing is logged.
    public var logger: Logger? = nil
    #endif

    /// The wall clock, in milliseconds since 1970-01-01 UTC: read when a connection starts (the time
    /// certificates and OCSP responses are checked at, and a session's lifetime and ticket age are measured
    /// by) and when a ticket arrives (the session's ``TLSSession/receivedAtMilliseconds``). `nil`: the system
    /// clock. Replace it in tests, or where the application keeps a corrected clock.
    public var wallClockMilliseconds: (@Sendable () -> Int64)? = nil

    /// An application check of the stapled OCSP response (like OpenSSL's status callback), run when
    /// ``requestOCSPStapling`` is on, once the server's Certificate has arrived (after the chain and any staple
    /// were verified, if verification is on). It gets the response exactly as stapled (`nil` when the server
    /// sent none) and the chain (DER, leaf first); returning `false` fails the handshake with
    /// `bad_certificate_status_response`, e.g. to insist on a staple for a must-staple certificate. Not run on a
    /// resumed connection (no Certificate). `nil`: no check beyond the library's own.
    public var ocspResponseCheck: (@Sendable (_ response: [UInt8]?, _ chain: [[UInt8]]) -> Bool)? = nil

    /// Whether to ask for the server certificate's Certificate Transparency SCTs (signed_certificate_timestamp,
    /// RFC 6962 §3.3.1). A list that arrives with the leaf certificate must be well formed (a non-empty list of
    /// non-empty SCTs, else `decode_error`); its bytes are ``TLSSessionInfo/signedCertificateTimestamps``. The
    /// SCTs themselves are not checked against any log: that is the application's policy. Default off.
    public var requestSignedCertificateTimestamps = false

    /// Whether the ClientHello carries GREASE values (RFC 8701): a reserved cipher suite, two extensions, a group
    /// (with a one-byte key share) and a version — where BoringSSL and Chrome have sent them for years, and nowhere
    /// else (not in signature_algorithms, which some servers still fail on) — so that servers which choke on values
    /// they do not know are noticed. A server that selects one of them fails the handshake (`illegal_parameter`).
    public var grease = true

    /// The certificate compression algorithms offered (RFC 8879 `compress_certificate`), most preferred first: a
    /// server that has one of them may send its Certificate compressed, which saves a fifth to a third of the chain's
    /// bytes (Docs/Interop.md, "Certificate compression") — often a round trip on a fresh connection. The default is
    /// the library's own: zstd, brotli, zlib (``TLSCertificateDecompressor/builtIn``); empty offers none. The
    /// CompressedCertificate is decompressed with its declared length enforced before and after, bounded by
    /// ``maxHandshakeMessageSize``; the transcript takes it as received.
    public var certificateDecompressors: [TLSCertificateDecompressor] = TLSCertificateDecompressor.builtIn

    /// An external pre-shared key to authenticate the server with instead of a certificate (RFC 8446 §4.2.11; an
    /// expert feature: see ``TLSExternalPSK``). When set, it is offered in place of any session to resume. `nil` (the
    /// default): none.
    public var externalPSK: TLSExternalPSK? = nil

    /// The server's ECHConfigList (RFC 9849 §4: from its DNS HTTPS record, or the `retry_configs` of a rejected
    /// attempt, ``TLSError/echRejected(publicName:retryConfigs:)``), to offer Encrypted Client Hello: the real ClientHello
    /// (ClientHelloInner: the server name, ALPN, the session offered) goes encrypted to the config's key, inside a
    /// ClientHelloOuter that shows the config's public name. The first config whose version, KEM (X25519 or P-256) and
    /// an HPKE suite (HKDF-SHA256/384 with AES-128-GCM, ChaCha20-Poly1305 or AES-256-GCM) this library supports is
    /// used; with none usable, GREASE ECH is sent (if ``echGREASE``). `nil` (the default): no ECH config.
    ///
    /// If the server rejects ECH, the handshake authenticates the server as the public name, then fails with
    /// ``TLSError/echRejected(publicName:retryConfigs:)``, which carries the configs to retry with. ``TLSSessionInfo/ech`` says
    /// what happened. A list that does not parse is refused as ``TLSError/invalidConfiguration(_:)`` before anything
    /// is sent.
    public var echConfigList: [UInt8]? = nil

    /// Whether to send a GREASE `encrypted_client_hello` (RFC 9849 §6.2) when there is no usable ECH config, so that
    /// connections with and without ECH look alike and servers keep tolerating the extension. Default on, as in
    /// Chrome; it hides nothing (``TLSSessionInfo/ech`` says ``TLSECHStatus/grease``).
    public var echGREASE = true

    /// The ALPN protocol names ClientHelloOuter shows when ECH is offered. `nil` (the default): none — the real list
    /// (``applicationProtocols``) travels only inside the encrypted ClientHelloInner (RFC 9849 §10.5 leaves it to the
    /// client whether its ALPN list is sensitive). Set it to ``applicationProtocols`` to send the same list outside
    /// too (then compressed into `ech_outer_extensions`, as BoringSSL and Go do), or to a generic list.
    public var echOuterApplicationProtocols: [String]? = nil

    /// Whether the ClientHello's extensions go in a fresh random order on every connection (as BoringSSL's
    /// `SSL_CTX_set_permute_extensions` and Chrome do), so that servers and middleboxes cannot come to depend on one
    /// order and the order does not fingerprint the client. The GREASE extensions, padding and pre_shared_key keep
    /// their places (first; last, in that order), and a second ClientHello after a HelloRetryRequest keeps the
    /// first one's order. Default on; off sends the library's fixed order.
    public var permuteExtensions = true

    /// When set, a padding extension (RFC 7685) brings the ClientHello (handshake message, 4-byte header
    /// included) to at least this many bytes, e.g. 512 for servers that mishandle hellos of 256–511 bytes.
    /// An extension needs at least 4 bytes, so a hello 1–3 bytes short ends up to 3 bytes longer. `nil`: no
    /// padding.
    public var clientHelloPadding: Int? = nil

    /// The defaults: the system's trust store, verification on, TLS 1.3 with X25519MLKEM768 and x25519 key shares,
    /// the verified-chain cache and key-share hints on, OCSP stapling requested.
    public init() {}

    /// Where a client's trusted root certificates come from.
    ///
    /// A trust store is built once per value and shared by every connection (a file is read again when it changes);
    /// the last few stores built from bytes in memory are kept.
    ///
    /// ```swift
    /// config.trustRoots = .pem(Array(bundleText.utf8))                 // exactly these roots
    /// config.trustRoots = .combined([.system, .der([corporateRoot])])  // the system's, plus one
    /// ```
    public indirect enum TrustRoots: Sendable, Hashable {
        /// The system store: OpenSSL's default locations, or `SSL_CERT_FILE` / `SSL_CERT_DIR` when set (read
        /// when the system store is first used).
        case system
        /// Exactly the certificates in this PEM file; the system store is not used.
        case pemFile(String)
        /// Exactly the certificates in this PEM text (`-----BEGIN CERTIFICATE-----` blocks).
        case pem([UInt8])
        /// Exactly these DER certificates.
        case der([[UInt8]])
        /// Every root of each of these: e.g. `[.system, .pem(extra)]` trusts the system store and more.
        case combined([TrustRoots])
    }

    /// Groups this library implements for key exchange.
    static let implementedGroups: Set<NamedGroup> = [
        .x25519MLKEM768, .x25519, .x448, .secp256r1, .secp384r1, .secp521r1, .ffdhe2048, .ffdhe3072, .ffdhe4096,
    ]

    /// Checks the configuration for values this library cannot honour: every public entry point that takes a
    /// configuration calls this first, so a bad value is a thrown ``TLSError/invalidConfiguration(_:)``, never a
    /// trap or an endless wait.
    func validate() throws(TLSError) {
        for (name, value) in [("connectTimeout", connectTimeout), ("handshakeTimeout", handshakeTimeout),
                              ("writeTimeout", writeTimeout)]
        where !(value > 0 && value.isFinite) {
            throw TLSError.invalidConfiguration("\(name) must be a finite number of seconds above 0, not \(value)")
        }
        if let ioTimeout, !(ioTimeout > 0) {
            throw TLSError.invalidConfiguration("ioTimeout must be above 0 seconds (nil waits indefinitely), not \(ioTimeout)")
        }
        if let lifetime = verifiedChainCacheLifetime, !(lifetime > 0) {
            throw TLSError.invalidConfiguration("verifiedChainCacheLifetime must be above 0 seconds, not \(lifetime)")
        }
        if let name = serverName { try Endpoint.validateServerName(name) }
        if certificateVerificationHandler != nil, asyncCertificateVerificationHandler != nil {
            throw TLSError.invalidConfiguration(
                "set certificateVerificationHandler or asyncCertificateVerificationHandler, not both")
        }
        if !pinnedPublicKeys.isEmpty, !verifyCertificates {
            throw TLSError.invalidConfiguration(
                "pinnedPublicKeys needs verifyCertificates: pinning adds to chain verification, it does not replace it")
        }
        guard !cipherSuites.isEmpty else { throw TLSError.invalidConfiguration("no cipher suites configured") }
        for suite in cipherSuites where CipherSuiteParameters(suite) == nil {
            throw TLSError.invalidConfiguration("cipher suite \(suite) is not a TLS 1.3 suite this library implements")
        }
        guard !supportedGroups.isEmpty else { throw TLSError.invalidConfiguration("no groups configured") }
        for group in supportedGroups + keyShareGroups where !Self.implementedGroups.contains(group) {
            throw TLSError.invalidConfiguration("group \(group) is not supported yet")
        }
        guard Set(keyShareGroups).count == keyShareGroups.count else {
            throw TLSError.invalidConfiguration("duplicate key share group")
        }
        for scheme in signatureAlgorithms
        where [.rsaPKCS1SHA256, .rsaPKCS1SHA384, .rsaPKCS1SHA512, .rsaPKCS1SHA1, .ecdsaSHA1].contains(scheme) {
            throw TLSError.invalidConfiguration("\(scheme) may not be offered for CertificateVerify (RFC 8446 §4.2.3)")
        }
        guard !signatureAlgorithms.isEmpty else { throw TLSError.invalidConfiguration("no signature algorithms configured") }
        for scheme in signatureAlgorithms + certificateSignatureAlgorithms where SignatureSchemeParameters(scheme) == nil {
            throw TLSError.invalidConfiguration("signature scheme \(scheme) is not supported")
        }
        if let limit = recordSizeLimit, !(64...RecordLayer.maxPlaintext + 1).contains(limit) {
            throw TLSError.invalidConfiguration("recordSizeLimit must be 64 ... 16385 (RFC 8449), not \(limit)")
        }
        if let padding = clientHelloPadding, !(1...RecordLayer.maxPlaintext).contains(padding) {
            throw TLSError.invalidConfiguration("clientHelloPadding must be 1 ... 16384 bytes, not \(padding)")
        }
        for proto in applicationProtocols where proto.utf8.isEmpty || proto.utf8.count > 255 {
            throw TLSError.invalidConfiguration("ALPN protocol names must be 1 to 255 bytes")
        }
        let alpnBytes = applicationProtocols.reduce(0) { $0 + 1 + $1.utf8.count }
        guard alpnBytes <= 1 << 14 else {
            throw TLSError.invalidConfiguration("the ALPN list takes \(alpnBytes) bytes; at most 16384")
        }
        guard supportedGroups.count <= 64, signatureAlgorithms.count <= 64, certificateSignatureAlgorithms.count <= 64,
              cipherSuites.count <= 64
        else {
            throw TLSError.invalidConfiguration("at most 64 groups, signature algorithms or cipher suites may be listed")
        }
        if let limit = keyUpdateRecordLimit, limit < 2 {
            throw TLSError.invalidConfiguration("keyUpdateRecordLimit must be at least 2 (a KeyUpdate needs a record)")
        }
        guard maxCertificateChainLength >= 1, maxExtensionsPerMessage >= 8, maxBufferedApplicationData >= 1 << 14 else {
            throw TLSError.invalidConfiguration(
                "limits too small: chain length ≥ 1, extensions per message ≥ 8, buffered data ≥ 16 KiB")
        }
        if let psk = externalPSK, let problem = psk.problem(in: self) {
            throw TLSError.invalidConfiguration("externalPSK: \(problem)")
        }
        if let list = echConfigList {
            do throws(TLSError) {
                _ = try ECHConfigList(bytes: list)
            } catch {
                throw TLSError.invalidConfiguration("echConfigList is not a valid ECHConfigList: \(error.description)")
            }
        }
        for proto in echOuterApplicationProtocols ?? [] where proto.utf8.isEmpty || proto.utf8.count > 255 {
            throw TLSError.invalidConfiguration("echOuterApplicationProtocols: ALPN protocol names must be 1 to 255 bytes")
        }
        guard certificateDecompressors.count <= 127,
            Set(certificateDecompressors.map(\.algorithm)).count == certificateDecompressors.count
        else {
            throw TLSError.invalidConfiguration(
                "certificateDecompressors: at most 127 algorithms, each once (RFC 8879 compress_certificate)")
        }
        for decompressor in certificateDecompressors
        where decompressor.isBuiltIn && !CertificateDecompressor.supportedAlgorithms.contains(decompressor.algorithm) {
            throw TLSError.invalidConfiguration("certificate compression \(decompressor.algorithm) is not in this build")
        }
        guard (1024...0xFF_FFFF).contains(maxHandshakeMessageSize) else {
            throw TLSError.invalidConfiguration(
                "maxHandshakeMessageSize must be 1024 ... 16777215 (a handshake length is 24 bits), not \(maxHandshakeMessageSize)")
        }
    }
}
