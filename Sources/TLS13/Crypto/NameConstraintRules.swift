/// Name-constraint checks that libcrypto's `NAME_CONSTRAINTS_check` does not make (RFC 5280 §4.2.1.10,
/// CA/B Forum BR §7.1.2.5.2), run on a verified path by ``WebPKIProfile``:
///
/// * the extension's syntax: at least one of permittedSubtrees / excludedSubtrees, neither empty, minimum 0
///   and no maximum, dNSName bases that are host names (no leading period, no wildcard), iPAddress bases of
///   an address and a contiguous mask;
/// * wildcards: libcrypto compares the string `*.example.com` with each constraint, so an excluded
///   `bar.example.com` did not stop `*.example.com`, which matches bar.example.com. Here a wildcard counts as
///   every name it can match: it violates an excluded subtree that one of those names falls in, and a permitted
///   subtree list unless all of them fall in it (CVE-2025-61727);
/// * under a dNSName constraint every dNSName of the leaf must be a valid name, since a malformed one
///   (`.example.com`) cannot be shown to be inside the permitted space.
enum NameConstraintRules {
    typealias NameConstraints = CertificateExtensions.NameConstraints

    /// Why the constraints are malformed, or nil (the DER itself has been decoded by then).
    static func syntaxProblem(_ constraints: NameConstraints) -> String? {
        for (subtrees, what) in [(constraints.permitted, "permitted"), (constraints.excluded, "excluded")] {
            for subtree in subtrees ?? [] {
                guard subtree.hasDefaultBounds else {
                    return "a \(what) subtree has a minimum other than 0 or a maximum (RFC 5280 §4.2.1.10)"
                }
                switch subtree.base {
                case .dnsName(let octets):
                    if let problem = DNSNameRules.constraintProblem(octets) {
                        return "\(what) dNSName \"\(printable(octets))\" \(problem) (RFC 5280 §4.2.1.10)"
                    }
                case .ipAddress(let octets):
                    guard octets.count == 8 || octets.count == 32 else {
                        return "\(what) iPAddress of \(octets.count) octets is not an address and mask"
                    }
                    guard isContiguousMask(octets.suffix(octets.count / 2)) else {
                        return "\(what) iPAddress has a non-contiguous mask"
                    }
                default:
                    continue
                }
            }
        }
        return nil
    }

    /// Whether the constraints restrict dNSNames at all.
    static func constrainsDNSNames(_ constraints: NameConstraints) -> Bool {
        !dnsBases(constraints.permitted).isEmpty || !dnsBases(constraints.excluded).isEmpty
    }

    /// For a wildcard `*.<parent>` of the leaf: the subtree it breaks out of, or nil.
    static func wildcardViolation(parent: String, _ constraints: NameConstraints) -> String? {
        for excluded in dnsBases(constraints.excluded) {
            // The wildcard names <label>.<parent>: inside the excluded subtree when the subtree is one such
            // name, or when the parent itself is inside it (libcrypto catches the latter already).
            if DNSNameRules.isWithin(parent, constraint: excluded) {
                return "excluded subtree \(excluded.isEmpty ? "(every name)" : excluded) contains every name it matches"
            }
            if let dot = excluded.firstIndex(of: "."), excluded[excluded.index(after: dot)...] == parent {
                return "it matches \(excluded), which is in the excluded subtree \(excluded)"
            }
        }
        let permitted = dnsBases(constraints.permitted)
        if !permitted.isEmpty, !permitted.contains(where: { DNSNameRules.isWithin(parent, constraint: $0) }) {
            return "it matches names outside the permitted subtrees \(permitted.joined(separator: ", "))"
        }
        return nil
    }

    private static func dnsBases(_ subtrees: [NameConstraints.Subtree]?) -> [String] {
        (subtrees ?? []).compactMap {
            guard case .dnsName(let octets) = $0.base else { return nil }
            return String(decoding: octets, as: UTF8.self).lowercased()
        }
    }

    private static func isContiguousMask(_ mask: ArraySlice<UInt8>) -> Bool {
        var seenZero = false
        for octet in mask {
            for bit in (0..<8).reversed() {
                let set = octet >> UInt8(bit) & 1 == 1
                if set && seenZero { return false }
                if !set { seenZero = true }
            }
        }
        return true
    }

    /// Octets as text for a message: ASCII as is, anything else as `\xNN`.
    static func printable(_ octets: [UInt8]) -> String {
        octets.map { $0 >= 0x20 && $0 < 0x7f ? String(Character(Unicode.Scalar($0))) : "\\x" + String($0, radix: 16) }
            .joined()
    }
}
