/// What the client's handshake is given rather than decides: the verifiers, randomness, key shares, the clock, the
/// ClientHello layout, the certificate cache, and where the trace goes. The connection layer supplies the real ones;
/// tests and fuzzers inject fixed or permissive ones through the same seams.
extension ClientStateMachine {
    /// The checks the handshake makes that are not pure protocol logic.
    struct Dependencies {
        /// Verifies the chain and name; `nil` skips both (`--insecure`), never the CertificateVerify signature.
        var certificateVerifier: CertificateVerifier?
        var signatureVerifier: SignatureVerifier
        var random: RandomSource
        /// Creates a key share for a group (tests inject fixed private keys).
        var makeKeyShare: (NamedGroup) throws(TLSError) -> KeyShare
        /// Parsed certificates: the server's leaf (its keyUsage, the CertificateVerify signature) and the trace's
        /// description of the chain. The connection layer passes the process-wide one (`CertificateCache.shared`).
        var certificateCache: CertificateCache
        /// Lays out the ClientHellos from what the handshake put in them.
        var clientHelloBuilder: any ClientHelloBuilder
        /// Seconds since 1970-01-01 UTC: certificate validity is checked at this time.
        var now: Int64
        /// Milliseconds since 1970-01-01 UTC, read when a ticket arrives and when one is offered (ticket
        /// age). `nil` uses ``now``.
        var clockMilliseconds: (@Sendable () -> Int64)?
        /// Receives the trace (``TLSEvent``) as things happen; `nil` (no listener): nothing is built.
        var tracer: ((TLSEvent) -> Void)?
        /// A monotonic clock in nanoseconds, for the crypto step timings of the trace (only read when tracing).
        var monotonicNanoseconds: (() -> Int64)?
        /// Whether key-schedule events carry the secret's value (``TLSClientConfiguration/traceIncludesSecrets``).
        var traceIncludesSecrets: Bool
        /// The group this server chose last time (``TLSKeyShareHints``, looked up by the connection layer): the
        /// first ClientHello sends only its share while the configuration offers it.
        var keyShareHint: NamedGroup? = nil

        /// - Parameters:
        ///   - signatureVerifier: `nil`: libcrypto's, parsing through `certificateCache`.
        ///   - certificateCache: `nil`: a small cache of this handshake's own.
        init(
            certificateVerifier: CertificateVerifier?, signatureVerifier: SignatureVerifier? = nil,
            random: RandomSource = SystemRandom(),
            makeKeyShare: @escaping (NamedGroup) throws(TLSError) -> KeyShare = { (group) throws(TLSError) in
                try TLS13.makeKeyShare(group: group)
            },
            certificateCache: CertificateCache? = nil,
            clientHelloBuilder: any ClientHelloBuilder = StandardClientHelloBuilder(),
            now: Int64, clockMilliseconds: (@Sendable () -> Int64)? = nil, tracer: ((TLSEvent) -> Void)? = nil,
            monotonicNanoseconds: (() -> Int64)? = nil, traceIncludesSecrets: Bool = false
        ) {
            let cache = certificateCache ?? CertificateCache(capacity: 16)
            self.certificateVerifier = certificateVerifier
            self.signatureVerifier = signatureVerifier ?? OpenSSLSignatureVerifier(certificates: cache)
            self.random = random
            self.makeKeyShare = makeKeyShare
            self.certificateCache = cache
            self.clientHelloBuilder = clientHelloBuilder
            self.now = now
            self.clockMilliseconds = clockMilliseconds
            self.tracer = tracer
            self.monotonicNanoseconds = monotonicNanoseconds
            self.traceIncludesSecrets = traceIncludesSecrets
        }

        var nowMilliseconds: Int64 { clockMilliseconds?() ?? now.multipliedReportingOverflow(by: 1000).partialValue }
    }

    /// The name the server is addressed by.
    enum ServerIdentity: Equatable {
        /// A DNS name: sent as SNI and matched against the certificate's DNS names.
        case dnsName(String)
        /// An IP literal: no SNI; matched against the certificate's IP addresses.
        case ipAddress(String)
        /// No name: no SNI and no name check (tests, or a caller that checks the name itself).
        case none

        /// The server name as sessions record it.
        var sessionName: String {
            switch self {
            case .dnsName(let name), .ipAddress(let name): name
            case .none: ""
            }
        }
    }
}
