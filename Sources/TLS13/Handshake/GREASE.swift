/// GREASE (RFC 8701): reserved code points a client advertises so that servers learn to ignore values they do
/// not know. The sixteen values `0x0A0A, 0x1A1A, …, 0xFAFA` are reserved in the cipher suite, extension, named
/// group, signature scheme and version registries.
///
/// Sent only where BoringSSL (hence Chrome) has sent it for years, because only there have servers learnt to cope
/// (Docs/Security.md, "GREASE"): one cipher suite, two extensions, one version, one group with a one-byte key share.
/// Never in `signature_algorithms`: Erlang/OTP 25's server crashes on it when resuming.
///
/// One set of values is drawn per connection and kept for the second ClientHello after a HelloRetryRequest
/// (RFC 8701 §4: the client "MUST NOT change" them), so both hellos carry the same values.
struct GREASE: Equatable, Sendable {
    var cipherSuite: CipherSuite
    var group: NamedGroup
    var version: ProtocolVersion
    /// Sent with an empty body, first in the ClientHello.
    var firstExtension: ExtensionType
    /// Sent with a one-byte body, after the real extensions (before padding and pre_shared_key); never equal to
    /// ``firstExtension`` (an extension type may appear only once).
    var secondExtension: ExtensionType

    /// Whether `value` is one of the sixteen GREASE code points.
    static func isGREASE(_ value: UInt16) -> Bool {
        value & 0x0F0F == 0x0A0A && value >> 12 == (value >> 4) & 0x0F
    }

    /// The GREASE value with high nibble `index & 0x0F`: 0 → 0x0A0A, 1 → 0x1A1A, …, 15 → 0xFAFA.
    static func value(_ index: UInt8) -> UInt16 {
        let byte = UInt16(index & 0x0F) << 4 | 0x0A
        return byte << 8 | byte
    }

    /// How many random bytes ``init(random:)`` takes.
    static let randomByteCount = 5

    /// The values chosen by five random bytes.
    init(random bytes: [UInt8]) {
        precondition(bytes.count >= Self.randomByteCount, "GREASE needs five random bytes")
        cipherSuite = CipherSuite(rawValue: Self.value(bytes[0]))
        group = NamedGroup(rawValue: Self.value(bytes[1]))
        version = ProtocolVersion(rawValue: Self.value(bytes[2]))
        firstExtension = ExtensionType(rawValue: Self.value(bytes[3]))
        var second = bytes[4] & 0x0F
        if second == bytes[3] & 0x0F { second = (second + 1) & 0x0F }
        secondExtension = ExtensionType(rawValue: Self.value(second))
    }

    /// The key share sent for ``group``: one zero byte, as BoringSSL sends (RFC 8701 §3.1 lets the client send
    /// "any value" for a GREASE key share).
    static let keyShare: [UInt8] = [0]
    /// The body of ``secondExtension``.
    static let secondExtensionBody: [UInt8] = [0]
}
