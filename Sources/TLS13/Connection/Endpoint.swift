#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A server address as the user wrote it: a host (DNS name or IP literal) and a TCP port.
///
/// Accepted forms (``parse(_:defaultPort:)``):
/// - `host:port`, `host` (the caller's default port; 443 for the CLI)
/// - `1.2.3.4:port`, `1.2.3.4`
/// - `[v6-literal]:port`, `[v6-literal]`, and a bare `v6-literal` such as `::1` (no port: `::1:443` would be
///   ambiguous, so a bare literal always takes the default port). A zone may follow a link-local literal
///   (`[fe80::1%eth0]:443`).
///
/// ``host`` is kept without brackets; ``isIPLiteral`` tells whether it is an IPv4 or IPv6 address, in which
/// case the client must not send `server_name` (RFC 6066 §3: literal addresses are not permitted in SNI).
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    /// The DNS name or IP literal, without brackets.
    public let host: String
    /// The TCP port, 1...65535.
    public let port: UInt16
    /// Whether ``host`` is an IPv4 or IPv6 literal (checked with `inet_pton`).
    public let isIPLiteral: Bool

    /// Validates a host and a port given separately.
    public init(host: String, port: Int) throws(TLSError) {
        guard (1...65535).contains(port) else {
            throw Self.failure("port \(port) is out of range 1...65535")
        }
        var host = host
        if host.hasPrefix("[") && host.hasSuffix("]") && host.utf8.count >= 2 {
            host = String(host.dropFirst().dropLast())
            guard Self.isIPv6Literal(host) else { throw Self.failure("'[\(host)]' is not an IPv6 address") }
        }
        try Self.validateHost(host)
        self.host = host
        self.port = UInt16(port)
        self.isIPLiteral = Self.isIPv4Literal(host) || Self.isIPv6Literal(host)
    }

    /// Parses `host:port`, `[v6]:port`, `[v6]`, a bare IPv6 literal, or a bare host.
    /// - Parameters:
    ///   - text: the address as the user wrote it.
    ///   - defaultPort: the port used when `text` names none (443 for HTTPS).
    /// - Throws: ``TLSError/network(step:reason:)`` with step `.parseAddress`.
    public static func parse(_ text: String, defaultPort: UInt16) throws(TLSError) -> Endpoint {
        guard !text.isEmpty else { throw failure("empty address") }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw failure("'\(text)': missing ']' after IPv6 address")
            }
            let inner = String(text[text.index(after: text.startIndex)..<close])
            guard isIPv6Literal(inner) else { throw failure("'\(text)': '\(inner)' is not an IPv6 address") }
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return try Endpoint(host: inner, port: Int(defaultPort)) }
            guard rest.hasPrefix(":") else {
                throw failure("'\(text)': expected ':port' after ']'")
            }
            return try Endpoint(host: inner, port: parsePort(rest.dropFirst(), in: text))
        }
        let colons = text.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: ":") ? 1 : 0) }
        switch colons {
        case 0:
            return try Endpoint(host: text, port: Int(defaultPort))
        case 1:
            guard let colon = text.firstIndex(of: ":") else { throw failure("'\(text)': malformed") }
            let host = String(text[..<colon])
            guard !host.isEmpty else { throw failure("'\(text)': empty host") }
            return try Endpoint(host: host, port: parsePort(text[text.index(after: colon)...], in: text))
        default:
            guard isIPv6Literal(text) else {
                throw failure("'\(text)' is not an IPv6 address (write an IPv6 address with a port as [addr]:port)")
            }
            return try Endpoint(host: text, port: Int(defaultPort))
        }
    }

    /// `host:port`, with brackets around an IPv6 host.
    /// `host:port`, with brackets around an IPv6 literal.
    public var description: String { Self.display(host: host, port: port) }

    /// `host:port`, or `[host]:port` for an IPv6 literal.
    static func display(host: String, port: UInt16) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    // MARK: - Validation

    private static func failure(_ reason: String) -> TLSError {
        .network(step: .parseAddress, reason: reason)
    }

    private static func parsePort(_ digits: Substring, in text: String) throws(TLSError) -> Int {
        guard !digits.isEmpty else { throw failure("'\(text)': empty port") }
        // At most 5 digits keeps the value far from overflow before the range check.
        guard digits.utf8.count <= 5, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let port = Int(digits)
        else { throw failure("'\(text)': port '\(digits)' is not a number in 1...65535") }
        guard (1...65535).contains(port) else {
            throw failure("'\(text)': port \(port) is out of range 1...65535")
        }
        return port
    }

    /// A DNS name (LDH labels, `_` tolerated, optional trailing dot) or an IP literal. Non-ASCII names must be
    /// given in their `xn--` form; an all-numeric name that is not a dotted quad is refused rather than
    /// handed to `getaddrinfo`, which would read `127.1` as an address.
    ///
    /// - Throws: ``TLSError/network(step:reason:)`` with step `.parseAddress`.
    static func validateHost(_ host: String) throws(TLSError) {
        if let problem = problem(withName: host) { throw failure(problem) }
    }

    /// Checks a name the client will send in SNI and match against the server's certificate
    /// (``TLSClientConfiguration/serverName``, or the host given to `connect`): a DNS name in ASCII — an
    /// internationalized name only as its A-labels (`xn--…`, RFC 5890) — or an IPv4/IPv6 literal.
    ///
    /// - Throws: ``TLSError/invalidConfiguration(_:)`` saying what is wrong, before anything is sent.
    public static func validateServerName(_ name: String) throws(TLSError) {
        if let problem = problem(withName: name) { throw TLSError.invalidConfiguration("invalid server name: \(problem)") }
    }

    /// What is wrong with `host` as a DNS name or IP literal, or `nil`.
    private static func problem(withName host: String) -> String? {
        guard !host.isEmpty else { return "empty host" }
        if isIPv4Literal(host) || isIPv6Literal(host) { return nil }
        let bytes = Array(host.utf8)
        guard bytes.count <= 254 else { return "host name longer than 253 characters" }
        if bytes.contains(where: { $0 >= 0x80 }) {
            return "'\(printable(host))': non-ASCII host names must be given as IDNA A-labels (xn--...), "
                + "e.g. 'xn--bcher-kva.example' for 'bücher.example'"
        }
        var name = bytes[...]
        if name.last == UInt8(ascii: ".") { name = name.dropLast() }
        let labels = name.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty else { return "'\(printable(host))': empty label in host name" }
            guard label.count <= 63 else { return "'\(printable(host))': a label is longer than 63 characters" }
            guard label.allSatisfy(isHostNameByte) else {
                return "'\(printable(host))': invalid character in host name"
            }
            guard label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else {
                return "'\(printable(host))': a label starts or ends with '-'"
            }
        }
        if let last = labels.last, last.allSatisfy({ (0x30...0x39).contains($0) }) {
            return "'\(printable(host))' is not a valid IPv4 address"
        }
        return nil
    }

    /// `text` with control characters and non-ASCII shown as `\u{…}` escapes, for error messages.
    private static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(300) {
            if scalar.value >= 0x20 && scalar.value < 0x7F {
                out.unicodeScalars.append(scalar)
            } else if scalar.value >= 0xA0 && scalar.properties.isAlphabetic {
                out.unicodeScalars.append(scalar)  // a letter of a U-label: shown as is
            } else {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            }
        }
        return out
    }

    private static func isHostNameByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }

    static func isIPv4Literal(_ text: String) -> Bool {
        var addr = in_addr()
        return inet_pton(AF_INET, text, &addr) == 1
    }

    /// An IPv6 literal, optionally with a non-empty `%zone` suffix.
    static func isIPv6Literal(_ text: String) -> Bool {
        var address = Substring(text)
        if let percent = text.firstIndex(of: "%") {
            let zone = text[text.index(after: percent)...]
            guard !zone.isEmpty, zone.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "]") })
            else { return false }
            address = text[..<percent]
        }
        var addr = in6_addr()
        return inet_pton(AF_INET6, String(address), &addr) == 1
    }
}
