/// The fields of a DER certificate that the Web PKI profile checks (``WebPKIProfile``), read with our own
/// bounds-checked ``DERReader`` — libcrypto stays in charge of signatures and of path building, but it does
/// not expose, or does not care about, criticality flags, raw serial numbers, empty subtrees and the like.
///
/// Parsing reads the certificate's structure and the extensions the profile knows; an extension is decoded
/// only when a rule asks for it (``findExtension(_:)``), so a malformed extension is
/// reported by the rule that needs it, naming it.
struct ParsedCertificate {
    /// X.509 version as encoded: 0 = v1, 1 = v2, 2 = v3.
    let version: Int
    /// The serialNumber INTEGER's contents octets (two's complement, as encoded).
    let serialNumber: [UInt8]
    /// The issuer Name, whole encoding.
    let issuer: [UInt8]
    /// The subject Name, whole encoding.
    let subject: [UInt8]
    /// Whether the subject is an empty SEQUENCE.
    let subjectIsEmpty: Bool
    /// The subject's commonName values, decoded to text (nil for a value of a string type we cannot read).
    let commonNames: [String?]
    /// subjectPublicKeyInfo.algorithm: the OID's contents octets and the parameters element, if any.
    let keyAlgorithm: [UInt8]
    let keyParameters: DERElement?
    /// subjectPublicKey's contents, without the unused-bits octet.
    let publicKey: [UInt8]
    /// Every extension, in certificate order.
    let extensions: [Extension]

    struct Extension {
        let oid: [UInt8]
        let critical: Bool
        /// The extnValue OCTET STRING's contents (the extension's own DER).
        let value: ArraySlice<UInt8>
    }

    /// Parses `der`, which libcrypto has already parsed as a certificate.
    init(der: [UInt8]) throws(DERError) {
        var outer = DERReader(der)
        let certificate = try outer.read(tag: DERTag.sequence, "Certificate")
        try outer.expectEnd("Certificate")
        var parts = certificate.reader
        let tbs = try parts.read(tag: DERTag.sequence, "tbsCertificate")
        var fields = tbs.reader
        if let explicitVersion = try fields.readOptional(tag: DERTag.contextConstructed(0)) {
            var inner = explicitVersion.reader
            let integer = try inner.read(tag: DERTag.integer, "version")
            try inner.expectEnd("version")
            guard integer.contents.count == 1, let value = integer.contents.first, value <= 2 else {
                throw DERError("version is not v1, v2 or v3")
            }
            version = Int(value)
        } else {
            version = 0
        }
        let serial = try fields.read(tag: DERTag.integer, "serialNumber")
        serialNumber = Array(serial.contents)
        _ = try fields.read(tag: DERTag.sequence, "signature")
        issuer = Array(try fields.read(tag: DERTag.sequence, "issuer").encoding)
        _ = try fields.read(tag: DERTag.sequence, "validity")
        let subjectElement = try fields.read(tag: DERTag.sequence, "subject")
        subject = Array(subjectElement.encoding)
        subjectIsEmpty = subjectElement.contents.isEmpty
        commonNames = try Self.commonNames(in: subjectElement)

        let spki = try fields.read(tag: DERTag.sequence, "subjectPublicKeyInfo")
        var spkiReader = spki.reader
        var algorithm = try spkiReader.read(tag: DERTag.sequence, "subjectPublicKeyInfo.algorithm").reader
        keyAlgorithm = Array(try algorithm.read(tag: DERTag.objectIdentifier, "key algorithm").contents)
        keyParameters = algorithm.isAtEnd ? nil : try algorithm.read()
        try algorithm.expectEnd("key algorithm")
        let key = try spkiReader.read(tag: DERTag.bitString, "subjectPublicKey")
        guard key.contents.first == 0 else { throw DERError("subjectPublicKey has unused bits") }
        publicKey = Array(key.contents.dropFirst())
        try spkiReader.expectEnd("subjectPublicKeyInfo")

        _ = try fields.readOptional(tag: DERTag.contextPrimitive(1))  // issuerUniqueID
        _ = try fields.readOptional(tag: DERTag.contextPrimitive(2))  // subjectUniqueID
        var extensions: [Extension] = []
        if let explicitExtensions = try fields.readOptional(tag: DERTag.contextConstructed(3)) {
            var inner = explicitExtensions.reader
            let list = try inner.read(tag: DERTag.sequence, "extensions")
            try inner.expectEnd("extensions")
            for element in try DERReader.elements(of: list) {
                guard element.tag == DERTag.sequence else { throw DERError("extension is not a SEQUENCE") }
                var reader = element.reader
                let oid = Array(try reader.read(tag: DERTag.objectIdentifier, "extnID").contents)
                var critical = false
                if let flag = try reader.readOptional(tag: DERTag.boolean) {
                    guard flag.contents.count == 1, let byte = flag.contents.first else {
                        throw DERError("critical is not a BOOLEAN")
                    }
                    critical = byte != 0
                }
                let value = try reader.read(tag: DERTag.octetString, "extnValue")
                try reader.expectEnd("extension")
                extensions.append(Extension(oid: oid, critical: critical, value: value.contents))
            }
        }
        self.extensions = extensions
        try fields.expectEnd("tbsCertificate")
    }

    /// The extension with `oid`, if present (the first, when duplicated: the profile rejects duplicates).
    func findExtension(_ oid: [UInt8]) -> Extension? { extensions.first { $0.oid == oid } }

    /// Whether subject and issuer are the same name (byte for byte: RFC 5280 name comparison is subtler, but
    /// this only decides which AKI rule applies to a trust anchor).
    var isSelfIssued: Bool { subject == issuer }

    // MARK: Names

    private static func commonNames(in name: DERElement) throws(DERError) -> [String?] {
        var result: [String?] = []
        for rdn in try DERReader.elements(of: name) {
            guard rdn.tag == DERTag.set else { throw DERError("RelativeDistinguishedName is not a SET") }
            for attribute in try DERReader.elements(of: rdn) {
                guard attribute.tag == DERTag.sequence else { throw DERError("attribute is not a SEQUENCE") }
                var reader = attribute.reader
                let type = try reader.read(tag: DERTag.objectIdentifier, "attribute type")
                let value = try reader.read()
                try reader.expectEnd("attribute")
                if Array(type.contents) == OID.commonName { result.append(DirectoryString.text(value)) }
            }
        }
        return result
    }
}

/// Text of the X.520 DirectoryString choices.
enum DirectoryString {
    /// The value as text; nil when it is not a string type, or not valid in its encoding.
    static func text(_ value: DERElement) -> String? {
        let bytes = Array(value.contents)
        switch value.tag {
        case DERTag.utf8String:
            return String(validating: bytes, as: UTF8.self)
        case DERTag.printableString, DERTag.ia5String:
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        case DERTag.teletexString:
            return String(bytes.map { Character(Unicode.Scalar($0)) })  // read as Latin-1, as most software does
        case DERTag.bmpString:
            guard bytes.count % 2 == 0 else { return nil }
            let units = stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
            return String(validating: units, as: UTF16.self)
        case DERTag.universalString:
            guard bytes.count % 4 == 0 else { return nil }
            var scalars = String.UnicodeScalarView()
            for i in stride(from: 0, to: bytes.count, by: 4) {
                let value = UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8
                    | UInt32(bytes[i + 3])
                guard let scalar = Unicode.Scalar(value) else { return nil }
                scalars.append(scalar)
            }
            return String(scalars)
        default:
            return nil
        }
    }
}

/// Object identifiers (contents octets of the DER encoding) that the profile checks.
enum OID {
    static let commonName: [UInt8] = [0x55, 0x04, 0x03]  // 2.5.4.3
    static let subjectKeyIdentifier: [UInt8] = [0x55, 0x1d, 0x0e]  // 2.5.29.14
    static let keyUsage: [UInt8] = [0x55, 0x1d, 0x0f]  // 2.5.29.15
    static let subjectAltName: [UInt8] = [0x55, 0x1d, 0x11]  // 2.5.29.17
    static let basicConstraints: [UInt8] = [0x55, 0x1d, 0x13]  // 2.5.29.19
    static let nameConstraints: [UInt8] = [0x55, 0x1d, 0x1e]  // 2.5.29.30
    static let authorityKeyIdentifier: [UInt8] = [0x55, 0x1d, 0x23]  // 2.5.29.35
    static let policyConstraints: [UInt8] = [0x55, 0x1d, 0x24]  // 2.5.29.36
    static let extendedKeyUsage: [UInt8] = [0x55, 0x1d, 0x25]  // 2.5.29.37
    static let anyExtendedKeyUsage: [UInt8] = [0x55, 0x1d, 0x25, 0x00]  // 2.5.29.37.0
    static let authorityInfoAccess: [UInt8] = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01]  // 1.3.6.1.5.5.7.1.1
    static let serverAuth: [UInt8] = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01]  // 1.3.6.1.5.5.7.3.1
    static let rsaEncryption: [UInt8] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]  // 1.2.840.113549.1.1.1
    static let rsassaPSS: [UInt8] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a]  // 1.2.840.113549.1.1.10
    static let dsa: [UInt8] = [0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01]  // 1.2.840.10040.4.1
    static let ecPublicKey: [UInt8] = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]  // 1.2.840.10045.2.1

    /// Dotted text, for messages (`2.5.29.17`).
    static func dotted(_ oid: [UInt8]) -> String {
        guard let first = oid.first else { return "(empty OID)" }
        var arcs = [first < 80 ? UInt64(first / 40) : 2, first < 80 ? UInt64(first % 40) : UInt64(first) - 80]
        var value: UInt64 = 0
        for byte in oid.dropFirst() {
            guard value >> 56 == 0 else { return "(oversized OID)" }
            value = value << 7 | UInt64(byte & 0x7f)
            if byte & 0x80 == 0 {
                arcs.append(value)
                value = 0
            }
        }
        return arcs.map(String.init).joined(separator: ".")
    }

    /// The name of an extension the profile knows, else its dotted OID.
    static func extensionName(_ oid: [UInt8]) -> String {
        switch oid {
        case subjectKeyIdentifier: "subjectKeyIdentifier"
        case keyUsage: "keyUsage"
        case subjectAltName: "subjectAltName"
        case basicConstraints: "basicConstraints"
        case nameConstraints: "nameConstraints"
        case authorityKeyIdentifier: "authorityKeyIdentifier"
        case policyConstraints: "policyConstraints"
        case extendedKeyUsage: "extendedKeyUsage"
        case authorityInfoAccess: "authorityInfoAccess"
        default: dotted(oid)
        }
    }
}
