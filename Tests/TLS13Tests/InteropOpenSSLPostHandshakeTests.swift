import Foundation
import Testing
@testable import TLS13

/// After the handshake, against real `openssl s_server`: NewSessionTicket, KeyUpdate both ways, the exporter.
///
/// The KeyUpdate tests run s_server in its default mode with `-msg`: data from the client is printed to its
/// stdout, lines sent to its stdin go to the client, `K\n` on its stdin makes it send KeyUpdate(update_requested),
/// and `-msg` logs every handshake message with its bytes (`<<<` received, `>>>` sent), e.g.
/// ```
/// <<< TLS 1.3, Handshake [length 0005], KeyUpdate
///     18 00 00 01 00
/// ```
@Suite(.serialized) struct InteropOpenSSLPostHandshakeTests {
    // MARK: - NewSessionTicket

    /// s_server sends two tickets after the handshake by default; `-num_tickets N` changes that. The client
    /// counts them (they arrive before the echoed data, so all are counted once a reply has been read).
    /// With `-max_early_data` every ticket carries an early_data extension (max_early_data_size), which the
    /// client must parse and accept even though it never sends early data.
    @Test(arguments: [([], 2), (["-num_tickets", "0"], 0), (["-num_tickets", "5"], 5), (["-max_early_data", "16384"], 2)])
    func sessionTickets(_ arguments: [String], _ expected: Int) async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: arguments)
        defer { server.stop() }
        let count = try await runBlocking {
            let conn = try Interop.connect(server)
            defer { conn.close() }
            try conn.write(Array("t\n".utf8))
            _ = try Interop.readLine(conn)
            return conn.receivedTicketCount
        }
        #expect(count == expected)
    }

    // MARK: - KeyUpdate

    /// How `-msg` logs a KeyUpdate that s_server sent.
    static let sentKeyUpdate = ">>> TLS 1.3, Handshake [length 0005], KeyUpdate"

    /// The KeyUpdate messages in s_server's `-msg` log, in order: (`"<<<"` received / `">>>"` sent, the
    /// request_update byte).
    static func keyUpdates(in output: String) -> [(String, UInt8)] {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        var result: [(String, UInt8)] = []
        for (i, line) in lines.enumerated() where line.hasSuffix("], KeyUpdate") && i + 1 < lines.count {
            let bytes = lines[i + 1].split(separator: " ")
            guard bytes.count == 5, bytes[0] == "18", let request = UInt8(bytes[4], radix: 16) else { continue }
            result.append((String(line.prefix(3)), request))
        }
        return result
    }

    /// Runs in default mode with `-msg`; a line the client writes must show up in the server's output.
    static func expectServerReceived(
        _ server: OpenSSLServer, _ text: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await Interop.expectServerPrinted(server, text + "\n", sourceLocation: sourceLocation)
    }

    /// `K` on s_server's stdin: it sends KeyUpdate(update_requested) then, under its new keys, a line. The
    /// client must read the line, answer with KeyUpdate(update_not_requested), and its next data (under its new
    /// keys) must reach the server. Then a second round (`k`, no request): no answer expected.
    @Test func serverInitiatedKeyUpdate() async throws {
        let server = try await OpenSSLServer.start(mode: [], arguments: ["-msg"])
        defer { server.stop() }
        // Closed at the end (blocking, so not in a defer); on an early exit its deinit closes the socket.
        let conn = try await runBlocking { try Interop.connect(server) }

        try await runBlocking { try conn.write(Array("before-update\n".utf8)) }
        try await Self.expectServerReceived(server, "before-update")

        // s_server discards the rest of a command line, so data goes separately, once the KeyUpdate is out.
        server.send("K\n")
        try await Interop.expectServerPrinted(server, Self.sentKeyUpdate)
        server.send("from-server-1\n")
        let line1 = try await runBlocking { try Interop.readLine(conn) }
        #expect(line1 == Array("from-server-1\n".utf8))
        try await runBlocking { try conn.write(Array("after-update\n".utf8)) }
        try await Self.expectServerReceived(server, "after-update")

        server.send("k\n")
        try await Interop.expectServerPrinted(server, Self.sentKeyUpdate, count: 2)
        server.send("from-server-2\n")
        let line2 = try await runBlocking { try Interop.readLine(conn) }
        #expect(line2 == Array("from-server-2\n".utf8))
        try await runBlocking { try conn.write(Array("after-second-update\n".utf8)) }
        try await Self.expectServerReceived(server, "after-second-update")

        try await runBlocking { conn.close() }
        let updates = Self.keyUpdates(in: server.output)
        #expect(updates.map(\.0) == [">>>", "<<<", ">>>"], "\(updates)")
        #expect(updates.map(\.1) == [1, 0, 0], "\(updates)")
    }

    /// `updateKeys(requestPeerUpdate: true)`: the client sends KeyUpdate(update_requested) and switches its
    /// sending keys; s_server reads the next line with the new keys and answers with its own KeyUpdate (sent
    /// before its next data); the client reads that data with the server's new keys.
    @Test func clientInitiatedKeyUpdateRequestingPeerUpdate() async throws {
        let server = try await OpenSSLServer.start(mode: [], arguments: ["-msg"])
        defer { server.stop() }
        // Closed at the end (blocking, so not in a defer); on an early exit its deinit closes the socket.
        let conn = try await runBlocking { try Interop.connect(server) }

        try await runBlocking { try conn.write(Array("one\n".utf8)) }
        try await Self.expectServerReceived(server, "one")
        try await runBlocking {
            try conn.updateKeys(requestPeerUpdate: true)
            try conn.write(Array("two\n".utf8))
        }
        try await Self.expectServerReceived(server, "two")
        server.send("three\n")
        let line = try await runBlocking { try Interop.readLine(conn) }
        #expect(line == Array("three\n".utf8))
        try await runBlocking { try conn.write(Array("four\n".utf8)) }
        try await Self.expectServerReceived(server, "four")

        try await runBlocking { conn.close() }
        let updates = Self.keyUpdates(in: server.output)
        #expect(updates.map(\.0) == ["<<<", ">>>"], "\(updates)")
        #expect(updates.map(\.1) == [1, 0], "\(updates)")
    }

    /// `updateKeys(requestPeerUpdate: false)` three times in a row: the server follows each and does not answer.
    @Test func clientInitiatedKeyUpdatesWithoutRequest() async throws {
        let server = try await OpenSSLServer.start(mode: [], arguments: ["-msg"])
        defer { server.stop() }
        // Closed at the end (blocking, so not in a defer); on an early exit its deinit closes the socket.
        let conn = try await runBlocking { try Interop.connect(server) }
        for round in 1...3 {
            try await runBlocking {
                try conn.updateKeys(requestPeerUpdate: false)
                try conn.write(Array("round-\(round)\n".utf8))
            }
            try await Self.expectServerReceived(server, "round-\(round)")
        }
        server.send("back\n")
        let line = try await runBlocking { try Interop.readLine(conn) }
        #expect(line == Array("back\n".utf8))
        try await runBlocking { conn.close() }
        let updates = Self.keyUpdates(in: server.output)
        #expect(updates.map(\.0) == ["<<<", "<<<", "<<<"], "\(updates)")
        #expect(updates.map(\.1) == [0, 0, 0], "\(updates)")
    }

    /// 1 MiB from the client while its writing thread sends a KeyUpdate before each of sixteen 64 KiB pieces,
    /// every other one with update_requested; at the same time 256 KiB flow from s_server (fed through its stdin)
    /// and the client's reading thread takes the server's answering KeyUpdates in the middle of that data.
    ///
    /// Default mode, not `-rev`: `-rev` sleeps one second after every non-data record (`read R BLOCK`). The
    /// `-msg` log goes to a file (`-msgfile`) so that stdout holds the client's data; s_server still prints
    /// `Read BLOCK` there after each KeyUpdate (between our 64 KiB pieces), which is removed before comparing.
    @Test func keyUpdatesDuringBulkTransfer() async throws {
        let msgFile = FileManager.default.temporaryDirectory.appendingPathComponent("interop-\(UUID().uuidString).msg")
        defer { try? FileManager.default.removeItem(at: msgFile) }
        let server = try await OpenSSLServer.start(mode: [], arguments: ["-msg", "-msgfile", msgFile.path])
        defer { server.stop() }
        // Numbered lines of digits (no letter can start a chunk of s_server's stdin and be taken as a command).
        // (Built with slices and appends: element-wise generics are slow in debug builds.)
        let digits = Array([[UInt8]](repeating: Array("0123456789".utf8), count: 103).joined())
        func lines(_ numbers: Range<Int>) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(numbers.count * 1024)
            for i in numbers {
                out.append(contentsOf: String(format: "%07d:", i).utf8)
                out.append(contentsOf: digits[(i % 10)..<(i % 10 + 1015)])
                out.append(10)
            }
            return out
        }
        let clientPayload = lines(0..<1024)  // 1 MiB
        let serverPayload = String(decoding: lines(5000..<5256), as: UTF8.self)  // 256 KiB

        let conn = try await runBlocking { try Interop.connect(server) }
        let outcome: Result<[UInt8], any Error>
        do {
            async let written: Void = runBlocking {
                for i in 0..<16 {
                    try conn.updateKeys(requestPeerUpdate: i.isMultiple(of: 2))
                    try conn.write(Array(clientPayload[(i << 16)..<((i + 1) << 16)]))
                }
            }
            async let fed: Void = runBlocking { server.send(serverPayload) }
            let received = try await runBlocking { try Interop.read(conn, count: serverPayload.utf8.count) }
            try await written
            try await fed
            outcome = .success(received)
        } catch {
            outcome = .failure(error)
        }
        let received = try outcome.get()
        #expect(received == Array(serverPayload.utf8))

        // The client's megabyte, as s_server printed it.
        try await Interop.expectServerPrinted(server, String(format: "%07d:", 1023))
        let arrived = try await runBlocking { server.waitForOutputBytes(atLeast: clientPayload.count + 1000) }
        try await runBlocking { conn.close() }
        #expect(arrived)
        let output = server.output
        let printed = output.range(of: "0000000:").map { String(output[$0.lowerBound...]) } ?? ""
        let data = printed.replacingOccurrences(of: "Read BLOCK\n", with: "")
        #expect(data.hasPrefix(String(decoding: clientPayload, as: UTF8.self)), "\(data.utf8.count) bytes")

        let log = (try? String(contentsOf: msgFile, encoding: .utf8)) ?? ""
        let updates = Self.keyUpdates(in: log)
        let fromClient = updates.filter { $0.0 == "<<<" }.map(\.1)
        let fromServer = updates.filter { $0.0 == ">>>" }.map(\.1)
        #expect(fromClient == (0..<16).map { $0.isMultiple(of: 2) ? 1 : 0 })
        // libssl answers pending requests with one KeyUpdate before its next write; requests that arrive together
        // may share one answer (RFC 8446 §4.6.3 allows that).
        #expect((1...8).contains(fromServer.count) && fromServer.allSatisfy { $0 == 0 }, "\(fromServer)")
    }

    // MARK: - Exporter

    /// `-keymatexport LABEL -keymatexportlen 32` makes s_server print its exporter output (no context, which in
    /// TLS 1.3 equals an empty context, RFC 8446 §7.5). Ours must equal it byte for byte, be stable across
    /// calls, and change with the label and with a non-empty context.
    @Test(arguments: [CipherSuite.aes128GCMSHA256, .aes256GCMSHA384])
    func exporterMatchesServer(_ suite: CipherSuite) async throws {
        let label = "EXPORTER-swift-tls13-interop"
        let server = try await OpenSSLServer.start(
            mode: [], arguments: ["-keymatexport", label, "-keymatexportlen", "32", "-ciphersuites", suite.description])
        defer { server.stop() }
        let (ours, again, otherLabel, withContext) = try await runBlocking {
            let conn = try Interop.connect(server)
            defer { conn.close() }
            return (
                try conn.exportKeyingMaterial(label: label, context: [], length: 32),
                try conn.exportKeyingMaterial(label: label, context: [], length: 32),
                try conn.exportKeyingMaterial(label: "EXPORTER-other", context: [], length: 32),
                try conn.exportKeyingMaterial(label: label, context: [1, 2, 3], length: 32)
            )
        }
        #expect(ours.count == 32)
        #expect(again == ours)
        #expect(otherLabel.count == 32 && otherLabel != ours)
        #expect(withContext.count == 32 && withContext != ours)

        // s_server prints "    Keying material: <64 upper-case hex digits>".
        try await Interop.expectServerPrinted(server, "Keying material: \(ours.hexString.uppercased())\n")
    }

    // MARK: - Closing

    /// Half-close: the client writes a line and sends close_notify (`closeWrite()`); s_server (default mode)
    /// prints the line, reads the close_notify, and answers with its own close_notify: the client's `read()`
    /// returns `[]`, and writing after `closeWrite()` throws `.closed`.
    @Test func clientCloseWriteThenServerCloses() async throws {
        let server = try await OpenSSLServer.start(mode: [], arguments: ["-msg"])
        defer { server.stop() }
        let (rest, writeError) = try await runBlocking { () throws -> ([UInt8], TLSError?) in
            let conn = try Interop.connect(server)
            defer { conn.close() }
            try conn.write(Array("last-words\n".utf8))
            try conn.closeWrite()
            let rest = try Interop.readToEnd(conn)
            do throws(TLSError) {
                try conn.write([1])
                return (rest, nil)
            } catch {
                return (rest, error)
            }
        }
        #expect(rest == [])
        #expect(writeError == .closed)
        try await Self.expectServerReceived(server, "last-words")
        try await Interop.expectServerPrinted(server, "<<< TLS 1.3, Alert [length 0002], warning close_notify\n")
        try await Interop.expectServerPrinted(server, ">>> TLS 1.3, Alert [length 0002], warning close_notify\n")
    }

    /// A read that times out (`ioTimeout`) does not break the connection: s_server (default mode) stays silent
    /// past the timeout, then sends a line, which the next `read()` returns; writing works throughout.
    @Test func readTimeoutIsNotFatal() async throws {
        let server = try await OpenSSLServer.start(mode: [], arguments: [])
        defer { server.stop() }
        let conn = try await runBlocking { try Interop.connect(server, Interop.config { $0.ioTimeout = 0.3 }) }
        let timedOut = try await runBlocking { () -> TLSError? in
            do throws(TLSError) {
                _ = try conn.read()
                return nil
            } catch {
                return error
            }
        }
        guard case .timedOut = timedOut else {
            Issue.record("expected .timedOut, got \(String(describing: timedOut))")
            return
        }
        server.send("late\n")
        let line = try await runBlocking { try Interop.readLine(conn) }
        #expect(line == Array("late\n".utf8))
        try await runBlocking { try conn.write(Array("still-here\n".utf8)) }
        try await Self.expectServerReceived(server, "still-here")
        try await runBlocking { conn.close() }
    }
}
