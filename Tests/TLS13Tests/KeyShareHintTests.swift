import Foundation
import Synchronization
import Testing
@testable import TLS13

/// The key-share hint (``TLSKeyShareHints``, issue P13): the group a server chose is remembered per server name and
/// port, and the next ClientHello to it sends that one share while supported_groups stays as configured.
@Suite struct KeyShareHintTests {
    // MARK: - The ClientHello, sans I/O

    /// The first ClientHello of a client given `hint`: the groups of its key_share and its supported_groups.
    static func firstHello(hint: NamedGroup?, _ configure: (inout TLSClientConfiguration) -> Void = { _ in })
        throws -> (shares: [NamedGroup], supported: [NamedGroup])
    {
        var configuration = TLSClientConfiguration()
        configuration.grease = false
        configure(&configuration)
        var deps = ClientStateMachine.Dependencies(certificateVerifier: nil, now: ScriptedPKI.now)
        deps.keyShareHint = hint
        let client = try ClientStateMachine(configuration: configuration, identity: .dnsName("localhost"), dependencies: deps)
        let server = ScriptedServer()
        try server.receive(try client.startHandshake())
        let hello = try #require(server.clientHellos.first)
        var shares: [NamedGroup] = []
        var supported: [NamedGroup] = []
        for ext in hello.extensions {
            if case .keyShare(let entries) = ext { shares = entries.map(\.group) }
            if case .supportedGroups(let groups) = ext { supported = groups }
        }
        return (shares, supported)
    }

    @Test func withoutAHintTheConfiguredSharesAreSent() throws {
        let hello = try Self.firstHello(hint: nil)
        #expect(hello.shares == [.x25519MLKEM768, .x25519])
        #expect(hello.supported == TLSClientConfiguration().supportedGroups)
    }

    @Test(arguments: [NamedGroup.x25519, .secp256r1, .x25519MLKEM768, .x448])
    func aHintSendsThatShareAloneAndStillOffersEveryGroup(hint: NamedGroup) throws {
        let hello = try Self.firstHello(hint: hint)
        #expect(hello.shares == [hint])
        #expect(hello.supported == TLSClientConfiguration().supportedGroups, "supported_groups must not change")
    }

    @Test func aHintForAGroupNoLongerOfferedIsIgnored() throws {
        let hello = try Self.firstHello(hint: .secp256r1) { $0.supportedGroups = [.x25519MLKEM768, .x25519] }
        #expect(hello.shares == [.x25519MLKEM768, .x25519])
        let ffdhe = try Self.firstHello(hint: .ffdhe2048)  // implemented, not offered by default
        #expect(ffdhe.shares == [.x25519MLKEM768, .x25519])
    }

    @Test func theHintSavesTheHelloRetryRequest() throws {
        // A server that only takes P-256: without the hint, a HelloRetryRequest; with it, none.
        for hint in [nil, NamedGroup.secp256r1] {
            var deps = ClientStateMachine.Dependencies(certificateVerifier: try ScriptedPKI.verifier(), now: ScriptedPKI.now)
            deps.keyShareHint = hint
            let client = try ClientStateMachine(
                configuration: TLSClientConfiguration(), identity: .dnsName("localhost"), dependencies: deps)
            let server = ScriptedServer()
            server.configuration.groups = [.secp256r1]
            let outcome = runHandshake(client: client, server: server)
            #expect(outcome.error == nil, "\(String(describing: outcome.error))")
            #expect(client.isHandshakeComplete)
            #expect(client.info.group == .secp256r1)
            #expect(client.info.usedHelloRetryRequest == (hint == nil))
        }
    }

    // MARK: - The store

    @Test func theStoreIsBoundedAndForgetsTheLeastRecentlyUpdated() throws {
        let hints = try TLSKeyShareHints(capacity: 2)
        hints.remember(.x25519, forServer: "a", port: 443)
        hints.remember(.secp256r1, forServer: "b", port: 443)
        hints.remember(.secp384r1, forServer: "a", port: 443)  // updates a: b is now the oldest
        hints.remember(.x448, forServer: "c", port: 443)
        #expect(hints.count == 2)
        #expect(hints.group(forServer: "a", port: 443) == .secp384r1)
        #expect(hints.group(forServer: "b", port: 443) == nil)
        #expect(hints.group(forServer: "c", port: 443) == .x448)
        #expect(hints.group(forServer: "c", port: 8443) == nil, "the port is part of the key")
        hints.removeAll()
        #expect(hints.count == 0)
    }

    @Test(arguments: [0, -1, Int.min])
    func aCapacityBelowOneIsRefused(capacity: Int) {
        #expect(throws: TLSError.self) { try TLSKeyShareHints(capacity: capacity) }
    }

    @Test func copiesOfAConfigurationShareOneStoreAndNilTurnsItOff() {
        let a = TLSClientConfiguration()
        let b = a
        #expect(a.keyShareHints != nil && a.keyShareHints === b.keyShareHints)
        #expect(TLSClientConfiguration().keyShareHints !== a.keyShareHints, "each new configuration has its own")
    }

    // MARK: - Against real servers

    /// Connects with `config` and returns what was negotiated and the groups the first ClientHello made shares for
    /// (the trace's `key generation` step).
    static func connect(_ server: OpenSSLServer, _ config: TLSClientConfiguration) throws -> (TLSSessionInfo, String) {
        final class Seen: Sendable { let groups = Mutex<[String]>([]) }
        let generated = Seen()
        var config = config
        config.eventHandler = { event in
            if case .cryptoOperation(let op) = event.event, op.step == "key generation" {
                generated.groups.withLock { $0.append(op.algorithm) }
            }
        }
        let connection = try Interop.connect(server, config)
        defer { connection.close() }
        try connection.write(Array("ping\n".utf8))
        #expect(try Interop.read(connection, count: 5) == Array("gnip\n".utf8))
        return (connection.sessionInfo, generated.groups.withLock { $0.first ?? "" })
    }

    @Test func openSSLWithoutTheHybridGetsAnX25519ShareFromTheSecondConnectionOn() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let config = Interop.config()
        try await runBlocking {
            let (first, firstShares) = try Self.connect(server, config)
            #expect(first.group == .x25519 && !first.usedHelloRetryRequest)
            #expect(firstShares == "X25519MLKEM768, X25519", "the first hello sends the configured shares")
            #expect(config.keyShareHints?.group(forServer: "localhost", port: server.port) == .x25519)
            let (second, secondShares) = try Self.connect(server, config)
            #expect(second.group == .x25519 && !second.usedHelloRetryRequest)
            #expect(secondShares == "X25519", "no ML-KEM key is made for a server that took x25519")
        }
    }

    @Test func aServerThatAskedForP256ByHelloRetryRequestIsSentP256Next() async throws {
        let server = try await OpenSSLServer.start(mode: ["-rev"], arguments: ["-groups", "P-256"])
        defer { server.stop() }
        try await runBlocking {
            let config = Interop.config()
            let (first, _) = try Self.connect(server, config)
            #expect(first.group == .secp256r1 && first.usedHelloRetryRequest)
            let (second, shares) = try Self.connect(server, config)
            #expect(second.group == .secp256r1 && !second.usedHelloRetryRequest)
            #expect(shares == "P-256")
            // Turned off: every connection pays the HelloRetryRequest again.
            let off = Interop.config { $0.keyShareHints = nil }
            _ = try Self.connect(server, off)
            let (again, _) = try Self.connect(server, off)
            #expect(again.usedHelloRetryRequest)
        }
    }
}
