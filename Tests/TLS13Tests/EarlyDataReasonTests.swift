import Foundation
import Testing
@testable import TLS13

/// ``TLSSessionInfo/earlyDataReason``: why 0-RTT data was not offered, or what the server did with it, and
/// early data longer than the ticket allows (sent up to the limit as 0-RTT, the rest after the handshake).
/// Sans-I/O on RFC 8448's section 4 resumption; the server's answers against `openssl s_server`.
@Suite struct EarlyDataReasonTests {
    static let receivedAt = ClientRFC8448Tests.ticketReceivedAt
    static let resumedAt = ClientRFC8448Tests.resumedAt

    /// Section 3's session with some fields replaced.
    static func session(
        maxEarlyDataSize: UInt32? = nil, applicationProtocol: String?? = nil, ocspResponse: [UInt8]? = nil
    ) throws -> TLSSession {
        let s = try RFC8448Trace.section3Session(receivedAtMilliseconds: receivedAt)
        return TLSSession(
            ticket: s.ticket, cipherSuite: s.cipherSuite, lifetime: s.lifetime, ageAdd: s.ageAdd,
            receivedAtMilliseconds: s.receivedAtMilliseconds, maxEarlyDataSize: maxEarlyDataSize ?? s.maxEarlyDataSize,
            applicationProtocol: applicationProtocol ?? s.applicationProtocol, serverName: s.serverName,
            certificateVerification: s.certificateVerification, peerCertificates: s.peerCertificates, psk: s.psk,
            ocspResponse: ocspResponse)
    }

    static func client(
        session: TLSSession?, earlyData: [UInt8]?, at now: Int64 = resumedAt,
        _ configure: (inout TLSClientConfiguration) -> Void = { _ in }
    ) throws -> ClientStateMachine {
        var config = TLSClientConfiguration()
        config.supportedGroups = [.x25519, .secp256r1]
        configure(&config)
        let t = try RFC8448Trace.load("section4_resumed_0rtt")
        return try t.makeClient(
            configuration: config, session: session, earlyData: earlyData, clockMilliseconds: now, ownPSKOffer: true)
    }

    static func record(_ t: RFC8448Trace, _ i: Int) throws -> [UInt8] { try [UInt8](hex: t.records[i].record) }

    @Test func reasonsForNotOffering() throws {
        let data = Array("ABCDEF".utf8)
        #expect(try Self.client(session: try Self.session(), earlyData: nil).info.earlyDataReason == .notRequested)
        #expect(try Self.client(session: nil, earlyData: data).info.earlyDataReason == .noSession)
        // Expired (30 s lifetime): not offered at all.
        let expired = try Self.client(session: try Self.session(), earlyData: data, at: Self.receivedAt + 30_000)
        #expect(expired.info.earlyDataReason == .noSession)
        let noEarly = try Self.client(session: try Self.session(maxEarlyDataSize: 0), earlyData: data)
        #expect(noEarly.info.earlyDataReason == .sessionDoesNotAllowEarlyData)
        // The session's suite (AES-128-GCM) is not offered, another SHA-256 suite is: resumption only.
        let otherSuite = try Self.client(session: try Self.session(), earlyData: data) {
            $0.cipherSuites = [.chacha20Poly1305SHA256]
        }
        #expect(otherSuite.info.earlyDataReason == .cipherSuiteNotOffered)
        let alpn = try Self.client(session: try Self.session(applicationProtocol: "foo"), earlyData: data) {
            $0.applicationProtocols = ["bar"]
        }
        #expect(alpn.info.earlyDataReason == .applicationProtocolMismatch)
        for client in [noEarly, otherSuite, alpn] {
            let out = try client.startHandshake()
            #expect(out.count == 5 + Int(out[3]) << 8 + Int(out[4]), "the ClientHello alone, no 0-RTT record")
            #expect(client.info.earlyData == .notSent)
        }
    }

    @Test func acceptedInSection4AndTheSessionsStapleIsReported() throws {
        let t = try RFC8448Trace.load("section4_resumed_0rtt")
        let client = try Self.client(session: try Self.session(ocspResponse: [1, 2, 3]), earlyData: Array("ABCDEF".utf8))
        #expect(try client.startHandshake() == Self.record(t, 0) + Self.record(t, 1))
        _ = try client.receive(try Self.record(t, 2)[...])
        #expect(try client.receive(try Self.record(t, 3)[...]) == [.handshakeComplete])
        #expect(client.info.earlyData == .accepted)
        #expect(client.info.earlyDataReason == .accepted)
        #expect(client.earlyDataRemainder.isEmpty)
        // A resumed connection reports the stapled response of the handshake that made its session.
        #expect(client.info.ocspResponse == [1, 2, 3])
    }

    @Test func earlyDataBeyondTheTicketLimitWaitsForTheHandshake() throws {
        // max_early_data_size 4: "ABCD" goes as 0-RTT, "EF" is left for the driver to send after the handshake.
        let t = try RFC8448Trace.load("section4_resumed_0rtt")
        let client = try Self.client(session: try Self.session(maxEarlyDataSize: 4), earlyData: Array("ABCDEF".utf8))
        let out = try client.startHandshake()
        #expect(client.earlyDataSent == Array("ABCD".utf8))
        #expect(client.earlyDataRemainder == Array("EF".utf8))
        #expect(out.count == (try Self.record(t, 0) + Self.record(t, 1)).count - 2, "a 0-RTT record 2 bytes shorter")
        // Early data is not in the transcript: the trace's server flight still completes the handshake.
        _ = try client.receive(try Self.record(t, 2)[...])
        #expect(try client.receive(try Self.record(t, 3)[...]) == [.handshakeComplete])
        #expect(client.info.earlyData == .accepted)
    }

    @Test func emptyEarlyDataOffersZeroRTTWithoutARecord() throws {
        let t = try RFC8448Trace.load("section4_resumed_0rtt")
        let client = try Self.client(session: try Self.session(), earlyData: [])
        let out = try client.startHandshake()
        #expect(out == (try Self.record(t, 0)), "the ClientHello (with early_data), and no application data record")
        _ = try client.receive(try Self.record(t, 2)[...])
        #expect(try client.receive(try Self.record(t, 3)[...]) == [.handshakeComplete])
        #expect(client.info.earlyDataReason == .accepted)
    }
}

/// The server's side of the early-data reasons, against `openssl s_server -early_data`.
@Suite(.serialized) struct EarlyDataReasonInteropTests {
    static func ticket(from server: OpenSSLServer, _ config: TLSClientConfiguration) async throws -> TLSSession {
        let (_, tickets, _) = try await ResumptionInteropTests.exchange(server, config)
        let session = try #require(tickets.last)
        #expect(session.allowsEarlyData)
        return session
    }

    @Test func acceptedWithTheRestAfterTheHandshake() async throws {
        // s_server advertises max_early_data_size 4: "EARL" is 0-RTT data, "Y-REST\n" follows at 1-RTT.
        let server = try OpenSSLServer(mode: [], arguments: ["-early_data", "-max_early_data", "4"])
        defer { server.stop() }
        let config = ResumptionInteropTests.config(cache: nil)
        let session = try await Self.ticket(from: server, config)
        #expect(session.maxEarlyDataSize == 4)
        let (info, _, _) = try await ResumptionInteropTests.exchange(
            server, config, session: session, earlyData: Array("EARLY-REST\n".utf8))
        #expect(info.earlyData == .accepted)
        #expect(info.earlyDataReason == .accepted)
        #expect(try await runBlocking { server.waitForOutput("Y-REST") }, "the rest arrives after the handshake")
        #expect(server.output.contains("EARL"))
    }

    @Test func aHelloRetryRequestRejects() async throws {
        // The second server only does P-256; the client's first key share is X25519.
        let server = try OpenSSLServer(mode: [], arguments: ["-early_data"])
        defer { server.stop() }
        let config = ResumptionInteropTests.config(cache: nil)
        let session = try await Self.ticket(from: server, config)
        let retry = try OpenSSLServer(mode: [], arguments: ["-early_data", "-groups", "P-256"])
        defer { retry.stop() }
        let (info, _, _) = try await ResumptionInteropTests.exchange(
            retry, config, session: session, earlyData: Array("x\n".utf8))
        #expect(info.usedHelloRetryRequest)
        #expect(info.earlyData == .rejected)
        #expect(info.earlyDataReason == .helloRetryRequest)
    }

    @Test func anUnknownTicketIsNotResumed() async throws {
        let issuer = try OpenSSLServer(mode: [], arguments: ["-early_data"])
        let session = try await Self.ticket(from: issuer, ResumptionInteropTests.config(cache: nil))
        issuer.stop()
        let other = try OpenSSLServer(mode: [], arguments: ["-early_data"])
        defer { other.stop() }
        let (info, _, _) = try await ResumptionInteropTests.exchange(
            other, ResumptionInteropTests.config(cache: nil), session: session, earlyData: Array("x\n".utf8))
        #expect(!info.resumed)
        #expect(info.earlyDataReason == .sessionNotResumed)
    }

    @Test func aSkewedTicketAgeIsDeclined() async throws {
        // OpenSSL accepts 0-RTT only when the ticket age is within 10 s of its own clock; a client clock a minute
        // ahead still resumes (the ticket lives 2 hours) but its early data is declined.
        let server = try OpenSSLServer(mode: [], arguments: ["-early_data"])
        defer { server.stop() }
        let config = ResumptionInteropTests.config(cache: nil)
        let session = try await Self.ticket(from: server, config)
        let info = try await runBlocking {
            let socket = try TCPSocket.connect(host: server.host, port: server.port, timeout: 5)
            let connection = try TLSConnection(
                socket: socket, host: server.host, port: server.port, configuration: config,
                verifier: try TrustStoreCache.verifier(for: config), session: session, earlyData: Array("x\n".utf8),
                dependencies: { deps in
                    let now = deps.nowMilliseconds
                    deps.clockMilliseconds = { now + 60_000 }
                })
            defer { connection.close() }
            return connection.sessionInfo
        }
        #expect(info.resumed)
        #expect(info.earlyData == .rejected)
        #expect(info.earlyDataReason == .declinedByServer)
    }
}
