import Testing
import TLS13
@testable import BoGoShim

/// The BoGo shim's command-line parsing (BoringSSL's `test_config.cc` conventions).
@Suite struct BoGoShimFlagTests {
    private func flags(_ arguments: [String]) throws -> ShimFlags {
        guard case .run(let flags) = ShimFlags.parse(arguments) else {
            Issue.record("expected a runnable command for \(arguments), got \(ShimFlags.parse(arguments))")
            throw CancellationError()
        }
        return flags
    }

    @Test func handshakerProbe() {
        #expect(ShimFlags.parse(["-is-handshaker-supported"]) == .handshakerProbe)
    }

    @Test func basicConnectionFlags() throws {
        let f = try flags(["-port", "4433", "-shim-id", "18446744073709551615", "-ipv6", "-resume-count", "2"])
        #expect(f.port == 4433)
        #expect(f.shimID == UInt64.max)
        #expect(f.ipv6)
        #expect(f.resumeCount == 2)
        #expect(f.connection(0) == ConnectionFlags())
    }

    @Test func vectorFlagsAppendAndPrefixesTargetOneConnection() throws {
        let f = try flags([
            "-curves", "29", "-curves", "23", "-on-resume-curves", "24",
            "-on-initial-expect-curve-id", "29", "-on-resume-expect-session-miss", "-on-retry-expect-alpn", "foo",
        ])
        #expect(f.initial.curves == [29, 23])
        #expect(f.resume.curves == [29, 23, 24])
        #expect(f.initial.expectCurveID == 29)
        #expect(f.resume.expectCurveID == nil)
        #expect(!f.initial.expectSessionMiss && f.resume.expectSessionMiss)
        #expect(f.retry.expectALPN == "foo" && f.resume.expectALPN == nil)
        #expect(f.connection(1) == f.resume && f.connection(2) == f.resume)
    }

    @Test func alpnWireFormat() throws {
        let f = try flags(["-advertise-alpn", "\u{3}foo\u{2}h2", "-expect-alpn", "foo"])
        #expect(f.initial.advertiseALPN == ["foo", "h2"])
        #expect(f.initial.expectALPN == "foo")
        #expect(ConnectionFlags.decodeALPN("\u{5}foo") == nil)
        #expect(ConnectionFlags.decodeALPN("") == [])
    }

    @Test func exporterAndShutdownFlags() throws {
        let f = try flags([
            "-export-keying-material", "32", "-export-label", "label", "-export-context", "ctx", "-use-export-context",
            "-shim-writes-first", "-shim-shuts-down", "-check-close-notify", "-key-update", "-async",
            "-implicit-handshake",
        ])
        let c = f.initial
        #expect(c.exportKeyingMaterial == 32 && c.exportLabel == "label" && c.exportContext == "ctx" && c.useExportContext)
        #expect(c.shimWritesFirst && c.shimShutsDown && c.checkCloseNotify && c.keyUpdate && c.implicitHandshake)
    }

    @Test func unimplementedFlagsAndModes() {
        for arguments in [["-server"], ["-dtls"], ["-quic"], ["-no-tls13"], ["-max-version", "771"],
                          ["-expect-version", "771"], ["-fallback-scsv"], ["-on-resume-application-settings", "x"]] {
            guard case .unimplemented(let reason) = ShimFlags.parse(["-port", "1"] + arguments) else {
                Issue.record("\(arguments) should be unimplemented")
                continue
            }
            #expect(!reason.isEmpty)
        }
        guard case .run(let f) = ShimFlags.parse(["-max-version", "772", "-min-version", "772"]) else {
            Issue.record("a TLS 1.3 version range must run")
            return
        }
        #expect(f.initial.maxVersion == 0x0304 && f.initial.minVersion == 0x0304)
    }

    @Test func malformedValuesAreUsageErrors() {
        for arguments in [["-port"], ["-port", "x"], ["-curves", "abc"], ["-resume-count", "-1"], ["-advertise-alpn", "\u{9}x"]] {
            guard case .invalid = ShimFlags.parse(arguments) else {
                Issue.record("\(arguments) should be invalid, got \(ShimFlags.parse(arguments))")
                continue
            }
        }
    }

    @Test func configurationFromFlags() throws {
        var c = ConnectionFlags()
        c.curves = [23, 29]
        c.verifyPrefs = [0x0401, 0x0804]  // rsa_pkcs1_sha256 is dropped: TLS 1.2 only
        c.advertiseALPN = ["foo"]
        c.hostName = "example.test"
        let config = try ShimTest.configuration(for: c)
        #expect(config.supportedGroups.map(\.rawValue) == [23, 29])
        #expect(config.keyShareGroups.map(\.rawValue) == [23])
        #expect(config.signatureAlgorithms.map(\.rawValue) == [0x0804])
        #expect(config.applicationProtocols == ["foo"])
        #expect(config.serverName == "example.test")
        #expect(!config.verifyCertificates)

        // P-521 is implemented (the runner's AllCurves lists 29, 23, 24, 25); P-224 is not.
        var p521 = ConnectionFlags()
        p521.curves = [25]
        #expect(try ShimTest.configuration(for: p521).supportedGroups == [.secp521r1])
        var p224 = ConnectionFlags()
        p224.curves = [21]
        #expect(throws: ShimOutcome.self) { try ShimTest.configuration(for: p224) }
        // Only TLS 1.2 algorithms in -verify-prefs: the defaults stay (they do not list them either).
        var legacy = ConnectionFlags()
        legacy.verifyPrefs = [0x0401]
        #expect(try ShimTest.configuration(for: legacy).signatureAlgorithms == TLSClientConfiguration().signatureAlgorithms)
        // -signing-prefs orders the client certificate's schemes.
        var signing = ConnectionFlags()
        signing.signingPrefs = [0x0805, 0x0804]
        signing.certFile = CertPaths.path("client-rsa2048-chain.pem")
        signing.keyFile = CertPaths.path("client-rsa2048.key")
        let signingConfig = try ShimTest.configuration(for: signing)
        #expect(signingConfig.clientCertificate?.signatureAlgorithms?.map(\.rawValue) == [0x0805, 0x0804])
    }

    @Test func verificationFlags() throws {
        let f = try flags(["-verify-fail", "-use-custom-verify-callback", "-expect-verify-result",
                           "-use-old-client-cert-callback", "-on-resume-reverify-on-resume"])
        #expect(f.initial.verifyFail && f.initial.useCustomVerifyCallback && f.initial.expectVerifyResult)
        #expect(f.initial.useOldClientCertCallback && !f.initial.reverifyOnResume && f.resume.reverifyOnResume)
        // The handler fails only with -verify-peer, with the alert of the callback in use.
        for (custom, alert) in [(false, AlertDescription.handshakeFailure), (true, .certificateUnknown)] {
            var c = ConnectionFlags()
            c.verifyFail = true
            c.verifyPeer = true
            c.useCustomVerifyCallback = custom
            var config = TLSClientConfiguration()
            let verifier = ShimVerifier()
            verifier.install(in: &config, flags: c)
            let context = TLSCertificateVerificationContext(certificateChain: [[1]], serverName: nil, defaultResult: .skipped)
            guard case .reject(let sent, _)? = config.certificateVerificationHandler?(context) else {
                Issue.record("expected a rejection")
                continue
            }
            #expect(sent == alert)
            #expect(verifier.callbackRuns == 1)
            #expect(verifier.verifyResult(inherited: nil) == .applicationVerificationFailed)
        }
        var soft = ConnectionFlags()
        soft.verifyFail = true
        var config = TLSClientConfiguration()
        let verifier = ShimVerifier()
        verifier.install(in: &config, flags: soft)
        #expect(verifier.verifyResult(inherited: .ok) == .ok, "before the handler runs, the session's result")
        let context = TLSCertificateVerificationContext(certificateChain: [[1]], serverName: nil, defaultResult: .skipped)
        #expect(config.certificateVerificationHandler?(context) == .accept, "soft fail without -verify-peer")
        #expect(verifier.verifyResult(inherited: .ok) == .applicationVerificationFailed)
    }

    /// The library asks the handler about a saved session's chain before offering it. bssl_shim's callback runs
    /// then only with -reverify-on-resume; when the session was declined after 0-RTT was offered, the handler's
    /// next run is BoringSSL's 1-RTT retry and takes the -on-retry- flags.
    @Test func reverificationFollowsTheShimFlags() throws {
        let again = TLSCertificateVerificationContext(
            certificateChain: [[1]], serverName: nil, defaultResult: .skipped, isSessionReverification: true)
        let handshake = TLSCertificateVerificationContext(certificateChain: [[1]], serverName: nil, defaultResult: .skipped)
        var failing = ConnectionFlags()
        failing.verifyFail = true
        failing.verifyPeer = true
        // Without -reverify-on-resume the check of the session is accepted and not counted.
        var config = TLSClientConfiguration()
        var verifier = ShimVerifier()
        verifier.install(in: &config, flags: failing)
        #expect(config.certificateVerificationHandler?(again) == .accept)
        #expect(verifier.callbackRuns == 0 && verifier.verifyResult(inherited: nil) == nil)
        // With it, the session's chain fails as a handshake's would.
        failing.reverifyOnResume = true
        verifier = ShimVerifier()
        verifier.install(in: &config, flags: failing)
        guard case .reject? = config.certificateVerificationHandler?(again) else {
            Issue.record("expected the session's chain to be rejected")
            return
        }
        // A declined session after 0-RTT was offered: the retry flags decide the full handshake's check.
        var passing = ConnectionFlags()
        passing.reverifyOnResume = true
        passing.verifyPeer = true
        verifier = ShimVerifier()
        verifier.install(in: &config, flags: passing, retry: failing, earlyDataOffered: true)
        #expect(config.certificateVerificationHandler?(again) == .accept)
        guard case .reject? = config.certificateVerificationHandler?(handshake) else {
            Issue.record("expected the retry's -verify-fail to apply")
            return
        }
        #expect(verifier.callbackRuns == 1)
    }

    @Test func pemCertificatesDecode() {
        let pem = "-----BEGIN CERTIFICATE-----\nAAEC\nAw==\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n/w==\n-----END CERTIFICATE-----\n"
        #expect(ShimTest.derCertificates(inPEM: pem) == [[0, 1, 2, 3], [0xFF]])
    }
}
