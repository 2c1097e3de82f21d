import Foundation
import Testing
@testable import TLS13

/// What happened when a ``ClientStateMachine`` and a ``ScriptedServer`` exchanged bytes.
struct HandshakeOutcome {
    /// Every event the client reported, in order.
    var events: [ClientEvent] = []
    /// The error the client threw, if any.
    var error: TLSError?
    /// The record `client.alertRecord(for: error)` produced (nil when the client sends none).
    var alertRecord: [UInt8]?
    /// That record as the server decoded it off the wire, with its view of the client's write keys.
    var alertOnWire: ScriptedServer.ReceivedAlert?
    /// A problem the scripted server found with the client's messages (a client bug or a broken script).
    var serverError: (any Error)?

    var handshakeCompleted: Bool { events.contains(.handshakeComplete) }

    /// Whether any application data reached the caller before (or without) `.handshakeComplete`.
    var applicationDataBeforeHandshake: Bool {
        for event in events {
            if event == .handshakeComplete { return false }
            if case .applicationData = event { return true }
        }
        return false
    }

    /// The application data delivered, concatenated.
    var applicationData: [UInt8] {
        events.flatMap { event -> [UInt8] in
            if case .applicationData(let data) = event { return data }
            return []
        }
    }
}

/// The test PKI's trust root and the fixed clock the certificate checks use.
enum ScriptedPKI {
    /// 2025-06-15: inside every good leaf's validity (2024…2099), after the expired leaf's (2000…2001).
    static let now: Int64 = 1_750_000_000

    private static let store: Result<X509TrustStore, TLSError> = {
        do throws(TLSError) {
            return .success(try X509TrustStore(caFile: CertPaths.path("ca.pem")))
        } catch {
            return .failure(error)
        }
    }()

    /// The verifier a real client uses, trusting `Certs/ca.pem` only.
    static func verifier() throws -> OpenSSLCertificateVerifier {
        OpenSSLCertificateVerifier(trustStore: try store.get())
    }
}

/// A client as an application would build one, verifying the chain against `Certs/ca.pem` for `identity`
/// (`verifyChain: false` skips the chain and name check, as `--insecure` does, for tests about other things).
func makeTestClient(
    identity: ClientStateMachine.ServerIdentity = .dnsName("localhost"),
    now: Int64 = ScriptedPKI.now,
    verifyChain: Bool = true,
    _ configure: (inout TLSClientConfiguration) -> Void = { _ in }
) throws -> ClientStateMachine {
    var configuration = TLSClientConfiguration()
    configure(&configuration)
    let dependencies = ClientStateMachine.Dependencies(
        certificateVerifier: verifyChain ? try ScriptedPKI.verifier() : nil, now: now)
    return try ClientStateMachine(configuration: configuration, identity: identity, dependencies: dependencies)
}

/// Starts the client's handshake and pumps bytes both ways until the client fails, nothing more moves, or both
/// sides are done.
func runHandshake(client: ClientStateMachine, server: ScriptedServer) -> HandshakeOutcome {
    var outcome = HandshakeOutcome()
    let hello: [UInt8]
    do throws(TLSError) {
        hello = try client.startHandshake()
    } catch {
        outcome.error = error
        return outcome
    }
    do {
        try server.receive(hello)
    } catch {
        outcome.serverError = error
        return outcome
    }
    exchange(client: client, server: server, into: &outcome)
    return outcome
}

/// Delivers the server's pending output to the client and the client's answers back, until quiet.
@discardableResult
func exchange(client: ClientStateMachine, server: ScriptedServer) -> HandshakeOutcome {
    var outcome = HandshakeOutcome()
    exchange(client: client, server: server, into: &outcome)
    return outcome
}

private func exchange(client: ClientStateMachine, server: ScriptedServer, into outcome: inout HandshakeOutcome) {
    for _ in 0..<16 {
        let flight = server.takeOutput()
        guard !flight.isEmpty else { return }
        do throws(TLSError) {
            outcome.events += try client.receive(flight[...])
        } catch {
            outcome.error = error
            // alertRecord(for:) itself puts what the client queued before failing (its Finished, say)
            // ahead of the alert, so the alert's keys are the ones the server expects.
            outcome.alertRecord = client.alertRecord(for: error)
            if let record = outcome.alertRecord {
                let before = server.receivedAlerts.count
                do { try server.receive(record) } catch { outcome.serverError = error }
                if server.receivedAlerts.count == before + 1 { outcome.alertOnWire = server.receivedAlerts.last }
            }
            return
        }
        let reply: [UInt8]
        do throws(TLSError) {
            reply = try client.takePendingOutput()
        } catch {
            outcome.error = error
            return
        }
        guard !reply.isEmpty else { continue }
        do {
            try server.receive(reply)
        } catch {
            outcome.serverError = error
            return
        }
    }
}

/// Asserts that the handshake failed with `alert`: thrown by the client, sent as a fatal alert (decrypted by
/// the server as it appears on the wire), and that no application data reached the caller first.
func expectAlert(
    _ outcome: HandshakeOutcome, _ alert: AlertDescription, encrypted: Bool? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(outcome.error != nil, "expected \(alert), but the client did not fail", sourceLocation: sourceLocation)
    if let error = outcome.error {
        #expect(error.alert == alert, "expected \(alert), got \(error)", sourceLocation: sourceLocation)
    }
    #expect(outcome.alertOnWire?.alert == Alert(level: .fatal, description: alert),
            "alert on the wire: \(outcome.alertOnWire.map { "\($0)" } ?? "none") (record \(outcome.alertRecord?.count ?? 0) bytes)",
            sourceLocation: sourceLocation)
    if let encrypted {
        #expect(outcome.alertOnWire?.encrypted == encrypted, sourceLocation: sourceLocation)
    }
    #expect(outcome.serverError == nil, "server: \(outcome.serverError.map { "\($0)" } ?? "")",
            sourceLocation: sourceLocation)
    #expect(!outcome.applicationDataBeforeHandshake, "application data delivered before the handshake completed",
            sourceLocation: sourceLocation)
}

/// Asserts that the handshake completed on both sides.
func expectSuccess(_ outcome: HandshakeOutcome, server: ScriptedServer, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(outcome.error == nil, "client: \(outcome.error.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
    #expect(outcome.serverError == nil, "server: \(outcome.serverError.map { "\($0)" } ?? "")",
            sourceLocation: sourceLocation)
    #expect(outcome.events.first == .handshakeComplete, "events: \(outcome.events)", sourceLocation: sourceLocation)
    #expect(server.isHandshakeComplete, "the server did not verify the client's Finished", sourceLocation: sourceLocation)
    #expect(server.receivedAlerts.isEmpty, "client sent \(server.receivedAlerts)", sourceLocation: sourceLocation)
}
