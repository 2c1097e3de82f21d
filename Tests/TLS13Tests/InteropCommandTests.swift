import Foundation
import Testing
@testable import TLS13
@testable import TLS13CLI

/// `tls13 interop`: the scenario lists (unit) and one `--quick` run of the built CLI against real servers.
@Suite struct InteropCommandTests {
    // MARK: The scenario lists

    @Test func fullMatrixHasEveryCombination() {
        let rows = InteropScenario.combinations(quick: false)
        #expect(rows.count == 5 * 9 * 8)
        let triples = Set(rows.map { "\($0.suite?.rawValue ?? 0)/\($0.serverGroup?.rawValue ?? 0)/\($0.leaf.rawValue)" })
        #expect(triples.count == 360)
        #expect(rows.allSatisfy { $0.flow == .handshake && $0.clientKeyShares == [$0.serverGroup].compactMap { $0 } })
    }

    @Test func quickMatrixCoversCommonPairsEveryValueAndEveryFlow() {
        let rows = InteropScenario.combinations(quick: true)
        #expect(rows.count == 16 + 5)
        let suites = InteropScenario.pairwiseSuites, groups = InteropScenario.pairwiseGroups
        let leaves = InteropScenario.pairwiseLeaves
        for suite in suites {
            for group in groups {
                #expect(rows.contains { $0.suite == suite && $0.serverGroup == group }, "\(suite) × \(group)")
            }
            for leaf in leaves {
                #expect(rows.contains { $0.suite == suite && $0.leaf == leaf }, "\(suite) × \(leaf)")
            }
        }
        for group in groups {
            for leaf in leaves {
                #expect(rows.contains { $0.serverGroup == group && $0.leaf == leaf }, "\(group) × \(leaf)")
            }
        }
        // Every suite, group and key type at least once.
        #expect(Set(rows.compactMap(\.suite)) == Set(InteropScenario.suites))
        #expect(Set(rows.compactMap(\.serverGroup)) == Set(InteropScenario.groups))
        #expect(Set(rows.map(\.leaf)) == Set(InteropScenario.Leaf.allCases))
        let quick = InteropScenario.matrix(quick: true)
        #expect(Set(quick.map(\.flow)) == Set(InteropScenario.Flow.allCases))
        #expect(Set(quick.map(\.name)).count == quick.count, "row names are unique")
        let full = InteropScenario.matrix(quick: false)
        #expect(Set(full.map(\.name)).count == full.count)
        #expect(full.filter { $0.flow == .clientAuthRequired }.compactMap(\.clientCertificate)
                == ["client-ecdsa-p256", "client-rsa2048", "client-ed25519"])
    }

    @Test func matrixRendersCellsAndNotes() {
        var matrix = InteropMatrix(columns: ["a 1", "b 2"])
        matrix.add(row: "one", outcomes: [.pass, .fail("group P-256 | expected X25519")])
        matrix.add(row: "two", outcomes: [.notApplicable("no ML-KEM"), .pass])
        let text = matrix.rendered()
        #expect(text.hasPrefix("| scenario | a 1 | b 2 |\n| --- | --- | --- |\n"))
        #expect(text.contains("| one | pass | FAIL: group P-256 \\| expected X25519 |"))
        #expect(text.contains("| two | n/a | pass |"))
        #expect(text.contains("n/a (a 1): no ML-KEM"))
        #expect(matrix.summary == "2 pass, 1 FAIL, 1 n/a")
        #expect(matrix.failures == 1)
    }

    // MARK: The command

    @Test func quickRunAgainstAllThreeServersHasNoFailure() async throws {
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: json) }
        let result = try await CLIProcess.run(
            ["interop", "--quick", "--certs", CertPaths.root.path, "--json", json.path], timeout: 240)
        #expect(result.status == 0, "\(result)")
        let lines = result.stdout.split(separator: "\n")
        let header = try #require(lines.first.map(String.init))
        #expect(header.hasPrefix("| scenario | openssl 3.") && header.contains("| gnutls-serv 3.")
                && header.contains("| tlslite-ng 0.8.") && header.contains("| go crypto/tls 1.") && header.contains("(ECH) |"),
                "\(header)")
        #expect(!result.stdout.contains("FAIL:"), "\(result)")
        #expect(result.stdout.contains(" pass, 0 FAIL, "), "\(result)")
        #expect(result.stdout.contains("| default groups: no HelloRetryRequest | pass | pass | pass | n/a |"), "\(result)")
        #expect(result.stdout.contains("| AES_128_GCM · X25519MLKEM768 · ecdsa-p256 | n/a | n/a | pass | n/a |"), "\(result)")
        // ECH against Go's server, certificate compression against tlslite-ng.
        for row in ["ECH accepted", "ECH rejected → retry configs → accepted", "ECH across a HelloRetryRequest",
                    "ECH resumption"] {
            #expect(result.stdout.contains("| \(row) | n/a | n/a | n/a | pass |"), "\(row)")
        }
        for algorithm in ["zlib", "brotli", "zstd"] {
            #expect(result.stdout.contains("| certificate compression → \(algorithm) | n/a | n/a | pass | n/a |"), "\(algorithm)")
        }

        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any]
        let parsed = try #require(object)
        #expect(parsed["fail"] as? Int == 0)
        #expect(parsed["quick"] as? Bool == true)
        let scenarios = try #require(parsed["scenarios"] as? [[String: Any]])
        #expect(scenarios.count == InteropScenario.matrix(quick: true).count)
        let passes = parsed["pass"] as? Int ?? 0
        #expect(passes >= 60, "\(passes) cells passed")
    }

    @Test func missingCertsIsAUsageError() async throws {
        let result = try await CLIProcess.run(["interop", "--quick", "--certs", "/nonexistent"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("does not hold ca.pem"), "\(result)")
    }
}
