import Foundation
import Testing
@testable import TLS13

/// A server that sends NewSessionTickets without end cannot grow the client's memory: a connection keeps the
/// newest ``TLSConnection/maxKeptSessions`` and counts the rest, the session cache bounds what it stores.
@Suite struct TicketFloodTests {
    static func config() -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        config.trustRoots = .pemFile(CertPaths.path("ca.pem"))
        config.serverName = "localhost"
        return config
    }

    /// 20,000 tickets through the library: all counted, 8 kept, the cache at its bound, the connection usable.
    @Test func aConnectionKeepsTheNewestTicketsAndCountsTheRest() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-num_tickets", "20000"])
        defer { server.stop() }
        let cache = InMemorySessionCache()
        var configuration = Self.config()
        configuration.sessionCache = cache
        let config = configuration
        let (count, kept, reply) = try await runBlocking { () -> (Int, [TLSSession], [UInt8]) in
            let connection = try TLSConnection.connect(host: server.host, port: server.port, configuration: config)
            defer { connection.close() }
            try connection.write(Array("flood\n".utf8))
            // The tickets come before the reply; read until it is complete.
            var reply: [UInt8] = []
            while reply.count < 6 { reply += try connection.read() }
            return (connection.receivedTicketCount, connection.receivedSessions, reply)
        }
        #expect(reply == Array("doolf\n".utf8), "the connection still works after the flood")
        #expect(count == 20_000)
        #expect(kept.count == TLSConnection.maxKeptSessions)
        let key = TLSSessionCacheKey(serverName: "localhost", port: server.port, verified: true, trustRoots: config.trustRoots)
        #expect(cache.count(for: key) == cache.ticketsPerServer)
        // The newest were kept: their tickets are distinct and each came after the one before.
        #expect(Set(kept.map(\.ticket)).count == kept.count)
        #expect(zip(kept, kept.dropFirst()).allSatisfy { $0.receivedAtMilliseconds <= $1.receivedAtMilliseconds })
    }

    /// `tls13 connect` against `s_server -www -num_tickets 100000`: the peak RSS (GNU time's `%M`) stays within a
    /// few MiB of the same connection with one ticket, and the page still arrives. Before the bound, 100,000 tickets
    /// grew the client from 27 to 80 MiB.
    @Test func theCLIsMemoryStaysFlatUnderAHundredThousandTickets() async throws {
        let time = "/usr/bin/time"
        #expect(FileManager.default.isExecutableFile(atPath: time), "GNU time is installed by Scripts/install-deps.sh")
        var peaks: [Int: Int] = [:]
        for tickets in [1, 100_000] {
            let server = try await OpenSSLServer.start(mode: ["-www"], arguments: ["-num_tickets", "\(tickets)"])
            defer { server.stop() }
            let result = try await runBlocking { () -> (Int32, String, String) in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: time)
                process.arguments = ["-f", "peak-rss-kib %M", try CLIProcess.binaryPath(), "connect",
                                     "127.0.0.1:\(server.port)", "--servername", "localhost",
                                     "--cafile", CertPaths.path("ca.pem"), "--quiet", "--timeout", "60"]
                let input = Pipe(), output = Pipe(), errors = Pipe()
                process.standardInput = input
                process.standardOutput = output
                process.standardError = errors
                try process.run()
                input.fileHandleForWriting.write(Data("GET / HTTP/1.0\r\n\r\n".utf8))
                try input.fileHandleForWriting.close()
                let out = output.fileHandleForReading.readDataToEndOfFile()
                let err = errors.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
            }
            #expect(result.0 == 0, "\(tickets) tickets: \(result.2)")
            #expect(result.1.contains("HTTP/1.0 200 ok"), "\(tickets) tickets: the page arrives")
            let line = result.2.split(separator: "\n").last { $0.hasPrefix("peak-rss-kib ") }
            peaks[tickets] = line.flatMap { Int($0.dropFirst("peak-rss-kib ".count)) }
        }
        let one = try #require(peaks[1]), flood = try #require(peaks[100_000])
        #expect(flood - one < 4 * 1024, "peak RSS: \(one) KiB with 1 ticket, \(flood) KiB with 100,000")
    }
}
