// Names for code points as users type them (command-line flags, configuration files): the IANA registry names
// and the spellings OpenSSL uses, matched case-insensitively. Parsing a name only finds the code point; whether
// this library implements it is decided by `TLSClientConfiguration` when a connection starts.

extension CipherSuite {
    /// The TLS 1.3 cipher suite called `name`, matched case-insensitively.
    ///
    /// Accepted spellings, e.g. for 0x1301: the IANA name `TLS_AES_128_GCM_SHA256` (which is also OpenSSL's
    /// `-ciphersuites` name), without the prefix (`AES_128_GCM_SHA256`), with dashes and the key size run
    /// together as in OpenSSL's TLS 1.2 names (`AES128-GCM-SHA256`), and wolfSSL's `TLS13-AES128-GCM-SHA256`.
    ///
    /// - Parameter name: the suite's name.
    /// - Returns: `nil` when `name` names no TLS 1.3 cipher suite.
    public init?(name: String) {
        var key = codepointKey(name)
        for prefix in ["TLS13", "TLS"] where key.hasPrefix(prefix) {
            key.removeFirst(prefix.count)
            break
        }
        switch key {
        case "AES128GCMSHA256": self = .aes128GCMSHA256
        case "AES256GCMSHA384": self = .aes256GCMSHA384
        case "CHACHA20POLY1305SHA256": self = .chacha20Poly1305SHA256
        case "AES128CCMSHA256": self = .aes128CCMSHA256
        case "AES128CCM8SHA256": self = .aes128CCM8SHA256
        default: return nil
        }
    }
}

extension NamedGroup {
    /// The named group called `name`, matched case-insensitively.
    ///
    /// Accepted: the IANA names (`x25519`, `x448`, `secp256r1`, `secp384r1`, `secp521r1`, `ffdhe2048` …
    /// `ffdhe8192`, `X25519MLKEM768`) and OpenSSL's (`X25519`, `X448`, `P-256`, `P-384`, `P-521`, also
    /// without the dash, and `prime256v1`).
    ///
    /// - Parameter name: the group's name.
    /// - Returns: `nil` when `name` names no group in the registry subset this library knows.
    public init?(name: String) {
        switch codepointKey(name) {
        case "X25519": self = .x25519
        case "X448": self = .x448
        case "SECP256R1", "P256", "PRIME256V1": self = .secp256r1
        case "SECP384R1", "P384": self = .secp384r1
        case "SECP521R1", "P521": self = .secp521r1
        case "FFDHE2048": self = .ffdhe2048
        case "FFDHE3072": self = .ffdhe3072
        case "FFDHE4096": self = .ffdhe4096
        case "FFDHE6144": self = .ffdhe6144
        case "FFDHE8192": self = .ffdhe8192
        case "X25519MLKEM768": self = .x25519MLKEM768
        default: return nil
        }
    }

    /// The name OpenSSL prints for the group: `X25519`, `X448`, `P-256`, `P-384`, `P-521`; for the other groups
    /// the IANA name (``description``), e.g. `ffdhe2048`.
    public var displayName: String {
        switch self {
        case .x25519: "X25519"
        case .x448: "X448"
        case .secp256r1: "P-256"
        case .secp384r1: "P-384"
        case .secp521r1: "P-521"
        default: description
        }
    }
}

extension SignatureScheme {
    /// The signature scheme called `name`, matched case-insensitively.
    ///
    /// Accepted: the IANA names (`ecdsa_secp256r1_sha256`, `rsa_pss_rsae_sha256`, `rsa_pss_pss_sha256`,
    /// `ed25519`, `ed448`, `rsa_pkcs1_sha256`, …; dashes may stand for underscores) and OpenSSL's
    /// `ECDSA+SHA256`, `ECDSA+SHA384`, `ECDSA+SHA512` and `RSA+SHA256`, `RSA+SHA384`, `RSA+SHA512` (PKCS #1).
    ///
    /// - Parameter name: the scheme's name.
    /// - Returns: `nil` when `name` names no scheme this library knows.
    public init?(name: String) {
        switch codepointKey(name) {
        case "RSAPKCS1SHA256", "RSA+SHA256": self = .rsaPKCS1SHA256
        case "RSAPKCS1SHA384", "RSA+SHA384": self = .rsaPKCS1SHA384
        case "RSAPKCS1SHA512", "RSA+SHA512": self = .rsaPKCS1SHA512
        case "ECDSASECP256R1SHA256", "ECDSA+SHA256": self = .ecdsaSecp256r1SHA256
        case "ECDSASECP384R1SHA384", "ECDSA+SHA384": self = .ecdsaSecp384r1SHA384
        case "ECDSASECP521R1SHA512", "ECDSA+SHA512": self = .ecdsaSecp521r1SHA512
        case "RSAPSSRSAESHA256": self = .rsaPSSRSAESHA256
        case "RSAPSSRSAESHA384": self = .rsaPSSRSAESHA384
        case "RSAPSSRSAESHA512": self = .rsaPSSRSAESHA512
        case "ED25519": self = .ed25519
        case "ED448": self = .ed448
        case "RSAPSSPSSSHA256": self = .rsaPSSPSSSHA256
        case "RSAPSSPSSSHA384": self = .rsaPSSPSSSHA384
        case "RSAPSSPSSSHA512": self = .rsaPSSPSSSHA512
        case "RSAPKCS1SHA1": self = .rsaPKCS1SHA1
        case "ECDSASHA1": self = .ecdsaSHA1
        default: return nil
        }
    }
}

/// `name` in ASCII upper case without `_` and `-`, the form the name tables above are written in. Any other
/// character (including non-ASCII) is kept, so it can only fail to match.
private func codepointKey(_ name: String) -> String {
    var key = ""
    key.unicodeScalars.reserveCapacity(name.unicodeScalars.count)
    for scalar in name.unicodeScalars where scalar != "_" && scalar != "-" {
        if scalar.value >= 0x61 && scalar.value <= 0x7A, let upper = Unicode.Scalar(scalar.value - 0x20) {
            key.unicodeScalars.append(upper)
        } else {
            key.unicodeScalars.append(scalar)
        }
    }
    return key
}
