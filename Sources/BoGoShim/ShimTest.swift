import Foundation
import TLS13

/// How a test ends, short of success.
enum ShimOutcome: Error {
    /// A feature this shim or library does not implement (exit 89, reason on stdout).
    case unimplemented(String)
    /// The test failed (exit 1, reason on stderr).
    case failed(String)
}

/// Runs one BoGo test: the first connection and `-resume-count` resuming ones.
struct ShimTest {
    let flags: ShimFlags

    /// The data written by `-shim-writes-first` (and sent as 0-RTT data).
    static let initialWrite = Array("hello".utf8)

    func run() throws(ShimOutcome) {
        var session: TLSSession?
        var verifyResult: ShimVerifier.Result?
        for index in 0...flags.resumeCount {
            session = try runConnection(index: index, session: session, verifyResult: &verifyResult)
        }
    }

    /// The configuration for one connection, or why it cannot be built.
    static func configuration(for c: ConnectionFlags) throws(ShimOutcome) -> TLSClientConfiguration {
        var config = TLSClientConfiguration()
        // bssl_shim's verify callback accepts any chain (it only records that it ran); the runner's
        // certificates are for the name "test". Chain and name checks are off; CertificateVerify is not.
        config.verifyCertificates = false
        if let trust = c.trustCert { config.trustRoots = .pemFile(trust) }
        config.serverName = c.hostName
        // BoringSSL keeps no key-share hint: a resumption test's second connection sends the configured shares.
        config.keyShareHints = nil
        // BoringSSL bounds the certificate list by size only (100 KiB by default, -max-cert-list), not by count.
        config.maxHandshakeMessageSize = c.maxCertList ?? 100 * 1024
        config.maxCertificateChainLength = 1000
        config.connectTimeout = 5
        config.handshakeTimeout = 20
        config.ioTimeout = 20
        if !c.curves.isEmpty {
            var groups: [NamedGroup] = []
            for id in c.curves {
                let group = NamedGroup(rawValue: UInt16(truncatingIfNeeded: id))
                guard [NamedGroup.x25519, .secp256r1, .secp384r1].contains(group) else {
                    throw .unimplemented("group \(id) (-curves) is not implemented")
                }
                if !groups.contains(group) { groups.append(group) }
            }
            config.supportedGroups = groups
            config.keyShareGroups = [groups[0]]
        }
        if !c.verifyPrefs.isEmpty {
            let implemented = Set(TLSClientConfiguration().signatureAlgorithms)
            let legacy: Set<SignatureScheme> = [.rsaPKCS1SHA256, .rsaPKCS1SHA384, .rsaPKCS1SHA512, .rsaPKCS1SHA1, .ecdsaSHA1]
            var schemes: [SignatureScheme] = []
            for id in c.verifyPrefs {
                let scheme = SignatureScheme(rawValue: UInt16(truncatingIfNeeded: id))
                if legacy.contains(scheme) { continue }  // TLS 1.2 only; never valid in CertificateVerify
                guard implemented.contains(scheme) else {
                    throw .unimplemented("signature algorithm \(id) (-verify-prefs) is not implemented")
                }
                schemes.append(scheme)
            }
            guard !schemes.isEmpty else {
                throw .unimplemented("-verify-prefs lists only TLS 1.2 signature algorithms")
            }
            config.signatureAlgorithms = schemes
        }
        config.applicationProtocols = c.advertiseALPN
        // -use-old-client-cert-callback hands over the same -cert-file/-key-file, when the server asks for one:
        // which is when the library uses clientCertificate.
        switch (c.certFile, c.keyFile) {
        case (let cert?, let key?):
            do {
                var credential = try TLSClientCertificate(certificateChainFile: cert, privateKeyFile: key)
                if !c.signingPrefs.isEmpty {
                    credential.signatureAlgorithms = c.signingPrefs.map { SignatureScheme(rawValue: UInt16(truncatingIfNeeded: $0)) }
                }
                config.clientCertificate = credential
            } catch {
                throw .unimplemented("client certificate \(cert) not usable: \(error)")
            }
        case (nil, nil):
            break
        default:
            throw .unimplemented("-cert-file and -key-file must come together")
        }
        if c.minVersion.map({ $0 > 0x0304 }) == true || c.maxVersion.map({ $0 < 0x0304 }) == true {
            throw .unimplemented("TLS 1.3 only: version range excludes TLS 1.3")
        }
        applyExtras(c, to: &config)
        return config
    }

    /// Runs connection `index`; returns the newest session received (for the next connection).
    private func runConnection(
        index: Int, session offered: TLSSession?, verifyResult: inout ShimVerifier.Result?
    ) throws(ShimOutcome) -> TLSSession? {
        let isResume = index > 0
        var c = flags.connection(index)
        var config = try Self.configuration(for: c)
        Self.applyClock(&config, flags: flags, index: index)
        // With -enable-early-data BoringSSL offers 0-RTT whenever it can; the library decides (and says why
        // not). Without -shim-writes-first nothing is written in it (the early_data extension alone).
        let earlyData: [UInt8]? = c.enableEarlyData ? (c.shimWritesFirst ? Self.initialWrite : []) : nil
        let verifier = ShimVerifier()
        verifier.install(
            in: &config, flags: c, retry: isResume ? flags.retry : nil,
            earlyDataOffered: earlyData != nil && offered?.allowsEarlyData == true)
        if isResume, c.enableEarlyData, c.shimWritesFirst, offered?.allowsEarlyData == true, c.exportKeyingMaterial > 0 {
            throw .unimplemented("exporting keys during 0-RTT: TLSConnection.connect returns after the handshake")
        }

        let runner: ShimRunnerSocket
        do throws(ShimFailure) {
            runner = try ShimRunnerSocket(port: flags.port, ipv6: flags.ipv6, shimID: flags.shimID)
        } catch {
            throw .failed(error.description)
        }
        defer { runner.finish(timeout: 5) }

        let connection: TLSConnection
        do {
            // TLS over the runner's socket itself (borrowed: `finish` ends and closes it).
            connection = try TLSConnection.connect(
                fileDescriptor: runner.fileDescriptor, ownership: .borrow, serverName: flags.ipv6 ? "::1" : "127.0.0.1",
                port: flags.port, configuration: config, session: offered, earlyData: earlyData)
        } catch {
            throw .failed(Self.describe(error, during: "handshake"))
        }
        defer { connection.abort() }
        let info = connection.sessionInfo
        if isResume, info.earlyData == .rejected {
            // BoringSSL retries at 1-RTT with the -on-retry- settings.
            var retry = flags.retry
            retry.expectRejectEarlyData = c.expectRejectEarlyData
            retry.expectAcceptEarlyData = c.expectAcceptEarlyData
            c = retry
        }
        try checkHandshake(connection, info: info, flags: c, isResume: isResume, offered: offered)
        verifyResult = try Self.checkVerification(verifier, flags: c, resumed: info.resumed, inherited: verifyResult)

        try Self.writeTrafficSecretsIfAsked(connection, flags: c)
        if Self.sendAlertIfAsked(connection, flags: c) { return nil }
        do throws(TLSError) {
            try exchange(connection, flags: c, earlyDataSent: earlyData != nil && info.earlyData == .accepted)
        } catch {
            throw .failed(Self.describe(error, during: "data exchange"))
        }
        let sessions = connection.receivedSessions
        if !c.shimShutsDown {
            let expectSession = !c.expectNoSession
            if expectSession != !sessions.isEmpty {
                throw .failed("new session was\(sessions.isEmpty ? " not" : "") cached, but we expected the opposite")
            }
            if let last = sessions.last, last.allowsEarlyData != c.expectTicketSupportsEarlyData {
                throw .failed("new session did\(last.allowsEarlyData ? "" : " not") support early data, but we expected the opposite")
            }
        }
        return sessions.last
    }

    private func checkHandshake(
        _ connection: TLSConnection, info: TLSSessionInfo, flags c: ConnectionFlags, isResume: Bool,
        offered: TLSSession?
    ) throws(ShimOutcome) {
        if c.expectHRR, !info.usedHelloRetryRequest { throw .failed("expected a HelloRetryRequest") }
        if c.expectNoHRR, info.usedHelloRetryRequest { throw .failed("unexpected HelloRetryRequest") }
        if let id = c.expectCurveID, info.group?.rawValue != UInt16(truncatingIfNeeded: id) {
            throw .failed("curve was \(info.group.map { "\($0.rawValue)" } ?? "none"), wanted \(id)")
        }
        if let id = c.expectPeerSignatureAlgorithm, !(isResume && info.resumed),
            info.signatureScheme?.rawValue != UInt16(truncatingIfNeeded: id)
        {
            throw .failed("peer signature algorithm was \(info.signatureScheme.map { "\($0.rawValue)" } ?? "none"), wanted \(id)")
        }
        if let id = c.expectCipher, info.cipherSuite.rawValue != UInt16(truncatingIfNeeded: id) {
            throw .failed("cipher was \(info.cipherSuite.rawValue), wanted \(id)")
        }
        if let alpn = c.expectALPN, (info.applicationProtocol ?? "") != alpn {
            throw .failed("ALPN was '\(info.applicationProtocol ?? "")', wanted '\(alpn)'")
        }
        if isResume {
            if c.expectSessionMiss, info.resumed { throw .failed("session unexpectedly resumed") }
            if !c.expectSessionMiss, offered != nil, !info.resumed { throw .failed("session was not resumed") }
            if c.expectAcceptEarlyData, info.earlyData != .accepted {
                throw .failed("early data was \(info.earlyData.rawValue), wanted accepted")
            }
            if c.expectRejectEarlyData, info.earlyData != .rejected {
                throw .failed("early data was \(info.earlyData.rawValue), wanted rejected")
            }
        }
        if let file = c.expectPeerCertFile {
            guard let pem = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw .failed("cannot read \(file)")
            }
            if Self.derCertificates(inPEM: pem) != info.peerCertificates {
                throw .failed("peer certificates do not match \(file)")
            }
        }
        try Self.checkExtras(info, flags: c)
    }

    /// The echo phase: optional first write, exported keys, then echo with every byte XOR 0xFF.
    private func exchange(_ connection: TLSConnection, flags c: ConnectionFlags, earlyDataSent: Bool) throws(TLSError) {
        if c.exportKeyingMaterial > 0 {
            let material = try connection.exportKeyingMaterial(
                label: c.exportLabel, context: Array(c.exportContext.utf8), length: c.exportKeyingMaterial)
            try connection.write(material)
        }
        if c.shimWritesFirst, !earlyDataSent {
            try connection.write(Self.initialWrite)
        }
        if c.shimShutsDown {
            if c.checkCloseNotify {
                try connection.closeWrite()
                while true {
                    let chunk = try Self.read(connection, flags: c)
                    if chunk.isEmpty { break }
                }
            }
            return
        }
        while true {
            let chunk: [UInt8]
            do throws(TLSError) {
                chunk = try Self.read(connection, flags: c)
            } catch {
                // bssl_shim stops on an unclean end too; only -check-close-notify insists on close_notify.
                if case .truncated = error, !c.checkCloseNotify { return }
                throw error
            }
            if chunk.isEmpty { break }
            if c.keyUpdate { try connection.updateKeys(requestPeerUpdate: false) }
            try connection.write(chunk.map { $0 ^ 0xFF })
        }
        if c.checkCloseNotify { try connection.closeWrite() }
    }

    /// DER certificates of a PEM file, in order.
    static func derCertificates(inPEM pem: String) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var body: String?
        for line in pem.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("-----BEGIN CERTIFICATE") {
                body = ""
            } else if line.hasPrefix("-----END CERTIFICATE") {
                if let b = body, let data = Data(base64Encoded: b) { result.append(Array(data)) }
                body = nil
            } else if body != nil {
                body! += line.trimmingCharacters(in: .whitespaces)
            }
        }
        return result
    }

    /// The line printed on stderr for a TLS failure: the step, then our own error text (which the
    /// config's `ErrorMap` matches against the runner's expected BoringSSL error codes).
    static func describe(_ error: TLSError, during step: String) -> String {
        "\(step) failed: \(error.description)"
    }
}
