/// Joins the payloads of handshake records into whole handshake messages (RFC 8446 §5.1): a message may
/// span records, and one record may carry several messages.
///
/// Each message comes out with its exact bytes (header included) for the transcript hash. The Handshake
/// layer must call ``requireMessageBoundary(_:)`` before every key change: a message that spans a key
/// change is `unexpected_message`.
struct HandshakeReassembler: Sendable {
    /// One message and the bytes it was parsed from.
    struct Item: Hashable, Sendable {
        var message: HandshakeMessage
        /// Header and body exactly as received: what goes into the transcript hash.
        var bytes: [UInt8]
    }

    /// Default bound on one message's body. Certificate chains are the largest messages; 64 KiB leaves room
    /// for long chains while bounding what a peer can make us buffer.
    static let defaultMaxMessageLength = 1 << 16

    /// A message whose declared body length is larger than this is rejected (`decode_error`) as soon as its
    /// header arrives.
    let maxMessageLength: Int
    private var buffer: [UInt8] = []
    /// Index of the first byte not yet returned.
    private var start = 0

    init(maxMessageLength: Int = HandshakeReassembler.defaultMaxMessageLength) {
        precondition(maxMessageLength >= 0 && maxMessageLength <= 0xFF_FFFF, "uint24 length")
        self.maxMessageLength = maxMessageLength
    }

    /// Bytes received but not yet returned as a message.
    var bufferedByteCount: Int { buffer.count - start }

    /// Whether part of a message is waiting for more records.
    var hasPartialMessage: Bool { bufferedByteCount > 0 }

    /// Adds the plaintext of one handshake record. A zero-length handshake record is `unexpected_message`
    /// (RFC 8446 §5.1: "Implementations MUST NOT send zero-length fragments of Handshake types").
    /// A message declaring a body over ``maxMessageLength`` is rejected here, before it is buffered.
    mutating func append(_ fragment: [UInt8]) throws(TLSError) {
        guard !fragment.isEmpty else { throw TLSError.unexpected("zero-length handshake record") }
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: fragment)
        try checkPendingHeader()
    }

    /// The next complete message, or `nil` if more bytes are needed. Throws if the message does not parse.
    mutating func next() throws(TLSError) -> Item? {
        guard let bodyLength = try checkPendingHeader() else { return nil }
        let total = HandshakeMessage.headerLength + bodyLength
        guard bufferedByteCount >= total else { return nil }
        let bytes = Array(buffer[start..<(start + total)])
        start += total
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 4096 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        let type = HandshakeType(rawValue: bytes[0])
        let message = try HandshakeMessage.decode(type: type, body: Array(bytes[HandshakeMessage.headerLength...]))
        return Item(message: message, bytes: bytes)
    }

    /// Throws `unexpected_message` if part of a message is buffered: keys are about to change (after
    /// ServerHello, server Finished, KeyUpdate), and a message must not span a key change.
    func requireMessageBoundary(_ when: String) throws(TLSError) {
        guard !hasPartialMessage else {
            throw TLSError.unexpected(
                "handshake message spans a key change (\(bufferedByteCount) bytes buffered \(when))")
        }
    }

    /// The body length of the message at the front, if its header is complete; throws if it is too long.
    @discardableResult
    private func checkPendingHeader() throws(TLSError) -> Int? {
        guard bufferedByteCount >= HandshakeMessage.headerLength else { return nil }
        let length = Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        guard length <= maxMessageLength else {
            let type = HandshakeType(rawValue: buffer[start])
            // A local limit, not a malformed message: illegal_parameter, as OpenSSL and BoringSSL send for
            // an excessive message size.
            throw TLSError.protocolViolation(
                alert: .illegalParameter, reason: "\(type) message of \(length) bytes exceeds the limit of \(maxMessageLength)")
        }
        return length
    }
}
