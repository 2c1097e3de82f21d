import Foundation
import Testing
@testable import TLS13

/// Before a session is offered, its saved chain and staple are checked again under the new connection's
/// configuration and at its time (``ClientStateMachine/checkOffer(of:configuration:identity:dependencies:)``); a session
/// that fails is not offered, and ``TLSSessionInfo/sessionNotOfferedReason`` says why.
@Suite struct SessionReverificationTests {
    static func session(
        chain file: String, verification: TLSSession.CertificateVerification = .verified, stapling: Bool = true,
        staple: [UInt8]? = nil, name: String = "localhost", savedAt: Int64 = ScriptedPKI.now
    ) throws -> TLSSession {
        TLSSession(
            ticket: [1, 2, 3, 4], cipherSuite: .aes128GCMSHA256, lifetime: 7200, ageAdd: 0,
            receivedAtMilliseconds: savedAt * 1000 - 60_000, maxEarlyDataSize: 0, applicationProtocol: nil,
            serverName: name, certificateVerification: verification,
            peerCertificates: try PEM.certificates(fromFile: CertPaths.path(file)).map(\.der),
            ocspStaplingRequested: stapling, psk: SecretBytes([UInt8](repeating: 7, count: 32)), ocspResponse: staple)
    }

    /// The client for `session`; whether its ClientHello offers the PSK, and why not.
    static func offer(
        _ session: TLSSession, now: Int64 = ScriptedPKI.now, verify: Bool = true,
        _ adjust: (inout TLSClientConfiguration) -> Void = { _ in }
    ) throws -> (offered: Bool, reason: String?) {
        var config = TLSClientConfiguration()
        config.verifyCertificates = verify
        adjust(&config)
        let client = try ClientStateMachine(
            configuration: config, identity: .dnsName("localhost"),
            dependencies: .init(certificateVerifier: verify ? try ScriptedPKI.verifier() : nil, now: now), session: session)
        let record = try client.startHandshake()
        guard case .clientHello(let hello) = try HandshakeMessage.decode(Array(record.dropFirst(5))) else {
            Issue.record("no ClientHello")
            return (false, nil)
        }
        return (hello.offeredPSKs != nil, client.info.sessionNotOfferedReason)
    }

    @Test func aSessionWhoseChainStillVerifiesIsOffered() throws {
        let result = try Self.offer(try Self.session(chain: "leaf-ecdsa-p256-chain.pem"))
        #expect(result.offered && result.reason == nil)
    }

    @Test func aSessionWhoseCertificateHasExpiredIsNotOffered() throws {
        // Saved at 2000-06, checked at the test clock (2025): the leaf expired in 2001.
        let session = try Self.session(chain: "leaf-expired-chain.pem")
        let result = try Self.offer(session)
        #expect(!result.offered)
        #expect(result.reason?.contains("certificate has expired") == true, "\(result.reason ?? "")")
    }

    @Test func aSessionFromOtherRootsIsNotOffered() throws {
        let result = try Self.offer(try Self.session(chain: "leaf-unknown-ca-chain.pem"))
        #expect(!result.offered)
        #expect(result.reason?.contains("unknown_ca") == true, "\(result.reason ?? "")")
    }

    /// A handler-accepted session resumes only where a handler accepts the chain again.
    @Test func aHandlerAcceptedSessionNeedsAHandlerThatAcceptsAgain() throws {
        let session = try Self.session(chain: "leaf-self-signed-chain.pem", verification: .acceptedByHandler)
        #expect(try Self.offer(session).offered == false)
        let seen = try Self.offer(session) { config in
            config.certificateVerificationHandler = { context in
                context.isSessionReverification ? .accept : .reject(alert: .badCertificate, reason: "handshake")
            }
        }
        #expect(seen.offered && seen.reason == nil)
        let refused = try Self.offer(session) { $0.certificateVerificationHandler = { _ in .reject(alert: .badCertificate, reason: "no") } }
        #expect(!refused.offered && refused.reason?.contains("rejected by the application") == true)
    }

    @Test func aSavedRevokedStapleIsCheckedAgain() throws {
        // The responses were made when the PKI was generated: check at the real time, inside their validity.
        let now = Int64(Date().timeIntervalSince1970)
        let revoked = try [UInt8](CertPaths.load("ocsp-revoked.der"))
        let session = try Self.session(chain: "leaf-revoked-chain.pem", staple: revoked, savedAt: now)
        let result = try Self.offer(session, now: now)
        #expect(!result.offered)
        #expect(result.reason?.contains("revoked") == true, "\(result.reason ?? "")")
        // Without asking for a staple now, the saved one is not looked at: as a full handshake would not see one.
        #expect(try Self.offer(session, now: now) { $0.requestOCSPStapling = false }.offered)
    }

    @Test func aSessionVerifiedWithoutAStapleIsNotOfferedToAClientThatAsks() throws {
        let session = try Self.session(chain: "leaf-ecdsa-p256-chain.pem", stapling: false)
        let result = try Self.offer(session)
        #expect(!result.offered && result.reason?.contains("without asking for a stapled OCSP response") == true)
        #expect(try Self.offer(session) { $0.requestOCSPStapling = false }.offered)
    }

    @Test func unverifiedSessionsAndInsecureClients() throws {
        let unverified = try Self.session(chain: "leaf-ecdsa-p256-chain.pem", verification: .notVerified)
        let verifying = try Self.offer(unverified)
        #expect(!verifying.offered && verifying.reason?.contains("did not verify") == true)
        // --insecure with no handler checks nothing again: any session for the name is offered.
        #expect(try Self.offer(unverified, verify: false).offered)
        #expect(try Self.offer(try Self.session(chain: "leaf-expired-chain.pem"), verify: false).offered)
    }

    @Test func otherReasonsAreReportedToo() throws {
        let session = try Self.session(chain: "leaf-ecdsa-p256-chain.pem", name: "other.example")
        let result = try Self.offer(session)
        #expect(!result.offered && result.reason?.contains("issued for \"other.example\"") == true)
        let late = try Self.offer(try Self.session(chain: "leaf-ecdsa-p256-chain.pem"), now: ScriptedPKI.now + 8 * 86_400)
        #expect(!late.offered && late.reason?.contains("expired") == true)
    }
}

/// A ticket is the server's choice of up to 2^16-1 bytes: a long one fragments the ClientHello, one too long to fit
/// is not offered, and nothing traps.
@Suite struct LongTicketTests {
    static func session(ticketLength: Int) throws -> TLSSession {
        TLSSession(
            ticket: [UInt8](repeating: 0x5A, count: ticketLength), cipherSuite: .aes128GCMSHA256, lifetime: 7200, ageAdd: 0,
            receivedAtMilliseconds: Int64(Date().timeIntervalSince1970 * 1000) - 1000, maxEarlyDataSize: 0,
            applicationProtocol: nil, serverName: "localhost", certificateVerification: .verified,
            peerCertificates: try PEM.certificates(fromFile: CertPaths.path("leaf-ecdsa-p256-chain.pem")).map(\.der),
            ocspStaplingRequested: true, psk: SecretBytes([UInt8](repeating: 7, count: 32)))
    }

    @Test func aTicketTooLongForAClientHelloIsNotOffered() throws {
        let session = try Self.session(ticketLength: 0xFFFF)
        let client = try ClientStateMachine(
            configuration: TLSClientConfiguration(), identity: .dnsName("localhost"),
            dependencies: .init(certificateVerifier: AcceptAnyCertificate(), now: Int64(Date().timeIntervalSince1970)),
            session: session)
        #expect(client.info.sessionNotOfferedReason?.contains("tickets over 32768 are not offered") == true)
        #expect(try client.startHandshake().count < 1 << 14)
    }

    /// A 30,000-byte ticket: the ClientHello spans two records of at most 2^14 bytes, and OpenSSL's server (which
    /// cannot decrypt the made-up ticket) completes a full handshake with it.
    @Test func aLongTicketFragmentsTheClientHello() async throws {
        let session = try Self.session(ticketLength: 30_000)
        var config = TLSClientConfiguration()
        config.keyShareGroups = [.x25519]
        let client = try ClientStateMachine(
            configuration: config, identity: .dnsName("localhost"),
            dependencies: .init(certificateVerifier: AcceptAnyCertificate(), now: Int64(Date().timeIntervalSince1970)),
            session: session)
        let flight = try client.startHandshake()
        var records: [Int] = []
        var offset = 0
        while offset + 5 <= flight.count {
            #expect(Array(flight[offset..<offset + 3]) == [22, 3, 1])
            let length = Int(flight[offset + 3]) << 8 | Int(flight[offset + 4])
            records.append(length)
            offset += 5 + length
        }
        #expect(offset == flight.count)
        #expect(records.count == 2 && records.allSatisfy { $0 <= 1 << 14 }, "\(records)")

        let server = try await OpenSSLServer.start(mode: ["-rev"])
        defer { server.stop() }
        let info = try await runBlocking { () -> TLSSessionInfo in
            var config = TLSClientConfiguration()
            config.trustRoots = .pemFile(CertPaths.path("ca.pem"))
            config.serverName = "localhost"
            let connection = try TLSConnection.connect(
                host: "127.0.0.1", port: server.port, configuration: config, session: session)
            defer { connection.close() }
            try connection.write(Array("long\n".utf8))
            #expect(try connection.read() == Array("gnol\n".utf8))
            return connection.sessionInfo
        }
        #expect(!info.resumed && info.sessionNotOfferedReason == nil, "offered, declined by the server")
    }

    @Test func aLengthThatDoesNotFitItsPrefixThrowsNotTraps() throws {
        var w = ByteWriter()
        #expect(throws: EncodingError(length: 300, maximum: 255)) { try w.writeVector(1, [UInt8](repeating: 1, count: 300)) }
        var v = ByteWriter()
        #expect(throws: EncodingError(length: 1 << 24, maximum: (1 << 24) - 1)) { try v.writeUInt24(1 << 24) }
        #expect(throws: EncodingError.self) { try v.writeUInt24(-1) }
        #expect(v.bytes.isEmpty, "nothing written for a uint24 out of range")
        var fine = ByteWriter()
        try fine.writeVector(1, [UInt8](repeating: 1, count: 255))
        try fine.writeUInt24((1 << 24) - 1)
        #expect(fine.count == 1 + 255 + 3 && fine.bytes.suffix(3) == [0xFF, 0xFF, 0xFF])
        let hello = ClientHello(
            random: [UInt8](repeating: 0, count: 32), legacySessionID: [], cipherSuites: [.aes128GCMSHA256],
            extensions: [.applicationLayerProtocolNegotiation((0..<300).map { _ in [UInt8](repeating: 0x61, count: 255) })])
        let error = #expect(throws: TLSError.self) { try HandshakeMessage.clientHello(hello).encoded }
        if case .invalidConfiguration(let reason)? = error {
            #expect(reason.hasSuffix("too large to encode (a length does not fit its field)"))
        } else {
            Issue.record("expected invalidConfiguration, got \(String(describing: error))")
        }
    }
}
