import Logging
import Synchronization
import TLS13
import TLS13TestSupport
import Testing

/// What an embedding application sees through ``TLSClientConfiguration/eventHandler`` and
/// ``TLSClientConfiguration/logger``, with the public API only, against `openssl s_server -rev`.
@Suite struct EventTests {
    /// Collects what the handler is given (it is called on the connection's threads).
    final class Collector: Sendable {
        private let events = Mutex<[TLSTraceEvent]>([])
        func append(_ event: TLSTraceEvent) { events.withLock { $0.append(event) } }
        var all: [TLSTraceEvent] { events.withLock { $0 } }
    }

    static func config(_ collector: Collector, secrets: Bool = false) -> TLSClientConfiguration {
        var config = API.config()
        config.eventHandler = { collector.append($0) }
        config.traceIncludesSecrets = secrets
        return config
    }

    /// One echo exchange, then close: the events come in the order things happened, timed from connect.
    static func exchange(_ server: OpenSSLServer, _ config: TLSClientConfiguration) throws {
        let connection = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
        try connection.write(Array("ping\n".utf8))
        #expect(try connection.read() == Array("gnip\n".utf8))
        connection.close()
    }

    @Test func aHandshakeIsReportedInOrder() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let collector = Collector()
        try await runBlocking { try Self.exchange(server, Self.config(collector)) }
        let events = collector.all
        let times = events.map(\.time)
        #expect(times == times.sorted() && (times.first ?? .zero) >= .zero, "times never go back")

        // Name resolution, then the TCP connect, before any record.
        guard let firstRecord = events.firstIndex(where: { if case .record = $0.event { true } else { false } }) else {
            Issue.record("no record events")
            return
        }
        let before = events[..<firstRecord].map(\.event)
        #expect(before.contains { if case .nameResolved(let host, let addresses, _) = $0 { host == server.host && addresses.contains("127.0.0.1:\(server.port)") } else { false } })
        #expect(before.contains { if case .tcpConnecting = $0 { true } else { false } })
        #expect(before.contains { if case .tcpEstablished(let info) = $0 { info.state == "ESTABLISHED" && info.sendMSS > 0 } else { false } })

        // The handshake messages, each with the keys that protected it.
        let messages = events.compactMap { e -> String? in
            guard case .handshakeMessage(let m) = e.event else { return nil }
            return "\(m.direction == .sent ? ">" : "<") \(m.name) \(m.epoch.rawValue)"
        }
        let handshake = Array(messages.prefix(7))
        #expect(handshake == [
            "> ClientHello plaintext", "< ServerHello plaintext", "< EncryptedExtensions handshake",
            "< Certificate handshake", "< CertificateVerify handshake", "< Finished handshake", "> Finished handshake",
        ], "\(messages)")
        // Decoded essentials: the ClientHello names the server it asked for.
        let hello = events.lazy.compactMap { e -> TLSHandshakeMessageInfo? in
            if case .handshakeMessage(let m) = e.event, m.name == "ClientHello" { m } else { nil }
        }.first
        #expect(hello?.fields.contains { $0.name == "serverName" && $0.value == .string("localhost") } == true,
                "\(hello?.fields.map(\.name) ?? [])")

        // Secrets by their RFC 8446 labels, without values by default.
        let secrets = events.compactMap { e -> TLSSecretInfo? in if case .secretDerived(let s) = e.event { s } else { nil } }
        #expect(secrets.map(\.label).prefix(5) == ["c hs traffic", "s hs traffic", "c ap traffic", "s ap traffic", "exp master"])
        #expect(secrets.allSatisfy { $0.value == nil })

        // Records: the first is the ClientHello in plaintext; application data goes under application keys.
        let records = events.compactMap { e -> TLSRecordInfo? in if case .record(let r) = e.event { r } else { nil } }
        #expect(records.first?.direction == .sent && records.first?.epoch == .plaintext && records.first?.innerContentType == 22)
        #expect(records.contains { $0.direction == .sent && $0.innerContentType == 23 && $0.epoch == .application && $0.plaintextLength == 5 })
        #expect(records.contains { $0.direction == .received && $0.innerContentType == 23 && $0.epoch == .application })
        // Stream offsets: each direction's records tile its TCP stream.
        for direction in [TLSDirection.sent, .received] {
            var offset = 0
            for r in records where r.direction == direction {
                #expect(r.streamOffset == offset, "\(direction) record at \(r.streamOffset), expected \(offset)")
                offset += r.wireLength
            }
        }

        // Crypto steps with their costs; the close.
        let steps = Set(events.compactMap { e -> String? in if case .cryptoOperation(let c) = e.event { c.step } else { nil } })
        #expect(steps.isSuperset(of: ["key generation", "key exchange", "certificate checks", "signature verification"]), "\(steps)")
        #expect(events.contains { $0.event == .closeNotify(.sent) })
        #expect(events.last.map { if case .tcpClosed = $0.event { true } else { false } } == true, "the teardown comes last")
    }

    @Test func secretsOnlyWhenAskedFor() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let collector = Collector()
        try await runBlocking { try Self.exchange(server, Self.config(collector, secrets: true)) }
        let values = collector.all.compactMap { e -> String? in
            if case .secretDerived(let s) = e.event { s.value } else { nil }
        }
        #expect(values.count >= 5)
        #expect(values.allSatisfy { $0.count == 64 && $0.allSatisfy(\.isHexDigit) }, "\(values)")
    }

    /// A failed handshake is reported up to the alert it sent.
    @Test func aFailureEndsWithItsAlert() async throws {
        let server = try await OpenSSLServer.start(leaf: "leaf-expired", chain: "intermediate.pem", mode: ["-rev"])
        defer { server.stop() }
        let collector = Collector()
        let config = Self.config(collector)
        let error = try await runBlocking { () -> TLSError? in
            do throws(TLSError) {
                _ = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
                return nil
            } catch {
                return error
            }
        }
        #expect(error?.alert == .certificateExpired, "\(String(describing: error))")
        let alerts = collector.all.compactMap { e -> AlertDescription? in
            if case .alert(.sent, let description, true) = e.event { description } else { nil }
        }
        #expect(alerts == [.certificateExpired])
        #expect(!collector.all.contains { if case .record(let r) = $0.event { r.innerContentType == 23 } else { false } },
                "no application data")
    }

    /// The logger gets one debug line per event, with the peer as metadata, and never a secret's value.
    @Test func theLoggerGetsTheSameEvents() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let lines = LineCollector()
        var config = API.config()
        config.logger = Logger(label: "tls13-test") { _ in LineCollector.Handler(lines: lines) }
        config.traceIncludesSecrets = true  // the handler's option; the logger never prints values
        let collector = Collector()
        config.eventHandler = { collector.append($0) }
        let configured = config
        try await runBlocking { try Self.exchange(server, configured) }
        let logged = lines.all
        #expect(logged.count == collector.all.count, "one line per event")
        #expect(logged.allSatisfy { $0.level == .debug && $0.peer == "\(server.host):\(server.port)" })
        #expect(logged.map(\.message) == collector.all.map(\.event.summary))
        #expect(logged.contains { $0.message.hasPrefix("ClientHello sent") })
        let secretValues = collector.all.compactMap { e -> String? in if case .secretDerived(let s) = e.event { s.value } else { nil } }
        #expect(!secretValues.isEmpty)
        #expect(!logged.contains { line in secretValues.contains { line.message.contains($0) } }, "no secret in the log")
    }

    /// Without a handler or a logger nothing is reported, and the connection works the same.
    @Test func nobodyListening() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        var config = API.config()
        config.eventHandler = nil
        config.logger = nil
        let configured = config
        try await runBlocking { try Self.exchange(server, configured) }
    }
}

/// A swift-log handler that keeps what it is given.
final class LineCollector: Sendable {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var peer: String?
    }

    private let lines = Mutex<[Line]>([])
    var all: [Line] { lines.withLock { $0 } }

    struct Handler: LogHandler {
        let lines: LineCollector
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var peer: String?
            if case .string(let value)? = event.metadata?["tls.peer"] { peer = value }
            let line = Line(level: event.level, message: "\(event.message)", peer: peer)
            lines.lines.withLock { $0.append(line) }
        }
    }
}
