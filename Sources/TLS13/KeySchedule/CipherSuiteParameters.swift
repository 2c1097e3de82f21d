/// What a TLS 1.3 cipher suite fixes: its hash and its AEAD.
struct CipherSuiteParameters: Sendable, Hashable {
    let suite: CipherSuite
    let hash: HashAlgorithm
    let aead: AEADAlgorithm

    /// The parameters of a suite this library implements, or `nil` for an unknown value.
    init?(_ suite: CipherSuite) {
        self.suite = suite
        switch suite {
        case .aes128GCMSHA256: (hash, aead) = (.sha256, .aes128GCM)
        case .aes256GCMSHA384: (hash, aead) = (.sha384, .aes256GCM)
        case .chacha20Poly1305SHA256: (hash, aead) = (.sha256, .chacha20Poly1305)
        case .aes128CCMSHA256: (hash, aead) = (.sha256, .aes128CCM)
        case .aes128CCM8SHA256: (hash, aead) = (.sha256, .aes128CCM8)
        default: return nil
        }
    }
}
