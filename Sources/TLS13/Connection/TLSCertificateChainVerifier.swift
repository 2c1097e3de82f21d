/// The library's own server-certificate verification, callable on its own: a chain, the name or IP address
/// it is for and a time in, a verdict out — with the alert and reason a handshake would fail with.
///
/// It runs exactly the checks a ``TLSConnection`` runs when the server's Certificate message arrives (see
/// `Docs/Security.md`, "Certificate checks"): a path from the leaf through the other certificates to one of the
/// trusted roots, signatures, validity at the given time (notBefore and notAfter both inclusive), the Web PKI
/// profile of the CA/Browser Forum Baseline Requirements (CA certificates, extended key usage, name
/// constraints, keys, encodings), and the name. The purpose is always a TLS server (`id-kp-serverAuth`).
///
/// ```swift
/// let verifier = try TLSCertificateChainVerifier(trustedRootsPEM: Array(rootPEM.utf8))
/// do {
///     try verifier.verify(chain: chainDER, serverName: "example.com", atSecondsSince1970: now)
/// } catch let error {
///     print(error.alert, error)  // e.g. bad_certificate: certificate for other.example does not match …
/// }
/// ```
///
/// A verifier is immutable and may be shared between threads.
public struct TLSCertificateChainVerifier: Sendable {
    /// What the leaf certificate must name.
    public enum Identity: Sendable, Hashable {
        /// A DNS name, matched against the leaf's subjectAltName dNSName entries (never the subject CN).
        case dnsName(String)
        /// An IPv4 or IPv6 literal, matched against the leaf's subjectAltName iPAddress entries.
        case ipAddress(String)
        /// No name check (the chain and the profile are still checked).
        case none
    }

    private let verifier: any CertificateVerifier

    /// The most certificates accepted in a chain, as ``TLSClientConfiguration/maxCertificateChainLength``
    /// (default 10): a longer chain is rejected with `bad_certificate` before any other check.
    public var maxCertificateChainLength: Int

    /// Trusts exactly `trustedRoots` (DER certificates); the system store is not used.
    ///
    /// - Parameter trustedRoots: the trust anchors, DER. Each must parse.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when `trustedRoots` is empty or one of them does not
    ///   parse; ``TLSError/internalError(_:)`` when libcrypto fails.
    public init(trustedRoots: [[UInt8]]) throws(TLSError) {
        guard !trustedRoots.isEmpty else { throw .invalidConfiguration("no trusted root certificate given") }
        var roots: [X509Certificate] = []
        for (index, der) in trustedRoots.enumerated() {
            do throws(TLSError) {
                roots.append(try X509Certificate(der: der))
            } catch {
                throw .invalidConfiguration("trusted root \(index) is not a DER certificate: \(error)")
            }
        }
        verifier = OpenSSLCertificateVerifier(trustStore: try X509TrustStore(certificates: roots), certificates: .shared)
        maxCertificateChainLength = 10
    }

    /// Trusts exactly the certificates of a PEM document (`-----BEGIN CERTIFICATE-----` blocks).
    ///
    /// - Parameter trustedRootsPEM: the PEM text, e.g. the bytes of a CA bundle file.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when a block is malformed or there is none.
    public init(trustedRootsPEM: [UInt8]) throws(TLSError) {
        try self.init(trustedRoots: try Self.certificates(fromPEM: trustedRootsPEM))
    }

    /// Uses the trust roots, public-key pins and chain-length limit of `configuration`, as a connection made with it
    /// would (the same shared trust store, and its verified-chain cache when
    /// ``TLSClientConfiguration/verifiedChainCacheLifetime`` is set).
    ///
    /// - Parameter configuration: ``TLSClientConfiguration/trustRoots``,
    ///   ``TLSClientConfiguration/pinnedPublicKeys``, ``TLSClientConfiguration/maxCertificateChainLength`` and
    ///   ``TLSClientConfiguration/verifiedChainCacheLifetime`` are used (chains are verified even when
    ///   ``TLSClientConfiguration/verifyCertificates`` is off).
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when the trust roots cannot be loaded.
    public init(configuration: TLSClientConfiguration) throws(TLSError) {
        var verifying = configuration
        verifying.verifyCertificates = true
        guard let verifier = try TrustStoreCache.verifier(for: verifying) else {
            throw TLSError.internalError("no verifier for a verifying configuration")
        }
        self.verifier = verifier
        maxCertificateChainLength = configuration.maxCertificateChainLength
    }

    /// What the chain is checked for. Only TLS server authentication exists: the library is a TLS client.
    public enum Purpose: Sendable, Hashable {
        /// A TLS server's certificate (`id-kp-serverAuth`, the CA/Browser Forum profile).
        case serverAuthentication
    }

    /// The verdict on `chain` for a server addressed as `serverName`, at `time`, without throwing: what a handshake
    /// would conclude about the certificate.
    ///
    /// - Parameters:
    ///   - chain: DER certificates, end-entity first (see ``verify(chain:identity:atSecondsSince1970:)``).
    ///   - serverName: the DNS name or IP literal; `nil` skips the name check.
    ///   - time: the validation time, whole seconds since 1970-01-01 UTC.
    ///   - purpose: what the certificate is for (only ``Purpose/serverAuthentication``).
    /// - Returns: ``TLSCertificateVerdict/accept``, or ``TLSCertificateVerdict/reject(alert:reason:)`` with the alert
    ///   a handshake would send (`internal_error` for a libcrypto failure, `decode_error` for an empty chain, and
    ///   `internal_error` with the reason for a name that is not a DNS name or IP literal).
    public func verdict(
        chain: [[UInt8]], serverName: String?, atSecondsSince1970 time: Int64, purpose: Purpose = .serverAuthentication
    ) -> TLSCertificateVerdict {
        do throws(TLSError) {
            try verify(chain: chain, serverName: serverName, atSecondsSince1970: time)
            return .accept
        } catch {
            return .reject(alert: error.alert ?? .internalError, reason: "\(error)")
        }
    }

    /// Verifies `chain` for `identity` at `time`.
    ///
    /// - Parameters:
    ///   - chain: DER certificates as a server sends them: the end-entity certificate first, then any
    ///     intermediates in any order (unrelated extras are ignored; trust comes only from the roots).
    ///   - identity: the name the leaf must carry.
    ///   - time: the validation time, whole seconds since 1970-01-01 UTC (round a fractional time down).
    /// - Throws: ``TLSError/certificateRejected(alert:reason:)`` with the alert a handshake would send and a
    ///   one-line reason naming the certificate and the rule at fault; ``TLSError/decode(reason:alert:)`` for
    ///   an empty chain; ``TLSError/invalidConfiguration(_:)`` for a name or address that is not a plain DNS
    ///   name or IP literal; ``TLSError/internalError(_:)`` when libcrypto fails.
    public func verify(chain: [[UInt8]], identity: Identity, atSecondsSince1970 time: Int64) throws(TLSError) {
        guard chain.count <= maxCertificateChainLength else {
            // The same error a handshake fails with (ClientStateMachine, Certificate message).
            throw TLSError.certificateRejected(
                alert: .badCertificate,
                reason: "chain of \(chain.count) certificates exceeds the limit of \(maxCertificateChainLength)")
        }
        switch identity {
        case .dnsName(let name):
            try verifier.verify(chain: chain, hostname: name, ipAddress: nil, now: time)
        case .ipAddress(let address):
            try verifier.verify(chain: chain, hostname: nil, ipAddress: address, now: time)
        case .none:
            try verifier.verify(chain: chain, hostname: nil, ipAddress: nil, now: time)
        }
    }

    /// Verifies `chain` for a server addressed as `serverName`: an IPv4 or IPv6 literal is matched as an IP
    /// address, anything else as a DNS name — as ``TLSConnection`` decides for the host it connects to.
    ///
    /// - Parameters:
    ///   - chain: DER certificates, end-entity first (see ``verify(chain:identity:atSecondsSince1970:)``).
    ///   - serverName: the DNS name or IP literal; `nil` skips the name check.
    ///   - time: the validation time, whole seconds since 1970-01-01 UTC.
    /// - Throws: as ``verify(chain:identity:atSecondsSince1970:)``.
    public func verify(chain: [[UInt8]], serverName: String?, atSecondsSince1970 time: Int64) throws(TLSError) {
        try verify(chain: chain, identity: Self.identity(for: serverName), atSecondsSince1970: time)
    }

    /// How ``verify(chain:serverName:atSecondsSince1970:)`` reads a server name.
    ///
    /// - Parameter serverName: a DNS name or IP literal, or `nil`.
    /// - Returns: ``Identity/ipAddress(_:)`` for an IPv4 or IPv6 literal, ``Identity/dnsName(_:)`` otherwise,
    ///   ``Identity/none`` for `nil`.
    public static func identity(for serverName: String?) -> Identity {
        guard let serverName else { return .none }
        return Endpoint.isIPv4Literal(serverName) || Endpoint.isIPv6Literal(serverName)
            ? .ipAddress(serverName) : .dnsName(serverName)
    }

    /// The DER certificates of a PEM document, in order (text between blocks is ignored).
    ///
    /// - Parameter pem: PEM text with one or more `-----BEGIN CERTIFICATE-----` blocks.
    /// - Returns: each certificate's DER encoding.
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when a block is malformed or there is none.
    public static func certificates(fromPEM pem: [UInt8]) throws(TLSError) -> [[UInt8]] {
        // Decoded here rather than through libcrypto's PEM reader, which would re-encode each certificate:
        // the bytes must be exactly the ones in the document.
        let text = String(decoding: pem, as: UTF8.self)
        let begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----"
        var result: [[UInt8]] = []
        var body: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingSpaces
            if line == begin {
                guard body == nil else { throw .invalidConfiguration("PEM block inside a PEM block") }
                body = ""
            } else if line == end {
                guard let encoded = body else { throw .invalidConfiguration("PEM END line without BEGIN") }
                guard let der = Base64.decode(encoded), !der.isEmpty else {
                    throw .invalidConfiguration("malformed base64 in PEM certificate \(result.count)")
                }
                result.append(der)
                body = nil
            } else if body != nil {
                body? += line
            }
        }
        guard body == nil else { throw .invalidConfiguration("PEM certificate without END line") }
        guard !result.isEmpty else { throw .invalidConfiguration("no PEM certificate found") }
        return result
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
