import Foundation
import Testing
@testable import TLS13

/// The pieces of the Web PKI profile on their own: the DER reader, certificate fields, host-name syntax,
/// public suffixes, address text and name-constraint logic.
@Suite struct WebPKIRuleTests {
    // MARK: DER

    @Test func derLengths() throws {
        var short = DERReader([0x04, 0x02, 0xaa, 0xbb])
        let element = try short.read()
        #expect(element.tag == 0x04 && Array(element.contents) == [0xaa, 0xbb] && short.isAtEnd)
        var long = DERReader([0x04, 0x81, 0x80] + [UInt8](repeating: 7, count: 128))
        #expect(try long.read().contents.count == 128)
        let bad: [([UInt8], String)] = [
            ([0x04, 0x81, 0x05, 1, 2, 3, 4, 5], "length not minimally encoded"),
            ([0x04, 0x82, 0x00, 0x80] + [UInt8](repeating: 0, count: 128), "length not minimally encoded"),
            ([0x04, 0x80, 0x00, 0x00], "indefinite length"),
            ([0x04, 0x85, 1, 1, 1, 1, 1], "length of 5 octets"),
            ([0x04, 0x03, 1, 2], "element of 3 octets runs past the end of its container"),
            ([0x04], "truncated length"),
            ([0x04, 0x82, 0x01], "truncated length"),
            ([0x1f, 0x01, 0x00], "high tag numbers are not supported"),
            ([], "truncated: an element was expected"),
        ]
        for (bytes, message) in bad {
            var reader = DERReader(bytes)
            #expect(throws: DERError(message)) { try reader.read() }
        }
        var trailing = DERReader([0x05, 0x00, 0x00])
        _ = try trailing.read()
        #expect(throws: DERError("NULL: 1 trailing octets")) { try trailing.expectEnd("NULL") }
    }

    /// Every certificate of the test PKI parses; every truncation of one fails cleanly.
    @Test func certificateFields() throws {
        let folder = CertPaths.root
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).map { $0 }
            + (try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("edge").path)
                .map { "edge/\($0)" })
        var count = 0
        for file in files where file.hasSuffix(".pem") && !file.hasSuffix("-chain.pem") {
            for certificate in try PEM.certificates(fromFile: CertPaths.path(file)) {
                _ = try ParsedCertificate(der: certificate.der)
                count += 1
            }
        }
        #expect(count > 80)
        let leaf = try ParsedCertificate(der: try EdgePKI.certificate("leaf-ecdsa-p256.pem"))
        #expect(leaf.version == 2)
        #expect(leaf.commonNames == ["localhost"])
        #expect(leaf.keyAlgorithm == OID.ecPublicKey)
        #expect(leaf.findExtension(OID.subjectAltName)?.critical == false)
        #expect(leaf.findExtension(OID.basicConstraints)?.critical == true)
        let der = try EdgePKI.certificate("leaf-ecdsa-p256.pem")
        for length in stride(from: 0, to: der.count, by: 7) {
            #expect(throws: DERError.self) { try ParsedCertificate(der: Array(der.prefix(length))) }
        }
        #expect(throws: DERError.self) { try ParsedCertificate(der: der + [0]) }
    }

    /// Hostile input: every single-byte corruption of a certificate either fails to parse or runs through every
    /// profile rule, as leaf, intermediate and anchor, without trapping.
    @Test func corruptedCertificatesNeverTrap() throws {
        let ders = [try EdgePKI.certificate("edge/nc-wildcard.pem"), try EdgePKI.certificate("edge/nc-intermediate.pem"),
                    try EdgePKI.certificate("leaf-rsa2048.pem")]
        var parsed = 0
        for der in ders {
            for index in der.indices {
                var corrupted = der
                corrupted[index] ^= index % 2 == 0 ? 0xff : 0x01
                let fields = Result { () throws(DERError) in try ParsedCertificate(der: corrupted) }
                if case .success = fields { parsed += 1 }
                let entry = WebPKIProfile.Entry(fields: fields, label: "test", subject: "test")
                for path in [[entry], [entry, entry], [entry, entry, entry]] {
                    _ = try? WebPKIProfile.check(path: path, hostname: "a.allowed.example")
                }
            }
        }
        #expect(parsed > 0)
    }

    @Test func rsaModulusSizes() throws {
        let rsa2048 = try ParsedCertificate(der: try EdgePKI.certificate("leaf-rsa2048.pem"))
        #expect(WebPKIProfile.rsaModulusBits(rsa2048.publicKey) == 2048)
        let rsa2052 = try ParsedCertificate(der: try EdgePKI.certificate("edge/rsa2052-leaf.pem"))
        #expect(WebPKIProfile.rsaModulusBits(rsa2052.publicKey) == 2052)
        #expect(WebPKIProfile.rsaModulusBits([0x30, 0x00]) == nil)
    }

    // MARK: Names

    @Test func presentedDNSNames() {
        let cases: [(String, DNSNameRules.Presented)] = [
            ("www.Example.com", .exact("www.example.com")),
            ("*.example.com", .wildcard(parent: "example.com")),
            ("*.com", .invalid("is a wildcard over a single label")),
            ("f*.example.com", .invalid("has a wildcard that is not the whole leftmost label")),
            ("a.*.example.com", .invalid("has a wildcard that is not the whole leftmost label")),
            ("foo_bar.example.com", .invalid("contains an underscore")),
            (".example.com", .invalid("starts with a period")),
            ("example.com.", .invalid("ends with a period")),
            ("a..b", .invalid("has an empty label")),
            ("-a.example", .invalid("has a label that starts or ends with a hyphen")),
            ("xn--bcher-kva.example", .exact("xn--bcher-kva.example")),
            ("😜.example.com", .invalid("is not ASCII (IDNs must be A-labels)")),
            (String(repeating: "a", count: 64) + ".example", .invalid("has a label longer than 63 octets")),
        ]
        for (name, expected) in cases {
            #expect(DNSNameRules.classify(Array(name.utf8)) == expected, "\(name)")
        }
        #expect(DNSNameRules.classify(Array("*".utf8)) == .invalid("has a wildcard that is not the whole leftmost label"))
        #expect(DNSNameRules.mayMatch(Array("*.Example.com".utf8), reference: "a.example.com"))
        #expect(!DNSNameRules.mayMatch(Array("*.example.com".utf8), reference: "a.b.example.com"))
        #expect(!DNSNameRules.mayMatch(Array("*.com".utf8), reference: "example.com"))
        #expect(DNSNameRules.isWithin("a.allowed.example", constraint: "allowed.example"))
        #expect(!DNSNameRules.isWithin("notallowed.example", constraint: "allowed.example"))
        #expect(DNSNameRules.isWithin("anything", constraint: ""))
    }

    @Test func publicSuffixes() {
        #expect(PublicSuffix.loadedRuleCount == PublicSuffix.ruleCount)
        #expect(PublicSuffix.ruleCount > 5000)
        for suffix in ["com", "co.uk", "pvt.k12.ma.us", "anything.ck", "anything.kawasaki.jp", "xn--p1ai", "anytld"] {
            #expect(PublicSuffix.isPublicSuffix(suffix), "\(suffix)")
        }
        // www.ck is excepted from *.ck (and kawasaki.jp itself is no rule, only *.kawasaki.jp); the PRIVATE
        // section (s3.amazonaws.com, github.io) is not loaded.
        for name in ["example.com", "example.co.uk", "www.ck", "kawasaki.jp", "city.kawasaki.jp", "s3.amazonaws.com",
                     "github.io"] {
            #expect(!PublicSuffix.isPublicSuffix(name), "\(name)")
        }
    }

    @Test func addressText() {
        #expect(IPAddressText.parse("0xC0A80101") == [192, 168, 1, 1])
        #expect(IPAddressText.parse("192.168.001.001") == [192, 168, 1, 1])
        #expect(IPAddressText.parse("3232235777") == [192, 168, 1, 1])
        #expect(IPAddressText.parse("::1") == [UInt8](repeating: 0, count: 15) + [1])
        for text in ["localhost", "1.2.3.4.5", "", "example.com", "::g"] {
            #expect(IPAddressText.parse(text) == nil, "\(text)")
        }
        let v6: [([UInt8], String)] = [
            ([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1], "2001:db8::1"),
            ([UInt8](repeating: 0, count: 16), "::"),
            ([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], "2001:db8::1:0:0:1"),
            ([0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3], "1:0:0:2::3"),
            ([0, 1, 0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7], "1:0:2:3:4:5:6:7"),
            ([0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [0xab], "fe80::ab"),
        ]
        for (octets, text) in v6 { #expect(WebPKIProfile.canonicalAddress(octets) == text) }
        #expect(WebPKIProfile.canonicalAddress([127, 0, 0, 1]) == "127.0.0.1")
        #expect(WebPKIProfile.canonicalAddress([1, 2, 3]) == nil)
    }

    // MARK: Name constraints

    func constraints(permitted: [String] = [], excluded: [String] = []) -> NameConstraintRules.NameConstraints {
        func subtrees(_ names: [String]) -> [NameConstraintRules.NameConstraints.Subtree]? {
            names.isEmpty ? nil : names.map { .init(base: .dnsName(Array($0.utf8)), hasDefaultBounds: true) }
        }
        return .init(permitted: subtrees(permitted), excluded: subtrees(excluded))
    }

    @Test func wildcardsAgainstConstraints() {
        // Excluded: a one-label child of the wildcard's parent, the parent, or an ancestor.
        #expect(NameConstraintRules.wildcardViolation(parent: "example.com", constraints(excluded: ["bar.example.com"]))
            == "it matches bar.example.com, which is in the excluded subtree bar.example.com")
        #expect(NameConstraintRules.wildcardViolation(parent: "example.com", constraints(excluded: ["example.com"])) != nil)
        #expect(NameConstraintRules.wildcardViolation(parent: "example.com", constraints(excluded: ["com"])) != nil)
        // Two labels deeper than the wildcard reaches, or a sibling: no violation.
        #expect(NameConstraintRules.wildcardViolation(parent: "example.com", constraints(excluded: ["a.b.example.com"])) == nil)
        #expect(NameConstraintRules.wildcardViolation(parent: "example.com", constraints(excluded: ["example.org"])) == nil)
        // Permitted: the parent must be inside one subtree.
        #expect(NameConstraintRules.wildcardViolation(parent: "foo.com", constraints(permitted: ["foo.com"])) == nil)
        #expect(NameConstraintRules.wildcardViolation(parent: "a.foo.com", constraints(permitted: ["foo.com"])) == nil)
        #expect(NameConstraintRules.wildcardViolation(parent: "example.com", constraints(permitted: ["foo.example.com"]))
            == "it matches names outside the permitted subtrees foo.example.com")
    }

    @Test func constraintSyntax() {
        #expect(NameConstraintRules.syntaxProblem(constraints(permitted: ["allowed.example", ""])) == nil)
        #expect(NameConstraintRules.syntaxProblem(constraints(permitted: [".allowed.example"]))
            == "permitted dNSName \".allowed.example\" starts with a period (RFC 5280 §4.2.1.10)")
        #expect(NameConstraintRules.syntaxProblem(constraints(excluded: ["*.example.com"]))
            == "excluded dNSName \"*.example.com\" contains a wildcard (RFC 5280 §4.2.1.10)")
        let ip = NameConstraintRules.NameConstraints(
            permitted: [.init(base: .ipAddress([192, 0, 2, 0, 255, 0, 255, 0]), hasDefaultBounds: true)], excluded: nil)
        #expect(NameConstraintRules.syntaxProblem(ip) == "permitted iPAddress has a non-contiguous mask")
        let short = NameConstraintRules.NameConstraints(
            permitted: [.init(base: .ipAddress([192, 0, 2, 1]), hasDefaultBounds: true)], excluded: nil)
        #expect(NameConstraintRules.syntaxProblem(short) == "permitted iPAddress of 4 octets is not an address and mask")
        let bounded = NameConstraintRules.NameConstraints(
            permitted: [.init(base: .dnsName(Array("a.example".utf8)), hasDefaultBounds: false)], excluded: nil)
        #expect(NameConstraintRules.syntaxProblem(bounded)?.contains("minimum other than 0 or a maximum") == true)
        // DER that is not a NameConstraints value.
        for bytes: [UInt8] in [[0x30, 0x00], [0x30, 0x04, 0xa0, 0x00, 0xa1, 0x00], [0x30, 0x02, 0xa2, 0x00]] {
            #expect(throws: DERError.self) { try CertificateExtensions.nameConstraints(bytes[...]) }
        }
    }
}
