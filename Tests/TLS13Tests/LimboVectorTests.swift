import Foundation
import Testing
import TLS13

/// The x509-limbo cases whose verdict differs from limbo's expected result on purpose, each with the reason.
/// `Docs/Security.md` ("x509-limbo") holds the same table (``LimboVectorTests/securityDocListsEveryException()``
/// keeps it honest) and `Scripts/limbo.sh` reads it from there.
enum LimboExceptions {
    struct Exception: Sendable {
        var id: String
        /// What limbo expects; the verifier does the opposite.
        var limboExpects: String
        var reason: String
    }

    static let all: [Exception] = [
        Exception(
            id: "rfc5280::nc::permitted-dns-match-noncritical", limboExpects: "FAILURE",
            reason: "RFC 5280 wants nameConstraints critical; the Web PKI allows it non-critical (CA/B Forum BR "
                + "7.1.2.5.2) and limbo's `webpki::nc::permitted-dns-match-noncritical` (accepted here) is the same "
                + "chain expecting SUCCESS"),
        Exception(
            id: "rfc5280::ca-as-leaf", limboExpects: "SUCCESS",
            reason: "RFC 5280 lets a CA certificate be the leaf; the Web PKI does not (BR 7.1.2.7.8, 7.1.2.7.11) and "
                + "limbo's `webpki::ca-as-leaf` (rejected here) is the same chain expecting FAILURE"),
        Exception(
            id: "pathlen::validation-ignores-pathlen-in-leaf", limboExpects: "SUCCESS",
            reason: "its leaf is a CA certificate (cA=TRUE, pathlen:0, no serverAuth): never a server's "
                + "certificate in the Web PKI, as for `webpki::ca-as-leaf`"),
        Exception(
            id: "rfc5280::eku::ee-without-eku", limboExpects: "SUCCESS",
            reason: "RFC 5280 reads a missing extendedKeyUsage as any purpose; the Web PKI requires serverAuth (BR "
                + "7.1.2.7.10) and limbo's `webpki::eku::ee-without-eku` (rejected here) is the same chain expecting "
                + "FAILURE"),
        Exception(
            id: "rfc5280::aki::cross-signed-root-missing-aki", limboExpects: "FAILURE",
            reason: "a trust anchor is its configured name and key (RFC 5280 §6.1.1(d)); a trusted cross-certificate "
                + "without authorityKeyIdentifier is accepted because `cve::cve-2024-0567`, which must pass, trusts "
                + "exactly such a certificate (`Root A`); limbo marks this case pedantic-rfc5280"),
        Exception(
            id: "rfc5280::ski::root-missing-ski", limboExpects: "FAILURE",
            reason: "the anchor is trusted as configured: roots in use lack subjectKeyIdentifier (Debian 12's store: "
                + "TWCA Global Root CA, Hongkong Post Root CA 1), and rustls-webpki keeps only an anchor's name, key and "
                + "name constraints; the rule holds for intermediates"),
        Exception(
            id: "rfc5280::root-non-critical-basic-constraints", limboExpects: "FAILURE",
            reason: "the anchor is trusted as configured: roots in use have a non-critical basicConstraints "
                + "(Debian 12's store: Go Daddy Class 2, Starfield Class 2, Chunghwa ePKI Root); the rule holds for "
                + "intermediates"),
        Exception(
            id: "webpki::cn::not-in-san", limboExpects: "FAILURE",
            reason: "limbo's own default leaf has `CN=example.com` beside unrelated subjectAltNames and expects "
                + "SUCCESS (e.g. `webpki::san::exact-localhost-ip-san`, `webpki::nc::nc-permits-dns-san-pattern`), so "
                + "a CN naming another host cannot be refused; a CN that spells a SAN name or address differently is"),
        Exception(
            id: "webpki::cn::punycode-not-in-san", limboExpects: "FAILURE",
            reason: "as `webpki::cn::not-in-san`: the CN is an A-label of another domain than the SAN's"),
        Exception(
            id: "webpki::san::public-suffix-private-namespace-wildcard-san", limboExpects: "FAILURE",
            reason: "wildcards are held to the ICANN section of the Public Suffix List only: owners of PRIVATE-section "
                + "names hold real wildcard certificates (Amazon's for s3.amazonaws.com lists `*.s3.amazonaws.com`, "
                + "see `online::s3.amazonaws.com`), which name every S3 bucket"),
    ]

    static func reason(for id: String) -> String? { all.first { $0.id == id }?.reason }
}

/// One case of `Vectors/limbo/limbo-server.json` (see its README).
struct LimboCase: Decodable, Sendable, CustomStringConvertible {
    struct PeerName: Decodable, Sendable {
        var kind: String
        var value: String
    }

    var id: String
    var expected_result: String
    var expected_peer_name: PeerName?
    var validation_time: Int64?
    var peer_certificate: String
    var untrusted_intermediates: [String]
    var trusted_certs: [String]

    var description: String { id }

    static let all: Result<[LimboCase], VectorError> = {
        struct File: Decodable { var testcases: [LimboCase] }
        do {
            return .success(try JSONDecoder().decode(File.self, from: try VectorPaths.load("limbo/limbo-server.json"))
                .testcases)
        } catch let error as VectorError {
            return .failure(error)
        } catch {
            return .failure(VectorError(description: "limbo-server.json: \(error)"))
        }
    }()

    static func named(_ id: String) throws -> LimboCase {
        guard let found = try all.get().first(where: { $0.id == id }) else {
            throw VectorError(description: "no limbo case \(id)")
        }
        return found
    }

    /// The chain as a server would send it (leaf, then the intermediates) and the roots, DER.
    func chain() throws -> (chain: [[UInt8]], roots: [[UInt8]]) {
        func der(_ pems: [String]) throws -> [[UInt8]] {
            try pems.flatMap { try TLSCertificateChainVerifier.certificates(fromPEM: Array($0.utf8)) }
        }
        return (try der([peer_certificate] + untrusted_intermediates), try der(trusted_certs))
    }

    var identity: TLSCertificateChainVerifier.Identity {
        switch (expected_peer_name?.kind, expected_peer_name?.value) {
        case ("DNS", let name?): .dnsName(name)
        case ("IP", let address?): .ipAddress(address)
        default: .none
        }
    }

    /// The public verifier's verdict: nil when accepted, else the error.
    func verdict() throws -> TLSError? {
        let (chain, roots) = try chain()
        let verifier = try TLSCertificateChainVerifier(trustedRoots: roots)
        let time = validation_time ?? Int64(Date().timeIntervalSince1970)
        do throws(TLSError) {
            try verifier.verify(chain: chain, identity: identity, atSecondsSince1970: time)
            return nil
        } catch {
            return error
        }
    }
}

/// The committed x509-limbo subset through ``TLSCertificateChainVerifier`` (the CI part of `Scripts/limbo.sh`).
@Suite struct LimboVectorTests {
    static var cases: [LimboCase] { (try? LimboCase.all.get()) ?? [] }

    @Test func vectorsLoad() throws {
        let cases = try LimboCase.all.get()
        #expect(cases.count == 180)
        #expect(Set(cases.map(\.id)).count == cases.count)
        // Every listed exception is among the vectors, so the test below checks each one.
        for exception in LimboExceptions.all {
            #expect(cases.contains { $0.id == exception.id }, "\(exception.id) is not in limbo-server.json")
        }
    }

    @Test(arguments: cases)
    func limboCase(_ c: LimboCase) throws {
        let error = try c.verdict()
        let accepted = error == nil
        let expected = c.expected_result == "SUCCESS"
        if let exception = LimboExceptions.all.first(where: { $0.id == c.id }) {
            #expect(exception.limboExpects == c.expected_result)
            #expect(accepted != expected, "\(c.id) is listed as an exception but now agrees with limbo: drop it")
            return
        }
        if accepted != expected {
            let verdict = accepted ? "accepted it" : "rejected it: \(String(describing: error))"
            Issue.record("\(c.id): limbo expects \(c.expected_result), the verifier \(verdict)")
        }
        // A rejection is always a certificate alert, never a local failure.
        if let error {
            guard case .certificateRejected(let alert, _) = error else {
                Issue.record("\(c.id): \(error) is not certificateRejected")
                return
            }
            #expect([.badCertificate, .unsupportedCertificate, .certificateExpired, .certificateUnknown,
                     .unknownCA].contains(alert), "\(c.id): \(error)")
        }
    }

    /// Cases whose verdict this work changed, with the rule that decides them now.
    @Test(arguments: [
        ("cve::cve-2025-61727", "name constraints violation: wildcard *.example.com"),
        ("rfc5280::nc::nc-forbids-dnsname-wildcard-san", "name constraints violation: wildcard *.example.com"),
        ("webpki::nc::intermediate-permitted-excluded-subtrees-both-null", "neither permittedSubtrees nor"),
        ("webpki::nc::intermediate-permitted-excluded-subtrees-both-empty-sequences", "permittedSubtrees is empty"),
        ("rfc5280::nc::invalid-dnsname-leading-period", "starts with a period"),
        ("rfc5280::nc::nc-permits-invalid-dns-san", "cannot be applied to it"),
        ("rfc5280::nc::not-allowed-in-ee-critical", "nameConstraints in a certificate that is not a CA"),
        ("webpki::ee-basicconstraints-ca", "a CA certificate (basicConstraints cA=TRUE) cannot be"),
        ("rfc5280::leaf-ku-keycertsign", "keyUsage keyCertSign"),
        ("webpki::eku::ee-anyeku", "anyExtendedKeyUsage"),
        ("webpki::eku::ee-without-eku", "no extendedKeyUsage"),
        ("webpki::eku::ee-critical-eku", "extendedKeyUsage is marked critical"),
        ("webpki::eku::root-has-eku", "a root CA certificate must not have extendedKeyUsage"),
        ("webpki::san::public-suffix-multi-label-wildcard-san", "covers the public suffix co.uk"),
        ("webpki::forbidden-dsa-leaf", "DSA key"),
        ("webpki::forbidden-dsa-root", "DSA key"),
        ("webpki::forbidden-rsa-key-not-divisible-by-8-in-leaf", "not a multiple of 8"),
        ("webpki::forbidden-rsa-not-divisible-by-8-in-root", "not a multiple of 8"),
        ("rfc5280::serial::zero", "serial number is zero"),
        ("rfc5280::serial::too-long", "longer than 20 octets"),
        ("rfc5280::aki::leaf-missing-aki", "no authorityKeyIdentifier"),
        ("rfc5280::aki::intermediate-missing-aki", "no authorityKeyIdentifier"),
        ("rfc5280::ski::intermediate-missing-ski", "without subjectKeyIdentifier"),
        ("webpki::aki::root-with-aki-missing-keyidentifier", "without keyIdentifier"),
        // Rejected before only because libcrypto took these roots for no anchor; with any trusted certificate an
        // anchor (X509_V_FLAG_PARTIAL_CHAIN) the profile's rule rejects them.
        ("webpki::aki::root-with-aki-authoritycertissuer", "names an authorityCertIssuer other than the root"),
        ("webpki::aki::root-with-aki-authoritycertserialnumber", "names an authorityCertSerialNumber other than"),
        ("webpki::aki::root-with-aki-all-fields", "names an authorityCertIssuer other than the root"),
        ("rfc5280::root-missing-basic-constraints", "it is not a CA certificate"),
        ("rfc5280::ca-empty-subject", "the issuer is empty"),
        ("rfc5280::pc::ica-noncritical-pc", "policyConstraints is not marked critical"),
        ("rfc5280::san::noncritical-with-empty-subject", "subjectAltName is not marked critical"),
        ("webpki::san::san-critical-with-nonempty-subject", "subjectAltName is marked critical"),
        ("rfc5280::san::underscore-dns", "contains an underscore"),
        ("webpki::malformed-aia", "malformed authorityInfoAccess"),
        ("webpki::cn::case-mismatch", "in other letter case"),
        ("webpki::cn::ipv4-hex-mismatch", "written in another form"),
        ("webpki::cn::ipv4-leading-zeros-mismatch", "written in another form"),
        ("webpki::cn::ipv6-uppercase-mismatch", "written in another form"),
        ("webpki::cn::ipv6-uncompressed-mismatch", "written in another form"),
        ("webpki::cn::ipv6-non-rfc5952-mismatch", "written in another form"),
        ("webpki::cn::utf8-vs-punycode-mismatch", "A-label"),
        ("pathological::nc-dos-2", "name constraints too large to check"),
    ])
    func changedRejectionNamesItsRule(_ id: String, _ rule: String) throws {
        let c = try LimboCase.named(id)
        #expect(c.expected_result == "FAILURE")
        let error = try c.verdict()
        guard case .certificateRejected(_, let reason)? = error else {
            Issue.record("\(id): expected a rejection, got \(String(describing: error))")
            return
        }
        #expect(reason.contains(rule), "\(id): \(reason)")
    }

    /// Cases limbo expects accepted that were rejected before this work.
    @Test(arguments: ["cve::cve-2024-0567", "rfc5280::nc::nc-forbids-alternate-chain-ica",
                      "rfc5280::nc::nc-forbids-same-chain-ica", "rfc5280::root-and-intermediate-swapped",
                      "rfc5280::validity::notafter-exact", "rfc5280::validity::notafter-fractional"])
    func nowAccepted(_ id: String) throws {
        let c = try LimboCase.named(id)
        #expect(c.expected_result == "SUCCESS")
        let error = try c.verdict()
        #expect(error == nil, "\(id): \(String(describing: error))")
    }

    /// The path search is bounded: a chain of 100 intermediates that all share one subject and key (every one
    /// "issues" every other) is rejected promptly, also past the handshake's chain-length limit.
    @Test func pathologicalChainIsRejectedPromptly() throws {
        let c = try LimboCase.named("pathological::pathological-chain-same-subject-same-key")
        let (chain, roots) = try c.chain()
        #expect(chain.count == 101)
        var verifier = try TLSCertificateChainVerifier(trustedRoots: roots)
        // The default limit (as a connection's) rejects it before any path building.
        let limited = expectTLSError { try verifier.verify(chain: chain, identity: c.identity, atSecondsSince1970: 1_750_000_000) }
        #expect(limited == .certificateRejected(alert: .badCertificate,
                                                reason: "chain of 101 certificates exceeds the limit of 10"))
        verifier.maxCertificateChainLength = 1000
        let clock = ContinuousClock()
        let start = clock.now
        let error = expectTLSError {
            try verifier.verify(chain: chain, identity: c.identity, atSecondsSince1970: 1_750_000_000)
        }
        #expect(error?.alert == .unknownCA, "\(String(describing: error))")
        #expect(clock.now - start < .seconds(20), "path search took \(clock.now - start)")
    }

    static let docBegin = "<!-- limbo-exceptions:begin -->"
    static let docEnd = "<!-- limbo-exceptions:end -->"

    static var exceptionTable: String {
        var lines = ["| case | limbo expects | verifier | why |", "| --- | --- | --- | --- |"]
        lines += LimboExceptions.all.map {
            "| `\($0.id)` | \($0.limboExpects) | \($0.limboExpects == "SUCCESS" ? "rejects" : "accepts") | \($0.reason) |"
        }
        return lines.joined(separator: "\n")
    }

    /// `Docs/Security.md` lists every exception with its reason, and nothing else (`Scripts/limbo.sh` reads the
    /// list from there). `UPDATE_SECURITY_DOC=1` rewrites the table.
    @Test func securityDocListsEveryException() throws {
        let url = CLIProcess.packageRoot.appendingPathComponent("Docs/Security.md")
        let text = try String(contentsOf: url, encoding: .utf8)
        let begin = try #require(text.range(of: Self.docBegin), "no \(Self.docBegin) marker")
        let end = try #require(text.range(of: Self.docEnd), "no \(Self.docEnd) marker")
        let current = text[begin.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        if current != Self.exceptionTable, ProcessInfo.processInfo.environment["UPDATE_SECURITY_DOC"] == "1" {
            let updated = text[..<begin.upperBound] + "\n" + Self.exceptionTable + "\n" + text[end.lowerBound...]
            try updated.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let want = Self.exceptionTable.split(separator: "\n").map(String.init)
        let have = current.split(separator: "\n").map(String.init)
        for row in want where !have.contains(row) {
            Issue.record("Docs/Security.md lacks (or has an outdated) row: \(row)")
        }
        for row in have where !want.contains(row) {
            Issue.record("Docs/Security.md has a row for no exception: \(row)")
        }
    }
}
