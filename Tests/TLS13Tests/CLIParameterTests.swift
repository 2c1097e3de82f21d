import Foundation
import Testing
@testable import TLS13

/// The `tls13` options for parameters and extensions: `--groups`, `--ciphers`, `--sigalgs`, `--record-size-limit`,
/// `--no-ocsp`, `--no-grease`, `--pad`, and the summary's `OCSP:` line (the built CLI against s_server).
@Suite(.serialized) struct CLIParameterTests {
    static let ca = CertPaths.path("ca.pem")

    static func connect(_ server: OpenSSLServer, _ extra: [String]) async throws -> CLIResult {
        try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--cafile", ca, "--servername", "localhost"] + extra, stdin: "abc\n")
    }

    static func value(_ key: String, in result: CLIResult) -> String? {
        result.stderrLines.first { $0.hasPrefix("\(key): ") }.map { String($0.dropFirst(key.count + 2)) }
    }

    @Test func everyNewGroupAndCCMSuiteFromTheCommandLine() async throws {
        for (group, shown) in [("x448", "X448"), ("P-521", "P-521"), ("ffdhe2048", "ffdhe2048")] {
            let server = try OpenSSLServer(mode: ["-rev"], arguments: [
                "-groups", group == "x448" ? "X448" : group, "-ciphersuites", "TLS_AES_128_CCM_8_SHA256",
            ])
            defer { server.stop() }
            let result = try await Self.connect(server, ["--groups", group, "--ciphers", "TLS_AES_128_CCM_8_SHA256"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("cba"), "\(result)")
            #expect(Self.value("group", in: result) == shown, "\(result)")
            #expect(Self.value("cipher", in: result) == "TLS_AES_128_CCM_8_SHA256", "\(result)")
        }
    }

    @Test func sigalgsChoosesTheServersSignature() async throws {
        let server = try OpenSSLServer(leaf: "leaf-rsa2048", mode: ["-rev"])
        defer { server.stop() }
        let result = try await Self.connect(server, ["--sigalgs", "rsa_pss_rsae_sha512,ecdsa_secp256r1_sha256"])
        #expect(result.status == 0, "\(result)")
        #expect(Self.value("signature", in: result) == "rsa_pss_rsae_sha512", "\(result)")
        let pss = try OpenSSLServer(leaf: "leaf-rsa-pss", mode: ["-rev"])
        defer { pss.stop() }
        let pssResult = try await Self.connect(pss, ["--sigalgs", "rsa_pss_pss_sha384"])
        #expect(Self.value("signature", in: pssResult) == "rsa_pss_pss_sha384", "\(pssResult)")
    }

    @Test func badSigalgsAreUsageErrors() async throws {
        let unknown = try await CLIProcess.run(["connect", "127.0.0.1:1", "--sigalgs", "ecdsa_secp256r1_sha256,dsa"])
        #expect(unknown.status == 2, "\(unknown)")
        #expect(unknown.stderr.contains("unknown signature scheme 'dsa'"), "\(unknown)")
        let pkcs1 = try await CLIProcess.run(["connect", "127.0.0.1:1", "--sigalgs", "rsa_pkcs1_sha256"])
        #expect(pkcs1.status == 2, "\(pkcs1)")
        #expect(pkcs1.stderr.contains("may not be offered for CertificateVerify"), "\(pkcs1)")
        let limit = try await CLIProcess.run(["connect", "127.0.0.1:1", "--record-size-limit", "63"])
        #expect(limit.status == 2, "\(limit)")
        #expect(limit.stderr.contains("--record-size-limit must be 64 ... 16385"), "\(limit)")
        let pad = try await CLIProcess.run(["connect", "127.0.0.1:1", "--pad", "0"])
        #expect(pad.status == 2, "\(pad)")
    }

    @Test func ocspLineShowsTheStaple() async throws {
        let server = try OpenSSLServer(mode: ["-rev"], arguments: ["-status_file", CertPaths.path("ocsp-good.der")])
        defer { server.stop() }
        let result = try await Self.connect(server, [])
        #expect(result.status == 0, "\(result)")
        let ocsp = Self.value("OCSP", in: result) ?? ""
        #expect(ocsp.hasPrefix("good (next update 21"), "\(result)")
        // The OCSP line is the last but two.
        #expect(result.stderrLines.suffix(5).first?.hasPrefix("OCSP: ") == true, "\(result)")
        let off = try await Self.connect(server, ["--no-ocsp"])
        #expect(Self.value("OCSP", in: off) == "not requested", "\(off)")
        let plain = try OpenSSLServer(mode: ["-rev"])
        defer { plain.stop() }
        #expect(Self.value("OCSP", in: try await Self.connect(plain, [])) == "none")
    }

    @Test func revokedStapleExitsOneWithTheAlert() async throws {
        let server = try OpenSSLServer(
            leaf: "leaf-revoked", mode: ["-rev"], arguments: ["-status_file", CertPaths.path("ocsp-revoked.der")])
        defer { server.stop() }
        let result = try await Self.connect(server, [])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("certificate_revoked"), "\(result)")
    }

    @Test func paddingAndNoGreaseAsOpenSSLSeesThem() async throws {
        let server = try OpenSSLServer(mode: ["-rev"], arguments: ["-msg"])
        defer { server.stop() }
        let result = try await Self.connect(server, ["--pad", "768", "--no-grease", "--record-size-limit", "2048", "--groups", "x25519,P-256",
                                                     "--no-permute-extensions"])
        #expect(result.status == 0, "\(result)")
        let seen = try await runBlocking { server.waitForOutput("ServerHello") }  // past the whole ClientHello dump
        #expect(seen)
        let hellos = try ParameterInteropTests.clientHellos(in: server.output)
        try #require(hellos.count == 1, "\(server.output.prefix(1500))")
        #expect(hellos[0].bytes.count == 768)
        #expect(!hellos[0].hello.cipherSuites.contains { GREASE.isGREASE($0.rawValue) })
        #expect(hellos[0].hello.extension(.recordSizeLimit) == .recordSizeLimit(2048))
        // --no-permute-extensions: the library's fixed order, padding last.
        #expect(Array(hellos[0].hello.extensions.map(\.extensionType).prefix(4))
            == [.serverName, .supportedVersions, .supportedGroups, .keyShare])
        #expect(hellos[0].hello.extensions.last?.extensionType == .padding)
    }
}
