import Foundation

/// An Erlang/OTP TLS 1.3 echo server (Debian 12's OTP 25 `ssl` application, `Tests/TLS13Tests/Support/
/// erlang_tls_server.escript`) on a free loopback port, with stateless session tickets.
///
/// OTP 25's server crashes while resuming a session whose ClientHello has a GREASE value (RFC 8701) in
/// `signature_algorithms` (`function_clause` in `ssl_cipher:hash_algorithm(unassigned)`, re-encoding the hello for the
/// PSK binder; the connection is closed during the handshake). Browsers have never put GREASE there (BoringSSL's
/// `grease_sigalgs_enabled` is off by default), so neither should the client: Docs/Security.md, "GREASE".
///
/// Prints `ACCEPT 127.0.0.1:PORT`, then per connection `HANDSHAKE protocol='tlsv1.3' cipher=… resumed=<bool>` or
/// `ERROR handshake …`, and echoes what it reads.
public enum ErlangTLSServer {
    public static let escript = "/usr/bin/escript"

    /// Starts the server with the leaf `Certs/<leaf>.pem` (its chain's intermediate: `Certs/intermediate.pem`).
    public static func start(leaf: String = "leaf-ecdsa-p256") async throws -> TestServerProcess {
        guard FileManager.default.isExecutableFile(atPath: escript) else {
            throw VectorError(description: "\(escript) is missing: run Scripts/install-deps.sh (installs erlang-ssl)")
        }
        let script = TestServerProcess.packageRoot.appendingPathComponent(
            "Tests/TLS13Tests/Support/erlang_tls_server.escript").path
        return try await runBlocking {
            try TestServerProcess(executable: escript, arguments: [script, CertPaths.root.path, leaf], timeout: 60)
        }
    }

    /// The `resumed=` field of each `HANDSHAKE` line so far.
    public static func resumptions(_ server: TestServerProcess) -> [Bool] {
        server.lines(withPrefix: "HANDSHAKE ").map { $0.hasSuffix("resumed=true") }
    }
}
