import Foundation
import Testing
@testable import TLS13

/// Names are checked before anything is sent, and a session file someone else could have written is refused
/// (a session is a bearer credential), both as usage errors (exit 2) with a clear line.
extension CLITests {
    @Test func malformedAndNonASCIINamesAreUsageErrors() async throws {
        let cases: [([String], String)] = [
            (["connect", "bad..example:443"], "empty label"),
            (["connect", "trail-.example:443"], "starts or ends with '-'"),
            (["connect", "bücher.example:443"], "IDNA A-labels (xn--...)"),
            (["connect", "127.0.0.1:1", "--servername", "bücher.example"], "IDNA A-labels (xn--...)"),
            (["connect", "127.0.0.1:1", "--servername", "a..b"], "invalid server name"),
            (["connect", "127.0.0.1:1", "--servername", "xn--"], "starts or ends with '-'"),
            (["get", "https://bücher.example/"], "A-labels"),
        ]
        for (arguments, message) in cases {
            let result = try await CLIProcess.run(arguments + ["--quiet"].filter { _ in arguments[0] == "connect" },
                                                  stdin: "", timeout: 20)
            #expect(result.status == 2, "\(arguments): \(result)")
            #expect(result.stderr.contains(message), "\(arguments): \(result)")
        }
    }

    /// Like ssh with a private key: a `--sess-in` file writable by group or others, or owned by another user, is
    /// refused before any connection (port 1 is never reached).
    @Test func sessionFilesOthersCouldWriteAreRefused() async throws {
        let session = TLSSession(
            ticket: [1, 2, 3], cipherSuite: .aes128GCMSHA256, lifetime: 7200, ageAdd: 0,
            receivedAtMilliseconds: Int64(Date().timeIntervalSince1970 * 1000), maxEarlyDataSize: 0,
            applicationProtocol: nil, serverName: "localhost", certificateVerification: .notVerified, peerCertificates: [],
            psk: SecretBytes([UInt8](repeating: 7, count: 32)))
        let file = Self.temporaryFile("owned")
        try Data(Self.armor(session.serialized()).utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        func run() async throws -> CLIResult {
            try await CLIProcess.run(["connect", "127.0.0.1:1", "--servername", "localhost", "--quiet", "--insecure",
                                      "--sess-in", file.path], stdin: "")
        }
        for (mode, words) in [(0o664, "writable by its group"), (0o646, "writable by others"), (0o666, "writable by others")] {
            #expect(chmod(file.path, mode_t(mode)) == 0)
            let result = try await run()
            #expect(result.status == 2, "mode \(String(mode, radix: 8)): \(result)")
            #expect(result.stderr.contains(words) && result.stderr.contains("chmod 600"), "\(result)")
        }
        // Mode 0600 (and 0644: readable is fine, writable is not) gets past the check to the connection (refused).
        for mode in [0o600, 0o644] {
            #expect(chmod(file.path, mode_t(mode)) == 0)
            let result = try await run()
            #expect(result.status == 3, "mode \(String(mode, radix: 8)): \(result)")
        }
        // Owned by someone else: only root can hand a file over (CI runs as root).
        if geteuid() == 0 {
            #expect(chown(file.path, 65534, 65534) == 0)
            let result = try await run()
            #expect(result.status == 2, "\(result)")
            #expect(result.stderr.contains("is owned by uid 65534, not by you"), "\(result)")
        }
    }
}
