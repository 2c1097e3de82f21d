/// A bounds-checked reader over bytes received from the peer.
///
/// Every read checks the remaining length first and throws ``TLSError/decode(reason:alert:)`` (alert
/// `decode_error`) when short. Sub-readers for length-prefixed vectors share the underlying array, so
/// parsing does not copy until a field is extracted with ``readBytes(_:)``.
struct ByteReader {
    private let storage: [UInt8]
    /// Index of the next unread byte.
    private(set) var position: Int
    /// One past the last readable byte.
    let end: Int

    init(_ bytes: [UInt8]) {
        self.storage = bytes
        self.position = 0
        self.end = bytes.count
    }

    init(_ bytes: ArraySlice<UInt8>) {
        self.init(Array(bytes))
    }

    private init(storage: [UInt8], position: Int, end: Int) {
        self.storage = storage
        self.position = position
        self.end = end
    }

    /// Bytes left to read.
    var remaining: Int { end - position }
    var isEmpty: Bool { position == end }

    private func need(_ n: Int, _ what: StaticString) throws(TLSError) {
        guard n >= 0, n <= end - position else {
            throw TLSError.decode(reason: "\(what): need \(n) bytes, \(end - position) left")
        }
    }

    mutating func readUInt8(_ what: StaticString = "uint8") throws(TLSError) -> UInt8 {
        try need(1, what)
        let v = storage[position]
        position += 1
        return v
    }

    mutating func readUInt16(_ what: StaticString = "uint16") throws(TLSError) -> UInt16 {
        try need(2, what)
        let v = UInt16(storage[position]) << 8 | UInt16(storage[position + 1])
        position += 2
        return v
    }

    mutating func readUInt24(_ what: StaticString = "uint24") throws(TLSError) -> Int {
        try need(3, what)
        let v = Int(storage[position]) << 16 | Int(storage[position + 1]) << 8 | Int(storage[position + 2])
        position += 3
        return v
    }

    mutating func readUInt32(_ what: StaticString = "uint32") throws(TLSError) -> UInt32 {
        try need(4, what)
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(storage[position + i]) }
        position += 4
        return v
    }

    /// Reads exactly `n` bytes.
    mutating func readBytes(_ n: Int, _ what: StaticString = "bytes") throws(TLSError) -> [UInt8] {
        try need(n, what)
        let v = Array(storage[position..<(position + n)])
        position += n
        return v
    }

    /// Reads a sub-reader over exactly `n` bytes.
    mutating func readReader(_ n: Int, _ what: StaticString = "bytes") throws(TLSError) -> ByteReader {
        try need(n, what)
        let sub = ByteReader(storage: storage, position: position, end: position + n)
        position += n
        return sub
    }

    /// Reads a length prefix of `lengthBytes` (1, 2 or 3) bytes and checks it against `range`.
    private mutating func readLength(
        lengthBytes: Int, range: ClosedRange<Int>, _ what: StaticString
    ) throws(TLSError) -> Int {
        let length: Int
        switch lengthBytes {
        case 1: length = Int(try readUInt8(what))
        case 2: length = Int(try readUInt16(what))
        case 3: length = try readUInt24(what)
        default: preconditionFailure("length prefix must be 1, 2 or 3 bytes")
        }
        guard range.contains(length) else {
            throw TLSError.decode(reason: "\(what): length \(length) outside \(range.lowerBound)...\(range.upperBound)")
        }
        return length
    }

    /// Reads a vector `<range.lowerBound..range.upperBound>` with a `lengthBytes`-byte length prefix, as bytes.
    mutating func readVector(
        lengthBytes: Int, range: ClosedRange<Int>, _ what: StaticString = "vector"
    ) throws(TLSError) -> [UInt8] {
        let length = try readLength(lengthBytes: lengthBytes, range: range, what)
        return try readBytes(length, what)
    }

    /// Reads a vector with a `lengthBytes`-byte length prefix and returns a reader over its contents.
    mutating func readVectorReader(
        lengthBytes: Int, range: ClosedRange<Int>, _ what: StaticString = "vector"
    ) throws(TLSError) -> ByteReader {
        let length = try readLength(lengthBytes: lengthBytes, range: range, what)
        return try readReader(length, what)
    }

    /// Reads the rest of the input.
    mutating func readRest() -> [UInt8] {
        let v = Array(storage[position..<end])
        position = end
        return v
    }

    /// Throws `decode_error` if any bytes are left.
    func expectEmpty(_ what: StaticString = "message") throws(TLSError) {
        guard isEmpty else {
            throw TLSError.decode(reason: "\(what): \(remaining) trailing bytes")
        }
    }
}
