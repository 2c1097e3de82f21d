import Foundation

/// tlslite-ng's TLS 1.3 echo server (`Tests/TLS13Tests/Support/tlslite_server.py`) under the venv that
/// `Scripts/install-deps.sh` makes (`.build-venv/`, tlslite-ng 0.8.2 with `brotli` and `zstandard`), on a free
/// loopback port: the peer that compresses its certificate (RFC 8879) with zlib, brotli or zstd.
///
/// Each handshake prints `HANDSHAKE version=… cipher=… group=… resumed=… alpn=… client_certificates=N
/// cert_compression=<zlib|brotli|zstd|->`; ``certificateCompressions`` lists the last field per connection.
public enum TLSLiteServer {
    /// The venv's Python; throws when `Scripts/install-deps.sh` has not run.
    public static func python() throws -> String {
        let python = TestServerProcess.packageRoot.appendingPathComponent(".build-venv/bin/python3").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw VectorError(description: "\(python) is missing: run Scripts/install-deps.sh (installs tlslite-ng)")
        }
        return python
    }

    /// A script of `Tests/TLS13Tests/Support/`.
    public static func script(_ name: String) -> String {
        TestServerProcess.packageRoot.appendingPathComponent("Tests/TLS13Tests/Support/\(name)").path
    }

    /// Starts the server with `arguments` (see the script's `--help`), e.g. `["--leaf", "rsa2048"]`.
    public static func start(_ arguments: [String] = []) async throws -> TestServerProcess {
        let python = try python()
        return try await runBlocking {
            try TestServerProcess(
                executable: python,
                arguments: ["-u", script("tlslite_server.py"), "--certs", CertPaths.root.path] + arguments)
        }
    }

    /// Starts the server compressing its certificate only with `algorithms` (`zlib`, `brotli`, `zstd`; empty: never).
    public static func compressing(_ algorithms: [String], leaf: String = "ecdsa-p256", _ arguments: [String] = [])
        async throws -> TestServerProcess
    {
        let compression = algorithms.isEmpty ? ["--cert-compression", "none"]
            : algorithms.flatMap { ["--cert-compression", $0] }
        return try await start(["--leaf", leaf] + compression + arguments)
    }

    /// The `cert_compression=` field of each `HANDSHAKE` line so far (`-` for an uncompressed Certificate).
    public static func certificateCompressions(_ server: TestServerProcess) -> [String] {
        server.lines(withPrefix: "HANDSHAKE ").compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("cert_compression=") }
                .map { String($0.dropFirst("cert_compression=".count)) }
        }
    }
}
