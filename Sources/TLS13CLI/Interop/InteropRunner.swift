import TLS13

/// The result of one scenario against one server: a matrix cell.
enum InteropOutcome: Equatable {
    case pass
    case fail(String)
    case notApplicable(String)

    /// `pass`, `FAIL: reason`, `n/a`.
    var cell: String {
        switch self {
        case .pass: "pass"
        case .fail(let reason): "FAIL: \(reason)"
        case .notApplicable: "n/a"
        }
    }

    var isFailure: Bool {
        if case .fail = self { return true }
        return false
    }
}

/// A check that did not hold; its text becomes the FAIL cell.
struct InteropMismatch: Error {
    let reason: String
}

/// Runs the client side of each scenario against a started server and checks what was negotiated.
struct InteropRunner {
    let certs: String

    /// Runs `scenario` against `peer`: starts the server(s), runs the flow, stops them.
    func run(_ scenario: InteropScenario, on peer: InteropPeer) -> InteropOutcome {
        if let reason = peer.notApplicable(scenario) { return .notApplicable(reason) }
        var servers: [InteropRunningServer] = []
        defer { for server in servers { server.process.stop() } }
        do {
            servers.append(try Self.start(scenario, on: peer))
            if scenario.flow == .earlyDataRejected {
                servers.append(try Self.start(scenario, on: peer))
            }
            try runFlow(scenario, peer: peer, servers: servers)
            return .pass
        } catch let mismatch as InteropMismatch {
            return .fail(mismatch.reason + Self.serverSaid(servers))
        } catch let error as TLSError {
            return .fail(error.description + Self.serverSaid(servers))
        } catch let failure as CLIFailure {
            return .fail(failure.message)
        } catch {
            return .fail("\(error)")
        }
    }

    /// Starts the server, once more if it did not come up listening (seen once in a 1116-cell run on a loaded
    /// machine: gnutls-serv printed that it listened, but its socket was not found in time). Only the start is
    /// retried, never a handshake.
    private static func start(_ scenario: InteropScenario, on peer: InteropPeer) throws(CLIFailure) -> InteropRunningServer {
        do {
            return try peer.start(scenario)
        } catch where error.message.contains("did not start listening") {
            return try peer.start(scenario)
        }
    }

    /// The server's last error line, if it printed one, to make a FAIL cell self-explanatory.
    private static func serverSaid(_ servers: [InteropRunningServer]) -> String {
        for server in servers.reversed() {
            let lines = server.process.output.split(separator: "\n")
            if let line = lines.last(where: { $0.contains("ERROR") || $0.contains("error") || $0.contains("alert") }) {
                return " (server: \(line.trimmingSpaces().prefix(160)))"
            }
        }
        return ""
    }

    // MARK: - Client configuration

    func configuration(for scenario: InteropScenario) throws -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        config.trustRoots = .pemFile("\(certs)/ca.pem")
        config.serverName = "localhost"
        config.connectTimeout = 5
        config.handshakeTimeout = 20  // tlslite-ng is pure Python: RSA and ML-KEM take a while
        config.ioTimeout = 20
        // Offer what the scenario pins even where the default leaves it out (CCM suites, ffdhe groups).
        if let suite = scenario.suite, !config.cipherSuites.contains(suite) { config.cipherSuites.append(suite) }
        if let group = scenario.serverGroup, !config.supportedGroups.contains(group) { config.supportedGroups.append(group) }
        if let shares = scenario.clientKeyShares {
            for group in shares where !config.supportedGroups.contains(group) { config.supportedGroups.append(group) }
            config.keyShareGroups = shares
        }
        if let stem = scenario.clientCertificate {
            config.clientCertificate = try TLSClientCertificate(
                certificateChainFile: "\(certs)/\(stem)-chain.pem", privateKeyFile: "\(certs)/\(stem).key")
        }
        if scenario.flow == .alpn { config.applicationProtocols = ["h2", "http/1.1"] }
        return config
    }

    // MARK: - Flows

    private func runFlow(_ scenario: InteropScenario, peer: InteropPeer, servers: [InteropRunningServer]) throws {
        let server = servers[0]
        let config = try configuration(for: scenario)
        switch scenario.flow {
        case .handshake, .defaultGroups, .helloRetry, .clientAuthRequired, .clientAuthOptional, .alpn,
            .certificateCompression:
            let connection = try connect(server, config)
            defer { connection.close() }
            try checkFullHandshake(connection.sessionInfo, scenario, peer: peer)
            try roundTrip(connection, server, "interop \(scenario.flow.rawValue)")

        case .keyUpdate:
            let connection = try connect(server, config)
            defer { connection.close() }
            try checkFullHandshake(connection.sessionInfo, scenario, peer: peer)
            try roundTrip(connection, server, "before the key update")
            try connection.updateKeys(requestPeerUpdate: true)
            try roundTrip(connection, server, "after a KeyUpdate requesting one back")
            try connection.updateKeys(requestPeerUpdate: false)
            try roundTrip(connection, server, "after a KeyUpdate requesting none")

        case .resumption:
            let ticket = try fetchTicket(server, config, scenario, peer: peer)
            let connection = try connect(server, config, session: ticket)
            defer { connection.close() }
            let info = connection.sessionInfo
            try expect(info.resumed, "the ticket was not accepted (full handshake)")
            try expect(info.cipherSuite == ticket.cipherSuite, "resumed with \(info.cipherSuite), ticket for \(ticket.cipherSuite)")
            try expect(info.group != nil, "no (EC)DHE group: psk_ke instead of psk_dhe_ke")
            try roundTrip(connection, server, "resumed")

        case .earlyDataAccepted:
            let ticket = try fetchTicket(server, config, scenario, peer: peer)
            try expect(ticket.maxEarlyDataSize > 0, "the ticket allows no early data")
            let early = "interop early data \(server.process.port)\n"
            let connection = try connect(server, config, session: ticket, earlyData: Array(early.utf8))
            defer { connection.close() }
            let info = connection.sessionInfo
            try expect(info.resumed, "the ticket was not accepted (full handshake)")
            try expect(info.earlyData == .accepted, "early data \(info.earlyData), expected accepted")
            if server.replyStyle == .printed {
                try expect(server.process.waitForOutput(Substring(early).trimmingWhitespace()),
                           "the server did not print the early data")
            }
            try roundTrip(connection, server, "after early data")

        case .echAccepted, .echHelloRetry:
            var ech = config
            ech.echConfigList = server.echConfigList
            let connection = try connect(server, ech)
            defer { connection.close() }
            try checkECH(connection, server, helloRetryRequest: scenario.flow == .echHelloRetry)

        case .echRejected:
            var ech = config
            ech.echConfigList = server.echConfigList
            var retry: [UInt8]?
            do {
                let connection = try connect(server, ech)
                connection.close()
                throw InteropMismatch(reason: "connected, although the server cannot decrypt this ECH config")
            } catch TLSError.echRejected(let publicName, let configs) {
                try expect(publicName == "ech-public.example", "rejected for the public name \(publicName)")
                try expect(configs == server.retryConfigList, "retry configs \(configs?.count ?? 0) bytes, not the server's")
                retry = configs
            }
            ech.echConfigList = retry
            let connection = try connect(server, ech)
            defer { connection.close() }
            try checkECH(connection, server, helloRetryRequest: false)

        case .echResumption:
            var ech = config
            ech.echConfigList = server.echConfigList
            let first = try connect(server, ech)
            try checkECH(first, server, helloRetryRequest: false)
            first.close()
            guard let ticket = first.receivedSessions.last else { throw InteropMismatch(reason: "no NewSessionTicket") }
            let second = try connect(server, ech, session: ticket)
            defer { second.close() }
            try expect(second.sessionInfo.resumed, "the ticket was not accepted (full handshake)")
            try checkECH(second, server, helloRetryRequest: false)

        case .earlyDataRejected:
            let ticket = try fetchTicket(server, config, scenario, peer: peer)
            try expect(ticket.maxEarlyDataSize > 0, "the ticket allows no early data")
            let other = servers[1]
            let connection = try connect(other, config, session: ticket, earlyData: Array("replayed?\n".utf8))
            defer { connection.close() }
            let info = connection.sessionInfo
            try expect(!info.resumed, "another server process accepted the ticket")
            try expect(info.earlyData == .rejected, "early data \(info.earlyData), expected rejected")
            try expect(info.certificateVerified, "the fallback handshake was not verified")
            try roundTrip(connection, other, "after rejected early data")
        }
    }

    /// A full handshake and a round trip; returns the newest ticket.
    private func fetchTicket(_ server: InteropRunningServer, _ config: TLSClientConfiguration,
                             _ scenario: InteropScenario, peer: InteropPeer) throws -> TLSSession {
        let connection = try connect(server, config)
        defer { connection.close() }
        try checkFullHandshake(connection.sessionInfo, scenario, peer: peer)
        try roundTrip(connection, server, "first connection")
        _ = try connection.waitForSessionTicket(timeout: 5)
        guard let ticket = connection.receivedSessions.last else {
            throw InteropMismatch(reason: "no NewSessionTicket")
        }
        return ticket
    }

    private func connect(_ server: InteropRunningServer, _ config: TLSClientConfiguration,
                         session: TLSSession? = nil, earlyData: [UInt8]? = nil) throws -> TLSConnection {
        try TLSConnection.connect(host: "127.0.0.1", port: server.process.port, configuration: config,
                                  session: session, earlyData: earlyData)
    }

    // MARK: - Checks

    private func expect(_ condition: Bool, _ reason: @autoclosure () -> String) throws {
        if !condition { throw InteropMismatch(reason: reason()) }
    }

    /// What every full handshake must show, and what the scenario pins down.
    private func checkFullHandshake(_ info: TLSSessionInfo, _ scenario: InteropScenario, peer: InteropPeer) throws {
        try expect(info.protocolVersion == .tls13, "version \(info.protocolVersion)")
        try expect(!info.resumed, "resumed, expected a full handshake")
        try expect(info.certificateVerified, "certificate not verified")
        if let suite = scenario.suite {
            try expect(info.cipherSuite == suite, "cipher \(info.cipherSuite), expected \(suite)")
        }
        if let scheme = info.signatureScheme {
            try expect(scenario.leaf.schemes.contains(scheme), "signature \(scheme) for a \(scenario.leaf.rawValue) leaf")
        } else {
            throw InteropMismatch(reason: "no CertificateVerify scheme")
        }
        let group = info.group.map(\.displayName) ?? "none"
        switch scenario.flow {
        case .defaultGroups:
            let wanted: NamedGroup = peer.negotiatesHybrid ? .x25519MLKEM768 : .x25519
            try expect(info.group == wanted, "group \(group), expected \(wanted.displayName)")
            try expect(!info.usedHelloRetryRequest, "HelloRetryRequest with the default key shares")
        case .helloRetry:
            try expect(info.usedHelloRetryRequest, "no HelloRetryRequest")
            try expect(info.group == scenario.serverGroup, "group \(group) after the HelloRetryRequest")
        default:
            if let wanted = scenario.serverGroup {
                try expect(info.group == wanted, "group \(group), expected \(wanted.displayName)")
                try expect(!info.usedHelloRetryRequest, "unexpected HelloRetryRequest")
            }
        }
        switch scenario.flow {
        case .clientAuthRequired:
            try expect(info.clientCertificateRequested, "no CertificateRequest")
            try expect(info.clientCertificateSent, "client certificate not sent")
        case .clientAuthOptional:
            try expect(info.clientCertificateRequested, "no CertificateRequest")
            try expect(!info.clientCertificateSent, "a client certificate was sent without one configured")
        case .alpn:
            try expect(info.applicationProtocol == "http/1.1", "ALPN \(info.applicationProtocol ?? "none")")
        case .certificateCompression:
            let came = info.certificateCompression.map { "\($0.algorithm)" } ?? "uncompressed"
            try expect(info.certificateCompression?.algorithm == scenario.certificateCompression,
                       "Certificate \(came), expected \(scenario.certificateCompression.map { "\($0)" } ?? "-")")
        default:
            break
        }
    }

    /// ECH accepted: the library says so, and the Go server's page says it saw the inner name.
    private func checkECH(_ connection: TLSConnection, _ server: InteropRunningServer, helloRetryRequest: Bool) throws {
        let info = connection.sessionInfo
        try expect(info.ech == .accepted(publicName: "ech-public.example"), "ECH \(info.ech)")
        try expect(info.certificateVerified || info.resumed, "certificate not verified")
        try expect(info.usedHelloRetryRequest == helloRetryRequest,
                   helloRetryRequest ? "no HelloRetryRequest" : "unexpected HelloRetryRequest")
        try connection.write(Array("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n".utf8))
        var received: [UInt8] = []
        while received.count < 1 << 16 {
            let chunk = try connection.read()
            if chunk.isEmpty { break }
            received += chunk
        }
        let page = String(decoding: received, as: UTF8.self)
        try expect(page.contains("ech_accepted=true\nserver_name=localhost\n"),
                   "the server's page: \(page.suffix(120).debugDescription)")
    }

    /// Sends one line and checks the server's answer (or, for a server that does not answer, its output).
    private func roundTrip(_ connection: TLSConnection, _ server: InteropRunningServer, _ text: String) throws {
        let line = "swift-tls13 \(text)"
        try connection.write(Array((line + "\n").utf8))
        let expected: String
        switch server.replyStyle {
        case .printed:
            try expect(server.process.waitForOutput(line, timeout: 10), "the server did not print \"\(line)\"")
            return
        case .reversedLine: expected = String(line.reversed()) + "\n"
        case .echo, .page: expected = line + "\n"
        }
        var received: [UInt8] = []
        while received.count < expected.utf8.count {
            let chunk = try connection.read()
            if chunk.isEmpty { break }
            received += chunk
        }
        let reply = String(decoding: received, as: UTF8.self)
        try expect(reply == expected, "reply \(reply.debugDescription.prefix(80)), expected \(expected.debugDescription.prefix(80))")
    }
}
