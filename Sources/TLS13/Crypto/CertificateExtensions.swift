/// Decoders for the certificate extensions the Web PKI profile checks (RFC 5280 §4.2). Each takes the
/// extnValue contents and throws ``DERError`` for anything that is not the extension's DER.
enum CertificateExtensions {
    /// basicConstraints: cA and pathLenConstraint (RFC 5280 §4.2.1.9).
    struct BasicConstraints {
        var isCA: Bool
        var pathLength: [UInt8]?
    }

    static func basicConstraints(_ value: ArraySlice<UInt8>) throws(DERError) -> BasicConstraints {
        var outer = DERReader(value)
        let sequence = try outer.read(tag: DERTag.sequence, "basicConstraints")
        try outer.expectEnd("basicConstraints")
        var reader = sequence.reader
        var isCA = false
        if let flag = try reader.readOptional(tag: DERTag.boolean) {
            guard flag.contents.count == 1, let byte = flag.contents.first else {
                throw DERError("basicConstraints cA is not a BOOLEAN")
            }
            isCA = byte != 0
        }
        let pathLength = try reader.readOptional(tag: DERTag.integer).map { Array($0.contents) }
        try reader.expectEnd("basicConstraints")
        return BasicConstraints(isCA: isCA, pathLength: pathLength)
    }

    /// keyUsage (RFC 5280 §4.2.1.3): the named bits that matter here.
    struct KeyUsage {
        var digitalSignature: Bool
        var keyCertSign: Bool
    }

    static func keyUsage(_ value: ArraySlice<UInt8>) throws(DERError) -> KeyUsage {
        var outer = DERReader(value)
        let bits = try outer.read(tag: DERTag.bitString, "keyUsage")
        try outer.expectEnd("keyUsage")
        guard let unused = bits.contents.first, unused < 8 else { throw DERError("keyUsage is not a BIT STRING") }
        let first = bits.contents.dropFirst().first ?? 0
        return KeyUsage(digitalSignature: first & 0x80 != 0, keyCertSign: first & 0x04 != 0)
    }

    /// extendedKeyUsage: the KeyPurposeIds (RFC 5280 §4.2.1.12: one or more).
    static func extendedKeyUsage(_ value: ArraySlice<UInt8>) throws(DERError) -> [[UInt8]] {
        var outer = DERReader(value)
        let sequence = try outer.read(tag: DERTag.sequence, "extendedKeyUsage")
        try outer.expectEnd("extendedKeyUsage")
        var result: [[UInt8]] = []
        for element in try DERReader.elements(of: sequence) {
            guard element.tag == DERTag.objectIdentifier else { throw DERError("KeyPurposeId is not an OID") }
            result.append(Array(element.contents))
        }
        guard !result.isEmpty else { throw DERError("extendedKeyUsage lists no purpose") }
        return result
    }

    /// One GeneralName (RFC 5280 §4.2.1.6).
    enum GeneralName {
        /// `[2] IA5String`: the raw octets.
        case dnsName([UInt8])
        /// `[7] OCTET STRING`: 4 or 16 octets in a subjectAltName, 8 or 32 (address and mask) in a constraint.
        case ipAddress([UInt8])
        /// `[4] Name`: the Name's whole encoding.
        case directoryName([UInt8])
        /// Any other form, by identifier octet.
        case other(tag: UInt8)
    }

    static func generalName(_ element: DERElement) throws(DERError) -> GeneralName {
        switch element.tag {
        case DERTag.contextPrimitive(2): return .dnsName(Array(element.contents))
        case DERTag.contextPrimitive(7): return .ipAddress(Array(element.contents))
        case DERTag.contextConstructed(4):
            var reader = element.reader
            let name = try reader.read(tag: DERTag.sequence, "directoryName")
            try reader.expectEnd("directoryName")
            return .directoryName(Array(name.encoding))
        case DERTag.contextConstructed(0), DERTag.contextPrimitive(1), DERTag.contextConstructed(3),
             DERTag.contextConstructed(5), DERTag.contextPrimitive(6), DERTag.contextPrimitive(8):
            return .other(tag: element.tag)
        default:
            throw DERError("GeneralName with tag 0x\(String(element.tag, radix: 16))")
        }
    }

    /// subjectAltName: GeneralNames, one or more.
    static func subjectAltName(_ value: ArraySlice<UInt8>) throws(DERError) -> [GeneralName] {
        var outer = DERReader(value)
        let sequence = try outer.read(tag: DERTag.sequence, "subjectAltName")
        try outer.expectEnd("subjectAltName")
        var names: [GeneralName] = []
        for element in try DERReader.elements(of: sequence) { names.append(try generalName(element)) }
        guard !names.isEmpty else { throw DERError("subjectAltName lists no name") }
        return names
    }

    /// authorityKeyIdentifier (RFC 5280 §4.2.1.1).
    struct AuthorityKeyIdentifier {
        var keyIdentifier: [UInt8]?
        /// authorityCertIssuer's names, when present.
        var issuer: [GeneralName]?
        /// authorityCertSerialNumber's contents octets, when present.
        var serialNumber: [UInt8]?
    }

    static func authorityKeyIdentifier(_ value: ArraySlice<UInt8>) throws(DERError) -> AuthorityKeyIdentifier {
        var outer = DERReader(value)
        let sequence = try outer.read(tag: DERTag.sequence, "authorityKeyIdentifier")
        try outer.expectEnd("authorityKeyIdentifier")
        var reader = sequence.reader
        let keyIdentifier = try reader.readOptional(tag: DERTag.contextPrimitive(0)).map { Array($0.contents) }
        var issuer: [GeneralName]?
        if let names = try reader.readOptional(tag: DERTag.contextConstructed(1)) {
            var list: [GeneralName] = []
            for element in try DERReader.elements(of: names) { list.append(try generalName(element)) }
            issuer = list
        }
        let serial = try reader.readOptional(tag: DERTag.contextPrimitive(2)).map { Array($0.contents) }
        try reader.expectEnd("authorityKeyIdentifier")
        return AuthorityKeyIdentifier(keyIdentifier: keyIdentifier, issuer: issuer, serialNumber: serial)
    }

    /// subjectKeyIdentifier: the key identifier octets (RFC 5280 §4.2.1.2).
    static func subjectKeyIdentifier(_ value: ArraySlice<UInt8>) throws(DERError) -> [UInt8] {
        var outer = DERReader(value)
        let octets = try outer.read(tag: DERTag.octetString, "subjectKeyIdentifier")
        try outer.expectEnd("subjectKeyIdentifier")
        return Array(octets.contents)
    }

    /// authorityInfoAccess: checks the syntax (one or more AccessDescriptions, RFC 5280 §4.2.2.1); returns how
    /// many there are.
    @discardableResult
    static func authorityInfoAccess(_ value: ArraySlice<UInt8>) throws(DERError) -> Int {
        var outer = DERReader(value)
        let sequence = try outer.read(tag: DERTag.sequence, "authorityInfoAccess")
        try outer.expectEnd("authorityInfoAccess")
        let descriptions = try DERReader.elements(of: sequence)
        guard !descriptions.isEmpty else { throw DERError("authorityInfoAccess lists no AccessDescription") }
        for description in descriptions {
            guard description.tag == DERTag.sequence else { throw DERError("AccessDescription is not a SEQUENCE") }
            var reader = description.reader
            _ = try reader.read(tag: DERTag.objectIdentifier, "accessMethod")
            _ = try generalName(try reader.read())
            try reader.expectEnd("AccessDescription")
        }
        return descriptions.count
    }

    /// nameConstraints (RFC 5280 §4.2.1.10): each subtree's base, and whether minimum/maximum are as the
    /// profile requires (minimum 0, no maximum).
    struct NameConstraints {
        struct Subtree {
            var base: GeneralName
            var hasDefaultBounds: Bool
        }
        /// nil when the field is absent; never empty when present (an empty one does not parse).
        var permitted: [Subtree]?
        var excluded: [Subtree]?
    }

    static func nameConstraints(_ value: ArraySlice<UInt8>) throws(DERError) -> NameConstraints {
        var outer = DERReader(value)
        let sequence = try outer.read(tag: DERTag.sequence, "nameConstraints")
        try outer.expectEnd("nameConstraints")
        var reader = sequence.reader
        let permitted = try reader.readOptional(tag: DERTag.contextConstructed(0))
        let excluded = try reader.readOptional(tag: DERTag.contextConstructed(1))
        try reader.expectEnd("nameConstraints")
        guard permitted != nil || excluded != nil else {
            throw DERError("nameConstraints has neither permittedSubtrees nor excludedSubtrees")
        }
        func subtrees(_ element: DERElement?, _ what: String) throws(DERError) -> [NameConstraints.Subtree]? {
            guard let element else { return nil }
            var result: [NameConstraints.Subtree] = []
            for subtree in try DERReader.elements(of: element) {
                guard subtree.tag == DERTag.sequence else { throw DERError("GeneralSubtree is not a SEQUENCE") }
                var fields = subtree.reader
                let base = try generalName(try fields.read())
                var defaultBounds = true
                if let minimum = try fields.readOptional(tag: DERTag.contextPrimitive(0)) {
                    defaultBounds = defaultBounds && minimum.contents.allSatisfy { $0 == 0 }
                }
                if try fields.readOptional(tag: DERTag.contextPrimitive(1)) != nil { defaultBounds = false }
                try fields.expectEnd("GeneralSubtree")
                result.append(NameConstraints.Subtree(base: base, hasDefaultBounds: defaultBounds))
            }
            guard !result.isEmpty else { throw DERError("\(what) is empty (GeneralSubtrees has SIZE (1..MAX))") }
            return result
        }
        return NameConstraints(permitted: try subtrees(permitted, "permittedSubtrees"),
                               excluded: try subtrees(excluded, "excludedSubtrees"))
    }
}
