import TLS13

/// One row of the `tls13 interop` matrix: what the server is restricted to, what the client offers, and
/// which flow is run. The same scenario is run against every server (column) it applies to.
struct InteropScenario: Sendable {
    /// What happens after the server is started.
    enum Flow: String, Sendable, CaseIterable {
        /// One full handshake and a line round trip.
        case handshake
        /// The client's default groups (X25519MLKEM768 + x25519 shares): no HelloRetryRequest.
        case defaultGroups
        /// The server accepts only a group the client sent no share for: a HelloRetryRequest.
        case helloRetry
        /// The server requires a client certificate; the client presents one.
        case clientAuthRequired
        /// The server asks for a client certificate; the client has none (empty Certificate).
        case clientAuthOptional
        /// A full handshake, a ticket, then a resumed (psk_dhe_ke) handshake.
        case resumption
        /// 0-RTT data with a ticket from the same server: accepted.
        case earlyDataAccepted
        /// 0-RTT data with a ticket from another server process: rejected, full handshake.
        case earlyDataRejected
        /// KeyUpdate with and without update_requested, data after each.
        case keyUpdate
        /// ALPN: the client offers h2 and http/1.1, the server accepts http/1.1.
        case alpn
        /// The client offers its default compress_certificate list; the server compresses its Certificate with
        /// ``InteropScenario/certificateCompression`` only (RFC 8879).
        case certificateCompression
        /// Encrypted Client Hello (RFC 9849) with the server's config: accepted, the server saw the inner name.
        case echAccepted
        /// ECH with a config the server has no key for: rejected, `ech_required`, then accepted with its retry configs.
        case echRejected
        /// ECH accepted across a HelloRetryRequest (the server takes P-256 only).
        case echHelloRetry
        /// A ticket from an ECH connection resumed inside ECH.
        case echResumption

        /// Whether the row is about Encrypted Client Hello (only the Go server does it).
        var isECH: Bool { [.echAccepted, .echRejected, .echHelloRetry, .echResumption].contains(self) }
    }

    /// A server certificate from Certs/ (`leaf-<name>-chain.pem`, `leaf-<name>.key`).
    enum Leaf: String, Sendable, CaseIterable {
        case ecdsaP256 = "ecdsa-p256"
        case ecdsaP384 = "ecdsa-p384"
        case ecdsaP521 = "ecdsa-p521"
        case rsa2048 = "rsa2048"
        /// An RSA-PSS key (id-RSASSA-PSS): rsa_pss_pss_* only.
        case rsaPSS = "rsa-pss"
        /// An ECDSA P-256 key whose certificate an RSA intermediate (`intermediate-rsa.pem`) signed with
        /// rsa_pkcs1_sha256: PKCS#1 v1.5 in the chain, which RFC 8446 §4.2.3 allows.
        case rsaPKCS1 = "rsa-pkcs1"
        case ed25519 = "ed25519"
        case ed448 = "ed448"

        /// The CertificateVerify schemes the server may use with this key, given the client's default offer.
        var schemes: Set<SignatureScheme> {
            switch self {
            case .ecdsaP256, .rsaPKCS1: [.ecdsaSecp256r1SHA256]
            case .ecdsaP384: [.ecdsaSecp384r1SHA384]
            case .ecdsaP521: [.ecdsaSecp521r1SHA512]
            case .rsa2048: [.rsaPSSRSAESHA256, .rsaPSSRSAESHA384, .rsaPSSRSAESHA512]
            case .rsaPSS: [.rsaPSSPSSSHA256, .rsaPSSPSSSHA384, .rsaPSSPSSSHA512]
            case .ed25519: [.ed25519]
            case .ed448: [.ed448]
            }
        }

        /// The intermediate CA certificate that issued this leaf, in Certs/.
        var intermediate: String { self == .rsaPKCS1 ? "intermediate-rsa.pem" : "intermediate.pem" }
    }

    /// Every TLS 1.3 cipher suite (RFC 8446 §B.4).
    static let suites: [CipherSuite] = [
        .aes128GCMSHA256, .aes256GCMSHA384, .chacha20Poly1305SHA256, .aes128CCMSHA256, .aes128CCM8SHA256,
    ]
    /// Every group the client implements.
    static let groups: [NamedGroup] = [
        .x25519, .secp256r1, .secp384r1, .secp521r1, .x448, .ffdhe2048, .ffdhe3072, .ffdhe4096, .x25519MLKEM768,
    ]

    /// The values the `--quick` matrix covers pairwise; every other value appears in at least one row.
    static let pairwiseSuites: [CipherSuite] = [.aes128GCMSHA256, .aes256GCMSHA384, .chacha20Poly1305SHA256]
    static let pairwiseGroups: [NamedGroup] = [.x25519, .secp256r1, .secp384r1, .x25519MLKEM768]
    static let pairwiseLeaves: [Leaf] = [.ecdsaP256, .ecdsaP384, .rsa2048, .ed25519]

    /// The row label.
    var name: String
    var flow: Flow
    var leaf: Leaf = .ecdsaP256
    /// The only suite the server accepts (checked on the client), or `nil` for the server's default.
    var suite: CipherSuite? = nil
    /// The only group the server accepts, or `nil` for the server's default.
    var serverGroup: NamedGroup? = nil
    /// The groups the client sends key shares for; `nil` keeps the client's default.
    var clientKeyShares: [NamedGroup]? = nil
    /// The client certificate stem in Certs/ (`client-ecdsa-p256`) for ``Flow/clientAuthRequired``.
    var clientCertificate: String? = nil
    /// The one algorithm the server compresses its Certificate with (``Flow/certificateCompression``).
    var certificateCompression: CertificateCompressionAlgorithm? = nil

    /// One suite × group × leaf row.
    static func handshake(_ suite: CipherSuite, _ group: NamedGroup, _ leaf: Leaf) -> InteropScenario {
        InteropScenario(name: "\(suite.shortName) · \(group.displayName) · \(leaf.rawValue)", flow: .handshake,
                        leaf: leaf, suite: suite, serverGroup: group, clientKeyShares: [group])
    }

    /// The suite × group × leaf rows: every combination (5 × 9 × 8 = 360), or (`quick`) a covering subset:
    /// the 16 rows that hold every pair of values of the common suites, groups and key types (group × leaf in
    /// full; suite = (group + leaf) mod 3 covers suite × group and suite × leaf), then rows that bring in each
    /// remaining suite, group and key type at least once.
    static func combinations(quick: Bool) -> [InteropScenario] {
        var rows: [InteropScenario] = []
        if !quick {
            for suite in suites {
                for group in groups {
                    for leaf in Leaf.allCases { rows.append(handshake(suite, group, leaf)) }
                }
            }
            return rows
        }
        for (g, group) in pairwiseGroups.enumerated() {
            for (l, leaf) in pairwiseLeaves.enumerated() {
                rows.append(handshake(pairwiseSuites[(g + l) % pairwiseSuites.count], group, leaf))
            }
        }
        let otherSuites = suites.filter { !pairwiseSuites.contains($0) }
        let otherGroups = groups.filter { !pairwiseGroups.contains($0) }
        let otherLeaves = Leaf.allCases.filter { !pairwiseLeaves.contains($0) }
        for i in 0..<max(otherSuites.count, otherGroups.count, otherLeaves.count) {
            rows.append(handshake(otherSuites[i % otherSuites.count], otherGroups[i % otherGroups.count],
                                  otherLeaves[i % otherLeaves.count]))
        }
        return rows.sorted { ($0.suiteOrder, $0.rowOrder) < ($1.suiteOrder, $1.rowOrder) }
    }

    private var suiteOrder: Int { Self.suites.firstIndex(of: suite ?? .aes128GCMSHA256) ?? 0 }

    /// Position of the group and leaf in their lists, for a stable row order.
    private var rowOrder: Int {
        let g = Self.groups.firstIndex(of: serverGroup ?? .x25519) ?? 0
        let l = Leaf.allCases.firstIndex(of: leaf) ?? 0
        return g * 100 + l
    }

    /// The flow rows. `quick` keeps one client-certificate type instead of three.
    static func flows(quick: Bool) -> [InteropScenario] {
        var rows = [
            InteropScenario(name: "default groups: no HelloRetryRequest", flow: .defaultGroups),
            InteropScenario(name: "HelloRetryRequest → P-384", flow: .helloRetry, serverGroup: .secp384r1),
            InteropScenario(name: "HelloRetryRequest → X25519MLKEM768", flow: .helloRetry,
                            serverGroup: .x25519MLKEM768, clientKeyShares: [.x25519]),
        ]
        for client in quick ? ["ecdsa-p256"] : ["ecdsa-p256", "rsa2048", "ed25519"] {
            rows.append(InteropScenario(name: "client auth required (\(client) certificate)", flow: .clientAuthRequired,
                                        clientCertificate: "client-\(client)"))
        }
        rows += [
            InteropScenario(name: "client auth optional (no certificate)", flow: .clientAuthOptional),
            InteropScenario(name: "resumption (psk_dhe_ke)", flow: .resumption),
            InteropScenario(name: "0-RTT accepted", flow: .earlyDataAccepted),
            InteropScenario(name: "0-RTT rejected (ticket of another server)", flow: .earlyDataRejected),
            InteropScenario(name: "KeyUpdate both ways", flow: .keyUpdate),
            InteropScenario(name: "ALPN h2,http/1.1 → http/1.1", flow: .alpn),
        ]
        rows += [
            InteropScenario(name: "ECH accepted", flow: .echAccepted),
            InteropScenario(name: "ECH rejected → retry configs → accepted", flow: .echRejected),
            InteropScenario(name: "ECH across a HelloRetryRequest", flow: .echHelloRetry),
            InteropScenario(name: "ECH resumption", flow: .echResumption),
        ]
        for algorithm in [CertificateCompressionAlgorithm.zlib, .brotli, .zstd] {
            rows.append(InteropScenario(name: "certificate compression → \(algorithm)", flow: .certificateCompression,
                                        leaf: .rsa2048, certificateCompression: algorithm))
        }
        return rows
    }

    /// The whole matrix, or the `--quick` one.
    static func matrix(quick: Bool) -> [InteropScenario] {
        combinations(quick: quick) + flows(quick: quick)
    }
}

extension CipherSuite {
    /// `AES_128_GCM`, `AES_256_GCM`, `CHACHA20`: short enough for a matrix row.
    var shortName: String {
        switch self {
        case .aes128GCMSHA256: "AES_128_GCM"
        case .aes256GCMSHA384: "AES_256_GCM"
        case .chacha20Poly1305SHA256: "CHACHA20"
        case .aes128CCMSHA256: "AES_128_CCM"
        case .aes128CCM8SHA256: "AES_128_CCM_8"
        default: description
        }
    }
}
