import Foundation
import Testing

/// `tls13 bench idle` on the debug build: a smoke test for its RESULT line and JSON, not a measurement.
/// The sequential bench server holds one connection at a time, so this holds one (the real measurement,
/// 1000 connections against nginx, is Scripts/bench-vs-openssl.sh).
@Suite(.serialized) struct BenchIdleSmokeTests {
    @Test func idlePrintsOneResultLineWithPerConnectionFigures() async throws {
        let server = try BenchSmokeTests.BenchServer()
        defer { server.stop() }
        let json = server.directory.appendingPathComponent("idle.json")
        let result = try await runBlocking {
            try CLIProcess([
                "bench", "idle", "127.0.0.1:\(server.port)", "--servername", "localhost",
                "--cafile", CertPaths.path("ca.pem"), "--connections", "1", "--json", json.path, "--allow-debug",
            ]).wait(timeout: 60)
        }
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.split(separator: "\n").filter { $0.hasPrefix("RESULT ") }.count == 1, "\(result)")
        let fields = BenchSmokeTests.fields(result)
        #expect(fields["mode"] == "idle" && fields["connections"] == "1", "\(result)")
        // One established connection holds some heap (its keys, buffers, the peer's certificates).
        #expect(Double(fields["heap_kib_per_conn"] ?? "") ?? 0 > 0, "\(result)")
        #expect(Double(fields["rss_kib_per_conn"] ?? "") != nil, "\(result)")

        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any]
        #expect(object?["connections"] as? Int == 1)
        #expect((object?["heap_after_bytes"] as? Int ?? 0) > (object?["heap_before_bytes"] as? Int ?? 0))
    }

    @Test func zeroConnectionsIsAUsageError() async throws {
        let result = try await runBlocking {
            try CLIProcess(["bench", "idle", "127.0.0.1:1", "--connections", "0", "--allow-debug"]).wait(timeout: 20)
        }
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("--connections"), "\(result)")
    }
}
