#if TLS13_FUZZING
/// Fuzzing builds only: one record of a server flight for ``_fuzzBuildClientInput(config:chunk:actions:flight:)``.
public enum _FuzzServerRecord: Sendable {
    /// A plaintext handshake record. A ServerHello or HelloRetryRequest in it is given the fuzzing client's
    /// legacy_session_id as its echo, so recorded flights (RFC 8448, `openssl s_server`) fit the client.
    case plaintextHandshake([UInt8])
    /// A protected record as a fuzz build writes it: `application_data`, body = content ‖ type ‖ tag, with the
    /// tag length of the suite of the last ServerHello before it (``FuzzNullAEAD``).
    case protected(contentType: UInt8, content: [UInt8])
    /// Bytes sent as they are (e.g. a change_cipher_spec record).
    case raw([UInt8])
}

/// Fuzzing builds only: builds a client-target input (options then server bytes) from a flight, with the
/// server Finished fixed for the fuzzing client, and runs it. Returns the input and the state the client ends
/// in (`CONNECTED` for a flight that completes the handshake). For `Fuzz/Tools/seedgen`.
public func _fuzzBuildClientInput(config: UInt8, chunk: UInt8, actions: UInt8, flight: [_FuzzServerRecord]) -> (input: [UInt8], state: String) {
    let sessionID = (try? FuzzFixedRandom().bytes(32)) ?? []
    var stream: [UInt8] = []
    var tagLength = 16
    for record in flight {
        switch record {
        case .plaintextHandshake(let bytes):
            var content = bytes
            if let message = try? HandshakeMessage.decode(bytes) {
                switch message {
                case .serverHello(var hello):
                    hello.legacySessionIDEcho = sessionID
                    content = (try? HandshakeMessage.serverHello(hello).encoded) ?? bytes
                    tagLength = CipherSuiteParameters(hello.cipherSuite)?.aead.tagLength ?? 16
                case .helloRetryRequest(var retry):
                    retry.legacySessionIDEcho = sessionID
                    content = (try? HandshakeMessage.helloRetryRequest(retry).encoded) ?? bytes
                default:
                    break
                }
            }
            stream += fuzzRecord(type: ContentType.handshake.rawValue, body: content)
        case .protected(let type, let content):
            stream += fuzzRecord(
                type: ContentType.applicationData.rawValue,
                body: content + [type] + [UInt8](repeating: FuzzNullAEAD.tagByte, count: tagLength))
        case .raw(let bytes):
            stream += bytes
        }
    }
    let fixed = _fuzzClientFixInput([config | 0x01, chunk, actions] + stream)
    return ([config, chunk, actions] + fixed.input.dropFirst(3), fixed.state)
}

/// A record header (version 0x0303) and `body`.
func fuzzRecord(type: UInt8, body: [UInt8]) -> [UInt8] {
    [type, 0x03, 0x03, UInt8(truncatingIfNeeded: body.count >> 8), UInt8(truncatingIfNeeded: body.count)] + body
}
#endif
