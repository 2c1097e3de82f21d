import Foundation
import Testing
@testable import TLS13

/// Shared pieces of the interop suites (`Interop*Tests`): the client configuration that trusts `Certs/ca.pem`,
/// and blocking read helpers. Everything here blocks: call it inside ``runBlocking(_:)``.
enum Interop {
    /// Trusts the test root, names the server `localhost`, 5 s handshake and I/O timeouts.
    static func config(_ edit: (inout TLSClientConfiguration) -> Void = { _ in }) -> TLSClientConfiguration {
        var c = TLSClientConfiguration()
        c.trustRoots = .pemFile(CertPaths.path("ca.pem"))
        c.serverName = "localhost"
        c.handshakeTimeout = 5
        c.ioTimeout = 5
        edit(&c)
        return c
    }

    /// Expects s_server to print `text` (at least `count` times) within 3 s. Its output reaches us through a
    /// pipe read on another thread, so it may lag behind what the client has seen: always wait, never peek.
    /// - Returns: whether it appeared (an issue is recorded if not).
    @discardableResult
    static func expectServerPrinted(
        _ server: OpenSSLServer, _ text: String, count: Int = 1, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Bool {
        let seen = try await runBlocking { server.waitForOutput(text, count: count) }
        #expect(seen, "s_server did not print \(text.debugDescription) \(count) time(s): \(server.output)",
                sourceLocation: sourceLocation)
        return seen
    }

    /// Connects to `server` (blocking).
    static func connect(_ server: OpenSSLServer, _ configuration: TLSClientConfiguration = config()) throws(TLSError)
        -> TLSConnection
    {
        try TLSConnection.connect(host: server.host, port: server.port, configuration: configuration)
    }

    /// Connects to `server` expecting the handshake to fail: the error, or `nil` if it succeeded.
    static func connectError(_ server: OpenSSLServer, _ configuration: TLSClientConfiguration = config()) -> TLSError? {
        do {
            let connection = try connect(server, configuration)
            connection.close()
            return nil
        } catch {
            return error
        }
    }

    /// Reads until `count` bytes have arrived (or the server closes cleanly: then fewer).
    static func read(_ connection: TLSConnection, count: Int) throws(TLSError) -> [UInt8] {
        var got: [UInt8] = []
        got.reserveCapacity(count)
        while got.count < count {
            let chunk = try connection.read(maxCount: count - got.count)
            if chunk.isEmpty { break }
            got += chunk
        }
        return got
    }

    /// Reads until the data ends with a newline (or the server closes cleanly).
    static func readLine(_ connection: TLSConnection) throws(TLSError) -> [UInt8] {
        var got: [UInt8] = []
        while got.last != UInt8(ascii: "\n") {
            let chunk = try connection.read()
            if chunk.isEmpty { break }
            got += chunk
        }
        return got
    }

    /// Reads until close_notify (`read()` returning `[]`).
    static func readToEnd(_ connection: TLSConnection) throws(TLSError) -> [UInt8] {
        var got: [UInt8] = []
        while true {
            let chunk = try connection.read()
            if chunk.isEmpty { return got }
            got += chunk
        }
    }

    /// Connects to a `-rev` server, checks that one line goes there and back (reversed), closes, and returns
    /// what was negotiated.
    static func handshakeAndRoundTrip(_ server: OpenSSLServer, _ configuration: TLSClientConfiguration = config())
        throws -> TLSSessionInfo
    {
        let connection = try connect(server, configuration)
        defer { connection.close() }
        try connection.write(Array("ping\n".utf8))
        let reply = try readLine(connection)
        guard reply == Array("gnip\n".utf8) else {
            throw VectorError(description: "-rev server answered \(String(decoding: reply, as: UTF8.self).debugDescription)")
        }
        return connection.sessionInfo
    }
}
