/// Public suffixes ("registry-controlled" names such as `com`, `co.uk`, `pvt.k12.ma.us`), for the rule that a
/// wildcard must not cover one (CA/B Forum BR §3.2.2.6: `*.co.uk` names every site under co.uk).
///
/// The rules are the ICANN section of the Public Suffix List, embedded at build time
/// (`PublicSuffixList.swift`, made by `Scripts/make-public-suffix.py`), so a verdict never depends on what the
/// machine has installed. The PRIVATE section (`s3.amazonaws.com`, `github.io`, …) is left out on purpose:
/// the owners of those names do hold wildcard certificates for them (`*.s3.amazonaws.com` serves every S3
/// bucket by name), so rejecting them would break real sites; see `Docs/Security.md`, "x509-limbo".
enum PublicSuffix {
    private struct Rules: Sendable {
        var exact: Set<String> = []
        var wildcardParents: Set<String> = []
        var exceptions: Set<String> = []
    }

    private static let rules: Rules = {
        var rules = Rules()
        for line in rulesText.split(separator: "\n") {
            if line.hasPrefix("!") {
                rules.exceptions.insert(String(line.dropFirst()))
            } else if line.hasPrefix("*.") {
                rules.wildcardParents.insert(String(line.dropFirst(2)))
            } else {
                rules.exact.insert(String(line))
            }
        }
        return rules
    }()

    /// Whether `name` (lower case, A-labels, no trailing dot) is a public suffix: listed, matched by a
    /// wildcard rule and not excepted, or a single label (the list's implicit `*` rule: every TLD).
    static func isPublicSuffix(_ name: String) -> Bool {
        guard !name.isEmpty else { return true }  // the root
        guard let dot = name.firstIndex(of: ".") else { return true }
        let rules = Self.rules
        if rules.exact.contains(name) { return true }
        if rules.exceptions.contains(name) { return false }
        return rules.wildcardParents.contains(String(name[name.index(after: dot)...]))
    }

    /// How many rules were loaded (for tests).
    static var loadedRuleCount: Int { rules.exact.count + rules.wildcardParents.count + rules.exceptions.count }
}
