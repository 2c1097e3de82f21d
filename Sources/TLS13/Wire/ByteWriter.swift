/// A writer of TLS wire bytes with back-patched length prefixes.
///
/// A length that does not fit its prefix (or a uint24 out of range) never traps: the writer writes the largest value
/// the prefix holds and sets ``overflowed``, and the callers that encode what a caller or a peer chose the size of
/// (the ClientHello, the client's Certificate) check it and throw (``HandshakeMessage/checkedEncoding()``).
struct ByteWriter {
    private(set) var bytes: [UInt8]
    /// Whether some length did not fit its prefix: the bytes are not a valid encoding.
    private(set) var overflowed = false

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

    mutating func writeUInt24(_ value: Int) {
        var v = value
        if v < 0 || v >= 1 << 24 {
            overflowed = true
            v = (1 << 24) - 1
        }
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    mutating func writeUInt32(_ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift)))
        }
    }

    mutating func writeBytes<C: Collection>(_ b: C) where C.Element == UInt8 { bytes.append(contentsOf: b) }

    /// Writes `body`'s output preceded by its length in `lengthBytes` (1, 2 or 3) bytes, back-patched.
    mutating func withLengthPrefix<E: Error>(
        _ lengthBytes: Int, _ body: (inout ByteWriter) throws(E) -> Void
    ) throws(E) {
        precondition((1...3).contains(lengthBytes), "length prefix must be 1, 2 or 3 bytes")
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: lengthBytes))
        try body(&self)
        var length = bytes.count - start - lengthBytes
        if length >= 1 << (8 * lengthBytes) {
            overflowed = true
            length = (1 << (8 * lengthBytes)) - 1
        }
        for i in 0..<lengthBytes {
            bytes[start + i] = UInt8(truncatingIfNeeded: length >> (8 * (lengthBytes - 1 - i)))
        }
    }

    /// Writes `v` as a vector with a `lengthBytes`-byte length prefix.
    mutating func writeVector<C: Collection>(_ lengthBytes: Int, _ v: C) where C.Element == UInt8 {
        withLengthPrefix(lengthBytes) { $0.writeBytes(v) }
    }
}
