import Foundation
import Testing
@testable import TLS13

/// ``TLSClientConfiguration/wallClockMilliseconds``: the connection's notion of now, for certificate validity,
/// session stamps, ticket lifetime and age. Against `openssl s_server`.
@Suite(.serialized) struct WallClockTests {
    static func realNow() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    @Test func certificatesAreCheckedAtTheConfiguredTime() async throws {
        let server = try OpenSSLServer(mode: ["-rev"])
        defer { server.stop() }
        var config = ResumptionInteropTests.config(cache: nil)
        // Every test certificate ends in 2099; in 2103 the leaf has expired.
        config.wallClockMilliseconds = { 4_200_000_000_000 }
        let frozen = config
        let error = try await runBlocking { () -> TLSError? in
            do throws(TLSError) {
                _ = try TLSConnection.connect(host: server.host, port: server.port, configuration: frozen)
                return nil
            } catch {
                return error
            }
        }
        #expect(error?.alert == .certificateExpired, "\(String(describing: error))")
    }

    @Test func sessionsAreStampedAndAgedByTheClock() async throws {
        let server = try OpenSSLServer(mode: ["-rev"])
        defer { server.stop() }
        var config = ResumptionInteropTests.config(cache: nil)
        let issued = Self.realNow() - 5_000
        config.wallClockMilliseconds = { issued }
        let (_, tickets, _) = try await ResumptionInteropTests.exchange(server, config, line: "a\n")
        let session = try #require(tickets.last)
        #expect(session.receivedAtMilliseconds == issued)
        // s_server's tickets live 7200 s: 5 s later they resume, three hours later the client does not offer them.
        config.wallClockMilliseconds = { issued + 5_000 }
        let (soon, _, _) = try await ResumptionInteropTests.exchange(server, config, line: "b\n", session: session)
        #expect(soon.resumed)
        config.wallClockMilliseconds = { issued + 3 * 3_600_000 }
        let (late, _, _) = try await ResumptionInteropTests.exchange(server, config, line: "c\n", session: session)
        #expect(!late.resumed)
    }
}
