/// The status line and header fields of an HTTP/1.x response.
struct HTTPResponseHead: Equatable, Sendable {
    /// `HTTP/1.1` or `HTTP/1.0`, as sent.
    var version: String
    /// The three-digit status code.
    var statusCode: Int
    /// The reason phrase, possibly empty.
    var reasonPhrase: String
    /// The header fields in the order received.
    var headers: [HTTPHeaderField]

    /// The status line without its line ending, e.g. `HTTP/1.1 404 Not Found`.
    var statusLine: String {
        reasonPhrase.isEmpty ? "\(version) \(statusCode)" : "\(version) \(statusCode) \(reasonPhrase)"
    }

    /// Whether the status is 2xx.
    var isSuccess: Bool { (200..<300).contains(statusCode) }

    /// The values of every field called `name` (case-insensitive), in order.
    func values(for name: String) -> [String] {
        let wanted = name.lowercased()
        return headers.filter { $0.name.lowercased() == wanted }.map(\.value)
    }
}

/// One header (or trailer) field.
struct HTTPHeaderField: Equatable, Sendable {
    var name: String
    var value: String
}

/// A response that cannot be parsed, or that ended too early.
struct HTTPParseError: Error, Equatable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// An incremental HTTP/1.1 response parser (RFC 9112): feed it bytes as they arrive and it returns the decoded
/// body bytes.
///
/// The body length is decided as RFC 9112 §6.3 says: no body after `HEAD` and for 1xx, 204 and 304; a
/// `Transfer-Encoding` whose last coding is `chunked` is decoded (chunk extensions are ignored, trailers are kept
/// in ``trailers``); any other `Transfer-Encoding` or no framing at all reads until the connection closes;
/// otherwise `Content-Length` (several equal values are one value; different ones are an error). Interim 1xx
/// responses (other than 101) are skipped. Lines may end in CRLF or a bare LF; obsolete line folding is
/// replaced by a space (RFC 9112 §5.2). Lines, the header section and chunk sizes are bounded.
struct HTTPResponseParser {
    /// The longest line accepted (status line, field line, chunk-size line).
    static let maxLineLength = 16 * 1024
    /// The most header (or trailer) fields accepted.
    static let maxFieldCount = 500

    /// How the body's end is found.
    enum Framing: Equatable {
        /// No body (HEAD, 1xx, 204, 304).
        case none
        /// Exactly this many bytes.
        case contentLength(UInt64)
        /// `Transfer-Encoding: chunked`.
        case chunked
        /// Everything until the connection closes.
        case untilClose
    }

    private enum State: Equatable {
        case statusLine
        case headers
        case fixed(remaining: UInt64)
        case chunkSize
        case chunkData(remaining: UInt64)
        case chunkDataEnd
        case trailers
        case untilClose
        case done
    }

    /// The final (non-1xx) response head, once received.
    private(set) var head: HTTPResponseHead?
    /// How the body is framed, once the head has been received.
    private(set) var framing: Framing?
    /// The trailer fields of a chunked body.
    private(set) var trailers: [HTTPHeaderField] = []
    /// How many bytes arrived after the end of the response (they are dropped).
    private(set) var extraByteCount = 0

    private let requestWasHEAD: Bool
    private var state: State = .statusLine
    private var buffer: [UInt8] = []
    private var offset = 0
    private var pendingHead: HTTPResponseHead?
    private var fields: [HTTPHeaderField] = []

    /// - Parameter requestMethod: the request's method; a `HEAD` response has no body whatever its fields say.
    init(requestMethod: String = "GET") {
        requestWasHEAD = requestMethod.uppercased() == "HEAD"
    }

    /// Whether the whole response has been received.
    var isComplete: Bool { state == .done }

    /// Consumes the next bytes of the response.
    /// - Returns: the body bytes they carry (decoded from chunks).
    /// - Throws: ``HTTPParseError`` for a malformed response.
    mutating func consume(_ bytes: some Collection<UInt8>) throws(HTTPParseError) -> [UInt8] {
        if state == .done {
            extraByteCount += bytes.count
            return []
        }
        buffer.append(contentsOf: bytes)
        var body: [UInt8] = []
        loop: while true {
            switch state {
            case .statusLine:
                guard let line = try nextLine() else { break loop }
                pendingHead = try Self.parseStatusLine(line)
                fields = []
                state = .headers
            case .headers:
                guard let line = try nextLine() else { break loop }
                if line.isEmpty {
                    try finishHead()
                } else {
                    try appendField(line)
                }
            case .fixed(let remaining):
                let take = Int(min(remaining, UInt64(buffer.count - offset)))
                guard take > 0 else { break loop }
                body += buffer[offset..<offset + take]
                offset += take
                state = remaining == UInt64(take) ? .done : .fixed(remaining: remaining - UInt64(take))
            case .chunkSize:
                guard let line = try nextLine() else { break loop }
                let size = try Self.parseChunkSize(line)
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let take = Int(min(remaining, UInt64(buffer.count - offset)))
                guard take > 0 else { break loop }
                body += buffer[offset..<offset + take]
                offset += take
                state = remaining == UInt64(take) ? .chunkDataEnd : .chunkData(remaining: remaining - UInt64(take))
            case .chunkDataEnd:
                guard let line = try nextLine() else { break loop }
                guard line.isEmpty else { throw HTTPParseError("chunk data is longer than its chunk size") }
                state = .chunkSize
            case .trailers:
                guard let line = try nextLine() else { break loop }
                if line.isEmpty {
                    trailers = fields
                    state = .done
                } else {
                    try appendField(line)
                }
            case .untilClose:
                body += buffer[offset...]
                offset = buffer.count
                break loop
            case .done:
                extraByteCount += buffer.count - offset
                offset = buffer.count
                break loop
            }
        }
        compact()
        return body
    }

    /// The connection ended cleanly (TLS close_notify). Completes a body read until close.
    /// - Throws: ``HTTPParseError`` when the response is incomplete.
    mutating func finish() throws(HTTPParseError) {
        switch state {
        case .done:
            return
        case .untilClose:
            state = .done
        case .statusLine where buffer.count == offset && head == nil:
            throw HTTPParseError("the server closed the connection without sending a response")
        case .statusLine, .headers:
            throw HTTPParseError("the server closed the connection in the middle of the response header")
        case .fixed(let remaining):
            throw HTTPParseError("the server closed the connection \(remaining) bytes before the end of the body")
        case .chunkSize, .chunkData, .chunkDataEnd, .trailers:
            throw HTTPParseError("the server closed the connection in the middle of the chunked body")
        }
    }

    // MARK: - Lines

    /// The next line without its CRLF or LF, or nil when it is not complete yet.
    private mutating func nextLine() throws(HTTPParseError) -> ArraySlice<UInt8>? {
        guard let lf = buffer[offset...].firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.count - offset > Self.maxLineLength {
                throw HTTPParseError("a line of the response is longer than \(Self.maxLineLength) bytes")
            }
            return nil
        }
        guard lf - offset <= Self.maxLineLength else {
            throw HTTPParseError("a line of the response is longer than \(Self.maxLineLength) bytes")
        }
        var end = lf
        if end > offset && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let line = buffer[offset..<end]
        offset = lf + 1
        return line
    }

    /// Drops consumed bytes once they make up most of the buffer.
    private mutating func compact() {
        if offset == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            offset = 0
        } else if offset > 4096 && offset * 2 > buffer.count {
            buffer.removeFirst(offset)
            offset = 0
        }
    }

    // MARK: - Head

    /// `HTTP/1.1 200 OK`: version, one space, three digits, then optionally a space and a reason phrase.
    static func parseStatusLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPResponseHead {
        let text = String(decoding: line, as: UTF8.self)
        let bytes = Array(line)
        let shown = text.count > 80 ? String(text.prefix(80)) + "…" : text
        // "HTTP/" DIGIT "." DIGIT SP 3DIGIT
        guard bytes.count >= 12, bytes[0..<5].elementsEqual("HTTP/".utf8), isDigit(bytes[5]),
              bytes[6] == UInt8(ascii: "."), isDigit(bytes[7]), bytes[8] == UInt8(ascii: " "),
              bytes[9..<12].allSatisfy(isDigit)
        else { throw HTTPParseError("malformed status line \"\(shown)\"") }
        guard bytes[5] == UInt8(ascii: "1") else {
            throw HTTPParseError("unsupported HTTP version in status line \"\(shown)\"")
        }
        let code = bytes[9..<12].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        var reason = ""
        if bytes.count > 12 {
            guard bytes[12] == UInt8(ascii: " ") else { throw HTTPParseError("malformed status line \"\(shown)\"") }
            reason = String(decoding: bytes[13...], as: UTF8.self)
        }
        guard code >= 100 else { throw HTTPParseError("malformed status code in \"\(shown)\"") }
        return HTTPResponseHead(version: String(decoding: bytes[0..<8], as: UTF8.self), statusCode: code,
                                reasonPhrase: reason, headers: [])
    }

    /// `name: value`; a line starting with a space or tab continues the previous field (obs-fold).
    private mutating func appendField(_ line: ArraySlice<UInt8>) throws(HTTPParseError) {
        if let first = line.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            guard let last = fields.indices.last else {
                throw HTTPParseError("header section starts with a continuation line")
            }
            let more = Self.trimmed(line)
            if !more.isEmpty { fields[last].value += " " + String(decoding: more, as: UTF8.self) }
            return
        }
        guard fields.count < Self.maxFieldCount else {
            throw HTTPParseError("more than \(Self.maxFieldCount) header fields")
        }
        fields.append(try Self.parseField(line))
    }

    static func parseField(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPHeaderField {
        let shown = String(decoding: line.prefix(80), as: UTF8.self)
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw HTTPParseError("malformed header line \"\(shown)\" (no colon)")
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
            throw HTTPParseError("malformed header name in \"\(shown)\"")
        }
        let value = trimmed(line[(colon + 1)...])
        guard !value.contains(0) else { throw HTTPParseError("NUL byte in header \"\(shown)\"") }
        return HTTPHeaderField(name: String(decoding: name, as: UTF8.self),
                               value: String(decoding: value, as: UTF8.self))
    }

    private mutating func finishHead() throws(HTTPParseError) {
        guard var head = pendingHead else { throw HTTPParseError("internal: no status line") }
        head.headers = fields
        fields = []
        pendingHead = nil
        if (100..<200).contains(head.statusCode) && head.statusCode != 101 {
            state = .statusLine  // interim response: the final one follows
            return
        }
        let framing = try Self.framing(of: head, requestWasHEAD: requestWasHEAD)
        self.head = head
        self.framing = framing
        switch framing {
        case .none, .contentLength(0): state = .done
        case .contentLength(let n): state = .fixed(remaining: n)
        case .chunked: state = .chunkSize
        case .untilClose: state = .untilClose
        }
    }

    /// RFC 9112 §6.3.
    static func framing(of head: HTTPResponseHead, requestWasHEAD: Bool) throws(HTTPParseError) -> Framing {
        if requestWasHEAD || (100..<200).contains(head.statusCode) || head.statusCode == 204
            || head.statusCode == 304
        {
            return .none
        }
        let codings = head.values(for: "Transfer-Encoding")
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingSpaces().lowercased() }
            .filter { !$0.isEmpty }
        if !codings.isEmpty {
            if let index = codings.firstIndex(of: "chunked"), index != codings.count - 1 {
                throw HTTPParseError("Transfer-Encoding applies chunked before another coding")
            }
            return codings.last == "chunked" ? .chunked : .untilClose
        }
        let lengths = head.values(for: "Content-Length")
            .flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingSpaces() }
        guard let first = lengths.first else { return .untilClose }
        guard lengths.allSatisfy({ $0 == first }) else {
            throw HTTPParseError("conflicting Content-Length values \(lengths.joined(separator: ", "))")
        }
        guard !first.isEmpty, first.utf8.count <= 18, first.utf8.allSatisfy(isDigit), let n = UInt64(first) else {
            throw HTTPParseError("invalid Content-Length \"\(first)\"")
        }
        return .contentLength(n)
    }

    // MARK: - Chunks

    /// `1a2b;ext=value` → 0x1a2b. At most 16 hex digits; extensions are ignored.
    static func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> UInt64 {
        let shown = String(decoding: line.prefix(40), as: UTF8.self)
        var size: UInt64 = 0
        var digits = 0
        var index = line.startIndex
        while index < line.endIndex, let value = hexValue(line[index]) {
            guard digits < 16 else { throw HTTPParseError("chunk size \"\(shown)\" is too large") }
            size = size << 4 | UInt64(value)
            digits += 1
            index += 1
        }
        guard digits > 0 else { throw HTTPParseError("malformed chunk size line \"\(shown)\"") }
        // What may follow: BWS, then nothing or ";" extensions.
        let rest = line[index...].drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard rest.isEmpty || rest.first == UInt8(ascii: ";") else {
            throw HTTPParseError("malformed chunk size line \"\(shown)\"")
        }
        return size
    }

    // MARK: - Bytes

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let isSpace: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let start = bytes.firstIndex(where: { !isSpace($0) }),
              let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return [] }
        return bytes[start...last]
    }

    static func isDigit(_ b: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// RFC 9110 §5.6.2 tchar.
    private static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        trimming { $0 == " " || $0 == "\t" }
    }

    /// Without leading and trailing whitespace and newlines.
    func trimmingWhitespace() -> String {
        trimming { $0.isWhitespace || $0.isNewline }
    }

    private func trimming(_ isSpace: (Character) -> Bool) -> String {
        guard let start = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...last])
    }
}
