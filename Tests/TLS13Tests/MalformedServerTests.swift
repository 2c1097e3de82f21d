import Foundation
import Testing
@testable import TLS13

/// The malformed-server suite (project issue P4 §1): the real blocking ``TLSConnection`` against a
/// ``ScriptedServer`` over loopback TCP, one named mutation per case (``MalformedServerCase/all``).
///
/// For every case it checks the client's typed error and alert, the alert as the server decrypted it off the
/// wire, that the server never got application data from the client before the handshake completed, that
/// `read()` never returned data before the server was authenticated, and — for cases the client must accept —
/// that a data round trip works afterwards. That the test process is still running at the end is the "did not
/// crash" check.
@Suite struct MalformedServerTests {
    /// The handshake timeout of the stall case (seconds).
    static let stallTimeout = 1.5
    /// What the client writes after the greeting; the server echoes it.
    static let ping = Array("ping from the client".utf8)

    /// What the client side of one run saw.
    struct ClientResult: Sendable {
        /// What `connect` threw.
        var handshakeError: TLSError?
        /// What `read` or `write` threw after a successful `connect`.
        var afterHandshakeError: TLSError?
        /// Everything `read()` returned while waiting for the greeting.
        var greeting: [UInt8] = []
        /// Everything `read()` returned while waiting for the echo.
        var echo: [UInt8] = []
        var tickets = 0
        var info: TLSSessionInfo?
        /// Seconds from `connect` to its return (or throw).
        var connectSeconds = 0.0
    }

    /// The client configuration every case starts from: trust `Certs/ca.pem` only, name `localhost`, short
    /// timeouts. The handshake timeout leaves room for the cases that split a flight into one record per byte
    /// (about 1,500 AEAD records each way), which under ThreadSanitizer with the whole suite running in
    /// parallel on 2 cores took over 5 s; in a normal debug build they take well under a second.
    static func clientConfiguration() -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        config.trustRoots = .pemFile(CertPaths.path("ca.pem"))
        config.serverName = "localhost"
        config.connectTimeout = 5
        config.handshakeTimeout = 30
        config.ioTimeout = 5
        return config
    }

    @Test(arguments: MalformedServerCase.all)
    func malformedServer(_ c: MalformedServerCase) async throws {
        let scripted = ScriptedServer(.init(chain: c.chain))
        c.mutate(scripted)
        let loopback = try LoopbackScriptedServer(scripted, transport: c.transport, greets: c.greets,
                                                  afterHandshake: c.afterHandshake)
        loopback.start()
        var configuration = Self.clientConfiguration()
        c.client(&configuration)
        let port = loopback.port
        let config = configuration
        let client = try await runBlocking { Self.runClient(port: port, configuration: config) }
        let report = try await runBlocking { loopback.finish() }
        let observation = MalformedServerCase.Observation(client: client, report: report, server: scripted)

        if let issue = c.knownIssue {
            withKnownIssue(Comment(rawValue: issue)) {
                Self.verify(c, observation)
                c.check(observation)
            }
        } else {
            Self.verify(c, observation)
            c.check(observation)
        }
    }

    /// Connects, then (if that worked) reads the greeting, sends ``ping`` and reads its echo. Blocking.
    static func runClient(port: UInt16, configuration: TLSClientConfiguration) -> ClientResult {
        var result = ClientResult()
        let start = Date()
        let connection: TLSConnection
        do throws(TLSError) {
            connection = try TLSConnection.connect(host: "127.0.0.1", port: port, configuration: configuration)
        } catch {
            result.connectSeconds = Date().timeIntervalSince(start)
            result.handshakeError = error
            return result
        }
        result.connectSeconds = Date().timeIntervalSince(start)
        defer { connection.close() }
        result.info = connection.sessionInfo
        do throws(TLSError) {
            while result.greeting.count < LoopbackScriptedServer.greeting.count {
                let chunk = try connection.read()
                if chunk.isEmpty { break }
                result.greeting += chunk
            }
            try connection.write(ping)
            while result.echo.count < ping.count {
                let chunk = try connection.read()
                if chunk.isEmpty { break }
                result.echo += chunk
            }
        } catch {
            result.afterHandshakeError = error
        }
        result.tickets = connection.receivedTicketCount
        return result
    }

    /// The checks every case gets, per its expected outcome.
    static func verify(_ c: MalformedServerCase, _ o: MalformedServerCase.Observation) {
        let client = o.client
        let report = o.report
        let clientError = client.handshakeError ?? client.afterHandshakeError
        let alertsOnWire = report.receivedAlerts.map(\.description)
        #expect(report.failure == nil, "server side: \(report.failure ?? "")")

        switch c.expected {
        case .accept:
            #expect(clientError == nil, "client: \(clientError.map { "\($0)" } ?? "")")
            #expect(report.handshakeComplete, "the server did not verify the client's Finished")
            #expect(client.info?.certificateVerified == true)
            // Exactly the greeting, sent after the handshake: nothing injected earlier leaked into read().
            #expect(client.greeting == LoopbackScriptedServer.greeting,
                    "read() returned \(String(decoding: client.greeting, as: UTF8.self).debugDescription)")
            #expect(client.echo == ping, "echo: \(String(decoding: client.echo, as: UTF8.self).debugDescription)")
            #expect(report.applicationData == [ping])
            // The only alert is the close_notify of `close()`, under the application keys.
            #expect(report.receivedAlerts == [.init(alert: Alert(level: .warning, description: .closeNotify), encrypted: true)],
                    "alerts: \(alertsOnWire)")

        case .alert(let alerts, let wire):
            #expect(client.handshakeError != nil, "connect succeeded; expected \(alerts.map(\.name))")
            if let error = client.handshakeError {
                #expect(alerts.contains { $0 == error.alert } && error.alertToSend == error.alert,
                        "expected \(alerts.map(\.name)), got \(error)")
                expectKind(error)
            }
            #expect(report.receivedAlerts.count == 1, "alerts on the wire: \(alertsOnWire)")
            if let onWire = report.receivedAlerts.first {
                #expect(onWire.alert.level == .fatal, "\(onWire)")
                #expect(onWire.alert.description == client.handshakeError?.alert, "\(onWire)")
                #expect(onWire.encrypted == (wire == .encrypted), "\(onWire), expected \(wire)")
            }
            expectNothingDelivered(o)

        case .alertAfterHandshake(let alert):
            #expect(client.handshakeError == nil, "connect failed: \(client.handshakeError.map { "\($0)" } ?? "")")
            #expect(client.afterHandshakeError?.alert == alert && client.afterHandshakeError?.alertToSend == alert,
                    "expected \(alert.name), got \(client.afterHandshakeError.map { "\($0)" } ?? "no error")")
            if let error = client.afterHandshakeError { expectKind(error) }
            #expect(report.receivedAlerts.map(\.alert) == [Alert(level: .fatal, description: alert)],
                    "alerts on the wire: \(alertsOnWire)")
            #expect(report.receivedAlerts.allSatisfy { $0.encrypted })
            #expect(client.greeting.isEmpty, "read() returned data before failing")
            #expect(report.applicationData.isEmpty)

        case .peerAlert(let alert):
            #expect(client.handshakeError == .alertReceived(alert),
                    "expected the server's \(alert.name), got \(client.handshakeError.map { "\($0)" } ?? "no error")")
            #expect(report.receivedAlerts.isEmpty, "the client answered an alert: \(alertsOnWire)")
            expectNothingDelivered(o)

        case .transport(let failure):
            switch (failure, client.handshakeError) {
            case (.closed, .network(step: .read, _)?):
                break
            case (.reset, .network(step: .read, let reason)?):
                #expect(reason.lowercased().contains("reset"), "\(reason)")
            case (.timedOut, .timedOut?):
                #expect(client.connectSeconds >= stallTimeout - 0.1 && client.connectSeconds < stallTimeout + 2,
                        "timed out after \(client.connectSeconds) s, timeout \(stallTimeout) s")
            default:
                Issue.record("expected a \(failure) transport failure, got \(client.handshakeError.map { "\($0)" } ?? "no error")")
            }
            #expect(report.receivedAlerts.isEmpty, "alerts on the wire: \(alertsOnWire)")
            expectNothingDelivered(o)

        case .truncatedAfterHandshake:
            #expect(client.handshakeError == nil, "connect failed: \(client.handshakeError.map { "\($0)" } ?? "")")
            #expect(client.afterHandshakeError == .truncated,
                    "expected truncated, got \(client.afterHandshakeError.map { "\($0)" } ?? "no error")")
            #expect(client.greeting.isEmpty)
            #expect(report.receivedAlerts.isEmpty, "alerts on the wire: \(alertsOnWire)")
            #expect(report.handshakeComplete)

        case .peerClosedAfterHandshake:
            #expect(clientError == nil, "client: \(clientError.map { "\($0)" } ?? "")")
            #expect(client.greeting.isEmpty && client.echo.isEmpty, "data after close_notify was delivered")
            // Half-close: the client could still write, and its close() sent close_notify.
            #expect(report.applicationData == [ping])
            #expect(report.receivedAlerts == [.init(alert: Alert(level: .warning, description: .closeNotify), encrypted: true)],
                    "alerts: \(alertsOnWire)")
        }
    }

    /// The error's case fits its alert: `decode_error` only from `.decode`, certificate alerts only from
    /// `.certificateRejected`, and never a transport or internal error.
    static func expectKind(_ error: TLSError, sourceLocation: SourceLocation = #_sourceLocation) {
        let certificateAlerts: [AlertDescription] = [
            .badCertificate, .unsupportedCertificate, .certificateExpired, .certificateUnknown, .unknownCA,
            .certificateRevoked,
        ]
        switch error {
        case .decode(_, let alert):
            #expect(!certificateAlerts.contains(alert), "\(error)", sourceLocation: sourceLocation)
        case .certificateRejected(let alert, _):
            #expect(certificateAlerts.contains(alert), "\(error)", sourceLocation: sourceLocation)
        case .protocolViolation(let alert, _):
            #expect(alert != .decodeError, "\(error)", sourceLocation: sourceLocation)
        default:
            Issue.record("expected a decode, protocol or certificate error, got \(error)", sourceLocation: sourceLocation)
        }
    }

    /// A failed handshake: `connect` threw, so no connection (and no `read()`) ever existed; the client never
    /// sent application data.
    static func expectNothingDelivered(_ o: MalformedServerCase.Observation, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(o.client.info == nil && o.client.greeting.isEmpty, sourceLocation: sourceLocation)
        #expect(o.report.applicationData.isEmpty, "the client sent application data", sourceLocation: sourceLocation)
    }

    // MARK: - The case table itself

    @Test func casesAreNamedUniquelyAndCoverEveryCategory() {
        let names = MalformedServerCase.all.map(\.name)
        #expect(Set(names).count == names.count, "duplicate names")
        #expect(names.count >= 40)
        for category in MalformedServerCase.Category.allCases {
            #expect(MalformedServerCase.all.contains { $0.category == category }, "no case for \(category.rawValue)")
        }
        for c in MalformedServerCase.all {
            #expect(c.name.range(of: "^[a-z0-9-]+\\.[a-z0-9-]+$", options: .regularExpression) != nil, "\(c.name)")
        }
        // Every category has at least one failure; the framing and record categories also have accepted cases.
        for category in [MalformedServerCase.Category.recordLayer, .framing, .postHandshake] {
            #expect(MalformedServerCase.all.contains {
                guard $0.category == category, case .accept = $0.expected else { return false }
                return true
            }, "\(category.rawValue) has no case that must be accepted")
        }
    }

    static let docBegin = "<!-- malformed-server-cases:begin -->"
    static let docEnd = "<!-- malformed-server-cases:end -->"

    /// The Markdown table of every case, as `Docs/Security.md` must hold it.
    static var caseTable: String {
        var lines = [
            "| case | category | expected outcome | RFC 8446 |",
            "| --- | --- | --- | --- |",
        ]
        lines += MalformedServerCase.all.map(\.tableRow)
        return lines.joined(separator: "\n")
    }

    /// `Docs/Security.md` lists every case with its category, outcome and section, and nothing else. Run with
    /// `UPDATE_SECURITY_DOC=1` to rewrite the table from the cases.
    @Test func securityDocListsEveryCase() throws {
        let url = URL(fileURLWithPath: CertPaths.root.deletingLastPathComponent().appendingPathComponent("Docs/Security.md").path)
        let text = try String(contentsOf: url, encoding: .utf8)
        let begin = try #require(text.range(of: Self.docBegin), "no \(Self.docBegin) marker")
        let end = try #require(text.range(of: Self.docEnd), "no \(Self.docEnd) marker")
        let current = text[begin.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        if current != Self.caseTable, ProcessInfo.processInfo.environment["UPDATE_SECURITY_DOC"] == "1" {
            let updated = text[..<begin.upperBound] + "\n" + Self.caseTable + "\n" + text[end.lowerBound...]
            try updated.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let want = Self.caseTable.split(separator: "\n").map(String.init)
        let have = current.split(separator: "\n").map(String.init)
        for row in want where !have.contains(row) {
            Issue.record("Docs/Security.md lacks (or has an outdated) row: \(row)")
        }
        for row in have where !want.contains(row) {
            Issue.record("Docs/Security.md has a row for no case: \(row)")
        }
        if Set(have) == Set(want), have != want {
            Issue.record("Docs/Security.md lists the cases in another order than MalformedServerCase.all")
        }
    }
}
