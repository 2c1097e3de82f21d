import Foundation
import TLS13
import TLS13TestSupport
import Testing

/// The public API driven with hostile arguments, as an embedding program could pass them: every call throws a
/// typed ``TLSError`` (or works), never traps, and never waits without bound. Only public API is used (no
/// `@testable`). The checks that no `precondition` is reachable from public input are in `Docs/Security.md`,
/// "No traps or hangs from the public API".
enum API {
    /// Trusts the test PKI's root and checks the name `localhost`.
    static func config(_ adjust: (inout TLSClientConfiguration) -> Void = { _ in }) -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        config.trustRoots = .pemFile(CertPaths.path("ca.pem"))
        config.serverName = "localhost"
        config.requestOCSPStapling = false
        adjust(&config)
        return config
    }

    /// The error `body` throws, or `nil` (recording an issue) when it returns.
    @discardableResult
    static func error(_ what: String, sourceLocation: SourceLocation = #_sourceLocation,
                      _ body: () throws -> Void) -> TLSError? {
        do {
            try body()
            Issue.record("\(what): expected an error, got none", sourceLocation: sourceLocation)
            return nil
        } catch let error as TLSError {
            return error
        } catch {
            Issue.record("\(what): expected a TLSError, got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Expects ``TLSError/invalidConfiguration(_:)`` from `body`; returns its text.
    @discardableResult
    static func invalid(_ what: String, sourceLocation: SourceLocation = #_sourceLocation,
                        _ body: () throws -> Void) -> String {
        let error = error(what, sourceLocation: sourceLocation, body)
        guard case .invalidConfiguration(let reason)? = error else {
            if let error { Issue.record("\(what): expected invalidConfiguration, got \(error)", sourceLocation: sourceLocation) }
            return ""
        }
        return reason
    }

    /// Seconds `body` took.
    static func seconds(_ body: () -> Void) -> Double {
        let start = ContinuousClock.now
        body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// 16 MiB: far more than the socket buffers hold (the client's send buffer grows to 4 MiB at most, the stalled
    /// server's receive buffer is 4 KiB), so a write to a peer that does not read gets stuck.
    static let bulk = [UInt8](repeating: 0x61, count: 16 << 20)
}

/// Arguments refused before anything is sent: nothing listens on port 1, so any attempt to connect would be a
/// network error instead of the configuration error these tests expect.
@Suite struct HostileConfigurationTests {
    @Test(arguments: [
        ("connectTimeout", Double.nan), ("connectTimeout", -1), ("connectTimeout", 0), ("connectTimeout", .infinity),
        ("handshakeTimeout", .nan), ("handshakeTimeout", -0.5), ("handshakeTimeout", .infinity),
        ("writeTimeout", .nan), ("writeTimeout", 0), ("writeTimeout", .infinity),
        ("ioTimeout", .nan), ("ioTimeout", 0), ("ioTimeout", -3),
        ("verifiedChainCacheLifetime", .nan), ("verifiedChainCacheLifetime", -1), ("verifiedChainCacheLifetime", 0),
    ])
    func badDurationsAreConfigurationErrors(field: String, value: Double) {
        let config = API.config { c in
            switch field {
            case "connectTimeout": c.connectTimeout = value
            case "handshakeTimeout": c.handshakeTimeout = value
            case "writeTimeout": c.writeTimeout = value
            case "ioTimeout": c.ioTimeout = value
            default: c.verifiedChainCacheLifetime = value
            }
        }
        let reason = API.invalid("\(field) = \(value)") {
            _ = try TLSConnection.connect(host: "127.0.0.1", port: 1, configuration: config)
        }
        #expect(reason.contains(field), "\(reason)")
    }

    @Test func badLimitsAreConfigurationErrors() {
        for (name, adjust) in [
            ("maxHandshakeMessageSize", { (c: inout TLSClientConfiguration) in c.maxHandshakeMessageSize = 1 << 30 }),
            ("maxHandshakeMessageSize", { (c: inout TLSClientConfiguration) in c.maxHandshakeMessageSize = -1 }),
            ("recordSizeLimit", { (c: inout TLSClientConfiguration) in c.recordSizeLimit = Int.max }),
            ("clientHelloPadding", { (c: inout TLSClientConfiguration) in c.clientHelloPadding = Int.min }),
            ("keyUpdateRecordLimit", { (c: inout TLSClientConfiguration) in c.keyUpdateRecordLimit = 0 }),
            ("ALPN", { (c: inout TLSClientConfiguration) in c.applicationProtocols = [String(repeating: "h", count: 256)] }),
            ("ALPN", { (c: inout TLSClientConfiguration) in c.applicationProtocols = [""] }),
            ("ALPN list", { (c: inout TLSClientConfiguration) in
                c.applicationProtocols = (0..<100).map { "\($0)" + String(repeating: "p", count: 250) } }),
            ("groups", { (c: inout TLSClientConfiguration) in c.supportedGroups = Array(repeating: .x25519, count: 65) }),
            ("cipher suites", { (c: inout TLSClientConfiguration) in c.cipherSuites = [] }),
            ("groups", { (c: inout TLSClientConfiguration) in c.supportedGroups = [] }),
        ] as [(String, (inout TLSClientConfiguration) -> Void)] {
            API.invalid(name) { _ = try TLSConnection.connect(host: "127.0.0.1", port: 1, configuration: API.config(adjust)) }
        }
    }

    /// Host names are checked before the TCP connect, server names before the ClientHello: a malformed or
    /// non-ASCII name never reaches DNS or SNI.
    @Test(arguments: [
        "", "a..example", ".example", "exa mple.com", "bad\u{0}name", "-lead.example", "trail-.example",
        String(repeating: "a", count: 64) + ".example", String(repeating: "a.", count: 130) + "com", "1.2.3",
        "under\u{7f}score.example", "xn--", "bücher.example", "例え.jp", "host\r\nInjected: header",
    ])
    func badNamesAreRefusedBeforeAnythingIsSent(name: String) {
        let hostError = API.error("host \(name.debugDescription)") {
            _ = try TLSConnection.connect(host: name, port: 1, configuration: API.config())
        }
        guard case .network(.parseAddress, _)? = hostError else {
            Issue.record("host \(name.debugDescription): expected an address error, got \(String(describing: hostError))")
            return
        }
        let reason = API.invalid("serverName \(name.debugDescription)") {
            _ = try TLSConnection.connect(host: "127.0.0.1", port: 1, configuration: API.config { $0.serverName = name })
        }
        #expect(reason.hasPrefix("invalid server name"), "\(reason)")
        if name.unicodeScalars.contains(where: { $0.value >= 0x80 }) {
            #expect(reason.contains("A-labels (xn--...)"), "IDNs are accepted only as A-labels: \(reason)")
        }
        #expect(throws: TLSError.self) { try Endpoint.validateServerName(name) }
    }

    @Test func aLabelsAndLiteralsAreAccepted() throws {
        for name in ["xn--bcher-kva.example", "localhost", "a.b-c.example.", "127.0.0.1", "::1", "fe80::1%lo", "_srv.example"] {
            try Endpoint.validateServerName(name)
        }
    }

    @Test func portsOutOfRange() {
        for port in [-1, 0, 65536, Int.max, Int.min] {
            #expect(throws: TLSError.self) { try Endpoint(host: "localhost", port: port) }
        }
        API.error("port 0") { _ = try TLSConnection.connect(host: "127.0.0.1", port: 0, configuration: API.config()) }
        for text in ["", "[::1", "host:99999", "host:", ":443", "a:b:c", "[::1]x", "host:-1"] {
            #expect(throws: TLSError.self, "\(text)") { try Endpoint.parse(text, defaultPort: 443) }
        }
    }

    @Test func bytesThatAreNotASessionAreRefused() {
        var random = SystemRandomNumberGenerator()
        let inputs: [[UInt8]] = [
            [], [0], [UInt8](repeating: 0, count: 1000), (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &random) },
            Array("TLS13SESSION3".utf8), Array("TLS13SESSION3".utf8) + [UInt8](repeating: 0xFF, count: 70_000),
            Array("TLS13SESSION9".utf8) + [UInt8](repeating: 1, count: 200),
        ]
        for bytes in inputs {
            API.invalid("\(bytes.count) bytes") { _ = try TLSSession(serialized: bytes) }
        }
    }

    @Test func sessionCacheBoundsAreChecked() throws {
        API.invalid("capacity 0") { _ = try InMemorySessionCache(capacity: 0) }
        API.invalid("ticketsPerServer -5") { _ = try InMemorySessionCache(capacity: 1, ticketsPerServer: -5) }
        let cache = try InMemorySessionCache(capacity: 1, ticketsPerServer: 1)
        #expect(cache.capacity == 1)
    }

    @Test func earlyDataIsBounded() {
        let huge = [UInt8](repeating: 0, count: TLSConnection.maxEarlyDataLength + 1)
        API.invalid("earlyData") {
            _ = try TLSConnection.connect(host: "127.0.0.1", port: 1, configuration: API.config(), earlyData: huge)
        }
    }
}

/// Hostile arguments to an established connection (`openssl s_server -rev`).
@Suite struct HostileConnectionCallTests {
    @Test func exporterArgumentsAreChecked() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        try await runBlocking {
            let connection = try TLSConnection.connect(host: server.host, port: server.port, configuration: API.config())
            defer { connection.close() }
            let hashLength = connection.sessionInfo.cipherSuite == .aes256GCMSHA384 ? 48 : 32
            for label in [String(repeating: "x", count: 250), String(repeating: "é", count: 125),
                          String(repeating: "y", count: 100_000)] {
                let reason = API.invalid("label of \(label.utf8.count) bytes") {
                    _ = try connection.exportKeyingMaterial(label: label, context: [], length: 32)
                }
                #expect(reason.contains("label"), "\(reason)")
            }
            for length in [-1, 255 * hashLength + 1, Int.max, Int.min] {
                API.invalid("length \(length)") { _ = try connection.exportKeyingMaterial(label: "EXPORTER-x", context: [], length: length) }
            }
            // The edges that are allowed, and labels that are not text a person would write.
            #expect(try connection.exportKeyingMaterial(label: String(repeating: "x", count: 249), context: [], length: 0) == [])
            #expect(try connection.exportKeyingMaterial(label: "", context: [], length: 16).count == 16, "an empty label is allowed")
            #expect(try connection.exportKeyingMaterial(label: "a\u{0}\u{FFFD}b", context: [UInt8](repeating: 7, count: 1 << 20),
                                                         length: 255 * hashLength).count == 255 * hashLength)
            // The connection still works.
            try connection.write(Array("ping\n".utf8))
            #expect(try connection.read() == Array("gnip\n".utf8))
        }
    }

    @Test func readAndPeekCountsAreChecked() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        try await runBlocking {
            let connection = try TLSConnection.connect(host: server.host, port: server.port, configuration: API.config())
            defer { connection.close() }
            for count in [0, -1, Int.min] {
                API.invalid("read \(count)") { _ = try connection.read(maxCount: count) }
                API.invalid("peek \(count)") { _ = try connection.peek(maxCount: count) }
            }
            try connection.write(Array("abc\n".utf8))
            #expect(try connection.peek(maxCount: Int.max) == Array("cba\n".utf8))
            #expect(try connection.read(maxCount: Int.max) == Array("cba\n".utf8))
        }
    }

    /// Every call after `close`, `abort` and `abort(sending:)` throws or does nothing; none traps or waits.
    @Test func callsAfterCloseAndAbort() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        try await runBlocking {
            for ending in ["close", "abort", "abortSending"] {
                let connection = try TLSConnection.connect(host: server.host, port: server.port, configuration: API.config())
                switch ending {
                case "close": connection.close()
                case "abort": connection.abort()
                default: connection.abort(sending: .userCanceled)
                }
                let elapsed = API.seconds {
                    API.error("\(ending) then write") { try connection.write([1, 2, 3]) }
                    API.error("\(ending) then read") { _ = try connection.read() }
                    API.error("\(ending) then peek") { _ = try connection.peek() }
                    API.error("\(ending) then updateKeys") { try connection.updateKeys(requestPeerUpdate: true) }
                    _ = try? connection.closeWrite()
                    _ = try? connection.waitForSessionTicket(timeout: 0.1)
                    connection.close()
                    connection.abort()
                    connection.abort(sending: .internalError)
                    connection.close()
                }
                #expect(elapsed < 3, "\(ending): calls after the end took \(elapsed) s")
                if ending != "close" {
                    API.error("\(ending) then export") {
                        _ = try connection.exportKeyingMaterial(label: "EXPORTER-x", context: [], length: 16)
                    }
                }
            }
        }
    }

    /// `close` on one thread while another writes in a loop: the writer stops with an error, neither hangs.
    @Test func concurrentCloseAndWrite() async throws {
        let server = try await OpenSSLServer.start(mode: [])
        defer { server.stop() }
        let connection = try await runBlocking {
            try TLSConnection.connect(host: server.host, port: server.port, configuration: API.config())
        }
        let chunk = [UInt8](repeating: 0x62, count: 1 << 16)
        async let writer: TLSError? = runBlocking {
            for _ in 0..<100_000 {
                do throws(TLSError) { try connection.write(chunk) } catch { return error }
            }
            return nil
        }
        let closeTime = try await runBlocking {
            usleep(100_000)
            return API.seconds { connection.close() }
        }
        let error = try await writer
        #expect(error != nil, "the writer must stop once the connection is closed")
        // The reader keeps reading, so close gets its turn after the write in flight: well under its bound.
        #expect(closeTime < 1, "close took \(closeTime) s")
    }
}

/// A peer that completes the handshake and then never reads: writes are bounded, `close` is bounded.
@Suite struct StuckPeerTests {
    @Test func aWriteToAPeerThatStopsReadingTimesOut() async throws {
        let server = try await runBlocking { try StallingTLSServer() }
        defer { server.stop() }
        let (error, elapsed) = try await runBlocking { () -> (TLSError?, Double) in
            let connection = try TLSConnection.connect(
                host: "127.0.0.1", port: server.port, configuration: API.config { $0.writeTimeout = 1 })
            defer { connection.abort() }
            var error: TLSError?
            let elapsed = API.seconds { error = API.error("write to a stalled peer") { try connection.write(API.bulk) } }
            return (error, elapsed)
        }
        guard case .timedOut? = error else {
            Issue.record("expected timedOut, got \(String(describing: error))")
            return
        }
        // The bound is on the wait without progress; sealing the parts that did go out comes on top (debug build).
        #expect(elapsed >= 0.9 && elapsed < 8, "the write gave up after \(elapsed) s (writeTimeout 1 s)")
    }

    /// With the default 30 s write timeout a write stays stuck; `close` on another thread still returns within
    /// ``TLSConnection/closeTimeout`` and ends the write.
    @Test func closeReturnsWhileAWriteIsStuck() async throws {
        let server = try await runBlocking { try StallingTLSServer() }
        defer { server.stop() }
        let connection = try await runBlocking {
            try TLSConnection.connect(host: "127.0.0.1", port: server.port, configuration: API.config())
        }
        async let writer: (TLSError?, Double) = runBlocking {
            var error: TLSError?
            let elapsed = API.seconds { error = API.error("stuck write") { try connection.write(API.bulk) } }
            return (error, elapsed)
        }
        let closeTime = try await runBlocking {
            usleep(1_000_000)  // the write is stuck by now (the buffers hold far less than 16 MiB)
            return API.seconds { connection.close() }
        }
        let (error, writeTime) = try await writer
        #expect(closeTime < TLSConnection.closeTimeout + 1, "close took \(closeTime) s")
        #expect(error != nil && writeTime < 10, "the stuck write ended after \(writeTime) s with \(String(describing: error))")
    }

    /// The bounds are generous (a loaded test machine delays every task), but below what an ignored cancellation
    /// would take: the stuck write would end only at the 30 s write timeout, with `timedOut`.
    @Test func asyncWriteAndCloseHonourCancellation() async throws {
        let server = try await runBlocking { try StallingTLSServer() }
        defer { server.stop() }
        let connection = try await AsyncTLSConnection.connect(host: "127.0.0.1", port: server.port, configuration: API.config())
        let write = Task { () -> TLSError? in
            do throws(TLSError) {
                try await connection.write(API.bulk)
                return nil
            } catch {
                return error
            }
        }
        try await Task.sleep(for: .milliseconds(500))
        let cancelled = ContinuousClock.now
        write.cancel()
        let error = await write.value
        #expect(error == .closed, "a cancelled write ends with closed, got \(String(describing: error))")
        #expect(ContinuousClock.now - cancelled < .seconds(15), "the write ended \(ContinuousClock.now - cancelled) after the cancel")
        // close after that, and a cancelled close, return at once (well within close's own 2 s bound).
        let closing = ContinuousClock.now
        let closer = Task { await connection.close() }
        closer.cancel()
        await closer.value
        await connection.close()
        #expect(ContinuousClock.now - closing < .seconds(15), "closing took \(ContinuousClock.now - closing)")
    }
}
