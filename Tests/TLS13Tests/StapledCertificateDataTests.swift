import Testing
@testable import TLS13

/// What the server staples to its leaf certificate (RFC 8446 §4.4.2.1): the OCSP response exactly as received
/// (``TLSSessionInfo/ocspResponse``) and the Certificate Transparency SCT list (signed_certificate_timestamp,
/// RFC 6962 §3.3), offered only when asked for, reported, and carried by sessions into resumptions.
@Suite struct StapledCertificateDataTests {
    /// A SignedCertificateTimestampList of one 4-byte SCT (the framing BoGo's runner uses).
    static let sctList: [UInt8] = [0, 6, 0, 4, 5, 6, 7, 8]

    static func withLeafExtensions(_ extensions: [RawExtension], intermediate: [RawExtension] = []) -> ScriptedServer {
        let server = ScriptedServer()
        server.mutateCertificate = { message in
            message.entries[0].extensions = extensions
            if message.entries.count > 1 { message.entries[1].extensions = intermediate }
        }
        return server
    }

    @Test func anUncheckedStapleIsReportedAsReceived() throws {
        // With chain verification off (as BoGo's shim runs) the staple is not checked, but still reported.
        let server = ScriptedServer()
        server.configuration.ocspResponse = [1, 2, 3, 4]
        let client = try makeTestClient(verifyChain: false)
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.ocspStatus == .notVerified)
        #expect(client.info.ocspResponse == [1, 2, 3, 4])
    }

    @Test func aVerifiedStapleIsReportedToo() throws {
        let staple = try OCSPStaplingTests.response("ocsp-good.der")
        let server = ScriptedServer()
        server.configuration.ocspResponse = staple
        let client = try makeTestClient(now: OCSPStaplingTests.now)
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.ocspStatus.name == "good")
        #expect(client.info.ocspResponse == staple)
    }

    @Test func noStapleIsNil() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.ocspResponse == nil)
        #expect(client.info.signedCertificateTimestamps == nil)
    }

    /// BoGo SendUnsolicitedOCSPOnCertificate-TLS13: a status_request in the Certificate without one in the
    /// ClientHello is unsolicited.
    @Test func anUnsolicitedStapleIsUnsupportedExtension() throws {
        let server = Self.withLeafExtensions([RawExtension(.statusRequest, [1, 0, 0, 4, 1, 2, 3, 4])])
        let client = try makeTestClient(verifyChain: false) { $0.requestOCSPStapling = false }
        expectAlert(runHandshake(client: client, server: server), .unsupportedExtension, encrypted: true)
    }

    @Test func sctsAreNotAskedForByDefault() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(server.clientHellos.first?.extension(.signedCertificateTimestamp) == nil)
    }

    @Test func anUnsolicitedSCTListIsUnsupportedExtension() throws {
        let server = Self.withLeafExtensions([RawExtension(.signedCertificateTimestamp, Self.sctList)])
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .unsupportedExtension, encrypted: true)
    }

    @Test func anSCTListIsReportedWhenAskedFor() throws {
        // The intermediate's own list is ignored: only the leaf's counts.
        let server = Self.withLeafExtensions(
            [RawExtension(.signedCertificateTimestamp, Self.sctList)],
            intermediate: [RawExtension(.signedCertificateTimestamp, [0, 3, 0, 1, 9])])
        let client = try makeTestClient { $0.requestSignedCertificateTimestamps = true }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(server.clientHellos.first?.extension(.signedCertificateTimestamp) == .signedCertificateTimestamp)
        #expect(client.info.signedCertificateTimestamps == Self.sctList)
    }

    @Test(arguments: [
        [UInt8](), [0, 0], [0, 2, 0, 0], [0, 6, 0, 2, 1, 2, 0, 0], [0, 6, 0, 4, 5, 6, 7, 8, 0], [0, 5, 0, 4, 5, 6, 7],
    ])
    func aMalformedSCTListIsDecodeError(_ body: [UInt8]) throws {
        let server = Self.withLeafExtensions([RawExtension(.signedCertificateTimestamp, body)])
        let outcome = runHandshake(client: try makeTestClient { $0.requestSignedCertificateTimestamps = true }, server: server)
        expectAlert(outcome, .decodeError, encrypted: true)
        #expect("\(outcome.error.map { "\($0)" } ?? "")".contains("signed_certificate_timestamp"))
    }

    @Test func theSessionCarriesTheStapledDataAcrossSerialization() throws {
        let server = Self.withLeafExtensions([
            RawExtension(.statusRequest, [1, 0, 0, 4, 1, 2, 3, 4]),
            RawExtension(.signedCertificateTimestamp, Self.sctList),
        ])
        let client = try makeTestClient(verifyChain: false) { $0.requestSignedCertificateTimestamps = true }
        expectSuccess(runHandshake(client: client, server: server), server: server)
        try server.sendNewSessionTicket()
        let events = exchange(client: client, server: server).events
        guard case .newSessionTicket(_, let session)? = events.first else {
            Issue.record("expected a NewSessionTicket event, got \(events)")
            return
        }
        #expect(session.ocspResponse == [1, 2, 3, 4])
        #expect(session.signedCertificateTimestamps == Self.sctList)
        let restored = try TLSSession(serialized: session.serialized())
        #expect(restored == session)
        #expect(restored.ocspResponse == [1, 2, 3, 4])
        #expect(restored.signedCertificateTimestamps == Self.sctList)
    }

    /// Versions 1 and 2 (no chain, a verified flag) are still read; without a chain such a session is offered only
    /// when certificates are not verified.
    @Test func olderSessionVersionsStillParse() throws {
        let server = ScriptedServer()
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        try server.sendNewSessionTicket()
        guard case .newSessionTicket(_, let session)? = exchange(client: client, server: server).events.first else {
            Issue.record("no session")
            return
        }
        #expect(session.certificateVerification == .verified && session.peerCertificates.count == 2)
        // Version 3 = version 2 + the chain (a count byte and 3-byte-prefixed certificates) and a policy byte;
        // version 2 = version 1 + two absent-markers. Rewrite the magic and drop the later fields.
        var bytes = session.serialized()
        #expect(bytes.last == 1, "policy: OCSP stapling was requested")
        let chainLength = 1 + session.peerCertificates.reduce(0) { $0 + 3 + $1.count } + 1
        #expect(bytes[bytes.count - chainLength] == 2)
        bytes.removeLast(chainLength)
        bytes[12] = UInt8(ascii: "2")
        let version2 = try TLSSession(serialized: bytes)
        #expect(version2 == session)
        #expect(version2.certificateVerification == .verified && version2.peerCertificates.isEmpty)
        #expect(Array(bytes.suffix(2)) == [0, 0])
        bytes.removeLast(2)
        bytes[12] = UInt8(ascii: "1")
        let version1 = try TLSSession(serialized: bytes)
        #expect(version1 == session)
        #expect(version1.ocspResponse == nil && version1.signedCertificateTimestamps == nil)

        // Neither is offered to a verifying client (nothing to check again), and the handshake says why.
        let verifying = try ClientStateMachine(
            configuration: TLSClientConfiguration(), identity: .dnsName("localhost"),
            dependencies: .init(certificateVerifier: try ScriptedPKI.verifier(), now: ScriptedPKI.now), session: version2)
        #expect(verifying.info.sessionNotOfferedReason?.contains("no certificate chain to check again") == true)
        var insecure = TLSClientConfiguration()
        insecure.verifyCertificates = false
        let unverifying = try ClientStateMachine(
            configuration: insecure, identity: .dnsName("localhost"),
            dependencies: .init(certificateVerifier: nil, now: ScriptedPKI.now), session: version2)
        #expect(unverifying.info.sessionNotOfferedReason == nil)
    }
}

/// ``TLSClientConfiguration/ocspResponseCheck``: the application's own decision on the staple.
@Suite struct OCSPResponseCheckTests {
    final class Seen: @unchecked Sendable {
        // @unchecked Sendable: written by the check (same thread as the test's handshake), read after it.
        var calls: [([UInt8]?, Int)] = []
    }

    func run(staple: [UInt8]?, accept: Bool, request: Bool = true) throws -> (HandshakeOutcome, Seen, ScriptedServer) {
        let seen = Seen()
        let server = ScriptedServer()
        server.configuration.ocspResponse = staple
        let client = try makeTestClient(verifyChain: false) {
            $0.requestOCSPStapling = request
            $0.ocspResponseCheck = { response, chain in
                seen.calls.append((response, chain.count))
                return accept
            }
        }
        return (runHandshake(client: client, server: server), seen, server)
    }

    @Test func theCheckSeesTheStapleAndTheChain() throws {
        let (outcome, seen, server) = try run(staple: [1, 2, 3, 4], accept: true)
        expectSuccess(outcome, server: server)
        #expect(seen.calls.count == 1)
        #expect(seen.calls.first?.0 == [1, 2, 3, 4])
        #expect((seen.calls.first?.1 ?? 0) >= 1)
    }

    @Test func aRejectionIsBadCertificateStatusResponse() throws {
        let (outcome, _, _) = try run(staple: [1, 2, 3, 4], accept: false)
        expectAlert(outcome, .badCertificateStatusResponse, encrypted: true)
    }

    @Test func theCheckRunsWithoutAStapleToo() throws {
        let (outcome, seen, _) = try run(staple: nil, accept: false)
        expectAlert(outcome, .badCertificateStatusResponse, encrypted: true)
        #expect(seen.calls.count == 1 && seen.calls.first?.0 == nil)
    }

    @Test func notRunWhenStaplingIsOff() throws {
        let (outcome, seen, server) = try run(staple: nil, accept: false, request: false)
        expectSuccess(outcome, server: server)
        #expect(seen.calls.isEmpty)
    }
}
