import Foundation
@testable import TLS13

/// Accepts any chain: for traces whose certificates are not meant to validate (RFC 8448's RSA-1024 cert).
struct AcceptAnyCertificate: CertificateVerifier {
    func verify(chain: [[UInt8]], hostname: String?, ipAddress: String?, now: Int64) throws(TLSError) -> VerifiedPath {
        VerifiedPath(keyDigests: [])
    }
    func checkOCSPResponse(_ response: [UInt8], chain: [[UInt8]], now: Int64) throws(TLSError) -> OCSPCheckResult {
        OCSPCheckResult(status: .notChecked, thisUpdate: nil, nextUpdate: nil)
    }
}


/// A ClientHello builder for tests: the library's own layout (``StandardClientHelloBuilder``), then `replace` may
/// change it or put a recorded hello in its place (`isRetry` is `true` for the second ClientHello). The handshake reads
/// what was offered back from the hello returned, and binds its PSK, as it does for the standard builder's.
struct ReplacingClientHelloBuilder: ClientHelloBuilder {
    let replace: (inout ClientHello, _ isRetry: Bool) -> Void

    init(_ replace: @escaping (inout ClientHello, _ isRetry: Bool) -> Void) { self.replace = replace }

    func firstClientHello(_ content: ClientHelloContent) throws(TLSError) -> ClientHello {
        var hello = try StandardClientHelloBuilder().firstClientHello(content)
        replace(&hello, false)
        return hello
    }

    func secondClientHello(_ content: HelloRetryContent) throws(TLSError) -> ClientHello {
        var hello = try StandardClientHelloBuilder().secondClientHello(content)
        replace(&hello, true)
        return hello
    }
}

/// A signer that gives a fixed signature for one scheme (a recorded one: RFC 8448's client CertificateVerify is
/// randomized RSA-PSS made with a key the RFC does not publish) and signs with `key` otherwise.
struct RecordedSignatureSigner: TLSSigner {
    let key: PrivateKey
    let scheme: SignatureScheme
    let signature: [UInt8]

    var signatureSchemes: [SignatureScheme] { key.signatureSchemes }

    func sign(scheme: SignatureScheme, content: [UInt8]) throws(TLSError) -> [UInt8] {
        scheme == self.scheme ? signature : try key.sign(scheme: scheme, content: content)
    }
}

extension RFC8448Trace {
    /// Dependencies that reproduce this trace: its client key shares and a permissive chain check.
    /// `clockMilliseconds`, when given, is the client's millisecond clock (ticket receipt and ticket age).
    func clientDependencies(
        clockMilliseconds: Int64? = nil, clientHelloBuilder: any ClientHelloBuilder = StandardClientHelloBuilder()
    ) throws -> ClientStateMachine.Dependencies {
        let x25519 = values["client_x25519_private_key"].flatMap { try? [UInt8](hex: $0) }
        let p256 = values["client_p256_private_key"].flatMap { try? [UInt8](hex: $0) }
        var deps = ClientStateMachine.Dependencies(
            certificateVerifier: AcceptAnyCertificate(),
            makeKeyShare: { (group) throws(TLSError) in
                switch group {
                case .x25519: return try makeKeyShare(group: group, privateKey: x25519)
                case .secp256r1: return try makeKeyShare(group: group, privateKey: p256)
                default: return try makeKeyShare(group: group)
                }
            },
            clientHelloBuilder: clientHelloBuilder,
            now: 1_700_000_000)
        if let clockMilliseconds {
            deps.clockMilliseconds = { clockMilliseconds }
        }
        return deps
    }

    /// The trace's first ClientHello, parsed.
    func firstClientHello() throws -> ClientHello {
        let bytes = try self.bytes(values["client_hello_1"] != nil ? "client_hello_1" : "client_hello")
        guard case .clientHello(let hello) = try HandshakeMessage.decode(bytes) else {
            throw VectorError(description: "not a ClientHello")
        }
        return hello
    }

    /// The trace's second ClientHello (section 5), parsed.
    func secondClientHello() throws -> ClientHello? {
        guard values["client_hello_2"] != nil else { return nil }
        guard case .clientHello(let hello) = try HandshakeMessage.decode(try bytes("client_hello_2")) else {
            throw VectorError(description: "not a ClientHello")
        }
        return hello
    }

    /// A state machine that sends exactly this trace's ClientHello (and, with `replacingRetry`, its second one),
    /// made by a ``ReplacingClientHelloBuilder`` injected as the ClientHello builder.
    ///
    /// With `session`, the client offers it (and `earlyData`); with `ownPSKOffer` the trace's hello keeps the
    /// client's own pre_shared_key extension (ticket, obfuscated age from the clock, binder placeholder), so
    /// that the identity and the binder on the wire are the client's computation, not the trace's. `clientHello`,
    /// when given, replaces the hellos instead (it gets the library's own hello and whether it is the second).
    func makeClient(
        replacingRetry: Bool = true, configuration: TLSClientConfiguration? = nil, session: TLSSession? = nil,
        earlyData: [UInt8]? = nil, clockMilliseconds: Int64? = nil, ownPSKOffer: Bool = false,
        clientHello: ((inout ClientHello, _ isRetry: Bool) -> Void)? = nil, tracer: ((TLSEvent) -> Void)? = nil
    ) throws -> ClientStateMachine {
        var config = configuration ?? TLSClientConfiguration()
        if configuration == nil {
            config.supportedGroups = [.x25519, .secp256r1]
            config.keyShareGroups = [.x25519]  // the traces' ClientHellos send one x25519 share
        }
        let first = try firstClientHello()
        let second = replacingRetry ? try secondClientHello() : nil
        let builder = ReplacingClientHelloBuilder(clientHello ?? { hello, isRetry in
            if !isRetry {
                let own = hello.offeredPSKs
                hello = first
                if ownPSKOffer, let own, case .preSharedKey? = hello.extensions.last {
                    hello.extensions[hello.extensions.count - 1] = .preSharedKey(own)
                }
            } else if let second {
                hello = second
            }
        })
        var dependencies = try clientDependencies(clockMilliseconds: clockMilliseconds, clientHelloBuilder: builder)
        dependencies.tracer = tracer
        return try ClientStateMachine(
            configuration: config, identity: .none, dependencies: dependencies, session: session, earlyData: earlyData)
    }

    /// Drives the section 3 handshake (as `ClientRFC8448Tests.simpleOneRTTHandshakeOfSection3` does) through
    /// its NewSessionTicket and returns the session it yields, received at `receivedAtMilliseconds`.
    static func section3Session(receivedAtMilliseconds: Int64) throws -> TLSSession {
        let t = try RFC8448Trace.load("section3_simple_1rtt")
        let client = try t.makeClient(clockMilliseconds: receivedAtMilliseconds)
        func record(_ i: Int) throws -> ArraySlice<UInt8> { try [UInt8](hex: t.records[i].record)[...] }
        _ = try client.startHandshake()
        _ = try client.receive(try record(1))
        guard try client.receive(try record(2)) == [.handshakeComplete] else {
            throw VectorError(description: "section 3 handshake did not complete")
        }
        _ = try client.takePendingOutput()
        guard case .newSessionTicket(_, let session)? = try client.receive(try record(4)).first else {
            throw VectorError(description: "section 3 NewSessionTicket did not yield a session")
        }
        return session
    }
}

/// RFC 8448 section 2's RSA-1024 key (`section2_server_rsa_key.json`) as a PKCS#1 `RSA PRIVATE KEY` PEM,
/// DER-encoded here from its n/e/d/p/q/dP/dQ/qInv.
enum RFC8448RSAKey {
    struct File: Decodable { var values: [String: String] }

    static func pem() throws -> [UInt8] {
        let file = try JSONDecoderShim.decode(File.self, from: VectorPaths.load("rfc8448/section2_server_rsa_key.json"))
        let names = ["modulus", "public_exponent", "private_exponent", "prime1", "prime2", "exponent1", "exponent2", "coefficient"]
        var body = derInteger([0])
        for name in names {
            guard let hex = file.values[name] else { throw VectorError(description: "section 2 key has no \(name)") }
            body += derInteger(try [UInt8](hex: hex))
        }
        let der = [0x30] + derLength(body.count) + body
        let base64 = Data(der).base64EncodedString()
        var lines = ["-----BEGIN RSA PRIVATE KEY-----"]
        var rest = Substring(base64)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        lines.append("-----END RSA PRIVATE KEY-----")
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// A DER INTEGER from unsigned big-endian bytes (leading zeros dropped, a zero prepended if the top bit is set).
    private static func derInteger(_ magnitude: [UInt8]) -> [UInt8] {
        var v = Array(magnitude.drop { $0 == 0 })
        if v.isEmpty || v[0] & 0x80 != 0 { v.insert(0, at: 0) }
        return [0x02] + derLength(v.count) + v
    }

    private static func derLength(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        if n < 0x100 { return [0x81, UInt8(n)] }
        return [0x82, UInt8(n >> 8), UInt8(n & 0xff)]
    }
}
