// Encrypted Client Hello configurations (RFC 9849 §4): what a server publishes (in DNS, RFC 9848) or sends back as
// `retry_configs`, and what the client encrypts its ClientHelloInner to.
//
// Parsing is strict about syntax — every length is checked and a malformed list is `decode_error` (RFC 9849 §6.1.6:
// "the client MUST check that it is syntactically valid and ... abort the connection with a "decode_error" alert
// otherwise") — and lenient about meaning: a config of an unknown version, with an unsupported mandatory extension,
// an unsupported KEM or cipher suite, or a public_name that is not a host name is kept but never selected, as §4,
// §4.2 and §6.1.7 say ("Clients MUST ignore ...", "SHOULD ignore ...").

/// One ECHConfig of version 0xfe0d (RFC 9849 §4).
///
/// ```
/// struct {
///     uint8 config_id;
///     HpkeKemId kem_id;
///     HpkePublicKey public_key;                             // <1..2^16-1>
///     HpkeSymmetricCipherSuite cipher_suites<4..2^16-4>;
/// } HpkeKeyConfig;
///
/// struct {
///     HpkeKeyConfig key_config;
///     uint8 maximum_name_length;
///     opaque public_name<1..255>;
///     ECHConfigExtension extensions<0..2^16-1>;
/// } ECHConfigContents;
///
/// struct { uint16 version; uint16 length; ECHConfigContents contents; } ECHConfig;
/// ```
struct ECHConfig: Hashable, Sendable {
    /// An `ECHConfigExtension` (RFC 9849 §4.2): a type and opaque data; a type with the high bit set is mandatory.
    struct Extension: Hashable, Sendable {
        var type: UInt16
        var data: [UInt8]

        init(type: UInt16, data: [UInt8]) {
            self.type = type
            self.data = data
        }

        /// "an extension can be tagged as mandatory by using an extension type codepoint with the high order bit
        /// set to 1" (§4.2).
        var isMandatory: Bool { type & 0x8000 != 0 }
    }

    /// The version this library implements: the code point of `encrypted_client_hello` (RFC 9849 §4).
    static let version: UInt16 = 0xfe0d

    var configID: UInt8
    var kemID: HPKEKEMID
    /// The server's HPKE public key, serialized as the KEM says (`SerializePublicKey`).
    var publicKey: [UInt8]
    /// The KDF/AEAD pairs the client may choose from, in the server's order.
    var cipherSuites: [HPKESymmetricCipherSuite]
    /// The longest name of a backend server, or 0 if unknown: sizes the padding (§6.1.3).
    var maximumNameLength: UInt8
    /// The client-facing server's DNS name: the outer SNI, and the name a rejection is authenticated for (§6.1.7).
    var publicName: [UInt8]
    var extensions: [Extension]

    init(
        configID: UInt8, kemID: HPKEKEMID, publicKey: [UInt8], cipherSuites: [HPKESymmetricCipherSuite],
        maximumNameLength: UInt8, publicName: [UInt8], extensions: [Extension] = []
    ) {
        self.configID = configID
        self.kemID = kemID
        self.publicKey = publicKey
        self.cipherSuites = cipherSuites
        self.maximumNameLength = maximumNameLength
        self.publicName = publicName
        self.extensions = extensions
    }

    /// Parses `ECHConfigContents` (the whole of `contents`, which must be consumed exactly).
    init(contents reader: inout ByteReader) throws(TLSError) {
        configID = try reader.readUInt8("ECHConfig config_id")
        kemID = HPKEKEMID(rawValue: try reader.readUInt16("ECHConfig kem_id"))
        publicKey = try reader.readVector(lengthBytes: 2, range: 1...0xFFFF, "ECHConfig public_key")
        var suites = try reader.readVectorReader(lengthBytes: 2, range: 4...0xFFFC, "ECHConfig cipher_suites")
        guard suites.remaining % 4 == 0 else {
            throw TLSError.decode(reason: "ECHConfig cipher_suites: \(suites.remaining) bytes, not a multiple of 4")
        }
        cipherSuites = []
        while !suites.isEmpty {
            let kdf = HPKEKDFID(rawValue: try suites.readUInt16("ECHConfig kdf_id"))
            let aead = HPKEAEADID(rawValue: try suites.readUInt16("ECHConfig aead_id"))
            cipherSuites.append(HPKESymmetricCipherSuite(kdf: kdf, aead: aead))
        }
        maximumNameLength = try reader.readUInt8("ECHConfig maximum_name_length")
        publicName = try reader.readVector(lengthBytes: 1, range: 1...255, "ECHConfig public_name")
        var list = try reader.readVectorReader(lengthBytes: 2, range: 0...0xFFFF, "ECHConfig extensions")
        extensions = []
        var seen = Set<UInt16>()
        while !list.isEmpty {
            let type = try list.readUInt16("ECHConfigExtension type")
            let data = try list.readVector(lengthBytes: 2, range: 0...0xFFFF, "ECHConfigExtension data")
            // §4.2: "there MUST NOT be more than one extension of the same type in the extensions block".
            guard seen.insert(type).inserted else {
                throw TLSError.decode(reason: "ECHConfig: duplicate extension 0x\(hex16(type))")
            }
            extensions.append(Extension(type: type, data: data))
        }
        try reader.expectEmpty("ECHConfig contents")
    }

    /// Writes `ECHConfigContents`.
    func encodeContents(into writer: inout ByteWriter) throws(EncodingError) {
        writer.writeUInt8(configID)
        writer.writeUInt16(kemID.rawValue)
        try writer.writeVector(2, publicKey)
        try writer.withLengthPrefix(2) { (w) throws(EncodingError) in
            for suite in cipherSuites {
                w.writeUInt16(suite.kdf.rawValue)
                w.writeUInt16(suite.aead.rawValue)
            }
        }
        writer.writeUInt8(maximumNameLength)
        try writer.writeVector(1, publicName)
        try writer.withLengthPrefix(2) { (w) throws(EncodingError) in
            for ext in extensions {
                w.writeUInt16(ext.type)
                try w.writeVector(2, ext.data)
            }
        }
    }

    /// The whole `ECHConfig` (version ‖ length ‖ contents): what HPKE's `info` ends with (§6.1:
    /// `"tls ech" ‖ 0x00 ‖ ECHConfig`). Parsing is exact, so this is the received encoding byte for byte.
    var encoded: [UInt8] {
        get throws(TLSError) {
            try ByteWriter.encoding("ECHConfig") { (writer) throws(EncodingError) in
                writer.writeUInt16(Self.version)
                try writer.withLengthPrefix(2) { (w) throws(EncodingError) in try encodeContents(into: &w) }
            }
        }
    }

    /// `"tls ech" ‖ 0x00 ‖ ECHConfig`: the HPKE `info` for this config (RFC 9849 §6.1).
    var hpkeInfo: [UInt8] {
        get throws(TLSError) { Array("tls ech".utf8) + [0] + (try encoded) }
    }

    /// The public name as text (it is ASCII when ``publicNameProblem`` is `nil`).
    var publicNameString: String { String(decoding: publicName, as: UTF8.self) }

    /// Why this config must be ignored whatever the client supports, or `nil`: an unsupported mandatory
    /// extension (§4.2: "clients MUST ignore the ECHConfig"; this library supports none), or a public_name that is
    /// not a host name (§6.1.7: "Clients SHOULD ignore ...").
    var structuralProblem: String? {
        if let mandatory = extensions.first(where: \.isMandatory) {
            return "unsupported mandatory extension 0x\(hex16(mandatory.type))"
        }
        return publicNameProblem
    }

    /// Why `public_name` is not a valid host name in preferred name syntax as RFC 9849 §6.1.7 asks, or `nil`:
    /// dot-separated LDH labels (RFC 5890 §2.3.1: letters, digits and hyphens, no hyphen first or last), 1–63 octets
    /// each, no leading or trailing dot; and a final label that is neither all digits nor `0x`/`0X` followed by hex
    /// digits (which could be read as an IPv4 literal).
    var publicNameProblem: String? {
        Self.publicNameProblem(publicName)
    }

    static func publicNameProblem(_ name: [UInt8]) -> String? {
        guard !name.isEmpty else { return "public_name is empty" }
        let labels = name.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty else { return "public_name has an empty label (or a leading or trailing dot)" }
            guard label.count <= 63 else { return "public_name has a label of \(label.count) octets (at most 63)" }
            guard label.allSatisfy(isLDH) else { return "public_name has a character outside letters, digits, '-'" }
            guard label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else {
                return "public_name has a label that begins or ends with '-'"
            }
        }
        if let last = labels.last {
            if last.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
                return "public_name ends in an all-digit label (an IPv4 literal)"
            }
            let bytes = Array(last)
            if bytes.count >= 2, bytes[0] == UInt8(ascii: "0"), bytes[1] | 0x20 == UInt8(ascii: "x"),
                bytes.dropFirst(2).allSatisfy(isHexDigit)
            {
                return "public_name ends in a 0x label (an IPv4 literal)"
            }
        }
        return nil
    }

    private static func isLDH(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
            UInt8(ascii: "A")...UInt8(ascii: "F"):
            true
        default: false
        }
    }
}

/// `ECHConfig ECHConfigList<4..2^16-1>` (RFC 9849 §4): configs in the server's order of preference.
struct ECHConfigList: Hashable, Sendable {
    /// One element of the list: a config of the version this library implements, or another version kept opaque.
    enum Entry: Hashable, Sendable {
        case config(ECHConfig)
        /// "Clients MUST ignore any ECHConfig structure with a version they do not support" (§4): skipped by its
        /// length, kept for a byte-exact re-encoding.
        case unknownVersion(UInt16, contents: [UInt8])
    }

    var entries: [Entry]

    init(entries: [Entry]) {
        self.entries = entries
    }

    init(configs: [ECHConfig]) {
        self.entries = configs.map(Entry.config)
    }

    /// Parses an `ECHConfigList` vector from `reader`.
    init(from reader: inout ByteReader) throws(TLSError) {
        var list = try reader.readVectorReader(lengthBytes: 2, range: 4...0xFFFF, "ECHConfigList")
        entries = []
        while !list.isEmpty {
            let version = try list.readUInt16("ECHConfig version")
            var contents = try list.readVectorReader(lengthBytes: 2, range: 0...0xFFFF, "ECHConfig contents")
            if version == ECHConfig.version {
                entries.append(.config(try ECHConfig(contents: &contents)))
            } else {
                entries.append(.unknownVersion(version, contents: contents.readRest()))
            }
        }
    }

    /// Parses exactly `bytes` as an `ECHConfigList` (what `--ech-config` and DNS hand over, and `retry_configs`).
    ///
    /// - Throws: `decode_error` when the list is malformed (including trailing bytes).
    init(bytes: [UInt8]) throws(TLSError) {
        var reader = ByteReader(bytes)
        try self.init(from: &reader)
        try reader.expectEmpty("ECHConfigList")
    }

    func encode(into writer: inout ByteWriter) throws(EncodingError) {
        try writer.withLengthPrefix(2) { (w) throws(EncodingError) in
            for entry in entries {
                switch entry {
                case .config(let config):
                    w.writeUInt16(ECHConfig.version)
                    try w.withLengthPrefix(2) { (c) throws(EncodingError) in try config.encodeContents(into: &c) }
                case .unknownVersion(let version, let contents):
                    w.writeUInt16(version)
                    try w.writeVector(2, contents)
                }
            }
        }
    }

    var encoded: [UInt8] {
        get throws(TLSError) {
            try ByteWriter.encoding("ECHConfigList") { (w) throws(EncodingError) in try encode(into: &w) }
        }
    }

    /// The configs of version 0xfe0d, in order.
    var configs: [ECHConfig] {
        entries.compactMap { if case .config(let c) = $0 { c } else { nil } }
    }

    /// The first config the client can use and the cipher suite to use with it (RFC 9849 §6.1: "it checks that it
    /// supports the KEM ..., at least one KDF/AEAD ..., and the version"), or `nil` when there is none (then the
    /// client sends GREASE ECH instead).
    ///
    /// A config is passed over when its version is unknown, it carries a mandatory extension, its public_name is not
    /// a host name (``ECHConfig/structuralProblem``), its KEM is not supported, its public key does not have the
    /// KEM's length, or none of its cipher suites is supported. Of a usable config's suites, the first in
    /// `preferredSuites` that the config lists is taken, else the config's first supported one.
    ///
    /// - Parameters:
    ///   - publicKeyLength: `Npk` of a KEM, `nil` for a KEM the client does not implement (Crypto:
    ///     `HPKESuite.publicKeyLength(kem:)`).
    ///   - supportsSuite: whether the client implements a KDF/AEAD pair (Crypto: `HPKESuite.supports(_:)`).
    ///   - preferredSuites: the client's own order (e.g. AES-128-GCM first where AES is fast).
    func select(
        publicKeyLength: (HPKEKEMID) -> Int?, supportsSuite: (HPKESymmetricCipherSuite) -> Bool,
        preferredSuites: [HPKESymmetricCipherSuite] = []
    ) -> (config: ECHConfig, suite: HPKESymmetricCipherSuite)? {
        for config in configs where config.structuralProblem == nil {
            guard let length = publicKeyLength(config.kemID), config.publicKey.count == length else { continue }
            let usable = config.cipherSuites.filter(supportsSuite)
            guard let first = usable.first else { continue }
            return (config, preferredSuites.first(where: usable.contains) ?? first)
        }
        return nil
    }

    /// Why each entry would be passed over by ``select(publicKeyLength:supportsSuite:preferredSuites:)`` (`nil` for
    /// a usable one), for diagnostics (`tls13 connect --ech-config` explains an unusable list).
    func problems(
        publicKeyLength: (HPKEKEMID) -> Int?, supportsSuite: (HPKESymmetricCipherSuite) -> Bool
    ) -> [String?] {
        entries.map { entry in
            switch entry {
            case .unknownVersion(let version, _):
                return "unsupported ECH version 0x\(hex16(version))"
            case .config(let config):
                if let problem = config.structuralProblem { return problem }
                guard let length = publicKeyLength(config.kemID) else { return "unsupported KEM \(config.kemID)" }
                guard config.publicKey.count == length else {
                    return "public key of \(config.publicKey.count) bytes for \(config.kemID) (needs \(length))"
                }
                guard config.cipherSuites.contains(where: supportsSuite) else {
                    return "no supported cipher suite among \(config.cipherSuites)"
                }
                return nil
            }
        }
    }
}
