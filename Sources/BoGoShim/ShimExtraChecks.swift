import Foundation
import Glibc
import TLS13

/// Configuration and checks for the flags of ``ExtraConnectionFlags``.
extension ShimTest {
    /// Applies the extra flags to a connection's configuration (after the original ones).
    static func applyExtras(_ c: ConnectionFlags, to config: inout TLSClientConfiguration) {
        // BoringSSL asks for neither unless told to (SSL_enable_ocsp_stapling, SSL_enable_signed_cert_timestamps).
        config.requestOCSPStapling = c.extra.enableOCSPStapling
        config.requestSignedCertificateTimestamps = c.extra.enableSignedCertTimestamps
        if c.extra.enableGREASE { config.grease = true }

        config.permuteExtensions = c.extra.permuteExtensions
        if c.extra.failCertCallback { config.clientCertificate = failingCertificate }
        // BoringSSL offers certificate compression only with algorithms installed; the shim's are the runner's.
        config.certificateDecompressors = c.extra.installCertCompressionAlgs ? certificateDecompressors : []
        // ECH as BoringSSL does it: GREASE only when asked, ALPN the same in the outer hello (compressed).
        config.echConfigList = c.extra.echConfigList
        config.echGREASE = c.extra.enableECHGREASE
        config.echOuterApplicationProtocols = config.applicationProtocols
        if let psk = c.extra.psk {
            // bssl_shim's PSK callback: the flag's bytes as the key, -psk-identity as the identity.
            config.externalPSK = TLSExternalPSK(
                identity: Array((c.extra.pskIdentity ?? "").utf8), key: Array(psk.utf8), allowsCertificateFallback: true)
        }
        if c.extra.exportTrafficSecrets {
            let log = ShimKeyLog.shared
            config.keyLog = { line in log.add(line) }
        }
        if c.extra.useOCSPCallback {
            // bssl_shim's client callback only returns !fail_ocsp_callback (staple or not).
            let accept = !c.extra.failOCSPCallback
            config.ocspResponseCheck = { _, _ in accept }
        }
        // BoringSSL's max_cert_list bounds the handshake messages it accepts (a certificate chain among them).
        c.extra.policy?.apply(to: &config)
    }

    /// `-fail-cert-callback`: bssl_shim's client-certificate callback fails when the server asks for a certificate.
    /// The library's equivalent of that application code is the certificate's ``TLSSigner``, called when the server
    /// asks: one that fails, on a stand-in self-signed P-256 certificate (never sent: the handshake ends at the
    /// signature, with internal_error, before the client's flight goes out).
    static let failingCertificate: TLSClientCertificate? = {
        struct FailingSigner: TLSSigner {
            let signatureSchemes: [SignatureScheme] = [.ecdsaSecp256r1SHA256]
            func sign(scheme: SignatureScheme, content: [UInt8]) throws(TLSError) -> [UInt8] {
                throw .internalError("the client certificate callback failed (-fail-cert-callback)")
            }
        }
        let der = Data(base64Encoded: "MIIBrTCCAVOgAwIBAgIUOJqjeeIzkwNyXYbg2IiPYHh4VsEwCgYIKoZIzj0EAwIwKzEpMCcGA1UEAwwgdGxzMTMtYm9nby1zaGltLWZhaWxpbmctY2FsbGJhY2swIBcNMjYxMjAzMTg1MTA0WhgPMjEyNjExMDkxODUxMDRaMCsxKTAnBgNVBAMMIHRsczEzLWJvZ28tc2hpbS1mYWlsaW5nLWNhbGxiYWNrMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEGgV6jWux3STGHp6lKQ1TAURBE1ORelFm2d6Ihsh2VDrUaNVOLUC6wu2SJ+Z22fRXC3yMUTRqVFinl8dTsKNtwaNTMFEwHQYDVR0OBBYEFImvbeCEQ5RO+mppdLmUKeWFn5fqMB8GA1UdIwQYMBaAFImvbeCEQ5RO+mppdLmUKeWFn5fqMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAKrlesZWHElNHUXG5MHXEJ3/dhS2slnNVEQvQ5iKH1zGAiBPN5tKbb2czwWoAVA53gZ23cabymGk+XgKoWLSdbyfNA==").map { Array($0) } ?? []
        return try? TLSClientCertificate(certificateChain: [der], signer: FailingSigner())
    }()

    /// bssl_shim's test algorithms (`-install-cert-compression-algs`), as the runner's `CertCompressionAlg`s define
    /// them: 0xff01 "shrinking" drops the Certificate's first two bytes (`00 00`), 0xff02 "expanding" prepends
    /// `01 02 03 04`, 0xff03 "random" prepends one random byte. Each decompressor checks the length as BoringSSL's do.
    static let certificateDecompressors: [TLSCertificateDecompressor] = [
        TLSCertificateDecompressor(algorithm: CertificateCompressionAlgorithm(rawValue: 0xff02)) { data, length in
            guard data.count == length + 4, data.starts(with: [1, 2, 3, 4]) else { return nil }
            return Array(data.dropFirst(4))
        },
        TLSCertificateDecompressor(algorithm: CertificateCompressionAlgorithm(rawValue: 0xff01)) { data, length in
            guard length == data.count + 2 else { return nil }
            return [0, 0] + data
        },
        TLSCertificateDecompressor(algorithm: CertificateCompressionAlgorithm(rawValue: 0xff03)) { data, length in
            guard data.count == length + 1 else { return nil }
            return Array(data.dropFirst())
        },
    ]

    /// `-resumption-delay`: bssl_shim runs on a fake clock that stands still and moves forward only by the
    /// delay before each resumption, so the ticket age is exactly the delay; so does this one (through
    /// ``TLSClientConfiguration/wallClockMilliseconds``): the shim's start time plus `index × delay` seconds.
    static func applyClock(_ config: inout TLSClientConfiguration, flags: ShimFlags, index: Int) {
        let delay = Int64(flags.resume.extra.resumptionDelay)
        guard delay != 0 else { return }
        let now = startTime + Int64(index) * delay * 1000
        config.wallClockMilliseconds = { now }
    }

    /// When the shim started (milliseconds since 1970), the base of the fake clock.
    static let startTime: Int64 = {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }()

    /// `-export-traffic-secrets`: as bssl_shim writes `SSL_get_traffic_secrets`: a 2-byte length (host order),
    /// the read (server) secret, the write (client) secret — here taken from the library's key log.
    static func writeTrafficSecretsIfAsked(_ connection: TLSConnection, flags c: ConnectionFlags) throws(ShimOutcome) {
        guard c.extra.exportTrafficSecrets else { return }
        guard let read = ShimKeyLog.shared.secret("SERVER_TRAFFIC_SECRET_0"),
            let write = ShimKeyLog.shared.secret("CLIENT_TRAFFIC_SECRET_0"), read.count == write.count
        else {
            throw .failed("failed to export traffic secrets: not in the key log")
        }
        let length = UInt16(read.count)
        do throws(TLSError) {
            try connection.write([UInt8(length & 0xff), UInt8(length >> 8)] + read + write)
        } catch {
            throw .failed("writing traffic secrets failed: \(error)")
        }
    }

    /// `-send-alert`: a fatal decompression_failure alert through the public API, then the test ends.
    static func sendAlertIfAsked(_ connection: TLSConnection, flags c: ConnectionFlags) -> Bool {
        guard c.extra.sendAlert else { return false }
        connection.abort(sending: AlertDescription(rawValue: 30))
        return true
    }

    /// One read of the echo loop; with `-peek-then-read`, peek twice and read, all three the same bytes.
    static func read(_ connection: TLSConnection, flags c: ConnectionFlags) throws(TLSError) -> [UInt8] {
        guard c.extra.peekThenRead else { return try connection.read(maxCount: c.readSize) }
        let peeked = try connection.peek(maxCount: c.readSize)
        if peeked.isEmpty { return try connection.read(maxCount: c.readSize) }
        let again = try connection.peek(maxCount: peeked.count)
        let read = try connection.read(maxCount: peeked.count)
        guard again == peeked, read == peeked else {
            throw TLSError.internalError("peek and read did not return the same bytes")
        }
        return read
    }

    /// Checks the extra expectations after the handshake (`CheckAuthProperties`, `CheckHandshakeProperties`).
    static func checkExtras(_ info: TLSSessionInfo, flags c: ConnectionFlags) throws(ShimOutcome) {
        if let expected = c.extra.expectOCSPResponse, info.ocspResponse != expected {
            throw .failed("OCSP response mismatch: got \(info.ocspResponse.map { "\($0.count) bytes" } ?? "none")")
        }
        if let expected = c.extra.expectSignedCertTimestamps, info.signedCertificateTimestamps != expected {
            throw .failed("SCT list mismatch: got \(info.signedCertificateTimestamps.map { "\($0.count) bytes" } ?? "none")")
        }
        if let expected = c.extra.expectEarlyDataReason, boringSSLName(info.earlyDataReason) != expected {
            throw .failed(
                "Early data reason was \"\(boringSSLName(info.earlyDataReason))\" (\(info.earlyDataReason.rawValue)), expected \"\(expected)\"")
        }
        if let id = c.extra.expectCipherAES, info.cipherSuite.rawValue != UInt16(truncatingIfNeeded: id) {
            throw .failed("cipher was \(info.cipherSuite.rawValue), wanted \(id)")
        }
        if !c.extra.expectPeerVerifyPrefs.isEmpty,
            info.certificateRequestSignatureAlgorithms.map({ Int($0.rawValue) }) != c.extra.expectPeerVerifyPrefs
        {
            throw .failed("peer verify prefs were \(info.certificateRequestSignatureAlgorithms.map(\.rawValue))")
        }
        if let names = c.extra.expectClientCAList, info.certificateRequestAuthorities != names {
            throw .failed("expected \(names.count) names in CertificateRequest but got \(info.certificateRequestAuthorities.count) (or they differ)")
        }
        var echAccepted = false
        if case .accepted = info.ech { echAccepted = true }
        if echAccepted != c.extra.expectECHAccept {
            throw .failed("ECH was\(echAccepted ? "" : " not") accepted (\(info.ech)), but we expected the opposite")
        }
        if c.expectNoOfferEarlyData, info.earlyData != .notSent {
            throw .failed("early data was offered (\(info.earlyData.rawValue)), but we expected it not to be")
        }
    }

    /// A rejected ECH offer (the handshake failed with ech_required): the retry configs against
    /// `-expect-ech-retry-configs` / `-expect-no-ech-retry-configs`; `nil` when they match, else why not.
    static func retryConfigsMismatch(_ error: TLSError, flags c: ConnectionFlags) -> String? {
        guard case .echRejected(_, let retry) = error else { return nil }
        if let expected = c.extra.expectECHRetryConfigs, retry != expected {
            return "ECH retry configs mismatch: got \(retry.map { "\($0.count) bytes" } ?? "none")"
        }
        if c.extra.expectNoECHRetryConfigs, retry != nil { return "got ECH retry configs, expected none" }
        return nil
    }

    /// BoringSSL's `SSL_early_data_reason_string` for a reason.
    static func boringSSLName(_ reason: TLSEarlyDataReason) -> String {
        switch reason {
        case .notRequested: "disabled"
        case .noSession: "no_session_offered"
        case .sessionDoesNotAllowEarlyData, .cipherSuiteNotOffered: "unsupported_for_session"
        case .applicationProtocolMismatch: "alpn_mismatch"
        case .accepted: "accept"
        case .helloRetryRequest: "hello_retry_request"
        case .sessionNotResumed: "session_not_resumed"
        case .declinedByServer: "peer_declined"
        case .echRejected: "ech_rejected"
        }
    }
}

/// bssl_shim's message callback (`SSL_set_msg_callback`), from the library's trace events: one line per handshake
/// message (`write hs 1`, `read hs 2`, with its handshake type), the ClientHelloInner of an ECH offer
/// (`write clienthelloinner`, traced before the ClientHelloOuter that carries it), and each change_cipher_spec
/// (`write ccs`); `-expect-msg-callback` compares them at the end of the connection.
final class ShimMessageLog: @unchecked Sendable {
    // @unchecked Sendable: `lines` is guarded by `lock`.
    private let lock = NSLock()
    private var lines: [String] = []

    /// The handshake type of each message name the trace uses.
    static let types: [String: Int] = [
        "ClientHello": 1, "ClientHelloOuter": 1, "ServerHello": 2, "HelloRetryRequest": 2, "NewSessionTicket": 4,
        "EndOfEarlyData": 5, "EncryptedExtensions": 8, "Certificate": 11, "CertificateRequest": 13,
        "CertificateVerify": 15, "Finished": 20, "KeyUpdate": 24, "CompressedCertificate": 25,
    ]

    func record(_ event: TLSEvent) {
        var line: String?
        switch event {
        case .handshakeMessage(let m):
            let direction = m.direction == .sent ? "write" : "read"
            if m.name == "ClientHelloInner" {
                line = "\(direction) clienthelloinner"
            } else if let type = Self.types[m.name] {
                line = "\(direction) hs \(type)"
            }
        case .record(let r) where r.outerContentType == 20 && r.direction == .sent:
            line = "write ccs"  // (bssl_shim's callback does not report the peer's, which BoringSSL drops)
        default:
            break
        }
        guard let line else { return }
        lock.withLock { lines.append(line) }
    }

    /// What was seen, as `-expect-msg-callback` spells it (a line each, newline-terminated).
    var text: String { lock.withLock { lines.map { $0 + "\n" }.joined() } }
}

/// The key log lines of the current connection (the shim runs one connection at a time).
final class ShimKeyLog: @unchecked Sendable {
    // @unchecked Sendable: `lines` is guarded by `lock`.
    static let shared = ShimKeyLog()
    private let lock = NSLock()
    private var lines: [String] = []

    func add(_ line: String) {
        lock.lock()
        lines.append(line)
        lock.unlock()
    }

    /// The secret of the newest line with `label`.
    func secret(_ label: String) -> [UInt8]? {
        lock.lock()
        defer { lock.unlock() }
        guard let line = lines.last(where: { $0.hasPrefix(label + " ") }) else { return nil }
        let fields = line.split(separator: " ")
        guard fields.count == 3 else { return nil }
        return ExtraConnectionFlags.hex(String(fields[2]))
    }
}
