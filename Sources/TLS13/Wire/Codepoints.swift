// RFC 8446 code points. Each registry is a struct over the raw integer with named static values, so
// values this library does not know still parse (and are skipped or rejected as the RFC says).

/// TLS record content type (RFC 8446 §5.1).
struct ContentType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    var rawValue: UInt8
    init(rawValue: UInt8) { self.rawValue = rawValue }
    static let invalid = ContentType(rawValue: 0)
    static let changeCipherSpec = ContentType(rawValue: 20)
    static let alert = ContentType(rawValue: 21)
    static let handshake = ContentType(rawValue: 22)
    static let applicationData = ContentType(rawValue: 23)
    var description: String {
        switch rawValue {
        case 0: "invalid"
        case 20: "change_cipher_spec"
        case 21: "alert"
        case 22: "handshake"
        case 23: "application_data"
        default: "content_type(\(rawValue))"
        }
    }
}

/// Handshake message type (RFC 8446 §4).
struct HandshakeType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    var rawValue: UInt8
    init(rawValue: UInt8) { self.rawValue = rawValue }
    static let clientHello = HandshakeType(rawValue: 1)
    static let serverHello = HandshakeType(rawValue: 2)
    static let newSessionTicket = HandshakeType(rawValue: 4)
    static let endOfEarlyData = HandshakeType(rawValue: 5)
    static let encryptedExtensions = HandshakeType(rawValue: 8)
    static let certificate = HandshakeType(rawValue: 11)
    static let certificateRequest = HandshakeType(rawValue: 13)
    static let certificateVerify = HandshakeType(rawValue: 15)
    static let finished = HandshakeType(rawValue: 20)
    static let keyUpdate = HandshakeType(rawValue: 24)
    /// Synthetic message replacing ClientHello1 in the transcript after a HelloRetryRequest (§4.4.1).
    static let messageHash = HandshakeType(rawValue: 254)
    var description: String {
        switch rawValue {
        case 1: "client_hello"
        case 2: "server_hello"
        case 4: "new_session_ticket"
        case 5: "end_of_early_data"
        case 8: "encrypted_extensions"
        case 11: "certificate"
        case 13: "certificate_request"
        case 15: "certificate_verify"
        case 20: "finished"
        case 24: "key_update"
        case 254: "message_hash"
        default: "handshake_type(\(rawValue))"
        }
    }
}

/// TLS protocol version (legacy_version fields and supported_versions).
public struct ProtocolVersion: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code point on the wire.
    public var rawValue: UInt16
    /// The value for a code point (any value: unknown ones are kept, and named by their number).
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// TLS 1.0 (0x0301): the legacy record version of a first ClientHello.
    public static let tls10 = ProtocolVersion(rawValue: 0x0301)
    /// TLS 1.1 (0x0302).
    public static let tls11 = ProtocolVersion(rawValue: 0x0302)
    /// TLS 1.2 (0x0303): the legacy_version every TLS 1.3 message carries.
    public static let tls12 = ProtocolVersion(rawValue: 0x0303)
    /// TLS 1.3 (0x0304).
    public static let tls13 = ProtocolVersion(rawValue: 0x0304)
    /// The version's name, e.g. `TLSv1.3`.
    public var description: String {
        switch rawValue {
        case 0x0301: "TLSv1"
        case 0x0302: "TLSv1.1"
        case 0x0303: "TLSv1.2"
        case 0x0304: "TLSv1.3"
        default: "version(0x\(hex16(rawValue)))"
        }
    }
}

/// Extension type (RFC 8446 §4.2 and the IANA registry).
struct ExtensionType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    var rawValue: UInt16
    init(rawValue: UInt16) { self.rawValue = rawValue }
    static let serverName = ExtensionType(rawValue: 0)
    static let maxFragmentLength = ExtensionType(rawValue: 1)
    static let statusRequest = ExtensionType(rawValue: 5)
    static let supportedGroups = ExtensionType(rawValue: 10)
    static let ecPointFormats = ExtensionType(rawValue: 11)
    static let signatureAlgorithms = ExtensionType(rawValue: 13)
    static let useSRTP = ExtensionType(rawValue: 14)
    static let heartbeat = ExtensionType(rawValue: 15)
    static let applicationLayerProtocolNegotiation = ExtensionType(rawValue: 16)
    static let signedCertificateTimestamp = ExtensionType(rawValue: 18)
    static let clientCertificateType = ExtensionType(rawValue: 19)
    static let serverCertificateType = ExtensionType(rawValue: 20)
    static let padding = ExtensionType(rawValue: 21)
    static let encryptThenMAC = ExtensionType(rawValue: 22)
    static let extendedMasterSecret = ExtensionType(rawValue: 23)
    static let recordSizeLimit = ExtensionType(rawValue: 28)
    static let sessionTicket = ExtensionType(rawValue: 35)
    static let preSharedKey = ExtensionType(rawValue: 41)
    static let earlyData = ExtensionType(rawValue: 42)
    static let supportedVersions = ExtensionType(rawValue: 43)
    static let cookie = ExtensionType(rawValue: 44)
    static let pskKeyExchangeModes = ExtensionType(rawValue: 45)
    static let certificateAuthorities = ExtensionType(rawValue: 47)
    static let oidFilters = ExtensionType(rawValue: 48)
    static let postHandshakeAuth = ExtensionType(rawValue: 49)
    static let signatureAlgorithmsCert = ExtensionType(rawValue: 50)
    static let keyShare = ExtensionType(rawValue: 51)
    static let renegotiationInfo = ExtensionType(rawValue: 0xff01)

    var description: String {
        switch rawValue {
        case 0: "server_name"
        case 1: "max_fragment_length"
        case 5: "status_request"
        case 10: "supported_groups"
        case 11: "ec_point_formats"
        case 13: "signature_algorithms"
        case 14: "use_srtp"
        case 15: "heartbeat"
        case 16: "application_layer_protocol_negotiation"
        case 18: "signed_certificate_timestamp"
        case 19: "client_certificate_type"
        case 20: "server_certificate_type"
        case 21: "padding"
        case 22: "encrypt_then_mac"
        case 23: "extended_master_secret"
        case 28: "record_size_limit"
        case 35: "session_ticket"
        case 41: "pre_shared_key"
        case 42: "early_data"
        case 43: "supported_versions"
        case 44: "cookie"
        case 45: "psk_key_exchange_modes"
        case 47: "certificate_authorities"
        case 48: "oid_filters"
        case 49: "post_handshake_auth"
        case 50: "signature_algorithms_cert"
        case 51: "key_share"
        case 0xff01: "renegotiation_info"
        default: "extension(\(rawValue))"
        }
    }
}

/// TLS 1.3 cipher suite (RFC 8446 §B.4).
public struct CipherSuite: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code point on the wire.
    public var rawValue: UInt16
    /// The value for a code point (any value: unknown ones are kept, and named by their number).
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// `TLS_AES_128_GCM_SHA256` (0x1301), offered first by default.
    public static let aes128GCMSHA256 = CipherSuite(rawValue: 0x1301)
    /// `TLS_AES_256_GCM_SHA384` (0x1302).
    public static let aes256GCMSHA384 = CipherSuite(rawValue: 0x1302)
    /// `TLS_CHACHA20_POLY1305_SHA256` (0x1303).
    public static let chacha20Poly1305SHA256 = CipherSuite(rawValue: 0x1303)
    /// `TLS_AES_128_CCM_SHA256` (0x1304): implemented, offered only when configured.
    public static let aes128CCMSHA256 = CipherSuite(rawValue: 0x1304)
    /// `TLS_AES_128_CCM_8_SHA256` (0x1305): an 8-byte tag, for constrained devices; offered only when configured.
    public static let aes128CCM8SHA256 = CipherSuite(rawValue: 0x1305)

    /// The IANA name, e.g. `TLS_AES_128_GCM_SHA256`.
    public var description: String {
        switch rawValue {
        case 0x1301: "TLS_AES_128_GCM_SHA256"
        case 0x1302: "TLS_AES_256_GCM_SHA384"
        case 0x1303: "TLS_CHACHA20_POLY1305_SHA256"
        case 0x1304: "TLS_AES_128_CCM_SHA256"
        case 0x1305: "TLS_AES_128_CCM_8_SHA256"
        default: "cipher_suite(0x\(hex16(rawValue)))"
        }
    }
}

/// Named group for key exchange (RFC 8446 §4.2.7).
public struct NamedGroup: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code point on the wire.
    public var rawValue: UInt16
    /// The value for a code point (any value: unknown ones are kept, and named by their number).
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// `secp256r1` (NIST P-256, 0x0017).
    public static let secp256r1 = NamedGroup(rawValue: 0x0017)
    /// `secp384r1` (NIST P-384, 0x0018).
    public static let secp384r1 = NamedGroup(rawValue: 0x0018)
    /// `secp521r1` (NIST P-521, 0x0019).
    public static let secp521r1 = NamedGroup(rawValue: 0x0019)
    /// `x25519` (0x001D).
    public static let x25519 = NamedGroup(rawValue: 0x001D)
    /// `x448` (0x001E).
    public static let x448 = NamedGroup(rawValue: 0x001E)
    /// `ffdhe2048` (RFC 7919, 0x0100): implemented, offered only when configured.
    public static let ffdhe2048 = NamedGroup(rawValue: 0x0100)
    /// `ffdhe3072` (RFC 7919, 0x0101): implemented, offered only when configured.
    public static let ffdhe3072 = NamedGroup(rawValue: 0x0101)
    /// `ffdhe4096` (RFC 7919, 0x0102): implemented, offered only when configured.
    public static let ffdhe4096 = NamedGroup(rawValue: 0x0102)
    /// `ffdhe6144` (RFC 7919, 0x0103): not implemented (a name for the code point).
    public static let ffdhe6144 = NamedGroup(rawValue: 0x0103)
    /// `ffdhe8192` (RFC 7919, 0x0104): not implemented (a name for the code point).
    public static let ffdhe8192 = NamedGroup(rawValue: 0x0104)
    /// `X25519MLKEM768` (0x11EC): the post-quantum hybrid of X25519 and ML-KEM-768, offered first by default.
    public static let x25519MLKEM768 = NamedGroup(rawValue: 0x11EC)

    /// The IANA name, e.g. `x25519`, `secp256r1`.
    public var description: String {
        switch rawValue {
        case 0x0017: "secp256r1"
        case 0x0018: "secp384r1"
        case 0x0019: "secp521r1"
        case 0x001D: "x25519"
        case 0x001E: "x448"
        case 0x0100: "ffdhe2048"
        case 0x0101: "ffdhe3072"
        case 0x0102: "ffdhe4096"
        case 0x0103: "ffdhe6144"
        case 0x0104: "ffdhe8192"
        case 0x11EC: "X25519MLKEM768"
        default: "group(0x\(hex16(rawValue)))"
        }
    }
}

/// Signature scheme (RFC 8446 §4.2.3).
public struct SignatureScheme: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code point on the wire.
    public var rawValue: UInt16
    /// The value for a code point (any value: unknown ones are kept, and named by their number).
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// `rsa_pkcs1_sha256` (0x0401): in certificates only, never in CertificateVerify.
    public static let rsaPKCS1SHA256 = SignatureScheme(rawValue: 0x0401)
    /// `rsa_pkcs1_sha384` (0x0501): in certificates only, never in CertificateVerify.
    public static let rsaPKCS1SHA384 = SignatureScheme(rawValue: 0x0501)
    /// `rsa_pkcs1_sha512` (0x0601): in certificates only, never in CertificateVerify.
    public static let rsaPKCS1SHA512 = SignatureScheme(rawValue: 0x0601)
    /// `ecdsa_secp256r1_sha256` (0x0403).
    public static let ecdsaSecp256r1SHA256 = SignatureScheme(rawValue: 0x0403)
    /// `ecdsa_secp384r1_sha384` (0x0503).
    public static let ecdsaSecp384r1SHA384 = SignatureScheme(rawValue: 0x0503)
    /// `ecdsa_secp521r1_sha512` (0x0603).
    public static let ecdsaSecp521r1SHA512 = SignatureScheme(rawValue: 0x0603)
    /// `rsa_pss_rsae_sha256` (0x0804): RSA-PSS with an rsaEncryption key.
    public static let rsaPSSRSAESHA256 = SignatureScheme(rawValue: 0x0804)
    /// `rsa_pss_rsae_sha384` (0x0805).
    public static let rsaPSSRSAESHA384 = SignatureScheme(rawValue: 0x0805)
    /// `rsa_pss_rsae_sha512` (0x0806).
    public static let rsaPSSRSAESHA512 = SignatureScheme(rawValue: 0x0806)
    /// `ed25519` (0x0807).
    public static let ed25519 = SignatureScheme(rawValue: 0x0807)
    /// `ed448` (0x0808).
    public static let ed448 = SignatureScheme(rawValue: 0x0808)
    /// `rsa_pss_pss_sha256` (0x0809): RSA-PSS with an id-RSASSA-PSS key.
    public static let rsaPSSPSSSHA256 = SignatureScheme(rawValue: 0x0809)
    /// `rsa_pss_pss_sha384` (0x080A).
    public static let rsaPSSPSSSHA384 = SignatureScheme(rawValue: 0x080A)
    /// `rsa_pss_pss_sha512` (0x080B).
    public static let rsaPSSPSSSHA512 = SignatureScheme(rawValue: 0x080B)
    /// `rsa_pkcs1_sha1` (0x0201): legacy; never accepted in TLS 1.3 CertificateVerify.
    public static let rsaPKCS1SHA1 = SignatureScheme(rawValue: 0x0201)
    /// `ecdsa_sha1` (0x0203): legacy; never accepted in TLS 1.3 CertificateVerify.
    public static let ecdsaSHA1 = SignatureScheme(rawValue: 0x0203)

    /// The IANA name, e.g. `ecdsa_secp256r1_sha256`.
    public var description: String {
        switch rawValue {
        case 0x0401: "rsa_pkcs1_sha256"
        case 0x0501: "rsa_pkcs1_sha384"
        case 0x0601: "rsa_pkcs1_sha512"
        case 0x0403: "ecdsa_secp256r1_sha256"
        case 0x0503: "ecdsa_secp384r1_sha384"
        case 0x0603: "ecdsa_secp521r1_sha512"
        case 0x0804: "rsa_pss_rsae_sha256"
        case 0x0805: "rsa_pss_rsae_sha384"
        case 0x0806: "rsa_pss_rsae_sha512"
        case 0x0807: "ed25519"
        case 0x0808: "ed448"
        case 0x0809: "rsa_pss_pss_sha256"
        case 0x080A: "rsa_pss_pss_sha384"
        case 0x080B: "rsa_pss_pss_sha512"
        case 0x0201: "rsa_pkcs1_sha1"
        case 0x0203: "ecdsa_sha1"
        default: "signature_scheme(0x\(hex16(rawValue)))"
        }
    }
}

/// PSK key exchange mode (RFC 8446 §4.2.9).
struct PSKKeyExchangeMode: RawRepresentable, Hashable, Sendable {
    var rawValue: UInt8
    init(rawValue: UInt8) { self.rawValue = rawValue }
    static let pskKE = PSKKeyExchangeMode(rawValue: 0)
    static let pskDHEKE = PSKKeyExchangeMode(rawValue: 1)
}

/// KeyUpdate request (RFC 8446 §4.6.3).
struct KeyUpdateRequest: RawRepresentable, Hashable, Sendable {
    var rawValue: UInt8
    init(rawValue: UInt8) { self.rawValue = rawValue }
    static let updateNotRequested = KeyUpdateRequest(rawValue: 0)
    static let updateRequested = KeyUpdateRequest(rawValue: 1)
}

/// Certificate type (RFC 7250 registry, used in CertificateEntry).
struct CertificateType: RawRepresentable, Hashable, Sendable {
    var rawValue: UInt8
    static let x509 = CertificateType(rawValue: 0)
    static let rawPublicKey = CertificateType(rawValue: 2)
}

func hex16(_ v: UInt16) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(v >> 12) & 0xF], digits[Int(v >> 8) & 0xF], digits[Int(v >> 4) & 0xF], digits[Int(v) & 0xF]])
}
