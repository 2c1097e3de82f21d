import ArgumentParser
import TLS13

/// Parsers for the comma-separated `--groups`, `--ciphers`, `--sigalgs` and `--alpn` values. An unknown name is a usage
/// error (exit 2) that lists the names accepted.
enum NameLists {
    static let groupNames = "X25519MLKEM768, x25519 (X25519), secp256r1 (P-256, prime256v1), secp384r1 (P-384), "
        + "secp521r1 (P-521), x448 (X448), ffdhe2048 ... ffdhe8192"
    static let signatureSchemeNames = "ecdsa_secp256r1_sha256 (ECDSA+SHA256), ecdsa_secp384r1_sha384, "
        + "ecdsa_secp521r1_sha512, rsa_pss_rsae_sha256/384/512, rsa_pss_pss_sha256/384/512, ed25519, ed448"
    static let cipherNames = "TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, "
        + "TLS_AES_128_CCM_SHA256, TLS_AES_128_CCM_8_SHA256 (OpenSSL-style spellings such as "
        + "AES128-GCM-SHA256 too)"

    static func groups(_ text: String) throws -> [NamedGroup] {
        try items(text, what: "group").map { name in
            guard let group = NamedGroup(name: name) else {
                throw ValidationError("unknown group '\(name)' in --groups; known: \(groupNames)")
            }
            return group
        }
    }

    /// The groups a `--groups` list sends key shares for: the first; and x25519 too when the first is
    /// X25519MLKEM768 and x25519 is listed (one X25519 key serves both shares, so a server without the hybrid
    /// picks x25519 without a HelloRetryRequest).
    static func keyShareGroups(for groups: [NamedGroup]) -> [NamedGroup] {
        guard let first = groups.first else { return [] }
        if first == .x25519MLKEM768, groups.contains(.x25519) { return [first, .x25519] }
        return [first]
    }

    static func ciphers(_ text: String) throws -> [CipherSuite] {
        try items(text, what: "cipher suite").map { name in
            guard let suite = CipherSuite(name: name) else {
                throw ValidationError("unknown TLS 1.3 cipher suite '\(name)' in --ciphers; known: \(cipherNames)")
            }
            return suite
        }
    }

    /// `--cert-compression`: `zstd`, `brotli`, `zlib` in order, or `none`.
    static func certificateCompression(_ text: String) throws -> [TLSCertificateDecompressor] {
        if text == "none" { return [] }
        let known: [String: TLSCertificateDecompressor] = ["zstd": .zstd, "brotli": .brotli, "zlib": .zlib]
        let list = try items(text, what: "algorithm").map { name in
            guard let decompressor = known[name.lowercased()] else {
                throw ValidationError("unknown certificate compression '\(name)' in --cert-compression; known: zstd, brotli, zlib, or none")
            }
            return decompressor
        }
        guard Set(list.map(\.algorithm)).count == list.count else {
            throw ValidationError("--cert-compression names an algorithm twice")
        }
        return list
    }

    static func signatureSchemes(_ text: String) throws -> [SignatureScheme] {
        try items(text, what: "signature scheme").map { name in
            guard let scheme = SignatureScheme(name: name) else {
                throw ValidationError("unknown signature scheme '\(name)' in --sigalgs; known: \(signatureSchemeNames)")
            }
            return scheme
        }
    }

    static func protocols(_ text: String) throws -> [String] {
        try items(text, what: "protocol").map { name in
            guard name.utf8.count <= 255 else {
                throw ValidationError("ALPN protocol name '\(name.prefix(20))…' is longer than 255 bytes")
            }
            return name
        }
    }

    /// The comma-separated items of `text`, trimmed; empty items are an error.
    private static func items(_ text: String, what: String) throws -> [String] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
        guard !items.contains(where: \.isEmpty) else {
            throw ValidationError("empty \(what) name in '\(text)' (write a comma-separated list)")
        }
        return items
    }
}
