import Foundation
import Testing
@testable import TLS13
@testable import BoGoShim

/// The shim flags of `ShimExtraFlags.swift`: OCSP/SCT, compliance policies, early-data reasons, I/O flags.
@Suite struct BoGoShimExtraFlagTests {
    private func flags(_ arguments: [String]) throws -> ShimFlags {
        guard case .run(let flags) = ShimFlags.parse(arguments) else {
            Issue.record("expected a runnable command for \(arguments), got \(ShimFlags.parse(arguments))")
            throw CancellationError()
        }
        return flags
    }

    @Test func staplingFlags() throws {
        let f = try flags([
            "-enable-ocsp-stapling", "-expect-ocsp-response", "AQIDBA==", "-enable-signed-cert-timestamps",
            "-on-resume-expect-signed-cert-timestamps", "AAYABAUGBwg=",
        ])
        #expect(f.initial.extra.enableOCSPStapling && f.resume.extra.enableSignedCertTimestamps)
        #expect(f.initial.extra.expectOCSPResponse == [1, 2, 3, 4])
        #expect(f.initial.extra.expectSignedCertTimestamps == nil)
        #expect(f.resume.extra.expectSignedCertTimestamps == [0, 6, 0, 4, 5, 6, 7, 8])
        let config = try ShimTest.configuration(for: f.initial)
        #expect(config.requestOCSPStapling && config.requestSignedCertificateTimestamps)
        // BoringSSL asks for neither by default.
        let plain = try ShimTest.configuration(for: try flags([]).initial)
        #expect(!plain.requestOCSPStapling && !plain.requestSignedCertificateTimestamps)
        guard case .invalid = ShimFlags.parse(["-expect-ocsp-response", "not base64!"]) else {
            Issue.record("bad base64 must be a usage error")
            return
        }
    }

    @Test func compliancePolicies() throws {
        let fips = try ShimTest.configuration(for: try flags(["-fips-202205"]).initial)
        #expect(fips.cipherSuites == [.aes128GCMSHA256, .aes256GCMSHA384])
        #expect(fips.supportedGroups == [.secp256r1, .secp384r1] && fips.keyShareGroups == [.secp256r1])
        #expect(!fips.signatureAlgorithms.contains(.ed25519) && !fips.signatureAlgorithms.contains(.ecdsaSecp521r1SHA512))
        let wpa = try ShimTest.configuration(for: try flags(["-wpa-202304", "-curves", "29", "-curves", "24"]).initial)
        #expect(wpa.cipherSuites == [.aes256GCMSHA384])
        #expect(wpa.supportedGroups == [.secp384r1] && wpa.keyShareGroups == [.secp384r1])
        #expect(wpa.signatureAlgorithms == [.ecdsaSecp384r1SHA384, .rsaPSSRSAESHA384, .rsaPSSRSAESHA512])
    }

    @Test func earlyDataReasonNames() throws {
        let f = try flags(["-on-retry-expect-early-data-reason", "peer_declined"])
        #expect(f.retry.extra.expectEarlyDataReason == "peer_declined" && f.resume.extra.expectEarlyDataReason == nil)
        #expect(ShimTest.boringSSLName(.notRequested) == "disabled")
        #expect(ShimTest.boringSSLName(.accepted) == "accept")
        #expect(ShimTest.boringSSLName(.declinedByServer) == "peer_declined")
        #expect(ShimTest.boringSSLName(.applicationProtocolMismatch) == "alpn_mismatch")
    }

    /// `-permute-extensions` turns the library's permutation on; without it the shim sends the fixed order, as
    /// BoringSSL does by default.
    @Test func permuteExtensions() throws {
        #expect(try ShimTest.configuration(for: try flags(["-permute-extensions"]).initial).permuteExtensions)
        #expect(try !ShimTest.configuration(for: try flags([]).initial).permuteExtensions)
    }

    /// `-install-cert-compression-algs`: the runner's three test algorithms, and no compression without the flag (as
    /// BoringSSL offers none unless algorithms are installed).
    @Test func certificateCompressionAlgorithms() throws {
        let installed = try ShimTest.configuration(for: try flags(["-install-cert-compression-algs"]).initial)
        #expect(installed.certificateDecompressors.map(\.algorithm.rawValue) == [0xff02, 0xff01, 0xff03])
        #expect(try ShimTest.configuration(for: try flags([]).initial).certificateDecompressors.isEmpty)
        let certificate = try HandshakeMessage.certificate(CertificateMessage(entries: [.init(certData: [1, 2, 3])])).encoded
        let body = Array(certificate.dropFirst(4))
        #expect(body.starts(with: [0, 0]), "a Certificate body starts with its (empty) context and the list length")
        let decompressors = Dictionary(uniqueKeysWithValues: installed.certificateDecompressors.map { ($0.algorithm.rawValue, $0) })
        #expect(try decompressors[0xff01]?.decompress(Array(body.dropFirst(2)), uncompressedLength: body.count, limit: 1 << 16) == body)
        #expect(try decompressors[0xff02]?.decompress([1, 2, 3, 4] + body, uncompressedLength: body.count, limit: 1 << 16) == body)
        #expect(try decompressors[0xff03]?.decompress([9] + body, uncompressedLength: body.count, limit: 1 << 16) == body)
        #expect(throws: TLSError.self) {
            try decompressors[0xff01]?.decompress(Array(body.dropFirst(2)), uncompressedLength: body.count + 1, limit: 1 << 16)
        }
    }

    /// ECH and external-PSK flags map onto the configuration as bssl_shim's do.
    @Test func echAndPSKFlags() throws {
        let list: [UInt8] = [0, 6, 0xfe, 0x0c, 0, 2, 1, 2]
        let f = try flags([
            "-ech-config-list", Data(list).base64EncodedString(), "-enable-ech-grease", "-expect-ech-accept",
            "-expect-ech-name-override", "public.example", "-on-resume-expect-no-ech-name-override",
            "-expect-ech-retry-configs", Data([1, 2]).base64EncodedString(), "-psk", "secret", "-psk-identity", "id",
            "-advertise-alpn", "\u{5}proto",
        ])
        let e = f.initial.extra
        #expect(e.echConfigList == list && e.enableECHGREASE && e.expectECHAccept)
        #expect(e.expectECHNameOverride == "public.example" && !e.expectNoECHNameOverride && f.resume.extra.expectNoECHNameOverride)
        #expect(e.expectECHRetryConfigs == [1, 2] && e.psk == "secret" && e.pskIdentity == "id")
        let config = try ShimTest.configuration(for: f.initial)
        #expect(config.echConfigList == list && config.echGREASE)
        #expect(config.echOuterApplicationProtocols == ["proto"], "BoringSSL's outer hello carries the same ALPN")
        #expect(config.externalPSK?.identity == Array("id".utf8))
        #expect(try !ShimTest.configuration(for: try flags([]).initial).echGREASE, "GREASE ECH only when asked")
        // A rejection's retry configs are held to the expectation.
        let rejected = TLSError.echRejected(publicName: "public.example", retryConfigs: [1, 2])
        #expect(ShimTest.retryConfigsMismatch(rejected, flags: f.initial) == nil)
        #expect(ShimTest.retryConfigsMismatch(.echRejected(publicName: "p", retryConfigs: nil), flags: f.initial) != nil)
    }

    /// Flags a TLS 1.3 client has nothing to do for are accepted; -fail-cert-callback installs a failing signer.
    @Test func ignoredFlagsAndTheFailingCertificateCallback() throws {
        let f = try flags(["-select-next-proto", "foo", "-srtp-profiles", "SRTP_AES128_CM_SHA1_80", "-no-op-extra-handshake",
                           "-fail-cert-callback", "-expect-msg-callback", "write hs 1\n"])
        #expect(f.initial.extra.failCertCallback && f.initial.extra.expectMessageCallback == "write hs 1\n")
        let config = try ShimTest.configuration(for: f.initial)
        let certificate = try #require(config.clientCertificate)
        #expect(throws: TLSError.self) { try certificate.signer.sign(scheme: .ecdsaSecp256r1SHA256, content: [1]) }
        // The message log spells messages as bssl_shim's callback does.
        let log = ShimMessageLog()
        log.record(.handshakeMessage(TLSHandshakeMessageInfo(direction: .sent, epoch: .plaintext, name: "ClientHelloInner", length: 1, fields: [])))
        log.record(.handshakeMessage(TLSHandshakeMessageInfo(direction: .sent, epoch: .plaintext, name: "ClientHelloOuter", length: 1, fields: [])))
        log.record(.handshakeMessage(TLSHandshakeMessageInfo(direction: .received, epoch: .plaintext, name: "ServerHello", length: 1, fields: [])))
        #expect(log.text == "write clienthelloinner\nwrite hs 1\nread hs 2\n")
    }

    @Test func certificateRequestAndIOFlags() throws {
        let f = try flags([
            "-expect-peer-verify-pref", "2052", "-expect-peer-verify-pref", "1027", "-expect-client-ca-list", "3000,30030a0b0c",
            "-peek-then-read", "-send-alert", "-max-cert-list", "16384", "-resumption-delay", "10", "-enable-grease",
            "-use-ocsp-callback", "-fail-ocsp-callback", "-export-traffic-secrets",
        ])
        let e = f.initial.extra
        #expect(e.expectPeerVerifyPrefs == [2052, 1027])
        #expect(e.expectClientCAList == [[0x30, 0x00], [0x30, 0x03, 0x0a, 0x0b, 0x0c]])
        #expect(e.peekThenRead && e.sendAlert && e.enableGREASE && e.useOCSPCallback && e.failOCSPCallback)
        #expect(f.initial.maxCertList == 16_384 && e.resumptionDelay == 10 && e.exportTrafficSecrets)
        var config = try ShimTest.configuration(for: f.initial)
        #expect(config.maxHandshakeMessageSize == 16_384 && config.keyLog != nil)
        #expect(config.ocspResponseCheck?(nil, []) == false)
        // The still clock: the first connection at the shim's start, each resumption 10 s later.
        ShimTest.applyClock(&config, flags: f, index: 2)
        #expect(config.wallClockMilliseconds?() == ShimTest.startTime + 20_000)
    }
}
