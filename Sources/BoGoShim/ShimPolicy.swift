import TLS13

/// BoringSSL's compliance policies (`SSL_set_compliance_policy`), expressed as this library's configuration
/// of cipher suites, groups and signature algorithms (TLS 1.3 parts only; the TLS 1.2 parts do not apply).
///
/// - `fips-202205`: AES-GCM suites only; P-256 and P-384; signatures ECDSA P-256/SHA-256, P-384/SHA-384
///   and RSA-PSS with SHA-256/384/512 (no Ed25519, no P-521, no SHA-1).
/// - `wpa-202304` (WPA3 192-bit mode): TLS_AES_256_GCM_SHA384 only; P-384 only; signatures ECDSA
///   P-384/SHA-384 and RSA-PSS with SHA-384/512.
///
/// The sets are those the runner's `addCompliancePolicyTests` accepts for each policy.
enum ShimCompliancePolicy: Equatable {
    case fips202205
    case wpa202304

    var cipherSuites: [CipherSuite] {
        switch self {
        case .fips202205: [.aes128GCMSHA256, .aes256GCMSHA384]
        case .wpa202304: [.aes256GCMSHA384]
        }
    }

    var groups: [NamedGroup] {
        switch self {
        case .fips202205: [.secp256r1, .secp384r1]
        case .wpa202304: [.secp384r1]
        }
    }

    var signatureAlgorithms: [SignatureScheme] {
        switch self {
        case .fips202205:
            [.ecdsaSecp256r1SHA256, .ecdsaSecp384r1SHA384, .rsaPSSRSAESHA256, .rsaPSSRSAESHA384, .rsaPSSRSAESHA512]
        case .wpa202304:
            [.ecdsaSecp384r1SHA384, .rsaPSSRSAESHA384, .rsaPSSRSAESHA512]
        }
    }

    /// Restricts `config` to the policy. Explicit `-curves` / `-verify-prefs` lists are narrowed to it.
    func apply(to config: inout TLSClientConfiguration) {
        config.cipherSuites = config.cipherSuites.filter(cipherSuites.contains)
        let groups = config.supportedGroups.filter(self.groups.contains)
        config.supportedGroups = groups.isEmpty ? self.groups : groups
        let shares = config.keyShareGroups.filter(config.supportedGroups.contains)
        config.keyShareGroups = shares.isEmpty ? [config.supportedGroups[0]] : shares
        let schemes = config.signatureAlgorithms.filter(signatureAlgorithms.contains)
        config.signatureAlgorithms = schemes.isEmpty ? signatureAlgorithms : schemes
    }
}
