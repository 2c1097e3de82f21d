import Foundation
import Testing
@testable import TLS13

/// The handshake's state diagram is written once, in `ClientState.transitions`; `Docs/Architecture.md` draws it, and
/// the engine takes exactly those steps.
@Suite struct StateDiagramTests {
    /// The Mermaid block of `Docs/Architecture.md` is the rendering of the table. When this fails, the message holds
    /// the block to paste.
    @Test func architectureDocumentDrawsTheTransitionTable() throws {
        let expected = Self.mermaid()
        let document = try String(contentsOfFile: Self.architecturePath, encoding: .utf8)
        let block = try #require(Self.diagramBlock(in: document), "no state diagram between the markers")
        #expect(block == expected, "Docs/Architecture.md's state diagram differs from ClientState.transitions; it should read:\n\(expected)")
    }

    /// The table itself: every state but `failed` is in it and reachable from `start`, and every state but
    /// `connected` (and `failed`) has a way forward.
    @Test func everyStateIsReachableAndLeadsOn() {
        let table = ClientState.transitions
        var reached: Set<ClientPhase> = [.start]
        var frontier: [ClientPhase] = [.start]
        while let phase = frontier.popLast() {
            for t in table where t.from == phase && !reached.contains(t.to) {
                reached.insert(t.to)
                frontier.append(t.to)
            }
        }
        #expect(reached == Set(ClientPhase.allCases).subtracting([.failed]))
        for phase in ClientPhase.allCases where phase != .failed && phase != .connected {
            #expect(table.contains { $0.from == phase && $0.to != phase }, "\(phase) has no way forward")
        }
        #expect(Set(table).count == table.count, "a transition is listed twice")
    }

    /// The steps the engine takes, observed through its trace (the state at each message received), over the
    /// handshakes that between them take every kind of step: full, with a CertificateRequest, after a
    /// HelloRetryRequest, resumed with 0-RTT data (RFC 8448 section 4), and then tickets, KeyUpdates and
    /// post-handshake authentication. Together they take every transition in the table, and none that is not in it.
    @Test func theEngineTakesExactlyTheListedSteps() throws {
        var observed: Set<ClientTransition> = []
        func key(_ t: ClientTransition) -> String { "\(t.from) -\(t.on)-> \(t.to)" }

        // Full handshakes against the scripted server, then what happens after them.
        var withRequest = ScriptedServer.Configuration()
        withRequest.certificateRequest = CertificateRequest(
            certificateRequestContext: [], extensions: [.signatureAlgorithms([.ecdsaSecp256r1SHA256, .ed25519])])
        var withRetry = ScriptedServer.Configuration()
        withRetry.cookie = [1, 2, 3]
        // (The scripted server reads no client Certificate, CertificateVerify or post-handshake answer: only the
        // client's side is checked here.)
        for (configuration, afterwards) in [(ScriptedServer.Configuration(), true), (withRequest, false), (withRetry, false)] {
            let recorder = StepRecorder()
            let server = ScriptedServer(configuration)
            var clientConfiguration = TLSClientConfiguration()
            clientConfiguration.clientCertificate = try TLSClientCertificate(
                certificateChainFile: CertPaths.path("client-ecdsa-p256-chain.pem"),
                privateKeyFile: CertPaths.path("client-ecdsa-p256.key"))
            let client = try ClientStateMachine(
                configuration: clientConfiguration, identity: .dnsName("localhost"),
                dependencies: ClientStateMachine.Dependencies(
                    certificateVerifier: try ScriptedPKI.verifier(), now: ScriptedPKI.now, tracer: recorder.trace))
            recorder.client = client
            let outcome = runHandshake(client: client, server: server)
            #expect(outcome.error == nil && outcome.handshakeCompleted, "\(String(describing: outcome.error))")
            if afterwards {
                try server.sendNewSessionTicket()
                try server.sendKeyUpdate(.updateRequested)
                try server.send([.message(.certificateRequest(CertificateRequest(
                    certificateRequestContext: [7], extensions: [.signatureAlgorithms([.ecdsaSecp256r1SHA256])])),
                    epoch: .application)])
                let after = exchange(client: client, server: server)
                #expect(after.error == nil, "\(String(describing: after.error))")
                #expect(after.events.contains(.peerKeyUpdate(replyQueued: true)))
                #expect(after.events.contains(.postHandshakeAuthentication))
            }
            observed.formUnion(recorder.transitions(ending: client.phase))
        }

        // A resumed handshake with 0-RTT data: RFC 8448 section 4.
        let session = try RFC8448Trace.section3Session(receivedAtMilliseconds: 1_700_000_000_000)
        let t = try RFC8448Trace.load("section4_resumed_0rtt")
        let recorder = StepRecorder()
        let client = try t.makeClient(
            session: session, earlyData: Array("ABCDEF".utf8), clockMilliseconds: 1_700_000_000_006, ownPSKOffer: true,
            tracer: recorder.trace)
        recorder.client = client
        _ = try client.startHandshake()
        _ = try client.receive(try [UInt8](hex: t.records[2].record)[...])
        #expect(try client.receive(try [UInt8](hex: t.records[3].record)[...]) == [.handshakeComplete])
        observed.formUnion(recorder.transitions(ending: client.phase))

        let listed = Set(ClientState.transitions.map { ClientTransition($0.from, on: $0.on, to: $0.to) })
        #expect(observed.subtracting(listed).isEmpty, "taken but not listed: \(observed.subtracting(listed).map(key).sorted())")
        #expect(listed.subtracting(observed).isEmpty, "listed but never taken: \(listed.subtracting(observed).map(key).sorted())")
    }

    /// Notes the state the client is in as each handshake message arrives (the trace reports a message before the
    /// state handles it).
    final class StepRecorder: @unchecked Sendable {
        weak var client: ClientStateMachine?
        private var steps: [(phase: ClientPhase, message: String)] = []

        func trace(_ event: TLSEvent) {
            if case .handshakeMessage(let message) = event, message.direction == .received, let client {
                steps.append((client.phase, message.name))
            }
        }

        /// The steps: the client's first one, then each message from the state it arrived in to the state the next
        /// one found (the last to `final`).
        func transitions(ending final: ClientPhase) -> Set<ClientTransition> {
            var result: Set<ClientTransition> = [ClientTransition(.start, on: ClientTransition.start, to: steps.first?.phase ?? final)]
            for (i, step) in steps.enumerated() {
                let next = i + 1 < steps.count ? steps[i + 1].phase : final
                result.insert(ClientTransition(step.phase, on: step.message, to: next))
            }
            return result
        }
    }

    // MARK: - The diagram

    static let beginMarker = "<!-- BEGIN state diagram: rendered from ClientState.transitions (StateDiagramTests) -->"
    static let endMarker = "<!-- END state diagram -->"

    static var architecturePath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Docs/Architecture.md").path
    }

    /// The text between the markers.
    static func diagramBlock(in document: String) -> String? {
        guard let begin = document.range(of: beginMarker), let end = document.range(of: endMarker),
            begin.upperBound <= end.lowerBound
        else { return nil }
        return String(document[begin.upperBound..<end.lowerBound]).trimmingCharacters(in: .newlines)
    }

    /// `ClientState.transitions` as a Mermaid `stateDiagram-v2` (GitHub renders it): one edge per pair of states, its
    /// label the messages that take it; each state named as RFC 8446 §A.1 names it.
    static func mermaid() -> String {
        var lines = ["```mermaid", "stateDiagram-v2", "    [*] --> start"]
        var edges: [(from: ClientPhase, to: ClientPhase, labels: [String])] = []
        for t in ClientState.transitions {
            if let i = edges.firstIndex(where: { $0.from == t.from && $0.to == t.to }) {
                edges[i].labels.append(t.label)
            } else {
                edges.append((t.from, t.to, [t.label]))
            }
        }
        for edge in edges {
            lines.append("    \(edge.from.rawValue) --> \(edge.to.rawValue) : \(edge.labels.joined(separator: ", "))")
        }
        for phase in ClientPhase.allCases {
            lines.append("    \(phase.rawValue) : \(phase.description)")
        }
        lines.append("    note right of failed : any state, on an error")
        lines.append("```")
        return lines.joined(separator: "\n")
    }
}
