/// A length that does not fit the field that must hold it: the bytes written so far are not a valid encoding.
///
/// Thrown by ``ByteWriter`` when a vector is longer than its length prefix allows (or a uint24 is out of range).
/// The encoders of messages whose sizes the application or the peer chose (the ClientHello with its ALPN names and
/// ticket, the client's certificate chain) pass it on; ``HandshakeMessage/encoded`` turns it into
/// `invalidConfiguration`.
struct EncodingError: Error, Equatable, CustomStringConvertible {
    /// The length that was to be written.
    var length: Int
    /// The largest value the field holds.
    var maximum: Int

    var description: String { "a length of \(length) does not fit its field (at most \(maximum))" }
}

/// A writer of TLS wire bytes with back-patched length prefixes.
///
/// A length that does not fit its prefix (or a uint24 out of range) never traps and never writes a wrong length: it
/// throws ``EncodingError``.
struct ByteWriter {
    private(set) var bytes: [UInt8]

    init(reservingCapacity capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }

    mutating func writeUInt8(_ v: UInt8) { bytes.append(v) }

    mutating func writeUInt16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    /// Writes `value` in three bytes; throws when it is negative or 2^24 or more.
    mutating func writeUInt24(_ value: Int) throws(EncodingError) {
        guard value >= 0, value < 1 << 24 else { throw EncodingError(length: value, maximum: (1 << 24) - 1) }
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func writeUInt32(_ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift)))
        }
    }

    mutating func writeBytes<C: Collection>(_ b: C) where C.Element == UInt8 { bytes.append(contentsOf: b) }

    /// Writes `body`'s output preceded by its length in `lengthBytes` (1, 2 or 3) bytes, back-patched.
    ///
    /// - Throws: ``EncodingError`` when the output is longer than the prefix can say (or what `body` throws).
    mutating func withLengthPrefix(
        _ lengthBytes: Int, _ body: (inout ByteWriter) throws(EncodingError) -> Void
    ) throws(EncodingError) {
        precondition((1...3).contains(lengthBytes), "length prefix must be 1, 2 or 3 bytes")  // our constant
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: lengthBytes))
        try body(&self)
        let length = bytes.count - start - lengthBytes
        let maximum = (1 << (8 * lengthBytes)) - 1
        guard length <= maximum else { throw EncodingError(length: length, maximum: maximum) }
        for i in 0..<lengthBytes {
            bytes[start + i] = UInt8(truncatingIfNeeded: length >> (8 * (lengthBytes - 1 - i)))
        }
    }

    /// Writes `v` as a vector with a `lengthBytes`-byte length prefix.
    mutating func writeVector<C: Collection>(_ lengthBytes: Int, _ v: C) throws(EncodingError) where C.Element == UInt8 {
        try withLengthPrefix(lengthBytes) { $0.writeBytes(v) }
    }
}
