import Foundation
import Testing

/// `tls13 bench` on the debug build, as CI runs it: a smoke test for the RESULT lines, not a measurement.
@Suite(.serialized) struct BenchSmokeTests {
    /// The bench server, compiled from Benchmarks/bench-server.c into a temporary folder and started on
    /// 127.0.0.1:0; killed when the test ends.
    final class BenchServer: @unchecked Sendable {
        let process = Process()
        let port: UInt16
        let directory: URL

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let binary = directory.appendingPathComponent("bench-server").path
            let source = CertPaths.root.deletingLastPathComponent().appendingPathComponent("Benchmarks/bench-server.c").path
            let cc = Process()
            cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            cc.arguments = ["cc", "-O2", "-o", binary, source, "-lssl", "-lcrypto"]
            try cc.run()
            cc.waitUntilExit()
            guard cc.terminationStatus == 0 else { throw VectorError(description: "cc failed for \(source)") }

            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [
                "-cert", CertPaths.path("leaf-ecdsa-p256.pem"), "-key", CertPaths.path("leaf-ecdsa-p256.key"),
                "-chain", CertPaths.path("intermediate.pem"),
            ]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            guard let colon = line.lastIndex(of: ":"),
                let port = UInt16(line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines))
            else {
                process.terminate()
                throw VectorError(description: "bench-server did not start: \(line)")
            }
            self.port = port
        }

        func stop() {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            try? FileManager.default.removeItem(at: directory)
        }

        deinit { stop() }
    }

    func bench(_ arguments: [String], server: BenchServer) async throws -> CLIResult {
        try await runBlocking {
            let cli = try CLIProcess(
                ["bench"] + arguments + ["127.0.0.1:\(server.port)", "--servername", "localhost",
                    "--cafile", CertPaths.path("ca.pem"), "--allow-debug"])
            return try cli.wait(timeout: 60)
        }
    }

    static func fields(_ result: CLIResult) -> [String: String] {
        guard let line = result.stdout.split(separator: "\n").first(where: { $0.hasPrefix("RESULT ") }) else { return [:] }
        var fields: [String: String] = [:]
        for pair in line.split(separator: " ").dropFirst() {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
        }
        return fields
    }

    @Test func fullResumeAndBulkPrintOneResultLine() async throws {
        let server = try BenchServer()
        defer { server.stop() }

        let full = try await bench(["full", "-n", "20"], server: server)
        #expect(full.status == 0, "\(full)")
        #expect(full.stdout.split(separator: "\n").filter { $0.hasPrefix("RESULT ") }.count == 1)
        let f = Self.fields(full)
        #expect(f["mode"] == "full" && f["n"] == "20" && f["ok"] == "20", "\(full)")
        #expect(Double(f["hs_per_s"] ?? "") ?? 0 > 0 && Double(f["cpu_ms_per_hs"] ?? "") ?? 0 > 0)
        // The default offer includes the hybrid; the OpenSSL 3.0 bench server picks x25519.
        #expect(full.stderr.contains("groups offered: X25519MLKEM768,X25519,P-256,P-384,P-521,X448 (key shares: "
            + "X25519MLKEM768,X25519); negotiated: X25519"), "\(full)")
        let classic = try await bench(["full", "-n", "5", "--groups", "x25519,P-256"], server: server)
        #expect(Self.fields(classic)["ok"] == "5", "\(classic)")
        #expect(classic.stderr.contains("groups offered: X25519,P-256 (key shares: X25519); negotiated: X25519"),
                "\(classic)")

        let resume = try await bench(["resume", "-n", "20"], server: server)
        #expect(resume.status == 0, "\(resume)")
        #expect(Self.fields(resume)["ok"] == "20")
        #expect(resume.stderr.contains("20 resumed"), "\(resume)")

        let bulk = try await bench(["bulk", "--mib", "2"], server: server)
        #expect(bulk.status == 0, "\(bulk)")
        let b = Self.fields(bulk)
        #expect(b["mode"] == "bulk" && Double(b["mb_per_s"] ?? "") ?? 0 > 0 && Double(b["cpu_s_per_gib"] ?? "") ?? 0 > 0, "\(bulk)")
    }

    /// `--www`: the same measured loop against OpenSSL's own `s_server -www` (what the soak in
    /// Docs/Benchmarks.md runs with -n 10000): every connection gets an HTTP 200 page ended by close_notify.
    @Test func fullAndResumeAgainstOpenSSLsWWWServer() async throws {
        let server = try await OpenSSLServer.start(mode: ["-www"])
        defer { server.stop() }
        let args = ["127.0.0.1:\(server.port)", "--cafile", CertPaths.path("ca.pem"), "--servername", "localhost",
                    "--www", "--allow-debug"]
        let full = try await runBlocking { try CLIProcess(["bench", "full", "-n", "5"] + args).wait(timeout: 120) }
        #expect(full.status == 0, "\(full)")
        #expect(Self.fields(full)["ok"] == "5", "\(full)")
        let resume = try await runBlocking { try CLIProcess(["bench", "resume", "-n", "5"] + args).wait(timeout: 120) }
        #expect(Self.fields(resume)["ok"] == "5", "\(resume)")
        #expect(resume.stderr.contains("5 resumed"), "\(resume)")
        let bulk = try await runBlocking { try CLIProcess(["bench", "bulk"] + args).wait(timeout: 60) }
        #expect(bulk.status == 2, "\(bulk)")
    }

    @Test func debugBuildsAreRefusedWithoutAllowDebug() async throws {
        let result = try await runBlocking {
            try CLIProcess(["bench", "full", "127.0.0.1:1", "-n", "1"]).wait(timeout: 20)
        }
        #if DEBUG
            #expect(result.status == 2, "\(result)")
            #expect(result.stderr.contains("release build"))
        #else
            #expect(result.status != 0)
        #endif
    }
}
