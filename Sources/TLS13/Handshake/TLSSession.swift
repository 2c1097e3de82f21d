/// A resumable session: one ticket from a NewSessionTicket and the PSK it stands for (RFC 8446 §4.6.1).
///
/// Holds a secret (the resumption PSK): keep it like a key. ``serialized()`` writes it out in full, for
/// `--sess-out`-style use by a caller that asked for it explicitly.
public struct TLSSession: Sendable, Hashable {
    /// The opaque ticket the server issued.
    public let ticket: [UInt8]
    /// The cipher suite of the connection that received the ticket; the PSK may only be used with a suite
    /// of the same hash, and 0-RTT only with this exact suite.
    public let cipherSuite: CipherSuite
    /// Seconds the server allows the ticket to be used, already capped at 7 days.
    public let lifetime: UInt32
    /// Added to the ticket age to obfuscate it (§4.2.11.1).
    public let ageAdd: UInt32
    /// When the ticket was received, in milliseconds since 1970-01-01 UTC.
    public let receivedAtMilliseconds: Int64
    /// The most early data the server accepts with this ticket; 0 means no 0-RTT.
    public let maxEarlyDataSize: UInt32
    /// The ALPN protocol of the connection that received the ticket (0-RTT must use the same).
    public let applicationProtocol: String?
    /// The server name the ticket was issued for.
    public let serverName: String
    /// How the server's certificate was accepted in the handshake that issued the ticket.
    public let certificateVerification: CertificateVerification
    /// The server's certificate chain (DER, leaf first, as sent) in the handshake that issued the ticket. Before
    /// the session is offered again it is checked anew, under the new connection's configuration and at its time
    /// (trust roots, name, handler, validity, stapled OCSP response): a session whose chain would not be accepted
    /// now is not offered. Empty for a session read from an older file format (such a session is offered only
    /// when certificates are not verified).
    public let peerCertificates: [[UInt8]]
    /// Whether the handshake that issued the ticket asked for a stapled OCSP response (part of the policy the
    /// chain was verified under). A session verified without asking is not offered to a connection that asks:
    /// that connection's full handshake would see the server's staple, which the session never did.
    public let ocspStaplingRequested: Bool
    /// The OCSP response the server stapled in the handshake that issued the ticket, if any (reported again
    /// as ``TLSSessionInfo/ocspResponse`` when the session is resumed).
    public let ocspResponse: [UInt8]?
    /// The SignedCertificateTimestampList received in that handshake, if any (reported again as
    /// ``TLSSessionInfo/signedCertificateTimestamps`` when the session is resumed).
    public let signedCertificateTimestamps: [UInt8]?
    /// The resumption PSK.
    let psk: SecretBytes

    init(
        ticket: [UInt8], cipherSuite: CipherSuite, lifetime: UInt32, ageAdd: UInt32, receivedAtMilliseconds: Int64,
        maxEarlyDataSize: UInt32, applicationProtocol: String?, serverName: String,
        certificateVerification: CertificateVerification, peerCertificates: [[UInt8]],
        ocspStaplingRequested: Bool = true, psk: SecretBytes, ocspResponse: [UInt8]? = nil,
        signedCertificateTimestamps: [UInt8]? = nil
    ) {
        self.ticket = ticket
        self.cipherSuite = cipherSuite
        self.lifetime = min(lifetime, Self.maxLifetime)
        self.ageAdd = ageAdd
        self.receivedAtMilliseconds = receivedAtMilliseconds
        self.maxEarlyDataSize = maxEarlyDataSize
        self.applicationProtocol = applicationProtocol
        self.serverName = serverName
        self.certificateVerification = certificateVerification
        self.peerCertificates = peerCertificates
        self.ocspStaplingRequested = ocspStaplingRequested
        self.psk = psk
        self.ocspResponse = ocspResponse
        self.signedCertificateTimestamps = signedCertificateTimestamps
    }

    /// How the server's certificate was accepted in the handshake that issued a session.
    public enum CertificateVerification: UInt8, Sendable, Hashable {
        /// Not checked: ``TLSClientConfiguration/verifyCertificates`` was `false`. Such a session is never offered
        /// to a connection that verifies certificates.
        case notVerified = 0
        /// The library's verification accepted the chain and the name (and the application's handler, if there
        /// was one, agreed).
        case verified = 1
        /// The library's verification rejected the chain, and the application's
        /// ``TLSClientConfiguration/certificateVerificationHandler`` accepted it anyway (a pinned certificate, say).
        /// Such a session is offered only to a connection whose handler accepts the chain again.
        case acceptedByHandler = 2
    }

    /// Whether the server's certificate was verified, or accepted by the application's handler, in the handshake
    /// that issued the ticket.
    public var certificateVerified: Bool { certificateVerification != .notVerified }

    /// The longest ticket a client offers (32 KiB). RFC 8446 allows up to 2^16-1 bytes, but a ClientHello's extensions
    /// together must fit in 2^16-1 bytes too; real tickets are a few hundred bytes. A longer one is kept but not offered.
    public static let maxOfferedTicketLength = 1 << 15

    /// 7 days: the longest lifetime RFC 8446 allows (§4.6.1).
    public static let maxLifetime: UInt32 = 604_800

    /// Whether the ticket is still within its lifetime at `nowMilliseconds`.
    public func isValid(atMilliseconds nowMilliseconds: Int64) -> Bool {
        // Either time may come from a file or an injected clock: no overflow, whatever the values.
        let (age, overflow) = nowMilliseconds.subtractingReportingOverflow(receivedAtMilliseconds)
        return !overflow && age >= 0 && age < Int64(lifetime) * 1000
    }

    /// The obfuscated_ticket_age to send at `nowMilliseconds` (§4.2.11.1).
    func obfuscatedAge(atMilliseconds nowMilliseconds: Int64) -> UInt32 {
        let (difference, overflow) = nowMilliseconds.subtractingReportingOverflow(receivedAtMilliseconds)
        let age = UInt32(truncatingIfNeeded: overflow ? 0 : max(0, difference))
        return age &+ ageAdd
    }

    /// Whether 0-RTT data may be sent with this ticket.
    public var allowsEarlyData: Bool { maxEarlyDataSize > 0 }

    /// Whether two values are the same session: the same ticket, suite, server name, time of receipt and PSK (the
    /// PSK compared in constant time).
    public static func == (a: TLSSession, b: TLSSession) -> Bool {
        a.ticket == b.ticket && a.cipherSuite == b.cipherSuite && a.receivedAtMilliseconds == b.receivedAtMilliseconds
            && a.serverName == b.serverName && a.psk.constantTimeEquals(b.psk)
    }

    /// Hashes the ticket and the server name (never the PSK).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ticket)
        hasher.combine(serverName)
    }

    // MARK: - Serialization

    private static let magic: [UInt8] = Array("TLS13SESSION3".utf8)
    /// Format version 2: no certificate chain, and a verified flag instead of ``CertificateVerification`` (still
    /// read: such a session has no chain to check again, so it is offered only when certificates are not verified).
    private static let magicVersion2: [UInt8] = Array("TLS13SESSION2".utf8)
    /// Format version 1: version 2 without the stapled OCSP response and SCT list (still read, as version 2).
    private static let magicVersion1: [UInt8] = Array("TLS13SESSION1".utf8)
    /// The most certificates a saved chain may hold.
    static let maxSavedChainLength = 64

    /// The session as bytes (format version 3), PSK and certificate chain included. Store it only where a key
    /// could be stored.
    public func serialized() -> [UInt8] {
        // Every field is clipped to what its length prefix holds, so this cannot fail; if it ever did, the empty
        // result is not a session ``init(serialized:)`` accepts.
        (try? encoded()) ?? []
    }

    private func encoded() throws(EncodingError) -> [UInt8] {
        var w = ByteWriter(reservingCapacity: 128 + ticket.count)
        w.writeBytes(Self.magic)
        try w.writeVector(2, ticket)
        w.writeUInt16(cipherSuite.rawValue)
        w.writeUInt32(lifetime)
        w.writeUInt32(ageAdd)
        w.writeUInt32(UInt32(truncatingIfNeeded: UInt64(bitPattern: receivedAtMilliseconds) >> 32))
        w.writeUInt32(UInt32(truncatingIfNeeded: UInt64(bitPattern: receivedAtMilliseconds)))
        w.writeUInt32(maxEarlyDataSize)
        // Never longer than the length prefix allows: an ALPN name that was not valid UTF-8 decodes with
        // 3-byte replacement characters and can exceed 255 bytes (found by fuzzing). A clipped name no
        // longer matches any offered protocol, so such a session simply never sends 0-RTT data.
        try w.writeVector(1, Array((applicationProtocol ?? "").utf8.prefix(255)))
        try w.writeVector(2, Array(serverName.utf8.prefix(0xFFFF)))
        w.writeUInt8(certificateVerification.rawValue)
        try psk.withUnsafeBytes { (raw) throws(EncodingError) in try w.writeVector(1, raw) }
        // Version 2: presence byte, then the bytes (a stapled response is at most 2^24-1 bytes, a list 2^16-1).
        for (value, lengthBytes) in [(ocspResponse, 3), (signedCertificateTimestamps, 2)] {
            w.writeUInt8(value == nil ? 0 : 1)
            if let value { try w.writeVector(lengthBytes, Array(value.prefix((1 << (8 * lengthBytes)) - 1))) }
        }
        // Version 3: the chain, as a count and 3-byte-prefixed certificates. A chain that would not fit (it came in
        // one handshake message, so it cannot) is written empty: such a session is then never offered when
        // certificates are verified.
        let chain = peerCertificates.count <= Self.maxSavedChainLength
            && peerCertificates.allSatisfy { !$0.isEmpty && $0.count < 1 << 24 } ? peerCertificates : []
        w.writeUInt8(UInt8(chain.count))
        for certificate in chain { try w.writeVector(3, certificate) }
        w.writeUInt8(ocspStaplingRequested ? 1 : 0)  // policy flags: bit 0, OCSP stapling was requested
        return w.bytes
    }

    /// Reads a session written by ``serialized()`` (format version 3, or the older versions 1 and 2, whose sessions
    /// carry no certificate chain).
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` when the bytes are not a session.
    public init(serialized bytes: [UInt8]) throws(TLSError) {
        var r = ByteReader(bytes)
        do throws(TLSError) {
            let magic = try r.readBytes(Self.magic.count)
            guard magic == Self.magic || magic == Self.magicVersion2 || magic == Self.magicVersion1 else {
                throw TLSError.invalidConfiguration("not a saved TLS 1.3 session")
            }
            let ticket = try r.readVector(lengthBytes: 2, range: 1...0xFFFF)
            let suite = CipherSuite(rawValue: try r.readUInt16())
            let lifetime = try r.readUInt32()
            let ageAdd = try r.readUInt32()
            let high = UInt64(try r.readUInt32())
            let low = UInt64(try r.readUInt32())
            let received = Int64(bitPattern: high << 32 | low)
            let maxEarly = try r.readUInt32()
            let alpn = try r.readVector(lengthBytes: 1, range: 0...255)
            let name = try r.readVector(lengthBytes: 2, range: 0...0xFFFF)
            let verificationByte = try r.readUInt8()
            let verification: CertificateVerification
            if magic == Self.magic {
                guard let value = CertificateVerification(rawValue: verificationByte) else {
                    throw TLSError.invalidConfiguration("saved session has an unknown verification kind \(verificationByte)")
                }
                verification = value
            } else {
                verification = verificationByte == 1 ? .verified : .notVerified
            }
            var psk = try r.readVector(lengthBytes: 1, range: 32...48)
            defer { wipe(&psk) }
            var stapled: [[UInt8]?] = [nil, nil]
            if magic != Self.magicVersion1 {
                for (index, lengthBytes) in [3, 2].enumerated() {
                    guard try r.readUInt8() == 1 else { continue }
                    stapled[index] = try r.readVector(lengthBytes: lengthBytes, range: 0...(1 << (8 * lengthBytes)) - 1)
                }
            }
            var chain: [[UInt8]] = []
            var stapling = false  // unknown for versions 1 and 2 (and such a session has no chain to check anyway)
            if magic == Self.magic {
                let count = Int(try r.readUInt8())
                guard count <= Self.maxSavedChainLength else {
                    throw TLSError.invalidConfiguration("saved session has a chain of \(count) certificates")
                }
                for _ in 0..<count { chain.append(try r.readVector(lengthBytes: 3, range: 1...0xFF_FFFF)) }
                let flags = try r.readUInt8()
                guard flags & ~1 == 0 else { throw TLSError.invalidConfiguration("saved session has unknown policy flags") }
                stapling = flags & 1 == 1
            }
            try r.expectEmpty()
            guard String(validating: alpn, as: UTF8.self) != nil, String(validating: name, as: UTF8.self) != nil else {
                throw TLSError.invalidConfiguration("saved session has an ALPN or server name that is not UTF-8")
            }
            guard CipherSuiteParameters(suite)?.hash.length == psk.count else {
                throw TLSError.invalidConfiguration("saved session has an inconsistent suite and PSK")
            }
            self.init(
                ticket: ticket, cipherSuite: suite, lifetime: lifetime, ageAdd: ageAdd, receivedAtMilliseconds: received,
                maxEarlyDataSize: maxEarly, applicationProtocol: alpn.isEmpty ? nil : String(decoding: alpn, as: UTF8.self),
                serverName: String(decoding: name, as: UTF8.self), certificateVerification: verification,
                peerCertificates: chain, ocspStaplingRequested: stapling, psk: SecretBytes(psk), ocspResponse: stapled[0],
                signedCertificateTimestamps: stapled[1])
        } catch {
            if case .invalidConfiguration = error { throw error }
            throw TLSError.invalidConfiguration("saved session is malformed: \(error)")
        }
    }
}

/// Where sessions for resumption are kept between connections.
///
/// A cache is keyed by ``TLSSessionCacheKey``: the server name, the port and the trust settings, so a
/// session from an unverified (`--insecure`) connection never resumes a verified one.
public protocol TLSSessionCache: Sendable {
    /// Keeps `session` for later connections to `key`.
    func store(_ session: TLSSession, for key: TLSSessionCacheKey)
    /// Removes and returns the newest valid session for `key` at `nowMilliseconds`, if any (tickets are
    /// used once: RFC 8446 §C.4 recommends against reuse).
    func take(for key: TLSSessionCacheKey, atMilliseconds nowMilliseconds: Int64) -> TLSSession?
}

/// Identifies the server and trust context a session may be resumed with.
public struct TLSSessionCacheKey: Hashable, Sendable {
    /// The server name (SNI or IP literal).
    public var serverName: String
    /// The TCP port.
    public var port: UInt16
    /// Whether certificates were verified, and against what.
    public var verified: Bool
    /// The trust roots in force.
    public var trustRoots: TLSClientConfiguration.TrustRoots

    /// A key for `serverName` and `port` under the given trust setting.
    public init(serverName: String, port: UInt16, verified: Bool, trustRoots: TLSClientConfiguration.TrustRoots) {
        self.serverName = serverName
        self.port = port
        self.verified = verified
        self.trustRoots = trustRoots
    }
}
