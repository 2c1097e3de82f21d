import Foundation
import Testing
@testable import TLS13

/// Errors explain themselves in every command; every connection ends with close_notify each way; key logging.
extension CLITests {
    /// The usual one line, then what it means.
    @Test func errorsSayWhatTheyMean() async throws {
        let tls12 = try await OpenSSLServer.start(mode: ["-www"], versions: ["-tls1_2"])
        defer { tls12.stop() }
        let noSuite = try await OpenSSLServer.start(mode: ["-www"], arguments: ["-ciphersuites", "TLS_AES_128_CCM_SHA256"])
        defer { noSuite.stop() }
        let unknownCA = try await OpenSSLServer.start(leaf: "leaf-unknown-ca", chain: "unknown-ca-intermediate.pem", mode: ["-www"])
        defer { unknownCA.stop() }
        let cases: [(OpenSSLServer, [String], String)] = [
            (tls12, ["connect"], "peer sent fatal alert protocol_version (70): the server does not offer TLS 1.3, and this client speaks only TLS 1.3"),
            (tls12, ["get"], "the server does not offer TLS 1.3"),
            (noSuite, ["connect"], "peer sent fatal alert handshake_failure (40): the server accepts none of what this client offered: groups X25519MLKEM768, X25519, P-256, P-384, P-521, X448; cipher suites TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256"),
            (unknownCA, ["connect"], "issuer O = swift-tls13 tests, CN = swift-tls13 Untrusted Root CA is not trusted"),
            (unknownCA, ["connect"], "trust its root with --cafile"),
        ]
        for (server, command, message) in cases {
            let target = command == ["get"] ? "https://127.0.0.1:\(server.port)/" : "127.0.0.1:\(server.port)"
            let result = try await CLIProcess.run(
                command + [target, "--servername", "localhost", "--cafile", Self.ca] + (command == ["connect"] ? ["--quiet"] : []),
                stdin: "")
            #expect(result.status == 1, "\(command): \(result)")
            #expect(result.stderrLines.count == 1, "one line: \(result)")
            #expect(result.stderr.contains(message), "\(command): \(result)")
        }
    }

    /// The server closes first while stdin is still open: `connect` answers with its own close_notify (RFC 8446 §6.1)
    /// before it exits. The server is Python's ssl doing a bidirectional shutdown (`unwrap()`), which reports whether the
    /// client's close_notify arrived.
    @Test func connectAnswersTheServersCloseNotify() async throws {
        let script = """
            import socket, ssl, sys
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
            ctx.load_cert_chain(sys.argv[1], sys.argv[2])
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
            print("PORT", s.getsockname()[1], flush=True)
            c, _ = s.accept()
            t = ctx.wrap_socket(c, server_side=True)
            t.sendall(b"hello from the server\\n")
            t.settimeout(5)
            try:
                t.unwrap()
                print("CLIENT_CLOSE_NOTIFY received", flush=True)
            except Exception as e:
                print("NO_CLIENT_CLOSE_NOTIFY", type(e).__name__, e, flush=True)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, CertPaths.path("leaf-ecdsa-p256-chain.pem"), CertPaths.path("leaf-ecdsa-p256.key")]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let port = try await runBlocking { () -> UInt16 in
            // The whole "PORT n" line: a pipe read may return only part of it.
            var line = ""
            while !line.contains("\n") {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }  // the server exited
                line += String(decoding: chunk, as: UTF8.self)
            }
            let first = line.split(separator: "\n").first ?? ""
            guard first.hasPrefix("PORT "), let port = UInt16(first.dropFirst(5)) else {
                throw VectorError(description: "no port from the Python server: \(line)")
            }
            return port
        }
        let result = try await runBlocking { () -> CLIResult in
            let cli = try CLIProcess(["connect", "127.0.0.1:\(port)", "--servername", "localhost", "--cafile", Self.ca, "--quiet"],
                                     keepStdinOpen: true)
            return try cli.wait(timeout: 20)
        }
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout == "hello from the server\n")
        let verdict = try await runBlocking { () -> String in
            process.waitUntilExit()
            return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        #expect(verdict.contains("CLIENT_CLOSE_NOTIFY received"), "\(verdict)")
    }

    /// `--keylog FILE` and `SSLKEYLOGFILE`: the NSS key log format, one line per secret, early traffic secret included.
    @Test func keyLogFiles() async throws {
        let server = try await OpenSSLServer.start(mode: [], arguments: ["-early_data"])
        defer { server.stop() }
        let log = Self.temporaryFile("keylog")
        let session = Self.temporaryFile("session")
        defer {
            try? FileManager.default.removeItem(at: log)
            try? FileManager.default.removeItem(at: session)
        }
        let first = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--servername", "localhost", "--cafile", Self.ca, "--quiet",
             "--keylog", log.path, "--sess-out", session.path], stdin: "")
        #expect(first.status == 0, "\(first)")
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        let labels = lines.map { String($0.split(separator: " ")[0]) }
        #expect(labels == ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0",
                           "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"], "\(lines)")
        #expect(lines.allSatisfy { $0.split(separator: " ").count == 3 && $0.split(separator: " ")[1].count == 64 })
        let mode = (try FileManager.default.attributesOfItem(atPath: log.path)[.posixPermissions] as? Int) ?? 0
        #expect(mode == 0o600)
        // SSLKEYLOGFILE, appended to, with the early traffic secret of a 0-RTT connection.
        let early = Self.temporaryFile("early")
        try Data("0rtt\n".utf8).write(to: early)
        defer { try? FileManager.default.removeItem(at: early) }
        let second = try await CLIProcess.run(
            ["connect", "127.0.0.1:\(server.port)", "--servername", "localhost", "--cafile", Self.ca, "--quiet",
             "--sess-in", session.path, "--early-data", early.path], stdin: "", environment: ["SSLKEYLOGFILE": log.path])
        #expect(second.status == 0, "\(second)")
        let all = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        #expect(all.count > lines.count && all.contains { $0.hasPrefix("CLIENT_EARLY_TRAFFIC_SECRET ") }, "\(all)")
    }
}
