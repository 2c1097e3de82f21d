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

extension AEADAlgorithm {
    /// How many records one key may protect before it must be updated (RFC 8446 §5.5 for AES-GCM:
    /// 2^24.5 full-size records; RFC 9147 §4.5.3 for AES-CCM: 2^23.5; ChaCha20-Poly1305 has no practical
    /// limit within the 64-bit sequence number).
    var confidentialityRecordLimit: UInt64 {
        switch self {
        case .aes128GCM, .aes256GCM: return 23_726_566  // 2^24.5
        case .aes128CCM, .aes128CCM8: return 11_863_283  // 2^23.5
        case .chacha20Poly1305: return UInt64.max - 1
        }
    }
}
