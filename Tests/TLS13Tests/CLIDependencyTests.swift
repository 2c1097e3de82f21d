import Foundation
import Testing
@testable import TLS13CLI

/// The `tls13` executable stays lean (Docs/Benchmarks.md, "First contact"): neither Foundation, nor
/// FoundationInternationalization, nor ICU is linked or loaded — at most FoundationEssentials (swift-crypto and
/// swift-argument-parser import it). Checked on the built binary: its dependencies as the dynamic loader resolves
/// them (`ldd`), and the libraries a real run maps (`LD_DEBUG=files`, which also shows any `dlopen`). libpcap is
/// not linked either: `tls13 trace --packets` loads it with `dlopen` when a capture starts (Docs/Capture.md).
@Suite struct CLIDependencyTests {
    /// Library names that must not be loaded: Foundation itself, its internationalization layer, ICU, and libpcap
    /// (loaded only by a capture).
    static let forbidden = ["libFoundation.so", "libFoundationInternationalization", "lib_FoundationICU", "libicu",
                            "libFoundationNetworking", "libFoundationXML", "libpcap"]

    static func offending(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { line in forbidden.contains { line.contains($0) } }
    }

    @Test func binaryLinksNoFoundationAndNoICU() async throws {
        let binary = try CLIProcess.binaryPath()
        // The CLI's own posix_spawn helper runs it (stdout and stderr together).
        let result = try await runBlocking { ChildProcess.run("/usr/bin/ldd", [binary]) }
        let (status, output) = try #require(result, "ldd could not be started")
        #expect(status == 0, "ldd \(binary): \(output)")
        // The check itself works: libcrypto is a dynamic dependency in every build.
        #expect(output.contains("libcrypto.so"), "\(output)")
        #expect(Self.offending(output).isEmpty, "tls13 links \(Self.offending(output))")
    }

    @Test(arguments: [
        ["--version"],
        ["connect", "127.0.0.1:1", "--cafile", "Certs/ca.pem"],
        ["get", "https://127.0.0.1:1/", "--cafile", "Certs/ca.pem"],
    ])
    func runLoadsNoFoundationAndNoICU(arguments: [String]) async throws {
        let result = try await CLIProcess.run(arguments, environment: ["LD_DEBUG": "files"])
        // LD_DEBUG reports on stderr, one `file=NAME [0];  needed by …` or `…dynamically loaded by …` per library.
        #expect(result.stderr.contains("file=libcrypto.so"), "\(result)")
        #expect(Self.offending(result.stderr.split(separator: "\n").filter { $0.contains("file=") }
            .joined(separator: "\n")).isEmpty, "\(result)")
    }
}
