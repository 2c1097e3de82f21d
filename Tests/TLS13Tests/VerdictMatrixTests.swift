import Foundation
import Testing
@testable import TLS13

/// Nothing optional changes a verdict: every certificate- or trust-affecting setting crossed with every bad
/// certificate in `Certs/`, each cell a real handshake with `TLSConnection` against `openssl s_server` (its
/// stapled OCSP response from `-status_file`). Each cell must give the default configuration's verdict — the
/// accepted/rejected outcome and the alert — except where a setting is documented to differ (an accepting
/// handler, `--insecure`, OCSP stapling not requested), and then exactly as documented. The rendered table is
/// `Docs/Security.md`, "Options never change a verdict", kept in sync by this test.
@Suite(.serialized) struct VerdictMatrixTests {
    // MARK: - Rows: the bad certificates (and two good controls)

    struct Row: Sendable {
        /// The table label.
        var name: String
        /// The leaf's stem under `Certs/`; the server sends `<stem>-chain.pem`.
        var leaf: String
        /// The name the client checks (a DNS name or an IP literal).
        var serverName = "localhost"
        /// An OCSP response (a file under `Certs/`, or an absolute path) the server staples when asked.
        var staple: String? = nil
        /// The default configuration's verdict: `nil` accepted, else the alert.
        var expected: AlertDescription?
        /// A time (ms since 1970) at which the chain verifies (the date rows), for priming caches and sessions.
        var validAt: Int64? = nil
        /// Resumption column for the date rows: prime at `.0`, resume at `.1` (ms): the session's ticket is still
        /// within its lifetime, the certificate no longer valid.
        var resumptionTimes: (Int64, Int64)? = nil
        /// Trust anchors besides `ca.pem` under which the chain verifies (files under `Certs/`).
        var extraRoots: [String] = []
        /// The staple is what is wrong (the OCSP rows): a client that does not ask for one sees nothing wrong.
        var ocspFailure = false
        /// Checked whatever the handler says and with verification off (the leaf's keyUsage).
        var alwaysChecked = false
        /// Roots (files under `Certs/`) trusted besides `ca.pem` in every column: a Web PKI row whose rule is about
        /// its own root.
        var roots: [String] = []
    }

    /// Milliseconds since 1970 for an ISO date.
    static func at(_ iso: String) -> Int64 {
        let formatter = ISO8601DateFormatter()
        return Int64((formatter.date(from: iso)?.timeIntervalSince1970 ?? 0) * 1000)
    }

    /// This run's temporary files (CA files, the chains the server sends, the garbled staple): removed when the matrix
    /// test ends.
    static let scratch: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tls13-matrix-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    static let garbledStaple: String = {
        // ocsp-good.der with one byte of its signature flipped: parses, does not verify.
        var bytes = (try? [UInt8](CertPaths.load("ocsp-good.der"))) ?? []
        if bytes.count > 8 { bytes[bytes.count - 5] ^= 0x40 }
        let url = scratch.appendingPathComponent("garbled-ocsp.der")
        try? Data(bytes).write(to: url)
        return url.path
    }()

    static let rows: [Row] = [
        Row(name: "good leaf (control)", leaf: "leaf-ecdsa-p256", staple: "ocsp-good.der", expected: nil),
        Row(name: "expired", leaf: "leaf-expired", expected: .certificateExpired, validAt: at("2000-06-01T00:00:00Z"),
            resumptionTimes: (at("2000-12-31T23:50:00Z"), at("2001-01-01T00:10:00Z"))),
        Row(name: "not yet valid", leaf: "leaf-not-yet-valid", expected: .certificateExpired,
            validAt: at("2095-06-01T00:00:00Z")),
        Row(name: "wrong host", leaf: "leaf-wrong-host", expected: .badCertificate),
        Row(name: "self-signed", leaf: "leaf-self-signed", expected: .unknownCA, extraRoots: ["leaf-self-signed.pem"]),
        Row(name: "unknown CA", leaf: "leaf-unknown-ca", expected: .unknownCA, extraRoots: ["unknown-ca-root.pem"]),
        Row(name: "revoked (stapled OCSP)", leaf: "leaf-revoked", staple: "ocsp-revoked.der", expected: .certificateRevoked,
            ocspFailure: true),
        Row(name: "OCSP status unknown", leaf: "leaf-ecdsa-p384", staple: "ocsp-unknown.der", expected: nil),
        Row(name: "OCSP responder not authorized", leaf: "leaf-ecdsa-p256", staple: "ocsp-unauthorized.der",
            expected: .badCertificateStatusResponse, ocspFailure: true),
        Row(name: "OCSP signature garbled", leaf: "leaf-ecdsa-p256", staple: garbledStaple,
            expected: .badCertificateStatusResponse, ocspFailure: true),
        Row(name: "keyUsage without digitalSignature", leaf: "edge/no-digital-signature", expected: .unsupportedCertificate,
            alwaysChecked: true),
        Row(name: "name constraints: outside", leaf: "edge/nc-outside", serverName: "www.forbidden.example",
            expected: .certificateUnknown),
        Row(name: "name constraints: label boundary", leaf: "edge/nc-suffix", serverName: "notallowed.example",
            expected: .certificateUnknown),
        Row(name: "name constraints: one name outside", leaf: "edge/nc-mixed", serverName: "www.allowed.example",
            expected: .certificateUnknown),
        Row(name: "name constraints: excluded", leaf: "edge/nc-excluded", serverName: "www.secret.allowed.example",
            expected: .certificateUnknown),
        Row(name: "wildcard, two labels deep", leaf: "edge/wildcard", serverName: "a.b.example.com", expected: .badCertificate),
        Row(name: "DNS names that look like an IP", leaf: "edge/ip-lookalike", serverName: "127.0.0.1", expected: .badCertificate),
        Row(name: "IP names only, for a host name", leaf: "edge/ip-only", expected: .badCertificate),
        Row(name: "CN not used when a SAN exists", leaf: "edge/cn-ignored", expected: .badCertificate),
        Row(name: "unknown critical extension", leaf: "edge/critical-ext", expected: .certificateUnknown),
        Row(name: "EKU clientAuth only", leaf: "edge/client-auth", expected: .unsupportedCertificate),
        Row(name: "EKU clientAuth-only CA", leaf: "edge/client-eku-int-leaf", expected: .unsupportedCertificate),
        Row(name: "intermediate CA:FALSE", leaf: "edge/ca-false-leaf", expected: .unknownCA),
        Row(name: "intermediate without basicConstraints", leaf: "edge/no-bc-leaf", expected: .unknownCA),
        Row(name: "pathLen exceeded", leaf: "edge/pathlen-leaf", expected: .unknownCA),
        // Not `edge/sha1-leaf`: s_server will not send a chain whose leaf signature (ecdsa-with-SHA1) the client left
        // out of signature_algorithms_cert (handshake_failure), so the client never sees it; CertificateEdgeCaseTests
        // covers the verifier's rejection of it.
        Row(name: "SHA-1-signed intermediate", leaf: "edge/sha1-int-leaf", expected: .badCertificate),
        Row(name: "RSA-1024 leaf", leaf: "edge/rsa1024-leaf", expected: .badCertificate),
        Row(name: "RSA-1024 intermediate", leaf: "edge/rsa1024-int-leaf", expected: .badCertificate),
        // The Web PKI profile (Certs/README.md, "Web PKI profile cases"). Not `edge/dsa-leaf`: a DSA key cannot sign
        // in TLS 1.3, so s_server cannot serve it (CertificateWebPKIProfileTests covers the verifier's rejection).
        Row(name: "Web PKI: CA certificate as the leaf", leaf: "edge/ca-true-leaf", expected: .unsupportedCertificate),
        Row(name: "Web PKI: keyCertSign in the leaf", leaf: "edge/keycertsign-leaf", expected: .unsupportedCertificate),
        Row(name: "Web PKI: anyExtendedKeyUsage", leaf: "edge/anyeku-leaf", expected: .unsupportedCertificate),
        Row(name: "Web PKI: critical EKU", leaf: "edge/critical-eku-leaf", expected: .badCertificate),
        Row(name: "Web PKI: no EKU", leaf: "edge/no-eku", expected: .unsupportedCertificate),
        Row(name: "Web PKI: name constraints in the leaf", leaf: "edge/nc-leaf", expected: .badCertificate),
        Row(name: "Web PKI: no subjectAltName", leaf: "edge/no-san-leaf", expected: .badCertificate),
        Row(name: "Web PKI: critical SAN, subject not empty", leaf: "edge/critical-san-leaf", expected: .badCertificate),
        Row(name: "Web PKI: empty subject, SAN not critical", leaf: "edge/empty-subject-leaf", expected: .badCertificate),
        Row(name: "Web PKI: underscore in a DNS name", leaf: "edge/underscore-san", serverName: "under_score.example",
            expected: .badCertificate),
        Row(name: "Web PKI: wildcard on a public suffix", leaf: "edge/psl-wildcard", serverName: "example.co.uk",
            expected: .badCertificate),
        Row(name: "Web PKI: CN spelled otherwise than the SAN", leaf: "edge/cn-ip-notation", expected: .badCertificate),
        Row(name: "Web PKI: serial number 0", leaf: "edge/serial-zero", expected: .badCertificate),
        Row(name: "Web PKI: serial number over 20 octets", leaf: "edge/serial-too-long", expected: .badCertificate),
        Row(name: "Web PKI: RSA modulus not a multiple of 8", leaf: "edge/rsa2052-leaf", expected: .badCertificate),
        Row(name: "Web PKI: no authorityKeyIdentifier", leaf: "edge/no-aki-leaf", expected: .badCertificate),
        Row(name: "Web PKI: malformed authorityInfoAccess", leaf: "edge/malformed-aia-leaf", expected: .badCertificate),
        Row(name: "Web PKI: wildcard into an excluded subtree", leaf: "edge/nc-wildcard", serverName: "secret.allowed.example",
            expected: .certificateUnknown),
        Row(name: "Web PKI: malformed SAN under constraints", leaf: "edge/nc-invalid-san", serverName: "www.allowed.example",
            expected: .certificateUnknown),
        Row(name: "Web PKI: non-critical basicConstraints CA", leaf: "edge/noncritical-bc-int-leaf", expected: .unknownCA),
        Row(name: "Web PKI: intermediate without SKI", leaf: "edge/no-ski-int-leaf", expected: .badCertificate),
        Row(name: "Web PKI: intermediate without AKI", leaf: "edge/no-aki-int-leaf", expected: .badCertificate),
        Row(name: "Web PKI: non-critical policyConstraints", leaf: "edge/pc-noncritical-int-leaf", expected: .badCertificate),
        Row(name: "Web PKI: constraint with a leading period", leaf: "edge/nc-leading-dot-leaf", serverName: "www.allowed.example",
            expected: .badCertificate),
        Row(name: "Web PKI: empty name constraints", leaf: "edge/nc-empty-leaf", expected: .badCertificate),
        Row(name: "Web PKI: root with an EKU", leaf: "edge/root-eku-leaf", expected: .unknownCA, roots: ["edge/root-eku.pem"]),
        Row(name: "Web PKI: root without basicConstraints", leaf: "edge/root-no-bc-leaf", expected: .unknownCA,
            roots: ["edge/root-no-bc.pem"]),
        Row(name: "Web PKI: root with a foreign AKI", leaf: "edge/root-aki-foreign-leaf", expected: .unknownCA,
            roots: ["edge/root-aki-foreign.pem"]),
        Row(name: "cross-signed CA, untrusted path sent first (control)", leaf: "edge/cross-leaf", expected: nil),
    ]

    // MARK: - Columns: the settings

    enum Setting: String, CaseIterable, Sendable {
        case defaultConfiguration = "default"
        case certificateCacheCold = "parsed-cert cache cold"
        case certificateCacheWarm = "parsed-cert cache warm"
        case chainCacheOff = "chain cache off"
        case chainCacheCold = "chain cache cold"
        case chainCacheWarm = "chain cache warm"
        case chainCacheWarmTrustChanged = "chain cache warm, roots changed"
        case keyShareHintWarm = "key-share hint warm"
        case ocspCheckAccepting = "app OCSP check accepting"
        case resumption = "resumed session"
        case handlerAccepting = "handler accepting"
        case ocspNotRequested = "OCSP not requested"
        case insecure = "--insecure"
        case rootsFromMemory = "system + roots as PEM bytes"
        case pinMatching = "pin: chain's keys"
        case pinMismatch = "pin: another key"
        case privacyAndSizeOff = "no ECH GREASE, permutation, compression"
    }

    /// A cell: accepted, or rejected with this alert.
    enum Verdict: Equatable, Sendable, CustomStringConvertible {
        case accepted
        case rejected(AlertDescription)
        case otherError(String)

        var description: String {
            switch self {
            case .accepted: "accepted"
            case .rejected(let alert): alert.name
            case .otherError(let text): "error: \(text)"
            }
        }
    }

    /// What `setting` must give for `row`, given the default's verdict: the same, or the documented difference.
    static func expected(_ row: Row, _ setting: Setting, defaultVerdict: Verdict) -> (Verdict, documented: Bool) {
        switch setting {
        case .handlerAccepting, .insecure:
            // The application's handler, or no verification at all, replaces the chain, name, date and
            // revocation checks; the leaf's keyUsage is checked regardless (it signs CertificateVerify).
            return row.alwaysChecked ? (defaultVerdict, false) : (.accepted, defaultVerdict != .accepted)
        case .ocspNotRequested:
            // Nothing asked, nothing stapled: revocation is unknown, as with a server that staples nothing.
            return row.ocspFailure ? (.accepted, true) : (defaultVerdict, false)
        case .pinMismatch:
            // Pinning only adds a rejection: a chain that verifies is refused (bad_certificate, before its staple is
            // looked at), a chain that does not is refused for its own reason.
            let chainVerifies = defaultVerdict == .accepted || row.ocspFailure
            return chainVerifies ? (.rejected(.badCertificate), defaultVerdict != .rejected(.badCertificate)) : (defaultVerdict, false)
        default:
            return (defaultVerdict, false)
        }
    }

    // MARK: - Running a cell

    /// A CA file of its own (a fresh trust store, so fresh chain caches): `ca.pem` plus `extraRoots`.
    static func caFile(_ tag: String, extraRoots: [String] = []) throws -> String {
        var pem = try CertPaths.load("ca.pem")
        for root in extraRoots { pem += try CertPaths.load(root) }
        let url = scratch.appendingPathComponent("ca-\(tag)-\(UUID().uuidString).pem")
        try pem.write(to: url)
        return url.path
    }

    /// `ca.pem` plus the row's own roots, one file per row (made once).
    static func rootsFile(_ row: Row) throws -> String {
        let url = scratch.appendingPathComponent("roots-\(row.leaf.replacingOccurrences(of: "/", with: "-")).pem")
        if !FileManager.default.fileExists(atPath: url.path) {
            var pem = try CertPaths.load("ca.pem")
            for root in row.roots { pem += try CertPaths.load(root) }
            try pem.write(to: url)
        }
        return url.path
    }

    static func chain(of row: Row) throws -> [[UInt8]] {
        try PEM.certificates(fromFile: CertPaths.path("\(row.leaf)-chain.pem")).map(\.der)
    }

    static func baseConfiguration(_ row: Row) throws -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        config.trustRoots = .pemFile(row.roots.isEmpty ? CertPaths.path("ca.pem") : try rootsFile(row))
        config.serverName = row.serverName
        config.handshakeTimeout = 20
        config.ioTimeout = 20
        return config
    }

    /// One handshake and a round trip; the verdict.
    static func run(_ server: OpenSSLServer, _ config: TLSClientConfiguration, session: TLSSession? = nil)
        -> (Verdict, TLSSessionInfo?, TLSSession?)
    {
        do throws(TLSError) {
            let connection = try TLSConnection.connect(
                host: "127.0.0.1", port: server.port, configuration: config, session: session)
            defer { connection.close() }
            try connection.write(Array("ping\n".utf8))
            var reply: [UInt8] = []
            while reply.count < 5 {
                let chunk = try connection.read()
                if chunk.isEmpty { break }
                reply += chunk
            }
            guard reply == Array("gnip\n".utf8) else { return (.otherError("echo was \(reply)"), nil, nil) }
            _ = try? connection.waitForSessionTicket(timeout: 2)
            return (.accepted, connection.sessionInfo, connection.receivedSessions.last)
        } catch {
            if case .certificateRejected(let alert, _) = error { return (.rejected(alert), nil, nil) }
            return (.otherError(error.description), nil, nil)
        }
    }

    /// The verdict of `row` under `setting`; `note` says what the cell exercised.
    static func cell(_ row: Row, _ setting: Setting, server: OpenSSLServer) throws -> (Verdict, note: String?) {
        var config = try baseConfiguration(row)
        switch setting {
        case .defaultConfiguration:
            return (run(server, config).0, nil)

        case .certificateCacheCold:
            CertificateCache.shared.removeAll()
            return (run(server, config).0, nil)

        case .certificateCacheWarm:
            for der in try chain(of: row) { _ = try CertificateCache.shared.certificate(der: der) }
            return (run(server, config).0, nil)

        case .chainCacheOff:
            // The plain path: every chain through X509_verify_cert (the default keeps verified chains an hour).
            config.verifiedChainCacheLifetime = nil
            return (run(server, config).0, nil)

        case .keyShareHintWarm:
            // The server "chose" P-256 before: the hello sends that share alone, and the server takes it.
            let hints = try TLSKeyShareHints(capacity: 4)
            hints.remember(.secp256r1, forServer: row.serverName, port: server.port)
            config.keyShareHints = hints
            let (verdict, info, _) = run(server, config)
            if verdict == .accepted {
                #expect(info?.group == .secp256r1 && info?.usedHelloRetryRequest == false,
                        "\(row.name): the hinted share was not the one used: \(String(describing: info))")
            }
            return (verdict, nil)

        case .chainCacheCold, .chainCacheWarm, .chainCacheWarmTrustChanged:
            let changesRoots = setting == .chainCacheWarmTrustChanged
            let path = try caFile(setting.rawValue, extraRoots: row.roots + (changesRoots ? row.extraRoots : []))
            defer { try? FileManager.default.removeItem(atPath: path) }
            config.trustRoots = .pemFile(path)
            config.verifiedChainCacheLifetime = 4e9  // longer than any of the clocks below is apart
            var hits = 0
            var cache: VerifiedChainCache?
            if setting != .chainCacheCold {
                // Warm: the chain verified once where it can (at a valid time, with the roots that trust it), and a
                // good chain; a chain that cannot verify is tried too (failures are never cached).
                cache = try TrustStoreCache.verifier(for: config) as? VerifiedChainCache
                let good = try PEM.certificates(fromFile: CertPaths.path("leaf-ecdsa-p256-chain.pem")).map(\.der)
                let now = Int64(Date().timeIntervalSince1970)
                try cache?.verify(chain: good, hostname: "localhost", ipAddress: nil, now: now)
                let primeNow = (row.validAt ?? now * 1000) / 1000
                let ip = Endpoint.isIPv4Literal(row.serverName) ? row.serverName : nil
                _ = try? cache?.verify(chain: try chain(of: row), hostname: ip == nil ? row.serverName : nil,
                                       ipAddress: ip, now: primeNow)
                hits = cache?.hits ?? 0
                if changesRoots {
                    // The same file, now with ca.pem alone: the store is loaded again, with empty caches.
                    try CertPaths.load("ca.pem").write(to: URL(fileURLWithPath: path))
                }
            }
            let verdict = run(server, config).0
            // The good control must really come from the cache when it is warm (and the roots did not change).
            if setting == .chainCacheWarm, row.expected == nil, let cache {
                #expect(cache.hits > hits, "\(row.name): a warm chain cache was not hit")
            }
            return (verdict, nil)

        case .ocspCheckAccepting:
            config.ocspResponseCheck = { _, _ in true }
            return (run(server, config).0, nil)

        case .resumption:
            return try resumptionCell(row, config: config, server: server)

        case .handlerAccepting:
            config.certificateVerificationHandler = { _ in .accept }
            return (run(server, config).0, nil)

        case .ocspNotRequested:
            config.requestOCSPStapling = false
            return (run(server, config).0, nil)

        case .insecure:
            config.verifyCertificates = false
            return (run(server, config).0, nil)

        case .rootsFromMemory:
            // The same roots, as bytes in memory, on top of the system store (which trusts none of the test PKI).
            var pem = try CertPaths.load("ca.pem")
            for root in row.roots { pem += try CertPaths.load(root) }
            config.trustRoots = .combined([.system, .pem([UInt8](pem))])
            return (run(server, config).0, nil)

        case .pinMatching:
            // Every key the row could verify through: its chain as sent, the test root, the row's own roots.
            var pins = try chain(of: row).map { der throws(TLSError) in try TLSPublicKeyPin(certificate: der) }
            for root in ["ca.pem"] + row.roots {
                pins += try PEM.certificates(fromFile: CertPaths.path(root)).map { c throws(TLSError) in
                    try TLSPublicKeyPin(certificate: c.der)
                }
            }
            config.pinnedPublicKeys = pins
            return (run(server, config).0, nil)

        case .pinMismatch:
            config.pinnedPublicKeys = [try TLSPublicKeyPin(
                certificate: try PEM.certificates(fromFile: CertPaths.path("client-ed25519.pem"))[0].der)]
            return (run(server, config).0, nil)

        case .privacyAndSizeOff:
            // The default offers GREASE ECH, permutes the extensions and offers certificate compression; the plain
            // ClientHello has none of them. (s_server of OpenSSL 3.0 compresses nothing: compression's own verdict
            // test is CertificateCompressionHandshakeTests.theVerdictIsTheSameCompressedOrNot.)
            config.echGREASE = false
            config.permuteExtensions = false
            config.certificateDecompressors = []
            return (run(server, config).0, nil)
        }
    }

    /// A session made while the chain was accepted — at a valid time, under roots that trust it, without asking for
    /// a staple, or by an accepting handler, whichever the row allows — then offered to a default connection.
    static func resumptionCell(_ row: Row, config: TLSClientConfiguration, server: OpenSSLServer) throws
        -> (Verdict, note: String?)
    {
        var prime = config
        var check = config
        let how: String
        if let (primeAt, checkAt) = row.resumptionTimes {
            prime.wallClockMilliseconds = { primeAt }
            check.wallClockMilliseconds = { checkAt }
            how = "session made while valid"
        } else if !row.extraRoots.isEmpty {
            prime.trustRoots = .pemFile(try caFile("prime", extraRoots: row.extraRoots))
            how = "session made under roots that trust it"
        } else if row.ocspFailure {
            prime.requestOCSPStapling = false
            how = "session made without asking for a staple"
        } else if row.expected != nil {
            prime.certificateVerificationHandler = { _ in .accept }
            how = "session accepted by a handler"
        } else {
            how = "session made by the default"
        }
        let (primed, _, session) = run(server, prime)
        guard primed == .accepted, let session else {
            // Nothing ever accepts this chain (the leaf cannot sign): no session to offer.
            return (run(server, check).0, "no session can be made")
        }
        let (verdict, info, _) = run(server, check, session: session)
        if verdict == .accepted {
            #expect(info?.resumed == true, "\(row.name): an accepted cell of the resumption column must resume")
        }
        return (verdict, how)
    }

    // MARK: - The matrix

    @Test func everySettingGivesTheDefaultVerdictOrTheDocumentedDifference() async throws {
        defer { try? FileManager.default.removeItem(at: Self.scratch) }
        var table: [[String]] = []
        var failures: [String] = []
        for row in Self.rows {
            let server = try await OpenSSLServer.start(
                leaf: row.leaf, chain: try Self.sentChainFile(row), mode: ["-rev"],
                // Security level 0: s_server would refuse to serve the SHA-1 and RSA-1024 chains itself.
                arguments: ["-cipher", "DEFAULT:@SECLEVEL=0"] + (row.staple.map { ["-status_file", CertPaths.path($0)] } ?? []))
            defer { server.stop() }
            let cells = try await runBlocking { () -> [(Verdict, String?)] in
                try Setting.allCases.map { try Self.cell(row, $0, server: server) }
            }
            let defaultVerdict = cells[0].0
            let wanted: Verdict = row.expected.map { .rejected($0) } ?? .accepted
            if defaultVerdict != wanted {
                failures.append("\(row.name): default verdict \(defaultVerdict), expected \(wanted)")
            }
            var line = [row.name]
            for (setting, (verdict, _)) in zip(Setting.allCases, cells) {
                let (expected, documented) = Self.expected(row, setting, defaultVerdict: defaultVerdict)
                if verdict != expected {
                    failures.append("\(row.name) × \(setting.rawValue): \(verdict), expected \(expected)")
                }
                line.append(documented ? "**\(verdict)** †" : "\(verdict)")
            }
            table.append(line)
        }
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
        try Self.checkDocumentation(table)
    }

    /// The certificates the server sends after the leaf: the row's `-chain.pem` without its first certificate, in
    /// a temporary file; `nil` when there are none (the self-signed leaf).
    static func sentChainFile(_ row: Row) throws -> String? {
        let certificates = try PEM.certificates(fromFile: CertPaths.path("\(row.leaf)-chain.pem"))
        guard certificates.count > 1 else { return nil }
        var pem = ""
        for certificate in certificates.dropFirst() {
            pem += "-----BEGIN CERTIFICATE-----\n"
            let base64 = Data(certificate.der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            pem += base64 + "\n-----END CERTIFICATE-----\n"
        }
        let url = scratch.appendingPathComponent("chain-\(row.leaf.replacingOccurrences(of: "/", with: "-")).pem")
        try Data(pem.utf8).write(to: url)
        return url.path
    }

    /// The table between `<!-- verdict-matrix:start -->` and `<!-- verdict-matrix:end -->` in Docs/Security.md
    /// must be the one this run produced.
    static func checkDocumentation(_ rows: [[String]]) throws {
        var text = "| certificate | " + Setting.allCases.map(\.rawValue).joined(separator: " | ") + " |\n"
        text += "| --- |" + String(repeating: " --- |", count: Setting.allCases.count) + "\n"
        for row in rows { text += "| " + row.joined(separator: " | ") + " |\n" }
        let docs = CertPaths.root.deletingLastPathComponent().appendingPathComponent("Docs/Security.md")
        let doc = try String(contentsOf: docs, encoding: .utf8)
        guard let start = doc.range(of: "<!-- verdict-matrix:start -->\n"),
              let end = doc.range(of: "<!-- verdict-matrix:end -->")
        else {
            Issue.record("Docs/Security.md has no verdict-matrix markers; the table is:\n\(text)")
            return
        }
        let documented = String(doc[start.upperBound..<end.lowerBound])
        #expect(documented == text, "Docs/Security.md's verdict matrix is out of date; this run's table:\n\(text)")
    }
}
