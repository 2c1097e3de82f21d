/// Syntax and matching of DNS names in certificates: subjectAltName dNSName entries (RFC 5280 §4.2.1.6, the
/// "preferred name syntax" of RFC 1034 §3.5 as relaxed by RFC 1123 §2.1), wildcards (RFC 6125 §6.4.3, CA/B
/// Forum BR "Wildcard Domain Name") and dNSName name constraints (RFC 5280 §4.2.1.10).
enum DNSNameRules {
    /// A subjectAltName dNSName entry, classified.
    enum Presented: Equatable {
        /// A host name, lower-cased.
        case exact(String)
        /// `*.` followed by a host name of at least two labels (the part after `*.`, lower-cased).
        case wildcard(parent: String)
        /// Not a valid entry, and why.
        case invalid(String)
    }

    /// Classifies a dNSName entry's octets.
    static func classify(_ octets: [UInt8]) -> Presented {
        guard octets.allSatisfy({ $0 < 0x80 }) else { return .invalid("is not ASCII (IDNs must be A-labels)") }
        let text = String(decoding: octets, as: UTF8.self).lowercased()
        if text.hasPrefix("*.") {
            let parent = String(text.dropFirst(2))
            if let problem = hostNameProblem(parent) { return .invalid(problem) }
            guard parent.contains(".") else { return .invalid("is a wildcard over a single label") }
            return .wildcard(parent: parent)
        }
        if text.contains("*") { return .invalid("has a wildcard that is not the whole leftmost label") }
        if let problem = hostNameProblem(text) { return .invalid(problem) }
        return .exact(text)
    }

    /// Why `name` is not a host name in preferred name syntax, or nil: labels of 1 to 63 letters, digits and
    /// hyphens, not starting or ending with a hyphen, at most 253 octets, no leading, trailing or double dot.
    static func hostNameProblem(_ name: String) -> String? {
        let octets = Array(name.utf8)
        guard !octets.isEmpty else { return "is empty" }
        guard octets.count <= 253 else { return "is longer than 253 octets" }
        if octets.first == UInt8(ascii: ".") { return "starts with a period" }
        if octets.last == UInt8(ascii: ".") { return "ends with a period" }
        for label in octets.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !label.isEmpty else { return "has an empty label" }
            guard label.count <= 63 else { return "has a label longer than 63 octets" }
            for octet in label {
                switch octet {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                    continue
                case UInt8(ascii: "_"):
                    return "contains an underscore"
                case UInt8(ascii: "*"):
                    return "contains a wildcard"
                default:
                    return "contains the character 0x\(String(octet, radix: 16))"
                }
            }
            if label.first == UInt8(ascii: "-") || label.last == UInt8(ascii: "-") {
                return "has a label that starts or ends with a hyphen"
            }
        }
        return nil
    }

    /// Whether libcrypto's host check (`X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS`) can match the entry `octets`
    /// to `reference` (lower case, no trailing dot): equal ignoring ASCII case, or `*.<parent>` with a parent
    /// of two or more labels equal to `reference` without its first label. Used to find which entries a
    /// match may have used; valid or not.
    static func mayMatch(_ octets: [UInt8], reference: String) -> Bool {
        let text = String(decoding: octets, as: UTF8.self).lowercased()
        if text == reference { return true }
        guard text.hasPrefix("*."), let dot = reference.firstIndex(of: ".") else { return false }
        let parent = text.dropFirst(2)
        return dot != reference.startIndex && parent.contains(".") && reference[reference.index(after: dot)...] == parent
    }

    /// Why a dNSName constraint is malformed, or nil. The constraint is a host name (RFC 5280 §4.2.1.10:
    /// "host.example.com" — unlike URI constraints, no leading period) or empty (every name).
    static func constraintProblem(_ octets: [UInt8]) -> String? {
        guard !octets.isEmpty else { return nil }
        guard octets.allSatisfy({ $0 < 0x80 }) else { return "is not ASCII" }
        return hostNameProblem(String(decoding: octets, as: UTF8.self))
    }

    /// Whether `name` lies in the subtree of the dNSName constraint `constraint` (both lower case, valid):
    /// equal, or `name` ends with `.constraint`; the empty constraint holds every name.
    static func isWithin(_ name: String, constraint: String) -> Bool {
        constraint.isEmpty || name == constraint || name.hasSuffix("." + constraint)
    }
}
