/// A complete handshake message as received: its type, body, and the exact bytes (header included)
/// that enter the transcript.
struct RawHandshakeMessage: Equatable {
    var type: HandshakeType
    var body: [UInt8]
    /// Header ‖ body, for the transcript hash.
    var bytes: [UInt8]
}

/// Reassembles handshake messages from handshake records (RFC 8446 §5.1): a message may span records and
/// a record may hold several messages. The caller enforces that no other content type arrives between
/// the fragments of one message (``hasPartialMessage``) and that key-changing messages end at a record
/// boundary (``requireRecordBoundary(after:)``).
struct HandshakeReassembler {
    /// The largest handshake message accepted; a longer one is refused before it is buffered.
    var maxMessageSize: Int
    private var buffer: [UInt8] = []
    private var start = 0

    init(maxMessageSize: Int = 1 << 16) {
        self.maxMessageSize = maxMessageSize
    }

    /// Whether bytes of an incomplete message are buffered.
    var hasPartialMessage: Bool { start < buffer.count }

    /// Adds the payload of one handshake record.
    mutating func append(_ fragment: [UInt8]) {
        if start == buffer.count {
            buffer = fragment
            start = 0
        } else {
            buffer.append(contentsOf: fragment)
        }
    }

    /// The next complete message, or `nil` if more records are needed.
    mutating func nextMessage() throws(TLSError) -> RawHandshakeMessage? {
        guard buffer.count - start >= 4 else { return nil }
        let length = Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        guard length <= maxMessageSize else {
            // As OpenSSL and BoringSSL do for an excessive message size.
            throw TLSError.protocolViolation(
                alert: .illegalParameter,
                reason: "handshake message of \(length) bytes exceeds the limit of \(maxMessageSize)")
        }
        guard buffer.count - start - 4 >= length else { return nil }
        let type = HandshakeType(rawValue: buffer[start])
        let bytes = Array(buffer[start..<(start + 4 + length)])
        start += 4 + length
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return RawHandshakeMessage(type: type, body: Array(bytes[4...]), bytes: bytes)
    }

    /// ServerHello (and HelloRetryRequest), Finished, KeyUpdate and EndOfEarlyData precede a key change and
    /// must end at a record boundary (§5.1): anything buffered after them is `unexpected_message`.
    func requireRecordBoundary(after type: HandshakeType) throws(TLSError) {
        guard !hasPartialMessage else {
            throw TLSError.unexpected("\(type) is not at the end of its record (a key change may not span records)")
        }
    }
}
