import Testing
@testable import TLS13CLI

/// The CLI's HTTP/1.1 response parser (Sources/TLS13CLI/HTTP/HTTPResponseParser.swift).
@Suite struct HTTPResponseParserTests {
    /// The parse of `text`, fed whole, and fed in pieces of `step` bytes; both must agree.
    struct Parsed {
        var head: HTTPResponseHead
        var body: String
        var trailers: [HTTPHeaderField]
        var framing: HTTPResponseParser.Framing?
        var extra: Int
    }

    static func parse(_ text: String, step: Int? = nil, closeAtEnd: Bool = false,
                      method: String = "GET") throws -> Parsed
    {
        let bytes = Array(text.utf8)
        var parser = HTTPResponseParser(requestMethod: method)
        var body: [UInt8] = []
        let size = step ?? max(bytes.count, 1)
        var index = 0
        while index < bytes.count {
            let end = min(bytes.count, index + size)
            body += try parser.consume(bytes[index..<end])
            index = end
        }
        if closeAtEnd { try parser.finish() }
        #expect(parser.isComplete)
        let head = try #require(parser.head)
        return Parsed(head: head, body: String(decoding: body, as: UTF8.self), trailers: parser.trailers,
                      framing: parser.framing, extra: parser.extraByteCount)
    }

    /// Parses whole and one byte at a time, and checks both give the same result.
    static func parseBothWays(_ text: String, closeAtEnd: Bool = false, method: String = "GET") throws -> Parsed {
        let whole = try parse(text, closeAtEnd: closeAtEnd, method: method)
        let bytewise = try parse(text, step: 1, closeAtEnd: closeAtEnd, method: method)
        #expect(whole.head == bytewise.head)
        #expect(whole.body == bytewise.body)
        #expect(whole.trailers == bytewise.trailers)
        return whole
    }

    @Test func contentLength() throws {
        let r = try Self.parseBothWays(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
        #expect(r.head.statusCode == 200)
        #expect(r.head.reasonPhrase == "OK")
        #expect(r.head.version == "HTTP/1.1")
        #expect(r.head.statusLine == "HTTP/1.1 200 OK")
        #expect(r.head.values(for: "content-type") == ["text/plain"])
        #expect(r.framing == .contentLength(5))
        #expect(r.body == "hello")
    }

    @Test func contentLengthStopsAtTheEnd() throws {
        let r = try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiEXTRA")
        #expect(r.body == "hi")
        #expect(r.extra == 5)
    }

    @Test func contentLengthZeroAndRepeatedEqualValues() throws {
        #expect(try Self.parseBothWays("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").body == "")
        let r = try Self.parseBothWays("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc")
        #expect(r.body == "abc")
    }

    @Test func chunkedWithExtensionsAndTrailers() throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n"
            + "1 ; quoted=\"a;b\"\r\n,\r\n"
            + "A\r\n world!!!!\r\n"
            + "0;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"
        let r = try Self.parseBothWays(text)
        #expect(r.framing == .chunked)
        #expect(r.body == "hello, world!!!!")
        #expect(r.trailers == [HTTPHeaderField(name: "X-Checksum", value: "abc"),
                               HTTPHeaderField(name: "X-Other", value: "1")])
    }

    @Test func chunkedWinsOverContentLength() throws {
        let r = try Self.parseBothWays(
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
        #expect(r.framing == .chunked)
        #expect(r.body == "abc")
    }

    @Test func chunkedUpperCaseHexAndBareLF() throws {
        let body = String(repeating: "x", count: 0x1F)
        let r = try Self.parseBothWays("HTTP/1.1 200 OK\nTransfer-Encoding: Chunked\n\n1F\n\(body)\n0\n\n")
        #expect(r.body == body)
    }

    @Test func closeDelimited() throws {
        let r = try Self.parseBothWays("HTTP/1.0 200 ok\r\nContent-type: text/html\r\n\r\n<HTML>\nbody</HTML>\n",
                                       closeAtEnd: true)
        #expect(r.framing == .untilClose)
        #expect(r.body == "<HTML>\nbody</HTML>\n")
        #expect(r.head.version == "HTTP/1.0")
    }

    @Test func closeDelimitedIsIncompleteUntilClose() throws {
        var parser = HTTPResponseParser()
        let body = try parser.consume(Array("HTTP/1.1 200 OK\r\n\r\nabc".utf8))
        #expect(body == Array("abc".utf8))
        #expect(!parser.isComplete)
        try parser.finish()
        #expect(parser.isComplete)
    }

    @Test func unknownTransferEncodingReadsUntilClose() throws {
        let r = try Self.parseBothWays("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzzz", closeAtEnd: true)
        #expect(r.framing == .untilClose)
        #expect(r.body == "zzz")
    }

    @Test func noBodyStatusesAndHEAD() throws {
        for status in ["204 No Content", "304 Not Modified"] {
            let r = try Self.parse("HTTP/1.1 \(status)\r\nContent-Length: 10\r\n\r\n")
            #expect(r.framing == HTTPResponseParser.Framing.none)
            #expect(r.body == "")
        }
        let head = try Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", method: "HEAD")
        #expect(head.body == "")
    }

    @Test func interimResponsesAreSkipped() throws {
        let r = try Self.parseBothWays(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                + "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope")
        #expect(r.head.statusCode == 404)
        #expect(r.head.reasonPhrase == "Not Found")
        #expect(!r.head.isSuccess)
        #expect(r.head.values(for: "Link") == [])
        #expect(r.body == "nope")
    }

    @Test func emptyReasonPhraseObsFoldAndWhitespace() throws {
        let r = try Self.parseBothWays(
            "HTTP/1.1 200\r\nX-A:   spaced \t\r\nX-Folded: one\r\n  two\r\n\tthree\r\nContent-Length: 0\r\n\r\n")
        #expect(r.head.reasonPhrase == "")
        #expect(r.head.statusLine == "HTTP/1.1 200")
        #expect(r.head.values(for: "x-a") == ["spaced"])
        #expect(r.head.values(for: "X-Folded") == ["one two three"])
    }

    // MARK: - Malformed

    static func failure(_ text: String, closeAtEnd: Bool = false) -> HTTPParseError? {
        var parser = HTTPResponseParser()
        do throws(HTTPParseError) {
            _ = try parser.consume(Array(text.utf8))
            if closeAtEnd { try parser.finish() }
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        "HTTP/1.1 20 OK\r\n\r\n",  // two-digit status
        "HTTP/1.1 2000 OK\r\n\r\n",  // four digits
        "HTTP/1.1 abc OK\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n",  // not HTTP/1.x
        "ICY 200 OK\r\n\r\n",
        "<html>hello</html>\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",  // space in name
        "HTTP/1.1 200 OK\r\nName : x\r\n\r\n",  // space before colon
        "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
        "HTTP/1.1 200 OK\r\n continuation first\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",  // not hex
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",  // empty size line
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\n",  // junk after size
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",  // 17 hex digits
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n",  // data longer than size
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n",
    ])
    func malformed(text: String) {
        #expect(Self.failure(text) != nil, "accepted: \(text.debugDescription)")
    }

    @Test func overlongLineIsRefused() {
        let long = "HTTP/1.1 200 OK\r\nX-Long: " + String(repeating: "a", count: HTTPResponseParser.maxLineLength)
        #expect(Self.failure(long) != nil)  // even before its line end arrives
        #expect(Self.failure(long + "\r\n\r\n") != nil)
    }

    @Test func tooManyFields() {
        let fields = String(repeating: "X-A: 1\r\n", count: HTTPResponseParser.maxFieldCount + 1)
        #expect(Self.failure("HTTP/1.1 200 OK\r\n" + fields + "\r\n") != nil)
    }

    @Test(arguments: [
        "",  // nothing at all
        "HTTP/1.1 200 OK\r\nContent-",  // inside the head
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",  // short body
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",  // inside a chunk
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n",  // no last chunk
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n",  // inside the trailers
    ])
    func endBeforeTheResponseIsComplete(text: String) {
        let error = Self.failure(text, closeAtEnd: true)
        #expect(error != nil, "accepted: \(text.debugDescription)")
        #expect(error?.description.contains("closed") == true)
    }

    @Test func largeChunkSizeWithinLimitsIsAccepted() throws {
        var parser = HTTPResponseParser()
        let body = try parser.consume(Array(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nabc".utf8))
        #expect(body == Array("abc".utf8))
        #expect(!parser.isComplete)
    }
}
