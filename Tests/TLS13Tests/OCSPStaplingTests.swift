import Foundation
import Testing
@testable import TLS13

/// OCSP stapling (status_request, RFC 6066 §8 / RFC 8446 §4.4.2.1) against the scripted server, with the
/// responses `Certs/make-certs.sh` made with `openssl ocsp` (see Certs/README.md).
@Suite struct OCSPStaplingTests {
    /// The responses' thisUpdate is when they were made: check them at the real time (before their 2126
    /// nextUpdate and the certificates' 2099 notAfter).
    static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    static func response(_ name: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: CertPaths.path(name)) else {
            throw VectorError(description: "cannot read \(name)")
        }
        return [UInt8](data)
    }

    func run(
        chain: ScriptedServer.Chain = .ecdsaP256, staple: [UInt8]?, now: Int64 = OCSPStaplingTests.now,
        verifyChain: Bool = true, _ configure: (inout TLSClientConfiguration) -> Void = { _ in }
    ) throws -> (HandshakeOutcome, ClientStateMachine, ScriptedServer) {
        let server = ScriptedServer(.init(chain: chain))
        server.configuration.ocspResponse = staple
        let client = try makeTestClient(now: now, verifyChain: verifyChain, configure)
        return (runHandshake(client: client, server: server), client, server)
    }

    @Test func statusRequestIsOfferedByDefault() throws {
        let (outcome, client, server) = try run(staple: nil)
        expectSuccess(outcome, server: server)
        #expect(server.clientHellos.first?.extension(.statusRequest) == .statusRequest)
        #expect(client.info.ocspStatus == .none)
    }

    @Test func notRequestedWhenTurnedOff() throws {
        let (outcome, client, server) = try run(staple: try Self.response("ocsp-good.der")) { $0.requestOCSPStapling = false }
        expectSuccess(outcome, server: server)
        #expect(server.clientHellos.first?.extension(.statusRequest) == nil)
        #expect(client.info.ocspStatus == .notRequested)
    }

    @Test(arguments: ["ocsp-good.der", "ocsp-good-by-ca.der"])
    func aGoodStapleIsVerified(_ file: String) throws {
        let (outcome, client, server) = try run(staple: try Self.response(file))
        expectSuccess(outcome, server: server)
        guard case .good(let next?) = client.info.ocspStatus else {
            Issue.record("\(client.info.ocspStatus)")
            return
        }
        // -ndays 36500: a century after the response was made.
        #expect(next > Self.now + 90 * 365 * 86_400, "\(next)")
        #expect(client.info.ocspStatus.name == "good")
    }

    @Test func unknownStatusIsReported() throws {
        let (outcome, client, server) = try run(chain: .ecdsaP384, staple: try Self.response("ocsp-unknown.der"))
        expectSuccess(outcome, server: server)
        guard case .unknown(_?) = client.info.ocspStatus else {
            Issue.record("\(client.info.ocspStatus)")
            return
        }
    }

    @Test func aRevokedCertificateIsCertificateRevoked() throws {
        let (outcome, _, _) = try run(chain: .revoked, staple: try Self.response("ocsp-revoked.der"))
        expectAlert(outcome, .certificateRevoked, encrypted: true)
        #expect("\(outcome.error.map { "\($0)" } ?? "")".contains("keyCompromise"), "\(String(describing: outcome.error))")
    }

    static var invalidStaples: [(String, [UInt8])] {
        get throws {
            let good = try response("ocsp-good.der")
            // Change producedAt (the first GeneralizedTime, tag 0x18 length 15) by one second: still a valid
            // time, but the signed ResponseData no longer matches its signature.
            var badSignature = good
            if let at = (0..<(good.count - 1)).first(where: { good[$0] == 0x18 && good[$0 + 1] == 15 }) {
                badSignature[at + 2 + 13] ^= 0x01
            }
            return [
                ("garbage", Array("not an OCSP response".utf8)),
                ("truncated", Array(good.dropLast(20))),
                ("trailing byte", good + [0]),
                ("tryLater", [0x30, 0x03, 0x0A, 0x01, 0x03]),
                ("bad signature", badSignature),
                ("unauthorized signer", try response("ocsp-unauthorized.der")),
            ]
        }
    }

    @Test(arguments: try OCSPStaplingTests.invalidStaples)
    func anInvalidStapleIsBadCertificateStatusResponse(_ name: String, _ staple: [UInt8]) throws {
        let (outcome, _, _) = try run(staple: staple)
        expectAlert(outcome, .badCertificateStatusResponse, encrypted: true)
    }

    @Test func aStapleAboutAnotherCertificate() throws {
        let (outcome, _, _) = try run(chain: .ecdsaP384, staple: try Self.response("ocsp-good.der"))
        expectAlert(outcome, .badCertificateStatusResponse, encrypted: true)
        #expect("\(outcome.error.map { "\($0)" } ?? "")".contains("no status for the server certificate"))
    }

    /// Checked at the handshake's (injected) time: in 2025 the response (made later) is not yet valid.
    @Test func aResponseFromTheFutureIsBad() throws {
        let (outcome, _, _) = try run(staple: try Self.response("ocsp-good.der"), now: ScriptedPKI.now)
        expectAlert(outcome, .badCertificateStatusResponse, encrypted: true)
        #expect("\(outcome.error.map { "\($0)" } ?? "")".contains("not yet valid"))
    }

    @Test func aCertificateStatusOfAnotherTypeIsBad() throws {
        let server = ScriptedServer()
        server.mutateCertificate = { $0.entries[0].extensions = [RawExtension(.statusRequest, [2, 0, 0, 1, 0])] }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .badCertificateStatusResponse, encrypted: true)
    }

    @Test(arguments: [[UInt8]([1]), [1, 0, 0], [1, 0, 0, 0], [1, 0, 0, 2, 0x30], [1, 0, 0, 1, 0x30, 0]])
    func aMalformedCertificateStatusIsDecodeError(_ body: [UInt8]) throws {
        let server = ScriptedServer()
        server.mutateCertificate = { $0.entries[0].extensions = [RawExtension(.statusRequest, body)] }
        expectAlert(runHandshake(client: try makeTestClient(), server: server), .decodeError, encrypted: true)
    }

    /// With certificate verification off the staple is not checked (there is no trust to check it against).
    @Test func withoutVerificationTheStapleIsNotChecked() throws {
        let (outcome, client, server) = try run(staple: Array("junk".utf8), verifyChain: false)
        expectSuccess(outcome, server: server)
        #expect(client.info.ocspStatus == .notVerified)
    }

    /// A staple on an intermediate's entry is allowed (and not checked: only the leaf's is).
    @Test func aStapleOnTheIntermediateIsIgnored() throws {
        let server = ScriptedServer()
        server.mutateCertificate = { $0.entries[1].extensions = [RawExtension(.statusRequest, [1, 0, 0, 1, 0x30])] }
        let client = try makeTestClient()
        expectSuccess(runHandshake(client: client, server: server), server: server)
        #expect(client.info.ocspStatus == .none)
    }

    @Test func certificateStatusRoundTrips() throws {
        let status = CertificateStatus(ocspResponse: [0x30, 0x03, 0x0A, 0x01, 0x00])
        #expect(try status.encoded == [1, 0, 0, 5, 0x30, 0x03, 0x0A, 0x01, 0x00])
        #expect(try CertificateStatus(body: try status.encoded) == status)
        var reader = ByteReader([5, 0, 5, 1, 0, 0, 0, 0])
        let ext = try ClientHelloExtension(type: .statusRequest, body: &reader)
        #expect(ext == .unknown(.statusRequest, [5, 0, 5, 1, 0, 0, 0, 0]))
        var ocsp = ByteReader([1, 0, 0, 0, 0])
        #expect(try ClientHelloExtension(type: .statusRequest, body: &ocsp) == .statusRequest)
    }
}
