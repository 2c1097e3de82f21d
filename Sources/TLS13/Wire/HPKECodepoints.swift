// HPKE code points (RFC 9180 §7, IANA "Hybrid Public Key Encryption" registry), as an ECHConfig names them
// (RFC 9849 §4: `HpkeKemId`, `HpkeKdfId`, `HpkeAeadId`). Values this library does not implement still parse, so
// a config that names them can be skipped rather than rejected.

/// An HPKE KEM identifier (RFC 9180 §7.1).
struct HPKEKEMID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    var rawValue: UInt16
    init(rawValue: UInt16) { self.rawValue = rawValue }
    /// DHKEM(P-256, HKDF-SHA256).
    static let p256HKDFSHA256 = HPKEKEMID(rawValue: 0x0010)
    /// DHKEM(P-384, HKDF-SHA384).
    static let p384HKDFSHA384 = HPKEKEMID(rawValue: 0x0011)
    /// DHKEM(P-521, HKDF-SHA512).
    static let p521HKDFSHA512 = HPKEKEMID(rawValue: 0x0012)
    /// DHKEM(X25519, HKDF-SHA256): the one RFC 9849 §9 makes mandatory.
    static let x25519HKDFSHA256 = HPKEKEMID(rawValue: 0x0020)
    /// DHKEM(X448, HKDF-SHA512).
    static let x448HKDFSHA512 = HPKEKEMID(rawValue: 0x0021)

    var description: String {
        switch rawValue {
        case 0x0010: "DHKEM(P-256, HKDF-SHA256)"
        case 0x0011: "DHKEM(P-384, HKDF-SHA384)"
        case 0x0012: "DHKEM(P-521, HKDF-SHA512)"
        case 0x0020: "DHKEM(X25519, HKDF-SHA256)"
        case 0x0021: "DHKEM(X448, HKDF-SHA512)"
        default: "kem(0x\(hex16(rawValue)))"
        }
    }
}

/// An HPKE KDF identifier (RFC 9180 §7.2).
struct HPKEKDFID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    var rawValue: UInt16
    init(rawValue: UInt16) { self.rawValue = rawValue }
    static let hkdfSHA256 = HPKEKDFID(rawValue: 0x0001)
    static let hkdfSHA384 = HPKEKDFID(rawValue: 0x0002)
    static let hkdfSHA512 = HPKEKDFID(rawValue: 0x0003)

    var description: String {
        switch rawValue {
        case 0x0001: "HKDF-SHA256"
        case 0x0002: "HKDF-SHA384"
        case 0x0003: "HKDF-SHA512"
        default: "kdf(0x\(hex16(rawValue)))"
        }
    }
}

/// An HPKE AEAD identifier (RFC 9180 §7.3).
struct HPKEAEADID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    var rawValue: UInt16
    init(rawValue: UInt16) { self.rawValue = rawValue }
    static let aes128GCM = HPKEAEADID(rawValue: 0x0001)
    static let aes256GCM = HPKEAEADID(rawValue: 0x0002)
    static let chacha20Poly1305 = HPKEAEADID(rawValue: 0x0003)
    /// Export-only: no encryption (useless to ECH, which seals the ClientHelloInner).
    static let exportOnly = HPKEAEADID(rawValue: 0xFFFF)

    var description: String {
        switch rawValue {
        case 0x0001: "AES-128-GCM"
        case 0x0002: "AES-256-GCM"
        case 0x0003: "ChaCha20-Poly1305"
        case 0xFFFF: "Export-only"
        default: "aead(0x\(hex16(rawValue)))"
        }
    }
}

/// `HpkeSymmetricCipherSuite` (RFC 9849 §4): a KDF and an AEAD.
struct HPKESymmetricCipherSuite: Hashable, Sendable, CustomStringConvertible {
    var kdf: HPKEKDFID
    var aead: HPKEAEADID

    init(kdf: HPKEKDFID, aead: HPKEAEADID) {
        self.kdf = kdf
        self.aead = aead
    }

    var description: String { "\(kdf), \(aead)" }
}
