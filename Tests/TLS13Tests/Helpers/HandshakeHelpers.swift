@testable import TLS13

/// Accepts any chain: for traces whose certificates are not meant to validate (RFC 8448's RSA-1024 cert).
struct AcceptAnyCertificate: CertificateVerifier {
    func verify(chain: [[UInt8]], hostname: String?, ipAddress: String?, now: Int64) throws(TLSError) {}
}


extension RFC8448Trace {
    /// Dependencies that reproduce this trace: its client key shares and a permissive chain check.
    func clientDependencies() throws -> ClientStateMachine.Dependencies {
        let x25519 = values["client_x25519_private_key"].flatMap { try? [UInt8](hex: $0) }
        let p256 = values["client_p256_private_key"].flatMap { try? [UInt8](hex: $0) }
        return ClientStateMachine.Dependencies(
            certificateVerifier: AcceptAnyCertificate(),
            makeKeyShare: { (group) throws(TLSError) in
                switch group {
                case .x25519: return try makeKeyShare(group: group, privateKey: x25519)
                case .secp256r1: return try makeKeyShare(group: group, privateKey: p256)
                default: return try makeKeyShare(group: group)
                }
            },
            now: 1_700_000_000)
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

    /// A state machine that sends exactly this trace's ClientHello (and, with `retry`, its second one).
    func makeClient(replacingRetry: Bool = true) throws -> ClientStateMachine {
        var config = TLSClientConfiguration()
        config.supportedGroups = [.x25519, .secp256r1]
        let client = try ClientStateMachine(configuration: config, identity: .none, dependencies: clientDependencies())
        let first = try firstClientHello()
        let second = replacingRetry ? try secondClientHello() : nil
        client.clientHelloOverride = { hello, isRetry in
            if !isRetry {
                hello = first
            } else if let second {
                hello = second
            }
        }
        return client
    }
}
