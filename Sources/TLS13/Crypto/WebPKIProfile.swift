/// A rule of ``WebPKIProfile`` that a path breaks: the alert to send, the one-line reason, and whether a path
/// through other intermediates might not break it (then other paths are tried).
struct ProfileViolation: Error {
    var alert: AlertDescription
    var reason: String
    var pathDependent: Bool
}

/// The Web PKI certificate profile (CA/Browser Forum Baseline Requirements, with RFC 5280's MUSTs), checked on
/// a path that `X509_verify_cert` has already accepted (signatures, validity, basicConstraints, pathLen, name
/// constraints, purpose and name are libcrypto's). It adds what libcrypto does not check, as rustls-webpki,
/// Chrome and pyca/cryptography do; the rules, their alerts and the x509-limbo cases behind them are listed in
/// `Docs/Security.md`, "Certificate checks".
///
/// One certificate role at a time: the server's certificate (the leaf), the intermediates, the trust anchor
/// (the last certificate of the path; when the leaf itself is the anchor only the leaf rules apply). Trust
/// anchors are checked less than issued certificates: a missing subjectKeyIdentifier, a non-critical
/// basicConstraints and an authorityKeyIdentifier issuer and serial naming the root itself are accepted there,
/// because trust stores in use ship such roots.
enum WebPKIProfile {
    /// One certificate of the path.
    struct Entry {
        /// Its fields, or why they could not be read.
        var fields: Result<ParsedCertificate, DERError>
        /// How reasons name it: `server certificate <subject>` or `chain certificate <n>: <subject>`.
        var label: String
        /// Its subject, one line.
        var subject: String
    }

    private enum Role { case leaf, intermediate, anchor }

    /// Checks `path` (leaf first, trust anchor last) for a server named `hostname` (lower case, no trailing dot;
    /// nil for an IP address, which libcrypto matches and no further rule concerns, or no name).
    static func check(path: [Entry], hostname: String?) throws(ProfileViolation) {
        guard let leafEntry = path.first else { return }
        var parsed: [ParsedCertificate] = []
        for (index, entry) in path.enumerated() {
            switch entry.fields {
            case .success(let fields): parsed.append(fields)
            case .failure(let error):
                throw ProfileViolation(alert: index == path.count - 1 && index > 0 ? .unknownCA : .badCertificate,
                                       reason: "certificate is not valid DER: \(error) (\(entry.label))",
                                       pathDependent: index > 0)
            }
        }
        for (index, fields) in parsed.enumerated() {
            let role: Role = index == 0 ? .leaf : index == parsed.count - 1 ? .anchor : .intermediate
            try checkCommon(fields, role: role, label: path[index].label, depth: index)
            switch role {
            case .leaf:
                try checkLeaf(fields, isAlsoAnchor: parsed.count == 1, label: leafEntry.label,
                              subject: leafEntry.subject)
            case .intermediate: try checkIntermediate(fields, label: path[index].label)
            case .anchor: try checkAnchor(fields, label: path[index].label)
            }
        }
        try checkNameConstraints(parsed, path: path)
        if let leaf = parsed.first {
            if let hostname { try checkNameMatch(leaf, hostname: hostname, label: leafEntry.label) }
            try checkCommonName(leaf, label: leafEntry.label)
        }
    }

    // MARK: Every certificate

    private static func checkCommon(_ c: ParsedCertificate, role: Role, label: String, depth: Int)
        throws(ProfileViolation)
    {
        let anchor = role == .anchor
        func fail(_ reason: String, _ alert: AlertDescription = .badCertificate) -> ProfileViolation {
            ProfileViolation(alert: anchor ? .unknownCA : alert,
                             reason: (anchor ? "trust anchor not usable: " : "") + "\(reason) (\(label))",
                             pathDependent: depth > 0)
        }
        var seen: [[UInt8]] = []
        for ext in c.extensions {
            if seen.contains(ext.oid) {
                throw fail("extension \(OID.extensionName(ext.oid)) appears more than once (RFC 5280 §4.2)")
            }
            seen.append(ext.oid)
        }
        // Every extension the profile reads must be well formed, wherever it is.
        for ext in c.extensions {
            do throws(DERError) {
                switch ext.oid {
                case OID.basicConstraints: _ = try CertificateExtensions.basicConstraints(ext.value)
                case OID.keyUsage: _ = try CertificateExtensions.keyUsage(ext.value)
                case OID.extendedKeyUsage: _ = try CertificateExtensions.extendedKeyUsage(ext.value)
                case OID.subjectAltName: _ = try CertificateExtensions.subjectAltName(ext.value)
                case OID.nameConstraints: _ = try CertificateExtensions.nameConstraints(ext.value)
                case OID.authorityKeyIdentifier: _ = try CertificateExtensions.authorityKeyIdentifier(ext.value)
                case OID.subjectKeyIdentifier: _ = try CertificateExtensions.subjectKeyIdentifier(ext.value)
                case OID.authorityInfoAccess: try CertificateExtensions.authorityInfoAccess(ext.value)
                default: break
                }
            } catch {
                throw fail("malformed \(OID.extensionName(ext.oid)) extension: \(error)")
            }
        }
        // A critical authorityKeyIdentifier, subjectKeyIdentifier or authorityInfoAccess is refused by libcrypto
        // already (an unhandled critical extension).
        if let constraints = c.findExtension(OID.policyConstraints), !constraints.critical {
            throw fail("policyConstraints is not marked critical (RFC 5280 §4.2.1.11: MUST be critical)")
        }
        if let problem = keyProblem(c) { throw fail(problem.text, problem.alert) }
        guard !anchor else { return }
        // (An empty issuer also stands for a CA with an empty subject, which RFC 5280 §4.1.2.6 forbids: the
        // names must match for libcrypto to have chained them.)
        if c.issuer == [DERTag.sequence, 0] { throw fail("the issuer is empty (RFC 5280 §4.1.2.4)") }
        // Issued certificates (not the anchor, which is trusted as configured).
        guard c.version == 2 else { throw fail("not an X.509 v3 certificate (CA/B Forum BR 7.1.1)") }
        if let problem = serialNumberProblem(c.serialNumber) { throw fail(problem) }
    }

    private static func serialNumberProblem(_ serial: [UInt8]) -> String? {
        guard let first = serial.first else { return "serial number is empty" }
        if first & 0x80 != 0 { return "serial number is negative (RFC 5280 §4.1.2.2)" }
        if serial.allSatisfy({ $0 == 0 }) { return "serial number is zero (RFC 5280 §4.1.2.2: MUST be positive)" }
        let magnitude = first == 0 ? serial.count - 1 : serial.count
        if magnitude > 20 {
            return "serial number of \(magnitude) octets is longer than 20 octets (RFC 5280 §4.1.2.2)"
        }
        return nil
    }

    private static func keyProblem(_ c: ParsedCertificate) -> (text: String, alert: AlertDescription)? {
        switch c.keyAlgorithm {
        case OID.dsa:
            return ("DSA key: the Web PKI allows RSA and ECDSA keys (CA/B Forum BR 6.1.5)", .unsupportedCertificate)
        case OID.rsaEncryption, OID.rsassaPSS:
            guard let bits = rsaModulusBits(c.publicKey) else { return ("malformed RSA public key", .badCertificate) }
            if bits % 8 != 0 {
                return ("RSA modulus of \(bits) bits is not a multiple of 8 (CA/B Forum BR 6.1.5)", .badCertificate)
            }
            return nil
        case OID.ecPublicKey:
            guard c.keyParameters?.tag == DERTag.objectIdentifier else {
                return ("EC key without a named curve (explicit parameters; CA/B Forum BR 7.1.3.1.2)", .badCertificate)
            }
            return nil
        default:
            return nil
        }
    }

    /// The size of an RSAPublicKey's modulus in bits, or nil when it does not parse.
    static func rsaModulusBits(_ key: [UInt8]) -> Int? {
        var outer = DERReader(key)
        guard let sequence = try? outer.read(tag: DERTag.sequence, "RSAPublicKey"), outer.isAtEnd else { return nil }
        var reader = sequence.reader
        guard let modulus = try? reader.read(tag: DERTag.integer, "modulus") else { return nil }
        let magnitude = modulus.contents.drop(while: { $0 == 0 })
        guard let first = magnitude.first else { return nil }
        return magnitude.count * 8 - first.leadingZeroBitCount
    }

    // MARK: The server's certificate

    private static func checkLeaf(_ c: ParsedCertificate, isAlsoAnchor: Bool, label: String, subject: String)
        throws(ProfileViolation)
    {
        func fail(_ reason: String, _ alert: AlertDescription = .badCertificate) -> ProfileViolation {
            ProfileViolation(alert: alert, reason: "\(reason) (\(label))", pathDependent: false)
        }
        // TLS 1.3 signs with the leaf's key (CertificateVerify): a keyUsage extension must allow that
        // (RFC 8446 §4.4.2.2). Checked first, as before this profile existed.
        if let ku = c.findExtension(OID.keyUsage), let usage = try? CertificateExtensions.keyUsage(ku.value),
           !usage.digitalSignature {
            throw ProfileViolation(alert: .unsupportedCertificate,
                                   reason: "certificate keyUsage does not allow digitalSignature (\(subject))",
                                   pathDependent: false)
        }
        if let bc = c.findExtension(OID.basicConstraints),
           let constraints = try? CertificateExtensions.basicConstraints(bc.value), constraints.isCA {
            throw fail("a CA certificate (basicConstraints cA=TRUE) cannot be the server's certificate "
                       + "(CA/B Forum BR 7.1.2.7.8)", .unsupportedCertificate)
        }
        if let ku = c.findExtension(OID.keyUsage), let usage = try? CertificateExtensions.keyUsage(ku.value),
           usage.keyCertSign {
            throw fail("the server's certificate has keyUsage keyCertSign, which only a CA may have "
                       + "(RFC 5280 §4.2.1.9, CA/B Forum BR 7.1.2.7.11)", .unsupportedCertificate)
        }
        if c.findExtension(OID.nameConstraints) != nil {
            throw fail("nameConstraints in a certificate that is not a CA (RFC 5280 §4.2.1.10)")
        }
        guard let eku = c.findExtension(OID.extendedKeyUsage) else {
            throw fail("no extendedKeyUsage: a server certificate must list serverAuth (CA/B Forum BR 7.1.2.7.10)",
                       .unsupportedCertificate)
        }
        if eku.critical { throw fail("extendedKeyUsage is marked critical (CA/B Forum BR 7.1.2.7.6)") }
        let purposes = (try? CertificateExtensions.extendedKeyUsage(eku.value)) ?? []
        guard purposes.contains(OID.serverAuth) else {
            throw fail("extendedKeyUsage does not list serverAuth (CA/B Forum BR 7.1.2.7.10)", .unsupportedCertificate)
        }
        if purposes.contains(OID.anyExtendedKeyUsage) {
            throw fail("extendedKeyUsage lists anyExtendedKeyUsage, which a server certificate must not have "
                       + "(CA/B Forum BR 7.1.2.7.10)", .unsupportedCertificate)
        }
        guard let san = c.findExtension(OID.subjectAltName) else {
            throw fail("no subjectAltName (CA/B Forum BR 7.1.2.7.12)")
        }
        if c.subjectIsEmpty && !san.critical {
            throw fail("the subject is empty and subjectAltName is not marked critical (RFC 5280 §4.2.1.6)")
        }
        if !c.subjectIsEmpty && san.critical {
            throw fail("subjectAltName is marked critical although the subject is not empty "
                       + "(CA/B Forum BR 7.1.2.7.12)")
        }
        // The authority key identifier is how a path is built; a self-issued certificate trusted as it is
        // (the leaf is its own anchor) may omit it (RFC 5280 §4.2.1.1).
        if !(isAlsoAnchor && c.isSelfIssued), let problem = authorityKeyIdentifierProblem(c) { throw fail(problem) }
    }

    private static func authorityKeyIdentifierProblem(_ c: ParsedCertificate) -> String? {
        guard let aki = c.findExtension(OID.authorityKeyIdentifier),
              let value = try? CertificateExtensions.authorityKeyIdentifier(aki.value)
        else {
            return "no authorityKeyIdentifier (RFC 5280 §4.2.1.1: MUST be present)"
        }
        guard value.keyIdentifier != nil else {
            return "authorityKeyIdentifier without keyIdentifier (RFC 5280 §4.2.1.1)"
        }
        return nil
    }

    // MARK: Intermediates

    private static func checkIntermediate(_ c: ParsedCertificate, label: String) throws(ProfileViolation) {
        func fail(_ reason: String, _ alert: AlertDescription = .badCertificate) -> ProfileViolation {
            ProfileViolation(alert: alert, reason: "\(reason) (\(label))", pathDependent: true)
        }
        guard let bc = c.findExtension(OID.basicConstraints) else {
            throw fail("CA certificate without basicConstraints (RFC 5280 §4.2.1.9)", .unknownCA)
        }
        guard bc.critical else {
            throw fail("CA certificate whose basicConstraints is not marked critical (RFC 5280 §4.2.1.9)", .unknownCA)
        }
        guard c.findExtension(OID.subjectKeyIdentifier) != nil else {
            throw fail("CA certificate without subjectKeyIdentifier (RFC 5280 §4.2.1.2)")
        }
        if let problem = authorityKeyIdentifierProblem(c) { throw fail(problem) }
    }

    // MARK: The trust anchor

    private static func checkAnchor(_ c: ParsedCertificate, label: String) throws(ProfileViolation) {
        func fail(_ reason: String) -> ProfileViolation {
            ProfileViolation(alert: .unknownCA, reason: "trust anchor not usable: \(reason) (\(label))",
                             pathDependent: true)
        }
        guard let bc = c.findExtension(OID.basicConstraints),
              let constraints = try? CertificateExtensions.basicConstraints(bc.value), constraints.isCA
        else {
            throw fail("it is not a CA certificate (no basicConstraints cA=TRUE, RFC 5280 §4.2.1.9)")
        }
        // A self-issued anchor is a root CA certificate (CA/B Forum BR 7.1.2.1); a trusted certificate issued by
        // another CA is a subordinate or cross certificate, which may carry extendedKeyUsage (BR 7.1.2.2).
        if c.isSelfIssued, c.findExtension(OID.extendedKeyUsage) != nil {
            throw fail("a root CA certificate must not have extendedKeyUsage (CA/B Forum BR 7.1.2.1.2)")
        }
        if let aki = c.findExtension(OID.authorityKeyIdentifier),
           let value = try? CertificateExtensions.authorityKeyIdentifier(aki.value) {
            // CA/B Forum BR 7.1.2.1.3: a keyIdentifier, equal to the subjectKeyIdentifier, and neither
            // authorityCertIssuer nor authorityCertSerialNumber. Roots in use carry those two naming themselves
            // (QuoVadis Root CA 2 and 3, Certigna, Go Daddy and Starfield Class 2 in Debian 12's store), which is
            // accepted; naming another certificate contradicts a self-issued root.
            if c.isSelfIssued {
                let names = value.issuer?.compactMap { if case .directoryName(let name) = $0 { name } else { nil } }
                if let names, value.issuer?.count != 1 || names != [c.issuer] {
                    throw fail("authorityKeyIdentifier names an authorityCertIssuer other than the root itself "
                               + "(CA/B Forum BR 7.1.2.1.3)")
                }
                if let serial = value.serialNumber, serial != c.serialNumber {
                    throw fail("authorityKeyIdentifier names an authorityCertSerialNumber other than the root's own "
                               + "(CA/B Forum BR 7.1.2.1.3)")
                }
            }
            guard let keyIdentifier = value.keyIdentifier else {
                throw fail("authorityKeyIdentifier without keyIdentifier (CA/B Forum BR 7.1.2.1.3)")
            }
            if c.isSelfIssued, let ski = c.findExtension(OID.subjectKeyIdentifier),
               let subjectKeyIdentifier = try? CertificateExtensions.subjectKeyIdentifier(ski.value),
               subjectKeyIdentifier != keyIdentifier {
                throw fail("authorityKeyIdentifier differs from its own subjectKeyIdentifier (CA/B Forum BR 7.1.2.1.3)")
            }
        }
    }

    // MARK: Name constraints

    private static func checkNameConstraints(_ parsed: [ParsedCertificate], path: [Entry]) throws(ProfileViolation) {
        guard let leaf = parsed.first, parsed.count > 1 else { return }
        let leafNames: [[UInt8]] = (leaf.findExtension(OID.subjectAltName)
            .flatMap { try? CertificateExtensions.subjectAltName($0.value) } ?? [])
            .compactMap { if case .dnsName(let octets) = $0 { octets } else { nil } }
        for index in 1..<parsed.count {
            guard let ext = parsed[index].findExtension(OID.nameConstraints),
                  let constraints = try? CertificateExtensions.nameConstraints(ext.value)
            else { continue }
            let label = path[index].label
            if let problem = NameConstraintRules.syntaxProblem(constraints) {
                throw ProfileViolation(alert: index == parsed.count - 1 ? .unknownCA : .badCertificate,
                                       reason: "malformed nameConstraints: \(problem) (\(label))", pathDependent: true)
            }
            guard NameConstraintRules.constrainsDNSNames(constraints) else { continue }
            for name in leafNames {
                switch DNSNameRules.classify(name) {
                case .invalid(let problem):
                    throw ProfileViolation(
                        alert: .certificateUnknown,
                        reason: "name constraints violation: subjectAltName dNSName "
                            + "\"\(NameConstraintRules.printable(name))\" of \(path[0].label) \(problem), so the "
                            + "dNSName constraints of \(label) cannot be applied to it (RFC 5280 §4.2.1.10)",
                        pathDependent: true)
                case .wildcard(let parent):
                    if let problem = NameConstraintRules.wildcardViolation(parent: parent, constraints) {
                        throw ProfileViolation(
                            alert: .certificateUnknown,
                            reason: "name constraints violation: wildcard *.\(parent) of \(path[0].label): "
                                + "\(problem) (\(label))",
                            pathDependent: true)
                    }
                case .exact:
                    continue
                }
            }
        }
    }

    // MARK: Names

    /// libcrypto found a subjectAltName dNSName matching `hostname`; the match must not rest only on an
    /// entry that is not a valid host name, or on a wildcard over a public suffix.
    private static func checkNameMatch(_ leaf: ParsedCertificate, hostname: String, label: String)
        throws(ProfileViolation)
    {
        let names: [[UInt8]] = (leaf.findExtension(OID.subjectAltName)
            .flatMap { try? CertificateExtensions.subjectAltName($0.value) } ?? [])
            .compactMap { if case .dnsName(let octets) = $0 { octets } else { nil } }
        let candidates = names.filter { DNSNameRules.mayMatch($0, reference: hostname) }
        var firstProblem: String?
        for name in candidates {
            switch DNSNameRules.classify(name) {
            case .exact:
                return
            case .wildcard(let parent):
                guard PublicSuffix.isPublicSuffix(parent) else { return }
                firstProblem = firstProblem ?? "wildcard *.\(parent) matches \(hostname) but covers the public "
                    + "suffix \(parent) (CA/B Forum BR 3.2.2.6)"
            case .invalid(let problem):
                firstProblem = firstProblem ?? "subjectAltName dNSName \"\(NameConstraintRules.printable(name))\" "
                    + "matches \(hostname) but \(problem) (RFC 5280 §4.2.1.6: preferred name syntax)"
            }
        }
        if let firstProblem {
            throw ProfileViolation(alert: .badCertificate, reason: "\(firstProblem) (\(label))", pathDependent: false)
        }
    }

    /// CA/B Forum BR 7.1.4.3: a subject commonName is a copy of one of the subjectAltName entries — an address in
    /// canonical text (RFC 3986 §3.2.2, RFC 5952 §4), a name character for character, A-labels not converted
    /// to Unicode. Rejected here: a CN that spells one of the certificate's own names or addresses otherwise
    /// (other letter case, an IPv4 address in hex, octal or with leading zeros, an IPv6 address not in RFC 5952
    /// form) and a CN holding a Unicode domain name, which no IA5String dNSName can equal — the spellings a
    /// client that reads the CN could be misled by. A CN naming some other host is not rejected: x509-limbo's
    /// own default leaf carries `CN=example.com` beside unrelated names and must be accepted (`Docs/Security.md`,
    /// "x509-limbo"). The CN is never matched against the server name either way.
    private static func checkCommonName(_ leaf: ParsedCertificate, label: String) throws(ProfileViolation) {
        let names = (leaf.findExtension(OID.subjectAltName)
            .flatMap { try? CertificateExtensions.subjectAltName($0.value) }) ?? []
        let dnsNames: [String] = names.compactMap {
            if case .dnsName(let octets) = $0 { String(decoding: octets, as: UTF8.self) } else { nil }
        }
        let addresses: [[UInt8]] = names.compactMap { if case .ipAddress(let octets) = $0 { octets } else { nil } }
        func fail(_ cn: String, _ problem: String) -> ProfileViolation {
            ProfileViolation(alert: .badCertificate,
                             reason: "subject CN \"\(cn)\" contradicts the subjectAltName: \(problem) "
                                 + "(CA/B Forum BR 7.1.4.3) (\(label))",
                             pathDependent: false)
        }
        for case let cn? in leaf.commonNames {
            if !cn.unicodeScalars.allSatisfy(\.isASCII) {
                guard cn.contains(".") else { continue }
                throw fail(cn, "a domain name in the CN must be in the A-label (xn--) form of its dNSName")
            }
            if let address = IPAddressText.parse(cn), addresses.contains(address),
               let canonical = canonicalAddress(address), cn != canonical {
                throw fail(cn, "it is the address \(canonical) written in another form than the canonical one")
            }
            let bytes = Array(cn.utf8)
            if let name = dnsNames.first(where: { Array($0.utf8) != bytes && $0.lowercased() == cn.lowercased() }) {
                throw fail(cn, "it is the dNSName \(name) in other letter case, not a character-for-character copy")
            }
        }
    }

    /// An iPAddress entry as RFC 3986 dotted decimal (IPv4) or RFC 5952 text (IPv6); nil for other lengths.
    static func canonicalAddress(_ octets: [UInt8]) -> String? {
        switch octets.count {
        case 4:
            return octets.map(String.init).joined(separator: ".")
        case 16:
            let groups = stride(from: 0, to: 16, by: 2).map { UInt16(octets[$0]) << 8 | UInt16(octets[$0 + 1]) }
            // The first longest run of two or more zero groups becomes "::".
            var best: Range<Int>?
            var index = 0
            while index < 8 {
                guard groups[index] == 0 else { index += 1; continue }
                var end = index
                while end < 8 && groups[end] == 0 { end += 1 }
                if end - index >= 2, end - index > (best?.count ?? 0) { best = index..<end }
                index = end
            }
            func hex(_ slice: ArraySlice<UInt16>) -> String { slice.map { String($0, radix: 16) }.joined(separator: ":") }
            guard let best else { return hex(groups[...]) }
            return hex(groups[..<best.lowerBound]) + "::" + hex(groups[best.upperBound...])
        default:
            return nil
        }
    }
}
