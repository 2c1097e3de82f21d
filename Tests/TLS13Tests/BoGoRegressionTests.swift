import Foundation
import Testing
@testable import TLS13

/// Client bugs found by BoringSSL's test suite (BoGo, `Scripts/bogo.sh`), one regression test each. The BoGo
/// test names are in each test's comment; Docs/Interop.md ("BoGo") lists them.
@Suite struct BoGoRegressionTests {
    /// A client and scripted server that completed a handshake.
    static func connected(_ configure: (inout TLSClientConfiguration) -> Void = { _ in }) throws
        -> (ClientStateMachine, ScriptedServer)
    {
        let server = ScriptedServer()
        let client = try makeTestClient(configure)
        expectSuccess(runHandshake(client: client, server: server), server: server)
        return (client, server)
    }

    // MARK: - Middlebox compatibility (RFC 8446 §D.4)

    /// BoGo `TrailingMessageData-TLS13-EncryptedExtensions-TLS`, `UnknownExtension-Client-TLS13` and 32 others:
    /// the client's first protected record was an alert answering the server's flight, sent without the dummy
    /// change_cipher_spec that must precede it after a non-empty legacy_session_id.
    @Test func compatibilityCCSPrecedesAnEncryptedAlert() throws {
        let server = ScriptedServer()
        server.mutateEncryptedExtensions = { $0.extensions.append(.unknown(ExtensionType(rawValue: 0x7777), [])) }
        let client = try makeTestClient()
        let outcome = runHandshake(client: client, server: server)
        expectAlert(outcome, .unsupportedExtension, encrypted: true)
        let record = try #require(outcome.alertRecord)
        #expect(Array(record.prefix(6)) == RecordLayer.changeCipherSpecRecord, "the CCS comes first")
        #expect(server.receivedChangeCipherSpecs == 1)
    }

    /// An alert in the clear (before the ServerHello gave keys) needs no change_cipher_spec, and the CCS goes
    /// out once only: with the client's Finished flight after a successful handshake.
    @Test func compatibilityCCSOnlyBeforeTheFirstProtectedRecord() throws {
        let server = ScriptedServer()
        server.mutateServerHello = { $0.legacyVersion = ProtocolVersion(rawValue: 0x0301) }
        let outcome = runHandshake(client: try makeTestClient(), server: server)
        expectAlert(outcome, .illegalParameter, encrypted: false)
        #expect(server.receivedChangeCipherSpecs == 0)

        let (client, good) = try Self.connected()
        #expect(good.receivedChangeCipherSpecs == 1)
        // A later failure (an alert under the application keys) sends no second CCS.
        try good.sendAlert(.userCanceled, level: .warning)
        try good.send([.record(.handshake, [99, 0, 0, 0], epoch: .application)])
        #expect(throws: TLSError.self) { try client.receive(good.takeOutput()[...]) }
        let alert = try #require(client.alertRecord(for: .unexpected("test")))
        #expect(alert.first == ContentType.applicationData.rawValue)
    }

    // MARK: - Limits

    /// BoGo `SendEmptyRecords`, `SendEmptyRecords-Async` (and `SendEmptyRecords-Pass`): at most 32 empty
    /// application-data records in a row.
    @Test func emptyApplicationDataRecordsAreBounded() throws {
        let (client, server) = try Self.connected()
        for _ in 0..<RecordLayer.maxConsecutiveEmptyRecords { try server.sendApplicationData([]) }
        try server.sendApplicationData([1])
        // A record with content resets the count.
        for _ in 0..<RecordLayer.maxConsecutiveEmptyRecords { try server.sendApplicationData([]) }
        try server.sendApplicationData([2])
        let events = try client.receive(server.takeOutput()[...])
        #expect(events.filter { $0 != .applicationData([]) } == [.applicationData([1]), .applicationData([2])])

        for _ in 0...RecordLayer.maxConsecutiveEmptyRecords { try server.sendApplicationData([]) }
        let outcome = exchange(client: client, server: server)
        expectAlert(outcome, .unexpectedMessage, encrypted: true)
        #expect("\(outcome.error.map { "\($0)" } ?? "")".contains("consecutive empty records"))
    }

    /// BoGo `TooManyChangeCipherSpec-Client-TLS13`: dummy change_cipher_spec records during the handshake count
    /// towards the same limit.
    @Test func changeCipherSpecRecordsAreBounded() throws {
        func run(_ count: Int) throws -> HandshakeOutcome {
            let server = ScriptedServer()
            server.editFlight = { flight in
                guard let index = flight.index(of: .encryptedExtensions) else { return }
                flight.insert(contentsOf: Array(repeating: .changeCipherSpec, count: count), at: index)
            }
            return runHandshake(client: try makeTestClient(), server: server)
        }
        #expect(try run(RecordLayer.maxConsecutiveEmptyRecords).handshakeCompleted)
        expectAlert(try run(RecordLayer.maxConsecutiveEmptyRecords + 1), .unexpectedMessage, encrypted: true)
    }

    /// BoGo `SendUserCanceledAlerts-TooMany-TLS13` (and `SendUserCanceledAlerts-TLS13`): at most 4 warning
    /// user_canceled alerts in a row.
    @Test func userCanceledAlertsAreBounded() throws {
        let (client, server) = try Self.connected()
        for _ in 0..<ClientStateMachine.maxConsecutiveUserCanceledAlerts {
            try server.sendAlert(.userCanceled, level: .warning)
        }
        try server.sendApplicationData([1])
        #expect(try client.receive(server.takeOutput()[...]) == [.applicationData([1])])

        for _ in 0...ClientStateMachine.maxConsecutiveUserCanceledAlerts {
            try server.sendAlert(.userCanceled, level: .warning)
        }
        let outcome = exchange(client: client, server: server)
        expectAlert(outcome, .unexpectedMessage, encrypted: true)
        #expect("\(outcome.error.map { "\($0)" } ?? "")".contains("consecutive user_canceled"))
    }

    /// BoGo `TooManyKeyUpdates`: at most 32 KeyUpdates without application data between them.
    @Test func keyUpdatesWithoutDataAreBounded() throws {
        let (client, server) = try Self.connected()
        for round in 0..<2 {
            for _ in 0..<ClientStateMachine.maxConsecutiveKeyUpdates { try server.sendKeyUpdate(.updateNotRequested) }
            try server.sendApplicationData([UInt8(round)])
            #expect(try client.receive(server.takeOutput()[...]).last == .applicationData([UInt8(round)]))
        }
        for _ in 0...ClientStateMachine.maxConsecutiveKeyUpdates { try server.sendKeyUpdate(.updateNotRequested) }
        let outcome = exchange(client: client, server: server)
        #expect(outcome.error?.alert == .unexpectedMessage)
        #expect("\(outcome.error.map { "\($0)" } ?? "")".contains("consecutive KeyUpdates"))
    }

    // MARK: - KeyUpdate replies

    /// BoGo `KeyUpdate-RequestACK`: five update_requested KeyUpdates, received in separate calls before the client
    /// writes, get one KeyUpdate(update_not_requested) in reply (RFC 8446 §4.6.3).
    @Test func severalUpdateRequestsGetOneReply() throws {
        let (client, server) = try Self.connected()
        for _ in 0..<5 {
            try server.sendKeyUpdate(.updateRequested)
            #expect(try client.receive(server.takeOutput()[...]) == [.peerKeyUpdate(replyQueued: true)])
        }
        try server.receive(try client.sealApplicationData(Array("data".utf8)[...]))
        #expect(server.receivedKeyUpdates == [KeyUpdate(requestUpdate: .updateNotRequested)])
        #expect(server.receivedApplicationData.last == Array("data".utf8))
    }

    /// The same through ``TLSConnection``: the KeyUpdates arrive in separate TCP reads (the server pauses between
    /// them), and the one reply goes out when `read()` returns the data that follows them.
    @Test func tlsConnectionRepliesOnceToSeveralUpdateRequests() async throws {
        let listener = try LoopbackListener(.v4)
        let port = listener.port
        let greeting = Array("after five update requests".utf8)
        // The server's thread: handshake, five KeyUpdate(update_requested) 20 ms apart, the greeting, then read
        // until the client closes. Returns the request_update of every KeyUpdate the client sent.
        // A plain thread, started now: not a task that a busy cooperative pool might start late.
        final class Outcome: @unchecked Sendable { var result: Result<[UInt8], any Error>? }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let serverThread = Thread {
            defer { done.signal() }
            outcome.result = Result { () throws -> [UInt8] in
                let connection = try listener.accept(timeout: 5)
                let server = ScriptedServer()
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                func receive() throws -> Bool {
                    let n = recv(connection.fd, &buffer, buffer.count, 0)
                    guard n > 0 else { return false }
                    try server.receive(Array(buffer[0..<n]))
                    return true
                }
                while !server.isHandshakeComplete {
                    guard try receive() else { throw SocketTestError("client closed during the handshake") }
                    let out = server.takeOutput()
                    if !out.isEmpty { try connection.writeAll(out) }
                }
                for _ in 0..<5 {
                    try server.sendKeyUpdate(.updateRequested)
                    try connection.writeAll(server.takeOutput())
                    usleep(20_000)
                }
                try server.sendApplicationData(greeting)
                try connection.writeAll(server.takeOutput())
                while try receive() {}
                return server.receivedKeyUpdates.map(\.requestUpdate.rawValue)
            }
        }
        serverThread.start()
        var config = TLSClientConfiguration()
        config.trustRoots = .pemFile(CertPaths.path("ca.pem"))
        config.serverName = "localhost"
        let frozen = config
        let received = try await runBlocking { () throws -> [UInt8] in
            let connection = try TLSConnection.connect(host: "127.0.0.1", port: port, configuration: frozen)
            defer { connection.close() }
            var data: [UInt8] = []
            while data.count < greeting.count {
                let chunk = try connection.read()
                if chunk.isEmpty { break }
                data += chunk
            }
            return data
        }
        #expect(received == greeting)
        let finished = try await runBlocking { done.wait(timeout: .now() + 10) == .success }
        #expect(finished)
        #expect(try outcome.result?.get() == [KeyUpdateRequest.updateNotRequested.rawValue])
    }

    // MARK: - keyUsage without chain verification

    /// BoGo `RSAKeyUsage-Client-WantSignature-GotEncipherment-TLS13`, `ECDSAKeyUsage-Client-TLS13`: with chain and
    /// name verification off (`verifyCertificates = false`), the leaf's keyUsage must still allow
    /// digitalSignature, since it signs CertificateVerify (RFC 8446 §4.4.2.2).
    @Test func keyUsageIsCheckedWithoutChainVerification() throws {
        let pki = try TestPKI.shared.get()
        let server = ScriptedServer()
        server.mutateCertificate = { $0.entries = [CertificateMessage.Entry(certData: pki.keyAgreementOnly)] }
        let outcome = runHandshake(client: try makeTestClient(verifyChain: false), server: server)
        expectAlert(outcome, .unsupportedCertificate, encrypted: true)
        #expect("\(outcome.error.map { "\($0)" } ?? "")".contains("digitalSignature"))
        // A leaf with digitalSignature passes the same client.
        let good = ScriptedServer()
        expectSuccess(runHandshake(client: try makeTestClient(verifyChain: false), server: good), server: good)
    }
}
