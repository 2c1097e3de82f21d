import Testing
@testable import TLS13

@Suite(.serialized) struct AsyncConnectionTests {
    @Test func readsDoNotBlockTheCooperativePool() async throws {
        // Three reads wait for data at once. If they blocked Swift-concurrency threads (two on this machine),
        // the writes that unblock them could never run and the test would hang.
        let servers = try (0..<3).map { _ in try OpenSSLServer(mode: ["-rev"]) }
        defer { servers.forEach { $0.stop() } }
        var connections: [AsyncTLSConnection] = []
        for server in servers {
            connections.append(try await AsyncTLSConnection.connect(
                host: server.host, port: server.port, configuration: InteropOpenSSLTests.config()))
        }
        let replies = try await withThrowingTaskGroup(of: String.self) { group in
            for c in connections {
                group.addTask {
                    var got: [UInt8] = []
                    while !got.contains(UInt8(ascii: "\n")) {
                        let chunk = try await c.read()
                        if chunk.isEmpty { break }
                        got += chunk
                    }
                    return String(decoding: got, as: UTF8.self)
                }
            }
            for (i, c) in connections.enumerated() {
                try await c.write(Array("async \(i)\n".utf8))
            }
            var all: [String] = []
            for try await r in group { all.append(r) }
            return all.sorted()
        }
        #expect(replies == ["0 cnysa\n", "1 cnysa\n", "2 cnysa\n"])
        for c in connections {
            #expect(c.connection.sessionInfo.certificateVerified)
            await c.close()
        }
    }

    @Test func cancellingABlockedReadClosesTheConnection() async throws {
        let server = try OpenSSLServer(mode: ["-rev"])
        defer { server.stop() }
        let c = try await AsyncTLSConnection.connect(host: server.host, port: server.port, configuration: InteropOpenSSLTests.config())
        let task = Task { try await c.read() }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let result = await task.result
        #expect(throws: TLSError.closed) { try result.get() }
    }

    @Test func connectFailureIsTyped() async throws {
        var config = InteropOpenSSLTests.config()
        config.connectTimeout = 2
        do {
            _ = try await AsyncTLSConnection.connect(to: "127.0.0.1:1", configuration: config)
            Issue.record("connected to port 1")
        } catch {
            guard case .network(step: .connect, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
        }
    }
}
