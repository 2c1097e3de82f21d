/// What was negotiated, for the connection's properties and the CLI summary.
public struct TLSSessionInfo: Sendable, Hashable {
    /// Always TLS 1.3 for an established connection.
    public var protocolVersion: ProtocolVersion = .tls13
    /// The cipher suite the server selected.
    public var cipherSuite: CipherSuite = CipherSuite(rawValue: 0)
    /// The key exchange group, or `nil` for a PSK-only handshake.
    public var group: NamedGroup?
    /// The server's CertificateVerify signature scheme, or `nil` when the server did not authenticate
    /// with a certificate (resumption).
    public var signatureScheme: SignatureScheme?
    /// The ALPN protocol the server selected, if any.
    public var applicationProtocol: String?
    /// The server's certificate chain as sent, DER, end-entity first (on a resumed connection, the session's).
    public var peerCertificates: [[UInt8]] = []
    /// Whether the server answered the first ClientHello with a HelloRetryRequest.
    public var usedHelloRetryRequest = false
    /// Whether the chain and name were verified (`false` only with certificate verification disabled).
    public var certificateVerified = false
    /// Whether the server accepted the configured external PSK (``TLSClientConfiguration/externalPSK``): it sent no
    /// certificate and is authenticated by the key alone (``resumed`` stays `false`, ``certificateVerified`` too).
    public var externalPSK = false
    /// Whether the session was resumed with a PSK. The server then sends no certificate: ``peerCertificates``,
    /// ``certificateVerified`` and ``ocspStatus`` are the session's chain and staple as checked again, under this
    /// connection's configuration, before the session was offered.
    public var resumed = false
    /// Why a session given to `connect` (or found in ``TLSClientConfiguration/sessionCache``) was not offered,
    /// making the handshake a full one: expired, issued for another server name, no offered suite with its hash, or
    /// its certificate chain is not accepted now (the reason names the check that failed). `nil` when a session
    /// was offered or there was none.
    public var sessionNotOfferedReason: String?
    /// What happened to 0-RTT data.
    public var earlyData: TLSEarlyDataStatus = .notSent
    /// Why early data was or was not sent, and the server's answer to it.
    public var earlyDataReason: TLSEarlyDataReason = .notRequested
    /// Whether the server asked for a client certificate (in the handshake or after it).
    public var clientCertificateRequested = false
    /// The signature schemes the server's (latest) CertificateRequest accepts in the client's CertificateVerify
    /// (its signature_algorithms, in the server's order); empty when no certificate was requested.
    public var certificateRequestSignatureAlgorithms: [SignatureScheme] = []
    /// The DER X.501 DistinguishedNames of the CAs the server's (latest) CertificateRequest named
    /// (certificate_authorities, RFC 8446 §4.2.4), in its order; empty when it named none.
    public var certificateRequestAuthorities: [[UInt8]] = []
    /// Whether the client authenticated with its certificate (in the handshake or after it).
    public var clientCertificateSent = false
    /// What the server's stapled OCSP response said about its certificate.
    public var ocspStatus: TLSOCSPStatus = .notRequested
    /// The OCSP response (DER `OCSPResponse`, as stapled in the leaf's status_request extension) exactly as
    /// received, whether or not it was checked (see ``ocspStatus``); `nil` when none arrived. A resumed
    /// connection (with stapling requested) reports the response of the handshake that created its session.
    public var ocspResponse: [UInt8]?
    /// The leaf's SignedCertificateTimestampList (RFC 6962 §3.3: the extension body, framing checked, SCTs
    /// not verified) when ``TLSClientConfiguration/requestSignedCertificateTimestamps`` is on and the server
    /// sent one; otherwise `nil`. A resumed connection (with SCTs requested) reports the list of the handshake
    /// that created its session.
    public var signedCertificateTimestamps: [UInt8]?
    /// The record_size_limit the server announced (RFC 8449), or `nil` when it sent none. The client's records
    /// then carry at most this many bytes of TLSInnerPlaintext.
    public var peerRecordSizeLimit: Int?
    /// How the server's Certificate came, when it came compressed (RFC 8879); `nil` when it came uncompressed or
    /// not at all (resumption).
    public var certificateCompression: TLSCertificateCompressionInfo?
    /// What became of Encrypted Client Hello (RFC 9849). An established connection says ``TLSECHStatus/accepted(publicName:)``,
    /// ``TLSECHStatus/grease`` or ``TLSECHStatus/notOffered``: a rejected offer never completes (the handshake ends
    /// with ``TLSError/echRejected(publicName:retryConfigs:)``).
    public var ech: TLSECHStatus = .notOffered

    /// Nothing negotiated yet (the library fills it in; public for tests).
    public init() {}
}

/// What became of Encrypted Client Hello (RFC 9849) on a connection.
public enum TLSECHStatus: Sendable, Hashable, CustomStringConvertible {
    /// No ECH extension was sent (no config, and GREASE ECH off or not applicable).
    case notOffered
    /// A GREASE ECH extension was sent (RFC 9849 §6.2): no usable config, nothing hidden.
    case grease
    /// The server accepted ECH: the handshake ran on the encrypted ClientHelloInner (the real server name), and
    /// ClientHelloOuter showed `publicName`.
    case accepted(publicName: String)
    /// The server rejected ECH and authenticated as `publicName`: the connection is not used (it fails with
    /// ``TLSError/echRejected(publicName:retryConfigs:)``).
    case rejected(publicName: String)

    /// `accepted (public name …)`, `rejected (public name …)`, `not offered`, `GREASE`: the CLI's summary value.
    public var description: String {
        switch self {
        case .notOffered: "not offered"
        case .grease: "GREASE"
        case .accepted(let name): "accepted (public name \(name))"
        case .rejected(let name): "rejected (public name \(name))"
        }
    }
}

/// A server Certificate that came as a CompressedCertificate (RFC 8879).
public struct TLSCertificateCompressionInfo: Sendable, Hashable {
    /// The algorithm the server compressed it with (one the client offered).
    public var algorithm: CertificateCompressionAlgorithm
    /// The CompressedCertificate message's `compressed_certificate_message`, in bytes.
    public var compressedLength: Int
    /// The Certificate message body it decompressed to, in bytes.
    public var uncompressedLength: Int

    /// The facts of one compressed Certificate (the library fills ``TLSSessionInfo/certificateCompression``).
    public init(algorithm: CertificateCompressionAlgorithm, compressedLength: Int, uncompressedLength: Int) {
        self.algorithm = algorithm
        self.compressedLength = compressedLength
        self.uncompressedLength = uncompressedLength
    }
}

/// What happened to 0-RTT early data on a connection.
public enum TLSEarlyDataStatus: String, Sendable, Hashable {
    /// No early data was sent (none given, or the session did not allow it).
    case notSent = "not sent"
    /// The server accepted the early data.
    case accepted
    /// The server rejected it; it was not delivered (it is resent after the handshake only on request).
    case rejected
}
