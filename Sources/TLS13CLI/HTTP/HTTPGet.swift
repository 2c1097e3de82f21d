import TLS13

/// One HTTP/1.1 GET over an established connection: the request goes out, the response is parsed as it arrives.
enum HTTPGet {
    /// Sends `GET url.target` and reads the response until it is complete (or the server closes).
    ///
    /// - Parameters:
    ///   - connection: an established connection (the caller closes it).
    ///   - url: the URL being fetched (for the request line and `Host`).
    ///   - extraHeaders: headers added to, or replacing, the defaults.
    ///   - onHead: called once with the final response head, before any body bytes.
    ///   - onBody: called with each piece of the (decoded) body.
    /// - Returns: the response head.
    /// - Throws: ``CLIFailure`` for TLS failures, truncation and malformed responses; whatever the closures
    ///   throw.
    @discardableResult
    static func run(connection: TLSConnection, url: HTTPSURL, extraHeaders: [HTTPHeaderField] = [],
                    onHead: (HTTPResponseHead) throws -> Void, onBody: ([UInt8]) throws -> Void) throws
        -> HTTPResponseHead
    {
        var parser = HTTPResponseParser(requestMethod: "GET")
        var headSeen = false
        do {
            try connection.write(request(for: url, extraHeaders: extraHeaders))
            while !parser.isComplete {
                let chunk = try connection.read()
                let body: [UInt8]
                do throws(HTTPParseError) {
                    if chunk.isEmpty {
                        try parser.finish()  // close_notify: complete only if the body runs until close
                        body = []
                    } else {
                        body = try parser.consume(chunk)
                    }
                } catch {
                    throw CLIFailure(.tlsFailure, "malformed HTTP response: \(error)")
                }
                if let head = parser.head, !headSeen {
                    headSeen = true
                    try onHead(head)
                }
                if !body.isEmpty { try onBody(body) }
            }
        } catch let error as TLSError {
            throw CLIFailure(error)
        }
        guard let head = parser.head else {
            throw CLIFailure(.tlsFailure, "malformed HTTP response: no response head")
        }
        return head
    }

    /// The request bytes: `GET target HTTP/1.1` with Host, User-Agent, Accept and Connection: close; an extra
    /// header with the name of a default one replaces it.
    static func request(for url: HTTPSURL, extraHeaders: [HTTPHeaderField]) -> [UInt8] {
        var fields = [
            HTTPHeaderField(name: "Host", value: url.hostHeader),
            HTTPHeaderField(name: "User-Agent", value: "tls13/\(TLS13.version)"),
            HTTPHeaderField(name: "Accept", value: "*/*"),
            HTTPHeaderField(name: "Connection", value: "close"),
        ]
        for header in extraHeaders {
            if let index = fields.firstIndex(where: { $0.name.lowercased() == header.name.lowercased() }) {
                fields[index] = header
            } else {
                fields.append(header)
            }
        }
        var text = "GET \(url.target) HTTP/1.1\r\n"
        for field in fields { text += "\(field.name): \(field.value)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// The status line and header fields as `get -i` prints them, CRLF-terminated, with the empty line after.
    static func headText(_ head: HTTPResponseHead) -> [UInt8] {
        var text = head.statusLine + "\r\n"
        for field in head.headers { text += "\(field.name): \(field.value)\r\n" }
        return Array((text + "\r\n").utf8)
    }
}
