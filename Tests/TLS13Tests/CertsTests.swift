import Foundation
import Testing

/// Output of one finished process.
private struct ProcessResult: Sendable {
    var status: Int32
    var output: String
}

/// Runs `openssl <arguments>` in `Certs/` on a fresh thread and returns its exit status and merged output.
private func openssl(_ arguments: [String]) async throws -> ProcessResult {
    try await runBlocking {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = CertPaths.root
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}

private let verifyBase = ["verify", "-CAfile", "ca.pem", "-untrusted", "intermediate.pem", "-purpose", "sslserver"]

@Suite struct CertsTests {
    @Test func committedFilesExist() throws {
        var names = ["ca.pem", "ca.key", "intermediate.pem", "intermediate.key", "unknown-ca-root.pem",
                     "unknown-ca-root.key", "unknown-ca-intermediate.pem", "unknown-ca-intermediate.key",
                     "make-certs.sh", "README.md"]
        for t in CertPaths.goodLeafTypes + CertPaths.badLeafTypes {
            names += ["leaf-\(t).pem", "leaf-\(t).key", "leaf-\(t)-chain.pem"]
        }
        for name in names {
            let data = try CertPaths.load(name)
            #expect(!data.isEmpty, "\(name) is empty")
        }
        for t in CertPaths.goodLeafTypes + CertPaths.badLeafTypes {
            let pem = String(decoding: try CertPaths.load("leaf-\(t).pem"), as: UTF8.self)
            let key = String(decoding: try CertPaths.load("leaf-\(t).key"), as: UTF8.self)
            let chain = String(decoding: try CertPaths.load("leaf-\(t)-chain.pem"), as: UTF8.self)
            #expect(pem.components(separatedBy: "-----BEGIN CERTIFICATE-----").count == 2)
            #expect(key.hasPrefix("-----BEGIN PRIVATE KEY-----"))
            #expect(chain.hasPrefix(pem), "leaf-\(t)-chain.pem must start with the leaf")
            let expected = t == "self-signed" ? 1 : 2
            #expect(chain.components(separatedBy: "-----BEGIN CERTIFICATE-----").count - 1 == expected)
        }
    }

    @Test(arguments: CertPaths.goodLeafTypes)
    func goodLeafVerifiesForEveryLoopbackName(_ type: String) async throws {
        for name in [["-verify_hostname", "localhost"], ["-verify_ip", "127.0.0.1"], ["-verify_ip", "::1"]] {
            let r = try await openssl(verifyBase + name + ["leaf-\(type).pem"])
            #expect(r.status == 0 && r.output.contains(": OK"), "leaf-\(type) \(name[1]): \(r.output)")
        }
        // The chain file alone supplies the intermediate.
        let r = try await openssl(["verify", "-CAfile", "ca.pem", "-untrusted", "leaf-\(type)-chain.pem",
                                   "-verify_hostname", "localhost", "leaf-\(type).pem"])
        #expect(r.status == 0, "leaf-\(type)-chain.pem: \(r.output)")
    }

    struct Bad: Sendable, CustomStringConvertible {
        var leaf: String
        var extra: [String]
        var expected: String
        var description: String { "\(leaf) \(extra.joined(separator: " "))" }
    }

    static let bad: [Bad] = [
        Bad(leaf: "expired", extra: [], expected: "error 10 at 0 depth lookup: certificate has expired"),
        Bad(leaf: "not-yet-valid", extra: [], expected: "error 9 at 0 depth lookup: certificate is not yet valid"),
        Bad(leaf: "wrong-host", extra: ["-verify_hostname", "localhost"], expected: "error 62 at 0 depth lookup: hostname mismatch"),
        Bad(leaf: "wrong-host", extra: ["-verify_ip", "127.0.0.1"], expected: "error 64 at 0 depth lookup: IP address mismatch"),
        Bad(leaf: "self-signed", extra: [], expected: "error 18 at 0 depth lookup: self-signed certificate"),
        Bad(leaf: "unknown-ca", extra: [], expected: "error 20 at 0 depth lookup: unable to get local issuer certificate"),
    ]

    @Test(arguments: bad)
    func badLeafIsRejectedForTheRightReason(_ c: Bad) async throws {
        let r = try await openssl(verifyBase + c.extra + ["leaf-\(c.leaf).pem"])
        #expect(r.status != 0)
        #expect(r.output.contains(c.expected), "\(r.output)")
    }

    @Test func badLeavesAreOtherwiseSound() async throws {
        // Each bad leaf is wrong in exactly one way: inside its window the expired one verifies, the wrong-host
        // chain verifies without a name check, and the unknown-CA leaf verifies under its own root.
        var r = try await openssl(verifyBase + ["-attime", "946771200", "leaf-expired.pem"])  // 2000-01-02
        #expect(r.status == 0, "\(r.output)")
        r = try await openssl(verifyBase + ["leaf-wrong-host.pem"])
        #expect(r.status == 0, "\(r.output)")
        r = try await openssl(["verify", "-CAfile", "unknown-ca-root.pem", "-untrusted", "unknown-ca-intermediate.pem",
                               "-verify_hostname", "localhost", "leaf-unknown-ca.pem"])
        #expect(r.status == 0, "\(r.output)")
    }

    @Test func caAndLeafExtensions() async throws {
        let root = try await openssl(["x509", "-in", "ca.pem", "-noout", "-text"])
        #expect(root.output.contains("CA:TRUE"))
        #expect(root.output.contains("Certificate Sign, CRL Sign"))
        #expect(root.output.contains("Not After : Dec 31 23:59:59 2099 GMT"))
        let intermediate = try await openssl(["x509", "-in", "intermediate.pem", "-noout", "-text"])
        #expect(intermediate.output.contains("CA:TRUE, pathlen:0"))
        for t in CertPaths.goodLeafTypes {
            let leaf = try await openssl(["x509", "-in", "leaf-\(t).pem", "-noout", "-text"])
            #expect(leaf.output.contains("CA:FALSE"))
            #expect(leaf.output.contains("TLS Web Server Authentication"))
            #expect(leaf.output.contains("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"))
            #expect(leaf.output.contains("Not After : Dec 31 23:59:59 2099 GMT"))
            #expect(leaf.output.contains(t == "rsa2048" ? "Digital Signature, Key Encipherment" : "Digital Signature"))
        }
    }

    @Test func scriptVerifiesTheCommittedFiles() async throws {
        let r = try await runBlocking {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["bash", CertPaths.path("make-certs.sh"), "--verify"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return ProcessResult(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
        }
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains(" 0 failed"))
    }
}
