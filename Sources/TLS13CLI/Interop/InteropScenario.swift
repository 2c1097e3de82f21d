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
    }

    /// A server certificate from Certs/ (`leaf-<name>-chain.pem`, `leaf-<name>.key`).
    enum Leaf: String, Sendable, CaseIterable {
        case ecdsaP256 = "ecdsa-p256"
        case ecdsaP384 = "ecdsa-p384"
        case rsa2048 = "rsa2048"
        case ed25519 = "ed25519"

        /// The CertificateVerify schemes the server may use with this key, given the client's default offer.
        var schemes: Set<SignatureScheme> {
            switch self {
            case .ecdsaP256: [.ecdsaSecp256r1SHA256]
            case .ecdsaP384: [.ecdsaSecp384r1SHA384]
            case .rsa2048: [.rsaPSSRSAESHA256, .rsaPSSRSAESHA384, .rsaPSSRSAESHA512]
            case .ed25519: [.ed25519]
            }
        }
    }

    static let suites: [CipherSuite] = [.aes128GCMSHA256, .aes256GCMSHA384, .chacha20Poly1305SHA256]
    static let groups: [NamedGroup] = [.x25519, .secp256r1, .secp384r1, .x25519MLKEM768]

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

    /// The suite × group × leaf rows: every combination, or (`pairwise`) the 16 rows that hold every pair of
    /// values of any two of the three (group × leaf in full; suite = (group + leaf) mod 3 covers suite ×
    /// group and suite × leaf).
    static func combinations(pairwise: Bool) -> [InteropScenario] {
        var rows: [InteropScenario] = []
        for (g, group) in groups.enumerated() {
            for (l, leaf) in Leaf.allCases.enumerated() {
                let chosen = pairwise ? [suites[(g + l) % suites.count]] : suites
                for suite in chosen {
                    rows.append(InteropScenario(
                        name: "\(suite.shortName) · \(group.displayName) · \(leaf.rawValue)", flow: .handshake,
                        leaf: leaf, suite: suite, serverGroup: group, clientKeyShares: [group]))
                }
            }
        }
        return rows.sorted { ($0.suite?.rawValue ?? 0, $0.rowOrder) < ($1.suite?.rawValue ?? 0, $1.rowOrder) }
    }

    /// Position of the group and leaf in their lists, for a stable row order.
    private var rowOrder: Int {
        let g = Self.groups.firstIndex(of: serverGroup ?? .x25519) ?? 0
        let l = Leaf.allCases.firstIndex(of: leaf) ?? 0
        return g * 10 + l
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
        return rows
    }

    /// The whole matrix, or the `--quick` one.
    static func matrix(quick: Bool) -> [InteropScenario] {
        combinations(pairwise: quick) + flows(quick: quick)
    }
}

extension CipherSuite {
    /// `AES_128_GCM`, `AES_256_GCM`, `CHACHA20`: short enough for a matrix row.
    var shortName: String {
        switch self {
        case .aes128GCMSHA256: "AES_128_GCM"
        case .aes256GCMSHA384: "AES_256_GCM"
        case .chacha20Poly1305SHA256: "CHACHA20"
        default: description
        }
    }
}
