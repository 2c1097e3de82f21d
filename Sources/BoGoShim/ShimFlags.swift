/// The command line of one BoGo test, parsed the way BoringSSL's `test_config.cc` does.
///
/// Flags apply to every connection of the test unless prefixed: `-on-initial-FLAG` applies only to the
/// first connection, `-on-resume-FLAG` only to the resuming ones, `-on-retry-FLAG` only to a resuming
/// connection after the server rejected its early data. Vector flags (`-curves 29 -curves 23`) append.
struct ShimFlags: Equatable {
    /// The runner's TCP port.
    var port: UInt16 = 0
    /// The id written, as 8 bytes little-endian, at the start of each connection.
    var shimID: UInt64 = 0
    /// Connect to `::1` rather than `127.0.0.1`.
    var ipv6 = false
    /// How many resuming connections follow the first.
    var resumeCount = 0
    /// Settings of the first connection.
    var initial = ConnectionFlags()
    /// Settings of the resuming connections.
    var resume = ConnectionFlags()
    /// Settings checked on a resuming connection whose early data the server rejected.
    var retry = ConnectionFlags()

    /// The settings for connection `index` (0 is the first; later ones resume).
    func connection(_ index: Int) -> ConnectionFlags { index == 0 ? initial : resume }
}

/// The settings of one connection of a test.
struct ConnectionFlags: Equatable {
    var hostName: String?
    var curves: [Int] = []
    var verifyPrefs: [Int] = []
    var signingPrefs: [Int] = []
    var expectCurveID: Int?
    var expectPeerSignatureAlgorithm: Int?
    var expectHRR = false
    var expectNoHRR = false
    /// ALPN protocols, decoded from the flag's wire format (length-prefixed names).
    var advertiseALPN: [String] = []
    var expectALPN: String?
    var certFile: String?
    var keyFile: String?
    var trustCert: String?
    var verifyPeer = false
    var enableEarlyData = false
    var expectTicketSupportsEarlyData = false
    var expectAcceptEarlyData = false
    var expectRejectEarlyData = false
    var expectNoOfferEarlyData = false
    var exportKeyingMaterial = 0
    var exportLabel = ""
    var exportContext = ""
    var useExportContext = false
    var shimWritesFirst = false
    var shimShutsDown = false
    var checkCloseNotify = false
    var minVersion: Int?
    var maxVersion: Int?
    var expectVersion: Int?
    var expectCipher: Int?
    var expectSessionMiss = false
    var expectNoSession = false
    var keyUpdate = false
    var implicitHandshake = false
    var readSize = 512
    var expectPeerCertFile: String?
    /// bssl_shim's verify callback fails (see ShimVerify.swift).
    var verifyFail = false
    var reverifyOnResume = false
    var useCustomVerifyCallback = false
    var expectVerifyResult = false
    /// The client certificate comes from a callback when the server asks: the same as -cert-file/-key-file here.
    var useOldClientCertCallback = false
    /// `-max-cert-list`: the largest handshake message (BoringSSL: the certificate list) accepted.
    var maxCertList: Int?
    /// The flags of `ShimExtraFlags.swift`.
    var extra = ExtraConnectionFlags()
}

/// What the command line asks of the shim.
enum ShimCommand: Equatable {
    /// Run the test.
    case run(ShimFlags)
    /// `-is-handshaker-supported`: print `No`.
    case handshakerProbe
    /// A flag or value this shim does not implement: print the reason, exit 89.
    case unimplemented(String)
    /// A malformed command line: print the reason on stderr, exit 1.
    case invalid(String)
}

extension ShimFlags {
    /// The kinds of flag values, as in `test_config.cc`.
    enum Kind {
        case bool, int, string, intVector
    }

    /// Flags whose value would change nothing for a TLS 1.3 client built on this library, so they are
    /// accepted and ignored; each with why.
    static let ignored: [String: (Kind, String)] = [
        "-async": (.bool, "our I/O is blocking; the handshake outcome does not depend on it"),
        "-no-tls12": (.bool, "we only speak TLS 1.3"),
        "-no-tls11": (.bool, "we only speak TLS 1.3"),
        "-no-tls1": (.bool, "we only speak TLS 1.3"),
        "-cipher": (.string, "BoringSSL cipher strings configure TLS 1.2 suites only"),
        "-write-settings": (.string, "transcripts for the handshaker; not used"),
        "-expect-extended-master-secret": (.bool, "TLS 1.2 only; TLS 1.3 always has it"),
        "-expect-no-session-id": (.bool, "TLS 1.2 session ids"),
        "-expect-secure-renegotiation": (.bool, "TLS 1.2 only"),
        "-expect-no-secure-renegotiation": (.bool, "TLS 1.2 only"),
        "-renegotiate-freely": (.bool, "no renegotiation in TLS 1.3"),
        "-renegotiate-once": (.bool, "no renegotiation in TLS 1.3"),
        "-renegotiate-ignore": (.bool, "no renegotiation in TLS 1.3"),
        "-forbid-renegotiation-after-handshake": (.bool, "no renegotiation in TLS 1.3"),
        "-ignore-rsa-key-usage": (.bool, "TLS 1.2 RSA key exchange only"),
        "-select-next-proto": (.string, "NPN is TLS 1.2 only: a TLS 1.3 client never offers it (and rejects it unsolicited)"),
        "-srtp-profiles": (.string, "DTLS-SRTP is not defined for TLS: there is nothing to offer"),
        "-no-op-extra-handshake": (.bool, "there is no second handshake call: TLSConnection.connect returns after the one handshake"),
    ]

    /// Parses the arguments after the program name.
    static func parse(_ arguments: [String]) -> ShimCommand {
        if arguments.contains("-is-handshaker-supported") { return .handshakerProbe }
        var flags = ShimFlags()
        var index = 0
        while index < arguments.count {
            let arg = arguments[index]
            index += 1
            var name = arg
            var targets: [WritableKeyPath<ShimFlags, ConnectionFlags>] = [\.initial, \.resume, \.retry]
            for (prefix, target) in [("-on-initial-", \ShimFlags.initial), ("-on-resume-", \.resume), ("-on-retry-", \.retry)]
            where name.hasPrefix(prefix) {
                name = "-" + name.dropFirst(prefix.count)
                targets = [target]
            }
            if name.hasPrefix("-on-shim-") { name = "-" + name.dropFirst("-on-shim-".count) }
            guard let kind = kind(of: name) else {
                return .unimplemented("unimplemented flag \(arg)")
            }
            var value: String?
            if kind != .bool {
                guard index < arguments.count else { return .invalid("missing value for \(arg)") }
                value = arguments[index]
                index += 1
            }
            if let reason = unimplementedReason(name, value: value) { return .unimplemented(reason) }
            if ignored[name] != nil { continue }
            switch name {
            case "-port":
                guard let v = value.flatMap({ UInt16($0) }) else { return .invalid("bad value for -port") }
                flags.port = v
            case "-shim-id":
                guard let v = value.flatMap({ UInt64($0) }) else { return .invalid("bad value for -shim-id") }
                flags.shimID = v
            case "-ipv6": flags.ipv6 = true
            case "-resume-count":
                guard let v = value.flatMap({ Int($0) }), v >= 0 else { return .invalid("bad value for -resume-count") }
                flags.resumeCount = v
            default:
                for target in targets {
                    if let error = flags[keyPath: target].apply(name, kind: kind, value: value) {
                        return .invalid(error)
                    }
                }
            }
        }
        return .run(flags)
    }

    /// The kind of a flag this shim knows (implemented, ignored, or explicitly unimplemented), or `nil`.
    static func kind(of name: String) -> Kind? {
        if let (kind, _) = ignored[name] { return kind }
        if let kind = ExtraConnectionFlags.kinds[name] { return kind }
        switch name {
        case "-port", "-shim-id", "-resume-count", "-expect-curve-id", "-expect-peer-signature-algorithm",
            "-export-keying-material", "-min-version", "-max-version", "-expect-version", "-expect-cipher",
            "-read-size", "-max-cert-list":
            return .int
        case "-curves", "-verify-prefs", "-signing-prefs":
            return .intVector
        case "-host-name", "-advertise-alpn", "-expect-alpn", "-cert-file", "-key-file", "-trust-cert",
            "-export-label", "-export-context", "-expect-peer-cert-file":
            return .string
        case "-ipv6", "-verify-peer", "-expect-hrr", "-expect-no-hrr", "-enable-early-data",
            "-expect-ticket-supports-early-data", "-expect-accept-early-data", "-expect-reject-early-data",
            "-expect-no-offer-early-data", "-use-export-context", "-shim-writes-first", "-shim-shuts-down",
            "-check-close-notify", "-expect-session-miss", "-expect-no-session", "-key-update",
            "-implicit-handshake", "-verify-fail", "-reverify-on-resume", "-use-custom-verify-callback",
            "-expect-verify-result", "-use-old-client-cert-callback":
            return .bool
        case "-server", "-dtls", "-quic", "-no-tls13":
            return .bool
        default:
            return nil
        }
    }

    /// Why a known flag (with this value) cannot be honoured, or `nil`.
    static func unimplementedReason(_ name: String, value: String?) -> String? {
        switch name {
        case "-server": return "client only: -server is not implemented"
        case "-dtls": return "DTLS is not implemented"
        case "-quic": return "QUIC is not implemented"
        case "-no-tls13": return "TLS 1.3 only: -no-tls13 leaves nothing to negotiate"
        case "-max-version":
            if let v = value.flatMap({ Int($0) }), v < 0x0304 { return "TLS 1.3 only: -max-version \(v) (TLS 1.2 and below)" }
        case "-min-version":
            if let v = value.flatMap({ Int($0) }), v > 0x0304 { return "unknown version: -min-version \(v)" }
        case "-expect-version":
            if let v = value.flatMap({ Int($0) }), v != 0x0304 { return "TLS 1.3 only: -expect-version \(v)" }
        default: break
        }
        return nil
    }
}

extension ConnectionFlags {
    /// Applies one flag (already stripped of its prefix). Returns an error message for a bad value.
    mutating func apply(_ name: String, kind: ShimFlags.Kind, value: String?) -> String? {
        func int() -> Int? { value.flatMap { Int($0) } }
        switch kind {
        case .int, .intVector:
            guard int() != nil else { return "bad value for \(name): \(value ?? "")" }
        case .bool, .string:
            break
        }
        let string = value ?? ""
        switch name {
        case "-host-name": hostName = string
        case "-curves": curves.append(int() ?? 0)
        case "-verify-prefs": verifyPrefs.append(int() ?? 0)
        case "-signing-prefs": signingPrefs.append(int() ?? 0)
        case "-expect-curve-id": expectCurveID = int()
        case "-expect-peer-signature-algorithm": expectPeerSignatureAlgorithm = int()
        case "-expect-hrr": expectHRR = true
        case "-expect-no-hrr": expectNoHRR = true
        case "-advertise-alpn":
            guard let list = Self.decodeALPN(string) else { return "bad value for -advertise-alpn" }
            advertiseALPN = list
        case "-expect-alpn": expectALPN = string
        case "-cert-file": certFile = string
        case "-key-file": keyFile = string
        case "-trust-cert": trustCert = string
        case "-verify-peer": verifyPeer = true
        case "-enable-early-data": enableEarlyData = true
        case "-expect-ticket-supports-early-data": expectTicketSupportsEarlyData = true
        case "-expect-accept-early-data": expectAcceptEarlyData = true
        case "-expect-reject-early-data": expectRejectEarlyData = true
        case "-expect-no-offer-early-data": expectNoOfferEarlyData = true
        case "-export-keying-material": exportKeyingMaterial = int() ?? 0
        case "-export-label": exportLabel = string
        case "-export-context": exportContext = string
        case "-use-export-context": useExportContext = true
        case "-shim-writes-first": shimWritesFirst = true
        case "-shim-shuts-down": shimShutsDown = true
        case "-check-close-notify": checkCloseNotify = true
        case "-min-version": minVersion = int()
        case "-max-version": maxVersion = int()
        case "-expect-version": expectVersion = int()
        case "-expect-cipher": expectCipher = int()
        case "-expect-session-miss": expectSessionMiss = true
        case "-expect-no-session": expectNoSession = true
        case "-key-update": keyUpdate = true
        case "-implicit-handshake": implicitHandshake = true
        case "-read-size":
            guard let n = int(), n > 0 else { return "bad value for -read-size" }
            readSize = n
        case "-max-cert-list": maxCertList = int()
        case "-expect-peer-cert-file": expectPeerCertFile = string
        case "-verify-fail": verifyFail = true
        case "-reverify-on-resume": reverifyOnResume = true
        case "-use-custom-verify-callback": useCustomVerifyCallback = true
        case "-expect-verify-result": expectVerifyResult = true
        case "-use-old-client-cert-callback": useOldClientCertCallback = true
        default:
            if let result = extra.apply(name, value: value) { return result }
            return "flag \(name) has no setting"
        }
        return nil
    }

    /// Decodes ALPN's wire format (`\u{3}foo\u{3}bar`) into names; `nil` if a length overruns.
    static func decodeALPN(_ text: String) -> [String]? {
        let bytes = Array(text.utf8)
        var names: [String] = []
        var i = 0
        while i < bytes.count {
            let n = Int(bytes[i])
            guard n > 0, i + 1 + n <= bytes.count else { return nil }
            names.append(String(decoding: bytes[(i + 1)..<(i + 1 + n)], as: UTF8.self))
            i += 1 + n
        }
        return names
    }
}
