import Foundation
import TLS13
import TLS13TestSupport
import Testing

/// The sans-I/O engine through the public API only: a full handshake against a real `openssl s_server`, with the
/// bytes moved by a few lines of test code over a socket the test connected itself; hostile input (garbage,
/// truncated and oversize records, random bytes in random pieces) giving typed errors and the right alert; misuse
/// giving typed errors, never a trap.
@Suite struct EngineTests {
    /// Moves bytes between an engine and a socket until `done` holds: the whole driver an embedding program needs.
    static func pump(_ engine: TLSClientEngine, _ socket: PlainSocket, until done: () throws -> Bool) throws {
        while true {
            if engine.hasPendingOutput { try socket.write(try engine.takeOutput()) }
            if try done() { return }
            let bytes = try socket.read()
            if bytes.isEmpty { try engine.receiveEndOfStream() } else { try engine.receive(bytes) }
        }
    }

    @Test func handshakeAndEchoPumpedOverASocketAgainstOpenSSL() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let (info, reply, events) = try await runBlocking {
            let socket = try PlainSocket(port: server.port)
            let engine = try TLSClientEngine(serverName: "localhost", configuration: API.config())
            #expect(engine.hasPendingOutput)  // the ClientHello, queued by init
            #expect(!engine.isHandshakeComplete)
            try Self.pump(engine, socket) { engine.isHandshakeComplete }
            var events = engine.takeEvents()
            try engine.write(Array("hello engine\n".utf8))
            var reply: [UInt8] = []
            try Self.pump(engine, socket) {
                while let chunk = try engine.readApplicationData() { reply += chunk }
                return reply.last == UInt8(ascii: "\n")
            }
            events += engine.takeEvents()
            engine.close()
            #expect(engine.isWriteClosed)
            try socket.write(try engine.takeOutput())
            #expect(throws: TLSError.closed) { try engine.write([1]) }
            return (engine.sessionInfo, String(decoding: reply, as: UTF8.self), events)
        }
        #expect(reply == "enigne olleh\n")
        #expect(info.certificateVerified)
        #expect(info.peerCertificates.count == 2)
        #expect(events.first == .handshakeComplete)
        #expect(events.contains { if case .sessionReceived = $0 { true } else { false } })
    }

    @Test func aSessionFromTheEngineResumes() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let resumed = try await runBlocking {
            let first = try TLSClientEngine(serverName: "localhost", configuration: API.config())
            let socket = try PlainSocket(port: server.port)
            try Self.pump(first, socket) { !first.receivedSessions.isEmpty }
            let session = try #require(first.receivedSessions.last)
            first.close()
            try socket.write(try first.takeOutput())

            let second = try TLSClientEngine(serverName: "localhost", configuration: API.config(), session: session)
            let again = try PlainSocket(port: server.port)
            try Self.pump(second, again) { second.isHandshakeComplete }
            return second.sessionInfo.resumed
        }
        #expect(resumed)
    }

    @Test func aBadCertificateFailsWithTheAlertInTheOutput() async throws {
        let server = try await OpenSSLServer.start(leaf: "leaf-wrong-host", chain: "intermediate.pem")
        defer { server.stop() }
        let (error, alert, failure) = try await runBlocking { () -> (TLSError?, [UInt8], TLSError?) in
            let socket = try PlainSocket(port: server.port)
            let engine = try TLSClientEngine(serverName: "localhost", configuration: API.config())
            do {
                try Self.pump(engine, socket) { engine.isHandshakeComplete }
                return (nil, [], nil)
            } catch let error as TLSError {
                return (error, try engine.takeOutput(), engine.failure)
            }
        }
        #expect(error?.alert == .badCertificate)
        #expect(failure == error)
        // The alert goes out under the handshake keys: one encrypted record (outer type application_data), after
        // the middlebox-compatibility change_cipher_spec (RFC 8446 §D.4).
        #expect(Self.recordTypes(alert) == [20, 23])
    }

    /// The content types of the records in `bytes`.
    static func recordTypes(_ bytes: [UInt8]) -> [UInt8] {
        var types: [UInt8] = []
        var offset = 0
        while offset + 5 <= bytes.count {
            types.append(bytes[offset])
            offset += 5 + (Int(bytes[offset + 3]) << 8 | Int(bytes[offset + 4]))
        }
        return types
    }

    // MARK: - Hostile input

    /// A fresh engine that has queued its ClientHello (taken).
    static func freshEngine() throws -> TLSClientEngine {
        let engine = try TLSClientEngine(serverName: "localhost", configuration: API.config())
        _ = try engine.takeOutput()
        return engine
    }

    @Test func garbageIsADecodeErrorWithAPlaintextAlert() throws {
        let engine = try Self.freshEngine()
        let error = API.error("HTTP instead of TLS") { try engine.receive(Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8)) }
        #expect(error?.alert == .decodeError)
        // alert(21), legacy version 0x0303, length 2, fatal(2), decode_error(50)
        #expect(try engine.takeOutput() == [21, 3, 3, 0, 2, 2, 50])
        #expect(engine.failure == error)
        #expect(!engine.wantsInput)
        // Every later call throws the same failure; nothing more goes out.
        #expect(API.error("receive after failure") { try engine.receive([22, 3, 3, 0, 1, 0]) } == error)
        #expect(API.error("read after failure") { _ = try engine.readApplicationData() } == error)
        #expect(try engine.takeOutput().isEmpty)
    }

    @Test func aTruncatedRecordWaitsThenTheEndOfStreamFails() throws {
        let engine = try Self.freshEngine()
        try engine.receive([22, 3, 3])  // half a header
        try engine.receive([0x00, 0x40, 2])  // a 64-byte handshake record, first byte only
        #expect(engine.wantsInput)
        #expect(!engine.hasPendingOutput)
        #expect(try engine.readApplicationData() == nil)
        let error = API.error("end of stream mid-handshake") { try engine.receiveEndOfStream() }
        #expect(error == .network(step: .read, reason: "server closed the connection during the handshake"))
        #expect(engine.failure == error)
    }

    @Test func anOversizeRecordIsRecordOverflow() throws {
        let engine = try Self.freshEngine()
        let error = API.error("record of 2^14 + 1 bytes") { try engine.receive([22, 3, 3, 0x40, 0x01]) }
        #expect(error?.alert == .recordOverflow)
        #expect(try engine.takeOutput() == [21, 3, 3, 0, 2, 2, 22])
    }

    @Test func applicationDataBeforeTheHandshakeIsUnexpected() throws {
        let engine = try Self.freshEngine()
        let error = API.error("application data in plaintext") { try engine.receive([23, 3, 3, 0, 3, 1, 2, 3]) }
        #expect(error?.alert == .unexpectedMessage)
    }

    /// The error `receive` throws, or `nil`.
    static func receiveError(_ engine: TLSClientEngine, _ bytes: ArraySlice<UInt8>) -> TLSError? {
        do throws(TLSError) {
            try engine.receive(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func randomBytesInRandomPiecesNeverTrap() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<300 {
            let engine = try Self.freshEngine()
            // Half the rounds start with a plausible handshake record header so the parser goes deeper.
            var input: [UInt8] = round % 2 == 0 ? [22, 3, 3, UInt8.random(in: 0...1), UInt8.random(in: 0...255)] : []
            input += (0..<Int.random(in: 0...600, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var offset = 0
            var failed: TLSError?
            while offset < input.count, failed == nil {
                let end = min(input.count, offset + Int.random(in: 1...64, using: &generator))
                failed = Self.receiveError(engine, input[offset..<end])
                offset = end
            }
            if let failed {
                #expect(engine.failure == failed)
                #expect(!engine.isHandshakeComplete)
                let alert = try engine.takeOutput()
                // The ClientHello was taken: whatever is left is at most the alert, in plaintext.
                #expect(alert.isEmpty || (alert.count == 7 && alert[0] == 21 && alert[5] == 2))
            } else {
                #expect(!engine.isHandshakeComplete)
            }
        }
    }

    // MARK: - Misuse

    @Test func misuseThrowsTypedErrors() throws {
        #expect(throws: TLSError.self) { _ = try TLSClientEngine(serverName: "", configuration: API.config { $0.serverName = nil }) }
        #expect(throws: TLSError.self) { _ = try TLSClientEngine(serverName: "bad name!", configuration: API.config { $0.serverName = nil }) }
        #expect(throws: TLSError.self) {
            _ = try TLSClientEngine(serverName: "localhost", earlyData: [UInt8](repeating: 0, count: TLSClientEngine.maxEarlyDataLength + 1))
        }
        #expect(throws: TLSError.self) { _ = try TLSClientEngine(serverName: "localhost", configuration: API.config { $0.cipherSuites = [] }) }
        let engine = try Self.freshEngine()
        #expect(throws: TLSError.self) { _ = try engine.readApplicationData(maxCount: 0) }
        #expect(throws: TLSError.self) { _ = try engine.peekApplicationData(maxCount: -1) }
        #expect(throws: TLSError.self) { try engine.write([1, 2, 3]) }
        #expect(throws: TLSError.self) { try engine.updateKeys(requestPeerUpdate: false) }
        #expect(throws: TLSError.self) { _ = try engine.exportKeyingMaterial(label: "EXPORTER-x", context: [], length: 16) }
        try engine.receive([])  // nothing: no effect
        #expect(engine.wantsInput)
        #expect(engine.takeEvents().isEmpty)
    }

    @Test func abortQueuesTheAlertAndFailsTheEngine() throws {
        let engine = try Self.freshEngine()
        engine.abort(sending: .internalError)
        #expect(engine.failure == .closed)
        #expect(try engine.takeOutput() == [21, 3, 3, 0, 2, 2, 80])
        #expect(throws: TLSError.closed) { try engine.receive([22]) }
    }
}
