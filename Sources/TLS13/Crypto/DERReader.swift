/// Why DER bytes did not parse (the certificate profile checks turn it into `bad_certificate`).
struct DERError: Error, Equatable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One DER element: its identifier octet and its contents.
struct DERElement {
    /// The identifier octet (class, constructed bit, tag number below 31).
    let tag: UInt8
    /// The contents octets.
    let contents: ArraySlice<UInt8>
    /// The whole encoding: identifier, length and contents.
    let encoding: ArraySlice<UInt8>

    /// A reader over the contents (for a constructed element).
    var reader: DERReader { DERReader(contents) }

    /// Whether the constructed bit (0x20) is set.
    var isConstructed: Bool { tag & 0x20 != 0 }
}

/// A bounds-checked reader of DER (X.690) over borrowed bytes: definite, minimally encoded lengths only;
/// every read either returns an element that lies entirely inside the input or throws.
struct DERReader {
    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    /// Whether every byte has been read.
    var isAtEnd: Bool { position >= bytes.endIndex }

    /// The identifier octet of the next element, or nil at the end.
    var nextTag: UInt8? { isAtEnd ? nil : bytes[position] }

    /// Reads the next element.
    mutating func read() throws(DERError) -> DERElement {
        let start = position
        guard start < bytes.endIndex else { throw DERError("truncated: an element was expected") }
        let tag = bytes[start]
        guard tag & 0x1f != 0x1f else { throw DERError("high tag numbers are not supported") }
        var cursor = start + 1
        guard cursor < bytes.endIndex else { throw DERError("truncated length") }
        let first = bytes[cursor]
        cursor += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7f)
            guard count >= 1 else { throw DERError("indefinite length") }
            guard count <= 4 else { throw DERError("length of \(count) octets") }
            guard bytes.endIndex - cursor >= count else { throw DERError("truncated length") }
            for _ in 0..<count {
                length = length << 8 | Int(bytes[cursor])
                cursor += 1
            }
            // DER: the shortest form, so a long form encodes at least 128, without leading zero octets.
            guard length >= 0x80, length >> (8 * (count - 1)) != 0 else {
                throw DERError("length not minimally encoded")
            }
        }
        guard bytes.endIndex - cursor >= length else {
            throw DERError("element of \(length) octets runs past the end of its container")
        }
        position = cursor + length
        return DERElement(tag: tag, contents: bytes[cursor..<position], encoding: bytes[start..<position])
    }

    /// Reads the next element, which must have identifier `tag`.
    mutating func read(tag: UInt8, _ what: String) throws(DERError) -> DERElement {
        guard nextTag == tag else {
            let found = nextTag.map { "tag 0x" + String($0, radix: 16) } ?? "the end"
            throw DERError("\(what): expected tag 0x\(String(tag, radix: 16)), found \(found)")
        }
        return try read()
    }

    /// Reads the next element if it has identifier `tag`.
    mutating func readOptional(tag: UInt8) throws(DERError) -> DERElement? {
        nextTag == tag ? try read() : nil
    }

    /// Throws unless every byte has been read.
    func expectEnd(_ what: String) throws(DERError) {
        guard isAtEnd else { throw DERError("\(what): \(bytes.endIndex - position) trailing octets") }
    }

    /// Reads a SEQUENCE OF: every element of the constructed element's contents.
    static func elements(of element: DERElement) throws(DERError) -> [DERElement] {
        var reader = element.reader
        var result: [DERElement] = []
        while !reader.isAtEnd { result.append(try reader.read()) }
        return result
    }
}

/// DER identifier octets used by the certificate parser.
enum DERTag {
    static let boolean: UInt8 = 0x01
    static let integer: UInt8 = 0x02
    static let bitString: UInt8 = 0x03
    static let octetString: UInt8 = 0x04
    static let null: UInt8 = 0x05
    static let objectIdentifier: UInt8 = 0x06
    static let utf8String: UInt8 = 0x0c
    static let printableString: UInt8 = 0x13
    static let teletexString: UInt8 = 0x14
    static let ia5String: UInt8 = 0x16
    static let utcTime: UInt8 = 0x17
    static let generalizedTime: UInt8 = 0x18
    static let universalString: UInt8 = 0x1c
    static let bmpString: UInt8 = 0x1e
    static let sequence: UInt8 = 0x30
    static let set: UInt8 = 0x31

    /// `[n]`, primitive (IMPLICIT over a primitive type).
    static func contextPrimitive(_ n: UInt8) -> UInt8 { 0x80 | n }
    /// `[n]`, constructed (EXPLICIT, or IMPLICIT over a constructed type).
    static func contextConstructed(_ n: UInt8) -> UInt8 { 0xa0 | n }
}
