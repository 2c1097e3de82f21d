#if TLS13_FUZZING
// Fuzzing builds only (`-DTLS13_FUZZING`): helpers shared by the fuzz entry points.

/// Stops the process (a libFuzzer "crash") when an invariant the fuzz target checks does not hold.
///
/// Used for properties that no input may break (a re-encoded message parses to the same value; every
/// record the client writes is well framed), so that libFuzzer reports and saves the input.
func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line) {
    if !condition {
        fatalError("fuzz invariant violated: \(message())", file: file, line: line)
    }
}

/// Reads a fuzz input front to back; past the end every read answers zero, so a short input is still a
/// valid (if boring) one.
struct FuzzInput {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    init(_ data: UnsafeRawBufferPointer) {
        self.init(Array(data))
    }

    var isEmpty: Bool { offset >= bytes.count }

    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint16() -> Int {
        Int(byte()) << 8 | Int(byte())
    }

    /// Up to `count` bytes (fewer at the end of the input).
    mutating func bytes(upTo count: Int) -> [UInt8] {
        let end = min(bytes.count, offset + max(0, count))
        defer { offset = end }
        return offset < end ? Array(bytes[offset..<end]) : []
    }

    /// Everything not read yet.
    mutating func rest() -> [UInt8] {
        bytes(upTo: bytes.count)
    }
}

/// Splits a byte stream into TLS records by their 5-byte headers: `(header offset, total record length)`;
/// a trailing incomplete record is not returned (its offset is `consumed`).
func fuzzSplitRecords(_ stream: [UInt8]) -> (records: [Range<Int>], consumed: Int) {
    var records: [Range<Int>] = []
    var offset = 0
    while stream.count - offset >= RecordLayer.headerLength {
        let length = Int(stream[offset + 3]) << 8 | Int(stream[offset + 4])
        let end = offset + RecordLayer.headerLength + length
        guard end <= stream.count else { break }
        records.append(offset..<end)
        offset = end
    }
    return (records, offset)
}

/// Checks bytes the client wrote: whole records only, each with a known content type, version 0x0303 (or
/// 0x0301 for the first ClientHello), and a length within RFC 8446 §5.1/§5.2.
func fuzzCheckOutboundRecords(_ out: [UInt8], what: String) {
    let (records, consumed) = fuzzSplitRecords(out)
    fuzzCheck(consumed == out.count, "\(what): \(out.count - consumed) bytes after the last whole record")
    for range in records {
        let type = ContentType(rawValue: out[range.lowerBound])
        let version = UInt16(out[range.lowerBound + 1]) << 8 | UInt16(out[range.lowerBound + 2])
        let length = range.count - RecordLayer.headerLength
        fuzzCheck(
            [.changeCipherSpec, .alert, .handshake, .applicationData].contains(type),
            "\(what): record of content type \(type.rawValue)")
        fuzzCheck(version == 0x0303 || version == 0x0301, "\(what): record version \(version)")
        let limit = type == .applicationData ? RecordLayer.maxCiphertext : RecordLayer.maxPlaintext
        fuzzCheck(length <= limit, "\(what): \(type) record of \(length) bytes")
        fuzzCheck(length > 0 || type == .applicationData, "\(what): empty \(type) record")
    }
}
#endif
