import TLS13

/// The `name: value` lines that describe an established connection (stderr of `connect`, `get -v`, `demo`).
///
/// Always these keys in this order: protocol, cipher, group, signature, ALPN, resumed, early data, peer,
/// issuer, expires, verified, client certificate, OCSP, certificate compression, ECH, tcp connect, tls handshake.
///
/// A resumed connection carries no server certificate (the session's PSK authenticates the server): `peer`,
/// `issuer` and `expires` describe the session's saved certificate, which the library checked again before
/// offering the session, and `verified` says ``resumedVerified``. A session saved without its chain (by an older
/// version, or with `--insecure`) shows ``resumedNoCertificate`` there.
enum SessionSummary {
    /// The summary of `connection`.
    static func lines(for connection: TLSConnection) -> [String] {
        lines(info: connection.sessionInfo, certificate: connection.peerCertificate,
              verificationRequested: connection.configuration.verifyCertificates,
              tcpConnect: connection.tcpConnectDuration, handshake: connection.handshakeDuration)
    }

    static func lines(info: TLSSessionInfo, certificate: CertificateSummary?, verificationRequested: Bool,
                      tcpConnect: Duration, handshake: Duration) -> [String]
    {
        let verified: String
        if info.certificateVerified {
            verified = info.resumed ? resumedVerified : "yes"
        } else if !verificationRequested {
            verified = "no (--insecure)"
        } else {
            verified = "no"
        }
        let noCertificate = info.resumed && certificate == nil ? resumedNoCertificate : "none"
        return [
            "protocol: \(info.protocolVersion)",
            "cipher: \(info.cipherSuite)",
            "group: \(info.group?.displayName ?? "none")",
            "signature: \(info.signatureScheme.map { "\($0)" } ?? "none")",
            "ALPN: \(info.applicationProtocol ?? "none")",
            "resumed: \(info.resumed ? "yes" : "no")",
            "early data: \(info.earlyData.rawValue)",
            "peer: \(certificate?.subject ?? noCertificate)",
            "issuer: \(certificate?.issuer ?? noCertificate)",
            "expires: \(certificate?.notAfter ?? noCertificate)",
            "verified: \(verified)",
            // The library does not say whether the server asked for a certificate: "not sent" covers both.
            "client certificate: \(info.clientCertificateSent ? "sent" : info.clientCertificateRequested ? "not sent" : "not requested")",
            "OCSP: \(ocsp(info))",
            "certificate compression: \(compression(info))",
            "ECH: \(info.ech)",
            "tcp connect: \(milliseconds(tcpConnect))",
            "tls handshake: \(milliseconds(handshake))",
        ]
    }

    /// The `OCSP` value: `good (next update 2126-11-02T03:05:41Z)`, `unknown (…)`, `none`, `not requested`,
    /// `not verified`; a resumed connection (no certificate) says ``resumedNoCertificate``.
    static func ocsp(_ info: TLSSessionInfo) -> String {
        if info.resumed, info.ocspStatus == .none, info.peerCertificates.isEmpty { return resumedNoCertificate }
        guard let next = info.ocspStatus.nextUpdate else {
            switch info.ocspStatus {
            case .good, .unknown: return "\(info.ocspStatus.name) (no next update)"
            default: return info.ocspStatus.name
            }
        }
        return "\(info.ocspStatus.name) (next update \(isoDate(next)))"
    }

    /// `zstd (3810 → 1402 bytes)` when the server's Certificate came compressed, else `none`.
    static func compression(_ info: TLSSessionInfo) -> String {
        guard let c = info.certificateCompression else { return "none" }
        return "\(c.algorithm) (\(c.uncompressedLength) → \(c.compressedLength) bytes)"
    }

    /// `2126-11-02T03:05:41Z`.
    static func isoDate(_ seconds: Int64) -> String {
        Posix.isoDate(seconds)
    }

    /// `peer`, `issuer` and `expires` of a resumed connection.
    static let resumedNoCertificate = "(resumed, no certificate)"
    /// `verified` of a resumed connection whose session's chain passed the checks again.
    static let resumedVerified = "yes (resumed: the session's certificate, checked again now)"

    /// Two significant digits below 10 ms (`0.21 ms`, `1.9 ms`), whole milliseconds above.
    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let ms = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        if ms < 1 { return fixed(ms, 2) + " ms" }
        if ms < 10 { return fixed(ms, 1) + " ms" }
        return fixed(ms, 0) + " ms"
    }

    /// Prints the summary to stderr.
    static func print(_ connection: TLSConnection) {
        StandardStreams.printError(lines(for: connection).joined(separator: "\n"))
    }
}
